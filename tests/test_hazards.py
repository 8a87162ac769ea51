"""The rate rules: each modifier changes exactly the rates it should."""

from __future__ import annotations

import pytest

from simulation import hazards as hz
from simulation.hazards import HazardRules
from simulation.parameters import DAYS_PER_YEAR, Params
from simulation.people import (
    ACUTE, AFTER_DISCHARGE, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, COMMUNITY, DAY_CENTRE, EMPLOYED, HAS_CARER,
    HOME_TREATMENT, OUT_OF_AREA, PAID_PEER_WORKER, PEER_LEADER, PEER_MEMBER, RAISED_RISK, RC_GRADUATE, RECOVERED,
    RESIDENTIAL, SEVERE, TUTOR,
)

OPEN = {"day_centre": True, "peer_support": True, "recovery_college": False, "personal_budgets": True,
        "carer_support": True, "crisis_home_treatment": True, "acute_beds": True, "enablement": True, "county_day_services": True}


@pytest.fixture
def rules(baseline):
    return HazardRules(Params(baseline.values), OPEN, [1.0, 1.5])


def rate(rules, place, flags, event, risk=0):
    for e, r, _ in rules.events(place, flags, risk):
        if e == event:
            return r
    return 0.0


def test_severe_needs_use_the_severe_crisis_rate(rules, baseline):
    v = baseline.values
    assert rate(rules, COMMUNITY, 0, hz.CRISIS) == v["crisis.rate_per_year_moderate"]
    assert rate(rules, COMMUNITY, SEVERE, hz.CRISIS) == v["crisis.rate_per_year_severe"]


def test_supports_multiply_the_crisis_rate_by_their_effects(rules, baseline):
    v = baseline.values
    base = rate(rules, COMMUNITY, 0, hz.CRISIS)
    assert rate(rules, COMMUNITY, DAY_CENTRE, hz.CRISIS) == pytest.approx(base * v["services.day_centre.effect_on_crisis"])
    assert rate(rules, COMMUNITY, PEER_MEMBER, hz.CRISIS) == pytest.approx(base * v["services.peer_support.effect_on_crisis"])
    assert rate(rules, COMMUNITY, RC_GRADUATE, hz.CRISIS) == pytest.approx(base * v["services.recovery_college.effect_on_crisis"])
    both = rate(rules, COMMUNITY, DAY_CENTRE | CARER_SUPPORTED, hz.CRISIS)
    assert both == pytest.approx(base * v["services.day_centre.effect_on_crisis"] * v["services.carer_support.effect_on_crisis"])


def test_after_discharge_and_raised_risk_windows_raise_crisis_risk(rules, baseline):
    base = rate(rules, COMMUNITY, 0, hz.CRISIS)
    assert rate(rules, COMMUNITY, AFTER_DISCHARGE, hz.CRISIS) == pytest.approx(base * baseline.values["crisis.after_discharge_multiplier"])
    assert rate(rules, COMMUNITY, RAISED_RISK, hz.CRISIS, risk=1) == pytest.approx(base * 1.5)


def test_the_day_centre_is_neutral_on_recovery_by_default_and_its_declared_effect_applies(rules, baseline):
    """No evidence says attending slows recovery (R10): neutral by default. Under the commissioners' belief
    (scenarios/beliefs/) holders recover at the declared fraction of the rate."""
    base = rate(rules, COMMUNITY, 0, hz.RECOVER)
    assert rate(rules, COMMUNITY, DAY_CENTRE, hz.RECOVER) == pytest.approx(base)
    believed = HazardRules(Params({**baseline.values, "services.day_centre.effect_on_recovery": 0.7}), OPEN, [1.0, 1.5])
    assert rate(believed, COMMUNITY, DAY_CENTRE, hz.RECOVER) == pytest.approx(0.7 * rate(believed, COMMUNITY, 0, hz.RECOVER))


def test_suicide_risk_is_highest_after_discharge_and_lower_on_a_ward(rules, baseline):
    v = baseline.values
    base = rate(rules, COMMUNITY, 0, hz.SUICIDE)
    assert rate(rules, COMMUNITY, AFTER_DISCHARGE, hz.SUICIDE) == pytest.approx(base * v["suicide.after_discharge_multiplier"])
    assert rate(rules, HOME_TREATMENT, 0, hz.SUICIDE) == pytest.approx(base * v["suicide.in_home_treatment_multiplier"])
    assert rate(rules, RECOVERED, 0, hz.SUICIDE) == pytest.approx(base * v["suicide.recovered_multiplier"])


