"""Intervals and verdicts."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from simulation.experiment import Interval, paired_difference, scenario_labels, t_interval, verdict


def test_t_interval_matches_scipy():
    xs = [3.1, 2.7, 3.9, 4.2, 3.3, 2.8]
    iv = t_interval(xs)
    lo, hi = stats.t.interval(0.95, len(xs) - 1, loc=sum(xs) / len(xs), scale=stats.sem(xs))
    assert iv.low == pytest.approx(lo) and iv.high == pytest.approx(hi)
    assert iv.n == 6 and iv.mean == pytest.approx(sum(xs) / 6)


def test_one_value_has_no_width_and_no_values_are_nan():
    assert t_interval([5.0]) == Interval(5.0, 5.0, 5.0, 0.0, 1)
    assert math.isnan(t_interval([]).mean)


def test_paired_difference_uses_replication_pairs():
    base = [10.0, 20.0, 30.0, 40.0]
    alt = [11.0, 21.0, 31.0, 41.0]
    d = paired_difference(alt, base)
    assert d.mean == pytest.approx(1.0) and d.low == pytest.approx(1.0) and d.high == pytest.approx(1.0)
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 2.0])


@pytest.mark.parametrize("low,high,better,expected", [
    (1.0, 2.0, "higher", "better"), (1.0, 2.0, "lower", "worse"), (-2.0, -1.0, "lower", "better"),
    (-1.0, 1.0, "lower", "no clear difference"), (0.0, 0.0, "lower", "no difference"), (1.0, 2.0, None, "higher"),
])
def test_verdicts(low, high, better, expected):
    assert verdict(Interval((low + high) / 2, low, high, 1.0, 5), better) == expected


def test_repeated_scenario_names_get_distinct_labels(baseline):
    labels = scenario_labels([baseline, baseline])
    assert len(set(labels)) == 2 and labels[0].startswith(baseline.name)


def test_a_shorter_wait_for_a_support_is_not_called_better():
    """Waits are averaged over people who got a place: after a closure few do, so 'shorter' says little."""
    from simulation.experiment import metric_direction

    shorter = Interval(mean=-5.0, low=-8.0, high=-2.0, sd=4.0, n=10)
    for support in ("day_centre", "peer_support", "recovery_college", "enablement"):
        assert verdict(shorter, metric_direction(f"{support}_mean_wait_days")) == "lower"
    assert verdict(shorter, metric_direction("acute_mean_wait_days")) == "better"   # a bed wait is for everyone admitted
