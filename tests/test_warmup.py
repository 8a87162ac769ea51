"""A warm-up period runs the model but resets what is reported."""

from __future__ import annotations

import pytest

from simulation.experiment import run_replication


def test_warm_up_reports_only_the_period_after_it(baseline):
    warmed = run_replication(baseline, 8, 0, 1, 0.05, 1.0)   # 1 year warm-up, 1 year reported
    straight = run_replication(baseline, 8, 0, 2, 0.05, 0.0)  # the same two years, all reported
    assert len(warmed.monthly["crisis_episodes"]) == 12
    assert warmed.metrics["crisis_episodes"] == pytest.approx(sum(straight.monthly["crisis_episodes"][12:]))
    assert warmed.monthly["people_in_contact"] == pytest.approx(straight.monthly["people_in_contact"][12:])
    assert warmed.metrics["suicides"] == pytest.approx(sum(straight.monthly["suicides"][12:]))


def test_costs_after_warm_up_are_discounted_from_its_end(baseline):
    warmed = run_replication(baseline, 8, 0, 1, 0.05, 1.0)
    straight = run_replication(baseline, 8, 0, 2, 0.05, 0.0)
    second_year = sum(straight.monthly["total_cost"][12:])
    # the straight run discounts its second year by about one more year than the warmed run
    rate = baseline.values["costs.discount_rate"]
    assert warmed.metrics["total_cost"] == pytest.approx(second_year * (1 + rate), rel=0.01)
