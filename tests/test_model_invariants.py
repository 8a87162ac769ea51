"""Bookkeeping that must hold in every run, checked from the outputs.

Several of these are identities of the accounting (levels are entries minus
exits; cost lines add up to the payers' totals): they guard against a
refactor breaking the books, not against a wrong number. The numbers
themselves are checked against sums done by hand in ``test_cost_account``,
``test_events``, ``test_closures`` and ``test_windows``. The model also
checks conservation, non-negative counts and capacities every simulated
month and raises if any fails.
"""

from __future__ import annotations

import pytest

from simulation.costs import cost_items
from simulation.model import CountyModel
from simulation.outcomes import summarise
from simulation.people import N_ALIVE_PLACES, PLACE_NAMES

from conftest import small_record


@pytest.fixture(scope="module")
def run(baseline):
    model = CountyModel(baseline, seed=3, replication=0, years=3, scale=0.05)
    record = model.run()
    return model, record, summarise(record, baseline.params)


def test_people_are_conserved(run):
    model, record, _ = run
    created = len(model.people)
    alive = sum(1 for p in model.people if p.place < N_ALIVE_PLACES)
    exits = sum(record.flows[i][j] for i in range(len(PLACE_NAMES)) for j in range(N_ALIVE_PLACES, len(PLACE_NAMES)))
    assert created == alive + exits
    # and the stocks agree with the people
    last = record.snapshots[-1]
    for idx in range(N_ALIVE_PLACES):
        assert sum(last.levels[PLACE_NAMES[idx]]) == sum(1 for p in model.people if p.place == idx)


def test_flows_in_and_out_of_each_place_balance(run):
    model, record, _ = run
    census = {i: 0 for i in range(N_ALIVE_PLACES)}
    first = record.snapshots[0]
    for idx in range(N_ALIVE_PLACES):
        census[idx] = first.levels[PLACE_NAMES[idx]]
    last = record.snapshots[-1]
    n = len(PLACE_NAMES)
    for idx in range(N_ALIVE_PLACES):
        name = PLACE_NAMES[idx]
        inflow = sum(record.flows[i][idx] for i in range(n))
        outflow = sum(record.flows[idx][j] for j in range(n))
        entries = record.little[name][1]
        # entries = census + arrivals into the place (new people arrive in the community)
        assert sum(last.levels[name]) == entries - record.little[name][2]
        assert outflow == record.little[name][2]
        assert inflow <= entries


def test_no_count_is_ever_negative(run):
    _, record, _ = run
    for snap in record.snapshots:
        for name, levels in snap.levels.items():
            assert min(levels) >= 0, name


def test_occupancy_never_exceeds_capacity_and_its_peak_is_recorded(run):
    model, record, _ = run
    peaks = record.checks["peak_occupancy"]
    caps = record.checks["capacity_end"]
    stock_of = {"acute_beds": "acute", "crisis_home_treatment": "home_treatment", "enablement": "enablement",
                "day_centre": "day_centre"}
    for name, stock in stock_of.items():
        highest = max(sum(snap.levels[stock]) for snap in record.snapshots)
        assert 0 < highest <= peaks[name] <= caps[name], name
    for snap in record.snapshots:
        assert sum(snap.levels["acute"]) <= caps["acute_beds"]
        assert sum(snap.levels["enablement"]) <= caps["enablement"]


def test_costs_add_up_by_service_and_by_payer(run):
    _, _, result = run
    m = result.metrics
    by_payer = {payer: sum(v for k, v in m.items() if k.startswith("cost.") and k.endswith("." + payer))
                for payer in ("nhs", "council", "society")}
    assert by_payer["nhs"] == pytest.approx(m["cost_nhs"], rel=1e-9)
    assert by_payer["council"] == pytest.approx(m["cost_council"], rel=1e-9)
    assert by_payer["society"] == pytest.approx(m["cost_society"], rel=1e-9)
    by_service = sum(v for k, v in m.items() if k.startswith("cost.") and k.split(".")[1] in {i.service for i in cost_items()})
    assert by_service == pytest.approx(m["total_cost"], rel=1e-9)
    assert m["total_cost"] == pytest.approx(m["cost_nhs"] + m["cost_council"] + m["cost_society"], rel=1e-12)


def test_monthly_costs_add_up_to_the_total(run):
    _, _, result = run
    assert sum(result.monthly["total_cost"]) == pytest.approx(result.metrics["total_cost"], rel=1e-9)
    for payer in ("nhs", "council", "society"):
        assert sum(result.monthly[f"cost_{payer}"]) == pytest.approx(result.metrics[f"cost_{payer}"], rel=1e-9)


def test_sub_groups_add_up_to_the_whole(run):
    _, _, result = run
    m = result.metrics
    for metric in ("crisis_episodes", "suicides", "acute_bed_days", "qalys", "person_level_cost"):
        assert m[f"{metric}.budget_eligible"] + m[f"{metric}.not_budget_eligible"] == pytest.approx(m[metric], rel=1e-9)
        assert m[f"{metric}.with_carer"] + m[f"{metric}.without_carer"] == pytest.approx(m[metric], rel=1e-9)


def test_results_are_reported_at_full_county_scale(baseline):
    """A twentieth of the county, scaled up, lands near the whole county's caseload."""
    result = summarise(small_record(baseline, years=1, scale=0.05), baseline.params)
    start = baseline.values["population.in_contact_at_start"]
    assert result.monthly["people_in_contact"][0] == pytest.approx(start, rel=0.05)


def test_discounting_lowers_later_costs(run):
    _, _, result = run
    assert result.metrics["total_cost"] < result.metrics["total_cost_undiscounted"]
    assert result.metrics["qalys"] < result.metrics["qalys_undiscounted"]
