"""Chinese column labels (中文列名) for tables a bureau reads, from the marts' dbt contracts.

Shared by the console pages and the reports; a module of its own so that neither imports the other's
application code.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

import yaml

from carbon.config import REPO_ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")


def _labels() -> dict[str, str]:
    """Chinese column labels from the marts' dbt contracts (the part of the description in CJK)."""
    out: dict[str, str] = {}
    root = REPO_ROOT / "models" / "marts"
    for f in glob.glob(str(root / "*" / "*.yml")):
        for m in (yaml.safe_load(Path(f).read_text()) or {}).get("models", []):
            for c in m.get("columns", []):
                d = c.get("description") or ""
                parts = [p.strip() for p in re.split(r" \| | / |\. ", d) if CJK.search(p)]
                if parts and c["name"] not in out:
                    out[c["name"]] = parts[-1].rstrip("。")
    out.update(
        {
            "tco2e": "排放量(吨CO2)",
            "tco2e_total": "排放总量(吨CO2)",
            "quantity": "数量",
            "points": "积分",
        }
    )
    return out


LABELS = _labels()
