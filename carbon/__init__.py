"""Carbon accounting: factors, units, codes, demo data, contracts, ingest."""
