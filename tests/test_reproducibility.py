"""Same inputs, same numbers: serial or parallel, and common random numbers."""

from __future__ import annotations

import math

from simulation.experiment import RunPlan, comparison_rows, run_experiment, run_replication

from conftest import small_run


def test_same_seed_gives_identical_numbers(baseline):
    a = small_run(baseline, seed=9)
    b = small_run(baseline, seed=9)
    assert a.metrics == b.metrics
    assert a.monthly == b.monthly
    assert a.flows == b.flows


def test_different_seeds_give_different_numbers(baseline):
    assert small_run(baseline, seed=1).metrics != small_run(baseline, seed=2).metrics


def test_replications_differ_from_each_other(baseline):
    assert small_run(baseline, rep=0).metrics["crisis_episodes"] != small_run(baseline, rep=1).metrics["crisis_episodes"]


def test_serial_and_parallel_runs_are_identical(baseline, close_day_centre):
    plan = RunPlan(seed=4, replications=3, years=1, scale=0.03)
    serial = run_experiment([baseline, close_day_centre], plan, workers=1)
    parallel = run_experiment([baseline, close_day_centre], plan, workers=2)
    for label in serial.labels:
        for s, p in zip(serial.results[label], parallel.results[label]):
            assert s.metrics == p.metrics
            assert s.monthly == p.monthly


def test_a_scenario_identical_to_the_baseline_has_exactly_zero_difference(baseline):
    """Determinism, seen through the comparison table (the common-random-numbers test is below)."""
    copy = baseline.with_values({}, name="Copy of the baseline")
    plan = RunPlan(seed=2, replications=3, years=1, scale=0.03)
    exp = run_experiment([baseline, copy], plan)
    rows = comparison_rows(exp, exp.labels[0])
    assert rows
    for row in rows:
        assert row["delta_mean"] == 0 and row["delta_ci_low"] == 0 and row["delta_ci_high"] == 0, row["metric"]


def test_a_decision_changes_nothing_before_it_is_taken(baseline, close_day_centre):
    """Before month 6 the two scenarios are the same county, month by month (causality:
    a later action must not reach back), and after it the day centre is empty."""
    base = run_replication(baseline, 5, 0, 1, 0.05, 0.0)
    closed = run_replication(close_day_centre, 5, 0, 1, 0.05, 0.0)
    for metric in ("crisis_episodes", "acute_admissions", "recoveries", "people_in_contact"):
        assert base.monthly[metric][:5] == closed.monthly[metric][:5], metric
    assert base.monthly["day_centre_users"][8] > 0 == closed.monthly["day_centre_users"][8]


def test_paired_differences_are_narrower_than_unpaired(baseline, close_day_centre):
    """Common random numbers: the replication-to-replication spread of a difference is far
    smaller than the spread of the outcome itself (the closure touches a few hundred people)."""
    plan = RunPlan(seed=6, replications=5, years=2, scale=0.05)
    exp = run_experiment([baseline, close_day_centre], plan)

    def sd(values):
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))

    for metric in ("crisis_episodes", "qalys", "acute_bed_days"):
        base = exp.metric_values(exp.labels[0], metric)
        alt = exp.metric_values(exp.labels[1], metric)
        assert sd([a - b for a, b in zip(alt, base)]) < sd(base) / 4, metric
