"""The dashboard's scenario builder: each lever writes the YAML it says.

The expected values here come from the lever, not from a run of the
builder's own output: a close at month 6 must be an action at month 6, a
new capacity from month 2 a resize at month 2, and so on. Every file the
builder writes must also pass the same checks as a file typed by hand.
"""

from __future__ import annotations

import pytest
import yaml

from dashboard.builder import (
    PROGRAMME_LEVERS, UNIT_COSTS, Levers, ServiceLever, block_funded, lever_settings, levers_to_yaml, read_scenario_text,
    reinvestment_package,
)
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
    assert dict(a.redirect) == {"personal_health_budgets": 0.5, "peer_support": 0.25}   # the default budget: NHS
    assert a.raised_risk == (1.6, 9)
    _, council = build(baseline, ServiceLever("day_centre", "close", month=3), budget_target="personal_budgets")
    assert dict(only_action(council).redirect) == {"personal_budgets": 0.45, "peer_support": 0.35}


def test_the_builders_default_referral_of_a_closures_users_is_the_shipped_day_centre_closures(close_day_centre, baseline):
    from dashboard.app import builder_body
    from dashboard.builder import DEFAULT_REDIRECT

    shipped = lever_settings(close_day_centre)["redirect"]
    assert shipped["target"] == "personal_health_budgets"
    assert DEFAULT_REDIRECT == shipped
    page = {c.id: c.value for top in builder_body() for c in [top, *top._traverse()]
            if isinstance(getattr(c, "id", None), str) and hasattr(c, "value")}
    assert (page["redirect-target"], page["redirect-budgets"], page["redirect-peer"], page["raised-mult"],
            page["raised-months"]) == (shipped["target"], shipped["budgets"], shipped["peer"], shipped["multiplier"],
                                       shipped["months"])
    # closing the day centre in the builder from the baseline, with the page's defaults, refers as the shipped file does
    _, built = build(baseline, ServiceLever("day_centre", "close", month=6))
    shipped_close = next(a for a in close_day_centre.actions if a.verb == "close")
    built_close = only_action(built)
    assert (built_close.redirect, built_close.raised_risk) == (shipped_close.redirect, shipped_close.raised_risk)


def test_closing_peer_support_sends_nobody_to_peer_support(baseline):
    _, s = build(baseline, ServiceLever("peer_support", "close", month=3), redirect_peer=0.35)
    assert dict(only_action(s).redirect).get("peer_support", 0.0) == 0.0


def test_opening_a_service_with_places_opens_it_with_that_capacity(baseline):
    _, s = build(baseline, ServiceLever("recovery_college", "open", month=4, capacity=90, cost_follows=False))
    a = only_action(s)
    assert (a.verb, a.service, a.day) == ("open", "recovery_college", pytest.approx(4 * DAYS_PER_MONTH))
    assert dict(a.values) == {SERVICES["recovery_college"].capacity_path: 90}


@pytest.mark.parametrize("service", [s for s, info in SERVICES.items() if info.capacity_path])
def test_new_capacity_from_month_zero_is_a_parameter_and_later_a_resize_at_that_month(baseline, service):
    path = SERVICES[service].capacity_path
    _, now = build(baseline, ServiceLever(service, "keep", month=0, capacity=77, cost_follows=False))
    assert now.values[path] == 77 and not now.actions
    _, later = build(baseline, ServiceLever(service, "keep", month=2, capacity=77, cost_follows=False))
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


@pytest.mark.parametrize("service", [s for s in SERVICES if block_funded(s)])
def test_new_places_on_a_block_contract_change_its_cost_in_proportion_from_the_same_month(baseline, service):
    places, cost = SERVICES[service].capacity_path, UNIT_COSTS[service]
    now_places, now_cost = baseline.values[places], baseline.values[cost]
    _, s = build(baseline, ServiceLever(service, "keep", month=6, capacity=int(now_places) * 2 + 1))
    by_verb = {a.verb: a for a in s.actions}
    assert by_verb["resize"].day == by_verb["set"].day == pytest.approx(6 * DAYS_PER_MONTH)
    assert dict(by_verb["set"].values)[cost] == pytest.approx(now_cost * (int(now_places) * 2 + 1) / now_places, abs=1)
    # a typed cost wins
    _, typed = build(baseline, ServiceLever(service, "keep", month=6, capacity=int(now_places) * 2 + 1, unit_cost=5.0))
    assert dict(next(a for a in typed.actions if a.verb == "set").values)[cost] == 5.0


