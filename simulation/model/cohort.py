"""The people a closure displaces, followed as a cohort.

When a comparison includes a closure, every run of it (the closure and the
baseline alike) marks the people holding a place in that service on the
closure's date, and follows each of them to the end of the run: where the
closure sent them, and their crises, admissions, bed days, recovery, work,
death and quality-adjusted life years. Because both runs share every
person's random streams, the baseline run's cohort is the same people,
living on without the closure: the paired difference is what the closure
did to the people it displaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..people import (
    ACUTE, DIED_OTHER, DIED_SUICIDE, EMPLOYED, N_ALIVE_PLACES, OUT_OF_AREA, SEVERE, Person, flag,
)

if TYPE_CHECKING:
    from . import CountyModel

COUNTED = {"crisis_episodes": "crises", "acute_admissions": "admissions", "recoveries": "recoveries"}
"""Counters followed for each member of a cohort, and the name each is reported under."""

OUTCOMES = ("crises", "admissions", "bed_days", "recoveries", "in_work_end", "died", "qalys")
"""What is reported for each member (qalys undiscounted, from the closure's date to the end)."""


@dataclass
class Member:
    """One person in a cohort, and what happened to them since its date."""

    marker: int
    pid: int
    since: float
    last: float
    sent_to: str = "kept their place"
    crises: int = 0
    admissions: int = 0
    recoveries: int = 0
    bed_days: float = 0.0
    qaly_days: float = 0.0


@dataclass(frozen=True)
class Marker:
    """A cohort: the holders of ``service``'s places ``day`` days into the reported period."""

    service: str
    day: float


class Cohorts:
    """Marks and follows the cohorts of one run."""

    def __init__(self, model: "CountyModel", markers: tuple[Marker, ...]):
        self.m = model
        self.markers = markers
        self.members: list[Member] = []

    def process(self):
        m = self.m
        env = m.env
        for i, marker in sorted(enumerate(self.markers), key=lambda x: x[1].day):
            t = m.warmup_days + marker.day
            if t > m.end:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            self.mark(i, marker)

    def mark(self, i: int, marker: Marker) -> None:
        """Before any action of this instant: everyone holding a place now joins the cohort."""
        m = self.m
        holders = m.actions.users_of(marker.service)
        now = m.env.now
        for p in sorted(holders, key=lambda q: q.pid):
            if p.tracked is None:
                p.tracked = Member(i, p.pid, now, now)
                self.members.append(p.tracked)

    # -- hooks the ledger calls for tracked people --------------------------------------
    def counted(self, name: str, p: Person) -> None:
        field_name = COUNTED.get(name)
        if field_name is not None:
            member = p.tracked
            setattr(member, field_name, getattr(member, field_name) + 1)

    def before_change(self, p: Person) -> None:
        """Bring a member's time-weighted outcomes up to now, before their place or flags change."""
        member = p.tracked
        now = self.m.env.now
        if now > member.last and p.place < N_ALIVE_PLACES:
            days = now - member.last
            if p.place in (ACUTE, OUT_OF_AREA):
                member.bed_days += days
            member.qaly_days += days * self.weight(p)
        member.last = now

    def weight(self, p: Person) -> float:
        """A person's quality-of-life weight now (the same rule as the population's QALYs)."""
        from .. import catalogue
        from ..outcomes import place_weight

        q = self.m.versions[self.m.version]
        w = place_weight(q, p.place)
        if p.flags & SEVERE:
            w += q["quality_of_life.severe_decrement"]
        if p.flags & EMPLOYED:
            w += q["quality_of_life.employed_gain"]
        for spec in catalogue.REGISTRY.values():
            if spec.quality_of_life_gain and any(p.flags & flag(h) for h in spec.qol_holders()):
                gain = q[spec.quality_of_life_gain]
                if spec.gain_grows_with_market:
                    gain *= self.m.programmes.market_maturity
                w += gain
        return w

    @staticmethod
    def sent(p: Person, where: str) -> None:
        """Where a closure sent a member (and, for a budget, how the assessment ended)."""
        if p.tracked is not None:
            p.tracked.sent_to = where

    def rows(self) -> list[tuple]:
        """One row per member: marker, pid, where sent, and the outcomes (at the end of the run)."""
        out = []
        for member in self.members:
            p = self.m.ledger.people[member.pid]
            if p.place < N_ALIVE_PLACES:
                self.before_change(p)
            died = p.place in (DIED_SUICIDE, DIED_OTHER)
            out.append((member.marker, member.pid, member.sent_to, member.crises, member.admissions, member.bed_days,
                        member.recoveries, int(bool(p.flags & EMPLOYED) and p.place < N_ALIVE_PLACES), int(died),
                        member.qaly_days / 365.25))
        return out

