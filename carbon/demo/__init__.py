"""The demo city generator: a Yancheng-like city (盐城, 320900) in the formats real senders use.

Public API::

    from carbon.demo import generate, generate_meter_day
    summary = generate(home, scale="tiny", seed=42, defect_rate=0.01)
    generate_meter_day(home, "2026-10-31", n_households=2_500_000, seed=42)

See docs/demo-city.md for the calibration and the defect manifest.
"""

from carbon.demo.factors import FUEL_FACTORS, PROCESS_FACTORS, TCO2_PER_UNIT
from carbon.demo.generate import Summary, generate, generate_meter_day

__all__ = [
    "FUEL_FACTORS",
    "PROCESS_FACTORS",
    "TCO2_PER_UNIT",
    "Summary",
    "generate",
    "generate_meter_day",
]
