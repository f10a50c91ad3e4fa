"""Console page times: p50/p95 over N requests each for the city overview, a district and an
enterprise page, with a real HTTP client (httpx) against ``carbon serve``'s app under uvicorn.

    ./run.sh python benchmarks/console.py --home data [--requests 200]

Beside each page, the same run times a bare DuckDB query of the page's main mart (read-only
connection on the same snapshot, no HTTP, no template) N times, and prints ``uptime``'s load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default="data", help="a data home with a built warehouse")
    ap.add_argument("--requests", type=int, default=200)
    a = ap.parse_args()
    import httpx
    import uvicorn

    from carbon.console import auth
    from carbon.console.app import create_app
    from carbon.console.warehouse import Warehouse

    tmp = Path(tempfile.mkdtemp(prefix="console-bench-"))
    (tmp / "warehouse").mkdir()
    shutil.copyfile(
        Path(a.home) / "warehouse" / "carbon.duckdb", tmp / "warehouse" / "carbon.duckdb"
    )
    wh = Warehouse(tmp)
    rows = {r[0]: r for r in auth.write_demo_users(tmp, wh.cursor())}
    cur = wh.cursor()
    region, uscc = cur.execute(
        "select region_code, uscc from ent_enterprise_emissions_monthly "
        "group by all order by sum(tco2e_total) desc limit 1"
    ).fetchone()
    wh.close()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = uvicorn.Server(
        uvicorn.Config(create_app(tmp), host="127.0.0.1", port=port, log_level="warning")
    )
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    while not srv.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    import re

    import duckdb

    from carbon.console import queries as q

    bare_con = duckdb.connect(str(tmp / "warehouse" / "carbon.duckdb"), read_only=True)
    month = q.latest_month(bare_con)
    bare = {
        "overview": lambda: q.indicators(bare_con, None, month),
        "district": lambda: q.recon(bare_con, region),
        "enterprise": lambda: q.ent_monthly(bare_con, uscc),
    }
    bare_sql = {
        "overview": "gov_region_indicators (9 counties, one month)",
        "district": "recon_region_monthly (one county)",
        "enterprise": "ent_enterprise_emissions_monthly (one USCC)",
    }

    def pct(times):
        times = sorted(times)
        return statistics.median(times), times[int(0.95 * len(times)) - 1], times[-1]

    print(f"load average before 开始负载: {os.getloadavg()}")
    with httpx.Client(base_url=base, timeout=60) as c:
        tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"csrf": tok, "username": "city", "password": rows["city"][2]})
        print(f"{'page':<12}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}   bare DuckDB query")
        for name, url in [
            ("overview", "/"),
            ("district", f"/district/{region}"),
            ("enterprise", f"/enterprise/{uscc}"),
        ]:
            c.get(url)  # warm
            times = []
            for _ in range(a.requests):
                t0 = time.perf_counter()
                r = c.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (url, r.status_code)
            bt = []
            bare[name]()
            for _ in range(a.requests):
                t0 = time.perf_counter()
                bare[name]()
                bt.append((time.perf_counter() - t0) * 1000)
            p50, p95, mx = pct(times)
            b50, b95, bmx = pct(bt)
            print(
                f"{name:<12}{len(times):>5}{p50:>9.1f}{p95:>9.1f}{mx:>9.1f}   "
                f"p50 {b50:.1f} p95 {b95:.1f} max {bmx:.1f} ms: {bare_sql[name]}"
            )
    bare_con.close()
    print(f"load average after 结束负载: {os.getloadavg()}")
    print(f"warehouse {Path(tmp / 'warehouse' / 'carbon.duckdb').stat().st_size / 1e6:.0f} MB")
    srv.should_exit = True
    t.join(5)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
