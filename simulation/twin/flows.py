"""The twin's right-hand side: expected flows per day, one function per part of the model.

:func:`derivatives` reads like the model's table of contents (``simulation/model``):

=======================  ===================================================
:func:`crisis_care`      crises: home treatment, a bed in area or out of area
:func:`discharges`       end of stays: home, residential care, a tenancy
:func:`windows`          the window after crisis care and raised risk wear off
:func:`place_changes`    step-up, recovery, move-on, breakdown, relapse
:func:`exits`            deaths and moving away
:func:`arrivals`         new referrals, some in crisis
:func:`work`             jobs gained and lost
:func:`carers`           carers' assessments and their lapse
:func:`budgets`          applications, assessments, budgets granted and ended
:func:`place_supports`   every declared place support: referrals, places, lists
:func:`peer_leadership`  leaders recruited and burning out (peer support's places)
:func:`college`          Recovery College terms, graduates, tutors
:func:`enablement_list`  residents waiting for a tenancy, and tenancies filled
:func:`cohort`           the 30-month move-on of the residents at the start
:func:`areas`            person-days in every stock
=======================  ===================================================

Everything is compiled with numba: the whole right-hand side is one call,
about a hundred times faster than the same rules written as numpy
operations on arrays this small (see ``benchmarks/bench_twin.py``).

Arrays: ``N[place, cell]`` people, ``A[attribute, place, cell]`` holders of
each attribute; a flow is a vector over cells (``f``) with its holders
(``h[attribute, cell]``). Parameters are one float vector (``par``, indices
below) so that a new parameter version is a new vector, not a recompile.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..ledger import BUILT_IN_COUNTS
from ..parameters import DAYS_PER_YEAR
from .layout import (
    A_ASSESSING, A_BUDGET, A_CARER_SUPPORTED, A_EMPLOYED, A_FREQUENT, A_HEALTH_BUDGET, A_PAID_PEER_WORKER, A_PEER_LEADER, A_RAISED_RISK, A_RC_GRADUATE,
    A_RC_STUDENT, A_TUTOR, A_WAIT_ENABLEMENT, A_WAIT_RC, ACUTE_FROM_COMMUNITY, ACUTE_FROM_ENABLEMENT,
    ACUTE_FROM_RESIDENTIAL, IN_COMMUNITY, IN_ENABLEMENT, IN_HOME_TREATMENT, IN_RECOVERED, IN_RESIDENTIAL, N_CELLS,
    N_GROUP_CELLS, N_NEEDS, N_STAGES, N_TWIN_PLACES, OUT_OF_AREA_FROM_COMMUNITY, OUT_OF_AREA_FROM_ENABLEMENT,
    OUT_OF_AREA_FROM_RESIDENTIAL,
)
from .tables import (
    E_BUDGET_APPLY, E_BUDGET_END, E_CARER_ASSESS, E_CARER_LAPSE, E_COLLEGE_APPLY, E_COLLEGE_GIVE_UP, E_CRISIS, E_DIE_OTHER,
    E_ENABLEMENT_BREAKDOWN, E_ENABLEMENT_GIVE_UP, E_ENABLEMENT_MOVE_ON, E_ENABLEMENT_REFERRAL, E_JOB_GAIN, E_JOB_LOSS,
    E_LEADER_BURNOUT, E_LEADER_RECRUIT, E_MOVE_AWAY, E_PAID_LEADER_BURNOUT, E_RECOVER, E_RELAPSE, E_RESIDENTIAL_MOVE_ON,
    E_RC_WANE, E_STEP_UP, E_SUICIDE, E_TUTOR_LEAVE,
)

P_, K_ = N_TWIN_PLACES, N_CELLS
G_ = N_GROUP_CELLS
CELL_GROUP = np.array([k // (N_NEEDS * N_STAGES) for k in range(N_CELLS)], dtype=np.int64)
CELL_SEVERE = np.array([(k // N_STAGES) % N_NEEDS for k in range(N_CELLS)], dtype=np.int64)
FILL_DAYS = 30.0
"""Time over which the twin lets a waiting list take up spare places (the model fills them at once)."""

# ---------------------------------------------------------------------------
# The parameter vector
_PAR_NAMES = (
    "beds", "home_treatment_caseload", "home_treatment_open", "tenancies", "enablement_open",
    "admission_share_severe", "admission_share_moderate", "home_treatment_mean_days", "stay_mean_days",
    "discharge_to_residential_severe", "discharge_to_enablement_severe", "raised_risk_days", "window_days",
    "relapse_in_crisis_share", "referrals_per_day", "referral_in_crisis_share", "employed_share_at_arrival",
    "assessment_days", "budget_dropout", "budgets_open", "assessment_nhs_share", "assessment_council_share",
    "peer_base_places", "peer_places_per_leader", "peer_open", "college_open", "term_days", "places_per_term",
    "tutors_by_experience", "students_per_tutor", "completion_share", "graduate_peer_worker_share", "graduate_tutor_share",
    "reporting_start", "cohort_end",
    "segment_start", "zs_trained", "zs_inflow", "zs_outflow", "zs_workforce", "zs_suicide_reduction", "zs_crisis_reduction",
    "cl_trained", "cl_inflow", "cl_outflow", "cl_workforce", "cl_uptake_multiplier",
    "market_maturity", "market_per_year", "pb_effect_on_recovery", "pb_effect_on_crisis", "pb_effect_on_work",
    "health_route_share", "frequent_at_arrival",
)
PAR = {name: i for i, name in enumerate(_PAR_NAMES)}
N_PAR = len(_PAR_NAMES)
(BEDS, HT_CASELOAD, HT_OPEN, TENANCIES, ENABLEMENT_OPEN, ADMIT_SEVERE, ADMIT_MODERATE, HT_MEAN, STAY_MEAN,
 TO_RESIDENTIAL_SEVERE, TO_ENABLEMENT_SEVERE, RISK_DAYS, WINDOW_DAYS, RELAPSE_IN_CRISIS, REFERRALS_PER_DAY,
 REFERRAL_IN_CRISIS, EMPLOYED_AT_ARRIVAL, ASSESSMENT_DAYS, BUDGET_DROPOUT, BUDGETS_OPEN, ASSESS_NHS, ASSESS_COUNCIL,
 PEER_BASE, PEER_PER_LEADER, PEER_OPEN, COLLEGE_OPEN, TERM_DAYS, PLACES_PER_TERM, TUTORS, PER_TUTOR, COMPLETION,
 GRAD_PEER_SHARE, GRAD_TUTOR_SHARE, REPORTING_START, COHORT_END,
 SEGMENT_START, ZS_TRAINED, ZS_INFLOW, ZS_OUTFLOW, ZS_WORKFORCE, ZS_SUICIDE, ZS_CRISIS,
 CL_TRAINED, CL_INFLOW, CL_OUTFLOW, CL_WORKFORCE, CL_UPTAKE, MARKET, MARKET_PER_YEAR, PB_RECOVERY, PB_CRISIS,
 PB_WORK, HEALTH_ROUTE, FREQUENT_AT_ARRIVAL) = range(N_PAR)

# Counters the kernel's own rules name (built in, so their positions are fixed).
_C = {name: i for i, name in enumerate(BUILT_IN_COUNTS)}
(C_ARRIVALS, C_CRISES, C_HOME_TREATMENT, C_ADMISSIONS, C_OUT_OF_AREA, C_RESIDENTIAL_PLACEMENTS, C_RESIDENTIAL_MOVE_ONS,
 C_ENABLEMENT_ENTRIES, C_ENABLEMENT_MOVE_ONS, C_ENABLEMENT_BREAKDOWNS, C_RECOVERIES, C_RELAPSES, C_SUICIDES, C_DEATHS_OTHER,
 C_MOVED_AWAY, C_JOB_GAINS, C_JOB_LOSSES, C_DISCHARGES) = (
    _C[n] for n in ("arrivals", "crisis_episodes", "home_treatment_episodes", "acute_admissions", "out_of_area_placements",
                    "residential_placements", "residential_move_ons", "enablement_entries", "enablement_move_ons",
                    "enablement_breakdowns", "recoveries", "relapses", "suicides", "deaths_other", "moved_away",
                    "job_gains", "job_losses", "discharges"))
(C_BUDGET_APPLICATIONS, C_ASSESS_COUNCIL, C_ASSESS_NHS, C_BUDGETS_GRANTED, C_BUDGET_DROPOUTS, C_CARER_ASSESSMENTS,
 C_ENROLMENTS, C_COMPLETIONS, C_GRAD_PEER, C_GRAD_TUTOR, C_RECRUITED, C_BURNOUTS, C_COHORT_30M, C_COLLEGE_JOB_GAINS) = (
    _C[n] for n in ("budget_applications", "budget_assessments_council", "budget_assessments_nhs", "budgets_granted",
                    "budget_dropouts", "carer_assessments", "college_enrolments", "college_completions",
                    "graduate_peer_workers", "graduate_tutors", "leaders_recruited", "leader_burnouts",
                    "cohort_residential_move_ons_30m", "college_job_gains"))

# Columns of the place-support table (one row per declared place support)
S_HOLD, S_WAIT, S_JOIN, S_LEAVE, S_GIVE_UP, S_COUNTER, S_PEER = range(7)
SF_PLACES, SF_OPEN = range(2)


# ---------------------------------------------------------------------------
# Programmes (the closed form of ``Programmes.advance``; a test holds them equal)


@njit(cache=True)
def _trained(start: float, inflow: float, outflow: float, years: float) -> float:
    if outflow > 0:
        steady = inflow / outflow
        return steady + (start - steady) * np.exp(-outflow * years)
    return start + inflow * years


@njit(cache=True)
def programme_factors(t: float, par: np.ndarray) -> np.ndarray:
    """The six dynamic factors at time ``t`` (as ``Programmes.factors`` after advancing from the segment start)."""
    years = max(0.0, t - par[SEGMENT_START]) / DAYS_PER_YEAR
    zs = _trained(par[ZS_TRAINED], par[ZS_INFLOW], par[ZS_OUTFLOW], years)
    zs_cov = min(1.0, zs / par[ZS_WORKFORCE]) if par[ZS_WORKFORCE] > 0 else 0.0
    cl = _trained(par[CL_TRAINED], par[CL_INFLOW], par[CL_OUTFLOW], years)
    cl_cov = min(1.0, cl / par[CL_WORKFORCE]) if par[CL_WORKFORCE] > 0 else 0.0
    m = min(1.0, par[MARKET] + years * par[MARKET_PER_YEAR])
    fv = np.empty(6)
    fv[0] = 1.0 - par[ZS_SUICIDE] * zs_cov
    fv[1] = 1.0 - par[ZS_CRISIS] * zs_cov
    fv[2] = 1.0 + (par[CL_UPTAKE] - 1.0) * cl_cov
    fv[3] = 1.0 + (par[PB_RECOVERY] - 1.0) * m
    fv[4] = 1.0 + (par[PB_CRISIS] - 1.0) * m
    fv[5] = 1.0 + (par[PB_WORK] - 1.0) * m
    return fv


# ---------------------------------------------------------------------------
# Rates


@njit(cache=True)
def rates_now(fv, base, factor_cells, held_event, held_attr, held_factor, held_cells, slot_of):
    """Base rates with the dynamic factors' values, and the held-attribute factors per (event, attribute) slot
    (``factor_cells`` and ``held_cells``: where each factor applies, from ``RateTables``)."""
    b = base.copy()
    flat = b.reshape(-1)
    for r in range(factor_cells.shape[0]):
        e, j, c = factor_cells[r, 0], factor_cells[r, 1], factor_cells[r, 2]
        if fv[j] != 1.0:
            flat[e * P_ * K_ + c] *= fv[j]
    n_slots = 0
    for i in range(held_event.size):
        n_slots = max(n_slots, slot_of[held_event[i], held_attr[i]] + 1)
    held = np.ones((max(n_slots, 1), P_, K_))
    flat_held = held.reshape(-1)
    for r in range(held_cells.shape[0]):
        i, c = held_cells[r, 0], held_cells[r, 1]
        flat_held[slot_of[held_event[i], held_attr[i]] * P_ * K_ + c] *= fv[held_factor[i]]
    return b, held


@njit(cache=True)
def anyone_holds(present, a):
    """Someone, somewhere, holds attribute ``a`` (flows of its holders are all zero otherwise)."""
    for p in range(P_):
        if present[a, p]:
            return True
    return False


@njit(cache=True)
def can_happen(b, e):
    """Event ``e`` has a rate somewhere (a closed service's referrals have none)."""
    for p in range(P_):
        for k in range(K_):
            if b[e, p, k] != 0.0:
                return True
    return False


@njit(cache=True)
def attribute_flow(e, population, held_attr, share, b, mult, held, slot_of, relevant, n_relevant):
    """People a day (place x cell) among ``population`` for whom an attribute event happens.

    ``held_attr`` is the attribute everyone in the population holds (-1 for none): its
    multiplier applies in full rather than by its share. A multiplier of 0 for another
    attribute means its holders cannot have the event: the population excludes them already.

    Attribute by attribute over all compartments (memory order), the product of each compartment's factors
    kept in ``out`` (-1 where the event cannot happen: a product is never negative) until the last pass."""
    out = np.empty((P_, K_))
    for p in range(P_):
        for k in range(K_):
            out[p, k] = -1.0 if b[e, p, k] == 0.0 or population[p, k] <= 0.0 else 1.0
    for i in range(n_relevant[e]):
        a = relevant[e, i]
        if a == held_attr:
            continue
        s = slot_of[e, a]
        for p in range(P_):
            for k in range(K_):
                m0 = mult[e, a, p, k]
                if out[p, k] < 0.0 or m0 == 0.0:
                    continue
                m = m0 * held[s, p, k] if s >= 0 else m0
                out[p, k] *= 1.0 + (m - 1.0) * share[a, p, k]
    s_held = slot_of[e, held_attr] if held_attr >= 0 else -1
    for p in range(P_):
        for k in range(K_):
            prod = out[p, k]
            if prod < 0.0:
                out[p, k] = 0.0
                continue
            if held_attr >= 0:
                m = mult[e, held_attr, p, k]
                prod *= m * held[s_held, p, k] if s_held >= 0 else m
            out[p, k] = population[p, k] * b[e, p, k] * prod
    return out


@njit(cache=True)
def event_rates(e, p, N, A, share, b, mult, held, slot_of, relevant, n_relevant, f, hrel):
    """Like :func:`attribute_flow` for the people in place ``p``, into scratch arrays: ``f`` per cell and ``hrel[i]``
    the holders of the i-th attribute that changes the rate (holders of the others leave in proportion to their
    share). Attribute by attribute over the cells, ``f`` holding each cell's product (-1: no event there)."""
    nr = n_relevant[e]
    for k in range(K_):
        f[k] = -1.0 if b[e, p, k] == 0.0 or N[p, k] <= 0.0 else 1.0
    for i in range(nr):
        a = relevant[e, i]
        s = slot_of[e, a]
        for k in range(K_):
            if f[k] < 0.0:
                hrel[i, k] = 0.0
                continue
            m = mult[e, a, p, k] * held[s, p, k] if s >= 0 else mult[e, a, p, k]
            hrel[i, k] = 1.0 + (m - 1.0) * share[a, p, k]
            f[k] *= hrel[i, k]
    for i in range(nr):
        a = relevant[e, i]
        s = slot_of[e, a]
        for k in range(K_):
            prod = f[k]
            if prod < 0.0:
                continue
            fac = hrel[i, k]
            rest = prod / fac if fac > 0 else prod
            m = mult[e, a, p, k] * held[s, p, k] if s >= 0 else mult[e, a, p, k]
            hrel[i, k] = A[a, p, k] * b[e, p, k] * m * rest
    for k in range(K_):
        f[k] = 0.0 if f[k] < 0.0 else N[p, k] * b[e, p, k] * f[k]
    return nr


@njit(cache=True)
def _outer(a):
    """The attribute that every holder of ``a`` holds too (-1: none): a personal health budget is a budget,
    a paid peer worker a peer leader. Independence within a compartment would move them by their share."""
    if a == A_HEALTH_BUDGET:
        return A_BUDGET
    if a == A_PAID_PEER_WORKER:
        return A_PEER_LEADER
    return -1


@njit(cache=True)
def _held_in(src, present, relevant_row, nr, where):
    """The attributes someone in ``src`` holds (``where[0]``, how many returned) and where each (``where[1]``),
    or the attribute all its holders hold (``where[2]``), stands among an event's relevant ones (-1: not there):
    found once a move, not for every cell."""
    held_here, own, via = where[0], where[1], where[2]
    n_here = 0
    for a in range(present.shape[0]):
        if present[a, src]:
            held_here[n_here] = a
            n_here += 1
    own[:] = -1
    via[:] = -1
    for j in range(n_here):
        a = held_here[j]
        outer = _outer(a)
        for i in range(nr):
            if relevant_row[i] == a:
                own[a] = i
                break
            if relevant_row[i] == outer:
                via[a] = i
    return n_here


@njit(cache=True)
def move_people(dN, dA, src, dst, f, frac, hrel, relevant_row, nr, share, present, keep, into_window, where):
    """Move ``f * frac`` people a day from ``src`` to ``dst`` (-1: out of the county's books), with
    what they hold: the relevant attributes' holders from ``hrel``, the others by their share.

    Only attributes someone in ``src`` holds (``present``) are visited: the others would move nobody.
    ``where`` is scratch space (3 x attributes), kept by the caller: this runs some sixty times an evaluation."""
    n_here = _held_in(src, present, relevant_row, nr, where)
    held_here, own, via = where[0], where[1], where[2]
    for k in range(K_):
        fk = f[k] * frac[k]
        if fk == 0.0:
            continue
        dest = (k // N_STAGES) * N_STAGES + 1 if into_window else k
        dN[src, k] -= fk
        if dst >= 0:
            dN[dst, dest] += fk
    # attribute by attribute, so that each one's cells are read and written in memory order
    for j in range(n_here):
        a = held_here[j]
        mine, with_outer, outer, kept = own[a], via[a], _outer(a), keep[a]
        for k in range(K_):
            fk = f[k] * frac[k]
            if fk == 0.0:
                continue
            dest = (k // N_STAGES) * N_STAGES + 1 if into_window else k
            if mine >= 0:
                h = hrel[mine, k] * frac[k]
            elif with_outer >= 0 and share[outer, src, k] > 0.0:
                # held only with the outer attribute: its holders go as the outer's holders do
                h = hrel[with_outer, k] * frac[k] * min(1.0, share[a, src, k] / share[outer, src, k])
            else:
                h = share[a, src, k] * fk
            dA[a, src, k] -= h
            if dst >= 0:
                dA[a, dst, dest] += h * kept


# ---------------------------------------------------------------------------
# Moving people


@njit(cache=True)
def leave(dN, dA, p, f, h):
    for k in range(K_):
        dN[p, k] -= f[k]
    for a in range(dA.shape[0]):
        for k in range(K_):
            dA[a, p, k] -= h[a, k]


@njit(cache=True)
def arrive(dN, dA, p, f, h, keep, into_window):
    """Arrivals in place ``p``: attributes not kept are given up; ``into_window`` puts
    everyone at the first stage of the window after crisis care."""
    for k in range(K_):
        dest = (k // N_STAGES) * N_STAGES + 1 if into_window else k
        dN[p, dest] += f[k]
    for a in range(dA.shape[0]):
        for k in range(K_):
            dest = (k // N_STAGES) * N_STAGES + 1 if into_window else k
            dA[a, p, dest] += h[a, k] * keep[a]


@njit(cache=True)
def count(cnt, c, f):
    for k in range(K_):
        cnt[c, CELL_GROUP[k]] += f[k]


@njit(cache=True)
def count_all(cnt, c, f2):
    for p in range(P_):
        count(cnt, c, f2[p])


@njit(cache=True)
def smooth_room(used, capacity):
    """Fraction of demand a capacity can take: 1 with room to spare, 0 when full (smooth over 2% of the places)."""
    if capacity <= 0:
        return 0.0
    width = max(1.0, 0.02 * capacity)
    x = (capacity - used) / width
    x = min(50.0, max(-50.0, x))
    return 1.0 / (1.0 + np.exp(-x))


@njit(cache=True)
def erlang_b(c, a):
    """Erlang's loss formula: the chance that all ``c`` servers are busy at offered load ``a`` (any service-time
    distribution: the formula is insensitive to it)."""
    # 1/B(k) = 1 + (k/a) / B(k-1): one multiply-add a server instead of a division (3x faster; this runs at every
    # right-hand side). 1/B overflows to infinity only where B is below 1e-308: then B is 0, as it should be.
    r = 1.0 / a
    inv = 1.0
    for k in range(1, c + 1):
        inv = 1.0 + k * r * inv
    return 1.0 / inv


@njit(cache=True)
def loss_room(used, capacity):
    """Fraction of arrivals a ward of ``capacity`` beds takes, when ``used`` beds are in use on average: 1 - B(c, a),
    with the offered load ``a`` whose carried load a (1 - B) is ``used``. The simulation sends an admission out of
    area only when every bed is taken, a loss system, so this is its overflow in steady state (it measured 3.6% of
    admissions out of area at full scale; a logistic over 2% of the beds had given the twin 5.5% and more than twice
    the sensitivity to a change in demand)."""
    c = int(capacity + 0.5)
    if c <= 0:
        return 0.0
    if used <= 0.0:
        return 1.0
    if used >= c * (1.0 - 1e-9):
        return 0.0
    a = used                       # a (1 - B(c, a)) is increasing and concave in a: Newton from below converges
    for _ in range(60):
        b = erlang_b(c, a)
        g = a * (1.0 - b) - used
        slope = (1.0 - b) - a * b * (c / a - 1.0 + b)
        if slope <= 1e-12:
            break
        step = -g / slope
        a += step
        if abs(step) <= 1e-10 * a:
            break
    return 1.0 - erlang_b(c, a)


# ---------------------------------------------------------------------------
# The flows, in the order of the model's components


@njit(cache=True)
def crisis_to_care(src, f, h, par, room_ht, room_acute, dN, dA, cnt, keep_all):
    """New referrals in crisis (``f``, holding ``h``) leave ``src`` for home treatment or a bed (in area or out of area)."""
    count(cnt, C_CRISES, f)
    n_a = dA.shape[0]
    f_ht, f_ac, f_oa = np.zeros(K_), np.zeros(K_), np.zeros(K_)
    h_ht, h_ac, h_oa = np.zeros((n_a, K_)), np.zeros((n_a, K_)), np.zeros((n_a, K_))
    for k in range(K_):
        adm = par[ADMIT_SEVERE] if CELL_SEVERE[k] == 1 else par[ADMIT_MODERATE]
        to_bed = adm + (1.0 - adm) * (1.0 - room_ht) if src == IN_COMMUNITY else 1.0
        to_ht = 1.0 - to_bed
        f_ht[k] = f[k] * to_ht
        f_ac[k] = f[k] * to_bed * room_acute
        f_oa[k] = f[k] * to_bed * (1.0 - room_acute)
        for a in range(n_a):
            h_ht[a, k] = h[a, k] * to_ht
            h_ac[a, k] = h[a, k] * to_bed * room_acute
            h_oa[a, k] = h[a, k] * to_bed * (1.0 - room_acute)
    count(cnt, C_HOME_TREATMENT, f_ht)
    count(cnt, C_ADMISSIONS, f_ac + f_oa)
    count(cnt, C_OUT_OF_AREA, f_oa)
    leave(dN, dA, src, f, h)
    arrive(dN, dA, IN_HOME_TREATMENT, f_ht, h_ht, keep_all, False)
    if src == IN_COMMUNITY:
        acute, away = ACUTE_FROM_COMMUNITY, OUT_OF_AREA_FROM_COMMUNITY
    elif src == IN_RESIDENTIAL:
        acute, away = ACUTE_FROM_RESIDENTIAL, OUT_OF_AREA_FROM_RESIDENTIAL
    else:
        acute, away = ACUTE_FROM_ENABLEMENT, OUT_OF_AREA_FROM_ENABLEMENT
    arrive(dN, dA, acute, f_ac, h_ac, keep_all, False)
    arrive(dN, dA, away, f_oa, h_oa, keep_all, False)


@njit(cache=True)
def crisis_from(e, src, home, scale, S, dN, dA, cnt, par, rooms, f, hrel):
    """People with event ``e`` in ``src`` (times ``scale``) go into crisis care: home treatment (from
    the community, unless admission is needed or the team is full), else a bed in area or out of area,
    returning afterwards to ``home``."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    nr = event_rates(e, src, N, A, share, b, mult, held, slot_of, relevant, n_relevant, f, hrel)
    room_ht, room_acute = rooms[0], rooms[1]
    to_ht, to_acute, to_away = np.zeros(K_), np.zeros(K_), np.zeros(K_)
    for k in range(K_):
        adm = par[ADMIT_SEVERE] if CELL_SEVERE[k] == 1 else par[ADMIT_MODERATE]
        to_bed = adm + (1.0 - adm) * (1.0 - room_ht) if home == IN_COMMUNITY else 1.0
        to_ht[k] = scale * (1.0 - to_bed)
        to_acute[k] = scale * to_bed * room_acute
        to_away[k] = scale * to_bed * (1.0 - room_acute)
    count(cnt, C_CRISES, f * scale)
    count(cnt, C_HOME_TREATMENT, f * to_ht)
    count(cnt, C_ADMISSIONS, f * (to_acute + to_away))
    count(cnt, C_OUT_OF_AREA, f * to_away)
    if home == IN_COMMUNITY:
        acute, away = ACUTE_FROM_COMMUNITY, OUT_OF_AREA_FROM_COMMUNITY
    elif home == IN_RESIDENTIAL:
        acute, away = ACUTE_FROM_RESIDENTIAL, OUT_OF_AREA_FROM_RESIDENTIAL
    else:
        acute, away = ACUTE_FROM_ENABLEMENT, OUT_OF_AREA_FROM_ENABLEMENT
    row = relevant[e]
    move_people(dN, dA, src, IN_HOME_TREATMENT, f, to_ht, hrel, row, nr, share, present, keep_all, False, where)
    move_people(dN, dA, src, acute, f, to_acute, hrel, row, nr, share, present, keep_all, False, where)
    move_people(dN, dA, src, away, f, to_away, hrel, row, nr, share, present, keep_all, False, where)
    return nr


@njit(cache=True)
def crisis_care(S, dN, dA, cnt, par, rooms, f, hrel):
    """Crises in the community, in residential care and in tenancies."""
    for src in (IN_COMMUNITY, IN_ENABLEMENT, IN_RESIDENTIAL):
        crisis_from(E_CRISIS, src, src, 1.0, S, dN, dA, cnt, par, rooms, f, hrel)


@njit(cache=True)
def discharges(S, dN, dA, cnt, par, rooms, keep_res, f, hrel):
    """End of home treatment and of admissions: back home, or (severe, from the community)
    to residential care or a tenancy; everyone enters the window after crisis care.
    Returns the tenancies taken a day (they free no place for the list)."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    room_ena = rooms[2]
    row = relevant[0]
    ones = np.ones(K_)
    for k in range(K_):
        f[k] = N[IN_HOME_TREATMENT, k] / par[HT_MEAN]
    count(cnt, C_DISCHARGES, f)
    move_people(dN, dA, IN_HOME_TREATMENT, IN_COMMUNITY, f, ones, hrel, row, 0, share, present, keep_all, True, where)
    tenancies_taken = 0.0
    to_comm, to_ena, to_res = np.zeros(K_), np.zeros(K_), np.zeros(K_)
    for stay in (ACUTE_FROM_COMMUNITY, ACUTE_FROM_RESIDENTIAL, ACUTE_FROM_ENABLEMENT,
                 OUT_OF_AREA_FROM_COMMUNITY, OUT_OF_AREA_FROM_RESIDENTIAL, OUT_OF_AREA_FROM_ENABLEMENT):
        for k in range(K_):
            f[k] = N[stay, k] / par[STAY_MEAN]
        count(cnt, C_DISCHARGES, f)
        if stay == ACUTE_FROM_RESIDENTIAL or stay == OUT_OF_AREA_FROM_RESIDENTIAL:
            move_people(dN, dA, stay, IN_RESIDENTIAL, f, ones, hrel, row, 0, share, present, keep_all, True, where)
            continue
        if stay == ACUTE_FROM_ENABLEMENT or stay == OUT_OF_AREA_FROM_ENABLEMENT:
            move_people(dN, dA, stay, IN_ENABLEMENT, f, ones, hrel, row, 0, share, present, keep_all, True, where)
            continue
        for k in range(K_):
            severe = CELL_SEVERE[k] == 1
            res = par[TO_RESIDENTIAL_SEVERE] if severe else 0.0
            ena_referred = par[TO_ENABLEMENT_SEVERE] if severe else 0.0
            to_comm[k] = 1.0 - res - ena_referred
            to_ena[k] = ena_referred * room_ena
            to_res[k] = res + ena_referred * (1.0 - room_ena)
            dA[A_WAIT_ENABLEMENT, IN_RESIDENTIAL, (k // N_STAGES) * N_STAGES + 1] += (
                f[k] * ena_referred * (1.0 - room_ena) * par[ENABLEMENT_OPEN])
        move_people(dN, dA, stay, IN_COMMUNITY, f, to_comm, hrel, row, 0, share, present, keep_all, True, where)
        move_people(dN, dA, stay, IN_ENABLEMENT, f, to_ena, hrel, row, 0, share, present, keep_all, True, where)
        move_people(dN, dA, stay, IN_RESIDENTIAL, f, to_res, hrel, row, 0, share, present, keep_res, True, where)
        tenancies_taken += (f * to_ena).sum()
        count(cnt, C_ENABLEMENT_ENTRIES, f * to_ena)
        count(cnt, C_RESIDENTIAL_PLACEMENTS, f * to_res)
    return tenancies_taken


@njit(cache=True)
def windows(N, A, present, dN, dA, par):
    """Raised risk after losing a support wears off; the window after crisis care moves on a stage."""
    if par[RISK_DAYS] > 0:
        for p in range(P_):
            for k in range(K_):
                dA[A_RAISED_RISK, p, k] -= A[A_RAISED_RISK, p, k] / par[RISK_DAYS]
    step = (N_STAGES - 1) / par[WINDOW_DAYS]
    n_a = A.shape[0]
    for p in range(P_):
        for k in range(K_):
            stage = k % N_STAGES
            if stage == 0:
                continue
            nxt = k + 1 if stage < N_STAGES - 1 else k - stage
            fw = N[p, k] * step
            dN[p, k] -= fw
            dN[p, nxt] += fw
    for a in range(n_a):
        for p in range(P_):
            if not present[a, p]:
                continue
            for k in range(K_):
                stage = k % N_STAGES
                if stage == 0:
                    continue
                nxt = k + 1 if stage < N_STAGES - 1 else k - stage
                hw = A[a, p, k] * step
                dA[a, p, k] -= hw
                dA[a, p, nxt] += hw


@njit(cache=True)
def _change_place(e, src, dst, keep, c, S, dN, dA, cnt, f, hrel, ones):
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    nr = event_rates(e, src, N, A, share, b, mult, held, slot_of, relevant, n_relevant, f, hrel)
    count(cnt, c, f)
    move_people(dN, dA, src, dst, f, ones, hrel, relevant[e], nr, share, present, keep, False, where)
    return f.sum()


@njit(cache=True)
def place_changes(S, dN, dA, cnt, par, rooms, keep_res, keep_recovered, keep_moving_on, f, hrel):
    """Step-up, recovery, moves on from a tenancy or residential care, breakdown, relapse.
    Returns the tenancies freed and the residents moving on (a day)."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    ones = np.ones(K_)
    _change_place(E_STEP_UP, IN_COMMUNITY, IN_RESIDENTIAL, keep_res, C_RESIDENTIAL_PLACEMENTS, S, dN, dA, cnt, f, hrel, ones)
    _change_place(E_RECOVER, IN_COMMUNITY, IN_RECOVERED, keep_recovered, C_RECOVERIES, S, dN, dA, cnt, f, hrel, ones)
    freed = _change_place(E_ENABLEMENT_MOVE_ON, IN_ENABLEMENT, IN_COMMUNITY, keep_all, C_ENABLEMENT_MOVE_ONS, S, dN, dA,
                          cnt, f, hrel, ones)
    broke = _change_place(E_ENABLEMENT_BREAKDOWN, IN_ENABLEMENT, IN_RESIDENTIAL, keep_res, C_ENABLEMENT_BREAKDOWNS, S, dN,
                          dA, cnt, f, hrel, ones)
    count(cnt, C_RESIDENTIAL_PLACEMENTS, f)
    moved_on = _change_place(E_RESIDENTIAL_MOVE_ON, IN_RESIDENTIAL, IN_COMMUNITY, keep_moving_on, C_RESIDENTIAL_MOVE_ONS, S,
                             dN, dA, cnt, f, hrel, ones)
    # relapse: back to the community, some straight on to crisis care
    cs = par[RELAPSE_IN_CRISIS]
    nr = event_rates(E_RELAPSE, IN_RECOVERED, N, A, share, b, mult, held, slot_of, relevant, n_relevant, f, hrel)
    count(cnt, C_RELAPSES, f)
    move_people(dN, dA, IN_RECOVERED, IN_COMMUNITY, f, ones * (1.0 - cs), hrel, relevant[E_RELAPSE], nr, share, present, keep_all, False, where)
    crisis_from(E_RELAPSE, IN_RECOVERED, IN_COMMUNITY, cs, S, dN, dA, cnt, par, rooms, f, hrel)
    return freed + broke, moved_on


@njit(cache=True)
def exits(S, dN, dA, cnt, f, hrel):
    """Deaths and moving away, from every place. Returns (tenancies freed, residents leaving) a day."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    freed, residents = 0.0, 0.0
    ones = np.ones(K_)
    for e in (E_DIE_OTHER, E_SUICIDE, E_MOVE_AWAY):
        c = C_DEATHS_OTHER if e == E_DIE_OTHER else (C_SUICIDES if e == E_SUICIDE else C_MOVED_AWAY)
        for p in range(P_):
            gone = _change_place(e, p, -1, keep_all, c, S, dN, dA, cnt, f, hrel, ones)
            if p == IN_ENABLEMENT or p == ACUTE_FROM_ENABLEMENT or p == OUT_OF_AREA_FROM_ENABLEMENT:
                freed += gone
            if p == IN_RESIDENTIAL:
                residents += gone
    return freed, residents


@njit(cache=True)
def arrivals(dN, dA, cnt, par, mix, rooms, keep_all):
    """New referrals by sub-group and needs (some in work), some straight into crisis care."""
    n_a = dA.shape[0]
    arr = mix * par[REFERRALS_PER_DAY]
    count(cnt, C_ARRIVALS, arr)
    h = np.zeros((n_a, K_))
    h[A_EMPLOYED] = arr * par[EMPLOYED_AT_ARRIVAL]
    h[A_FREQUENT] = arr * par[FREQUENT_AT_ARRIVAL]
    arrive(dN, dA, IN_COMMUNITY, arr, h, keep_all, False)
    ic = par[REFERRAL_IN_CRISIS]
    crisis_to_care(IN_COMMUNITY, arr * ic, h * ic, par, rooms[0], rooms[1], dN, dA, cnt, keep_all)


@njit(cache=True)
def work(S, dA, cnt):
    """Jobs gained and lost (paid peer workers and tutors keep theirs while in the role)."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    paid = A[A_PAID_PEER_WORKER] + A[A_TUTOR]
    gain = attribute_flow(E_JOB_GAIN, N - A[A_EMPLOYED], -1, share, b, mult, held, slot_of, relevant, n_relevant)
    loss = attribute_flow(E_JOB_LOSS, np.maximum(A[A_EMPLOYED] - paid, 0.0), A_EMPLOYED, share, b, mult, held, slot_of,
                          relevant, n_relevant)
    dA[A_EMPLOYED] += gain - loss
    count_all(cnt, C_JOB_GAINS, gain)
    count_all(cnt, C_JOB_LOSSES, loss)
    # of them, Recovery College students and graduates (S11's "returned to work"): each at its own rate,
    # out of work as often as anyone in their compartment
    out_of_work = 1.0 - share[A_EMPLOYED]
    for a in (A_RC_STUDENT, A_RC_GRADUATE):
        if anyone_holds(present, a):
            count_all(cnt, C_COLLEGE_JOB_GAINS, attribute_flow(E_JOB_GAIN, A[a] * out_of_work, a, share, b, mult, held,
                                                               slot_of, relevant, n_relevant))


@njit(cache=True)
def carers(S, dA, cnt):
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    assess = attribute_flow(E_CARER_ASSESS, N - A[A_CARER_SUPPORTED], -1, share, b, mult, held, slot_of, relevant, n_relevant)
    lapse = attribute_flow(E_CARER_LAPSE, A[A_CARER_SUPPORTED], A_CARER_SUPPORTED, share, b, mult, held, slot_of, relevant,
                           n_relevant)
    dA[A_CARER_SUPPORTED] += assess - lapse
    count_all(cnt, C_CARER_ASSESSMENTS, assess)


@njit(cache=True)
def budgets(S, dA, cnt, par, nhs_route):
    """Applications, the assessment (an exponential delay with the model's mean), grants and dropouts, ends.
    ``nhs_route`` is the share of assessments under way on the NHS route: their budgets are personal
    health budgets (the model's ``budget_route``). Returns the applications a day."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    apply = attribute_flow(E_BUDGET_APPLY, _without(N, A, A_BUDGET, A_ASSESSING), -1, share, b, mult, held, slot_of,
                           relevant, n_relevant)
    ended = attribute_flow(E_BUDGET_END, A[A_BUDGET], A_BUDGET, share, b, mult, held, slot_of, relevant, n_relevant)
    ended_health = attribute_flow(E_BUDGET_END, A[A_HEALTH_BUDGET], A_BUDGET, share, b, mult, held, slot_of, relevant,
                                  n_relevant)
    done, granted = np.empty((P_, K_)), np.empty((P_, K_))
    kept = 1.0 - par[BUDGET_DROPOUT]
    for p in range(P_):       # no budget is granted in residential care or after recovery
        for k in range(K_):
            d = A[A_ASSESSING, p, k] / par[ASSESSMENT_DAYS]
            g = 0.0 if p == IN_RESIDENTIAL or p == IN_RECOVERED else d * kept * par[BUDGETS_OPEN]
            done[p, k], granted[p, k] = d, g
            dA[A_ASSESSING, p, k] += apply[p, k] - d
            dA[A_BUDGET, p, k] += g - ended[p, k]
            dA[A_HEALTH_BUDGET, p, k] += g * nhs_route - ended_health[p, k]
    count_all(cnt, C_BUDGET_APPLICATIONS, apply)
    count_all(cnt, C_BUDGETS_GRANTED, granted)
    count_all(cnt, C_BUDGET_DROPOUTS, done - granted)
    count_all(cnt, C_ASSESS_NHS, apply * par[ASSESS_NHS])
    count_all(cnt, C_ASSESS_COUNCIL, apply * par[ASSESS_COUNCIL])
    return apply.sum()


@njit(cache=True)
def waiting_list(A, dA, hold, wait, capacity, is_open, join, quits):
    """Joiners take a place while there is room, else wait; places freed go to those waiting."""
    used = A[hold].sum()
    room = smooth_room(used, capacity) if is_open else 0.0
    for p in range(P_):       # loops, not array expressions: no temporaries, the same arithmetic
        for k in range(K_):
            dA[hold, p, k] += join[p, k] * room
            dA[wait, p, k] += join[p, k] * (1.0 - room) - quits[p, k]
    waiting = A[wait].sum()
    if waiting > 1e-12 and is_open:
        freed = max(0.0, -dA[hold].sum())          # places given up a day, for any reason
        spare = max(0.0, capacity - used) / FILL_DAYS
        take = min(waiting / FILL_DAYS, freed + spare)
        for p in range(P_):
            for k in range(K_):
                moved = A[wait, p, k] / waiting * take
                dA[hold, p, k] += moved
                dA[wait, p, k] -= moved


@njit(cache=True)
def peer_leadership(S, dA, cnt, hold, paid_burnout):
    """Members doing well step up to lead (freeing a member place); leaders burn out, paid ones
    losing their job. Leaders add places (see :func:`place_supports`)."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    recruit = attribute_flow(E_LEADER_RECRUIT, A[hold], hold, share, b, mult, held, slot_of, relevant, n_relevant)
    burn = attribute_flow(E_LEADER_BURNOUT, np.maximum(A[A_PEER_LEADER] - A[A_PAID_PEER_WORKER], 0.0), A_PEER_LEADER,
                          share, b, mult, held, slot_of, relevant, n_relevant)
    burn_paid = A[A_PAID_PEER_WORKER] * paid_burnout
    dA[hold] -= recruit
    dA[A_PEER_LEADER] += recruit - burn - burn_paid
    dA[A_PAID_PEER_WORKER] -= burn_paid
    dA[A_EMPLOYED] -= burn_paid
    count_all(cnt, C_RECRUITED, recruit)
    count_all(cnt, C_BURNOUTS, burn + burn_paid)


@njit(cache=True)
def _without(N, A, a1, a2):
    """The people in each compartment holding neither attribute ``a1`` nor ``a2`` (N - A[a1] - A[a2])."""
    out = np.empty((P_, K_))
    for p in range(P_):
        for k in range(K_):
            out[p, k] = N[p, k] - A[a1, p, k] - A[a2, p, k]
    return out


@njit(cache=True)
def _eligible(N, A, hold, wait, excluded):
    """Those who could be referred to a place support: neither in it, nor waiting, nor in a support it excludes."""
    out = _without(N, A, hold, wait)
    for a in range(A.shape[0]):
        if excluded[a] != 0.0:
            for p in range(P_):
                for k in range(K_):
                    out[p, k] = out[p, k] - A[a, p, k]
    return out


@njit(cache=True)
def place_supports(S, dA, cnt, par, sup, sup_f, excluded, paid_burnout):
    """Every declared place support: referrals (a place or its list), leaving, giving up waiting."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    for s in range(sup.shape[0]):
        hold, wait = sup[s, S_HOLD], sup[s, S_WAIT]
        if not (anyone_holds(present, hold) or anyone_holds(present, wait) or can_happen(b, sup[s, S_JOIN])
                or (sup[s, S_PEER] and anyone_holds(present, A_PEER_LEADER))):
            continue      # nobody holds a place, waits for one or is referred: nothing happens (a closed service)
        is_open = sup_f[s, SF_OPEN] > 0
        capacity = sup_f[s, SF_PLACES]
        if sup[s, S_PEER]:
            capacity = (par[PEER_BASE] + par[PEER_PER_LEADER] * A[A_PEER_LEADER].sum()) if is_open else 0.0
        eligible = _eligible(N, A, hold, wait, excluded[s])
        join = attribute_flow(sup[s, S_JOIN], eligible, -1, share, b, mult, held, slot_of, relevant, n_relevant)
        count_all(cnt, sup[s, S_COUNTER], join)
        dA[hold] -= attribute_flow(sup[s, S_LEAVE], A[hold], hold, share, b, mult, held, slot_of, relevant, n_relevant)
        if sup[s, S_PEER]:
            peer_leadership(S, dA, cnt, hold, paid_burnout)
        quits = attribute_flow(sup[s, S_GIVE_UP], A[wait], wait, share, b, mult, held, slot_of, relevant, n_relevant)
        waiting_list(A, dA, hold, wait, capacity, is_open, join, quits)


@njit(cache=True)
def college(S, dA, cnt, par, peer_open):
    """Applications, a term's seats (places, limited by tutors), completions, graduates' paid roles."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    # each part runs only if someone can be in it: a closed college with no students costs nothing here
    in_community = np.zeros((P_, K_))
    in_community[IN_COMMUNITY] = 1.0
    in_community[IN_ENABLEMENT] = 1.0
    if can_happen(b, E_COLLEGE_APPLY) or anyone_holds(present, A_WAIT_RC):
        applying = attribute_flow(E_COLLEGE_APPLY, (N - A[A_WAIT_RC] - A[A_RC_STUDENT] - A[A_RC_GRADUATE]) * in_community,
                                  -1, share, b, mult, held, slot_of, relevant, n_relevant)
        dA[A_WAIT_RC] += applying - attribute_flow(E_COLLEGE_GIVE_UP, A[A_WAIT_RC], A_WAIT_RC, share, b, mult, held,
                                                   slot_of, relevant, n_relevant)
    term = par[TERM_DAYS]
    waiting = A[A_WAIT_RC].sum()
    if par[COLLEGE_OPEN] > 0 and waiting > 1e-12:
        seats = min(par[PLACES_PER_TERM], (par[TUTORS] + A[A_TUTOR].sum()) * par[PER_TUTOR])
        # the model enrols at each term's start: an applicant waits for the next one, half a term on average (and
        # a whole term more when a term's seats are full), giving up meanwhile at their rate; taking the list up
        # over FILL_DAYS instead let 1.6% fewer give up, and the twin's college enrolled 2% more
        enrol = A[A_WAIT_RC] / waiting * min(seats / term, waiting / (term / 2))
        dA[A_WAIT_RC] -= enrol
        dA[A_RC_STUDENT] += enrol
        count_all(cnt, C_ENROLMENTS, enrol)
    if anyone_holds(present, A_RC_STUDENT):
        finish = A[A_RC_STUDENT] / term
        complete = finish * par[COMPLETION]
        dA[A_RC_STUDENT] -= finish
        dA[A_RC_GRADUATE] += complete
        count_all(cnt, C_COMPLETIONS, complete)
        roles = complete * in_community
        to_peer = roles * par[GRAD_PEER_SHARE] * peer_open
        to_tutor = roles * par[GRAD_TUTOR_SHARE]
        dA[A_PEER_LEADER] += to_peer
        dA[A_PAID_PEER_WORKER] += to_peer
        dA[A_TUTOR] += to_tutor
        dA[A_EMPLOYED] += (to_peer + to_tutor) * (1.0 - share[A_EMPLOYED])
        count_all(cnt, C_GRAD_PEER, to_peer)
        count_all(cnt, C_GRAD_TUTOR, to_tutor)
    if anyone_holds(present, A_TUTOR):
        quits = attribute_flow(E_TUTOR_LEAVE, A[A_TUTOR], A_TUTOR, share, b, mult, held, slot_of, relevant, n_relevant)
        dA[A_TUTOR] -= quits
        dA[A_EMPLOYED] -= quits
    if anyone_holds(present, A_RC_GRADUATE):
        # what a course gave wears off: no longer a graduate (and free to enrol again)
        dA[A_RC_GRADUATE] -= attribute_flow(E_RC_WANE, A[A_RC_GRADUATE], A_RC_GRADUATE, share, b, mult, held, slot_of,
                                            relevant, n_relevant)


@njit(cache=True)
def enablement_list(S, dN, dA, cnt, par, freed, ena_occupied, keep_list):
    """Residents referred to the enablement list (and giving up); tenancies freed or spare go to them.
    Returns the residents moving into a tenancy a day."""
    N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where = S
    dA[A_WAIT_ENABLEMENT] += (attribute_flow(E_ENABLEMENT_REFERRAL, N - A[A_WAIT_ENABLEMENT], -1, share, b, mult, held, slot_of,
                                             relevant, n_relevant)
                              - attribute_flow(E_ENABLEMENT_GIVE_UP, A[A_WAIT_ENABLEMENT], A_WAIT_ENABLEMENT, share, b,
                                               mult, held, slot_of, relevant, n_relevant))
    waiting = A[A_WAIT_ENABLEMENT, IN_RESIDENTIAL]
    total = waiting.sum()
    if total <= 1e-12 or par[ENABLEMENT_OPEN] <= 0:
        return 0.0
    spare = max(0.0, par[TENANCIES] - ena_occupied) / FILL_DAYS
    fill = min(total / FILL_DAYS, max(0.0, freed) + spare)
    per = waiting / total * fill
    frac = np.zeros(K_)
    for k in range(K_):
        if N[IN_RESIDENTIAL, k] > 1e-12:
            frac[k] = per[k] / N[IN_RESIDENTIAL, k]
    h = A[:, IN_RESIDENTIAL] * frac
    h[A_WAIT_ENABLEMENT] = per
    count(cnt, C_ENABLEMENT_ENTRIES, per)
    count(cnt, C_RESIDENTIAL_MOVE_ONS, per)
    leave(dN, dA, IN_RESIDENTIAL, per, h)
    arrive(dN, dA, IN_ENABLEMENT, per, h, keep_list, False)
    return fill


@njit(cache=True)
def cohort(t, y_cohort, N, cnt, par, moved_on, left):
    """The residents at the start of reporting leave residential care at its per-person rates;
    their moves on within 30 months are a calibration target."""
    residents = N[IN_RESIDENTIAL].sum()
    if residents <= 0:
        return 0.0
    share = min(1.0, max(y_cohort, 0.0) / residents)
    if par[REPORTING_START] <= t <= par[COHORT_END]:
        cnt[C_COHORT_30M, 0] += share * moved_on
    return -share * (moved_on + left)


@njit(cache=True)
def stock_levels(y, n_people, ptr, idx, val, out):
    """Every stock's level per sub-group in a snapshot (the stock matrix times (N, A), each clipped as the
    kernel clips it: N at 0, A between 0 and its compartment's N), without building (N, A)."""
    for r in range(ptr.size - 1):
        acc = 0.0
        for j in range(ptr[r], ptr[r + 1]):
            c = idx[j]
            x = max(y[c], 0.0)
            if c >= n_people:
                x = min(x, max(y[(c - n_people) % n_people], 0.0))
            acc += val[j] * x
        out[r] = acc


@njit(cache=True)
def areas(y, n_people_attrs, ptr, idx, val, open_levels, out):
    """Person-days: every stock's level per sub-group (a sparse matrix times (N, A)), plus services open."""
    for r in range(ptr.size - 1):
        acc = open_levels[r]
        for j in range(ptr[r], ptr[r + 1]):
            acc += val[j] * max(y[idx[j]], 0.0)
        out[r] = acc


# ---------------------------------------------------------------------------


@njit(cache=True)
def derivatives(t, y, par, mix, base, mult, relevant, n_relevant, factor_cells, held_event, held_attr, held_factor,
                held_cells, slot_of, sup, sup_f, excluded, keep, ptr, idx, val, open_levels, n_counters):
    """Rates of change of every stock, counter and area at time ``t``."""
    dy = np.empty_like(y)
    derivatives_into(dy, t, y, par, mix, base, mult, relevant, n_relevant, factor_cells, held_event, held_attr,
                     held_factor, held_cells, slot_of, sup, sup_f, excluded, keep, ptr, idx, val, open_levels, n_counters)
    return dy


@njit(cache=True)
def derivatives_into(dy, t, y, par, mix, base, mult, relevant, n_relevant, factor_cells, held_event, held_attr,
                     held_factor, held_cells, slot_of, sup, sup_f, excluded, keep, ptr, idx, val, open_levels, n_counters):
    """:func:`derivatives` written into ``dy`` (the integrator's own stage array: no copy of some 8,000 numbers)."""
    n_a = mult.shape[1]
    n_p = P_ * K_
    o_a = n_p
    o_c = o_a + n_a * n_p
    o_ar = o_c + n_counters * G_
    o_co = o_ar + open_levels.size
    dy[:] = 0.0
    dN = dy[:n_p].reshape(P_, K_)                   # views: the flows add straight into dy
    dA = dy[o_a:o_c].reshape(n_a, P_, K_)
    cnt = dy[o_c:o_ar].reshape(n_counters, G_)
    N = np.maximum(y[:n_p], 0.0).reshape(P_, K_)
    A = np.empty((n_a, P_, K_))
    share = np.zeros((n_a, P_, K_))
    present = np.zeros((n_a, P_), dtype=np.bool_)     # someone in the place holds the attribute
    for a in range(n_a):
        for p in range(P_):
            for k in range(K_):
                n = N[p, k]
                v = min(max(y[o_a + (a * P_ + p) * K_ + k], 0.0), n)
                A[a, p, k] = v
                if v != 0.0:
                    present[a, p] = True
                    if n > 1e-12:
                        share[a, p, k] = v / n
    fv = programme_factors(t, par)
    b, held = rates_now(fv, base, factor_cells, held_event, held_attr, held_factor, held_cells, slot_of)
    keep_all, keep_res, keep_recovered, keep_moving_on, keep_list = keep[0], keep[1], keep[2], keep[3], keep[4]
    where = np.empty((3, n_a), dtype=np.int64)
    S = (N, A, share, b, mult, held, slot_of, relevant, n_relevant, keep_all, present, where)

    # occupancy and room (smooth capacity limits)
    acute = N[ACUTE_FROM_COMMUNITY].sum() + N[ACUTE_FROM_RESIDENTIAL].sum() + N[ACUTE_FROM_ENABLEMENT].sum()
    ena_occupied = N[IN_ENABLEMENT].sum() + N[ACUTE_FROM_ENABLEMENT].sum() + N[OUT_OF_AREA_FROM_ENABLEMENT].sum()
    rooms = np.empty(3)
    # home treatment too is a loss system: a crisis finding the caseload full is admitted instead (Crisis.on_crisis)
    rooms[0] = loss_room(N[IN_HOME_TREATMENT].sum(), par[HT_CASELOAD]) if par[HT_OPEN] > 0 else 0.0
    rooms[1] = loss_room(acute, par[BEDS])
    # a tenancy is free to someone discharged from hospital only when nobody in residential care is waiting for one
    # (the simulation gives a freed tenancy to the list at once): the list claims tenancies before the ward does
    rooms[2] = (smooth_room(ena_occupied + 1.0 + A[A_WAIT_ENABLEMENT, IN_RESIDENTIAL].sum(), par[TENANCIES])
                if par[ENABLEMENT_OPEN] > 0 else 0.0)

    f = np.zeros(K_)
    hrel = np.zeros((max(n_a, 1), K_))
    crisis_care(S, dN, dA, cnt, par, rooms, f, hrel)
    tenancies_taken = discharges(S, dN, dA, cnt, par, rooms, keep_res, f, hrel)
    windows(N, A, present, dN, dA, par)
    freed, moved_on = place_changes(S, dN, dA, cnt, par, rooms, keep_res, keep_recovered, keep_moving_on, f, hrel)
    freed_by_exits, residents_left = exits(S, dN, dA, cnt, f, hrel)
    arrivals(dN, dA, cnt, par, mix, rooms, keep_all)
    work(S, dA, cnt)
    carers(S, dA, cnt)
    assessing = A[A_ASSESSING].sum()
    nhs_route = min(1.0, max(y[o_co + 1], 0.0) / assessing) if assessing > 1e-12 else par[HEALTH_ROUTE]
    applied = budgets(S, dA, cnt, par, nhs_route)
    paid_burnout = b[E_PAID_LEADER_BURNOUT]
    place_supports(S, dA, cnt, par, sup, sup_f, excluded, paid_burnout)
    college(S, dA, cnt, par, par[PEER_OPEN])
    filled = enablement_list(S, dN, dA, cnt, par, freed + freed_by_exits - tenancies_taken, ena_occupied, keep_list)
    d_cohort = cohort(t, y[o_co], N, cnt, par, moved_on + filled, residents_left)

    areas(y, n_p * (1 + n_a), ptr, idx, val, open_levels, dy[o_ar:o_co])
    dy[o_co] = d_cohort
    # assessments on the NHS route: new ones at its share; all leave (granted, dropped out, given up) at the same rate
    dy[o_co + 1] = applied * par[HEALTH_ROUTE] - nhs_route * (applied - dA[A_ASSESSING].sum())
