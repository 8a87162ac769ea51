"""The county model: people living their lives in SimPy.

:class:`CountyModel` is a thin coordinator. It owns the clock, the
parameters in force, the rate rules and the ledger, and wires the
components, each in its own module and each answering one question:

==================  =========================================================
``life``            a person's process: sleep until the next event (hot path)
``crisis``          crisis, home treatment, beds in and out of area, discharge
``housing``         residential care and enablement tenancies
``supports``        place supports: day centre, peer support, any declared one
``peer``            peer leaders and paid peer workers (places follow leaders)
``college``         Recovery College terms, graduates, tutors
``budgets``         personal budgets and carers' assessments
``lifecourse``      recovery, relapse, work, death, moving away
``actions``         scenario decisions: open, close (and redirect), resize, set
``census``          the people alive at the start
``invariants``      monthly checks that the books balance
==================  =========================================================

Event handlers move people between places and supports through the
ledger; they update counters and stocks but never format or log.
"""

from __future__ import annotations

import gc
import time
from math import log
from typing import Any

import simpy

from .. import catalogue
from .. import hazards as hz
from ..hazards import HazardRules
from ..ledger import COUNTS, EXTRA_STOCKS, Ledger, RunRecord, open_stocks
from ..parameters import DAYS_PER_MONTH, DAYS_PER_YEAR, Params
from ..people import BUDGET_ELIGIBLE, COMMUNITY, EMPLOYED, FREQUENT, HAS_CARER, SEVERE, Person
from ..programmes import Programmes
from ..scenario import Scenario
from ..services import Service
from ..streams import StreamRegistry
from . import invariants
from .actions import Actions
from .budgets import Budgets
from .census import Census
from .cohort import Cohorts, Marker
from .college import College
from .crisis import CrisisCare
from .housing import Housing
from .life import Lives
from .lifecourse import LifeCourse
from .peer import PeerLeadership
from .supports import Supports

__all__ = ["COUNTS", "EXTRA_STOCKS", "CountyModel", "Marker", "RunRecord"]

_EPS = 1e-9