def test_starting_from_a_scenario_the_levers_show_its_actions_and_an_edit_replaces_the_inherited_one(close_day_centre):
    shown = lever_settings(close_day_centre)
    assert shown["services"]["day_centre"]["status"] == "close" and shown["services"]["peer_support"]["status"] == "open"
    assert shown["redirect"]["target"] == "personal_health_budgets" and shown["redirect"]["peer"] == 0.35
    month = shown["services"]["day_centre"]["month"]
    levers = dict(budget_target=shown["redirect"]["target"], redirect_budgets=shown["redirect"]["budgets"],
                  raised_multiplier=shown["redirect"]["multiplier"], raised_months=shown["redirect"]["months"],
                  authoritative=True)
    same = [ServiceLever("day_centre", "close", month), ServiceLever("peer_support", "open", shown["services"]["peer_support"]["month"])]
    _, kept = build(close_day_centre, *same, redirect_peer=0.35, **levers)
    assert kept.actions == close_day_centre.actions
    _, edited = build(close_day_centre, *same, redirect_peer=0.55, **levers)
    closure = next(a for a in edited.actions if a.verb == "close")
    assert dict(closure.redirect) == {"personal_health_budgets": 0.45, "peer_support": 0.55}
    assert sum(a.verb == "close" for a in edited.actions) == 1
    # set back to 'no change', the closure goes
    _, undone = build(close_day_centre, ServiceLever("day_centre", "keep", month), same[1], redirect_peer=0.35, **levers)
    assert [a.verb for a in undone.actions] == ["open"]


def test_reinvestment_moves_the_freed_budget_from_the_closing_month_and_says_if_it_is_neutral(baseline):
    from simulation.reinvestment import plan_reinvestment

    doc_text = levers_to_yaml(baseline, Levers("Reinvest", "", [ServiceLever("day_centre", "close", 6),
                                                                ServiceLever("peer_support", "open", 6)], {},
                                               reinvest_from="day_centre", reinvest=(("peer_support", 0.6), ("personal_budgets", 0.4)),
                                               budget_holders=2000.0))
    s = read_scenario_text(doc_text, "reinvest.yaml")
    pkg = plan_reinvestment(baseline.params, baseline.values, "day_centre", [("peer_support", 0.6), ("personal_budgets", 0.4)], 2000.0,
                            opening=("peer_support",))
    sets = {p: (a.day, v) for a in s.actions if a.verb == "set" for p, v in a.values}
    for alloc in pkg.allocations:
        for path, value in alloc.changes:
            assert sets[path] == (pytest.approx(6 * DAYS_PER_MONTH), pytest.approx(value))
    resize = [a for a in s.actions if a.verb == "resize"]
    assert dict(resize[0].values) == {"services.peer_support.base_places": int(pkg.allocations[0].new_capacity)}
    assert "Budget neutral for each payer? no" in doc_text and "council: pays" in doc_text


def test_reinvesting_in_a_closed_service_opens_it_at_the_closures_month_with_the_places_bought(baseline):
    """The reported bug: from the baseline (peer support closed), 'close the day centre and move its money to peer
    support' added places to a service that never opened, and its users waited on no list for ever."""
    text = levers_to_yaml(baseline, Levers("Reinvest", "", [ServiceLever("day_centre", "close", 6)], {},
                                           reinvest_from="day_centre", reinvest=(("peer_support", 0.6), ("personal_budgets", 0.4)),
                                           budget_holders=2000.0))
    s = read_scenario_text(text, "reinvest.yaml")
    opens = [a for a in s.actions if a.verb == "open"]
    assert [a.service for a in opens] == ["peer_support"] and opens[0].day == pytest.approx(6 * DAYS_PER_MONTH)
    units = next(a for a in reinvestment_package(baseline, Levers("", "", [ServiceLever("day_centre", "close", 6)], {},
                                                                     reinvest_from="day_centre",
                                                                     reinvest=(("peer_support", 0.6),))).allocations)
    assert dict(opens[0].values)["services.peer_support.base_places"] == int(units.units)
    assert not [a for a in s.actions if a.verb == "resize"]
    assert "it opens Peer support (Sociability) (closed until then)" in text and "2024 prices" in text


