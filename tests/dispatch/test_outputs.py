"""Plans in the lake (round trip), the `carbon dispatch` CLI end to end, and the dbt mart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import EAST_WEST, REPO, YANCHENG, small_raw

from carbon.cli import main as carbon_main
from carbon.pipeline.lake import read_dataset
from optimizers.runner import KPIS, PLANS, plan_group, plans_schema
from optimizers.scenario import load_scenario, parse_scenario

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_MAGIC
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_plan_lake_round_trip(tmp_path):
    sc = parse_scenario(yaml.safe_dump(small_raw()))
    out = plan_group(sc, None, "2026-07-15", "1d", tmp_path, png=False)
    assert out.ok, out.explanation
    assert out.partitions == ["2026-07-15__S1"]
    f = tmp_path / "lake" / PLANS / "plan=2026-07-15__S1" / "part-0.parquet"
    assert f.exists()
    back = read_dataset(PLANS, tmp_path)
    assert len(back) == 24
    assert back["plan"].unique().tolist() == ["2026-07-15__S1"]  # hive value, as text
    import pyarrow.parquet as pq

    assert pq.read_schema(f).equals(plans_schema())
    ts = pd.DatetimeIndex(back.sort_values("ts")["ts"]).tz_convert("Asia/Shanghai")
    assert ts[0] == pd.Timestamp("2026-07-15 00:00", tz="Asia/Shanghai") and ts.is_unique
    # the stored plan is the solver's plan, and its energy balances every step
    r = out.result.plan.sort_values("ts")
    b = back.sort_values("ts")
    np.testing.assert_allclose(b["grid_import_kw"].to_numpy(), r["grid_import_kw"].to_numpy())
    supply = b.pv_used_kw + b.wind_used_kw + b.grid_import_kw + b.battery_discharge_kw + b.backup_kw
    demand = b.facility_kw + b.battery_charge_kw + b.grid_export_kw
    np.testing.assert_allclose(supply.to_numpy(), demand.to_numpy(), atol=1e-5)
    k = read_dataset(KPIS, tmp_path)
    assert (
        len(k) == 1 and k.loc[0, "status"] == "optimal" and k.loc[0, "uscc"] == "91320902JRCN9QAQ9Y"
    )
    import_kwh = float((b.grid_import_kw * b.step_hours).sum())
    assert k.loc[0, "grid_import_kwh"] == pytest.approx(import_kwh, rel=1e-6)
    # rerun replaces the partition (idempotent), no second file
    again = plan_group(sc, None, "2026-07-15", "1d", tmp_path, png=False)
    assert again.ok and len(read_dataset(PLANS, tmp_path)) == 24


def test_cli_end_to_end_example(tmp_path, capsys):
    home = tmp_path / "home"
    rc = carbon_main(["--home", str(home), "dispatch", "--scenario", str(YANCHENG)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "YC-DC-01" in out and "YC-DC-02" in out and "optimal" in out
    for site in ("YC-DC-01", "YC-DC-02"):
        part = home / "lake" / PLANS / f"plan=2026-07-15__{site}" / "part-0.parquet"
        assert part.exists()
        png = home / "outputs" / "dispatch" / f"2026-07-15__{site}.png"
        assert png.stat().st_size > 40_000  # four panels of data, not an empty canvas
        w, h = _png_size(png)
        assert w > 1000 and h > 1000
        kpis = json.loads(
            (home / "outputs" / "dispatch" / f"2026-07-15__{site}.kpis.json").read_text()
        )
        assert kpis["status"] == "optimal" and kpis["jobs_on_time"] == kpis["jobs_total"]
    plans = read_dataset(PLANS, home)
    assert len(plans) == 2 * 96
    k = read_dataset(KPIS, home).set_index("site_id")
    # YC-DC-01 meets its green-share target of 0.8 (binding or not, never below)
    assert k.loc["YC-DC-01", "green_share"] >= 0.8 - 1e-6


def test_cli_infeasible_exits_nonzero_with_explanation(tmp_path, capsys):
    raw = small_raw()
    raw["sites"][0]["grid"]["import_max_kw"] = 100
    raw["sites"][0].pop("battery")
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(raw), encoding="utf-8")
    rc = carbon_main(["--home", str(tmp_path / "h"), "dispatch", "--scenario", str(f)])
    out = capsys.readouterr().out
    assert rc == 1  # the work failed (carbon.cli.args.EXIT_FAILED), named in the output
    assert "infeasible" in out.lower() and "S1" in out
    assert not (tmp_path / "h" / "lake" / PLANS).exists()
    bad = tmp_path / "typo.yaml"
    raw["sites"][0]["batery"] = {}
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert carbon_main(["dispatch", "--scenario", str(bad)]) == 1
    assert "sites[0].batery: unknown key" in capsys.readouterr().out


def test_cli_frontier_writes_table_and_chart(small_scenario_file, tmp_path, capsys):
    home = tmp_path / "home"
    rc = carbon_main(
        ["--home", str(home), "dispatch", "--scenario", str(small_scenario_file), "--frontier"]
    )
    assert rc == 0, capsys.readouterr().out
    csv = home / "outputs" / "dispatch" / "2026-07-15__small.frontier.csv"
    t = pd.read_csv(csv)
    assert len(t) >= 5 and (t["status"] == "optimal").all()
    t = t.sort_values("carbon_price_cny_per_t")
    # a higher carbon price never raises emissions and never lowers the cost
    assert (np.diff(t["tco2"].to_numpy()) <= 1e-6).all()
    assert (np.diff(t["cost_cny"].to_numpy()) >= -1e-6).all()
    assert (
        home / "outputs" / "dispatch" / "2026-07-15__small.frontier.png"
    ).stat().st_size > 10_000


def _dbt_project(tmp_path: Path) -> Path:
    """A throw-away dbt project holding only models/marts/dispatch (real dbt, real DuckDB)."""
    proj = tmp_path / "dbt"
    # without the enterprise account's models: the join mart is built in test_mart_joins_account
    shutil.copytree(
        REPO / "models" / "marts" / "dispatch",
        proj / "models" / "marts" / "dispatch",
        ignore=shutil.ignore_patterns("dispatch_enterprise_monthly.sql"),
    )
    yml = proj / "models" / "marts" / "dispatch" / "_dispatch__models.yml"
    text = yml.read_text(encoding="utf-8")
    yml.write_text(
        text.split("\n  - name: dispatch_enterprise_monthly")[0] + "\n", encoding="utf-8"
    )
    (proj / "dbt_project.yml").write_text(
        "name: dispatch_only\nversion: '1.0.0'\nconfig-version: 2\nprofile: dispatch_only\n"
        "model-paths: ['models']\nmodels:\n  dispatch_only:\n    +materialized: table\n",
        encoding="utf-8",
    )
    (proj / "profiles.yml").write_text(
        "dispatch_only:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{tmp_path / 'wh.duckdb'}'\n      threads: 1\n",
        encoding="utf-8",
    )
    return proj


def _dbt_build(proj: Path, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, CARBON_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [
            str(dbt),
            "build",
            "--project-dir",
            str(proj),
            "--profiles-dir",
            str(proj),
            "--vars",
            json.dumps({"lake_path": str(home / "lake")}),
        ],
        env=env,
        cwd=proj,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_dbt_mart_dispatch_site_daily(tmp_path):
    home = tmp_path / "home"
    proj = _dbt_project(tmp_path)
    # fresh home, no plans: the mart builds empty (the nightly build must not fail)
    r = _dbt_build(proj, home)
    assert r.returncode == 0, r.stdout[-3000:]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    assert con.execute("select count(*) from dispatch_site_daily").fetchone()[0] == 0
    con.close()

    out = plan_group(load_scenario(YANCHENG), None, "2026-07-15", "1d", home, png=False)
    assert out.ok
    raw = small_raw()
    assert plan_group(
        parse_scenario(yaml.safe_dump(raw)), None, "2026-07-16", "1d", home, png=False
    ).ok
    r = _dbt_build(proj, home)
    assert r.returncode == 0, r.stdout[-3000:]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    mart = con.execute("select * from dispatch_site_daily order by plan_date, site_id").df()
    con.close()
    assert mart[["site_id", "plan_date"]].astype(str).values.tolist() == [
        ["YC-DC-01", "2026-07-15"],
        ["YC-DC-02", "2026-07-15"],
        ["S1", "2026-07-16"],
    ]
    kp = out.result.kpis.set_index("site_id")
    row = mart.set_index("site_id").loc["YC-DC-01"]
    plan = out.result.plan[out.result.plan.site_id == "YC-DC-01"]
    assert row["planned_import_kwh"] == pytest.approx(float(plan.grid_import_kw.sum()) * 0.25)
    assert row["tco2"] == pytest.approx(kp.loc["YC-DC-01", "tco2"])
    assert row["cost_cny"] == pytest.approx(kp.loc["YC-DC-01", "cost_cny"])
    assert row["month"] == "2026-07" and row["uscc"] == "91320902JRCN9QAQ9Y"
    assert row["n_steps"] == 96 and row["jobs_on_time"] == 3


def test_shared_job_pool_east_west(tmp_path):
    out = plan_group(load_scenario(EAST_WEST), None, None, None, tmp_path, png=False)
    assert out.ok, out.explanation
    assert sorted(out.partitions) == ["2026-07-15__NX-ZW01", "2026-07-15__YC-DC-01"]
    jobs = out.result.jobs
    done = jobs.groupby("job_id")["kw"].sum()  # hourly steps: kW·1 h = kWh
    assert done["train-llm-a"] == pytest.approx(30000, rel=1e-6)
    assert done["train-vision-b"] == pytest.approx(12000, rel=1e-6)
    # a job restricted to the eastern site never runs in the west
    assert set(jobs.loc[jobs.job_id == "east-only-report", "site_id"]) == {"YC-DC-01"}
    assert len(read_dataset(PLANS, tmp_path)) == 2 * 24


def test_generated_lake_schemas_are_not_stale():
    """optimizers/lake_schemas.py is generated from carbon.domain.datasets.OUTPUTS (issue 10): the file
    committed must be what the generator renders now."""
    from optimizers import schemagen

    committed = schemagen.TARGET.read_text(encoding="utf-8")
    assert committed == schemagen.render(), "stale: run python -m optimizers.schemagen"
    assert schemagen.main(["--check"]) == 0


def test_lake_schemas_splice_shared_blocks_without_loss():
    """The generator writes a run of columns several datasets share once (schemagen.shared_blocks);
    each spliced schema still has every contract column, in order, with its type and nullability."""
    import pyarrow as pa

    from carbon.domain.datasets import OUTPUTS
    from optimizers import lake_schemas, schemagen

    columns = {n: tuple(OUTPUTS[n].columns) for n in schemagen.DATASETS}
    blocks = schemagen.shared_blocks(columns)
    assert blocks, "the dispatch outputs share their plan head: expected a shared block"
    assert "*_PLAN_DATE_TO_SCENARIO," in schemagen.render()
    tz = lake_schemas.TZ
    arrow = {
        "string": pa.string(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz=tz),
    }
    for name in schemagen.DATASETS:
        want = pa.schema(
            [pa.field(c.name, arrow[c.dtype], nullable=c.nullable) for c in columns[name]]
        )
        assert getattr(lake_schemas, name.upper()).equals(want), name


def test_lake_schemas_cover_the_result_columns():
    from carbon.domain.datasets import OUTPUTS
    from optimizers.problem import KPI_COLUMNS, PLAN_COLUMNS
    from optimizers.runner import kpis_schema

    plans = OUTPUTS["dispatch_plans"].column_names
    assert set(PLAN_COLUMNS) <= set(plans) and plans == plans_schema().names
    kpis = OUTPUTS["dispatch_kpis"].column_names
    assert set(KPI_COLUMNS) <= set(kpis) and kpis == kpis_schema().names
    assert all(
        c.unit or c.dtype in ("string", "bool", "date", "timestamp", "int64")
        for c in OUTPUTS["dispatch_plans"].columns
    )


def test_cli_forecast_key_switches_the_mode(small_scenario_file, tmp_path, capsys):
    """``carbon dispatch --forecast MODE`` overrides the scenario's one key; the KPIs say which
    mode planned, and a missing forecast falls back, flagged and named (never silently)."""
    kpis = {}
    for mode in (None, "model", "risk_aware"):
        home = tmp_path / (mode or "perfect")
        argv = ["--home", str(home), "dispatch", "--scenario", str(small_scenario_file)]
        assert carbon_main(argv + (["--forecast", mode] if mode else [])) == 0
        out = " ".join(capsys.readouterr().out.split())
        (f,) = (home / "outputs" / "dispatch").glob("*.kpis.json")
        kpis[mode] = json.loads(f.read_text(encoding="utf-8"))
        if mode:
            assert "no forecast in the lake" in out, out
    assert [kpis[m]["forecast_mode"] for m in kpis] == ["perfect", "model", "risk_aware"]
    assert kpis[None]["forecast_fallback"] is False and kpis["model"]["forecast_fallback"] is True
    assert kpis["risk_aware"]["robustness_cost_cny"] is not None
    assert kpis[None]["robustness_cost_cny"] is None
    assert (
        carbon_main(["dispatch", "--scenario", str(small_scenario_file), "--forecast", "p50"]) == 2
    )
