"""The console's SQL: every parameter bound (``?``), never formatted into the text."""

from __future__ import annotations

import re

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
REGION_RE = re.compile(r"^\d{6}$")
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

COUNTY_NAMES = {
    "320902": "亭湖区",
    "320903": "盐都区",
    "320904": "大丰区",
    "320921": "响水县",
    "320922": "滨海县",
    "320923": "阜宁县",
    "320924": "射阳县",
    "320925": "建湖县",
    "320981": "东台市",
    "320900": "盐城市",
}
LEVELS = {1: "红 red", 2: "黄 yellow", 3: "绿 green"}  # 晴雨表 warning_level codes


def rows(con, sql: str, params=()) -> tuple[list[str], list[tuple]]:
    cur = con.execute(sql, list(params))
    return [d[0] for d in cur.description], cur.fetchall()


def latest_month(con) -> str:
    return con.execute("select max(month) from gov_region_indicators").fetchone()[0]


def months(con) -> set[str]:
    return {
        r[0] for r in con.execute("select distinct month from gov_region_indicators").fetchall()
    }


def region_exists(con, code: str) -> bool:
    return (
        con.execute(
            "select 1 from gov_region_indicators where region_code = ? limit 1", [code]
        ).fetchone()
        is not None
    )


def enterprise_region(con, uscc: str) -> str | None:
    r = con.execute(
        "select any_value(region_code) from ent_enterprise_emissions_monthly where uscc = ?", [uscc]
    ).fetchone()
    return r[0] if r else None


IND_COLS = (
    "region_code, month, warning_level, tco2e_scope1_ytd, budget_tco2e, budget_tco2e_ytd, "
    "projection_tco2e, projection_to_budget, tco2e_per_capita_ytd, tco2e_per_10k_cny_gdp_ytd"
)


def indicators(con, region_codes_parent: str | None, month: str, region: str | None = None):
    if region:
        return rows(
            con,
            f"select {IND_COLS} from gov_region_indicators where region_code = ? and month = ?",
            [region, month],
        )
    return rows(
        con,
        f"select {IND_COLS} from gov_region_indicators where region_code like '3209__' "
        "and region_code <> '320900' and month = ? order by region_code",
        [month],
    )


def trend(con, region: str):
    return rows(
        con,
        "select month, tco2e_scope1, tco2e_scope2_electricity, tco2e_scope2_heat "
        "from gov_region_indicators where region_code = ? order by month",
        [region],
    )


def split(con, region_prefix: str, year: str):
    return rows(
        con,
        "select sector_code, scope, sum(tco2e) as tco2e from gov_region_emissions_monthly "
        "where method = 'bottom_up' and region_code like ? || '%' and substr(month, 1, 4) = ? "
        "group by all order by tco2e desc",
        [region_prefix, year],
    )


def top_emitters(con, region_prefix: str, year: str, n: int = 10):
    return rows(
        con,
        "select uscc, any_value(region_code) as region_code, any_value(industry_code) as industry_code, "
        "sum(tco2e_total) as tco2e_total from ent_enterprise_emissions_monthly "
        "where region_code like ? || '%' and substr(month, 1, 4) = ? group by uscc "
        "order by tco2e_total desc limit ?",
        [region_prefix, year, n],
    )


def ceads(con):
    """The city (320900) and its counties against their own CEADs reference. The mart also rolls our
    total up to Jiangsu (320000), but that row sets one city against the whole province's CEADs
    figure (a ratio of ~0.05 that means nothing); the page leaves it out and names the province
    total only as context (ceads_province_context)."""
    return rows(
        con,
        "select region_code, year, top_down_mt, ceads_reference_year, ceads_reference_mt, "
        "ratio_to_reference from gov_ceads_comparison where region_code like '3209%' "
        "order by region_code = '320900' desc, region_code, year",
    )


def ceads_province_context(con):
    """Jiangsu's (320000) CEADs total of the latest reference year: context only, not compared."""
    return con.execute(
        "select ceads_reference_year, ceads_reference_mt from gov_ceads_comparison "
        "where region_code = '320000' order by year desc limit 1"
    ).fetchone()


