"""Charts of a dispatch plan (matplotlib, Agg backend, no display needed), labelled in Chinese and
English (the CJK font comes from ``carbon.reports.fonts``; a machine without it fails loudly).

``schedule_figure`` builds one site's plan chart; ``plot_schedule`` writes it as a PNG. The layout
follows the horizon:

* **up to 29 days: the detail chart**, four stacked panels sharing the time axis:

  1. supply stacked (PV, wind, battery discharge, backup, grid import) against the facility load
     and the total demand, with the **contract capacity**, the **peak grid import** of the plan and
     a per-step **import limit** (when the site has one) as lines;
  2. battery state of charge (kWh, with the SOC limits);
  3. job placement, Gantt-like: one row per job, each instance's **window from release to
     deadline** drawn as an outlined box with end ticks, the running steps shaded by their share
     of ``max_kw``;
  4. price (CNY/kWh, left axis) and grid carbon intensity (kgCO2/kWh, right axis), **each with
     its own legend**.

* **30 days and beyond: the aggregated chart** (a month or a year of 15-minute steps drawn one by
  one is a solid block of colour):

  1. daily energy by source (stacked bars, MWh/day) against the daily facility energy;
  2. the daily peak grid import (kW) with the contract and the horizon's peak as lines;
  3. a heat-map of the battery state (% of capacity, day × time of day);
  4. the share of each job's window used, per job and day: the steps in which the job ran over
     the steps of its window (1 = it ran through its whole window, 0 = it did not run);
  5. the daily mean price and carbon intensity with their daily min–max band, each with a legend.

``frontier_figure`` / ``plot_frontier`` draw the cost–carbon frontier: carbon prices that give
the same plan share one point and one label, labels are placed so that they never overlap, and an
axis that does not start at zero says so in its label.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from carbon.config import TZ

#: horizons of this many days or more are drawn aggregated (daily), never step by step
LONG_HORIZON_DAYS = 30

SUPPLY = (
    ("pv_used_kw", "PV 光伏", "#f2b701"),
    ("wind_used_kw", "wind 风电", "#3aa6b9"),
    ("battery_discharge_kw", "battery discharge 储能放电", "#7b4fa0"),
    ("backup_kw", "backup 备用发电", "#8c564b"),
    ("grid_import_kw", "grid import 电网购电", "#9a9a9a"),
)
PRICE_COLOR = "#1f77b4"
CARBON_COLOR = "#2ca02c"
CONTRACT_COLOR = "#d62728"
PEAK_COLOR = "#ff7f0e"
LIMIT_COLOR = "#8b0000"
NOT_ZERO = "axis does not start at 0 / 坐标轴不从0开始"


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    return df[name].to_numpy(dtype=float) if name in df else np.zeros(len(df))


def _fonts() -> None:
    from carbon.reports.fonts import matplotlib_cjk

    matplotlib_cjk()


def _save(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out


def _base_job(job_id: str) -> str:
    """Daily repeats of a job ("etl@2026-07-16") share the row of their base job."""
    return str(job_id).split("@")[0]


def _import_limit(import_max_kw: float | np.ndarray | None, n: int) -> np.ndarray | None:
    if import_max_kw is None:
        return None
    lim = np.broadcast_to(np.asarray(import_max_kw, dtype=float), (n,)).astype(float)
    return lim if np.isfinite(lim).any() else None


def _note(ax, text: str) -> None:
    """A centred note in an empty panel."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center")


def _stairs(ax, edges, v, **style):
    """A step line over the intervals ``[edges[i], edges[i+1])``: value ``i`` held to the next
    edge (``len(edges) == len(v) + 1``)."""
    v = np.asarray(v, dtype=float)
    return ax.step(edges, np.append(v, v[-1]), where="post", **style)


