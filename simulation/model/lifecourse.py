"""Recovery, relapse, work, and leaving the county's books (death, moving away)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .. import hazards as hz
from .life import RELAPSE
from ..people import (
    ACUTE, COMMUNITY, DIED_OTHER, DIED_SUICIDE, EMPLOYED, INF, MOVED_AWAY, RC_GRADUATE, RC_STUDENT, RECOVERED,
    WAIT_ENABLEMENT, Person,
)

if TYPE_CHECKING:
    from . import CountyModel


class LifeCourse:
    """Events every person can have whatever services they use."""

    def __init__(self, model: "CountyModel"):
        self.m = model
        self.ledger = model.ledger

    def handlers(self) -> dict[int, Callable[[Person], None]]:
        return {
            hz.RECOVER: self.on_recover, hz.RELAPSE: self.on_relapse, hz.JOB_GAIN: self.on_job_gain,
            hz.JOB_LOSS: self.on_job_loss, hz.SUICIDE: self.on_suicide, hz.DIE_OTHER: self.on_die_other,
            hz.MOVE_AWAY: self.on_move_away,
        }

    def on_recover(self, p: Person) -> None:
        self.ledger.count("recoveries", p)
        self.m.supports.drop(p, keep_roles=True)
        self.ledger.clear(p, WAIT_ENABLEMENT)
        self.ledger.move(p, RECOVERED)

    def on_relapse(self, p: Person) -> None:
        m = self.m
        self.ledger.count("relapses", p)
        self.ledger.move(p, COMMUNITY)
        if m.lives.route(p, RELAPSE) < m.P.recovery.relapse_in_crisis_share:
            m.crisis.on_crisis(p)

    def on_job_gain(self, p: Person) -> None:
        self.ledger.count("job_gains", p)
        if p.flags & (RC_STUDENT | RC_GRADUATE):
            self.ledger.count("college_job_gains", p)   # S11's "returned to work" (gross, as the pilot counted it)
        self.ledger.set(p, EMPLOYED)

    def on_job_loss(self, p: Person) -> None:
        self.ledger.count("job_losses", p)
        self.ledger.clear(p, EMPLOYED)

    def exit(self, p: Person, place: int, counter: str) -> None:
        """Death or leaving the county: give everything back."""
        m, ledger = self.m, self.ledger
        ledger.count(counter, p)
        m.crisis.leave_for_good(p)
        m.housing.leave_for_good(p)
        m.supports.drop(p, keep_roles=False)
        ledger.remove_all_flags(p)
        was = p.place
        p.t_stay_end = p.t_assess_end = p.t_discharge_window = p.t_risk_window = INF
        p.update_timer()
        ledger.move(p, place)
        if was == ACUTE and m.crisis.queue_beds:
            m.crisis.fill_beds()
        m.housing.fill()

    def on_suicide(self, p: Person) -> None:
        self.exit(p, DIED_SUICIDE, "suicides")

    def on_die_other(self, p: Person) -> None:
        self.exit(p, DIED_OTHER, "deaths_other")

    def on_move_away(self, p: Person) -> None:
        self.exit(p, MOVED_AWAY, "moved_away")
