"""The mean-field twin: same parameters, same outputs, and agreement with the simulation."""

from __future__ import annotations

import pytest

from simulation.experiment import RunPlan, run_experiment, run_preview
from simulation.twin import run_twin
from simulation.verification import UNBOUNDED


@pytest.fixture(scope="module")
def twin_baseline(baseline):
    return run_twin(baseline, years=3)


def test_the_twin_reports_every_metric_the_simulation_does(baseline, twin_baseline):
    from conftest import small_run

    sim = small_run(baseline, years=1, scale=0.02)
    assert set(sim.metrics) <= set(twin_baseline.metrics)
    assert set(sim.monthly) <= set(twin_baseline.monthly)
    assert len(twin_baseline.monthly["people_in_contact"]) == 36


def test_the_twin_is_deterministic(baseline, twin_baseline):
    again = run_twin(baseline, years=3)
    assert again.metrics == twin_baseline.metrics


def test_rate_tables_shared_between_runs_give_the_same_numbers_as_fresh_ones(close_day_centre):
    """Tables are cached by parameter values; a run must not change them for the next one."""
    import simulation.twin as twin

    twin._TABLES.clear()
    fresh = run_twin(close_day_centre, years=2)
    assert twin._TABLES, "the run should have left its tables for the next"
    shared = run_twin(close_day_centre, years=2)
    assert shared.metrics == fresh.metrics
    assert shared.monthly == fresh.monthly


def test_the_twin_conserves_people(baseline, twin_baseline):
    """Everyone at the start or arriving is alive at the end or has left (died or moved away)."""
    from simulation.twin import Twin

    v = baseline.values
    start = v["population.in_contact_at_start"] + v["population.recovered_at_start"]
    arrivals = v["population.referrals_per_year"] * 3
    moved_away = sum(Twin(baseline, years=3).run().snapshots[-1].counts["moved_away"])
    m = twin_baseline.metrics
    assert m["people_alive_end"] + m["suicides"] + m["deaths_other"] + moved_away == pytest.approx(start + arrivals, rel=1e-3)


def test_costs_add_up_in_the_twin_too(twin_baseline):
    m = twin_baseline.metrics
    assert m["total_cost"] == pytest.approx(m["cost_nhs"] + m["cost_council"] + m["cost_society"], rel=1e-9)


def test_the_twin_follows_a_decision(baseline, close_day_centre):
    base = run_twin(baseline, years=3)
    closed = run_twin(close_day_centre, years=3)
    # the block contract stops: the NHS pays less for the day centre after month 6
    assert closed.metrics["cost.day_centre.nhs"] < 0.3 * base.metrics["cost.day_centre.nhs"]
    assert closed.monthly["day_centre_users"][12] < 1.0 < base.monthly["day_centre_users"][12]


@pytest.mark.slow
def test_with_capacity_not_binding_the_simulation_agrees_with_the_twin(baseline):
    """Every stock and total the verify command compares, by the same rule: inside the
    simulation's interval or within 2%, never on a zero, and every stock must move."""
    from simulation.verification import TWIN_STOCKS, TWIN_TOTALS, agree, agree_stock

    roomy = baseline.with_values(UNBOUNDED)
    twin = run_twin(roomy, years=3)
    exp = run_experiment([roomy], RunPlan(seed=4, replications=4, years=3, scale=0.15), workers=2)
    sims = exp.results[exp.labels[0]]
    for stock in (*TWIN_STOCKS, "enablement", "day_centre_users"):
        line = agree_stock(stock, twin.monthly[stock], [s.monthly[stock] for s in sims])
        assert line.passed, line.figure
    for metric in TWIN_TOTALS:
        line = agree(metric, twin.metrics[metric], [s.metrics[metric] for s in sims], 0.02)
        assert line.passed, (metric, line.figure)


def test_preview_gives_one_deterministic_replication_per_scenario(baseline, close_day_centre):
    exp = run_preview([baseline, close_day_centre], years=1)
    assert exp.plan.replications == 1
    assert [len(v) for v in exp.results.values()] == [1, 1]
    assert exp.extra["method"].startswith("mean-field")
