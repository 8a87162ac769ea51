"""The reported period: what a run's snapshots say once the warm-up is set aside, at full scale.

A hand-made record at half scale (each simulated person stands for two) with
a two-month warm-up and two reported months. Counters and person-days are
cumulative in the snapshots, so the period's total is the last snapshot less
the one taken when reporting starts, never what happened in the warm-up.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from simulation.ledger import Snapshot
from simulation.outcomes import Period, _quantity
from simulation.parameters import DAYS_PER_MONTH, DAYS_PER_YEAR

M = DAYS_PER_MONTH
T0 = 2 * M   # the warm-up


def snap(t: float, crises: tuple, days: tuple, level: tuple, version: int = 0) -> Snapshot:
    """Cumulative crises and person-days in crisis care, and the people there now, in four groups."""
    return Snapshot(t, version, {"acute": level}, {"acute": days}, {"crisis_episodes": crises})


SNAPSHOTS = [
    snap(0.0, (0, 0, 0, 0), (0, 0, 0, 0), (1, 0, 0, 0)),
    snap(M, (3, 1, 0, 0), (10, 5, 0, 0), (2, 0, 0, 0)),
    snap(T0, (5, 2, 0, 0), (40, 9, 0, 0), (3, 1, 0, 0)),           # reporting starts here
    snap(T0 + M, (6, 4, 1, 0), (100, 20, 3, 0), (1, 1, 1, 0), version=1),
    snap(T0 + 2 * M, (9, 4, 2, 1), (130, 31, 4, 2), (2, 0, 1, 2)),
]


def record(snapshots=SNAPSHOTS, horizon=T0 + 2 * M, warmup=T0):
    return SimpleNamespace(scale=0.5, warmup_days=warmup, horizon_days=horizon, snapshots=snapshots,
                           versions=[{"v": "before"}, {"v": "after"}])


def test_a_total_counts_only_what_happened_after_the_warm_up_at_full_scale():
    p = Period(record())
    assert p.total("crisis_episodes") == 2 * ((9 + 4 + 2 + 1) - (5 + 2))
    assert p.total("crisis_episodes", (1,)) == 2 * (4 - 2)


def test_person_days_count_only_the_reported_period_at_full_scale():
    p = Period(record())
    assert p.area(("acute",)) == 2 * ((130 + 31 + 4 + 2) - (40 + 9))
    assert p.area(("acute",), (0, 3)) == 2 * ((130 + 2) - 40)


def test_a_level_is_the_last_snapshots_or_the_one_asked_for_at_full_scale():
    p = Period(record())
    assert p.level(("acute",)) == 2 * 5
    assert p.level(("acute",), snap=p.first) == 2 * 4
    assert p.level(("acute",), (0,), snap=p.first) == 2 * 3


def test_the_period_starts_at_the_end_of_the_warm_up_and_counts_its_months_and_years():
    p = Period(record())
    assert p.first.t == T0 and p.last.t == T0 + 2 * M
    assert p.n_months == 2
    assert p.years == pytest.approx(2 / 12)
    assert Period(record(horizon=T0 + 1.5 * M)).n_months == 2        # a part month is a month
    assert Period(record(warmup=0.0)).n_months == 4


def test_intervals_carry_the_parameters_in_force_and_the_reported_month_they_end_in():
    got = [(a.t, b.t, values["v"], month) for a, b, values, month in Period(record()).intervals()]
    assert got == [(T0, T0 + M, "before", 0), (T0 + M, T0 + 2 * M, "after", 1)]


def test_a_snapshot_a_moment_after_the_last_month_ends_is_booked_in_the_last_month():
    end = T0 + 2 * M + 1e-4
    snaps = SNAPSHOTS[:-1] + [snap(end, (9, 4, 2, 1), (130, 31, 4, 2), (2, 0, 1, 1))]
    p = Period(record(snaps, horizon=end))
    assert p.n_months == 2
    assert [month for *_, month in p.intervals()] == [0, 1]


def test_two_snapshots_at_the_same_moment_make_no_interval():
    snaps = SNAPSHOTS[:4] + [snap(T0 + M, (6, 4, 1, 0), (100, 20, 3, 0), (1, 1, 1, 0), version=1)] + SNAPSHOTS[4:]
    assert len(list(Period(record(snaps)).intervals())) == 2


@pytest.mark.parametrize("basis, expected", [
    ("count:crisis_episodes", [6.0, 4.0, 2.0, 0.0]),          # people's events: times the scale weight
    ("stock:acute", [10.0, 8.0, 0.0, 2.0]),                   # person-days likewise
    ("stock:acute-residential", [8.0, 8.0, -2.0, 2.0]),       # holders of one thing less those of another
    ("count:closures_day_centre", [1.0, 0.0, 0.0, 0.0]),      # a decision is county-level: never scaled
    ("open:day_centre", [30.0, 0.0, 0.0, 0.0]),               # days a block contract is open: not scaled
])
def test_a_cost_lines_quantity_is_at_full_scale_except_county_level_decisions(basis, expected):
    d_area = {"acute": (5, 4, 0, 1), "residential": (1, 0, 1, 0), "open_day_centre": (30, 0, 0, 0)}
    d_count = {"crisis_episodes": (3, 2, 1, 0), "closures_day_centre": (1, 0, 0, 0)}
    got = _quantity(SimpleNamespace(basis=basis), d_area, d_count, {}, 30.0, 2.0)
    assert got.tolist() == expected
    # several intervals at once (a row each) give each interval's quantities
    twice = _quantity(SimpleNamespace(basis=basis), {k: [v, v] for k, v in d_area.items()},
                      {k: [v, v] for k, v in d_count.items()}, {}, [30.0, 30.0], 2.0)
    assert twice.tolist() == [expected, expected]


def test_programme_quantities_are_county_level_volumes_for_the_days_in_the_interval():
    values = {"programmes.zero_suicide.trainees_per_year": 365.25, "programmes.carer_led_training.carer_trainers": 3,
              "programmes.carer_led_training.staff_trained_per_trainer_per_year": 2 * DAYS_PER_YEAR}
    q = {what: _quantity(SimpleNamespace(basis="programme:" + what), {}, {}, values, 10.0, 2.0)
         for what in ("zero_suicide_trainees", "carer_trainer_days", "carer_staff_trained")}
    assert q["zero_suicide_trainees"] == pytest.approx([10.0 * 365.25 / DAYS_PER_YEAR, 0, 0, 0])
    assert q["carer_trainer_days"] == pytest.approx([30.0, 0, 0, 0])
    assert q["carer_staff_trained"] == pytest.approx([3 * 2 * 10.0, 0, 0, 0])


class Levels(dict):
    """A snapshot's levels: the stocks given, every other stock empty."""

    def __missing__(self, key):
        return (0, 0, 0, 0)


