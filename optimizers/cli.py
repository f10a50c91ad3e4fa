"""``carbon dispatch``: plan a scenario, print KPIs, write the plan to the lake and chart it.

The planning itself (build → solve → write the lake, KPI files and charts) is
``optimizers.runner.plan_group``, which the Airflow DAG ``dispatch_day_ahead`` calls too; this
module is the command line around it: arguments, progress and the console tables.
"""

from __future__ import annotations

from typing import Annotated

import typer

from carbon.cli import args as cliargs
from optimizers.scenario import FORECAST_MODES

ForecastMode = cliargs.choice(*FORECAST_MODES)

HELP = "plan 源网荷储 dispatch for data-centre sites from a scenario YAML (day-ahead … 1 year)"


# ----------------------------------------------------------------------------- console
def _kpi_table(kpis: list[dict], title: str):
    from rich.table import Table

    cols = [
        ("site_id", "site 站点", "{}"),
        ("cost_cny", "cost 成本 CNY", "{:,.0f}"),
        ("tco2", "tCO2 排放", "{:,.2f}"),
        ("green_share", "green 绿电", "{:.1%}"),
        ("cue_kg_per_kwh", "CUE kg/kWh", "{:.3f}"),
        ("pue_realised", "PUE", "{:.3f}"),
        ("peak_kw", "peak 峰值 kW", "{:,.0f}"),
        ("grid_import_kwh", "import 购电 kWh", "{:,.0f}"),
        ("curtailment_kwh", "curtail 弃电 kWh", "{:,.0f}"),
        ("battery_cycles", "cycles 循环", "{:.2f}"),
        ("jobs_on_time", "jobs 作业", "{}"),
    ]
    if any(k.get("robustness_cost_cny") is not None for k in kpis):  # forecast: risk_aware
        cols += [
            ("adverse_cost_cny", "adverse 不利情景 CNY", "{:,.0f}"),
            ("robustness_cost_cny", "robust 鲁棒代价 CNY", "{:+,.0f}"),
            ("robustness_tco2", "robust tCO2", "{:+,.2f}"),
        ]
    t = Table(title=title)
    for _, head, _ in cols:
        t.add_column(head, justify="right" if not head.startswith("site") else "left")
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


def _moves_table(moves):
    """Each shared job run away from its home site (东数西算 迁移): share, kWh, GB, cost."""
    from rich.table import Table

    t = Table(title="moves between sites 跨站迁移")
    cols = [
        ("job_id", "job 作业", "{}"),
        ("from_site", "from 迁出", "{}"),
        ("to_site", "to 迁入", "{}"),
        ("moved_share", "share 比例", "{:.1%}"),
        ("moved_kwh", "kWh", "{:,.0f}"),
        ("data_gb", "data GB 数据", "{:,.1f}"),
        ("transfer_hours", "transfer h 传输", "{:.2f}"),
        ("migration_cost_cny", "cost 迁移成本 CNY", "{:,.0f}"),
    ]
    for _, head, _ in cols:
        t.add_column(head)
    for row in moves.to_dict("records"):
        t.add_row(*(fmt.format(row[key]) for key, _, fmt in cols))
    return t


def command(
    ctx: typer.Context,
    scenario: Annotated[str, cliargs.yaml_option("scenario YAML (see scenarios/)")],
    date: Annotated[str | None, cliargs.day_option("plan date (default: the scenario's)")] = None,
    horizon: Annotated[
        str | None,
        cliargs.horizon_option("days planned: 1d | 7d | 30d | 365d (default: the scenario's)"),
    ] = None,
    solver: Annotated[str, cliargs.choice_option(cliargs.Solver, "LP/MILP solver")] = "highs",
    milp: Annotated[
        bool,
        typer.Option(help="enforce integer job features and backup start-ups (MILP)"),
    ] = False,
    window: Annotated[
        str | None,
        cliargs.horizon_option(
            "rolling window for long horizons, e.g. 7d (default: scenario's, or 7d from 30d on)"
        ),
    ] = None,
    frontier: Annotated[
        bool, typer.Option(help="also trace the cost–carbon frontier (成本-碳排前沿)")
    ] = False,
    time_limit: Annotated[
        float | None, cliargs.option(cliargs.positive_float, "SECONDS", "solver time limit (s)")
    ] = None,
    sites: cliargs.Sites = None,
    forecast: Annotated[
        str | None,
        cliargs.choice_option(
            ForecastMode,
            "override the scenario's `forecast:` key: perfect foresight, the P50 forecast, "
            "or risk-aware (two-stage against P90 load / P10 PV); the KPIs show the difference",
        ),
    ] = None,
) -> int:
    """Plan, print the KPIs, write the lake partitions and the charts."""
    from types import SimpleNamespace

    args = SimpleNamespace(
        scenario=scenario,
        date=date,
        horizon=horizon,
        solver=solver,
        milp=milp,
        window=window,
        frontier=frontier,
        time_limit=time_limit,
        sites=sites,
        forecast=forecast,
    )
    return _run(args, cliargs.paths_of(ctx))


def _run(args, p) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from optimizers.runner import PLAN_KEY, PLANS, plan_group, run_frontier
    from optimizers.scenario import ScenarioError, build_problem, load_scenario, plan_window

    console = Console(width=max(Console().width, 140))
    try:
        sc = load_scenario(args.scenario)
        if args.forecast:  # the one key, from the command line
            sc.raw["forecast"] = args.forecast
        d, days, index = plan_window(sc, args.date, args.horizon)
    except (ScenarioError, ValueError) as exc:
        console.print(f"[red]scenario error[/red] {exc}")
        return cliargs.EXIT_FAILED
    site_ids = args.sites.split(",") if args.sites else None
    if site_ids:
        unknown = sorted(set(site_ids) - set(sc.site_ids))
        if unknown:
            console.print(f"[red]unknown site_id[/red] {unknown}; scenario has {sc.site_ids}")
            return cliargs.EXIT_FAILED
    home = p.home
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
        return cliargs.EXIT_FAILED
    if not outcome.ok:
        console.print(f"[red]no plan: {outcome.status}[/red]")
        console.print(outcome.explanation or "(the solver gave no explanation)")
        return cliargs.EXIT_FAILED
    r = outcome.result
    console.print(
        _kpi_table(outcome.kpis, f"{sc.name} {d}: {r.status}, objective {r.objective:,.0f} CNY")
    )
    console.print(
        f"build {r.build_s:.2f} s · solve {r.solve_s:.2f} s · solver {r.solver}"
        + (f" · gap {r.mip_gap:.2%}" if r.mip_gap else "")
    )
    if r.moves is not None and len(r.moves):
        console.print(_moves_table(r.moves))
    for w in r.warnings:
        console.print(f"[yellow]warning[/yellow] {w}")
    if r.explanation:
        console.print(r.explanation)
    for part in outcome.partitions:
        console.print(f"lake: {p.lake / PLANS / f'{PLAN_KEY}={part}'}")
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
