"""
### dispatch_day_ahead — day-ahead 源网荷储 plan for every data-centre site (airflow)

Runs every day at **09:30 Asia/Shanghai**, before the Jiangsu day-ahead market closes (the
trading centre takes day-ahead bids in the morning of D-1), and plans **tomorrow** (D+1).

1. `plan_groups` reads the scenario YAML (`conf.scenario`, default `scenarios/yancheng_dc.yaml`)
   and splits its sites into groups solved together (sites that share a job pool form one group;
   every other site is its own group).
2. `plan_sites` is **mapped**, one task instance per group: build → solve (HiGHS) → write
   `lake/dispatch_plans/plan=<date>__<site_id>/` and `lake/dispatch_kpis/...`, a KPI JSON and a
   schedule PNG under `outputs/dispatch/` (all through `optimizers.runner.plan_group`, the runner
   `carbon dispatch` calls too). Its outcome (status, explanation, partitions, KPIs) goes to the
   XCom `outcome`. An infeasible site fails *its* task only, without retries (a re-solve gives
   the same answer); any other error (lake or file I/O) is retried twice with exponential
   backoff. Reruns are idempotent: each task owns its partitions and rewrites them atomically.
3. `summary` (`trigger_rule=all_done`) reads the outcomes from XCom, reports which sites were
   planned and which failed (and why), and publishes the asset `carbon://lake/dispatch_plans`
   for the dbt mart `dispatch_site_daily`.
4. `check_all_planned` fails the run when any site failed, so the run shows red and alerts, after
   the good plans have been written and published.

Conf (all optional): `scenario` (path), `date` (YYYY-MM-DD, default: logical date + 1 day),
`horizon` (1d…365d), `solver` (highs|cbc), `milp` (bool).
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

# tasks that write files: retried with backoff, except an infeasible plan (same answer again)
from carbon.orchestration import taskconf

DISPATCH_PLANS = Asset("carbon://lake/dispatch_plans")


@dag(
    dag_id="dispatch_day_ahead",
    schedule="30 9 * * *",
    params={"scenario": None, "date": None, "horizon": None, "solver": "highs", "milp": False},
    tags=["dispatch", "源网荷储"],
    **taskconf.dispatch_dag(__doc__),
)
def dispatch_day_ahead():
    @task
    def plan_groups() -> list[dict]:
        from carbon.orchestration.airflow_logs import log
        from optimizers.runner import list_groups

        conf = taskconf.dag_conf()
        plan_date = taskconf.target_date(conf)  # conf date, else tomorrow (D+1) of the logical date
        groups = list_groups(
            conf.get("scenario"),
            str(plan_date),
            horizon=conf.get("horizon"),
            solver=conf.get("solver") or "highs",
            milp=bool(conf.get("milp", False)),
        )
        log.info("plan %s: %d group(s): %s", plan_date, len(groups), [g["label"] for g in groups])
        return groups

    @task(map_index_template="{{ group_label }}", **taskconf.FILE_TASK_RETRIES)
    def plan_sites(group: dict) -> dict:
        from airflow.exceptions import AirflowFailException

        from carbon.orchestration.airflow_logs import figures
        from optimizers.runner import run_group

        outcome = taskconf.run_mapped(run_group, group, "group_label", group["label"])
        if not outcome["ok"]:
            why = outcome.get("explanation") or outcome["status"]
            raise AirflowFailException(f"sites {group['site_ids']}: {outcome['status']}: {why}")
        for k in outcome.get("kpis") or []:
            figures(
                f"dispatch/{k.get('site_id')}",
                date=group["date"],
                status=outcome["status"],
                cost_cny=k.get("cost_cny"),
                tco2=k.get("tco2"),
                green_share=k.get("green_share"),
            )
        return {"label": group["label"], "partitions": outcome["partitions"]}

    @task(trigger_rule="all_done", outlets=[DISPATCH_PLANS])
    def summary(groups: list[dict] | None) -> dict:
        from optimizers.runner import report

        rep = report(groups, taskconf.mapped_outcomes("plan_sites", len(groups or [])))
        return taskconf.log_report(rep, "dispatch/summary", planned="planned", failed="failed")

    @task(trigger_rule="all_done")
    def check_all_planned(report: dict | None) -> None:
        taskconf.check_report(report, "sites not planned")

    taskconf.fan_out(plan_groups, plan_sites, summary, check_all_planned, "group")


dispatch_day_ahead_dag = dispatch_day_ahead()
