"""The province roll-up: every city's marts, read from its own warehouse (opened read-only), into
the province marts ``<home>/province/province.duckdb`` (written to a temporary file beside it,
then renamed: readers see the old file or the new one).

Tables (each column with a bilingual comment, ``COLUMN_DOCS``):

- ``province_emissions_monthly``: city × month × CEADs sector × scope × method, t CO2e, from each
  city's ``gov_region_emissions_monthly``.
- ``province_city_status``: one row per Jiangsu city: ``in`` or ``missing`` with the reason (no
  home, its night failed, no warehouse, the warehouse cannot be opened, no mart). A missing city
  is never a zero: it has no row in the other tables, and every total says how many cities it
  covers.
- ``province_vs_ceads``: per year the sum of the cities' top-down Scope 1 (each city's
  ``gov_ceads_comparison``, the city headline's figure), the cities it covers, and the CEADs
  2019 Jiangsu inventory as the calibration reference (ratio, both years named).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from carbon.domain import codes
from carbon.province import city_home, province_dir

PROVINCE = "320000"
DB_NAME = "province.duckdb"
#: a city task's outcome for one run, written by ``carbon.province.nightly.run_city``
STATUS_FILE = "province_night.json"

COLUMN_DOCS: dict[str, dict[str, str]] = {
    "province_emissions_monthly": {
        "city_code": "GB/T 2260 city code | 地级市代码",
        "name_zh": "city name | 城市名称",
        "name_en": "city name, English | 城市英文名",
        "month": "YYYY-MM | 月份",
        "sector_code": "CEADs sector S01-S47 | CEADs部门代码",
        "scope": "scope1_combustion / scope1_process / scope2_electricity / scope2_heat | 范围",
        "method": "top_down (energy balance) / bottom_up (accounts) | 核算方法",
        "tco2e": "emissions, t CO2e | 排放量(吨二氧化碳当量)",
    },
    "province_city_status": {
        "city_code": "GB/T 2260 city code | 地级市代码",
        "name_zh": "city name | 城市名称",
        "name_en": "city name, English | 城市英文名",
        "status": "in (its marts are rolled up) / missing (not counted, never as zero) | 状态(已汇总/缺失)",
        "reason": "why the city is missing (empty when in) | 缺失原因",
    },
    "province_vs_ceads": {
        "year": "calendar year of the cities' figures | 年份",
        "top_down_scope1_mt": "sum of the covered cities' top-down Scope 1, Mt CO2 | 覆盖城市自上而下范围一合计(百万吨)",
        "cities_covered": "cities whose figures are in the sum | 覆盖城市数",
        "cities_total": "cities of the province (13) | 全省城市数",
        "missing_cities": "codes of the cities not in the sum, comma-separated | 未计入城市",
        "ceads_reference_year": "year of the CEADs province inventory compared with | CEADs参考年份",
        "ceads_reference_mt": "CEADs Jiangsu Scope 1 of that year, Mt CO2 | CEADs江苏省排放(百万吨)",
        "ratio_to_reference": "top_down_scope1_mt / ceads_reference_mt (13 cities covered: comparable) | 与CEADs之比",
    },
}


def status_path(city_home_dir: Path) -> Path:
    return Path(city_home_dir) / STATUS_FILE


def write_city_status(city_home_dir: Path, run_id: str, ok: bool, reason: str = "") -> Path:
    """The city task's outcome for ``run_id`` (atomic JSON)."""
    from carbon.pipeline.lake import atomic_path

    out = status_path(city_home_dir)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(
            json.dumps({"run_id": run_id, "status": "ok" if ok else "failed", "reason": reason}),
            encoding="utf-8",
        )
    return out


def _night_problem(home: Path, run_id: str | None) -> str | None:
    """Why the city's night ``run_id`` is not in (None: it is, or no run id to check)."""
    if run_id is None:
        return None
    p = status_path(home)
    if not p.exists():
        return f"no nightly result for run {run_id}"
    s = json.loads(p.read_text(encoding="utf-8"))
    if s.get("run_id") != run_id:
        return f"no nightly result for run {run_id} (last: {s.get('run_id')})"
    if s.get("status") != "ok":
        return f"nightly failed: {s.get('reason') or 'no reason given'}"
    return None


