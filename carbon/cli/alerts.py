"""``carbon alerts``: the duty officer's view of the alerts (值班员预警处置).

carbon alerts list [--status open] [--severity 1] [--region CODE] [--all]
carbon alerts ack ID --by NAME --note TEXT
carbon alerts resolve ID --by NAME --note TEXT
carbon alerts run            # evaluate the rules now (the monitor_alerts DAG does this nightly)
"""

from __future__ import annotations

import argparse
import json

HELP = "Alerts (预警): list, acknowledge, resolve; evaluate the rules."

SEVERITY = {1: "1 red 红色", 2: "2 orange 橙色", 3: "3 yellow 黄色"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="alerts_cmd", required=True, metavar="ACTION")
    ls = sub.add_parser("list", help="list alerts (default: open and acknowledged) / 预警列表")
    ls.add_argument("--status", choices=["open", "acknowledged", "resolved", "expired"])
    ls.add_argument("--severity", type=int, choices=[1, 2, 3])
    ls.add_argument("--region", help="GB/T 2260 region code")
    ls.add_argument("--all", action="store_true", help="every status")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    for name, zh in (("ack", "确认"), ("resolve", "解除")):
        a = sub.add_parser(name, help=f"{name} an alert / {zh}预警")
        a.add_argument("alert_id")
        a.add_argument("--by", required=True, help="who (处置人)")
        a.add_argument("--note", required=True, help="the response taken (处置措施)")
    sub.add_parser("run", help="evaluate the rules now / 立即评估预警规则")


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


def run(args: argparse.Namespace) -> int:
    from carbon.monitor import lifecycle as lc

    if args.alerts_cmd == "run":
        from carbon.monitor.engine import evaluate

        res = evaluate()
        print(json.dumps(res.summary(), ensure_ascii=False, indent=1))
        return 0
    if args.alerts_cmd in ("ack", "resolve"):
        action = "acknowledge" if args.alerts_cmd == "ack" else "resolve"
        try:
            row = lc.record_action(None, args.alert_id, action, args.by, args.note)
        except KeyError:
            print(f"no alert {args.alert_id!r} / 无此预警")
            return 2
        print(
            f"{args.alert_id}: {action}d by {row['by']} at {row['at']} / 已{'确认' if action == 'acknowledge' else '解除'}"
        )
        return 0
    df = lc.alert_table()
    if not df.empty:
        if args.status:
            df = df[df["status"] == args.status]
        elif not args.all:
            df = df[df["status"].isin(["open", "acknowledged"])]
        if args.severity:
            df = df[df["severity"] == args.severity]
        if args.region:
            df = df[
                df["region_code"].astype(str).str.startswith(args.region.rstrip("0") or args.region)
            ]
    if args.json:
        print(df.to_json(orient="records", force_ascii=False))
    else:
        print(_format(df))
    return 0
