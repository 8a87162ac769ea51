"""The cost account, checked against sums done by hand.

Each test puts a handful of people in one place of a quiet county (nothing
happens unless the test says so), runs it, and compares every cost line
with the unit cost from the parameter file, uprated by hand to 2024 prices
(divided by the index of its price year), times the person-days, events or
days open the test itself knows. The payer of every line is written out
here, as the specification: who pays for what is a decision this project
makes on purpose, never a side effect of the code.
"""

from __future__ import annotations

import math

import pytest

from quiet_county import FORCED, month, pulse, quiet, run
from simulation.parameters import DAYS_PER_MONTH, DAYS_PER_YEAR

N = 10

PAYER = {
    "county_day_services": "council",
    "acute_beds": "nhs",
    "out_of_area_beds": "nhs",
    "crisis_home_treatment": "nhs",
    "community_teams": "nhs",
    "residential_care": "council",
    "enablement": "council",
    "day_centre": "nhs",
    "peer_support": "nhs",
    "recovery_college": "nhs",
    "carer_support": "council",
    "zero_suicide": "nhs",
    "carer_led_training": "nhs",
    "suicides": "society",
    "lost_output": "society",
}
"""Who pays for each line of the account (personal budgets are split: see their test)."""


def price(scenario, path: str) -> float:
    """A unit cost in 2024 pounds: its value divided by the price index of its year."""
    spec = scenario.params[path]
    return spec.value / scenario.values[f"prices.index_{spec.price_year}"]


def cost_lines(metrics: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if k.startswith("cost.")}


def assert_account(metrics: dict[str, float], expected: dict[tuple[str, str], float]) -> None:
    """Every cost line equals the hand sum (lines not listed must be zero), and payers add up."""
    lines = cost_lines(metrics)
    for (service, payer), amount in expected.items():
        assert f"cost.{service}.{payer}" in lines, f"no cost line for {service} paid by {payer}"
    for name, value in lines.items():
        _, service, payer = name.split(".")
        want = expected.get((service, payer), 0.0)
        assert value == pytest.approx(want, rel=1e-9, abs=1e-6), name
    for payer in ("nhs", "council", "society"):
        want = sum(v for (_, p), v in expected.items() if p == payer)
        assert metrics[f"cost_{payer}"] == pytest.approx(want, rel=1e-9, abs=1e-6), payer
    assert metrics["total_cost"] == pytest.approx(sum(expected.values()), rel=1e-9, abs=1e-6)


def in_community(scenario, people: int, years: float) -> dict[tuple[str, str], float]:
    """Community team and lost output of people living in the community, out of work."""
    return {
        ("community_teams", "nhs"): people * years * price(scenario, "costs.community_team_per_year"),
        ("lost_output", "society"): people * years * price(scenario, "costs.lost_output_per_year_out_of_work"),
    }


def test_people_in_the_community_cost_a_community_team_and_lost_output(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N})
    assert_account(run(s).metrics, in_community(s, N, 1.0))


def test_people_in_work_cost_no_lost_output(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N, "population.employed_share_at_start": 1.0})
    expected = in_community(s, N, 1.0)
    del expected[("lost_output", "society")]
    assert_account(run(s).metrics, expected)


@pytest.mark.parametrize("census, service, path, per_days", [
    ("census.in_acute_beds", "acute_beds", "services.acute_beds.cost_per_bed_day", 1.0),
    ("census.out_of_area", "out_of_area_beds", "services.acute_beds.out_of_area_cost_per_bed_day", 1.0),
    ("census.in_residential_care", "residential_care", "services.residential_care.cost_per_year", DAYS_PER_YEAR),
    ("census.in_enablement", "enablement", "services.enablement.cost_per_week", 7.0),
])
def test_a_year_in_a_place_costs_its_unit_price_for_every_day(baseline, census, service, path, per_days):
    s = quiet(baseline, {
        "population.in_contact_at_start": N, census: N, "population.employed_share_at_start": 1.0,
        "services.acute_beds.stay_median_days": 1e7, "services.acute_beds.stay_spread": 0.0,
    })
    m = run(s).metrics
    days = DAYS_PER_YEAR
    expected = {(service, PAYER[service]): N * days / per_days * price(s, path)}
    if service in ("residential_care", "enablement"):
        # supported places start out of work (S6 concerns people living independently)
        expected[("lost_output", "society")] = N * price(s, "costs.lost_output_per_year_out_of_work")
    if service == "enablement":
        # tenants keep their community team
        expected[("community_teams", "nhs")] = N * price(s, "costs.community_team_per_year")
    assert m["acute_bed_days"] == pytest.approx(N * days if service.endswith("beds") else 0.0)
    assert_account(m, expected)