def read_city(home: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A city's monthly emissions (city × month × sector × scope × method) and its yearly top-down
    Scope 1 (the city's own ``gov_ceads_comparison`` row), from its warehouse, read-only."""
    from carbon.config import paths

    p = paths(home)
    city = p.city_code
    if not p.warehouse.exists():
        raise FileNotFoundError(f"no warehouse {p.warehouse}")
    with duckdb.connect(str(p.warehouse), read_only=True) as con:
        monthly = con.execute(
            """
            select ? as city_code, month, sector_code, scope, method,
                   sum(tco2e order by tco2e) as tco2e
            from main.gov_region_emissions_monthly
            group by all
            """,
            [city],
        ).df()
        yearly = con.execute(
            """
            select ? as city_code, year, top_down_mt
            from main.gov_ceads_comparison where region_code = ?
            """,
            [city, city],
        ).df()
    return monthly, yearly


def province_reference(year: int = 2019) -> float:
    """The CEADs Jiangsu inventory of ``year``, Mt CO2 (the sheet's TotalEmissions row)."""
    from carbon.domain.ceads import load_reference

    d = load_reference()
    d = d[(d["region_code"] == PROVINCE) & (d["sector_code"] == "TOTAL") & (d["year"] == year)]
    if d.empty:
        raise ValueError(f"no CEADs province inventory of {year} for Jiangsu {PROVINCE}")
    return float(d["mt_co2"].sum())


def rollup(province_home: str | Path, run_id: str | None = None, ceads_year: int = 2019) -> dict:
    """Roll the cities up into ``<home>/province/province.duckdb``; return the status summary.

    ``run_id``: the province night whose city results count (a city whose task for that run
    failed, or left none, is missing with that reason; None: take each city's warehouse as is)."""
    from carbon.pipeline.lake import atomic_path

    r = codes.regions().set_index("region_code")
    status, monthly, yearly = [], [], []
    for code in codes.city_codes():
        home = city_home(province_home, code)
        reason = None if home.is_dir() else f"no city home {home}"
        reason = reason or _night_problem(home, run_id)
        if reason is None:
            try:
                m, y = read_city(home)
                if m.empty:
                    reason = "its mart gov_region_emissions_monthly is empty"
                else:
                    monthly.append(m)
                    yearly.append(y)
            except (duckdb.Error, OSError, ValueError) as e:
                reason = f"{type(e).__name__}: {str(e).splitlines()[0]}"
        status.append(
            (
                code,
                r.at[code, "name_zh"],
                r.at[code, "name_en"],
                "missing" if reason else "in",
                reason or "",
            )
        )
    st = pd.DataFrame(status, columns=list(COLUMN_DOCS["province_city_status"]))
    names = st[["city_code", "name_zh", "name_en"]]
    cols_m = list(COLUMN_DOCS["province_emissions_monthly"])
    m = (
        pd.concat(monthly, ignore_index=True).merge(names, on="city_code")[cols_m]
        if monthly
        else pd.DataFrame(
            {c: pd.Series(dtype="float64" if c == "tco2e" else "object") for c in cols_m}
        )
    )
    y = (
        pd.concat(yearly, ignore_index=True)
        if yearly
        else pd.DataFrame(columns=["city_code", "year", "top_down_mt"])
    )
    missing = ",".join(st.loc[st.status == "missing", "city_code"])
    ref_mt = province_reference(ceads_year)
    vs = (
        y.groupby("year", as_index=False)
        .agg(top_down_scope1_mt=("top_down_mt", "sum"), cities_covered=("city_code", "nunique"))
        .assign(
            cities_total=len(st),
            missing_cities=missing,
            ceads_reference_year=ceads_year,
            ceads_reference_mt=ref_mt,
        )
    )
    vs["ratio_to_reference"] = vs["top_down_scope1_mt"] / ref_mt
    vs = vs[list(COLUMN_DOCS["province_vs_ceads"])]

    out = province_dir(province_home) / DB_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, duckdb.connect(str(tmp)) as con:
        for name, df in (
            ("province_emissions_monthly", m),
            ("province_city_status", st),
            ("province_vs_ceads", vs),
        ):
            con.register("df", df)
            con.execute(f"create table {name} as select * from df")
            con.unregister("df")
            for col, doc in COLUMN_DOCS[name].items():
                con.execute(
                    f"comment on column {name}.{col} is '{doc.replace(chr(39), chr(39) * 2)}'"
                )
        con.execute("checkpoint")
    return {
        "path": str(out),
        "cities_in": int((st.status == "in").sum()),
        "cities_missing": {
            c: why
            for c, s, why in zip(st.city_code, st.status, st.reason, strict=True)
            if s == "missing"
        },
    }