def _stack_supply(ax, edges, columns, eps: float, **style) -> None:
    """The SUPPLY sources stacked as step areas over ``edges`` (sources never above ``eps`` are
    left out of the stack and the legend)."""
    base = np.zeros(len(edges) - 1)
    for col, label, color in SUPPLY:
        v = np.asarray(columns[col], dtype=float)
        if not np.any(v > eps):
            continue
        top = base + v
        ax.fill_between(
            edges,
            np.append(base, base[-1]),
            np.append(top, top[-1]),
            step="post",
            color=color,
            label=label,
            **style,
        )
        base = top


def _grid_lines(ax, imp: np.ndarray, contract_kw: float | None, x=None, limit=None) -> None:
    """Contract capacity, the plan's peak import and (per step) the import limit."""
    if contract_kw is not None and np.isfinite(contract_kw):
        ax.axhline(
            contract_kw,
            color=CONTRACT_COLOR,
            lw=1.2,
            ls="-.",
            label=f"contract 合同容量 {contract_kw:,.0f} kW",
        )
    if len(imp) and np.nanmax(imp) > 1e-6:
        peak = float(np.nanmax(imp))
        ax.axhline(
            peak, color=PEAK_COLOR, lw=1.2, ls="--", label=f"peak import 最大需量 {peak:,.0f} kW"
        )
    if limit is not None and x is not None:
        shown = np.where(np.isfinite(limit), limit, np.nan)
        _stairs(
            ax,
            x,
            shown,
            color=LIMIT_COLOR,
            lw=1.0,
            ls=":",
            label="import limit 购电上限",
        )


class _Opts(NamedTuple):
    """What a schedule chart is drawn with besides the plan (see :func:`schedule_figure`)."""

    title: str
    battery_kwh: float | None
    soc_limits: tuple[float, float] | None
    job_max_kw: Mapping[str, float]
    job_windows: Mapping[str, tuple[int, int]]
    contract_kw: float | None
    import_max_kw: float | np.ndarray | None
    shared_jobs: Mapping[str, str]


#: hatch of the job bars of shared (东数西算) jobs, and the tick-label tag that names them
SHARED_HATCH = "////"


def schedule_figure(
    plan: pd.DataFrame,
    jobs: pd.DataFrame,
    *,
    title: str = "",
    battery_kwh: float | None = None,
    soc_limits: tuple[float, float] | None = None,
    job_max_kw: Mapping[str, float] | None = None,
    job_windows: Mapping[str, tuple[int, int]] | None = None,
    contract_kw: float | None = None,
    import_max_kw: float | np.ndarray | None = None,
    shared_jobs: Mapping[str, str] | None = None,
) -> Figure:
    """The chart of one site's plan (rows of one site). ``jobs`` has ``job_id, step, kw`` with
    ``step`` the index into the plan's sorted steps; ``job_windows`` maps a job instance to its
    ``[release, deadline)`` steps; ``shared_jobs`` maps the shared (东数西算) jobs the site runs
    to their tag in the job row's label (e.g. "shared 共享", "moved in from X 迁入"): their bars
    are hatched. The layout is chosen by the horizon (module docstring)."""
    _fonts()
    plan = plan.sort_values("ts").reset_index(drop=True)
    ts = pd.DatetimeIndex(plan["ts"]).tz_convert(TZ)
    step = (ts[1] - ts[0]) if len(ts) > 1 else pd.Timedelta("15min")
    span_days = (len(ts) * step) / pd.Timedelta(days=1)
    o = _Opts(
        title,
        battery_kwh,
        soc_limits,
        job_max_kw or {},
        job_windows or {},
        contract_kw,
        import_max_kw,
        shared_jobs or {},
    )
    if span_days >= LONG_HORIZON_DAYS:
        return _long_figure(plan, jobs, ts, step, o)
    return _detail_figure(plan, jobs, ts, step, o)


