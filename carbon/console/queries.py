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
LEVELS = {1: "red 红", 2: "yellow 黄", 3: "green 绿"}


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
    return rows(
        con,
        "select region_code, year, top_down_mt, ceads_reference_year, ceads_reference_mt, "
        "ratio_to_reference from gov_ceads_comparison order by region_code, year",
    )


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
        "select period, entry_type, tco2e from ledger_entries where ledger = 'personal' and account_id = ? "
        "and entry_type in ('redemption', 'expiry') order by period",
        [account_id],
    )
    return bal, cred, red


def dispatch(con):
    return rows(
        con,
        "select site_id, plan_date, status, planned_import_kwh, cost_cny, tco2, green_share, "
        "cue_kg_per_kwh, pue_realised, peak_kw, curtailment_kwh, battery_cycles, jobs_on_time, jobs_total "
        "from dispatch_site_daily order by plan_date desc, site_id limit 50",
    )
