"""The bed queue against queueing theory, and Little's law for every service.

With the model reduced to Poisson arrivals that all need a bed and
exponential stays, in-area beds are an M/M/c queue when people wait for a
bed (Erlang C) and an M/M/c/c loss system when they are placed out of area
(Erlang B: the out-of-area share is the blocking probability).
"""

from __future__ import annotations

import math

import pytest

from simulation.experiment import t_interval
from simulation.model import CountyModel
from simulation.parameters import DAYS_PER_YEAR

from conftest import bed_queue_only, small_record


from simulation.verification import erlang_b, erlang_c  # noqa: E402


LAMBDA = 6.0   # admissions a day
MEAN_STAY = 2.5  # days
BEDS = 17      # offered load 15 Erlangs, utilisation 0.88
YEARS = 8
WARMUP_YEARS = 1
REPS = 8


def _runs(baseline, queue: bool):
    scenario = bed_queue_only(baseline, LAMBDA, MEAN_STAY, BEDS, queue)
    out = []
    for rep in range(REPS):
        model = CountyModel(scenario, seed=11, replication=rep, years=YEARS, scale=1.0, warmup_years=WARMUP_YEARS)
        out.append((model, model.run()))
    return out


@pytest.mark.slow
def test_mmc_wait_and_occupancy_match_erlang_c(baseline):
    a = LAMBDA * MEAN_STAY
    wq_theory = erlang_c(BEDS, a) / (BEDS / MEAN_STAY - LAMBDA)
    waits, occupancy = [], []
    for model, record in _runs(baseline, queue=True):
        first, last = record.snapshots[0], record.snapshots[-1]
        admitted = sum(last.counts["acute_admissions"]) - sum(first.counts["acute_admissions"])
        # person-days spent waiting / arrivals = mean wait over all arrivals (zero for those not queued)
        waited = sum(last.areas["waiting_for_bed"]) - sum(first.areas["waiting_for_bed"])
        waits.append(waited / admitted)
        days = record.horizon_days - record.warmup_days
        occupancy.append((sum(last.areas["acute"]) - sum(first.areas["acute"])) / days)
        assert sum(last.counts["out_of_area_placements"]) == 0
    w = t_interval(waits)
    o = t_interval(occupancy)
    assert w.low <= wq_theory <= w.high, (w, wq_theory)
    assert o.low <= a <= o.high, (o, a)


@pytest.mark.slow
def test_out_of_area_share_matches_erlang_b(baseline):
    a = LAMBDA * MEAN_STAY
    shares = []
    for _, record in _runs(baseline, queue=False):
        first, last = record.snapshots[0], record.snapshots[-1]
        admitted = sum(last.counts["acute_admissions"]) - sum(first.counts["acute_admissions"])
        ooa = sum(last.counts["out_of_area_placements"]) - sum(first.counts["out_of_area_placements"])
        shares.append(ooa / admitted)
    s = t_interval(shares)
    assert s.low <= erlang_b(BEDS, a) <= s.high, (s, erlang_b(BEDS, a))


def test_unlimited_beds_mean_no_out_of_area_placements(baseline):
    scenario = bed_queue_only(baseline, LAMBDA, MEAN_STAY, 10_000, queue=False)
    record = CountyModel(scenario, seed=3, replication=0, years=1, scale=1.0).run()
    assert sum(record.snapshots[-1].counts["out_of_area_placements"]) == 0
    assert sum(record.snapshots[-1].counts["acute_admissions"]) > 1000


@pytest.mark.parametrize("place", ["acute", "home_treatment"])
def test_littles_law_holds_for_short_stay_places(baseline, place):
    """Time-average number present = entry rate x mean stay, over a run much longer than a stay."""
    record = small_record(baseline, years=6, scale=0.2)
    area, entries, exits, sojourn, present = record.little[place]
    days = record.horizon_days
    assert exits > 200
    L = area / days
    lam = entries / days
    W = sojourn / exits
    assert L == pytest.approx(lam * W, rel=0.05), (place, L, lam * W)


def test_littles_law_is_exact_as_an_accounting_identity(baseline):
    """Area under the count = time spent by those who left + time of those still present."""
    model = CountyModel(baseline, seed=5, replication=0, years=2, scale=0.05)
    record = model.run()
    end = record.horizon_days
    for place in ("acute", "home_treatment", "residential", "enablement", "community", "recovered"):
        area, _, _, sojourn, _ = record.little[place]
        from simulation.people import PLACE_NAMES

        idx = PLACE_NAMES.index(place)
        still = sum(end - p.t_place for p in model.people if p.place == idx)
        assert area == pytest.approx(sojourn + still, rel=1e-9)


def test_days_per_year_is_the_julian_year():
    assert math.isclose(DAYS_PER_YEAR, 365.25)
