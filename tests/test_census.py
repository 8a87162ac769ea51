"""The census is Essex in autumn 2015 in balance: who is where at the start, and what they hold.

A census drawn as a random sample of the caseload would start out of
equilibrium: people in crisis care are there because they had a crisis, a
stay under way has already lasted a while, and people discharged in the
last 90 days are still at raised risk. These tests check each of those
rules on the people the census creates, against figures computed here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.model import CountyModel
from simulation.model.census import Census
from simulation.people import (
    ACUTE, AFTER_DISCHARGE, BUDGET_ELIGIBLE, COMMUNITY, DAY_CENTRE, FREQUENT, HOME_TREATMENT, OUT_OF_AREA, RECOVERED,
    SEVERE, flag,
)


def census_of(scenario, scale=0.5, seed=4):
    model = CountyModel(scenario, seed=seed, replication=0, years=1, scale=scale)
    people = Census(model, model.census_stream).run()
    return model, people


@pytest.fixture(scope="module")
def start(baseline):
    return census_of(baseline)


def share(people, bit):
    return sum(1 for p in people if p.flags & bit) / len(people)


def test_people_in_crisis_care_are_there_in_proportion_to_their_crisis_rate(baseline, start):
    _, people = start
    v = baseline.values
    s, f, k = v["population.severe_share"], v["crisis.frequent_attender_share"], v["crisis.frequent_attender_multiplier"]
    rs, rm = v["crisis.rate_per_year_severe"], v["crisis.rate_per_year_moderate"]
    in_crisis = [p for p in people if p.place in (HOME_TREATMENT, ACUTE, OUT_OF_AREA)]
    expected_severe = s * rs / (s * rs + (1 - s) * rm)
    expected_frequent = f * k / (1 - f + f * k)
    n = len(in_crisis)
    assert abs(share(in_crisis, SEVERE) - expected_severe) < 3 * math.sqrt(expected_severe * (1 - expected_severe) / n) + 0.01
    assert abs(share(in_crisis, FREQUENT) - expected_frequent) < 3 * math.sqrt(expected_frequent * (1 - expected_frequent) / n) + 0.01
    community = [p for p in people if p.place == COMMUNITY]
    assert abs(share(community, SEVERE) - s) < 0.01          # the caseload keeps its declared share
    assert share(in_crisis, SEVERE) > share(community, SEVERE) + 0.1


def test_recovered_people_have_their_own_severe_share(baseline, start):
    _, people = start
    recovered = [p for p in people if p.place == RECOVERED]
    assert abs(share(recovered, SEVERE) - baseline.values["population.recovered_severe_share_at_start"]) < 0.01


def test_stays_under_way_are_length_biased(baseline):
    """What is left of a lognormal stay caught at a random moment averages half the length-biased mean:
    median x exp(1.5 sigma^2) / 2 (about 0.73 of a fresh stay's mean at sigma 0.7), not a uniform share
    of a fresh stay (0.5 of its mean)."""
    model, people = census_of(baseline, scale=1.0, seed=9)
    v = baseline.values
    median, sigma = v["services.acute_beds.stay_median_days"], v["services.acute_beds.stay_spread"]
    left = np.array([p.t_stay_end for p in people if p.place in (ACUTE, OUT_OF_AREA)])
    expected = median * math.exp(1.5 * sigma ** 2) / 2
    fresh_mean = median * math.exp(sigma ** 2 / 2)
    assert abs(left.mean() - expected) < 4 * left.std() / math.sqrt(len(left))
    assert left.mean() > 0.65 * fresh_mean


def test_the_window_after_discharge_holds_what_littles_law_says(baseline, start):
    model, people = start
    v = baseline.values
    window = v["crisis.after_discharge_days"]
    acute_mean = v["services.acute_beds.stay_median_days"] * math.exp(v["services.acute_beds.stay_spread"] ** 2 / 2)
    ht_mean = (v["services.crisis_home_treatment.episode_median_days"]
               * math.exp(v["services.crisis_home_treatment.episode_spread"] ** 2 / 2))
    per_day = (min(v["census.in_acute_beds"], v["services.acute_beds.beds_in_area"]) + v["census.out_of_area"]) / acute_mean \
        + min(v["census.in_home_treatment"], v["services.crisis_home_treatment.caseload"]) / ht_mean
    in_window = [p for p in people if p.flags & AFTER_DISCHARGE]
    assert len(in_window) == round(per_day * window * model.scale)
    assert all(p.place == COMMUNITY and 0 <= p.t_discharge_window <= window for p in in_window)
    # part way through: the time left is spread over the whole window
    left = np.array([p.t_discharge_window for p in in_window])
    assert abs(left.mean() - window / 2) < 0.1 * window
    # recently in crisis care, so more often severe than the community
    community = [p for p in people if p.place == COMMUNITY]
    assert share(in_window, SEVERE) > share(community, SEVERE) + 0.1


def test_support_users_are_eligible_for_a_budget_as_often_as_s9_says(baseline, start):
    _, people = start
    v = baseline.values
    users = [p for p in people if p.flags & DAY_CENTRE]
    county = [p for p in people if p.flags & flag("county_day_services")]
    target = v["census.support_users_budget_eligible_share"]
    for group in (users, county):
        assert len(group) > 20
        assert share(group, BUDGET_ELIGIBLE) == pytest.approx(round(len(group) * target) / len(group))
    everyone = [p for p in people if p.place != RECOVERED]
    assert abs(share(everyone, BUDGET_ELIGIBLE) - v["population.budget_eligible_share"]) < 0.01
