"""The CJK font for PDFs and charts (Noto Sans CJK SC from Debian ``fonts-noto-cjk``).

Matplotlib's default DejaVu Sans has no Chinese glyphs and draws them as empty boxes; fpdf2's core
fonts have none either. ``cjk_font()`` finds the font file (``$CARBON_CJK_FONT``, then ``fc-match``,
then known Debian / Ubuntu paths) and fails with a clear message naming the package to install.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

KNOWN = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
# Face order inside NotoSansCJK-Regular.ttc: JP, KR, SC, TC, HK
SC_INDEX = 2
FAMILY = "Noto Sans CJK SC"


class NoCJKFont(RuntimeError):
    """No CJK font installed: Chinese would come out as empty boxes."""


@dataclass(frozen=True)
class CJKFont:
    path: Path
    index: int  # face number inside a .ttc collection (0 for a .ttf / .otf)
    family: str


def _fc_match() -> str | None:
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", f"{FAMILY}:style=Regular"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out if "CJK" in out and Path(out).exists() else None


@functools.cache
def cjk_font() -> CJKFont:
    env = os.environ.get("CARBON_CJK_FONT")
    if env:
        p = Path(env)
        if not p.exists():
            raise NoCJKFont(f"CARBON_CJK_FONT={env}: no such file")
        return CJKFont(p, SC_INDEX if p.suffix.lower() == ".ttc" else 0, FAMILY)
    for cand in (_fc_match(), *KNOWN):
        if cand and Path(cand).exists():
            p = Path(cand)
            idx = SC_INDEX if p.name.startswith("NotoSansCJK") and p.suffix == ".ttc" else 0
            return CJKFont(p, idx, FAMILY)
    raise NoCJKFont(
        "no CJK font found (Chinese would render as empty boxes) / 未找到中文字体: install Debian "
        "package fonts-noto-cjk (apt-get install fonts-noto-cjk) or set CARBON_CJK_FONT to a "
        "NotoSansCJK .ttc/.otf file"
    )


@functools.cache
def matplotlib_cjk() -> str:
    """Register the CJK font with matplotlib and make it the default sans-serif; returns its name."""
    import matplotlib
    from matplotlib import font_manager

    f = cjk_font()
    font_manager.fontManager.addfont(str(f.path))
    names = {e.name for e in font_manager.fontManager.ttflist if Path(e.fname) == f.path}
    name = FAMILY if FAMILY in names else sorted(names)[0]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return name
