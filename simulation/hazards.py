"""Every rate in the model, and what changes it.

A person's next event is drawn from competing hazards: the rates of all
events open to them in their situation (place, flags, raised-risk level).
The rules are here, one small function per outcome, so that "what changes
the crisis rate?" is answered by reading :meth:`HazardRules.crisis`.

Rates that vary over time for everyone at once (programme coverage, the
maturity of the personal budget market) are *dynamic factors*: the table
holds the rate at the factor's maximum, and the model accepts a drawn event
with probability value/maximum (thinning, Lewis & Shedler 1979). That keeps
the tables cacheable and the process exact without waking everybody monthly.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate
from typing import Mapping

from . import catalogue
from .parameters import DAYS_PER_YEAR, Params
from .people import (
    AFTER_DISCHARGE, ASSESSING, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, COMMUNITY, EMPLOYED, ENABLEMENT, HAS_CARER,
    HOME_TREATMENT, HOSPITAL_PLACES, PAID_PEER_WORKER, PEER_LEADER, PEER_MEMBER, RAISED_RISK, RC_GRADUATE, RC_STUDENT,
    RECOVERED, RESIDENTIAL, SEVERE, TUTOR, FREQUENT, WAIT_ENABLEMENT, WAIT_RC, flag, flags_of,
)

# Events a person's own clock can bring, by name; the constants are their ids.
EVENT_NAMES: list[str] = [
    "crisis", "step_up", "recover", "die_other", "suicide", "move_away", "job_gain", "job_loss",
    "day_centre.referral", "day_centre.leave", "day_centre.give_up",
    "peer_support.join", "peer_support.leave", "peer_support.give_up", "peer_support.leader_recruit", "peer_support.leader_burnout",
    "recovery_college.apply", "recovery_college.give_up", "recovery_college.tutor_leave",
    "personal_budgets.apply", "personal_budgets.end", "carer_support.assess", "carer_support.lapse",
    "enablement.move_on", "enablement.breakdown", "residential.move_on", "enablement.referral", "enablement.give_up",
    "relapse", "recovery_college.wane",
]
(
    CRISIS, STEP_UP, RECOVER, DIE_OTHER, SUICIDE, MOVE_AWAY, JOB_GAIN, JOB_LOSS,
    DC_REFER, DC_LEAVE, DC_GIVE_UP, PEER_JOIN, PEER_LEAVE, PEER_GIVE_UP, LEADER_RECRUIT, LEADER_BURNOUT,
    RC_APPLY, RC_GIVE_UP, TUTOR_LEAVE, BUDGET_APPLY, BUDGET_END, CARER_ASSESS, CARER_LAPSE,
    ENABLEMENT_MOVE_ON, ENABLEMENT_BREAKDOWN, RESIDENTIAL_MOVE_ON, ENABLEMENT_REFERRAL, ENABLEMENT_GIVE_UP,
    RELAPSE, RC_WANE,
) = range(30)


def event_id(name: str) -> int:
    """The id of an event by name, allocating one for an event a new support brings."""
    try:
        return EVENT_NAMES.index(name)
    except ValueError:
        EVENT_NAMES.append(name)
        return len(EVENT_NAMES) - 1


def n_events() -> int:
    return len(EVENT_NAMES)


N_EVENTS = 30
"""Events of the built-in services (a declared support adds its own: see :func:`n_events`)."""

# Dynamic factors (county-wide, updated monthly).
F_ZS_SUICIDE, F_ZS_CRISIS, F_CARER_UPTAKE, F_MARKET_RECOVERY, F_MARKET_CRISIS, F_MARKET_WORK = range(6)
N_FACTORS = 6


@dataclass(frozen=True)
class RateTable:
    """The competing events of one situation, ready for sampling.

    ``cum`` holds cumulative rates per day (at the dynamic factors' maxima);
    ``events[i]`` is drawn with probability ``rates[i] / total``.
    """

    total: float
    cum: tuple[float, ...]
    events: tuple[int, ...]
    rates: tuple[float, ...]
    factors: tuple[tuple[int, ...], ...]


def _y(rate_per_year: float) -> float:
    return rate_per_year / DAYS_PER_YEAR


class HazardRules:
    """Rates per day for every situation, from one version of the parameters.

    ``open_services`` says which services take new people; ``risk_multipliers``
    lists the crisis multipliers of the raised-risk windows in use (index 0 is
    "no raised risk").
    """

    def __init__(self, P: Params, open_services: Mapping[str, bool], risk_multipliers: list[float]):
        self.P = P
        self.open = dict(open_services)
        self.risk_multipliers = risk_multipliers  # shared: the model appends new levels
        s = P.services
        self.factor_max = [1.0] * N_FACTORS
        self.factor_max[F_CARER_UPTAKE] = max(1.0, P.programmes.carer_led_training.assessment_uptake_multiplier_at_full_coverage)
        self.factor_max[F_MARKET_RECOVERY] = max(1.0, s.personal_budgets.effect_on_recovery)
        self.factor_max[F_MARKET_CRISIS] = max(1.0, s.personal_budgets.effect_on_crisis)
        self.factor_max[F_MARKET_WORK] = max(1.0, s.personal_budgets.effect_on_work)
        # every support's effect on each rate, as (holder bits, multiplier), in the registry's order
        self.effects = {outcome: tuple((flags_of(holders), P.get(param)) for holders, param in catalogue.effects(outcome))
                        for outcome in catalogue.OUTCOMES}
        self.place_supports = tuple(
            (spec.name, tuple(event_id(e) for e in spec.events or ()), flag(spec.holds or ""), flag(spec.waits or ""),
             flags_of(spec.join_excludes), P.get(catalogue.declared(spec.join_rate)),
             P.get(catalogue.declared(spec.leave_rate)), P.get(catalogue.declared(spec.give_up_rate)))
            for spec in catalogue.place_supports())

    def _times_effects(self, outcome: str, rate: float, flags: int) -> float:
        """Multiply by the effect of every support held that changes this outcome."""
        for holders, multiplier in self.effects[outcome]:
            if flags & holders:
                rate *= multiplier
        return rate

    # -- the rules, one per outcome (rates per year, factors) -----------------
    def crisis(self, flags: int, risk: int) -> tuple[float, tuple[int, ...]]:
        """Crisis: needs level, raised-risk windows, and the supports held."""
        P = self.P
        rate = P.crisis.rate_per_year_severe if flags & SEVERE else P.crisis.rate_per_year_moderate
        if flags & FREQUENT:
            rate *= P.crisis.frequent_attender_multiplier
        if flags & AFTER_DISCHARGE:
            rate *= P.crisis.after_discharge_multiplier
        if flags & RAISED_RISK:
            rate *= self.risk_multipliers[risk]
        rate = self._times_effects("crisis", rate, flags)
        factors = (F_ZS_CRISIS, F_MARKET_CRISIS) if flags & BUDGET else (F_ZS_CRISIS,)
        return rate, factors

    def recovery(self, flags: int) -> tuple[float, tuple[int, ...]]:
        """Recovery (discharge from services): needs level and supports held."""
        P = self.P
        rate = P.recovery.rate_per_year_severe if flags & SEVERE else P.recovery.rate_per_year_moderate
        rate = self._times_effects("recovery", rate, flags)
        return rate, ((F_MARKET_RECOVERY,) if flags & BUDGET else ())

    def suicide(self, place: int, flags: int) -> tuple[float, tuple[int, ...]]:
        """Suicide: higher with severe needs, soon after discharge and in crisis care."""
        su = self.P.suicide
        rate = su.rate_per_year
        if flags & SEVERE:
            rate *= su.severe_multiplier
        if place == RECOVERED:
            return rate * su.recovered_multiplier, ()
        if flags & AFTER_DISCHARGE:
            rate *= su.after_discharge_multiplier
        if place == HOME_TREATMENT:
            rate *= su.in_home_treatment_multiplier
        elif place in HOSPITAL_PLACES:
            rate *= su.inpatient_multiplier
        return rate, (F_ZS_SUICIDE,)

    def other_death(self, place: int) -> float:
        m = self.P.mortality
        mult = m.recovered_multiplier if place == RECOVERED else m.mental_health_multiplier
        return m.general_rate_per_year * mult

    def job_gain(self, place: int, flags: int) -> tuple[float, tuple[int, ...]]:
        e = self.P.employment
        if place == RECOVERED:
            rate = e.recovered_job_gain_rate_per_year
        else:
            rate = e.job_gain_rate_per_year
            if flags & SEVERE:
                rate *= e.severe_job_gain_multiplier
        rate = self._times_effects("work", rate, flags)
        return rate, ((F_MARKET_WORK,) if flags & BUDGET and place != RECOVERED else ())

    def job_loss(self, place: int) -> float:
        e = self.P.employment
        if place == RECOVERED:
            return e.recovered_job_loss_rate_per_year
        if place == HOME_TREATMENT or place in HOSPITAL_PLACES:
            return e.job_loss_rate_per_year * e.in_hospital_job_loss_multiplier
        return e.job_loss_rate_per_year

    def supports(self, flags: int, out: list) -> None:
        """Joining, waiting for, leaving and losing supports (community or tenancy)."""
        s, o = self.P.services, self.open
        for name, (join, leave, give_up), hold, wait, excluded, join_rate, leave_rate, give_up_rate in self.place_supports:
            if flags & hold:
                out.append((leave, leave_rate, ()))
            elif flags & wait:
                out.append((give_up, give_up_rate, ()))
            elif o[name] and not flags & excluded:
                out.append((join, join_rate, ()))
        ps, rc, pb, cs = s.peer_support, s.recovery_college, s.personal_budgets, s.carer_support
        if flags & PEER_MEMBER and not flags & AFTER_DISCHARGE:
            out.append((LEADER_RECRUIT, ps.leader_recruit_rate_per_year, ()))   # a member doing well steps up to lead
        if flags & WAIT_RC:
            out.append((RC_GIVE_UP, rc.waiting_give_up_rate_per_year, ()))
        elif o["recovery_college"] and not flags & (RC_STUDENT | RC_GRADUATE):
            out.append((RC_APPLY, rc.apply_rate_per_year, ()))
        if flags & BUDGET:
            out.append((BUDGET_END, pb.end_rate_per_year, ()))
        elif flags & BUDGET_ELIGIBLE and not flags & ASSESSING and o["personal_budgets"]:
            out.append((BUDGET_APPLY, pb.apply_rate_per_year, ()))
        if flags & CARER_SUPPORTED:
            out.append((CARER_LAPSE, cs.lapse_rate_per_year, ()))
        elif flags & HAS_CARER and o["carer_support"]:
            out.append((CARER_ASSESS, cs.assessment_rate_per_year, (F_CARER_UPTAKE,)))

    def roles(self, flags: int, out: list) -> None:
        """Peer leaders burn out; tutors by experience move on."""
        ps = self.P.services.peer_support
        if flags & PEER_LEADER:
            burnout = ps.leader_burnout_rate_per_year
            if ps.leaders_supported or flags & PAID_PEER_WORKER:
                burnout *= ps.supported_burnout_multiplier
            out.append((LEADER_BURNOUT, burnout, ()))
        if flags & TUTOR:
            out.append((TUTOR_LEAVE, self.P.services.recovery_college.tutor_leave_rate_per_year, ()))
        if flags & RC_GRADUATE:   # what a course gave wears off (R1, R2 followed people for 18 months at most)
            out.append((RC_WANE, self.P.services.recovery_college.effect_waning_rate_per_year, ()))

    # -- the situation's full list --------------------------------------------
    def events(self, place: int, flags: int, risk: int) -> list[tuple[int, float, tuple[int, ...]]]:
        """(event, rate per year, dynamic factors) for everything that can happen next."""
        P, s = self.P, self.P.services
        out: list[tuple[int, float, tuple[int, ...]]] = []
        out.append((DIE_OTHER, self.other_death(place), ()))
        rate, f = self.suicide(place, flags)
        out.append((SUICIDE, rate, f))
        paid_role = flags & (PAID_PEER_WORKER | TUTOR)
        if place in (COMMUNITY, ENABLEMENT, RECOVERED):
            if flags & EMPLOYED:
                if not paid_role:
                    out.append((JOB_LOSS, self.job_loss(place), ()))
            else:
                rate, f = self.job_gain(place, flags)
                out.append((JOB_GAIN, rate, f))
        elif flags & EMPLOYED and not paid_role:
            out.append((JOB_LOSS, self.job_loss(place), ()))
        self.roles(flags, out)
        if place == RECOVERED:
            out.append((RELAPSE, self._times_effects("relapse", P.recovery.relapse_rate_per_year, flags), ()))
            out.append((MOVE_AWAY, P.population.move_away_rate_per_year, ()))
            return out
        if place in (COMMUNITY, ENABLEMENT, RESIDENTIAL):
            rate, f = self.crisis(flags, risk)
            out.append((CRISIS, rate, f))
        if place == COMMUNITY:
            out.append((MOVE_AWAY, P.population.move_away_rate_per_year, ()))
            rate, f = self.recovery(flags)
            out.append((RECOVER, rate, f))
            if flags & SEVERE:
                out.append((STEP_UP, self._times_effects("step_up", s.residential_care.step_up_rate_per_year_severe, flags), ()))
            self.supports(flags, out)
        elif place == ENABLEMENT:
            out.append((ENABLEMENT_MOVE_ON, s.enablement.move_on_rate_per_year, ()))
            out.append((ENABLEMENT_BREAKDOWN, s.enablement.breakdown_rate_per_year, ()))
            self.supports(flags, out)
        elif place == RESIDENTIAL:
            out.append((RESIDENTIAL_MOVE_ON, s.residential_care.move_on_rate_per_year, ()))
            if flags & WAIT_ENABLEMENT:
                out.append((ENABLEMENT_GIVE_UP, s.enablement.waiting_give_up_rate_per_year, ()))
            elif self.open["enablement"]:
                out.append((ENABLEMENT_REFERRAL, s.residential_care.referral_to_enablement_rate_per_year, ()))
        return out

    def table(self, place: int, flags: int, risk: int) -> RateTable:
        """The sampling table for one situation (rates per day, at factor maxima)."""
        fmax = self.factor_max
        events, rates, factors = [], [], []
        for event, per_year, f in self.events(place, flags, risk):
            bound = per_year
            for j in f:
                bound *= fmax[j]
            if bound > 0:
                events.append(event)
                rates.append(_y(bound))
                factors.append(f)
        cum = tuple(accumulate(rates))
        return RateTable(cum[-1] if cum else 0.0, cum, tuple(events), tuple(rates), tuple(factors))
