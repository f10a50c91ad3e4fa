"""Validate a parsed frame against its pandera contract and list every failing cell.

``pandera`` runs with ``lazy=True``; its ``failure_cases`` (check name, column, row index) become
failure records ``(row, check, column, failure_value)``. The failing value is the cell's original
text. Multi-column checks are reported on one column (``unique_key`` on the key, joined with
``,``, its value the key values joined with ``|``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from carbon.contracts.rules import CHECK_NAMES
from carbon.contracts.schemas import build_schema, validated_columns
from carbon.datasets import DATASETS
from carbon.ingest.parse import FAILURE_COLUMNS


class ContractBug(RuntimeError):
    """pandera reported a schema-level error that the parse phase should have prevented."""


def run_contract(
    dataset: str, frame: pd.DataFrame, file_period: str | None, today: dt.date | None = None
) -> pd.DataFrame:
    """pandera lazy validation -> failure_cases (check, column, index) of named checks only."""
    schema = build_schema(dataset, file_period=file_period, today=today)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        unknown = fc[~fc["check"].isin(CHECK_NAMES) | fc["index"].isna()]
        if len(unknown):
            raise ContractBug(
                f"{dataset}: unexpected schema errors:\n{unknown.to_string()}"
            ) from exc
        fc = fc[["schema_context", "index", "check", "check_number", "column"]].copy()
        # frame-level checks: pandera reports every column of a failing row; keep the one the
        # check is about (metadata set by build_schema)
        frame_cols = schema.metadata["frame_check_columns"]
        is_frame = fc["schema_context"] == "DataFrameSchema"
        if is_frame.any():
            fc.loc[is_frame, "column"] = [
                frame_cols[int(n)] for n in fc.loc[is_frame, "check_number"]
            ]
            fc = fc.drop_duplicates(["index", "check", "check_number", "column"])
        return fc[["index", "check", "column"]].astype({"index": "int64", "column": "str"})
    return pd.DataFrame({"index": pd.Series(dtype="int64"), "check": [], "column": []})


def failures(
    dataset: str,
    frame: pd.DataFrame,
    text: pa_arrow.Table,
    parse_failures: pd.DataFrame,
    file_period: str | None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """All failure records of one file: parse failures + contract failures (one per row × check)."""
    spec = DATASETS[dataset]
    fc = run_contract(dataset, frame, file_period, today)
    raw_key = [c for c in validated_columns(spec) if c in _raw_key(dataset)]
    records = [parse_failures]
    if len(fc):
        fc = fc.rename(columns={"index": "row"})
        is_key = fc["check"] == "unique_key"
        other = fc[~is_key].copy()
        # a cell that failed to parse is null: report it as parseable only
        parsed_bad = set(zip(parse_failures["row"], parse_failures["column"], strict=True))
        if parsed_bad:
            drop = [
                (r, c) in parsed_bad for r, c in zip(other["row"], other["column"], strict=True)
            ]
            other = other[~pd.Series(drop, index=other.index, dtype=bool)]
        other["failure_value"] = _cell_values(text, other["row"], other["column"])
        records.append(other)
        dup_rows = fc.loc[is_key, "row"].drop_duplicates()
        if len(dup_rows):
            vals = [
                _cell_values(text, dup_rows, pd.Series([c] * len(dup_rows), index=dup_rows.index))
                for c in raw_key
            ]
            joined = ["|".join(v) for v in zip(*vals, strict=True)]
            records.append(
                pd.DataFrame(
                    {
                        "row": dup_rows.to_numpy(),
                        "check": "unique_key",
                        "column": ",".join(spec.key),
                        "failure_value": joined,
                    }
                )
            )
    out = (
        pd.concat([r[FAILURE_COLUMNS] for r in records if len(r)], ignore_index=True)
        if any(len(r) for r in records)
        else parse_failures[FAILURE_COLUMNS]
    )
    out = out.astype({"row": "int64", "check": "str", "column": "str", "failure_value": "str"})
    return out.sort_values(["row", "check", "column"], kind="stable").reset_index(drop=True)


def _raw_key(dataset: str) -> list[str]:
    spec = DATASETS[dataset]
    raw_of = {lake: raw for raw, lake in spec.pseudonymise.items()}
    return [raw_of.get(k, k) for k in spec.key]


def _cell_values(text: pa_arrow.Table, rows: pd.Series, cols: pd.Series) -> list[str]:
    """Original text of cells (row, column), taken column by column."""
    import numpy as np
    import pyarrow.compute as pc

    rows_a = np.asarray(rows, dtype=np.int64)
    cols_a = np.asarray(cols, dtype=object)
    out = np.empty(len(rows_a), dtype=object)
    for c in pd.unique(cols_a):
        sel = np.flatnonzero(cols_a == c)
        if c in text.column_names:
            out[sel] = pc.take(text[c], pa_arrow.array(rows_a[sel])).to_pylist()
        else:
            out[sel] = ""
    return list(out)
