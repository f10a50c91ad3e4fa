"""Province night (airflow DAG ``province_nightly``): Jiangsu's city homes, then the roll-up.

Conf: ``{"province_home": "/data/jiangsu", "lock_timeout": 0}`` (the province home holds
``cities/<code>/`` and gets ``province/province.duckdb``; default: the task's data home).

Tasks (logic in ``carbon.province.nightly``):

1. ``cities``: the city homes present, one item each.
2. ``city_night`` (mapped over the cities, ``expand``): that city's ingest and ledger build on its
   own home and its own warehouse file (one writer per DuckDB file); deadline 4 h a city
   (``execution_timeout``), past it the city is missing with the timeout as its reason.
3. ``roll_up`` (``trigger_rule=all_done``: one failed city stops no other): the province marts,
   a failed city marked missing with its reason. Publishes ``Asset("carbon://province/marts")``.

Everything a task needs comes through the conf and the run id, never the environment, so the DAG
runs unchanged on the LocalExecutor and on a CeleryExecutor's workers.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

TZ = "Asia/Shanghai"
PROVINCE_MARTS = Asset("carbon://province/marts")


def _conf() -> dict:
    from carbon.config import paths
    from carbon.orchestration.taskconf import dag_conf

    conf = dag_conf()
    conf.setdefault("province_home", None)
    conf["province_home"] = str(conf["province_home"] or paths().home)
    return conf


@dag(
    dag_id="province_nightly",
    schedule=CronTriggerTimetable("30 1 * * *", timezone=TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    params={"province_home": None, "lock_timeout": 0},
    tags=["province", "ledgers"],
    default_args={"retries": 0},
)
def province_nightly():
    @task
    def cities() -> list[dict]:
        from carbon.province.nightly import city_items

        return city_items(_conf()["province_home"])

    # the deadline: a city still running 4 h after its start is stopped (AirflowTaskTimeout),
    # recorded as failed and rolled up as missing with that reason
    @task(execution_timeout=timedelta(hours=4))
    def city_night(item: dict) -> dict:
        from carbon.province.nightly import run_city

        conf = _conf()
        run_id = get_current_context()["run_id"]
        return run_city(
            item["province_home"], item["city_code"], run_id, float(conf.get("lock_timeout") or 0)
        )

    @task(trigger_rule="all_done", outlets=[PROVINCE_MARTS])
    def roll_up() -> dict:
        from carbon.province.nightly import roll_up as do

        return do(_conf()["province_home"], get_current_context()["run_id"])

    city_night.expand(item=cities()) >> roll_up()


province_nightly()
