"""The demo city: determinism, valid codes, calibration, defects and formats."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn import ric

from carbon.demo import TCO2_PER_UNIT, generate, generate_meter_day
from carbon.demo.ceads import jiangsu2019
from carbon.demo.defects import CHECKS
from carbon.demo.factors import PROCESS_FACTORS
from carbon.demo.plan import COUNTIES
from carbon.domain import codes, units
from carbon.domain.datasets import DATASETS
from carbon.domain.units import FUELS, PRODUCTS

NINE = {"320902", "320903", "320904", "320921", "320922", "320923", "320924", "320925", "320981"}


def _digest(home: Path) -> dict[str, str]:
    root = home / "landing"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _manifest(home: Path) -> pd.DataFrame:
    return pd.read_csv(home / "demo_manifest" / "defects.csv", dtype=str, keep_default_na=False)


def _bad_rows(home: Path, file: str) -> set[int]:
    m = _manifest(home)
    return {int(r) for r in m.loc[m["file"] == file, "row_number"]}


def _read(home: Path, rel: str) -> pd.DataFrame:
    path = home / "landing" / rel
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object, engine="calamine", keep_default_na=False)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _good(home: Path, rel: str) -> pd.DataFrame:
    df = _read(home, rel)
    bad = _bad_rows(home, rel)
    return df[[i + 1 not in bad for i in range(len(df))]]


# ---------------------------------------------------------------- determinism and speed
def test_same_seed_same_bytes(tiny, tiny_again):
    home, _, _ = tiny
    a, b = _digest(home), _digest(tiny_again)
    assert len(a) > 300
    assert a == b
    assert (home / "demo_manifest" / "defects.csv").read_bytes() == (
        tiny_again / "demo_manifest" / "defects.csv"
    ).read_bytes()


def test_other_seed_other_data(tmp_path):
    generate(tmp_path, scale="tiny", seed=43, start="2026-10", daily_days=2)
    other = _digest(tmp_path)
    for name in (
        "electricity_consumption/meter_20261031.csv",
        "fuel_consumption/fuel_2026-10.xlsx",
    ):
        assert name in other
    ref = tmp_path.parent / "ref42"
    generate(ref, scale="tiny", seed=42, start="2026-10", daily_days=2)
    same = _digest(ref)
    assert (
        other["electricity_consumption/meter_20261031.csv"]
        != same["electricity_consumption/meter_20261031.csv"]
    )
    assert (
        other["enterprises/enterprises_2026-10.csv"] != same["enterprises/enterprises_2026-10.csv"]
    )


def test_tiny_is_sized(tiny):
    _, s, _ = tiny
    ents = s.rows["enterprises"] / s.files["enterprises"]
    assert 30 <= ents <= 45
    assert s.files["electricity_consumption"] == 31
    assert s.months == [f"2025-{m:02d}" for m in range(1, 13)] + [
        f"2026-{m:02d}" for m in range(1, 11)
    ]
    assert s.files["fuel_consumption"] == s.files["industrial_activity"] == 22
    # the balance of the one complete year, whose production reports give top-down process
    assert s.files["sector_energy_balance"] == 1


# ---------------------------------------------------------------- codes
def test_register_codes_valid(tiny):
    home, _, _ = tiny
    reg = _good(home, "enterprises/enterprises_2026-10.csv")
    assert reg["uscc"].map(codes.is_valid_uscc).all()
    assert reg["region_code"].isin(codes.region_codes()).all()
    assert set(reg["region_code"]) <= NINE
    assert reg["industry_code"].isin(codes.industry_codes()).all()
    assert (reg["is_datacenter"] == "true").sum() >= 2
    assert set(reg.loc[reg["is_datacenter"] == "true", "industry_code"]) == {"6450"}
    power = reg["industry_code"].isin(["4411", "4412"])
    assert (reg.loc[power, "in_ets"] == "true").all()
    for prefix in (
        "4411",
        "4412",
        "4415",
        "4416",
        "3011",
        "3012",
        "3120",
        "17",
        "39",
        "6450",
        "8321",
        "8411",
        "9221",
    ):
        assert reg["industry_code"].str.startswith(prefix).any(), prefix
    public = reg[reg["industry_code"].isin(["8321", "8411", "9221"])]
    assert public["uscc"].str[0].eq("1").all()


def test_nine_counties_and_population(tiny, full_year):
    assert {p.name for p in (tiny[0] / "landing" / "regions").iterdir()} == {
        "regions_2024.csv",
        "regions_2025.csv",
        "regions_2026.csv",
    }
    home, _ = full_year  # no defects: every row is good
    for year in (2024, 2025):
        df = _read(home, f"regions/regions_{year}.csv")
        counties = df[df["level"] == "county"]
        assert set(counties["region_code"]) == NINE
        assert (counties["parent_code"] == "320900").all()
        city = df[df["region_code"] == "320900"].iloc[0]
        assert 6.4e6 < int(city["population"]) < 7.0e6
        assert 6.8e7 < float(city["gdp_10k_cny"]) < 8.2e7  # ≈ 7,400 亿元
        assert counties["population"].astype(int).sum() == int(city["population"])


def test_meter_accounts_and_households(tiny):
    home, _, _ = tiny
    hh = _good(home, "households/households_2026-10.csv")
    assert hh["household_no"].str.fullmatch(r"\d{13}").all()
    assert set(hh["region_code"]) == NINE
    meter = _good(home, "electricity_consumption/meter_20261031.csv")
    assert set(meter["account_type"]) == {"enterprise", "household", "public", "datacenter"}
    orgs = meter[meter["account_type"] != "household"]
    assert orgs["account_id"].map(codes.is_valid_uscc).all()
    households = meter[meter["account_type"] == "household"]
    snapshot = set(_read(home, "households/households_2026-10.csv")["household_no"])
    m = _manifest(home)
    nulled = ((m["dataset"] == "households") & (m["column"] == "household_no")).sum()
    assert len(set(households["account_id"]) - snapshot) <= nulled
    assert len(households) > 250
    kwh = meter["kwh"].astype(float)
    assert (kwh >= 0).all() and (meter["green_kwh"].astype(float) <= kwh).all()
    assert (meter["date"] == "2026-10-31").all()
    assert (meter.loc[meter["account_type"] == "datacenter", "green_kwh"].astype(float) > 0).all()


def test_gbk_meter_file(tiny):
    home, _, _ = tiny
    path = home / "landing" / "electricity_consumption" / "meter_20261005.csv"
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    df = pd.read_csv(path, encoding="gb18030", dtype=str)
    assert list(df.columns) == [c.name_zh for c in DATASETS["electricity_consumption"].columns]
    assert "用电量" in df.columns
    gbk = [p.name for p in sorted(path.parent.glob("*.csv")) if not _is_utf8(p)]
    assert len(gbk) == 6  # every 5th of 31 files


def _is_utf8(p: Path) -> bool:
    try:
        p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_low_carbon_ids_and_double_counting(tiny):
    home, _, _ = tiny
    folder = home / "landing" / "low_carbon_activity"
    day = "20261031"
    frames = [
        _good(home, f"low_carbon_activity/{p.name}") for p in sorted(folder.glob(f"*_{day}.*"))
    ]
    df = pd.concat(frames, ignore_index=True)
    assert set(df["platform"]) == {"transit", "bikeshare", "walking", "charging", "city_app"}
    phones = df.loc[df["platform"] != "charging", "user_id"]
    assert phones.str.fullmatch(r"1[3-9]\d{9}").all()
    ids = df.loc[df["platform"] == "charging", "user_id"]
    assert ids.map(ric.is_valid).all()
    key = ["user_id", "behaviour_code", "quantity"]
    app = df[df["platform"] == "city_app"].astype({"quantity": float})
    rest = df[df["platform"] != "city_app"].astype({"quantity": float})
    assert len(app) >= 1
    assert len(app.merge(rest, on=key)) >= len(app)  # every app record repeats another platform's


def test_grid_signals_tou_and_intensity(tiny):
    home, _, _ = tiny
    g = _read(home, "grid_signals/grid_20261015.csv")
    assert len(g) == 24 and (g["province_code"] == "320000").all()
    price = g["price_cny_per_kwh"].astype(float).to_numpy()
    assert 1.0 <= price[9] <= 1.1 and 0.25 <= price[3] <= 0.3 and 0.6 <= price[13] <= 0.66
    ci = g["carbon_intensity_kg_per_kwh"].astype(float).to_numpy()
    assert 0.5 < ci.mean() < 0.66 and ci[12] < ci[19]
    assert g["ts"].iloc[0] == "2026-10-15T00:00:00+08:00"


def test_datacenter_telemetry(tiny):
    home, _, _ = tiny
    t = _good(home, "datacenter_telemetry/YC-DC-01_20261015.csv").astype(
        {c: float for c in ("it_kw", "facility_kw", "pv_kw", "wind_kw", "battery_soc")}
    )
    assert len(t) >= 94
    pue = t["facility_kw"] / t["it_kw"]
    assert pue.between(1.19, 1.41).all()
    assert t["battery_soc"].between(0, 1).all()
    hour = t["ts"].str[11:13].astype(int)
    assert (t.loc[hour.isin([0, 1, 2, 3, 22, 23]), "pv_kw"] == 0).all()
    assert t.loc[hour.between(10, 14), "pv_kw"].mean() > 100
    assert t["ts"].str.endswith("+08:00").all()


# ---------------------------------------------------------------- calibration
JIANGSU_SHARES = {  # CEADs 2019 Jiangsu, of 804.59 Mt
    "Production and Supply of Electric Power, Steam and Hot Water": 435.16 / 804.59,
    "Smelting and Pressing of Ferrous Metals": 189.37 / 804.59,
    "Nonmetal Mineral Products": 54.88 / 804.59,
    "Transportation, Storage, Post and Telecommunication Services": 47.43 / 804.59,
}
PROCESS_OF = {"clinker": "clinker", "lime": "lime", "crude_steel": "crude_steel"}


def _year_totals(home: Path, year: int) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Bottom-up (reports) and top-down (balance) tCO2 by sector, from the landing files only."""
    reg = _read(home, f"enterprises/enterprises_{year}-12.csv")
    sector = reg.set_index("uscc")["industry_code"].map(
        codes.industries().set_index("industry_code")["ceads_sector"]
    )
    fuel = pd.concat(
        [_read(home, f"fuel_consumption/fuel_{year}-{m:02d}.xlsx") for m in range(1, 13)]
    )
    fuel["t"] = fuel["quantity"].astype(float) * fuel["fuel_code"].map(TCO2_PER_UNIT)
    fuel["sector"] = fuel["uscc"].map(sector)
    act = pd.concat(
        [_read(home, f"industrial_activity/activity_{year}-{m:02d}.xlsx") for m in range(1, 13)]
    )
    act = act[act["product_code"].isin(list(PROCESS_FACTORS))]
    act["t"] = act["quantity"].astype(float) * act["product_code"].map(PROCESS_FACTORS)
    act["sector"] = act["uscc"].map(sector)
    bal = _read(home, f"sector_energy_balance/balance_{year}.csv")
    bal["t"] = bal["quantity"].astype(float) * bal["fuel_code"].map(TCO2_PER_UNIT)
    process = act.groupby("sector")["t"].sum()
    bottom_up = fuel.groupby("sector")["t"].sum().add(process, fill_value=0.0)
    reported = fuel.groupby(["sector", "fuel_code"])["t"].sum()
    bal["reported"] = reported.reindex(
        pd.MultiIndex.from_frame(bal[["sector_code", "fuel_code"]]), fill_value=0.0
    ).to_numpy()
    bal["covered"] = bal["reported"] > 0
    top_down = bal.groupby("sector_code")["t"].sum().add(process, fill_value=0.0)
    return bottom_up, top_down, bal


