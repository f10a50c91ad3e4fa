"""No raw identifier leaves landing (issue 9, item 3), and the demo secret's warning is said once
(item 16), checked on a real night under Airflow.

The demo city's landing gets raw ID-card and mobile numbers in the personal datasets, in good
rows and in bad rows of every kind (unparseable, out of range, unknown code, bad unit, outside
the period, duplicate key, an organisation account that is really a phone number), in files
rejected whole (a ragged row, no header row, a data row taken for duplicate headers, UTF-16),
and in free-text and code columns of a non-personal dataset. After ``carbon nightly`` every file
under the data home except ``landing/`` is scanned (``leakscan``): bytes, Parquet cells, DuckDB
and SQLite tables.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from leakscan import id_card_check, raw_identifiers, scan

from carbon.domain.codes import make_uscc
from carbon.pipeline.lake import read_dataset


def id_card(region: str, birth: str, seq: str) -> str:
    first17 = region + birth + seq
    return first17 + id_card_check(first17)


IDS = [
    id_card("320902", "19850312", "123"),
    id_card("320981", "19920101", "457"),
    id_card("320903", "20010228", "002"),
    id_card("320922", "19700715", "981"),
    id_card("320924", "19661130", "033"),
    id_card("320925", "19990909", "614"),
    id_card("320921", "19880808", "808"),
    id_card("320923", "19770401", "246"),
]
IDS.append(
    next(i for s in range(100, 999) if (i := id_card("320904", "19800101", str(s)))[-1] == "X")
)
MOBILES = [f"1{d}{n:09d}" for d, n in zip("3456789385", range(123456701, 123456711), strict=True)]


def _append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def plant(land: Path) -> None:
    """Raw identifiers in good and bad rows of the personal datasets, and in rejected files."""
    lc = land / "low_carbon_activity"
    files = sorted(lc.glob("bikeshare_*.csv"))
    f, f2 = files[0], files[1]
    day = _rows(f)[1][1]
    plat = _rows(f)[1][5]
    _append(
        f,
        [
            f"{IDS[0]},{day},cycling,2.5,km,{plat},PRIV-0001",  # good
            f"{IDS[8].lower()},{day},cycling,1.5,km,{plat},PRIV-0002",  # good, check char x
            f"{IDS[1]},{day},cycling,abc,km,{plat},PRIV-0003",  # parseable
            f"{MOBILES[0]},{day},teleport,1,km,{plat},PRIV-0004",  # known_code
            f"{MOBILES[1]},{day},cycling,1,parsec,{plat},PRIV-0005",  # unit
            f"{IDS[2]},2020-01-01,cycling,1,km,{plat},PRIV-0006",  # date_in_period
            f"{IDS[3]},{day},cycling,1,km,{plat},PRIV-0001",  # unique_key
            f"{MOBILES[2]},{day},cycling,-5,km,{plat},PRIV-0007",  # range
            f",{day},cycling,1,km,{plat},PRIV-0008",  # not_null
            f"+86{MOBILES[3]},{day},cycling,1,km,{plat},REC-{MOBILES[4]}",  # phone in a record id
        ],
    )
    # a ragged row (one field too many): a field_count bad row, its cells blanked (a raw ID may
    # have shifted into another column); the rest of the file loads
    _append(f2, [f"{IDS[4]},{day},cycling,1,km,{plat},PRIV-0101,{MOBILES[5]}"])
    # rejected whole: no header row; a data row taken for the header, with repeated cells
    (lc / f"bikeshare_{day.replace('-', '')}_noheader.csv").write_text(
        f"{IDS[5]},{day},cycling,1,km,{plat},PRIV-0201\n"
    )
    (lc / f"bikeshare_{day.replace('-', '')}_dup.csv").write_text(
        f"{MOBILES[6]},{MOBILES[6]},{IDS[6]},{IDS[6]},km,{plat},x\n"
    )
    (lc / f"bikeshare_{day.replace('-', '')}_utf16.csv").write_bytes(
        (
            "user_id,date,behaviour_code,quantity,unit,platform,record_id\n"
            f"{IDS[7]},{day},cycling,1,km,{plat},PRIV-0301\n"
        ).encode("utf-16")
    )

    hh = next((land / "households").glob("*.csv"))
    r = _rows(hh)[1]
    month = r[4]
    _append(
        hh,
        [
            f"{IDS[0]},{r[1]},{r[2]},3,{month}",  # good: an ID-card number as the household id
            f"{MOBILES[7]},{r[1]},{r[2]},x,{month}",  # parseable
            f"3209990000001,329999,{r[2]},2,{month}",  # region_code
            f"{IDS[0]},{r[1]},{r[2]},2,{month}",  # unique_key
        ],
    )

    meter = sorted((land / "electricity_consumption").glob("meter_*.csv"))[0]
    m = next(row for row in _rows(meter)[1:] if row[0] == "household")
    d, region = m[3], m[2]
    _append(
        meter,
        [
            f"household,{IDS[1]},{region},{d},3.2,0",  # good
            f"enterprise,{MOBILES[8]},{region},{d},100,0",  # uscc_check_digit: a phone number
            f"resident,{IDS[2]},{region},{d},2,0",  # known_code
            f"household,{MOBILES[9]},{region},{d},abc,0",  # parseable
            f"household,{IDS[3]},{MOBILES[0]},{d},1,0",  # a phone as the region code
        ],
    )

    ent = sorted((land / "enterprises").glob("*.csv"))[-1]
    e = _rows(ent)[1]
    new = make_uscc("320902", "PRTW0001")
    _append(
        ent,
        [  # non-personal dataset: a phone in the name (free text), an ID in a code column
            f'{new},"盐城隐私测试有限公司 联系人{MOBILES[1]}",{e[2]},{e[3]},false,false,false,{e[7]}',
            f"{make_uscc('320902', 'PRTW0002')},盐城测试二公司,{e[2]},{IDS[4]},false,false,false,{e[7]}",
        ],
    )
    # a non-personal file rejected whole that holds a phone number: not copied to quarantine
    (land / "enterprises" / "enterprises_2026-10_bad.csv").write_text(
        f"uscc,name\n{new},联系电话{MOBILES[2]}\n"
    )


@pytest.mark.slow
def test_a_night_leaks_no_raw_identifier_and_warns_once(tmp_path, monkeypatch, capsys):
    from carbon import cli
    from carbon.config import DEMO_SECRET_BANNER
    from carbon.demo import generate

    home = tmp_path / "home"
    monkeypatch.delenv("CARBON_PSEUDONYM_SECRET", raising=False)  # the demo default
    generate(home, scale="tiny", seed=7, daily_days=3)
    plant(home / "landing")
    raw = raw_identifiers(home / "landing")
    assert set(IDS) | set(MOBILES) <= raw
    assert len(raw) > 300

    assert cli.main(["--home", str(home), "nightly"]) == 0
    out = capsys.readouterr().out
    assert "nightly_ingest: success" in out and "build_ledgers: success" in out, out

    # ---- item 16: the demo secret's banner, once in the night's output
    assert out.count("PUBLIC DEMO SECRET") == 1, out
    assert DEMO_SECRET_BANNER in out

    # the planted rows went where they should: good ones loaded, bad ones quarantined masked
    q = _quarantine(home, "low_carbon_activity")
    mine = q[q["record_id"].astype(str).str.startswith("PRIV-")]
    assert set(mine["check"]) >= {
        "parseable",
        "known_code",
        "unit",
        "date_in_period",
        "unique_key",
        "range",
        "not_null",
    }
    assert mine["person_key"].str.fullmatch(r"[0-9a-f]{32}|").all()  # the pseudonym, never raw
    parse = mine[mine["check"] == "parseable"].iloc[0]
    assert parse["failure_value"] == "abc" and parse["column"] == "quantity"
    lake = read_dataset("low_carbon_activity", home)
    assert {"PRIV-0001", "PRIV-0002"} <= set(lake["record_id"])
    assert any(r.startswith("REC-") and "****" in r for r in lake["record_id"])
    qe = _quarantine(home, "electricity_consumption")
    phone = qe[qe["check"] == "uscc_check_digit"]
    phone = phone[phone["failure_value"] == f"{MOBILES[8][:3]}****{MOBILES[8][-4:]}"]
    assert len(phone) == 1 and len(phone.iloc[0]["account_id"]) == 32  # masked; hashed
    ent = read_dataset("enterprises", home)
    assert ent["name"].str.contains("联系人" + MOBILES[1][:3] + "****", regex=False).any()
    summary = json.loads((home / "reports" / "low_carbon_activity" / "_summary.json").read_text())
    assert len(summary["rejected"]) >= 2  # no header; a data row taken for the header
    ragged = q[q["check"] == "field_count"]
    assert len(ragged) >= 1 and ragged["person_key"].str.fullmatch(r"[0-9a-f]{32}|").all()
    assert not (
        home / "quarantine" / "enterprises" / "_rejected" / "enterprises_2026-10_bad.csv"
    ).exists()

    # ---- item 3: nothing under the data home but landing/ holds a raw identifier
    hits, n_files = scan(home, raw)
    assert n_files > 500
    assert hits == [], hits[:20]
    assert _console_hits(out, raw) == []

    # the Airflow task logs of a personal dataset's DAG (rejections and tracebacks included):
    # the banner once, in its publish task, and no identifier
    from carbon.orchestration.dagrun import run_dag

    res = run_dag("ingest_low_carbon_activity", home)
    assert "publish" in res.task_states, res.output[-3000:]
    assert "REJECTED low_carbon_activity/" in res.output
    assert res.output.count("PUBLIC DEMO SECRET") == 1, res.output[-3000:]
    assert _console_hits(res.output, raw) == []
    hits, _ = scan(home, raw)  # the second run's metadata and reports too
    assert hits == [], hits[:20]


def _quarantine(home: Path, ds: str) -> pd.DataFrame:
    files = sorted((home / "quarantine" / ds).glob("*=*/quarantine.parquet"))
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def _console_hits(out: str, raw: set[str]) -> list[str]:
    from leakscan import _hits_in_text

    return _hits_in_text(out, raw, "carbon nightly output")
