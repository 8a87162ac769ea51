"""Place supports: the day centre, peer support and any support declared like them.

One piece of machinery for every support with places, referrals, a waiting
list and people who leave (``catalogue.place_supports``): a referral takes
a free place or joins the waiting list; a place given up goes to the first
person still waiting; people waiting can give up. Whoever steps up to
residential care, recovers, dies or leaves gives up every support
(:meth:`Supports.drop`). Peer support's leaders, who add places, are in
``peer``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .. import catalogue
from .. import hazards as hz
from ..ledger import join_counter
from ..parameters import Params
from ..people import (
    ASSESSING, BUDGET, CARER_SUPPORTED, HEALTH_BUDGET, INF, N_ALIVE_PLACES, RC_STUDENT, WAIT_ENABLEMENT, WAIT_RC, Person, flag, flags_of,
)
from ..services import Service, scaled_capacity

if TYPE_CHECKING:
    from . import CountyModel


class PlaceSupport:
    """One place support at run time: its places, waiting list, flags and events."""

    def __init__(self, spec: catalogue.ServiceSpec):
        self.spec = spec
        self.name = spec.name
        self.service = Service(spec.name, 0)
        self.hold = flag(spec.holds or "")
        self.wait = flag(spec.waits or "")
        self.has_place = flags_of((spec.holds or "", *spec.join_excludes))
        """Flags that mean a person already has a place here (peer leaders count as members)."""
        self.join_event, self.leave_event, self.give_up_event = (hz.event_id(e) for e in spec.events or ())
        self.counter = join_counter(spec)


class Supports:
    """Every place support, and the giving up of supports."""

    def __init__(self, model: "CountyModel"):
        self.m = model
        self.ledger = model.ledger
        self.all = [PlaceSupport(spec) for spec in catalogue.place_supports()]
        self.by_name = {s.name: s for s in self.all}

    def services(self) -> list[Service]:
        return [s.service for s in self.all]

    def handlers(self) -> dict[int, Callable[[Person], None]]:
        out: dict[int, Callable[[Person], None]] = {}
        for s in self.all:
            out[s.join_event] = self._referral(s)
            out[s.leave_event] = self._leaving(s)
            out[s.give_up_event] = self._giving_up(s)
        return out

    def _referral(self, s: PlaceSupport) -> Callable[[Person], None]:
        def on_referral(p: Person) -> None:
            self.ledger.count(s.counter, p)
            self.join(p, s)
        return on_referral

    def _leaving(self, s: PlaceSupport) -> Callable[[Person], None]:
        def on_leave(p: Person) -> None:
            self.leave(p, s)
        return on_leave

    def _giving_up(self, s: PlaceSupport) -> Callable[[Person], None]:
        def on_give_up(p: Person) -> None:
            self.ledger.clear(p, s.wait)
        return on_give_up

    def configure(self, P: Params, open_: dict[str, bool], scale: float) -> None:
        for s in self.all:
            s.service.open = open_[s.name]
            if s.name != self.m.peer.NAME:      # peer support's places follow its leaders
                s.service.set_capacity(scaled_capacity(P.get(catalogue.declared(s.spec.places_path)), scale))

    # -- joining, leaving, waiting ---------------------------------------------------------
    def join(self, p: Person, s: PlaceSupport) -> bool:
        """Ask for a place: take it if free, else join the waiting list."""
        svc = s.service
        if not svc.open:
            return False
        now = self.m.env.now
        if svc.occupied < svc.capacity:
            svc.take(p, now)
            self.ledger.set(p, s.hold)
            return True
        self.ledger.set(p, s.wait)
        svc.waiting.join(p, now)
        return False

    def leave(self, p: Person, s: PlaceSupport) -> None:
        svc = s.service
        if svc.holds(p):
            since = svc.give_back(p)
            self.ledger.flag_stock[s.hold].sojourn[p.group] += self.m.env.now - since
        self.ledger.clear(p, s.hold)
        self.fill(s)

    def fill(self, s: PlaceSupport) -> None:
        """Free places go to those waiting, first come first served."""
        svc, wait, ledger = s.service, s.wait, self.ledger
        now = self.m.env.now
        while svc.open and svc.occupied < svc.capacity:
            p = svc.waiting.pop_next(lambda q: bool(q.flags & wait) and q.place < N_ALIVE_PLACES, now)
            if p is None:
                return
            ledger.clear(p, wait)
            svc.take(p, now)
            ledger.set(p, s.hold)
            self.m.lives.wake(p)

    def fill_all(self) -> None:
        for s in self.all:
            self.fill(s)

    def drop(self, p: Person, keep_roles: bool) -> None:
        """Give up community supports (on recovery, residential care, death or leaving)."""
        f = p.flags
        for s in self.all:
            if f & s.hold:
                self.leave(p, s)
        ledger = self.ledger
        for s in self.all:
            ledger.clear(p, s.wait)
        for bit in (WAIT_RC, BUDGET, HEALTH_BUDGET, ASSESSING, CARER_SUPPORTED):
            ledger.clear(p, bit)
        p.t_assess_end = INF
        if not keep_roles:
            self.m.end_roles(p)
            ledger.clear(p, RC_STUDENT)
            ledger.clear(p, WAIT_ENABLEMENT)

    # -- a closure ----------------------------------------------------------------------
    def users(self, name: str) -> list[Person]:
        return list(self.by_name[name].service.holders)

    def clear_waiting(self, name: str) -> None:
        s = self.by_name[name]
        for p, _ in list(s.service.waiting.queue):
            self.ledger.clear(p, s.wait)
        s.service.waiting.clear()

    def take_place_away(self, name: str, p: Person) -> None:
        s = self.by_name[name]
        if s.service.holds(p):
            s.service.give_back(p)
        self.ledger.clear(p, s.hold)

    def redirect(self, name: str, p: Person) -> tuple[str, bool]:
        """Someone losing another service is offered a place here: (where they were sent, got a place). A closed
        support takes nobody and keeps no waiting list: they were sent to nothing."""
        s = self.by_name[name]
        if not s.service.open:
            return "nothing", False
        return name, bool(p.flags & s.has_place) or self.join(p, s)
