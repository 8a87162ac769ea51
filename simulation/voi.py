"""Value of information from a PSA: EVPI, EVPPI per parameter and per group, and where decisions switch.

Everything here works on the PSA's samples: for each sample ``s`` and
decision ``j``, the incremental net benefit against the reference (the first
scenario) ``INB_j(s) = lambda x dQALYs_j(s) - dcost_j(s)`` (the reference's is 0).

- **EVPI** (the expected value of perfect information) is
  ``E[max_j INB_j] - max_j E[INB_j]`` over the samples. The model's outputs
  are totals for the modelled population (the whole county, at full scale)
  over the run, discounted, so this is the *population* EVPI over the run, in
  pounds: what resolving every uncertainty would be worth to this decision.
- **EVPPI** of a parameter or group ``phi`` is
  ``E_phi[max_j E[INB_j | phi]] - max_j E[INB_j]``: the value of learning
  ``phi`` alone. The inner conditional expectation is estimated by
  non-parametric regression of each decision's incremental QALYs and costs on
  ``phi`` over the PSA samples (Strong, Oakley & Brennan 2014, Med Decis
  Making 34:311-326): for one parameter a penalised cubic regression spline
  (P-spline, Eilers & Marx 1996) with its smoothing chosen by generalised
  cross-validation, i.e. a one-term GAM; a parameter with few distinct values
  (a discrete parameter) uses the exact conditional means; for a group, a
  Gaussian process with a squared-exponential covariance and one length scale
  per parameter, its hyperparameters by maximum marginal likelihood (the
  Strong et al. GP method). Because expectation is linear, ``E[INB | phi] =
  lambda E[dQ | phi] - E[dC | phi]``: two fits per decision serve every
  threshold.
- **Thresholds**: for the parameters with the highest EVPPI, the expected
  incremental net benefit as a function of the parameter (the same fitted
  conditional expectation: the other parameters averaged over their
  distribution) is searched across the parameter's declared range for a
  change of sign, i.e. where the preferred decision switches.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

THRESHOLDS = (20_000, 30_000)
DISCRETE_LEVELS = 8
"""A parameter with fewer distinct sampled values than this is treated as discrete (conditional means)."""
GP_MAX_FIT = 250
"""Samples used to fit a Gaussian process's hyperparameters (a seeded random subset)."""
GP_MAX_CONDITION = 2000
"""Samples the Gaussian process's posterior mean is conditioned on."""
TOP_THRESHOLDS = 10
"""Parameters (by EVPPI) searched for the value at which the preferred decision switches."""

