"""A person's life: a clock for every kind of event (the model's hot path).

Each event a person can have (a crisis, finding work, joining the day
centre...) has its own clock: a unit-rate exponential drawn from a random
stream that belongs to that person and that kind of event alone, run down
at the event's rate (the next-reaction method: Gibson & Bruck 2000;
Anderson 2007). The person's next event is the clock that runs out first,
unless a personal deadline comes sooner (the end of a stay, of a budget
assessment, of a raised-risk window). When a rate changes, only that
event's clock is rescaled (its remaining time times old rate over new); an
event that stops being possible (a service closed) keeps its clock idle
until it is possible again. So a decision changes only what it touches:
closing the day centre removes one event from 45,000 people's tables and
moves nothing else in their lives, which is what makes paired differences
sharp.

Rates that vary for everyone at once (programme coverage, the budget
market) are run at their maximum and a firing is accepted with probability
value/maximum, with a uniform from the same clock's draw (thinning, Lewis &
Shedler 1979), so nobody is woken monthly.

People are not SimPy processes: each holds at most one pending SimPy event
(its next wake-up), and someone whose next event is beyond the current
month holds none, but waits in that month's list of a calendar that
schedules them when their month comes. Most people have nothing due for
years, so the scheduler's heap holds only the people due soon, and the cost
of a run grows in proportion to the population.
"""

from __future__ import annotations

from math import cos, exp, log, pi, sqrt
from typing import TYPE_CHECKING, Callable

from heapq import heappush

from simpy.events import NORMAL

from .. import hazards as hz
from ..parameters import DAYS_PER_MONTH
from ..people import AFTER_DISCHARGE, INF, N_ALIVE_PLACES, RAISED_RISK, Person
from ..streams import GOLDEN, M64, TWO_POW_MINUS_32, FirstDraws, next_uniforms, person_stream_seed

if TYPE_CHECKING:
    from . import CountyModel

TWO_PI = 2 * pi
_EPS = 1e-9

# Person-state cache key layout: place in bits 0-3, flags from bit 4, risk level above.
FLAG_SHIFT = 4
RISK_SHIFT = 48

# What a person's routing draws are for: each purpose has its own stream, so that a draw made
# for one (a closure's redirect) never shifts the draws of another (the length of a later stay).
(ADMISSION, STAY, DISCHARGE, REDIRECT, COLLEGE, BUDGET, RELAPSE) = range(7)
PURPOSES = ("admission", "stay", "discharge", "redirect", "college", "budget", "relapse")


def situation(p: Person) -> int:
    """The key of a person's situation: every rate depends on it alone."""
    return p.place | (p.flags << FLAG_SHIFT) | (p.risk << RISK_SHIFT)


