"""The ledger: who is where and holds what, counted as it changes.

The model never formats or logs in its inner loop: it moves integers. A
:class:`Stock` keeps, per sub-group, how many people are in a place or hold
something and the area under that count (person-days), which is what costs
and quality-adjusted life years are made of. Counters count events. A
:class:`Snapshot` copies both at month ends and at every scenario action, so
that costs can use the unit costs in force in each period exactly.

The names of every stock and counter are declared here, derived from the
service registry where a service brings its own, so that the simulation,
the twin and the metrics agree on them (a test holds them equal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import catalogue
from .people import (
    ASSESSING, BUDGET, CARER_SUPPORTED, COMMUNITY, DAY_CENTRE, EMPLOYED, FLAG_NAMES, FREQUENT, HEALTH_BUDGET, N_ALIVE_PLACES, N_GROUPS, PAID_PEER_WORKER,
    PEER_LEADER, PEER_MEMBER, PLACE_NAMES, RAISED_RISK, RC_GRADUATE, RC_STUDENT, RECOVERED, SEVERE, TUTOR, WAIT_DAY_CENTRE,
    WAIT_ENABLEMENT, WAIT_PEER, WAIT_RC, Person, flag,
)

N_PLACES = len(PLACE_NAMES)


class Stock:
    """How many people are somewhere, and for how long (per sub-group)."""

    __slots__ = ("name", "level", "area", "t", "entries", "exits", "sojourn")

    def __init__(self, name: str, now: float = 0.0):
        self.name = name
        self.level = [0] * N_GROUPS
        self.area = [0.0] * N_GROUPS      # person-days
        self.t = [now] * N_GROUPS
        self.entries = [0] * N_GROUPS
        self.exits = [0] * N_GROUPS
        self.sojourn = [0.0] * N_GROUPS   # total days spent by those who left

    def add(self, g: int, now: float) -> None:
        self.area[g] += self.level[g] * (now - self.t[g])
        self.t[g] = now
        self.level[g] += 1
        self.entries[g] += 1

    def remove(self, g: int, now: float, since: float | None = None) -> None:
        self.area[g] += self.level[g] * (now - self.t[g])
        self.t[g] = now
        self.level[g] -= 1
        self.exits[g] += 1
        if since is not None:
            self.sojourn[g] += now - since

    def flush(self, now: float) -> None:
        """Bring the area up to ``now``."""
        for g in range(N_GROUPS):
            self.area[g] += self.level[g] * (now - self.t[g])
            self.t[g] = now

    @property
    def total(self) -> int:
        return sum(self.level)


@dataclass(frozen=True)
class Snapshot:
    """Cumulative stocks and counts at one moment."""

    t: float
    version: int                       # which parameter version applies from here
    levels: dict[str, tuple[float, ...]]
    areas: dict[str, tuple[float, ...]]
    counts: dict[str, tuple[float, ...]]
    extra: dict[str, float] = field(default_factory=dict)  # programme coverage etc. in force from here


def take_snapshot(t: float, version: int, stocks: dict[str, Stock], counts: dict[str, list[int]], extra: dict[str, float]) -> Snapshot:
    for s in stocks.values():
        s.flush(t)
    return Snapshot(
        t,
        version,
        {k: tuple(s.level) for k, s in stocks.items()},
        {k: tuple(s.area) for k, s in stocks.items()},
        {k: tuple(v) for k, v in counts.items()},
        dict(extra),
    )


# ---------------------------------------------------------------------------
# What is counted

BUILT_IN_FLAG_STOCKS = (
    SEVERE, EMPLOYED, CARER_SUPPORTED, DAY_CENTRE, WAIT_DAY_CENTRE, PEER_MEMBER, WAIT_PEER, PEER_LEADER,
    PAID_PEER_WORKER, RC_STUDENT, WAIT_RC, RC_GRADUATE, TUTOR, BUDGET, ASSESSING, WAIT_ENABLEMENT, RAISED_RISK,
    HEALTH_BUDGET, FREQUENT,
)


def flag_stocks() -> tuple[int, ...]:
    """Flags whose holders are counted: the built-in ones, then each declared support's holders and list."""
    extra = [flag(name) for spec in catalogue.place_supports() for name in (spec.holds, spec.waits) if name]
    return BUILT_IN_FLAG_STOCKS + tuple(b for b in extra if b not in BUILT_IN_FLAG_STOCKS)


def open_stocks() -> tuple[str, ...]:
    """Services paid by a block contract while open: a 0/1 stock each, its area the days open."""
    return tuple(item.basis.partition(":")[2] for item in catalogue.cost_items() if item.basis.startswith("open:"))


def stock_names() -> tuple[str, ...]:
    """Every stock the model keeps, in order: places, flags, then derived ones."""
    return (*PLACE_NAMES[:N_ALIVE_PLACES], *(FLAG_NAMES[b] for b in flag_stocks()),
            *EXTRA_STOCKS, *(f"open_{name}" for name in open_stocks()))


