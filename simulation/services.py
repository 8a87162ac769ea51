"""Capacity-limited services and their waiting lists.

Each service knows how many places it has, who holds them, and who is
waiting, first come first served. It does not change people itself: the
model asks it for a place (``take``), tells it when a place is given up
(``give_back``) and asks who is next (``next_waiting``), and then moves the
person and updates the collectors. Waiting lists drop people lazily: an entry
whose person has died, recovered or stopped waiting is skipped when reached.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from .people import Person


class WaitingList:
    """First come, first served, with lazy removal of people no longer waiting."""

    __slots__ = ("queue", "waits", "served")

    def __init__(self) -> None:
        self.queue: deque[tuple[Person, float]] = deque()
        self.waits = 0.0   # total days waited by people who got a place
        self.served = 0

    def join(self, p: Person, now: float) -> None:
        self.queue.append((p, now))

    def pop_next(self, still_waiting: Callable[[Person], bool], now: float) -> Person | None:
        """The first person still waiting, or None; records their wait."""
        q = self.queue
        while q:
            p, since = q.popleft()
            if still_waiting(p):
                self.waits += now - since
                self.served += 1
                return p
        return None

    def clear(self) -> list[Person]:
        out = [p for p, _ in self.queue]
        self.queue.clear()
        return out

    def __len__(self) -> int:
        return len(self.queue)


class Service:
    """A service with places (or beds, tenancies, caseload) and a waiting list.

    ``capacity`` is in simulated people (already multiplied by the run's
    scale); ``occupied`` counts places in use, including places kept for
    someone who is briefly in hospital.
    """

    __slots__ = ("name", "capacity", "ceiling", "occupied", "open", "waiting", "holders", "peak")

    def __init__(self, name: str, capacity: int, open_: bool = True):
        self.name = name
        self.capacity = capacity
        self.ceiling = capacity   # most places that may be in use (above capacity only after a cut)
        self.occupied = 0
        self.open = open_
        self.waiting = WaitingList()
        self.holders: dict[Person, float] = {}   # person -> when they got the place
        self.peak = 0

    def set_capacity(self, capacity: int) -> None:
        """Change the number of places. Nobody is turned out when places are
        cut: the service takes no one new until use falls below the new level."""
        self.capacity = capacity
        self.ceiling = max(capacity, self.occupied)

    def has_room(self) -> bool:
        return self.open and self.occupied < self.capacity

    def occupy(self) -> None:
        """One more place in use, by someone the service does not track by name
        (a bed or a crisis caseload place); keeps the peak."""
        self.occupied += 1
        if self.occupied > self.peak:
            self.peak = self.occupied

    def vacate(self) -> None:
        """One place fewer in use (the counterpart of :meth:`occupy`)."""
        self.occupied -= 1

    def take(self, p: Person, now: float) -> None:
        self.occupy()
        self.holders[p] = now

    def give_back(self, p: Person) -> float:
        """Free ``p``'s place; returns when they took it."""
        self.occupied -= 1
        return self.holders.pop(p)

    def holds(self, p: Person) -> bool:
        return p in self.holders


def scaled_capacity(capacity: float, scale: float) -> int:
    """Places in a run that simulates ``scale`` of the county.

    Rounded to whole places; a service with any places keeps at least one so
    that scaling down never closes it.
    """
    if capacity <= 0:
        return 0
    return max(1, round(capacity * scale))
