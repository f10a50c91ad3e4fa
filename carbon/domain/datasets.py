"""The data contracts of DESIGN §2 as one table: datasets, their columns, units and partitions.

This module is the single source of truth that the demo generator, the pandera contracts, the
ingest DAGs, the dbt sources and the docs all read. Names follow DESIGN.md.

Lake layout::

    <home>/lake/<dataset>/<partition_key>=<value>/part-0.parquet

``partition_key`` is the data period (``date``, ``month`` or ``year``), never wall-clock time.
Partition columns are not stored inside the files (hive style), so pyarrow, fastparquet and
DuckDB all read the same table.

Landing layout::

    <home>/landing/<dataset>/<any file name>.<csv|xlsx|parquet>

Datasets with personal data land with a raw identifier column (``Dataset.pseudonymise`` maps it to
the lake column) that ingest turns into a keyed-hash pseudonym (HMAC-SHA256 under the site secret)
and then drops; the raw value never reaches the lake. The same raw 户号 gives the same
household_key in ``households`` and ``electricity_consumption``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "string", "int64", "float64", "bool", "date", "timestamp"
    unit: str | None
    name_zh: str
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class Dataset:
    name: str
    name_zh: str
    grain: str
    partition_key: str  # "date" | "month" | "year"
    partition_source: str  # column the partition value is derived from
    landing_formats: tuple[str, ...]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    source: str
    # raw column -> pseudonymous lake column (keyed hash at ingest; raw dropped)
    pseudonymise: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


C = Column

DATASETS: dict[str, Dataset] = {}


def _add(ds: Dataset) -> Dataset:
    DATASETS[ds.name] = ds
    return ds


REGIONS = _add(
    Dataset(
        name="regions",
        name_zh="行政区划与人口经济",
        grain="region × year",
        partition_key="year",
        partition_source="year",
        landing_formats=("csv",),
        columns=(
            C("region_code", "string", None, "行政区划代码", "GB/T 2260 six-digit code"),
            C("name_zh", "string", None, "名称", "Chinese name"),
            C("parent_code", "string", None, "上级代码", "GB/T 2260 code of the parent", True),
            C("level", "string", None, "级别", "province / city / county"),
            C("year", "int64", None, "年份", "statistical year"),
            C("population", "int64", "persons", "常住人口", "resident population at year end"),
            C("gdp_10k_cny", "float64", "10^4 CNY", "地区生产总值(万元)", "GDP at current prices"),
        ),
        key=("region_code", "year"),
        source="statistics bureau",
    )
)

ENTERPRISES = _add(
    Dataset(
        name="enterprises",
        name_zh="企业名录",
        grain="enterprise (monthly snapshot of the register)",
        partition_key="month",
        partition_source="snapshot_month",
        landing_formats=("csv", "xlsx"),
        columns=(
            C("uscc", "string", None, "统一社会信用代码", "18 chars, GB 32100 check digit"),
            C("name", "string", None, "企业名称", "registered name"),
            C("industry_code", "string", None, "行业代码", "GB/T 4754-2017 four-digit class"),
            C("region_code", "string", None, "所在区县", "GB/T 2260 county code"),
            C(
                "is_key_emitter",
                "bool",
                None,
                "重点排放单位",
                "key emitter (≥ 10,000 tce/yr or ETS)",
            ),
            C("is_datacenter", "bool", None, "数据中心", "operates a data centre"),
            C("in_ets", "bool", None, "纳入碳市场", "covered by the national/local ETS"),
            C("snapshot_month", "string", None, "名录月份", "YYYY-MM of the register snapshot"),
        ),
        key=("uscc",),
        source="market-regulation register, ecology bureau",
    )
)

ELECTRICITY = _add(
    Dataset(
        name="electricity_consumption",
        name_zh="用电量",
        grain="account × day",
        partition_key="date",
        partition_source="date",
        landing_formats=("csv",),
        columns=(
            C(
                "account_type",
                "string",
                None,
                "户类",
                "enterprise / household / public / datacenter",
            ),
            C(
                "account_id",
                "string",
                None,
                "账户标识",
                "USCC for enterprise/public/datacenter; household_key (pseudonym) for households",
            ),
            C("region_code", "string", None, "区县代码", "GB/T 2260 county code"),
            C("date", "date", None, "日期", "local date, Asia/Shanghai"),
            C("kwh", "float64", "kWh", "用电量", "metered consumption"),
            C("green_kwh", "float64", "kWh", "绿电量", "bought as green power or certificates"),
        ),
        key=("account_type", "account_id", "date"),
        source="grid company meter data (daily CSV, sometimes GBK)",
        # landing files carry the raw grid account number (户号) in account_id for household rows
        pseudonymise={"account_id": "account_id"},
    )
)

# the head of an enterprise's monthly report (fuel, heat, production)
_ENTERPRISE_MONTH = (
    C("uscc", "string", None, "统一社会信用代码", "reporting enterprise"),
    C("month", "string", None, "月份", "YYYY-MM"),
)

FUEL = _add(
    Dataset(
        name="fuel_consumption",
        name_zh="化石燃料消费",
        grain="enterprise × month × fuel",
        partition_key="month",
        partition_source="month",
        landing_formats=("xlsx",),
        columns=(
            *_ENTERPRISE_MONTH,
            C("fuel_code", "string", None, "燃料代码", "see carbon.domain.units.FUELS"),
            C("quantity", "float64", None, "消费量", "amount in `unit`"),
            C("unit", "string", None, "计量单位", "t, 10^4 Nm3, GJ, …"),
        ),
        key=("uscc", "month", "fuel_code"),
        source="enterprise reports (XLSX), 统计联网直报",
    )
)

HEAT = _add(
    Dataset(
        name="heat_consumption",
        name_zh="热力购入与输出",
        grain="enterprise × month",
        partition_key="month",
        partition_source="month",
        landing_formats=("xlsx",),
        columns=(
            *_ENTERPRISE_MONTH,
            C("gj_purchased", "float64", "GJ", "外购热力", "heat purchased"),
            C("gj_exported", "float64", "GJ", "输出热力", "heat exported"),
        ),
        key=("uscc", "month"),
        source="enterprise reports (XLSX)",
    )
)

ACTIVITY = _add(
    Dataset(
        name="industrial_activity",
        name_zh="工业产品产量与产值",
        grain="enterprise × month × product",
        partition_key="month",
        partition_source="month",
        landing_formats=("xlsx",),
        columns=(
            *_ENTERPRISE_MONTH,
            C("product_code", "string", None, "产品代码", "see carbon.domain.units.PRODUCTS"),
            C("quantity", "float64", None, "产量", "amount in `unit`"),
            C("unit", "string", None, "计量单位", "t, MWh, …"),
            C("output_value_10k_cny", "float64", "10^4 CNY", "工业总产值(万元)", "output value"),
            C("value_added_10k_cny", "float64", "10^4 CNY", "工业增加值(万元)", "value added"),
        ),
        key=("uscc", "month", "product_code"),
        source="enterprise reports (XLSX), statistics bureau",
    )
)

BALANCE = _add(
    Dataset(
        name="sector_energy_balance",
        name_zh="分部门能源平衡",
        grain="region × year × sector × fuel",
        partition_key="year",
        partition_source="year",
        landing_formats=("csv", "xlsx"),
        columns=(
            C("region_code", "string", None, "区划代码", "GB/T 2260 code"),
            C("year", "int64", None, "年份", "statistical year"),
            C("sector_code", "string", None, "部门代码", "CEADs sector (see carbon.domain.ceads)"),
            C("fuel_code", "string", None, "能源品种", "see carbon.domain.units.FUELS"),
            C("quantity", "float64", None, "消费量", "amount in `unit`"),
            C("unit", "string", None, "计量单位", "t, 10^4 Nm3, GJ, …"),
        ),
        key=("region_code", "year", "sector_code", "fuel_code"),
        source="statistics bureau energy balance (top-down)",
    )
)

HOUSEHOLDS = _add(
    Dataset(
        name="households",
        name_zh="居民户",
        grain="household (monthly snapshot)",
        partition_key="month",
        partition_source="snapshot_month",
        landing_formats=("csv",),
        columns=(
            C(
                "household_key",
                "string",
                None,
                "户匿名键",
                "HMAC-SHA256 pseudonym of the grid account",
            ),
            C("region_code", "string", None, "区县代码", "GB/T 2260 county code"),
            C("community_id", "string", None, "社区", "community (社区) identifier"),
            C("members", "int64", "persons", "户人数", "household members"),
            C("snapshot_month", "string", None, "月份", "YYYY-MM of the snapshot"),
        ),
        key=("household_key",),
        source="grid company, civil affairs",
        pseudonymise={"household_no": "household_key"},  # raw 户号 -> keyed hash
    )
)

LOW_CARBON = _add(
    Dataset(
        name="low_carbon_activity",
        name_zh="低碳行为",
        grain="person × day × behaviour × platform",
        partition_key="date",
        partition_source="date",
        landing_formats=("csv", "parquet"),
        columns=(
            C("person_key", "string", None, "个人匿名键", "HMAC-SHA256 pseudonym of phone / ID"),
            C("date", "date", None, "日期", "local date, Asia/Shanghai"),
            C(
                "behaviour_code",
                "string",
                None,
                "行为代码",
                "bus, metro, cycling, walking, ev_charging, …",
            ),
            C("quantity", "float64", None, "数量", "amount in `unit`"),
            C("unit", "string", None, "单位", "trips, km, kWh"),
            C("platform", "string", None, "平台", "transit / bikeshare / charging operator"),
            C("record_id", "string", None, "记录号", "the platform's own record id"),
        ),
        key=("platform", "record_id"),
        source="transit cards, bike-share, charging operators (with consent)",
        pseudonymise={"user_id": "person_key"},  # raw phone / ID-card number -> keyed hash
    )
)

GRID = _add(
    Dataset(
        name="grid_signals",
        name_zh="电网价格与碳强度",
        grain="province × hour",
        partition_key="date",
        partition_source="ts",
        landing_formats=("csv",),
        columns=(
            C("province_code", "string", None, "省级代码", "GB/T 2260 province code"),
            C("ts", "timestamp", None, "时刻", "hour start, Asia/Shanghai"),
            C("price_cny_per_kwh", "float64", "CNY/kWh", "分时电价", "time-of-use price"),
            C(
                "carbon_intensity_kg_per_kwh",
                "float64",
                "kgCO2/kWh",
                "边际/平均碳强度",
                "hourly grid carbon intensity",
            ),
        ),
        key=("province_code", "ts"),
        source="grid company, trading centre",
    )
)

TELEMETRY = _add(
    Dataset(
        name="datacenter_telemetry",
        name_zh="数据中心运行数据",
        grain="site × 15 min",
        partition_key="date",
        partition_source="ts",
        landing_formats=("csv", "parquet"),
        columns=(
            C("site_id", "string", None, "站点", "data-centre site id"),
            C("uscc", "string", None, "统一社会信用代码", "operating enterprise"),
            C("ts", "timestamp", None, "时刻", "interval start, Asia/Shanghai"),
            C("it_kw", "float64", "kW", "IT负荷", "IT load"),
            C("facility_kw", "float64", "kW", "设施总负荷", "total facility load"),
            C("pv_kw", "float64", "kW", "光伏出力", "on-site PV output"),
            C("wind_kw", "float64", "kW", "风电出力", "on-site wind output"),
            C("battery_soc", "float64", "fraction", "储能SOC", "battery state of charge 0–1"),
        ),
        key=("site_id", "ts"),
        source="data-centre operators",
    )
)


# ---------------------------------------------------------------------------------------------
# Outputs: lake datasets the system writes itself (no landing, no ingest DAG).  The dispatch
# runner's Arrow schemas (optimizers/lake_schemas.py) are generated from these.
OUTPUTS: dict[str, Dataset] = {}


def _out(ds: Dataset) -> Dataset:
    OUTPUTS[ds.name] = ds
    return ds


def _plan_head() -> tuple[Column, ...]:
    return (
        C("plan_date", "date", None, "计划日", "first day of the plan horizon, Asia/Shanghai"),
        C("site_id", "string", None, "站点", "data-centre site id"),
        C("uscc", "string", None, "统一社会信用代码", "operating enterprise", nullable=True),
        C("scenario", "string", None, "情景", "scenario name (YAML file stem)"),
    )


def _plan_output(*, columns: tuple[Column, ...], **kw: Any) -> Dataset:
    """An output dataset of a dispatch plan: partitioned by ``plan`` (from ``plan_date``), its
    columns after the plan head (:func:`_plan_head`)."""
    return _out(
        Dataset(
            partition_key="plan",
            partition_source="plan_date",
            landing_formats=(),
            columns=(*_plan_head(), *columns),
            **kw,
        )
    )


def _replan_k(what: str, nullable: bool = False) -> Column:
    return C("replan_k", "int64", None, "重规划起始步", what, nullable)


def _kw(name: str, zh: str, what: str) -> Column:
    return C(name, "float64", "kW", zh, f"{what}, mean over the step", nullable=True)


DISPATCH_PLANS = _plan_output(
    name="dispatch_plans",
    name_zh="源网荷储调度计划",
    grain="site × step",
    columns=(
        C("ts", "timestamp", None, "时刻", "step start, Asia/Shanghai"),
        C("step_hours", "float64", "h", "步长", "step length"),
        _kw("it_kw", "IT负荷", "IT load (base + jobs)"),
        _kw("job_kw", "柔性作业负荷", "flexible job load"),
        _kw("facility_kw", "设施总负荷", "facility load PUE × IT"),
        _kw("pv_used_kw", "光伏自用", "PV used on site"),
        _kw("pv_curtailed_kw", "弃光", "PV curtailed"),
        _kw("wind_used_kw", "风电自用", "wind used on site"),
        _kw("wind_curtailed_kw", "弃风", "wind curtailed"),
        _kw("grid_import_kw", "购电", "grid import"),
        _kw("grid_export_kw", "上网电量", "grid export"),
        _kw("battery_charge_kw", "储能充电", "battery charge"),
        _kw("battery_discharge_kw", "储能放电", "battery discharge"),
        C("soc_kwh", "float64", "kWh", "储能电量", "battery energy at step end", True),
        _kw("backup_kw", "备用发电", "backup (diesel) generation"),
        C("price_cny_per_kwh", "float64", "CNY/kWh", "电价", "import price", True),
        C("carbon_kg_per_kwh", "float64", "kgCO2/kWh", "电网碳强度", "grid intensity", True),
        C(
            "marginal_price_cny_per_kwh",
            "float64",
            "CNY/kWh",
            "边际电价",
            "dual of the power balance: cost of one more kWh of load",
            True,
        ),
        C("pue", "float64", "1", "电能利用效率", "PUE of the step", True),
        C("solver", "string", None, "求解器", "highs or cbc", True),
    ),
    key=("plan_date", "site_id", "ts"),
    source="optimizers.runner (carbon dispatch, DAG dispatch_day_ahead)",
)


def _kpi(name: str, dtype: str, unit: str | None, zh: str, what: str) -> Column:
    return C(name, dtype, unit, zh, what, nullable=True)


DISPATCH_KPIS = _plan_output(
    name="dispatch_kpis",
    name_zh="调度计划指标",
    grain="site × plan",
    columns=(
        C("horizon_days", "int64", "d", "计划天数", "plan horizon"),
        C("step_hours", "float64", "h", "步长", "step length"),
        C("status", "string", None, "求解状态", "optimal | time_limit | infeasible | ..."),
        _kpi("solver", "string", None, "求解器", "highs or cbc"),
        _kpi("objective_cny", "float64", "CNY", "目标值", "objective of the group's model"),
        _kpi("carbon_price_cny_per_t", "float64", "CNY/tCO2e", "碳价", "carbon price used"),
        _kpi("cost_cny", "float64", "CNY", "总成本", "cost without the carbon price"),
        _kpi("energy_cost_cny", "float64", "CNY", "电费", "grid energy cost"),
        _kpi("export_revenue_cny", "float64", "CNY", "上网收入", "export revenue"),
        _kpi("backup_cost_cny", "float64", "CNY", "备用发电成本", "backup fuel and O&M"),
        _kpi("backup_kwh", "float64", "kWh", "备用发电量", "backup energy"),
        _kpi("backup_tco2", "float64", "tCO2e", "备用发电排放", "backup emissions"),
        _kpi("backup_kg_per_kwh", "float64", "kgCO2/kWh", "备用排放因子", "backup factor"),
        _kpi("backup_factor", "string", None, "因子版本", "factor id and version of backup"),
        _kpi("backup_starts", "int64", None, "备用发电启动次数", "starts of the backup (MILP)"),
        _kpi("demand_charge_cny", "float64", "CNY", "需量电费", "demand charge on the peak"),
        _kpi("carbon_cost_cny", "float64", "CNY", "碳成本", "carbon price × emissions"),
        _kpi("tco2", "float64", "tCO2e", "排放量", "grid and backup emissions"),
        _kpi("green_share", "float64", "fraction", "绿电占比", "green-power share"),
        _kpi("green_share_target", "float64", "fraction", "绿电目标", "green-share target"),
        _kpi("cue_kg_per_kwh", "float64", "kgCO2/kWh", "碳利用效率", "CUE, kg per IT kWh"),
        _kpi("pue_realised", "float64", "1", "实际PUE", "facility kWh / IT kWh"),
        _kpi("pue_target", "float64", "1", "PUE目标", "PUE target"),
        _kpi("pue_target_met", "bool", None, "PUE达标", "pue_realised ≤ pue_target"),
        _kpi("peak_kw", "float64", "kW", "最大需量", "peak grid import"),
        _kpi("facility_kwh", "float64", "kWh", "设施用电量", "facility energy"),
        _kpi("it_kwh", "float64", "kWh", "IT用电量", "IT energy"),
        _kpi("grid_import_kwh", "float64", "kWh", "购电量", "grid import energy"),
        _kpi("curtailment_kwh", "float64", "kWh", "弃风弃光", "PV and wind curtailed"),
        _kpi("battery_cycles", "float64", "1", "储能循环次数", "discharge kWh / capacity"),
        _kpi(
            "battery_degradation_cny",
            "float64",
            "CNY",
            "储能损耗成本",
            "degradation cost: kWh discharged × cost per kWh of throughput",
        ),
        _kpi("dr_events", "int64", None, "需求响应事件数", "demand-response / 有序用电 events"),
        _kpi("dr_reduction_kwh", "float64", "kWh", "需求响应削减电量", "import below baseline"),
        _kpi("dr_compensation_cny", "float64", "CNY", "需求响应补偿", "compensation earned"),
        _kpi("soc_start_kwh", "float64", "kWh", "初始电量", "starting battery energy"),
        _kpi("jobs_on_time", "int64", None, "按时作业数", "jobs given their energy"),
        _kpi("jobs_total", "int64", None, "作业总数", "jobs of the site"),
        _kpi("jobs_clipped", "int64", None, "窗口截断作业数", "jobs cut by the horizon"),
        _kpi(
            "shared_jobs_run",
            "int64",
            None,
            "共享作业数",
            "shared (东数西算) jobs with energy at the site",
        ),
        _kpi(
            "jobs_moved_in",
            "int64",
            None,
            "迁入作业数",
            "shared jobs run here away from their home site",
        ),
        _kpi(
            "migration_cost_cny",
            "float64",
            "CNY",
            "迁移成本",
            "migration cost of the jobs moved in: Σ migration_cost_cny × moved share",
        ),
        _kpi(
            "data_moved_gb",
            "float64",
            "GB",
            "迁移数据量",
            "data moved in over the links: Σ data_gb × moved share",
        ),
        _kpi("forecast_fallback", "bool", None, "预测回退", "model forecast fell back"),
        _kpi(
            "forecast_mode",
            "string",
            None,
            "预测模式",
            "scenario key forecast: perfect, model (P50) or risk_aware (P50 + P90 load / P10 PV)",
        ),
        _kpi(
            "adverse_cost_cny",
            "float64",
            "CNY",
            "不利情景成本",
            "cost if P90 IT load and P10 PV come true (risk_aware; else null)",
        ),
        _kpi("adverse_tco2", "float64", "tCO2e", "不利情景排放", "emissions in that scenario"),
        _kpi("adverse_green_share", "float64", "1", "不利情景绿电占比", "green share in it"),
        _kpi(
            "adverse_unserved_kwh",
            "float64",
            "kWh",
            "不利情景缺供电量",
            "load above the grid limit in it (jobs shed first)",
        ),
        _kpi(
            "adverse_jobs_on_time",
            "int64",
            None,
            "不利情景按时作业数",
            "jobs given their energy in it",
        ),
        _kpi(
            "robustness_cost_cny",
            "float64",
            "CNY",
            "鲁棒性代价",
            "P50 cost minus that of the risk-neutral (model) plan (risk_aware; else null)",
        ),
        _kpi(
            "robustness_tco2",
            "float64",
            "tCO2e",
            "鲁棒性排放代价",
            "P50 tCO2e minus that of the risk-neutral plan",
        ),
        _kpi("planned_at", "timestamp", None, "计划时刻", "when the plan was made"),
    ),
    key=("plan_date", "site_id"),
    source="optimizers.runner (carbon dispatch, DAG dispatch_day_ahead)",
)


_STEP_COLUMNS = tuple(
    c for c in DISPATCH_PLANS.columns if c.name not in ("plan_date", "site_id", "uscc", "scenario")
)

DISPATCH_REPLANS = _plan_output(
    name="dispatch_replans",
    name_zh="源网荷储日内滚动计划",
    grain="site × re-plan step k × step",
    columns=(
        _replan_k("k: first step not yet executed when re-planned"),
        C(
            "replanned_for",
            "timestamp",
            None,
            "重规划时刻",
            "the re-plan's 'now', Asia/Shanghai",
        ),
        *_STEP_COLUMNS,
        C(
            "soc_start_kwh",
            "float64",
            "kWh",
            "起始电量",
            "battery energy the re-plan starts from at step k",
            True,
        ),
        C(
            "soc_measured_kwh",
            "float64",
            "kWh",
            "实测电量",
            "latest finite battery_soc × energy_kwh (before projection)",
            True,
        ),
        C(
            "soc_measured_at",
            "timestamp",
            None,
            "实测时刻",
            "time stamp of that telemetry row",
            True,
        ),
        C(
            "peak_so_far_kw",
            "float64",
            "kW",
            "已发生最大需量",
            "the day's peak grid import so far (from telemetry)",
            True,
        ),
        C(
            "state_fallback",
            "bool",
            None,
            "状态回退",
            "the measured SoC was missing, stale or out of bounds: last good state used",
        ),
        C(
            "forecast_gap",
            "bool",
            None,
            "预测缺口",
            "future series had gaps, filled from the last good value",
        ),
        C(
            "fallback_reason",
            "string",
            None,
            "回退原因",
            "why (every fallback, '; ' joined)",
            True,
        ),
        C("status", "string", None, "求解状态", "optimal | time_limit | ..."),
    ),
    key=("plan_date", "site_id", "replan_k", "ts"),
    source="optimizers.intraday (DAG dispatch_intraday)",
)

DISPATCH_JOB_PLANS = _plan_output(
    name="dispatch_job_plans",
    name_zh="柔性作业计划",
    grain="site × plan (day-ahead or re-plan k) × job × step with non-zero kW",
    columns=(
        _replan_k("k of the re-plan; null: the day-ahead plan", nullable=True),
        C("job_id", "string", None, "作业", "flexible job id"),
        C("ts", "timestamp", None, "时刻", "step start, Asia/Shanghai"),
        C("step_hours", "float64", "h", "步长", "step length"),
        C("kw", "float64", "kW", "作业负荷", "the job's IT load, mean over the step"),
    ),
    key=("plan_date", "site_id", "replan_k", "job_id", "ts"),
    source="optimizers.runner (day-ahead) and optimizers.intraday (re-plans)",
)


# ---------------------------------------------------------------- zero-carbon parks (issue 14 §1)

PARK_MEMBERS = _add(
    Dataset(
        name="park_members",
        name_zh="园区企业名录",
        grain="park × enterprise × membership spell (monthly snapshot)",
        partition_key="month",
        partition_source="snapshot_month",
        landing_formats=("csv",),
        columns=(
            C(
                "park_id",
                "string",
                None,
                "园区代码",
                "park id of carbon/domain/data/parks/parks.csv",
            ),
            C("uscc", "string", None, "统一社会信用代码", "member enterprise (GB 32100)"),
            C("valid_from", "date", None, "入园日期", "first day inside the boundary"),
            C("valid_to", "date", None, "出园日期", "last day inside the boundary", True),
            C("snapshot_month", "string", None, "名录月份", "YYYY-MM of the register snapshot"),
        ),
        key=("park_id", "uscc", "valid_from"),
        source="park management committee (园区管委会)",
    )
)

PARK_RESOURCES = _add(
    Dataset(
        name="park_resource_use",
        name_zh="园区资源循环利用",
        grain="park × enterprise × month",
        partition_key="month",
        partition_source="month",
        landing_formats=("csv",),
        columns=(
            C(
                "park_id",
                "string",
                None,
                "园区代码",
                "park id of carbon/domain/data/parks/parks.csv",
            ),
            C("uscc", "string", None, "统一社会信用代码", "reporting member enterprise"),
            C("month", "string", None, "月份", "YYYY-MM"),
            C(
                "solid_waste_generated_t",
                "float64",
                "t",
                "工业固废产生量",
                "industrial solid waste generated",
            ),
            C("solid_waste_utilised_t", "float64", "t", "工业固废综合利用量", "of it, utilised"),
            C(
                "waste_heat_recoverable_gj",
                "float64",
                "GJ",
                "可回收余热余冷余压",
                "recoverable waste heat, cold and pressure",
            ),
            C(
                "waste_heat_recovered_gj",
                "float64",
                "GJ",
                "已回收余热余冷余压",
                "of it, recovered and used",
            ),
            C(
                "water_withdrawn_t",
                "float64",
                "t",
                "取水量",
                "industrial water withdrawn (new water)",
            ),
            C("water_reused_t", "float64", "t", "重复利用水量", "industrial water reused"),
            C(
                "green_direct_kwh",
                "float64",
                "kWh",
                "绿电直连电量",
                "metered consumption supplied by in-boundary generation (green direct supply, own PV)",
            ),
        ),
        key=("park_id", "uscc", "month"),
        source="park management committee, member reports (园区管委会、企业填报)",
    )
)

COMMUNITY_ENERGY = _add(
    Dataset(
        name="community_energy",
        name_zh="社区公共用电与绿电",
        grain="community × month",
        partition_key="month",
        partition_source="month",
        landing_formats=("csv",),
        columns=(
            C(
                "community_id",
                "string",
                None,
                "社区",
                "community (社区) identifier, as in households",
            ),
            C("month", "string", None, "月份", "YYYY-MM"),
            C(
                "public_kwh",
                "float64",
                "kWh",
                "公共用电量",
                "public electricity (lighting, lifts, pumps)",
            ),
            C(
                "pv_kwh",
                "float64",
                "kWh",
                "社区光伏发电量",
                "community PV generation used or fed in",
            ),
            C(
                "green_purchase_kwh",
                "float64",
                "kWh",
                "绿电购买量",
                "green power bought for the community",
            ),
        ),
        key=("community_id", "month"),
        source="street office / property management, grid company (街道、物业、电网)",
    )
)


# ---------------------------------------------------------------- product carbon footprints (issue 14 §2)

MATERIAL_PURCHASES = _add(
    Dataset(
        name="material_purchases",
        name_zh="原材料采购",
        grain="enterprise × month × material",
        partition_key="month",
        partition_source="month",
        landing_formats=("csv",),
        columns=(
            C("uscc", "string", None, "统一社会信用代码", "purchasing enterprise (GB 32100)"),
            C("month", "string", None, "月份", "YYYY-MM of receipt at the gate"),
            C(
                "material_code",
                "string",
                None,
                "物料代码",
                "material of carbon/domain/pcf/data/pcf_materials.csv (kind material)",
            ),
            C(
                "quantity",
                "float64",
                None,
                "采购量",
                "amount in `unit` (stored in the material's unit, t)",
            ),
            C(
                "unit",
                "string",
                None,
                "计量单位",
                "t, kg, 万吨, …: converted to the material's unit",
            ),
            C(
                "transport_mode",
                "string",
                None,
                "运输方式",
                "road / rail / waterway to the gate, if reported",
                True,
            ),
            C(
                "transport_km",
                "float64",
                "km",
                "运输距离(公里)",
                "distance from the supplier to the gate, if reported (with transport_mode)",
                True,
            ),
        ),
        key=("uscc", "month", "material_code"),
        source="enterprise reports: purchase ledger (企业填报: 原材料采购台账)",
    )
)
