"""The optimiser's import graph has no cycles, and ``problem.py`` is data only (issue 10 §3)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "optimizers"


def _public_functions() -> set[str]:
    tree = ast.parse((PKG / "__init__.py").read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def import_graph() -> dict[str, set[str]]:
    """module → the ``optimizers`` modules it imports, at module level or inside functions."""
    modules = {p.stem for p in PKG.glob("*.py")}
    public = _public_functions()
    graph: dict[str, set[str]] = {}
    for path in PKG.glob("*.py"):
        me = path.stem
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("optimizers."):
                        edges.add(a.name.split(".")[1])
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "optimizers":
                    for a in node.names:
                        if a.name in modules and (me == "__init__" or a.name not in public):
                            edges.add(a.name)
                        else:
                            edges.add("__init__")
                elif node.module.startswith("optimizers."):
                    edges.add(node.module.split(".")[1])
        edges.discard(me)
        graph[me] = edges
    return graph


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for nxt in sorted(graph.get(m, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt] if nxt in stack else [m, nxt]
                raise AssertionError(f"import cycle: {' → '.join(cycle)}")
            if state.get(nxt) is None:
                visit(nxt, [*stack, nxt])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_problem_is_data_only():
    assert import_graph()["problem"] == set()
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