def test_budget_effects_are_dynamic_factors_bounded_by_their_full_effect(rules, baseline):
    v = baseline.values
    events = {e: (r, f) for e, r, f in rules.events(COMMUNITY, BUDGET_ELIGIBLE | BUDGET, 0)}
    assert hz.F_MARKET_RECOVERY in events[hz.RECOVER][1]
    assert hz.F_MARKET_CRISIS in events[hz.CRISIS][1]
    table = rules.table(COMMUNITY, BUDGET_ELIGIBLE | BUDGET, 0)
    i = table.events.index(hz.RECOVER)
    assert table.rates[i] == pytest.approx(v["recovery.rate_per_year_moderate"] * v["services.personal_budgets.effect_on_recovery"] / DAYS_PER_YEAR)


def test_only_the_eligible_apply_for_budgets_and_only_carers_get_assessed(rules):
    assert rate(rules, COMMUNITY, 0, hz.BUDGET_APPLY) == 0
    assert rate(rules, COMMUNITY, BUDGET_ELIGIBLE, hz.BUDGET_APPLY) > 0
    assert rate(rules, COMMUNITY, 0, hz.CARER_ASSESS) == 0
    assert rate(rules, COMMUNITY, HAS_CARER, hz.CARER_ASSESS) > 0


def test_closed_services_take_no_referrals(baseline):
    closed = dict(OPEN, day_centre=False)
    rules = HazardRules(Params(baseline.values), closed, [1.0])
    assert rate(rules, COMMUNITY, 0, hz.DC_REFER) == 0
    assert rate(rules, COMMUNITY, 0, hz.RC_APPLY) == 0  # the college is closed in the baseline


def test_paid_roles_do_not_end_by_ordinary_job_loss(rules):
    assert rate(rules, COMMUNITY, EMPLOYED, hz.JOB_LOSS) > 0
    assert rate(rules, COMMUNITY, EMPLOYED | TUTOR, hz.JOB_LOSS) == 0
    assert rate(rules, COMMUNITY, EMPLOYED | TUTOR, hz.TUTOR_LEAVE) > 0


def test_residential_residents_can_be_referred_to_enablement_or_move_on(rules):
    assert rate(rules, RESIDENTIAL, SEVERE, hz.ENABLEMENT_REFERRAL) > 0
    assert rate(rules, RESIDENTIAL, SEVERE, hz.RESIDENTIAL_MOVE_ON) > 0
    assert rate(rules, RESIDENTIAL, SEVERE, hz.RECOVER) == 0


def test_sampling_tables_hold_each_event_at_its_rate_per_day(rules):
    """The table a person samples from says, for each event, the rate of its rule divided by
    the days in a year (here, checked against the rules one by one)."""
    table = rules.table(COMMUNITY, SEVERE | HAS_CARER, 0)
    by_event = dict(zip(table.events, table.rates))
    crisis, _ = rules.crisis(SEVERE | HAS_CARER, 0)
    recovery, _ = rules.recovery(SEVERE | HAS_CARER)
    assert by_event[hz.CRISIS] == pytest.approx(crisis / 365.25)
    assert by_event[hz.RECOVER] == pytest.approx(recovery / 365.25)
    assert by_event[hz.DIE_OTHER] == pytest.approx(rules.other_death(COMMUNITY) / 365.25)


def job_gain(rules, place, flags):
    """(rate, dynamic factors) of finding work."""
    return next((r, f) for e, r, f in rules.events(place, flags, 0) if e == hz.JOB_GAIN)


def test_severe_needs_slow_finding_work_in_contact_but_not_once_recovered(rules, baseline):
    v = baseline.values
    assert job_gain(rules, COMMUNITY, 0)[0] == pytest.approx(v["employment.job_gain_rate_per_year"])
    assert job_gain(rules, COMMUNITY, SEVERE)[0] == pytest.approx(
        v["employment.job_gain_rate_per_year"] * v["employment.severe_job_gain_multiplier"])
    assert job_gain(rules, RECOVERED, 0)[0] == pytest.approx(v["employment.recovered_job_gain_rate_per_year"])
    assert job_gain(rules, RECOVERED, SEVERE)[0] == pytest.approx(v["employment.recovered_job_gain_rate_per_year"])


