"""Extreme values behave as they must."""

from __future__ import annotations

import pytest

from simulation.experiment import run_replication

from conftest import EMPTY_COUNTY, small_run


def test_no_people_and_no_arrivals_means_nothing_happens(baseline):
    empty = baseline.with_values(EMPTY_COUNTY)
    m = run_replication(empty, 1, 0, 2, 1.0, 0.0).metrics
    for metric in ("crisis_episodes", "acute_admissions", "suicides", "deaths_other", "recoveries",
                   "people_in_contact_end", "people_employed_end", "qalys", "acute_bed_days"):
        assert m[metric] == 0, metric
    # only block contracts and programmes are still paid for
    assert m["cost.acute_beds.nhs"] == 0
    assert m["cost.day_centre.nhs"] > 0


def test_unlimited_beds_mean_no_out_of_area_placements_in_the_full_model(baseline):
    roomy = baseline.with_values({"services.acute_beds.beds_in_area": 100_000})
    m = small_run(roomy, years=2, scale=0.05).metrics
    assert m["acute_admissions"] > 100
    assert m["out_of_area_placements"] == 0


def test_no_beds_send_every_admission_out_of_area(baseline):
    none = baseline.with_values({"services.acute_beds.beds_in_area": 0, "census.in_acute_beds": 0})
    m = small_run(none, years=1, scale=0.05).metrics
    assert m["acute_admissions"] > 0
    assert m["out_of_area_placements"] == m["acute_admissions"]


def test_zero_day_centre_places_means_nobody_attends(baseline):
    closed = baseline.with_values({"services.day_centre.places": 0})
    result = small_run(closed, years=2, scale=0.05)
    assert result.metrics["day_centre_users_end"] == 0
    assert max(result.monthly["day_centre_users"]) == 0
    assert max(result.monthly["day_centre_waiting"]) > 0  # referrals still come and wait


def test_no_suicide_risk_means_no_suicides(baseline):
    safe = baseline.with_values({"suicide.rate_per_year": 0.0})
    assert small_run(safe, years=2, scale=0.05).metrics["suicides"] == 0


def test_everyone_recovering_instantly_empties_the_caseload(baseline):
    fast = baseline.with_values({"recovery.rate_per_year_moderate": 1000.0, "recovery.rate_per_year_severe": 1000.0,
                                 "recovery.relapse_rate_per_year": 0.0, "population.referrals_per_year": 0.0})
    result = small_run(fast, years=1, scale=0.05)
    # only people in hospital, crisis care or placements remain after a year
    assert result.metrics["people_in_contact_end"] < 0.02 * baseline.values["population.in_contact_at_start"]


@pytest.mark.parametrize("scale", [0.02, 0.1])
def test_scale_changes_precision_not_the_answer(baseline, scale):
    m = small_run(baseline, years=1, scale=scale).metrics
    assert m["people_in_contact_end"] == pytest.approx(baseline.values["population.in_contact_at_start"], rel=0.1)