def test_calibration_45_mt_with_jiangsu_mix(full_year):
    home, summary = full_year
    bottom_up, top_down, bal = _year_totals(home, 2025)
    # top-down only: every balance cell less what the enterprises report of it (cells no firm
    # reports: households, farms, ...; the part beyond the reporters' bounds, carbon.demo.bounds)
    remainder = (bal["t"] - bal["reported"]).clip(lower=0.0).groupby(bal["sector_code"]).sum()
    city = bottom_up.add(remainder, fill_value=0.0)
    assert abs(city.sum() / 45e6 - 1) < 0.05, city.sum()
    assert abs(top_down.sum() / 45e6 - 1) < 0.05, top_down.sum()
    # reporters: all but households, farms, ... and (at tiny) most of road transport; as planned
    assert 0.8 < bottom_up.sum() / 45e6 <= 1.0
    assert abs(bottom_up.sum() / summary.calibration["bottom_up_reported_tco2_per_year"] - 1) < 0.01
    for sector, share in JIANGSU_SHARES.items():
        assert abs(city[sector] / city.sum() - share) < 0.02, sector
        assert abs(top_down[sector] / top_down.sum() - share) < 0.02, sector
    # reported sector × fuel cells: reports never exceed the balance (same year, same factors),
    # and what they leave is the generator's top-down-only part
    assert (bal["reported"] <= bal["t"] * 1.001 + 1.0).all()
    rest = (bal["t"] - bal["reported"]).clip(lower=0.0).sum()
    assert abs(rest / summary.calibration["top_down_only_tco2_per_year"] - 1) < 0.01
    assert set(bal["sector_code"]) <= set(jiangsu2019()["sector"])
    assert {"Urban", "Rural"} <= set(bal["sector_code"])
    assert abs(summary.calibration["city_scope1_tco2_per_year"] / city.sum() - 1) < 0.01