def plot_schedule(plan: pd.DataFrame, jobs: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """Write the schedule PNG of one site's plan (see :func:`schedule_figure`)."""
    return _save(schedule_figure(plan, jobs, **kwargs), path)


# ------------------------------------------------------------------------------ detail (< 30 d)
def _detail_figure(plan, jobs, ts, step, o: _Opts) -> Figure:
    title, battery_kwh, soc_limits, job_max_kw, job_windows, contract_kw, import_max_kw, shared = o
    edges = ts.append(pd.DatetimeIndex([ts[-1] + step]))
    x = edges.tz_localize(None).to_pydatetime()
    n = len(plan)

    fig, axes = plt.subplots(
        4, 1, figsize=(13, 11.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.2, 1.8, 1.3]}
    )
    ax = axes[0]
    _stack_supply(ax, x, {c: _col(plan, c) for c, _, _ in SUPPLY}, 1e-6, alpha=0.85)
    facility = _col(plan, "facility_kw")
    demand = facility + _col(plan, "battery_charge_kw") + _col(plan, "grid_export_kw")
    _stairs(ax, x, facility, color="black", lw=1.6, label="facility load 设施负荷")
    _stairs(
        ax,
        x,
        demand,
        color="black",
        lw=1.0,
        ls="--",
        label="load + charge + export 负荷+充电+上网",
    )
    curtailed = _col(plan, "pv_curtailed_kw") + _col(plan, "wind_curtailed_kw")
    if np.any(curtailed > 1e-6):
        _stairs(
            ax,
            x,
            curtailed,
            color="#d62728",
            lw=1.0,
            label="curtailed RE 弃风弃光",
        )
    _grid_lines(ax, _col(plan, "grid_import_kw"), contract_kw, x, _import_limit(import_max_kw, n))
    ax.set_ylabel("kW 功率")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, fontsize=8, frameon=False)
    fig.suptitle(title or "dispatch plan 调度计划")
    ax.grid(alpha=0.3)

    ax = axes[1]
    soc = _col(plan, "soc_kwh")
    ax.plot(
        ts.tz_localize(None) + step,
        soc,
        color="#7b4fa0",
        lw=1.5,
        label="SOC (end of step) 荷电状态",
    )
    if battery_kwh and soc_limits:
        for f in soc_limits:
            ax.axhline(battery_kwh * f, color="#7b4fa0", lw=0.8, ls=":")
    ax.set_ylabel("SOC kWh 储能电量")
    ax.grid(alpha=0.3)

    _job_gantt(axes[2], jobs, ts, step, job_max_kw, job_windows, shared)
    _price_carbon(
        axes[3],
        x,
        _col(plan, "price_cny_per_kwh"),
        _col(plan, "carbon_kg_per_kwh"),
        stepped=True,
    )
    ax = axes[3]
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(f"time 时间 ({TZ})")
    fig.tight_layout()
    return fig


