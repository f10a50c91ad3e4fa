"""The carbon/ package's import graph: no cycles between modules, and imports point down the layers.

Every ``import carbon.…`` / ``from carbon… import`` counts, at module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

from carbon.config import REPO_ROOT

ROOT = REPO_ROOT / "carbon"


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(REPO_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def import_graph() -> dict[str, set[str]]:
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for n in names:
                t = resolve(n) if n.startswith("carbon") else None
                # a package's own __init__ is not an edge from its submodules
                if t and t != m and not m.startswith(t + "."):
                    edges[m].add(t)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def dfs(u: str, stack: list[str]) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(edges[u]):
            if state.get(v) == 1:
                found.append([*stack[stack.index(v) :], v])
            elif not state.get(v):
                dfs(v, stack)
        stack.pop()
        state[u] = 2

    for m in sorted(edges):
        if not state.get(m):
            dfs(m, [])
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_carbon():
    edges = import_graph()
    assert "carbon.domain.factors" in edges and "carbon.pipeline.lake" in edges
    assert cycles(edges) == []


def test_domain_imports_no_stage():
    """The domain layer stands alone: it imports only itself and ``carbon.config``."""
    bad = [
        (m, t)
        for m, targets in import_graph().items()
        if m.startswith("carbon.domain")
        for t in targets
        if not t.startswith(("carbon.domain", "carbon.config"))
    ]
    assert bad == []
