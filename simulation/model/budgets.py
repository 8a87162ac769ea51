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
from ..people import ASSESSING, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, INF, RECOVERED, RESIDENTIAL, Person

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

    def on_apply(self, p: Person) -> None:
        m, ledger = self.m, self.ledger
        pb = m.P.services.personal_budgets
        ledger.count("budget_applications", p)
        ledger.set(p, ASSESSING)
        weeks = pb.assessment_weeks if pb.integrated_assessment else 2 * pb.assessment_weeks
        if pb.integrated_assessment:
            # one joint assessment; its cost is shared in proportion to the money
            if m.lives.route(p, BUDGET_ROUTE) < pb.health_budget_share:
                ledger.count("budget_assessments_nhs", p)
            else:
                ledger.count("budget_assessments_council", p)
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
            return
        ledger.count("budgets_granted", p)
        ledger.set(p, BUDGET)

    def on_end(self, p: Person) -> None:
        self.ledger.clear(p, BUDGET)

    def on_carer_assessment(self, p: Person) -> None:
        self.ledger.count("carer_assessments", p)
        self.ledger.set(p, CARER_SUPPORTED)

    def on_carer_lapse(self, p: Person) -> None:
        self.ledger.clear(p, CARER_SUPPORTED)

    def redirect(self, p: Person) -> tuple[str, bool]:
        """Someone losing another service is referred for a budget: assessed if eligible, else nothing."""
        if (p.flags & BUDGET_ELIGIBLE and not p.flags & (BUDGET | ASSESSING) and self.m.open[self.NAME]
                and p.place not in (RESIDENTIAL, RECOVERED)):
            self.on_apply(p)
            return self.NAME, False
        return "nothing", False