def test_the_budget_markets_effect_on_work_is_for_budget_holders_in_contact_only(rules):
    assert job_gain(rules, COMMUNITY, BUDGET)[1] == (hz.F_MARKET_WORK,)
    assert job_gain(rules, COMMUNITY, 0)[1] == ()
    assert job_gain(rules, RECOVERED, BUDGET)[1] == ()
    assert job_gain(rules, RECOVERED, 0)[1] == ()


def test_severe_needs_multiply_suicide_risk_in_contact_and_after_recovery(rules, baseline):
    v = baseline.values
    assert rate(rules, COMMUNITY, 0, hz.SUICIDE) == pytest.approx(v["suicide.rate_per_year"])
    assert rate(rules, COMMUNITY, SEVERE, hz.SUICIDE) == pytest.approx(v["suicide.rate_per_year"] * v["suicide.severe_multiplier"])
    assert rate(rules, ACUTE, 0, hz.SUICIDE) == pytest.approx(v["suicide.rate_per_year"] * v["suicide.inpatient_multiplier"])
    assert rate(rules, RECOVERED, SEVERE, hz.SUICIDE) == pytest.approx(
        v["suicide.rate_per_year"] * v["suicide.severe_multiplier"] * v["suicide.recovered_multiplier"])


@pytest.mark.parametrize("place, multiplier", [(COMMUNITY, "mortality.mental_health_multiplier"),
                                               (ACUTE, "mortality.mental_health_multiplier"),
                                               (RECOVERED, "mortality.recovered_multiplier")])
def test_other_deaths_are_the_general_rate_times_the_multiplier_for_people_in_contact_or_recovered(rules, baseline, place, multiplier):
    v = baseline.values
    assert rate(rules, place, 0, hz.DIE_OTHER) == pytest.approx(v["mortality.general_rate_per_year"] * v[multiplier])


def test_work_is_lost_faster_in_crisis_care(rules, baseline):
    v = baseline.values
    assert rate(rules, COMMUNITY, EMPLOYED, hz.JOB_LOSS) == pytest.approx(v["employment.job_loss_rate_per_year"])
    for place in (HOME_TREATMENT, ACUTE, OUT_OF_AREA):
        assert rate(rules, place, EMPLOYED, hz.JOB_LOSS) == pytest.approx(
            v["employment.job_loss_rate_per_year"] * v["employment.in_hospital_job_loss_multiplier"]), place


def test_only_leaders_burn_out_and_only_supported_or_paid_leaders_at_the_lower_rate(baseline):
    v = {**baseline.values, "services.peer_support.leaders_supported": False}
    unsupported = HazardRules(Params(v), OPEN, [1.0])
    burnout, lower = v["services.peer_support.leader_burnout_rate_per_year"], v["services.peer_support.supported_burnout_multiplier"]
    assert rate(unsupported, COMMUNITY, PEER_MEMBER, hz.LEADER_BURNOUT) == 0
    assert rate(unsupported, COMMUNITY, PEER_LEADER, hz.LEADER_BURNOUT) == pytest.approx(burnout)
    assert rate(unsupported, COMMUNITY, PEER_LEADER | PAID_PEER_WORKER, hz.LEADER_BURNOUT) == pytest.approx(burnout * lower)
    supported = HazardRules(Params({**v, "services.peer_support.leaders_supported": True}), OPEN, [1.0])
    assert rate(supported, COMMUNITY, PEER_LEADER, hz.LEADER_BURNOUT) == pytest.approx(burnout * lower)


def test_only_graduates_have_a_course_effect_to_wear_off(rules, baseline):
    assert rate(rules, COMMUNITY, 0, hz.RC_WANE) == 0
    assert rate(rules, COMMUNITY, RC_GRADUATE, hz.RC_WANE) == pytest.approx(
        baseline.values["services.recovery_college.effect_waning_rate_per_year"])


def test_an_event_a_new_support_brings_gets_the_next_id_once(monkeypatch):
    monkeypatch.setattr(hz, "EVENT_NAMES", list(hz.EVENT_NAMES))
    n = hz.n_events()
    assert hz.event_id("crisis") == hz.CRISIS
    new = hz.event_id("new_support.join")
    assert new == n and hz.EVENT_NAMES[new] == "new_support.join" and hz.n_events() == n + 1
    assert hz.event_id("new_support.join") == new
