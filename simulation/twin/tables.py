"""Every rate the twin needs, read from the same hazard rules as the simulation.

For each event the twin uses, and each compartment, the table holds the base
rate (per day, for someone holding none of the attributes that change it) and,
for each attribute, the multiplier that holding it puts on the rate. The
twin does not know the rules: it *probes* :class:`~simulation.hazards.HazardRules`
with representative people, so a new effect, a new support's effect on
crisis, or a rate a scenario changes needs no edit here.

An event's rate in a compartment is then its base rate times, for each
attribute, one plus (multiplier - 1) times the share holding it (attributes
are taken as independent within a compartment: the twin's one approximation
besides fixed durations and smooth capacities).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .. import hazards as hz
from ..hazards import HazardRules
from ..parameters import DAYS_PER_YEAR
from ..people import (
    AFTER_DISCHARGE, BUDGET, BUDGET_ELIGIBLE, CARER_SUPPORTED, EMPLOYED, HAS_CARER, PAID_PEER_WORKER, PEER_LEADER,
    PEER_MEMBER, RAISED_RISK, RC_GRADUATE, SEVERE, TUTOR, WAIT_ENABLEMENT, WAIT_RC, flag,
)
from .layout import CELL_STAGE, MODEL_PLACE, N_CELLS, N_TWIN_PLACES, WINDOW_STAGES, Layout, cell_flags

# The events the twin's flows use, as (event id, flags everyone it applies to holds).
PLACE_EVENTS = ((hz.CRISIS, 0), (hz.STEP_UP, 0), (hz.RECOVER, 0), (hz.DIE_OTHER, 0), (hz.SUICIDE, 0), (hz.MOVE_AWAY, 0),
                (hz.ENABLEMENT_MOVE_ON, 0), (hz.ENABLEMENT_BREAKDOWN, 0), (hz.RESIDENTIAL_MOVE_ON, 0), (hz.RELAPSE, 0))
ATTRIBUTE_EVENTS = ((hz.JOB_GAIN, 0), (hz.JOB_LOSS, EMPLOYED), (hz.LEADER_RECRUIT, PEER_MEMBER), (hz.LEADER_BURNOUT, PEER_LEADER),
                    (hz.LEADER_BURNOUT, PEER_LEADER | PAID_PEER_WORKER), (hz.RC_APPLY, 0), (hz.RC_GIVE_UP, WAIT_RC),
                    (hz.TUTOR_LEAVE, TUTOR), (hz.BUDGET_APPLY, 0), (hz.BUDGET_END, BUDGET), (hz.CARER_ASSESS, 0),
                    (hz.CARER_LAPSE, CARER_SUPPORTED), (hz.ENABLEMENT_REFERRAL, 0), (hz.ENABLEMENT_GIVE_UP, WAIT_ENABLEMENT),
                    (hz.RC_WANE, RC_GRADUATE))
BUILT_IN_EVENTS = PLACE_EVENTS + ATTRIBUTE_EVENTS
# Their positions in the tables (the kernel names them).
(E_CRISIS, E_STEP_UP, E_RECOVER, E_DIE_OTHER, E_SUICIDE, E_MOVE_AWAY, E_ENABLEMENT_MOVE_ON, E_ENABLEMENT_BREAKDOWN,
 E_RESIDENTIAL_MOVE_ON, E_RELAPSE, E_JOB_GAIN, E_JOB_LOSS, E_LEADER_RECRUIT, E_LEADER_BURNOUT, E_PAID_LEADER_BURNOUT,
 E_COLLEGE_APPLY, E_COLLEGE_GIVE_UP, E_TUTOR_LEAVE, E_BUDGET_APPLY, E_BUDGET_END, E_CARER_ASSESS, E_CARER_LAPSE,
 E_ENABLEMENT_REFERRAL, E_ENABLEMENT_GIVE_UP, E_RC_WANE) = range(len(BUILT_IN_EVENTS))
N_FACTORS = hz.N_FACTORS


def events_for(layout: Layout) -> tuple[tuple[int, int], ...]:
    """Built-in events, then each place support's (join, leave, give up), in registry order."""
    out = list(BUILT_IN_EVENTS)
    for spec in layout.supports:
        join, leave, give_up = (hz.event_id(e) for e in spec.events or ())
        out += [(join, 0), (leave, flag(spec.holds or "")), (give_up, flag(spec.waits or ""))]
    return tuple(out)


