"""Crisis care: home treatment, acute beds in and out of area, and discharge.

A crisis in the community is treated at home unless the person needs
admission (a share by needs level) or the crisis team's caseload is full; an
admission takes an in-area bed, or, when every bed is full, a bed out of
area (or a place on a waiting list, if beds are set to queue). People in
residential care or a tenancy are admitted and go back there. Discharge
opens the raised-risk window after crisis care, and severe patients may be
discharged to residential care or an enablement tenancy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .. import hazards as hz
from ..parameters import DAYS_PER_YEAR, Params
from ..people import (
    ACUTE, AFTER_DISCHARGE, COMMUNITY, ENABLEMENT, HOME_TREATMENT, INF, OUT_OF_AREA, RESIDENTIAL, SEVERE, WAIT_ENABLEMENT,
    WAITING_FOR_BED, Person,
)
from ..services import Service, scaled_capacity
from .life import ADMISSION, DISCHARGE

if TYPE_CHECKING:
    from . import CountyModel


READMISSION_DAYS = 90.0
"""Readmission is reported within 90 days of discharge, as R6 measures it."""


class CrisisCare:
    """The crisis team, the acute ward and its overflow."""

    def __init__(self, model: "CountyModel"):
        self.m = model
        self.ledger = model.ledger
        self.home_treatment = Service("crisis_home_treatment", 0)
        self.acute = Service("acute_beds", 0)
        self.acute_stays: list[float] = []

    def services(self) -> list[Service]:
        return [self.home_treatment, self.acute]

    def handlers(self) -> dict[int, Callable[[Person], None]]:
        return {hz.CRISIS: self.on_crisis}

    def configure(self, P: Params, open_: dict[str, bool], scale: float) -> None:
        s = P.services
        self.home_treatment.set_capacity(scaled_capacity(s.crisis_home_treatment.caseload, scale))
        self.home_treatment.open = open_["crisis_home_treatment"]
        self.acute.set_capacity(scaled_capacity(s.acute_beds.beds_in_area, scale))
        self.queue_beds = bool(s.acute_beds.queue_when_full)
        self.exponential_stays = bool(s.acute_beds.stay_exponential)
        self.stay_median = s.acute_beds.stay_median_days
        self.stay_spread = s.acute_beds.stay_spread
        self.ht_median = s.crisis_home_treatment.episode_median_days
        self.ht_spread = s.crisis_home_treatment.episode_spread
        self.window_days = P.crisis.after_discharge_days

    # -- a crisis ---------------------------------------------------------------------
    def on_crisis(self, p: Person) -> None:
        m, ledger = self.m, self.ledger
        now = m.env.now
        ledger.count("crisis_episodes", p)
        if now - p.t_last_discharge <= DAYS_PER_YEAR:
            if p.t_last_discharge <= m.end - DAYS_PER_YEAR:
                ledger.count("readmitted_within_year", p)
            p.t_last_discharge = -INF
        if p.place != COMMUNITY:
            p.home = p.place
            self.admit(p)
            return
        p.home = COMMUNITY
        crisis = m.P.crisis
        share = crisis.admission_share_severe if p.flags & SEVERE else crisis.admission_share_moderate
        if m.lives.route(p, ADMISSION) < share or not self.home_treatment.has_room():
            self.admit(p)
        else:
            self.home_treatment.occupy()
            ledger.count("home_treatment_episodes", p)
            p.t_stay_end = now + m.lives.duration(p, self.ht_median, self.ht_spread, False)
            p.update_timer()
            ledger.move(p, HOME_TREATMENT)

    def stay(self, p: Person) -> float:
        """A fresh length of stay in an acute bed."""
        return self.m.lives.duration(p, self.stay_median, self.stay_spread, self.exponential_stays)

    def admit(self, p: Person) -> None:
        ledger = self.ledger
        now = self.m.env.now
        ledger.count("acute_admissions", p)
        since = now - p.t_last_acute_discharge
        if since <= DAYS_PER_YEAR:       # the first readmission after a followed discharge (R6, T2)
            ledger.count("acute_readmitted_within_year", p)
            if since <= READMISSION_DAYS:
                ledger.count("acute_readmitted_within_90_days", p)
            p.t_last_acute_discharge = -INF
        if self.acute.occupied < self.acute.capacity:
            self.acute.occupy()
            place = ACUTE
        elif self.queue_beds:
            self.acute.waiting.join(p, now)
            ledger.move(p, WAITING_FOR_BED)
            return
        else:
            ledger.count("out_of_area_placements", p)
            place = OUT_OF_AREA
        p.t_stay_end = now + self.stay(p)
        p.update_timer()
        ledger.move(p, place)

    def fill_beds(self) -> None:
        """Beds freed go to those waiting, first come first served (only when beds queue)."""
        now = self.m.env.now
        while self.acute.occupied < self.acute.capacity:
            p = self.acute.waiting.pop_next(lambda q: q.place == WAITING_FOR_BED, now)
            if p is None:
                return
            self.acute.occupy()
            p.t_stay_end = now + self.stay(p)
            p.update_timer()
            self.ledger.move(p, ACUTE)
            self.m.lives.wake(p)

    # -- discharge --------------------------------------------------------------------
    def discharge(self, p: Person) -> None:
        """End of a home treatment episode or an admission."""
        m, ledger = self.m, self.ledger
        now = m.env.now
        place = p.place
        p.t_stay_end = INF
        if place == HOME_TREATMENT:
            self.home_treatment.vacate()
        else:
            self.acute_stays.append(now - p.t_place)
            if place == ACUTE:
                self.acute.vacate()
        dest = p.home
        if dest == COMMUNITY and p.flags & SEVERE and place != HOME_TREATMENT:
            dest = self.discharge_destination(p, now)
        if dest == RESIDENTIAL and p.home != RESIDENTIAL:
            ledger.count("residential_placements", p)
            m.supports.drop(p, keep_roles=True)
        p.home = COMMUNITY
        ledger.count("discharges", p)
        if now <= m.end - DAYS_PER_YEAR:
            ledger.count("discharges_followable", p)
        p.t_last_discharge = now
        if place != HOME_TREATMENT:
            # followed for a readmission only if a whole year after it is reported
            followed = m.warmup_days <= now <= m.end - DAYS_PER_YEAR
            p.t_last_acute_discharge = now if followed else -INF
            if followed:
                ledger.count("acute_discharges_followable", p)
        ledger.set(p, AFTER_DISCHARGE)
        p.t_discharge_window = now + self.window_days
        p.update_timer()
        ledger.move(p, dest)
        if place == ACUTE and self.queue_beds:
            self.fill_beds()

    def discharge_destination(self, p: Person, now: float) -> int:
        """Severe patients going home may instead be discharged to residential care or a tenancy."""
        m = self.m
        a = m.P.services.acute_beds
        u = m.lives.route(p, DISCHARGE)
        if u < a.discharge_to_residential_share_severe:
            return RESIDENTIAL
        if u < a.discharge_to_residential_share_severe + a.discharge_to_enablement_share_severe:
            enablement = m.housing.enablement
            dest = ENABLEMENT if enablement.has_room() else RESIDENTIAL
            if dest == RESIDENTIAL and enablement.open:
                self.ledger.set(p, WAIT_ENABLEMENT)
                enablement.waiting.join(p, now)
            elif dest == ENABLEMENT:
                enablement.take(p, now)
                self.ledger.count("enablement_entries", p)
            return dest
        return COMMUNITY

    def leave_for_good(self, p: Person) -> None:
        """Someone in crisis care dies or leaves: give back their bed or caseload place."""
        if p.place == ACUTE:
            self.acute.vacate()
        elif p.place == HOME_TREATMENT:
            self.home_treatment.vacate()
