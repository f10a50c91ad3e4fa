"""The import graph of ``carbon`` and ``optimizers`` (one finder for both, issue 10 §3).

- no cycles, in either package or between them;
- imports point down the layers: the domain (``carbon.domain``) imports only itself and
  ``carbon.config``; no module outside the command line imports ``carbon.cli``;
- ``optimizers/problem.py`` is data only; no dev-only dependency is imported by the package.

Every ``import`` / ``from … import`` counts, at module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "optimizers"
# cycles of carbon that exist today: none (issue 10 §3 broke the last two); a new one fails
KNOWN_CARBON_CYCLES: list[list[str]] = []


def _modules(packages: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for pkg in packages:
        for p in (ROOT / pkg).rglob("*.py"):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = p
    return out


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}


def import_graph(packages: tuple[str, ...] = ("optimizers", "carbon")) -> dict[str, set[str]]:
    """module → the modules of ``packages`` it imports, at module level or inside functions.

    ``from pkg import name`` is an edge to the submodule ``pkg.name`` when that is a module and
    not shadowed by a function or class of ``pkg/__init__.py`` (``from optimizers import solve``
    is the public function, an edge to ``optimizers``), else an edge to ``pkg``."""
    mods = _modules(packages)
    graph: dict[str, set[str]] = {}
    for me, path in mods.items():
        here = me if path.name == "__init__.py" else me.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in mods}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    base = ".".join([*up, base] if base else up)
                if base not in mods:
                    continue
                shadow = _defined(mods[base])
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    ok = sub in mods and (me == base or a.name not in shadow)
                    edges.add(sub if ok else base)
        edges.discard(me)
        graph[me] = edges
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_domain_imports_no_stage():
    """The domain layer stands alone: it imports only itself and ``carbon.config``."""
    graph = import_graph(("carbon",))
    assert "carbon.domain.factors" in graph and "carbon.pipeline.lake" in graph
    bad = [
        (m, t)
        for m, targets in graph.items()
        if m.startswith("carbon.domain")
        for t in targets
        if not t.startswith(("carbon.domain", "carbon.config"))
    ]
    assert bad == []


def test_only_the_command_line_imports_the_cli():
    """CLI code stays out of the domain, pipeline and optimiser modules (they are called by it)."""

    def is_cli(m: str) -> bool:  # carbon.cli.*, and a command's own module (optimizers.cli, …)
        return m.startswith("carbon.cli") or m.endswith((".cli", "_cli", ".__main__"))

    bad = [
        (m, t)
        for m, targets in import_graph().items()
        if not is_cli(m)
        for t in targets
        if is_cli(t)
    ]
    assert bad == []


def test_no_import_cycles_in_optimizers():
    graph = import_graph(("optimizers",))
    assert "optimizers.constraints" in graph and "optimizers.forecast.io" in graph
    assert import_cycles(graph) == []


def test_no_new_import_cycles_in_carbon_and_optimizers():
    assert import_cycles(import_graph()) == KNOWN_CARBON_CYCLES


def test_the_cycle_finder_finds_cycles():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert import_cycles(g) == [["a", "b", "c"]]
    # the old cycle of issue 10: problem.py's façade functions imported solve, which imports it
    assert import_cycles({"problem": {"solve"}, "solve": {"model"}, "model": {"problem"}}) == [
        ["model", "problem", "solve"]
    ]


def test_problem_is_data_only():
    assert import_graph(("optimizers",))["optimizers.problem"] == set()
    tree = ast.parse((PKG / "problem.py").read_text(encoding="utf-8"))
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert functions == [], functions
    import optimizers

    assert callable(optimizers.solve) and callable(optimizers.frontier)


def test_no_dev_only_import_in_the_package():
    # pypsa / linopy are dev dependencies (benchmarks and tests): the wheel must not import them
    for path in PKG.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] not in {"pypsa", "linopy"}, f"{path.name} imports {name}"
