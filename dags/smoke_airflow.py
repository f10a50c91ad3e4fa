"""Smoke DAG (airflow) used to check the runner; removed once real DAGs land."""
import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"), catchup=False, doc_md=__doc__)
def smoke():
    @task
    def a() -> int:
        return 1

    @task
    def b(x: int) -> None:
        if x != 1:
            raise ValueError(x)

    b(a())


smoke_dag = smoke()
