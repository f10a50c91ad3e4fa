"""Generate the demo city into ``<home>/landing`` (and the defect manifest into ``<home>/demo_manifest``)."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from carbon.config import paths
from carbon.demo import daily
from carbon.demo.anomalies import KINDS, Injector, plan_anomalies, truth_frame
from carbon.demo.defects import MANIFEST_COLUMNS, SPECS, inject
from carbon.demo.factors import TARGET_TCO2_PER_YEAR, TCO2_PER_UNIT
from carbon.demo.parks import park_files
from carbon.demo.pcf import manifest_records, pcf_files
from carbon.demo.plan import (
    CITY,
    COUNTIES,
    COUNTY_STATS,
    INDUSTRY_BY_CODE,
    JIANGSU_2025,
    PROVINCE,
    SCALE_SPECS,
    Plan,
    build_plan,
    month_weights,
    rng,
    season_of,
)
from carbon.demo.writers import LandingFile, write
from carbon.domain import codes
from carbon.domain.datasets import DATASETS
from carbon.domain.units import FUELS, PRODUCTS

GBK_EVERY = 5  # every 5th meter file comes GBK-encoded with Chinese headers


@dataclass
class Summary:
    home: str
    scale: str
    seed: int
    defect_rate: float
    start: str
    end: str
    daily_dates: list[str]
    months: list[str]
    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    defects: dict[str, int] = field(default_factory=dict)
    calibration: dict = field(default_factory=dict)
    anomalies: dict = field(default_factory=dict)  # injected meter anomalies per kind
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)


def _months(start: str, end: dt.date) -> list[str]:
    """Months from ``start`` (YYYY-MM) whose last day is on or before ``end``."""
    out, p = [], pd.Period(start, "M")
    while p.end_time.date() <= end:
        out.append(str(p))
        p += 1
    return out


def _table(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)


def _month_share(plan: Plan, seed: int, year: int) -> dict[str, np.ndarray]:
    """Per enterprise: share of its annual quantities in each month of ``year`` (sums to 1)."""
    r = rng(seed, "monthly", year)
    out = {}
    for uscc, code in zip(plan.register["uscc"], plan.register["industry_code"], strict=True):
        w = month_weights(year, season_of(code)) * r.lognormal(0.0, 0.05, 12)
        out[uscc] = w / w.sum()
    return out


# ---------------------------------------------------------------- builders (pure -> LandingFile)
def regions_files(years: list[int]) -> list[LandingFile]:
    files = []
    for y in years:
        g = 1.05 ** (y - 2025)
        pop_g = 0.997 ** (y - 2025)
        rows = [
            (
                PROVINCE,
                "江苏省",
                None,
                "province",
                y,
                round(JIANGSU_2025[0] * pop_g),
                JIANGSU_2025[1] * g,
            )
        ]
        names = dict(zip(codes.regions()["region_code"], codes.regions()["name_zh"], strict=True))
        counties = [
            (
                c,
                names[c],
                CITY,
                "county",
                y,
                round(COUNTY_STATS[c][0] * pop_g),
                round(COUNTY_STATS[c][1] * g, 1),
            )
            for c in COUNTIES
        ]
        city_pop = sum(r[5] for r in counties)
        city_gdp = round(sum(r[6] for r in counties), 1)
        rows.append((CITY, "盐城市", PROVINCE, "city", y, city_pop, city_gdp))
        rows += counties
        df = pd.DataFrame(rows, columns=DATASETS["regions"].column_names)
        df["gdp_10k_cny"] = df["gdp_10k_cny"].round(1)
        files.append(LandingFile("regions", f"regions/regions_{y}.csv", _table(df), period=str(y)))
    return files


def key_flags(plan: Plan) -> tuple[pd.Series, pd.Series]:
    """(in_ets, is_key_emitter) per register row: ETS industries ≥ 26,000 t, and ≈ 10,000 tce/yr."""
    reg = plan.register
    annual_t = plan.fuel.groupby("uscc")["tco2"].sum() + plan.process.groupby("uscc")[
        "tco2"
    ].sum().reindex(plan.fuel["uscc"].unique(), fill_value=0.0).reindex(
        plan.fuel.groupby("uscc")["tco2"].sum().index, fill_value=0.0
    )
    t = reg["uscc"].map(annual_t).fillna(0.0)
    t = t + reg["uscc"].map(plan.process.groupby("uscc")["tco2"].sum()).fillna(0.0) * (
        ~reg["uscc"].isin(plan.fuel["uscc"])
    )
    ets_ind = reg["industry_code"].isin(["4411", "4412", "3011", "3110", "3120"])
    in_ets = ets_ind & (t >= 26_000)  # national ETS: power, and since 2025 cement and steel
    key = in_ets | (t >= 26_000)  # ≈ 10,000 tce/yr
    return in_ets, key


def enterprises_files(plan: Plan, months: list[str]) -> list[LandingFile]:
    reg = plan.register
    in_ets, key = key_flags(plan)
    files = []
    for m in months:
        df = pd.DataFrame(
            {
                "uscc": reg["uscc"],
                "name": reg["name"],
                "industry_code": reg["industry_code"],
                "region_code": reg["region_code"],
                "is_key_emitter": key,
                "is_datacenter": reg["is_datacenter"],
                "in_ets": in_ets,
                "snapshot_month": m,
            }
        )
        files.append(
            LandingFile("enterprises", f"enterprises/enterprises_{m}.csv", _table(df), period=m)
        )
    return files


def monthly_files(plan: Plan, months: list[str], seed: int) -> list[LandingFile]:
    files: list[LandingFile] = []
    shares = {y: _month_share(plan, seed, y) for y in sorted({int(m[:4]) for m in months})}
    heat = plan.register[(plan.register["gj_purchased"] > 0) | (plan.register["gj_exported"] > 0)]
    for m in months:
        y, k = int(m[:4]), int(m[5:7]) - 1
        s = plan.fuel["uscc"].map(lambda u, y=y, k=k: shares[y][u][k])
        fuel = pd.DataFrame(
            {
                "uscc": plan.fuel["uscc"],
                "month": m,
                "fuel_code": plan.fuel["fuel_code"],
                "quantity": (plan.fuel["quantity"] * s).round(3),
                "unit": plan.fuel["fuel_code"].map(lambda f: FUELS[f].unit),
            }
        )
        fuel = fuel[fuel["quantity"] > 0].sort_values(["uscc", "fuel_code"]).reset_index(drop=True)
        files.append(
            LandingFile(
                "fuel_consumption",
                f"fuel_consumption/fuel_{m}.xlsx",
                _table(fuel),
                "xlsx",
                period=m,
            )
        )
        hs = heat["uscc"].map(lambda u, y=y, k=k: shares[y][u][k])
        h = pd.DataFrame(
            {
                "uscc": heat["uscc"],
                "month": m,
                "gj_purchased": (heat["gj_purchased"] * hs).round(1),
                "gj_exported": (heat["gj_exported"] * hs).round(1),
            }
        ).sort_values("uscc")
        files.append(
            LandingFile(
                "heat_consumption",
                f"heat_consumption/heat_{m}.xlsx",
                _table(h.reset_index(drop=True)),
                "xlsx",
                period=m,
            )
        )
        p = plan.products
        ps = p["uscc"].map(lambda u, y=y, k=k: shares[y][u][k])
        act = pd.DataFrame(
            {
                "uscc": p["uscc"],
                "month": m,
                "product_code": p["product_code"],
                "quantity": (p["quantity"] * ps).round(3),
                "unit": p["product_code"].map(lambda c: PRODUCTS[c].unit),
                "output_value_10k_cny": (p["output_value_10k_cny"] * ps).round(2),
                "value_added_10k_cny": (p["value_added_10k_cny"] * ps).round(2),
            }
        )
        act = act[act["quantity"] > 0].sort_values(["uscc", "product_code"]).reset_index(drop=True)
        files.append(
            LandingFile(
                "industrial_activity",
                f"industrial_activity/activity_{m}.xlsx",
                _table(act),
                "xlsx",
                period=m,
            )
        )
    return files


def balance_files(plan: Plan, years: list[int]) -> list[LandingFile]:
    files = []
    for y in years:
        b = plan.balance
        df = pd.DataFrame(
            {
                "region_code": CITY,
                "year": y,
                "sector_code": b["sector"],
                "fuel_code": b["fuel_code"],
                "quantity": b["quantity"].round(2),
                "unit": b["fuel_code"].map(lambda f: FUELS[f].unit),
            }
        )
        df = df[df["quantity"] > 0].reset_index(drop=True)
        files.append(
            LandingFile(
                "sector_energy_balance",
                f"sector_energy_balance/balance_{y}.csv",
                _table(df),
                period=str(y),
            )
        )
    return files


def sites_of(plan: Plan, seed: int) -> list[daily.Site]:
    r = rng(seed, "sites")
    dcs = plan.register[plan.register["is_datacenter"]]
    return [
        daily.Site(
            f"YC-DC-{k + 1:02d}",
            u,
            round(float(r.uniform(6000, 16000)), -2),
            round(float(r.uniform(2000, 5000)), -2),
            float(r.choice([0.0, 2000.0, 3000.0])),
            round(float(r.uniform(6000, 12000)), -3),
        )
        for k, u in enumerate(dcs["uscc"])
    ]


def enterprise_meter(
    plan: Plan, day: dt.date, seed: int, dc_import: dict[str, float]
) -> pd.DataFrame:
    reg = plan.register
    r = rng(seed, "enterprise_kwh", day.toordinal())
    off = daily.is_off_day(day)
    factor = np.ones(len(reg))
    ind = reg["industry_code"]
    manuf = ind.str[0].isin(list("123")).to_numpy()
    factor[manuf] = 0.8 if off else 1.0
    factor[(ind == "8321").to_numpy()] = 0.35 if off else 1.0
    factor[(ind == "9221").to_numpy()] = 0.45 if off else 1.0
    kwh = reg["kwh"].to_numpy() / 365.0 * factor * r.lognormal(0.0, 0.06, len(reg))
    uscc_to_site = {s.uscc: s.site_id for s in sites_of(plan, seed)}
    for i, u in enumerate(reg["uscc"]):
        if u in uscc_to_site:
            kwh[i] = dc_import.get(uscc_to_site[u], kwh[i])
    rg = rng(seed, "green")
    buys = rg.random(len(reg)) < np.where(
        reg["is_datacenter"],
        1.0,
        np.where(ind.isin(["3973", "3982", "3825", "3841", "3670"]), 0.5, 0.05),
    )
    share = np.where(buys, rg.uniform(0.1, 0.6, len(reg)), 0.0)
    share = np.where(reg["is_datacenter"], 0.3 + 0.5 * rg.random(len(reg)), share)
    kwh = np.round(kwh, 1)
    return pd.DataFrame(
        {
            "account_type": reg["account_type"],
            "account_id": reg["uscc"],
            "region_code": reg["region_code"],
            "date": day,
            "kwh": kwh,
            "green_kwh": np.round(kwh * share, 1),
        }
    )


def meter_table(ent: pd.DataFrame | None, h: daily.Households, day: dt.date, seed: int) -> pa.Table:
    """One day of meter reads as an Arrow table: organisations first, then households."""
    kwh = daily.household_kwh(h, day, seed)
    hh = pa.table(
        {
            "account_type": pa.array(np.full(h.n, "household", dtype=object), pa.string()),
            "account_id": pa.compute.cast(pa.array(h.household_no), pa.string()),
            "region_code": pa.array(np.asarray(COUNTIES, dtype=object)[h.region_idx], pa.string()),
            "date": pa.array(np.full(h.n, np.datetime64(day, "D")), pa.date32()),
            "kwh": pa.array(kwh),
            "green_kwh": pa.array(np.zeros(h.n)),
        }
    )
    if ent is None or len(ent) == 0:
        return hh
    return pa.concat_tables([_table(ent).cast(hh.schema), hh])


def meter_file(table: pa.Table, day: dt.date, index: int) -> LandingFile:
    gbk = index % GBK_EVERY == GBK_EVERY - 1
    header = [c.name_zh for c in DATASETS["electricity_consumption"].columns] if gbk else None
    return LandingFile(
        "electricity_consumption",
        f"electricity_consumption/meter_{day:%Y%m%d}.csv",
        table,
        encoding="gb18030" if gbk else "utf-8",
        header=header,
        period=day.isoformat(),
    )


def households_table(h: daily.Households, month: str) -> pa.Table:
    return pa.table(
        {
            "household_no": pa.compute.cast(pa.array(h.household_no), pa.string()),
            "region_code": pa.array(np.asarray(COUNTIES, dtype=object)[h.region_idx], pa.string()),
            "community_id": pa.compute.cast(pa.array(h.community_id), pa.string()),
            "members": pa.array(h.members),
            "snapshot_month": pa.array(np.full(h.n, month, dtype=object), pa.string()),
        }
    )


# ---------------------------------------------------------------- calibration
def calibration(plan: Plan) -> dict:
    """Annual Scope-1 totals of the plan (what a full year of the generated files adds up to)."""
    bottom_fuel = plan.fuel.groupby("uscc")["tco2"].sum()
    sector = plan.register.set_index("uscc")["ceads_sector"]
    bu = (
        plan.fuel.assign(sector=plan.fuel["uscc"].map(sector)).groupby("sector")["tco2"].sum()
    ).add(
        plan.process.assign(sector=plan.process["uscc"].map(sector))
        .groupby("sector")["tco2"]
        .sum(),
        fill_value=0.0,
    )
    # top-down only: each balance cell less what the enterprises report of it (all of a cell no
    # firm reports; the part of a cell beyond its reporters' plausibility bounds, carbon.demo.bounds)
    reported = (
        plan.fuel.assign(sector=plan.fuel["uscc"].map(sector))
        .groupby(["sector", "fuel_code"])["tco2"]
        .sum()
    )
    key = pd.MultiIndex.from_frame(plan.balance[["sector", "fuel_code"]])
    rem = plan.balance.assign(
        tco2=(plan.balance["tco2"].to_numpy() - reported.reindex(key, fill_value=0.0).to_numpy())
    )
    rem = rem[rem["tco2"] > 1e-6 * rem["tco2"].abs().max()]
    city = bu.add(rem.groupby("sector")["tco2"].sum(), fill_value=0.0)
    td = (
        plan.balance.groupby("sector")["tco2"]
        .sum()
        .add(
            plan.process.assign(sector=plan.process["uscc"].map(sector))
            .groupby("sector")["tco2"]
            .sum(),
            fill_value=0.0,
        )
    )
    total = float(city.sum())
    return {
        "target_tco2_per_year": TARGET_TCO2_PER_YEAR,
        "city_scope1_tco2_per_year": round(total, 1),
        "bottom_up_reported_tco2_per_year": round(
            float(bottom_fuel.sum() + plan.process["tco2"].sum()), 1
        ),
        "top_down_only_tco2_per_year": round(float(rem["tco2"].sum()), 1),
        "top_down_balance_plus_process_tco2_per_year": round(float(td.sum()), 1),
        "process_tco2_per_year": round(float(plan.process["tco2"].sum()), 1),
        "sector_shares": {
            k: round(float(v / total), 4) for k, v in city.sort_values(ascending=False).items()
        },
        "factors_tco2_per_unit": {k: round(v, 6) for k, v in TCO2_PER_UNIT.items()},
    }


# ---------------------------------------------------------------- the generator
def generate(
    home: str | Path | None = None,
    scale: str = "tiny",
    seed: int = 42,
    defect_rate: float = 0.01,
    start: str = "2025-01",
    end: str = "2026-10-31",
    daily_days: int | None = None,
    anomalies: bool = True,
    city_code: str | None = None,
    target_tco2: float | None = None,
) -> Summary:
    """Write the demo city into ``<home>/landing`` and its manifest into ``<home>/demo_manifest``.

    ``city_code`` / ``target_tco2`` (the province demo, ``carbon.province.demo``): the demo city
    re-homed to another Jiangsu city and sized to its Scope-1 target (t CO2/yr); by default
    Yancheng at ``TARGET_TCO2_PER_YEAR``."""
    t0 = time.perf_counter()
    if scale not in SCALE_SPECS:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALE_SPECS)}")
    spec = SCALE_SPECS[scale]
    p = paths(home)
    end_d = dt.date.fromisoformat(end)
    months = _months(start, end_d)
    n_days = spec.daily_days if daily_days is None else daily_days
    days = [end_d - dt.timedelta(days=k) for k in range(n_days - 1, -1, -1)]
    start_year = int(start[:4])
    years = sorted({start_year - 1, *range(start_year, end_d.year + 1)})
    # the statistics bureau's yearly balance for every complete year of the window (its
    # production reports then give the top-down process emissions too); a window with no
    # complete year gets the previous year's balance
    complete = [y for y in range(start_year, end_d.year + 1) if dt.date(y, 12, 31) <= end_d]
    balance_years = complete or [start_year - 1]

    plan = build_plan(scale, seed) if target_tco2 is None else build_plan(scale, seed, target_tco2)
    files: dict[str, list[LandingFile]] = {name: [] for name in DATASETS}
    files["regions"] = regions_files(years)
    files["enterprises"] = enterprises_files(plan, months or [f"{end_d:%Y-%m}"])
    for f in monthly_files(plan, months, seed):
        files[f.dataset].append(f)
    files["sector_energy_balance"] = balance_files(plan, balance_years)

    h = daily.households(spec.households, seed)
    people = daily.persons(spec.persons, seed)
    sites = sites_of(plan, seed)
    for m in sorted({f"{d:%Y-%m}" for d in days}):
        files["households"].append(
            LandingFile(
                "households", f"households/households_{m}.csv", households_table(h, m), period=m
            )
        )
    if sites:
        daily.precompute_sky(days)
    # labelled meter anomalies of key emitters (carbon.demo.anomalies), truth in the manifest
    injected = (
        plan_anomalies(plan.register, key_flags(plan)[1], days, seed, scale) if anomalies else []
    )
    injector = Injector(injected)
    for i, d in enumerate(days):
        tele, imports = daily.telemetry_day(sites, d, seed) if sites else ({}, {})
        for site_id, df in tele.items():
            files["datacenter_telemetry"].append(
                LandingFile(
                    "datacenter_telemetry",
                    f"datacenter_telemetry/{site_id}_{d:%Y%m%d}.csv",
                    _table(df),
                    period=d.isoformat(),
                )
            )
        ent = injector.apply(enterprise_meter(plan, d, seed, imports), d)
        files["electricity_consumption"].append(meter_file(meter_table(ent, h, d, seed), d, i))
        files["grid_signals"].append(
            LandingFile(
                "grid_signals",
                f"grid_signals/grid_{d:%Y%m%d}.csv",
                _table(daily.grid_day(d, seed)),
                period=d.isoformat(),
            )
        )
        for platform, df in daily.low_carbon_day(people, d, seed).items():
            fmt = daily.PLATFORM_FILES[platform]
            files["low_carbon_activity"].append(
                LandingFile(
                    "low_carbon_activity",
                    f"low_carbon_activity/{platform}_{d:%Y%m%d}.{fmt}",
                    _table(df),
                    fmt,
                    period=d.isoformat(),
                )
            )

    # zero-carbon parks and communities (carbon.demo.parks): members, resource use, community energy, from the clean meter tables
    # (the parks are Yancheng's, carbon/domain/data/parks: a re-homed city has none)
    if city_code in (None, CITY):
        for f in park_files(plan, files["electricity_consumption"], end_d, files["households"]):
            files[f.dataset].append(f)
    # product carbon footprints (carbon.demo.pcf): material purchases from the clean activity tables
    for f in pcf_files(plan, files["industrial_activity"], bad_rows=defect_rate > 0):
        files[f.dataset].append(f)

    if city_code is not None and city_code != CITY:
        from carbon.demo.rehome import remap_files

        remap_files(files, city_code)  # before the defects, so they are the city's rows too

    records: list[dict] = []
    for name in DATASETS:
        if name in SPECS:  # the park datasets carry their own deliberate bad rows (demo/parks.py)
            records += inject(name, files[name], defect_rate, rng(seed, "defects", name))
    records += manifest_records(files["material_purchases"])  # its own deliberate bad rows
    for fs in files.values():
        for f in fs:
            write(f, p.landing)
    summary = Summary(
        home=str(p.home),
        scale=scale,
        seed=seed,
        defect_rate=defect_rate,
        start=start,
        end=end,
        daily_dates=[d.isoformat() for d in days],
        months=months,
        files={k: len(v) for k, v in files.items()},
        rows={k: sum(f.table.num_rows + len(f.dups) for f in v) for k, v in files.items()},
        defects={k: sum(1 for r in records if r["dataset"] == k) for k in DATASETS},
        calibration=calibration(plan),
    )
    summary.seconds = round(time.perf_counter() - t0, 2)
    summary.anomalies = {k: sum(1 for a in injected if a.kind == k) for k in KINDS}
    _write_manifest(p.home / "demo_manifest", records, summary, injected)
    return summary


def _write_manifest(
    folder: Path, records: list[dict], summary: Summary, injected: list | None = None
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    truth_frame(injected or []).to_csv(folder / "anomalies.csv", index=False, lineterminator="\n")
    df = pd.DataFrame(records, columns=list(MANIFEST_COLUMNS))
    df = df.sort_values(["dataset", "file", "row_number"]).reset_index(drop=True)
    df.to_csv(folder / "defects.csv", index=False, lineterminator="\n")
    (folder / "summary.json").write_text(summary.to_json() + "\n", encoding="utf-8")


def generate_meter_day(
    home: str | Path | None,
    date: str | dt.date,
    n_households: int = 2_500_000,
    seed: int = 42,
    scale: str = "city",
    with_enterprises: bool = True,
) -> Path:
    """Write one day of meter reads (``meter_YYYYMMDD.csv``, UTF-8) fast, for the ingest benchmark.

    Households are the same as ``generate(..., seed)`` makes for ``n_households`` households.
    """
    day = dt.date.fromisoformat(date) if isinstance(date, str) else date
    h = daily.households(n_households, seed)
    ent = None
    if with_enterprises:
        plan = build_plan(scale, seed)
        ent = enterprise_meter(plan, day, seed, {})
    f = meter_file(meter_table(ent, h, day, seed), day, 0)
    return write(f, paths(home).landing)


__all__ = ["INDUSTRY_BY_CODE", "Summary", "generate", "generate_meter_day"]