def test_check_reports_every_invalid_field_at_once():
    """A negative place count, a month past the run, referral shares over 1 and more than all the freed budget:
    each is reported (the review found a negative place count turned red but Check said nothing)."""
    from dashboard.app import PROGRAMME_LEVERS, builder_problems, service_order
    from simulation.reinvestment import reinvestment_targets

    n = len(service_order())
    caps = [None] * n
    caps[service_order().index("peer_support")] = -5
    months = [0] * n
    months[service_order().index("day_centre")] = 600
    shares = [60] * len(reinvestment_targets())
    problems = builder_problems(120, ["keep"] * n, months, caps, [None] * n, [None] * len(PROGRAMME_LEVERS),
                                [0] * len(PROGRAMME_LEVERS), 0, 0.6, 0.6, 1.3, 6, shares)
    text = "\n".join(str(p) for p in problems)
    assert "Peer support" in text and "-5" in text
    assert "600" in text and "months the run covers" in text
    assert "referral shares add up to more than everyone" in text
    assert ("more than all of the freed budget" in text) == (len(shares) > 1)


DAY_CENTRE_LABEL = SERVICES["day_centre"].label


def test_the_closing_service_is_not_offered_as_where_its_own_budget_goes():
    """The reported bug: 'Day centre (Basildon)' could be chosen as where the day centre's freed budget goes."""
    from dashboard.app import reinvestment_rows
    from dashboard.builder import reinvestment_choices
    from simulation.reinvestment import reinvestment_targets

    assert "day_centre" in reinvestment_targets() and "day_centre" in reinvestment_choices(None)
    assert "day_centre" not in reinvestment_choices("day_centre")
    assert set(reinvestment_choices("day_centre")) == set(reinvestment_targets()) - {"day_centre"}
    styles, values = reinvestment_rows("day_centre")
    shown = {n for n, style in zip(reinvestment_targets(), styles) if style.get("display") != "none"}
    assert shown == set(reinvestment_targets()) - {"day_centre"}
    cleared = [n for n, v in zip(reinvestment_targets(), values) if v == 0]
    assert cleared == ["day_centre"], "its share is set to none of the budget, the others' kept"
    styles, _ = reinvestment_rows(None)
    assert all(style.get("display") != "none" for style in styles)


def test_check_refuses_moving_the_closing_services_budget_to_itself_in_words(baseline):
    from dashboard.app import PROGRAMME_LEVERS as LEVERS, builder_problems, service_order
    from simulation.errors import InputError
    from simulation.reinvestment import reinvestment_targets

    n = len(service_order())
    shares = [60 if t == "day_centre" else None for t in reinvestment_targets()]
    problems = builder_problems(120, ["keep"] * n, [0] * n, [None] * n, [None] * n, [None] * len(LEVERS), [0] * len(LEVERS),
                                0, 0.45, 0.35, 1.3, 6, shares, "day_centre")
    assert len(problems) == 1
    assert f"{DAY_CENTRE_LABEL} is the service that closes" in str(problems[0]) and "day_centre" not in str(problems[0])
    assert not builder_problems(120, ["keep"] * n, [0] * n, [None] * n, [None] * n, [None] * len(LEVERS), [0] * len(LEVERS),
                                0, 0.45, 0.35, 1.3, 6, shares, "county_day_services")
    levers = Levers("Self", "", [ServiceLever("day_centre", "close", 6)], {}, reinvest_from="day_centre",
                    reinvest=(("day_centre", 0.6),))
    with pytest.raises(ValueError, match=r"Day centre \(Basildon\) is the service that closes"):
        levers_to_yaml(baseline, levers)
    # from a file: the builder's comment saying so, or places given to a service on the day it closes
    good = levers_to_yaml(baseline, Levers("Reinvest", "", [ServiceLever("day_centre", "close", 6)], {},
                                           reinvest_from="day_centre", reinvest=(("peer_support", 0.6),)))
    read_scenario_text(good, "reinvest.yaml")
    assert f"moves to {SERVICES['peer_support'].label} (" in good
    commented = good.replace(f"moves to {SERVICES['peer_support'].label} (", f"moves to {DAY_CENTRE_LABEL} (")
    resized = good + "- resize: day_centre\n  capacity: 200\n  at: month 6\n"
    for text in (commented, resized):
        with pytest.raises(InputError) as raised:
            read_scenario_text(text, "uploaded.yaml")
        assert f"{DAY_CENTRE_LABEL} is the service that closes" in str(raised.value.problems[0])