def test_a_home_treatment_episode_costs_its_price_once(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N, "population.employed_share_at_start": 1.0})
    s = s.with_actions(*pulse(1, "crisis.rate_per_year_moderate"))
    m = run(s).metrics
    assert m["home_treatment_episodes"] == N and m["crisis_episodes"] == N and m["acute_admissions"] == 0
    expected = {("crisis_home_treatment", "nhs"): N * price(s, "services.crisis_home_treatment.cost_per_episode"),
                ("community_teams", "nhs"): in_community(s, N, 1.0)[("community_teams", "nhs")]}
    # the episode's days in home treatment are not community days
    episode = s.values["services.crisis_home_treatment.episode_median_days"]
    lines = cost_lines(m)
    assert lines["cost.crisis_home_treatment.nhs"] == pytest.approx(expected[("crisis_home_treatment", "nhs")], rel=1e-9)
    community = price(s, "costs.community_team_per_year") * N
    # community team cost is at most a year's, and about an episode less (episodes are lognormal around the median)
    assert community * (1 - 3 * episode / DAYS_PER_YEAR) < lines["cost.community_teams.nhs"] < community


def test_suicides_cost_society_their_unit_price(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N, "population.employed_share_at_start": 1.0})
    s = s.with_actions(*pulse(6, "suicide.rate_per_year"))
    m = run(s).metrics
    assert m["suicides"] == N and m["deaths_other"] == 0
    # only the part of a suicide's cost that QALYs do not already count (lost output, services)
    share = s.values["costs.suicide_share_outside_qalys"]
    assert 0 < share < 1
    assert cost_lines(m)["cost.suicides.society"] == pytest.approx(N * price(s, "costs.suicide") * share, rel=1e-9)
    # and they leave the caseload: half a year of community team each
    assert cost_lines(m)["cost.community_teams.nhs"] == pytest.approx(N * 0.5 * price(s, "costs.community_team_per_year"), rel=1e-3)


BLOCK_PAYERS = {
    "day_centre": ("nhs", "services.day_centre.block_council_share", "council"),
    "county_day_services": ("council", "services.county_day_services.block_nhs_share", "nhs"),
    "peer_support": ("nhs", "services.peer_support.block_council_share", "council"),
    "recovery_college": ("nhs", None, None),
}
"""Who pays each block contract: the main payer, and the declared share another payer takes (a pooled budget)."""


def block_lines(s, service: str, amount: float) -> dict[tuple[str, str], float]:
    payer, share_path, other = BLOCK_PAYERS[service]
    share = s.values[share_path] if share_path else 0.0
    lines = {(service, payer): amount * (1 - share)}
    if share:
        lines[(service, other)] = amount * share
    return lines


@pytest.mark.parametrize("service, open_path, cost_path", [
    ("day_centre", "services.day_centre.open", "services.day_centre.block_cost_per_year"),
    ("county_day_services", "services.county_day_services.open", "services.county_day_services.block_cost_per_year"),
    ("peer_support", "services.peer_support.open", "services.peer_support.block_cost_per_year"),
    ("recovery_college", "services.recovery_college.open", "services.recovery_college.budget_per_year"),
])
def test_a_block_contract_costs_the_same_whether_its_places_are_used_or_not(baseline, service, open_path, cost_path):
    s = quiet(baseline, {open_path: True})
    assert_account(run(s, years=2).metrics, block_lines(s, service, 2 * price(s, cost_path)))


