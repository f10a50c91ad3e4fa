"""Charts of a dispatch plan (matplotlib, Agg backend, no display needed).

``plot_schedule`` draws one site's plan as four stacked panels sharing the time axis:

1. supply stacked (PV, wind, battery discharge, backup, grid import) against the facility load and
   the total demand (facility + battery charge + export);
2. battery state of charge (kWh, with the SOC limits);
3. job placement, Gantt-like: one row per job, shaded by its share of ``max_kw``;
4. price (CNY/kWh, left axis) and grid carbon intensity (kgCO2/kWh, twin right axis).

``plot_frontier`` draws the cost–carbon frontier. Both return the path of the PNG written.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from carbon.config import TZ

SUPPLY = (
    ("pv_used_kw", "PV", "#f2b701"),
    ("wind_used_kw", "wind", "#3aa6b9"),
    ("battery_discharge_kw", "battery discharge", "#7b4fa0"),
    ("backup_kw", "backup", "#8c564b"),
    ("grid_import_kw", "grid import", "#9a9a9a"),
)


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    return df[name].to_numpy(dtype=float) if name in df else np.zeros(len(df))


def plot_schedule(
    plan: pd.DataFrame,
    jobs: pd.DataFrame,
    path: str | Path,
    *,
    title: str = "",
    battery_kwh: float | None = None,
    soc_limits: tuple[float, float] | None = None,
    job_max_kw: dict[str, float] | None = None,
) -> Path:
    """Write the schedule PNG of one site's plan (rows of one site, sorted by ``ts``)."""
    plan = plan.sort_values("ts").reset_index(drop=True)
    ts = pd.DatetimeIndex(plan["ts"]).tz_convert(TZ)
    step = (ts[1] - ts[0]) if len(ts) > 1 else pd.Timedelta("15min")
    edges = ts.append(pd.DatetimeIndex([ts[-1] + step]))
    x = edges.tz_localize(None).to_pydatetime()

    def stairs(v: np.ndarray) -> np.ndarray:
        return np.append(v, v[-1])

    fig, axes = plt.subplots(
        4, 1, figsize=(13, 11), sharex=True, gridspec_kw={"height_ratios": [3, 1.2, 1.6, 1.3]}
    )
    ax = axes[0]
    base = np.zeros(len(plan))
    for col, label, color in SUPPLY:
        v = _col(plan, col)
        if not np.any(v > 1e-6):
            continue
        ax.fill_between(
            x, stairs(base), stairs(base + v), step="post", color=color, alpha=0.85, label=label
        )
        base = base + v
    facility = _col(plan, "facility_kw")
    demand = facility + _col(plan, "battery_charge_kw") + _col(plan, "grid_export_kw")
    ax.step(x, stairs(facility), where="post", color="black", lw=1.6, label="facility load")
    ax.step(
        x,
        stairs(demand),
        where="post",
        color="black",
        lw=1.0,
        ls="--",
        label="load + charge + export",
    )
    curtailed = _col(plan, "pv_curtailed_kw") + _col(plan, "wind_curtailed_kw")
    if np.any(curtailed > 1e-6):
        ax.step(x, stairs(curtailed), where="post", color="#d62728", lw=1.0, label="curtailed RE")
    ax.set_ylabel("kW")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=7, fontsize=8, frameon=False)
    fig.suptitle(title or "dispatch plan")
    ax.grid(alpha=0.3)

    ax = axes[1]
    soc = _col(plan, "soc_kwh")
    ax.plot(ts.tz_localize(None) + step, soc, color="#7b4fa0", lw=1.5, label="SOC (end of step)")
    if battery_kwh and soc_limits:
        for f in soc_limits:
            ax.axhline(battery_kwh * f, color="#7b4fa0", lw=0.8, ls=":")
    ax.set_ylabel("SOC kWh")
    ax.grid(alpha=0.3)

    ax = axes[2]
    # daily repeats of a job ("etl@2026-07-16") share the row of their base job
    base = jobs["job_id"].astype(str).str.split("@").str[0] if not jobs.empty else pd.Series()
    job_ids = sorted(base.unique()) if not jobs.empty else []
    for row, job_id in enumerate(job_ids):
        j = jobs[base == job_id]
        kw = j.groupby("step")["kw"].sum()
        top = (job_max_kw or {}).get(job_id) or max(float(kw.max()), 1e-9)
        for step_i, val in kw.items():
            if val <= 1e-6:
                continue
            t0 = ts[int(step_i)].tz_localize(None)
            ax.barh(
                row,
                step / pd.Timedelta(days=1),
                left=mdates.date2num(t0),
                height=0.7,
                color="#2a7ab9",
                alpha=0.25 + 0.75 * min(1.0, val / top),
                edgecolor="none",
            )
    ax.set_yticks(range(len(job_ids)))
    ax.set_yticklabels(job_ids, fontsize=8)
    ax.set_ylim(-0.6, max(len(job_ids), 1) - 0.4)
    ax.set_ylabel("jobs")
    ax.grid(alpha=0.3, axis="x")
    if not job_ids:
        ax.text(0.5, 0.5, "no flexible jobs", transform=ax.transAxes, ha="center", va="center")

    ax = axes[3]
    ax.step(
        x,
        stairs(_col(plan, "price_cny_per_kwh")),
        where="post",
        color="#1f77b4",
        label="price CNY/kWh",
    )
    ax.set_ylabel("CNY/kWh", color="#1f77b4")
    ax2 = ax.twinx()
    ax2.step(
        x,
        stairs(_col(plan, "carbon_kg_per_kwh")),
        where="post",
        color="#2ca02c",
        label="carbon kgCO2/kWh",
    )
    ax2.set_ylabel("kgCO2/kWh", color="#2ca02c")
    ax.grid(alpha=0.3)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(f"time ({TZ})")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_frontier(table: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """Cost (CNY, without the carbon price) against emissions (tCO2) of the frontier points."""
    ok = table[table["status"].isin(["optimal", "time_limit"])].sort_values("tco2")
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.plot(ok["tco2"], ok["cost_cny"], "o-", color="#2a7ab9")
    for _, r in ok.iterrows():
        if pd.notna(r.get("carbon_price_cny_per_t")) and r.get("method") != "cap":
            label = f"{r['carbon_price_cny_per_t']:g} CNY/t"
        elif pd.notna(r.get("emission_cap_t")):
            label = f"cap {r['emission_cap_t']:.1f} t"
        else:
            label = ""
        ax.annotate(
            label, (r["tco2"], r["cost_cny"]), fontsize=7, xytext=(4, 4), textcoords="offset points"
        )
    ax.set_xlabel("emissions tCO2")
    ax.set_ylabel("cost CNY (energy + demand − export, excl. carbon price)")
    ax.set_title(title or "cost–carbon frontier")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