def recon(con, region: str):
    return rows(
        con,
        "select month, accounts_tco2e, government_bottom_up_tco2e, difference_tco2e, top_down_tco2e, "
        "coverage_ratio, reconciles from recon_region_monthly where region_code = ? order by month",
        [region],
    )


def ent_monthly(con, uscc: str):
    return rows(
        con,
        "select month, scope1_combustion, scope1_process, scope2_heat, scope2_location, scope2_market, "
        "tco2e_total, intensity_per_value_added, intensity_per_output_value, is_provisional "
        "from ent_enterprise_emissions_monthly where uscc = ? order by month",
        [uscc],
    )


def ent_efficiency(con, uscc: str):
    return rows(
        con,
        "select period, l_value, l_level, industry_avg_l, k_value, grade, quzhou_colour "
        "from ent_carbon_efficiency where uscc = ? order by period",
        [uscc],
    )


def ent_trace(con, uscc: str, month: str):
    return rows(
        con,
        "select period, scope, tco2e, activity_ref, factor_id, factor_version, build_id, is_provisional "
        "from ledger_entries where ledger = 'enterprise' and account_id = ? and period = ? "
        "order by scope, activity_ref",
        [uscc, month],
    )


def watchlist(con, year: int, region: str | None):
    sql = (
        "select year, region_code, entity_type, entity_id, industry_code, annual_tco2e, annual_tce, intensity, reason "
        "from gov_watchlist where year = ?"
    )
    p: list = [year]
    if region:
        sql += " and region_code = ?"
        p.append(region)
    return rows(con, sql + " order by annual_tco2e desc", p)


def personal(con, account_id: str):
    bal = rows(
        con,
        "select account_kind, points_earned, points_redeemed, points_expired, balance, balance_tco2e, "
        "last_earned_on, as_of_date from per_account_balance where account_id = ?",
        [account_id],
    )
    cred = rows(
        con,
        "select behaviour_code, methodology_id, sum(quantity) as quantity, any_value(unit) as unit, "
        "sum(er_tco2e) as er_tco2e, sum(points) as points from per_credits_daily where account_id = ? "
        "group by behaviour_code, methodology_id order by behaviour_code",
        [account_id],
    )
    red = rows(
        con,
        # from the points events (the journal holds ended months only: docs/ledgers.md)
        "select strftime(event_date, '%Y-%m-%d') as period, entry_type, tco2e "
        "from intermediate.int_personal__points_events where account_id = ? "
        "and entry_type in ('redemption', 'expiry') order by period",
        [account_id],
    )
    return bal, cred, red


def dispatch(con):
    return rows(
        con,
        "select site_id, plan_date, scenario, status, planned_import_kwh, cost_cny, tco2, green_share, "
        "cue_kg_per_kwh, pue_realised, peak_kw, curtailment_kwh, battery_cycles, jobs_on_time, jobs_total "
        "from dispatch_site_daily order by plan_date desc, site_id limit 50",
    )


ALERT_COLS = [
    "alert_id",
    "severity",
    "rule_id",
    "rule_name_en",
    "rule_name_zh",
    "subject_type",
    "subject_id",
    "subject_name",
    "region_code",
    "period",
    "evidence",
    "first_seen",
    "last_seen",
    "status",
    "status_zh",
    "escalated",
    "acknowledged_by",
    "acknowledged_at",
    "resolved_by",
    "resolved_at",
    "response",
]
ALERT_STATUSES = ("open", "acknowledged", "resolved", "expired")


def alert_in_scope(a: dict, region: str | None, uscc: str | None) -> bool:
    """How an alert names its place: ``region_code`` (GB/T 2260 county, or the city 320900) and,
    for an enterprise finding, ``subject_type = 'enterprise'`` with the USCC in ``subject_id``."""
    if uscc is not None:
        return a.get("subject_type") == "enterprise" and a.get("subject_id") == uscc
    if region is not None:
        return a.get("region_code") == region
    return True