def test_monthly_reports_annualise_to_the_plan(tiny):
    home, s, _ = tiny
    cal = s.calibration
    assert abs(cal["city_scope1_tco2_per_year"] / 45e6 - 1) < 0.05
    oct_fuel = _good(home, "fuel_consumption/fuel_2026-10.xlsx")
    t = (pd.to_numeric(oct_fuel["quantity"]) * oct_fuel["fuel_code"].map(TCO2_PER_UNIT)).sum()
    assert 0.06 < t / cal["bottom_up_reported_tco2_per_year"] < 0.11  # one month of a year
    units = oct_fuel["fuel_code"].map({"raw_coal": "t", "natural_gas": "10^4 Nm3"})
    assert (oct_fuel.loc[units.notna(), "unit"] == units.dropna()).all()
    act = _good(home, "industrial_activity/activity_2026-10.xlsx")
    assert {"clinker", "crude_steel", "electricity", "lime"} <= set(act["product_code"])
    assert (
        pd.to_numeric(act["value_added_10k_cny"]) <= pd.to_numeric(act["output_value_10k_cny"])
    ).all()


# ---------------------------------------------------------------- defects
def test_every_defect_kind_in_manifest(tiny):
    home, s, _ = tiny
    m = _manifest(home)
    assert set(m["check"]) == set(CHECKS)
    # the park datasets carry deliberate bad rows of their own instead (carbon/demo/parks.py, tests/parks)
    assert set(m["dataset"]) == set(DATASETS) - {
        "park_members",
        "park_resource_use",
        "community_energy",
    }
    assert sum(s.defects.values()) == len(m)
    assert not (home / "landing" / "demo_manifest").exists()
    fuel = m[m["dataset"] == "fuel_consumption"]
    assert {"unit", "known_code", "uscc_check_digit", "date_in_period", "unique_key"} <= set(
        fuel["check"]
    )