def test_a_block_contract_is_paid_through_its_notice_period_after_a_closure_and_its_exit_costs_once(baseline):
    """Closed to users at month 3, the Basildon contract runs on for its notice period (double running),
    and the exit costs are paid once, by the contract's payers."""
    from quiet_county import close

    dc = "services.day_centre."
    s = quiet(baseline, {dc + "open": True, dc + "double_running_months": 2, dc + "block_council_share": 0.25})
    s = s.with_actions(close("day_centre", 3))
    months = 3 + 2
    amount = months / 12 * price(s, dc + "block_cost_per_year") + price(s, dc + "closure_one_off_cost")
    assert_account(run(s).metrics, block_lines(s, "day_centre", amount))


def test_opening_peer_support_pays_its_set_up_once(baseline):
    from quiet_county import open_

    ps = "services.peer_support."
    s = quiet(baseline).with_actions(open_("peer_support", 6))
    amount = 6 / 12 * price(s, ps + "block_cost_per_year") + price(s, ps + "setup_cost")
    assert_account(run(s).metrics, block_lines(s, "peer_support", amount))


@pytest.mark.parametrize("health_share, payer", [(0.0, "council"), (1.0, "nhs")])
def test_council_personal_budgets_are_the_councils_and_personal_health_budgets_the_nhs(baseline, health_share, payer):
    s = quiet(baseline, {
        "population.in_contact_at_start": N, "population.employed_share_at_start": 1.0,
        "population.budget_eligible_share": 1.0, "census.budget_holders_share_of_eligible": 1.0,
        "census.health_budgets_share_of_holders": health_share,
    })
    m = run(s).metrics
    expected = in_community(s, N, 1.0)
    del expected[("lost_output", "society")]
    expected[("personal_budgets", payer)] = N * price(s, "services.personal_budgets.budget_per_year")
    assert_account(m, expected)
    assert m["budget_holders_end"] == N


@pytest.mark.parametrize("integrated", [False, True])
@pytest.mark.parametrize("health_share", [0.0, 1.0])
def test_separate_assessments_are_paid_by_both_and_integrated_ones_by_the_budgets_payer(baseline, integrated, health_share):
    """Applying at month 1: separate assessments (council and NHS, one after the other) cost two
    assessments and take twice as long; an integrated one costs one, paid by whoever pays the budget
    (the council for a personal budget, the NHS for a personal health budget)."""
    pb = "services.personal_budgets."
    s = quiet(baseline, {"population.in_contact_at_start": N, "population.employed_share_at_start": 1.0,
                         "population.budget_eligible_share": 1.0, pb + "dropout_share_separate": 0.0,
                         pb + "dropout_share_integrated": 0.0, pb + "integrated_assessment": integrated,
                         pb + "health_budget_share": health_share})
    s = s.with_actions(*pulse(1, pb + "apply_rate_per_year"))
    m = run(s).metrics
    assert m["budget_holders_end"] == N
    unit = price(s, pb + "assessment_cost")
    weeks = s.values[pb + "assessment_weeks"] * (1 if integrated else 2)
    held_days = DAYS_PER_YEAR - month(1) - 7 * weeks   # granted when the assessment ends
    budgets = N * price(s, pb + "budget_per_year") * held_days / DAYS_PER_YEAR
    payer, other = ("nhs", "council") if health_share else ("council", "nhs")
    lines = cost_lines(m)
    assert lines[f"cost.personal_budgets.{payer}"] == pytest.approx(N * unit + budgets, rel=2e-3)
    assert lines[f"cost.personal_budgets.{other}"] == pytest.approx(0.0 if integrated else N * unit, rel=2e-3, abs=1e-6)


def test_carer_assessments_are_paid_by_the_council(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N, "population.employed_share_at_start": 1.0,
                         "population.carer_share": 1.0})
    s = s.with_actions(*pulse(1, "services.carer_support.assessment_rate_per_year"))
    m = run(s).metrics
    assert m["carers_supported_end"] == N
    assert cost_lines(m)["cost.carer_support.council"] == pytest.approx(N * price(s, "services.carer_support.assessment_cost"), rel=1e-9)


