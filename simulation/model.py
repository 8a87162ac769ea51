"""The county model: people living their lives in SimPy.

Each person is one SimPy process. It looks up the competing hazards of its
situation (``hazards``), draws the time to the next event from their sum and
sleeps until then, or until a personal deadline (end of a stay, of a budget
assessment, of a raised-risk window), or until something outside changes its
situation (a place offered, a service closed), which interrupts it. The
unit-rate exponential still to run is carried over an interruption (the
next-reaction method), so an interruption that changes nothing changes
nothing: people a policy does not touch live the same lives in every
scenario, which is what makes paired differences sharp.

Event handlers (``_on_*``) move people between places and supports; they
update counters and stocks but never format or log.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from math import cos, exp, log, pi, sqrt
from typing import Any, Callable

import numpy as np
import simpy

from . import hazards as hz
from .catalogue import SERVICES
from .hazards import HazardRules
from .outcomes import Snapshot, Stock, take_snapshot
from .parameters import DAYS_PER_MONTH, DAYS_PER_YEAR, Params
from .people import (
    ACUTE, AFTER_DISCHARGE, ASSESSING, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, COMMUNITY, DAY_CENTRE,
    DIED_OTHER, DIED_SUICIDE, EMPLOYED, ENABLEMENT, FLAG_NAMES, HAS_CARER, HOME_TREATMENT,
    INF, MOVED_AWAY, N_ALIVE_PLACES, N_GROUPS, OUT_OF_AREA, PAID_PEER_WORKER, PEER_LEADER, PEER_MEMBER,
    PLACE_NAMES, RAISED_RISK, RC_GRADUATE, RC_STUDENT, RECOVERED, RESIDENTIAL, SEVERE, TUTOR,
    WAIT_DAY_CENTRE, WAIT_ENABLEMENT, WAIT_PEER, WAIT_RC, WAITING_FOR_BED, Person,
)
from .programmes import Programmes
from .scenario import Action, Scenario
from .services import Service, scaled_capacity
from .streams import GOLDEN, M64, TWO_POW_MINUS_32, StreamRegistry, next_uniforms, person_stream_seed

N_PLACES = len(PLACE_NAMES)
TWO_PI = 2 * pi
_EPS = 1e-9

# Stocks of people holding something, by flag (others are places or derived).
FLAG_STOCKS = (
    SEVERE, EMPLOYED, CARER_SUPPORTED, DAY_CENTRE, WAIT_DAY_CENTRE, PEER_MEMBER, WAIT_PEER, PEER_LEADER,
    PAID_PEER_WORKER, RC_STUDENT, WAIT_RC, RC_GRADUATE, TUTOR, BUDGET, ASSESSING, WAIT_ENABLEMENT, RAISED_RISK,
)
EXTRA_STOCKS = ("out_of_work_in_contact", "recovered_employed", "open_day_centre", "open_peer_support", "open_recovery_college")

COUNTS = (
    "arrivals", "crisis_episodes", "home_treatment_episodes", "acute_admissions", "out_of_area_placements",
    "residential_placements", "residential_move_ons", "enablement_entries", "enablement_move_ons",
    "enablement_breakdowns", "recoveries", "relapses", "suicides", "deaths_other", "moved_away",
    "job_gains", "job_losses", "discharges", "discharges_followable", "readmitted_within_year",
    "day_centre_referrals", "peer_support_joins", "support_losses_on_closure", "redirected_personal_budgets",
    "redirected_peer_support", "redirected_day_centre", "redirected_recovery_college", "redirected_nothing",
    "budget_applications", "budget_assessments_council", "budget_assessments_nhs", "budgets_granted",
    "budget_dropouts", "carer_assessments", "college_enrolments", "college_completions",
    "graduate_peer_workers", "graduate_tutors", "leaders_recruited", "leader_burnouts",
    "cohort_residential_move_ons_30m",
)

# Person-state cache key layout: place in bits 0-3, flags from bit 4, risk level above.
_FLAG_SHIFT = 4
_RISK_SHIFT = 28


@dataclass
class RunRecord:
    """Everything one replication measured, before it is turned into metrics."""

    scenario_name: str
    replication: int
    seed: int
    scale: float
    warmup_days: float
    horizon_days: float
    snapshots: list[Snapshot]
    versions: list[dict[str, Any]]
    flows: list[list[int]]
    acute_stays: list[float]
    waits: dict[str, tuple[float, int]]
    little: dict[str, tuple[float, int, int, float, int]]
    checks: dict[str, Any]
    scheduler_events: int
    peak_live_processes: int
    wall_seconds: float
    cohort_residential: int
    extra: dict[str, Any] = field(default_factory=dict)


class CountyModel:
    """One replication of one scenario.

    ``scale`` simulates that fraction of the county: every simulated person
    stands for ``1/scale`` people, capacities are scaled (see
    :func:`~simulation.services.scaled_capacity`) and results are reported at
    full scale.
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int, years: float | None = None,
                 scale: float | None = None, warmup_years: float | None = None, check_invariants: bool = True):
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
        self.key_events = streams.key("person.events")
        self.key_routing = streams.key("person.routing")
        self.census_stream = streams.block("census")
        self.arrival_times = streams.block("arrivals.times")
        self.arrival_attributes = streams.block("arrivals.attributes")

        self.versions: list[dict[str, Any]] = []
        self.people: list[Person] = []
        self.stocks: dict[str, Stock] = {}
        for name in PLACE_NAMES[:N_ALIVE_PLACES]:
            self.stocks[name] = Stock(name)
        self.place_stock = [self.stocks[n] for n in PLACE_NAMES[:N_ALIVE_PLACES]]
        self.flag_stock: dict[int, Stock] = {}
        for bit in FLAG_STOCKS:
            st = Stock(FLAG_NAMES[bit])
            self.stocks[st.name] = st
            self.flag_stock[bit] = st
        for name in EXTRA_STOCKS:
            self.stocks[name] = Stock(name)
        self.out_of_work = self.stocks["out_of_work_in_contact"]
        self.recovered_employed = self.stocks["recovered_employed"]
        self.counts: dict[str, list[int]] = {name: [0] * N_GROUPS for name in COUNTS}
        self.flows = [[0] * N_PLACES for _ in range(N_PLACES)]
        self.acute_stays: list[float] = []
        self.snapshots: list[Snapshot] = []
        self.live = 0
        self.peak_live = 0
        self.cohort: set[int] = set()      # people in residential care when reporting starts
        self.cohort_size = 0
        self.risk_multipliers = [1.0]
        self._tables: dict[int, tuple] = {}

        self.day_centre = Service("day_centre", 0)
        self.peer_support = Service("peer_support", 0)
        self.college = Service("recovery_college", 0)
        self.home_treatment = Service("crisis_home_treatment", 0)
        self.acute = Service("acute_beds", 0)
        self.enablement = Service("enablement", 0)
        self.college_students: list[Person] = []
        self.college_opened = self.env.event()
        self.open: dict[str, bool] = {}

        self._handlers: list[Callable[[Person], None]] = [self._on_unknown] * hz.N_EVENTS
        for event, handler in {
            hz.CRISIS: self._on_crisis, hz.STEP_UP: self._on_step_up, hz.RECOVER: self._on_recover,
            hz.DIE_OTHER: self._on_die_other, hz.SUICIDE: self._on_suicide, hz.MOVE_AWAY: self._on_move_away,
            hz.JOB_GAIN: self._on_job_gain, hz.JOB_LOSS: self._on_job_loss, hz.DC_REFER: self._on_day_centre_referral,
            hz.DC_LEAVE: self._on_day_centre_leave, hz.DC_GIVE_UP: self._on_day_centre_give_up,
            hz.PEER_JOIN: self._on_peer_join, hz.PEER_LEAVE: self._on_peer_leave, hz.PEER_GIVE_UP: self._on_peer_give_up,
            hz.LEADER_RECRUIT: self._on_leader_recruit, hz.LEADER_BURNOUT: self._on_leader_burnout,
            hz.RC_APPLY: self._on_college_apply, hz.RC_GIVE_UP: self._on_college_give_up,
            hz.TUTOR_LEAVE: self._on_tutor_leave, hz.BUDGET_APPLY: self._on_budget_apply,
            hz.BUDGET_END: self._on_budget_end, hz.CARER_ASSESS: self._on_carer_assessment,
            hz.CARER_LAPSE: self._on_carer_lapse, hz.ENABLEMENT_MOVE_ON: self._on_enablement_move_on,
            hz.ENABLEMENT_BREAKDOWN: self._on_enablement_breakdown, hz.RESIDENTIAL_MOVE_ON: self._on_residential_move_on,
            hz.ENABLEMENT_REFERRAL: self._on_enablement_referral, hz.ENABLEMENT_GIVE_UP: self._on_enablement_give_up,
            hz.RELAPSE: self._on_relapse,
        }.items():
            self._handlers[event] = handler

        self._apply_values(dict(scenario.values))
        self.programmes = Programmes(self.P)
        self.factor_value = [1.0] * hz.N_FACTORS
        self._update_factors()

    # ------------------------------------------------------------------
    # Parameters and derived settings
    def _apply_values(self, values: dict[str, Any]) -> None:
        """Make ``values`` the parameters in force from now on."""
        self.versions.append(values)
        self.version = len(self.versions) - 1
        P = self.P = Params(values)
        s = P.services
        now = self.env.now
        self.open = {name: bool(values[info.open_path]) if info.open_path else True for name, info in SERVICES.items()}
        self.rules = HazardRules(P, self.open, self.risk_multipliers)
        self._tables.clear()
        sc = self.scale
        self.day_centre.set_capacity(scaled_capacity(s.day_centre.places, sc))
        self.day_centre.open = self.open["day_centre"]
        self.peer_support.open = self.open["peer_support"]
        self.college.open = self.open["recovery_college"]
        self.home_treatment.set_capacity(scaled_capacity(s.crisis_home_treatment.caseload, sc))
        self.home_treatment.open = self.open["crisis_home_treatment"]
        self.acute.set_capacity(scaled_capacity(s.acute_beds.beds_in_area, sc))
        self.enablement.set_capacity(scaled_capacity(s.enablement.tenancies_operative, sc))
        self.enablement.open = self.open["enablement"]
        self._update_peer_capacity()
        self.queue_beds = bool(s.acute_beds.queue_when_full)
        self.exponential_stays = bool(s.acute_beds.stay_exponential)
        self.stay_median = s.acute_beds.stay_median_days
        self.stay_spread = s.acute_beds.stay_spread
        self.ht_median = s.crisis_home_treatment.episode_median_days
        self.ht_spread = s.crisis_home_treatment.episode_spread
        self.window_days = P.crisis.after_discharge_days
        for name in ("day_centre", "peer_support", "recovery_college"):
            st = self.stocks[f"open_{name}"]
            if self.open[name] and st.level[0] == 0:
                st.add(0, now)
            elif not self.open[name] and st.level[0] == 1:
                st.remove(0, now)

    def _update_peer_capacity(self) -> None:
        ps = self.P.services.peer_support
        leaders = self.flag_stock[PEER_LEADER].total
        base = ps.base_places * self.scale
        self.peer_support.set_capacity(int(base + ps.people_per_leader * leaders + 0.5) if self.open.get("peer_support") else 0)

    def _update_factors(self) -> None:
        f = self.programmes.factors(self.P)
        v = self.factor_value
        v[hz.F_ZS_SUICIDE] = f["zs_suicide"]
        v[hz.F_ZS_CRISIS] = f["zs_crisis"]
        v[hz.F_CARER_UPTAKE] = f["carer_uptake"]
        v[hz.F_MARKET_RECOVERY] = f["market_recovery"]
        v[hz.F_MARKET_CRISIS] = f["market_crisis"]
        v[hz.F_MARKET_WORK] = f["market_work"]

    def _table(self, p: Person) -> tuple:
        """Build and cache the sampling table of ``p``'s situation."""
        return self._entry(p.place | (p.flags << _FLAG_SHIFT) | (p.risk << _RISK_SHIFT))

    def _entry(self, key: int) -> tuple:
        """Build and cache the sampling table of a packed situation key (place, flags, risk)."""
        t = self.rules.table(key & 0xF, (key >> _FLAG_SHIFT) & ((1 << (_RISK_SHIFT - _FLAG_SHIFT)) - 1), key >> _RISK_SHIFT)
        entry = self._tables[key] = (t.total, t.cum, t.events, t.rates, t.factors)
        return entry

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
        self._census()
        self.arrivals_process = self.env.process(self._arrivals())
        self.env.process(self._monitor())
        self.env.process(self._actions())
        self.env.process(self._college_terms())
        self.live += 4
        self.peak_live = max(self.peak_live, self.live)
        self.env.run(until=self.end)
        self._snapshot(self.end)
        scheduler_events = next(self.env._eid)  # SimPy numbers every scheduled event
        wall = time.perf_counter() - started
        checks = self._final_checks()
        return RunRecord(
            scenario_name=self.scenario.name, replication=self.replication, seed=self.seed, scale=self.scale,
            warmup_days=self.warmup_days, horizon_days=self.end, snapshots=self.snapshots, versions=self.versions,
            flows=self.flows, acute_stays=self.acute_stays,
            waits={n: (s.waiting.waits, s.waiting.served) for n, s in self._services().items()},
            little={n: (sum(st.area), sum(st.entries), sum(st.exits), sum(st.sojourn), sum(st.level)) for n, st in self.stocks.items()},
            checks=checks, scheduler_events=scheduler_events, peak_live_processes=self.peak_live,
            wall_seconds=wall, cohort_residential=self.cohort_size,
        )

    def _services(self) -> dict[str, Service]:
        return {s.name: s for s in (self.day_centre, self.peer_support, self.college, self.home_treatment, self.acute, self.enablement)}

    def _snapshot(self, t: float) -> None:
        if t + _EPS < self.warmup_days:
            return
        extra = self.programmes.state()
        extra["peer_support_capacity"] = self.peer_support.capacity / self.scale
        self.snapshots.append(take_snapshot(t, self.version, self.stocks, self.counts, extra))

    # ------------------------------------------------------------------
    # People: creation and the life loop
    def _new_person(self, flags: int, place: int, bulk: bool = False) -> Person:
        pid = len(self.people)
        p = Person(pid, flags, place, person_stream_seed(self.key_events, pid), person_stream_seed(self.key_routing, pid), self.env.now)
        self.people.append(p)
        if bulk:
            return p
        now = self.env.now
        g = p.group
        self.place_stock[place].add(g, now)
        rest = flags
        while rest:
            bit = rest & -rest
            rest ^= bit
            st = self.flag_stock.get(bit)
            if st is not None:
                st.add(g, now)
        self._count_work(flags, place, g, now, +1)
        return p

    def _count_work(self, flags: int, place: int, g: int, now: float, sign: int) -> None:
        """Add (+1) or remove (-1) a person from the two work stocks:
        out of work while in contact, and in work while recovered."""
        if flags & EMPLOYED:
            if place == RECOVERED:
                (self.recovered_employed.add if sign > 0 else self.recovered_employed.remove)(g, now)
        elif place != RECOVERED:
            (self.out_of_work.add if sign > 0 else self.out_of_work.remove)(g, now)

    def _start(self, p: Person) -> None:
        self.env.process(self._life(p))
        self.live += 1
        if self.live > self.peak_live:
            self.peak_live = self.live

    def _life(self, p: Person):
        """One person's life: sleep until the next event, handle it, repeat.

        ``clock`` is the unit-rate exponential still to run before the next
        event and ``uc`` the uniform that will say which event it is; both
        come from the person's own stream (SplitMix64, inlined here because
        this loop is the model's hot path) and survive interruptions.
        """
        env = self.env
        p.proc = env.active_process
        tables = self._tables
        handlers = self._handlers
        fvalue = self.factor_value
        timeout = env.timeout
        Interrupt = simpy.Interrupt
        clock = -1.0
        uc = 0.0
        while True:
            key = p.place | (p.flags << _FLAG_SHIFT) | (p.risk << _RISK_SHIFT)
            p.slept = key
            tab = tables.get(key)
            if tab is None:
                tab = self._table(p)
            total = tab[0]
            if clock < 0.0:
                s = (p.rs + GOLDEN) & M64
                z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & M64
                z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
                z ^= z >> 31
                p.rs = s
                clock = -log(((z >> 32) + 0.5) * TWO_POW_MINUS_32)
                uc = ((z & 0xFFFFFFFF) + 0.5) * TWO_POW_MINUS_32
            start = env._now
            dt = clock / total if total > 0.0 else INF
            wait = p.timer - start
            if wait <= dt:
                try:
                    yield timeout(wait if wait > 0.0 else 0.0) if wait < INF else env.event()
                except Interrupt:
                    clock = max(0.0, clock - total * (env._now - start))
                    continue
                clock = max(0.0, clock - total * (env._now - start))
                self._on_timer(p)
            else:
                try:
                    yield timeout(dt)
                except Interrupt:
                    clock = max(0.0, clock - total * (env._now - start))
                    continue
                clock = -1.0
                cum = tab[1]
                x = uc * total
                i = bisect_right(cum, x)
                if i == len(cum):
                    i -= 1
                f = tab[4][i]
                if f:
                    v = (x - (cum[i - 1] if i else 0.0)) / tab[3][i]
                    fmax = self.rules.factor_max
                    accept = 1.0
                    for j in f:
                        accept *= fvalue[j] / fmax[j]
                    if v >= accept:
                        continue
                handlers[tab[2][i]](p)
            if p.place >= N_ALIVE_PLACES:
                self.live -= 1
                return

    def _wake(self, p: Person) -> None:
        """Make a sleeping person look at their (changed) situation again."""
        proc = p.proc
        if proc is not None and p.place < N_ALIVE_PLACES and proc is not self.env.active_process and proc.is_alive:
            proc.interrupt()

    def _route(self, p: Person) -> float:
        """A uniform from the person's routing stream (durations and choices)."""
        s, u, _ = next_uniforms(p.rs2)
        p.rs2 = s
        return u

    # ------------------------------------------------------------------
    # Flags and places
    def _set(self, p: Person, bit: int) -> None:
        if p.flags & bit:
            return
        p.flags |= bit
        now = self.env.now
        st = self.flag_stock.get(bit)
        if st is not None:
            st.add(p.group, now)
        if bit == EMPLOYED:
            self._count_work(0, p.place, p.group, now, -1)
            self._count_work(EMPLOYED, p.place, p.group, now, +1)

    def _clear(self, p: Person, bit: int) -> None:
        if not p.flags & bit:
            return
        p.flags &= ~bit
        now = self.env.now
        st = self.flag_stock.get(bit)
        if st is not None:
            st.remove(p.group, now)
        if bit == EMPLOYED:
            self._count_work(EMPLOYED, p.place, p.group, now, -1)
            self._count_work(0, p.place, p.group, now, +1)

    def _move(self, p: Person, new: int) -> None:
        old = p.place
        now = self.env.now
        g = p.group
        self.place_stock[old].remove(g, now, p.t_place)
        if new < N_ALIVE_PLACES:
            self.place_stock[new].add(g, now)
        if (old == RECOVERED) != (new == RECOVERED) and new < N_ALIVE_PLACES:
            self._count_work(p.flags, old, g, now, -1)
            self._count_work(p.flags, new, g, now, +1)
        self.flows[old][new] += 1
        p.place = new
        p.t_place = now

    def _count(self, name: str, p: Person) -> None:
        self.counts[name][p.group] += 1

    # ------------------------------------------------------------------
    # Supports
    def _join_support(self, p: Person, svc: Service, hold: int, wait: int) -> bool:
        """Ask for a place: take it if free, else join the waiting list."""
        if not svc.open:
            return False
        if svc.occupied < svc.capacity:
            svc.take(p, self.env.now)
            self._set(p, hold)
            return True
        self._set(p, wait)
        svc.waiting.join(p, self.env.now)
        return False

    def _leave_support(self, p: Person, svc: Service, hold: int) -> None:
        if svc.holds(p):
            since = svc.give_back(p)
            self.flag_stock[hold].sojourn[p.group] += self.env.now - since
        self._clear(p, hold)
        self._fill_support(svc, hold)

    def _fill_support(self, svc: Service, hold: int) -> None:
        wait = WAIT_DAY_CENTRE if hold == DAY_CENTRE else WAIT_PEER
        now = self.env.now
        while svc.open and svc.occupied < svc.capacity:
            p = svc.waiting.pop_next(lambda q: bool(q.flags & wait) and q.place < N_ALIVE_PLACES, now)
            if p is None:
                return
            self._clear(p, wait)
            svc.take(p, now)
            self._set(p, hold)
            self._wake(p)

    def _drop_supports(self, p: Person, keep_roles: bool) -> None:
        """Give up community supports (on recovery, residential care, death or leaving)."""
        f = p.flags
        if f & DAY_CENTRE:
            self._leave_support(p, self.day_centre, DAY_CENTRE)
        if f & PEER_MEMBER:
            self._leave_support(p, self.peer_support, PEER_MEMBER)
        for bit in (WAIT_DAY_CENTRE, WAIT_PEER, WAIT_RC, BUDGET, ASSESSING, CARER_SUPPORTED):
            self._clear(p, bit)
        p.t_assess_end = INF
        if not keep_roles:
            self._end_roles(p)
            self._clear(p, RC_STUDENT)
            self._clear(p, WAIT_ENABLEMENT)

    def _end_roles(self, p: Person) -> None:
        if p.flags & PEER_LEADER:
            self._clear(p, PEER_LEADER)
            self._update_peer_capacity()
        if p.flags & PAID_PEER_WORKER:
            self._clear(p, PAID_PEER_WORKER)
            self._clear(p, EMPLOYED)
        if p.flags & TUTOR:
            self._clear(p, TUTOR)
            self._clear(p, EMPLOYED)

    # ------------------------------------------------------------------
    # Crisis care and beds
    def _on_crisis(self, p: Person) -> None:
        now = self.env.now
        self._count("crisis_episodes", p)
        if now - p.t_last_discharge <= DAYS_PER_YEAR:
            if p.t_last_discharge <= self.end - DAYS_PER_YEAR:
                self._count("readmitted_within_year", p)
            p.t_last_discharge = -INF
        if p.place != COMMUNITY:
            p.home = p.place
            self._admit(p)
            return
        p.home = COMMUNITY
        crisis = self.P.crisis
        share = crisis.admission_share_severe if p.flags & SEVERE else crisis.admission_share_moderate
        if self._route(p) < share or not self.home_treatment.has_room():
            self._admit(p)
        else:
            self.home_treatment.occupy()
            self._count("home_treatment_episodes", p)
            p.t_stay_end = now + self._duration(p, self.ht_median, self.ht_spread, False)
            p.update_timer()
            self._move(p, HOME_TREATMENT)

    def _duration(self, p: Person, median: float, spread: float, exponential: bool) -> float:
        """A lognormal duration (or exponential with the same mean) from the routing stream.

        The normal deviate comes from both halves of one draw (Box-Muller)."""
        s, u1, u2 = next_uniforms(p.rs2)
        p.rs2 = s
        if exponential:
            return -median * exp(spread * spread / 2) * log(u1)
        if spread <= 0:
            return median
        return median * exp(spread * sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2))

    def _admit(self, p: Person) -> None:
        now = self.env.now
        self._count("acute_admissions", p)
        if self.acute.occupied < self.acute.capacity:
            self.acute.occupy()
            place = ACUTE
        elif self.queue_beds:
            self.acute.waiting.join(p, now)
            self._move(p, WAITING_FOR_BED)
            return
        else:
            self._count("out_of_area_placements", p)
            place = OUT_OF_AREA
        p.t_stay_end = now + self._duration(p, self.stay_median, self.stay_spread, self.exponential_stays)
        p.update_timer()
        self._move(p, place)

    def _fill_beds(self) -> None:
        now = self.env.now
        while self.acute.occupied < self.acute.capacity:
            p = self.acute.waiting.pop_next(lambda q: q.place == WAITING_FOR_BED, now)
            if p is None:
                return
            self.acute.occupy()
            p.t_stay_end = now + self._duration(p, self.stay_median, self.stay_spread, self.exponential_stays)
            p.update_timer()
            self._move(p, ACUTE)
            self._wake(p)

    def _discharge(self, p: Person) -> None:
        """End of a home treatment episode or an admission."""
        now = self.env.now
        place = p.place
        p.t_stay_end = INF
        if place == HOME_TREATMENT:
            self.home_treatment.vacate()
        else:
            self.acute_stays.append(now - p.t_place)
            if place == ACUTE:
                self.acute.vacate()
        dest = p.home
        if dest == COMMUNITY and p.flags & SEVERE and place != HOME_TREATMENT:
            a = self.P.services.acute_beds
            u = self._route(p)
            if u < a.discharge_to_residential_share_severe:
                dest = RESIDENTIAL
            elif u < a.discharge_to_residential_share_severe + a.discharge_to_enablement_share_severe:
                dest = ENABLEMENT if self.enablement.has_room() else RESIDENTIAL
                if dest == RESIDENTIAL and self.enablement.open:
                    self._set(p, WAIT_ENABLEMENT)
                    self.enablement.waiting.join(p, now)
                elif dest == ENABLEMENT:
                    self.enablement.take(p, now)
                    self._count("enablement_entries", p)
        if dest == RESIDENTIAL and p.home != RESIDENTIAL:
            self._count("residential_placements", p)
            self._drop_supports(p, keep_roles=True)
        p.home = COMMUNITY
        self._count("discharges", p)
        if now <= self.end - DAYS_PER_YEAR:
            self._count("discharges_followable", p)
        p.t_last_discharge = now
        self._set(p, AFTER_DISCHARGE)
        p.t_discharge_window = now + self.window_days
        p.update_timer()
        self._move(p, dest)
        if place == ACUTE and self.queue_beds:
            self._fill_beds()

    def _on_timer(self, p: Person) -> None:
        now = self.env.now + _EPS
        if p.t_stay_end <= now:
            self._discharge(p)
        if p.t_assess_end <= now:
            self._assessment_done(p)
        if p.t_discharge_window <= now:
            p.t_discharge_window = INF
            self._clear(p, AFTER_DISCHARGE)
        if p.t_risk_window <= now:
            p.t_risk_window = INF
            p.risk = 0
            self._clear(p, RAISED_RISK)
        p.update_timer()

    # ------------------------------------------------------------------
    # Residential care and enablement
    def _on_step_up(self, p: Person) -> None:
        self._count("residential_placements", p)
        self._drop_supports(p, keep_roles=True)
        self._move(p, RESIDENTIAL)

    def _moved_on_from_residential(self, p: Person) -> None:
        self._count("residential_move_ons", p)
        if p.pid in self.cohort and 0.0 <= self.env.now - self.warmup_days <= 30 * DAYS_PER_MONTH:
            self.counts["cohort_residential_move_ons_30m"][0] += 1
        self.cohort.discard(p.pid)

    def _on_residential_move_on(self, p: Person) -> None:
        self._clear(p, WAIT_ENABLEMENT)
        self._moved_on_from_residential(p)
        self._move(p, COMMUNITY)

    def _on_enablement_referral(self, p: Person) -> None:
        self._set(p, WAIT_ENABLEMENT)
        self.enablement.waiting.join(p, self.env.now)
        self._fill_enablement()

    def _on_enablement_give_up(self, p: Person) -> None:
        self._clear(p, WAIT_ENABLEMENT)

    def _fill_enablement(self) -> None:
        en = self.enablement
        now = self.env.now
        while en.open and en.occupied < en.capacity:
            p = en.waiting.pop_next(lambda q: bool(q.flags & WAIT_ENABLEMENT) and q.place < N_ALIVE_PLACES, now)
            if p is None:
                return
            self._clear(p, WAIT_ENABLEMENT)
            en.take(p, now)
            self._count("enablement_entries", p)
            if p.place == RESIDENTIAL:
                self._moved_on_from_residential(p)
                self._move(p, ENABLEMENT)
                self._wake(p)
            else:  # in hospital: the tenancy waits for them
                if p.home == RESIDENTIAL:
                    self._moved_on_from_residential(p)
                p.home = ENABLEMENT

    def _leave_tenancy(self, p: Person) -> None:
        self.enablement.give_back(p)
        self._fill_enablement()

    def _on_enablement_move_on(self, p: Person) -> None:
        self._count("enablement_move_ons", p)
        self._leave_tenancy(p)
        self._move(p, COMMUNITY)

    def _on_enablement_breakdown(self, p: Person) -> None:
        self._count("enablement_breakdowns", p)
        self._count("residential_placements", p)
        self._leave_tenancy(p)
        self._drop_supports(p, keep_roles=True)
        self._move(p, RESIDENTIAL)

    # ------------------------------------------------------------------
    # Recovery, relapse, work, exits
    def _on_recover(self, p: Person) -> None:
        self._count("recoveries", p)
        self._drop_supports(p, keep_roles=True)
        self._clear(p, WAIT_ENABLEMENT)
        self._move(p, RECOVERED)

    def _on_relapse(self, p: Person) -> None:
        self._count("relapses", p)
        self._move(p, COMMUNITY)
        if self._route(p) < self.P.recovery.relapse_in_crisis_share:
            self._on_crisis(p)

    def _on_job_gain(self, p: Person) -> None:
        self._count("job_gains", p)
        self._set(p, EMPLOYED)

    def _on_job_loss(self, p: Person) -> None:
        self._count("job_losses", p)
        self._clear(p, EMPLOYED)

    def _exit(self, p: Person, place: int, counter: str) -> None:
        """Death or leaving the county: give everything back."""
        self._count(counter, p)
        now = self.env.now
        if p.place == ACUTE:
            self.acute.vacate()
        elif p.place == HOME_TREATMENT:
            self.home_treatment.vacate()
        if self.enablement.holds(p):
            self.enablement.give_back(p)
        self._drop_supports(p, keep_roles=False)
        g = p.group
        for bit, st in self.flag_stock.items():
            if p.flags & bit:
                st.remove(g, now)
        self._count_work(p.flags, p.place, g, now, -1)
        p.flags = 0
        was = p.place
        p.t_stay_end = p.t_assess_end = p.t_discharge_window = p.t_risk_window = INF
        p.update_timer()
        self.cohort.discard(p.pid)
        self._move(p, place)
        if was == ACUTE and self.queue_beds:
            self._fill_beds()
        self._fill_enablement()

    def _on_suicide(self, p: Person) -> None:
        self._exit(p, DIED_SUICIDE, "suicides")

    def _on_die_other(self, p: Person) -> None:
        self._exit(p, DIED_OTHER, "deaths_other")

    def _on_move_away(self, p: Person) -> None:
        self._exit(p, MOVED_AWAY, "moved_away")

    # ------------------------------------------------------------------
    # Day centre, peer support, Recovery College
    def _on_day_centre_referral(self, p: Person) -> None:
        self._count("day_centre_referrals", p)
        self._join_support(p, self.day_centre, DAY_CENTRE, WAIT_DAY_CENTRE)

    def _on_day_centre_leave(self, p: Person) -> None:
        self._leave_support(p, self.day_centre, DAY_CENTRE)

    def _on_day_centre_give_up(self, p: Person) -> None:
        self._clear(p, WAIT_DAY_CENTRE)

    def _on_peer_join(self, p: Person) -> None:
        self._count("peer_support_joins", p)
        self._join_support(p, self.peer_support, PEER_MEMBER, WAIT_PEER)

    def _on_peer_leave(self, p: Person) -> None:
        self._leave_support(p, self.peer_support, PEER_MEMBER)

    def _on_peer_give_up(self, p: Person) -> None:
        self._clear(p, WAIT_PEER)

    def _on_leader_recruit(self, p: Person) -> None:
        """A member doing well steps up to lead: frees a member place, adds leader places."""
        self._count("leaders_recruited", p)
        self._leave_support(p, self.peer_support, PEER_MEMBER)
        self._set(p, PEER_LEADER)
        self._update_peer_capacity()
        self._fill_support(self.peer_support, PEER_MEMBER)

    def _on_leader_burnout(self, p: Person) -> None:
        self._count("leader_burnouts", p)
        self._clear(p, PEER_LEADER)
        if p.flags & PAID_PEER_WORKER:
            self._clear(p, PAID_PEER_WORKER)
            self._clear(p, EMPLOYED)
        self._update_peer_capacity()

    def _on_college_apply(self, p: Person) -> None:
        self._set(p, WAIT_RC)
        self.college.waiting.join(p, self.env.now)

    def _on_college_give_up(self, p: Person) -> None:
        self._clear(p, WAIT_RC)

    def _on_tutor_leave(self, p: Person) -> None:
        self._clear(p, TUTOR)
        self._clear(p, EMPLOYED)

    def _college_terms(self):
        """Terms of ~12 weeks: enrol from the waiting list, then graduate completers."""
        env = self.env
        while True:
            if not self.college.open:
                yield self.college_opened
                continue
            rc = self.P.services.recovery_college
            tutors = rc.tutors_by_experience * self.scale + self.flag_stock[TUTOR].total
            places = min(rc.places_per_term * self.scale, tutors * rc.students_per_tutor)
            seats = int(places + 0.5)
            now = env.now
            students = []
            while len(students) < seats:
                p = self.college.waiting.pop_next(lambda q: bool(q.flags & WAIT_RC) and q.place < N_ALIVE_PLACES, now)
                if p is None:
                    break
                self._clear(p, WAIT_RC)
                self._set(p, RC_STUDENT)
                self._count("college_enrolments", p)
                students.append(p)
            self.college_students = students
            yield env.timeout(rc.term_weeks * 7)
            rc = self.P.services.recovery_college
            peer_open = self.open["peer_support"]
            for p in students:
                if not p.flags & RC_STUDENT:
                    continue  # left, died or the college closed
                self._clear(p, RC_STUDENT)
                if self._route(p) >= rc.completion_share:
                    continue
                self._count("college_completions", p)
                self._set(p, RC_GRADUATE)
                u = self._route(p)
                if p.place < RESIDENTIAL or p.place == ENABLEMENT:
                    if u < rc.graduate_peer_worker_share and peer_open and not p.flags & PEER_LEADER:
                        self._count("graduate_peer_workers", p)
                        if p.flags & PEER_MEMBER:
                            self._leave_support(p, self.peer_support, PEER_MEMBER)
                        self._set(p, PEER_LEADER)
                        self._set(p, PAID_PEER_WORKER)
                        self._set(p, EMPLOYED)
                        self._update_peer_capacity()
                        self._fill_support(self.peer_support, PEER_MEMBER)
                    elif rc.graduate_peer_worker_share <= u < rc.graduate_peer_worker_share + rc.graduate_tutor_share and not p.flags & TUTOR:
                        self._count("graduate_tutors", p)
                        self._set(p, TUTOR)
                        self._set(p, EMPLOYED)
                self._wake(p)
            self.college_students = []

    # ------------------------------------------------------------------
    # Personal budgets and carers
    def _on_budget_apply(self, p: Person) -> None:
        pb = self.P.services.personal_budgets
        self._count("budget_applications", p)
        self._set(p, ASSESSING)
        weeks = pb.assessment_weeks if pb.integrated_assessment else 2 * pb.assessment_weeks
        if pb.integrated_assessment:
            # one joint assessment; its cost is shared in proportion to the money
            if self._route(p) < pb.health_budget_share:
                self._count("budget_assessments_nhs", p)
            else:
                self._count("budget_assessments_council", p)
        else:
            self._count("budget_assessments_council", p)
            self._count("budget_assessments_nhs", p)
        p.t_assess_end = self.env.now + weeks * 7
        p.update_timer()

    def _assessment_done(self, p: Person) -> None:
        p.t_assess_end = INF
        if not p.flags & ASSESSING:
            return
        self._clear(p, ASSESSING)
        pb = self.P.services.personal_budgets
        dropout = pb.dropout_share_integrated if pb.integrated_assessment else pb.dropout_share_separate
        if self._route(p) < dropout or p.place in (RESIDENTIAL, RECOVERED) or not self.open["personal_budgets"]:
            self._count("budget_dropouts", p)
            return
        self._count("budgets_granted", p)
        self._set(p, BUDGET)

    def _on_budget_end(self, p: Person) -> None:
        self._clear(p, BUDGET)

    def _on_carer_assessment(self, p: Person) -> None:
        self._count("carer_assessments", p)
        self._set(p, CARER_SUPPORTED)

    def _on_carer_lapse(self, p: Person) -> None:
        self._clear(p, CARER_SUPPORTED)

    def _on_unknown(self, p: Person) -> None:  # pragma: no cover - guards the table
        raise RuntimeError("an event without a handler was drawn")

    # ------------------------------------------------------------------
    # Arrivals, the monthly monitor, and scenario actions
    def _arrivals(self):
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
            self._arrive()

    def _arrive(self) -> None:
        """A new referral: attributes from the arrivals stream, maybe in crisis."""
        pop = self.P.population
        u = self.arrival_attributes.uniform
        flags = ((SEVERE if u() < pop.severe_share else 0) | (HAS_CARER if u() < pop.carer_share else 0)
                 | (BUDGET_ELIGIBLE if u() < pop.budget_eligible_share else 0)
                 | (EMPLOYED if u() < pop.employed_share_at_start else 0))
        in_crisis = u() < pop.referral_in_crisis_share
        p = self._new_person(flags, COMMUNITY)
        self._count("arrivals", p)
        if in_crisis:
            self._on_crisis(p)
        self._start(p)

    def _monitor(self):
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
            self._update_factors()
            if k == 0:
                self._start_cohort()
            if k >= 0:
                self._snapshot(env.now)
            if self.check_invariants:
                self._check_invariants()
            k += 1

    def _start_cohort(self) -> None:
        """The residents whose move-on within 30 months is a calibration target: those in
        residential care when reporting starts (after any warm-up)."""
        self.cohort = {p.pid for p in self.people if p.place == RESIDENTIAL}
        self.cohort_size = len(self.cohort)

    def _actions(self):
        env = self.env
        for action in self.scenario.actions:
            t = self.warmup_days + action.day
            if t > self.end:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            self._apply_action(action)
            self._snapshot(env.now)

    def _apply_action(self, action: Action) -> None:
        values = dict(self.versions[-1])
        values.update(action.values)
        info = SERVICES.get(action.service) if action.service else None
        if action.verb == "open":
            values[info.open_path] = True
        elif action.verb == "close":
            values[info.open_path] = False
        old_referrals = self.P.population.referrals_per_year
        closing = action.verb == "close" and self.open.get(action.service, False)
        opening = action.verb == "open" and not self.open.get(action.service, True)
        old_tables = dict(self._tables)
        self._apply_values(values)
        if closing:
            self._close_support(action)
        if opening and action.service == "recovery_college":
            self.college_opened.succeed()
            self.college_opened = self.env.event()
        # More room anywhere lets the waiting lists move.
        self._fill_support(self.day_centre, DAY_CENTRE)
        self._fill_support(self.peer_support, PEER_MEMBER)
        self._fill_enablement()
        if self.queue_beds:
            self._fill_beds()
        if self.P.population.referrals_per_year != old_referrals:
            self.arrivals_process.interrupt()
        # Wake only those whose rates changed: their situation's table differs under the new
        # parameters, or the action changed their situation (a closure took their place).
        changed = {key for key, old in old_tables.items() if self._entry(key) != old}   # built once, kept
        for p in self.people:
            if p.place < N_ALIVE_PLACES:
                if p.slept in changed or p.slept != (p.place | (p.flags << _FLAG_SHIFT) | (p.risk << _RISK_SHIFT)):
                    self._wake(p)

    def _risk_level(self, multiplier: float) -> int:
        if multiplier not in self.risk_multipliers:
            self.risk_multipliers.append(multiplier)
        return self.risk_multipliers.index(multiplier)

    def _close_support(self, action: Action) -> None:
        """A support closes: its users lose their places and are redirected."""
        name = action.service
        now = self.env.now
        if name == "day_centre":
            svc, hold, wait = self.day_centre, DAY_CENTRE, WAIT_DAY_CENTRE
        elif name == "peer_support":
            svc, hold, wait = self.peer_support, PEER_MEMBER, WAIT_PEER
        elif name == "recovery_college":
            svc, hold, wait = None, RC_STUDENT, WAIT_RC
        else:
            if name == "enablement":
                for p, _ in list(self.enablement.waiting.queue):
                    self._clear(p, WAIT_ENABLEMENT)
                self.enablement.waiting.clear()
            return
        if action.raised_risk is not None:
            multiplier, months = action.raised_risk
        elif name == "day_centre":
            dc = self.P.services.day_centre
            multiplier, months = dc.closure_crisis_multiplier, dc.closure_risk_months
        else:
            multiplier, months = 1.0, 0.0
        if svc is not None:
            users = list(svc.holders)
            for p, _ in list(svc.waiting.queue):
                self._clear(p, wait)
            svc.waiting.clear()
        else:
            users = [p for p in self.college_students if p.flags & RC_STUDENT]
            for p, _ in list(self.college.waiting.queue):
                self._clear(p, WAIT_RC)
            self.college.waiting.clear()
        if name == "peer_support":
            for p in self.people:
                if p.flags & PEER_LEADER:
                    self._end_roles(p)
        if name == "recovery_college":
            for p in self.people:
                if p.flags & TUTOR:
                    self._clear(p, TUTOR)
                    self._clear(p, EMPLOYED)
        level = self._risk_level(multiplier) if multiplier != 1.0 and months > 0 else 0
        for p in users:
            if svc is not None and svc.holds(p):
                svc.give_back(p)
            self._clear(p, hold)
            self._count("support_losses_on_closure", p)
            target = self._redirect_target(p, action.redirect)
            got_place = False
            if target == "personal_budgets":
                if p.flags & BUDGET_ELIGIBLE and not p.flags & (BUDGET | ASSESSING) and self.open["personal_budgets"] and p.place not in (RESIDENTIAL, RECOVERED):
                    self._on_budget_apply(p)
                else:
                    target = "nothing"
            elif target == "peer_support":
                got_place = bool(p.flags & (PEER_MEMBER | PEER_LEADER)) or self._join_support(p, self.peer_support, PEER_MEMBER, WAIT_PEER)
            elif target == "day_centre":
                got_place = bool(p.flags & DAY_CENTRE) or self._join_support(p, self.day_centre, DAY_CENTRE, WAIT_DAY_CENTRE)
            elif target == "recovery_college":
                if self.open["recovery_college"] and not p.flags & (RC_GRADUATE | RC_STUDENT | WAIT_RC):
                    self._on_college_apply(p)
            self.counts[f"redirected_{target}"][p.group] += 1
            if not got_place and level:
                p.risk = level
                self._set(p, RAISED_RISK)
                p.t_risk_window = now + months * DAYS_PER_MONTH
                p.update_timer()

    def _redirect_target(self, p: Person, redirect: tuple[tuple[str, float], ...]) -> str:
        u = self._route(p)
        acc = 0.0
        for target, share in redirect:
            acc += share
            if u < acc:
                return target
        return "nothing"

    # ------------------------------------------------------------------
    # The census at the start
    def _census(self) -> None:
        """People already in each place at time 0, with the supports they hold.

        Attributes are drawn in one block from the census stream; stocks are
        filled in bulk because at time 0 nobody has accumulated any time yet.
        """
        P = self.P
        c, pop = P.census, P.population
        sc = self.scale
        st = self.census_stream

        def n(x: float) -> int:
            return int(round(x * sc))

        in_contact = n(pop.in_contact_at_start)
        placed = [
            (HOME_TREATMENT, min(n(c.in_home_treatment), self.home_treatment.capacity)),
            (ACUTE, min(n(c.in_acute_beds), self.acute.capacity)),
            (OUT_OF_AREA, n(c.out_of_area)),
            (RESIDENTIAL, n(c.in_residential_care)),
            (ENABLEMENT, min(n(c.in_enablement), self.enablement.capacity)),
        ]
        community = max(0, in_contact - sum(k for _, k in placed))
        places = [place for place, k in placed for _ in range(k)] + [COMMUNITY] * community
        places += [RECOVERED] * n(pop.recovered_at_start)
        u = st.matrix(len(places), 4)
        place_arr = np.asarray(places)
        supported = np.isin(place_arr, (RESIDENTIAL, ENABLEMENT))
        severe_share = np.where(supported, 1.0, pop.severe_share)
        employed_share = np.where(supported, 0.0, np.where(place_arr == RECOVERED, pop.recovered_employed_share_at_start, pop.employed_share_at_start))
        flags = ((u[:, 0] < severe_share) * SEVERE | (u[:, 1] < pop.carer_share) * HAS_CARER
                 | (u[:, 2] < pop.budget_eligible_share) * BUDGET_ELIGIBLE | (u[:, 3] < employed_share) * EMPLOYED)
        people = [self._new_person(f, place, bulk=True) for f, place in zip(flags.tolist(), places)]
        self._bulk_stocks(people)

        now = self.env.now
        for p in people:
            place = p.place
            if place == COMMUNITY or place == RECOVERED:
                continue
            if place == HOME_TREATMENT:
                self.home_treatment.occupy()
                p.t_stay_end = now + st.uniform() * self._duration(p, self.ht_median, self.ht_spread, False)
            elif place == ACUTE or place == OUT_OF_AREA:
                if place == ACUTE:
                    self.acute.occupy()
                p.t_stay_end = now + st.uniform() * self._duration(p, self.stay_median, self.stay_spread, self.exponential_stays)
            elif place == ENABLEMENT:
                self.enablement.take(p, now)
            p.update_timer()

        residents = [p for p in people if p.place == RESIDENTIAL]
        for p in residents[: n(c.waiting_for_enablement)]:
            self._set(p, WAIT_ENABLEMENT)
            self.enablement.waiting.join(p, now)

        in_community = [p for p in people if p.place == COMMUNITY or p.place == ENABLEMENT]
        keys = st.matrix(len(in_community), 3)
        order = [in_community[i] for i in np.argsort(keys[:, 0], kind="stable").tolist()]
        it = iter(order)
        for p in _take(it, min(n(c.day_centre_users), self.day_centre.capacity)):
            self.day_centre.take(p, now)
            self._set(p, DAY_CENTRE)
        if self.open["peer_support"]:
            for p in _take(it, n(c.peer_leaders)):
                self._set(p, PEER_LEADER)
            self._update_peer_capacity()
            for p in _take(it, min(n(c.peer_support_members), self.peer_support.capacity)):
                self.peer_support.take(p, now)
                self._set(p, PEER_MEMBER)
        for p in _take(it, n(c.recovery_college_graduates)):
            self._set(p, RC_GRADUATE)
        budget = (keys[:, 1] < c.budget_holders_share_of_eligible).tolist()
        carer = (keys[:, 2] < c.carers_supported_share).tolist()
        for p, b, cs in zip(in_community, budget, carer):
            if b and p.flags & BUDGET_ELIGIBLE:
                self._set(p, BUDGET)
            if cs and p.flags & HAS_CARER:
                self._set(p, CARER_SUPPORTED)
        for p in people:
            self._start(p)

    def _bulk_stocks(self, people: list[Person]) -> None:
        """Count people created at time 0 into the stocks in one pass."""
        counts: dict[tuple[int, int], int] = {}
        out_of_work = [0] * N_GROUPS
        recovered_employed = [0] * N_GROUPS
        for p in people:
            key = (p.place, p.flags, p.group)
            counts[key] = counts.get(key, 0) + 1
        for (place, flags, g), k in counts.items():
            self.place_stock[place].level[g] += k
            self.place_stock[place].entries[g] += k
            for bit, st in self.flag_stock.items():
                if flags & bit:
                    st.level[g] += k
                    st.entries[g] += k
            if flags & EMPLOYED:
                if place == RECOVERED:
                    recovered_employed[g] += k
            elif place != RECOVERED:
                out_of_work[g] += k
        for g in range(N_GROUPS):
            self.out_of_work.level[g] += out_of_work[g]
            self.out_of_work.entries[g] += out_of_work[g]
            self.recovered_employed.level[g] += recovered_employed[g]
            self.recovered_employed.entries[g] += recovered_employed[g]

    # ------------------------------------------------------------------
    # Invariants
    def _check_invariants(self) -> None:
        """Cheap checks run every month; a failure is a bug in the model."""
        alive = sum(self.place_stock[i].total for i in range(N_ALIVE_PLACES))
        exited = sum(self.flows[i][j] for i in range(N_PLACES) for j in range(N_ALIVE_PLACES, N_PLACES))
        if alive + exited != len(self.people):
            raise AssertionError(f"people not conserved: {alive} alive + {exited} exited != {len(self.people)} created")
        for st in self.stocks.values():
            if min(st.level) < 0:
                raise AssertionError(f"negative count in {st.name}: {st.level}")
        for svc in self._services().values():
            if not 0 <= svc.occupied <= svc.ceiling:
                raise AssertionError(f"{svc.name}: {svc.occupied} places in use, capacity {svc.capacity}")
        in_use = {
            "acute_beds": self.stocks["acute"].total,
            "crisis_home_treatment": self.stocks["home_treatment"].total,
            "day_centre": self.flag_stock[DAY_CENTRE].total,
            "peer_support": self.flag_stock[PEER_MEMBER].total,
            "enablement": len(self.enablement.holders),
        }
        for name, count in in_use.items():
            if self._services()[name].occupied != count:
                raise AssertionError(f"{name}: occupancy {self._services()[name].occupied} but {count} people there")

    def _final_checks(self) -> dict[str, Any]:
        if self.check_invariants:
            self._check_invariants()
        return {
            "people_created": len(self.people),
            "alive_end": sum(self.place_stock[i].total for i in range(N_ALIVE_PLACES)),
            "exited": sum(self.flows[i][j] for i in range(N_PLACES) for j in range(N_ALIVE_PLACES, N_PLACES)),
            "peak_occupancy": {name: svc.peak for name, svc in self._services().items()},
            "capacity_end": {name: svc.capacity for name, svc in self._services().items()},
        }


def _take(it, k: int) -> list[Person]:
    out = []
    for _ in range(max(0, k)):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out
