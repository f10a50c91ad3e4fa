"""``carbon replan``: re-plan the rest of a day from the latest telemetry (the command line around
``optimizers.intraday``, which the hourly DAG ``dispatch_intraday`` calls too).

Exit codes: 0 every group re-planned (a fallback is still a plan: it is flagged and named);
1 a group could not be re-planned (named); 2 bad command line.
"""

from __future__ import annotations

from typing import Annotated

import typer

from carbon.cli import args as cliargs

HELP = "re-plan the rest of the day from measured state (日内滚动优化): SoC, delivered job energy, peak"


def command(
    ctx: typer.Context,
    now: Annotated[
        str,
        cliargs.option(
            cliargs.instant,
            "YYYY-MM-DDTHH:MM",
            "the re-plan time (Asia/Shanghai unless an offset is given): steps from the "
            "first one starting at or after it are re-planned",
        ),
    ],
    scenario: Annotated[
        str | None, cliargs.yaml_option("scenario YAML (default: scenarios/yancheng_dc.yaml)")
    ] = None,
    solver: Annotated[str, cliargs.choice_option(cliargs.Solver)] = "highs",
) -> int:
    from rich.console import Console
    from rich.table import Table

    from optimizers.intraday import as_local, list_replan_groups, run_replan_group

    home = cliargs.paths_of(ctx).home
    t = as_local(now)
    groups = list_replan_groups(scenario, str(t.date()), t.isoformat(), solver=solver)
    table = Table(title=f"intraday re-plan 日内重新优化 {t.isoformat()}")
    for head in ("sites 站点", "status 状态", "k 起始步", "fallback 回退", "partitions 分区"):
        table.add_column(head)
    failed = 0
    curves: list[str] = []
    console = Console(width=max(Console().width, 160))
    for g in groups:
        with console.status(f"re-planning {g['label']} …"):
            out = run_replan_group(g, home)
        ok = bool(out.get("ok"))
        if not ok or out.get("error"):
            failed += 1
        flags = out.get("flags") or {}
        why = "; ".join(
            f"{sid}: {f['fallback_reason']}" for sid, f in flags.items() if f.get("fallback_reason")
        )
        table.add_row(
            ",".join(g["site_ids"]),
            str(out.get("status")) + ("" if ok else f" {out.get('explanation') or ''}"),
            str(out.get("k", "–")),
            why or "–",
            ", ".join(out.get("partitions") or []) or "–",
        )
        curves += [*(out.get("vccs") or []), *(out.get("vcc_latest") or {}).values()]
    console.print(table)
    if curves:
        console.print("capacity curves 容量曲线:", soft_wrap=True)
        for path in curves:
            console.print(f"  {path}", soft_wrap=True, highlight=False)
    return cliargs.EXIT_FAILED if failed else cliargs.EXIT_OK
