"""A built tiny demo warehouse for the console tests (one per session), and signed-in clients."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def built_warehouse(request) -> Path:
    """The warehouse of the demo nightly that the whole test run shares (``demo_build`` in
    tests/conftest.py: built once per run, shared by the xdist workers). CARBON_CONSOLE_TEST_HOME
    may name a home already built by ``./run.sh nightly`` (its warehouse is copied) to save the
    ~3 min build when iterating on the console tests alone."""
    src = os.environ.get("CARBON_CONSOLE_TEST_HOME")
    if src and (Path(src) / "warehouse" / "carbon.duckdb").exists():
        return Path(src) / "warehouse" / "carbon.duckdb"
    build = request.getfixturevalue("demo_build")
    assert build.returncode == 0, build.output
    return build.warehouse


@pytest.fixture(scope="module")
def home(tmp_path_factory, built_warehouse) -> Path:
    h = tmp_path_factory.mktemp("console-home")
    (h / "warehouse").mkdir()
    shutil.copyfile(built_warehouse, h / "warehouse" / "carbon.duckdb")
    # the monitoring alerts' lifecycle store and the lake's dispatch plans live beside the
    # warehouse in the built home: each module gets its own copy (acks in one module stay there)
    built_home = built_warehouse.parents[1]
    for sub in ("monitor", "lake/dispatch_plans"):
        if (built_home / sub).exists():
            shutil.copytree(built_home / sub, h / sub)
    from carbon.console import auth
    from carbon.console.warehouse import Warehouse

    wh = Warehouse(h)
    h_rows = auth.write_demo_users(h, wh.cursor())
    wh.close()
    (h / "logins.txt").write_text("\n".join("\t".join(r) for r in h_rows))
    return h


@pytest.fixture(scope="module")
def built_home(built_warehouse) -> Path:
    return built_warehouse.parents[1]


@pytest.fixture(scope="module")
def logins(home) -> dict[str, str]:
    return {
        r.split("\t")[0]: r.split("\t")[2] for r in (home / "logins.txt").read_text().splitlines()
    }


@pytest.fixture(scope="module")
def app(home):
    from carbon.console.app import create_app

    return create_app(home)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def client_for(app, logins):
    from fastapi.testclient import TestClient

    def make(role: str):
        c = TestClient(app)
        if role == "resident":
            r = c.get(logins["resident"], follow_redirects=False)
            assert r.status_code == 303
            return c
        r = c.get("/login")
        r = c.post(
            "/login",
            data={"csrf": csrf_of(r.text), "username": role, "password": logins[role]},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return c

    return make
