"""County-wide programmes: training stocks, coverage and the budget market, against hand sums."""

from __future__ import annotations

import math

import pytest

from simulation.parameters import Params
from simulation.programmes import Programmes, TrainingStock


def test_a_training_stock_follows_the_exact_solution_of_inflow_minus_turnover():
    """dS/dt = 100 - 0.25 S from S = 40: S(t) = 400 + (40 - 400) e^(-0.25 t)."""
    stock = TrainingStock(40.0, 1000.0)
    for _ in range(12):
        stock.step(1 / 12, 100.0, 0.25)
    assert stock.trained == pytest.approx(400 - 360 * math.exp(-0.25), rel=1e-12)
    stock.step(200.0, 100.0, 0.25)
    assert stock.trained == pytest.approx(400.0, rel=1e-9)   # the steady state, inflow / rate


def test_without_turnover_training_just_accumulates():
    stock = TrainingStock(10.0, 100.0)
    stock.step(2.0, 30.0, 0.0)
    assert stock.trained == 70.0


def test_coverage_is_the_trained_share_of_the_workforce_and_never_above_one():
    assert TrainingStock(250.0, 1000.0).coverage == 0.25
    assert TrainingStock(5000.0, 1000.0).coverage == 1.0
    assert TrainingStock(5.0, 0.0).coverage == 0.0


def test_programme_effects_scale_with_coverage(baseline):
    zs, cl = "programmes.zero_suicide.", "programmes.carer_led_training."
    values = dict(baseline.values)
    values.update({zs + "workforce": 1000, zs + "trained_at_start": 250, zs + "suicide_reduction_at_full_coverage": 0.2,
                   zs + "crisis_reduction_at_full_coverage": 0.08, cl + "assessment_uptake_multiplier_at_full_coverage": 3.0,
                   "services.personal_budgets.market_maturity_at_start": 0.5, "services.personal_budgets.effect_on_recovery": 1.4})
    P = Params(values)
    progs = Programmes(P)
    f = progs.factors(P)
    assert f["zs_suicide"] == pytest.approx(1 - 0.2 * 0.25)
    assert f["zs_crisis"] == pytest.approx(1 - 0.08 * 0.25)
    assert f["carer_uptake"] == pytest.approx(1.0)            # nobody trained by carers yet
    assert f["market_recovery"] == pytest.approx(1 + 0.4 * 0.5)


def test_the_budget_market_matures_linearly_and_stops_at_one(baseline):
    pb = "services.personal_budgets."
    values = dict(baseline.values)
    values.update({pb + "market_maturity_at_start": 0.2, pb + "market_years_to_mature": 4.0})
    P = Params(values)
    progs = Programmes(P)
    progs.advance(P, 2.0)
    assert progs.market_maturity == pytest.approx(0.6)
    progs.advance(P, 10.0)
    assert progs.market_maturity == 1.0


def test_advancing_uses_turnover_plus_skill_decay_for_zero_suicide(baseline):
    zs = "programmes.zero_suicide."
    values = dict(baseline.values)
    values.update({zs + "trained_at_start": 0, zs + "trainees_per_year": 300.0, zs + "staff_turnover_per_year": 0.1,
                   zs + "skill_decay_per_year": 0.15, zs + "workforce": 4000})
    P = Params(values)
    progs = Programmes(P)
    progs.advance(P, 3.0)
    steady = 300.0 / 0.25
    assert progs.zero_suicide.trained == pytest.approx(steady * (1 - math.exp(-0.25 * 3.0)), rel=1e-12)
