"""The mean-field twin: the same model as ordinary differential equations.

The simulation follows individuals; the twin follows expected numbers. It
divides people into compartments by place (hospital places split by where
the person returns to), sub-group (carer; budget eligibility), needs level
and stage of the window after crisis care, and for each compartment tracks
how many hold each attribute (in work, a day centre place, a budget, ...).
Its attributes, stocks, counters, place supports, what a closure does and
the census all come from the same declarations as the model's
(``simulation.catalogue``, ``simulation.ledger``); every rate comes from the
same :class:`~simulation.hazards.HazardRules` (``tables``).

Where the simulation has fixed durations (lengths of stay, the 90-day
window after discharge, budget assessments, college terms) the twin uses
exponential (or Erlang) durations with the same means; where it has hard
capacities the twin uses Erlang's loss formula where the simulation turns people
away when full (the acute ward, home treatment) and a smooth limit elsewhere,
and waiting lists claim free places before other routes. With capacity not
binding and a large population the two agree (``mhsim verify``); under
binding capacity they differ because queues and chance are what the
simulation adds.

Accuracy: the equations are integrated to a tolerance chosen by a
convergence test (:data:`TOLERANCE`; ``docs/twin.md``), and the scenarios of
a comparison are integrated *together*, as one system on the same steps
(:func:`run_twins`), so that their paired differences carry no integration
noise of their own.

The twin writes the same snapshots as the simulation, so costs, QALYs and
every metric are computed by the same code (:func:`outcomes.summarise`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from scipy.optimize import brentq

from .. import catalogue
from ..equilibrium import crisis_rate, crisis_weighted_shares, leaving_crisis_care_per_day
from ..hazards import HazardRules
from ..ledger import RunRecord, Snapshot, join_counter, open_stocks
from ..outcomes import ReplicationResult, summarise
from ..parameters import DAYS_PER_MONTH, DAYS_PER_YEAR, Params
from ..people import FREQUENT, N_GROUPS, PLACE_NAMES, flag
from ..programmes import Programmes
from ..scenario import Action, Scenario, in_force_order
from . import flows
from .flows import PAR, derivatives
from .layout import (
    A_ASSESSING, A_BUDGET, A_CARER_SUPPORTED, A_EMPLOYED, A_FREQUENT, A_HEALTH_BUDGET, A_PAID_PEER_WORKER, A_PEER_LEADER,
    A_RAISED_RISK, A_RC_GRADUATE, A_RC_STUDENT, A_TUTOR, A_WAIT_ENABLEMENT, A_WAIT_RC, ACUTE_FROM_COMMUNITY, CELL_GROUP,
    CELL_STAGE, IN_COMMUNITY, IN_ENABLEMENT, IN_HOME_TREATMENT, IN_RECOVERED, IN_RESIDENTIAL, N_CELLS, N_TWIN_PLACES,
    OUT_OF_AREA_FROM_COMMUNITY, WINDOW_STAGES, Layout, cell, cell_flags, current_layout, open_levels, stock_matrix,
)
from .solver import integrate_segment
from .tables import RateTables, structure_key, support_event_index, tables_for

__all__ = ["Twin", "run_twin", "run_twins", "TOLERANCE", "Tolerance", "steady_state", "SteadyState"]


@dataclass(frozen=True)
class Tolerance:
    """How the equations are integrated."""

    rtol: float
    atol: float
    max_step: float = 90.0
    method: str = "RK23"
    """An explicit Runge-Kutta pair (``solver.TABLEAUS``): the steps are limited by the fastest
    processes (stays and episodes of weeks), not by accuracy."""


TOLERANCE = Tolerance(rtol=1e-6, atol=1e-6)
"""Chosen by a convergence test: tightening rtol tenfold moves no headline paired difference of a
shipped scenario by 0.5% or more (``tests/test_twin.py``; figures in ``docs/twin.md``)."""

_MATRICES: dict[tuple, Any] = {}


def _matrix(layout: Layout):
    key = (layout.attributes, layout.stock_names)
    found = _MATRICES.get(key)
    if found is None:
        found = _MATRICES[key] = stock_matrix(layout)
    return found


class Twin:
    """Expected numbers of people over time under one scenario."""

    def __init__(self, scenario: Scenario, years: float | None = None, warmup_years: float | None = None):
        self.scenario = scenario
        s = scenario.settings
        self.years = float(years if years is not None else s.years)
        self.warmup_days = float(warmup_years if warmup_years is not None else s.warmup_years) * DAYS_PER_YEAR
        self.end = self.warmup_days + self.years * 12 * DAYS_PER_MONTH
        self.layout = current_layout()
        self.matrix = _matrix(self.layout)
        self.versions: list[dict[str, Any]] = []
        self.risk_multiplier = 1.0
        self.risk_months = 0.0
        self.segment_start = 0.0
        self.cohort_size = 0.0
        self.evaluations = 0
        """Right-hand sides evaluated by the last run (shared by twins integrated together)."""
        self.contracts: dict[str, bool] = {}
        """Block contracts running (the model's 0/1 ``open_*`` stocks): while open, and for the declared
        double-running months after closing."""
        self.contract_ends: dict[str, float] = {}
        self._open_cache: dict[tuple, np.ndarray] = {}
        self._set_values(dict(scenario.values))
        self.update_contracts(0.0)
        self.programmes = Programmes(self.P)
        self._args: tuple | None = None
        """The kernel's arguments; None until needed after the parameters, services or raised risk change
        (several decisions of one date then build the rate tables once, for the last)."""

    # -- parameters in force -------------------------------------------------------
    def _set_values(self, values: dict[str, Any]) -> None:
        self.versions.append(values)
        self.version = len(self.versions) - 1
        self.P = Params(values)
        self.open = {name: bool(values[s.open_path]) if s.open_path else True for name, s in catalogue.SERVICES.items()}

    def _configure(self) -> None:
        """Rate tables and the kernel's arguments for the parameters, services open and raised risk in force."""
        rules = HazardRules(self.P, self.open, [1.0, self.risk_multiplier])
        key = repr((sorted(self.versions[-1].items()), sorted(self.open.items()), self.risk_multiplier,
                    self.layout.attributes, [s.name for s in self.layout.supports]))
        structure = structure_key(self.versions[-1], self.open, self.risk_multiplier, self.layout)
        self.tables = tables_for(key, rules, self.layout, structure)
        self._args = self._kernel_args(self.tables)

    @property
    def args(self) -> tuple:
        """The kernel's arguments for what is in force now (built when first needed)."""
        if self._args is None:
            self._configure()
        assert self._args is not None
        return self._args

    @args.setter
    def args(self, value: tuple) -> None:
        self._args = value

    def _par(self) -> np.ndarray:
        P, sv = self.P, self.P.services
        par = np.zeros(flows.N_PAR)

        def put(name: str, value: float) -> None:
            par[PAR[name]] = float(value)

        ht, ab, pb, ps, rc = sv.crisis_home_treatment, sv.acute_beds, sv.personal_budgets, sv.peer_support, sv.recovery_college
        put("beds", ab.beds_in_area)
        put("home_treatment_caseload", ht.caseload)
        put("home_treatment_open", self.open["crisis_home_treatment"])
        put("tenancies", sv.enablement.tenancies_operative)
        put("enablement_open", self.open["enablement"])
        put("admission_share_severe", P.crisis.admission_share_severe)
        put("admission_share_moderate", P.crisis.admission_share_moderate)
        put("home_treatment_mean_days", ht.episode_median_days * np.exp(ht.episode_spread ** 2 / 2))
        put("stay_mean_days", ab.stay_median_days * np.exp(ab.stay_spread ** 2 / 2))
        put("discharge_to_residential_severe", ab.discharge_to_residential_share_severe)
        put("discharge_to_enablement_severe", ab.discharge_to_enablement_share_severe)
        put("raised_risk_days", self.risk_months * DAYS_PER_MONTH)
        put("window_days", P.crisis.after_discharge_days)
        put("relapse_in_crisis_share", P.recovery.relapse_in_crisis_share)
        put("referrals_per_day", P.population.referrals_per_year / DAYS_PER_YEAR)
        put("referral_in_crisis_share", P.population.referral_in_crisis_share)
        put("employed_share_at_arrival", P.population.employed_share_at_start)
        put("assessment_days", 7 * (pb.assessment_weeks if pb.integrated_assessment else 2 * pb.assessment_weeks))
        put("budget_dropout", pb.dropout_share_integrated if pb.integrated_assessment else pb.dropout_share_separate)
        put("budgets_open", self.open["personal_budgets"])
        put("assessment_nhs_share", pb.health_budget_share if pb.integrated_assessment else 1.0)
        put("assessment_council_share", (1 - pb.health_budget_share) if pb.integrated_assessment else 1.0)
        put("peer_base_places", ps.base_places)
        put("peer_places_per_leader", ps.people_per_leader)
        put("peer_open", self.open["peer_support"])
        put("college_open", self.open["recovery_college"])
        put("term_days", rc.term_weeks * 7)
        put("places_per_term", rc.places_per_term)
        put("tutors_by_experience", rc.tutors_by_experience)
        put("students_per_tutor", rc.students_per_tutor)
        put("completion_share", rc.completion_share)
        put("graduate_peer_worker_share", rc.graduate_peer_worker_share)
        put("graduate_tutor_share", rc.graduate_tutor_share)
        put("reporting_start", self.warmup_days)
        put("cohort_end", self.warmup_days + 30 * DAYS_PER_MONTH)
        # the programmes from this segment's start (closed form in flows.programme_factors)
        zs, cl = P.programmes.zero_suicide, P.programmes.carer_led_training
        pr = self.programmes
        put("segment_start", self.segment_start)
        put("zs_trained", pr.zero_suicide.trained)
        put("zs_inflow", zs.trainees_per_year)
        put("zs_outflow", zs.staff_turnover_per_year + zs.skill_decay_per_year)
        put("zs_workforce", zs.workforce)
        put("zs_suicide_reduction", zs.suicide_reduction_at_full_coverage)
        put("zs_crisis_reduction", zs.crisis_reduction_at_full_coverage)
        put("cl_trained", pr.carer_training.trained)
        put("cl_inflow", cl.carer_trainers * cl.staff_trained_per_trainer_per_year)
        put("cl_outflow", cl.staff_turnover_per_year)
        put("cl_workforce", cl.workforce)
        put("cl_uptake_multiplier", cl.assessment_uptake_multiplier_at_full_coverage)
        if pb.market_years_to_mature > 0:
            put("market_maturity", pr.market_maturity)
            put("market_per_year", (1 - pb.market_maturity_at_start) / pb.market_years_to_mature)
        else:
            put("market_maturity", 1.0)
        put("pb_effect_on_recovery", pb.effect_on_recovery)
        put("pb_effect_on_crisis", pb.effect_on_crisis)
        put("pb_effect_on_work", pb.effect_on_work)
        put("health_route_share", pb.health_budget_share)
        put("frequent_at_arrival", P.crisis.frequent_attender_share)
        return par

    def _supports_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One row per declared place support: its attributes, events, counter, places, open."""
        lay = self.layout
        n = len(lay.supports)
        sup = np.zeros((n, 7), dtype=np.int64)
        sup_f = np.zeros((n, 2))
        excluded = np.zeros((n, lay.n_attributes))
        counters = lay.counter_names
        for i, spec in enumerate(lay.supports):
            join, leave, give_up = support_event_index(lay, i)
            sup[i] = (lay.index(flag(spec.holds or "")), lay.index(flag(spec.waits or "")), join, leave, give_up,
                      counters.index(join_counter(spec)), 1 if spec.name == "peer_support" else 0)
            sup_f[i] = (self.P.get(catalogue.declared(spec.places_path)), 1.0 if self.open[spec.name] else 0.0)
            for name in spec.join_excludes:
                excluded[i, lay.index(flag(name))] = 1.0
        return sup, sup_f, excluded

    def _kernel_args(self, tb: RateTables) -> tuple:
        lay = self.layout
        n_a = lay.n_attributes
        slots: dict[tuple[int, int], int] = {}
        for e, a in zip(tb.held_event.tolist(), tb.held_attribute.tolist()):
            slots.setdefault((e, a), len(slots))
        slot_of = -np.ones(tb.mult.shape[:2], dtype=np.int64)
        for (e, a), s in slots.items():
            slot_of[e, a] = s
        keep_all = np.ones(n_a)
        keep_res = lay.dropped_leaving_community.copy()
        keep_recovered = keep_res.copy()
        keep_recovered[A_WAIT_ENABLEMENT] = 0.0
        keep_moving_on = keep_all.copy()
        keep_moving_on[A_WAIT_ENABLEMENT] = 0.0
        keep = np.vstack([keep_all, keep_res, keep_recovered, keep_moving_on, keep_moving_on])
        sup, sup_f, excluded = self._supports_table()
        M = self.matrix
        return (self._par(), self._arrival_mix(), tb.base, tb.mult, tb.relevant, tb.n_relevant, tb.factor_cells,
                tb.held_event, tb.held_attribute, tb.held_factor_index, tb.held_cells, slot_of, sup, sup_f, excluded, keep,
                M.indptr.astype(np.int64), M.indices.astype(np.int64), M.data, self._levels_of(self.contracts),
                len(lay.counter_names))

    def _arrival_mix(self) -> np.ndarray:
        pop = self.P.population
        mix = np.zeros(N_CELLS)
        for g, gs in enumerate(_group_shares(pop)):
            mix[cell(g, 1, 0)] = gs * pop.severe_share_of_referrals
            mix[cell(g, 0, 0)] = gs * (1 - pop.severe_share_of_referrals)
        return mix

    def derivatives(self, t: float, y: np.ndarray) -> np.ndarray:
        return derivatives(t, y, *self.args)

    # -- views of the state --------------------------------------------------------
    def people(self, y: np.ndarray) -> np.ndarray:
        return y[:self.layout.n_people].reshape(N_TWIN_PLACES, N_CELLS)

    def holders(self, y: np.ndarray) -> np.ndarray:
        lay = self.layout
        return y[lay.o_attributes:lay.o_counters].reshape(lay.n_attributes, N_TWIN_PLACES, N_CELLS)

    def counters(self, y: np.ndarray) -> np.ndarray:
        lay = self.layout
        return y[lay.o_counters:lay.o_areas].reshape(len(lay.counter_names), N_GROUPS)

    def _count(self, y: np.ndarray, name: str, per_cell: np.ndarray) -> None:
        """Add an expected count (place x cell) to a counter, by sub-group."""
        by_cell = np.asarray(per_cell).reshape(-1, N_CELLS).sum(0)
        self.counters(y)[self.layout.counter_names.index(name)] += np.bincount(CELL_GROUP, weights=by_cell, minlength=N_GROUPS)

    # -- the start -------------------------------------------------------------------
    def census(self) -> np.ndarray:
        """People in each place at the start, with what they hold (as the model's ``Census``): an
        equilibrium census, with the people in crisis care and in the window after it drawn in
        proportion to their crisis rate (``simulation.equilibrium``)."""
        P, lay = self.P, self.layout
        c, sv = P.census, P.services
        y = np.zeros(lay.size)
        N, A = self.people(y), self.holders(y)
        placed = {
            IN_HOME_TREATMENT: min(c.in_home_treatment, sv.crisis_home_treatment.caseload),
            ACUTE_FROM_COMMUNITY: min(c.in_acute_beds, sv.acute_beds.beds_in_area),
            OUT_OF_AREA_FROM_COMMUNITY: c.out_of_area,
            IN_RESIDENTIAL: c.in_residential_care,
            IN_ENABLEMENT: min(c.in_enablement, sv.enablement.tenancies_operative),
        }
        placed[IN_COMMUNITY] = max(0.0, P.population.in_contact_at_start - sum(placed.values()))
        placed[IN_RECOVERED] = P.population.recovered_at_start
        for tp, total in placed.items():
            self._place_at_start(N, A, tp, total)
        self._recently_discharged(N, A)
        self._supports_at_start(N, A)
        return y

    def _place_at_start(self, N: np.ndarray, A: np.ndarray, tp: int, total: float) -> None:
        """``total`` people in twin place ``tp`` by sub-group and needs, some in work, some frequent attenders
        (as ``Census.create``: crisis care holds each kind in proportion to its crisis rate)."""
        pop, crisis = self.P.population, self.P.crisis
        supported = tp in (IN_RESIDENTIAL, IN_ENABLEMENT)
        in_crisis = tp in (IN_HOME_TREATMENT, ACUTE_FROM_COMMUNITY, OUT_OF_AREA_FROM_COMMUNITY)
        s_crisis, f_crisis = crisis_weighted_shares(pop.severe_share, crisis)
        if supported:
            severe = 1.0
        elif tp == IN_RECOVERED:
            severe = pop.recovered_severe_share_at_start
        else:
            severe = s_crisis if in_crisis else pop.severe_share
        employed = 0.0 if supported else (pop.recovered_employed_share_at_start if tp == IN_RECOVERED else pop.employed_share_at_start)
        for g, gs in enumerate(_group_shares(pop)):
            for s, sh in ((1, severe), (0, 1 - severe)):
                n = total * gs * sh
                k = cell(g, s, 0)
                N[tp, k] += n
                A[A_EMPLOYED, tp, k] += n * employed
                A[A_FREQUENT, tp, k] += n * (f_crisis[s] if in_crisis else crisis.frequent_attender_share)

    def _recently_discharged(self, N: np.ndarray, A: np.ndarray) -> None:
        """The window after crisis care at the start (as ``Census.recently_discharged``): as many as leave
        crisis care in its length (Little's law), from the community. The model draws them without
        replacement in proportion to crisis rates (Efraimidis-Spirakis: the first k to ring of clocks
        ringing at each person's rate); in expectation a person of rate w is among them with probability
        1 - exp(-w tau), tau such that k are. They are part way through: spread evenly over the stages."""
        P = self.P
        want = leaving_crisis_care_per_day(P) * P.crisis.after_discharge_days
        comm = N[IN_COMMUNITY].copy()
        freq = np.minimum(A[A_FREQUENT, IN_COMMUNITY], comm)
        k = min(want, comm.sum())
        if k <= 0:
            return
        w_other = np.array([crisis_rate(cell_flags(j), P.crisis) for j in range(N_CELLS)])
        w_freq = np.array([crisis_rate(cell_flags(j) | FREQUENT, P.crisis) for j in range(N_CELLS)])

        def chosen(tau: float) -> tuple[np.ndarray, np.ndarray]:
            return (comm - freq) * -np.expm1(-w_other * tau), freq * -np.expm1(-w_freq * tau)

        if k >= comm.sum() * (1 - 1e-12):
            other, frequent = comm - freq, freq
        else:
            hi = 1.0
            while sum(x.sum() for x in chosen(hi)) < k:
                hi *= 2
            tau = brentq(lambda t: sum(x.sum() for x in chosen(t)) - k, 0.0, hi, xtol=1e-12, rtol=1e-12)
            other, frequent = chosen(tau)
        moved = other + frequent
        share = np.divide(moved, comm, out=np.zeros_like(comm), where=comm > 0)
        stage0 = np.flatnonzero(CELL_STAGE == 0)
        for j in stage0:
            if moved[j] <= 0:
                continue
            hold = A[:, IN_COMMUNITY, j] * share[j]
            hold[A_FREQUENT] = frequent[j]
            N[IN_COMMUNITY, j] -= moved[j]
            A[:, IN_COMMUNITY, j] -= hold
            for stage in range(1, WINDOW_STAGES + 1):
                N[IN_COMMUNITY, j + stage] += moved[j] / WINDOW_STAGES
                A[:, IN_COMMUNITY, j + stage] += hold / WINDOW_STAGES

    def _supports_at_start(self, N: np.ndarray, A: np.ndarray) -> None:
        """Supports held in the community or a tenancy; budgets, carers, the enablement list.

        Peer leaders and graduates are spread evenly. A place support's users are taken from the
        budget-eligible and the others in the proportion ``census.support_users_budget_eligible_share``
        (as the model's ``_Picker.mixed``; the others make up any shortfall of the eligible), each group's
        part spread evenly over its cells: the caseload's eligible share is unchanged, the rest of it is
        left with fewer eligible."""
        P, lay = self.P, self.layout
        c, sv = P.census, P.services
        pool = np.zeros_like(N)
        pool[IN_COMMUNITY] = N[IN_COMMUNITY]
        pool[IN_ENABLEMENT] = N[IN_ENABLEMENT]
        eligible = (CELL_GROUP & 2) > 0
        spread = pool / pool.sum() if pool.sum() > 0 else pool
        pools = {True: pool * eligible, False: pool * ~eligible}
        left = {e: float(x.sum()) for e, x in pools.items()}      # not yet a place support's user
        share = c.support_users_budget_eligible_share
        for spec in lay.supports:
            if not self.open[spec.name]:
                continue        # a service closed at the start has no users
            places = P.get(catalogue.declared(spec.places_path))
            if spec.name == "peer_support":
                A[A_PEER_LEADER] += c.peer_leaders * spread
                places = sv.peer_support.base_places + sv.peer_support.people_per_leader * c.peer_leaders
            k = min(P.get(catalogue.declared(spec.census_path)), places)
            take = {True: min(k * share, left[True])}
            take[False] = min(k - take[True], left[False])
            take[True] = min(k - take[False], left[True])
            held = lay.index(flag(spec.holds or ""))
            for e, x in pools.items():
                if take[e] > 0:
                    A[held] += take[e] * x / x.sum()
                    left[e] -= take[e]
        A[A_RC_GRADUATE] += c.recovery_college_graduates * spread
        has_carer = (CELL_GROUP & 1) > 0
        A[A_BUDGET] += pool * eligible * c.budget_holders_share_of_eligible
        # the first part of the budget draw's range: a personal health budget
        A[A_HEALTH_BUDGET] += pool * eligible * c.budget_holders_share_of_eligible * c.health_budgets_share_of_holders
        A[A_CARER_SUPPORTED] += pool * has_carer * c.carers_supported_share
        residents = N[IN_RESIDENTIAL].sum()
        if residents > 0:
            A[A_WAIT_ENABLEMENT, IN_RESIDENTIAL] += min(c.waiting_for_enablement, residents) * N[IN_RESIDENTIAL] / residents

    def start_cohort(self, y: np.ndarray) -> None:
        """The residents whose move-on within 30 months is a calibration target: those in
        residential care when reporting starts (after any warm-up), as the model's."""
        self.cohort_size = float(self.people(y)[IN_RESIDENTIAL].sum())
        y[self.layout.o_cohort] = self.cohort_size

    # -- decisions -------------------------------------------------------------------
    def progs_now(self, t: float) -> Programmes:
        progs = self.programmes.copy()
        progs.advance(self.P, max(0.0, t - self.segment_start) / DAYS_PER_YEAR)
        return progs

    def apply_action(self, action: Action, t: float, y: np.ndarray) -> np.ndarray:
        """A decision at time ``t`` (as the model's ``Actions.apply``): new parameters, then the closure."""
        self.programmes = self.progs_now(t)
        self.segment_start = t
        values = dict(self.versions[-1])
        values.update(action.values)
        spec = catalogue.SERVICES.get(action.service) if action.service else None
        closing = action.verb == "close" and self.open.get(action.service or "", False)
        opening = action.verb == "open" and not self.open.get(action.service or "", True)
        if action.verb == "open" and spec and spec.open_path:
            values[spec.open_path] = True
        elif action.verb == "close" and spec and spec.open_path:
            values[spec.open_path] = False
        self._set_values(values)
        self.update_contracts(t)
        y = y.copy()
        if closing:
            self._count_once(y, f"closures_{action.service}")
            self.close(action, y)
        if opening:
            self._count_once(y, f"openings_{action.service}")
            if action.service == "peer_support":
                self._found_peer_leaders(y)
        self._args = None
        return y

    def _found_peer_leaders(self, y: np.ndarray) -> None:
        """Peer support opens with its founding leaders, people in the community not leading already, picked
        evenly among them (as the model's ``Peer.on_open``). Their places count at once: the users of a service
        closing the same day find them (the twin had left them out, so the day centre's users sent to peer
        support found 15 places, not 47)."""
        want = float(self.P.services.peer_support.founding_leaders)
        N, A = self.people(y), self.holders(y)
        free = np.clip(N[IN_COMMUNITY] - A[A_PEER_LEADER, IN_COMMUNITY], 0.0, None)
        if want <= 0 or free.sum() <= 0:
            return
        A[A_PEER_LEADER, IN_COMMUNITY] += free * min(1.0, want / free.sum())

    def _count_once(self, y: np.ndarray, name: str) -> None:
        """A service closed or opened: one-off costs are charged on these counters (as the model's, in group 0)."""
        names = self.layout.counter_names
        if name in names:
            self.counters(y)[names.index(name), 0] += 1.0

    # -- block contracts -----------------------------------------------------------
    def update_contracts(self, t: float) -> bool:
        """As the model's ``CountyModel.update_contracts``: a block contract runs while its service is open
        and for its declared double-running months after it closes; a service reopened meanwhile keeps its
        contract. Returns whether any contract changed."""
        changed = False
        for name in open_stocks():
            running = self.contracts.get(name, False)
            if self.open[name]:
                self.contract_ends.pop(name, None)
                self.contracts[name] = True
            elif running:
                end = self.contract_ends.get(name)
                if end is None:
                    spec = catalogue.REGISTRY[name]
                    months = self.P.get(spec.double_running) if spec.double_running else 0.0
                    end = self.contract_ends[name] = t + months * DAYS_PER_MONTH
                if end <= t + 1e-9:
                    self.contracts[name] = False
            changed |= self.contracts.get(name, False) != running
        return changed

    def contracts_at(self, t: float) -> dict[str, bool]:
        """Contracts running at ``t``: one ending at ``t`` has ended (as in the model, whose contract ends
        before a month-end snapshot at the same moment)."""
        return {name: running and self.contract_ends.get(name, np.inf) > t + 1e-9 for name, running in self.contracts.items()}

    def next_contract_end(self, t: float) -> float | None:
        """When the next running contract of a closed service ends, after ``t``."""
        ends = [e for name, e in self.contract_ends.items() if self.contracts.get(name) and e > t + 1e-9]
        return min(ends) if ends else None

    def end_contracts(self, t: float) -> None:
        """A boundary at ``t``: contracts due to end stop being paid (the kernel's open levels change)."""
        if self.update_contracts(t):
            self.args = self.args[:-2] + (self._levels_of(self.contracts), self.args[-1])

    def close(self, action: Action, y: np.ndarray) -> None:
        """A support closes: its users lose their places and are sent on by the redirect shares, in
        expectation; those left without a place face the raised crisis risk (``model/actions.py``)."""
        name = action.service or ""
        spec = catalogue.REGISTRY[name]
        lay = self.layout
        N, A = self.people(y), self.holders(y)
        if name == "enablement":
            A[A_WAIT_ENABLEMENT] = 0.0       # no new tenants; tenants stay
            return
        if not spec.redirects_users:
            return
        multiplier, months = self._closure_risk(action, spec)
        if name == "recovery_college":
            users = A[A_RC_STUDENT].copy()
            A[A_WAIT_RC] = 0.0
            A[A_EMPLOYED] -= A[A_TUTOR]      # tutors by experience lose their jobs
            A[A_TUTOR] = 0.0
            A[A_RC_STUDENT] = 0.0
        else:
            hold, wait = lay.index(flag(spec.holds or "")), lay.index(flag(spec.waits or ""))
            users = A[hold].copy()
            A[wait] = 0.0
            if name == "peer_support":       # every leader's role ends; paid ones lose the job
                A[A_EMPLOYED] -= A[A_PAID_PEER_WORKER]
                A[A_PAID_PEER_WORKER] = 0.0
                A[A_PEER_LEADER] = 0.0
            A[hold] = 0.0
        np.clip(A, 0.0, None, out=A)
        self._count(y, "support_losses_on_closure", users)
        share = A / np.where(N > 1e-12, N, 1.0)
        placed = np.zeros_like(users)
        sent_total = 0.0
        for target, fraction in action.redirect:
            sent = users * fraction
            sent_total += fraction
            placed += self._redirect(y, target, sent, share)
        self._count(y, "redirected_nothing", users * max(0.0, 1.0 - sent_total))
        if multiplier != 1.0 and months > 0:
            at_risk = np.clip(users - placed, 0.0, None)
            A[A_RAISED_RISK] = np.minimum(A[A_RAISED_RISK] + at_risk, N)
            self.risk_multiplier, self.risk_months = multiplier, months

    def _closure_risk(self, action: Action, spec: catalogue.ServiceSpec) -> tuple[float, float]:
        if action.raised_risk is not None:
            return action.raised_risk
        if spec.closure_risk:
            return self.P.get(spec.closure_risk[0]), self.P.get(spec.closure_risk[1])
        return 1.0, 0.0

    def _redirect(self, y: np.ndarray, target: str, sent: np.ndarray, share: np.ndarray) -> np.ndarray:
        """Send ``sent`` people (place x cell) on to ``target``; returns those who got a place there."""
        lay = self.layout
        A = self.holders(y)
        placed = np.zeros_like(sent)
        if target in ("personal_budgets", catalogue.HEALTH_BUDGETS):
            self._refer_for_budget(y, target, sent, share)
            return placed
        if target in self.open and not self.open[target]:    # a closed service takes nobody (model/supports.py)
            self._count(y, "redirected_nothing", sent)
            return placed
        self._count(y, f"redirected_{target}", sent)
        if target == "recovery_college":
            if self.open["recovery_college"]:
                A[A_WAIT_RC] += sent * np.clip(1.0 - share[A_RC_GRADUATE] - share[A_RC_STUDENT] - share[A_WAIT_RC], 0.0, 1.0)
            return placed
        spec = next((s for s in lay.supports if s.name == target), None)
        if spec is None:
            return placed
        hold, wait = lay.index(flag(spec.holds or "")), lay.index(flag(spec.waits or ""))
        has = share[hold] + sum(share[lay.index(flag(n))] for n in spec.join_excludes)
        has = np.clip(has, 0.0, 1.0)
        placed += sent * has
        rest = sent * (1.0 - has)
        if not self.open[spec.name] or rest.sum() <= 0:
            return placed
        if spec.name == "peer_support":
            ps = self.P.services.peer_support
            capacity = ps.base_places + ps.people_per_leader * A[A_PEER_LEADER].sum()
        else:
            capacity = self.P.get(catalogue.declared(spec.places_path))
        free = max(0.0, capacity - A[hold].sum())
        got = min(1.0, free / rest.sum())
        waiting_already = np.clip(share[wait] / np.where(1.0 - has > 1e-12, 1.0 - has, 1.0), 0.0, 1.0)
        A[hold] += rest * got
        A[wait] += rest * (1.0 - got) * (1.0 - waiting_already) - rest * got * waiting_already
        placed += rest * got
        return placed

    def _refer_for_budget(self, y: np.ndarray, target: str, sent: np.ndarray, share: np.ndarray) -> None:
        """Referred for a council personal budget or (``catalogue.HEALTH_BUDGETS``) a personal health budget:
        the eligible without a budget or an assessment are assessed on that route, the rest get nothing
        (as the model's ``Budgets.redirect``)."""
        A = self.holders(y)
        health = target == catalogue.HEALTH_BUDGETS
        can = np.zeros_like(sent)
        if self.open["personal_budgets"]:
            can[:] = ((CELL_GROUP & 2) > 0) * np.clip(1.0 - share[A_BUDGET] - share[A_ASSESSING], 0.0, 1.0)
            can[IN_RESIDENTIAL] = 0.0
            can[IN_RECOVERED] = 0.0
        assessed = sent * can
        A[A_ASSESSING] += assessed
        if health:
            y[self.layout.o_route] += assessed.sum()
        self._count(y, f"redirected_{target}", assessed)
        self._count(y, "redirected_nothing", sent - assessed)
        self._count(y, "budget_applications", assessed)
        if self.P.services.personal_budgets.integrated_assessment:   # one assessment, paid by the route's payer
            self._count(y, "budget_assessments_nhs" if health else "budget_assessments_council", assessed)
        else:
            self._count(y, "budget_assessments_council", assessed)
            self._count(y, "budget_assessments_nhs", assessed)

    # -- snapshots -------------------------------------------------------------------
    def snapshot(self, t: float, y: np.ndarray) -> Snapshot:
        lay, M = self.layout, self.matrix
        levels = np.empty(M.shape[0])
        flows.stock_levels(y, lay.n_people, M.indptr, M.indices, M.data, levels)
        levels += self._open_levels(t)
        return Snapshot(
            t, self.version,
            _by_group(lay.stock_names, levels),
            _by_group(lay.stock_names, y[lay.o_areas:lay.o_cohort]),
            _by_group(lay.counter_names, y[lay.o_counters:lay.o_areas]),
            dict(self.progs_now(t).state()),
        )

    def _open_levels(self, t: float) -> np.ndarray:
        """The 0/1 'open' stocks at ``t`` (a contract ending at ``t`` has ended)."""
        return self._levels_of(self.contracts_at(t))

    def _levels_of(self, running: dict[str, bool]) -> np.ndarray:
        """The 0/1 'open' stocks for these contracts running, for the snapshots and the kernel alike: a run
        has a few contract states, each worked out from the stock names once."""
        key = tuple(sorted(running.items()))
        found = self._open_cache.get(key)
        if found is None:
            found = self._open_cache[key] = open_levels(self.layout, running)
        return found

    def record(self, snapshots: list[Snapshot], wall: float) -> RunRecord:
        stay = self.P.services.acute_beds
        return RunRecord(
            scenario_name=self.scenario.name, replication=0, seed=0, scale=1.0, warmup_days=self.warmup_days,
            horizon_days=self.end, snapshots=snapshots, versions=self.versions, flows=_flows(snapshots),
            acute_stays=[stay.stay_median_days], waits={}, little={}, checks={}, scheduler_events=0,
            peak_live_processes=0, wall_seconds=wall, cohort_residential=int(round(self.cohort_size)),
        )

    def run(self, tolerance: Tolerance | None = None) -> RunRecord:
        return integrate([self], tolerance)[0]


def _by_group(names: Sequence[str], values: np.ndarray) -> dict[str, tuple[float, ...]]:
    """Name -> one value per sub-group, from values laid out name by name (a snapshot's dictionaries)."""
    return dict(zip(names, zip(*values.reshape(-1, N_GROUPS).T.tolist())))


def _group_shares(pop) -> np.ndarray:
    """Shares of the four sub-groups (index 2 x budget-eligible + has-carer)."""
    e, c = pop.budget_eligible_share, pop.carer_share
    return np.array([(1 - e) * (1 - c), (1 - e) * c, e * (1 - c), e * c])


def _flows(snapshots: list[Snapshot]) -> list[list[float]]:
    """Moves between places for flow diagrams, from the twin's counters (main routes only)."""
    n = len(PLACE_NAMES)
    out = [[0.0] * n for _ in range(n)]
    if len(snapshots) < 2:
        return out
    first, last = snapshots[0], snapshots[-1]

    def d(name: str) -> float:
        return sum(last.counts[name]) - sum(first.counts[name])

    idx = {name: i for i, name in enumerate(PLACE_NAMES)}
    routes = (("community", "home_treatment", d("home_treatment_episodes")),
              ("community", "acute", d("acute_admissions") - d("out_of_area_placements")),
              ("community", "out_of_area", d("out_of_area_placements")), ("community", "recovered", d("recoveries")),
              ("recovered", "community", d("relapses")), ("community", "residential", d("residential_placements")),
              ("residential", "community", d("residential_move_ons")), ("enablement", "community", d("enablement_move_ons")),
              ("community", "died_suicide", d("suicides")), ("community", "died_other", d("deaths_other")),
              ("community", "moved_away", d("moved_away")))
    for src, dst, value in routes:
        out[idx[src]][idx[dst]] = value
    return out


# ---------------------------------------------------------------------------
# Integration: one or several scenarios, on the same steps


def integrate(twins: Sequence[Twin], tolerance: Tolerance | None = None) -> list[RunRecord]:
    """Integrate the twins of several scenarios as one system, on the same steps, so that their
    paired differences carry no integration error of their own; a record for each."""
    tol = tolerance or TOLERANCE
    started = time.perf_counter()
    first = twins[0]
    if any(t.end != first.end or t.warmup_days != first.warmup_days for t in twins):
        raise ValueError("twins integrated together need the same years and warm-up")
    t0, end = first.warmup_days, first.end
    ticks = [t0 + k * DAYS_PER_MONTH for k in range(int(round((end - t0) / DAYS_PER_MONTH)) + 1)
             if t0 + k * DAYS_PER_MONTH <= end + 1e-9]
    if abs(ticks[-1] - end) > 1e-9:
        ticks.append(end)
    # as the model's: actions of one date take effect together, closures last (model/actions.py in_force_order)
    actions = [[(t0 + a.day, a) for a in in_force_order(tw.scenario.actions) if t0 + a.day <= end] for tw in twins]
    bounds = sorted({0.0, t0, end} | {t for acts in actions for t, _ in acts}
                    | ({t0 + 30 * DAYS_PER_MONTH} if t0 + 30 * DAYS_PER_MONTH < end else set()))
    states = [tw.census() for tw in twins]
    sizes = [len(y) for y in states]
    snapshots: list[list[Snapshot]] = [[] for _ in twins]

    evaluations = 0
    a: float = bounds[0]
    while True:
        for i, tw in enumerate(twins):
            if abs(a - t0) < 1e-9:
                tw.start_cohort(states[i])
            tw.end_contracts(a)
            acted = False
            for ta, action in actions[i]:
                if abs(ta - a) < 1e-9:
                    states[i] = tw.apply_action(action, a, states[i])
                    acted = True
            if a >= t0 - 1e-9 and (acted or abs(a - t0) < 1e-9):
                if snapshots[i] and abs(snapshots[i][-1].t - a) < 1e-9:
                    snapshots[i].pop()
                snapshots[i].append(tw.snapshot(a, states[i]))
        # the next boundary: a decision, the end of the warm-up or run, or a block contract's end (double running)
        later = [t for t in bounds if t > a + 1e-9] + [e for tw in twins if (e := tw.next_contract_end(a)) is not None and e < end]
        if not later:
            break
        b = min(later)
        evals = [t for t in ticks if a + 1e-9 < t <= b + 1e-9 and t >= t0 - 1e-9]
        same = _twin_of(twins, states)
        run = [i for i in range(len(twins)) if same[i] == i]   # arms identical so far are integrated once
        at_ticks, last, nfev = integrate_segment(a, b, np.concatenate([states[i] for i in run]), evals,
                                                 [twins[i].args for i in run], [sizes[i] for i in run],
                                                 tol.rtol, tol.atol, tol.max_step, tol.method)
        evaluations += nfev
        cut = dict(zip(run, np.cumsum([0] + [sizes[i] for i in run]).tolist()))
        part = [slice(cut[same[i]], cut[same[i]] + sizes[i]) for i in range(len(twins))]
        for t, col in zip(evals, at_ticks):
            for i, tw in enumerate(twins):
                snapshots[i].append(tw.snapshot(float(t), col[part[i]]))
        states = [last[part[i]].copy() for i in range(len(twins))]
        a = b
    wall = time.perf_counter() - started
    for tw in twins:
        tw.evaluations = evaluations
    return [tw.record(snaps, wall / len(twins)) for tw, snaps in zip(twins, snapshots)]


def _twin_of(twins: Sequence[Twin], states: list[np.ndarray]) -> list[int]:
    """For each arm, the first arm identical to it: the same state to the last bit and the same equations (before
    a decision's date the arms of a comparison are copies). A copy is not integrated again: the steps are
    the ones its twin takes alone, and the early weeks, whose transients take the smallest steps, cost
    one arm instead of two."""
    out = list(range(len(twins)))
    for i in range(1, len(twins)):
        for j in range(i):
            if out[j] == j and np.array_equal(states[i], states[j]) and _same_args(twins[i].args, twins[j].args):
                out[i] = j
                break
    return out


def _same_args(a: tuple, b: tuple) -> bool:
    """Whether two twins' kernel arguments are equal (the rate tables of equal parameters are one cached object)."""
    return len(a) == len(b) and all(
        x is y or (np.array_equal(x, y) if isinstance(x, np.ndarray) and isinstance(y, np.ndarray) else x == y)
        for x, y in zip(a, b))


def run_twin(scenario: Scenario, years: float | None = None, warmup_years: float | None = None,
             tolerance: Tolerance | None = None) -> ReplicationResult:
    """One deterministic 'replication' of the twin, in the same form as the simulation's."""
    record = Twin(scenario, years=years, warmup_years=warmup_years).run(tolerance)
    return summarise(record, scenario.params)


def run_twins(scenarios: Sequence[Scenario], years: float | None = None, warmup_years: float | None = None,
              tolerance: Tolerance | None = None) -> list[ReplicationResult]:
    """The twins of several scenarios integrated together on the same steps (for paired differences)."""
    twins = [Twin(s, years=years, warmup_years=warmup_years) for s in scenarios]
    records = integrate(twins, tolerance)
    return [summarise(r, s.params) for r, s in zip(records, scenarios)]



from .steady import SteadyState, steady_state  # noqa: E402


def warm() -> None:
    """Compile the twin's kernel into numba's on-disk cache (``make setup`` does this once, so that
    the dashboard's first preview does not wait a minute for the compiler)."""
    from ..scenario import BASELINE_FILE, load_scenario

    baseline = load_scenario(BASELINE_FILE)
    run_twins([baseline, baseline.with_values({}, name="copy")], years=0.1)