def _job_gantt(ax, jobs, ts, step, job_max_kw, job_windows, shared=None) -> None:
    shared = shared or {}
    step_days = step / pd.Timedelta(days=1)
    t_num = mdates.date2num(ts.tz_localize(None).to_pydatetime())
    n = len(ts)

    def t_at(i: int) -> float:
        i = int(i)
        return float(t_num[i]) if i < n else float(t_num[-1]) + (i - n + 1) * step_days

    instances = set(job_windows) | (set(jobs["job_id"].astype(str)) if not jobs.empty else set())
    job_ids = sorted({_base_job(j) for j in instances})
    rows = {j: r for r, j in enumerate(job_ids)}
    window_label = "window release→deadline 可运行窗口"
    for inst in sorted(job_windows):
        release, deadline = job_windows[inst]
        r = rows[_base_job(inst)]
        x0, x1 = t_at(release), t_at(deadline)
        ax.add_patch(
            Rectangle(
                (x0, r - 0.42),
                x1 - x0,
                0.84,
                fill=False,
                edgecolor="#444444",
                lw=0.8,
                ls="-",
                label=window_label,
            )
        )
        for x, color, label in ((x0, "#2ca02c", "release 释放"), (x1, "#d62728", "deadline 截止")):
            ax.plot(
                [x, x],
                [r - 0.45, r + 0.45],
                color=color,
                lw=1.6,
                label=label if window_label else None,
            )
        window_label = ""  # one legend entry each
    if not jobs.empty:
        base = jobs["job_id"].astype(str).map(_base_job)
        for job_id in job_ids:
            j = jobs[base == job_id]
            if j.empty:
                continue
            kw = j.groupby("step")["kw"].sum()
            top = job_max_kw.get(job_id) or max(float(kw.max()), 1e-9)
            for step_i, val in kw.items():
                if val <= 1e-6:
                    continue
                ax.barh(
                    rows[job_id],
                    step_days,
                    left=t_at(step_i),
                    height=0.7,
                    color="#2a7ab9",
                    alpha=0.25 + 0.75 * min(1.0, val / top),
                    edgecolor="white" if job_id in shared else "none",
                    hatch=SHARED_HATCH if job_id in shared else None,
                    lw=0,
                )
    ax.set_yticks(range(len(job_ids)))
    ax.set_yticklabels([f"{j}\n[{shared[j]}]" if j in shared else j for j in job_ids], fontsize=8)
    ax.set_ylim(-0.6, max(len(job_ids), 1) - 0.4)
    ax.set_ylabel("jobs 作业")
    ax.grid(alpha=0.3, axis="x")
    if job_windows:
        ax.legend(loc="upper right", fontsize=7, ncol=3, frameon=True, framealpha=0.8)
    if not job_ids:
        _note(ax, "no flexible jobs 无柔性作业")


def _price_carbon(ax, x, price, carbon, *, stepped: bool, band=None) -> None:
    """Price on the left axis, carbon intensity on the right, each with its own legend;
    ``stepped``: one value per interval of the edges ``x`` (else a line through points ``x``)."""
    if stepped:
        _stairs(ax, x, price, color=PRICE_COLOR, label="price 电价 CNY/kWh")
    else:
        ax.plot(x, price, color=PRICE_COLOR, lw=1.2, label="price 电价 CNY/kWh (daily mean 日均)")
    ax.set_ylabel("CNY/kWh 电价", color=PRICE_COLOR)
    ax2 = ax.twinx()
    if stepped:
        _stairs(ax2, x, carbon, color=CARBON_COLOR, label="carbon 碳强度 kgCO2/kWh")
    else:
        ax2.plot(
            x, carbon, color=CARBON_COLOR, lw=1.2, label="carbon 碳强度 kgCO2/kWh (daily mean 日均)"
        )
    if band is not None:
        (plo, phi), (clo, chi) = band
        ax.fill_between(x, plo, phi, color=PRICE_COLOR, alpha=0.15, label="price min–max 日内区间")
        ax2.fill_between(
            x, clo, chi, color=CARBON_COLOR, alpha=0.15, label="carbon min–max 日内区间"
        )
    ax2.set_ylabel("kgCO2/kWh 碳强度", color=CARBON_COLOR)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.85)
    ax2.legend(loc="upper right", fontsize=8, framealpha=0.85)
    ax.grid(alpha=0.3)


