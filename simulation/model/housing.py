"""Residential care and Intensive Enablement tenancies.

Severe needs can step up to residential care, which people rarely leave
(a direct move-on, or a referral to an enablement tenancy when one is
free). A tenant moves on to independent living or, if the tenancy breaks
down, back to residential care. The residents in residential care when
reporting starts are a cohort whose move-on within 30 months is a
calibration target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .. import hazards as hz
from ..parameters import DAYS_PER_MONTH, Params
from ..people import COMMUNITY, ENABLEMENT, N_ALIVE_PLACES, RESIDENTIAL, WAIT_ENABLEMENT, Person
from ..services import Service, scaled_capacity

if TYPE_CHECKING:
    from . import CountyModel


class Housing:
    """Residential care, the enablement tenancies and their waiting list."""

    def __init__(self, model: "CountyModel"):
        self.m = model
        self.ledger = model.ledger
        self.enablement = Service("enablement", 0)
        self.cohort: set[int] = set()      # people in residential care when reporting starts
        self.cohort_size = 0

    def services(self) -> list[Service]:
        return [self.enablement]

    def handlers(self) -> dict[int, Callable[[Person], None]]:
        return {
            hz.STEP_UP: self.on_step_up, hz.RESIDENTIAL_MOVE_ON: self.on_residential_move_on,
            hz.ENABLEMENT_REFERRAL: self.on_enablement_referral, hz.ENABLEMENT_GIVE_UP: self.on_enablement_give_up,
            hz.ENABLEMENT_MOVE_ON: self.on_enablement_move_on, hz.ENABLEMENT_BREAKDOWN: self.on_enablement_breakdown,
        }

    def configure(self, P: Params, open_: dict[str, bool], scale: float) -> None:
        self.enablement.set_capacity(scaled_capacity(P.services.enablement.tenancies_operative, scale))
        self.enablement.open = open_["enablement"]

    # -- residential care -----------------------------------------------------------
    def on_step_up(self, p: Person) -> None:
        self.ledger.count("residential_placements", p)
        self.m.supports.drop(p, keep_roles=True)
        self.ledger.move(p, RESIDENTIAL)

    def start_cohort(self) -> None:
        """The residents whose move-on within 30 months is a calibration target: those in
        residential care when reporting starts (after any warm-up)."""
        self.cohort = {p.pid for p in self.ledger.people if p.place == RESIDENTIAL}
        self.cohort_size = len(self.cohort)

    def moved_on_from_residential(self, p: Person) -> None:
        m = self.m
        self.ledger.count("residential_move_ons", p)
        if p.pid in self.cohort and 0.0 <= m.env.now - m.warmup_days <= 30 * DAYS_PER_MONTH:
            self.ledger.counts["cohort_residential_move_ons_30m"][0] += 1
        self.cohort.discard(p.pid)

    def on_residential_move_on(self, p: Person) -> None:
        self.ledger.clear(p, WAIT_ENABLEMENT)
        self.moved_on_from_residential(p)
        self.ledger.move(p, COMMUNITY)

    # -- enablement ----------------------------------------------------------------------
    def on_enablement_referral(self, p: Person) -> None:
        self.ledger.set(p, WAIT_ENABLEMENT)
        self.enablement.waiting.join(p, self.m.env.now)
        self.fill()

    def on_enablement_give_up(self, p: Person) -> None:
        self.ledger.clear(p, WAIT_ENABLEMENT)

    def fill(self) -> None:
        """Free tenancies go to those waiting, first come first served."""
        en, ledger = self.enablement, self.ledger
        now = self.m.env.now
        while en.open and en.occupied < en.capacity:
            p = en.waiting.pop_next(lambda q: bool(q.flags & WAIT_ENABLEMENT) and q.place < N_ALIVE_PLACES, now)
            if p is None:
                return
            ledger.clear(p, WAIT_ENABLEMENT)
            en.take(p, now)
            ledger.count("enablement_entries", p)
            if p.place == RESIDENTIAL:
                self.moved_on_from_residential(p)
                ledger.move(p, ENABLEMENT)
                self.m.lives.wake(p)
            else:  # in hospital: the tenancy waits for them
                if p.home == RESIDENTIAL:
                    self.moved_on_from_residential(p)
                p.home = ENABLEMENT

    def leave_tenancy(self, p: Person) -> None:
        self.enablement.give_back(p)
        self.fill()

    def on_enablement_move_on(self, p: Person) -> None:
        self.ledger.count("enablement_move_ons", p)
        self.leave_tenancy(p)
        self.ledger.move(p, COMMUNITY)

    def on_enablement_breakdown(self, p: Person) -> None:
        self.ledger.count("enablement_breakdowns", p)
        self.ledger.count("residential_placements", p)
        self.leave_tenancy(p)
        self.m.supports.drop(p, keep_roles=True)
        self.ledger.move(p, RESIDENTIAL)

    def leave_for_good(self, p: Person) -> None:
        """Someone dies or leaves: their tenancy is freed and they leave the cohort."""
        if self.enablement.holds(p):
            self.enablement.give_back(p)
        self.cohort.discard(p.pid)

    def close(self) -> None:
        """Enablement closes: no new tenants; the waiting list is cleared, tenants stay."""
        for p, _ in list(self.enablement.waiting.queue):
            self.ledger.clear(p, WAIT_ENABLEMENT)
        self.enablement.waiting.clear()
