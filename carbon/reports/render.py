"""Render a ``Report`` as PDF (fpdf2, Noto Sans CJK embedded; charts drawn by matplotlib with the
same font) or XLSX (openpyxl: a summary sheet, then one sheet per table, Chinese beside English
headers). Files are written atomically: a temporary file in the target directory, then
``os.replace``.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from carbon.reports.data import Chart, Report
from carbon.reports.fonts import cjk_font, matplotlib_cjk

EXTRA_LABELS = {
    "region_name": "区县名称",
    "rank_in_industry": "行业内排名",
    "industry_peers": "同行业企业数",
    "entries": "分录数",
    "tco2e": "排放量(吨CO2e)",
    "tco2e_month": "本月排放(吨CO2e)",
    "tco2e_last_month": "上月排放(吨CO2e)",
    "change_vs_last_month": "环比变化(吨CO2e)",
    "tco2e_last_year": "去年同月排放(吨CO2e)",
    "change_vs_last_year": "同比变化(吨CO2e)",
    "scope": "范围",
    "sector_code": "行业部门",
    "severity": "严重程度",
}


def label(col: str) -> str:
    """'中文 english_name' for a column (the marts' dbt descriptions, as on the console pages)."""
    from carbon.console.labels import LABELS

    zh = EXTRA_LABELS.get(col) or LABELS.get(col, "")
    return f"{zh} {col}".strip()


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes 是" if v else "no 否"
    if isinstance(v, float):
        return f"{v:,.4f}" if abs(v) < 100 else f"{v:,.1f}"
    return str(v)


def chart_png(chart: Chart) -> bytes:
    """The chart as PNG with Chinese labels in Noto Sans CJK. Raises RuntimeError if matplotlib
    reports a missing glyph (it would draw an empty box)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    matplotlib_cjk()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(10, 4.2), dpi=120)
        x = list(range(len(chart.categories)))
        n = len(chart.series)
        bottom = [0.0] * len(x)
        w = 0.8 if chart.stacked else 0.8 / max(n, 1)
        for i, (name, vals) in enumerate(chart.series):
            vals = [float(v or 0) for v in vals]
            if chart.stacked:
                ax.bar(x, vals, w, bottom=bottom, label=name)
                bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
            else:
                ax.bar([xi - 0.4 + w * (i + 0.5) for xi in x], vals, w, label=name)
        ax.set_xticks(x, chart.categories, fontsize=8)
        ax.set_ylabel(chart.ylabel)
        ax.set_title(chart.title, fontsize=11)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    if missing:
        raise RuntimeError(f"chart font lacks glyphs / 图表字体缺字: {missing[0]}")
    return buf.getvalue()


def pdf_bytes(rep: Report) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    f = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font("NotoSansCJK", "", str(f.path), collection_font_number=f.index)
    pdf.set_title(rep.title)
    pdf.set_creator("carbon-accounts carbon report")
    pdf.add_page()
    pdf.set_font("NotoSansCJK", size=15)
    pdf.multi_cell(0, 8, rep.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("NotoSansCJK", size=9)
    with pdf.table(col_widths=(60, 200), first_row_as_headings=False, line_height=5) as t:
        for k, v in rep.facts:
            r = t.row()
            r.cell(k)
            r.cell(v)
    for ch in rep.charts:
        pdf.ln(3)
        pdf.image(io.BytesIO(chart_png(ch)), w=250)
    head = FontFace(fill_color=(225, 235, 225))
    for s in rep.sections:
        pdf.ln(4)
        pdf.set_font("NotoSansCJK", size=11)
        pdf.multi_cell(0, 6, s.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("NotoSansCJK", size=7)
        if s.note:
            pdf.multi_cell(0, 4, s.note, new_x="LMARGIN", new_y="NEXT")
        if not s.rows:
            pdf.multi_cell(0, 5, "无 none", new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(headings_style=head, line_height=4, text_align="LEFT") as t:
            r = t.row()
            for c in s.columns:
                r.cell(label(c))
            for row in s.rows:
                r = t.row()
                for v in row:
                    r.cell(_fmt(v))
    return bytes(pdf.output())


def xlsx_bytes(rep: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "概要 Summary"
    ws.append([rep.title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(["项目 Item", "值 Value"])
    for k, v in rep.facts:
        ws.append([k, v])
    for s in rep.sections:
        if s.note:
            ws.append([])
            ws.append([s.sheet, s.note])
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 90
    for s in rep.sections:
        sh = wb.create_sheet(s.sheet[:31])
        sh.append([label(c) for c in s.columns])
        for c in sh[1]:
            c.font = Font(bold=True)
        for row in s.rows:
            sh.append([v if isinstance(v, (int, float, str, type(None))) else str(v) for v in row])
        for i, c in enumerate(s.columns):
            sh.column_dimensions[sh.cell(1, i + 1).column_letter].width = max(12, len(label(c)) + 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(rep: Report, fmt: str) -> bytes:
    if fmt == "pdf":
        return pdf_bytes(rep)
    if fmt == "xlsx":
        return xlsx_bytes(rep)
    raise ValueError(f"format {fmt!r}: pdf or xlsx / 格式应为 pdf 或 xlsx")


def write(rep: Report, fmt: str, out_dir: Path) -> Path:
    """Write atomically: temporary file in ``out_dir``, then ``os.replace``."""
    data = render(rep, fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{rep.stem}.{fmt}"
    from carbon.pipeline.lake import atomic_path

    with atomic_path(target, fsync=True) as tmp:
        tmp.write_bytes(data)
    return target
