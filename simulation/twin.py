"""The mean-field twin: the same model as ordinary differential equations.

The simulation follows individuals; the twin follows expected numbers. It
divides people into compartments by place (hospital places split by where
the person returns to), sub-group (carer; budget eligibility), needs level
and whether they are within the raised-risk window after crisis care, and
for each compartment tracks how many hold each attribute (in work, a day
centre place, a budget, ...). Every rate comes from the same
:class:`~simulation.hazards.HazardRules` as the simulation: an event's rate
for a compartment is its base rate times, for each attribute, one plus the
attribute's effect times the share holding it (attributes are taken as
independent within a compartment: the twin's one approximation besides
those below).

Where the simulation has fixed durations (lengths of stay, the 90-day
window after discharge, budget assessments, college terms) the twin uses
exponential durations with the same means; where it has hard capacities
and waiting lists the twin uses a smooth limit. With capacity not binding
and a large population the two agree (see ``mhsim verify``); under binding
capacity they differ because queues and chance are what the simulation adds.

The twin writes the same snapshots as the simulation, so costs, QALYs and
every metric are computed by the same code (:func:`outcomes.summarise`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.integrate import solve_ivp

from . import hazards as hz
from .catalogue import SERVICES
from .hazards import HazardRules
from .ledger import counter_names
from .model import RunRecord
from .outcomes import Snapshot, summarise, ReplicationResult
from .parameters import DAYS_PER_MONTH, DAYS_PER_YEAR, Params
from .people import (
    ACUTE, AFTER_DISCHARGE, ASSESSING, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, COMMUNITY, DAY_CENTRE, EMPLOYED,
    ENABLEMENT, FLAG_NAMES, HAS_CARER, HOME_TREATMENT, N_GROUPS, OUT_OF_AREA, PAID_PEER_WORKER, PEER_LEADER,
    PEER_MEMBER, PLACE_NAMES, RAISED_RISK, RC_GRADUATE, RC_STUDENT, RECOVERED, RESIDENTIAL, SEVERE, TUTOR,
    WAIT_DAY_CENTRE, WAIT_ENABLEMENT, WAIT_PEER, WAIT_RC,
)
from .programmes import Programmes
from .scenario import Scenario

# Twin places: hospital places are split by where the person goes back to.
(T_COMM, T_HT, T_AC_C, T_AC_R, T_AC_E, T_OA_C, T_OA_R, T_OA_E, T_RES, T_ENA, T_REC) = range(11)
N_TP = 11
SIM_PLACE = (COMMUNITY, HOME_TREATMENT, ACUTE, ACUTE, ACUTE, OUT_OF_AREA, OUT_OF_AREA, OUT_OF_AREA, RESIDENTIAL, ENABLEMENT, RECOVERED)
HOME_OF = {T_AC_C: T_COMM, T_AC_R: T_RES, T_AC_E: T_ENA, T_OA_C: T_COMM, T_OA_R: T_RES, T_OA_E: T_ENA}
ACUTE_FOR_HOME = {T_COMM: T_AC_C, T_RES: T_AC_R, T_ENA: T_AC_E}
OOA_FOR_HOME = {T_COMM: T_OA_C, T_RES: T_OA_R, T_ENA: T_OA_E}
HOSPITAL_TP = (T_AC_C, T_AC_R, T_AC_E, T_OA_C, T_OA_R, T_OA_E)

# Attributes tracked within compartments (the flags that can change).
ATTRS = (EMPLOYED, CARER_SUPPORTED, BUDGET, ASSESSING, DAY_CENTRE, WAIT_DAY_CENTRE, PEER_MEMBER, WAIT_PEER,
         PEER_LEADER, PAID_PEER_WORKER, WAIT_RC, RC_STUDENT, RC_GRADUATE, TUTOR, WAIT_ENABLEMENT, RAISED_RISK)
AI = {bit: i for i, bit in enumerate(ATTRS)}
N_A = len(ATTRS)
# Attributes lost when entering residential care or recovering (as in the model's _drop_supports).
DROPPED = (CARER_SUPPORTED, BUDGET, ASSESSING, DAY_CENTRE, WAIT_DAY_CENTRE, PEER_MEMBER, WAIT_PEER, WAIT_RC)

WINDOW_STAGES = 3
"""The fixed window after discharge is an Erlang-3 delay here (three stages with the same mean):
much closer to a fixed delay than one exponential stage for the chance of a crisis within it."""
G, S, W = N_GROUPS, 2, 1 + WINDOW_STAGES
K = G * S * W          # cells within a place: sub-group x needs x window stage (0 = outside the window)
N_C = N_TP * K
FILL_DAYS = 30.0
"""Time over which the twin lets a waiting list take up spare places (the model fills them at once)."""


def cidx(tp: int, g: int, s: int, w: int) -> int:
    return ((tp * G + g) * S + s) * W + w


TP_OF = np.array([c // (G * S * W) for c in range(N_C)])
G_OF = np.array([(c // (S * W)) % G for c in range(N_C)])
S_OF = np.array([(c // W) % S for c in range(N_C)])
W_OF = np.array([c % W for c in range(N_C)])


K_GROUP = np.array([k // (S * W) for k in range(K)])
K_TO_GROUP = np.eye(G)[K_GROUP]   # (K, G): sums cells into sub-groups
K_SEVERE = np.array([(k // W) % S for k in range(K)])
CAN_HOLD_BUDGET = np.array([tp not in (T_RES, T_REC) for tp in range(N_TP)], float)
IN_COMMUNITY = np.array([[1.0] if tp in (T_COMM, T_ENA) else [0.0] for tp in range(N_TP)])


def _width(capacity: float) -> float:
    """Smoothing width of a capacity limit: 2% of the places, at least one."""
    return max(1.0, 0.02 * capacity)


def fixed_flags(c: int) -> int:
    g = G_OF[c]
    return ((BUDGET_ELIGIBLE if g & 2 else 0) | (HAS_CARER if g & 1 else 0) | (SEVERE if S_OF[c] else 0)
            | (AFTER_DISCHARGE if W_OF[c] > 0 else 0))


def _smooth_room(used: float, capacity: float, width: float = 1.0) -> float:
    """Fraction of demand a capacity can take: 1 with room to spare, 0 when full (smooth)."""
    if capacity <= 0:
        return 0.0
    x = (capacity - used) / max(width, 1e-9)
    return float(1.0 / (1.0 + np.exp(-np.clip(x, -50, 50))))


@dataclass
class EventTable:
    """Rates of one event for every compartment, and how attributes change them."""

    base: np.ndarray                 # per day, with the precondition attributes held
    mult: np.ndarray                 # (N_A, N_C) multiplier if the attribute is held
    base_factors: list[tuple[int, ...]]
    attr_factors: dict[int, list[tuple[int, ...]]]   # attribute -> extra dynamic factors per compartment


_TABLES: dict[str, tuple[dict, EventTable, dict]] = {}
"""Rate tables by parameter values, open services and raised-risk multiplier (read-only once built):
building them is a third of a preview's time, and the scenarios of one comparison mostly share them."""
_TABLES_KEPT = 16
_TABLES_LOCK = threading.Lock()


