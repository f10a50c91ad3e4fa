"""Pandera schemas for the 11 input datasets, generated from ``carbon.domain.datasets`` plus per-dataset checks.

A schema validates the *parsed* frame of one landing file: typed columns (see
``carbon.pipeline.ingest.parse``), raw identifier columns still in place (pseudonymisation happens after
validation, before anything is written). Every check carries one of the names in
``carbon.pipeline.contracts.rules.CHECK_NAMES``; those names are the quarantine reasons. ``parseable`` is
raised by the parse phase (a cell that does not cast becomes null there), every other check is a
pandera ``Check`` run with ``lazy=True``. All checks are vectorised over whole columns.

Column dtypes of the parsed frame: text -> pandas ``str``, float64 -> ``float64`` (NaN = null),
int64 -> ``Int64``, bool -> ``boolean``, date -> ``datetime64[s]`` (midnight), timestamp ->
``datetime64[us, Asia/Shanghai]``.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from carbon import config
from carbon.config import TZ
from carbon.domain import codes, units
from carbon.domain.datasets import DATASETS, Dataset
from carbon.pipeline.contracts import rules

# columns holding a YYYY-MM month as text
MONTH_COLUMNS = frozenset({"month", "snapshot_month"})

_PANDERA_DTYPES = {
    "float64": "float64",
    "int64": "Int64",
    "bool": "boolean",
    "date": "datetime64[s]",
    "timestamp": pd.DatetimeTZDtype("us", TZ),
}


def validated_columns(spec: Dataset) -> list[str]:
    """Columns of the parsed frame: contract columns with pseudonymised ones under their raw name."""
    raw_of = {lake: raw for raw, lake in spec.pseudonymise.items()}
    return [raw_of.get(c, c) for c in spec.column_names]


def raw_to_contract(spec: Dataset) -> dict[str, str]:
    """Parsed-frame column -> contract column (identity except for raw ID columns)."""
    return dict(zip(validated_columns(spec), spec.column_names, strict=True))


# ---------------------------------------------------------------- check builders


def _check(fn: Callable, name: str, **kw) -> pa.Check:
    assert name in rules.CHECK_NAMES, name
    return pa.Check(fn, name=name, **kw)


def not_null() -> pa.Check:
    return _check(lambda s: s.notna(), "not_null", ignore_na=False)


def in_range(lo: float, hi: float) -> pa.Check:
    return _check(lambda s: (s >= lo) & (s <= hi), "range")


def known(values: frozenset[str] | tuple[str, ...], name: str = "known_code") -> pa.Check:
    allowed = list(values)
    return _check(lambda s: s.isin(allowed), name)


def region_code(city_code: str | None = None) -> pa.Check:
    """A GB/T 2260 code known here; with ``city_code``, one of that city home's own codes (the
    province, the city, its counties): another city's county is a ``region_code`` failure too."""
    if city_code is None:
        return known(codes.region_codes(), "region_code")
    return known(codes.city_region_codes(city_code), "region_code")


def _valid_uscc_mask(s: pd.Series) -> pd.Series:
    """Vectorised GB 32100 check (``carbon.domain.codes.valid_uscc_mask``)."""
    return pd.Series(codes.valid_uscc_mask(_arrow(s)), index=s.index)


def uscc_check_digit() -> pa.Check:
    return _check(_valid_uscc_mask, "uscc_check_digit")


def _text_period_ok(values: pd.Series, file_period: str | None, today: dt.date) -> pd.Series:
    """A YYYY-MM / YYYY-MM-DD / YYYY text value against the file's period and today."""
    v = values.astype("str")
    ok = pd.Series(True, index=values.index)
    longest = v.str.len().max()
    longest = 0 if pd.isna(longest) else int(longest)
    if not longest:
        return ok
    if file_period:
        n = min(len(file_period), longest)
        ok &= v.str.slice(0, n) == file_period[:n]
    ok &= v <= today.isoformat()[:longest]
    return ok | values.isna()