def test_training_programmes_cost_their_volume_at_county_scale(baseline):
    zs, cl = "programmes.zero_suicide.", "programmes.carer_led_training."
    s = quiet(baseline, {zs + "trainees_per_year": 120.0, cl + "carer_trainers": 4})
    staff = 4 * s.values[cl + "staff_trained_per_trainer_per_year"]
    expected = {
        ("zero_suicide", "nhs"): 120 * price(s, zs + "cost_per_trainee"),
        ("carer_led_training", "nhs"): 4 * price(s, cl + "trainer_pay_per_year") + staff * price(s, cl + "cost_per_staff_trained"),
    }
    for scale in (1.0, 0.25):  # programmes are county-wide: the same at any scale
        from simulation.experiment import run_replication

        assert_account(run_replication(s, 1, 0, 1.0, scale, 0.0).metrics, expected)


def test_prices_are_uprated_by_dividing_by_the_index_of_their_year(baseline):
    """A 2014 price is worth more in 2024 pounds: £2,528 / 0.76 = £3,326."""
    s = quiet(baseline, {"population.in_contact_at_start": 1, "population.employed_share_at_start": 1.0,
                         "costs.community_team_per_year": 2528.0, "prices.index_2014": 0.76})
    assert run(s).metrics["cost.community_teams.nhs"] == pytest.approx(2528.0 / 0.76, rel=1e-9)


def test_costs_are_discounted_continuously_at_the_stated_rate(baseline):
    """Ten years of a steady cost at 3.5%: the present value is the integral of 1.035^-t."""
    r, years = 0.035, 10
    s = quiet(baseline, {"population.in_contact_at_start": N, "population.employed_share_at_start": 1.0,
                         "costs.discount_rate": r})
    m = run(s, years=years).metrics
    yearly = N * price(s, "costs.community_team_per_year")
    present_value = yearly * (1 - (1 + r) ** -years) / math.log(1 + r)
    assert m["cost.community_teams.nhs"] == pytest.approx(present_value, rel=1e-4)
    assert m["total_cost_undiscounted"] == pytest.approx(yearly * years, rel=1e-9)


