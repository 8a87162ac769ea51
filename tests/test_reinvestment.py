"""The reinvestment account (simulation.reinvestment) and the pairwise horizons, against sums done by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from simulation.costs import uprated
from simulation.horizons import pair_budget_impact_rows, pair_horizon_rows
from simulation.reinvestment import freed_budget, plan_reinvestment, reinvestment_targets
from simulation.scenario import BASELINE_FILE, load_scenario


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASELINE_FILE)


def money(s, path):
    return uprated(s.params[path], float(s.values[path]), s.values)


def test_the_freed_budget_is_the_block_contract_split_as_the_contract_is(base):
    freed = freed_budget(base.params, base.values, "peer_support")
    block = money(base, "services.peer_support.block_cost_per_year")
    council = base.values["services.peer_support.block_council_share"]
    assert freed["council"] == pytest.approx(block * council)
    assert freed["nhs"] == pytest.approx(block * (1 - council))
    assert freed_budget(base.params, base.values, "personal_budgets") == {}


def test_places_are_bought_at_the_block_price_per_place_and_capacity_and_cost_move_together(base):
    # peer support is closed in the baseline: here the scenario opens it by the closure's month (as the shipped closure does)
    pkg = plan_reinvestment(base.params, base.values, "day_centre", [("peer_support", 1.0)], opening=("peer_support",))
    (a,) = pkg.allocations
    assert not a.opens
    freed = sum(freed_budget(base.params, base.values, "day_centre").values())
    per_place = money(base, "services.peer_support.block_cost_per_year") / base.values["services.peer_support.base_places"]
    assert a.unit_cost == pytest.approx(per_place)
    assert a.units == int(freed // per_place)
    assert a.new_capacity == base.values["services.peer_support.base_places"] + a.units
    (path, new_block), = a.changes
    raw = base.values["services.peer_support.block_cost_per_year"]
    assert path == "services.peer_support.block_cost_per_year"
    assert new_block == pytest.approx(raw * a.new_capacity / base.values["services.peer_support.base_places"], abs=1)
    assert pkg.unallocated == pytest.approx(freed - a.amount)
    assert 0 <= pkg.unallocated < per_place


def test_money_moved_to_a_closed_service_opens_it_with_the_places_it_buys_and_no_more(base):
    """Peer support is closed in the baseline: moving the day centre's money there must open it, with the places the
    money buys as all its key-worker places (its block contract is the price of those alone), and its set-up cost is a
    one-off cost of the package. (Before, the places were added to a service that never opened.)"""
    assert base.values["services.peer_support.open"] is False
    pkg = plan_reinvestment(base.params, base.values, "day_centre", [("peer_support", 1.0)])
    (a,) = pkg.allocations
    assert a.opens and a.units > 0
    assert a.new_capacity == a.units
    ((path, new_block),) = a.changes
    per_place_raw = base.values[path] / base.values["services.peer_support.base_places"]
    assert new_block == pytest.approx(per_place_raw * a.units, abs=1)
    setup = money(base, "services.peer_support.setup_cost")
    assert pkg.one_off["council"] == pytest.approx(setup * base.values["services.peer_support.block_council_share"])
    assert sum(pkg.one_off.values()) == pytest.approx(setup + money(base, "services.day_centre.closure_one_off_cost"))


def test_the_budget_neutrality_statement_is_read_back_from_the_scenario_file(base):
    from dashboard.builder import Levers, ServiceLever, levers_to_yaml
    from simulation.reinvestment import neutrality_statement, price_year
    from simulation.scenario import SHIPPED_SCENARIOS

    assert price_year(base.values) == 2024 and price_year() == 2024
    text = levers_to_yaml(base, Levers("Reinvest", "", [ServiceLever("day_centre", "close", 6)], {},
                                       reinvest_from="day_centre", reinvest=(("personal_budgets", 1.0),),
                                       budget_holders=1000.0))
    pkg = plan_reinvestment(base.params, base.values, "day_centre", [("personal_budgets", 1.0)], budget_holders=1000.0)
    said = neutrality_statement(text, values=base.values)
    assert said is not None and said.neutral is pkg.budget_neutral is False
    assert [(who, ok) for who, ok, _ in said.payers] == [("NHS", pkg.neutral("nhs")), ("council", pkg.neutral("council"))]
    assert said.sentence().startswith("Not budget-neutral for each payer. NHS: saves £")
    assert f"council: pays £{pkg.net['council']:,.0f} a year more" in said.sentence()
    assert said.sentence().endswith("(money a year, 2024 prices).")
    assert neutrality_statement(None, str(SHIPPED_SCENARIOS / "close_day_centre.yaml")) is None
    assert neutrality_statement(None, None) is None and neutrality_statement("# Budget neutral for each payer? maybe") is None


def test_budgets_raise_the_application_rate_in_proportion_to_the_budgets_bought(base):
    pkg = plan_reinvestment(base.params, base.values, "day_centre", [("personal_budgets", 0.5)], budget_holders=1000)
    (a,) = pkg.allocations
    per_budget = money(base, "services.personal_budgets.budget_per_year")
    assert a.units == int(pkg.freed["nhs"] * 0.5 // per_budget)
    ((path, rate),) = a.changes
    assert path == "services.personal_budgets.apply_rate_per_year"
    assert rate == pytest.approx(base.values[path] * (1000 + a.units) / 1000, rel=1e-5)
    share = base.values["services.personal_budgets.health_budget_share"]
    assert a.by_payer["nhs"] == pytest.approx(a.amount * share)
    assert a.by_payer["council"] == pytest.approx(a.amount * (1 - share))


def test_neutrality_is_judged_payer_by_payer(base):
    # NHS money (the day centre) moved into council-heavy budgets: the NHS saves, the council pays more
    pkg = plan_reinvestment(base.params, base.values, "day_centre", [("personal_budgets", 1.0)], budget_holders=1000)
    assert pkg.net["nhs"] < 0 < pkg.net["council"]
    assert not pkg.neutral("council") and not pkg.budget_neutral
    for p in ("nhs", "council"):
        assert pkg.net[p] == pytest.approx(pkg.spent[p] - pkg.freed[p])
    assert "council: pays" in pkg.summary()
    # nothing moved: each payer saves the whole contract
    none = plan_reinvestment(base.params, base.values, "day_centre", [])
    assert none.net["nhs"] == pytest.approx(-none.freed["nhs"]) and not none.neutral("nhs")
    assert none.neutral("council")


def test_bad_packages_are_refused(base):
    with pytest.raises(ValueError):
        plan_reinvestment(base.params, base.values, "day_centre", [("peer_support", 0.7), ("personal_budgets", 0.7)])
    with pytest.raises(ValueError):
        plan_reinvestment(base.params, base.values, "day_centre", [("day_centre", 0.5)])
    assert "acute_beds" not in reinvestment_targets()


def _monthly(nhs, council, qalys=0.0, months=24):
    return {"spend_nhs": (nhs,) * months, "spend_council": (council,) * months, "spend_society": (0.0,) * months,
            "cost_nhs": (nhs,) * months, "cost_council": (council,) * months, "cost_society": (0.0,) * months,
            "qalys": (qalys,) * months, **{k: (1.0,) * months for k in (
                "crisis_episodes", "acute_admissions", "acute_bed_days", "out_of_area_placements", "suicides",
                "recoveries", "people_employed", "residential")}}


def test_pairwise_budget_impact_and_horizons_are_paired_replication_by_replication():
    base = [_monthly(100, 50), _monthly(110, 50)]
    alt = [_monthly(90, 60, qalys=0.1), _monthly(104, 60, qalys=0.1)]
    rows = pair_budget_impact_rows("X", dt.date(2015, 10, 1), base, alt)
    first = [r for r in rows if r["payer"] == "nhs"][0]
    assert first["financial_year"] == "2015/16" and first["months"] == 6
    assert first["difference"] == pytest.approx(((90 - 100) + (104 - 110)) / 2 * 6)
    council = [r for r in rows if r["payer"] == "council" and r["financial_year"] == "2016/17"][0]
    assert council["difference"] == pytest.approx(120) and council["difference_ci_low"] == pytest.approx(120)
    hz = {(r["metric"], r["horizon_years"]): r for r in pair_horizon_rows("X", base, alt)}
    assert set(y for _, y in hz) == {1}  # 24 months reach 1 year only among 1, 3, 5, 10
    assert hz[("cost_health_and_care", 1)]["delta_mean"] == pytest.approx(((90 + 60 - 150) + (104 + 60 - 160)) / 2 * 12)
    assert hz[("nmb_20k", 1)]["delta_mean"] == pytest.approx(20_000 * 1.2 - hz[("cost_health_and_care", 1)]["delta_mean"])


def test_a_closing_services_budget_moved_to_itself_is_refused_in_plain_words(base):
    from simulation.reinvestment import reinvestment_targets_for

    with pytest.raises(ValueError, match=r"^Day centre \(Basildon\) is the service that closes: its freed budget cannot be "
                                         r"moved to Day centre \(Basildon\) itself"):
        plan_reinvestment(base.params, base.values, "day_centre", [("peer_support", 0.4), ("day_centre", 0.5)])
    assert "day_centre" not in reinvestment_targets_for("day_centre")
    assert "day_centre" in reinvestment_targets_for("county_day_services")
