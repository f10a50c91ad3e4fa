"""``carbon alerts``: the duty officer's view of the alerts (值班员预警处置).

carbon alerts list [--status open] [--severity 1] [--region CODE] [--all]
carbon alerts ack ID --by NAME --note TEXT
carbon alerts resolve ID --by NAME --note TEXT
carbon alerts run            # evaluate the rules now (the monitor_alerts DAG does this nightly)
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from carbon.cli import args as cliargs

HELP = "Alerts (预警): list, acknowledge, resolve; evaluate the rules."

SEVERITY = {1: "1 red 红色", 2: "2 orange 橙色", 3: "3 yellow 黄色"}

app = typer.Typer(no_args_is_help=True)
Status = cliargs.choice("open", "acknowledged", "resolved", "expired")


def _format(df) -> str:
    if df.empty:
        return "no alerts / 无预警"
    lines = [
        f"{len(df)} alert(s) / 条预警",
        f"{'alert_id 预警编号':<18} {'severity 级别':<14} {'status 状态':<22} {'rule 规则':<28} "
        f"{'subject 对象':<22} {'region 区县':<10} {'period 期间':<23} first_seen 首次发现",
    ]
    for r in df.itertuples():
        esc = " ESCALATED 已升级" if r.escalated else ""
        lines.append(
            f"{r.alert_id:<18} {SEVERITY[int(r.severity)]:<14} {r.status + ' ' + r.status_zh + esc:<22} "
            f"{r.rule_id:<28} {r.subject_type + ':' + str(r.subject_id):<22} {r.region_code or '-':<10} "
            f"{r.period:<23} {str(r.first_seen)[:16]}"
        )
        lines.append(
            f"    {r.rule_name_en} | {r.rule_name_zh}"
            + (f" — {r.subject_name}" if r.subject_name else "")
        )
        lines.append(f"    evidence 证据: {r.evidence}")
        lines.append(f"    records 记录: {r.records}")
        if r.acknowledged_by:
            lines.append(f"    acknowledged 确认: {r.acknowledged_by} at {r.acknowledged_at}")
        if r.resolved_by:
            lines.append(f"    resolved 解除: {r.resolved_by} at {r.resolved_at}")
        if r.response:
            lines.append(f"    response 处置: {r.response}")
    return "\n".join(lines)


@app.command(
    "run",
    help="evaluate the rules now / 立即评估预警规则 (the monitor_alerts DAG does this nightly)",
)
def run_rules(ctx: typer.Context) -> int:
    from carbon.monitor.engine import evaluate

    res = evaluate(cliargs.paths_of(ctx).home)
    print(json.dumps(res.summary(), ensure_ascii=False, indent=1))
    return cliargs.EXIT_OK


def _act(ctx: typer.Context, alert_id: str, action: str, by: str, note: str) -> int:
    from carbon.monitor import lifecycle as lc

    try:
        row = lc.record_action(cliargs.paths_of(ctx).home, alert_id, action, by, note)
    except KeyError:
        print(f"no alert {alert_id!r} / 无此预警")
        return cliargs.EXIT_USAGE
    zh = "确认" if action == "acknowledge" else "解除"
    print(f"{alert_id}: {action}d by {row['by']} at {row['at']} / 已{zh}")
    return cliargs.EXIT_OK


AlertId = Annotated[
    str, typer.Argument(help="the alert's id (预警编号), from `carbon alerts list`")
]
By = Annotated[str, cliargs.by_option("who (处置人)")]
Note = Annotated[str, cliargs.note_option("the response taken (处置措施)")]


@app.command(help="acknowledge an alert / 确认预警")
def ack(ctx: typer.Context, alert_id: AlertId, by: By, note: Note) -> int:
    return _act(ctx, alert_id, "acknowledge", by, note)


@app.command(help="resolve an alert / 解除预警")
def resolve(ctx: typer.Context, alert_id: AlertId, by: By, note: Note) -> int:
    return _act(ctx, alert_id, "resolve", by, note)


@app.command("list", help="list alerts (default: open and acknowledged) / 预警列表")
def list_alerts(
    ctx: typer.Context,
    status: Annotated[str | None, cliargs.choice_option(Status, "only this status (状态)")] = None,
    severity: Annotated[
        int | None,
        typer.Option(min=1, max=3, help="only this severity: 1 red 红, 2 orange 橙, 3 yellow 黄"),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(help="GB/T 2260 region code: the region and the counties under it (区县)"),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="every status, resolved and expired too")
    ] = False,
    as_json: cliargs.Json = False,
) -> int:
    from carbon.monitor import lifecycle as lc

    df = lc.alert_table(cliargs.paths_of(ctx).home)
    if not df.empty:
        if status:
            df = df[df["status"] == status]
        elif not all_:
            df = df[df["status"].isin(["open", "acknowledged"])]
        if severity:
            df = df[df["severity"] == severity]
        if region:
            df = df[df["region_code"].astype(str).str.startswith(region.rstrip("0") or region)]
    if as_json:
        print(df.to_json(orient="records", force_ascii=False))
    else:
        print(_format(df))
    return cliargs.EXIT_OK