def support_event_index(layout: Layout, i: int) -> tuple[int, int, int]:
    """Positions in the tables of the i-th place support's join, leave and give-up events."""
    first = len(BUILT_IN_EVENTS) + 3 * i
    return first, first + 1, first + 2


@dataclass(frozen=True)
class RateTables:
    """Rates (per day) for every event and compartment, at the dynamic factors' value 1.

    ``base[e, p, k]``: the rate with none of the attributes that change it;
    ``mult[e, a, p, k]``: the multiplier if attribute ``a`` is held (0: holders cannot have it);
    ``relevant[e, :n_relevant[e]]``: the attributes whose multiplier is not 1 somewhere;
    ``base_factor[e, j, p, k]``: 1 where dynamic factor ``j`` multiplies the base rate;
    ``held_factor``: (event, attribute, factor, mask p x k) where holding the attribute brings a factor.
    """

    base: np.ndarray
    mult: np.ndarray
    relevant: np.ndarray
    n_relevant: np.ndarray
    base_factor: np.ndarray
    dynamic: np.ndarray
    """Events with a dynamic factor anywhere (their rates are recomputed as the factors move)."""
    held_event: np.ndarray
    held_attribute: np.ndarray
    held_factor_index: np.ndarray
    held_mask: np.ndarray

    @property
    def factor_cells(self) -> np.ndarray:
        """Where each dynamic factor multiplies a base rate, as rows (event, factor, place x cell), in the order the
        kernel multiplies them (event, then factor, then compartment): its loop visits these and nothing else."""
        rows = [(e, j, c) for e in self.dynamic.tolist() for j in range(self.base_factor.shape[1])
                for c in np.flatnonzero(self.base_factor[e, j].ravel()).tolist()]
        return np.array(rows, dtype=np.int64).reshape(-1, 3)

    @property
    def held_cells(self) -> np.ndarray:
        """Where a held attribute brings a factor, as rows (entry of ``held_event``, place x cell), in order."""
        rows = [(i, c) for i in range(self.held_mask.shape[0]) for c in np.flatnonzero(self.held_mask[i].ravel()).tolist()]
        return np.array(rows, dtype=np.int64).reshape(-1, 2)


class _Prober:
    """Rates of every event in a situation, from the rules, each situation asked once."""

    def __init__(self, rules: HazardRules):
        self.rules = rules
        self.cache: dict[tuple[int, int, int], dict[int, tuple[float, tuple[int, ...]]]] = {}

    def rate(self, place: int, flags: int, risk: int, event: int) -> tuple[float, tuple[int, ...]]:
        key = (place, flags, risk)
        found = self.cache.get(key)
        if found is None:
            found = {e: (r / DAYS_PER_YEAR, f) for e, r, f in self.rules.events(place, flags, risk)}
            self.cache[key] = found
        return found.get(event, (0.0, ()))


_PROBE_FIXED = (BUDGET_ELIGIBLE | HAS_CARER | SEVERE, BUDGET_ELIGIBLE | HAS_CARER | SEVERE | AFTER_DISCHARGE,
                BUDGET_ELIGIBLE | HAS_CARER, BUDGET_ELIGIBLE | HAS_CARER | AFTER_DISCHARGE)


def _relevant(probe: _Prober, attributes: tuple[int, ...], event: int, pre: int) -> list[int]:
    """Attributes that can change this event's rate anywhere (probed on representative people)."""
    out = []
    places = sorted(set(MODEL_PLACE))
    for a, bit in enumerate(attributes):
        if bit & pre:
            continue
        risk = 1 if bit == RAISED_RISK else 0
        if any(probe.rate(place, fixed | pre, 0, event) != probe.rate(place, fixed | pre | bit, risk, event)
               for place in places for fixed in _PROBE_FIXED):
            out.append(a)
    return out


