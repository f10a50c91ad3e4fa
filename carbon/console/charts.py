"""ECharts options the console builds on the server (the data are the marts' / lake's rows)."""

from __future__ import annotations

import math
from collections import defaultdict

from carbon.config import TZINFO

# (column, legend: Chinese beside English, axis, style)
SCHEDULE_SERIES = (
    ("grid_import_kw", "电网购电 Grid import (kW)", 0, {"lineStyle": {"width": 3}}),
    ("pv_used_kw", "光伏 PV used (kW)", 0, {}),
    ("wind_used_kw", "风电 Wind used (kW)", 0, {}),
    ("battery_charge_kw", "储能充电 Battery charge (kW)", 0, {}),
    ("battery_discharge_kw", "储能放电 Battery discharge (kW)", 0, {}),
    ("job_kw", "柔性作业负荷 Flexible job load (kW)", 0, {}),
    ("soc_kwh", "储能电量 Battery SoC (kWh)", 2, {"lineStyle": {"type": "dashed"}}),
    ("price_cny_per_kwh", "电价 Price (元/kWh CNY/kWh)", 1, {"step": "start"}),
    (
        "carbon_kg_per_kwh",
        "电网碳强度 Carbon intensity (kgCO2/kWh)",
        1,
        {"lineStyle": {"type": "dotted"}},
    ),
)


def schedule_charts(cols, data, limits: dict[str, dict]) -> list[dict]:
    """One chart per site and plan date: the step schedule, price and carbon intensity on a second
    axis, SoC on a third, the contracted-demand (合同需量) and peak-import lines on grid import."""
    ix = {c: i for i, c in enumerate(cols)}
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for r in data:
        groups[(r[ix["site_id"]], str(r[ix["plan_date"]]))].append(r)
    out = []
    for n, ((site, day), rs) in enumerate(sorted(groups.items())):
        x = [r[ix["ts"]].astimezone(TZINFO).strftime("%m-%d %H:%M") for r in rs]
        step_h = [float(r[ix["step_hours"]]) for r in rs]
        lim = limits.get(site, {})
        series = []
        for col, name, axis, style in SCHEDULE_SERIES:
            vals = [None if r[ix[col]] is None else round(float(r[ix[col]]), 6) for r in rs]
            if col in ("wind_used_kw",) and not any(vals):
                continue  # a site without wind: no empty legend entry
            s = {
                "name": name,
                "type": "line",
                "yAxisIndex": axis,
                "data": vals,
                "symbol": "none",
                **style,
            }
            if col == "grid_import_kw":
                # full precision for the test that sums it against the mart
                s["data"] = [None if r[ix[col]] is None else float(r[ix[col]]) for r in rs]
                lines = [
                    {
                        "type": "max",
                        "name": "峰值购电 peak import",
                        "label": {"formatter": "峰值 peak {c} kW"},
                    }
                ]
                if lim.get("contract_kw"):
                    lines.append(
                        {
                            "yAxis": lim["contract_kw"],
                            "name": "合同需量 contract",
                            "label": {"formatter": "合同需量 contract {c} kW"},
                            "lineStyle": {"color": "#b00", "type": "solid"},
                        }
                    )
                s["markLine"] = {
                    "symbol": "none",
                    "data": lines,
                    "label": {"position": "insideEndTop"},
                }
            series.append(s)
        # the kW axis reaches the contract line even when the plan stays well below it
        top = max(
            [v for s in series if s["yAxisIndex"] == 0 for v in s["data"] if v is not None]
            + [float(lim.get("contract_kw") or 0)]
        )
        kw_axis = {"type": "value", "name": "kW 功率"}
        if top > 0:
            kw_axis["max"] = float(math.ceil(top * 1.08 / 500.0) * 500)
        title = f"{site} {lim.get('name') or ''} — {day}"
        out.append(
            {
                "id": f"sched{n}",
                "site_id": site,
                "plan_date": day,
                "step_hours": step_h,
                "option": {
                    "title": {"text": title, "textStyle": {"fontSize": 14}},
                    "tooltip": {"trigger": "axis"},
                    "legend": {"top": 30, "left": 10, "right": 10},
                    "grid": {"top": 118, "right": 150, "left": 70},
                    "xAxis": {"type": "category", "data": x},
                    "yAxis": [
                        kw_axis,
                        {"type": "value", "name": "元/kWh\nkgCO2/kWh", "position": "right"},
                        {
                            "type": "value",
                            "name": "kWh 电量",
                            "position": "right",
                            "offset": 72,
                            "nameGap": 30,
                        },
                    ],
                    "series": series,
                },
            }
        )
    return out


def trend_chart(cols, data, first_metered: str | None) -> dict:
    """Monthly Scope 1 and Scope 2 electricity. Scope 2 electricity comes from the metered accounts
    (int_elec__account_monthly): months before the first metered month have no meter readings in the
    lake (the demo lands its daily meter files only for the last ``daily_days`` of the window), so
    they are drawn as a gap, not as 0, and the chart says where metering begins."""
    ix = {c: i for i, c in enumerate(cols)}
    months = [r[ix["month"]] for r in data]
    s2 = [
        None
        if (first_metered is None or r[ix["month"]] < first_metered)
        else r[ix["tco2e_scope2_electricity"]]
        for r in data
    ]
    series2 = {
        "name": "电力间接 Scope 2 electricity",
        "type": "line",
        "data": s2,
        "connectNulls": False,
    }
    sub = None
    if first_metered is None:
        sub = "无电表数据 no metered electricity in the lake: Scope 2 not shown"
    elif months and first_metered > months[0]:
        sub = (
            f"电表数据自 {first_metered} 起 metered electricity begins {first_metered}; "
            "earlier months have no meter readings (not zero) 此前月份无电表读数(非零)"
        )
        series2["markLine"] = {
            "symbol": "none",
            "data": [
                {
                    "xAxis": first_metered,
                    "label": {"formatter": f"电表数据起始 metering begins {first_metered}"},
                }
            ],
            "lineStyle": {"type": "dashed", "color": "#555"},
        }
    return {
        "title": {
            "text": "月度趋势 Trend by month (tCO2)",
            "subtext": sub or "",
            "textStyle": {"fontSize": 14},
        },
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 62},
        "grid": {"top": 104},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value", "name": "tCO2"},
        "series": [
            {
                "name": "范围一 Scope 1",
                "type": "line",
                "data": [r[ix["tco2e_scope1"]] for r in data],
            },
            series2,
        ],
    }
