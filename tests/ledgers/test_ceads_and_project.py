"""CEADs importer figures and the generated project files (seeds, sources) staying in sync."""

from __future__ import annotations

import pytest
import yaml

from carbon.domain import ceads
from carbon.domain.datasets import DATASETS
from carbon.pipeline.warehouse import build as ledgers


@pytest.fixture(scope="module")
def ref():
    return ceads.load_reference()


def _mt(df, region, sector=None, fuel=None):
    q = (df.region_code == region) & (df.sector_code == (sector or "TOTAL"))
    if fuel:
        q &= df.fuel_code == fuel
    return df[q].mt_co2.sum()


def test_ceads_figures_match_the_reference_readme(ref):
    assert _mt(ref, "320000") == pytest.approx(804.59, abs=0.005)
    assert _mt(ref, "320000", fuel="raw_coal") == pytest.approx(368.73, abs=0.005)
    assert _mt(ref, "320000", fuel="natural_gas") == pytest.approx(59.84, abs=0.005)
    assert _mt(ref, "320000", fuel="process") == pytest.approx(45.75, abs=0.005)
    assert _mt(ref, "320000", sector="S39") == pytest.approx(435.16, abs=0.005)  # power
    assert _mt(ref, "320000", sector="S28") == pytest.approx(189.37, abs=0.005)  # ferrous
    yc = ref[(ref.region_code == "320900") & (ref.year == 2019)].mt_co2.sum()
    assert yc == pytest.approx(44.99, abs=0.005)
    # invariant: the sector rows add up to the total row
    sectors = ref[(ref.region_code == "320000") & (ref.sector_code != "TOTAL")].mt_co2.sum()
    assert sectors == pytest.approx(_mt(ref, "320000"), rel=1e-9)


def test_sector_codes():
    assert len(ceads.SECTORS) == 47
    assert ceads.sector_code("Urban") == ceads.URBAN_HOUSEHOLDS
    assert ceads.industry_sector_map()["3011"] == "S27"
    with pytest.raises(KeyError):
        ceads.sector_code("Moon Mining")


def test_generated_seeds_are_current():
    for name, df in ledgers.generated_seeds().items():
        on_disk = (ledgers.SEEDS_DIR / name).read_text(encoding="utf-8")
        assert on_disk == ledgers.seed_text(df), f"seeds/{name} is stale: run ledgers.write_seeds()"


def test_sources_match_the_data_contracts():
    doc = yaml.safe_load((ledgers.REPO_ROOT / "models/staging/_lake__sources.yml").read_text())
    tables = {t["name"]: t for t in doc["sources"][0]["tables"]}
    for name in ledgers.LAKE_SOURCES:
        assert name in tables, name
        if name in DATASETS:
            cols = {c["name"] for c in tables[name]["columns"]}
            assert set(DATASETS[name].column_names) <= cols, name


def test_every_mart_column_is_documented_in_english_and_chinese():
    import re

    for path in (ledgers.REPO_ROOT / "models/marts").glob("*/_*.yml"):
        if path.parent.name in ("personal", "dispatch"):
            continue
        for model in yaml.safe_load(path.read_text())["models"]:
            assert model["config"]["contract"]["enforced"], model["name"]
            for col in model["columns"]:
                desc = col.get("description", "")
                assert re.search(r"[A-Za-z]", desc) and re.search(r"[\u4e00-\u9fff]", desc), (
                    model["name"],
                    col["name"],
                )
                assert col.get("data_type"), (model["name"], col["name"])
