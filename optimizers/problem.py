"""The data of the 源网荷储 dispatch optimiser: inputs (:class:`Site`, :class:`Battery`,
:class:`Job`, :class:`Options`, :class:`Problem`), the result (:class:`DispatchResult`) and the
table columns.  Data only: this module imports nothing of ``optimizers``.  The public functions
(``solve``, ``frontier``, ``validate``, ``prorate_demand_charge``) live in ``optimizers``::

    from optimizers import Battery, Job, Site, Options, Problem, DispatchResult, solve, frontier

Conventions (DESIGN §5):

- Power in kW (mean over a step), energy in kWh, money in CNY, emissions in kg (per step) and
  tCO2e (totals), prices in CNY/kWh, carbon intensity in kgCO2e/kWh, carbon price in CNY/tCO2e.
- Every site of one :class:`Problem` shares the same time grid: a regular ``pd.DatetimeIndex``
  in Asia/Shanghai with ``len(index)`` steps of ``step_hours`` hours.  Job ``release`` and
  ``deadline`` are step indices into that grid; a job may run in steps ``[release, deadline)``.
- ``demand_charge_cny_per_kw`` is charged ONCE on the peak grid import (kW) of the horizon.  The
  caller prorates a monthly charge for shorter horizons (``optimizers.prorate_demand_charge``);
  nothing is prorated inside the model.
- Green share (DESIGN §5 "green-power share ≥ target") is::

      (Σ (pv_used + wind_used − grid_export) · dt + green_purchase_kwh) / Σ facility · dt

  i.e. on-site renewable energy consumed on site (exports are netted out so that exported PV does
  not count) plus bought green power (绿电/绿证), over facility energy.  Battery losses are not
  traced back to their source (kept simple on purpose).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

TZ = "Asia/Shanghai"

ProgressFn = Callable[[str, float], None]


@dataclass
class Battery:
    """Battery energy storage.  ``soc_*`` are fractions of ``energy_kwh``.

    Dynamics: ``soc[t] = soc[t-1] + (eta_charge·charge[t] − discharge[t]/eta_discharge)·dt`` with
    ``soc[-1] = soc_init·energy_kwh`` and ending state of charge ≥ starting state of charge
    (or ≥ ``soc_end_min`` when given).

    ``soc_init="free"`` (cyclic, as PyPSA's ``cyclic_state_of_charge`` / ``e_cyclic``): the
    optimiser chooses the starting state ``soc[-1]`` within ``[soc_min, soc_max]`` and the ending
    state equals it (or, with ``soc_end_min`` given, is ≥ that floor instead).  The start chosen is
    reported as the KPI ``soc_start_kwh``.
    """

    energy_kwh: float
    power_kw: float
    eta_charge: float = 0.95
    eta_discharge: float = 0.95
    soc_init: float | Literal["free"] = 0.5
    soc_min: float = 0.1
    soc_max: float = 0.95
    soc_end_min: float | None = None  # ending SOC floor (fraction); None = soc_init (or cyclic)
    # Degradation, chosen in the scenario (either, both or neither): a cost per kWh of throughput
    # (kWh discharged, AC side) in the objective, and/or a cap on equivalent full cycles per plan
    # day (kWh discharged / energy_kwh, row family ``battery_cycles``).
    degradation_cost_cny_per_kwh: float = 0.0
    max_cycles_per_day: float | None = None

    @property
    def cyclic(self) -> bool:
        """The starting state is chosen by the optimiser (``soc_init == "free"``)."""
        return isinstance(self.soc_init, str)

    @property
    def soc_init_kwh(self) -> float:
        """The fixed starting energy (kWh); NaN for a free (cyclic) start."""
        return math.nan if self.cyclic else float(self.soc_init) * self.energy_kwh


@dataclass
class Job:
    """A flexible compute job (kWh of IT energy) that may run in steps ``[release, deadline)``.

    ``sites=None`` means the site whose ``jobs`` list holds it; a job of ``Problem.shared_jobs``
    (东数西算 shared pool) lists the sites it may run at (``None`` there = every site).
    ``min_kw_when_running``, ``preemptible=False`` and ``min_run_steps > 1`` are integer features:
    they are enforced only in MILP mode (``Options.milp`` or ``Options.job_integrality``) and are
    relaxed (ignored) in LP mode, with a warning in :attr:`DispatchResult.warnings`.  In MILP mode
    a running job draws at least ``min_kw_when_running`` (1 % of ``max_kw`` when that is 0 and the
    job is non-preemptible or has a minimum run time).
    """

    job_id: str
    release: int
    deadline: int
    energy_kwh: float
    max_kw: float
    min_kw_when_running: float = 0.0
    preemptible: bool = True
    min_run_steps: int = 1
    sites: tuple[str, ...] | None = None
    # the window asked for, in steps, when the plan horizon cut it to [release, deadline)
    # (e.g. a 22:00–06:00 job on the last plan day); None = not cut.  Reported as a warning,
    # in the KPI ``jobs_clipped`` and in an infeasibility explanation.
    requested_window: tuple[int, int] | None = None
    # moving work between sites (东数西算, shared jobs only; docs/dispatch.md "Moving work between
    # sites"): the site where the job's data lives (None = the first of its sites), the GB that
    # must move with it to run elsewhere, and the CNY of moving all of it (prorated by the share
    # of its energy run away from home)
    home_site: str | None = None
    data_gb: float = 0.0
    migration_cost_cny: float = 0.0

    @property
    def located(self) -> bool:
        """The job has a home site (any of ``home_site``, ``data_gb``, ``migration_cost_cny``
        given): running it elsewhere is a move.  Without them a shared job is a free pool job,
        as before: it runs at any of its sites and no move is reported."""
        return self.home_site is not None or self.data_gb > 0 or self.migration_cost_cny > 0

    @property
    def needs_integers(self) -> bool:
        return self.min_kw_when_running > 0 or not self.preemptible or self.min_run_steps > 1


@dataclass
class DemandResponseEvent:
    """A demand-response / 有序用电 event at one site, over steps ``[start, end)``.

    The site's grid import must stay at or below ``cap_kw`` (one value per step of the event:
    a ``cap_kw`` event, or ``baseline − reduction_kw`` for a reduction event; row family
    ``demand_response``, named in an infeasibility explanation). The energy below the baseline
    is paid at ``compensation_cny_per_kwh`` (a negative cost in the objective; KPI
    ``dr_compensation_cny``) — only in steps whose cap lies at or below the baseline: above it
    ``max(0, baseline − import)`` is not linear, and no programme pays for load it did not ask
    to be shed."""

    event_id: str
    start: int
    end: int
    cap_kw: np.ndarray
    baseline_kw: np.ndarray
    compensation_cny_per_kwh: float = 0.0
    kind: Literal["cap", "reduction"] = "cap"
    reason: str = ""

    @property
    def paid(self) -> np.ndarray:
        """Steps of the event whose reduction below the baseline is paid (bool per step): a
        compensation price, and a cap at or below the baseline."""
        if self.compensation_cny_per_kwh <= 0:
            return np.zeros(len(self.cap_kw), dtype=bool)
        return self.cap_kw <= self.baseline_kw + 1e-9

    def clipped(self, a: int, b: int) -> DemandResponseEvent | None:
        """The part of the event inside steps ``[a, b)``, re-indexed from ``a`` (rolling windows)."""
        lo, hi = max(self.start, a), min(self.end, b)
        if hi <= lo:
            return None
        sl = slice(lo - self.start, hi - self.start)
        return DemandResponseEvent(
            self.event_id,
            lo - a,
            hi - a,
            self.cap_kw[sl],
            self.baseline_kw[sl],
            self.compensation_cny_per_kwh,
            self.kind,
            self.reason,
        )


@dataclass
class Site:
    """One data-centre site with its own grid connection.  Arrays have one value per step."""

    site_id: str
    uscc: str | None
    index: pd.DatetimeIndex
    step_hours: float
    it_base_kw: np.ndarray
    pue: np.ndarray
    pv_kw: np.ndarray
    wind_kw: np.ndarray
    price_cny_per_kwh: np.ndarray
    carbon_kg_per_kwh: np.ndarray
    export_price_cny_per_kwh: np.ndarray | float = 0.0
    grid_import_max_kw: float | np.ndarray = math.inf  # per step: outages / import-limit steps
    grid_export_max_kw: float = 0.0
    contract_kw: float | None = None
    demand_charge_cny_per_kw: float = 0.0
    battery: Battery | None = None
    green_share_target: float | None = None
    pue_target: float = 1.25
    jobs: list[Job] = field(default_factory=list)
    # Backup (diesel) generator: rated kW, cost CNY/kWh generated (fuel + O&M), emissions
    # kgCO2/kWh generated (specific fuel consumption × the library's diesel factor), minimum load
    # (fraction of backup_gen_kw while running; MILP only, relaxed in LP mode with a warning).
    # backup_rule "grid_limited" (default): it may run only in the steps where the grid cannot
    # serve (``optimizers.variables.backup_allowed``; or the explicit ``backup_available`` mask);
    # "economic": in every step, at its cost.
    backup_gen_kw: float = 0.0
    backup_cost_cny_per_kwh: float = 0.0
    backup_kg_per_kwh: float = 0.0
    backup_min_load: float = 0.0
    # MILP unit commitment of the backup: a cost per start (CNY) and a minimum up-time (steps),
    # enforced within each run of steps where it may run (``optimizers.constraints``)
    backup_startup_cny: float = 0.0
    backup_min_up_steps: int = 1
    backup_rule: Literal["grid_limited", "economic"] = "grid_limited"
    backup_available: np.ndarray | None = None
    backup_factor: str | None = None  # factor id and version behind backup_kg_per_kwh
    green_purchase_kwh: float = 0.0  # bought green power (绿电/绿证) counted in the green share
    peak_floor_kw: float = 0.0  # peak already set earlier in the billing period (demand charge)
    # ``forecast: model`` asked for, but the lake forecast was missing or gappy: the inputs fell
    # back (reason in Problem.notes); reported as the KPI ``forecast_fallback``
    forecast_fallback: bool = False
    # the scenario key ``forecast`` the inputs came from: "perfect", "model" or "risk_aware"
    forecast_mode: str = "perfect"
    # ``forecast: risk_aware``: the adverse scenario (P90 IT load, kW; P10 PV, kW) the plan must
    # also serve (optimizers.risk); None = risk neutral (both None or both given)
    it_adverse_kw: np.ndarray | None = None
    pv_adverse_kw: np.ndarray | None = None
    dr_events: list[DemandResponseEvent] = field(default_factory=list)
    # IT kW drawn per GPU (server share included) where the site gives one: the virtual
    # capacity curve (optimizers.vcc) then also counts GPUs = floor(kW / kw_per_gpu); None = no GPU
    # count
    kw_per_gpu: float | None = None

    @property
    def n_steps(self) -> int:
        return len(self.index)


@dataclass
class Options:
    """Modelling and solving options.

    - ``milp``: allow integer features.  Without it (and without ``job_integrality``) the model is a
      pure LP (DESIGN §5: "the LP must stay an LP unless the user asks for integer features").
    - ``no_simultaneous_charge``: ``"auto"`` adds the charge/discharge binary only where
      simultaneous charge and discharge can pay: in MILP mode, at sites whose effective import
      price (incl. carbon) is negative at some step; ``True`` at every site and step (implies
      MILP); ``False`` never.
    - ``job_integrality``: model on/off, minimum power, non-preemption and minimum run time of jobs
      that have them (implies MILP).
    - ``carbon_price_cny_per_t``: added to the objective per tCO2e emitted (grid import and backup).
    - ``emission_cap_t``: cap on total tCO2e of all sites over the horizon.
    - ``rolling_window_steps``: solve in consecutive windows of this many steps, carrying state of
      charge, the peak and the remaining job energy forward (for very long horizons).
    - ``adverse_weight``: weight of the adverse scenario's recourse cost (extra import, CNY incl.
      carbon) in a risk-aware plan's objective (sites with ``it_adverse_kw``; ``optimizers.risk``).
    """

    milp: bool = False
    no_simultaneous_charge: bool | Literal["auto"] = "auto"
    job_integrality: bool = False
    carbon_price_cny_per_t: float = 0.0
    emission_cap_t: float | None = None
    rolling_window_steps: int | None = None
    # weight (probability) of the adverse scenario's recourse cost in the objective of a
    # risk-aware plan (optimizers.risk); the P50 scenario has the rest of the weight implicitly
    adverse_weight: float = 0.1

    @property
    def is_milp(self) -> bool:
        return bool(self.milp or self.job_integrality or self.no_simultaneous_charge is True)


@dataclass
class Link:
    """A data link between two sites for moving shared jobs' data (one direction:
    ``from_site`` → ``to_site``): ``gbit_s`` (Gbit/s) sets the transfer time of a job's data,
    ``budget_gb_per_day`` (GB per plan day) caps the data moved over it."""

    from_site: str
    to_site: str
    gbit_s: float
    budget_gb_per_day: float

    def transfer_hours(self, data_gb: float) -> float:
        """Hours to move ``data_gb`` GB: GB × 8 Gbit/GB / (Gbit/s) / 3600 s/h."""
        return data_gb * 8.0 / self.gbit_s / 3600.0


@dataclass
class Problem:
    sites: list[Site]
    shared_jobs: list[Job] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    # data links for moving shared jobs between sites (see Job.data_gb)
    links: list[Link] = field(default_factory=list)
    # warnings of whoever built the problem (e.g. the scenario builder), passed on to
    # DispatchResult.warnings
    notes: list[str] = field(default_factory=list)

    @property
    def n_steps(self) -> int:
        return self.sites[0].n_steps if self.sites else 0

    @property
    def step_hours(self) -> float:
        return self.sites[0].step_hours

    @property
    def index(self) -> pd.DatetimeIndex:
        return self.sites[0].index


PLAN_COLUMNS: tuple[str, ...] = (
    "site_id",
    "ts",
    "it_kw",
    "job_kw",
    "facility_kw",
    "pv_used_kw",
    "pv_curtailed_kw",
    "wind_used_kw",
    "wind_curtailed_kw",
    "grid_import_kw",
    "grid_export_kw",
    "battery_charge_kw",
    "battery_discharge_kw",
    "soc_kwh",
    "backup_kw",
    "price_cny_per_kwh",
    "carbon_kg_per_kwh",
    "marginal_price_cny_per_kwh",
)
JOB_COLUMNS: tuple[str, ...] = ("job_id", "site_id", "step", "kw")
#: KPIs of a risk-aware plan (``optimizers.risk``): NaN unless the site has an adverse scenario
RISK_KPI_COLUMNS: tuple[str, ...] = (
    "adverse_cost_cny",
    "adverse_tco2",
    "adverse_green_share",
    "adverse_unserved_kwh",
    "adverse_jobs_on_time",
    "robustness_cost_cny",
    "robustness_tco2",
)
KPI_COLUMNS: tuple[str, ...] = (
    "site_id",
    "cost_cny",
    "energy_cost_cny",
    "export_revenue_cny",
    "backup_cost_cny",
    "backup_kwh",
    "backup_tco2",
    "backup_kg_per_kwh",
    "backup_factor",
    "backup_starts",
    "demand_charge_cny",
    "carbon_cost_cny",
    "tco2",
    "green_share",
    "green_share_target",
    "cue_kg_per_kwh",
    "pue_realised",
    "pue_target",
    "pue_target_met",
    "peak_kw",
    "facility_kwh",
    "it_kwh",
    "grid_import_kwh",
    "curtailment_kwh",
    "battery_cycles",
    "battery_degradation_cny",
    "dr_events",
    "dr_reduction_kwh",
    "dr_compensation_cny",
    "soc_start_kwh",
    "jobs_on_time",
    "jobs_total",
    "jobs_clipped",
    "shared_jobs_run",
    "jobs_moved_in",
    "migration_cost_cny",
    "data_moved_gb",
    "forecast_fallback",
    "forecast_mode",
    *RISK_KPI_COLUMNS,
)
BINDING_COLUMNS: tuple[str, ...] = ("family", "site_id", "step", "item", "dual", "slack")
#: one row per shared job and site it ran at away from its home site (docs/dispatch.md)
MOVE_COLUMNS: tuple[str, ...] = (
    "job_id",
    "from_site",
    "to_site",
    "moved_share",
    "moved_kwh",
    "data_gb",
    "transfer_hours",
    "migration_cost_cny",
)


@dataclass
class DispatchResult:
    """Outcome of :func:`solve`.

    - ``status``: ``optimal`` | ``infeasible`` | ``time_limit`` | ``unbounded`` | ``error``.
      ``time_limit`` with a plan means a feasible, not proven optimal, solution.
    - ``objective``: CNY (energy − export revenue + demand charge + carbon cost + backup cost
      + battery degradation − demand-response compensation).
    - ``plan``: one row per site × step, columns :data:`PLAN_COLUMNS` (kW, kWh, CNY/kWh, kg/kWh).
      ``marginal_price_cny_per_kwh`` is the dual of the site's power-balance row per kWh: the
      cost of one more kWh of facility load at that step (LP; for MILP from the LP with integers
      fixed).
    - ``jobs``: columns :data:`JOB_COLUMNS`, kW of each job at each site and step (non-zero only).
    - ``kpis``: one row per site, columns :data:`KPI_COLUMNS`.
    - ``binding``: constraints and bounds with a non-zero dual, columns :data:`BINDING_COLUMNS`
      (``dual`` in CNY per unit of the row: kW for per-step rows, kWh for energy rows).
    - ``explanation``: for infeasible problems, which constraint families (and steps) make it so.
    - ``moves``: columns :data:`MOVE_COLUMNS`, each shared job's energy run away from its home
      site (share of its energy, kWh, GB moved, link transfer hours, migration CNY).
    """

    status: str
    objective: float
    plan: pd.DataFrame
    jobs: pd.DataFrame
    kpis: pd.DataFrame
    binding: pd.DataFrame
    explanation: str | None
    solver: str
    build_s: float
    solve_s: float
    mip_gap: float | None = None
    warnings: list[str] = field(default_factory=list)
    model_size: dict[str, int] = field(default_factory=dict)
    # set by every solve path (optimizers.results.moves_table); empty by default
    moves: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(MOVE_COLUMNS)))

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "time_limit") and not self.plan.empty
