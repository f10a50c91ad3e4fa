"""``carbon demo-data``: write the Yancheng-like demo city into ``<home>/landing``."""

from __future__ import annotations

from typing import Annotated

import typer

from carbon.cli import args as cliargs

Scale = cliargs.choice("tiny", "small", "city")

HELP = "Generate the Yancheng-like demo city (landing files + defect manifest), deterministically."


def command(
    ctx: typer.Context,
    scale: Annotated[
        str,
        cliargs.choice_option(
            Scale,
            "size of the city: tiny (tests, ~1 min), small, city (Yancheng: 2.5 M households)",
        ),
    ] = "tiny",
    seed: Annotated[
        int,
        cliargs.option(
            cliargs.seed, "INT", "random seed, 0 .. 2**32-1: the same seed writes the same files"
        ),
    ] = 42,
    defect_rate: Annotated[
        float,
        cliargs.option(
            cliargs.fraction,
            "SHARE",
            "share of deliberately bad rows, in [0, 1) (they must reach quarantine)",
        ),
    ] = 0.01,
    start: Annotated[str, cliargs.month_option("first month of the monthly reports")] = "2025-01",
    end: Annotated[str, cliargs.day_option("last day of the window")] = "2026-10-31",
    daily_days: Annotated[
        int | None,
        cliargs.days_option(
            "days of daily data ending at --end (default: 31 at tiny/small, 1 at city)"
        ),
    ] = None,
    anomalies: Annotated[
        bool,
        typer.Option(
            "--anomalies/--no-anomalies",
            help="inject the labelled meter anomalies (demo_manifest/anomalies.csv)",
        ),
    ] = True,
    home: Annotated[
        str | None,
        cliargs.option(cliargs.home_dir, "DIR", "data home (overrides carbon --home)"),
    ] = None,
    province: Annotated[
        bool,
        typer.Option(
            "--province",
            help="Jiangsu's 13 cities, one city home each under <home>/cities/<code>/ (docs/province.md)",
        ),
    ] = False,
) -> int:
    from rich.console import Console
    from rich.table import Table

    from carbon.config import paths
    from carbon.demo import generate

    if start > end[:7]:
        raise cliargs.UsageError(f"--start {start} is after --end {end}")
    p = paths(home) if home else cliargs.paths_of(ctx)
    console = Console()
    # the same generator settings for one city and for the province's thirteen
    opts = dict(
        scale=scale,
        seed=seed,
        defect_rate=defect_rate,
        start=start,
        end=end,
        daily_days=daily_days,
        anomalies=anomalies,
    )
    if province:
        from carbon.province.demo import generate_province

        with console.status(f"writing Jiangsu's 13 demo cities ({scale}) under {p.home}/cities …"):
            df = generate_province(p.home, **opts)
        console.print(df.to_string(index=False))
        return 0
    with console.status(f"writing the demo city ({scale}, seed {seed}) to {p.landing} …"):
        s = generate(p.home, **opts)
    cal = s.calibration
    t = Table(
        title=f"demo city 演示城市 ({s.scale}, seed {s.seed}): {s.home}/landing, {s.seconds} s"
    )
    for head in ("dataset 数据集", "files 文件", "rows 行", "defects 缺陷行"):
        t.add_column(head, justify="left" if head.startswith("dataset") else "right")
    for name in sorted(s.files):
        t.add_row(name, f"{s.files[name]:,}", f"{s.rows[name]:,}", f"{s.defects[name]:,}")
    console.print(t)
    console.print(
        f"Scope 1 范围一: {cal['city_scope1_tco2_per_year'] / 1e6:.2f} MtCO2/yr "
        f"(bottom-up reported 企业上报 {cal['bottom_up_reported_tco2_per_year'] / 1e6:.2f}, "
        f"top-down only 仅自上而下 {cal['top_down_only_tco2_per_year'] / 1e6:.2f}); "
        f"manifest: {s.home}/demo_manifest/"
    )
    return 0
