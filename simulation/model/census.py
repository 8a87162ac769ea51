"""The census: people already in each place at the start, with the supports they hold.

Attributes are drawn in one block from the census stream; stocks are
filled in bulk because at time 0 nobody has accumulated any time yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from .. import catalogue
from ..people import (
    ACUTE, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, COMMUNITY, EMPLOYED, ENABLEMENT, HAS_CARER, HOME_TREATMENT,
    OUT_OF_AREA, PEER_LEADER, RC_GRADUATE, RECOVERED, RESIDENTIAL, SEVERE, WAIT_ENABLEMENT, Person,
)

if TYPE_CHECKING:
    from . import CountyModel


def take(it: Iterator[Person], k: int) -> list[Person]:
    """Up to ``k`` people from an iterator."""
    out = []
    for _ in range(max(0, k)):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


class Census:
    """Creates the people alive at time 0."""

    def __init__(self, model: "CountyModel", stream):
        self.m = model
        self.stream = stream

    def n(self, x: float) -> int:
        return int(round(x * self.m.scale))

    def run(self) -> list[Person]:
        m = self.m
        P = m.P
        people = self.create(self.places())
        m.ledger.bulk(people)
        self.crisis_and_housing(people)
        in_community = [p for p in people if p.place == COMMUNITY or p.place == ENABLEMENT]
        keys = self.stream.matrix(len(in_community), 3)
        self.supports(in_community, keys)
        budget = (keys[:, 1] < P.census.budget_holders_share_of_eligible).tolist()
        carer = (keys[:, 2] < P.census.carers_supported_share).tolist()
        for p, b, cs in zip(in_community, budget, carer):
            if b and p.flags & BUDGET_ELIGIBLE:
                m.ledger.set(p, BUDGET)
            if cs and p.flags & HAS_CARER:
                m.ledger.set(p, CARER_SUPPORTED)
        return people

    def places(self) -> list[int]:
        """Where each person at the start is (capacity-limited places are filled up to capacity)."""
        m = self.m
        c, pop, n = m.P.census, m.P.population, self.n
        in_contact = n(pop.in_contact_at_start)
        placed = [
            (HOME_TREATMENT, min(n(c.in_home_treatment), m.crisis.home_treatment.capacity)),
            (ACUTE, min(n(c.in_acute_beds), m.crisis.acute.capacity)),
            (OUT_OF_AREA, n(c.out_of_area)),
            (RESIDENTIAL, n(c.in_residential_care)),
            (ENABLEMENT, min(n(c.in_enablement), m.housing.enablement.capacity)),
        ]
        community = max(0, in_contact - sum(k for _, k in placed))
        places = [place for place, k in placed for _ in range(k)] + [COMMUNITY] * community
        return places + [RECOVERED] * n(pop.recovered_at_start)

    def create(self, places: list[int]) -> list[Person]:
        """People with attributes drawn in one block: needs, carer, budget eligibility, work."""
        pop = self.m.P.population
        u = self.stream.matrix(len(places), 4)
        place_arr = np.asarray(places)
        supported = np.isin(place_arr, (RESIDENTIAL, ENABLEMENT))
        severe_share = np.where(supported, 1.0, pop.severe_share)
        employed_share = np.where(supported, 0.0, np.where(place_arr == RECOVERED, pop.recovered_employed_share_at_start,
                                                            pop.employed_share_at_start))
        flags = ((u[:, 0] < severe_share) * SEVERE | (u[:, 1] < pop.carer_share) * HAS_CARER
                 | (u[:, 2] < pop.budget_eligible_share) * BUDGET_ELIGIBLE | (u[:, 3] < employed_share) * EMPLOYED)
        lives = self.m.lives
        return [lives.new_person(f, place, bulk=True) for f, place in zip(flags.tolist(), places)]

    def crisis_and_housing(self, people: list[Person]) -> None:
        """Stays under way at the start, tenancies held, and the enablement waiting list."""
        m = self.m
        crisis, st = m.crisis, self.stream
        now = m.env.now
        for p in people:
            place = p.place
            if place == COMMUNITY or place == RECOVERED:
                continue
            if place == HOME_TREATMENT:
                crisis.home_treatment.occupy()
                p.t_stay_end = now + st.uniform() * m.lives.duration(p, crisis.ht_median, crisis.ht_spread, False)
            elif place == ACUTE or place == OUT_OF_AREA:
                if place == ACUTE:
                    crisis.acute.occupy()
                p.t_stay_end = now + st.uniform() * crisis.stay(p)
            elif place == ENABLEMENT:
                m.housing.enablement.take(p, now)
            p.update_timer()
        residents = [p for p in people if p.place == RESIDENTIAL]
        for p in residents[: self.n(m.P.census.waiting_for_enablement)]:
            m.ledger.set(p, WAIT_ENABLEMENT)
            m.housing.enablement.waiting.join(p, now)

    def supports(self, in_community: list[Person], keys) -> None:
        """Place supports held at the start, in a random order of the people in the community."""
        m = self.m
        now = m.env.now
        order = [in_community[i] for i in np.argsort(keys[:, 0], kind="stable").tolist()]
        it = iter(order)
        for s in m.supports.all:
            if not m.open[s.name]:
                continue        # a service closed at the start has no users
            if s.name == m.peer.NAME:
                for p in take(it, self.n(m.P.census.peer_leaders)):
                    m.ledger.set(p, PEER_LEADER)
                m.peer.update_capacity()
            for p in take(it, min(self.n(m.P.get(catalogue.declared(s.spec.census_path))), s.service.capacity)):
                s.service.take(p, now)
                m.ledger.set(p, s.hold)
        for p in take(it, self.n(m.P.census.recovery_college_graduates)):
            m.ledger.set(p, RC_GRADUATE)