def period_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of a YYYY, YYYY-MM or YYYY-MM-DD period (naive local time)."""
    start = pd.Timestamp(period if len(period) > 4 else f"{period}-01-01")
    if len(period) == 4:
        end = start + pd.DateOffset(years=1)
    elif len(period) == 7:
        end = start + pd.DateOffset(months=1)
    else:
        end = start + pd.Timedelta(days=1)
    return start, end


def date_in_period(kind: str, file_period: str | None, today: dt.date) -> pa.Check:
    """Row period matches the file's stated period (at the coarser grain) and is not in the future."""

    def fn(s: pd.Series) -> pd.Series:
        if kind in ("date", "timestamp"):  # vectorised comparisons on local wall-clock time
            v = s.dt.tz_convert(TZ).dt.tz_localize(None) if kind == "timestamp" else s
            ok = v < pd.Timestamp(today) + pd.Timedelta(days=1)
            if file_period:
                lo, hi = period_bounds(file_period)
                ok &= (v >= lo) & (v < hi)
            return ok | s.isna()
        text = s.astype("string").astype("str") if kind == "int" else s  # a year / month text
        return _text_period_ok(text.where(s.notna(), None), file_period, today)

    return _check(fn, "date_in_period", ignore_na=False)


# ---------------------------------------------------------------- dataframe-level checks


def _frame_check(fn: Callable[[pd.DataFrame], pd.DataFrame], name: str, column: str) -> pa.Check:
    """A check over several columns. ``fn`` returns a one-column frame named after the column the
    failure is reported on; pandera gets the boolean row mask (cheap), and the column is kept in
    ``check.report_column`` and the schema's ``metadata["frame_check_columns"]``."""

    def row_mask(df: pd.DataFrame) -> pd.Series:
        part = fn(df)
        return part[part.columns[0]].astype(bool)

    chk = _check(row_mask, name, ignore_na=False)
    chk.report_column = column  # read back by build_schema
    return chk


def unique_key(key: tuple[str, ...]) -> pa.Check:
    cols = list(key)

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        dup = duplicated_rows(df, cols)
        return pd.DataFrame({cols[-1]: ~dup}, index=df.index)

    return _frame_check(fn, "unique_key", ",".join(cols))


def _arrow(s: pd.Series):
    """The column as one Arrow array (zero-copy for pandas' Arrow-backed strings)."""
    import pyarrow as pa_

    arr = pa_.array(s, from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa_.ChunkedArray) else arr


def _encode(s: pd.Series) -> tuple[np.ndarray, int]:
    """Dense int codes of a column (nulls get their own code) and their number, via Arrow's hash
    kernel."""
    enc = _arrow(s).dictionary_encode(null_encoding="encode")
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, len(enc.dictionary)


def _codes(s: pd.Series) -> np.ndarray:
    """Dense int codes of a column (nulls get their own code), via Arrow's hash kernel."""
    return _encode(s)[0]


def _is_text(arr) -> bool:
    import pyarrow as pa_

    return pa_.types.is_string(arr.type) or pa_.types.is_large_string(arr.type)


