"""Common random numbers that isolate a decision.

Every kind of event a person can have runs on its own clock and its own
random stream, so a decision changes only what it touches. These tests
hold the model to that: a decision that changes no one's rates changes no
outcome at all, in every replication; a decision that changes one rate
changes nothing that does not depend on it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from simulation.experiment import RunPlan, run_experiment
from simulation.parameters import DAYS_PER_MONTH
from simulation.scenario import SetParameters
from simulation.verification import PEOPLE_OUTCOMES, neutral_closure, null_decision_lines

PLAN = RunPlan(seed=4, replications=3, years=2, scale=0.05)


@pytest.mark.parametrize("service", ["day_centre", "county_day_services"])
def test_closing_a_neutral_service_changes_no_outcome_in_any_replication(baseline, service):
    base, closed = neutral_closure(baseline, service)
    exp = run_experiment([base, closed], PLAN)
    for line in null_decision_lines(exp, service):
        assert line.passed, (line.check, line.figure)
    # and the closure did happen: its users lost their places
    assert all(r.metrics["users_losing_a_place"] > 0 for r in exp.results[exp.labels[1]])


def test_changing_one_rate_changes_only_what_depends_on_it(baseline):
    """Doubling the chance of finding work from month 3 changes work, lost output and QALYs, but not
    one crisis, admission, recovery or death: those run on clocks of their own."""
    doubled = 2 * float(baseline.values["employment.job_gain_rate_per_year"])
    busier = baseline.with_actions(SetParameters(3 * DAYS_PER_MONTH, values=(("employment.job_gain_rate_per_year", doubled),), when="month 3"))
    exp = run_experiment([baseline, busier], PLAN)
    for a, b in zip(exp.results[exp.labels[1]], exp.results[exp.labels[0]]):
        for metric in ("crisis_episodes", "acute_admissions", "acute_bed_days", "recoveries", "suicides", "deaths_other"):
            assert a.metrics[metric] == b.metrics[metric], metric
        assert a.metrics["job_gains"] > b.metrics["job_gains"]
        assert a.metrics["people_employed_end"] != b.metrics["people_employed_end"]


def test_a_decision_shrinks_the_spread_of_the_difference_far_below_the_outcomes_own(baseline, close_day_centre):
    exp = run_experiment([baseline, close_day_centre], RunPlan(seed=6, replications=5, years=2, scale=0.05))
    import statistics

    for metric in ("crisis_episodes", "recoveries", "qalys"):
        base = exp.metric_values(exp.labels[0], metric)
        alt = exp.metric_values(exp.labels[1], metric)
        paired = statistics.stdev([a - b for a, b in zip(alt, base)])
        assert paired < statistics.stdev(base) / 10, metric


def test_people_outcomes_are_the_outcomes_a_null_decision_must_not_move():
    assert {"crisis_episodes", "suicides", "qalys", "people_employed_end"} <= set(PEOPLE_OUTCOMES)


def test_compare_adds_replications_until_a_difference_is_as_precise_as_asked(tmp_path):
    out = tmp_path / "precise"
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "compare", "scenarios/baseline.yaml", "scenarios/close_day_centre.yaml",
                           "--reps", "2", "--years", "1", "--scale", "0.03", "--workers", "1", "--out", str(out),
                           "--precision", "crisis_episodes=1000000", "--precision", "cost_health_and_care=1", "--max-reps", "5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    outcome = {o["metric"]: o for o in manifest["precision"]}
    assert outcome["crisis_episodes"]["reached"] is True
    assert outcome["cost_health_and_care"]["reached"] is False and outcome["cost_health_and_care"]["replications"] == 5
    assert manifest["replications"] == 5
    assert "NOT reached" in proc.stdout and "reached with" in proc.stdout
    spread = manifest["paired_difference_sd"]["Close the day centre"]
    assert spread["crisis_episodes"] >= 0 and spread["cost.day_centre.nhs"] >= 0


@pytest.mark.parametrize("option, message", [
    (["--precision", "crisis_episode=20"], "did you mean 'crisis_episodes'"),
    (["--precision", "crisis_episodes=-3"], "positive half-width"),
    (["--precision", "crisis_episodes"], "positive half-width"),
    (["--precision", "crisis_episodes=20", "--max-reps", "1"], "--max-reps is below"),
])
def test_a_bad_precision_option_is_a_clear_message(option, message):
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "compare", "scenarios/baseline.yaml", "scenarios/close_day_centre.yaml",
                           *option], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_replications_sizes_a_paired_difference():
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "replications", "scenarios/baseline.yaml", "--compare",
                           "scenarios/close_day_centre.yaml", "--metric", "crisis_episodes", "--half-width", "1000000",
                           "--max-reps", "5", "--years", "1", "--scale", "0.03", "--workers", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "difference in crisis_episodes" in proc.stdout
    assert "replications make the 95% interval of the difference" in proc.stdout


def test_the_dashboards_runs_can_be_sized_to_a_stated_precision(baseline, close_day_centre, tmp_path, monkeypatch):
    """With --precision the dashboard first runs the shipped decisions until their differences are as precise as
    asked, caches them under the plan that got there, and every run in the page then uses that plan."""
    from dashboard.data import Plan, cached
    from dashboard.state import size_to_precision
    from simulation.experiment import Precision

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path / "cache"))
    plan = Plan(seed=1, replications=2, years=1.0, scale=0.1, warmup_years=0.0)   # big enough that 2 runs differ
    sized, outcome = size_to_precision(plan, [baseline, close_day_centre], [Precision("cost_health_and_care", 1.0)], max_reps=4)
    assert sized.replications == 4 and outcome[0]["reached"] is False
    assert cached(baseline, sized) is not None and cached(close_day_centre, sized) is not None
    sized, outcome = size_to_precision(plan, [baseline, close_day_centre], [Precision("total_cost", 1e12)], max_reps=4)
    assert sized.replications == 2 and outcome[0]["reached"] is True