BUILT_IN_COUNTS = (
    "arrivals", "crisis_episodes", "home_treatment_episodes", "acute_admissions", "out_of_area_placements",
    "residential_placements", "residential_move_ons", "enablement_entries", "enablement_move_ons",
    "enablement_breakdowns", "recoveries", "relapses", "suicides", "deaths_other", "moved_away",
    "job_gains", "job_losses", "discharges", "discharges_followable", "readmitted_within_year",
    "day_centre_referrals", "peer_support_joins", "support_losses_on_closure", "redirected_personal_budgets",
    "redirected_peer_support", "redirected_day_centre", "redirected_recovery_college", "redirected_nothing",
    "budget_applications", "budget_assessments_council", "budget_assessments_nhs", "budgets_granted",
    "budget_dropouts", "carer_assessments", "college_enrolments", "college_completions",
    "graduate_peer_workers", "graduate_tutors", "leaders_recruited", "leader_burnouts",
    "cohort_residential_move_ons_30m", "acute_discharges_followable", "acute_readmitted_within_90_days",
    "acute_readmitted_within_year", "college_job_gains",
)


def join_counter(spec: catalogue.ServiceSpec) -> str:
    """The counter of referrals to a place support."""
    return {"day_centre": "day_centre_referrals", "peer_support": "peer_support_joins"}.get(spec.name, f"{spec.name}_referrals")


def counter_names() -> tuple[str, ...]:
    """Every counter: the built-in ones, then each declared support's referrals, redirects, and the
    closures and openings of services (one-off costs are charged on these)."""
    extra = [join_counter(s) for s in catalogue.place_supports()] + [f"redirected_{t}" for t in catalogue.redirect_targets()]
    extra += [f"{verb}_{name}" for name, spec in catalogue.REGISTRY.items() if spec.open_path for verb in ("closures", "openings")]
    return BUILT_IN_COUNTS + tuple(dict.fromkeys(c for c in extra if c not in BUILT_IN_COUNTS))


# Kept for readers who look for the lists by these names.
COUNTS = BUILT_IN_COUNTS
EXTRA_STOCKS = ("out_of_work_in_contact", "recovered_employed", "out_of_work", "severe_in_community")


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
    flows: list[list[float]]
    acute_stays: list[float]
    waits: dict[str, tuple[float, int]]
    little: dict[str, tuple[float, int, int, float, int]]
    checks: dict[str, Any]
    scheduler_events: int
    peak_live_processes: int
    wall_seconds: float
    cohort_residential: int
    cohort: list = field(default_factory=list)
    """One row per person followed as a closure's cohort (see ``model.cohort``)."""
    cohort_markers: tuple = ()


# ---------------------------------------------------------------------------
# The ledger


