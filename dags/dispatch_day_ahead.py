"""
### dispatch_day_ahead — day-ahead 源网荷储 plan for every data-centre site (airflow)

Runs every day at **09:30 Asia/Shanghai**, before the Jiangsu day-ahead market closes (the
trading centre takes day-ahead bids in the morning of D-1), and plans **tomorrow** (D+1).

1. `plan_groups` reads the scenario YAML (`conf.scenario`, default `scenarios/yancheng_dc.yaml`)
   and splits its sites into groups solved together (sites that share a job pool form one group;
   every other site is its own group).
2. `plan_sites` is **mapped**, one task instance per group: build → solve (HiGHS) → write
   `lake/dispatch_plans/plan=<date>__<site_id>/` and `lake/dispatch_kpis/...`, a KPI JSON and a
   schedule PNG under `outputs/dispatch/`. An infeasible or broken site fails *its* task only.
3. `summary` (`trigger_rule=all_done`) reports which sites were planned and which failed, and
   publishes the asset `carbon://lake/dispatch_plans` for the dbt mart `dispatch_site_daily`.
4. `check_all_planned` fails the run when any site failed, so the run shows red and alerts, after
   the good plans have been written and published.

Conf (all optional): `scenario` (path), `date` (YYYY-MM-DD, default: logical date + 1 day),
`horizon` (1d…365d), `solver` (highs|cbc), `milp` (bool).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

from carbon.monitor.notify import on_failure

DISPATCH_PLANS = Asset("carbon://lake/dispatch_plans")


def _conf() -> dict:
    ctx = get_current_context()
    conf = dict(ctx["params"] or {})
    dr = ctx.get("dag_run")
    if dr is not None and dr.conf:
        conf.update({k: v for k, v in dr.conf.items() if v is not None})
    return conf


def _status_path(plan_date: str, label: str):
    from carbon.config import paths

    return paths().outputs / "dispatch" / "status" / f"{plan_date}__{label}.json"


@dag(
    dag_id="dispatch_day_ahead",
    schedule="30 9 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args={"retries": 0, "on_failure_callback": on_failure},
    params={"scenario": None, "date": None, "horizon": None, "solver": "highs", "milp": False},
    tags=["dispatch", "源网荷储"],
)
def dispatch_day_ahead():
    @task
    def plan_groups() -> list[dict]:
        from carbon.config import TZ
        from optimizers.scenario import DEFAULT_SCENARIO, load_scenario

        conf = _conf()
        path = conf.get("scenario") or str(DEFAULT_SCENARIO)
        sc = load_scenario(path)
        if conf.get("date"):
            plan_date = str(conf["date"])
        else:
            logical = get_current_context().get("logical_date")
            now = pendulum.instance(logical) if logical else pendulum.now(TZ)
            plan_date = now.in_timezone(TZ).add(days=1).to_date_string()
        groups = [
            {
                "label": "+".join(ids),
                "site_ids": ids,
                "scenario": str(sc.path),
                "date": plan_date,
                "horizon": conf.get("horizon"),
                "solver": conf.get("solver") or "highs",
                "milp": bool(conf.get("milp", False)),
            }
            for ids in sc.site_groups()
        ]
        from carbon.orchestration.airflow_logs import log

        log.info("plan %s: %d group(s): %s", plan_date, len(groups), [g["label"] for g in groups])
        return groups

    @task(map_index_template="{{ group_label }}")
    def plan_sites(group: dict) -> dict:
        import json

        from airflow.exceptions import AirflowFailException

        from carbon.config import paths
        from optimizers.runner import plan_group
        from optimizers.scenario import load_scenario

        get_current_context()["group_label"] = group["label"]
        status = _status_path(group["date"], group["label"])
        status.parent.mkdir(parents=True, exist_ok=True)
        status.unlink(missing_ok=True)
        try:
            outcome = plan_group(
                load_scenario(group["scenario"]),
                group["site_ids"],
                group["date"],
                group["horizon"],
                paths().home,
                solver=group["solver"],
                milp=True if group["milp"] else None,
            )
            summary = outcome.summary()
        except Exception as exc:  # record, then fail this task only
            summary = {
                "site_ids": group["site_ids"],
                "ok": False,
                "status": "error",
                "error": f"{type(exc).__name__}: {exc}",
            }
        status.write_text(json.dumps(summary, ensure_ascii=False, default=str), encoding="utf-8")
        if not summary["ok"]:
            why = summary.get("error") or summary.get("explanation") or summary["status"]
            raise AirflowFailException(f"sites {group['site_ids']}: {summary['status']}: {why}")
        from carbon.orchestration.airflow_logs import figures

        for k in summary.get("kpis") or []:
            figures(
                f"dispatch/{k.get('site_id')}",
                date=group["date"],
                status=summary["status"],
                cost_cny=k.get("cost_cny"),
                tco2=k.get("tco2"),
                green_share=k.get("green_share"),
            )
        return {"label": group["label"], "partitions": summary["partitions"]}

    @task(trigger_rule="all_done", outlets=[DISPATCH_PLANS])
    def summary(groups: list[dict] | None) -> dict:
        import json

        planned, failed = [], {}
        if groups is None:  # plan_groups failed: the scenario could not be read
            failed["*"] = "scenario not read (see plan_groups)"
        for g in groups or []:
            p = _status_path(g["date"], g["label"])
            s = json.loads(p.read_text(encoding="utf-8")) if p.exists() else None
            if s and s.get("ok"):
                planned += g["site_ids"]
            else:
                why = (s or {}).get("error") or (s or {}).get("explanation") or "task did not run"
                for sid in g["site_ids"]:
                    failed[sid] = str(why)[:500]
        report = {
            "date": groups[0]["date"] if groups else None,
            "planned": planned,
            "failed": failed,
        }
        from carbon.orchestration.airflow_logs import figures, log

        figures("dispatch/summary", planned=len(planned), failed=len(failed))
        log.info("%s", json.dumps(report, ensure_ascii=False, indent=2))
        return report

    @task(trigger_rule="all_done")
    def check_all_planned(report: dict | None) -> None:
        if report is None:
            raise RuntimeError("summary did not run")
        if report["failed"]:
            raise RuntimeError(f"sites not planned: {sorted(report['failed'])}")

    groups = plan_groups()
    planned = plan_sites.expand(group=groups)
    report = summary(groups)
    planned >> report
    check_all_planned(report)


dispatch_day_ahead_dag = dispatch_day_ahead()
