"""
### dispatch_intraday — hourly re-plan of every data-centre site from its telemetry (airflow)

Runs every hour at **:05 Asia/Shanghai** (after the hour's 15-minute telemetry has landed) and
re-plans the rest of the plan day (issue 13 §2, model-predictive control).

1. `replan_groups` reads the scenario YAML (`conf.scenario`, default `scenarios/yancheng_dc.yaml`)
   and splits its sites into the groups solved together, each with the re-plan's `now`.
2. `replan_sites` is **mapped**, one task instance per group (`optimizers.intraday.run_replan_group`):
   k = the first step starting at or after `now`; the measured SoC (latest `battery_soc`), the
   energy each job has had (the executed part of the plan in force: the day-ahead plan overlaid by
   the day's earlier re-plans), running non-preemptive jobs and the day's peak import so far are
   taken from the lake; `optimizers.mpc.replan` re-plans steps k…; the re-plan is written to
   `lake/dispatch_replans/plan=<date>__<site_id>__k<kk>/` (and its job kW to
   `lake/dispatch_job_plans/`), atomically, and so is each site's virtual capacity curve of the
   plan in force (the plan in force before k, the re-plan from k):
   `outputs/dispatch/vcc/<date>__<site_id>__k<kk>.json|.csv` and, when k is the day's highest so
   far, the copy `<date>__<site_id>.latest.json` the admission controller reads. Bad input (a stopped feed, an SoC out of bounds, a
   forecast gap, no day-ahead plan) falls back to the last good state with a logged reason and the
   flags `state_fallback`, `forecast_gap`, `fallback_reason`: never a crash. An infeasible re-plan
   fails its task only, without retries; file errors are retried twice with backoff. Reruns are
   idempotent (re-plans at k or later are not read back, and the partitions are rewritten whole).
3. `summary` (`trigger_rule=all_done`) reports which sites were re-planned and which failed, and
   publishes the asset `carbon://lake/dispatch_replans`.
4. `check_all_replanned` fails the run when any site failed.

Conf (all optional): `scenario` (path), `date` (YYYY-MM-DD, default: the local date of `now`),
`now` (ISO time, default: the run's logical date), `solver` (highs|cbc).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

# tasks that write lake partitions: retried with backoff, except an infeasible re-plan
from carbon.orchestration import taskconf

DISPATCH_REPLANS = Asset("carbon://lake/dispatch_replans")


@dag(
    dag_id="dispatch_intraday",
    schedule="5 * * * *",
    params={"scenario": None, "date": None, "now": None, "solver": "highs"},
    tags=["dispatch", "源网荷储", "intraday"],
    **taskconf.dispatch_dag(__doc__),
)
def dispatch_intraday():
    @task
    def replan_groups() -> list[dict]:
        from carbon.config import TZ
        from carbon.orchestration.airflow_logs import log
        from optimizers.intraday import as_local, list_replan_groups

        conf = taskconf.dag_conf()
        now = conf.get("now")
        if not now:
            logical = get_current_context().get("logical_date")
            now = (pendulum.instance(logical) if logical else pendulum.now(TZ)).isoformat()
        t = as_local(now)
        plan_date = str(conf.get("date") or t.date())
        groups = list_replan_groups(
            conf.get("scenario"), plan_date, t.isoformat(), solver=conf.get("solver") or "highs"
        )
        log.info("re-plan %s at %s: %d group(s)", plan_date, t.isoformat(), len(groups))
        return groups

    @task(map_index_template="{{ group_label }}", **taskconf.FILE_TASK_RETRIES)
    def replan_sites(group: dict) -> dict:
        from airflow.exceptions import AirflowFailException

        from carbon.orchestration.airflow_logs import figures, log
        from optimizers.intraday import run_replan_group

        outcome = taskconf.run_mapped(run_replan_group, group, "group_label", group["label"])
        if not outcome["ok"]:
            why = outcome.get("error") or outcome.get("explanation") or outcome["status"]
            raise AirflowFailException(f"sites {group['site_ids']}: {outcome['status']}: {why}")
        for sid, f in (outcome.get("flags") or {}).items():
            figures(
                f"dispatch_intraday/{sid}",
                date=group["date"],
                k=outcome["k"],
                soc_start_kwh=round(f["soc_start_kwh"], 3),
                state_fallback=f["state_fallback"],
                forecast_gap=f["forecast_gap"],
                solve_s=round(outcome["solve_s"], 4),
            )
        for path in outcome["vccs"]:
            log.info("capacity curve written: %s", path)
        return {
            "label": group["label"],
            "partitions": outcome["partitions"],
            "vccs": outcome["vccs"],
        }

    @task(trigger_rule="all_done", outlets=[DISPATCH_REPLANS])
    def summary(groups: list[dict] | None) -> dict:
        from optimizers.runner import report

        rep = report(groups, taskconf.mapped_outcomes("replan_sites", len(groups or [])))
        return taskconf.log_report(
            rep, "dispatch_intraday/summary", replanned="planned", failed="failed"
        )

    @task(trigger_rule="all_done")
    def check_all_replanned(report: dict | None) -> None:
        taskconf.check_report(report, "sites not re-planned")

    taskconf.fan_out(replan_groups, replan_sites, summary, check_all_replanned, "group")


dispatch_intraday_dag = dispatch_intraday()
