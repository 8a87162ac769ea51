"""Costs: what each unit of care costs, who pays, in one price year, discounted.

Every cost the model counts is a :class:`CostItem`: a unit cost parameter
(which carries its ``price_year`` and ``payer`` in baseline.yaml) times a
quantity the model measured (person-days in a place, events, days a service
was open, training delivered). Prices are uprated to the model's price year
by the index under ``prices`` in the parameter file, here and nowhere else.
Costs in each period use the parameters in force in that period, and are
discounted at the period's midpoint.
"""

from __future__ import annotations

from typing import Any, Mapping

from .catalogue import CostItem, cost_items, service_label
from .parameters import DAYS_PER_YEAR, ParamSpec

__all__ = ["CostItem", "cost_items", "cost_metric", "uprated", "price_problems", "item_payers", "all_cost_metrics",
           "discount_factor", "PER_DAY", "service_label", "price_year"]

PER_DAY = {"day": 1.0, "week": 1 / 7, "year": 1 / DAYS_PER_YEAR, "each": 1.0}
"""Unit costs are per day, week, year or event; the account converts them to per day."""


def cost_metric(service: str, payer: str) -> str:
    """The metric name of one service's cost to one payer."""
    return f"cost.{service}.{payer}"


def uprated(spec: ParamSpec, value: float, params: Mapping[str, object]) -> float:
    """A money value in the model's price year: divided by the index of its own price year
    (the index is below 1 for earlier years, so older prices go up)."""
    return value / float(params[f"prices.index_{spec.price_year}"])  # type: ignore[arg-type]


def price_year(values: Mapping[str, Any] | None = None) -> int:
    """The model's price year: the year whose price index (``prices.index_YEAR``) is 1, the base every cost is
    uprated to (:func:`simulation.costs.uprated`). 2024 for the shipped parameters."""
    years = [int(k.rsplit("_", 1)[1]) for k, v in (values or {}).items()
             if k.startswith("prices.index_") and k.rsplit("_", 1)[1].isdigit() and float(v) == 1.0]
    if len(years) == 1:
        return years[0]
    from .scenario import shipped_catalogue  # the shipped parameters, read when asked

    shipped = {k: s.value for k, s in shipped_catalogue().items() if k.startswith("prices.index_")}
    found = [int(k.rsplit("_", 1)[1]) for k, v in shipped.items() if v is not None and float(v) == 1.0]
    return found[0] if len(found) == 1 else 2024


def price_problems(params: Mapping[str, ParamSpec]) -> list[tuple[str, int | None]]:
    """Money parameters whose price year has no index: (path, year)."""
    return [
        (path, spec.price_year)
        for path, spec in params.items()
        if spec.is_money and f"prices.index_{spec.price_year}" not in params
    ]


def item_payers(item: CostItem, specs: Mapping[str, ParamSpec]) -> tuple[str, ...]:
    payer = item.payer_override or specs[item.param].payer
    assert payer is not None, f"{item.param} declares no payer"  # the loader requires one for money
    payers = [payer]
    if item.split and item.split[1] not in payers:
        payers.append(item.split[1])
    return tuple(payers)


def all_cost_metrics(specs: Mapping[str, ParamSpec]) -> list[str]:
    """Every cost.<service>.<payer> metric the account can produce."""
    names: list[str] = []
    for item in cost_items():
        for payer in item_payers(item, specs):
            name = cost_metric(item.service, payer)
            if name not in names:
                names.append(name)
    return names


def discount_factor(rate: float, t_mid_days: float) -> float:
    """Present value of £1 spent ``t_mid_days`` after the start of the reported period."""
    return (1.0 + rate) ** (-t_mid_days / DAYS_PER_YEAR)

