"""Where the twin keeps its expected numbers: places, cells, attributes and stocks.

The twin divides people into *compartments*: a twin place (the model's places,
with hospital places split by where the person goes back to) times a *cell*
(sub-group x needs level x stage of the window after crisis care). For each
compartment it tracks how many people there are (``N``) and how many of them
hold each *attribute* (``A``): every flag the ledger counts except the needs
level, which is part of the cell. Attributes, stocks and counters come from
the declarations (``simulation.ledger`` and the service registry), so a
support registered at run time gets its own attributes, stocks and counters
with no edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .. import catalogue, ledger
from ..people import (
    ACUTE, ASSESSING, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, COMMUNITY, EMPLOYED, ENABLEMENT, FLAG_NAMES, FREQUENT,
    HAS_CARER, HEALTH_BUDGET, HOME_TREATMENT, N_GROUPS, OUT_OF_AREA, PAID_PEER_WORKER, PEER_LEADER, PLACE_NAMES, RAISED_RISK, RC_GRADUATE,
    RC_STUDENT, RECOVERED, RESIDENTIAL, SEVERE, TUTOR, WAIT_ENABLEMENT, WAIT_RC, AFTER_DISCHARGE, flag,
)

# ---------------------------------------------------------------------------
# Twin places: the model's places, with a hospital stay split by the home it returns to.
(IN_COMMUNITY, IN_HOME_TREATMENT, ACUTE_FROM_COMMUNITY, ACUTE_FROM_RESIDENTIAL, ACUTE_FROM_ENABLEMENT,
 OUT_OF_AREA_FROM_COMMUNITY, OUT_OF_AREA_FROM_RESIDENTIAL, OUT_OF_AREA_FROM_ENABLEMENT,
 IN_RESIDENTIAL, IN_ENABLEMENT, IN_RECOVERED) = range(11)
N_TWIN_PLACES = 11
TWIN_PLACE_NAMES = ("community", "home_treatment", "acute_from_community", "acute_from_residential",
                    "acute_from_enablement", "out_of_area_from_community", "out_of_area_from_residential",
                    "out_of_area_from_enablement", "residential", "enablement", "recovered")
MODEL_PLACE = (COMMUNITY, HOME_TREATMENT, ACUTE, ACUTE, ACUTE, OUT_OF_AREA, OUT_OF_AREA, OUT_OF_AREA, RESIDENTIAL,
               ENABLEMENT, RECOVERED)
"""The model's place for each twin place."""
HOSPITAL_STAYS = (ACUTE_FROM_COMMUNITY, ACUTE_FROM_RESIDENTIAL, ACUTE_FROM_ENABLEMENT,
                  OUT_OF_AREA_FROM_COMMUNITY, OUT_OF_AREA_FROM_RESIDENTIAL, OUT_OF_AREA_FROM_ENABLEMENT)
HOME_AFTER = {ACUTE_FROM_COMMUNITY: IN_COMMUNITY, ACUTE_FROM_RESIDENTIAL: IN_RESIDENTIAL,
              ACUTE_FROM_ENABLEMENT: IN_ENABLEMENT, OUT_OF_AREA_FROM_COMMUNITY: IN_COMMUNITY,
              OUT_OF_AREA_FROM_RESIDENTIAL: IN_RESIDENTIAL, OUT_OF_AREA_FROM_ENABLEMENT: IN_ENABLEMENT}
ACUTE_STAY_FROM = {IN_COMMUNITY: ACUTE_FROM_COMMUNITY, IN_RESIDENTIAL: ACUTE_FROM_RESIDENTIAL, IN_ENABLEMENT: ACUTE_FROM_ENABLEMENT}
OUT_OF_AREA_STAY_FROM = {IN_COMMUNITY: OUT_OF_AREA_FROM_COMMUNITY, IN_RESIDENTIAL: OUT_OF_AREA_FROM_RESIDENTIAL,
                         IN_ENABLEMENT: OUT_OF_AREA_FROM_ENABLEMENT}
