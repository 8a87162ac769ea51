"""The Recovery College: courses in terms, graduates, tutors by experience.

People apply and wait for the next term; each term enrols as many as there
are seats (places per term, limited by tutors), and at its end those who
complete graduate. Some graduates are taken on as paid peer support
workers or tutors by experience, which is paid work (and more tutors mean
more seats).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .. import hazards as hz
from ..parameters import Params
from ..people import (
    EMPLOYED, ENABLEMENT, N_ALIVE_PLACES, PEER_LEADER, RC_GRADUATE, RC_STUDENT, RESIDENTIAL, TUTOR, WAIT_RC, Person,
)
from ..services import Service
from .life import COLLEGE as COLLEGE_ROUTE

if TYPE_CHECKING:
    from . import CountyModel


class College:
    """Terms, students, graduates and tutors."""

    NAME = "recovery_college"

    def __init__(self, model: "CountyModel"):
        self.m = model
        self.ledger = model.ledger
        self.service = Service(self.NAME, 0)
        self.students: list[Person] = []
        self.opened = model.env.event()

    def services(self) -> list[Service]:
        return [self.service]

    def handlers(self) -> dict[int, Callable[[Person], None]]:
        return {hz.RC_APPLY: self.on_apply, hz.RC_GIVE_UP: self.on_give_up, hz.TUTOR_LEAVE: self.on_tutor_leave,
                hz.RC_WANE: self.on_wane}

    def configure(self, P: Params, open_: dict[str, bool], scale: float) -> None:
        self.service.open = open_[self.NAME]

    def on_apply(self, p: Person) -> None:
        self.ledger.set(p, WAIT_RC)
        self.service.waiting.join(p, self.m.env.now)

    def on_give_up(self, p: Person) -> None:
        self.ledger.clear(p, WAIT_RC)

    def on_wane(self, p: Person) -> None:
        """What a course gave has worn off: the graduate's effects end (they may enrol again)."""
        self.ledger.clear(p, RC_GRADUATE)

    def on_tutor_leave(self, p: Person) -> None:
        self.ledger.clear(p, TUTOR)
        self.ledger.clear(p, EMPLOYED)

    def reopened(self) -> None:
        """Wake the terms process when the college opens again."""
        self.opened.succeed()
        self.opened = self.m.env.event()

    # -- terms ----------------------------------------------------------------------
    def terms(self):
        """Terms of ~12 weeks: enrol from the waiting list, then graduate completers."""
        m = self.m
        env = m.env
        while True:
            if not self.service.open:
                yield self.opened
                continue
            self.students = self.enrol()
            yield env.timeout(m.P.services.recovery_college.term_weeks * 7)
            self.graduate(self.students)
            self.students = []

    def enrol(self) -> list[Person]:
        m, ledger = self.m, self.ledger
        rc = m.P.services.recovery_college
        tutors = rc.tutors_by_experience * m.scale + ledger.flag_stock[TUTOR].total
        places = min(rc.places_per_term * m.scale, tutors * rc.students_per_tutor)
        seats = int(places + 0.5)
        now = m.env.now
        students: list[Person] = []
        while len(students) < seats:
            p = self.service.waiting.pop_next(lambda q: bool(q.flags & WAIT_RC) and q.place < N_ALIVE_PLACES, now)
            if p is None:
                break
            ledger.clear(p, WAIT_RC)
            ledger.set(p, RC_STUDENT)
            ledger.count("college_enrolments", p)
            students.append(p)
        return students

    def graduate(self, students: list[Person]) -> None:
        m, ledger = self.m, self.ledger
        rc = m.P.services.recovery_college
        peer_open = m.open["peer_support"]
        for p in students:
            if not p.flags & RC_STUDENT:
                continue  # left, died or the college closed
            ledger.clear(p, RC_STUDENT)
            if m.lives.route(p, COLLEGE_ROUTE) >= rc.completion_share:
                continue
            ledger.count("college_completions", p)
            ledger.set(p, RC_GRADUATE)
            u = m.lives.route(p, COLLEGE_ROUTE)
            if p.place < RESIDENTIAL or p.place == ENABLEMENT:
                if u < rc.graduate_peer_worker_share and peer_open and not p.flags & PEER_LEADER:
                    m.peer.become_paid_worker(p)
                elif rc.graduate_peer_worker_share <= u < rc.graduate_peer_worker_share + rc.graduate_tutor_share and not p.flags & TUTOR:
                    ledger.count("graduate_tutors", p)
                    ledger.set(p, TUTOR)
                    ledger.set(p, EMPLOYED)
            m.lives.wake(p)

    # -- roles and closure ------------------------------------------------------------
    def end_role(self, p: Person) -> None:
        if p.flags & TUTOR:
            self.ledger.clear(p, TUTOR)
            self.ledger.clear(p, EMPLOYED)

    def users(self) -> list[Person]:
        return [p for p in self.students if p.flags & RC_STUDENT]

    def clear_waiting(self) -> None:
        for p, _ in list(self.service.waiting.queue):
            self.ledger.clear(p, WAIT_RC)
        self.service.waiting.clear()

    def on_close(self) -> None:
        """The college closes: tutors by experience lose their jobs."""
        for p in self.ledger.people:
            if p.flags & TUTOR:
                self.ledger.clear(p, TUTOR)
                self.ledger.clear(p, EMPLOYED)

    def take_place_away(self, p: Person) -> None:
        self.ledger.clear(p, RC_STUDENT)

    def redirect(self, p: Person) -> tuple[str, bool]:
        """Someone losing another service is referred to the college (they wait for a term); a closed college
        takes nobody: they were sent to nothing."""
        if not self.m.open[self.NAME]:
            return "nothing", False
        if not p.flags & (RC_GRADUATE | RC_STUDENT | WAIT_RC):
            self.on_apply(p)
        return self.NAME, False
