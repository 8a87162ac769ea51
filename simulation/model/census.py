"""The census: people already in each place at the start, with the supports they hold.

Attributes are drawn in one block from the census stream; stocks are
filled in bulk because at time 0 nobody has accumulated any time yet.
"""

from __future__ import annotations

from math import exp
from typing import TYPE_CHECKING

import numpy as np

from .. import catalogue
from ..equilibrium import crisis_rate, crisis_weighted_shares, leaving_crisis_care_per_day  # shared with the twin
from ..people import (
    ACUTE, AFTER_DISCHARGE, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, COMMUNITY, EMPLOYED, ENABLEMENT, FREQUENT, HAS_CARER, HEALTH_BUDGET, HOME_TREATMENT,
    OUT_OF_AREA, PEER_LEADER, RC_GRADUATE, RECOVERED, RESIDENTIAL, SEVERE, WAIT_ENABLEMENT, Person,
)

if TYPE_CHECKING:
    from . import CountyModel


class _Picker:
    """People taken in a fixed random order, each at most once: from anyone, or with a set share eligible for a budget."""

    def __init__(self, order: list[Person]):
        self.order = order
        self.taken: set[int] = set()
        self.at = {True: 0, False: 0, None: 0}

    def _next(self, eligible: bool | None) -> Person | None:
        i = self.at[eligible]
        while i < len(self.order):
            p = self.order[i]
            i += 1
            if p.pid not in self.taken and (eligible is None or bool(p.flags & BUDGET_ELIGIBLE) == eligible):
                self.at[eligible] = i
                self.taken.add(p.pid)
                return p
        self.at[eligible] = i
        return None

    def any(self, k: int) -> list[Person]:
        return [p for p in (self._next(None) for _ in range(max(0, k))) if p is not None]

    def mixed(self, k: int, eligible_share: float) -> list[Person]:
        """``k`` people, ``round(k x eligible_share)`` of them eligible (others if too few are)."""
        want = int(round(max(0, k) * eligible_share))
        out = [p for p in (self._next(True) for _ in range(want)) if p is not None]
        out += [p for p in (self._next(False) for _ in range(max(0, k) - want)) if p is not None]
        return out + self.any(k - len(out))


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
        share = P.census.budget_holders_share_of_eligible
        budget = (keys[:, 1] < share).tolist()
        # the first part of the budget draw's range: a personal health budget (newly launched in 2015)
        health = (keys[:, 1] < share * P.census.health_budgets_share_of_holders).tolist()
        carer = (keys[:, 2] < P.census.carers_supported_share).tolist()
        for p, b, h, cs in zip(in_community, budget, health, carer):
            if b and p.flags & BUDGET_ELIGIBLE:
                m.ledger.set(p, BUDGET)
                if h:
                    m.ledger.set(p, HEALTH_BUDGET)
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
        """People with attributes drawn in one block: needs, carer, budget eligibility, work, frequent attending.

        People in crisis care at the start are there because they had a crisis, so their needs and
        frequent attending are drawn in proportion to each kind of person's crisis rate (an
        equilibrium census, not a random sample of the caseload). Recovered people have their own
        severe share (severe needs recover slowly, so fewer of them are out of contact)."""
        pop, crisis = self.m.P.population, self.m.P.crisis
        u = self.stream.matrix(len(places), 5)
        place_arr = np.asarray(places)
        supported = np.isin(place_arr, (RESIDENTIAL, ENABLEMENT))
        in_crisis = np.isin(place_arr, (HOME_TREATMENT, ACUTE, OUT_OF_AREA))
        s_crisis, f_crisis = crisis_weighted_shares(pop.severe_share, crisis)
        severe_share = np.where(supported, 1.0, np.where(place_arr == RECOVERED, pop.recovered_severe_share_at_start,
                                                         np.where(in_crisis, s_crisis, pop.severe_share)))
        employed_share = np.where(supported, 0.0, np.where(place_arr == RECOVERED, pop.recovered_employed_share_at_start,
                                                            pop.employed_share_at_start))
        severe = u[:, 0] < severe_share
        frequent_share = np.where(in_crisis, np.where(severe, f_crisis[1], f_crisis[0]), crisis.frequent_attender_share)
        flags = (severe * SEVERE | (u[:, 1] < pop.carer_share) * HAS_CARER
                 | (u[:, 2] < pop.budget_eligible_share) * BUDGET_ELIGIBLE | (u[:, 3] < employed_share) * EMPLOYED
                 | (u[:, 4] < frequent_share) * FREQUENT)
        lives = self.m.lives
        return [lives.new_person(f, place, bulk=True) for f, place in zip(flags.tolist(), places)]

    def crisis_and_housing(self, people: list[Person]) -> None:
        """Stays under way at the start, tenancies held, and the enablement waiting list.

        A stay under way at a random moment is longer than a fresh one (long stays are more likely to
        be caught: length bias), so what is left of it is a uniform share of a length-biased stay; for
        the lognormal that is a stay with its median times exp(spread squared). Exponential stays are
        memoryless: what is left is a fresh stay."""
        m = self.m
        crisis, st = m.crisis, self.stream
        now = m.env.now
        for p in people:
            place = p.place
            if place == COMMUNITY or place == RECOVERED:
                continue
            if place == HOME_TREATMENT:
                crisis.home_treatment.occupy()
                p.t_stay_end = now + st.uniform() * m.lives.duration(p, crisis.ht_median * exp(crisis.ht_spread ** 2),
                                                                      crisis.ht_spread, False)
            elif place == ACUTE or place == OUT_OF_AREA:
                if place == ACUTE:
                    crisis.acute.occupy()
                p.t_stay_end = now + self.remaining_stay(p)
            elif place == ENABLEMENT:
                m.housing.enablement.take(p, now)
            p.update_timer()
        residents = [p for p in people if p.place == RESIDENTIAL]
        for p in residents[: self.n(m.P.census.waiting_for_enablement)]:
            m.ledger.set(p, WAIT_ENABLEMENT)
            m.housing.enablement.waiting.join(p, now)
        self.recently_discharged(people)

    def remaining_stay(self, p: Person) -> float:
        """What is left of an acute stay under way at the start (see :meth:`crisis_and_housing`)."""
        c = self.m.crisis
        if c.exponential_stays:
            return c.stay(p)
        return self.stream.uniform() * self.m.lives.duration(p, c.stay_median * exp(c.stay_spread ** 2), c.stay_spread,
                                                             False)

    def recently_discharged(self, people: list[Person]) -> None:
        """People in the community discharged from crisis care in the last ``after_discharge_days``.

        In equilibrium as many leave crisis care each day as are in it divided by the mean stay
        (Little's law), so the window holds that many times its length. They are drawn from the
        community in proportion to each person's crisis rate (they had a crisis recently), and are part
        way through their window."""
        m = self.m
        P = m.P
        window = P.crisis.after_discharge_days
        per_day = leaving_crisis_care_per_day(P)
        community = [p for p in people if p.place == COMMUNITY]
        k = min(self.n(per_day * window), len(community))
        if k <= 0:
            return
        rates = np.array([crisis_rate(p.flags, P.crisis) for p in community])
        keys = self.stream.matrix(len(community), 2)
        # weighted sampling without replacement (Efraimidis-Spirakis): the k largest u^(1/w)
        score = np.log(np.maximum(keys[:, 0], 1e-300)) / rates
        chosen = np.argsort(-score, kind="stable")[:k]
        now = m.env.now
        for i in chosen.tolist():
            p = community[i]
            left = keys[i, 1] * window
            m.ledger.set(p, AFTER_DISCHARGE)
            p.t_discharge_window = now + left
            p.t_last_discharge = now + left - window
            p.update_timer()

    def supports(self, in_community: list[Person], keys) -> None:
        """Place supports held at the start, in a random order of the people in the community.

        Users of a place support are more often eligible for a budget than the caseload (S9: 40-45% of
        day-centre users against about 13% of everyone in contact), so each support's users are taken
        from the eligible and the other people in the proportion ``census.support_users_budget_eligible_share``."""
        m = self.m
        now = m.env.now
        order = [in_community[i] for i in np.argsort(keys[:, 0], kind="stable").tolist()]
        pick = _Picker(order)
        share = m.P.census.support_users_budget_eligible_share
        for s in m.supports.all:
            if not m.open[s.name]:
                continue        # a service closed at the start has no users
            if s.name == m.peer.NAME:
                for p in pick.any(self.n(m.P.census.peer_leaders)):
                    m.ledger.set(p, PEER_LEADER)
                m.peer.update_capacity()
            k = min(self.n(m.P.get(catalogue.declared(s.spec.census_path))), s.service.capacity)
            for p in pick.mixed(k, share):
                s.service.take(p, now)
                m.ledger.set(p, s.hold)
        for p in pick.any(self.n(m.P.census.recovery_college_graduates)):
            m.ledger.set(p, RC_GRADUATE)