class Lives:
    """People's clocks, their rate tables, their own random streams, and the calendar."""

    def __init__(self, model: "CountyModel", stream_key: Callable[[str], int]):
        self.m = model
        self.env = model.env
        self.stream_key = stream_key
        self.first_draws: list[FirstDraws] = []
        self.route_keys = [stream_key(f"person.route.{name}") for name in PURPOSES]
        self.tables: dict[int, Table] = {}
        self.kept: list[Table] = []          # every table ever used, so their ids stay unique
        self.starts: dict[int, Move] = {}    # a new person's first table: every clock starts
        self.handlers: list[Callable[[Person], None]] = []
        self.calendar: dict[int, list[tuple[Person, int]]] = {}
        self.active: Person | None = None
        self.live = 0
        self.peak_live = 0
        self.peak_waiting = 0
        self.events_handled = 0              # people's events and deadlines, handled

    def prepare(self, handlers: dict[int, Callable[[Person], None]]) -> None:
        """Every event's handler and random-stream key (once all services have declared their events)."""
        n = hz.n_events()
        self.first_draws = [FirstDraws(self.stream_key(f"person.event.{name}")) for name in hz.EVENT_NAMES[:n]]
        self.handlers = [_unknown_event] * n
        for event, handler in handlers.items():
            self.handlers[event] = handler

    # -- rate tables --------------------------------------------------------------
    def table(self, key: int) -> "Table":
        """Build and cache the rate table of a packed situation key (place, flags, risk)."""
        t = self.m.rules.table(key & 0xF, (key >> FLAG_SHIFT) & ((1 << (RISK_SHIFT - FLAG_SHIFT)) - 1), key >> RISK_SHIFT)
        entry = Table(t.events, t.rates, t.factors)
        self.tables[key] = entry
        self.kept.append(entry)
        return entry

    # -- people -------------------------------------------------------------------
    def new_person(self, flags: int, place: int, bulk: bool = False) -> Person:
        ledger = self.m.ledger
        p = Person(len(ledger.people), flags, place, self.env.now)
        ledger.add(p, bulk)
        return p

    def start(self, p: Person) -> None:
        """Bring a new person's clocks to life and schedule their first event."""
        n = len(self.handlers)
        p.clocks = [INF] * n
        p.streams = [0] * n
        self.live += 1
        if self.live > self.peak_live:
            self.peak_live = self.live
        self.plan(p)

    def start_all(self, people: list[Person]) -> None:
        """Start everyone alive at the start at once: their first clocks come in blocks, grouped by
        situation (the same as starting them one by one, only faster)."""
        n = len(self.handlers)
        now = self.env._now
        groups: dict[int, list[Person]] = {}
        for p in people:
            groups.setdefault(situation(p), []).append(p)
        for key, group in groups.items():
            tab = self.tables.get(key) or self.table(key)
            for p in group:
                p.clocks = [INF] * n
                p.streams = [0] * n
                p.tab = tab
                p.key = key
            pids = [p.pid for p in group]
            for e, rate in zip(tab.events, tab.rates):
                states, expo = self.first_draws[e].many(pids)
                for p, s, x in zip(group, states, expo):
                    p.clocks[e] = now + x / rate
                    p.streams[e] = s
        self.live += len(people)
        self.peak_live = max(self.peak_live, self.live)
        for p in people:
            self.schedule(p)

    def plan(self, p: Person) -> None:
        """Rescale the clocks whose rates changed, then schedule the person's next event."""
        now = self.env._now
        key = p.place | (p.flags << FLAG_SHIFT) | (p.risk << RISK_SHIFT)
        tab = self.tables.get(key)
        if tab is None:
            tab = self.table(key)
        old = p.tab
        if tab is not old:
            moves = old.moves if old is not None else self.starts
            move = moves.get(id(tab))
            if move is None:
                move = moves[id(tab)] = Move(old, tab)
            if move.rescale or move.stop or move.go:
                self.retime(p, move, now)
            p.tab = tab
            p.key = key
        self.schedule(p)

    def schedule(self, p: Person) -> None:
        """Wake the person at their next event or deadline: soon, or via the calendar."""
        clocks = p.clocks
        event = min(p.tab.events, key=clocks.__getitem__, default=-1)
        due = clocks[event] if event >= 0 else INF
        if p.timer <= due:
            due, event = p.timer, -1
        p.due = due
        p.due_event = event
        p.gen += 1
        p.pending = None
        if due == INF:
            return
        env = self.env
        now = env._now
        month = int(due // DAYS_PER_MONTH)
        if month <= int(now // DAYS_PER_MONTH):
            wake = Wake(p, self.on_due)
            heappush(env._queue, (due if due > now else now, NORMAL, next(env._eid), wake))  # type: ignore[misc]  # a Wake acts as an event
            p.pending = wake
        else:
            waiting = self.calendar.get(month)
            if waiting is None:
                waiting = self.calendar[month] = []
            waiting.append((p, p.gen))

    def retime(self, p: Person, move: "Move", now: float) -> None:
        """The next-reaction method: a changed rate rescales only its own clock.

        A clock holds the time its event would happen; an event that stops being
        possible keeps what was left of its clock (in unit-rate time) as a negative
        number, idle, until it is possible again; INF marks a clock never started."""
        clocks = p.clocks
        for e, ratio in move.rescale:
            clocks[e] = now + (clocks[e] - now) * ratio
        for e, before in move.stop:
            t = clocks[e]
            clocks[e] = -(t - now) * before if t > now else -1e-12
        for e, after in move.go:
            t = clocks[e]
            clocks[e] = now - t / after if t < 0.0 else now + self.draw(p, e) / after

    def draw(self, p: Person, e: int) -> float:
        """A fresh unit exponential for event ``e``'s clock, from the person's stream for that event
        (its first draw comes from a block computed for many people at once)."""
        s = p.streams[e]
        if s == 0:
            first = self.first_draws[e]
            b, i = divmod(p.pid, FirstDraws.BLOCK)
            block = first.blocks.get(b) or first.block(b)
            p.streams[e] = block[0].item(i)
            return block[1].item(i)
        s = (s + GOLDEN) & M64
        z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        p.streams[e] = s
        return -log(((z >> 32) + 0.5) * TWO_POW_MINUS_32)

    @staticmethod
    def acceptance(p: Person, e: int) -> float:
        """The uniform that accepts or rejects the firing of event ``e``'s current clock: the other
        half of the draw that set it (recomputed from the stream's state, not stored)."""
        s = p.streams[e]
        z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        return ((z & 0xFFFFFFFF) + 0.5) * TWO_POW_MINUS_32

    def on_due(self, ev: "Wake") -> None:
        """A person's wake-up came: a deadline or an event (unless it was superseded)."""
        p: Person = ev._value
        if p.pending is not ev or p.place >= N_ALIVE_PLACES:
            return
        p.pending = None
        self.active = p
        self.events_handled += 1
        e = p.due_event
        if e < 0:
            self.on_timer(p)
        else:
            self.fire(p, e)
        self.active = None
        if p.place < N_ALIVE_PLACES:
            self.plan(p)
        else:
            self.live -= 1

    def fire(self, p: Person, e: int) -> None:
        """Event ``e``'s clock ran out: handle the event (if thinning accepts it) and redraw the clock."""
        tab = p.tab
        factors = tab.factor_of[e]
        accepted = True
        if factors:
            m = self.m
            fvalue, fmax = m.factor_value, m.rules.factor_max
            ratio = 1.0
            for j in factors:
                ratio *= fvalue[j] / fmax[j]
            accepted = self.acceptance(p, e) < ratio
        p.clocks[e] = self.env._now + self.draw(p, e) / tab.rate_of[e]
        if accepted:
            self.handlers[e](p)

    def release(self, month: int) -> None:
        """The calendar: schedule everyone whose next event falls in this month."""
        waiting = self.calendar.pop(month, None)
        if not waiting:
            return
        env = self.env
        now = env._now
        queue, eid, on_due = env._queue, env._eid, self.on_due
        self.peak_waiting = max(self.peak_waiting, len(waiting))
        for p, gen in waiting:
            if p.gen != gen or p.place >= N_ALIVE_PLACES:
                continue                       # re-planned since, or gone
            due = p.due
            wake = Wake(p, on_due)
            heappush(queue, (due if due > now else now, NORMAL, next(eid), wake))  # type: ignore[misc]  # a Wake acts as an event
            p.pending = wake

    def calendar_process(self):
        """Month boundaries: release the people due in the month starting."""
        env = self.env
        month = int(env.now // DAYS_PER_MONTH)
        while True:
            month += 1
            yield env.timeout(month * DAYS_PER_MONTH - env.now)
            self.release(month)

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
        """Something outside changed a person's situation or rates: re-plan them now
        (someone whose own event is being handled is re-planned when it ends)."""
        if p.tab is not None and p.place < N_ALIVE_PLACES and p is not self.active:
            p.pending = None
            self.plan(p)

    # -- the person's routing streams: choices and durations ---------------------------
    def route(self, p: Person, purpose: int) -> float:
        """A uniform from the person's stream for ``purpose``."""
        u, _ = self._routing(p, purpose)
        return u

    def _routing(self, p: Person, purpose: int) -> tuple[float, float]:
        routes = p.routes
        if routes is None:
            routes = p.routes = [0] * len(PURPOSES)
        s = routes[purpose]
        if s == 0:
            s = person_stream_seed(self.route_keys[purpose], p.pid)
        s, u1, u2 = next_uniforms(s)
        routes[purpose] = s
        return u1, u2

    def duration(self, p: Person, median: float, spread: float, exponential: bool) -> float:
        """A lognormal duration (or exponential with the same mean) from the person's stay stream.

        The normal deviate comes from both halves of one draw (Box-Muller)."""
        u1, u2 = self._routing(p, STAY)
        if exponential:
            return -median * exp(spread * spread / 2) * log(u1)
        if spread <= 0:
            return median
        return median * exp(spread * sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2))



def _unknown_event(p: Person) -> None:  # pragma: no cover - guards the table
    raise RuntimeError("an event without a handler was drawn")


class Wake:
    """A person's wake-up: the smallest thing SimPy's scheduler can run (its callbacks, then
    ``_ok``), pushed on SimPy's event queue directly; one per person at most is current."""

    __slots__ = ("callbacks", "_value", "_ok")

    def __init__(self, p: Person, on_due: Callable[["Wake"], None]):
        self.callbacks = [on_due]
        self._value = p
        self._ok = True


class Table:
    """The competing events of one situation: their rates per day (at the dynamic factors'
    maxima), their dynamic factors, and the moves to other tables already worked out."""

    __slots__ = ("events", "rates", "factors", "rate_of", "factor_of", "moves")

    def __init__(self, events: tuple[int, ...], rates: tuple[float, ...], factors: tuple[tuple[int, ...], ...]):
        self.events = events
        self.rates = rates
        self.factors = factors
        self.rate_of = dict(zip(events, rates))
        self.factor_of = dict(zip(events, factors))
        self.moves: dict[int, Move] = {}

    def same_rates(self, other: "Table") -> bool:
        return self.rate_of == other.rate_of


class Move:
    """What changes for the clocks when a person's table changes: events whose rate changes
    (rescaled by old/new), events that stop (clocks kept idle), events that start."""

    __slots__ = ("rescale", "stop", "go")

    def __init__(self, old: Table | None, new: Table):
        before = old.rate_of if old is not None else {}
        after = new.rate_of
        self.rescale = tuple((e, r / after[e]) for e, r in before.items() if e in after and after[e] != r)
        self.stop = tuple((e, r) for e, r in before.items() if e not in after)
        self.go = tuple((e, r) for e, r in after.items() if e not in before)
