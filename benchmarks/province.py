"""Province night benchmark: N tiny|small city homes, one ``province_nightly`` run under the
embedded Airflow (SQLite + LocalExecutor), wall time of generation and of the night, per city.

    ./run.sh python benchmarks/province.py --cities 1 2 3 --scale tiny [--months 2 --days 2]

Prints one JSON line per N with the load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from carbon.domain.codes import city_codes
from carbon.orchestration.dagrun import run_dag
from carbon.province.demo import generate_province


def one(n: int, scale: str, start: str, days: int, root: Path) -> dict:
    home = root / f"n{n}"
    cities = list(city_codes())[:n]
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    generate_province(home, scale, cities=cities, start=start, daily_days=days, anomalies=False)
    t_gen = time.perf_counter() - t0
    t1 = time.perf_counter()
    res = run_dag("province_nightly", home, conf={"province_home": str(home)})
    t_night = time.perf_counter() - t1
    return {
        "cities": n,
        "scale": scale,
        "start": start,
        "daily_days": days,
        "generate_s": round(t_gen, 1),
        "night_s": round(t_night, 1),
        "night_s_per_city": round(t_night / n, 1),
        "state": res.state,
        "loadavg_before": load0,
        "loadavg_after": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cities", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--scale", default="tiny", choices=["tiny", "small"])
    ap.add_argument("--start", default="2026-09", help="first month of the monthly reports")
    ap.add_argument("--days", type=int, default=2, help="meter days ending 2026-10-31")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="province-bench-") as d:
        for n in a.cities:
            print(json.dumps(one(n, a.scale, a.start, a.days, Path(d))), flush=True)


if __name__ == "__main__":
    main()