def duplicated_rows(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Second and later occurrences of a key (vectorised: encode each column, combine codes).

    A column with as many distinct values as rows (a meter file's account ids) settles it: no
    row repeats the key, and the other columns need not be combined. For a text column that is
    tested first with 64-bit hashes (``carbon.pipeline.kernels.all_distinct``, exact), which is cheaper
    than encoding it."""
    n = len(df)
    if n >= config.COMPILED_MIN:  # any text column without repeats settles it, before encoding
        from carbon.pipeline.kernels import all_distinct

        for c in cols:
            arr = _arrow(df[c])
            if _is_text(arr) and all_distinct(arr):
                return np.zeros(n, dtype=bool)
    combined: np.ndarray | None = None
    for c in cols:
        f, distinct = _encode(df[c])
        if distinct == n:
            return np.zeros(n, dtype=bool)
        if combined is None:
            combined = f
        else:
            combined = combined * (int(f.max(initial=0)) + 1) + f
            if combined.max(initial=0) > 2**52:  # re-densify before the product overflows
                combined = _codes(pd.Series(combined))
    if combined is None:
        return np.zeros(n, dtype=bool)
    return pd.Series(combined).duplicated(keep="first").to_numpy()


def map_small(s: pd.Series, mapping: dict, default: float) -> pd.Series:
    """``s.map(mapping)`` for a column with few distinct values, without a Python loop per row."""

    arr = _arrow(s)
    if _is_text(arr):
        enc = arr.dictionary_encode()  # nulls stay null indices -> default
        table = np.array(
            [mapping.get(u, default) for u in enc.dictionary.to_pylist()] + [default],
            dtype="float64",
        )
        idx = enc.indices.fill_null(len(enc.dictionary)).to_numpy(zero_copy_only=False)
        return pd.Series(table[idx], index=s.index)
    codes, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
    table = np.array([mapping.get(u, default) for u in uniq] + [default], dtype="float64")
    return pd.Series(table[codes], index=s.index)


def reporting_unit(spec_name: str, code: str) -> str | None:
    """Unit a quantity is stored in in the lake, for a fuel / product / behaviour code."""
    if spec_name in ("fuel_consumption", "sector_energy_balance"):
        f = units.FUELS.get(code)
        return f.unit if f else None
    if spec_name == "industrial_activity":
        p = units.PRODUCTS.get(code)
        return p.unit if p else None
    if spec_name == "low_carbon_activity":
        allowed = rules.BEHAVIOURS.get(code)
        return allowed[0] if allowed else None
    if spec_name == "material_purchases":
        from carbon.domain import pcf

        return pcf.material_unit(code)
    return None


def stored_unit(spec_name: str, code: str, unit: str) -> str | None:
    """Unit the lake stores a reported (code, unit) in.

    Fuels and products are converted to their reporting unit. A behaviour keeps a unit it lists
    (a bus ride reported in km stays in km: trips and km are different quantities, not a
    conversion); other units convert to the behaviour's first unit.
    """
    if spec_name == "low_carbon_activity" and unit in rules.BEHAVIOURS.get(code, ()):
        return unit
    return reporting_unit(spec_name, code)


@cache
def unit_factor(spec_name: str, code: str, unit: str) -> float | None:
    """Factor from ``unit`` to the reporting unit of ``code``; None if unknown or not convertible.

    For behaviours a unit is accepted as is when the behaviour lists it (trips, km, steps) and
    converted when ``carbon.domain.units`` can convert it to the behaviour's canonical unit (e.g. MWh).
    """
    target = reporting_unit(spec_name, code)
    if target is None:
        return None
    if spec_name == "low_carbon_activity":
        allowed = rules.BEHAVIOURS[code]
        if unit in allowed:
            return 1.0
        if unit in units.KNOWN_UNITS and target in units.KNOWN_UNITS:
            try:
                return units.factor(unit, target)
            except units.UnitError:
                return None
        return None
    try:
        return units.factor(unit, target)
    except (units.UnitError, KeyError):
        return None


def unit_factors(spec_name: str, code: pd.Series, unit: pd.Series) -> pd.Series:
    """Per-row conversion factor to the reporting unit (NaN if unknown code, unit or conversion)."""
    frame = pd.DataFrame({"c": code.astype(object), "u": unit.astype(object)})
    pairs = frame.drop_duplicates()
    table = {
        (c, u): unit_factor(spec_name, c, u)
        for c, u in zip(pairs["c"], pairs["u"], strict=True)
        if isinstance(c, str) and isinstance(u, str)
    }
    keys = pd.MultiIndex.from_frame(frame)
    lookup = pd.Series(
        [np.nan if v is None else v for v in table.values()],
        index=pd.MultiIndex.from_tuples(list(table.keys()), names=["c", "u"])
        if table
        else pd.MultiIndex.from_arrays([[], []], names=["c", "u"]),
        dtype="float64",
    )
    return pd.Series(lookup.reindex(keys).to_numpy(), index=code.index, dtype="float64")


def unit_check(spec_name: str, code_col: str) -> pa.Check:
    """Unit known to carbon.domain.units and convertible to the code's reporting unit (rows with an
    unknown code fail ``known_code`` instead)."""

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        fac = unit_factors(spec_name, df[code_col], df["unit"])
        code_known = df[code_col].map(lambda c: reporting_unit(spec_name, c) is not None)
        ok = fac.notna() | ~code_known.astype(bool) | df["unit"].isna() | df[code_col].isna()
        return pd.DataFrame({"unit": ok}, index=df.index)

    return _frame_check(fn, "unit", "unit")


def quantity_range(spec_name: str, code_col: str, lo: float, hi: float) -> pa.Check:
    """quantity >= lo and, converted to the reporting unit, <= hi (per-unit max for behaviours)."""

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        q = df["quantity"]
        fac = unit_factors(spec_name, df[code_col], df["unit"]).fillna(1.0)
        conv = q * fac
        if spec_name == "low_carbon_activity":
            cap = map_small(df["unit"], rules.MAX_DAILY_BEHAVIOUR, hi)
        else:
            cap = pd.Series(hi, index=df.index)
        ok = ((q >= lo) & (conv <= cap)) | q.isna()
        return pd.DataFrame({"quantity": ok}, index=df.index)

    return _frame_check(fn, "range", "quantity")


class PerFrame:
    """``fn(df)`` computed once per validated frame and shared by the checks of one schema that
    need it (pandera hands every frame-level check the same frame object). The frame is held by
    a weak reference: pandera keeps the schema on the frame, and a strong one would be a cycle."""

    def __init__(self, fn: Callable[[pd.DataFrame], pd.Series]):
        self.fn = fn
        self.frame: weakref.ref | None = None
        self.value: pd.Series | None = None

    def __call__(self, df: pd.DataFrame) -> pd.Series:
        if self.frame is None or self.frame() is not df:
            self.frame, self.value = weakref.ref(df), self.fn(df)
        return self.value


def daily_kwh_cap() -> PerFrame:
    """Each row's daily kWh maximum, from its account type (one encoding for both kWh checks)."""
    top = max(rules.MAX_DAILY_KWH.values())
    return PerFrame(lambda df: map_small(df["account_type"], rules.MAX_DAILY_KWH, top))


def kwh_range(col: str, cap_of: PerFrame | None = None) -> pa.Check:
    """kWh >= 0 and below the per-account-type daily maximum."""
    cap_of = cap_of or daily_kwh_cap()

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        cap = cap_of(df)
        v = df[col]
        return pd.DataFrame({col: ((v >= 0) & (v <= cap)) | v.isna()}, index=df.index)

    return _frame_check(fn, "range", col)


def account_uscc() -> pa.Check:
    """Enterprise, public and data-centre accounts are keyed by USCC: check its digit."""

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        needs = df["account_type"].isin(list(rules.USCC_ACCOUNT_TYPES)) & df["account_id"].notna()
        rows = np.flatnonzero(needs.to_numpy(dtype=bool))
        ok = np.ones(len(df), dtype=bool)
        if len(rows):
            ok[rows] = _valid_uscc_mask(df["account_id"].iloc[rows]).to_numpy(dtype=bool)
        return pd.DataFrame({"account_id": ok}, index=df.index)

    return _frame_check(fn, "uscc_check_digit", "account_id")


# ---------------------------------------------------------------- per-dataset extras


def part_of_whole(part: str, whole: str) -> pa.Check:
    """A share's numerator may not exceed its denominator (an indicator above 100 %): ``range``."""

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        bad = (df[part] > df[whole]).fillna(False).to_numpy(dtype=bool)
        return pd.DataFrame({part: ~bad}, index=df.index)

    return _frame_check(fn, "range", part)


def not_before(late: str, early: str) -> pa.Check:
    """An end date before its start date: ``range`` on the end date (nulls pass)."""

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        bad = (df[late] < df[early]).fillna(False).to_numpy(dtype=bool)
        return pd.DataFrame({late: ~bad}, index=df.index)

    return _frame_check(fn, "range", late)


def both_or_neither(a: str, b: str) -> pa.Check:
    """Two columns reported together or not at all (a distance without its mode): ``not_null`` on ``a``."""

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        bad = (df[a].isna() != df[b].isna()).to_numpy(dtype=bool)
        return pd.DataFrame({a: ~bad}, index=df.index)

    return _frame_check(fn, "not_null", a)


def _material_codes() -> frozenset[str]:
    from carbon.domain import pcf

    return pcf.material_codes()


def _transport_modes() -> frozenset[str]:
    from carbon.domain import pcf

    return pcf.transport_modes()


def _park_ids() -> frozenset[str]:
    from carbon.domain.parks import park_ids

    return park_ids()


# per-dataset frame checks of the park datasets (issue 14 §1)
_EXTRA_FRAME_CHECKS: dict[str, Callable[[], list]] = {
    "park_members": lambda: [not_before("valid_to", "valid_from")],
    "park_resource_use": lambda: [
        part_of_whole("solid_waste_utilised_t", "solid_waste_generated_t"),
        part_of_whole("waste_heat_recovered_gj", "waste_heat_recoverable_gj"),
    ],
    # issue 14 §2: a transport distance needs its mode and the other way round
    "material_purchases": lambda: [both_or_neither("transport_km", "transport_mode")],
}

_KNOWN: dict[str, Callable[[], frozenset[str]]] = {
    "fuel_code": lambda: frozenset(units.FUELS),
    "product_code": lambda: frozenset(units.PRODUCTS),
    "industry_code": codes.industry_codes,
    "behaviour_code": lambda: frozenset(rules.BEHAVIOURS),
    "account_type": lambda: frozenset(rules.ACCOUNT_TYPES),
    "sector_code": rules.sector_codes,
    "level": lambda: frozenset(rules.LEVELS),
    "park_id": _park_ids,
    "material_code": _material_codes,
    "transport_mode": _transport_modes,
}
_REGION_COLUMNS = frozenset({"region_code", "parent_code", "province_code"})
_USCC_COLUMNS = frozenset({"uscc"})
_UNIT_CODE = {
    "fuel_consumption": "fuel_code",
    "sector_energy_balance": "fuel_code",
    "industrial_activity": "product_code",
    "low_carbon_activity": "behaviour_code",
    "material_purchases": "material_code",
}


def _column_checks(
    spec: Dataset,
    col: str,
    file_period: str | None,
    today: dt.date,
    city_code: str | None = None,
) -> list:
    c = spec.column(col)
    checks: list[pa.Check] = []
    if not c.nullable:
        checks.append(not_null())
    if col in _KNOWN:
        checks.append(known(_KNOWN[col]()))
    if col in _REGION_COLUMNS:
        checks.append(region_code(city_code))
    if col in _USCC_COLUMNS:
        checks.append(uscc_check_digit())
    rng = rules.RANGES.get(spec.name, {}).get(col)
    frame_ranged = (spec.name in _UNIT_CODE and col == "quantity") or (
        spec.name == "electricity_consumption" and col in ("kwh", "green_kwh")
    )
    if rng and not frame_ranged:
        checks.append(in_range(*rng))
    if col == spec.partition_source or col in MONTH_COLUMNS:
        kind = {"int64": "int", "date": "date", "timestamp": "timestamp"}.get(c.dtype, "text")
        checks.append(date_in_period(kind, file_period, today))
    return checks


def build_schema(
    dataset: str,
    file_period: str | None = None,
    today: dt.date | None = None,
    city_code: str | None = None,
) -> pa.DataFrameSchema:
    """The contract of ``dataset`` for one landing file (its stated period, if any, and today);
    ``city_code``: the home's city, whose own region codes alone pass (None: any known code)."""
    spec = DATASETS[dataset]
    if today is None:
        today = pd.Timestamp.now(tz=TZ).date()
    columns: dict[str, pa.Column] = {}
    for raw, col in zip(validated_columns(spec), spec.column_names, strict=True):
        c = spec.column(col)
        columns[raw] = pa.Column(
            _PANDERA_DTYPES.get(c.dtype),
            checks=_column_checks(spec, col, file_period, today, city_code),
            nullable=True,  # nulls are reported by the named not_null check instead
            required=True,
            description=f"{c.name_zh}: {c.description}" + (f" [{c.unit}]" if c.unit else ""),
            title=col,
        )
    frame_checks: list[pa.Check] = []
    if spec.name in _UNIT_CODE:
        code_col = _UNIT_CODE[spec.name]
        frame_checks.append(unit_check(spec.name, code_col))
        lo, hi = rules.RANGES[spec.name]["quantity"]
        frame_checks.append(quantity_range(spec.name, code_col, lo, hi))
    if spec.name == "electricity_consumption":
        caps = daily_kwh_cap()
        frame_checks += [kwh_range("kwh", caps), kwh_range("green_kwh", caps), account_uscc()]
    frame_checks += _EXTRA_FRAME_CHECKS.get(spec.name, list)()
    raw_of = {lake: raw for raw, lake in spec.pseudonymise.items()}
    frame_checks.append(unique_key(tuple(raw_of.get(k, k) for k in spec.key)))
    frame_columns = [c.report_column for c in frame_checks]
    return pa.DataFrameSchema(
        columns,
        checks=frame_checks,
        metadata={"frame_check_columns": frame_columns},
        name=dataset,
        description=f"{spec.name_zh} — {spec.grain}; key {', '.join(spec.key)}",
        strict=False,
        coerce=False,
    )


# ---------------------------------------------------------------- file periods


def file_period(file_name: str) -> str | None:
    """The period a landing file name states: YYYY-MM-DD, YYYY-MM or YYYY (or None)."""
    import re

    stem = file_name.rsplit(".", 1)[0]
    m = re.search(r"(?<!\d)(20\d{2})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)", stem)
    if m:
        return f"{m[1]}-{m[2]}-{m[3]}"
    m = re.search(r"(?<!\d)(20\d{2})-?(0[1-9]|1[0-2])(?!\d)", stem)
    if m:
        return f"{m[1]}-{m[2]}"
    m = re.search(r"(?<!\d)(20\d{2})(?!\d)", stem)
    if m:
        return m[1]
    return None