def build_tables(rules: HazardRules, layout: Layout, relevance: list[list[int]] | None = None) -> RateTables:
    """Probe the rules for every event the flows use. ``relevance`` (the attributes that can change
    each event) is probed too unless given: it depends on the parameters only where a value is 0 or 1
    or a switch (see :func:`structure_key`)."""
    probe = _Prober(rules)
    events = events_for(layout)
    n_e, n_a = len(events), layout.n_attributes
    base = np.zeros((n_e, N_TWIN_PLACES, N_CELLS))
    mult = np.ones((n_e, n_a, N_TWIN_PLACES, N_CELLS))
    relevant = np.zeros((n_e, max(1, n_a)), dtype=np.int64)
    n_relevant = np.zeros(n_e, dtype=np.int64)
    base_factor = np.zeros((n_e, N_FACTORS, N_TWIN_PLACES, N_CELLS))
    held: dict[tuple[int, int, int], np.ndarray] = {}
    # the same situation stands for several twin places (hospital stays) and cells (window stages)
    places = sorted(set(MODEL_PLACE))
    place_rows = {mp: [p for p in range(N_TWIN_PLACES) if MODEL_PLACE[p] == mp] for mp in places}
    cell_flags_list = [cell_flags(k) for k in range(N_CELLS)]
    flag_cells: dict[int, list[int]] = {}
    for k, fl in enumerate(cell_flags_list):
        flag_cells.setdefault(fl, []).append(k)
    where = {(mp, fl): np.ix_(place_rows[mp], cells) for mp in places for fl, cells in flag_cells.items()}
    if relevance is None:
        relevance = [_relevant(probe, layout.attributes, event, pre) for event, pre in events]
    for e, (event, pre) in enumerate(events):
        rel = relevance[e]
        for mp in places:
            for fl in flag_cells:
                flags = fl | pre
                r0, f0 = probe.rate(mp, flags, 0, event)
                ix = where[mp, fl]
                base[e][ix] = r0
                for j in f0:
                    base_factor[e, j][ix] = 1.0
                if r0 == 0.0:   # no rate here for any holder to multiply: its probes would only cost time (1/6 of them)
                    continue
                for a in rel:
                    bit = layout.attributes[a]
                    r1, f1 = probe.rate(mp, flags | bit, 1 if bit == RAISED_RISK else 0, event)
                    if r0 > 0:
                        mult[e, a][ix] = r1 / r0
                    for j in f1:
                        if j not in f0:
                            held.setdefault((e, a, j), np.zeros((N_TWIN_PLACES, N_CELLS)))[ix] = 1.0
        relevant_now = sorted({a for a in rel if np.any(mult[e, a] != 1.0)} | {a for (ee, a, _) in held if ee == e})
        n_relevant[e] = len(relevant_now)
        relevant[e, :len(relevant_now)] = relevant_now
    fixed_window_crises(base[E_CRISIS], mult[E_CRISIS], relevant[E_CRISIS, :n_relevant[E_CRISIS]],
                        rules.P.crisis.after_discharge_days)
    dynamic = np.array(sorted({e for e in range(n_e) if base_factor[e].any()} | {e for (e, _, _) in held}), dtype=np.int64)
    keys = sorted(held)
    return RateTables(
        base, mult, relevant, n_relevant, base_factor, dynamic,
        np.array([k[0] for k in keys], dtype=np.int64), np.array([k[1] for k in keys], dtype=np.int64),
        np.array([k[2] for k in keys], dtype=np.int64),
        np.array([held[k] for k in keys]).reshape(len(keys), N_TWIN_PLACES, N_CELLS),
    )


