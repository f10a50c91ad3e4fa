"""The array container of the dispatch model: :class:`LinearModel` (column bounds, costs,
emissions, integrality; row bounds; COO coefficient triplets), grouped in named :class:`Block` s
so that results map back to sites, steps and jobs.  It knows nothing of sites or batteries: the
model itself is written in ``optimizers.variables``, ``optimizers.objective`` and
``optimizers.constraints`` and assembled by ``optimizers.model.build_model``.

The same arrays go to HiGHS in one ``passModel`` call (``optimizers.highs_bridge``) or become
PuLP objects (:meth:`LinearModel.to_pulp`) for CBC, so both solvers see the same model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

INF = math.inf


def broadcast(x: np.ndarray | float, n: int) -> np.ndarray:
    """``x`` (a scalar or one value per step) as a float array of ``n`` values."""
    return np.broadcast_to(np.asarray(x, dtype=float), (n,)).astype(float)


@dataclass
class Block:
    """A named group of columns or rows: ``kind`` is the variable name or constraint family."""

    kind: str
    site: str | None
    item: str | None
    start: int
    steps: np.ndarray  # step of each member; -1 for horizon-wide members
    span: tuple[int, int] | None = None  # step range [a, b) a horizon-wide row refers to

    @property
    def n(self) -> int:
        return len(self.steps)

    @property
    def idx(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.n)


@dataclass
class LinearModel:
    """min (cost + carbon_price/1000·emis)·x  s.t.  row_lo ≤ A x ≤ row_hi,  col_lb ≤ x ≤ col_ub."""

    col_blocks: dict[tuple[str, str | None, str | None], Block] = field(default_factory=dict)
    row_blocks: list[Block] = field(default_factory=list)
    _lb: list[np.ndarray] = field(default_factory=list)
    _ub: list[np.ndarray] = field(default_factory=list)
    _cost: list[np.ndarray] = field(default_factory=list)
    _emis: list[np.ndarray] = field(default_factory=list)
    _int: list[np.ndarray] = field(default_factory=list)
    _rlo: list[np.ndarray] = field(default_factory=list)
    _rhi: list[np.ndarray] = field(default_factory=list)
    _ri: list[np.ndarray] = field(default_factory=list)
    _ci: list[np.ndarray] = field(default_factory=list)
    _v: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0
    carbon_price_cny_per_t: float = 0.0
    warnings: list[str] = field(default_factory=list)
    _frozen: dict[str, np.ndarray] | None = None

    # -- building -----------------------------------------------------------------------------
    def add_vars(
        self,
        kind: str,
        site: str | None,
        steps: np.ndarray,
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray = INF,
        cost: float | np.ndarray = 0.0,
        emis: float | np.ndarray = 0.0,
        integer: bool = False,
        item: str | None = None,
    ) -> np.ndarray:
        steps = np.asarray(steps, dtype=np.int64)
        n = len(steps)
        block = Block(kind, site, item, self.n_cols, steps)
        key = (kind, site, item)
        if key in self.col_blocks:
            raise ValueError(f"duplicate variable block {key}")
        self.col_blocks[key] = block
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)))
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)))
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)))
        self._emis.append(np.broadcast_to(np.asarray(emis, dtype=float), (n,)))
        self._int.append(np.full(n, integer, dtype=bool))
        self.n_cols += n
        self._frozen = None
        return block.idx

    def add_rows(
        self,
        family: str,
        site: str | None,
        steps: np.ndarray,
        lo: float | np.ndarray,
        hi: float | np.ndarray,
        item: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> np.ndarray:
        steps = np.asarray(steps, dtype=np.int64)
        n = len(steps)
        block = Block(family, site, item, self.n_rows, steps, span)
        self.row_blocks.append(block)
        self._rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n,)))
        self._rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n,)))
        self.n_rows += n
        self._frozen = None
        return block.idx

    def add_coefs(
        self, rows: np.ndarray | int, cols: np.ndarray | int, vals: float | np.ndarray
    ) -> None:
        rows, cols, vals = np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64),
            np.asarray(cols, dtype=np.int64),
            np.asarray(vals, dtype=float),
        )
        keep = vals != 0.0
        self._ri.append(rows[keep].ravel())
        self._ci.append(cols[keep].ravel())
        self._v.append(vals[keep].ravel())
        self._frozen = None

    def cols(self, kind: str, site: str | None = None, item: str | None = None) -> Block | None:
        return self.col_blocks.get((kind, site, item))

    def set_objective(
        self,
        kind: str,
        site: str | None,
        cost: float | np.ndarray | None = None,
        emis: float | np.ndarray | None = None,
        item: str | None = None,
    ) -> None:
        """Set the cost (CNY per unit) and emissions (kg per unit) of a variable block."""
        key = (kind, site, item)
        pos = list(self.col_blocks).index(key)
        n = self.col_blocks[key].n
        if cost is not None:
            self._cost[pos] = np.broadcast_to(np.asarray(cost, dtype=float), (n,))
        if emis is not None:
            self._emis[pos] = np.broadcast_to(np.asarray(emis, dtype=float), (n,))
        self._frozen = None

    def copy(self, *, zero_cost: bool = False) -> LinearModel:
        """An independent copy to add columns and rows to (the arrays themselves are shared,
        read-only); ``zero_cost`` drops the objective (phase-1 style, for the elastic model).
        Warnings are not copied."""
        return LinearModel(
            col_blocks=dict(self.col_blocks),
            row_blocks=list(self.row_blocks),
            _lb=list(self._lb),
            _ub=list(self._ub),
            _cost=[np.zeros(len(c)) for c in self._cost] if zero_cost else list(self._cost),
            _emis=list(self._emis),
            _int=list(self._int),
            _rlo=list(self._rlo),
            _rhi=list(self._rhi),
            _ri=list(self._ri),
            _ci=list(self._ci),
            _v=list(self._v),
            n_cols=self.n_cols,
            n_rows=self.n_rows,
            carbon_price_cny_per_t=self.carbon_price_cny_per_t,
        )

    # -- arrays -------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Concatenated arrays: lb, ub, cost, emis, integer, row_lo, row_hi, rows, cols, vals."""
        if self._frozen is None:

            def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
                return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

            self._frozen = {
                "lb": cat(self._lb, float),
                "ub": cat(self._ub, float),
                "cost": cat(self._cost, float),
                "emis": cat(self._emis, float),
                "integer": cat(self._int, bool),
                "row_lo": cat(self._rlo, float),
                "row_hi": cat(self._rhi, float),
                "rows": cat(self._ri, np.int64),
                "cols": cat(self._ci, np.int64),
                "vals": cat(self._v, float),
            }
        return self._frozen

    def objective_vector(self, carbon_price_cny_per_t: float | None = None) -> np.ndarray:
        cp = (
            self.carbon_price_cny_per_t
            if carbon_price_cny_per_t is None
            else carbon_price_cny_per_t
        )
        a = self.arrays()
        return a["cost"] + cp / 1000.0 * a["emis"]

    @property
    def is_mip(self) -> bool:
        return bool(self.arrays()["integer"].any())

    def row_families(self) -> np.ndarray:
        """Family name of each row (object array)."""
        out = np.empty(self.n_rows, dtype=object)
        for b in self.row_blocks:
            out[b.start : b.start + b.n] = b.kind
        return out

    # -- PuLP -------------------------------------------------------------------------------
    def to_pulp(
        self, carbon_price_cny_per_t: float | None = None, name: str = "dispatch"
    ) -> tuple[object, list[object], list[tuple[int, object, str]]]:
        """The same model as PuLP objects: ``(LpProblem, variables, [(row, LpConstraint, side)])``
        where ``side`` is ``"eq"``, ``"lo"`` or ``"hi"`` (a ranged row gives two constraints)."""
        import pulp

        a = self.arrays()
        c = self.objective_vector(carbon_price_cny_per_t)
        names = self.column_names()
        lpvars: list[object] = []
        for j in range(self.n_cols):
            lb = a["lb"][j]
            ub = a["ub"][j]
            lpvars.append(
                pulp.LpVariable(
                    names[j],
                    lowBound=None if lb == -INF else float(lb),
                    upBound=None if ub == INF else float(ub),
                    cat=pulp.LpInteger if a["integer"][j] else pulp.LpContinuous,
                )
            )
        prob = pulp.LpProblem(name, pulp.LpMinimize)
        nz = np.nonzero(c)[0]
        prob.setObjective(pulp.LpAffineExpression([(lpvars[j], float(c[j])) for j in nz]))
        order = np.argsort(a["rows"], kind="stable")
        rows_sorted = a["rows"][order]
        cols_sorted = a["cols"][order]
        vals_sorted = a["vals"][order]
        bounds = np.searchsorted(rows_sorted, np.arange(self.n_rows + 1))
        rnames = self.row_names()
        cons: list[tuple[int, object, str]] = []
        for i in range(self.n_rows):
            lo, hi = a["row_lo"][i], a["row_hi"][i]
            s, e = bounds[i], bounds[i + 1]
            terms = [
                (lpvars[j], float(v))
                for j, v in zip(cols_sorted[s:e], vals_sorted[s:e], strict=True)
            ]
            expr = pulp.LpAffineExpression(terms)
            if lo == hi:
                sides = [("eq", pulp.LpConstraintEQ, lo)]
            else:
                sides = []
                if lo > -INF:
                    sides.append(("lo", pulp.LpConstraintGE, lo))
                if hi < INF:
                    sides.append(("hi", pulp.LpConstraintLE, hi))
            for side, sense, rhs in sides:
                cname = rnames[i] if len(sides) == 1 else f"{rnames[i]}_{side}"
                con = pulp.LpConstraint(expr, sense=sense, rhs=float(rhs), name=cname)
                prob.addConstraint(con, name=cname)
                cons.append((i, con, side))
        return prob, lpvars, cons

    def column_names(self) -> list[str]:
        names: list[str] = [""] * self.n_cols
        for b in self.col_blocks.values():
            prefix = _safe("_".join(p for p in (b.kind, b.site, b.item) if p))
            for k, t in enumerate(b.steps):
                names[b.start + k] = f"{prefix}_{t}" if t >= 0 else prefix
        return _unique(names)

    def row_names(self) -> list[str]:
        names: list[str] = [""] * self.n_rows
        seen: dict[str, int] = {}
        for b in self.row_blocks:
            prefix = _safe("_".join(p for p in (b.kind, b.site, b.item) if p))
            n = seen.get(prefix, 0)
            seen[prefix] = n + 1
            if n:
                prefix = f"{prefix}_{n}"
            for k, t in enumerate(b.steps):
                names[b.start + k] = f"c_{prefix}_{t}" if t >= 0 else f"c_{prefix}"
        return _unique(names)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _unique(names: list[str]) -> list[str]:
    """Names made unique (sanitising can map two ids to one name): suffix the position."""
    if len(set(names)) == len(names):
        return names
    return [f"{nm}_{i}" for i, nm in enumerate(names)]