Smooth = Callable[[np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------
# Regression: one parameter (P-spline with GCV, or conditional means), a group (Gaussian process)


def smooth_1d(x: np.ndarray, y: np.ndarray, knots: int = 20) -> tuple[np.ndarray, Smooth]:
    """E[y | x] at the samples and as a function: a cubic P-spline with its penalty chosen by GCV, or,
    for a discrete x, the mean of y at each value (linear between values)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    levels, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    if np.ptp(y) == 0 or len(levels) == 1:
        c = float(y.mean())
        return np.full_like(y, c), lambda t: np.full(np.shape(t), c, dtype=float)
    if len(levels) < DISCRETE_LEVELS:
        means = np.bincount(inverse, weights=y) / counts
        return means[inverse], lambda t: np.interp(np.asarray(t, dtype=float), levels, means)
    lo, span = float(levels[0]), float(levels[-1] - levels[0])
    inner = min(knots, len(levels) - 2)
    basis = _bspline_basis(inner)
    b = basis((x - lo) / span)
    coef = _pspline_gcv(b, y)
    return b @ coef, lambda t: basis((np.asarray(t, dtype=float) - lo) / span) @ coef


def _bspline_basis(inner: int) -> Callable[[np.ndarray], np.ndarray]:
    from scipy.interpolate import BSpline

    k = 3
    knots = np.concatenate([np.zeros(k), np.linspace(0.0, 1.0, inner + 2), np.ones(k)])

    def design(t: np.ndarray) -> np.ndarray:
        t = np.clip(np.atleast_1d(np.asarray(t, dtype=float)), 0.0, 1.0)
        return BSpline.design_matrix(t, knots, k).toarray()

    return design


def _pspline_gcv(b: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Coefficients of the penalised fit (second-difference penalty) whose smoothing minimises GCV."""
    n, m = b.shape
    d = np.diff(np.eye(m), n=2, axis=0)
    penalty = d.T @ d
    btb, bty = b.T @ b, b.T @ y
    scale = np.trace(btb) / max(np.trace(penalty), 1e-300)
    best, best_coef = math.inf, np.zeros(m)
    for lam in scale * np.logspace(-8, 4, 49):
        a = btb + lam * penalty + 1e-12 * scale * np.eye(m)
        try:
            coef = np.linalg.solve(a, bty)
            edf = float(np.trace(np.linalg.solve(a, btb)))
        except np.linalg.LinAlgError:
            continue
        rss = float(np.sum((y - b @ coef) ** 2))
        gcv = n * rss / max(n - edf, 1e-9) ** 2
        if gcv < best:
            best, best_coef = gcv, coef
    return best_coef


def gp_fit(x: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """E[y | x] at the samples by Gaussian-process regression (Strong, Oakley & Brennan 2014): a constant
    mean, a squared-exponential covariance with one length scale per column and a noise term, the
    hyperparameters maximising the marginal likelihood on at most GP_MAX_FIT samples."""
    from scipy.optimize import minimize

    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    y = np.asarray(y, dtype=float)
    keep = np.ptp(x, axis=0) > 0
    if not keep.any() or np.ptp(y) == 0:
        return np.full_like(y, y.mean())
    if keep.sum() == 1:
        return smooth_1d(x[:, keep][:, 0], y)[0]
    z = x[:, keep]
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    mu, sd = float(y.mean()), float(y.std())
    t = (y - mu) / sd
    rng = np.random.default_rng(seed)
    fit = rng.choice(len(t), size=min(len(t), GP_MAX_FIT), replace=False)
    d = z.shape[1]
    start = np.concatenate([np.full(d, math.log(2.0 * math.sqrt(d))), [0.0, math.log(0.1)]])
    bounds = [(math.log(0.05), math.log(1e3))] * d + [(-8.0, 4.0), (math.log(1e-6), math.log(2.0))]
    best = minimize(_gp_objective, start, args=(z[fit], t[fit]), jac=True, method="L-BFGS-B", bounds=bounds,
                    options={"maxiter": 200})
    theta = best.x if np.all(np.isfinite(best.x)) else start
    cond = fit if len(t) <= GP_MAX_FIT else rng.choice(len(t), size=min(len(t), GP_MAX_CONDITION), replace=False)
    ell, sf2, sn2 = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
    k_cc = _se(z[cond], z[cond], ell, sf2) + sn2 * np.eye(len(cond))
    alpha = np.linalg.solve(k_cc, t[cond])
    return mu + sd * (_se(z, z[cond], ell, sf2) @ alpha)


def _se(a: np.ndarray, b: np.ndarray, ell: np.ndarray, sf2: float) -> np.ndarray:
    a, b = a / ell, b / ell
    sq = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return sf2 * np.exp(-0.5 * np.maximum(sq, 0.0))


def _gp_objective(theta: np.ndarray, z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """Minus the log marginal likelihood and its gradient in (log length scales, log signal, log noise)."""
    from scipy.linalg import cho_factor, cho_solve

    n, d = z.shape
    ell, sf2, sn2 = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
    kf = _se(z, z, ell, sf2)
    k = kf + sn2 * np.eye(n)
    try:
        factor = cho_factor(k, lower=True)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = cho_solve(factor, t)
    inv = cho_solve(factor, np.eye(n))
    nll = 0.5 * t @ alpha + np.log(np.diag(factor[0])).sum() + 0.5 * n * math.log(2 * math.pi)
    w = np.outer(alpha, alpha) - inv
    grad = np.empty_like(theta)
    for j in range(d):
        grad[j] = -0.5 * np.sum(w * kf * (z[:, j][:, None] - z[:, j][None, :]) ** 2) / ell[j] ** 2
    grad[d] = -0.5 * np.sum(w * kf)
    grad[d + 1] = -0.5 * sn2 * np.trace(w)
    return float(nll), grad


# ---------------------------------------------------------------------------
# EVPI and EVPPI


def evpi(inb: np.ndarray) -> float:
    """Expected value of perfect information from incremental net benefits (decisions x samples, the
    reference's row of zeros included or not: it is added)."""
    nb = np.vstack([np.zeros(inb.shape[1]), inb])
    return float(nb.max(axis=0).mean() - nb.mean(axis=1).max())


@dataclass
class Increments:
    """Each decision's incremental QALYs and costs against the reference, per PSA sample."""

    decisions: list[str]
    reference: str
    dq: np.ndarray
    """decisions x samples."""
    dc: np.ndarray

    def inb(self, lam: float) -> np.ndarray:
        return lam * self.dq - self.dc


def increments(plane: pd.DataFrame, reference: str, cost: str = "delta_cost") -> Increments:
    """From the PSA plane (sample, scenario, delta_qalys, delta_cost, ...): the other decisions' increments."""
    decisions = [s for s in dict.fromkeys(plane["scenario"]) if s != reference]
    wide_q = plane.pivot(index="sample", columns="scenario", values="delta_qalys")
    wide_c = plane.pivot(index="sample", columns="scenario", values=cost)
    return Increments(decisions, reference, wide_q[decisions].to_numpy().T, wide_c[decisions].to_numpy().T)


def _evppi_from_fits(gq: np.ndarray, gc: np.ndarray, lam: float) -> float:
    return evpi(lam * gq - gc)


def parameter_groups(paths: Sequence[str], fitted: Sequence[str] = ()) -> dict[str, list[str]]:
    """Groups of parameters whose joint EVPPI is reported, from their paths:

    - ``effects of SERVICE``: a service's or programme's effect sizes (paths under ``services.S`` or
      ``programmes.P`` whose last part has 'effect', 'reduction', 'uptake_multiplier' or 'closure_crisis'
      / 'closure_risk' in it);
    - ``fitted baseline rates``: the parameters calibration fits (the ensemble's when there is one);
    - ``costs, prices and payer shares``: ``costs.*``, ``prices.*``, anything priced in pounds and every
      payer share (``*_council_share``, ``*_nhs_share``, ``health_budget_share``);
    - ``quality of life``: ``quality_of_life.*`` and every ``quality_of_life_gain``.

    A group needs at least two of the PSA's parameters; a parameter may be in more than one group.
    """
    effect = re.compile(r"effect|reduction|uptake_multiplier|closure_crisis|closure_risk")
    groups: dict[str, list[str]] = {}
    fitted_set = set(fitted)
    for p in paths:
        parts = p.split(".")
        last = parts[-1]
        if parts[0] in ("services", "programmes") and len(parts) >= 3 and effect.search(last):
            groups.setdefault(f"effects of {parts[1].replace('_', ' ')}", []).append(p)
        if p in fitted_set:
            groups.setdefault("fitted baseline rates", []).append(p)
        if (parts[0] in ("costs", "prices") or last.startswith("cost") or last.endswith("_cost")
                or "cost_per" in last or last.endswith(("_pay_per_year", "budget_per_year", "block_cost_per_year"))
                or last.endswith(("_council_share", "_nhs_share", "health_budget_share"))):
            groups.setdefault("costs, prices and payer shares", []).append(p)
        if parts[0] == "quality_of_life" or last == "quality_of_life_gain":
            groups.setdefault("quality of life", []).append(p)
    return {g: ps for g, ps in groups.items() if len(ps) >= 2}


@dataclass
class Voi:
    """EVPI, EVPPI and the fitted conditional expectations behind them."""

    evppi: pd.DataFrame
    """parameter_or_group, label, kind (parameter|group|all), parameters, threshold, evpi, evppi, share_of_evpi."""
    fits: dict[str, tuple[np.ndarray, np.ndarray, Smooth | None, Smooth | None]]
    """parameter -> (E[dQ | x] and E[dC | x] at the samples, decisions x samples; and as functions of x)."""


def value_of_information(x: pd.DataFrame, inc: Increments, labels: Mapping[str, str] | None = None,
                         groups: Mapping[str, Sequence[str]] | None = None, seed: int = 0) -> Voi:
    """EVPI, and EVPPI of every column of ``x`` (samples x parameters, in the order of ``inc``'s samples)
    and of every group, at each threshold in THRESHOLDS."""
    labels = labels or {}
    rows: list[dict[str, Any]] = []
    totals = {lam: evpi(inc.inb(lam)) for lam in THRESHOLDS}
    for lam in THRESHOLDS:
        rows.append(_row("all parameters", "all parameters", "all", len(x.columns), lam, totals[lam], totals[lam]))
    fits: dict[str, Any] = {}
    for path in x.columns:
        values = x[path].to_numpy(dtype=float)
        gq, fq = _fit_rows(values, inc.dq)
        gc, fc = _fit_rows(values, inc.dc)
        fits[path] = (gq, gc, fq, fc)
        for lam in THRESHOLDS:
            rows.append(_row(path, labels.get(path, path), "parameter", 1, lam, _evppi_from_fits(gq, gc, lam), totals[lam]))
    for name, members in (groups or {}).items():
        cols = [m for m in members if m in x.columns]
        block = x[cols].to_numpy(dtype=float)
        gq = np.vstack([gp_fit(block, row, seed) for row in inc.dq])
        gc = np.vstack([gp_fit(block, row, seed) for row in inc.dc])
        for lam in THRESHOLDS:
            rows.append(_row(name, name, "group", len(cols), lam, _evppi_from_fits(gq, gc, lam), totals[lam],
                             "; ".join(cols)))
    frame = pd.DataFrame(rows)
    order = {"all": 0, "group": 1, "parameter": 2}
    frame = frame.sort_values(["threshold", "kind", "evppi"], key=lambda s: s.map(order) if s.name == "kind" else s,
                              ascending=[True, True, False], kind="stable").reset_index(drop=True)
    return Voi(frame, fits)


def _fit_rows(values: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, Smooth]:
    fitted, funcs = [], []
    for y in ys:
        g, f = smooth_1d(values, y)
        fitted.append(g)
        funcs.append(f)
    return np.vstack(fitted), lambda t: np.vstack([f(t) for f in funcs])


def _row(name: str, label: str, kind: str, size: int, lam: float, value: float, total: float,
         parameters: str = "") -> dict[str, Any]:
    return {"parameter_or_group": name, "label": label, "kind": kind, "parameters": parameters or name,
            "size": size, "threshold": int(lam), "evpi": total, "evppi": max(value, 0.0),
            "share_of_evpi": (max(value, 0.0) / total) if total > 0 else 0.0}


# ---------------------------------------------------------------------------
# Where the preferred decision switches


def switch_points(func: Callable[[np.ndarray], np.ndarray], low: float, high: float, points: int = 401) -> list[float]:
    """Where a function of one parameter changes sign across [low, high] (linear between grid points)."""
    grid = np.linspace(low, high, points)
    v = np.asarray(func(grid), dtype=float)
    nonzero = np.flatnonzero(v != 0)
    out = []
    for a, b in zip(nonzero[:-1], nonzero[1:]):
        if v[a] * v[b] < 0:
            out.append(float(grid[a + 1]) if b > a + 1 else float(grid[a] + (grid[b] - grid[a]) * v[a] / (v[a] - v[b])))
    return out


def thresholds(voi: Voi, inc: Increments, factors: Sequence[Any], top: int = TOP_THRESHOLDS) -> pd.DataFrame:
    """For the ``top`` parameters by EVPPI at each threshold and each decision against the reference: the
    value of the parameter at which the expected incremental net benefit (the others averaged) crosses
    zero, i.e. the preferred of the two switches, or none within the declared range."""
    by_path = {f.path: f for f in factors}
    rows = []
    params = voi.evppi[voi.evppi["kind"] == "parameter"]
    for lam in THRESHOLDS:
        chosen = params[params["threshold"] == lam].sort_values("evppi", ascending=False, kind="stable").head(top)
        for r in chosen.itertuples():
            f = by_path[r.parameter_or_group]
            _, _, fq, fc = voi.fits[f.path]
            assert fq is not None and fc is not None
            for j, decision in enumerate(inc.decisions):
                def inb(t: np.ndarray, j: int = j, lam: float = lam) -> np.ndarray:
                    return lam * fq(t)[j] - fc(t)[j]

                rows.append(_threshold_row(f, decision, inc.reference, lam, inb, r.evppi, f"nmb_{lam // 1000}k"))
    return pd.DataFrame(rows, columns=THRESHOLD_COLUMNS)


THRESHOLD_COLUMNS = ["metric", "parameter", "label", "scenario", "reference", "threshold_wtp", "preferred_below",
                     "preferred_above", "switch_value", "switch_values", "low", "high", "base", "evppi",
                     "expected_inb_at_low", "expected_inb_at_high"]


def _threshold_row(f: Any, decision: str, reference: str, lam: float | None, func: Callable[[np.ndarray], np.ndarray],
                   evppi_value: float, metric: str) -> dict[str, Any]:
    switches = switch_points(func, f.low, f.high)
    at_low, at_high = (float(v) for v in func(np.array([f.low, f.high])))
    pick = lambda v: decision if v > 0 else reference  # noqa: E731
    return {"metric": metric, "parameter": f.path, "label": f.label or f.path, "scenario": decision,
            "reference": reference, "threshold_wtp": int(lam) if lam is not None else None,
            "preferred_below": pick(at_low), "preferred_above": pick(at_high),
            "switch_value": switches[0] if switches else None,
            "switch_values": "; ".join(f"{s:.6g}" for s in switches), "low": f.low, "high": f.high,
            "base": f.base, "evppi": evppi_value, "expected_inb_at_low": at_low, "expected_inb_at_high": at_high}
