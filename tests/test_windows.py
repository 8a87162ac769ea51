"""Time windows at their edges: moved on within 30 months, readmitted within a year.

A window is easy to get off by one month or one day, and the calibration
targets that use them would still look plausible. Each test moves people
just inside and just outside the edge.
"""

from __future__ import annotations

import pytest

from quiet_county import month, pulse, quiet, run

N = 10


@pytest.mark.parametrize("moved_at, counted", [(29.5, 1.0), (30.5, 0.0)])
def test_residents_moving_on_within_30_months_are_counted_and_later_ones_are_not(baseline, moved_at, counted):
    s = quiet(baseline, {"population.in_contact_at_start": N, "census.in_residential_care": N})
    s = s.with_actions(*pulse(moved_at, "services.residential_care.move_on_rate_per_year"))
    assert run(s, years=3).metrics["residential_move_on_30_months_share"] == counted


@pytest.mark.parametrize("moved_at, counted", [(29.5, 1.0), (30.5, 0.0)])
def test_the_30_month_window_starts_when_reporting_starts_after_a_warm_up(baseline, moved_at, counted):
    from simulation.experiment import run_replication

    s = quiet(baseline, {"population.in_contact_at_start": N, "census.in_residential_care": N})
    s = s.with_actions(*pulse(moved_at, "services.residential_care.move_on_rate_per_year"))  # actions count from reporting
    assert run_replication(s, 1, 0, 3.0, 1.0, 1.0).metrics["residential_move_on_30_months_share"] == counted


def test_moves_during_the_warm_up_are_not_the_cohorts(baseline):
    """Everyone in residential care at time 0 moves on during a warm-up: nobody is in residential
    care when reporting starts, so nobody can have moved on 'within 30 months' of it."""
    from simulation.experiment import run_replication

    s = quiet(baseline, {"population.in_contact_at_start": N, "census.in_residential_care": N,
                         "services.residential_care.move_on_rate_per_year": 1e6})
    m = run_replication(s, 1, 0, 3.0, 1.0, 1.0).metrics
    assert m["residential_move_on_30_months_share"] == 0.0


@pytest.mark.parametrize("days_after, share", [(355.0, 1.0), (375.0, 0.0)])
def test_a_crisis_within_a_year_of_discharge_is_a_readmission(baseline, days_after, share):
    episode = 28.0
    s = quiet(baseline, {"population.in_contact_at_start": N, "population.employed_share_at_start": 1.0,
                         "services.crisis_home_treatment.episode_median_days": episode,
                         "services.crisis_home_treatment.episode_spread": 0.0})
    again = (month(1) + episode + days_after) / month(1)
    s = s.with_actions(*pulse(1, "crisis.rate_per_year_moderate"), *pulse(again, "crisis.rate_per_year_moderate"))
    m = run(s, years=2).metrics
    assert m["crisis_episodes"] == 2 * N
    assert m["readmission_within_year_share"] == share
