"""The checks the rules name (carbon/monitor/rules.yaml): each returns the subjects that trip it.

A check reads the warehouse (read-only: never the writer's lock), the lake and the load reports,
and returns :class:`Hit` rows: subject, period, the figures that tripped it (evidence) and a link
back to the records (``records``: the mart or lake path and key to look them up).

``episode`` identifies one occurrence of a condition for a subject. A check whose condition is
tied to the data (a meter anomaly starting on a date, a month's report) names it; ``""`` leaves
it to the lifecycle, which keeps one episode for as long as the condition keeps firing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from carbon.config import Paths
from carbon.monitor.rules import Rule


@dataclass(frozen=True)
class Hit:
    subject_id: str
    region_code: str | None
    period: str  # the data period the finding is about (date, YYYY-MM, YYYY or a date range)
    period_end: str  # last day of that period (YYYY-MM-DD)
    evidence: dict
    records: str  # where the records are: "<mart or lake path>?<key>=<value>..."
    episode: str = ""
    subject_name: str = ""


@dataclass
class Context:
    paths: Paths
    con: duckdb.DuckDBPyConnection  # in-memory; the warehouse attached read-only as ``wh``
    has_warehouse: bool
    notes: list[str] = field(default_factory=list)
    _meter: pd.DataFrame | None = None
    _findings: dict | None = None
    #: key emitter -> days whose meter read is in quarantine (set by ``meter_series``)
    quarantined_reads: dict = field(default_factory=dict)
    quarantined_values: dict = field(default_factory=dict)  # uscc -> kWh by day

    def wh(self, sql: str) -> pd.DataFrame:
        if not self.has_warehouse:
            return pd.DataFrame()
        try:
            return self.con.execute(sql).df()
        except duckdb.CatalogException as exc:  # a mart not built (yet) on this home
            self.notes.append(f"skipped: {exc}".splitlines()[0])
            return pd.DataFrame()

    def lake_glob(self, dataset: str) -> str | None:
        d = self.paths.lake / dataset
        return str(d / "*" / "*.parquet") if any(d.glob("*/*.parquet")) else None


def open_context(paths: Paths) -> Context:
    con = duckdb.connect()
    has = paths.warehouse.exists()
    if has:
        con.execute(f"attach '{paths.warehouse}' as wh (read_only)")
        con.execute("use wh")
    return Context(paths, con, has)


def _month_end(month: str) -> str:
    return (pd.Period(month, "M").end_time.date()).isoformat()


# ---------------------------------------------------------------- carbon budget
def _latest_region_rows(ctx: Context, columns: str):
    """``columns`` (of ``gov_region_indicators i``, and ``r.name_zh``) of each region's latest
    month."""
    return ctx.wh(
        f"""
        select i.region_code, r.name_zh, i.month, i.year, {columns}
        from gov_region_indicators i
        left join (select distinct region_code, name_zh from staging.stg_lake__regions) r using (region_code)
        qualify row_number() over (partition by i.region_code order by i.month desc) = 1
        """
    )


def _region_year_hit(r, evidence: dict) -> Hit:
    """A hit on region ``r`` (a row of :func:`_latest_region_rows`) for its whole year."""
    return Hit(
        r.region_code,
        r.region_code,
        str(r.year),
        f"{r.year}-12-31",
        {"month": r.month, **evidence},
        f"gov_region_indicators?region_code={r.region_code}&month={r.month}",
        episode=str(r.year),
        subject_name=r.name_zh or "",
    )


def budget_projection(rule: Rule, ctx: Context) -> list[Hit]:
    df = _latest_region_rows(
        ctx,
        "i.projection_tco2e, i.budget_tco2e, i.projection_to_budget, i.tco2e_scope1_ytd, "
        "i.warning_level",
    )
    lo, hi = rule.threshold["min_ratio"], rule.threshold.get("max_ratio")
    out = []
    for r in df.itertuples():
        q = r.projection_to_budget
        if q is None or pd.isna(q) or q <= lo or (hi is not None and q > hi):
            continue
        evidence = {
            "projection_tco2e": round(r.projection_tco2e, 1),
            "budget_tco2e": round(r.budget_tco2e, 1),
            "projection_to_budget": round(q, 4),
            "tco2e_scope1_ytd": round(r.tco2e_scope1_ytd, 1),
            "warning_level": int(r.warning_level),
        }
        out.append(_region_year_hit(r, evidence))
    return out


def intensity_target(rule: Rule, ctx: Context) -> list[Hit]:
    df = _latest_region_rows(ctx, "i.tco2e_per_10k_cny_gdp_ytd as intensity")
    target = rule.threshold["target_tco2e_per_10k_cny"]
    out = []
    for r in df.itertuples():
        if r.intensity is None or pd.isna(r.intensity):
            continue
        ratio = r.intensity / target
        if ratio <= rule.threshold["min_ratio"]:
            continue
        evidence = {
            "tco2e_per_10k_cny_gdp_ytd": round(r.intensity, 4),
            "target_tco2e_per_10k_cny": target,
            "ratio": round(ratio, 4),
        }
        out.append(_region_year_hit(r, evidence))
    return out


# ---------------------------------------------------------------- key emitters: meters
def key_emitters(ctx: Context) -> pd.DataFrame:
    g = ctx.lake_glob("enterprises")
    if g is None:
        return pd.DataFrame(columns=["uscc", "name", "region_code"])
    return ctx.con.execute(
        f"""
        select uscc, name, region_code from read_parquet('{g}', hive_partitioning=true)
        where cast(is_key_emitter as boolean) and not coalesce(cast(is_datacenter as boolean), false)
        qualify row_number() over (partition by uscc order by month desc) = 1
        order by uscc
        """
    ).df()


def meter_series(ctx: Context, window_days: int) -> tuple[list[dt.date], pd.DataFrame]:
    """The key emitters' daily reads over the window ending at the lake's last meter date."""
    g = ctx.lake_glob("electricity_consumption")
    if g is None:
        return [], pd.DataFrame()
    last = ctx.con.execute(
        f"select max(cast(date as date)) from read_parquet('{g}', hive_partitioning=true)"
    ).fetchone()[0]
    if last is None:
        return [], pd.DataFrame()
    first = last - dt.timedelta(days=window_days - 1)
    dates = [
        r[0]
        for r in ctx.con.execute(
            f"""select distinct cast(date as date) d from read_parquet('{g}', hive_partitioning=true)
                where cast(date as date) between ? and ? order by d""",
            [first, last],
        ).fetchall()
    ]
    keys = key_emitters(ctx)
    ctx.con.register("_keys", keys)
    df = ctx.con.execute(
        f"""
        select e.account_id as uscc, cast(e.date as date) as date, sum(e.kwh order by e.kwh) as kwh
        from read_parquet('{g}', hive_partitioning=true) e
        join _keys k on k.uscc = e.account_id
        where cast(e.date as date) between ? and ?
        group by all
        order by uscc, date
        """,
        [first, last],
    ).df()
    ctx.quarantined_reads, ctx.quarantined_values = _quarantined_reads(ctx, first, last)
    ctx.con.unregister("_keys")
    return dates, df


#: the characters of a USCC (GB 32100: digits and capitals without I, O, S, V, Z)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _quarantined_reads(
    ctx: Context, first: dt.date, last: dt.date
) -> tuple[dict[str, frozenset], dict[str, pd.Series]]:
    """Key emitter -> the days whose meter reading was delivered but quarantined.

    A quarantined row keeps its account when the account is a valid USCC (a bad kWh, a bad
    date, …). An account that fails the check digit is stored only as its pseudonym (it may be
    a personal number sent in the wrong column), so the row is tied to a key emitter by the
    pseudonyms of that emitter's USCC with each possible check character, under the site
    secret that ingest used (``carbon.config.pseudonym_secret``).

    Also returns, per key emitter, the kWh of those quarantined reads whose failures concern
    neither the reading nor its day (a bad check digit, a bad region code, ...): such a row's
    consumption is what the meter measured, so the detector sees it (an injected spike on a day
    whose row also got a bad check digit was invisible before). A row that failed on ``kwh``,
    ``green_kwh``, ``date`` or its key (``unique_key``: a duplicate) gives no value."""
    from carbon.config import pseudonym_secret
    from carbon.pipeline.ingest.pseudonym import keyed_hash

    qdir = ctx.paths.quarantine / "electricity_consumption"
    if not any(qdir.glob("*/quarantine.parquet")):
        return {}, {}
    keys = ctx.con.execute("select uscc from _keys").fetchall()
    secret = pseudonym_secret(warn=False)
    cand = [(u, u) for (u,) in keys]
    cand += [(u, keyed_hash(u[:17] + c, secret)) for (u,) in keys for c in _USCC_CHARS]
    ctx.con.register("_cand", pd.DataFrame(cand, columns=["uscc", "account_id"]))
    src = (
        f"read_parquet('{qdir}/*/quarantine.parquet', hive_partitioning=false, union_by_name=true)"
    )
    have = {r[0] for r in ctx.con.execute(f"describe select * from {src}").fetchall()}
    if {"column", "check", "kwh", "source_file", "row_number"} <= have:
        bad = """bool_or(q."column" in ('kwh', 'green_kwh', 'date') or q."check" = 'unique_key')"""
        kwh, row = "any_value(try_cast(q.kwh as double))", ", q.source_file, q.row_number"
    else:  # a quarantine without the failure columns gives days, not values
        bad, kwh, row = "true", "null::double", ""
    q = ctx.con.execute(
        f"""
        select c.uscc, try_cast(q.date as date) as d, {bad} as value_bad, {kwh} as kwh
        from {src} q
        join _cand c on c.account_id = q.account_id
        where try_cast(q.date as date) between ? and ?
        group by c.uscc, d{row}
        order by c.uscc, d{row}
        """,
        [first, last],
    ).df()
    ctx.con.unregister("_cand")
    out: dict[str, set] = {}
    for uscc, d in zip(q["uscc"], q["d"], strict=True):
        out.setdefault(uscc, set()).add(pd.Timestamp(d).date())
    ok = q[~q["value_bad"].astype(bool) & q["kwh"].notna() & (q["kwh"] >= 0)]
    values: dict[str, pd.Series] = {}
    for uscc, g in ok.groupby("uscc"):
        values[str(uscc)] = g.groupby(pd.to_datetime(g["d"]).dt.date)["kwh"].sum()
    return {k: frozenset(v) for k, v in out.items()}, values


def meter_findings(ctx: Context, rules: dict[str, Rule]) -> dict[str, list]:
    """Run the detector once per key emitter for all meter rules (cached on the context)."""
    if ctx._findings is not None:
        return ctx._findings
    from carbon.monitor.detect import detect

    def th(check: str, key: str, default):
        r = rules.get(check)
        return r.threshold.get(key, default) if r else default

    window = max([r.window_days for r in rules.values()] or [31])
    dates, df = meter_series(ctx, window)
    keys = key_emitters(ctx).set_index("uscc")
    out: dict[str, list] = {}
    for uscc in keys.index:
        s = df[df["uscc"] == uscc].set_index("date")["kwh"]
        s.index = pd.to_datetime(s.index).date
        if len(dates) < 7:
            continue
        qv = ctx.quarantined_values.get(uscc)
        from_q: set[dt.date] = set()
        if qv is not None:
            qv = qv[[d in set(dates) and d not in s.index for d in qv.index]]
            from_q = set(qv.index)
            s = pd.concat([s, qv]).sort_index()
        found = detect(
            dates,
            s,
            flat_days=th("meter_flatline", "min_days", 3),
            missing_days=th("meter_missing", "min_days", 2),
            z=th("meter_spike", "z", 6.0),
            spike_rel=th("meter_spike", "min_rel", 0.5),
            max_spike_days=th("meter_spike", "max_days", 2),
            step_rel=th("meter_step", "min_rel", 0.2),
            min_step_days=th("meter_step", "min_days", 4),
            quarantined=ctx.quarantined_reads.get(uscc, frozenset()),
        )
        out[uscc] = [_with_quarantined_days(x, from_q) for x in found]
    ctx._findings = {"dates": dates, "by_uscc": out, "keys": keys}
    return ctx._findings


def _with_quarantined_days(x, from_q: set[dt.date]):
    """A finding whose days include reads taken from quarantine says so in its evidence."""
    days = sorted(d.isoformat() for d in from_q if x.start <= d.isoformat() <= x.end)
    if not days:
        return x
    from dataclasses import replace

    return replace(x, evidence={**x.evidence, "quarantined_read_days": days})


def _meter_check(kind: str) -> Callable[[Rule, Context], list[Hit]]:
    def check(rule: Rule, ctx: Context) -> list[Hit]:
        f = meter_findings(ctx, ctx.meter_rules)  # type: ignore[attr-defined]
        keys = f["keys"]
        out = []
        for uscc, found in f["by_uscc"].items():
            for x in found:
                if x.kind != kind:
                    continue
                period = x.start if x.start == x.end else f"{x.start}/{x.end}"
                out.append(
                    Hit(
                        uscc,
                        keys.at[uscc, "region_code"],
                        period,
                        x.end,
                        {"kind": kind, "start": x.start, "end": x.end, **x.evidence},
                        f"lake/electricity_consumption?account_id={uscc}&date={x.start}..{x.end}",
                        episode=x.start,
                        subject_name=str(keys.at[uscc, "name"]),
                    )
                )
        return out

    check.__name__ = f"meter_{kind}"
    return check


# ---------------------------------------------------------------- key emitters: monthly reports
def fuel_deviation(rule: Rule, ctx: Context) -> list[Hit]:
    """Latest month's fuel energy vs the enterprise's own median of the previous months, and the
    same ratio for its electricity: trips when fuel moves by ``min_rel`` and electricity does not
    move with it (a jump in the report that the plant's power use does not explain)."""
    n = rule.threshold["months"]
    df = ctx.wh(
        f"""
        with m as (
            select uscc, month, region_code, fuel_energy_gj as gj, kwh,
                   row_number() over (partition by uscc order by month desc) as k
            from ent_enterprise_emissions_monthly
        ), base as (
            select uscc, median(gj) as gj_base, median(kwh) as kwh_base, count(*) as n
            from m where k between 2 and {n + 1} group by uscc
        )
        select m.uscc, m.month, m.region_code, m.gj, m.kwh, b.gj_base, b.kwh_base, b.n
        from m join base b using (uscc) where m.k = 1 and b.n >= 3 and b.gj_base > 0
        """
    )
    rel = rule.threshold["min_rel"]
    out = []
    for r in df.itertuples():
        fuel_ratio = r.gj / r.gj_base
        kwh_ratio = (r.kwh / r.kwh_base) if r.kwh_base else None
        if abs(fuel_ratio - 1) < rel:
            continue
        if kwh_ratio is not None and abs(fuel_ratio - kwh_ratio) < rel:
            continue  # electricity moved with it: a real change of output
        out.append(
            Hit(
                r.uscc,
                r.region_code,
                r.month,
                _month_end(r.month),
                {
                    "fuel_energy_gj": round(r.gj, 1),
                    "fuel_energy_gj_median_before": round(r.gj_base, 1),
                    "fuel_ratio": round(fuel_ratio, 3),
                    "kwh_ratio": None if kwh_ratio is None else round(kwh_ratio, 3),
                },
                f"ent_enterprise_emissions_monthly?uscc={r.uscc}&month={r.month}",
                episode=r.month,
            )
        )
    return out


def grade_worsening(rule: Rule, ctx: Context) -> list[Hit]:
    """Latest month's 碳效 grade (K, 1 best - 5 worst) or L level (low/medium/high) against the
    same month a year earlier: trips when either worsened by ``min_levels`` or more."""
    df = ctx.wh(
        """
        with g as (
            select uscc, period, region_code, grade,
                   case l_level when 'low' then 1 when 'medium' then 2 when 'high' then 3 end as l_rank,
                   l_level
            from ent_carbon_efficiency
        ), last as (
            select * from g qualify row_number() over (partition by uscc order by period desc) = 1
        )
        select l.uscc, l.period, l.region_code, l.grade, l.l_level, l.l_rank,
               p.grade as grade_before, p.l_level as l_level_before, p.l_rank as l_rank_before,
               p.period as period_before
        from last l join g p on p.uscc = l.uscc
            and p.period = strftime(cast(l.period || '-01' as date) - interval 1 year, '%Y-%m')
        """
    )
    k = rule.threshold["min_levels"]
    out = []
    for r in df.itertuples():
        dk = (r.grade - r.grade_before) if pd.notna(r.grade) and pd.notna(r.grade_before) else 0
        dl = (r.l_rank - r.l_rank_before) if pd.notna(r.l_rank) and pd.notna(r.l_rank_before) else 0
        if dk < k and dl < min(k, 2):
            continue
        out.append(
            Hit(
                r.uscc,
                r.region_code,
                r.period,
                _month_end(r.period),
                {
                    "grade": None if pd.isna(r.grade) else int(r.grade),
                    "grade_before": None if pd.isna(r.grade_before) else int(r.grade_before),
                    "l_level": r.l_level,
                    "l_level_before": r.l_level_before,
                    "period_before": r.period_before,
                },
                f"ent_carbon_efficiency?uscc={r.uscc}&period={r.period}",
                episode=r.period,
            )
        )
    return out


def output_without_energy(rule: Rule, ctx: Context) -> list[Hit]:
    df = ctx.wh(
        f"""
        select uscc, month, region_code, output_value_10k_cny, kwh, fuel_energy_gj
        from ent_enterprise_emissions_monthly
        where coalesce(output_value_10k_cny, 0) >= {rule.threshold["min_output_10k_cny"]}
          and coalesce(kwh, 0) = 0 and coalesce(fuel_energy_gj, 0) = 0
          -- only months the meters report for (the daily window): no read is then a real gap
          and month in (select month from ent_enterprise_emissions_monthly
                        group by month having sum(coalesce(kwh, 0)) > 0)
        """
    )
    return [
        Hit(
            r.uscc,
            r.region_code,
            r.month,
            _month_end(r.month),
            {"output_value_10k_cny": r.output_value_10k_cny, "kwh": 0.0, "fuel_energy_gj": 0.0},
            f"ent_enterprise_emissions_monthly?uscc={r.uscc}&month={r.month}",
            episode=r.month,
        )
        for r in df.itertuples()
    ]


# ---------------------------------------------------------------- data quality per sender
def _reports(ctx: Context) -> list[dict]:
    out = []
    for f in sorted(ctx.paths.reports.glob("*/*.json")):
        if f.name.startswith("_"):
            continue
        try:
            out.append(json.loads(f.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return out


def _in_window(period: str | None, first: str) -> bool:
    return period is None or str(period) >= first[: len(str(period))]


def _last_period(reports: list[dict]) -> str | None:
    ps = [str(r.get("file_period")) for r in reports if r.get("file_period")]
    days = [p for p in ps if len(p) == 10]
    return max(days) if days else None


def quarantine_rate(rule: Rule, ctx: Context) -> list[Hit]:
    reps = _reports(ctx)
    last = _last_period(reps)
    if last is None:
        return []
    first = (dt.date.fromisoformat(last) - dt.timedelta(days=rule.window_days - 1)).isoformat()
    agg: dict[str, list[int]] = {}
    for r in reps:
        if r.get("status") != "loaded" or not _in_window(r.get("file_period"), first):
            continue
        a = agg.setdefault(r["dataset"], [0, 0, 0])
        a[0] += int(r.get("rows_in", 0))
        a[1] += int(r.get("rows_quarantined", 0))
        a[2] += 1
    out = []
    for ds, (rows, bad, files) in sorted(agg.items()):
        if rows < rule.threshold["min_rows"] or rows == 0:
            continue
        rate = bad / rows
        if rate <= rule.threshold["max_rate"]:
            continue
        out.append(
            Hit(
                ds,
                None,
                f"{first}/{last}",
                last,
                {"rows_in": rows, "rows_quarantined": bad, "rate": round(rate, 4), "files": files},
                f"quarantine/{ds}",
            )
        )
    return out


def delivery_missing(rule: Rule, ctx: Context) -> list[Hit]:
    """A daily sender with a gap in its dates up to the latest delivered day of any daily sender
    (less the deadline), or a monthly sender without the months the others delivered."""
    reps = [r for r in _reports(ctx) if r.get("file_period")]
    by: dict[str, set[str]] = {}
    for r in reps:
        by.setdefault(r["dataset"], set()).add(str(r["file_period"]))
    daily = {d: ps for d, ps in by.items() if all(len(p) == 10 for p in ps)}
    if not daily:
        return []
    last = max(max(ps) for ps in daily.values())
    due = dt.date.fromisoformat(last) - dt.timedelta(days=rule.threshold["daily_deadline_days"] - 1)
    first = dt.date.fromisoformat(last) - dt.timedelta(days=rule.window_days - 1)
    out = []
    for ds, ps in sorted(daily.items()):
        start = max(first, dt.date.fromisoformat(min(ps)))
        want = {(start + dt.timedelta(days=k)).isoformat() for k in range((due - start).days + 1)}
        gone = sorted(want - ps)
        if gone:
            out.append(
                Hit(
                    ds,
                    None,
                    gone[0] if len(gone) == 1 else f"{gone[0]}/{gone[-1]}",
                    gone[-1],
                    {
                        "missing_periods": gone,
                        "deadline_days": rule.threshold["daily_deadline_days"],
                    },
                    f"landing/{ds}",
                    episode=gone[0],
                )
            )
    return out


def schema_drift(rule: Rule, ctx: Context) -> list[Hit]:
    reps = _reports(ctx)
    out = []
    bad: dict[str, list[dict]] = {}
    for r in reps:
        if r.get("status") == "rejected":
            bad.setdefault(r["dataset"], []).append(r)
    for ds, rs in sorted(bad.items()):
        if len(rs) < rule.threshold["min_files"]:
            continue
        periods = sorted(str(r.get("file_period") or "") for r in rs)
        last = periods[-1] if periods[-1] else dt.date.today().isoformat()
        out.append(
            Hit(
                ds,
                None,
                periods[0] if len(set(periods)) == 1 else f"{periods[0]}/{periods[-1]}",
                last
                if len(last) == 10
                else (_month_end(last) if len(last) == 7 else f"{last}-12-31"),
                {
                    "files": [
                        {
                            "file": r.get("file"),
                            "reason": r.get("reason"),
                            "columns": r.get("columns"),
                        }
                        for r in rs
                    ]
                },
                f"reports/{ds}",
                episode=",".join(sorted(str(r.get("file")) for r in rs)),
            )
        )
    return out


# ---------------------------------------------------------------- dispatch
def _plans(ctx: Context, rule: Rule) -> pd.DataFrame:
    return ctx.wh(
        f"""
        select * from dispatch_site_daily
        where plan_date >= (select max(plan_date) from dispatch_site_daily) - interval {rule.window_days - 1} day
        order by site_id, plan_date
        """
    )


def _plan_failures(ctx: Context, rule: Rule) -> list[tuple[str, str, dict]]:
    """(site_id, plan_date, evidence) of plans that failed: the lake's failure records, or a
    solver status other than optimal / time_limit."""
    out = []
    d = ctx.paths.lake / "dispatch_failures"
    for f in sorted(d.glob("*.json")) if d.exists() else []:
        try:
            x = json.loads(f.read_text(encoding="utf-8"))
            out.append((x["site_id"], x["plan_date"], x))
        except (OSError, ValueError, KeyError):
            continue
    df = _plans(ctx, rule)
    for r in df.itertuples() if len(df) else []:
        if r.status not in ("optimal", "time_limit"):
            out.append((r.site_id, str(r.plan_date), {"status": r.status}))
    return out


def plan_failed(rule: Rule, ctx: Context) -> list[Hit]:
    return [
        Hit(s, None, p, p, ev, f"dispatch_site_daily?site_id={s}&plan_date={p}", episode=p)
        for s, p, ev in _plan_failures(ctx, rule)
    ]


def _plan_day_hit(r, evidence: dict) -> Hit:
    """A hit on the site of plan row ``r`` (of :func:`_plans`) for its plan day."""
    p = str(r.plan_date)[:10]
    return Hit(
        r.site_id,
        None,
        p,
        p,
        evidence,
        f"dispatch_site_daily?site_id={r.site_id}&plan_date={p}",
        episode=p,  # a plan day is its own finding (as plan_failed), not the run's clock
        subject_name=str(r.uscc),
    )


def green_share_low(rule: Rule, ctx: Context) -> list[Hit]:
    df = _plans(ctx, rule)
    out = []
    for r in df.itertuples() if len(df) else []:
        if pd.isna(r.green_share_target) or pd.isna(r.green_share):
            continue
        if r.green_share < r.green_share_target - rule.threshold["tolerance"]:
            evidence = {
                "green_share": round(r.green_share, 4),
                "green_share_target": r.green_share_target,
            }
            out.append(_plan_day_hit(r, evidence))
    return out


def pue_high(rule: Rule, ctx: Context) -> list[Hit]:
    df = _plans(ctx, rule)
    out = []
    for r in df.itertuples() if len(df) else []:
        if pd.isna(r.pue_target) or pd.isna(r.pue_realised):
            continue
        if r.pue_realised > r.pue_target + rule.threshold["tolerance"]:
            evidence = {"pue_planned": round(r.pue_realised, 4), "pue_target": r.pue_target}
            out.append(_plan_day_hit(r, evidence))
    return out


CHECKS: dict[str, Callable[[Rule, Context], list[Hit]]] = {
    "budget_projection": budget_projection,
    "intensity_target": intensity_target,
    "meter_flatline": _meter_check("flatline"),
    "meter_missing": _meter_check("missing"),
    "meter_spike": _meter_check("spike"),
    "meter_step": _meter_check("step"),
    "fuel_deviation": fuel_deviation,
    "grade_worsening": grade_worsening,
    "output_without_energy": output_without_energy,
    "quarantine_rate": quarantine_rate,
    "delivery_missing": delivery_missing,
    "schema_drift": schema_drift,
    "plan_failed": plan_failed,
    "green_share_low": green_share_low,
    "pue_high": pue_high,
}


def lake_path_of(p: Paths) -> Path:
    return p.lake
