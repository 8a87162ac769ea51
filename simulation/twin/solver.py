"""Integrating the twin: an adaptive explicit Runge-Kutta pair, compiled, for one or more arms at once.

The same methods as SciPy's ``solve_ivp(method="RK45")`` and ``"RK23"`` (their
coefficients are taken from SciPy, and the step control and error norm are the same), but the
whole loop runs compiled: a Python step costs more than the right-hand side
here, and SciPy's error norm calls BLAS, whose threads spin on a loaded
machine. Several arms (the scenarios of a comparison) are integrated as one
system, so they share every step and their paired differences carry no
integration error of their own (``docs/twin.md``).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numba
import numpy as np
from numba import njit
from numba.core.dispatcher import Dispatcher
from numba.typed import List
from scipy.integrate._ivp.rk import RK23, RK45

from .flows import derivatives_into

TABLEAUS = {
    name: tuple(np.asarray(getattr(cls, k), dtype=np.float64) for k in ("C", "A", "B", "E", "P")) + (float(cls.error_estimator_order),)
    for name, cls in (("RK45", RK45), ("RK23", RK23))
}
"""SciPy's explicit Runge-Kutta pairs: Dormand-Prince 5(4) and Bogacki-Shampine 3(2), with their dense output."""
SAFETY, MIN_FACTOR, MAX_FACTOR = 0.9, 0.2, 10.0


@njit(cache=True)
def _rhs_into(t, y, arms, cuts, out):
    """Every arm's right-hand side, each written into its own part of ``out``."""
    for i in range(len(arms)):
        a = arms[i]
        derivatives_into(out[cuts[i]:cuts[i + 1]], t, y[cuts[i]:cuts[i + 1]], a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                         a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20])


@njit(cache=True)
def _rhs(t, y, arms, cuts):
    out = np.empty_like(y)
    _rhs_into(t, y, arms, cuts, out)
    return out


@njit(cache=True)
def _rms(x):
    return np.sqrt(np.mean(x * x))


@njit(cache=True)
def _first_step(t0, y0, f0, arms, cuts, rtol, atol, max_step, order):
    """SciPy's initial step (Hairer, Norsett & Wanner, II.4)."""
    scale = atol + np.abs(y0) * rtol
    d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h0 = min(h0, max_step)
    f1 = _rhs(t0 + h0, y0 + h0 * f0, arms, cuts)
    d2 = _rms((f1 - f0) / scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / (order + 1.0))
    return min(100 * h0, h1, max_step)


@njit(cache=True)
def _weighted(weights, K, stages, acc):
    """``acc = sum_j weights[j] K[j]`` over the first ``stages`` rows, a row at a time (the compiler can
    vectorise the inner loop), each element's terms added in the same order as NumPy's (zero weights skipped)."""
    acc[:] = 0.0
    for j in range(stages):
        w = weights[j]
        if w != 0.0:
            row = K[j]
            for i in range(acc.size):
                acc[i] += w * row[i]


@njit(cache=True)
def _advance(y, h, weights, K, stages, out, acc):
    """``out = y + h * sum_j weights[j] K[j]`` over the first ``stages`` rows, without temporaries (``acc`` is
    scratch space)."""
    _weighted(weights, K, stages, acc)
    for i in range(y.size):
        out[i] = y[i] + h * acc[i]


@njit(cache=True)
def _error_norm(y, y_new, h, E, K, rtol, atol, acc):
    """SciPy's error norm: the root mean square of the error estimate over each component's tolerance."""
    acc[:] = 0.0
    for j in range(E.size):      # every weight, zero or not, as before
        w = E[j]
        row = K[j]
        for i in range(acc.size):
            acc[i] += w * row[i]
    total = 0.0
    for i in range(y.size):
        x = h * acc[i] / (atol + max(abs(y[i]), abs(y_new[i])) * rtol)
        total += x * x
    return np.sqrt(total / y.size)