def level_snap(t: float, extra: dict, **levels: tuple) -> Snapshot:
    return Snapshot(t, 0, Levels(levels), {}, {}, extra)


def test_monthly_levels_are_each_month_ends_snapshot_at_full_scale_with_derived_series():
    from simulation.outcomes import Accounts, monthly_levels
    snaps = [
        level_snap(0.0, {}, employed=(9, 9, 9, 9)),                                          # warm-up: never reported
        level_snap(T0, {}, employed=(1, 1, 1, 1)),
        level_snap(T0 + M, {"zero_suicide_coverage": 0.25}, employed=(3, 0, 1, 0), recovered_employed=(1, 0, 0, 0),
                   community=(4, 2, 2, 0), severe_in_community=(1, 1, 0, 0), residential=(0, 0, 0, 2)),
        level_snap(T0 + 2 * M, {}, employed=(5, 0, 0, 0), community=(0, 0, 0, 0), residential=(1, 0, 0, 0)),
    ]
    p = Period(record(snaps))
    acc = Accounts({}, {}, 0.0, {}, {}, 0.0, {})
    monthly_levels(p, acc)
    got = acc.monthly
    assert got["people_employed"] == [2 * 4, 2 * 5]
    assert got["residential"] == [2 * 2, 2 * 1]
    assert got["people_in_contact_employed"] == [2 * 4 - 2 * 1, 2 * 5]
    assert got["severe_share_community"] == [2 / 8, 0.0]          # nobody in the community: no share, not a division by 0
    assert got["zero_suicide_coverage"] == [0.25, 0.0]             # coverage in force, 0 where a snapshot records none
    assert got["carer_training_coverage"] == [0.0, 0.0]


