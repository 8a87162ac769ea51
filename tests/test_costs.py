"""Prices: one price year, payers, discounting."""

from __future__ import annotations

import pytest

from simulation.costs import all_cost_metrics, cost_items, discount_factor, price_problems
from simulation.parameters import PAYERS


def test_every_cost_item_names_a_money_parameter_with_a_payer(baseline):
    for item in cost_items():
        spec = baseline.params[item.param]
        assert spec.is_money, item.param
        assert (item.payer_override or spec.payer) in PAYERS


def test_every_price_year_has_an_index(baseline):
    assert price_problems(baseline.params) == []


def test_prices_are_uprated_to_2024(baseline):
    # a 2015 cost is worth more in 2024 prices: the index is below 1 for earlier years
    assert baseline.values["prices.index_2015"] < 1.0 == baseline.values["prices.index_2024"]


def test_discounting_follows_the_rate():
    assert discount_factor(0.035, 0) == 1.0
    assert discount_factor(0.035, 365.25) == pytest.approx(1 / 1.035)
    assert discount_factor(0.0, 3000) == 1.0


def test_budgets_are_split_between_council_and_nhs(baseline):
    names = all_cost_metrics(baseline.params)
    assert "cost.personal_budgets.council" in names and "cost.personal_budgets.nhs" in names
    assert "cost.suicides.society" in names
