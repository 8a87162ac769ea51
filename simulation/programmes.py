"""County-wide programmes: training stocks that change everyone's risks.

Both programmes are stocks of trained staff, filled by training and drained
by staff turnover (and, for Zero Suicide, by skills fading without
refreshers). Coverage, the trained share of the workforce, scales each
programme's effect. They are aggregates, not people, so they are updated
deterministically once a month at full county scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import exp

from .parameters import Params


@dataclass
class TrainingStock:
    """Trained staff; ``inflow`` per year, ``outflow_rate`` a share per year."""

    trained: float
    workforce: float

    @property
    def coverage(self) -> float:
        if self.workforce <= 0:
            return 0.0
        return min(1.0, self.trained / self.workforce)

    def step(self, years: float, inflow_per_year: float, outflow_rate: float) -> None:
        """Advance by ``years`` (exact solution of dS/dt = inflow - rate * S)."""
        if outflow_rate > 0:
            steady = inflow_per_year / outflow_rate
            self.trained = steady + (self.trained - steady) * exp(-outflow_rate * years)
        else:
            self.trained += inflow_per_year * years


class Programmes:
    """Zero Suicide and carer-led workforce training, and the budget market."""

    def __init__(self, P: Params):
        zs = P.programmes.zero_suicide
        cl = P.programmes.carer_led_training
        self.zero_suicide = TrainingStock(float(zs.trained_at_start), float(zs.workforce))
        self.carer_training = TrainingStock(0.0, float(cl.workforce))
        self.market_maturity = float(P.services.personal_budgets.market_maturity_at_start)

    def advance(self, P: Params, years: float) -> None:
        """Move every programme forward by ``years`` under parameters ``P``."""
        zs = P.programmes.zero_suicide
        cl = P.programmes.carer_led_training
        self.zero_suicide.workforce = float(zs.workforce)
        self.zero_suicide.step(years, zs.trainees_per_year, zs.staff_turnover_per_year + zs.skill_decay_per_year)
        self.carer_training.workforce = float(cl.workforce)
        self.carer_training.step(years, cl.carer_trainers * cl.staff_trained_per_trainer_per_year, cl.staff_turnover_per_year)
        pb = P.services.personal_budgets
        if pb.market_years_to_mature > 0:
            self.market_maturity = min(1.0, self.market_maturity + years * (1 - pb.market_maturity_at_start) / pb.market_years_to_mature)
        else:
            self.market_maturity = 1.0

    def copy(self) -> "Programmes":
        twin = Programmes.__new__(Programmes)
        twin.zero_suicide = TrainingStock(self.zero_suicide.trained, self.zero_suicide.workforce)
        twin.carer_training = TrainingStock(self.carer_training.trained, self.carer_training.workforce)
        twin.market_maturity = self.market_maturity
        return twin

    def factors(self, P: Params) -> dict[str, float]:
        """Current multipliers the programmes put on everyone's rates."""
        zs = P.programmes.zero_suicide
        cl = P.programmes.carer_led_training
        pb = P.services.personal_budgets
        m = self.market_maturity

        def market(effect: float) -> float:
            return 1.0 + (effect - 1.0) * m

        return {
            "zs_suicide": 1.0 - zs.suicide_reduction_at_full_coverage * self.zero_suicide.coverage,
            "zs_crisis": 1.0 - zs.crisis_reduction_at_full_coverage * self.zero_suicide.coverage,
            "carer_uptake": 1.0 + (cl.assessment_uptake_multiplier_at_full_coverage - 1.0) * self.carer_training.coverage,
            "market_recovery": market(pb.effect_on_recovery),
            "market_crisis": market(pb.effect_on_crisis),
            "market_work": market(pb.effect_on_work),
        }

    def state(self) -> dict[str, float]:
        return {
            "zero_suicide_coverage": self.zero_suicide.coverage,
            "zero_suicide_trained": self.zero_suicide.trained,
            "carer_training_coverage": self.carer_training.coverage,
            "budget_market_maturity": self.market_maturity,
        }
