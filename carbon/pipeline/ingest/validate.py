"""Validate a parsed frame against its pandera contract and list every failing cell.

``pandera`` runs with ``lazy=True``; its ``failure_cases`` (check name, column, row index) become
failure records ``(row, check, column, failure_value)``. The failing value is the cell's original
text. Multi-column checks are reported on one column (``unique_key`` on the key, joined with
``,``, its value the key values joined with ``|``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from carbon.domain.datasets import DATASETS
from carbon.pipeline.contracts.rules import CHECK_NAMES
from carbon.pipeline.contracts.schemas import build_schema, validated_columns
from carbon.pipeline.ingest.parse import FAILURE_COLUMNS
from carbon.pipeline.ingest.redact import mask_ids_arrow, mask_patterns_arrow


class ContractBug(RuntimeError):
    """pandera reported a schema-level error that the parse phase should have prevented."""


def run_contract(
    dataset: str,
    frame: pd.DataFrame,
    file_period: str | None,
    today: dt.date | None = None,
    city_code: str | None = None,
) -> pd.DataFrame:
    """pandera lazy validation -> failure_cases (check, column, index) of named checks only."""
    schema = build_schema(dataset, file_period=file_period, today=today, city_code=city_code)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        unknown = fc[~fc["check"].isin(CHECK_NAMES) | fc["index"].isna()]
        if len(unknown):
            where = unknown[["schema_context", "column", "check", "index"]]  # never the values
            raise ContractBug(
                f"{dataset}: unexpected schema errors:\n{where.to_string()}"
            ) from None
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
    raw_ids: dict[str, pa_arrow.ChunkedArray] | None = None,
    city_code: str | None = None,
) -> pd.DataFrame:
    """All failure records of one file: parse failures + contract failures (one per row × check).

    ``raw_ids``: the raw text of the identifier columns (``text`` holds their pseudonyms); a
    failing identifier is quoted from it masked (``carbon.pipeline.ingest.redact.mask_id``). Every other
    value is quoted with its mobile- and ID-card-shaped numbers masked.

    ``city_code``: the home's city; a known GB/T 2260 code of another city fails ``region_code``
    and its failure value says so, naming both cities (two cities' data never mix)."""
    spec = DATASETS[dataset]
    raw_ids = raw_ids or {}
    fc = run_contract(dataset, frame, file_period, today, city_code)
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
        other["failure_value"] = _cell_values(text, other["row"], other["column"], raw_ids)
        records.append(other)
        dup_rows = fc.loc[is_key, "row"].drop_duplicates()
        if len(dup_rows):
            vals = [
                _cell_values(
                    text, dup_rows, pd.Series([c] * len(dup_rows), index=dup_rows.index), raw_ids
                )
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
    out = _redact_values(out, raw_ids)
    if city_code is not None:
        out = _name_other_city(out, city_code)
    return out.sort_values(["row", "check", "column"], kind="stable").reset_index(drop=True)


def _name_other_city(out: pd.DataFrame, city_code: str) -> pd.DataFrame:
    """``region_code`` failures whose value is a known code of another city: the value, then
    whose it is and whose home this is, e.g. ``320102 (南京市 320100, not this home's city
    盐城市 320900)``. Unknown codes keep their bare value."""
    from carbon.domain import codes

    r = codes.regions().set_index("region_code")
    name = r["name_zh"].to_dict()
    parent = r["parent_code"].to_dict()
    own = codes.city_region_codes(city_code)
    sel = (out["check"] == "region_code") & out["failure_value"].isin(list(name))
    sel &= ~out["failure_value"].isin(list(own))
    if not sel.any():
        return out
    out = out.copy()

    def note(v: str) -> str:
        city = v if parent.get(v) == "320000" else parent.get(v, "")
        other = f"{name.get(city, '?')} {city}" if city else "another region"
        return f"{v} ({other}, not this home's city {name[city_code]} {city_code})"

    out.loc[sel, "failure_value"] = [note(v) for v in out.loc[sel, "failure_value"]]
    return out


def _raw_key(dataset: str) -> list[str]:
    spec = DATASETS[dataset]
    raw_of = {lake: raw for raw, lake in spec.pseudonymise.items()}
    return [raw_of.get(k, k) for k in spec.key]


def _redact_values(out: pd.DataFrame, raw_ids: dict) -> pd.DataFrame:
    """Parse failures of identifier columns quoted masked; mobile- and ID-card-shaped numbers
    masked in every failure value."""
    if not len(out):
        return out
    vals = out["failure_value"].astype(object).to_numpy().copy()
    cols = out["column"].to_numpy(dtype=object)
    for raw, arr in raw_ids.items():
        sel = np.flatnonzero(cols == raw)
        if len(sel):
            vals[sel] = _cell_values_masked(arr, out["row"].to_numpy()[sel])
    masked, _n = mask_patterns_arrow(pa_arrow.array(list(vals), type=pa_arrow.string()))
    out = out.copy()
    out["failure_value"] = pd.Series(masked.to_pylist(), index=out.index, dtype="str")
    return out


def _cell_values_masked(arr, rows) -> list:
    """Raw identifier cells masked; a valid USCC (an organisation's meter account, never a
    person's) is quoted as it is."""
    import pyarrow.compute as pc

    from carbon.domain.codes import valid_uscc_mask

    cells = pc.take(arr, pa_arrow.array(np.asarray(rows, dtype=np.int64)))
    cells = cells.combine_chunks() if isinstance(cells, pa_arrow.ChunkedArray) else cells
    org = valid_uscc_mask(pc.utf8_upper(pc.utf8_trim_whitespace(cells)))
    masked = mask_ids_arrow(cells).to_pylist()
    return [v if o else m for v, m, o in zip(cells.to_pylist(), masked, org, strict=True)]


def _cell_values(
    text: pa_arrow.Table, rows: pd.Series, cols: pd.Series, raw_ids: dict | None = None
) -> list[str]:
    """Original text of cells (row, column), taken column by column; identifier columns from
    ``raw_ids``, masked."""
    import numpy as np
    import pyarrow.compute as pc

    rows_a = np.asarray(rows, dtype=np.int64)
    cols_a = np.asarray(cols, dtype=object)
    out = np.empty(len(rows_a), dtype=object)
    for c in pd.unique(cols_a):
        sel = np.flatnonzero(cols_a == c)
        if raw_ids and c in raw_ids:
            out[sel] = _cell_values_masked(raw_ids[c], rows_a[sel])
        elif c in text.column_names:
            out[sel] = pc.take(text[c], pa_arrow.array(rows_a[sel])).to_pylist()
        else:
            out[sel] = ""
    return list(out)
