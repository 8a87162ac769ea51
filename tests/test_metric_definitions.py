"""What each declared metric reads from a run: the counter, stock or payer its definition names.

The metric table is built when ``simulation.outcomes`` is imported, from small
factories (``counted``, ``days_in``, ``at_end``, shares, waits, payers) and the
service registry. These tests call the factories and the registry's metric
builder themselves, on a stand-in period that answers every question with a
number tied to the name asked for, so a metric reading the wrong counter, stock
or group shows.
"""

from __future__ import annotations

import zlib
from types import SimpleNamespace

import pytest

from simulation import catalogue, outcomes
from simulation.ledger import join_counter
from simulation.outcomes import ALL_GROUPS, Metric, at_end, counted, days_in

SOME_GROUPS = (1,)   # a sub-group's group set: the period is asked for it, not for everyone
UNITS = {"£", "people", "days", "episodes", "admissions", "bed days", "placements", "tenancies", "person-years", "deaths",
         "deaths a year", "QALYs", "share"}


def tag(name: str) -> float:
    """A number that stands for one name."""
    return float(zlib.crc32(name.encode()) % 100_000 + 1)


def groups(gs: tuple[int, ...]) -> float:
    assert isinstance(gs, tuple) and all(isinstance(g, int) for g in gs), gs
    return 1.0 if gs == ALL_GROUPS else 1_000_000.0


class Period:
    """A stand-in period: a counter's total, a stock's area and a stock's level are each their name's tag,
    times a million when asked for a sub-group rather than everyone."""

    def __init__(self, waits: dict | None = None, zero: tuple[str, ...] = ()):
        self.record = SimpleNamespace(waits=waits or {})
        self.zero = zero

    def total(self, counter: str, gs: tuple[int, ...] = ALL_GROUPS) -> float:
        return 0.0 if counter in self.zero else tag("total " + counter) * groups(gs)

    def area(self, stocks: tuple[str, ...], gs: tuple[int, ...] = ALL_GROUPS) -> float:
        return sum(tag("area " + s) for s in stocks) * groups(gs)

    def level(self, stocks: tuple[str, ...], gs: tuple[int, ...] = ALL_GROUPS, snap=None) -> float:
        assert snap is None, "a metric 'at the end' reads the last snapshot"
        return sum(tag("level " + s) for s in stocks) * groups(gs)


ACCOUNTS = SimpleNamespace(payers={"nhs": 11.0, "council": 13.0, "society": 17.0})


def test_a_counted_metric_is_its_counters_total_for_the_groups_asked():
    assert counted("suicides")(Period(), ACCOUNTS, ALL_GROUPS) == tag("total suicides")
    assert counted("suicides")(Period(), ACCOUNTS, SOME_GROUPS) == tag("total suicides") * 1_000_000


def test_days_in_stocks_is_the_sum_of_their_areas_for_the_groups_asked():
    assert days_in("acute", "out_of_area")(Period(), ACCOUNTS, ALL_GROUPS) == tag("area acute") + tag("area out_of_area")
    assert days_in("acute")(Period(), ACCOUNTS, SOME_GROUPS) == tag("area acute") * 1_000_000


def test_at_the_end_is_the_sum_of_the_stocks_levels_in_the_last_snapshot():
    assert at_end("acute", "out_of_area")(Period(), ACCOUNTS, ALL_GROUPS) == tag("level acute") + tag("level out_of_area")
    assert at_end("employed")(Period(), ACCOUNTS, SOME_GROUPS) == tag("level employed") * 1_000_000


def test_a_share_is_its_numerators_total_over_its_denominators_and_zero_when_nothing_is_followed():
    share = outcomes._share("readmitted_within_year", "discharges_followable")
    assert share(Period(), ACCOUNTS, SOME_GROUPS) == pytest.approx(tag("total readmitted_within_year")
                                                                   / tag("total discharges_followable"))
    assert share(Period(zero=("discharges_followable",)), ACCOUNTS, ALL_GROUPS) == 0.0


def test_a_mean_wait_is_the_days_waited_over_the_people_served_by_that_service_only():
    wait = outcomes._wait("enablement")
    assert wait(Period({"enablement": (30.0, 4), "day_centre": (1.0, 1)}), ACCOUNTS, ALL_GROUPS) == 7.5
    assert wait(Period({"enablement": (0.0, 0)}), ACCOUNTS, ALL_GROUPS) == 0.0   # nobody served: no wait to report
    assert wait(Period({"day_centre": (5.0, 1)}), ACCOUNTS, ALL_GROUPS) == 0.0


@pytest.mark.parametrize("payer", ["nhs", "council", "society"])
def test_a_payers_cost_is_what_the_account_booked_to_that_payer(payer):
    assert outcomes._payer(payer)(Period(), ACCOUNTS, ALL_GROUPS) == ACCOUNTS.payers[payer]


def test_a_metric_declaration_keeps_each_field_in_its_place():
    def compute(p, a, gs):
        return 0.0
    assert outcomes._m("n", "label", "people", "meaning", "lower", compute, True) == Metric(
        "n", "label", "people", "meaning", "lower", compute, True)
    assert outcomes._m("n", "label", "people", "meaning") == Metric("n", "label", "people", "meaning", None, None, False)


