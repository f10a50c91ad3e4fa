"""CEADs importer figures and the generated project files (seeds, sources) staying in sync."""

from __future__ import annotations

import pytest
import yaml

from carbon.domain import ceads
from carbon.domain.datasets import DATASETS
from carbon.pipeline.warehouse import build as ledgers
from carbon.pipeline.warehouse import seeds


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
    for name, df in seeds.generated_seeds().items():
        on_disk = (seeds.SEEDS_DIR / name).read_text(encoding="utf-8")
        assert on_disk == seeds.seed_text(df), f"seeds/{name} is stale: run seeds.write_seeds()"


def test_sources_match_the_data_contracts():
    """The dbt sources are generated from carbon/domain/datasets.py: the committed file is the rendering."""
    from carbon.pipeline.contracts import sources

    assert sources.SOURCES_YML.read_text(encoding="utf-8") == sources.render(), (
        "models/staging/_lake__sources.yml is stale: run `./run.sh python -m carbon.pipeline.contracts.sources`"
    )
    assert ledgers.LAKE_SOURCES == sources.LAKE_SOURCES
    doc = yaml.safe_load(sources.SOURCES_YML.read_text(encoding="utf-8"))
    tables = {t["name"]: t for t in doc["sources"][0]["tables"]}
    for name in ledgers.LAKE_SOURCES:
        assert name in tables, name
        if name in DATASETS:
            ds = DATASETS[name]
            cols = [c["name"] for c in tables[name]["columns"]]
            # file columns in contract order, the hive partition column last
            want = [c for c in ds.column_names if c != ds.partition_key] + [ds.partition_key]
            assert cols == want, name


def test_sources_staleness_check_catches_a_contract_change(monkeypatch):
    """A changed contract renders a different file, so the check above can fail."""
    import dataclasses

    from carbon.domain import datasets
    from carbon.pipeline.contracts import sources

    before = sources.render()
    heat = datasets.DATASETS["heat_consumption"]
    changed = dataclasses.replace(
        heat,
        columns=(*heat.columns, datasets.Column("gj_lost", "float64", "GJ", "损失", "heat lost")),
    )
    monkeypatch.setitem(datasets.DATASETS, "heat_consumption", changed)
    after = sources.render()
    assert after != before and "gj_lost" in after and "gj_lost" not in before


def _bilingual(desc: str | None) -> bool:
    import re

    return bool(re.search(r"[A-Za-z]", desc or "") and re.search(r"[\u4e00-\u9fff]", desc or ""))


def test_every_mart_column_is_documented_in_english_and_chinese():
    """Every mart folder (personal and dispatch included): each model and column, and the
    dispatch lake sources, described in English and Chinese; every mart contract enforced."""
    seen = set()
    for path in sorted((ledgers.REPO_ROOT / "models/marts").glob("*/_*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for model in doc.get("models") or []:
            seen.add(path.parent.name)
            assert model["config"]["contract"]["enforced"], model["name"]
            assert _bilingual(model.get("description")), model["name"]
            for col in model["columns"]:
                assert _bilingual(col.get("description")), (model["name"], col["name"])
                assert col.get("data_type"), (model["name"], col["name"])
        for src in doc.get("sources") or []:
            for table in src["tables"]:
                assert _bilingual(table.get("description")), table["name"]
                for col in table.get("columns") or []:
                    assert _bilingual(col.get("description")), (table["name"], col["name"])
    assert {"personal", "dispatch", "government", "enterprise", "ledger"} <= seen
    assert not _bilingual("English only") and not _bilingual("只有中文")


def test_no_env_var_in_models_macros_or_sources():
    """dbt learns the data home only through vars (lake_path, ...) that carbon.pipeline.warehouse.build passes:
    no model, macro, source, project or profile file reads env_var (the build writes each home's
    profile from profiles.yml)."""
    import re

    root = ledgers.REPO_ROOT
    files = [
        *(root / "models").rglob("*.sql"),
        *(root / "models").rglob("*.yml"),
        *(root / "macros").rglob("*.sql"),
        root / "dbt_project.yml",
        root / "profiles.yml",
    ]
    assert len(files) > 40
    hits = [
        f"{f.relative_to(root)}:{n}"
        for f in files
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"env_var\s*\(", line)
    ]
    assert hits == []
    # and the runner passes the home's paths as vars
    v = ledgers.build_vars("/tmp/some-home")
    assert v["lake_path"] == "/tmp/some-home/lake"
    assert v["build_params_path"] == "/tmp/some-home/dbt/build_params.json"
    assert v["monitor_alerts_path"] == "/tmp/some-home/monitor/mon_alerts.parquet"


def test_dbt_project_names_only_existing_paths():
    doc = yaml.safe_load((ledgers.REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    for key in ("model-paths", "macro-paths", "seed-paths", "test-paths"):
        for rel in doc.get(key, []):
            assert (ledgers.REPO_ROOT / rel).is_dir(), (key, rel)
    assert doc["test-paths"] == []  # not the default "tests": that is pytest's folder


def test_each_home_gets_its_own_profile_and_the_environment_is_not_written(tmp_path, monkeypatch):
    """The warehouse path reaches dbt through ``<home>/dbt/profiles.yml`` (written from the
    repo's profiles.yml), never through a variable set in this process's environment."""
    import os

    import yaml

    monkeypatch.delenv("CARBON_DUCKDB_MEMORY", raising=False)
    before = dict(os.environ)
    d = ledgers.profiles_dir(tmp_path)
    out = yaml.safe_load((d / "profiles.yml").read_text(encoding="utf-8"))["carbon"]["outputs"]
    assert out["dev"]["path"] == str(tmp_path.resolve() / "warehouse" / "carbon.duckdb")
    assert out["dev"]["settings"]["memory_limit"] == "4GB"  # the repo's value
    monkeypatch.setenv("CARBON_DUCKDB_MEMORY", "12GB")
    out = yaml.safe_load((ledgers.profiles_dir(tmp_path) / "profiles.yml").read_text())
    assert out["carbon"]["outputs"]["dev"]["settings"]["memory_limit"] == "12GB"
    monkeypatch.delenv("CARBON_DUCKDB_MEMORY")
    assert dict(os.environ) == before
