"""TEST ORACLE (not shipped: tests/personal only): the methodology table and a Python mirror
of the dbt formulas of the personal carbon account (碳普惠).

The dbt models under ``models/intermediate/personal`` and ``models/marts/personal`` are the
production path. This module mirrors their formulas in plain Python so the known-answer tests
can compute the expected credits independently of SQL, and so analysts can read the rules in one
place. Keep the two in step: ``tests/personal`` runs dbt for real and compares with these
functions.

Units: quantities in km, trips or kWh; factors in kgCO2e per unit (g per unit / 1000);
grid factors in tCO2/MWh (= kgCO2/kWh); results in tCO2e. 1 point = 1 kgCO2e reduced, recorded to
0.001 point (1 g).

Rules (see docs/personal.md):

* travel and EV charging: ``ER = (BE - PE) x quantity`` with BE/PE from the methodology row
  (EV charging: PE = grid factor x kWh);
* household electricity (Shenzhen rule): baseline kWh = members x per-capita daily kWh; below the
  baseline the credit is baseline - actual; at or above it, the household's own trailing 7-day
  average (days d-7 … d-1, at least ``min_days`` readings) is the baseline, credited only if
  actual is below it;
* records with quantity <= 0, or a fractional count of trips or steps, are not credited;
* cross-platform duplicates (same person_key, date, behaviour_code, unit, quantity from different
  platforms) are credited once: the report of the smallest platform code wins;
* points expire ``term_months`` after the day they were earned (on that date, before the day's
  redemptions); redemptions and expiries consume points first-in first-out.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

METHODOLOGY_CSV = (
    Path(__file__).resolve().parents[2]
    / "carbon"
    / "domain"
    / "factors"
    / "data"
    / "crediting_methodologies.csv"
)

TRAILING_DAYS = 7
DEFAULT_TERM_MONTHS = 24

_NUMERIC = (
    "be_kgco2e_per_unit",
    "pe_kgco2e_per_unit",
    "baseline_kwh_per_person_day",
)


# ---------------------------------------------------------------- methodology table (reader)


def load_methodologies(path: str | Path | None = None) -> pd.DataFrame:
    """Read the methodology table; numbers as float, years as nullable Int64, the rest text."""
    df = pd.read_csv(path or METHODOLOGY_CSV, dtype=str, keep_default_na=False)
    for col in _NUMERIC:
        df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype("float64")
    for col in ("valid_from_year", "valid_to_year"):
        df[col] = pd.to_numeric(df[col].replace("", None)).astype("Int64")
    return df


def select_methodology(
    table: pd.DataFrame, behaviour_code: str, unit: str, year: int, region_code: str = "320900"
) -> Mapping[str, object] | None:
    """The methodology row for a behaviour, unit and year (latest version valid that year)."""
    rows = table[
        (table["behaviour_code"] == behaviour_code)
        & (table["unit"] == unit)
        & (table["region_code"] == region_code)
        & (table["valid_from_year"] <= year)
        & (table["valid_to_year"].isna() | (table["valid_to_year"] >= year))
    ]
    if rows.empty:
        return None
    return rows.sort_values("methodology_version").iloc[-1].to_dict()


# ---------------------------------------------------------------- pure formulas


@dataclass(frozen=True)
class Credit:
    be_tco2e: float
    pe_tco2e: float
    er_tco2e: float
    basis: str = "methodology"


def _t(kg: float) -> float:
    """kg -> t at full precision (the SQL rounds nothing before it compares)."""
    return kg / 1000.0


def travel_credit(quantity: float, be_kg_per_unit: float, pe_kg_per_unit: float) -> Credit:
    """ER = (BE - PE) x quantity, in tCO2e; never negative."""
    be = _t(be_kg_per_unit * quantity)
    pe = _t(pe_kg_per_unit * quantity)
    return Credit(be, pe, max(be - pe, 0.0))


def ev_baseline_kg_per_kwh(
    ice_l_per_100km: float = 7.0,
    gasoline_kg_per_l: float = 0.725,
    gasoline_ncv_gj_per_t: float = 43.070,
    gasoline_tc_per_tj: float = 18.9,
    oxidation: float = 0.98,
    ev_kwh_per_km: float = 0.15,
) -> float:
    """T/CSAE 235-2021 style BE per kWh charged: ICE gasoline kgCO2 per km / EV kWh per km."""
    tco2_per_t = gasoline_ncv_gj_per_t * gasoline_tc_per_tj * oxidation * 44 / 12 / 1000
    kg_per_km = ice_l_per_100km / 100 * gasoline_kg_per_l * tco2_per_t
    return kg_per_km / ev_kwh_per_km


def ev_charging_credit(kwh: float, be_kg_per_kwh: float, grid_tco2_per_mwh: float) -> Credit:
    """ER = BE x kWh - grid factor x kWh (grid tCO2/MWh = kgCO2/kWh)."""
    return travel_credit(kwh, be_kg_per_kwh, grid_tco2_per_mwh)


def trailing_average(history: Mapping[dt.date, float], day: dt.date, min_days: int) -> float | None:
    """Mean kWh over days day-7 … day-1 that have readings; None if fewer than ``min_days``."""
    window = [
        history[d]
        for d in (day - dt.timedelta(days=k) for k in range(1, TRAILING_DAYS + 1))
        if d in history
    ]
    if len(window) < min_days or not window:
        return None
    return sum(window) / len(window)


def household_credit(
    kwh: float,
    members: int,
    per_capita_kwh_day: float,
    grid_tco2_per_mwh: float,
    trailing_avg_kwh: float | None,
) -> Credit | None:
    """Shenzhen household-electricity rule; None when nothing is credited."""
    # exact decimals, as the SQL compares: 3 members x 2.7 kWh is exactly 8.1 kWh
    actual = Decimal(repr(float(kwh)))
    baseline_kwh = members * Decimal(repr(float(per_capita_kwh_day)))
    if actual < baseline_kwh:
        basis, ref_kwh = "city_baseline", baseline_kwh
    elif trailing_avg_kwh is not None and actual < Decimal(repr(float(trailing_avg_kwh))):
        basis, ref_kwh = "own_trailing_7d", Decimal(repr(float(trailing_avg_kwh)))
    else:
        return None
    be = _t(float(ref_kwh) * grid_tco2_per_mwh)
    pe = _t(kwh * grid_tco2_per_mwh)
    return Credit(be, pe, _t(float(ref_kwh - actual) * grid_tco2_per_mwh), basis)


def points(er_tco2e: float) -> Decimal:
    """1 point per kgCO2e, kept to 0.001 point (half-up, like DuckDB's round on decimals)."""
    return (Decimal(str(er_tco2e)) * 1000).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


COUNT_UNITS = frozenset({"trips", "steps"})


def is_valid_quantity(quantity: float, unit: str) -> bool:
    """Positive, and a whole number for count units (a fractional trip is bad data, not credit)."""
    return quantity > 0 and (unit not in COUNT_UNITS or float(quantity).is_integer())


# ---------------------------------------------------------------- double counting


def dedupe_cross_platform(records: pd.DataFrame) -> pd.DataFrame:
    """Credit each trip once across platforms.

    Reports with the same (person_key, date, behaviour_code, unit, quantity) from DIFFERENT
    platforms are the same trip; reports from one platform with distinct record_ids are distinct
    trips. The k-th report of each platform (record_id order) is matched with the k-th report of
    every other platform, and the report of the smallest platform code survives.
    """
    keys = ["person_key", "date", "behaviour_code", "unit", "quantity"]
    ordered = records.sort_values([*keys, "platform", "record_id"], kind="mergesort").copy()
    ordered["_seq"] = ordered.groupby([*keys, "platform"]).cumcount()
    kept = ordered.drop_duplicates([*keys, "_seq"], keep="first")
    return kept.drop(columns="_seq").reset_index(drop=True)


# ---------------------------------------------------------------- points: expiry (FIFO)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month end (DuckDB ``date + interval n month``)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fifo_expiries(
    earned: Mapping[dt.date, Decimal],
    redeemed: Mapping[dt.date, Decimal],
    term_months: int,
    as_of: dt.date,
) -> dict[dt.date, Decimal]:
    """Points expiring per date (≤ as_of) for one account, by day-by-day simulation of lots.

    Each earning day is a lot that expires ``term_months`` later, at the start of that day
    (before redemptions that day). Redemptions consume the oldest live lots first.
    """
    lots: list[list] = []  # [expires_on, remaining]
    events = sorted({*earned, *redeemed, *(add_months(d, term_months) for d in earned)})
    expired: dict[dt.date, Decimal] = {}
    for day in (d for d in events if d <= as_of):
        gone = sum((r for e, r in lots if e <= day), Decimal(0))
        lots = [lot for lot in lots if lot[0] > day]
        if gone > 0:
            expired[day] = gone
        if day in earned:
            lots.append([add_months(day, term_months), Decimal(earned[day])])
        need = Decimal(redeemed.get(day, 0))
        for lot in lots:
            take = min(lot[1], need)
            lot[1] -= take
            need -= take
        if need > 0:
            raise ValueError(f"redemption on {day} exceeds the balance by {need} points")
    return expired


