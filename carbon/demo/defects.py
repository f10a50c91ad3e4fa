"""Defect injection: realistic bad rows of the check kinds the ingest contracts report.

Check names (shared with the ingest engineer's pandera contracts, reported as quarantine reason):
``not_null``, ``parseable``, ``range``, ``uscc_check_digit``, ``region_code``, ``known_code``,
``unit``, ``unique_key``, ``date_in_period``.

Each dataset lists the kinds that apply, with the column to break and an optional row filter.
Every kind that applies gets at least one defect per dataset (when the rate is > 0); the rest of
the budget (``rate`` × rows) is spread round-robin over the kinds. Mutations change one cell of a
distinct row; ``unique_key`` sends a good row twice (the manifest names the second copy).
The manifest quotes raw person / household IDs masked (``carbon.pipeline.ingest.redact.mask_id``): it is
written under the data home, where no raw identifier may be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from carbon.demo.writers import LandingFile
from carbon.domain.codes import USCC_ALPHABET
from carbon.domain.datasets import DATASETS
from carbon.pipeline.contracts.rules import USCC_ACCOUNT_TYPES
from carbon.pipeline.ingest.redact import mask_id

CHECKS = (
    "not_null",
    "parseable",
    "range",
    "uscc_check_digit",
    "region_code",
    "known_code",
    "unit",
    "unique_key",
    "date_in_period",
)
MANIFEST_COLUMNS = ("dataset", "file", "row_number", "check", "column", "value")

Mutator = Callable[[object, np.random.Generator], object]
RowFilter = Callable[[pa.Table], np.ndarray] | None


@dataclass(frozen=True)
class DefectSpec:
    check: str
    column: str
    mutate: Mutator | None = None  # None for unique_key
    rows: RowFilter = None


def _null(_v: object, _r: np.random.Generator) -> object:
    return None


def _unparseable(_v: object, r: np.random.Generator) -> object:
    return ["N/A", "12,3a", "--", "待补"][int(r.integers(4))]


def _out_of_range(v: object, r: np.random.Generator) -> object:
    if r.random() < 0.5:
        return -round(abs(float(v or 1.0)) + 1.0, 2)
    return 1e12


def _bad_check_digit(v: object, r: np.random.Generator) -> object:
    s = str(v)
    choices = [c for c in USCC_ALPHABET if c != s[-1]]
    return s[:-1] + choices[int(r.integers(len(choices)))]


def _bad_region(_v: object, r: np.random.Generator) -> object:
    return ["329999", "320999", "990000"][int(r.integers(3))]


def _unknown(codes: list[str]) -> Mutator:
    return lambda _v, r: codes[int(r.integers(len(codes)))]


_ENERGY_UNITS = frozenset({"kWh", "MWh", "GJ", "10^4 kWh", "tce"})


def _bad_unit(v: object, r: np.random.Generator) -> object:
    """An unknown unit, or a real unit of another dimension (kWh for coal, t for MWh)."""
    if r.random() < 0.5:
        return ["吨标煤x", "桶?", "公里x"][int(r.integers(3))]
    return "t" if str(v) in _ENERGY_UNITS else "kWh"


def _soc_range(_v: object, r: np.random.Generator) -> object:
    return [1.7, -0.2][int(r.integers(2))]


def _shift_date(v: object, r: np.random.Generator) -> object:
    d = v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])
    return (d - dt.timedelta(days=int(r.integers(35, 400)))).isoformat()


def _shift_ts(v: object, r: np.random.Generator) -> object:
    s = str(v)
    d = dt.date.fromisoformat(s[:10]) - dt.timedelta(days=int(r.integers(35, 400)))
    return d.isoformat() + s[10:]


def _shift_month(v: object, r: np.random.Generator) -> object:
    y, m = (int(x) for x in str(v).split("-"))
    k = y * 12 + m - 1 - int(r.integers(2, 14))
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _shift_year(v: object, r: np.random.Generator) -> object:
    return int(v) - int(r.integers(2, 6))


def _where(column: str, values: tuple[str, ...]) -> RowFilter:
    def f(t: pa.Table) -> np.ndarray:
        return np.isin(np.asarray(t[column].to_pylist(), dtype=object), values)

    return f


_ORG_ROWS = _where("account_type", ("enterprise", "public", "datacenter"))


def _common(
    uscc: str | None, region: str | None, qty: str | None, date: tuple[str, Mutator] | None
):
    out = []
    if qty:
        out += [
            DefectSpec("not_null", qty, _null),
            DefectSpec("parseable", qty, _unparseable),
            DefectSpec("range", qty, _out_of_range),
        ]
    if uscc:
        out.append(DefectSpec("uscc_check_digit", uscc, _bad_check_digit))
    if region:
        out.append(DefectSpec("region_code", region, _bad_region))
    if date:
        out.append(DefectSpec("date_in_period", date[0], date[1]))
    out.append(DefectSpec("unique_key", ""))
    return out


SPECS: dict[str, list[DefectSpec]] = {
    "regions": [
        DefectSpec("not_null", "name_zh", _null),
        DefectSpec("parseable", "population", _unparseable),
        DefectSpec("range", "population", lambda v, r: -int(v)),
        DefectSpec("region_code", "region_code", _bad_region),
        DefectSpec("unique_key", ""),
    ],
    "enterprises": [
        DefectSpec("not_null", "name", _null),
        DefectSpec("uscc_check_digit", "uscc", _bad_check_digit),
        DefectSpec("region_code", "region_code", _bad_region),
        DefectSpec("known_code", "industry_code", _unknown(["9999", "4419", "0000"])),
        DefectSpec("unique_key", ""),
    ],
    "electricity_consumption": [
        *_common(None, "region_code", "kwh", ("date", _shift_date)),
        DefectSpec("uscc_check_digit", "account_id", _bad_check_digit, _ORG_ROWS),
        DefectSpec("known_code", "account_type", _unknown(["factory", "resident", "其他"])),
    ],
    "households": [
        DefectSpec("not_null", "household_no", _null),
        DefectSpec("parseable", "members", _unparseable),
        DefectSpec("range", "members", lambda _v, r: [0, 99, -1][int(r.integers(3))]),
        DefectSpec("region_code", "region_code", _bad_region),
        DefectSpec("date_in_period", "snapshot_month", _shift_month),
        DefectSpec("unique_key", ""),
    ],
    "fuel_consumption": [
        *_common("uscc", None, "quantity", ("month", _shift_month)),
        DefectSpec("known_code", "fuel_code", _unknown(["coal_x", "biogas?", "煤"])),
        DefectSpec("unit", "unit", _bad_unit),
    ],
    "heat_consumption": _common("uscc", None, "gj_purchased", ("month", _shift_month)),
    "industrial_activity": [
        *_common("uscc", None, "quantity", ("month", _shift_month)),
        DefectSpec("known_code", "product_code", _unknown(["widgets", "P999", "钢"])),
        DefectSpec("unit", "unit", _bad_unit),
    ],
    "sector_energy_balance": [
        *_common(None, "region_code", "quantity", ("year", _shift_year)),
        DefectSpec("known_code", "fuel_code", _unknown(["coal_x", "biogas?"])),
        DefectSpec("unit", "unit", _bad_unit),
    ],
    "low_carbon_activity": [
        *_common(None, None, "quantity", ("date", _shift_date)),
        DefectSpec("known_code", "behaviour_code", _unknown(["teleport", "flying", "骑马"])),
        DefectSpec("unit", "unit", _bad_unit),
    ],
    "grid_signals": [
        DefectSpec("not_null", "price_cny_per_kwh", _null),
        DefectSpec("parseable", "carbon_intensity_kg_per_kwh", _unparseable),
        DefectSpec("range", "price_cny_per_kwh", lambda _v, r: [-0.5, 1e6][int(r.integers(2))]),
        DefectSpec("region_code", "province_code", _bad_region),
        DefectSpec("date_in_period", "ts", _shift_ts),
        DefectSpec("unique_key", ""),
    ],
    "datacenter_telemetry": [
        DefectSpec("not_null", "it_kw", _null),
        DefectSpec("parseable", "facility_kw", _unparseable),
        DefectSpec("range", "battery_soc", _soc_range),
        DefectSpec("uscc_check_digit", "uscc", _bad_check_digit),
        DefectSpec("date_in_period", "ts", _shift_ts),
        DefectSpec("unique_key", ""),
    ],
}


def _applies(spec: DefectSpec, f: LandingFile) -> bool:
    if f.fmt == "parquet" and spec.check == "parseable":
        return False  # a typed Parquet column cannot carry text
    return spec.column == "" or spec.column in f.table.column_names


def inject(
    dataset: str, files: list[LandingFile], rate: float, r: np.random.Generator
) -> list[dict]:
    """Choose and apply defects to ``files`` in place; return the manifest records."""
    if rate <= 0 or not files:
        return []
    specs = SPECS[dataset]
    total_rows = sum(f.table.num_rows for f in files)
    budget = max(len(specs), round(rate * total_rows))
    raw_of = {lake: raw for raw, lake in DATASETS[dataset].pseudonymise.items()}
    key = tuple(raw_of.get(c, c) for c in DATASETS[dataset].key)  # landing names of the key
    used: dict[int, set[int]] = {i: set() for i in range(len(files))}
    records: list[dict] = []
    masks: dict[tuple[int, str], np.ndarray] = {}
    for k in range(budget):
        spec = specs[k % len(specs)]
        for _attempt in range(20):
            fi = int(r.integers(len(files)))
            f = files[fi]
            if not _applies(spec, f) or f.table.num_rows < 3:
                continue
            if spec.rows is not None and (fi, spec.check) not in masks:
                masks[(fi, spec.check)] = np.flatnonzero(spec.rows(f.table))
            pool = masks.get((fi, spec.check))
            size = f.table.num_rows if pool is None else len(pool)
            row = -1
            for _try in range(50):  # rejection sampling: O(1) per defect even for 2.5 M rows
                if size == 0:
                    break
                k_ = int(r.integers(size))
                cand = k_ if pool is None else int(pool[k_])
                if cand not in used[fi]:
                    row = cand
                    break
            if row < 0:
                continue
            used[fi].add(row)
            if spec.check == "unique_key":
                f.dups.append(row)
                cols = [c for c in key if c in f.table.column_names]
                value = "|".join(_quoted(dataset, f.table, c, row) for c in cols)
                records.append(_rec(dataset, f, row, spec.check, "+".join(cols), value, True))
            else:
                old = f.table[spec.column][row].as_py()
                new = spec.mutate(old, r)
                f.patches[(row, spec.column)] = new
                shown = None if new is None else _shown(dataset, f.table, spec.column, row, new)
                records.append(_rec(dataset, f, row, spec.check, spec.column, shown, False))
            break
    # row numbers depend on all dups of the file: compute at the end
    for rec in records:
        f = rec.pop("_file")
        rec["row_number"] = f.final_row(rec.pop("_row"), second=rec.pop("_second"))
    return records


def _quoted(dataset: str, table: pa.Table, col: str, row: int) -> str:
    return _shown(dataset, table, col, row, table[col][row].as_py())


def _shown(dataset: str, table: pa.Table, col: str, row: int, value: object) -> str:
    """A cell as the manifest quotes it: a raw person / household ID masked (the manifest
    lives under the data home, outside landing), an organisation's USCC as it is."""
    v = str(value)
    if col not in DATASETS[dataset].pseudonymise:
        return v
    if (
        "account_type" in table.column_names
        and table["account_type"][row].as_py() in USCC_ACCOUNT_TYPES
    ):
        return v
    return mask_id(v)


def _rec(dataset, f, row, check, column, value, second) -> dict:
    return {
        "dataset": dataset,
        "file": f.relpath,
        "_file": f,
        "_row": row,
        "_second": second,
        "check": check,
        "column": column,
        "value": "" if value is None else str(value),
    }
