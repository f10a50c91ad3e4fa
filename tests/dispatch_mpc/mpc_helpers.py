"""Helpers of the MPC / VCC tests: a 96-step one-site scenario."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dispatch"))

from dispatch_helpers import small_raw


def quarter_hour_raw() -> dict:
    """The small scenario at 15-minute steps (96 steps a day) with two jobs, one of them
    non-preemptive, and a demand charge."""
    raw = small_raw()
    raw["step"] = "15min"
    site = raw["sites"][0]
    site["grid"]["demand_charge_cny_per_kw_month"] = 40
    site["jobs"].append(
        {
            "job_id": "train",
            "release": "06:00",
            "deadline": "22:00",
            "energy_kwh": 2000,
            "max_kw": 300,
            "preemptible": False,
        }
    )
    return raw