def test_the_share_in_work_is_the_average_of_each_months_share_over_months_with_anyone_in_contact():
    from simulation.outcomes import Accounts, _employment_share
    acc = Accounts({}, {}, 0.0, {}, {}, 0.0, {"people_in_contact": [10.0, 0.0, 4.0],
                                                "people_in_contact_employed": [2.0, 0.0, 3.0]})
    assert _employment_share(Period(record()), acc, ALL) == pytest.approx((0.2 + 0.75) / 2)
    nobody = Accounts({}, {}, 0.0, {}, {}, 0.0, {"people_in_contact": [0.0], "people_in_contact_employed": [0.0]})
    assert _employment_share(Period(record()), nobody, ALL) == 0.0
    one = Accounts({}, {}, 0.0, {}, {}, 0.0, {"people_in_contact": [5.0, 0.0], "people_in_contact_employed": [1.0, 0.0]})
    assert _employment_share(Period(record()), one, ALL) == pytest.approx(0.2)


ALL = (0, 1, 2, 3)


def test_bed_occupancy_is_bed_days_used_over_bed_days_open_with_the_beds_in_force_at_the_time():
    from simulation.outcomes import _bed_occupancy
    snaps = [Snapshot(0.0, 0, {}, {"acute": (50, 0, 0, 0)}, {}),       # the warm-up's bed-days: not counted
             Snapshot(T0, 0, {}, {"acute": (60, 0, 0, 0)}, {}),
             Snapshot(T0 + M, 1, {}, {"acute": (60 + 100, 20, 0, 0)}, {}),
             Snapshot(T0 + 2 * M, 1, {}, {"acute": (160 + 150, 20, 0, 10)}, {})]
    rec = record(snaps)
    rec.versions = [{"services.acute_beds.beds_in_area": 10}, {"services.acute_beds.beds_in_area": 20}]
    used = 2 * (120 + 160)                                                # half scale: each bed-day stands for two
    assert _bed_occupancy(Period(rec), None, ALL) == pytest.approx(used / (10 * M + 20 * M))
    rec.versions = [{"services.acute_beds.beds_in_area": 0}, {"services.acute_beds.beds_in_area": 0}]
    assert _bed_occupancy(Period(rec), None, ALL) == 0.0                  # no beds: no occupancy, not a division by 0


def test_residential_cost_per_person_year_weights_each_intervals_price_by_the_years_lived_in_it():
    from simulation.outcomes import _residential_cost_per_year
    snaps = [Snapshot(T0, 0, {}, {"residential": (0, 0, 0, 0)}, {}),
             Snapshot(T0 + M, 1, {}, {"residential": (30, 0, 0, 0)}, {}),
             Snapshot(T0 + 2 * M, 1, {}, {"residential": (30, 60, 0, 0)}, {})]
    rec = record(snaps)
    rec.versions = [{"services.residential_care.cost_per_year": 40_000.0},
                    {"services.residential_care.cost_per_year": 70_000.0}]
    assert _residential_cost_per_year(Period(rec), None, ALL) == pytest.approx((30 * 40_000 + 60 * 70_000) / 90)