def test_manifest_points_at_the_bad_cells(tiny):
    home, _, _ = tiny
    m = _manifest(home)
    for file, rows in m.groupby("file"):
        path = home / "landing" / file
        if path.suffix == ".csv" and not _is_utf8(path):
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
            df.columns = DATASETS[rows["dataset"].iloc[0]].column_names
        else:
            df = _read(home, file)
        for r in rows.itertuples(index=False):
            row = df.iloc[int(r.row_number) - 1]
            if r.check == "unique_key":
                cols = r.column.split("+")
                prev = df.iloc[int(r.row_number) - 2]
                assert [str(row[c]) for c in cols] == [str(prev[c]) for c in cols], (file, r)
                continue
            cell = row[r.column]
            if r.check == "not_null":
                assert cell is None or pd.isna(cell) or cell == "", (file, r)
            else:
                assert _same(cell, r.value), (file, r, cell)


def _same(cell: object, value: str) -> bool:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell) == float(value)
    return str(cell) == value


def test_defect_values_fail_their_checks(tiny):
    home, _, _ = tiny
    m = _manifest(home)
    for r in m.itertuples(index=False):
        if r.check == "uscc_check_digit":
            assert len(r.value) == 18 and not codes.is_valid_uscc(r.value)
        elif r.check == "region_code":
            assert not codes.is_valid_region(r.value)
        elif r.check == "parseable":
            with pytest.raises(ValueError):
                float(r.value)
        elif r.check == "range":
            low = {"members": 1, "battery_soc": 0}.get(r.column, 0)
            high = {"members": 20, "battery_soc": 1}.get(r.column, 1e5)
            assert float(r.value) < low or float(r.value) > high, r
        elif r.check == "unit":
            row = _read(home, r.file).iloc[int(r.row_number) - 1]
            assert not units.convertible(r.value, _expected_unit(row)), r
        elif r.check == "date_in_period":
            period = re.search(r"(\d{8}|\d{4}-\d{2}|\d{4})\.", r.file).group(1)
            assert (
                period not in r.value.replace("-", "")
                if len(period) == 8
                else period not in r.value
            )