MODEL_PLACE_STOCKS = {name: tuple(tp for tp in range(N_TWIN_PLACES) if PLACE_NAMES[MODEL_PLACE[tp]] == name)
                      for name in PLACE_NAMES[:ledger.N_ALIVE_PLACES] if name != "waiting_for_bed"}
"""Twin places making up each of the model's place stocks (beds never queue in the twin)."""

# ---------------------------------------------------------------------------
# Cells within a place: sub-group x needs level x window stage (0 = outside the window).
WINDOW_STAGES = 3
"""The fixed window after crisis care is an Erlang-3 delay here (three stages with the same mean):
much closer to a fixed delay than one exponential stage for the chance of a crisis within it."""
N_GROUP_CELLS, N_NEEDS, N_STAGES = N_GROUPS, 2, 1 + WINDOW_STAGES
N_CELLS = N_GROUP_CELLS * N_NEEDS * N_STAGES
CELL_GROUP = np.array([k // (N_NEEDS * N_STAGES) for k in range(N_CELLS)])
CELL_SEVERE = np.array([(k // N_STAGES) % N_NEEDS for k in range(N_CELLS)])
CELL_STAGE = np.array([k % N_STAGES for k in range(N_CELLS)])


def cell(group: int, severe: int, stage: int) -> int:
    return (group * N_NEEDS + severe) * N_STAGES + stage


def cell_flags(k: int) -> int:
    """The fixed flags of everyone in cell ``k`` (sub-group, needs, within the window)."""
    g = CELL_GROUP[k]
    return ((BUDGET_ELIGIBLE if g & 2 else 0) | (HAS_CARER if g & 1 else 0) | (SEVERE if CELL_SEVERE[k] else 0)
            | (AFTER_DISCHARGE if CELL_STAGE[k] > 0 else 0))


# ---------------------------------------------------------------------------
# Attributes: every counted flag but the needs level, in the ledger's order (built-in ones first).
def attribute_flags() -> tuple[int, ...]:
    return tuple(b for b in ledger.flag_stocks() if b != SEVERE)


BUILT_IN_ATTRIBUTES = tuple(b for b in ledger.BUILT_IN_FLAG_STOCKS if b != SEVERE)
_AT = {bit: i for i, bit in enumerate(BUILT_IN_ATTRIBUTES)}
# Positions of the attributes the kernel's own rules name (built in, so fixed whatever is registered).
(A_EMPLOYED, A_CARER_SUPPORTED, A_BUDGET, A_ASSESSING, A_PEER_LEADER, A_PAID_PEER_WORKER, A_RC_STUDENT, A_WAIT_RC,
 A_RC_GRADUATE, A_TUTOR, A_WAIT_ENABLEMENT, A_RAISED_RISK, A_HEALTH_BUDGET, A_FREQUENT) = (
    _AT[EMPLOYED], _AT[CARER_SUPPORTED], _AT[BUDGET], _AT[ASSESSING], _AT[PEER_LEADER], _AT[PAID_PEER_WORKER],
    _AT[RC_STUDENT], _AT[WAIT_RC], _AT[RC_GRADUATE], _AT[TUTOR], _AT[WAIT_ENABLEMENT], _AT[RAISED_RISK],
    _AT[HEALTH_BUDGET], _AT[FREQUENT])


@dataclass(frozen=True)
class Layout:
    """The twin's state for the services declared now: attributes, stocks, counters, and where each lives in ``y``."""

    attributes: tuple[int, ...]
    stock_names: tuple[str, ...]
    counter_names: tuple[str, ...]
    supports: tuple[catalogue.ServiceSpec, ...]
    dropped_leaving_community: np.ndarray
    """1 for attributes kept, 0 for those given up on stepping up to residential care or recovering
    (as the model's ``Supports.drop``: every place support and its list, the college's list, budgets, carers)."""

    @property
    def n_attributes(self) -> int:
        return len(self.attributes)

    @property
    def n_people(self) -> int:
        return N_TWIN_PLACES * N_CELLS

    @property
    def o_attributes(self) -> int:
        return self.n_people

    @property
    def o_counters(self) -> int:
        return self.o_attributes + self.n_attributes * self.n_people

    @property
    def o_areas(self) -> int:
        return self.o_counters + len(self.counter_names) * N_GROUPS

    @property
    def o_cohort(self) -> int:
        """Residents at the start of reporting still in residential care."""
        return self.o_areas + len(self.stock_names) * N_GROUPS

    @property
    def o_route(self) -> int:
        """Budget assessments under way on the NHS route (a personal health budget if granted), all compartments."""
        return self.o_cohort + 1

    @property
    def size(self) -> int:
        return self.o_route + 1

    def index(self, bit: int) -> int:
        return self.attributes.index(bit)

    def names(self) -> list[str]:
        return [FLAG_NAMES[b] for b in self.attributes]


def current_layout() -> Layout:
    """The layout for the services registered now."""
    attributes = attribute_flags()
    supports = catalogue.place_supports()
    dropped = {flag(s.holds or "") for s in supports} | {flag(s.waits or "") for s in supports}
    dropped |= {WAIT_RC, BUDGET, HEALTH_BUDGET, ASSESSING, CARER_SUPPORTED}
    keep = np.array([0.0 if b in dropped else 1.0 for b in attributes])
    return Layout(attributes, ledger.stock_names(), ledger.counter_names(), supports, keep)


def stock_matrix(layout: Layout) -> sparse.csr_matrix:
    """Every stock's level per sub-group as a linear function of (N, A): rows stock x group.

    The same matrix gives the levels in a snapshot and the person-days (areas) as integrals."""
    n_people = layout.n_people
    cols = n_people * (1 + layout.n_attributes)
    M = sparse.lil_matrix((len(layout.stock_names) * N_GROUPS, cols))
    tp_of = np.repeat(np.arange(N_TWIN_PLACES), N_CELLS)
    g_of = np.tile(CELL_GROUP, N_TWIN_PLACES)
    severe_of = np.tile(CELL_SEVERE, N_TWIN_PLACES)
    cells = np.arange(n_people)
    attr_of = {FLAG_NAMES[b]: i for i, b in enumerate(layout.attributes)}
    employed = n_people * (1 + layout.index(EMPLOYED))
    for i, name in enumerate(layout.stock_names):
        rows = i * N_GROUPS + g_of
        if name in MODEL_PLACE_STOCKS:
            sel = np.isin(tp_of, MODEL_PLACE_STOCKS[name])
            M[rows[sel], cells[sel]] = 1.0
        elif name == "severe":
            sel = severe_of == 1
            M[rows[sel], cells[sel]] = 1.0
        elif name in attr_of:
            M[rows, n_people * (1 + attr_of[name]) + cells] = 1.0
        elif name == "out_of_work_in_contact":
            sel = tp_of != IN_RECOVERED
            M[rows[sel], cells[sel]] = 1.0
            M[rows[sel], employed + cells[sel]] = -1.0
        elif name == "recovered_employed":
            sel = tp_of == IN_RECOVERED
            M[rows[sel], employed + cells[sel]] = 1.0
        elif name == "out_of_work":              # everyone alive and out of work, in contact or not
            M[rows, cells] = 1.0
            M[rows, employed + cells] = -1.0
        elif name == "severe_in_community":
            sel = (tp_of == IN_COMMUNITY) & (severe_of == 1)
            M[rows[sel], cells[sel]] = 1.0
        # waiting_for_bed (beds never queue here) and open_* (set from the services open) have no people
    return M.tocsr()


def open_levels(layout: Layout, contracts: dict[str, bool]) -> np.ndarray:
    """The 0/1 'open' stocks (stock x group, flattened): a block contract is paid while its service is
    open and for its double-running months after it closes (``contracts``: service -> contract running)."""
    out = np.zeros((len(layout.stock_names), N_GROUPS))
    for i, name in enumerate(layout.stock_names):
        if name.startswith("open_"):
            out[i, 0] = 1.0 if contracts.get(name[5:], False) else 0.0
    return out.ravel()