# ---------------------------------------------------------------------------- long (>= 30 days)
def _long_figure(plan, jobs, ts, step, o: _Opts) -> Figure:
    title, battery_kwh, _, _, job_windows, contract_kw, import_max_kw, _ = o
    h = step / pd.Timedelta(hours=1)
    local = ts.tz_localize(None)
    day = local.normalize()
    days = pd.DatetimeIndex(sorted(day.unique()))
    d_num = mdates.date2num(days.to_pydatetime())
    frame = pd.DataFrame({c: _col(plan, c) for c, _, _ in SUPPLY})
    frame["facility_kw"] = _col(plan, "facility_kw")
    frame["day"] = day
    mwh = frame.groupby("day").sum().reindex(days).fillna(0.0) * h / 1000.0

    fig, axes = plt.subplots(
        5, 1, figsize=(13, 14), gridspec_kw={"height_ratios": [2.4, 1.3, 1.6, 1.6, 1.3]}
    )
    ax = axes[0]
    edges = np.append(d_num, d_num[-1] + 1)
    # one step per day (an area, not 365 bars that alias into stripes)
    _stack_supply(ax, edges, mwh, 1e-9, alpha=0.9, lw=0)
    _stairs(
        ax,
        edges,
        mwh["facility_kw"],
        color="black",
        lw=1.3,
        label="facility energy 设施用电",
    )
    ax.set_ylabel("MWh/day 日电量")
    ax.set_title("daily energy by source 分来源日电量", fontsize=10)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.08), ncol=6, fontsize=8, frameon=False)
    ax.grid(alpha=0.3, axis="y")
    fig.suptitle(title or "dispatch plan 调度计划")

    ax = axes[1]
    imp = pd.Series(_col(plan, "grid_import_kw"), index=day).groupby(level=0).max().reindex(days)
    _stairs(
        ax,
        edges,
        imp,
        color="#555555",
        lw=1.2,
        label="daily peak import 日最大购电",
    )
    _grid_lines(ax, imp.to_numpy(), contract_kw)
    limit = _import_limit(import_max_kw, len(plan))
    if limit is not None:
        lim = pd.Series(limit, index=day).groupby(level=0).min().reindex(days).to_numpy()
        _stairs(
            ax,
            edges,
            lim,
            color=LIMIT_COLOR,
            lw=1.0,
            ls=":",
            label="import limit (daily min) 购电上限",
        )
    ax.set_ylim(bottom=0)
    ax.set_ylabel("kW 功率")
    ax.set_title("daily peak grid import 日最大购电功率", fontsize=10)
    ax.legend(loc="lower right", fontsize=8, ncol=4, framealpha=0.85)
    ax.grid(alpha=0.3)

    ax = axes[2]
    per_day = round(pd.Timedelta(days=1) / step)
    if battery_kwh:
        slot = ((local - day) / step).astype(int)
        grid = np.full((len(days), per_day), np.nan)
        rows = days.get_indexer(day)
        grid[rows, np.clip(slot, 0, per_day - 1)] = 100.0 * _col(plan, "soc_kwh") / battery_kwh
        im = ax.imshow(
            grid.T,
            aspect="auto",
            origin="lower",
            cmap="viridis",
            vmin=0,
            vmax=100,
            extent=(d_num[0], d_num[-1] + 1, 0, 24),
            interpolation="nearest",
        )
        fig.colorbar(im, cax=ax.inset_axes((1.01, 0.0, 0.012, 1.0)), label="SOC % 荷电状态")
        ax.set_yticks([0, 6, 12, 18, 24])
        ax.set_ylabel("hour 时刻")
        ax.set_title(
            "battery state of charge 储能荷电状态 (day × time of day 日×时刻)", fontsize=10
        )
    else:
        _note(ax, "no battery 无储能")
        ax.set_yticks([])

    ax = axes[3]
    share = window_share(jobs, job_windows, ts)
    if share.empty:
        _note(ax, "no flexible jobs 无柔性作业")
        ax.set_yticks([])
    else:
        names = sorted(share["job"].unique())
        mat = np.full((len(names), len(days)), np.nan)
        jr = {j: i for i, j in enumerate(names)}
        dcol = days.get_indexer(pd.DatetimeIndex(share["day"]))
        for r, c, v in zip(share["job"].map(jr), dcol, share["share"], strict=True):
            if c >= 0:
                mat[r, c] = v
        im = ax.imshow(
            mat,
            aspect="auto",
            origin="lower",
            cmap="Blues",
            vmin=0,
            vmax=1,
            extent=(d_num[0], d_num[-1] + 1, -0.5, len(names) - 0.5),
            interpolation="nearest",
        )
        fig.colorbar(
            im, cax=ax.inset_axes((1.01, 0.0, 0.012, 1.0)), label="share of window used 窗口使用率"
        )
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names, fontsize=8)
        ax.set_title(
            "share of each job's window used 作业窗口使用率 (blank 空白 = no window)", fontsize=10
        )

    ax = axes[4]
    daily = (
        pd.DataFrame(
            {"p": _col(plan, "price_cny_per_kwh"), "c": _col(plan, "carbon_kg_per_kwh"), "day": day}
        )
        .groupby("day")
        .agg(["mean", "min", "max"])
        .reindex(days)
    )
    xc = d_num + 0.5
    _price_carbon(
        ax,
        xc,
        daily[("p", "mean")].to_numpy(),
        daily[("c", "mean")].to_numpy(),
        stepped=False,
        band=(
            (daily[("p", "min")], daily[("p", "max")]),
            (daily[("c", "min")], daily[("c", "max")]),
        ),
    )
    for a in axes:
        a.set_xlim(d_num[0], d_num[-1] + 1)
        locator = mdates.AutoDateLocator()
        a.xaxis.set_major_locator(locator)
        a.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes[-1].set_xlabel(f"date 日期 ({TZ})")
    fig.tight_layout()
    return fig


