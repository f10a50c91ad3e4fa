"""Helpers of the dispatch tests: example scenario paths and a small, fast scenario."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
YANCHENG = REPO / "scenarios" / "yancheng_dc.yaml"
EAST_WEST = REPO / "scenarios" / "east_west_shared.yaml"


def small_raw() -> dict:
    """A one-site hourly scenario with a TOU tariff: solves in milliseconds."""
    return {
        "name": "small",
        "date": "2026-07-15",
        "horizon": "1d",
        "step": "1h",
        "carbon_price_cny_per_t": 90,
        "tariffs": {
            "js": {
                "province_code": "320000",
                "source": "tou",
                "tou": {
                    "valley": {"hours": [[0, 8]], "price": 0.27},
                    "flat": {"hours": [[11, 17], [22, 24]], "price": 0.65},
                    "peak": {"hours": [[8, 11], [17, 22]], "price": 1.08},
                },
                "carbon_intensity_kg_per_kwh": 0.5978,
            }
        },
        "sites": [
            {
                "site_id": "S1",
                "uscc": "91320902JRCN9QAQ9Y",
                "lat": 33.38,
                "lon": 120.16,
                "tariff": "js",
                "grid": {"import_max_kw": 3000, "contract_kw": 2800},
                "it_load": {"source": "profile", "base_kw": 1000},
                "pue": 1.3,
                "pv": {"kwp": 800},
                "battery": {"energy_kwh": 1000, "power_kw": 500},
                "jobs": [
                    {
                        "job_id": "batch",
                        "release": "00:00",
                        "deadline": "12:00",
                        "energy_kwh": 1200,
                        "max_kw": 400,
                    }
                ],
            }
        ],
    }
