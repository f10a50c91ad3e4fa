"""The comparison harness solves the same LP in PyPSA and ours (objectives to 1e-7)."""

from __future__ import annotations

import pytest

from benchmarks.pypsa_compare import compare, pypsa_network, solve_pypsa, synthetic_series


@pytest.mark.slow
def test_same_objective_as_pypsa_and_weightings_matter():
    r = compare(96)  # quarter-hour steps: snapshot weightings 0.25 h in PyPSA
    assert r["step_hours"] == 0.25
    assert r["ours_status"] == "optimal" and r["pypsa_status"] == "ok"
    assert r["rel_diff"] <= 1e-7, r
    # end-of-horizon rule: start fixed at soc_init, end ≥ start, in both
    assert r["ours_soc_end_kwh"] >= r["soc_start_kwh"] - 1e-6
    assert r["pypsa_soc_end_kwh"] >= r["soc_start_kwh"] - 1e-6
    # without the weightings PyPSA prices energy as if every step lasted an hour
    unweighted, *_ = solve_pypsa(pypsa_network(synthetic_series(96), weightings=False))
    assert unweighted > 3 * r["pypsa_objective_cny"]