class CountyModel:
    """One replication of one scenario.

    ``scale`` simulates that fraction of the county: every simulated person
    stands for ``1/scale`` people, capacities are scaled (see
    :func:`~simulation.services.scaled_capacity`) and results are reported at
    full scale.
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int, years: float | None = None,
                 scale: float | None = None, warmup_years: float | None = None, check_invariants: bool = True,
                 cohorts: tuple[Marker, ...] = ()):
        self.scenario = scenario
        settings = scenario.settings
        self.years = float(years if years is not None else settings.years)
        self.scale = float(scale if scale is not None else settings.scale)
        self.warmup_days = float(warmup_years if warmup_years is not None else settings.warmup_years) * DAYS_PER_YEAR
        self.end = self.warmup_days + self.years * 12 * DAYS_PER_MONTH
        self.seed = seed
        self.replication = replication
        self.check_invariants = check_invariants
        self.env = simpy.Environment()

        streams = StreamRegistry(seed, replication)
        self.census_stream = streams.block("census")
        self.arrival_times = streams.block("arrivals.times")
        self.arrival_attributes = streams.block("arrivals.attributes")

        self.versions: list[dict[str, Any]] = []
        self.snapshots: list = []
        self.risk_multipliers = [1.0]
        self.open: dict[str, bool] = {}
        self.contract_ends: dict[str, float] = {}
        self.streams = streams
        self.ledger = Ledger(self.env)
        self.lives = Lives(self, streams.key)
        self.crisis = CrisisCare(self)
        self.housing = Housing(self)
        self.supports = Supports(self)
        self.peer = PeerLeadership(self)
        self.college = College(self)
        self.budgets = Budgets(self)
        self.course = LifeCourse(self)
        self.actions = Actions(self)
        self.cohorts = Cohorts(self, tuple(cohorts))
        self.ledger.cohorts = self.cohorts
        self.components = (self.crisis, self.housing, self.supports, self.peer, self.college, self.budgets, self.course)
        handlers: dict = {}
        for component in self.components:
            handlers.update(component.handlers())
        self.lives.prepare(handlers)

        self.apply_values(dict(scenario.values))
        self.programmes = Programmes(self.P)
        self.factor_value = [1.0] * hz.N_FACTORS
        self.update_factors()

    # ------------------------------------------------------------------
    # Parameters in force
    def apply_values(self, values: dict[str, Any]) -> None:
        """Make ``values`` the parameters in force from now on."""
        self.versions.append(values)
        self.version = len(self.versions) - 1
        P = self.P = Params(values)
        self.open = {name: bool(values[spec.open_path]) if spec.open_path else True for name, spec in catalogue.SERVICES.items()}
        self.rules = HazardRules(P, self.open, self.risk_multipliers)
        self.lives.tables.clear()
        for component in (self.supports, self.college, self.crisis, self.housing, self.peer):
            component.configure(P, self.open, self.scale)
        self.update_contracts()

    def update_contracts(self) -> None:
        """Block contracts run while their service is open, and for its declared notice period after it
        closes (double running); a service reopened in the meantime keeps its contract."""
        now = self.env.now
        for name in open_stocks():
            st = self.ledger.stocks[f"open_{name}"]
            if self.open[name]:
                self.contract_ends.pop(name, None)
                if st.level[0] == 0:
                    st.add(0, now)
            elif st.level[0] == 1:
                end = self.contract_ends.get(name)
                if end is None:
                    spec = catalogue.REGISTRY[name]
                    months = self.P.get(spec.double_running) if spec.double_running else 0.0
                    end = self.contract_ends[name] = now + months * DAYS_PER_MONTH
                    if months > 0:
                        self.env.process(self._contract_end(end))
                if end <= now + _EPS:
                    st.remove(0, now)

    def _contract_end(self, end: float):
        yield self.env.timeout(end - self.env.now)
        self.update_contracts()

    def update_factors(self) -> None:
        f = self.programmes.factors(self.P)
        v = self.factor_value
        v[hz.F_ZS_SUICIDE] = f["zs_suicide"]
        v[hz.F_ZS_CRISIS] = f["zs_crisis"]
        v[hz.F_CARER_UPTAKE] = f["carer_uptake"]
        v[hz.F_MARKET_RECOVERY] = f["market_recovery"]
        v[hz.F_MARKET_CRISIS] = f["market_crisis"]
        v[hz.F_MARKET_WORK] = f["market_work"]

    def services(self) -> dict[str, Service]:
        """Every capacity-limited service by name."""
        out: dict[str, Service] = {}
        for component in (self.supports, self.college, self.crisis, self.housing):
            for svc in component.services():
                out[svc.name] = svc
        return out

    def end_roles(self, p: Person) -> None:
        """Someone's paid or volunteer roles end (closure of their service, death, leaving)."""
        self.peer.end_roles(p)
        self.college.end_role(p)

    # ------------------------------------------------------------------
    # Running
    def run(self) -> RunRecord:
        """Simulate to the horizon and return what was measured."""
        started = time.perf_counter()
        collecting = gc.isenabled()
        gc.disable()  # the cyclic collector would walk 100,000 live people again and again
        try:
            return self._run(started)
        finally:
            if collecting:
                gc.enable()

    def _run(self, started: float) -> RunRecord:
        people = Census(self, self.census_stream).run()
        self.lives.start_all(people)
        self.arrivals_process = self.env.process(self.arrivals())
        self.env.process(self.monitor())
        self.env.process(self.cohorts.process())   # before the actions: a cohort is marked before its closure
        self.env.process(self.actions.process())
        self.env.process(self.college.terms())
        self.env.process(self.lives.calendar_process())
        lives = self.lives
        self.env.run(until=self.end)
        self.snapshot(self.end)
        scheduler_events = next(self.env._eid)  # SimPy numbers every scheduled event
        wall = time.perf_counter() - started
        checks = invariants.final(self)
        stocks = self.ledger.stocks
        return RunRecord(
            scenario_name=self.scenario.name, replication=self.replication, seed=self.seed, scale=self.scale,
            warmup_days=self.warmup_days, horizon_days=self.end, snapshots=self.snapshots, versions=self.versions,
            flows=self.ledger.flows, acute_stays=self.crisis.acute_stays,
            waits={n: (s.waiting.waits, s.waiting.served) for n, s in self.services().items()},
            little={n: (sum(st.area), sum(st.entries), sum(st.exits), sum(st.sojourn), sum(st.level)) for n, st in stocks.items()},
            checks=checks, scheduler_events=scheduler_events, peak_live_processes=lives.peak_live,
            wall_seconds=wall, cohort_residential=self.housing.cohort_size,
            cohort=self.cohorts.rows(), cohort_markers=self.cohorts.markers,
        )

    @property
    def people(self) -> list[Person]:
        return self.ledger.people

    def snapshot(self, t: float) -> None:
        if t + _EPS < self.warmup_days:
            return
        extra = self.programmes.state()
        extra["peer_support_capacity"] = self.peer.support.service.capacity / self.scale
        self.snapshots.append(self.ledger.snapshot(t, self.version, extra))

    # ------------------------------------------------------------------
    # Arrivals and the monthly monitor
    def arrivals(self):
        """New referrals: a Poisson process whose rate a scenario may change."""
        env = self.env
        clock = -1.0
        while True:
            rate = self.P.population.referrals_per_year * self.scale / DAYS_PER_YEAR
            if clock < 0:
                clock = -log(1.0 - self.arrival_times.uniform())
            start = env.now
            try:
                yield env.timeout(clock / rate) if rate > 0 else env.event()
            except simpy.Interrupt:
                clock = max(0.0, clock - rate * (env.now - start))
                continue
            clock = -1.0
            self.arrive()

    def arrive(self) -> None:
        """A new referral: attributes from the arrivals stream, maybe in crisis."""
        pop = self.P.population
        u = self.arrival_attributes.uniform
        flags = ((SEVERE if u() < pop.severe_share_of_referrals else 0) | (HAS_CARER if u() < pop.carer_share else 0)
                 | (BUDGET_ELIGIBLE if u() < pop.budget_eligible_share else 0)
                 | (EMPLOYED if u() < pop.employed_share_at_start else 0))
        in_crisis = u() < pop.referral_in_crisis_share
        if u() < self.P.crisis.frequent_attender_share:
            flags |= FREQUENT
        p = self.lives.new_person(flags, COMMUNITY)
        self.ledger.count("arrivals", p)
        if in_crisis:
            self.crisis.on_crisis(p)
        self.lives.start(p)

    def monitor(self):
        """Month ends: advance programmes, refresh dynamic factors, take a snapshot.

        Ticks fall at whole months before and after the end of the warm-up;
        snapshots are taken from the end of the warm-up on (month 0 is the
        start of the reported period).
        """
        env = self.env
        t0 = self.warmup_days
        k = -int(t0 // DAYS_PER_MONTH)
        last = 0.0
        while True:
            t = t0 + k * DAYS_PER_MONTH
            if t > self.end + _EPS:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            self.programmes.advance(self.P, (env.now - last) / DAYS_PER_YEAR)
            last = env.now
            self.update_factors()
            if k == 0:
                self.housing.start_cohort()
            if k >= 0:
                self.snapshot(env.now)
            if self.check_invariants:
                invariants.check(self)
            k += 1


