"""The next-reaction method, one clock at a time: when a person's situation changes, each event's
clock is rescaled, stopped or started so that the time left follows the new rate and nothing is redrawn.

A clock holds the day its event would happen. Rates here are per day."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from simulation import hazards as hz
from simulation.model import CountyModel
from simulation.people import COMMUNITY, Person

NOW = 100.0
INF = float("inf")


def setting(baseline):
    lives = CountyModel(baseline, seed=7, replication=2, years=1.0, scale=0.01).lives
    p = Person(42, 0, COMMUNITY, 0.0)
    p.clocks = [INF] * hz.n_events()
    p.streams = [0] * hz.n_events()
    return lives, p


def move(rescale=(), stop=(), go=()):
    return SimpleNamespace(rescale=tuple(rescale), stop=tuple(stop), go=tuple(go))


def test_a_rate_that_changes_rescales_the_time_left_on_its_clock(baseline):
    lives, p = setting(baseline)
    p.clocks[hz.CRISIS] = NOW + 10.0
    lives.retime(p, move(rescale=[(hz.CRISIS, 0.5)]), NOW)      # the rate doubled: half the time left
    assert p.clocks[hz.CRISIS] == pytest.approx(NOW + 5.0)


def test_an_event_that_stops_being_possible_keeps_its_time_left_in_unit_rate_time(baseline):
    lives, p = setting(baseline)
    p.clocks[hz.RECOVER] = NOW + 10.0
    p.clocks[hz.JOB_GAIN] = NOW            # due exactly now: nothing left to keep
    lives.retime(p, move(stop=[(hz.RECOVER, 0.2), (hz.JOB_GAIN, 0.3)]), NOW)
    assert p.clocks[hz.RECOVER] == pytest.approx(-2.0)           # 10 days at 0.2 a day
    assert p.clocks[hz.JOB_GAIN] == -1e-12


def test_an_idle_clock_resumes_where_it_stopped_and_a_new_one_draws_from_the_persons_stream(baseline):
    lives, p = setting(baseline)
    p.clocks[hz.RECOVER] = -2.0
    lives.retime(p, move(go=[(hz.RECOVER, 0.5), (hz.CRISIS, 0.25)]), NOW)
    assert p.clocks[hz.RECOVER] == pytest.approx(NOW + 4.0)      # 2 units at 0.5 a day
    fresh_lives, fresh = setting(baseline)
    assert p.clocks[hz.CRISIS] == pytest.approx(NOW + fresh_lives.draw(fresh, hz.CRISIS) / 0.25)
    assert p.clocks[hz.CRISIS] > NOW


def test_a_stopped_then_restarted_clock_at_the_same_rate_is_unchanged(baseline):
    lives, p = setting(baseline)
    p.clocks[hz.CRISIS] = NOW + 7.0
    lives.retime(p, move(stop=[(hz.CRISIS, 0.1)]), NOW)
    lives.retime(p, move(go=[(hz.CRISIS, 0.1)]), NOW + 30.0)    # 30 days idle, then possible again
    assert p.clocks[hz.CRISIS] == pytest.approx(NOW + 30.0 + 7.0)


@pytest.mark.parametrize("draw, handled", [(0.29, True), (0.31, False)])
def test_thinning_accepts_an_event_in_proportion_to_its_dynamic_factors_against_their_maximum(baseline, monkeypatch,
                                                                                                draw, handled):
    """A clock runs at a rate bounded by the factors' maxima; when it fires, the event happens only if the
    acceptance draw is below the factors' values over their maxima (here 0.6 of 1.2 times 0.9 of 1.5: 0.3)."""
    lives, p = setting(baseline)
    m = lives.m
    monkeypatch.setattr(m, "factor_value", [1.0] * hz.N_FACTORS)
    monkeypatch.setattr(m.rules, "factor_max", [1.0] * hz.N_FACTORS)
    m.factor_value[hz.F_MARKET_RECOVERY], m.rules.factor_max[hz.F_MARKET_RECOVERY] = 0.6, 1.2
    m.factor_value[hz.F_MARKET_WORK], m.rules.factor_max[hz.F_MARKET_WORK] = 0.9, 1.5
    p.tab = SimpleNamespace(factor_of={hz.RECOVER: (hz.F_MARKET_RECOVERY, hz.F_MARKET_WORK)}, rate_of={hz.RECOVER: 0.5})
    seen = []
    monkeypatch.setattr(lives, "handlers", {hz.RECOVER: seen.append})
    monkeypatch.setattr(lives, "acceptance", lambda person, e: draw)
    lives.fire(p, hz.RECOVER)
    assert seen == ([p] if handled else [])
    assert p.clocks[hz.RECOVER] > lives.env._now     # a new clock either way


def test_stays_are_lognormal_around_their_median_or_exponential_with_the_same_mean(baseline):
    lives, _ = setting(baseline)
    people = [Person(pid, 0, COMMUNITY, 0.0) for pid in range(1, 4001)]
    median, spread = 20.0, 0.5
    logn = sorted(lives.duration(q, median, spread, False) for q in people)
    expo = [lives.duration(q, median, spread, True) for q in people]
    assert all(d > 0 for d in logn + expo)
    assert logn[len(logn) // 2] == pytest.approx(median, rel=0.05)
    mean = median * math.exp(spread ** 2 / 2)          # the lognormal's mean, which the exponential keeps
    assert sum(expo) / len(expo) == pytest.approx(mean, rel=0.05)
    assert lives.duration(people[0], median, 0.0, False) == median
