"""The dispatch datasets of the lake: their names and partition keys (one place).

``lake/dispatch_plans/plan=<YYYY-MM-DD>__<site_id>/`` and ``lake/dispatch_kpis/...`` (schemas:
``optimizers.lake_schemas``, generated); the same ``<date>__<site_id>`` names the KPI JSON, the
schedule PNG and the virtual capacity curves under ``outputs/dispatch/``.
"""

from __future__ import annotations

from datetime import date

PLANS = "dispatch_plans"
KPIS = "dispatch_kpis"
PLAN_KEY = "plan"


def partition_value(plan_date: date | str, site_id: str) -> str:
    """``<YYYY-MM-DD>__<site_id>``: one site's plan of one day."""
    return f"{plan_date}__{site_id}"
