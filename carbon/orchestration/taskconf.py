"""What the dispatch DAGs' tasks share: the run's conf, and the retry policy of tasks that write.

``dag_conf()`` merges the DAG's params with the run's conf (a ``None`` in the conf keeps the
param). ``FILE_TASK_RETRIES`` is the policy of a task that writes lake partitions or files: an
I/O error is retried 30 s, 60 s, … later (capped at 10 min); a task whose answer would not change
(an infeasible plan, a stopped telemetry feed) raises ``AirflowFailException`` and is not retried.
Imported inside tasks (it imports the Airflow SDK).
"""

from __future__ import annotations

from datetime import timedelta

FILE_TASK_RETRIES = {
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


def dag_conf() -> dict:
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    conf = dict(ctx["params"] or {})
    dr = ctx.get("dag_run")
    if dr is not None and dr.conf:
        conf.update({k: v for k, v in dr.conf.items() if v is not None})
    return conf


def target_date(conf: dict, days_ahead: int = 1) -> str:
    """``conf['date']``, else the logical date + ``days_ahead`` (Asia/Shanghai), YYYY-MM-DD."""
    import pendulum
    from airflow.sdk import get_current_context

    from carbon.config import TZ

    if conf.get("date"):
        return str(conf["date"])
    logical = get_current_context().get("logical_date")
    now = pendulum.instance(logical) if logical else pendulum.now(TZ)
    return now.in_timezone(TZ).add(days=days_ahead).to_date_string()
