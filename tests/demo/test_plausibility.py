"""Every demo enterprise is realistic for its industry (issue 9 item 11: the 3.8 Mt logistics firm).

Checked on what lands (the landing files of three generated cities: tiny seed 42 with defects,
tiny seed 7 clean, small seed 3 clean) and on the annual plan of more seeds at every scale:
no firm exceeds the bound of its GB/T 4754 class (``carbon.demo.bounds``, docs/demo-city.md),
and the big emitters are power, steel, cement and chemicals, not transport or services.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from carbon.demo import TCO2_PER_UNIT, generate
from carbon.demo.bounds import BOUND_GRID_TCO2_PER_MWH, FIRM_BOUNDS, HEAT_TCO2_PER_GJ, bound_of
from carbon.demo.factors import PROCESS_FACTORS
from carbon.demo.generate import calibration
from carbon.demo.plan import INDUSTRIES, build_plan
from carbon.domain.datasets import DATASETS

HEAVY = {
    "44",
    "31",
    "30",
    "26",
    "25",
    "22",
}  # power, steel, non-metal minerals, chemicals, refining, paper
TOP = {"44", "31", "30"}  # the five biggest emitters of a city like Yancheng: power, steel, cement
ZH_TO_EN = [c.name for c in DATASETS["electricity_consumption"].columns]
METER_DAY_SPREAD = 1.25  # one meter day vs the annual mean (weekday factor × lognormal σ 0.06)


def _read(home: Path, rel: str) -> pd.DataFrame:
    path = home / "landing" / rel
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object, engine="calamine", keep_default_na=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _manifest(home: Path) -> pd.DataFrame:
    return pd.read_csv(home / "demo_manifest" / "defects.csv", dtype=str, keep_default_na=False)


def _good(home: Path, rel: str) -> pd.DataFrame:
    """The file without the rows the defect manifest names (a 1e12 quantity is a defect, not a firm)."""
    m = _manifest(home)
    bad = {int(r) for r in m.loc[m["file"] == rel, "row_number"]}
    df = _read(home, rel)
    return df[[i + 1 not in bad for i in range(len(df))]]


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").fillna(0.0)


def landed_firms(home: Path, year: int = 2025) -> pd.DataFrame:
    """Per enterprise, from the landing files: Scope 1 tCO2 of the year (fuel × factor + process),
    heat bought and exported in the year (GJ), grid electricity annualised from the meter days
    (median day × 365: injected meter anomalies are single days or short runs)."""
    reg = _good(home, f"enterprises/enterprises_{year}-12.csv").drop_duplicates("uscc")
    reg = reg.set_index("uscc")
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    fuel = pd.concat([_good(home, f"fuel_consumption/fuel_{m}.xlsx") for m in months])
    fuel = fuel[fuel["fuel_code"].isin(list(TCO2_PER_UNIT))]
    s1 = (_num(fuel["quantity"]) * fuel["fuel_code"].map(TCO2_PER_UNIT)).groupby(fuel["uscc"]).sum()
    act = pd.concat([_good(home, f"industrial_activity/activity_{m}.xlsx") for m in months])
    act = act[act["product_code"].isin(list(PROCESS_FACTORS))]
    proc = (
        (_num(act["quantity"]) * act["product_code"].map(PROCESS_FACTORS))
        .groupby(act["uscc"])
        .sum()
    )
    heat = pd.concat([_good(home, f"heat_consumption/heat_{m}.xlsx") for m in months])
    bought = _num(heat["gj_purchased"]).groupby(heat["uscc"]).sum()
    meter_files = sorted((home / "landing" / "electricity_consumption").glob("meter_*.csv"))
    assert meter_files
    days = []
    for p in meter_files:
        rel = f"electricity_consumption/{p.name}"
        try:
            d = _good(home, rel)
        except UnicodeDecodeError:  # every 5th file is GB18030 with the Chinese headers
            d = pd.read_csv(p, encoding="gb18030", dtype=str, keep_default_na=False)
            d.columns = ZH_TO_EN
            m = _manifest(home)
            bad = {int(r) for r in m.loc[m["file"] == rel, "row_number"]}
            d = d[[i + 1 not in bad for i in range(len(d))]]
        d = d[d["account_type"].isin(["enterprise", "datacenter"])]
        days.append(d.assign(kwh=_num(d["kwh"]))[["account_id", "kwh"]])
    assert days
    daily = pd.concat(days).groupby("account_id")["kwh"].median()
    out = pd.DataFrame(index=reg.index)
    out["industry_code"] = reg["industry_code"]
    out["name"] = reg["name"]
    out["scope1_t"] = s1.reindex(out.index, fill_value=0.0) + proc.reindex(
        out.index, fill_value=0.0
    )
    out["heat_gj"] = bought.reindex(out.index, fill_value=0.0)
    out["gwh"] = daily.reindex(out.index, fill_value=0.0) * 365 / 1e6
    out = out[out["industry_code"].isin(list(FIRM_BOUNDS))]  # an injected unknown code is a defect
    out["division"] = out["industry_code"].str[:2]
    out["total_t"] = (
        out["scope1_t"]
        + out["gwh"] * 1000 * BOUND_GRID_TCO2_PER_MWH
        + out["heat_gj"] * HEAT_TCO2_PER_GJ
    )
    return out


@pytest.fixture(scope="module")
def small_year(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo-small-year")
    generate(
        home,
        scale="small",
        seed=3,
        defect_rate=0.0,
        start="2025-01",
        end="2025-12-31",
        daily_days=1,
    )
    return home


@pytest.fixture(scope="module")
def landed(tiny, full_year, small_year):
    return {
        "tiny seed 42": landed_firms(tiny[0]),
        "tiny seed 7": landed_firms(full_year[0]),
        "small seed 3": landed_firms(small_year),
    }


def test_every_demo_industry_has_a_documented_bound():
    assert {i.code for i in INDUSTRIES} <= set(FIRM_BOUNDS)
    assert all(b.division == b.industry_code[:2] and b.basis for b in FIRM_BOUNDS.values())
    # the bound table itself cannot hide the outlier: freight, warehousing, services stay small
    for code in ("5411", "5431", "5910", "5212", "6110", "3411", "8321", "8411", "9221"):
        assert FIRM_BOUNDS[code].plausible_tco2e <= 0.25e6, code
    doc = (Path(__file__).parents[2] / "docs" / "demo-city.md").read_text(encoding="utf-8")
    for code in FIRM_BOUNDS:
        assert f"| {code} |" in doc, f"{code} missing from the bounds table in docs/demo-city.md"


@pytest.mark.parametrize("city", ["tiny seed 42", "tiny seed 7", "small seed 3"])
def test_no_landed_enterprise_exceeds_its_industry_bound(landed, city):
    firms = landed[city]
    assert len(firms) > 25
    for uscc, f in firms.iterrows():
        b = bound_of(f.industry_code)
        who = f"{city}: {uscc} {f['name']} ({f.industry_code})"
        assert f.scope1_t <= b.scope1_tco2 * 1.001, (who, f.scope1_t)
        assert f.heat_gj <= b.heat_gj * 1.001 + 12, (who, f.heat_gj)  # 0.1 GJ rounding × 12 months
        assert f.gwh <= b.grid_gwh * METER_DAY_SPREAD, (who, f.gwh)
        assert f.total_t <= b.plausible_tco2e * METER_DAY_SPREAD, (who, f.total_t)


@pytest.mark.parametrize("city", ["tiny seed 42", "tiny seed 7", "small seed 3"])
def test_the_big_emitters_are_power_steel_cement_chemicals(landed, city):
    firms = landed[city].sort_values("scope1_t", ascending=False)
    assert set(firms["division"].head(5)) <= TOP, firms.head(5)
    assert set(firms.loc[firms["scope1_t"] >= 0.5e6, "division"]) <= HEAVY
    # no freight, warehousing, retail, hotel, public body above 0.25 Mt in total
    light = firms[~firms["division"].isin(HEAVY | {"17", "38", "39"})]
    assert (light["total_t"] <= 0.25e6 * METER_DAY_SPREAD).all(), light.nlargest(3, "total_t")


@pytest.mark.parametrize("scale", ["tiny", "small", "city"])
@pytest.mark.parametrize("seed", [1, 42, 2024])
def test_plan_keeps_every_firm_in_bounds_and_the_city_at_45_mt(scale, seed):
    plan = build_plan(scale, seed)
    reg = plan.register
    s1 = (
        plan.fuel.groupby("uscc")["tco2"]
        .sum()
        .add(plan.process.groupby("uscc")["tco2"].sum(), fill_value=0.0)
    )
    bounds = reg["industry_code"].map(bound_of)
    assert (
        reg["uscc"].map(s1).fillna(0.0) <= bounds.map(lambda b: b.scope1_tco2) * (1 + 1e-9)
    ).all()
    assert (reg["kwh"] <= bounds.map(lambda b: b.grid_gwh * 1e6) * (1 + 1e-9)).all()
    assert (reg["gj_purchased"] <= bounds.map(lambda b: b.heat_gj) * (1 + 1e-9)).all()
    c = calibration(plan)
    # the bounds move emissions from the reports to the top-down-only part, never out of the city
    assert c["city_scope1_tco2_per_year"] == pytest.approx(45e6, rel=1e-6)
    assert c["bottom_up_reported_tco2_per_year"] + c[
        "top_down_only_tco2_per_year"
    ] == pytest.approx(45e6, rel=1e-6)
    assert c["bottom_up_reported_tco2_per_year"] >= 0.8 * 45e6
