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

from dataclasses import dataclass
from typing import Mapping

from .parameters import DAYS_PER_YEAR, PAYERS, ParamSpec

PRICE_YEAR = 2024


@dataclass(frozen=True)
class CostItem:
    """One line of the cost account."""

    service: str
    param: str
    basis: str
    """What is counted: ``stock:NAME`` (person-days), ``count:NAME`` (events),
    ``open:SERVICE`` (days open), ``programme:NAME`` (full-scale quantity)."""
    per: str = "each"  # day, week, year or each
    split: tuple[str, str] | None = None
    """(share parameter, payer): that share of the cost is paid by another payer."""
    payer_override: str | None = None

    @property
    def person_level(self) -> bool:
        """Quantities driven by simulated people are scaled up by 1/scale."""
        return self.basis.startswith(("stock:", "count:"))


PER_DAY = {"day": 1.0, "week": 1 / 7, "year": 1 / DAYS_PER_YEAR, "each": 1.0}

COST_ITEMS: tuple[CostItem, ...] = (
    CostItem("acute_beds", "services.acute_beds.cost_per_bed_day", "stock:acute", "day"),
    CostItem("out_of_area_beds", "services.acute_beds.out_of_area_cost_per_bed_day", "stock:out_of_area", "day"),
    CostItem("crisis_home_treatment", "services.crisis_home_treatment.cost_per_episode", "count:home_treatment_episodes"),
    CostItem("community_teams", "costs.community_team_per_year", "stock:community", "year"),
    CostItem("community_teams", "costs.community_team_per_year", "stock:enablement", "year"),
    CostItem("community_teams", "costs.community_team_per_year", "stock:waiting_for_bed", "year"),
    CostItem("residential_care", "services.residential_care.cost_per_year", "stock:residential", "year"),
    CostItem("enablement", "services.enablement.cost_per_week", "stock:enablement", "week"),
    CostItem("day_centre", "services.day_centre.block_cost_per_year", "open:day_centre", "year"),
    CostItem("peer_support", "services.peer_support.block_cost_per_year", "open:peer_support", "year"),
    CostItem("peer_support", "services.peer_support.peer_worker_pay_per_year", "stock:paid_peer_workers", "year"),
    CostItem("recovery_college", "services.recovery_college.budget_per_year", "open:recovery_college", "year"),
    CostItem("personal_budgets", "services.personal_budgets.budget_per_year", "stock:budget_holders", "year",
             split=("services.personal_budgets.health_budget_share", "nhs")),
    CostItem("personal_budgets", "services.personal_budgets.assessment_cost", "count:budget_assessments_council", payer_override="council"),
    CostItem("personal_budgets", "services.personal_budgets.assessment_cost", "count:budget_assessments_nhs", payer_override="nhs"),
    CostItem("carer_support", "services.carer_support.assessment_cost", "count:carer_assessments"),
    CostItem("zero_suicide", "programmes.zero_suicide.cost_per_trainee", "programme:zero_suicide_trainees"),
    CostItem("carer_led_training", "programmes.carer_led_training.trainer_pay_per_year", "programme:carer_trainer_days", "year"),
    CostItem("carer_led_training", "programmes.carer_led_training.cost_per_staff_trained", "programme:carer_staff_trained"),
    CostItem("suicides", "costs.suicide", "count:suicides"),
    CostItem("lost_output", "costs.lost_output_per_year_out_of_work", "stock:out_of_work_in_contact", "year"),
)

SERVICE_LABELS = {
    "acute_beds": "Acute beds (in area)",
    "out_of_area_beds": "Acute beds (out of area)",
    "crisis_home_treatment": "Crisis home treatment",
    "community_teams": "Community mental health teams",
    "residential_care": "Residential care",
    "enablement": "Intensive Enablement",
    "day_centre": "Day centre",
    "peer_support": "Peer support",
    "recovery_college": "Recovery College",
    "personal_budgets": "Personal budgets",
    "carer_support": "Carer support",
    "zero_suicide": "Zero Suicide training",
    "carer_led_training": "Carer-led workforce training",
    "suicides": "Suicides (wider costs)",
    "lost_output": "Lost output (out of work)",
}
COST_SERVICES = tuple(dict.fromkeys(item.service for item in COST_ITEMS))


def cost_metric(service: str, payer: str) -> str:
    """The metric name of one service's cost to one payer."""
    return f"cost.{service}.{payer}"


def uprated(spec: ParamSpec, value: float, params: Mapping[str, object]) -> float:
    """A money value in the model's price year."""
    index = params.get(f"prices.index_{spec.price_year}")
    if index is None:
        raise KeyError(f"no price index for {spec.price_year} (prices.index_{spec.price_year})")
    return value / float(index)


def price_problems(params: Mapping[str, ParamSpec]) -> list[tuple[str, int]]:
    """Money parameters whose price year has no index: (path, year)."""
    return [
        (path, spec.price_year)
        for path, spec in params.items()
        if spec.is_money and f"prices.index_{spec.price_year}" not in params
    ]


def item_payers(item: CostItem, specs: Mapping[str, ParamSpec]) -> tuple[str, ...]:
    payer = item.payer_override or specs[item.param].payer
    payers = [payer]
    if item.split and item.split[1] not in payers:
        payers.append(item.split[1])
    return tuple(payers)


def all_cost_metrics(specs: Mapping[str, ParamSpec]) -> list[str]:
    """Every cost.<service>.<payer> metric the account can produce."""
    names: list[str] = []
    for item in COST_ITEMS:
        for payer in item_payers(item, specs):
            name = cost_metric(item.service, payer)
            if name not in names:
                names.append(name)
    return names


def discount_factor(rate: float, t_mid_days: float) -> float:
    """Present value of £1 spent ``t_mid_days`` after the start of the reported period."""
    return (1.0 + rate) ** (-t_mid_days / DAYS_PER_YEAR)


assert all(p in PAYERS for p in ("nhs", "council", "society"))
