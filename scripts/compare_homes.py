"""Compare two data homes built from the same demo city: is the lake byte-identical, are the marts
content-identical?

    ./run.sh python scripts/compare_homes.py HOME_A HOME_B [--schemas main,intermediate,ref]

Used to check that a structural change (issue 10) changes no figure: build the tiny demo with the
code before and after (``CARBON_HOME=A ./run.sh carbon demo-data --scale tiny && ... carbon
nightly``, same day) and compare the two homes. Exit code 0 when identical, 1 otherwise (every
difference is listed).

Lake (``<home>/lake``, every file, hidden ones included): the same relative paths, and every file
byte-for-byte equal, except the files listed in ``LAKE_VOLATILE``: they hold a wall-clock column of
the run that wrote them, so they are compared by content without that column (rows as multisets,
``EXCEPT ALL`` both ways).

Warehouse (``<home>/warehouse/carbon.duckdb``, both opened read-only): every base table of the
schemas compared (marts in ``main``; by default also ``intermediate`` and the ``ref`` seeds) has the
same columns (names and types, in order) and the same rows as a multiset (``EXCEPT ALL`` both
ways), without the columns of ``WAREHOUSE_VOLATILE``: the run's build id and what is derived from it
(``ledger_entries.entry_id`` hashes the build id), plan and alert wall-clock times.

DOUBLE columns are compared exactly: two builds of the same code from the same lake give the same
bits (docs/ledgers.md, "Determinism": every DOUBLE sum adds in a fixed order or exactly;
``tests/ledgers/test_determinism.py`` runs this script on two builds and wants exit 0). When only
DOUBLE figures differ, the table is compared again with every DOUBLE rounded to 12 significant
digits and reported as ``equal to 12 significant digits (DOUBLE sums)`` — what a home built by code
from before the determinism fixes shows against one built after (the old models added in whatever
order DuckDB's threads finished) — but still counted as a difference, so the exit code stays
honest; ``--double-digits 12`` accepts it. ``--rows N`` prints up to N differing rows per table
(only in A / only in B), to see what differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

#: lake dataset -> columns holding the writing run's wall-clock time
LAKE_VOLATILE: dict[str, tuple[str, ...]] = {
    "dispatch_kpis": ("planned_at",),  # when the optimiser ran (optimizers/runner.py)
    "ledger_closed_months": ("event_at", "closed_at"),  # when a month was closed / reopened
}

#: columns that hold (or derive from) the run's time or dbt invocation id, in every table
VOLATILE_ANY_TABLE = ("build_id",)
#: table -> further volatile columns
WAREHOUSE_VOLATILE: dict[str, tuple[str, ...]] = {
    "ledger_entries": ("entry_id",),  # md5(build_id | entry key | seq)
    "dispatch_site_daily": ("planned_at",),
    "mon_alerts": ("first_seen", "last_seen", "acknowledged_at", "resolved_at", "escalated_at"),
    "ledger_closed_months": ("event_at", "closed_at"),
}


def _files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


def _multiset_diff(con, a_sql: str, b_sql: str) -> tuple[int, int]:
    n_ab = con.execute(f"select count(*) from ({a_sql} except all {b_sql})").fetchone()[0]
    n_ba = con.execute(f"select count(*) from ({b_sql} except all {a_sql})").fetchone()[0]
    return n_ab, n_ba


def compare_lake(a: Path, b: Path) -> tuple[list[str], list[str]]:
    """(differences, notes)"""
    diffs: list[str] = []
    notes: list[str] = []
    fa, fb = _files(a / "lake"), _files(b / "lake")
    for rel in sorted(set(fa) ^ set(fb)):
        diffs.append(f"lake/{rel}: only in {'A' if rel in fa else 'B'}")
    con = duckdb.connect()
    same = 0
    for rel in sorted(set(fa) & set(fb)):
        if fa[rel].read_bytes() == fb[rel].read_bytes():
            same += 1
            continue
        dataset = rel.split("/", 1)[0]
        skip = LAKE_VOLATILE.get(dataset)
        if skip and rel.endswith(".parquet"):
            excl = ", ".join(skip)
            qa = f"select * exclude ({excl}) from read_parquet('{fa[rel]}')"
            qb = f"select * exclude ({excl}) from read_parquet('{fb[rel]}')"
            cols_a = con.execute(f"describe {qa}").fetchall()
            cols_b = con.execute(f"describe {qb}").fetchall()
            if cols_a == cols_b and _multiset_diff(con, qa, qb) == (0, 0):
                notes.append(f"lake/{rel}: bytes differ only by {excl} (run wall-clock time)")
                continue
        diffs.append(f"lake/{rel}: bytes differ")
    notes.insert(0, f"lake: {same} of {len(set(fa) & set(fb))} common files byte-identical")
    con.close()
    return diffs, notes


def _tables(con, db: str, schemas: list[str]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    rows = con.execute(
        "select t.table_schema, t.table_name, c.column_name, c.data_type"
        " from information_schema.tables t join information_schema.columns c"
        " on c.table_catalog = t.table_catalog and c.table_schema = t.table_schema"
        " and c.table_name = t.table_name"
        f" where t.table_catalog = '{db}' and t.table_type = 'BASE TABLE'"
        " order by t.table_schema, t.table_name, c.ordinal_position"
    ).fetchall()
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for s, t, c, typ in rows:
        if s in schemas:
            out.setdefault((s, t), []).append((c, typ))
    return out


def _rounded(relation: str, cols: list[tuple[str, str]], digits: int = 12) -> str:
    """A select of the columns with every DOUBLE rounded to ``digits`` significant digits."""
    parts = []
    for c, typ in cols:
        q = f'"{c}"'
        if typ == "DOUBLE":
            parts.append(
                f"(case when {q} is null or {q} = 0 or isinf({q}) or isnan({q}) then {q}"
                f" else round({q}, {digits - 1} - cast(floor(log10(abs({q}))) as integer))"
                f" end) as {q}"
            )
        else:
            parts.append(q)
    return f"select {', '.join(parts)} from {relation}"


def _max_relative(con, ra: str, rb: str, cols: list[tuple[str, str]]) -> tuple[float, float] | None:
    """When the non-DOUBLE columns identify the rows (unique, the same keys on both sides): the
    largest relative and the largest absolute difference of a DOUBLE between the two sides; else
    None."""
    keys = [f'"{c}"' for c, typ in cols if typ != "DOUBLE"]
    dbl = [f'"{c}"' for c, typ in cols if typ == "DOUBLE"]
    if not keys or not dbl:
        return None
    k = ", ".join(keys)
    for r in (ra, rb):
        n, u = con.execute(f"select count(*), count(distinct ({k})) from {r}").fetchone()
        if n != u:
            return None
    on = " and ".join(f"x.{c} is not distinct from y.{c}" for c in keys)
    n_a, n_b, n_j = con.execute(
        f"select (select count(*) from {ra}), (select count(*) from {rb}),"
        f" (select count(*) from {ra} x join {rb} y on {on})"
    ).fetchone()
    if not n_a == n_b == n_j:
        return None
    terms = ", ".join(
        f"coalesce(abs(x.{c} - y.{c}) / nullif(greatest(abs(x.{c}), abs(y.{c})), 0), 0)"
        f" + case when (x.{c} is null) <> (y.{c} is null) then 1e300 else 0 end"
        for c in dbl
    )
    absd = ", ".join(f"coalesce(abs(x.{c} - y.{c}), 0)" for c in dbl)
    g = "greatest" if len(dbl) > 1 else ""
    m, a = con.execute(
        f"select max({g}({terms})), max({g}({absd})) from {ra} x join {rb} y on {on}"
    ).fetchone()
    return None if m is None or m >= 1e300 else (float(m), float(a))


def compare_warehouse(
    a: Path, b: Path, schemas: list[str], double_digits: int | None = None, rows: int = 0
) -> tuple[list[str], list[str]]:
    diffs: list[str] = []
    notes: list[str] = []
    con = duckdb.connect()
    con.execute(f"attach '{a / 'warehouse' / 'carbon.duckdb'}' as wa (read_only)")
    con.execute(f"attach '{b / 'warehouse' / 'carbon.duckdb'}' as wb (read_only)")
    ta, tb = _tables(con, "wa", schemas), _tables(con, "wb", schemas)
    for key in sorted(set(ta) ^ set(tb)):
        diffs.append(f"{key[0]}.{key[1]}: only in {'A' if key in ta else 'B'}")
    exact = 0
    for s, t in sorted(set(ta) & set(tb)):
        if ta[(s, t)] != tb[(s, t)]:
            diffs.append(f"{s}.{t}: columns differ: {ta[(s, t)]} vs {tb[(s, t)]}")
            continue
        skip = set(VOLATILE_ANY_TABLE) | set(WAREHOUSE_VOLATILE.get(t, ()))
        cols = [(c, typ) for c, typ in ta[(s, t)] if c not in skip]
        sel = ", ".join(f'"{c}"' for c, _ in cols)
        qa, qb = f"select {sel} from wa.{s}.{t}", f"select {sel} from wb.{s}.{t}"
        n = con.execute(f"select count(*) from wa.{s}.{t}").fetchone()[0]
        d = _multiset_diff(con, qa, qb)
        if d == (0, 0):
            exact += 1
            continue

        if any(typ == "DOUBLE" for _, typ in cols) and _multiset_diff(
            con, _rounded(f"wa.{s}.{t}", cols), _rounded(f"wb.{s}.{t}", cols)
        ) == (0, 0):
            msg = f"{s}.{t}: {d[0]}/{d[1]} rows differ exactly, equal to 12 significant digits (DOUBLE sums)"
            (notes if double_digits and double_digits <= 12 else diffs).append(msg)
            continue
        rel = _max_relative(con, f"wa.{s}.{t}", f"wb.{s}.{t}", cols)
        if rel is not None:
            diffs.append(
                f"{s}.{t}: {d[0]}/{d[1]} rows differ exactly; the same rows by every non-DOUBLE"
                f" column, DOUBLEs differ by at most {rel[0]:.1e} relative, {rel[1]:.1e} absolute"
                " (DOUBLE sums)"
            )
            continue
        diffs.append(f"{s}.{t}: {d[0]} rows only in A, {d[1]} only in B (of {n})")
        if rows:
            for side, (x, y) in (("A", (qa, qb)), ("B", (qb, qa))):
                for r in con.execute(f"{x} except all {y} limit {int(rows)}").fetchall():
                    diffs.append(f"  only in {side}: {r}")
    notes.insert(
        0,
        f"warehouse: {exact} of {len(set(ta) & set(tb))} tables in {','.join(schemas)}"
        " content-identical (volatile columns excluded)",
    )
    con.close()
    return diffs, notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("home_a", type=Path)
    ap.add_argument("home_b", type=Path)
    ap.add_argument("--schemas", default="main,intermediate,ref")
    ap.add_argument(
        "--double-digits",
        type=int,
        default=None,
        help="accept DOUBLE columns equal to this many significant digits (at most 12)",
    )
    ap.add_argument("--rows", type=int, default=0, help="print up to N differing rows per table")
    args = ap.parse_args(argv)
    d1, n1 = compare_lake(args.home_a, args.home_b)
    d2, n2 = compare_warehouse(
        args.home_a, args.home_b, args.schemas.split(","), args.double_digits, args.rows
    )
    for line in n1 + n2:
        print("  " + line)
    for line in d1 + d2:
        print("DIFF " + line)
    n = sum(not line.startswith("  ") for line in d1 + d2)
    print("identical" if not (d1 or d2) else f"{n} differences")
    return 0 if not (d1 or d2) else 1


if __name__ == "__main__":
    sys.exit(main())
