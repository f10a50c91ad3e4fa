"""
### dispatch_forecast — day-ahead forecasts of each data-centre site's IT load and PV (airflow)

Runs every day at **08:30 Asia/Shanghai**, an hour before `dispatch_day_ahead` (09:30), and
forecasts **tomorrow** (D+1): P10/P50/P90 of IT load and PV from each site's
`datacenter_telemetry` (LightGBM quantile regression in the pvlib clear-sky frame,
`optimizers.forecast`, docs/forecast.md). A scenario with `forecast: model` plans on the P50.

1. `forecast_sites` reads the scenario (`conf.scenario`, default `scenarios/yancheng_dc.yaml`)
   and lists its sites.
2. `forecast_site` is **mapped**, one task instance per site: read the history → forecast →
   write `lake/dispatch_forecasts/forecast=<date>__<site_id>/` (atomic; a rerun replaces the
   partition whole). A site whose data cannot give a forecast (its telemetry feed stopped, too
   little history) fails *its* task at once, naming the reason, without retries (the answer would
   not change); an I/O error is retried twice with exponential backoff.
3. `summary` (`trigger_rule=all_done`) reports which sites got a forecast and which did not,
   and why, and publishes the asset `carbon://lake/dispatch_forecasts`.
4. `check_all_forecast` fails the run when any site got none, so the run shows red and the duty
   officer is alerted (the day-ahead plan of that site then falls back, flagged
   `forecast_fallback`), after the good forecasts have been written and published.

Conf (all optional): `scenario` (path), `date` (the target day YYYY-MM-DD; default: logical date
+ 1 day), `history_days` (default 120).
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from carbon.orchestration import taskconf

DISPATCH_FORECASTS = Asset("carbon://lake/dispatch_forecasts")


@dag(
    dag_id="dispatch_forecast",
    schedule="30 8 * * *",
    params={"scenario": None, "date": None, "history_days": None},
    tags=["dispatch", "forecast", "源网荷储"],
    **taskconf.dispatch_dag(__doc__),
)
def dispatch_forecast():
    @task
    def forecast_sites() -> list[dict]:
        from carbon.orchestration.airflow_logs import log
        from optimizers.forecast.runner import list_sites

        conf = taskconf.dag_conf()
        day = taskconf.target_date(conf)
        items = list_sites(conf.get("scenario"), day, conf.get("history_days"))
        log.info("forecast %s: %d site(s): %s", day, len(items), [i["site_id"] for i in items])
        return items

    @task(map_index_template="{{ site_label }}", **taskconf.FILE_TASK_RETRIES)
    def forecast_site(item: dict) -> dict:
        from airflow.exceptions import AirflowFailException

        from carbon.orchestration.airflow_logs import figures
        from optimizers.forecast.runner import issue_one

        outcome = taskconf.run_mapped(issue_one, item, "site_label", item["site_id"])
        if not outcome["ok"]:
            raise AirflowFailException(
                f"site {item['site_id']}: no forecast for {item['date']}: {outcome['reason']}"
            )
        figures(
            f"forecast/{item['site_id']}",
            date=item["date"],
            rows=outcome["rows"],
            model=outcome["model_version"],
        )
        return outcome

    @task(trigger_rule="all_done", outlets=[DISPATCH_FORECASTS])
    def summary(items: list[dict] | None) -> dict:
        from optimizers.forecast.runner import report

        rep = report(items, taskconf.mapped_outcomes("forecast_site", len(items or [])))
        return taskconf.log_report(rep, "forecast/summary", forecast="forecast", failed="failed")

    @task(trigger_rule="all_done")
    def check_all_forecast(report: dict | None) -> None:
        taskconf.check_report(report, "sites without a forecast", reasons=True)

    taskconf.fan_out(forecast_sites, forecast_site, summary, check_all_forecast, "item")


dispatch_forecast_dag = dispatch_forecast()
