"""Under real Airflow: a night with a failed task in ANY task group fails, names the task and its
error, counts the files right; a second night on the same home meanwhile fails at once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from carbon.config import REPO_ROOT

KEEP = ("regions", "enterprises", "grid_signals")  # grid_signals: 4th of 11 task groups


def _small_home(tmp_path):
    from carbon.demo import generate

    home = tmp_path / "home"
    generate(home, scale="tiny", seed=7, daily_days=2)
    for d in (home / "landing").iterdir():
        if d.name not in KEEP:
            shutil.rmtree(d)
    ent = sorted((home / "landing" / "enterprises").iterdir())
    for f in ent[2:]:  # two register months are enough
        f.unlink()
    return home


@pytest.mark.slow
def test_a_failed_stage_task_in_a_middle_group_fails_the_night(tmp_path):
    home = _small_home(tmp_path)
    n_grid = len(list((home / "landing" / "grid_signals").iterdir()))
    assert n_grid == 2
    # the grid_signals staging folder turns out to be a plain file
    (home / "staging").mkdir(exist_ok=True)
    (home / "staging" / "grid_signals").write_text("not a folder")
    # one file of another dataset rejected whole: reported loudly, not a failure of the night
    (home / "landing" / "regions" / "regions_broken.csv").write_text("foo,bar\n1,2\n")

    env = {**os.environ, "CARBON_HOME": str(home), "CARBON_PSEUDONYM_SECRET": "t"}
    argv = [
        sys.executable,
        "-m",
        "carbon.cli",
        "nightly",
        "--skip",
        "dispatch",
        "--skip",
        "ledgers",
        "--skip",
        "monitor",  # ingest only: the failure under test is an ingest task's
    ]
    first = subprocess.Popen(
        argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        line = first.stdout.readline()
        assert line.startswith("== ingest"), line
        # meanwhile, a second night on the same home: refused at once, naming the first
        t0 = time.monotonic()
        second = subprocess.run(
            argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 3, (second.stdout, second.stderr)
        assert time.monotonic() - t0 < 60
        assert f"PID {first.pid} on host {socket.gethostname()}, started 20" in second.stderr
        assert "carbon nightly" in second.stderr and "== ingest" not in second.stdout
        out = line + first.stdout.read()
        rc = first.wait(timeout=1500)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert rc == 1, out
    assert "nightly: FAILED" in out and "nightly: success" not in out, out
    # which task, and why (the error line)
    fails = [ln for ln in out.splitlines() if ln.startswith("  nightly_ingest.grid_signals.stage[")]
    assert len(fails) == n_grid, out
    assert all("Error: " in ln and "grid_signals" in ln and "(file grid_" in ln for ln in fails), (
        fails
    )
    assert any(
        ln.startswith("  nightly_ingest.grid_signals.publish: RuntimeError")
        for ln in out.splitlines()
    ), out
    # the rejected file is reported, but is not one of the failed tasks
    assert "regions/regions_broken.csv" in out
    assert "nightly_ingest.regions.stage" not in out.split("nightly: FAILED")[1]
    # the summary counts every landing file: 2 grid_signals files, both failed
    row = next(ln for ln in out.splitlines() if ln.startswith("grid_signals "))
    assert row.split()[1] == str(n_grid) and row.split()[-1] == str(n_grid), row
    reg = next(ln for ln in out.splitlines() if ln.startswith("regions "))
    n_reg = len(list((home / "landing" / "regions").iterdir()))
    assert reg.split()[1] == str(n_reg) and reg.split()[-2:] == ["1", "0"], reg

    # the DAG run itself is failed in Airflow's metadata DB (its leaf sees the failed group)
    assert _last_run_state(home) == "failed"

    # the same night with the folder fixed: success, exit 0, the rejection still loud
    (home / "staging" / "grid_signals").unlink()
    ok = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1500)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "nightly: success" in ok.stdout and "REJECTED WHOLE" in ok.stdout
    assert _last_run_state(home) == "success"


def _last_run_state(home) -> str:
    import sqlite3

    con = sqlite3.connect(home / "airflow" / "airflow.db")
    try:
        return con.execute(
            "select state from dag_run where dag_id = 'nightly_ingest' order by id desc limit 1"
        ).fetchone()[0]
    finally:
        con.close()