def fifo_expiries_closed_form(
    earned: Mapping[dt.date, Decimal],
    redeemed: Mapping[dt.date, Decimal],
    term_months: int,
    as_of: dt.date,
) -> dict[dt.date, Decimal]:
    """The closed form the SQL uses (int_personal__points_events); equals ``fifo_expiries``.

    X(t) = max(0, max over lots j with x_j <= t of (E_j - R(<x_j))), expiry on x_j = X(x_j) - X(prev).
    """
    lots = sorted((d, Decimal(v)) for d, v in earned.items() if d <= as_of)
    cum, by_expiry = Decimal(0), {}
    for day, pts in lots:
        cum += pts
        x = add_months(day, term_months)
        if x <= as_of:
            by_expiry[x] = max(by_expiry.get(x, Decimal(0)), cum)
    out: dict[dt.date, Decimal] = {}
    running = Decimal(0)
    for x in sorted(by_expiry):
        before = sum((Decimal(v) for d, v in redeemed.items() if d < x), Decimal(0))
        new = max(running, by_expiry[x] - before, Decimal(0))
        if new > running:
            out[x] = new - running
        running = new
    return out


def balances(
    earned: Mapping[dt.date, Decimal],
    redeemed: Mapping[dt.date, Decimal],
    term_months: int,
    as_of: dt.date,
) -> dict[str, Decimal]:
    """Earned, redeemed, expired and balance points of one account as of a date."""
    e = sum((v for d, v in earned.items() if d <= as_of), Decimal(0))
    r = sum((v for d, v in redeemed.items() if d <= as_of), Decimal(0))
    x = sum(fifo_expiries(earned, redeemed, term_months, as_of).values(), Decimal(0))
    return {"earned": e, "redeemed": r, "expired": x, "balance": e - r - x}


def sum_by_day(pairs: Iterable[tuple[dt.date, Decimal]]) -> dict[dt.date, Decimal]:
    out: dict[dt.date, Decimal] = {}
    for day, value in pairs:
        out[day] = out.get(day, Decimal(0)) + value
    return out