def _expected_unit(row: pd.Series) -> str:
    if "fuel_code" in row:
        return FUELS[row["fuel_code"]].unit
    if "product_code" in row:
        return PRODUCTS[row["product_code"]].unit
    if "material_code" in row:  # material_purchases (carbon/domain/pcf): every material in t
        return "t"
    return "kWh" if row["behaviour_code"] == "ev_charging" else "km"


def test_no_defects_when_rate_is_zero(full_year):
    home, s = full_year
    assert _manifest(home).empty
    assert sum(s.defects.values()) == 0
    reg = _read(home, "enterprises/enterprises_2025-12.csv")
    assert reg["uscc"].map(codes.is_valid_uscc).all()


# ---------------------------------------------------------------- API and CLI
def test_meter_day_matches_households(tmp_path):
    path = generate_meter_day(tmp_path, "2026-10-31", n_households=300, seed=42, scale="tiny")
    day = pd.read_csv(path, dtype=str)
    generate(tmp_path / "city", scale="tiny", seed=42, start="2026-10", daily_days=1, defect_rate=0)
    hh = _read(tmp_path / "city", "households/households_2026-10.csv")
    assert set(day.loc[day["account_type"] == "household", "account_id"]) == set(hh["household_no"])
    same = _read(tmp_path / "city", "electricity_consumption/meter_20261031.csv")
    h1 = day[day["account_type"] == "household"].reset_index(drop=True)
    h2 = same[same["account_type"] == "household"].reset_index(drop=True)
    pd.testing.assert_frame_equal(h1, h2)
    assert set(hh["region_code"]) <= set(COUNTIES)


def test_cli(tmp_path, capsys):
    from carbon.cli import main

    rc = main(
        [
            "demo-data",
            "--home",
            str(tmp_path),
            "--start",
            "2026-10",
            "--daily-days",
            "1",
            "--seed",
            "5",
        ]
    )
    assert rc == 0
    assert "MtCO2/yr" in capsys.readouterr().out
    assert (tmp_path / "landing" / "fuel_consumption" / "fuel_2026-10.xlsx").exists()
    assert (tmp_path / "demo_manifest" / "summary.json").exists()


def test_every_landing_csv_parses_whole(tiny):
    """Defects are cell-level: no landing CSV may be broken as a file (no NUL bytes, every row has
    the header's column count). A pyarrow CSV-writer bug on sliced string arrays once wrote NULs."""
    import pyarrow.csv as pacsv

    home, _, _ = tiny
    csvs = sorted((home / "landing").rglob("*.csv"))
    assert csvs
    for path in csvs:
        data = path.read_bytes()
        assert b"\0" not in data, path
        enc = "utf-8"
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            enc = "gb18030"
        pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=enc),
            convert_options=pacsv.ConvertOptions(column_types=None, strings_can_be_null=True),
        )
