"""Under real Airflow: the DAG folder parses, and the umbrella ingest runs end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from carbon.domain.datasets import DATASETS
from carbon.orchestration.dagrun import REPO_ROOT, airflow_env, dags_folder
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.lake import read_dataset

PARSE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=True)
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for d in bag.dags.values():
    outlets = sorted({a.uri for t in d.tasks for a in getattr(t, "outlets", []) if hasattr(a, "uri")})
    out["dags"][d.dag_id] = {"schedule": str(getattr(d, "schedule", None)), "tt": repr(d.timetable), "catchup": d.catchup,
        "max_active_runs": d.max_active_runs, "tz": str(d.timezone), "outlets": outlets,
        "doc": bool(d.doc_md)}
print("RESULT" + json.dumps(out))
"""


def test_dagbag_has_no_import_errors_and_one_dag_per_dataset(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", PARSE, str(dags_folder())],
        env=airflow_env(tmp_path),
        cwd=REPO_ROOT,
        text=True,
        capture_output=True,
        timeout=300,
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    out = json.loads(line[len("RESULT") :])
    assert out["errors"] == {}
    dags = out["dags"]
    for ds in DATASETS:
        d = dags[f"ingest_{ds}"]
        assert d["outlets"] == [f"carbon://lake/{ds}"]
        assert d["schedule"] == "@daily" and d["catchup"] is False and d["max_active_runs"] == 1
        assert d["tz"] == "Asia/Shanghai" and d["doc"]
    assert dags["nightly_ingest"]["outlets"] == sorted(f"carbon://lake/{ds}" for ds in DATASETS)
    assert "smoke" not in dags
    # the dispatch DAGs: forecast at 08:30, day-ahead plan at 09:30, intraday re-plan hourly at :05
    for dag_id, cron, dataset in (
        ("dispatch_forecast", "30 8 * * *", "dispatch_forecasts"),
        ("dispatch_day_ahead", "30 9 * * *", "dispatch_plans"),
        ("dispatch_intraday", "5 * * * *", "dispatch_replans"),
    ):
        d = dags[dag_id]
        assert d["outlets"] == [f"carbon://lake/{dataset}"], (dag_id, d)
        assert cron in d["tt"] and d["tz"] == "Asia/Shanghai", (dag_id, d)
        assert d["catchup"] is False and d["max_active_runs"] == 1 and d["doc"]


def _keys_by_file(folder, key: list[str]) -> dict[tuple, set[str]]:
    """key values -> landing CSV files that carry them (unreadable files skipped)."""
    out: dict[tuple, set[str]] = {}
    for f in sorted(folder.glob("*.csv")):
        try:
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
        except Exception:
            continue
        if not set(key) <= set(df.columns):
            continue
        for k in zip(*(df[c] for c in key), strict=True):
            out.setdefault(tuple(k), set()).add(f.name)
    return out


@pytest.mark.slow
def test_carbon_nightly_on_the_demo_city_under_airflow(
    demo_build, demo_home_copy, monkeypatch, scan_raw
):
    """``carbon nightly`` (umbrella DAG under real Airflow) on the tiny demo city, checked against
    the demo's defect manifest, plus two malformed files of new kinds (the run's shared build,
    ``demo_build`` in tests/conftest.py, lands them: ``EXTRA_LANDING``). This test re-ingests and
    rebuilds, so it works on a copy of the built home."""
    home = demo_home_copy()
    monkeypatch.setenv("CARBON_PSEUDONYM_SECRET", demo_build.secret)  # the night's site secret
    land = home / "landing"
    assert (land / "electricity_consumption" / "meter_20261099_bad.csv").exists()
    assert (land / "fuel_consumption" / "fuel_2026-09_bad.xlsx").exists()

    assert demo_build.returncode == 0, demo_build.output
    out = demo_build.output  # what `carbon nightly` printed
    assert "nightly_ingest: success" in out, out
    assert "meter_20261099_bad.csv: missing required columns [region_code]" in out, out
    assert "fuel_2026-09_bad.xlsx: unreadable XLSX" in out
    assert "PUBLIC DEMO SECRET" not in out  # a site secret is set: no banner

    manifest = pd.read_csv(home / "demo_manifest" / "defects.csv", dtype=str, keep_default_na=False)
    manifest["row_number"] = manifest["row_number"].astype(int)
    manifest["file"] = manifest["file"].str.split("/").str[-1]
    for ds in DATASETS:
        summary = json.loads((home / "reports" / ds / "_summary.json").read_text())
        rejected = {r["file"] for r in summary["rejected"]}
        key = DATASETS[ds].partition_key
        qfiles = list((home / "quarantine" / ds).glob(f"{key}=*/quarantine.parquet"))
        q = pd.concat([pq.read_table(f).to_pandas() for f in qfiles]) if qfiles else None
        m = manifest[(manifest.dataset == ds) & ~manifest.file.isin(rejected)]
        expected = set(zip(m.file, m.row_number, m.check, strict=True))
        got = set() if q is None else set(zip(q.source_file, q.row_number, q.check, strict=True))
        assert expected <= got, (ds, sorted(expected - got)[:5])
        # nothing else is quarantined except keys that a second file delivered again (the demo
        # repeats some records across platform files), and every other row is in the lake
        qrows = set() if q is None else set(zip(q.source_file, q.row_number, strict=True))
        extra = qrows - set(zip(m.file, m.row_number, strict=True))
        if extra:
            seen = _keys_by_file(land / ds, list(DATASETS[ds].key))
            for f, r in extra:
                row = q[(q.source_file == f) & (q.row_number == r)].iloc[0]
                k = tuple(str(row[c]) for c in DATASETS[ds].key)
                assert len(seen.get(k, set())) >= 2, (ds, f, r, k)
        assert (
            len(read_dataset(ds, home))
            == summary["rows_ok"]
            == summary["rows_in"] - len(qrows) - summary["rows_superseded"]
        ), ds
    assert "meter_20261099_bad.csv" in {
        r["file"]
        for r in json.loads((home / "reports/electricity_consumption/_summary.json").read_text())[
            "rejected"
        ]
    }
    # the manifest quotes raw IDs masked (it lives under the data home): none of them is raw
    ids = manifest.loc[manifest.column.isin(["user_id", "household_no"]), "value"]
    assert not ids.str.fullmatch(r"\d{11,}").any()
    raw: set[str] = set()
    for f in (land / "households").glob("*.csv"):
        raw |= set(pd.read_csv(f, dtype=str)["household_no"].dropna().head(50))
    for f in sorted((land / "low_carbon_activity").glob("*.csv"))[:5]:
        try:
            raw |= set(pd.read_csv(f, dtype=str)["user_id"].dropna().head(50))
        except Exception:  # a file the demo corrupted on purpose
            continue
    assert len(raw) > 50
    for sub in ("lake", "quarantine", "reports"):
        assert scan_raw(home / sub, raw) == []
    # the DAG wrote exactly what the in-process pipeline writes (same functions, same bytes)
    lake_bytes = {p.relative_to(home): p.read_bytes() for p in (home / "lake").rglob("*.parquet")}
    for ds in DATASETS:
        pipeline.ingest_dataset(ds, home)
    assert {
        p.relative_to(home): p.read_bytes() for p in (home / "lake").rglob("*.parquet")
    } == lake_bytes

    # ---- the rest of the nightly: day-ahead dispatch and the ledger build, through Airflow
    assert "dispatch_day_ahead: success" in out, out
    assert "build_ledgers: success" in out, out
    assert "City total (top-down Scope 1) vs CEADs calibration" in out
    import duckdb

    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    try:
        ledgers = dict(
            con.execute("select ledger, count(*) from ledger_entries group by 1").fetchall()
        )
        # personal entries are journaled for ended months only (docs/ledgers.md "Journal grain")
        ended = con.execute(
            "select count(*) from per_credits_daily where date < "
            "(select date_trunc('month', max(as_of_date)) from per_account_balance)"
        ).fetchone()[0]
        want = {"government", "enterprise"} | ({"personal"} if ended else set())
        assert set(ledgers) == want, (ledgers, ended)
        # calibration: top-down 2025 (energy balance + process) lands on CEADs' 44.99 Mt
        ratio = con.execute(
            "select ratio_to_reference from gov_ceads_comparison "
            "where region_code = '320900' and year = 2025"
        ).fetchone()[0]
        assert 0.93 < ratio < 1.05, ratio
        bad = con.execute(
            "select count(*) from recon_region_monthly where not reconciles"
        ).fetchone()[0]
        assert bad == 0
        sites = {r[0] for r in con.execute("select site_id from dispatch_site_daily").fetchall()}
        assert sites == {"YC-DC-01", "YC-DC-02"}
        n_entries = con.execute("select count(*) from ledger_entries").fetchone()[0]
    finally:
        con.close()
    # a second night on the same inputs appends nothing to the journal (idempotent)
    from carbon.orchestration.dagrun import run_dag

    assert run_dag("build_ledgers", home).ok
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from ledger_entries").fetchone()[0] == n_entries
    finally:
        con.close()
