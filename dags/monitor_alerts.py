"""Monitoring and early warning (airflow DAG ``monitor_alerts``, 感知-监测-预警-应急).

Runs when the ledgers (``carbon://warehouse/ledgers``) or the dispatch plans
(``carbon://lake/dispatch_plans``) are updated. Tasks:

1. ``evaluate``: every rule of ``carbon/monitor/rules.yaml`` over the warehouse (read-only), the
   lake and the load reports; new observations go to the append-only stores under
   ``<home>/monitor`` (outside the warehouse); the night's alert figures are logged.
2. ``publish``: ``dbt build --select mon_alerts`` puts the current state into the warehouse.
3. ``notify``: new and escalated alerts to the configured targets (``<home>/config/notify.yaml``)
   through the notifiers of ``carbon.monitor.notify``; an unreachable target never fails the
   night: it is retried with backoff, recorded undelivered and sent again next run.

A failed task (of this or any project DAG) tells the operator (``on_failure_callback``).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetAny, dag, task

from carbon.monitor.notify import on_failure

TZ = "Asia/Shanghai"


@dag(
    dag_id="monitor_alerts",
    schedule=AssetAny(Asset("carbon://warehouse/ledgers"), Asset("carbon://lake/dispatch_plans")),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["monitor", "alerts"],
    default_args={"retries": 0, "on_failure_callback": on_failure},
    on_failure_callback=on_failure,
)
def monitor_alerts():
    @task
    def evaluate() -> dict:
        from carbon.config import paths
        from carbon.monitor.engine import evaluate as run
        from carbon.orchestration.airflow_logs import figures, log

        res = run(paths().home)  # the home resolved once, here (the task's CARBON_HOME)
        s = res.summary()
        a = res.alerts
        n_open = int((a["status"] == "open").sum()) if len(a) else 0
        figures(
            "monitor/evaluate",
            alerts_new=s["new"],
            alerts_open=n_open,
            alerts_active=s["active"],
            alerts_escalated=s["escalated"],
        )
        for rule, n in sorted(s["by_rule"].items()):
            log.info("  %-28s %5d", rule, n)
        for note in s["notes"]:
            log.info("  note: %s", note)
        return s

    @task
    def publish(summary: dict) -> dict:
        from carbon.config import paths
        from carbon.pipeline.warehouse import build as ledgers

        r = ledgers.build(paths().home, select=["mon_alerts"])
        return {"seconds": round(r.seconds, 2), **summary}

    @task
    def notify(summary: dict) -> dict:
        from carbon.config import paths
        from carbon.monitor import lifecycle as lc
        from carbon.monitor.notify import send_alerts
        from carbon.monitor.rules import load_rules
        from carbon.orchestration.airflow_logs import figures, log

        home = paths().home
        out = send_alerts(home, lc.alert_table(home), load_rules().notify_min_severity)
        if out["previously_undelivered"]:
            log.warning(
                "!! %s notification(s) undelivered last run: sent again",
                out["previously_undelivered"],
            )
        if out["undelivered"]:
            log.warning(
                "!! %s notification(s) UNDELIVERED (target unreachable)", out["undelivered"]
            )
        figures("monitor/notify", **{k: v for k, v in out.items() if isinstance(v, int)})
        return out

    notify(publish(evaluate()))


monitor_alerts_dag = monitor_alerts()
