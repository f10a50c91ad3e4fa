"""dispatch_intraday under real Airflow on the demo telemetry: the re-plans are written at the
right k and start from the measured SoC; each writes the site's capacity curve of the plan in force
(the plan in force before k, the re-plan from k); a rerun is idempotent; a stopped telemetry feed
falls back to the last good state, flagged, and still plans.  Plus the pure parts of
optimizers.intraday."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from carbon.config import TZ
from carbon.orchestration.dagrun import run_dag
from carbon.pipeline.lake import read_dataset
from optimizers import intraday
from optimizers.scenario import DEFAULT_SCENARIO, load_scenario

DAY = "2026-10-31"  # the last day of the demo telemetry
SITES = ("YC-DC-01", "YC-DC-02")
REPO = Path(__file__).resolve().parents[2]
VCC_SCHEMA = json.loads((REPO / "docs" / "vcc.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def home(demo_build, tmp_path_factory) -> Path:
    """A copy of the shared demo home with the day-ahead plan of DAY (dispatch_day_ahead)."""
    dst = tmp_path_factory.mktemp("intraday") / "demo"
    shutil.copytree(demo_build.home, dst, symlinks=True)
    (dst / ".built").unlink()
    res = run_dag("dispatch_day_ahead", dst, conf={"date": DAY})
    assert res.ok, res.output[-3000:]
    return dst


def _files(home: Path, k: int) -> dict[str, bytes]:
    out = {}
    for ds in ("dispatch_replans", "dispatch_job_plans"):
        for p in (home / "lake" / ds).glob(f"plan={DAY}__*__k{k:02d}/part-0.parquet"):
            out[str(p.relative_to(home))] = p.read_bytes()
    return out


def _vcc_files(home: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in (home / "outputs" / "dispatch" / "vcc").glob(f"{DAY}__*")
    }


def _check_replan_vcc(
    home: Path, sid: str, k: int, sources: list[tuple[int, int | None]], day: str = DAY
) -> dict:
    """The re-planned curve of ``sid`` from ``k``: exists (JSON, CSV), validates, says which plan
    each part of the day comes from (``sources``: (first step, re-plan k, or None = day-ahead,
    -2 = no plan)), and its hourly energy (site and per job) is the job kWh of those plans in the
    lake."""
    vdir = home / "outputs" / "dispatch" / "vcc"
    js, csv = vdir / f"{day}__{sid}__k{k:02d}.json", vdir / f"{day}__{sid}__k{k:02d}.csv"
    assert js.is_file() and csv.is_file()
    doc = json.loads(js.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(VCC_SCHEMA).validate(doc)
    index = pd.date_range(f"{day}T00:00", periods=96, freq="15min", tz=TZ)
    assert doc["revision"] == "replan" and doc["replan_k"] == k
    assert doc["replan_start"] == index[k].isoformat()
    bounds = [a for a, _ in sources] + [96]
    names = {None: "day_ahead", -2: "none"}
    assert [(b["plan"], b["replan_k"], b["start"]) for b in doc["based_on"]] == [
        (names.get(kk, "replan"), kk if kk != -2 else None, index[a].isoformat())
        for a, kk in sources
    ]
    assert doc["based_on"][-1]["end"] == (index[-1] + pd.Timedelta("15min")).isoformat()
    # the expected job kW per step, from the lake's per-job records of each plan
    jp = read_dataset("dispatch_job_plans", home)
    jp = jp.assign(ts=pd.to_datetime(jp["ts"]).dt.tz_convert(TZ))
    parts = []
    for (a, kk), b in zip(sources, bounds[1:], strict=True):
        if kk == -2:
            continue  # no plan: no job energy
        name = f"{day}__{sid}" if kk is None else f"{day}__{sid}__k{kk:02d}"
        rows = jp[
            (jp["plan"] == name)
            & (jp["ts"] >= index[a])
            & (jp["ts"] < index[b - 1] + pd.Timedelta("1s"))
        ]
        assert (rows["site_id"] == sid).all()
        parts.append(rows)
    exp = pd.concat(parts)
    assert len(exp) > 0
    exp = exp.assign(hour=exp["ts"].dt.floor("h"), kwh=exp["kw"] * exp["step_hours"])
    site_kwh = exp.groupby("hour")["kwh"].sum()
    job_kwh = exp.groupby(["hour", "job_id"])["kwh"].sum()
    assert len(doc["hours"]) == 24
    for h in doc["hours"]:
        t = pd.Timestamp(h["start"])
        assert math.isclose(h["capacity_kw"] * 1.0, site_kwh.get(t, 0.0), abs_tol=1e-6), h
        for a in h["jobs_admitted"]:
            assert math.isclose(a["planned_kw"], job_kwh.get((t, a["job_id"]), 0.0), abs_tol=1e-6)
    # the re-planned hours (from the hour after k's) hold the re-plan's job energy exactly
    assert math.isclose(
        sum(
            h["capacity_kw"] for h in doc["hours"] if pd.Timestamp(h["start"]) >= index[k].ceil("h")
        ),
        float(exp.loc[exp["ts"] >= index[k].ceil("h"), "kwh"].sum()),
        abs_tol=1e-6,
    )
    assert math.isclose(doc["total_flexible_kwh"], float(exp["kwh"].sum()), abs_tol=1e-6)
    # nothing counted twice or dropped where k cuts the day: each job of the site (no shared pool
    # in this scenario) gets its whole energy over the day, executed part plus re-planned part
    for j in doc["jobs"]:
        assert math.isclose(j["planned_kwh"], j["energy_kwh"], abs_tol=1e-6), j
    table = pd.read_csv(csv)
    assert table["capacity_kw"].tolist() == [h["capacity_kw"] for h in doc["hours"]]
    return doc


def _battery(site_id: str):
    sc = load_scenario(str(DEFAULT_SCENARIO))
    spec = next(s for s in sc.raw["sites"] if s["site_id"] == site_id)["battery"]
    return spec["energy_kwh"], spec.get("eta_charge", 0.95), spec.get("eta_discharge", 0.95)


def test_intraday_dag_replans_from_measured_soc_and_reruns_idempotently(home, capsys):
    now = pd.Timestamp(f"{DAY}T14:05", tz=TZ)
    res = run_dag("dispatch_intraday", home, conf={"date": DAY, "now": now.isoformat()})
    assert res.ok, res.output[-4000:]
    assert sorted(v for k, v in res.task_states.items() if k.startswith("replan_sites[")) == [
        "success",
        "success",
    ]
    k = 57  # 14:05 → the first step starting at or after it is 14:15
    first = _files(home, k)
    assert sorted(first) == sorted(
        f"lake/{ds}/plan={DAY}__{s}__k57/part-0.parquet"
        for ds in ("dispatch_replans", "dispatch_job_plans")
        for s in SITES
    )
    rp = read_dataset("dispatch_replans", home)
    tele = read_dataset("datacenter_telemetry", home)
    tele["ts"] = pd.to_datetime(tele["ts"]).dt.tz_convert(TZ)
    plans = read_dataset("dispatch_plans", home)
    plans = plans[plans["plan_date"].astype(str) == DAY]
    plans["ts"] = pd.to_datetime(plans["ts"]).dt.tz_convert(TZ)
    for sid in SITES:
        r = rp[rp["plan"] == f"{DAY}__{sid}__k57"].sort_values("ts")
        assert (r["replan_k"] == k).all() and len(r) == 96 - k
        assert pd.Timestamp(r["ts"].iloc[0]).tz_convert(TZ) == pd.Timestamp(f"{DAY}T14:15", tz=TZ)
        assert not r["state_fallback"].any() and not r["forecast_gap"].any()
        # the measured SoC: the latest finite battery_soc at or before now, × energy_kwh
        e, eta_c, eta_d = _battery(sid)
        t = tele[(tele["site_id"] == sid) & (tele["ts"] <= now) & tele["battery_soc"].notna()]
        last = t.sort_values("ts").iloc[-1]
        assert math.isclose(r["soc_measured_kwh"].iloc[0], last["battery_soc"] * e, abs_tol=1e-9)
        # projected to the start of step k with the day-ahead plan of the steps in between
        p = plans[(plans["site_id"] == sid) & (plans["ts"] >= last["ts"])].sort_values("ts")
        p = p[p["ts"] < r["ts"].iloc[0]]
        assert len(p) >= 1
        delta = ((eta_c * p["battery_charge_kw"] - p["battery_discharge_kw"] / eta_d) * 0.25).sum()
        start = last["battery_soc"] * e + delta
        assert math.isclose(r["soc_start_kwh"].iloc[0], start, abs_tol=1e-6)
        # and the re-plan's first step starts from it (soc_kwh is at step end)
        r0 = r.iloc[0]
        soc0 = start + (eta_c * r0.battery_charge_kw - r0.battery_discharge_kw / eta_d) * 0.25
        assert math.isclose(r0.soc_kwh, soc0, abs_tol=1e-6)
        assert r["peak_so_far_kw"].iloc[0] > 0
    assert f"figures dispatch_intraday/YC-DC-01: date={DAY} k=57" in res.output
    # the capacity curves of the plan in force: day-ahead before 14:15, the re-plan from it
    vccs = _vcc_files(home)
    for sid in SITES:
        _check_replan_vcc(home, sid, k, [(0, None), (k, k)])
        assert vccs[f"{DAY}__{sid}.latest.json"] == vccs[f"{DAY}__{sid}__k57.json"]
        for ext in ("json", "csv"):  # the outcome names them (the task logs its vccs)
            path = home / "outputs" / "dispatch" / "vcc" / f"{DAY}__{sid}__k57.{ext}"
            assert f"capacity curve written: {path}" in res.output

    # rerun: same partitions, same bytes (re-plans at k or later are not read back)
    again = run_dag("dispatch_intraday", home, conf={"date": DAY, "now": now.isoformat()})
    assert again.ok, again.output[-3000:]
    assert _files(home, k) == first
    assert _vcc_files(home) == vccs
    # the command line runs the same re-plan: same partitions, same bytes; it prints the curves
    from carbon.cli import main

    assert main(["--home", str(home), "replan", "--now", now.isoformat()]) == 0
    assert _files(home, k) == first
    assert _vcc_files(home) == vccs
    printed = capsys.readouterr().out
    for sid in SITES:
        for name in (
            f"{DAY}__{sid}__k57.json",
            f"{DAY}__{sid}__k57.csv",
            f"{DAY}__{sid}.latest.json",
        ):
            assert str(home / "outputs" / "dispatch" / "vcc" / name) in printed


def test_stopped_telemetry_feed_falls_back_to_the_last_good_state(home):
    part = home / "lake" / "datacenter_telemetry" / f"date={DAY}" / "part-0.parquet"
    table = pq.read_table(part)
    ts = pd.to_datetime(table.column("ts").to_pandas()).dt.tz_convert(TZ)
    stop = pd.Timestamp(f"{DAY}T10:00", tz=TZ)
    keep = (ts < stop).to_numpy()
    assert 0 < keep.sum() < len(keep)
    pq.write_table(table.filter(keep), part)  # the feed stopped at 10:00
    now = pd.Timestamp(f"{DAY}T16:05", tz=TZ)
    res = run_dag("dispatch_intraday", home, conf={"date": DAY, "now": now.isoformat()})
    assert res.ok, res.output[-4000:]  # never a crash
    rp = read_dataset("dispatch_replans", home)
    plans = read_dataset("dispatch_plans", home)
    plans = plans[plans["plan_date"].astype(str) == DAY]
    plans["ts"] = pd.to_datetime(plans["ts"]).dt.tz_convert(TZ)
    earlier = rp[rp["replan_k"] < 65]
    earlier = earlier.assign(ts=pd.to_datetime(earlier["ts"]).dt.tz_convert(TZ))
    for sid in SITES:
        r = rp[rp["plan"] == f"{DAY}__{sid}__k65"].sort_values("ts")
        assert len(r) == 96 - 65  # still a plan
        assert r["state_fallback"].all()
        why = r["fallback_reason"].iloc[0]
        assert "soc stale (last measured at step 39, re-plan at step 65)" in why, why
        assert "last good state" in why, why
        # the last good state: the SoC at the end of step 64 (16:00) of the plan in force: the
        # latest earlier re-plan of the day (the 14:05 one, when the test above ran), else the
        # day-ahead plan
        gov = earlier[earlier["site_id"] == sid]
        if gov.empty:
            gov = plans[plans["site_id"] == sid]
        else:
            gov = gov[gov["replan_k"] == gov["replan_k"].max()]
        end64 = gov.loc[gov["ts"] == pd.Timestamp(f"{DAY}T16:00", tz=TZ), "soc_kwh"].iloc[0]
        assert math.isclose(r["soc_start_kwh"].iloc[0], end64, abs_tol=1e-6)
    assert "soc stale" in res.output  # logged
    # the curve of the plan in force: day-ahead, the 14:05 re-plan (if it ran), this one from 16:15
    vccs = _vcc_files(home)
    for sid in SITES:
        earlier_k = sorted(
            int(x) for x in earlier.loc[earlier["site_id"] == sid, "replan_k"].unique()
        )
        sources = [(0, None), *((kk, kk) for kk in earlier_k), (65, 65)]
        _check_replan_vcc(home, sid, 65, sources)
        assert vccs[f"{DAY}__{sid}.latest.json"] == vccs[f"{DAY}__{sid}__k65.json"]


def test_no_day_ahead_plan_is_a_flagged_fallback_not_a_crash(home, tmp_path):
    """In-process: a date without a day-ahead plan still re-plans, from the measured SoC, with
    ``state_fallback`` and the reason; ``now`` after the plan day is an error naming it."""
    sc = load_scenario(str(DEFAULT_SCENARIO))
    scratch = tmp_path / "h"
    shutil.copytree(
        home / "lake" / "datacenter_telemetry", scratch / "lake" / "datacenter_telemetry"
    )
    day = "2026-10-30"
    out = intraday.replan_group(sc, ["YC-DC-02"], day, f"{day}T09:05", scratch)
    assert out["ok"] and out["k"] == 37, out
    f = out["flags"]["YC-DC-02"]
    assert (
        f["state_fallback"] is True and "no day-ahead plan for 2026-10-30" in f["fallback_reason"]
    )
    rows = read_dataset("dispatch_replans", scratch)
    assert set(rows["plan"]) == {f"{day}__YC-DC-02__k37"} and len(rows) == 96 - 37
    # its capacity curve: no plan before step 37 (no job energy), the re-plan from it
    vdir = scratch / "outputs" / "dispatch" / "vcc"
    assert out["vccs"] == [str(vdir / f"{day}__YC-DC-02__k37.{e}") for e in ("json", "csv")]
    assert out["vcc_latest"] == {"YC-DC-02": str(vdir / f"{day}__YC-DC-02.latest.json")}
    doc = _check_replan_vcc(scratch, "YC-DC-02", 37, [(0, -2), (37, 37)], day=day)
    assert all(h["capacity_kw"] == 0.0 for h in doc["hours"][:9])
    bad = intraday.replan_group(sc, ["YC-DC-02"], day, "2026-11-02T09:05", scratch)
    assert not bad["ok"] and "after the plan horizon" in bad["error"]


# ----------------------------------------------------------------------------- pure parts
INDEX = pd.date_range(f"{DAY}T00:00", periods=96, freq="15min", tz=TZ)


def test_replan_step_is_the_first_step_not_yet_started():
    assert intraday.replan_step(INDEX, pd.Timestamp(f"{DAY}T14:05", tz=TZ)) == 57
    assert intraday.replan_step(INDEX, pd.Timestamp(f"{DAY}T14:00", tz=TZ)) == 56
    assert (
        intraday.replan_step(INDEX, pd.Timestamp(f"{DAY}T00:00", tz=TZ) - pd.Timedelta("1h")) == 0
    )
    with pytest.raises(ValueError, match="no step left"):
        intraday.replan_step(INDEX, pd.Timestamp(f"{DAY}T23:50", tz=TZ))
    with pytest.raises(ValueError, match="after the plan horizon"):
        intraday.replan_step(INDEX, pd.Timestamp("2026-11-01T01:00", tz=TZ))
    assert intraday.as_local("2026-10-31T06:05:00+00:00") == pd.Timestamp(f"{DAY}T14:05", tz=TZ)
    with pytest.raises(ValueError, match="now: not an ISO time"):
        intraday.as_local("yesterday-ish")


def _rows(kw: float, steps: range, k: int | None = None, soc: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts": INDEX[list(steps)],
            "battery_charge_kw": kw,
            "battery_discharge_kw": 0.0,
            "soc_kwh": soc,
            **({"replan_k": k} if k is not None else {}),
        }
    )


def test_plan_in_force_overlays_earlier_replans_only():
    day_ahead = _rows(1.0, range(96), soc=10.0)
    replans = pd.concat([_rows(2.0, range(40, 96), 40, 20.0), _rows(3.0, range(60, 96), 60, 30.0)])
    jobs = pd.DataFrame(
        {
            "ts": INDEX[[10, 45, 65]],
            "replan_k": pd.array([None, 40, 60], dtype="Int64"),
            "job_id": "j",
            "kw": [100.0, 200.0, 300.0],
        }
    )
    f = intraday.plan_in_force(INDEX, 60, day_ahead, replans, jobs)
    # the re-plan from 60 is the current one (a rerun): not read back
    assert (f.source[:40] == -1).all() and (f.source[40:] == 40).all()
    assert f.charge_kw[39] == 1.0 and f.charge_kw[70] == 2.0 and f.soc_end_kwh[59] == 20.0
    assert f.job_kw["j"][10] == 100.0 and f.job_kw["j"][45] == 200.0 and f.job_kw["j"][65] == 0.0
    g = intraday.plan_in_force(INDEX, 61, day_ahead, replans, jobs)
    assert (g.source[60:] == 60).all() and g.job_kw["j"][65] == 300.0


def test_measured_peak_uses_the_battery_power_from_consecutive_soc():
    from optimizers.problem import Battery

    b = Battery(energy_kwh=1000.0, power_kw=500.0, eta_charge=0.9, eta_discharge=0.8)
    tele = pd.DataFrame(
        {
            "ts": INDEX[[0, 1, 2, 3]],
            "facility_kw": [1000.0, 1000.0, 1000.0, 5000.0],
            "pv_kw": [100.0, 0.0, 0.0, 0.0],
            "wind_kw": [np.nan, 0.0, 0.0, 0.0],
            "battery_soc": [0.5, 0.59, 0.51, 0.5],
        }
    )
    peak, used = intraday.measured_peak_kw(tele, INDEX, 3, b)
    # step 0: +90 kWh stored in 0.25 h at η_c 0.9 → 400 kW charge: 1000 − 100 + 400
    # step 1: −80 kWh → 80·0.8/0.25 = 256 kW discharge: 1000 − 256; step 3 not executed
    assert used == 3 and math.isclose(peak, 1300.0)
    assert intraday.measured_peak_kw(tele, INDEX, 0, b) == (0.0, 0)


def test_latest_curve_is_the_highest_k_and_a_wrong_document_is_refused(tmp_path):
    from optimizers.vcc_io import replan_ks, write_replan_vcc

    def doc(k: int) -> dict:
        return {"site_id": "S", "replan_k": k, "hours": [], "note": f"k{k}"}

    a = write_replan_vcc(doc(60), DAY, "S", 60, tmp_path)
    b = write_replan_vcc(doc(57), DAY, "S", 57, tmp_path)  # a rerun of an earlier hour
    assert a["latest"] == b["latest"] and replan_ks(DAY, "S", tmp_path) == [57, 60]
    assert json.loads(Path(b["latest"]).read_text())["replan_k"] == 60  # not moved back
    c = write_replan_vcc(doc(61), DAY, "S", 61, tmp_path)
    assert Path(c["latest"]).read_bytes() == Path(c["json"]).read_bytes()
    with pytest.raises(ValueError, match="not 'S' k=62"):
        write_replan_vcc(doc(61), DAY, "S", 62, tmp_path)


def test_replan_revision_names_the_plan_of_each_part_of_the_day():
    src = np.array([-2] * 4 + [-1] * 36 + [40] * 20 + [-1] * 36)
    f = intraday.PlanInForce(src, *(np.zeros(96) for _ in range(3)))
    rev = intraday.replan_revision(f, 57, INDEX)
    assert rev["revision"] == "replan" and rev["replan_k"] == 57
    assert rev["replan_start"] == f"{DAY}T14:15:00+08:00"
    assert [
        (b["plan"], b["replan_k"], b["start"][11:16], b["end"][11:16]) for b in rev["based_on"]
    ] == [
        ("none", None, "00:00", "01:00"),
        ("day_ahead", None, "01:00", "10:00"),
        ("replan", 40, "10:00", "14:15"),
        ("replan", 57, "14:15", "00:00"),
    ]
    assert rev["based_on"][-1]["end"] == "2026-11-01T00:00:00+08:00"
