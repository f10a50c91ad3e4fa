"""``carbon dispatch``: plan a scenario, print KPIs, write the plan to the lake and chart it.

Also the library entry points the Airflow DAG uses: ``plan_group`` (build → solve → write lake
partitions, KPI files and PNGs for a group of sites solved together) and ``write_plans``.

Lake layout (documented in docs/dispatch.md)::

    <home>/lake/dispatch_plans/plan=<YYYY-MM-DD>__<site_id>/part-0.parquet   one row per step
    <home>/lake/dispatch_kpis/plan=<YYYY-MM-DD>__<site_id>/part-0.parquet    one row (the KPIs)
    <home>/outputs/dispatch/<YYYY-MM-DD>__<site_id>.png / .kpis.json

``carbon.lake.write_partition`` takes one partition key, and each mapped DAG task must own its own
partition (no two tasks writing one file), so the key is ``plan`` with value
``<plan date>__<site_id>``; ``plan_date`` and ``site_id`` are also stored as columns, so readers
never parse the partition value. The plan date is the first day of the horizon.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

HELP = "plan 源网荷储 dispatch for data-centre sites from a scenario YAML (day-ahead … 1 year)"

PLANS = "dispatch_plans"
KPIS = "dispatch_kpis"
PLAN_KEY = "plan"
DEFAULT_CARBON_PRICES = (0.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", required=True, help="scenario YAML (see scenarios/)")
    p.add_argument("--date", default=None, help="plan date YYYY-MM-DD (default: the scenario's)")
    p.add_argument("--horizon", default=None, help="1d | 7d | 30d | 365d (default: the scenario's)")
    p.add_argument("--solver", default="highs", choices=("highs", "cbc"))
    p.add_argument("--milp", action="store_true", help="enforce integer job features (MILP)")
    p.add_argument(
        "--window",
        default=None,
        help="rolling window for long horizons, e.g. 7d (default: scenario's, or 7d from 30d on)",
    )
    p.add_argument("--frontier", action="store_true", help="also trace the cost–carbon frontier")
    p.add_argument("--time-limit", type=float, default=None, help="solver time limit (s)")
    p.add_argument("--sites", default=None, help="comma-separated site_ids (default: all)")


# ----------------------------------------------------------------------------- pure shaping
def partition_value(plan_date: date | str, site_id: str) -> str:
    return f"{plan_date}__{site_id}"


def plans_schema():
    import pyarrow as pa

    from carbon.config import TZ
    from optimizers.problem import PLAN_COLUMNS

    fields = [
        pa.field("plan_date", pa.date32(), nullable=False),
        pa.field("site_id", pa.string(), nullable=False),
        pa.field("uscc", pa.string()),
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz=TZ), nullable=False),
        pa.field("step_hours", pa.float64(), nullable=False),
    ]
    fields += [pa.field(c, pa.float64()) for c in PLAN_COLUMNS if c not in ("site_id", "ts")]
    fields += [pa.field("pue", pa.float64()), pa.field("solver", pa.string())]
    return pa.schema(fields)


_KPI_INT = {"jobs_on_time", "jobs_total", "jobs_clipped"}
_KPI_BOOL = {"pue_target_met"}
_KPI_STR = {"backup_factor"}


def kpis_schema():
    import pyarrow as pa

    from carbon.config import TZ
    from optimizers.problem import KPI_COLUMNS

    fields = [
        pa.field("plan_date", pa.date32(), nullable=False),
        pa.field("site_id", pa.string(), nullable=False),
        pa.field("uscc", pa.string()),
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("horizon_days", pa.int64(), nullable=False),
        pa.field("step_hours", pa.float64(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("solver", pa.string()),
        pa.field("objective_cny", pa.float64()),
        pa.field("carbon_price_cny_per_t", pa.float64()),
    ]
    for c in KPI_COLUMNS:
        if c == "site_id":
            continue
        t = (
            pa.int64()
            if c in _KPI_INT
            else pa.bool_()
            if c in _KPI_BOOL
            else pa.string()
            if c in _KPI_STR
            else pa.float64()
        )
        fields.append(pa.field(c, t))
    fields.append(pa.field("planned_at", pa.timestamp("us", tz=TZ)))
    return pa.schema(fields)


def site_plan_frame(result, problem, site_id: str, scenario: str, plan_date: date):
    """The plan rows of one site, in the ``dispatch_plans`` schema."""
    import pandas as pd

    site = next(s for s in problem.sites if s.site_id == site_id)
    df = result.plan[result.plan["site_id"] == site_id].sort_values("ts").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "plan_date": [plan_date] * len(df),
            "site_id": site_id,
            "uscc": site.uscc,
            "scenario": scenario,
            "ts": df["ts"],
            "step_hours": float(site.step_hours),
        }
    )
    schema = plans_schema()
    for f in schema:
        if f.name in out:
            continue
        if f.name == "pue":
            out["pue"] = pd.Series(site.pue, dtype="float64").to_numpy()
        elif f.name == "solver":
            out["solver"] = result.solver
        else:
            out[f.name] = df[f.name].astype("float64").to_numpy() if f.name in df else float("nan")
    return out[schema.names]


def site_kpi_frame(result, problem, site_id: str, scenario: str, plan_date: date, days: int):
    import pandas as pd

    from carbon.config import TZ

    site = next(s for s in problem.sites if s.site_id == site_id)
    k = result.kpis[result.kpis["site_id"] == site_id].iloc[0].to_dict()
    row: dict[str, Any] = {
        "plan_date": plan_date,
        "site_id": site_id,
        "uscc": site.uscc,
        "scenario": scenario,
        "horizon_days": int(days),
        "step_hours": float(site.step_hours),
        "status": result.status,
        "solver": result.solver,
        "objective_cny": float(result.objective),
        "carbon_price_cny_per_t": float(problem.options.carbon_price_cny_per_t),
        "planned_at": pd.Timestamp.now(TZ).floor("s"),
    }
    schema = kpis_schema()
    for f in schema:
        if f.name in row:
            continue
        v = k.get(f.name)
        if f.name in _KPI_INT:
            row[f.name] = None if v is None or pd.isna(v) else int(v)
        elif f.name in _KPI_BOOL:
            row[f.name] = None if v is None or pd.isna(v) else bool(v)
        elif f.name in _KPI_STR:
            row[f.name] = None if v is None or pd.isna(v) else str(v)
        else:
            row[f.name] = None if v is None or pd.isna(v) else float(v)
    return pd.DataFrame([row])[schema.names]


# ----------------------------------------------------------------------------- run a plan
@dataclass
class GroupOutcome:
    """What planning one group of sites (solved together) produced."""

    site_ids: list[str]
    status: str
    explanation: str | None = None
    error: str | None = None
    partitions: list[str] = field(default_factory=list)
    pngs: list[str] = field(default_factory=list)
    kpis: list[dict] = field(default_factory=list)
    result: Any = None
    problem: Any = None

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "time_limit") and self.error is None

    def summary(self) -> dict:
        return {
            "site_ids": self.site_ids,
            "status": self.status,
            "ok": self.ok,
            "explanation": self.explanation,
            "error": self.error,
            "partitions": self.partitions,
            "pngs": self.pngs,
            "kpis": self.kpis,
        }


def write_plans(
    result, problem, scenario_name: str, plan_date: date, days: int, home=None, *, png: bool = True
) -> tuple[list[str], list[str], list[dict]]:
    """Write each site's plan and KPIs to the lake (+ KPI JSON and schedule PNG under outputs)."""
    from carbon.config import paths
    from carbon.lake import write_partition
    from optimizers.plot import plot_schedule

    out_dir = paths(home).outputs / "dispatch"
    out_dir.mkdir(parents=True, exist_ok=True)
    parts, pngs, kpis = [], [], []
    for site in problem.sites:
        value = partition_value(plan_date, site.site_id)
        plan = site_plan_frame(result, problem, site.site_id, scenario_name, plan_date)
        kpi = site_kpi_frame(result, problem, site.site_id, scenario_name, plan_date, days)
        write_partition(PLANS, PLAN_KEY, value, plan, schema=plans_schema(), home=home)
        write_partition(KPIS, PLAN_KEY, value, kpi, schema=kpis_schema(), home=home)
        parts.append(value)
        rec = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in kpi.iloc[0].to_dict().items()
        }
        rec = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        kpis.append(rec)
        (out_dir / f"{value}.kpis.json").write_text(
            json.dumps(rec, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        if png:
            site_jobs = result.jobs[result.jobs["site_id"] == site.site_id]
            max_kw = {j.job_id: j.max_kw for j in [*site.jobs, *problem.shared_jobs]}
            b = site.battery
            path = plot_schedule(
                result.plan[result.plan["site_id"] == site.site_id],
                site_jobs,
                out_dir / f"{value}.png",
                title=f"{site.site_id} {plan_date} ({days} d) · {scenario_name} · {result.status}",
                battery_kwh=b.energy_kwh if b else None,
                soc_limits=(b.soc_min, b.soc_max) if b else None,
                job_max_kw=max_kw,
            )
            pngs.append(str(path))
    return parts, pngs, kpis


def plan_group(
    scenario,
    site_ids: list[str] | None = None,
    plan_date: date | str | None = None,
    horizon: str | int | None = None,
    home=None,
    *,
    solver: str = "highs",
    milp: bool | None = None,
    window: str | None = None,
    time_limit: float | None = None,
    progress=None,
    png: bool = True,
) -> GroupOutcome:
    """Plan ``site_ids`` (default: all) of a scenario together and write the outputs.

    Never raises for an infeasible plan or bad input data: the outcome carries the status and
    the explanation (the DAG turns that into a failed task; the CLI into a non-zero exit)."""
    from optimizers import inputs, solve
    from optimizers.scenario import ScenarioError, build_problem, plan_window

    sc = scenario.subset(site_ids) if site_ids else scenario
    ids = sc.site_ids
    try:
        d, days, _ = plan_window(sc, plan_date, horizon)
        problem = build_problem(sc, d, days, home, milp=milp)
        w = window or (sc.raw.get("options", {}) or {}).get("rolling_window")
        if w is None and days >= 30:
            w = "7d"
        if w is not None and inputs.parse_horizon(w) < days:
            problem.options.rolling_window_steps = inputs.parse_horizon(w) * round(
                24 / problem.step_hours
            )
        result = solve(problem, solver=solver, time_limit=time_limit, progress=progress)
    except (ScenarioError, ValueError) as exc:
        return GroupOutcome(ids, "error", error=str(exc))
    out = GroupOutcome(ids, result.status, result.explanation, result=result, problem=problem)
    if not result.ok:
        return out
    out.partitions, out.pngs, out.kpis = write_plans(
        result, problem, sc.name, d, days, home, png=png
    )
    return out


def _price_point(problem, carbon_price: float, solver: str):
    """One frontier point by re-solving at another carbon price (fallback sweep)."""
    import dataclasses

    import pandas as pd

    from optimizers import solve

    p = dataclasses.replace(
        problem,
        options=dataclasses.replace(problem.options, carbon_price_cny_per_t=float(carbon_price)),
    )
    r = solve(p, solver=solver)
    k = r.kpis
    ok = r.ok and not k.empty
    fac = float(k["facility_kwh"].sum()) if ok else float("nan")
    green = float((k["green_share"] * k["facility_kwh"]).sum()) / fac if ok and fac > 0 else None
    return pd.DataFrame(
        [
            {
                "method": "carbon_price",
                "carbon_price_cny_per_t": float(carbon_price),
                "emission_cap_t": None,
                "status": r.status,
                "cost_cny": float((k["cost_cny"] - k["carbon_cost_cny"]).sum()) if ok else None,
                "objective_cny": float(r.objective) if ok else None,
                "tco2": float(k["tco2"].sum()) if ok else None,
                "green_share": green,
            }
        ]
    )


def run_frontier(problem, home, stem: str, *, solver: str = "highs", progress=None):
    """Sweep the carbon price, write ``<stem>.frontier.csv`` and ``.png``; return the table."""
    import pandas as pd

    from carbon.config import paths
    from optimizers import frontier
    from optimizers.plot import plot_frontier

    rows = []
    for i, cp in enumerate(DEFAULT_CARBON_PRICES):
        try:
            rows.append(frontier(problem, carbon_prices=[cp], solver=solver))
        except ModuleNotFoundError:  # optimiser core without optimizers.frontier yet
            rows.append(_price_point(problem, cp, solver))
        if progress:
            progress("frontier", (i + 1) / len(DEFAULT_CARBON_PRICES))
    table = pd.concat(rows, ignore_index=True)
    out_dir = paths(home).outputs / "dispatch"
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / f"{stem}.frontier.csv"
    table.to_csv(csv, index=False)
    png = plot_frontier(table, out_dir / f"{stem}.frontier.png", title=f"{stem} cost–carbon")
    return table, csv, png


# ----------------------------------------------------------------------------- console
def _kpi_table(kpis: list[dict], title: str):
    from rich.table import Table

    cols = [
        ("site_id", "site", "{}"),
        ("cost_cny", "cost CNY", "{:,.0f}"),
        ("tco2", "tCO2", "{:,.2f}"),
        ("green_share", "green", "{:.1%}"),
        ("cue_kg_per_kwh", "CUE kg/kWh", "{:.3f}"),
        ("pue_realised", "PUE", "{:.3f}"),
        ("peak_kw", "peak kW", "{:,.0f}"),
        ("grid_import_kwh", "import kWh", "{:,.0f}"),
        ("curtailment_kwh", "curtail kWh", "{:,.0f}"),
        ("battery_cycles", "cycles", "{:.2f}"),
        ("jobs_on_time", "jobs", "{}"),
    ]
    t = Table(title=title)
    for _, head, _ in cols:
        t.add_column(head, justify="right" if head != "site" else "left")
    for k in kpis:
        cells = []
        for key, _, fmt in cols:
            v = k.get(key)
            if v is None:
                cells.append("–")
            elif key == "jobs_on_time":
                clip = k.get("jobs_clipped") or 0
                cells.append(f"{v}/{k.get('jobs_total')}" + (f" ({clip} cut)" if clip else ""))
            else:
                cells.append(fmt.format(v + 0.0 if isinstance(v, float) else v))  # no "-0"
        t.add_row(*cells)
    return t


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from carbon.config import paths
    from optimizers.scenario import ScenarioError, build_problem, load_scenario, plan_window

    console = Console(width=max(Console().width, 140))
    try:
        sc = load_scenario(args.scenario)
        d, days, index = plan_window(sc, args.date, args.horizon)
    except (ScenarioError, ValueError) as exc:
        console.print(f"[red]scenario error[/red] {exc}")
        return 1
    site_ids = args.sites.split(",") if args.sites else None
    if site_ids:
        unknown = sorted(set(site_ids) - set(sc.site_ids))
        if unknown:
            console.print(f"[red]unknown site_id[/red] {unknown}; scenario has {sc.site_ids}")
            return 1
    home = paths().home
    long_run = len(index) > 3000 or days >= 7 or args.frontier or args.window is not None
    console.print(
        f"[bold]{sc.name}[/bold] {d} · {days} d · {len(index)} steps of {sc.freq} · "
        f"solver {args.solver}{' MILP' if args.milp else ''} · home {home}"
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not long_run,
    ) as prog:
        task = prog.add_task("solve", total=1.0)

        def progress(stage: str, frac: float) -> None:
            prog.update(task, description=str(stage), completed=max(0.0, min(1.0, float(frac))))

        outcome = plan_group(
            sc,
            site_ids,
            d,
            days,
            home,
            solver=args.solver,
            milp=True if args.milp else None,
            window=args.window,
            time_limit=args.time_limit,
            progress=progress,
        )
    if outcome.error:
        console.print(f"[red]input error[/red] {outcome.error}")
        return 1
    if not outcome.ok:
        console.print(f"[red]no plan: {outcome.status}[/red]")
        console.print(outcome.explanation or "(the solver gave no explanation)")
        return 2
    r = outcome.result
    console.print(
        _kpi_table(outcome.kpis, f"{sc.name} {d}: {r.status}, objective {r.objective:,.0f} CNY")
    )
    console.print(
        f"build {r.build_s:.2f} s · solve {r.solve_s:.2f} s · solver {r.solver}"
        + (f" · gap {r.mip_gap:.2%}" if r.mip_gap else "")
    )
    for w in r.warnings:
        console.print(f"[yellow]warning[/yellow] {w}")
    if r.explanation:
        console.print(r.explanation)
    for part in outcome.partitions:
        console.print(f"lake: {paths(home).lake / PLANS / f'{PLAN_KEY}={part}'}")
    for png in outcome.pngs:
        console.print(f"chart: {png}")
    if args.frontier:
        problem = build_problem(
            sc.subset(site_ids) if site_ids else sc,
            d,
            days,
            home,
            milp=True if args.milp else None,
        )
        with Progress(console=console, transient=True) as prog:
            task = prog.add_task("frontier", total=1.0)
            table, csv, png = run_frontier(
                problem,
                home,
                f"{d}__{sc.name}",
                solver=args.solver,
                progress=lambda s, f: prog.update(task, completed=f),
            )
        console.print(table.to_string(index=False))
        console.print(f"frontier: {csv}\nfrontier chart: {png}")
    return 0
