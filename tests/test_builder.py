"""The dashboard's scenario builder: each lever writes the YAML it says.

The expected values here come from the lever, not from a run of the
builder's own output: a close at month 6 must be an action at month 6, a
new capacity from month 2 a resize at month 2, and so on. Every file the
builder writes must also pass the same checks as a file typed by hand.
"""

from __future__ import annotations

import pytest
import yaml

from dashboard.builder import PROGRAMME_LEVERS, UNIT_COSTS, Levers, ServiceLever, levers_to_yaml, read_scenario_text
from simulation.catalogue import SERVICES
from simulation.parameters import DAYS_PER_MONTH


def build(baseline, *services: ServiceLever, **kw):
    levers = Levers(name=kw.pop("name", "Built"), description="test", services=list(services),
                    programmes=kw.pop("programmes", {}), **kw)
    text = levers_to_yaml(baseline, levers)
    return yaml.safe_load(text), read_scenario_text(text, "built.yaml")


def only_action(scenario):
    assert len(scenario.actions) == 1, scenario.actions
    return scenario.actions[0]


@pytest.mark.parametrize("service", [s for s, info in SERVICES.items() if info.open_path])
def test_closing_any_service_at_a_month_is_a_close_action_at_that_month(baseline, service):
    doc, s = build(baseline, ServiceLever(service, "close", month=6))
    a = only_action(s)
    assert (a.verb, a.service, a.day) == ("close", service, pytest.approx(6 * DAYS_PER_MONTH))
    assert doc["actions"][0]["at"] == "month 6"


def test_a_closure_redirects_users_with_the_pages_shares_and_risk(baseline):
    _, s = build(baseline, ServiceLever("day_centre", "close", month=3), redirect_budgets=0.5, redirect_peer=0.25,
                 raised_multiplier=1.6, raised_months=9)
    a = only_action(s)
    assert dict(a.redirect) == {"personal_budgets": 0.5, "peer_support": 0.25}
    assert a.raised_risk == (1.6, 9)


def test_closing_peer_support_sends_nobody_to_peer_support(baseline):
    _, s = build(baseline, ServiceLever("peer_support", "close", month=3), redirect_peer=0.35)
    assert dict(only_action(s).redirect).get("peer_support", 0.0) == 0.0


def test_opening_a_service_with_places_opens_it_with_that_capacity(baseline):
    _, s = build(baseline, ServiceLever("recovery_college", "open", month=4, capacity=90))
    a = only_action(s)
    assert (a.verb, a.service, a.day) == ("open", "recovery_college", pytest.approx(4 * DAYS_PER_MONTH))
    assert dict(a.values) == {SERVICES["recovery_college"].capacity_path: 90}


@pytest.mark.parametrize("service", [s for s, info in SERVICES.items() if info.capacity_path])
def test_new_capacity_from_month_zero_is_a_parameter_and_later_a_resize_at_that_month(baseline, service):
    path = SERVICES[service].capacity_path
    _, now = build(baseline, ServiceLever(service, "keep", month=0, capacity=77))
    assert now.values[path] == 77 and not now.actions
    _, later = build(baseline, ServiceLever(service, "keep", month=2, capacity=77))
    a = only_action(later)
    assert (a.verb, a.service, a.day) == ("resize", service, pytest.approx(2 * DAYS_PER_MONTH))
    assert dict(a.values) == {path: 77}
    assert later.values[path] == baseline.values[path]


@pytest.mark.parametrize("service", sorted(UNIT_COSTS))
def test_a_new_unit_cost_applies_from_its_month(baseline, service):
    path = UNIT_COSTS[service]
    _, now = build(baseline, ServiceLever(service, "keep", month=0, unit_cost=1234.5))
    assert now.values[path] == 1234.5 and not now.actions
    _, later = build(baseline, ServiceLever(service, "keep", month=5, unit_cost=1234.5))
    a = only_action(later)
    assert (a.verb, a.day, dict(a.values)) == ("set", pytest.approx(5 * DAYS_PER_MONTH), {path: 1234.5})
    assert later.values[path] == baseline.values[path]


@pytest.mark.parametrize("lever", sorted(PROGRAMME_LEVERS))
def test_programme_levers_set_their_parameter_from_their_month(baseline, lever):
    path = PROGRAMME_LEVERS[lever][0]
    _, now = build(baseline, programmes={lever: (12, 0)})
    assert now.values[path] == 12 and not now.actions
    _, later = build(baseline, programmes={lever: (12, 7)})
    a = only_action(later)
    assert (a.verb, a.day, dict(a.values)) == ("set", pytest.approx(7 * DAYS_PER_MONTH), {path: 12})


@pytest.mark.parametrize("choice, flag", [("on", True), ("off", False)])
def test_integrating_budget_assessments_from_a_month(baseline, choice, flag):
    path = "services.personal_budgets.integrated_assessment"
    _, now = build(baseline, integrated_budgets=choice, integrated_month=0)
    assert now.values[path] is flag
    _, later = build(baseline, integrated_budgets=choice, integrated_month=4)
    assert dict(only_action(later).values) == {path: flag}
    assert only_action(later).day == pytest.approx(4 * DAYS_PER_MONTH)


def test_starting_from_a_scenario_keeps_its_actions_and_changes(close_day_centre):
    _, s = build(close_day_centre, ServiceLever("enablement", "keep", month=3, capacity=79))
    verbs = [(a.verb, a.service) for a in s.actions]
    assert ("close", "day_centre") in verbs and ("resize", "enablement") in verbs
    closure = next(a for a in s.actions if a.verb == "close")
    original = next(a for a in close_day_centre.actions if a.verb == "close")
    assert closure.day == original.day and closure.redirect == original.redirect and closure.raised_risk == original.raised_risk


def test_keeping_everything_builds_the_baseline_itself(baseline):
    _, s = build(baseline, *(ServiceLever(name) for name in SERVICES))
    assert s.values == baseline.values and not s.actions
