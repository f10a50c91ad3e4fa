"""What goes into each report, read from the marts through the console's queries.

A report is a title, a list of (label, value) facts, sections (tables) and charts; ``render``
turns it into PDF or XLSX. Errors: ``BadRequest`` (malformed key or period: HTTP 400 / exit 2) and
``NotFound`` (unknown USCC, month or year: HTTP 404 / exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from carbon.config import TZINFO
from carbon.console import queries as q

YEAR_RE = re.compile(r"^\d{4}$")


class BadRequest(ValueError):
    """Malformed key or period (HTTP 400, CLI exit 2)."""


class NotFound(LookupError):
    """Unknown USCC, region or period (HTTP 404, CLI exit 2)."""


@dataclass
class Section:
    sheet: str  # XLSX sheet name (<= 31 characters)
    title: str
    columns: list[str]
    rows: list[tuple]
    note: str = ""


@dataclass
class Chart:
    title: str
    categories: list[str]
    series: list[tuple[str, list[float]]]  # (bilingual name, values)
    ylabel: str
    stacked: bool = True


@dataclass
class Report:
    kind: str  # enterprise | monthly
    key: str  # USCC or month
    period: str
    title: str
    facts: list[tuple[str, str]]
    sections: list[Section] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    @property
    def stem(self) -> str:
        if self.kind == "pcf":  # key = USCC-PRODUCT (carbon.reports.pcf)
            return f"carbon-pcf-declaration-{self.key}-{self.period}"
        if self.kind == "enterprise":
            return f"carbon-report-enterprise-{self.key}-{self.period}"
        if self.key != "320900":
            return f"carbon-report-monthly-{self.key}-{self.period}"
        return f"carbon-report-monthly-{self.period}"


GRADE_RULE = (
    "碳效等级规则 Grade rule: L = 排放量/工业增加值 tCO2 per 10^4 CNY (万元) value added; "
    "K = L / 同行业平均L industry average L (same GB/T 4754-2017 class and month); "
    "等级 grade 1: K<=0.6, 2: K<=0.8, 3: K<=1.2, 4: K<=2.0, 5: K>2.0 (1 best 最优). "
    "衢州颜色 Quzhou colour: benchmark K (<=0.8 good, <=1.2 fair), county share (<=1 % good, "
    "<=5 % fair) and change of L vs a year earlier (<=-5 % good, <=0 fair); good 2 / fair 1 / "
    "poor 0 points; >=5 dark_green 深绿, >=3 light_green 浅绿, >=2 yellow 黄, else red 红."
)


def _now() -> str:
    return datetime.now(TZINFO).strftime("%Y-%m-%d %H:%M:%S %Z (Asia/Shanghai)")


def _build_id(con) -> str:
    r = con.execute("select max(build_id) from ledger_entries").fetchone()
    return str(r[0]) if r and r[0] else ""


def _month_status(con, month_prefix: str) -> str:
    """Closed / provisional from the journal: a month posted while open is provisional (快报)."""
    r = con.execute(
        "select count(*), bool_or(is_provisional) from ledger_entries "
        "where ledger in ('government', 'enterprise') and period like ? || '%'",
        [month_prefix],
    ).fetchone()
    if not r[0]:
        return "no entries 无分录"
    return "provisional 快报(未结账)" if r[1] else "closed 已结账"


def _table(con, name: str) -> str | None:
    """The schema-qualified name of a warehouse table (intermediate models live in their own
    schema), or None."""
    r = con.execute(
        "select table_schema from information_schema.tables where table_name = ? "
        "order by table_schema = 'main' desc limit 1",
        [name],
    ).fetchone()
    return None if r is None else f'"{r[0]}"."{name}"'


def _in_period(cols, data, period: str, col: str = "month"):
    i = cols.index(col)
    return [r for r in data if str(r[i]).startswith(period)]


def enterprise(con, uscc: str, period: str | None = None) -> Report:
    """period: YYYY or YYYY-MM; None = the year of the enterprise's latest month."""
    if not uscc or not q.USCC_RE.match(uscc):
        raise BadRequest(
            f"malformed USCC {uscc!r}: expected 18 characters (GB 32100) / 统一社会信用代码应为18位"
        )
    if period is None:
        r = con.execute(
            "select max(month) from ent_enterprise_emissions_monthly where uscc = ?", [uscc]
        ).fetchone()
        if not r or r[0] is None:
            raise NotFound(f"enterprise {uscc} not found / 未找到企业 {uscc}")
        period = r[0][:4]
    if not (YEAR_RE.match(period or "") or q.PERIOD_RE.match(period or "")):
        raise BadRequest(
            f"malformed period {period!r}: expected YYYY or YYYY-MM / 期间应为 YYYY 或 YYYY-MM"
        )
    region = q.enterprise_region(con, uscc)
    if region is None:
        raise NotFound(f"enterprise {uscc} not found / 未找到企业 {uscc}")
    mcols, mrows = q.ent_monthly(con, uscc)
    mrows = _in_period(mcols, mrows, period)
    if not mrows:
        raise NotFound(
            f"no data for enterprise {uscc} in period {period} / 该企业在 {period} 无数据"
        )
    ecols, erows = q.ent_efficiency(con, uscc)
    erows = _in_period(ecols, erows, period, "period")
    name, industry = "", ""
    reg = _table(con, "int_enterprises__current")
    if reg:
        r = con.execute(f"select name, industry_code from {reg} where uscc = ?", [uscc]).fetchone()
        if r:
            name, industry = r[0] or "", r[1] or ""
    if not industry and erows:
        industry = erows[-1][ecols.index("industry_code")] if "industry_code" in ecols else ""
    if not industry:
        r = con.execute(
            "select any_value(industry_code) from ent_enterprise_emissions_monthly where uscc = ?",
            [uscc],
        ).fetchone()
        industry = r[0] or ""
    ti = mcols.index("tco2e_total")
    total = sum(r[ti] or 0.0 for r in mrows)
    provisional = any(r[mcols.index("is_provisional")] for r in mrows)
    facts = [
        ("企业名称 Name", name),
        ("统一社会信用代码 USCC (GB 32100)", uscc),
        ("行业 Industry (GB/T 4754-2017)", industry),
        ("区县 County (GB/T 2260)", f"{region} {q.COUNTY_NAMES.get(region, '')}".strip()),
        ("报告期 Period", period),
        ("排放总量 Total emissions (tCO2e)", f"{total:,.3f}"),
        (
            "数据状态 Status",
            "provisional 含快报月份(未结账)" if provisional else "closed 已结账",
        ),
        ("生成时间 Generated at", _now()),
        ("数据构建 Build", _build_id(con)),
    ]
    if erows:
        last = dict(zip(ecols, erows[-1], strict=True))
        facts[6:6] = [
            (
                f"碳效等级 Grade ({last['period']})",
                f"{last['grade']} (K = {last['k_value']:.4f}, L = {last['l_value']:.4f} t/万元, "
                f"{last['l_level']}), 衢州颜色 Quzhou colour {last['quzhou_colour']}",
            )
        ]
    rep = Report(
        "enterprise",
        uscc,
        period,
        f"企业碳账户报告 Enterprise carbon report — {name or uscc} ({period})",
        facts,
    )
    rep.sections.append(
        Section(
            "月度 Monthly",
            "月度排放与强度 Monthly emissions and intensities (tCO2e, t/万元)",
            mcols,
            mrows,
        )
    )
    rep.sections.append(
        Section(
            "碳效码 Grade", "碳效码 Carbon-efficiency grade (碳效码)", ecols, erows, note=GRADE_RULE
        )
    )
    # benchmark: rank of L among enterprises of the same industry class, per month of the period
    bcols, brows = q.rows(
        con,
        "with e as (select uscc, period, industry_code, l_value, industry_avg_l, k_value, "
        "rank() over (partition by industry_code, period order by l_value) as rank_in_industry, "
        "count(*) over (partition by industry_code, period) as industry_peers "
        "from ent_carbon_efficiency where l_value is not null) "
        "select period, industry_code, l_value, industry_avg_l, k_value, rank_in_industry, "
        "industry_peers from e where uscc = ? and period like ? || '%' order by period",
        [uscc, period],
    )
    rep.sections.append(
        Section(
            "对标 Benchmark",
            "行业对标 Industry benchmark (L tCO2/万元; rank 1 = lowest L 排名1为最低)",
            bcols,
            brows,
        )
    )
    fcols, frows = q.rows(
        con,
        "select scope, factor_id, factor_version, count(*) as entries, sum(tco2e) as tco2e "
        "from ledger_entries where ledger = 'enterprise' and account_id = ? and period like ? || '%' "
        "group by all order by scope, factor_id, factor_version",
        [uscc, period],
    )
    rep.sections.append(
        Section(
            "因子 Factors",
            "排放因子版本 Emission factors and versions used (journal ledger_entries)",
            fcols,
            frows,
            note="每个排放数可追溯至活动记录、因子及版本 Every figure traces to its activity record, "
            "factor and factor version (console page: 溯源 trace).",
        )
    )
    months = [r[0] for r in mrows]
    rep.charts.append(
        Chart(
            f"月度排放 Monthly emissions by scope (tCO2e) {uscc}",
            months,
            [
                (
                    "范围一燃烧 Scope 1 combustion",
                    [r[mcols.index("scope1_combustion")] or 0 for r in mrows],
                ),
                (
                    "范围一过程 Scope 1 process",
                    [r[mcols.index("scope1_process")] or 0 for r in mrows],
                ),
                ("范围二热力 Scope 2 heat", [r[mcols.index("scope2_heat")] or 0 for r in mrows]),
                (
                    "范围二电力 Scope 2 electricity",
                    [
                        (r[ti] or 0)
                        - sum(
                            r[mcols.index(c)] or 0
                            for c in ("scope1_combustion", "scope1_process", "scope2_heat")
                        )
                        for r in mrows
                    ],
                ),
            ],
            "tCO2e",
        )
    )
    return rep


