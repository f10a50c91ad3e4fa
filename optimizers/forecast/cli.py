"""``carbon forecast``: issue day-ahead forecasts into the lake (the command line around
``optimizers.forecast.runner``, which the DAG ``dispatch_forecast`` calls too).

Exit codes: 0 every site got its forecast; 1 a site got none (its reason is printed; a plan with
``forecast: model`` then falls back, flagged); 2 bad command line.
"""

from __future__ import annotations

from typing import Annotated

import typer

from carbon.cli import args as cliargs

HELP = "issue day-ahead P10/P50/P90 forecasts of IT load and PV (日前预测) into lake/dispatch_forecasts"


def command(
    ctx: typer.Context,
    date: Annotated[str, cliargs.day_option("the target day (Asia/Shanghai)")],
    scenario: Annotated[
        str | None,
        cliargs.yaml_option(
            "scenario YAML whose sites are forecast (default: scenarios/yancheng_dc.yaml)"
        ),
    ] = None,
    history_days: Annotated[
        int, cliargs.days_option("days of telemetry before the target day the model learns from")
    ] = 120,
    sites: cliargs.Sites = None,
) -> int:
    from rich.console import Console
    from rich.table import Table

    from optimizers.forecast.runner import issue_one, list_sites

    home = cliargs.paths_of(ctx).home
    items = list_sites(scenario, date, history_days)
    if sites:
        wanted = set(sites.split(","))
        unknown = sorted(wanted - {i["site_id"] for i in items})
        if unknown:
            raise cliargs.UsageError(f"unknown site_id {unknown}")
        items = [i for i in items if i["site_id"] in wanted]
    console = Console()
    t = Table(title=f"day-ahead forecasts 日前预测 {date}")
    for head in ("site 站点", "status 状态", "rows 行", "model / reason 模型/原因"):
        t.add_column(head)
    failed = 0
    for item in items:
        with console.status(f"forecasting {item['site_id']} …"):
            out = issue_one(item, home)
        if out["ok"]:
            t.add_row(item["site_id"], "ok 已发布", str(out["rows"]), out["model_version"])
        else:
            failed += 1
            t.add_row(item["site_id"], "[red]none 未发布[/red]", "0", out["reason"])
    console.print(t)
    return cliargs.EXIT_FAILED if failed else cliargs.EXIT_OK
