"""Quality-adjusted days by place and support, and the outcomes of the people a closure displaced.

Each test feeds hand-made numbers to one piece of the outcome account and
states the answer worked out by hand.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from simulation import catalogue
from simulation.outcomes import COHORT_OUTCOMES, _period_quality, cohort_metrics, cohort_rows, place_weight
from simulation.parameters import DAYS_PER_MONTH
from simulation.people import (
    ACUTE, COMMUNITY, ENABLEMENT, HOME_TREATMENT, OUT_OF_AREA, RECOVERED, RESIDENTIAL, WAITING_FOR_BED,
)

WEIGHTS = {"community_moderate": 0.61, "in_crisis": 0.37, "in_hospital": 0.41, "in_residential_care": 0.53,
           "in_enablement": 0.59, "recovered": 0.83, "severe_decrement": -0.07, "employed_gain": 0.05}
Q = {f"quality_of_life.{k}": v for k, v in WEIGHTS.items()}

PLACE_WEIGHT = [(COMMUNITY, "community_moderate"), (HOME_TREATMENT, "in_crisis"), (ACUTE, "in_hospital"),
                (OUT_OF_AREA, "in_hospital"), (WAITING_FOR_BED, "in_hospital"), (RESIDENTIAL, "in_residential_care"),
                (ENABLEMENT, "in_enablement"), (RECOVERED, "recovered")]
STOCK_WEIGHT = [("community", 0.61), ("home_treatment", 0.37), ("acute", 0.41), ("out_of_area", 0.41),
                ("waiting_for_bed", 0.41), ("residential", 0.53), ("enablement", 0.59), ("recovered", 0.83),
                ("severe", -0.07), ("employed", 0.05)]


@pytest.mark.parametrize("place, weight", PLACE_WEIGHT)
def test_each_place_is_lived_at_its_own_quality_of_life_weight(place, weight):
    assert place_weight(Q, place) == WEIGHTS[weight]


def gains() -> dict[str, float]:
    """A distinct quality-of-life gain for every support that declares one."""
    return {spec.quality_of_life_gain: 0.01 * (i + 1) for i, spec in enumerate(catalogue.REGISTRY.values())
            if spec.quality_of_life_gain}


def areas(**days: tuple[float, ...]) -> dict[str, tuple[float, ...]]:
    """Person-days by stock and group: every stock the account reads is zero unless given."""
    names = {s for s, _ in STOCK_WEIGHT} | {h for spec in catalogue.REGISTRY.values() for h in spec.qol_holders()}
    return {name: days.get(name, (0.0, 0.0, 0.0, 0.0)) for name in names}


@pytest.mark.parametrize("stock, weight", STOCK_WEIGHT)
def test_a_day_in_a_place_or_state_adds_its_weight_for_the_groups_asked_only(stock, weight):
    got = _period_quality({**Q, **gains()}, areas(**{stock: (10.0, 20.0, 40.0, 80.0)}), (0, 2), 1.0)
    assert got == pytest.approx(weight * 50.0)


@pytest.mark.parametrize("spec", [s for s in catalogue.REGISTRY.values() if s.quality_of_life_gain], ids=lambda s: s.name)
def test_every_holder_of_a_support_gains_its_quality_of_life_gain_grown_with_the_market_only_if_declared(spec):
    g = gains()[spec.quality_of_life_gain]
    holders = spec.qol_holders()
    days = {h: (10.0 * (i + 1), 0.0, 0.0, 0.0) for i, h in enumerate(holders)}
    got = _period_quality({**Q, **gains()}, areas(**days), (0,), 0.25)
    maturity = 0.25 if spec.gain_grows_with_market else 1.0
    assert got == pytest.approx(g * maturity * sum(d[0] for d in days.values()))


def test_peer_leaders_gain_as_members_do():
    """Peer support's gain is for its members and its leaders alike (two holder stocks)."""
    assert catalogue.REGISTRY["peer_support"].qol_holders() == ("peer_support", "peer_leaders")


def test_a_cohort_row_names_the_closure_its_month_the_person_where_they_went_and_their_outcomes():
    record = SimpleNamespace(cohort_markers=(SimpleNamespace(service="day_centre", day=6 * DAYS_PER_MONTH),
                                             SimpleNamespace(service="peer_support", day=DAYS_PER_MONTH / 2)),
                             cohort=((0, 17, "peer support place", 1, 0, 2.0, 0, 1, 0, 0.5),
                                     (1, 4, "nothing", 0, 1, 9.0, 1, 0, 1, 0.2)))
    assert cohort_rows(record) == (("day_centre", 6.0, 17, "peer support place", 1, 0, 2.0, 0, 1, 0, 0.5),
                                   ("peer_support", 0.5, 4, "nothing", 0, 1, 9.0, 1, 0, 1, 0.2))


def test_cohort_metrics_sum_the_displaced_peoples_outcomes_at_full_scale_by_closure_and_destination():
    markers = (SimpleNamespace(service="day_centre"), SimpleNamespace(service="peer_support"))
    rows = (("day_centre", 6.0, 1, "peer support place", 1, 0, 2.0, 0, 1, 0, 0.5),
            ("day_centre", 6.0, 2, "peer support place", 2, 1, 7.0, 1, 0, 1, 0.25),
            ("day_centre", 6.0, 3, "nothing", 0, 0, 0.0, 0, 1, 0, 0.75))
    got = cohort_metrics(rows, markers, 2.0)
    assert got["cohort.day_centre.people"] == 6.0
    assert got["cohort.day_centre.sent_peer_support_place"] == 4.0
    assert got["cohort.day_centre.sent_nothing"] == 2.0
    expected = {"crises": 3, "admissions": 1, "bed_days": 9.0, "recoveries": 1, "in_work_end": 2, "died": 1, "qalys": 1.5}
    for outcome in COHORT_OUTCOMES:
        assert got[f"cohort.day_centre.{outcome}"] == pytest.approx(2.0 * expected[outcome]), outcome
    # a closure that displaced nobody still reports its cohort, as zeros
    assert got["cohort.peer_support.people"] == 0.0
    assert all(got[f"cohort.peer_support.{o}"] == 0.0 for o in COHORT_OUTCOMES)