class Ledger:
    """Stocks, counters and flows, and the only ways people's places and flags change.

    Every component moves people through :meth:`move`, :meth:`set` and
    :meth:`clear`, so the stocks can never disagree with the people.
    """

    def __init__(self, clock):
        self.clock = clock                 # anything with .now (the SimPy environment)
        self.people: list[Person] = []
        self.stocks: dict[str, Stock] = {}
        for name in PLACE_NAMES[:N_ALIVE_PLACES]:
            self.stocks[name] = Stock(name)
        self.place_stock = [self.stocks[n] for n in PLACE_NAMES[:N_ALIVE_PLACES]]
        self.flag_stock: dict[int, Stock] = {}
        for bit in flag_stocks():
            st = Stock(FLAG_NAMES[bit])
            self.stocks[st.name] = st
            self.flag_stock[bit] = st
        for name in (*EXTRA_STOCKS, *(f"open_{n}" for n in open_stocks())):
            self.stocks[name] = Stock(name)
        self.out_of_work = self.stocks["out_of_work_in_contact"]
        self.recovered_employed = self.stocks["recovered_employed"]
        self.out_of_work_alive = self.stocks["out_of_work"]
        self.severe_in_community = self.stocks["severe_in_community"]   # the case mix the baseline must hold
        self.counts: dict[str, list[int]] = {name: [0] * N_GROUPS for name in counter_names()}
        self.flows = [[0] * N_PLACES for _ in range(N_PLACES)]
        self.cohorts = None                # set by the model when it follows a closure's cohort

    # -- people -------------------------------------------------------------------
    def add(self, p: Person, bulk: bool = False) -> None:
        """Count a new person into the stocks (census people are counted in bulk)."""
        self.people.append(p)
        if bulk:
            return
        now = self.clock.now
        g = p.group
        self.place_stock[p.place].add(g, now)
        rest = p.flags
        while rest:
            bit = rest & -rest
            rest ^= bit
            st = self.flag_stock.get(bit)
            if st is not None:
                st.add(g, now)
        self.count_work(p.flags, p.place, g, now, +1)
        if p.place == COMMUNITY and p.flags & SEVERE:
            self.severe_in_community.add(g, now)

    def count_work(self, flags: int, place: int, g: int, now: float, sign: int) -> None:
        """Add (+1) or remove (-1) a person from the work stocks: out of work (anyone alive),
        out of work while in contact, and in work while recovered."""
        if flags & EMPLOYED:
            if place == RECOVERED:
                (self.recovered_employed.add if sign > 0 else self.recovered_employed.remove)(g, now)
        else:
            (self.out_of_work_alive.add if sign > 0 else self.out_of_work_alive.remove)(g, now)
            if place != RECOVERED:
                (self.out_of_work.add if sign > 0 else self.out_of_work.remove)(g, now)

    def set(self, p: Person, bit: int) -> None:
        if p.flags & bit:
            return
        if p.tracked is not None:
            self.cohorts.before_change(p)
        p.flags |= bit
        now = self.clock.now
        st = self.flag_stock.get(bit)
        if st is not None:
            st.add(p.group, now)
        if bit == EMPLOYED:
            self.count_work(0, p.place, p.group, now, -1)
            self.count_work(EMPLOYED, p.place, p.group, now, +1)

    def clear(self, p: Person, bit: int) -> None:
        if not p.flags & bit:
            return
        if p.tracked is not None:
            self.cohorts.before_change(p)
        p.flags &= ~bit
        now = self.clock.now
        st = self.flag_stock.get(bit)
        if st is not None:
            st.remove(p.group, now)
        if bit == EMPLOYED:
            self.count_work(EMPLOYED, p.place, p.group, now, -1)
            self.count_work(0, p.place, p.group, now, +1)

    def move(self, p: Person, new: int) -> None:
        if p.tracked is not None:
            self.cohorts.before_change(p)
        old = p.place
        now = self.clock.now
        g = p.group
        self.place_stock[old].remove(g, now, p.t_place)
        if new < N_ALIVE_PLACES:
            self.place_stock[new].add(g, now)
        if (old == RECOVERED) != (new == RECOVERED) and new < N_ALIVE_PLACES:
            flags = p.flags
            if flags & EMPLOYED:
                (self.recovered_employed.remove if old == RECOVERED else self.recovered_employed.add)(g, now)
            else:
                (self.out_of_work.add if old == RECOVERED else self.out_of_work.remove)(g, now)
        if p.flags & SEVERE and (old == COMMUNITY or new == COMMUNITY):
            (self.severe_in_community.remove if old == COMMUNITY else self.severe_in_community.add)(g, now)
        self.flows[old][new] += 1
        p.place = new
        p.t_place = now

    def count(self, name: str, p: Person) -> None:
        self.counts[name][p.group] += 1
        if p.tracked is not None:
            self.cohorts.counted(name, p)

    def remove_all_flags(self, p: Person) -> None:
        """Someone leaves the county's books (death, moving away): take them out of every flag stock."""
        if p.tracked is not None:
            self.cohorts.before_change(p)
        now = self.clock.now
        g = p.group
        for bit, st in self.flag_stock.items():
            if p.flags & bit:
                st.remove(g, now)
        self.count_work(p.flags, p.place, g, now, -1)
        if p.place == COMMUNITY and p.flags & SEVERE:
            self.severe_in_community.remove(g, now)
        p.flags = 0

    def bulk(self, people: list[Person]) -> None:
        """Count people created at time 0 into the stocks in one pass."""
        counts: dict[tuple[int, int, int], int] = {}
        out_of_work = [0] * N_GROUPS
        out_of_work_alive = [0] * N_GROUPS
        recovered_employed = [0] * N_GROUPS
        severe_in_community = self.severe_in_community
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
            if place == COMMUNITY and flags & SEVERE:
                severe_in_community.level[g] += k
                severe_in_community.entries[g] += k
            if flags & EMPLOYED:
                if place == RECOVERED:
                    recovered_employed[g] += k
            else:
                out_of_work_alive[g] += k
                if place != RECOVERED:
                    out_of_work[g] += k
        for g in range(N_GROUPS):
            self.out_of_work_alive.level[g] += out_of_work_alive[g]
            self.out_of_work_alive.entries[g] += out_of_work_alive[g]
            self.out_of_work.level[g] += out_of_work[g]
            self.out_of_work.entries[g] += out_of_work[g]
            self.recovered_employed.level[g] += recovered_employed[g]
            self.recovered_employed.entries[g] += recovered_employed[g]

    # -- reading ------------------------------------------------------------------
    def alive(self) -> int:
        return sum(self.place_stock[i].total for i in range(N_ALIVE_PLACES))

    def exited(self) -> int:
        return sum(self.flows[i][j] for i in range(N_PLACES) for j in range(N_ALIVE_PLACES, N_PLACES))

    def snapshot(self, t: float, version: int, extra: dict[str, float]) -> Snapshot:
        return take_snapshot(t, version, self.stocks, self.counts, extra)