def window_share(
    jobs: pd.DataFrame, job_windows: Mapping[str, tuple[int, int]], ts: pd.DatetimeIndex
) -> pd.DataFrame:
    """Per job instance: the share of its window's steps in which it ran (kW > 0), with the
    local day of its release and its base job. Columns ``job, instance, day, share``."""
    if not job_windows:
        return pd.DataFrame(columns=["job", "instance", "day", "share"])
    running = (
        jobs[jobs["kw"] > 1e-6].groupby(jobs["job_id"].astype(str))["step"].apply(set)
        if not jobs.empty
        else pd.Series(dtype=object)
    )
    local = ts.tz_localize(None)
    rows = []
    for inst, (release, deadline) in sorted(job_windows.items()):
        width = max(int(deadline) - int(release), 0)
        if width == 0 or int(release) >= len(ts):
            continue
        ran = running.get(inst, set())
        used = sum(1 for s in ran if release <= s < deadline)
        rows.append((_base_job(inst), inst, local[int(release)].normalize(), used / width))
    return pd.DataFrame(rows, columns=["job", "instance", "day", "share"])


# ------------------------------------------------------------------------------------ frontier
def _frontier_points(table: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct plan (carbon prices giving the same cost and tCO2 share a point)."""
    ok = table[table["status"].isin(["optimal", "time_limit"])].copy()
    ok = ok.sort_values(["tco2", "cost_cny"]).reset_index(drop=True)
    labels: list[str] = []
    for _, r in ok.iterrows():
        if pd.notna(r.get("carbon_price_cny_per_t")) and r.get("method") != "cap":
            labels.append(f"{r['carbon_price_cny_per_t']:g}")
        elif pd.notna(r.get("emission_cap_t")):
            labels.append(f"cap 上限 {r['emission_cap_t']:.1f} t")
        else:
            labels.append("")
    ok["label"] = labels
    key_t = ok["tco2"].round(6)
    key_c = ok["cost_cny"].round(2)
    groups = []
    for _key, g in ok.groupby([key_t, key_c], sort=False):
        if "carbon_price_cny_per_t" in g:
            g = g.sort_values("carbon_price_cny_per_t", kind="stable")
        prices = [s for s in g["label"] if s and not s.startswith("cap")]
        caps = [s for s in g["label"] if s.startswith("cap")]
        parts = []
        if prices:
            parts.append(", ".join(prices) + " CNY/t")
        parts += caps
        groups.append(
            {
                "tco2": g["tco2"].iloc[0],
                "cost_cny": g["cost_cny"].iloc[0],
                "label": "; ".join(parts),
            }
        )
    return pd.DataFrame(groups, columns=["tco2", "cost_cny", "label"]).sort_values("tco2")


def _axis_from_zero(values: np.ndarray) -> bool:
    """Start at zero unless the points would then be squeezed into less than a third of it."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if lo <= 0 or hi <= 0:
        return True
    return (hi - lo) / hi >= 1 / 3 or lo / hi < 0.5


def frontier_figure(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Cost (CNY, without the carbon price) against emissions (tCO2) of the frontier points."""
    _fonts()
    pts = _frontier_points(table)
    fig, ax = plt.subplots(figsize=(11, 6))
    ax.plot(
        pts["tco2"],
        pts["cost_cny"],
        "o-",
        color="#2a7ab9",
        label="frontier point 前沿点 (label: carbon price 碳价)",
    )
    xlabel = "emissions 排放 tCO2"
    ylabel = "cost 成本 CNY (energy + demand − export, excl. carbon price 不含碳价)"
    if len(pts):
        for vals, setter, lab, name in (
            (pts["tco2"].to_numpy(), ax.set_xlim, xlabel, "x"),
            (pts["cost_cny"].to_numpy(), ax.set_ylim, ylabel, "y"),
        ):
            lo, hi = float(vals.min()), float(vals.max())
            pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi) * 0.05, 1.0)
            if _axis_from_zero(vals):
                setter(min(0.0, lo - pad), hi + pad)
            else:
                setter(lo - pad, hi + pad)
                if name == "x":
                    xlabel = f"{lab} — {NOT_ZERO}"
                else:
                    ylabel = f"{lab}\n{NOT_ZERO}"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_title(title or "cost–carbon frontier 成本-碳排放前沿")
    ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0, 0.74, 1))  # the legend sits outside, right: never on a label
    _place_labels(fig, ax, pts)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize=7)
    return fig


def plot_frontier(table: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """Write the frontier PNG (see :func:`frontier_figure`)."""
    return _save(frontier_figure(table, title=title), path)


# candidate label offsets (points), tried in order, then farther out
_OFFSETS = ((6, 6), (6, -14), (-6, 6), (-6, -14), (10, 0), (-10, 0), (0, 12), (0, -18))


def _place_labels(fig: Figure, ax, pts: pd.DataFrame) -> None:
    """Greedy placement: each label takes the first candidate offset whose box overlaps neither
    an earlier label nor a plotted point; failing that, the farthest ring is used with a leader
    line. Deterministic, so the chart is the same on every run."""
    renderer = fig.canvas.get_renderer()
    placed: list = []
    marks = [
        ax.transData.transform((t, c)) for t, c in zip(pts["tco2"], pts["cost_cny"], strict=True)
    ]
    axes_box = ax.get_window_extent(renderer)
    for (_, r), _mark in zip(pts.iterrows(), marks, strict=True):
        if not r["label"]:
            continue
        chosen = None
        for ring in (1, 2, 3, 4, 6):
            for dx, dy in _OFFSETS:
                ha = "left" if dx >= 0 else "right"
                ann = ax.annotate(
                    r["label"],
                    (r["tco2"], r["cost_cny"]),
                    xytext=(dx * ring, dy * ring),
                    textcoords="offset points",
                    fontsize=7,
                    ha=ha,
                    arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.6}
                    if ring > 1
                    else None,
                )
                box = ann.get_window_extent(renderer).expanded(1.05, 1.15)
                clash = any(box.overlaps(b) for b in placed) or any(
                    box.contains(mx, my) for mx, my in marks
                )
                inside = (
                    box.x0 >= axes_box.x0
                    and box.x1 <= axes_box.x1
                    and box.y0 >= axes_box.y0
                    and box.y1 <= axes_box.y1
                )
                if not clash and inside:
                    chosen = (ann, box)
                    break
                ann.remove()
            if chosen:
                break
        if chosen is None:  # crowded beyond every ring: list it in the legend box instead
            ax.plot([], [], " ", label=f"{r['tco2']:.2f} t: {r['label']}")
            continue
        placed.append(chosen[1])