def service_metrics() -> dict[str, Metric]:
    return {m.name: m for m in outcomes._service_metrics()}


@pytest.mark.parametrize("spec", catalogue.place_supports(), ids=lambda s: s.name)
def test_every_place_support_reports_its_users_at_the_end_its_mean_wait_and_its_referrals(spec):
    metrics = service_metrics()
    period = Period({spec.name: (12.0, 3), "elsewhere": (100.0, 1)})
    users = metrics[catalogue.users_metric(spec)]
    assert users.compute(period, ACCOUNTS, ALL_GROUPS) == tag("level " + (spec.holds or ""))
    assert users.unit == "people" and spec.label in users.label and spec.label.lower() in users.meaning
    wait = metrics[catalogue.wait_metric(spec)]
    assert wait.compute(period, ACCOUNTS, ALL_GROUPS) == 4.0
    assert wait.unit == "days" and spec.label.lower() in wait.label and spec.label.lower() in wait.meaning
    joins = metrics[join_counter(spec)]
    assert joins.compute(period, ACCOUNTS, ALL_GROUPS) == tag("total " + join_counter(spec))
    assert joins.unit == "people" and spec.label.lower() in joins.label and spec.label.lower() in joins.meaning


@pytest.mark.parametrize("target", catalogue.redirect_targets())
def test_every_redirect_target_reports_the_users_sent_to_it_at_a_closure(target):
    m = service_metrics()[f"redirected_to_{target}"]
    assert m.compute(Period(), ACCOUNTS, ALL_GROUPS) == tag(f"total redirected_{target}")
    label = catalogue.service_label(target).lower()
    assert m.unit == "people" and label in m.label and label in m.meaning


@pytest.mark.parametrize("counter", list(outcomes.ACTIVITY))
def test_every_activity_counter_is_reported_as_counted_with_its_label_and_unit(counter):
    m = service_metrics()[counter]
    label, unit, meaning = outcomes.ACTIVITY[counter]
    assert m.compute(Period(), ACCOUNTS, ALL_GROUPS) == tag("total " + counter)
    assert (m.label, m.unit, m.meaning) == (label, unit, meaning)


def test_what_supports_bring_is_activity_with_no_better_direction():
    assert all(m.better is None and not m.subgroups for m in outcomes._service_metrics())


def test_every_metric_has_a_known_unit_and_is_in_the_table():
    metrics = outcomes.metric_list()
    assert {m.unit for m in metrics} <= UNITS
    assert set(outcomes.METRICS) == {m.name for m in metrics}
    assert len(metrics) == len(outcomes.METRICS)   # no two metrics share a name


PLACES_IN_CONTACT = ("community", "home_treatment", "acute", "out_of_area", "waiting_for_bed", "residential", "enablement")
BUILT_IN_LEVELS = {
    "people_in_contact": PLACES_IN_CONTACT, "people_employed": ("employed",), "community": ("community",),
    "home_treatment": ("home_treatment",), "acute": ("acute",), "out_of_area": ("out_of_area",),
    "waiting_for_bed": ("waiting_for_bed",), "residential": ("residential",), "enablement": ("enablement",),
    "recovered": ("recovered",), "waiting_enablement": ("waiting_enablement",),
}


def expected_levels() -> dict[str, tuple[str, ...]]:
    """Every monthly level series and the stocks it adds up: the built-in places, each series a service
    declares, and users and waiting list for a place support that declares none."""
    out = dict(BUILT_IN_LEVELS)
    for spec in catalogue.REGISTRY.values():
        out.update({name: (stock,) for name, stock, _ in spec.series})
    for spec in catalogue.place_supports():
        if not spec.series:
            out[f"{spec.name}_users"], out[f"{spec.name}_waiting"] = (spec.holds,), (spec.waits,)
    return out


def test_every_monthly_level_series_adds_up_the_stocks_it_names():
    got = {s.name: s.stocks for s in outcomes._level_series()}
    assert got == expected_levels()
    assert [s.name for s in outcomes._level_series()][:len(BUILT_IN_LEVELS)] == list(BUILT_IN_LEVELS)


def test_level_series_count_people_and_are_labelled_in_sentence_case():
    for s in outcomes._level_series():
        assert s.unit == "people", s.name
        assert isinstance(s.label, str) and s.label[0].isupper() and not s.label.isupper() and "XX" not in s.label, s
    labels = outcomes.series_labels()
    assert {name: labels[name] for name in BUILT_IN_LEVELS}["people_employed"] == ("People in work", "people")
    assert set(outcomes.SERIES) <= set(labels) and set(expected_levels()) <= set(labels)


def test_every_metric_a_run_reports_is_declared(baseline):
    """What a run reports (a quiet county with every support open) is what ``declared_names`` promises:
    every cost line, every metric and each sub-group of those reported by sub-group."""
    from quiet_county import metrics
    from simulation.people import SUBGROUPS

    names = outcomes.declared_names(baseline.params)
    assert len(names) == len(set(names))
    reported = set(metrics(baseline.with_values({"population.in_contact_at_start": 0}), years=0.25))
    assert reported == set(names)
    assert {f"qalys.{key}" for key in SUBGROUPS} <= set(names)
