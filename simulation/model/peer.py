"""Peer support's leaders: the co-production loop.

Peer support (Sociability) is a place support like the day centre, except
that its places depend on its leaders: a few base places plus so many per
active leader. Members doing well step up to lead (freeing a member place
and adding leader places); leaders burn out, less often when supported or
paid; Recovery College graduates can become paid peer workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .. import hazards as hz
from ..parameters import Params
from ..people import COMMUNITY, EMPLOYED, PAID_PEER_WORKER, PEER_LEADER, Person

if TYPE_CHECKING:
    from . import CountyModel


class PeerLeadership:
    """Leaders and paid peer workers, and the places they bring."""

    NAME = "peer_support"

    def __init__(self, model: "CountyModel"):
        self.m = model
        self.ledger = model.ledger

    @property
    def support(self):
        return self.m.supports.by_name[self.NAME]

    def handlers(self) -> dict[int, Callable[[Person], None]]:
        return {hz.LEADER_RECRUIT: self.on_leader_recruit, hz.LEADER_BURNOUT: self.on_leader_burnout}

    def configure(self, P: Params, open_: dict[str, bool], scale: float) -> None:
        self.update_capacity()

    def update_capacity(self) -> None:
        m = self.m
        ps = m.P.services.peer_support
        leaders = self.ledger.flag_stock[PEER_LEADER].total
        base = ps.base_places * m.scale
        places = int(base + ps.people_per_leader * leaders + 0.5) if m.open.get(self.NAME) else 0
        self.support.service.set_capacity(places)

    def on_leader_recruit(self, p: Person) -> None:
        """A member doing well steps up to lead: frees a member place, adds leader places."""
        supports, s = self.m.supports, self.support
        self.ledger.count("leaders_recruited", p)
        supports.leave(p, s)
        self.ledger.set(p, PEER_LEADER)
        self.update_capacity()
        supports.fill(s)

    def on_leader_burnout(self, p: Person) -> None:
        self.ledger.count("leader_burnouts", p)
        self.ledger.clear(p, PEER_LEADER)
        if p.flags & PAID_PEER_WORKER:
            self.ledger.clear(p, PAID_PEER_WORKER)
            self.ledger.clear(p, EMPLOYED)
        self.update_capacity()

    def become_paid_worker(self, p: Person) -> None:
        """A Recovery College graduate is taken on as a paid peer support worker (and leader)."""
        supports, s = self.m.supports, self.support
        self.ledger.count("graduate_peer_workers", p)
        if p.flags & s.hold:
            supports.leave(p, s)
        self.ledger.set(p, PEER_LEADER)
        self.ledger.set(p, PAID_PEER_WORKER)
        self.ledger.set(p, EMPLOYED)
        self.update_capacity()
        supports.fill(s)

    def end_roles(self, p: Person) -> None:
        """Someone stops leading (closure, death, leaving): a paid worker loses the job."""
        if p.flags & PEER_LEADER:
            self.ledger.clear(p, PEER_LEADER)
            self.update_capacity()
        if p.flags & PAID_PEER_WORKER:
            self.ledger.clear(p, PAID_PEER_WORKER)
            self.ledger.clear(p, EMPLOYED)

    def on_open(self) -> None:
        """Peer support opens (Sociability was set up by people who had used the day centre): its founding
        leaders are people living in the community, picked by a stream of their own."""
        m = self.m
        want = int(round(m.P.services.peer_support.founding_leaders * m.scale))
        if want <= 0:
            return
        candidates = [p for p in self.ledger.people if p.place == COMMUNITY and not p.flags & PEER_LEADER]
        pick = m.streams.block("peer_support.founders")
        chosen: set[int] = set()
        while len(chosen) < min(want, len(candidates)):
            chosen.add(int(pick.uniform() * len(candidates)))
        for i in sorted(chosen):
            self.ledger.set(candidates[i], PEER_LEADER)
            m.lives.wake(candidates[i])
        self.update_capacity()

    def on_close(self) -> None:
        """Peer support closes: every leader's role ends."""
        for p in self.ledger.people:
            if p.flags & PEER_LEADER:
                self.m.end_roles(p)
