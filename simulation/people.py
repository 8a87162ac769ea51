"""A person: where they are (one place at a time) and what they hold (flags).

Places and flags are small integers so that a person's whole situation is
one ``(place, flags, risk)`` key, and every rate the model needs for that
situation is computed once and cached (see ``hazards``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only: the model imports this module
    from .model.life import Table, Wake

# ---------------------------------------------------------------------------
# Places: where a person is. The first eight are "alive" places.
COMMUNITY = 0          # at home, in contact with services
HOME_TREATMENT = 1     # crisis resolution / home treatment episode
ACUTE = 2              # in an in-area acute bed
OUT_OF_AREA = 3        # in an acute bed out of area (none was free in area)
WAITING_FOR_BED = 4    # only when beds queue instead of overflowing
RESIDENTIAL = 5        # long-stay residential care
ENABLEMENT = 6         # Intensive Enablement supported tenancy
RECOVERED = 7          # discharged, out of contact; may relapse
DIED_SUICIDE = 8
DIED_OTHER = 9
MOVED_AWAY = 10

PLACE_NAMES = (
    "community", "home_treatment", "acute", "out_of_area", "waiting_for_bed",
    "residential", "enablement", "recovered", "died_suicide", "died_other", "moved_away",
)
PLACE_LABELS = (
    "Community (in contact)", "Crisis home treatment", "Acute bed (in area)", "Acute bed (out of area)",
    "Waiting for a bed", "Residential care", "Enablement tenancy", "Recovered / discharged",
    "Died by suicide", "Died of other causes", "Moved away",
)
N_ALIVE_PLACES = 8
HOSPITAL_PLACES = frozenset({ACUTE, OUT_OF_AREA, WAITING_FOR_BED})

# ---------------------------------------------------------------------------
# Flags: attributes and what a person holds, one bit each.
SEVERE = 1 << 0            # severe / complex needs (else moderate)
HAS_CARER = 1 << 1
BUDGET_ELIGIBLE = 1 << 2
EMPLOYED = 1 << 3
CARER_SUPPORTED = 1 << 4   # carer assessed and supported
DAY_CENTRE = 1 << 5
WAIT_DAY_CENTRE = 1 << 6
PEER_MEMBER = 1 << 7
WAIT_PEER = 1 << 8
PEER_LEADER = 1 << 9
PAID_PEER_WORKER = 1 << 10  # a peer leader paid as a peer support worker
RC_STUDENT = 1 << 11
WAIT_RC = 1 << 12
RC_GRADUATE = 1 << 13
TUTOR = 1 << 14            # paid tutor by experience
BUDGET = 1 << 15           # holds a personal (health) budget
ASSESSING = 1 << 16        # budget assessment under way
WAIT_ENABLEMENT = 1 << 17
AFTER_DISCHARGE = 1 << 18  # within the raised-risk window after crisis care
RAISED_RISK = 1 << 19      # within a raised-risk window after losing a support
HEALTH_BUDGET = 1 << 20    # the budget held is a personal health budget (NHS), not a council personal budget
FREQUENT = 1 << 21         # a frequent attender: a persistently higher risk of crisis (drawn once, never changes)

FLAG_NAMES: dict[int, str] = {
    SEVERE: "severe", HAS_CARER: "has_carer", BUDGET_ELIGIBLE: "budget_eligible", EMPLOYED: "employed",
    CARER_SUPPORTED: "carer_supported", DAY_CENTRE: "day_centre", WAIT_DAY_CENTRE: "waiting_day_centre",
    PEER_MEMBER: "peer_support", WAIT_PEER: "waiting_peer_support", PEER_LEADER: "peer_leaders",
    PAID_PEER_WORKER: "paid_peer_workers", RC_STUDENT: "recovery_college_students",
    WAIT_RC: "waiting_recovery_college", RC_GRADUATE: "recovery_college_graduates", TUTOR: "tutors_by_experience",
    BUDGET: "budget_holders", ASSESSING: "budget_assessments_under_way", WAIT_ENABLEMENT: "waiting_enablement",
    AFTER_DISCHARGE: "after_discharge", RAISED_RISK: "raised_risk", HEALTH_BUDGET: "health_budget_holders",
    FREQUENT: "frequent_attenders",
}
FLAG_OF = {name: bit for bit, name in FLAG_NAMES.items()}
"""Flag bit by name (the inverse of FLAG_NAMES)."""


def flag(name: str) -> int:
    """The bit of the flag called ``name``, allocating the next free bit for a new one
    (a support declared at run time: its holders and its waiting list)."""
    bit = FLAG_OF.get(name)
    if bit is None:
        bit = 1 << len(FLAG_NAMES)
        FLAG_NAMES[bit] = name
        FLAG_OF[name] = bit
    return bit


def flags_of(names: tuple[str, ...]) -> int:
    """The bits of several flags, or-ed together."""
    out = 0
    for name in names:
        out |= flag(name)
    return out

# ---------------------------------------------------------------------------
# Sub-groups for outcomes: index = 2 * budget-eligible + has-carer.
N_GROUPS = 4
SUBGROUPS = {
    "budget_eligible": (2, 3),
    "not_budget_eligible": (0, 1),
    "with_carer": (1, 3),
    "without_carer": (0, 2),
}


def group_of(flags: int) -> int:
    return (2 if flags & BUDGET_ELIGIBLE else 0) + (1 if flags & HAS_CARER else 0)


INF = float("inf")


class Person:
    """One person. Slotted: the county holds 95,000 of them.

    Besides where they are and what they hold, a person carries their own
    random streams and a clock for every kind of event (see ``model.life``):
    ``clocks[e]`` is when event ``e`` would happen at its current rate.
    """

    __slots__ = (
        "pid", "flags", "place", "group", "home", "risk",
        "t_place", "t_stay_end", "t_assess_end", "t_discharge_window", "t_risk_window", "t_last_discharge",
        "t_last_acute_discharge", "timer",
        "clocks", "streams", "routes", "tab", "key", "gen", "due", "due_event", "pending", "budget_route", "tracked",
    )

    def __init__(self, pid: int, flags: int, place: int, now: float):
        self.pid = pid
        self.flags = flags
        self.place = place
        self.group = group_of(flags)
        self.home = COMMUNITY      # where to return after an admission
        self.risk = 0              # index of the raised-risk multiplier while RAISED_RISK
        self.t_place = now
        self.t_stay_end = INF      # end of a crisis episode or admission
        self.t_assess_end = INF    # end of a budget assessment
        self.t_discharge_window = INF
        self.t_risk_window = INF
        self.t_last_discharge = -INF
        self.t_last_acute_discharge = -INF   # the last discharge from an acute bed (for readmission rates)
        self.timer = INF           # the earliest of the t_* deadlines
        self.clocks: list[float] = []        # per event: when it would happen (negative: idle, what was left)
        self.streams: list[int] = []         # per event: the state of its random stream (0: not started)
        self.routes: list[int] | None = None  # per purpose: routing streams (choices, durations)
        self.tab: Table = None  # type: ignore[assignment]  # the rate table the clocks run at (set before any event)
        self.key = -1                        # its situation key
        self.gen = 0                         # bumped at every re-plan: older wake-ups are ignored
        self.due = INF
        self.due_event = -1                  # the event due next (-1: a deadline)
        self.pending: Wake | None = None     # the scheduled wake-up, if any
        self.budget_route = 0                # an application under way: 1 for a personal health budget (NHS)
        self.tracked: Any = None             # their record, if they are followed as one of a closure's cohort

    def update_timer(self) -> None:
        """Recompute the next personal deadline (call after changing any t_*)."""
        self.timer = min(self.t_stay_end, self.t_assess_end, self.t_discharge_window, self.t_risk_window)

    @property
    def alive(self) -> bool:
        return self.place < N_ALIVE_PLACES

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        held = [n for bit, n in FLAG_NAMES.items() if self.flags & bit]
        return f"Person({self.pid}, {PLACE_NAMES[self.place]}, {held})"