def window_equivalent_rate(r_window: np.ndarray, r_outside: np.ndarray, days: float, stages: int = WINDOW_STAGES) -> np.ndarray:
    """The crisis rate in the stages of the twin's window (Erlang, ``stages`` stages, mean ``days``) that gives
    a person the same crises a day as the model's fixed window, where the rate is ``r_window`` (and
    ``r_outside`` after it): the renewal cycle crisis care -> window -> (after it) a crisis has the same mean
    length, p / r_w + (1 - p) / r_b with p = 1 - exp(-r_w T) the chance of a crisis within a fixed window.

    An Erlang-3 window gives more chances to get through it than a fixed one at the same rate
    (frequent attenders in a severe crisis: 19% against 11%), so with the model's rate a group that
    cycles through crisis care had about a fifth fewer crises in the twin. The time spent in the window
    comes out a little shorter for them instead (their suicides in it a little fewer)."""
    rw, rb = np.broadcast_arrays(np.asarray(r_window, float), np.asarray(r_outside, float))
    out = rw.copy()
    ok = (rw > 0) & (rb > 0) & (rw != rb)
    if not ok.any() or days <= 0:
        return out
    w, b = rw[ok], rb[ok]
    p = -np.expm1(-w * days)
    target = p / w + (1 - p) / b

    def cycle(r: np.ndarray) -> np.ndarray:
        q = (stages / (stages + r * days)) ** stages
        return (1 - q) / r + q / b

    lo, hi = np.log(w) - np.log(1e3), np.log(w) + np.log(1e3)
    for _ in range(60):         # the mean cycle falls as the rate rises
        mid = (lo + hi) / 2
        longer = cycle(np.exp(mid)) > target
        lo, hi = np.where(longer, mid, lo), np.where(longer, hi, mid)
    out[ok] = np.exp((lo + hi) / 2)
    return out


def fixed_window_crises(base: np.ndarray, mult: np.ndarray, relevant: np.ndarray, days: float) -> None:
    """Crisis rates in the window's stages (``base[p, k]`` and multipliers ``mult[a, p, k]`` for the attributes
    ``relevant``), in place, by :func:`window_equivalent_rate`, each kind of person (needs, sub-group, an
    attribute held) against its own rate outside the window."""
    ks = np.flatnonzero(CELL_STAGE > 0)
    k0s = ks - CELL_STAGE[ks]
    rw, rb = base[:, ks], base[:, k0s]
    # every kind at once (one bisection over all of them): the window's stages read only the rates outside it
    windows = np.stack([rw] + [rw * mult[a][:, ks] for a in relevant])
    outside = np.stack([rb] + [rb * mult[a][:, k0s] for a in relevant])
    found = window_equivalent_rate(windows, outside, days)
    new = found[0]
    for i, a in enumerate(relevant, start=1):
        kept = mult[a][:, ks]
        mult[a][:, ks] = np.divide(found[i], new, out=kept.copy(), where=new > 0)
    base[:, ks] = new


def structure_key(values: dict, open_services: dict[str, bool], risk_multiplier: float, layout: Layout) -> str:
    """What decides which attributes can change which event: the services open, the registry, and every
    parameter that is a switch, a word or exactly 0 or 1 (a multiplier of 1 or a rate of 0 hides an
    attribute's effect; any other value shows it). Parameters with other values only scale rates."""
    fixed = sorted((k, v) for k, v in values.items()
                   if isinstance(v, (bool, str)) or (isinstance(v, (int, float)) and v in (0, 1)))
    return repr((fixed, sorted(open_services.items()), risk_multiplier == 1.0, layout.attributes,
                 [s.name for s in layout.supports]))


_RELEVANCE: dict[str, list[list[int]]] = {}


def relevance_for(key: str, rules: HazardRules, layout: Layout) -> list[list[int]]:
    with _LOCK:
        found = _RELEVANCE.get(key)
    if found is None:
        probe = _Prober(rules)
        found = [_relevant(probe, layout.attributes, event, pre) for event, pre in events_for(layout)]
        with _LOCK:
            if len(_RELEVANCE) >= 64:
                _RELEVANCE.pop(next(iter(_RELEVANCE)))
            _RELEVANCE[key] = found
    return found


_CACHE: dict[str, RateTables] = {}
"""Tables by parameter values, services open, raised-risk multiplier and registry (read-only once built):
the scenarios of one comparison mostly share them."""
_CACHE_KEPT = 16
_LOCK = threading.Lock()


def tables_for(key: str, rules: HazardRules, layout: Layout, structure: str | None = None) -> RateTables:
    with _LOCK:  # the dashboard runs twins in several threads
        found = _CACHE.get(key)
    if found is None:
        found = build_tables(rules, layout, relevance_for(structure, rules, layout) if structure else None)
        with _LOCK:
            while len(_CACHE) >= _CACHE_KEPT:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = found
    return found
