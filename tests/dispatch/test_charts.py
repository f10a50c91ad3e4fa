"""The dispatcher's charts (issue 13 §6): long horizons aggregate, job bars show their window, the
grid lines are drawn, price and carbon each have a legend, frontier labels never overlap and an
axis that does not start at zero says so; Chinese renders (no missing glyph)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import small_raw
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from optimizers.plot import (
    LONG_HORIZON_DAYS,
    NOT_ZERO,
    frontier_figure,
    schedule_figure,
    window_share,
)
from optimizers.runner import plan_group
from optimizers.scenario import parse_scenario


def _plan(days: int, step: str = "1h", seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-07-15", periods=days * 24, freq=step, tz="Asia/Shanghai")
    n = len(ts)
    imp = rng.uniform(500, 1500, n)
    pv = np.clip(np.sin(np.linspace(0, days * np.pi * 2, n)), 0, None) * 400
    return pd.DataFrame(
        {
            "ts": ts,
            "grid_import_kw": imp,
            "pv_used_kw": pv,
            "facility_kw": imp + pv,
            "soc_kwh": rng.uniform(100, 900, n),
            "price_cny_per_kwh": rng.uniform(0.3, 1.1, n),
            "carbon_kg_per_kwh": rng.uniform(0.5, 0.6, n),
        }
    )


def _legend_texts(ax) -> list[str]:
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


@pytest.fixture(scope="module")
def small_day():
    raw = small_raw()
    out = plan_group(parse_scenario(yaml.safe_dump(raw)), None, "2026-07-15", "1d", None, png=False)
    assert out.ok, out.explanation
    site = out.problem.sites[0]
    return out, site


def test_detail_chart_draws_windows_grid_lines_and_two_legends(small_day):
    out, site = small_day
    plan = out.result.plan
    jobs = out.result.jobs
    windows = {j.job_id: (j.release, j.deadline) for j in site.jobs}
    assert windows, "the small scenario has a flexible job"
    fig = schedule_figure(
        plan,
        jobs,
        job_windows=windows,
        contract_kw=site.contract_kw,
        import_max_kw=site.grid_import_max_kw,
        battery_kwh=site.battery.energy_kwh,
        soc_limits=(site.battery.soc_min, site.battery.soc_max),
    )
    supply, _soc, gantt, price = fig.axes[:4]
    # contract and peak import lines, at their values
    lines = {ln.get_label(): ln for ln in supply.get_lines()}
    contract = [k for k in lines if k.startswith("contract")]
    peak = [k for k in lines if k.startswith("peak import")]
    assert contract and peak
    assert lines[contract[0]].get_ydata()[0] == pytest.approx(site.contract_kw)
    assert lines[peak[0]].get_ydata()[0] == pytest.approx(float(plan["grid_import_kw"].max()))
    # each job's window drawn from release to deadline
    ts = pd.DatetimeIndex(plan.sort_values("ts")["ts"]).tz_convert("Asia/Shanghai")
    import matplotlib.dates as mdates

    boxes = [p for p in gantt.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(boxes) == len(windows)
    (release, deadline), box = next(iter(windows.values())), boxes[0]
    t0 = mdates.date2num(ts[release].tz_localize(None).to_pydatetime())
    step = (ts[1] - ts[0]) / pd.Timedelta(days=1)
    assert box.get_x() == pytest.approx(t0)
    assert box.get_width() == pytest.approx((deadline - release) * step)
    assert {"release 释放", "deadline 截止"} <= set(_legend_texts(gantt))
    # price and carbon each have their own legend (two axes, two legends)
    twin = [a for a in fig.axes if a is not price and a.bbox.bounds == price.bbox.bounds]
    assert len(twin) == 1
    assert any(t.startswith("price") for t in _legend_texts(price))
    assert any(t.startswith("carbon") for t in _legend_texts(twin[0]))


def test_long_horizon_aggregates_daily_and_never_draws_steps():
    days = LONG_HORIZON_DAYS + 5
    plan = _plan(days)
    # a daily job: window 22:00–06:00, runs 3 of its 8 steps each day
    jobs_rows, windows = [], {}
    for d in range(days - 1):
        inst = f"batch@{d}" if d else "batch"
        windows[inst] = (d * 24 + 22, d * 24 + 30)
        for s in (d * 24 + 23, d * 24 + 24, d * 24 + 25):
            jobs_rows.append((inst, "S1", s, 100.0))
    jobs = pd.DataFrame(jobs_rows, columns=["job_id", "site_id", "step", "kw"])
    fig = schedule_figure(plan, jobs, job_windows=windows, battery_kwh=1000.0, contract_kw=1800.0)
    energy, peak, soc, share, _price = fig.axes[:5]
    # panel 1: one value per day, equal to the day's MWh by source
    coll = energy.collections[0]  # PV, the first source drawn
    verts = coll.get_paths()[0].vertices
    assert len(verts) < 6 * (days + 2), "drawn step by step, not per day"
    day = pd.DatetimeIndex(plan["ts"]).tz_convert("Asia/Shanghai").tz_localize(None).normalize()
    pv_mwh = plan.groupby(day)["pv_used_kw"].sum().to_numpy() / 1000.0
    top = np.unique(np.round(verts[:, 1], 9))
    for v in pv_mwh[:5]:
        assert np.isclose(top, v).any()
    # panel 2: the contract line and the daily peak
    labels = [ln.get_label() for ln in peak.get_lines()]
    assert any(s.startswith("contract") for s in labels)
    # panel 3: the SoC heat-map is hours × days
    img = [c for c in soc.get_children() if isinstance(c, AxesImage)]
    assert img and img[0].get_array().shape == (24, days)
    # panel 4: share of each job's window used = 3 / 8
    mat = next(c for c in share.get_children() if isinstance(c, AxesImage)).get_array()
    vals = np.asarray(mat)[0]
    assert np.nanmax(np.abs(vals[: days - 1] - 3 / 8)) < 1e-12
    s = window_share(jobs, windows, pd.DatetimeIndex(plan["ts"]))
    assert len(s) == days - 1 and np.allclose(s["share"], 3 / 8)


def test_window_share_counts_only_steps_inside_the_window():
    ts = pd.date_range("2026-07-15", periods=24, freq="1h", tz="Asia/Shanghai")
    jobs = pd.DataFrame(
        {"job_id": ["a", "a", "a", "b"], "site_id": "S1", "step": [1, 2, 9, 5], "kw": 1.0}
    )
    s = window_share(jobs, {"a": (0, 4), "b": (4, 6), "c": (10, 12)}, ts).set_index("instance")
    assert s.loc["a", "share"] == 0.5  # steps 1, 2 of 0..3 (step 9 is outside)
    assert s.loc["b", "share"] == 0.5
    assert s.loc["c", "share"] == 0.0


def _frontier_table(
    n: int, spread_t: float, spread_c: float, outlier: bool = False
) -> pd.DataFrame:
    prices = [0, 25, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1200, 1600][:n]
    t = 80.0 - np.linspace(0, spread_t, n)
    c = 85000.0 + np.linspace(0, spread_c, n) ** 1.5
    if outlier:  # the zero-price plan far away, the others in a tight cluster
        t[0], c[0] = 120.0, 84000.0
    rows = [
        {"carbon_price_cny_per_t": p, "tco2": a, "cost_cny": b, "status": "optimal"}
        for p, a, b in zip(prices, t, c, strict=True)
    ]
    rows.append(
        {"carbon_price_cny_per_t": 2000, "tco2": t[-1], "cost_cny": c[-1], "status": "optimal"}
    )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "n,spread_t,spread_c,outlier",
    [(13, 0.05, 20.0, False), (8, 2.0, 300.0, False), (13, 0.5, 1.0, True), (10, 0.8, 6.0, True)],
)
def test_frontier_labels_never_overlap(n, spread_t, spread_c, outlier):
    table = _frontier_table(n, spread_t, spread_c, outlier)
    fig = frontier_figure(table)
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [c for c in ax.texts if c.get_text()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    legend_box = ax.get_legend().get_window_extent(renderer)
    assert not any(b.overlaps(legend_box) for b in boxes)
    # prices with the same plan share one point and one label
    legend = " ".join(_legend_texts(ax))
    joined = " ".join(t.get_text() for t in texts) + " " + legend
    last = table["carbon_price_cny_per_t"].iloc[-2]  # the last price gives the same plan as 2000
    assert f"{last:g}, 2000 CNY/t" in joined
    # every price appears once, on the chart or in the legend
    for p in table["carbon_price_cny_per_t"]:
        assert joined.count(f"{p:g}") >= 1


def test_frontier_axis_says_when_it_does_not_start_at_zero():
    fig = frontier_figure(_frontier_table(5, 0.2, 5.0))
    ax = fig.axes[0]
    assert ax.get_xlim()[0] > 0 and NOT_ZERO in ax.get_xlabel()
    assert ax.get_ylim()[0] > 0 and NOT_ZERO in ax.get_ylabel()
    wide = pd.DataFrame(
        {
            "carbon_price_cny_per_t": [0, 100, 200],
            "tco2": [10.0, 5.0, 1.0],
            "cost_cny": [100.0, 150.0, 400.0],
            "status": "optimal",
        }
    )
    ax = frontier_figure(wide).axes[0]
    assert ax.get_xlim()[0] <= 0 and NOT_ZERO not in ax.get_xlabel()
    assert ax.get_ylim()[0] <= 0 and NOT_ZERO not in ax.get_ylabel()


def test_chinese_labels_render_with_the_cjk_font(small_day, tmp_path):
    out, site = small_day
    fig = schedule_figure(out.result.plan, out.result.jobs, contract_kw=site.contract_kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "s.png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing[:3]
    import matplotlib

    assert "CJK" in matplotlib.rcParams["font.sans-serif"][0]