@njit(cache=True)
def explicit_rk(t0, t1, y0, ticks, arms, cuts, rtol, atol, max_step, C, A, B, E, P, error_order):
    """Integrate from ``t0`` to ``t1`` with an embedded Runge-Kutta pair (SciPy's step control and
    error norm); the state at each of ``ticks`` (inside (t0, t1], sorted) by the method's own dense
    output. Returns (states at ticks, final state, right-hand sides evaluated)."""
    n = y0.size
    stages = B.size
    exponent = -1.0 / (error_order + 1.0)
    out = np.empty((ticks.size, n))
    t, y = t0, y0.copy()
    K = np.empty((stages + 1, n))
    _rhs_into(t, y, arms, cuts, K[0])
    nfev = 1
    h = _first_step(t, y, K[0], arms, cuts, rtol, atol, max_step, error_order)
    nfev += 1
    nxt = 0
    while nxt < ticks.size and ticks[nxt] <= t0:
        out[nxt] = y
        nxt += 1
    rejected = False
    y_stage = np.empty(n)
    y_new = np.empty(n)
    acc = np.empty(n)
    dense = np.empty(stages + 1)
    while t < t1:
        h = min(h, max_step, t1 - t)
        if t + h > t1 - 1e-9 * max(1.0, abs(t1)):
            h = t1 - t
        for s in range(1, stages):
            _advance(y, h, A[s], K, s, y_stage, acc)
            _rhs_into(t + C[s] * h, y_stage, arms, cuts, K[s])
        _advance(y, h, B, K, stages, y_new, acc)
        _rhs_into(t + h, y_new, arms, cuts, K[stages])
        nfev += stages
        norm = _error_norm(y, y_new, h, E, K, rtol, atol, acc)
        if norm < 1.0:
            t_new = t + h if t1 - (t + h) > 1e-9 * max(1.0, abs(t1)) else t1
            while nxt < ticks.size and ticks[nxt] <= t_new + 1e-9:
                # the method's dense output: y + h * sum_r K[r] * (sum_c P[r, c] x^(c+1)), the stage weights first
                x = (ticks[nxt] - t) / h
                for r in range(K.shape[0]):
                    acc_r = 0.0
                    xp = x
                    for c in range(P.shape[1]):
                        acc_r += P[r, c] * xp
                        xp *= x
                    dense[r] = acc_r
                _advance(y, h, dense, K, K.shape[0], out[nxt], acc)
                nxt += 1
            factor = MAX_FACTOR if norm == 0.0 else min(MAX_FACTOR, SAFETY * norm ** exponent)
            if rejected:
                factor = min(1.0, factor)
            t = t_new
            y, y_new = y_new, y
            K[0] = K[stages]
            h *= factor
            rejected = False
        else:
            h *= max(MIN_FACTOR, SAFETY * norm ** exponent)
            rejected = True
            if h < 1e-12:
                raise RuntimeError("the twin's step size fell below 1e-12 days")
    return out, y, nfev


def integrate_segment(t0: float, t1: float, y0: np.ndarray, ticks: list[float], arms: list[tuple], sizes: list[int],
                      rtol: float, atol: float, max_step: float, method: str = "RK45") -> tuple[np.ndarray, np.ndarray, int]:
    typed = List()
    for a in arms:
        typed.append(a)
    cuts = np.cumsum([0] + list(sizes)).astype(np.int64)
    return explicit_rk(float(t0), float(t1), np.ascontiguousarray(y0, dtype=np.float64), np.asarray(ticks, dtype=np.float64),
                       typed, cuts, float(rtol), float(atol), float(max_step), *TABLEAUS[method])


# ---------------------------------------------------------------------------
# numba's on-disk cache checks a compiled function against its own source file only. The solver's
# functions embed the right-hand side (flows.py), and the right-hand side embeds the positions it takes
# from the declarations (layout, tables, the ledger's counters, the hazards' events): after an edit to
# any of those, a cached solver would go on integrating the old equations (it did, once, silently).
# So the cache is kept with a digest of everything compiled code freezes, and dropped when it changes.


def _kernel_digest() -> str:
    from .. import hazards, ledger

    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in ("flows.py", "solver.py", "layout.py", "tables.py"):
        h.update((here / name).read_bytes())
    h.update(repr((ledger.BUILT_IN_COUNTS, ledger.BUILT_IN_FLAG_STOCKS, hazards.EVENT_NAMES[:hazards.N_EVENTS],
                   numba.__version__)).encode())
    return h.hexdigest()


def _cached_dispatchers() -> list:
    from . import flows

    return [f for module in (flows, sys.modules[__name__]) for f in vars(module).values()
            if isinstance(f, Dispatcher) and hasattr(getattr(f, "_cache", None), "flush")]


def drop_stale_cache() -> bool:
    """Empty the compiled kernel's on-disk cache if it was compiled from other sources; True if it was."""
    compiled = _cached_dispatchers()
    if not compiled:
        return False
    try:
        stamp = Path(compiled[0]._cache.cache_path) / "twin-kernel.sha256"
        digest = _kernel_digest()
        if stamp.exists() and stamp.read_text() == digest:
            return False
        for f in compiled:
            f._cache.flush()
        stamp.write_text(digest)
        return True
    except OSError:      # a read-only cache: numba's own checks are all there is
        return False


drop_stale_cache()
