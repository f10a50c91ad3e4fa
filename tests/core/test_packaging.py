"""The wheel ships the production code only: no test oracle, no dev-only import.

Inspects the packaging config (``[tool.hatch.build.targets.wheel] packages``) and every Python
file those packages put in the wheel (hatchling ships the package folders whole, minus
.gitignore'd files)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: dev-only dependencies (pyproject [dependency-groups] dev): never imported by shipped code
DEV_ONLY = {"pytest", "hypothesis", "pypsa", "playwright", "aiosmtpd", "pypdf", "filelock", "ruff"}
#: Python mirrors of SQL logic used as test oracles live under tests/, never in a package
ORACLE_MARKERS = ("TEST ORACLE", "Python mirror of the dbt", "mirror of the SQL")


def _wheel_files() -> list[Path]:
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = cfg["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert set(packages) == {"carbon", "optimizers"}, packages
    return sorted(f for p in packages for f in (REPO / p).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_dev_groups_cover_the_dev_only_list():
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    dev = {
        d.split(">")[0].split("=")[0].split("<")[0].strip() for d in cfg["dependency-groups"]["dev"]
    }
    runtime = {
        d.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip()
        for d in cfg["project"]["dependencies"]
    }
    assert {"pytest", "hypothesis", "pypsa", "playwright"} <= dev
    assert not ({"pytest", "hypothesis", "pypsa", "playwright"} & runtime)


def test_no_shipped_module_imports_a_dev_only_package():
    files = _wheel_files()
    assert len(files) > 50
    bad = {str(f.relative_to(REPO)): sorted(_imports(f) & DEV_ONLY) for f in files}
    assert {k: v for k, v in bad.items() if v} == {}


def test_no_test_oracle_ships():
    files = _wheel_files()
    oracles = [
        str(f.relative_to(REPO))
        for f in files
        if any(m in f.read_text(encoding="utf-8")[:2000] for m in ORACLE_MARKERS)
    ]
    assert oracles == []
    assert not (
        REPO / "carbon" / "personal.py"
    ).exists()  # moved to tests/personal/personal_oracle.py
    assert (REPO / "tests" / "personal" / "personal_oracle.py").exists()


def test_the_checks_see_a_dev_import_and_an_oracle(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('"""TEST ORACLE"""\nimport pypsa\nfrom pytest import approx\n', encoding="utf-8")
    assert _imports(f) & DEV_ONLY == {"pypsa", "pytest"}
    assert any(m in f.read_text(encoding="utf-8") for m in ORACLE_MARKERS)
