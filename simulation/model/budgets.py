"""Personal budgets and carer support: held after an assessment.

Eligible people apply for a personal (health) budget; it is granted after
an assessment (the council's and the NHS's one after the other, or one
integrated assessment) unless they drop out, and it ends at some rate. A
carer is assessed and supported, and the support can lapse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .. import hazards as hz
from .life import BUDGET as BUDGET_ROUTE
from ..people import ASSESSING, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, HEALTH_BUDGET, INF, RECOVERED, RESIDENTIAL, Person

if TYPE_CHECKING:
    from . import CountyModel


class Budgets:
    """Budget applications, assessments and holders; carers' assessments."""

    NAME = "personal_budgets"

    def __init__(self, model: "CountyModel"):
        self.m = model
        self.ledger = model.ledger

    def handlers(self) -> dict[int, Callable[[Person], None]]:
        return {hz.BUDGET_APPLY: self.on_apply, hz.BUDGET_END: self.on_end,
                hz.CARER_ASSESS: self.on_carer_assessment, hz.CARER_LAPSE: self.on_carer_lapse}

    def on_apply(self, p: Person, route: int | None = None) -> None:
        """An application: a council personal budget or a personal health budget (NHS). Referrals from a
        closure say which; others are a health budget with the declared share of new budgets."""
        m, ledger = self.m, self.ledger
        pb = m.P.services.personal_budgets
        ledger.count("budget_applications", p)
        ledger.set(p, ASSESSING)
        if route is None:
            route = 1 if m.lives.route(p, BUDGET_ROUTE) < pb.health_budget_share else 0
        p.budget_route = route
        weeks = pb.assessment_weeks if pb.integrated_assessment else 2 * pb.assessment_weeks
        if pb.integrated_assessment:
            # one joint assessment, paid by whoever will pay the budget
            ledger.count("budget_assessments_nhs" if route else "budget_assessments_council", p)
        else:
            ledger.count("budget_assessments_council", p)
            ledger.count("budget_assessments_nhs", p)
        p.t_assess_end = m.env.now + weeks * 7
        p.update_timer()

    def assessment_done(self, p: Person) -> None:
        m, ledger = self.m, self.ledger
        p.t_assess_end = INF
        if not p.flags & ASSESSING:
            return
        ledger.clear(p, ASSESSING)
        pb = m.P.services.personal_budgets
        dropout = pb.dropout_share_integrated if pb.integrated_assessment else pb.dropout_share_separate
        if m.lives.route(p, BUDGET_ROUTE) < dropout or p.place in (RESIDENTIAL, RECOVERED) or not m.open[self.NAME]:
            ledger.count("budget_dropouts", p)
            self._outcome(p, "dropped_out")
            return
        ledger.count("budgets_granted", p)
        self._outcome(p, "granted")
        ledger.set(p, BUDGET)
        if p.budget_route:
            ledger.set(p, HEALTH_BUDGET)

    @staticmethod
    def _outcome(p: Person, how: str) -> None:
        """A closure's cohort member referred for a budget: say how the assessment ended."""
        if p.tracked is not None and p.tracked.sent_to.endswith("_assessed"):
            p.tracked.sent_to = p.tracked.sent_to.replace("_assessed", f"_{how}")

    def on_end(self, p: Person) -> None:
        self.ledger.clear(p, BUDGET)
        self.ledger.clear(p, HEALTH_BUDGET)

    def on_carer_assessment(self, p: Person) -> None:
        self.ledger.count("carer_assessments", p)
        self.ledger.set(p, CARER_SUPPORTED)

    def on_carer_lapse(self, p: Person) -> None:
        self.ledger.clear(p, CARER_SUPPORTED)

    def redirect(self, p: Person, health: bool = False) -> tuple[str, bool]:
        """Someone losing another service is referred for a budget (a personal health budget if ``health``):
        assessed if eligible, else nothing."""
        if (p.flags & BUDGET_ELIGIBLE and not p.flags & (BUDGET | ASSESSING) and self.m.open[self.NAME]
                and p.place not in (RESIDENTIAL, RECOVERED)):
            self.on_apply(p, route=1 if health else 0)
            return ("personal_health_budgets" if health else self.NAME), False
        return "nothing", False