class Twin:
    """Expected numbers of people over time under one scenario."""

    def __init__(self, scenario: Scenario, years: float | None = None, warmup_years: float | None = None):
        self.scenario = scenario
        s = scenario.settings
        self.years = float(years if years is not None else s.years)
        self.warmup_days = float(warmup_years if warmup_years is not None else s.warmup_years) * DAYS_PER_YEAR
        self.end = self.warmup_days + self.years * 12 * DAYS_PER_MONTH
        self.versions: list[dict[str, Any]] = []
        self.risk_multiplier = 1.0
        self._risk_months = 0.0
        self._set_values(dict(scenario.values))
        self.programmes = Programmes(self.P)

    # ------------------------------------------------------------------
    def _set_values(self, values: dict[str, Any]) -> None:
        self.versions.append(values)
        self.version = len(self.versions) - 1
        self.P = P = Params(values)
        self.open = {name: bool(values[info.open_path]) if info.open_path else True for name, info in SERVICES.items()}
        self.rules = HazardRules(P, self.open, [1.0, self.risk_multiplier])
        self._events_cache: dict[tuple[int, int, int], dict[int, tuple[float, tuple[int, ...]]]] = {}
        key = repr((sorted(values.items()), sorted(self.open.items()), self.risk_multiplier))
        with _TABLES_LOCK:  # the dashboard runs twins in several threads
            built = _TABLES.get(key)
        if built is None:
            self._build_tables()
            with _TABLES_LOCK:
                while len(_TABLES) >= _TABLES_KEPT:
                    _TABLES.pop(next(iter(_TABLES)))
                _TABLES[key] = (self.tables, self.paid_burnout, self.compiled)
        else:
            self.tables, self.paid_burnout, self.compiled = built

    def _rate_of(self, place: int, flags: int, risk: int, event: int) -> tuple[float, tuple[int, ...]]:
        key = (place, flags, risk)
        found = self._events_cache.get(key)
        if found is None:
            found = {e: (r / DAYS_PER_YEAR, f) for e, r, f in self.rules.events(place, flags, risk)}
            self._events_cache[key] = found
        return found.get(event, (0.0, ()))

    def _relevant(self, event: int, pre: int) -> list[int]:
        """Attributes that can change this event's rate anywhere (probed on representative people)."""
        out = []
        for a, bit in enumerate(ATTRS):
            if bit & pre:
                continue
            risk = 1 if bit == RAISED_RISK else 0
            for place in set(SIM_PLACE):
                for fixed in (BUDGET_ELIGIBLE | HAS_CARER | SEVERE, BUDGET_ELIGIBLE | HAS_CARER | SEVERE | AFTER_DISCHARGE,
                              BUDGET_ELIGIBLE | HAS_CARER, BUDGET_ELIGIBLE | HAS_CARER | AFTER_DISCHARGE):
                    if self._rate_of(place, fixed | pre, 0, event) != self._rate_of(place, fixed | pre | bit, risk, event):
                        out.append(a)
                        break
                else:
                    continue
                break
        return out

    def _table(self, event: int, pre: int = 0) -> EventTable:
        base = np.zeros(N_C)
        mult = np.ones((N_A, N_C))
        base_f: list[tuple[int, ...]] = []
        attr_f: dict[int, list[tuple[int, ...]]] = {a: [()] * N_C for a in range(N_A)}
        relevant = self._relevant(event, pre)
        for c in range(N_C):
            place = SIM_PLACE[TP_OF[c]]
            flags = fixed_flags(c) | pre
            r0, f0 = self._rate_of(place, flags, 0, event)
            base[c] = r0
            base_f.append(f0)
            for a in relevant:
                bit = ATTRS[a]
                r1, f1 = self._rate_of(place, flags | bit, 1 if bit == RAISED_RISK else 0, event)
                if r0 > 0:
                    mult[a, c] = r1 / r0
                extra = tuple(x for x in f1 if x not in f0)
                if extra:
                    attr_f[a][c] = extra
        return EventTable(base, mult, base_f, attr_f)

    def _build_tables(self) -> None:
        self.tables: dict[tuple[int, int], EventTable] = {}
        place_events = (hz.CRISIS, hz.STEP_UP, hz.RECOVER, hz.DIE_OTHER, hz.SUICIDE, hz.MOVE_AWAY,
                        hz.ENABLEMENT_MOVE_ON, hz.ENABLEMENT_BREAKDOWN, hz.RESIDENTIAL_MOVE_ON, hz.RELAPSE)
        for e in place_events:
            self.tables[(e, 0)] = self._table(e)
        attr_events = {
            hz.JOB_GAIN: 0, hz.JOB_LOSS: EMPLOYED, hz.DC_REFER: 0, hz.DC_LEAVE: DAY_CENTRE, hz.DC_GIVE_UP: WAIT_DAY_CENTRE,
            hz.PEER_JOIN: 0, hz.PEER_LEAVE: PEER_MEMBER, hz.PEER_GIVE_UP: WAIT_PEER, hz.LEADER_RECRUIT: PEER_MEMBER,
            hz.LEADER_BURNOUT: PEER_LEADER, hz.RC_APPLY: 0, hz.RC_GIVE_UP: WAIT_RC, hz.TUTOR_LEAVE: TUTOR,
            hz.BUDGET_APPLY: 0, hz.BUDGET_END: BUDGET, hz.CARER_ASSESS: 0, hz.CARER_LAPSE: CARER_SUPPORTED,
            hz.ENABLEMENT_REFERRAL: 0, hz.ENABLEMENT_GIVE_UP: WAIT_ENABLEMENT,
        }
        for e, pre in attr_events.items():
            self.tables[(e, pre)] = self._table(e, pre)
        self.paid_burnout = self._table(hz.LEADER_BURNOUT, PEER_LEADER | PAID_PEER_WORKER)
        self._compile()

    # ------------------------------------------------------------------
    def _compile(self) -> None:
        """Turn each table's dynamic factors into masks, so rates at any time are two array products."""
        self.compiled: dict[Any, tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int, np.ndarray]]]] = {}
        items = list(self.tables.items()) + [("paid_burnout", self.paid_burnout)]
        for key, t in items:
            base_mask = np.zeros((hz.N_FACTORS, N_C), bool)
            for c, f in enumerate(t.base_factors):
                for j in f:
                    base_mask[j, c] = True
            attr_entries = []
            for a, per_c in t.attr_factors.items():
                for j in range(hz.N_FACTORS):
                    mask = np.array([j in f for f in per_c], bool)
                    if mask.any():
                        attr_entries.append((a, j, mask))
            # a multiplier of 0 means the event cannot happen to holders: populations exclude them already
            impossible = t.mult == 0
            self.compiled[key] = (t.base, t.mult, base_mask, attr_entries, impossible)

    def _rates_now(self, fv: np.ndarray) -> None:
        """Rates of every event with the dynamic factors' current values (only dynamic ones recomputed)."""
        if getattr(self, "_rates_for", None) is not self.compiled:
            self._rates_for = self.compiled
            self.eff_rows = {}
            self._dynamic = []
            self._relevant_attrs = {}
            self._held: dict = {}
            for key, (base, mult, base_mask, attr_entries, impossible) in self.compiled.items():
                rows = (base.reshape(N_TP, K), mult.reshape(N_A, N_TP, K), impossible.reshape(N_A, N_TP, K))
                self.eff_rows[key] = rows
                rel = sorted({a for a in range(N_A) if np.any(mult[a] != 1.0)} | {a for a, _, _ in attr_entries})
                self._relevant_attrs[key] = np.array(rel, dtype=int)
                if base_mask.any() or attr_entries:
                    self._dynamic.append(key)
        for key in self._dynamic:
            base, mult, base_mask, attr_entries, impossible = self.compiled[key]
            b = base * np.prod(np.where(base_mask, fv[:, None], 1.0), axis=0)
            m = mult
            if attr_entries:
                m = mult.copy()
                for a, j, mask in attr_entries:
                    m[a] = np.where(mask, m[a] * fv[j], m[a])
            self.eff_rows[key] = (b.reshape(N_TP, K), m.reshape(N_A, N_TP, K), impossible.reshape(N_A, N_TP, K))
        self.eff_paid_burnout = self.eff_rows["paid_burnout"]

    def _with_held(self, key, held: int) -> tuple[np.ndarray, int]:
        """An event's relevant attributes with the one its holders hold, and that one's position
        (fixed until the tables change, so worked out once rather than on every evaluation)."""
        found = self._held.get((key, held))
        if found is None:
            rel = self._relevant_attrs[key]
            if held not in rel:
                rel = np.append(rel, held)
            found = self._held[(key, held)] = (rel, list(rel).index(held))
        return found

    def _factors_at(self, t: float) -> np.ndarray:
        f = self._progs_now(t).factors(self.P)
        return np.array([f["zs_suicide"], f["zs_crisis"], f["carer_uptake"], f["market_recovery"], f["market_crisis"], f["market_work"]])

    # ------------------------------------------------------------------
    # State layout: N (N_C), A (N_A x N_C), counters (K x G), areas (stocks x G)
    def _layout(self) -> None:
        self.count_names = list(counter_names())
        self.stock_names = list(PLACE_NAMES[:8]) + [FLAG_NAMES[b] for b in (
            SEVERE, EMPLOYED, CARER_SUPPORTED, DAY_CENTRE, WAIT_DAY_CENTRE, PEER_MEMBER, WAIT_PEER, PEER_LEADER,
            PAID_PEER_WORKER, RC_STUDENT, WAIT_RC, RC_GRADUATE, TUTOR, BUDGET, ASSESSING, WAIT_ENABLEMENT, RAISED_RISK)] + [
            "out_of_work_in_contact", "recovered_employed", "open_day_centre", "open_peer_support", "open_recovery_college"]
        self.n_count = len(self.count_names) * G
        self.n_area = len(self.stock_names) * G
        self.o_A = N_C
        self.o_cnt = N_C + N_A * N_C
        self.o_area = self.o_cnt + self.n_count
        self.o_cohort = self.o_area + self.n_area   # residents at the start still in residential care
        self.size = self.o_cohort + 1
        self.ci = {name: i for i, name in enumerate(self.count_names)}

    def _build_area_matrix(self) -> None:
        """Levels of every stock as a linear function of (N, A), for the area integrals."""
        n = N_C + N_A * N_C
        M = np.zeros((len(self.stock_names) * G, n))
        place_sets = {
            "community": (T_COMM,), "home_treatment": (T_HT,), "acute": (T_AC_C, T_AC_R, T_AC_E),
            "out_of_area": (T_OA_C, T_OA_R, T_OA_E), "waiting_for_bed": (), "residential": (T_RES,),
            "enablement": (T_ENA,), "recovered": (T_REC,),
        }
        flag_of = {FLAG_NAMES[b]: b for b in ATTRS}
        cells = np.arange(N_C)
        for i, name in enumerate(self.stock_names):
            rows = i * G + G_OF  # the row of each compartment's group
            if name in place_sets:
                sel = np.isin(TP_OF, place_sets[name])
                M[rows[sel], cells[sel]] = 1.0
            elif name == "severe":
                sel = S_OF == 1
                M[rows[sel], cells[sel]] = 1.0
            elif name in flag_of:
                M[rows, N_C + AI[flag_of[name]] * N_C + cells] = 1.0
            elif name == "out_of_work_in_contact":
                sel = TP_OF != T_REC
                M[rows[sel], cells[sel]] = 1.0
                M[rows[sel], N_C + AI[EMPLOYED] * N_C + cells[sel]] = -1.0
            elif name == "recovered_employed":
                sel = TP_OF == T_REC
                M[rows[sel], N_C + AI[EMPLOYED] * N_C + cells[sel]] = 1.0
        self._area_matrix = sparse.csr_matrix(M)
        self._set_area_open()

    def _set_area_open(self) -> None:
        open_levels = np.zeros((len(self.stock_names), G))
        for i, name in enumerate(self.stock_names):
            if name.startswith("open_"):
                open_levels[i, 0] = 1.0 if self.open[name[5:]] else 0.0
        self._area_open = open_levels.ravel()

    def _levels(self, N: np.ndarray, A: np.ndarray, include_open: bool = True) -> dict[str, np.ndarray]:
        """Per-group levels of every stock the simulation reports."""
        out: dict[str, np.ndarray] = {}

        def by_group(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
            v = values if mask is None else values * mask
            return np.bincount(G_OF, weights=v, minlength=G)

        tp = TP_OF
        place_masks = {
            "community": tp == T_COMM, "home_treatment": tp == T_HT,
            "acute": np.isin(tp, (T_AC_C, T_AC_R, T_AC_E)), "out_of_area": np.isin(tp, (T_OA_C, T_OA_R, T_OA_E)),
            "waiting_for_bed": np.zeros(N_C, bool), "residential": tp == T_RES, "enablement": tp == T_ENA,
            "recovered": tp == T_REC,
        }
        for name, mask in place_masks.items():
            out[name] = by_group(N, mask)
        alive = np.ones(N_C, bool)
        out["severe"] = by_group(N, S_OF == 1)
        for bit in (EMPLOYED, CARER_SUPPORTED, DAY_CENTRE, WAIT_DAY_CENTRE, PEER_MEMBER, WAIT_PEER, PEER_LEADER,
                    PAID_PEER_WORKER, RC_STUDENT, WAIT_RC, RC_GRADUATE, TUTOR, BUDGET, ASSESSING, WAIT_ENABLEMENT, RAISED_RISK):
            out[FLAG_NAMES[bit]] = by_group(A[AI[bit]], alive)
        in_contact = tp != T_REC
        out["out_of_work_in_contact"] = by_group(N - A[AI[EMPLOYED]], in_contact)
        out["recovered_employed"] = by_group(A[AI[EMPLOYED]], tp == T_REC)
        for name in ("day_centre", "peer_support", "recovery_college"):
            out[f"open_{name}"] = np.array([1.0 if self.open[name] and include_open else 0.0, 0, 0, 0])
        return out

    # ------------------------------------------------------------------
    def _census(self) -> np.ndarray:
        P = self.P
        c, pop = P.census, P.population
        y = np.zeros(self.size)
        N = y[:N_C]
        A = y[self.o_A:self.o_cnt].reshape(N_A, N_C)
        gshare = np.array([(1 - pop.budget_eligible_share) * (1 - pop.carer_share), (1 - pop.budget_eligible_share) * pop.carer_share,
                           pop.budget_eligible_share * (1 - pop.carer_share), pop.budget_eligible_share * pop.carer_share])
        ht = min(c.in_home_treatment, P.services.crisis_home_treatment.caseload)
        acute = min(c.in_acute_beds, P.services.acute_beds.beds_in_area)
        ena = min(c.in_enablement, P.services.enablement.tenancies_operative)
        placed = {T_HT: ht, T_AC_C: acute, T_OA_C: c.out_of_area, T_RES: c.in_residential_care, T_ENA: ena}
        community = max(0.0, pop.in_contact_at_start - sum(placed.values()))
        placed[T_COMM] = community
        placed[T_REC] = pop.recovered_at_start
        for tp, total in placed.items():
            severe = 1.0 if tp in (T_RES, T_ENA) else pop.severe_share
            if tp == T_REC:
                emp = pop.recovered_employed_share_at_start
            elif tp in (T_RES, T_ENA):
                emp = 0.0
            else:
                emp = pop.employed_share_at_start
            for g in range(G):
                for s, share in ((1, severe), (0, 1 - severe)):
                    n = total * gshare[g] * share
                    ci = cidx(tp, g, s, 0)
                    N[ci] += n
                    A[AI[EMPLOYED], ci] += n * emp
        # supports among people in the community or a tenancy, spread evenly
        pool = np.isin(TP_OF, (T_COMM, T_ENA))
        total_pool = N[pool].sum()
        if total_pool > 0:
            share = N * pool / total_pool
            dc = min(c.day_centre_users, P.services.day_centre.places)
            A[AI[DAY_CENTRE]] += dc * share
            if self.open["peer_support"]:
                A[AI[PEER_LEADER]] += c.peer_leaders * share
                cap = P.services.peer_support.base_places + P.services.peer_support.people_per_leader * c.peer_leaders
                A[AI[PEER_MEMBER]] += min(c.peer_support_members, cap) * share
            A[AI[RC_GRADUATE]] += c.recovery_college_graduates * share
            eligible = pool & ((G_OF & 2) > 0)
            A[AI[BUDGET]] += N * eligible * c.budget_holders_share_of_eligible
            carers = pool & ((G_OF & 1) > 0)
            A[AI[CARER_SUPPORTED]] += N * carers * c.carers_supported_share
        res = TP_OF == T_RES
        if N[res].sum() > 0:
            A[AI[WAIT_ENABLEMENT]] += c.waiting_for_enablement * N * res / N[res].sum()
        self.cohort_size = float(c.in_residential_care)
        y[self.o_cohort] = self.cohort_size
        mix = np.zeros(K)
        for g in range(G):
            for s_, sh in ((1, pop.severe_share), (0, 1 - pop.severe_share)):
                mix[(g * S + s_) * W] = gshare[g] * sh
        self._arrival_mix = mix
        return y

    # ------------------------------------------------------------------
    def _rhs(self, t: float, y: np.ndarray) -> np.ndarray:
        """Rates of change of every stock, counter and area at time ``t``.

        Arrays are (place, k) with k = sub-group x needs x window (16 cells),
        and attributes (attribute, place, k), so a move between places is a
        row operation.
        """
        P = self.P
        sv = P.services
        self._rates_now(self._factors_at(t))
        dy = np.zeros_like(y)
        N = np.maximum(y[:N_C], 0.0).reshape(N_TP, K)
        A = np.minimum(np.maximum(y[self.o_A:self.o_cnt].reshape(N_A, N_TP, K), 0.0), N)
        dN = dy[:N_C].reshape(N_TP, K)
        dA = dy[self.o_A:self.o_cnt].reshape(N_A, N_TP, K)
        cnt = dy[self.o_cnt:self.o_area].reshape(len(self.count_names), G)
        share = A / np.where(N > 1e-12, N, 1.0)
        ci = self.ci

        cnt_k = np.zeros((len(self.count_names), K))

        def count(name: str, per_cell: np.ndarray) -> None:
            cnt_k[ci[name]] += per_cell

        relevant = self._relevant_attrs

        def rates(key, tp: int) -> tuple[np.ndarray, np.ndarray]:
            """Flow (people a day) of an event from place ``tp``, and the holders' part of it.

            Only the attributes that change this event's rate enter the product; holders of
            the others leave in proportion to their share."""
            b, m, _ = self.eff_rows[key]
            rel = relevant[key]
            b = b[tp]
            if not rel.size:
                flow = N[tp] * b
                return flow, share[:, tp] * flow
            m = m[rel, tp]
            factor = 1.0 + (m - 1.0) * share[rel, tp]
            prod = np.prod(factor, axis=0)
            flow = N[tp] * b * prod
            holders = share[:, tp] * flow
            holders[rel] = A[rel, tp] * b * m * (prod / np.where(factor > 0, factor, 1.0))
            return flow, holders

        def leave(tp: int, f: np.ndarray, h: np.ndarray) -> None:
            dN[tp] -= f
            dA[:, tp] -= h

        def arrive(tp: int, f: np.ndarray, h: np.ndarray, window: bool | None = None, drop: tuple[int, ...] = ()) -> None:
            if drop:
                h = h.copy()
                h[[AI[b] for b in drop]] = 0.0
            if window is None:
                dN[tp] += f
                dA[:, tp] += h
            else:
                w = 1 if window else 0
                dN[tp].reshape(G, S, W)[..., w] += f.reshape(G, S, W).sum(-1)
                dA[:, tp].reshape(N_A, G, S, W)[..., w] += h.reshape(N_A, G, S, W).sum(-1)

        def move(src: int, dst: int, f, h, window=None, drop=()) -> None:
            leave(src, f, h)
            arrive(dst, f, h, window, drop)

        # occupancy and room (smooth capacity limits)
        acute_occ = N[[T_AC_C, T_AC_R, T_AC_E]].sum()
        ht_occ = N[T_HT].sum()
        ena_occ = N[T_ENA].sum() + N[[T_AC_E, T_OA_E]].sum()
        room_acute = _smooth_room(acute_occ, sv.acute_beds.beds_in_area, _width(sv.acute_beds.beds_in_area))
        room_ht = (_smooth_room(ht_occ, sv.crisis_home_treatment.caseload, _width(sv.crisis_home_treatment.caseload))
                   if self.open["crisis_home_treatment"] else 0.0)
        ena_cap = sv.enablement.tenancies_operative
        room_ena = _smooth_room(ena_occ + 1.0, ena_cap, _width(ena_cap)) if self.open["enablement"] else 0.0
        adm_share = np.where(K_SEVERE == 1, P.crisis.admission_share_severe, P.crisis.admission_share_moderate)

        def crisis(src: int, f: np.ndarray, h: np.ndarray) -> None:
            """People in crisis leave ``src`` for home treatment or a bed (in area or out of area)."""
            count("crisis_episodes", f)
            to_bed = adm_share + (1 - adm_share) * (1 - room_ht) if src == T_COMM else np.ones(K)
            to_ht = 1 - to_bed
            count("home_treatment_episodes", f * to_ht)
            count("acute_admissions", f * to_bed)
            count("out_of_area_placements", f * to_bed * (1 - room_acute))
            leave(src, f, h)
            arrive(T_HT, f * to_ht, h * to_ht)
            arrive(ACUTE_FOR_HOME[src], f * to_bed * room_acute, h * to_bed * room_acute)
            arrive(OOA_FOR_HOME[src], f * to_bed * (1 - room_acute), h * to_bed * (1 - room_acute))

        for src in (T_COMM, T_ENA, T_RES):
            f, h = rates((hz.CRISIS, 0), src)
            crisis(src, f, h)

        # end of home treatment and of admissions
        ht = sv.crisis_home_treatment
        ht_mean = ht.episode_median_days * np.exp(ht.episode_spread ** 2 / 2)
        ab = sv.acute_beds
        los_mean = ab.stay_median_days * np.exp(ab.stay_spread ** 2 / 2)
        f, h = N[T_HT] / ht_mean, A[:, T_HT] / ht_mean
        count("discharges", f)
        move(T_HT, T_COMM, f, h, window=True)
        enablement_in = np.zeros(K)
        for h_tp in HOSPITAL_TP:
            f, h = N[h_tp] / los_mean, A[:, h_tp] / los_mean
            count("discharges", f)
            home = HOME_OF[h_tp]
            if home != T_COMM:
                move(h_tp, home, f, h, window=True)
                continue
            severe = K_SEVERE == 1
            to_res = np.where(severe, ab.discharge_to_residential_share_severe, 0.0)
            to_ena_ref = np.where(severe, ab.discharge_to_enablement_share_severe, 0.0)
            to_ena, to_wait = to_ena_ref * room_ena, to_ena_ref * (1 - room_ena)
            to_comm = 1 - to_res - to_ena_ref
            leave(h_tp, f, h)
            arrive(T_COMM, f * to_comm, h * to_comm, window=True)
            arrive(T_ENA, f * to_ena, h * to_ena, window=True)
            enablement_in += f * to_ena
            count("enablement_entries", f * to_ena)
            res = to_res + to_wait
            count("residential_placements", f * res)
            arrive(T_RES, f * res, h * res, window=True, drop=DROPPED)
            dA[AI[WAIT_ENABLEMENT], T_RES].reshape(G, S, W)[..., 1] += (f * to_wait).reshape(G, S, W).sum(-1)

        # raised risk after losing a support wears off; the window after discharge closes
        if self._risk_months > 0:
            dA[AI[RAISED_RISK]] -= A[AI[RAISED_RISK]] / (self._risk_months * DAYS_PER_MONTH)
        step = WINDOW_STAGES / P.crisis.after_discharge_days
        Nw, dNw = N.reshape(N_TP, G, S, W), dN.reshape(N_TP, G, S, W)
        Aw, dAw = A.reshape(N_A, N_TP, G, S, W), dA.reshape(N_A, N_TP, G, S, W)
        for stage in range(1, W):
            nxt = stage + 1 if stage < W - 1 else 0
            fw = Nw[..., stage] * step
            hw = Aw[..., stage] * step
            dNw[..., stage] -= fw
            dNw[..., nxt] += fw
            dAw[..., stage] -= hw
            dAw[..., nxt] += hw

        # place changes
        f, h = rates((hz.STEP_UP, 0), T_COMM)
        count("residential_placements", f)
        move(T_COMM, T_RES, f, h, drop=DROPPED)
        f, h = rates((hz.RECOVER, 0), T_COMM)
        count("recoveries", f)
        move(T_COMM, T_REC, f, h, drop=DROPPED + (WAIT_ENABLEMENT,))
        f_move, h = rates((hz.ENABLEMENT_MOVE_ON, 0), T_ENA)
        count("enablement_move_ons", f_move)
        move(T_ENA, T_COMM, f_move, h)
        f_break, h = rates((hz.ENABLEMENT_BREAKDOWN, 0), T_ENA)
        count("enablement_breakdowns", f_break)
        count("residential_placements", f_break)
        move(T_ENA, T_RES, f_break, h, drop=DROPPED)
        f_res, h = rates((hz.RESIDENTIAL_MOVE_ON, 0), T_RES)
        count("residential_move_ons", f_res)
        move(T_RES, T_COMM, f_res, h, drop=(WAIT_ENABLEMENT,))
        f, h = rates((hz.RELAPSE, 0), T_REC)
        count("relapses", f)
        cs = P.recovery.relapse_in_crisis_share
        move(T_REC, T_COMM, f, h)
        crisis(T_COMM, f * cs, h * cs)  # those relapsing in crisis go straight on to crisis care
        exits_ena = np.zeros(K)
        exits_res = np.zeros(K)
        for event, name in ((hz.DIE_OTHER, "deaths_other"), (hz.SUICIDE, "suicides"), (hz.MOVE_AWAY, "moved_away")):
            b, m, _ = self.eff_rows[(event, 0)]
            rel = relevant[(event, 0)]
            factor = 1.0 + (m[rel] - 1.0) * share[rel]
            prod = np.prod(factor, axis=0)
            f_all = N * b * prod
            h_all = share * f_all
            h_all[rel] = A[rel] * b * m[rel] * (prod / np.where(factor > 0, factor, 1.0))
            count(name, f_all.sum(0))
            dN[:] -= f_all
            dA[:] -= h_all
            exits_ena += f_all[T_ENA]
            exits_res += f_all[T_RES]

        # arrivals
        pop = P.population
        arr = self._arrival_mix * pop.referrals_per_year / DAYS_PER_YEAR
        count("arrivals", arr)
        ic = pop.referral_in_crisis_share
        hold = np.zeros((N_A, K))
        hold[AI[EMPLOYED]] = arr * pop.employed_share_at_start
        arrive(T_COMM, arr, hold)
        crisis(T_COMM, arr * ic, hold * ic)

        # attributes ------------------------------------------------------------
        def fires(key, population: np.ndarray, held: int | None = None) -> np.ndarray:
            """People a day in ``population`` (place, k) for whom an attribute event fires."""
            b, m, impossible = self.eff_rows[key]
            if held is None:
                rel = relevant[key]
            else:
                rel, pos = self._with_held(key, held)
            if not rel.size:
                return population * b
            factor = np.where(impossible[rel], 1.0, 1.0 + (m[rel] - 1.0) * share[rel])
            if held is not None:
                factor[pos] = m[held]
            return population * b * np.prod(factor, axis=0)

        E = AI[EMPLOYED]
        paid = A[AI[PAID_PEER_WORKER]] + A[AI[TUTOR]]
        gain = fires((hz.JOB_GAIN, 0), N - A[E])
        loss = fires((hz.JOB_LOSS, EMPLOYED), np.maximum(A[E] - paid, 0.0))
        dA[E] += gain - loss
        count("job_gains", gain.sum(0))
        count("job_losses", loss.sum(0))
        C = AI[CARER_SUPPORTED]
        assess = fires((hz.CARER_ASSESS, 0), N - A[C])
        dA[C] += assess - fires((hz.CARER_LAPSE, CARER_SUPPORTED), A[C], C)
        count("carer_assessments", assess.sum(0))
        pb = sv.personal_budgets
        B, AS = AI[BUDGET], AI[ASSESSING]
        weeks = pb.assessment_weeks if pb.integrated_assessment else 2 * pb.assessment_weeks
        apply = fires((hz.BUDGET_APPLY, 0), N - A[B] - A[AS])
        done = A[AS] / (weeks * 7)
        dropout = pb.dropout_share_integrated if pb.integrated_assessment else pb.dropout_share_separate
        granted = done * (1 - dropout) * CAN_HOLD_BUDGET[:, None] * (1.0 if self.open["personal_budgets"] else 0.0)
        dA[AS] += apply - done
        dA[B] += granted - fires((hz.BUDGET_END, BUDGET), A[B], B)
        count("budget_applications", apply.sum(0))
        count("budgets_granted", granted.sum(0))
        count("budget_dropouts", (done - granted).sum(0))
        nhs_share = pb.health_budget_share if pb.integrated_assessment else 1.0
        council_share = (1 - pb.health_budget_share) if pb.integrated_assessment else 1.0
        count("budget_assessments_nhs", apply.sum(0) * nhs_share)
        count("budget_assessments_council", apply.sum(0) * council_share)

        def waiting_list(hold_bit: int, wait_bit: int, capacity: float, is_open: bool, join, quits) -> None:
            """Joiners take a place while there is room, else wait; places freed go to those waiting."""
            H, Q = AI[hold_bit], AI[wait_bit]
            room = _smooth_room(A[H].sum(), capacity, _width(capacity)) if is_open else 0.0
            dA[H] += join * room
            dA[Q] += join * (1 - room) - quits
            waiting = A[Q].sum()
            if waiting > 1e-12 and is_open:
                freed = max(0.0, -dA[H].sum())          # places given up a day, for any reason
                spare = max(0.0, capacity - A[H].sum()) / FILL_DAYS
                take = min(waiting / FILL_DAYS, freed + spare)
                moved = A[Q] / waiting * take
                dA[H] += moved
                dA[Q] -= moved

        D, DW = AI[DAY_CENTRE], AI[WAIT_DAY_CENTRE]
        refer = fires((hz.DC_REFER, 0), N - A[D] - A[DW])
        dA[D] -= fires((hz.DC_LEAVE, DAY_CENTRE), A[D], D)
        count("day_centre_referrals", refer.sum(0))
        waiting_list(DAY_CENTRE, WAIT_DAY_CENTRE, self._dc_capacity, self.open["day_centre"], refer,
                     fires((hz.DC_GIVE_UP, WAIT_DAY_CENTRE), A[DW], DW))
        ps = sv.peer_support
        PM, PWt, PL, PAID = AI[PEER_MEMBER], AI[WAIT_PEER], AI[PEER_LEADER], AI[PAID_PEER_WORKER]
        cap = (ps.base_places + ps.people_per_leader * A[PL].sum()) if self.open["peer_support"] else 0.0
        join = fires((hz.PEER_JOIN, 0), N - A[PM] - A[PWt] - A[PL])
        recruit = fires((hz.LEADER_RECRUIT, PEER_MEMBER), A[PM], PM)
        burn = fires((hz.LEADER_BURNOUT, PEER_LEADER), np.maximum(A[PL] - A[PAID], 0.0), PL)
        burn_paid = A[PAID] * self.eff_paid_burnout[0]
        dA[PM] -= fires((hz.PEER_LEAVE, PEER_MEMBER), A[PM], PM) + recruit
        dA[PL] += recruit - burn - burn_paid
        dA[PAID] -= burn_paid
        dA[E] -= burn_paid
        count("peer_support_joins", join.sum(0))
        count("leaders_recruited", recruit.sum(0))
        count("leader_burnouts", (burn + burn_paid).sum(0))
        waiting_list(PEER_MEMBER, WAIT_PEER, cap, self.open["peer_support"], join,
                     fires((hz.PEER_GIVE_UP, WAIT_PEER), A[PWt], PWt))
        rc = sv.recovery_college
        RW, RS, RG, TU = AI[WAIT_RC], AI[RC_STUDENT], AI[RC_GRADUATE], AI[TUTOR]
        in_comm = IN_COMMUNITY
        applying = fires((hz.RC_APPLY, 0), (N - A[RW] - A[RS] - A[RG]) * in_comm)
        dA[RW] += applying - fires((hz.RC_GIVE_UP, WAIT_RC), A[RW], RW)
        term = rc.term_weeks * 7
        waiting = A[RW].sum()
        if self.open["recovery_college"] and waiting > 1e-12:
            seats = min(rc.places_per_term, (rc.tutors_by_experience + A[TU].sum()) * rc.students_per_tutor)
            enrol = A[RW] / waiting * min(seats / term, waiting / FILL_DAYS)
            dA[RW] -= enrol
            dA[RS] += enrol
            count("college_enrolments", enrol.sum(0))
        finish = A[RS] / term
        complete = finish * rc.completion_share
        dA[RS] -= finish
        dA[RG] += complete
        count("college_completions", complete.sum(0))
        roles = complete * in_comm
        to_peer = roles * rc.graduate_peer_worker_share * (1.0 if self.open["peer_support"] else 0.0)
        to_tutor = roles * rc.graduate_tutor_share
        dA[PL] += to_peer
        dA[PAID] += to_peer
        dA[TU] += to_tutor
        dA[E] += (to_peer + to_tutor) * (1 - share[E])
        count("graduate_peer_workers", to_peer.sum(0))
        count("graduate_tutors", to_tutor.sum(0))
        quits = fires((hz.TUTOR_LEAVE, TUTOR), A[TU], TU)
        dA[TU] -= quits
        dA[E] -= quits
        # the enablement waiting list (people in residential care) and tenancies filled from it
        EW = AI[WAIT_ENABLEMENT]
        dA[EW] += fires((hz.ENABLEMENT_REFERRAL, 0), N - A[EW]) - fires((hz.ENABLEMENT_GIVE_UP, WAIT_ENABLEMENT), A[EW], EW)
        waiting_res = A[EW, T_RES]
        wtot = waiting_res.sum()
        fill = 0.0
        if wtot > 1e-12 and self.open["enablement"]:
            freed = (f_move + f_break + exits_ena).sum() - enablement_in.sum()
            spare = max(0.0, ena_cap - ena_occ) / FILL_DAYS
            fill = min(wtot / FILL_DAYS, max(0.0, freed) + spare)
            per = waiting_res / wtot * fill
            frac = per / np.where(N[T_RES] > 1e-12, N[T_RES], 1.0)
            h = A[:, T_RES] * frac
            h[EW] = per
            count("enablement_entries", per)
            count("residential_move_ons", per)
            move(T_RES, T_ENA, per, h, drop=(WAIT_ENABLEMENT,))
        # the residents at the start (a cohort) leave residential care at its per-person rates
        n_res = N[T_RES].sum()
        if n_res > 0:
            cohort_share = min(1.0, max(y[self.o_cohort], 0.0) / n_res)
            move_on = f_res.sum() + fill
            dy[self.o_cohort] = -cohort_share * (move_on + exits_res.sum())
            if t - self.warmup_days <= 30 * DAYS_PER_MONTH:
                cnt[ci["cohort_residential_move_ons_30m"], 0] += cohort_share * move_on
        cnt += cnt_k @ K_TO_GROUP
        # areas: person-days in every stock (one matrix product)
        dy[self.o_area:self.o_cohort] = self._area_matrix @ np.concatenate((N.ravel(), A.ravel())) + self._area_open
        return dy

    def _snapshot(self, t: float, y: np.ndarray) -> Snapshot:
        N = np.maximum(y[:N_C], 0)
        A = np.minimum(np.maximum(y[self.o_A:self.o_cnt].reshape(N_A, N_C), 0), N)
        levels = self._levels(N, A)
        cnt = y[self.o_cnt:self.o_area].reshape(len(self.count_names), G)
        areas = y[self.o_area:self.o_cohort].reshape(len(self.stock_names), G)
        return Snapshot(
            t, self.version,
            {name: tuple(float(v) for v in levels[name]) for name in self.stock_names},
            {name: tuple(float(v) for v in areas[i]) for i, name in enumerate(self.stock_names)},
            {name: tuple(float(v) for v in cnt[i]) for i, name in enumerate(self.count_names)},
            dict(self.programmes.state()),
        )

    def run(self) -> RunRecord:
        started = time.perf_counter()
        self._layout()
        self._build_area_matrix()
        y = self._census()
        self._dc_capacity = self.P.services.day_centre.places
        t0 = self.warmup_days
        ticks = sorted({t0 + k * DAYS_PER_MONTH for k in range(-int(t0 // DAYS_PER_MONTH), int(self.years * 12) + 1)
                        if 0 <= t0 + k * DAYS_PER_MONTH <= self.end + 1e-9} | {self.end})
        actions = sorted(((t0 + a.day, a) for a in self.scenario.actions if t0 + a.day <= self.end), key=lambda x: x[0])
        bounds = sorted({0.0, self.end} | {t for t, _ in actions})
        snapshots: list[Snapshot] = []
        self._segment_start = 0.0
        self._progs_at_segment = self.programmes.copy()
        for a, b in zip(bounds, bounds[1:] + [None]):
            for ta, action in actions:
                if abs(ta - a) < 1e-9:
                    self.programmes = self._progs_now(a)
                    y = self._apply_action(action, y)
                    self._segment_start = a
                    self._progs_at_segment = self.programmes.copy()
                    if a >= t0 - 1e-9:
                        snapshots.append(self._snapshot(a, y))
            if b is None:
                break
            evals = [t for t in ticks if a - 1e-9 <= t <= b + 1e-9]
            sol = solve_ivp(self._rhs, (a, b), y, method="RK23", t_eval=evals or None, rtol=1e-2, atol=1e-1, max_step=90.0)
            for t, col in zip(sol.t, sol.y.T):
                if t >= t0 - 1e-9 and not (snapshots and abs(snapshots[-1].t - t) < 1e-9):
                    self.programmes = self._progs_now(t)
                    snapshots.append(self._snapshot(float(t), col))
            y = sol.y[:, -1]
        wall = time.perf_counter() - started
        stay = self.P.services.acute_beds
        return RunRecord(
            scenario_name=self.scenario.name, replication=0, seed=0, scale=1.0, warmup_days=self.warmup_days,
            horizon_days=self.end, snapshots=snapshots, versions=self.versions, flows=self._flows(snapshots),
            acute_stays=[stay.stay_median_days], waits={}, little={}, checks={}, scheduler_events=0,
            peak_live_processes=0, wall_seconds=wall, cohort_residential=int(round(self.cohort_size)),
        )

    def _progs_now(self, t: float) -> Programmes:
        progs = self._progs_at_segment.copy()
        progs.advance(self.P, max(0.0, t - self._segment_start) / DAYS_PER_YEAR)
        return progs

    def _flows(self, snapshots: list[Snapshot]) -> list[list[float]]:
        """Moves between places for flow diagrams, from the twin's counters (main routes only)."""
        n = len(PLACE_NAMES)
        flows = [[0.0] * n for _ in range(n)]
        if len(snapshots) < 2:
            return flows
        first, last = snapshots[0], snapshots[-1]

        def d(name: str) -> float:
            return sum(last.counts[name]) - sum(first.counts[name])

        idx = {name: i for i, name in enumerate(PLACE_NAMES)}
        flows[idx["community"]][idx["home_treatment"]] = d("home_treatment_episodes")
        flows[idx["community"]][idx["acute"]] = d("acute_admissions") - d("out_of_area_placements")
        flows[idx["community"]][idx["out_of_area"]] = d("out_of_area_placements")
        flows[idx["community"]][idx["recovered"]] = d("recoveries")
        flows[idx["recovered"]][idx["community"]] = d("relapses")
        flows[idx["community"]][idx["residential"]] = d("residential_placements")
        flows[idx["residential"]][idx["community"]] = d("residential_move_ons")
        flows[idx["enablement"]][idx["community"]] = d("enablement_move_ons")
        flows[idx["community"]][idx["died_suicide"]] = d("suicides")
        flows[idx["community"]][idx["died_other"]] = d("deaths_other")
        flows[idx["community"]][idx["moved_away"]] = d("moved_away")
        return flows

    def _apply_action(self, action, y: np.ndarray) -> np.ndarray:
        values = dict(self.versions[-1])
        values.update(action.values)
        info = SERVICES.get(action.service) if action.service else None
        closing = action.verb == "close" and self.open.get(action.service, False)
        if action.verb == "open":
            values[info.open_path] = True
        elif action.verb == "close":
            values[info.open_path] = False
        y = y.copy()
        opening = action.verb == "open" and not self.open.get(action.service, True)
        for verb, happened in (("closures", closing), ("openings", opening)):
            name = f"{verb}_{action.service}"
            if happened and name in self.ci:   # one-off costs are charged on these counts
                y[self.o_cnt + self.ci[name] * G] += 1.0
        if closing and info.redirects_users:
            y = self._close_support(action, y)
        self._set_values(values)
        self._dc_capacity = self.P.services.day_centre.places
        self._set_area_open()
        return y

    def _close_support(self, action, y: np.ndarray) -> np.ndarray:
        """Users lose their places and are redirected, in expectation."""
        A = y[self.o_A:self.o_cnt].reshape(N_A, N_C)
        hold = {"day_centre": DAY_CENTRE, "peer_support": PEER_MEMBER, "recovery_college": RC_STUDENT}[action.service]
        wait = {"day_centre": WAIT_DAY_CENTRE, "peer_support": WAIT_PEER, "recovery_college": WAIT_RC}[action.service]
        users = A[AI[hold]].copy()
        A[AI[hold]] = 0.0
        A[AI[wait]] = 0.0
        if action.service == "peer_support":
            A[AI[PEER_LEADER]] = 0.0
            A[AI[EMPLOYED]] -= A[AI[PAID_PEER_WORKER]]
            A[AI[PAID_PEER_WORKER]] = 0.0
        if action.raised_risk is not None:
            multiplier, months = action.raised_risk
        elif action.service == "day_centre":
            dc = self.P.services.day_centre
            multiplier, months = dc.closure_crisis_multiplier, dc.closure_risk_months
        else:
            multiplier, months = 1.0, 0.0
        shares = dict(action.redirect)
        eligible = (G_OF & 2) > 0
        to_budget = users * shares.get("personal_budgets", 0.0) * eligible
        A[AI[ASSESSING]] += to_budget
        to_peer = users * shares.get("peer_support", 0.0)
        A[AI[WAIT_PEER]] += to_peer
        to_dc = users * shares.get("day_centre", 0.0) if action.service != "day_centre" else 0 * users
        A[AI[WAIT_DAY_CENTRE]] += to_dc
        to_rc = users * shares.get("recovery_college", 0.0) if action.service != "recovery_college" else 0 * users
        A[AI[WAIT_RC]] += to_rc
        if multiplier != 1.0 and months > 0:
            self.risk_multiplier = multiplier
            A[AI[RAISED_RISK]] += users
            self._risk_months = months
        return y


def run_twin(scenario: Scenario, years: float | None = None, warmup_years: float | None = None) -> ReplicationResult:
    """One deterministic 'replication' of the twin, in the same form as the simulation's."""
    record = Twin(scenario, years=years, warmup_years=warmup_years).run()
    return summarise(record, scenario.params)
