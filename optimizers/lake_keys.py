"""The dispatch datasets of the lake: their names and partition keys (one place).

``lake/dispatch_plans/plan=<YYYY-MM-DD>__<site_id>/``, ``lake/dispatch_kpis/...`` and
``lake/dispatch_job_plans/...`` (schemas: ``optimizers.lake_schemas``, generated); the same
``<date>__<site_id>`` names the KPI JSON, the schedule PNG and the virtual capacity curves under
``outputs/dispatch/``.  The intraday re-plans (``lake/dispatch_replans``, and their job kW in
``lake/dispatch_job_plans``) are ``<date>__<site_id>__k<kk>`` (:func:`replan_partition`).
"""

from __future__ import annotations

from datetime import date

PLANS = "dispatch_plans"
KPIS = "dispatch_kpis"
JOB_PLANS = "dispatch_job_plans"
REPLANS = "dispatch_replans"
PLAN_KEY = "plan"


def partition_value(plan_date: date | str, site_id: str) -> str:
    """``<YYYY-MM-DD>__<site_id>``: one site's plan of one day."""
    return f"{plan_date}__{site_id}"


def replan_partition(plan_date: date | str, site_id: str, k: int) -> str:
    """``<YYYY-MM-DD>__<site_id>__k<kk>``: the re-plan of one site from step ``k``.  Not
    ``k=<kk>``: DuckDB's hive reader would take the second ``=`` for a second partition key."""
    return f"{plan_date}__{site_id}__k{k:02d}"