def _prev(month: str, back: int) -> str:
    y, m = int(month[:4]), int(month[5:])
    n = y * 12 + m - 1 - back
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def monthly(con, month: str, region: str | None = None) -> Report:
    """The city's brief, or with ``region`` (a county, GB/T 2260) that district's own."""
    if not month or not q.PERIOD_RE.match(month):
        raise BadRequest(f"malformed month {month!r}: expected YYYY-MM / 月份格式应为 YYYY-MM")
    if region is not None:
        if not q.REGION_RE.match(region) or region == "320900":
            raise BadRequest(
                f"malformed region {region!r}: expected a county code (GB/T 2260, six digits) / "
                "区县代码应为6位数字"
            )
        if not q.region_exists(con, region):
            raise NotFound(f"region {region} not found / 未找到行政区划 {region}")
    if month not in q.months(con):
        raise NotFound(f"month {month} not found / 未找到月份 {month}")
    lm, ly = _prev(month, 1), _prev(month, 12)
    scope = region or "320900"
    prefix = region or "3209"
    place = f"{scope} {q.COUNTY_NAMES.get(scope, '')}".strip()
    ccols, crow = q.indicators(con, None, month, scope)
    if region:
        dcols, drows = q.indicators(con, None, month, region)
    else:
        dcols, drows = q.indicators(con, None, month)
    status = _month_status(con, month)
    facts = [
        ("地区 Region (GB/T 2260)", place),
        ("月份 Month", month),
        ("月份状态 Month status", status),
        ("生成时间 Generated at", _now()),
        ("数据构建 Build", _build_id(con)),
    ]
    if crow:
        c = dict(zip(ccols, crow[0], strict=True))
        facts[2:2] = [
            ("年累计排放 Scope 1 YTD (tCO2e)", f"{c['tco2e_scope1_ytd']:,.3f}"),
            ("年累计预算 Budget YTD (tCO2e)", f"{(c['budget_tco2e_ytd'] or 0):,.3f}"),
            ("全年预测/预算 Projection / budget", f"{(c['projection_to_budget'] or 0):.4f}"),
            ("预警等级 Warning level", q.LEVELS.get(c["warning_level"], str(c["warning_level"]))),
        ]
    rep = Report(
        "monthly", scope, month, f"月度碳排放简报 Monthly carbon brief — {place} {month}", facts
    )
    rep.sections.append(
        Section(
            "区县 Districts",
            "区县与预算 Districts and budget status (tCO2e; warning 1 red 红 / 2 yellow 黄 / 3 green 绿)",
            ["region_name", *dcols],
            [(q.COUNTY_NAMES.get(r[0], ""), *r) for r in drows],
        )
    )
    scols, srows = q.rows(
        con,
        "select sector_code, scope, sum(tco2e) as tco2e from gov_region_emissions_monthly "
        "where method = 'bottom_up' and region_code like ? || '%' and region_code <> '320900' "
        "and month = ? group by all order by tco2e desc",
        [prefix, month],
    )
    rep.sections.append(
        Section("行业 Sectors", f"行业 Sectors, bottom-up, {month} (tCO2e)", scols, srows)
    )
    tot = "coalesce(tco2e_scope1, 0) + coalesce(tco2e_scope2_electricity, 0) + coalesce(tco2e_scope2_heat, 0)"
    xcols, xrows = q.rows(
        con,
        f"with t as (select region_code, month, {tot} as tco2e from gov_region_indicators "
        "where region_code like ? || '%') "
        "select a.region_code, a.tco2e as tco2e_month, p.tco2e as tco2e_last_month, "
        "a.tco2e - p.tco2e as change_vs_last_month, y.tco2e as tco2e_last_year, "
        "a.tco2e - y.tco2e as change_vs_last_year "
        "from t a left join t p on p.region_code = a.region_code and p.month = ? "
        "left join t y on y.region_code = a.region_code and y.month = ? "
        "where a.month = ? order by abs(coalesce(a.tco2e - p.tco2e, 0)) desc",
        [prefix, lm, ly, month],
    )
    rep.sections.append(
        Section(
            "区县变化 District changes",
            f"区县变化 Districts: change vs last month {lm} and last year {ly} (tCO2e, scope 1 + 2)",
            xcols,
            xrows,
        )
    )
    ecols, erows = q.rows(
        con,
        "with t as (select uscc, month, region_code, tco2e_total from ent_enterprise_emissions_monthly) "
        "select a.uscc, a.region_code, a.tco2e_total as tco2e_month, p.tco2e_total as tco2e_last_month, "
        "a.tco2e_total - p.tco2e_total as change_vs_last_month, y.tco2e_total as tco2e_last_year, "
        "a.tco2e_total - y.tco2e_total as change_vs_last_year "
        "from t a left join t p on p.uscc = a.uscc and p.month = ? "
        "left join t y on y.uscc = a.uscc and y.month = ? where a.month = ? "
        "and a.region_code like ? || '%' "
        "order by greatest(abs(coalesce(a.tco2e_total - p.tco2e_total, 0)), "
        "abs(coalesce(a.tco2e_total - y.tco2e_total, 0))) desc, a.uscc limit 10",
        [lm, ly, month, prefix],
    )
    rep.sections.append(
        Section(
            "企业变化 Enterprise changes",
            "企业最大变化 Enterprises: largest changes (tCO2e, top 10)",
            ecols,
            erows,
        )
    )
    alerts = _table(con, "mon_alerts")
    if alerts:
        acols, arows = q.rows(
            con,
            "select alert_id, severity, rule_name_zh, rule_name_en, subject_type, subject_id, "
            f"region_code, period, status, status_zh from {alerts} "
            "where status in ('open', 'acknowledged') and coalesce(region_code, '') like ? || '%' "
            "order by severity, region_code, alert_id",
            [prefix],
        )
    else:
        acols, arows = ["alert_id"], []
    rep.sections.append(
        Section(
            "预警 Open alerts",
            "未处理预警 Open alerts (open 未处理 / acknowledged 已确认)",
            acols,
            arows,
        )
    )
    rep.charts.append(
        Chart(
            f"区县年累计排放与预算 Districts: scope 1 YTD vs budget YTD (tCO2e) {month}",
            [f"{q.COUNTY_NAMES.get(r[0], '')}\n{r[0]}" for r in drows],
            [
                (
                    "年累计排放 Scope 1 YTD",
                    [r[dcols.index("tco2e_scope1_ytd")] or 0 for r in drows],
                ),
                ("年累计预算 Budget YTD", [r[dcols.index("budget_tco2e_ytd")] or 0 for r in drows]),
            ],
            "tCO2e",
            stacked=False,
        )
    )
    return rep
