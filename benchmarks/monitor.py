"""Benchmark: precision and recall of the meter anomaly detection per kind (监测预警基准).

Generates the demo city (with its labelled anomalies, ``demo_manifest/anomalies.csv``) into a
scratch home, ingests the enterprise register and the meter reads with the real ingest pipeline
(defects go to quarantine as at night), runs the detector of ``carbon.monitor`` over every key
emitter and matches findings to the truth: same enterprise, same kind, overlapping days.

    ./run.sh python benchmarks/monitor.py --scale tiny small [--seeds 42 43 44]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carbon.config import paths
from carbon.demo import generate
from carbon.demo.anomalies import KINDS
from carbon.monitor.checks import meter_findings, open_context
from carbon.monitor.rules import load_rules
from carbon.pipeline.ingest.pipeline import ingest_dataset


def run_one(scale: str, seed: int, home: Path) -> pd.DataFrame:
    import os

    os.environ["CARBON_PSEUDONYM_SECRET"] = "benchmark"  # one site secret: ingest and monitor
    generate(home, scale=scale, seed=seed)
    for ds in ("enterprises", "electricity_consumption"):
        ingest_dataset(ds, home, secret=b"benchmark")
    rules = {r.check: r for r in load_rules().rules if r.check.startswith("meter_")}
    f = meter_findings(open_context(paths(home)), rules)
    truth = pd.read_csv(home / "demo_manifest" / "anomalies.csv", dtype=str)
    det = [
        {"account_id": u, "kind": x.kind, "start": x.start, "end": x.end}
        for u, xs in f["by_uscc"].items()
        for x in xs
    ]
    rows = []
    for kind in KINDS:
        t = truth[truth["kind"] == kind]
        d = [x for x in det if x["kind"] == kind]

        def hit(a, b):
            return (
                a["account_id"] == b["account_id"]
                and a["start"] <= b["end"]
                and b["start"] <= a["end"]
            )

        tp_det = sum(any(hit(x, tr) for tr in t.to_dict("records")) for x in d)
        tp_truth = sum(any(hit(x, tr) for x in d) for tr in t.to_dict("records"))
        rows.append(
            {
                "scale": scale,
                "seed": seed,
                "kind": kind,
                "truth": len(t),
                "detected": len(d),
                "tp_detected": tp_det,
                "tp_truth": tp_truth,
            }
        )
    return pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", nargs="+", default=["tiny", "small"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    a = ap.parse_args()
    frames = []
    for scale in a.scale:
        for seed in a.seeds:
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                frames.append(run_one(scale, seed, Path(tmp)))
            print(f"{scale} seed {seed}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    df = pd.concat(frames)
    g = df.groupby(["scale", "kind"])[["truth", "detected", "tp_detected", "tp_truth"]].sum()
    g["precision"] = (g["tp_detected"] / g["detected"]).round(3)
    g["recall"] = (g["tp_truth"] / g["truth"]).round(3)
    print(g.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
