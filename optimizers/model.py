"""The dispatch model (DESIGN §5), built vectorised, one function per constraint family.

The model is kept as arrays (column bounds, costs, emissions; row bounds; COO triplets) in a
:class:`LinearModel`, grouped in named blocks so that results map back to sites, steps and jobs.
The same arrays are handed to HiGHS in one ``passModel`` call (``optimizers.highs_bridge``) or
turned into PuLP ``LpVariable``/``LpConstraint`` objects (:meth:`LinearModel.to_pulp`) for CBC, so
both solvers see exactly the same model.  Nothing here does I/O.

Variables per site and step (kW, mean over the step): ``pv`` and ``wind`` used (≤ available;
curtailment is the rest), ``grid_import``, ``grid_export``, ``backup``, battery ``charge``,
``discharge`` and ``soc`` (kWh at the END of the step); ``peak`` (kW, one per site, only with a
demand charge); ``job`` (kW of each job at each allowed site and step of its window).

Constraint families (``family`` names used in results and explanations):

=====================  =====================================================================
balance                pv + wind + import − export + discharge − charge + backup
                       = PUE[t] · (IT base[t] + Σ jobs[t])                      (per step)
battery_dynamics       soc[t] = soc[t−1] + (η_c·charge − discharge/η_d)·dt       (per step)
battery_end_soc        soc[T−1] ≥ soc_init                                        (per site)
battery_cyclic         soc[T−1] = soc_start (soc_init "free": start chosen)       (per site)
contract               import[t] ≤ contract_kw                                    (per step)
peak                   import[t] ≤ peak                                           (per step)
green_share            Σ(pv + wind − export)·dt + purchases ≥ target·Σ facility·dt (per site)
job_energy             Σ job·dt = energy_kwh                                      (per job)
job_max_kw             Σ_sites job[t] ≤ max_kw (jobs allowed at several sites)    (per step)
emission_cap           Σ emissions ≤ cap                                          (problem)
battery_mode           charge ≤ P·z, discharge ≤ P·(1−z)        (MILP, z binary)  (per step;
                       "auto": only at sites with a negative effective import price)
job_on                 job ≤ max_kw·on, job ≥ min_kw·on         (MILP, on binary) (per step;
                       min_kw = min_kw_when_running or 1 % of max_kw, see job_min_kw)
job_one_site           Σ_sites on[t] ≤ 1                        (MILP)            (per step)
job_start              start[t] ≥ on[t] − on[t−1]; Σ start ≤ 1 if non-preemptible (MILP)
job_min_run            Σ_{τ=t}^{t+m−1} on[τ] ≥ m·start[t]       (MILP)            (per step)
backup_on              min_load·kW·on ≤ backup ≤ kW·on          (MILP, on binary) (per step
                       where the backup may run, see backup_allowed)
=====================  =====================================================================

Bounds (reported as ``<variable>_max``/``_min`` families when binding): grid import/export
maximum, battery power and SOC limits, PV/wind availability, backup capacity, job max kW.

Objective (CNY): Σ dt·(price·import − export_price·export + backup_cost·backup)
+ demand_charge·peak + carbon_price/1000 · Σ emissions_kg, with emissions_kg =
Σ dt·(carbon_intensity·import + backup_kg·backup).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from optimizers.problem import Job, Options, Problem, Site

# Weights of the elastic (infeasibility-explaining) relaxation, per unit of slack (kWh, or kW·dt).
# Physical families are expensive to relax so that the explanation names the policy or job that
# makes the case infeasible; 0 = never relaxed (definitions that are always satisfiable alone).
ELASTIC_WEIGHTS: dict[str, float] = {
    "balance": 1000.0,
    "battery_dynamics": 0.0,
    "battery_end_soc": 1.0,
    "battery_cyclic": 1.0,
    "contract": 1.0,
    "peak": 0.0,
    "green_share": 1.0,
    "job_energy": 100.0,
    "job_max_kw": 200.0,
    "emission_cap": 1.0,
    "battery_mode": 0.0,
    "job_on": 0.0,
    "job_one_site": 0.0,
    "job_start": 0.0,
    "job_min_run": 0.0,
    "backup_on": 0.0,
}

INF = math.inf
# A job that is "on" (MILP) draws at least its min_kw_when_running, or this fraction of max_kw
# when that is 0: otherwise a 0 kW "run" would satisfy non-preemption and minimum run time.
JOB_MIN_RUNNING_FRACTION = 0.01


def job_min_kw(job: Job) -> float:
    """Minimum kW of a running job in MILP mode (see :data:`JOB_MIN_RUNNING_FRACTION`)."""
    if job.min_kw_when_running > 0:
        return job.min_kw_when_running
    if not job.preemptible or job.min_run_steps > 1:
        return JOB_MIN_RUNNING_FRACTION * job.max_kw
    return 0.0


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


# ---------------------------------------------------------------------------------------------
# validation


def validate(problem: Problem) -> list[str]:
    """Check input data; raise ``ValueError`` on errors, return warnings (the problem's own
    ``notes`` first)."""
    warnings: list[str] = list(problem.notes)
    if not problem.sites:
        raise ValueError("problem has no sites")
    ids = [s.site_id for s in problem.sites]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate site_id in {ids}")
    first = problem.sites[0]
    n = first.n_steps
    if n == 0:
        raise ValueError("empty time index")
    for s in problem.sites:
        if s.n_steps != n or s.step_hours != first.step_hours:
            raise ValueError(
                f"site {s.site_id}: all sites of one problem share the time grid "
                f"({n} steps of {first.step_hours} h); got {s.n_steps} of {s.step_hours} h"
            )
        if not s.step_hours > 0:
            raise ValueError(f"site {s.site_id}: step_hours must be > 0")
        for name in (
            "it_base_kw",
            "pue",
            "pv_kw",
            "wind_kw",
            "price_cny_per_kwh",
            "carbon_kg_per_kwh",
        ):
            arr = np.asarray(getattr(s, name), dtype=float)
            if arr.shape != (n,):
                raise ValueError(f"site {s.site_id}: {name} has shape {arr.shape}, expected ({n},)")
            if not np.isfinite(arr).all():
                raise ValueError(f"site {s.site_id}: {name} has NaN or infinite values")
        exp = np.asarray(s.export_price_cny_per_kwh, dtype=float)
        if exp.ndim and exp.shape != (n,):
            raise ValueError(f"site {s.site_id}: export_price_cny_per_kwh shape {exp.shape}")
        if (np.asarray(s.pue) < 1.0).any():
            raise ValueError(f"site {s.site_id}: PUE < 1")
        for name in ("it_base_kw", "pv_kw", "wind_kw", "carbon_kg_per_kwh"):
            if (np.asarray(getattr(s, name)) < 0).any():
                raise ValueError(f"site {s.site_id}: {name} < 0")
        imp = np.asarray(s.grid_import_max_kw, dtype=float)
        if imp.ndim and imp.shape != (n,):
            raise ValueError(f"site {s.site_id}: grid_import_max_kw shape {imp.shape}")
        if np.isnan(imp).any():
            raise ValueError(f"site {s.site_id}: grid_import_max_kw has NaN values")
        if (imp < 0).any() or s.grid_export_max_kw < 0 or s.backup_gen_kw < 0:
            raise ValueError(f"site {s.site_id}: negative grid or backup limit")
        if s.backup_cost_cny_per_kwh < 0 or s.backup_kg_per_kwh < 0:
            raise ValueError(f"site {s.site_id}: negative backup cost or emission factor")
        if not 0 <= s.backup_min_load <= 1:
            raise ValueError(f"site {s.site_id}: backup_min_load must be in [0, 1]")
        if s.backup_rule not in ("grid_limited", "economic"):
            raise ValueError(f"site {s.site_id}: backup_rule must be grid_limited or economic")
        if s.backup_available is not None and np.shape(s.backup_available) != (n,):
            raise ValueError(f"site {s.site_id}: backup_available must have {n} values")
        if (
            s.backup_gen_kw > 0
            and s.backup_min_load > 0
            and not problem.options.is_milp
            and backup_allowed(s, n).any()
        ):
            warnings.append(
                f"LP mode: the backup generator's minimum load at site {s.site_id} "
                f"({s.backup_min_load:.0%} of {s.backup_gen_kw:g} kW) is relaxed; set "
                "Options(milp=True) to enforce it"
            )
        if s.green_share_target is not None and not 0 <= s.green_share_target <= 1:
            raise ValueError(f"site {s.site_id}: green_share_target must be in [0, 1]")
        b = s.battery
        if b is not None:
            if b.energy_kwh < 0 or b.power_kw < 0:
                raise ValueError(f"site {s.site_id}: battery size < 0")
            if not (0 < b.eta_charge <= 1 and 0 < b.eta_discharge <= 1):
                raise ValueError(f"site {s.site_id}: battery efficiencies must be in (0, 1]")
            if b.soc_end_min is not None and not b.soc_min <= b.soc_end_min <= b.soc_max:
                raise ValueError(f"site {s.site_id}: soc_end_min outside [soc_min, soc_max]")
            if b.cyclic and b.soc_init != "free":
                raise ValueError(
                    f"site {s.site_id}: soc_init must be a fraction or 'free', got {b.soc_init!r}"
                )
            start = b.soc_min if b.cyclic else b.soc_init
            if not 0 <= b.soc_min <= start <= b.soc_max <= 1:
                raise ValueError(
                    f"site {s.site_id}: need 0 ≤ soc_min ≤ soc_init ≤ soc_max ≤ 1, got "
                    f"{b.soc_min}, {b.soc_init}, {b.soc_max}"
                )
    job_ids = [j.job_id for s in problem.sites for j in s.jobs] + [
        j.job_id for j in problem.shared_jobs
    ]
    if len(set(job_ids)) != len(job_ids):
        raise ValueError("duplicate job_id")
    for job, allowed in iter_jobs(problem):
        if not 0 <= job.release < job.deadline <= n:
            raise ValueError(
                f"job {job.job_id}: need 0 ≤ release < deadline ≤ {n}, "
                f"got [{job.release}, {job.deadline})"
            )
        if job.energy_kwh < 0 or job.max_kw < 0 or job.min_kw_when_running < 0:
            raise ValueError(f"job {job.job_id}: negative energy or power")
        if job.min_kw_when_running > job.max_kw:
            raise ValueError(f"job {job.job_id}: min_kw_when_running > max_kw")
        if job.min_run_steps < 1:
            raise ValueError(f"job {job.job_id}: min_run_steps must be ≥ 1")
        if job.min_run_steps > job.deadline - job.release:
            raise ValueError(
                f"job {job.job_id}: min_run_steps ({job.min_run_steps}) is longer than its "
                f"window [{job.release}, {job.deadline}) of {job.deadline - job.release} steps"
            )
        if job.requested_window is not None:
            a, b = job.requested_window
            warnings.append(
                f"job {job.job_id}: window [{a}, {b}) cut by the plan horizon [0, {n}) to "
                f"[{job.release}, {job.deadline}); its {job.energy_kwh:g} kWh must fit there"
            )
        unknown = set(allowed) - set(ids)
        if unknown:
            raise ValueError(f"job {job.job_id}: unknown sites {sorted(unknown)}")
    if not problem.options.is_milp and any(j.needs_integers for j, _ in iter_jobs(problem)):
        warnings.append(
            "LP mode: min_kw_when_running / preemptible=False / min_run_steps of jobs are "
            "relaxed; set Options(milp=True) or job_integrality=True to enforce them"
        )
    if (
        problem.options.rolling_window_steps is not None
        and problem.options.rolling_window_steps < 1
    ):
        raise ValueError("rolling_window_steps must be ≥ 1")
    return warnings


def iter_jobs(problem: Problem) -> list[tuple[Job, tuple[str, ...]]]:
    """Every job with the sites it may run at."""
    all_sites = tuple(s.site_id for s in problem.sites)
    out: list[tuple[Job, tuple[str, ...]]] = []
    for s in problem.sites:
        for j in s.jobs:
            out.append((j, tuple(j.sites) if j.sites else (s.site_id,)))
    for j in problem.shared_jobs:
        out.append((j, tuple(j.sites) if j.sites else all_sites))
    return out


# ---------------------------------------------------------------------------------------------
# building: variables, then one function per constraint family


def _arr(x: np.ndarray | float, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, dtype=float), (n,)).astype(float)


def backup_allowed(site: Site, n: int) -> np.ndarray:
    """Steps in which the backup generator may run (bool array).

    ``backup_rule="economic"``: every step. Otherwise the explicit ``backup_available`` mask, or
    by default the steps where the grid cannot serve: the import limit is below its normal value
    (the horizon's highest: a grid outage or an import-limit step), or the import limit (and the
    contract limit) plus the available PV and wind is below the fixed facility load
    PUE·IT base. This is a bound of the model (the generator's upper bound is 0 in every other
    step), not a price: no fuel or carbon price makes the plan run diesel on a normal grid."""
    if site.backup_rule == "economic":
        return np.ones(n, dtype=bool)
    if site.backup_available is not None:
        return np.asarray(site.backup_available, dtype=bool)
    imp = _arr(site.grid_import_max_kw, n)
    derated = imp < imp.max()
    limit = np.minimum(imp, site.contract_kw if site.contract_kw is not None else INF)
    fixed = _arr(site.pue, n) * _arr(site.it_base_kw, n)
    short = limit + _arr(site.pv_kw, n) + _arr(site.wind_kw, n) < fixed - 1e-9
    return derated | short


def add_site_variables(m: LinearModel, site: Site, n: int) -> None:
    """Supply-side variables of one site with their bounds, costs and emissions."""
    dt = site.step_hours
    steps = np.arange(n)
    sid = site.site_id
    pv = _arr(site.pv_kw, n)
    if pv.any():
        m.add_vars("pv", sid, steps, 0.0, pv)
    wind = _arr(site.wind_kw, n)
    if wind.any():
        m.add_vars("wind", sid, steps, 0.0, wind)
    m.add_vars(
        "grid_import",
        sid,
        steps,
        0.0,
        site.grid_import_max_kw,
        cost=_arr(site.price_cny_per_kwh, n) * dt,
        emis=_arr(site.carbon_kg_per_kwh, n) * dt,
    )
    if site.grid_export_max_kw > 0:
        m.add_vars(
            "grid_export",
            sid,
            steps,
            0.0,
            site.grid_export_max_kw,
            cost=-_arr(site.export_price_cny_per_kwh, n) * dt,
        )
    allowed = backup_allowed(site, n) if site.backup_gen_kw > 0 else np.zeros(n, dtype=bool)
    if allowed.any():
        m.add_vars(
            "backup",
            sid,
            steps[allowed],
            0.0,
            site.backup_gen_kw,
            cost=site.backup_cost_cny_per_kwh * dt,
            emis=site.backup_kg_per_kwh * dt,
        )
    b = site.battery
    if b is not None and b.energy_kwh > 0 and b.power_kw > 0:
        m.add_vars("charge", sid, steps, 0.0, b.power_kw)
        m.add_vars("discharge", sid, steps, 0.0, b.power_kw)
        m.add_vars("soc", sid, steps, b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh)
    if site.demand_charge_cny_per_kw > 0:
        m.add_vars(
            "peak", sid, np.array([-1]), site.peak_floor_kw, INF, cost=site.demand_charge_cny_per_kw
        )


def add_job_variables(m: LinearModel, problem: Problem) -> None:
    """kW of each job at each site it may run at, over its window (≤ max_kw)."""
    for job, allowed in iter_jobs(problem):
        steps = np.arange(job.release, job.deadline)
        for sid in allowed:
            m.add_vars("job", sid, steps, 0.0, job.max_kw, item=job.job_id)


def site_jobs(m: LinearModel, site_id: str) -> list[Block]:
    return [b for (k, s, _), b in m.col_blocks.items() if k == "job" and s == site_id]


def add_power_balance(m: LinearModel, site: Site, n: int) -> None:
    """balance: supply = facility load = PUE · (IT base + jobs), every step."""
    sid = site.site_id
    pue = _arr(site.pue, n)
    rhs = pue * _arr(site.it_base_kw, n)
    rows = m.add_rows("balance", sid, np.arange(n), rhs, rhs)
    for kind, sign in (
        ("pv", 1.0),
        ("wind", 1.0),
        ("grid_import", 1.0),
        ("grid_export", -1.0),
        ("backup", 1.0),
        ("discharge", 1.0),
        ("charge", -1.0),
    ):
        b = m.cols(kind, sid)
        if b is not None:
            m.add_coefs(rows[b.steps], b.idx, sign)
    for b in site_jobs(m, sid):
        m.add_coefs(rows[b.steps], b.idx, -pue[b.steps])


def add_battery(m: LinearModel, site: Site, n: int) -> None:
    """battery_dynamics (with efficiencies) and battery_end_soc ≥ soc_init; with a free start
    (``soc_init="free"``) a ``soc_start`` column in [soc_min, soc_max] and battery_cyclic:
    soc[T−1] = soc_start (or battery_end_soc ≥ ``soc_end_min`` when that is given)."""
    sid = site.site_id
    soc = m.cols("soc", sid)
    if soc is None or site.battery is None:
        return
    b = site.battery
    dt = site.step_hours
    ch = m.cols("charge", sid)
    dis = m.cols("discharge", sid)
    assert ch is not None and dis is not None
    rhs = np.zeros(n)
    if not b.cyclic:
        rhs[0] = b.soc_init_kwh
    rows = m.add_rows("battery_dynamics", sid, np.arange(n), rhs, rhs)
    m.add_coefs(rows, soc.idx, 1.0)
    m.add_coefs(rows[1:], soc.idx[:-1], -1.0)
    m.add_coefs(rows, ch.idx, -b.eta_charge * dt)
    m.add_coefs(rows, dis.idx, dt / b.eta_discharge)
    if b.cyclic:
        e_lo, e_hi = b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh
        start = m.add_vars("soc_start", sid, np.array([-1]), e_lo, e_hi)
        m.add_coefs(rows[0], start[0], -1.0)
        if b.soc_end_min is None:
            cyc = m.add_rows("battery_cyclic", sid, np.array([n - 1]), 0.0, 0.0)
            m.add_coefs(cyc, soc.idx[-1], 1.0)
            m.add_coefs(cyc, start[0], -1.0)
            return
    e_end = (b.soc_init if b.soc_end_min is None else b.soc_end_min) * b.energy_kwh
    end = m.add_rows("battery_end_soc", sid, np.array([n - 1]), e_end, INF)
    m.add_coefs(end, soc.idx[-1], 1.0)


def add_contract_limit(m: LinearModel, site: Site, n: int) -> None:
    """contract: grid import ≤ contract_kw every step (a row, so it can be explained)."""
    if site.contract_kw is None:
        return
    imp = m.cols("grid_import", site.site_id)
    assert imp is not None
    rows = m.add_rows("contract", site.site_id, np.arange(n), -INF, site.contract_kw)
    m.add_coefs(rows, imp.idx, 1.0)


def add_export_limit(m: LinearModel, site: Site, n: int) -> None:
    """export_surplus: export[t] ≤ pv[t] + wind[t] (自发自用、余电上网).

    Only on-site renewable surplus may be fed back: grid power and battery energy are not resold.
    Without this row an LP buys valley power to sell it back whenever the export price beats the
    import price plus carbon cost, which no distribution contract allows.
    """
    sid = site.site_id
    exp = m.cols("grid_export", sid)
    if exp is None:
        return
    rows = m.add_rows("export_surplus", sid, np.arange(n), -INF, 0.0)
    m.add_coefs(rows, exp.idx, 1.0)
    for kind in ("pv", "wind"):
        b = m.cols(kind, sid)
        if b is not None:
            m.add_coefs(rows[b.steps], b.idx, -1.0)


def add_peak(m: LinearModel, site: Site, n: int) -> None:
    """peak: import[t] − peak ≤ 0 (the demand charge is on the horizon peak)."""
    peak = m.cols("peak", site.site_id)
    if peak is None:
        return
    imp = m.cols("grid_import", site.site_id)
    assert imp is not None
    rows = m.add_rows("peak", site.site_id, np.arange(n), -INF, 0.0)
    m.add_coefs(rows, imp.idx, 1.0)
    m.add_coefs(rows, peak.start, -1.0)


def add_green_share(m: LinearModel, site: Site, n: int) -> None:
    """green_share: Σ(pv + wind − export)·dt + purchases ≥ target · Σ PUE·(IT + jobs)·dt."""
    target = site.green_share_target
    if target is None or target <= 0:
        return
    sid = site.site_id
    dt = site.step_hours
    pue = _arr(site.pue, n)
    base = float(np.sum(pue * _arr(site.it_base_kw, n))) * dt
    row = m.add_rows(
        "green_share",
        sid,
        np.array([-1]),
        target * base - site.green_purchase_kwh,
        INF,
        span=(0, n),
    )
    for kind, sign in (("pv", 1.0), ("wind", 1.0), ("grid_export", -1.0)):
        b = m.cols(kind, sid)
        if b is not None:
            m.add_coefs(row[0], b.idx, sign * dt)
    for b in site_jobs(m, sid):
        m.add_coefs(row[0], b.idx, -target * pue[b.steps] * dt)


def add_jobs(m: LinearModel, problem: Problem) -> None:
    """job_energy: each job gets its energy inside its window; job_max_kw across sites."""
    dt = problem.step_hours
    for job, allowed in iter_jobs(problem):
        blocks = [m.cols("job", sid, job.job_id) for sid in allowed]
        row = m.add_rows(
            "job_energy",
            None,
            np.array([-1]),
            job.energy_kwh,
            job.energy_kwh,
            item=job.job_id,
            span=(job.release, job.deadline),
        )
        for b in blocks:
            assert b is not None
            m.add_coefs(row[0], b.idx, dt)
        if len(blocks) > 1:
            steps = np.arange(job.release, job.deadline)
            rows = m.add_rows("job_max_kw", None, steps, -INF, job.max_kw, item=job.job_id)
            for b in blocks:
                assert b is not None
                m.add_coefs(rows, b.idx, 1.0)


def add_emission_cap(m: LinearModel, problem: Problem) -> None:
    """emission_cap: Σ emissions of all sites (tCO2e) ≤ cap."""
    cap = problem.options.emission_cap_t
    if cap is None:
        return
    emis = m.arrays()["emis"]
    cols = np.nonzero(emis)[0]
    row = m.add_rows("emission_cap", None, np.array([-1]), -INF, cap, span=(0, problem.n_steps))
    m.add_coefs(row[0], cols, emis[cols] / 1000.0)


def add_battery_mode(m: LinearModel, site: Site, n: int, options: Options) -> None:
    """battery_mode (MILP): no simultaneous charge and discharge, only where it can bind."""
    mode = options.no_simultaneous_charge
    if mode is False or not options.is_milp or site.battery is None:
        return
    sid = site.site_id
    ch, dis = m.cols("charge", sid), m.cols("discharge", sid)
    if ch is None or dis is None:
        return
    if mode == "auto":
        # Wasting energy through the battery pays (or is free, once surplus energy is stored)
        # only if energy can be paid for: a negative effective import price somewhere.
        eff = _arr(site.price_cny_per_kwh, n) + options.carbon_price_cny_per_t / 1000.0 * _arr(
            site.carbon_kg_per_kwh, n
        )
        if not (eff < 0).any():
            return
    steps = np.arange(n)
    p = site.battery.power_kw
    z = m.add_vars("battery_mode", sid, steps, 0.0, 1.0, integer=True)
    r1 = m.add_rows("battery_mode", sid, steps, -INF, 0.0, item="charge")
    m.add_coefs(r1, ch.idx[steps], 1.0)
    m.add_coefs(r1, z, -p)
    r2 = m.add_rows("battery_mode", sid, steps, -INF, p, item="discharge")
    m.add_coefs(r2, dis.idx[steps], 1.0)
    m.add_coefs(r2, z, p)


def add_job_integrality(m: LinearModel, problem: Problem) -> None:
    """job_on / job_one_site / job_start / job_min_run (MILP only, jobs that need them)."""
    if not problem.options.is_milp:
        return
    for job, allowed in iter_jobs(problem):
        if not job.needs_integers:
            continue
        jid = job.job_id
        steps = np.arange(job.release, job.deadline)
        w = len(steps)
        ons = []
        for sid in allowed:
            x = m.cols("job", sid, jid)
            assert x is not None
            on = m.add_vars("job_on", sid, steps, 0.0, 1.0, integer=True, item=jid)
            ons.append(on)
            r = m.add_rows("job_on", sid, steps, -INF, 0.0, item=f"{jid}:max")
            m.add_coefs(r, x.idx, 1.0)
            m.add_coefs(r, on, -job.max_kw)
            kw_min = job_min_kw(job)
            if kw_min > 0:
                r = m.add_rows("job_on", sid, steps, 0.0, INF, item=f"{jid}:min")
                m.add_coefs(r, x.idx, 1.0)
                m.add_coefs(r, on, -kw_min)
        if len(ons) > 1:
            r = m.add_rows("job_one_site", None, steps, -INF, 1.0, item=jid)
            for on in ons:
                m.add_coefs(r, on, 1.0)
        if job.preemptible and job.min_run_steps <= 1:
            continue
        # start[t] ≥ u[t] − u[t−1] with u = Σ_sites on (u[release−1] = 0); start continuous
        start = m.add_vars("job_start", None, steps, 0.0, 1.0, item=jid)
        r = m.add_rows("job_start", None, steps, 0.0, INF, item=jid)
        m.add_coefs(r, start, 1.0)
        for on in ons:
            m.add_coefs(r, on, -1.0)
            m.add_coefs(r[1:], on[:-1], 1.0)
        if not job.preemptible:
            r1 = m.add_rows("job_start", None, np.array([-1]), -INF, 1.0, item=f"{jid}:once")
            m.add_coefs(r1[0], start, 1.0)
        mr = job.min_run_steps
        if mr > 1:
            # Σ_{τ=t}^{t+mr−1} u[τ] − mr·start[t] ≥ 0, τ clipped to the window (beyond = off)
            r = m.add_rows("job_min_run", None, steps, 0.0, INF, item=jid)
            m.add_coefs(r, start, -float(mr))
            k = np.arange(w)
            for off in range(mr):
                sel = k + off < w
                for on in ons:
                    m.add_coefs(r[sel], on[k[sel] + off], 1.0)


def add_backup_min_load(m: LinearModel, site: Site, options: Options) -> None:
    """backup_on (MILP): a running backup generator carries at least its minimum load:
    min_load·kW·on ≤ backup ≤ kW·on, on binary, in the steps it may run."""
    x = m.cols("backup", site.site_id)
    if x is None or site.backup_min_load <= 0 or not options.is_milp:
        return
    sid = site.site_id
    kw = site.backup_gen_kw
    on = m.add_vars("backup_on", sid, x.steps, 0.0, 1.0, integer=True)
    r = m.add_rows("backup_on", sid, x.steps, -INF, 0.0, item="max")
    m.add_coefs(r, x.idx, 1.0)
    m.add_coefs(r, on, -kw)
    r = m.add_rows("backup_on", sid, x.steps, 0.0, INF, item="min_load")
    m.add_coefs(r, x.idx, 1.0)
    m.add_coefs(r, on, -site.backup_min_load * kw)


def build_model(problem: Problem) -> LinearModel:
    """Build the whole model (every site, shared jobs, options) as a :class:`LinearModel`."""
    warnings = validate(problem)
    m = LinearModel(carbon_price_cny_per_t=problem.options.carbon_price_cny_per_t)
    m.warnings.extend(warnings)
    n = problem.n_steps
    for site in problem.sites:
        add_site_variables(m, site, n)
    add_job_variables(m, problem)
    for site in problem.sites:
        add_power_balance(m, site, n)
        add_battery(m, site, n)
        add_contract_limit(m, site, n)
        add_export_limit(m, site, n)
        add_peak(m, site, n)
        add_green_share(m, site, n)
        add_battery_mode(m, site, n, problem.options)
        add_backup_min_load(m, site, problem.options)
    add_jobs(m, problem)
    add_job_integrality(m, problem)
    add_emission_cap(m, problem)
    return m