def test_results_are_reported_for_the_whole_county_at_any_scale(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": 40, "population.employed_share_at_start": 1.0})
    from simulation.experiment import run_replication

    full = run_replication(s, 1, 0, 1.0, 1.0, 0.0).metrics["cost.community_teams.nhs"]
    quarter = run_replication(s, 1, 0, 1.0, 0.25, 0.0).metrics["cost.community_teams.nhs"]
    assert quarter == pytest.approx(full, rel=1e-9)
    assert full == pytest.approx(40 * price(s, "costs.community_team_per_year"), rel=1e-9)


@pytest.mark.parametrize("values, weight", [
    ({}, "quality_of_life.community_moderate"),
    ({"population.severe_share": 1.0}, ("quality_of_life.community_moderate", "quality_of_life.severe_decrement")),
    ({"population.employed_share_at_start": 1.0}, ("quality_of_life.community_moderate", "quality_of_life.employed_gain")),
    ({"census.in_residential_care": N}, ("quality_of_life.in_residential_care", "quality_of_life.severe_decrement")),
    ({"census.in_enablement": N}, ("quality_of_life.in_enablement", "quality_of_life.severe_decrement")),
    ({"census.in_acute_beds": N, "services.acute_beds.stay_median_days": 1e7, "services.acute_beds.stay_spread": 0.0},
     "quality_of_life.in_hospital"),
    ({"census.day_centre_users": N, "services.day_centre.open": True},
     ("quality_of_life.community_moderate", "services.day_centre.quality_of_life_gain")),
    ({"population.budget_eligible_share": 1.0, "census.budget_holders_share_of_eligible": 1.0},
     ("quality_of_life.community_moderate", "services.personal_budgets.quality_of_life_gain")),
])
def test_a_year_lived_is_worth_its_quality_of_life_weight(baseline, values, weight):
    s = quiet(baseline, {"population.in_contact_at_start": N, **values})
    weights = (weight,) if isinstance(weight, str) else weight
    per_person = sum(s.values[w] for w in weights)
    m = run(s).metrics
    assert m["qalys"] == pytest.approx(N * per_person, rel=1e-9)
    assert m["qalys_undiscounted"] == pytest.approx(N * per_person, rel=1e-9)


def test_recovered_people_cost_services_nothing_but_lost_output_counts_whether_in_contact_or_not(baseline):
    """Discharge is not a saving: output lost by someone out of work is lost whether or not they are
    still in contact with services. Only work changes it."""
    s = quiet(baseline, {"population.recovered_at_start": N})
    m = run(s).metrics
    assert m["qalys"] == pytest.approx(N * s.values["quality_of_life.recovered"], rel=1e-9)
    assert_account(m, {("lost_output", "society"): N * price(s, "costs.lost_output_per_year_out_of_work")})
    assert m["cost_health_and_care"] == 0
    working = quiet(baseline, {"population.recovered_at_start": N, "population.recovered_employed_share_at_start": 1.0})
    assert run(working).metrics["total_cost"] == 0


def test_forced_events_are_what_the_quiet_county_says_they_are():
    """The helper's 'forced' rate makes an event all but certain within its six-hour pulse."""
    assert math.exp(-FORCED / DAYS_PER_YEAR * 0.25) < 1e-100
    assert month(12) == pytest.approx(DAYS_PER_YEAR)


def test_health_and_care_cost_and_net_monetary_benefit(baseline):
    """The primary view (NICE reference case): NHS plus council cost, and QALYs valued at £20,000 and
    £30,000 each less that cost. Wider-society costs are reported beside it, never in it."""
    s = quiet(baseline, {"population.in_contact_at_start": N, "population.recovered_at_start": N})
    m = run(s).metrics
    assert m["cost_health_and_care"] == pytest.approx(m["cost_nhs"] + m["cost_council"], rel=1e-12)
    assert m["cost_society"] > 0 and m["total_cost"] == pytest.approx(m["cost_health_and_care"] + m["cost_society"], rel=1e-12)
    for k, value in ((20_000, "nmb_20k"), (30_000, "nmb_30k")):
        assert m[value] == pytest.approx(k * m["qalys"] - m["cost_health_and_care"], rel=1e-12)
    assert m["person_years_in_work"] == 0.0


def test_a_service_reopened_within_its_notice_period_keeps_its_contract_and_a_later_closure_gives_notice_afresh(baseline):
    """Closed at month 3 and reopened at month 4 (inside the two months' notice), the contract never stops;
    closed again at month 8, it runs two more months. Each closure's exit costs are paid."""
    from quiet_county import close, open_

    dc = "services.day_centre."
    s = quiet(baseline, {dc + "open": True, dc + "double_running_months": 2, dc + "block_council_share": 0.25})
    s = s.with_actions(close("day_centre", 3), open_("day_centre", 4), close("day_centre", 8))
    amount = 10 / 12 * price(s, dc + "block_cost_per_year") + 2 * price(s, dc + "closure_one_off_cost")
    assert_account(run(s).metrics, block_lines(s, "day_centre", amount))


def test_a_new_parameter_version_that_changes_nothing_changes_no_total_to_the_last_bit(baseline):
    """A null decision starts a new parameter version in one arm only; the accounts work out each version's
    intervals together but sum the period in time order, so every total is the same to the last bit (a sum
    taken version by version had moved the QALYs by 6e-11, and verify's null decision failed)."""
    from dataclasses import replace

    from simulation.outcomes import summarise
    from simulation.twin import Twin

    record = Twin(baseline, years=3).run()
    split = replace(record, versions=[record.versions[0], dict(record.versions[0])],
                    snapshots=[replace(s, version=1) if s.t > 7 * DAYS_PER_MONTH + 1e-9 else s for s in record.snapshots])
    assert {s.version for s in split.snapshots} == {0, 1}
    one, two = summarise(record, baseline.params), summarise(split, baseline.params)
    assert one.metrics == two.metrics
    assert one.monthly == two.monthly
