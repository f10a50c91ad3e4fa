"""What the dispatch DAGs share: their ``@dag`` policy, shape, conf and the retry policy of
tasks that write.

``dispatch_dag(doc)`` is the ``@dag`` policy (start, no catch-up, one run at a time, the failure
alert); ``fan_out`` the shape (list → one mapped task per item → ``summary`` → a final check).
``dag_conf()`` merges the DAG's params with the run's conf (a ``None`` in the conf keeps the
param). ``FILE_TASK_RETRIES`` is the policy of a task that writes lake partitions or files: an
I/O error is retried 30 s, 60 s, … later (capped at 10 min); a task whose answer would not change
(an infeasible plan, a stopped telemetry feed) raises ``AirflowFailException`` and is not retried.
``run_mapped`` is a mapped task's work (its label, the data home, the ``outcome`` XCom);
``mapped_outcomes``, ``log_report`` and ``check_report`` are the end of each DAG: the mapped
tasks' outcomes for its ``summary``, the summary's log, and the last task that fails when a site
was not served. The DAG files import this module at the top: it imports only the standard
library there (the Airflow SDK, pendulum and the notifier inside its functions).
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


def mapped_outcomes(task_id: str, n: int) -> list[dict | None]:
    """The ``outcome`` XCom of each of the ``n`` mapped instances of ``task_id`` (``None`` where an
    instance failed before it had one): what a DAG's ``summary`` task reports on."""
    from airflow.sdk import get_current_context

    ti = get_current_context()["ti"]
    return [ti.xcom_pull(task_ids=task_id, key="outcome", map_indexes=i) for i in range(n)]


def check_report(report: dict | None, what: str, *, reasons: bool = False) -> None:
    """Fail the DAG's last task when its ``summary`` did not run, or when ``report["failed"]``
    (site → reason) names a site: ``"<what>: [sites]"`` (``reasons``: the mapping itself)."""
    if report is None:
        raise RuntimeError("summary did not run")
    if report["failed"]:
        failed = report["failed"] if reasons else sorted(report["failed"])
        raise RuntimeError(f"{what}: {failed}")


def run_mapped(run, arg: dict, label_key: str, label: str) -> dict:
    """One mapped task's work: ``run(arg, home)`` with the data home resolved once, here in the
    task; the instance shown as ``label`` (its ``map_index_template`` names ``label_key``); the
    outcome pushed as the XCom ``outcome`` (:func:`mapped_outcomes`) before the task judges it."""
    from airflow.sdk import get_current_context

    from carbon.config import paths

    ctx = get_current_context()
    ctx[label_key] = label
    outcome = run(arg, paths().home)
    ctx["ti"].xcom_push(key="outcome", value=outcome)
    return outcome


def dispatch_dag(doc: str) -> dict:
    """The ``@dag`` arguments the dispatch DAGs share: from 2026-01-01 (Asia/Shanghai), no
    catch-up, one run at a time, ``doc`` as the DAG's page, no retry at the DAG level (a task that
    writes sets :data:`FILE_TASK_RETRIES`) and the alert on a failed task
    (``carbon.monitor.notify.on_failure``)."""
    import pendulum

    from carbon.monitor.notify import on_failure

    return {
        "start_date": pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
        "catchup": False,
        "max_active_runs": 1,
        "doc_md": doc,
        "default_args": {"retries": 0, "on_failure_callback": on_failure},
    }


def log_report(rep: dict, figure: str, **counts: str) -> dict:
    """A DAG's ``summary``: ``figures(figure, name=len(rep[key]) for name=key in counts)`` and the
    whole report as JSON in the task log; returns ``rep`` (the task's XCom)."""
    import json

    from carbon.orchestration.airflow_logs import figures, log

    figures(figure, **{name: len(rep[key]) for name, key in counts.items()})
    log.info("%s", json.dumps(rep, ensure_ascii=False, indent=2))
    return rep


def fan_out(listed, mapped, summary, check, arg: str) -> None:
    """The shape of each dispatch DAG: ``listed()`` → ``mapped`` once per item (``arg=item``) →
    ``summary(items)`` after every mapped task → ``check(report)``."""
    items = listed()
    done = mapped.expand(**{arg: items})
    report = summary(items)
    done >> report
    check(report)
