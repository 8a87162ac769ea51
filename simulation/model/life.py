"""A person's life: sleep until the next event, handle it, repeat (the model's hot path).

Each person is one SimPy process. It looks up the competing hazards of its
situation (``hazards``), draws the time to the next event from their sum and
sleeps until then, or until a personal deadline (end of a stay, of a budget
assessment, of a raised-risk window), or until something outside changes its
situation (a place offered, a service closed), which interrupts it. The
unit-rate exponential still to run is carried over an interruption (the
next-reaction method), so an interruption that changes nothing changes
nothing: people a policy does not touch live the same lives in every
scenario, which is what makes paired differences sharp.
"""

from __future__ import annotations

from bisect import bisect_right
from math import cos, exp, log, pi, sqrt
from typing import TYPE_CHECKING, Callable

import simpy

from ..people import AFTER_DISCHARGE, INF, N_ALIVE_PLACES, RAISED_RISK, Person
from ..streams import GOLDEN, M64, TWO_POW_MINUS_32, next_uniforms, person_stream_seed

if TYPE_CHECKING:
    from . import CountyModel

TWO_PI = 2 * pi
_EPS = 1e-9

# Person-state cache key layout: place in bits 0-3, flags from bit 4, risk level above.
FLAG_SHIFT = 4
RISK_SHIFT = 48


def situation(p: Person) -> int:
    """The key of a person's situation: every rate depends on it alone."""
    return p.place | (p.flags << FLAG_SHIFT) | (p.risk << RISK_SHIFT)


class Lives:
    """People's processes, their rate tables and their own random streams."""

    def __init__(self, model: "CountyModel", key_events: int, key_routing: int):
        self.m = model
        self.env = model.env
        self.key_events = key_events
        self.key_routing = key_routing
        self.tables: dict[int, tuple] = {}
        self.handlers: list[Callable[[Person], None]] = []
        self.live = 0
        self.peak_live = 0

    # -- rate tables --------------------------------------------------------------
    def table(self, p: Person) -> tuple:
        """Build and cache the sampling table of ``p``'s situation."""
        return self.entry(situation(p))

    def entry(self, key: int) -> tuple:
        """Build and cache the sampling table of a packed situation key (place, flags, risk)."""
        t = self.m.rules.table(key & 0xF, (key >> FLAG_SHIFT) & ((1 << (RISK_SHIFT - FLAG_SHIFT)) - 1), key >> RISK_SHIFT)
        entry = self.tables[key] = (t.total, t.cum, t.events, t.rates, t.factors)
        return entry

    # -- people -------------------------------------------------------------------
    def new_person(self, flags: int, place: int, bulk: bool = False) -> Person:
        ledger = self.m.ledger
        pid = len(ledger.people)
        p = Person(pid, flags, place, person_stream_seed(self.key_events, pid), person_stream_seed(self.key_routing, pid), self.env.now)
        ledger.add(p, bulk)
        return p

    def start(self, p: Person) -> None:
        self.env.process(self.life(p))
        self.live += 1
        if self.live > self.peak_live:
            self.peak_live = self.live

    def life(self, p: Person):
        """One person's life: sleep until the next event, handle it, repeat.

        ``clock`` is the unit-rate exponential still to run before the next
        event and ``uc`` the uniform that will say which event it is; both
        come from the person's own stream (SplitMix64, inlined here because
        this loop is the model's hot path) and survive interruptions.
        """
        env = self.env
        p.proc = env.active_process
        tables = self.tables
        handlers = self.handlers
        m = self.m
        fvalue = m.factor_value
        on_timer = self.on_timer
        timeout = env.timeout
        Interrupt = simpy.Interrupt
        clock = -1.0
        uc = 0.0
        while True:
            key = p.place | (p.flags << FLAG_SHIFT) | (p.risk << RISK_SHIFT)
            p.slept = key
            tab = tables.get(key)
            if tab is None:
                tab = self.table(p)
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
                on_timer(p)
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
                    fmax = m.rules.factor_max
                    accept = 1.0
                    for j in f:
                        accept *= fvalue[j] / fmax[j]
                    if v >= accept:
                        continue
                handlers[tab[2][i]](p)
            if p.place >= N_ALIVE_PLACES:
                self.live -= 1
                return

    def on_timer(self, p: Person) -> None:
        """A personal deadline passed: a stay, an assessment or a raised-risk window ended."""
        m = self.m
        now = self.env.now + _EPS
        if p.t_stay_end <= now:
            m.crisis.discharge(p)
        if p.t_assess_end <= now:
            m.budgets.assessment_done(p)
        if p.t_discharge_window <= now:
            p.t_discharge_window = INF
            m.ledger.clear(p, AFTER_DISCHARGE)
        if p.t_risk_window <= now:
            p.t_risk_window = INF
            p.risk = 0
            m.ledger.clear(p, RAISED_RISK)
        p.update_timer()

    def wake(self, p: Person) -> None:
        """Make a sleeping person look at their (changed) situation again."""
        proc = p.proc
        if proc is not None and p.place < N_ALIVE_PLACES and proc is not self.env.active_process and proc.is_alive:
            proc.interrupt()

    # -- the person's routing stream: choices and durations ---------------------------
    @staticmethod
    def route(p: Person) -> float:
        """A uniform from the person's routing stream (durations and choices)."""
        s, u, _ = next_uniforms(p.rs2)
        p.rs2 = s
        return u

    @staticmethod
    def duration(p: Person, median: float, spread: float, exponential: bool) -> float:
        """A lognormal duration (or exponential with the same mean) from the routing stream.

        The normal deviate comes from both halves of one draw (Box-Muller)."""
        s, u1, u2 = next_uniforms(p.rs2)
        p.rs2 = s
        if exponential:
            return -median * exp(spread * spread / 2) * log(u1)
        if spread <= 0:
            return median
        return median * exp(spread * sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2))
