"""dispatch_forecast under real Airflow: each site's day-ahead forecast in the lake; a site whose
telemetry feed stopped fails its own task, named, and the run shows red; a rerun replaces."""

from __future__ import annotations

import pandas as pd
import pytest

from carbon.demo.history import demo_sites, telemetry_history
from carbon.orchestration.dagrun import run_dag
from carbon.pipeline.lake import write_partition
from optimizers.forecast import io as fio

TARGET = "2026-11-01"


def _telemetry(home, site, start, end):
    df = telemetry_history([site], start, end, seed=7)
    for day, part in df.groupby(df["ts"].dt.strftime("%Y-%m-%d")):
        path = home / "lake" / "datacenter_telemetry" / f"date={day}" / "part-0.parquet"
        if path.exists():  # the other site's rows of the same day
            part = pd.concat([pd.read_parquet(path), part], ignore_index=True)
        write_partition("datacenter_telemetry", "date", day, part, home=home)


@pytest.mark.slow
def test_dag_forecasts_every_site_and_isolates_a_stopped_feed(tmp_path, capsys):
    home = tmp_path / "home"
    good, stopped = demo_sites()
    _telemetry(home, good, "2026-09-01", "2026-10-31")  # up to the day before the target
    _telemetry(home, stopped, "2026-09-01", "2026-10-20")  # its feed stopped 11 days ago
    conf = {"date": TARGET, "history_days": 60}

    res = run_dag("dispatch_forecast", home, conf=conf)
    states = res.task_states
    assert states["forecast_sites"] == "success", res.output[-3000:]
    mapped = {k: v for k, v in states.items() if k.startswith("forecast_site[")}
    assert sorted(mapped.values()) == ["failed", "success"], states
    assert states["summary"] == "success"  # all_done: publishes the good site's forecast
    assert states["check_all_forecast"] == "failed" and res.state == "failed"
    assert f"site {stopped.site_id}: no forecast for {TARGET}: " in res.output
    assert "telemetry feed stopped at 2026-10-20" in res.output

    fc = fio.read_forecasts(good.site_id, [TARGET], home=home)
    assert len(fc) == 2 * 3 * 96  # it_kw and pv_kw, P10/P50/P90, 96 steps
    wide = fc.pivot_table(index=["series", "target_ts"], columns="quantile", values="value")
    assert (wide["p10"] <= wide["p50"] + 1e-9).all() and (wide["p50"] <= wide["p90"] + 1e-9).all()
    assert fio.read_forecasts(stopped.site_id, [TARGET], home=home).empty
    parts = sorted(p.name for p in (home / "lake" / "dispatch_forecasts").iterdir())
    assert parts == [f"forecast={TARGET}__{good.site_id}"]

    # a rerun (the task's runner again) replaces the partition, never appends
    from carbon.config import paths
    from optimizers.forecast.runner import issue_one, list_sites

    item = next(i for i in list_sites(None, TARGET, 60) if i["site_id"] == good.site_id)
    assert issue_one(item, paths(home).home)["ok"]
    fc2 = fio.read_forecasts(good.site_id, [TARGET], home=home)
    assert len(fc2) == len(fc)
    assert sorted(p.name for p in (home / "lake" / "dispatch_forecasts").iterdir()) == parts
    # the command line: the stopped site gets none, exit 1, the reason in the table
    from carbon.cli import main

    rc = main(["--home", str(home), "forecast", "--date", TARGET, "--sites", stopped.site_id])
    assert rc == 1
    assert "feed stopped" in capsys.readouterr().out
