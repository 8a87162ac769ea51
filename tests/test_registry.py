"""The service registry: a service declared once reaches every part of the tool.

The proof is a service that exists only in this file: a crisis café with
places, a waiting list, an effect on crisis and a block contract. Declared
here and nowhere else, it must run in the model, appear in the cost account
and the metrics, be closed by a scenario action and by the dashboard's
builder, and its closure must have the right sign: more crises, less cost.
"""

from __future__ import annotations

import math

import pytest

from simulation import catalogue
from simulation.catalogue import CostItem, Effect, ServiceSpec

CAFE = ServiceSpec(
    "crisis_cafe", "Crisis café", "support", open_path="services.crisis_cafe.open",
    capacity_path="services.crisis_cafe.places", unit_cost_path="services.crisis_cafe.block_cost_per_year",
    redirects_users=True, redirect_target=True, holds="crisis_cafe", waits="waiting_crisis_cafe",
    places_path="services.crisis_cafe.places", join_rate="services.crisis_cafe.referral_rate_per_year",
    leave_rate="services.crisis_cafe.leave_rate_per_year", give_up_rate="services.crisis_cafe.waiting_give_up_rate_per_year",
    census_path="services.crisis_cafe.users_at_start",
    effects=(Effect("crisis", "services.crisis_cafe.effect_on_crisis"),),
    costs=(CostItem("crisis_cafe", "services.crisis_cafe.block_cost_per_year", "open:crisis_cafe", "year"),),
    parameters=tuple({
        "services.crisis_cafe.open": {"value": True, "unit": "switch", "assumption": "test service"},
        "services.crisis_cafe.places": {"value": 3000, "unit": "places", "assumption": "test", "low": 0, "high": 5000},
        "services.crisis_cafe.users_at_start": {"value": 3000, "unit": "people", "assumption": "test", "low": 0, "high": 5000},
        "services.crisis_cafe.referral_rate_per_year": {"value": 0.05, "unit": "per year", "assumption": "test", "low": 0, "high": 1},
        "services.crisis_cafe.leave_rate_per_year": {"value": 0.1, "unit": "per year", "assumption": "test", "low": 0, "high": 1},
        "services.crisis_cafe.waiting_give_up_rate_per_year": {"value": 1.0, "unit": "per year", "assumption": "test", "low": 0, "high": 2},
        "services.crisis_cafe.effect_on_crisis": {"value": 0.3, "unit": "multiplier", "assumption": "test (strong, so the sign is clear)",
                                                  "low": 0.1, "high": 1.5},
        "services.crisis_cafe.block_cost_per_year": {"value": 500000, "unit": "£ per year", "assumption": "test", "price_year": 2024,
                                                     "payer": "nhs", "low": 0, "high": 1000000},
    }.items()),
)

CLOSE_THE_CAFE = """
name: Close the crisis café
extends: {baseline}
actions:
  - close: crisis_cafe
    at: month 0
    redirect:
      peer_support: 0.2
  - open: peer_support          # closed in the baseline: a closed support takes nobody (they would be sent to nothing)
    at: month 0
"""


@pytest.fixture()
def cafe():
    with catalogue.registered(CAFE) as spec:
        yield spec


def test_a_declared_support_is_a_service_a_scenario_can_name(cafe):
    from simulation.costs import cost_items, service_label

    assert "crisis_cafe" in catalogue.SERVICES and "crisis_cafe" in catalogue.redirect_targets()
    assert any(item.service == "crisis_cafe" for item in cost_items())
    assert service_label("crisis_cafe") == "Crisis café"


def test_every_declared_metric_is_computed_and_nothing_else(baseline):
    """The metrics the declarations promise are exactly those a run reports (built-in services)."""
    from conftest import small_run
    from simulation.outcomes import declared_names

    computed = set(small_run(baseline, years=0.5, scale=0.02).metrics)
    assert computed == set(declared_names(baseline.params))


def test_the_model_and_its_twin_keep_the_same_stocks_and_counters():
    from simulation.ledger import counter_names, stock_names
    from simulation.model import CountyModel
    from simulation.scenario import BASELINE_FILE, load_scenario

    model = CountyModel(load_scenario(BASELINE_FILE), seed=1, replication=0, years=0.1, scale=0.01)
    assert tuple(model.ledger.stocks) == stock_names()
    assert tuple(model.ledger.counts) == counter_names()


def _cafe_scenarios(tmp_path):
    from simulation.scenario import BASELINE_FILE, load_scenario, scenario_from_text

    base = load_scenario(BASELINE_FILE)
    closed = scenario_from_text(CLOSE_THE_CAFE.format(baseline=BASELINE_FILE), "close_cafe.yaml")
    return base, closed


def test_a_declared_support_runs_in_the_model_and_compare_shows_its_closure_with_the_right_sign(cafe, tmp_path):
    from simulation.experiment import RunPlan, comparison_rows, run_experiment

    base, closed = _cafe_scenarios(tmp_path)
    assert base.values["services.crisis_cafe.places"] == 3000
    exp = run_experiment([base, closed], RunPlan(seed=3, replications=3, years=2, scale=0.1))
    rows = {r["metric"]: r for r in comparison_rows(exp, exp.labels[0])}
    base_run = exp.results[exp.labels[0]][0].metrics
    assert base_run["crisis_cafe_users_end"] > 0
    assert rows["crisis_cafe_users_end"]["delta_mean"] < 0
    assert rows["users_losing_a_place"]["delta_mean"] > 0
    assert rows["redirected_to_peer_support"]["delta_mean"] > 0
    # the café halves crisis risk for its users: closing it means more crises and less cost to the NHS for the café
    assert rows["crisis_episodes"]["delta_ci_low"] > 0
    two_years_discounted = 500_000 * (1 - 1.035 ** -2) / math.log(1.035)
    assert rows["cost.crisis_cafe.nhs"]["delta_mean"] == pytest.approx(-two_years_discounted, rel=1e-4)


def test_the_builder_offers_and_writes_levers_for_a_declared_support(cafe):
    from dashboard.builder import UNIT_COSTS, Levers, ServiceLever, levers_to_yaml, read_scenario_text
    from simulation.scenario import BASELINE_FILE, load_scenario

    assert UNIT_COSTS["crisis_cafe"] == "services.crisis_cafe.block_cost_per_year"
    base = load_scenario(BASELINE_FILE)
    text = levers_to_yaml(base, Levers("Cafe", "", [ServiceLever("crisis_cafe", "close", month=4),
                                                    ServiceLever("crisis_cafe", "keep", month=0, unit_cost=250000)], {}))
    built = read_scenario_text(text, "built.yaml")
    (action,) = built.actions
    assert (action.verb, action.service) == ("close", "crisis_cafe")
    assert built.values["services.crisis_cafe.block_cost_per_year"] == 250000


def test_registering_a_service_twice_or_removing_a_built_in_one_is_refused(cafe):
    with pytest.raises(ValueError):
        catalogue.register(CAFE)
    with pytest.raises(ValueError):
        catalogue.unregister("day_centre")