def alerts(home, region=None, uscc=None, status=None, severity=None, rule=None):
    """The monitoring alerts from the ONE lifecycle store ``carbon alerts list`` reads
    (``carbon.monitor.lifecycle.alert_table``), scoped and filtered like the CLI: by default open
    and acknowledged; ``status='all'`` every status. Times shown in Asia/Shanghai."""
    from carbon.monitor import lifecycle as lc

    df = lc.alert_table(home)
    out = []
    for a in df.to_dict("records"):
        a = {k: (None if _isna(v) else v) for k, v in a.items()}
        if not alert_in_scope(a, region, uscc):
            continue
        if status in (None, ""):
            if a["status"] not in ("open", "acknowledged"):
                continue
        elif status != "all" and a["status"] != status:
            continue
        if severity is not None and int(a["severity"]) != severity:
            continue
        if rule and a["rule_id"] != rule:
            continue
        for k in ("first_seen", "last_seen", "acknowledged_at", "resolved_at"):
            a[k] = _local(a[k])
        a["severity"] = int(a["severity"])
        a["escalated"] = bool(a["escalated"])
        out.append(a)
    return ALERT_COLS, [tuple(a[c] for c in ALERT_COLS) for a in out]


def _isna(v) -> bool:
    try:
        import pandas as pd

        return v is None or (not isinstance(v, (list, dict)) and bool(pd.isna(v)))
    except (TypeError, ValueError):
        return False


def _local(v) -> str | None:
    """An ISO time shown in Asia/Shanghai with its offset (+08:00)."""
    if v in (None, ""):
        return None
    from datetime import datetime

    from carbon.config import TZINFO

    t = datetime.fromisoformat(str(v))
    if t.tzinfo is None:
        t = t.replace(tzinfo=TZINFO)
    return t.astimezone(TZINFO).isoformat(sep=" ", timespec="seconds")


SCHEDULE_COLS = (
    "site_id",
    "plan_date",
    "ts",
    "step_hours",
    "grid_import_kw",
    "grid_export_kw",
    "pv_used_kw",
    "wind_used_kw",
    "battery_charge_kw",
    "battery_discharge_kw",
    "soc_kwh",
    "job_kw",
    "facility_kw",
    "price_cny_per_kwh",
    "carbon_kg_per_kwh",
)


def plan_dates(con, today) -> tuple[list[str], bool]:
    """Today's and tomorrow's plan dates (Asia/Shanghai) if the marts hold them, else the latest
    two planned dates; the flag says whether today's plan exists."""
    have = [
        str(r[0])
        for r in con.execute(
            "select distinct plan_date from dispatch_site_daily order by plan_date desc"
        ).fetchall()
    ]
    from datetime import timedelta

    want = [str(today), str(today + timedelta(days=1))]
    hits = [d for d in want if d in have]
    if hits:
        return hits, True
    return sorted(have[:2]), False


def schedule(con, lake_dir, dates: list[str]):
    """The step rows of the day-ahead plans (kW means over each step) from the lake's
    ``dispatch_plans``, the table ``dispatch_site_daily`` sums its planned import from."""
    import glob as _glob
    from pathlib import Path

    files = sorted(_glob.glob(str(Path(lake_dir) / "dispatch_plans" / "*" / "part-0.parquet")))
    if not files or not dates:
        return list(SCHEDULE_COLS), []
    return rows(
        con,
        f"select {', '.join(SCHEDULE_COLS)} from read_parquet(?, hive_partitioning = false) "
        "where cast(plan_date as varchar) in (select unnest(?)) order by site_id, plan_date, ts",
        [files, dates],
    )


def site_limits(scenarios_dir, scenario_of: dict) -> dict[str, dict]:
    """contract_kw / import_max_kw of each site, from the scenario file its plan was solved with."""
    from pathlib import Path

    import yaml

    out: dict[str, dict] = {}
    for site, scen in scenario_of.items():
        p = Path(scenarios_dir) / f"{scen}.yaml"
        if not p.exists():
            continue
        for s in (yaml.safe_load(p.read_text()) or {}).get("sites", []):
            if s.get("site_id") == site:
                g = s.get("grid") or {}
                out[site] = {
                    "contract_kw": g.get("contract_kw"),
                    "import_max_kw": g.get("import_max_kw"),
                    "name": s.get("name"),
                }
    return out


def first_metered_month(con, region_prefix: str) -> str | None:
    """The first month with metered electricity accounts (the source of Scope 2 electricity)."""
    return con.execute(
        "select min(month) from gov_region_emissions_monthly where method = 'bottom_up' "
        "and scope = 'scope2_electricity' and region_code like ? || '%'",
        [region_prefix],
    ).fetchone()[0]
