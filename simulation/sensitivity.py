"""Sensitivity analysis of sweeps, and probabilistic sensitivity analysis (PSA).

From a sweep folder (``simulation.sweep``):

- **Sobol** first- and total-order indices with 95% bootstrap intervals
  (SALib, Saltelli/Jansen estimators) from a ``sobol`` design;
- **Morris** mu* and sigma (SALib) from a ``morris`` design, in the metric's
  units per move across a parameter's whole range;
- a **one-way tornado** from the one-way points every sweep adds: each
  parameter at its low and at its high end with the rest at their base
  values, as the mean change from the base point with the 95% interval of the
  paired (same random numbers) difference.

Each point's output is the mean over its replications. Indices from the
simulation are only as good as the noise between points allows: they are
withheld, with the reason, when replication noise is more than a tenth of the
spread between points (:data:`NOISE_LIMIT`), and any total index outside
[0, 1] (which no real index can be) is flagged. A sweep on the twin
(``--engine twin``) has no noise. Sobol indices come with their convergence:
the largest change in a total index between the first half of the base
samples and all of them.

Besides the model's metrics, every arm (and every paired difference) gets the
decision's own outputs: the health-and-care cost (NHS plus council, the NICE
reference case) and the net monetary benefit at £20,000 and £30,000 per QALY.

PSA samples every
parameter with a declared range or distribution, runs each sample under each
scenario, and gives the cost-effectiveness plane, the acceptability curve and
the probability each scenario is best at a threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .errors import Problem, display_path
from .schema import run_option_problems
from .experiment import paired_difference, t_interval
from .sweep import KEY_COLUMNS, PARAM, UNIT, Arm, Factor, SweepSpec, SweepStore, spec_from_dict

THRESHOLDS = (20_000, 30_000)
"""NICE's range of cost per QALY a decision is usually judged at (£)."""

NOISE_LIMIT = 0.1
"""Largest replication-noise to between-point variance ratio at which indices are still reported."""
HEALTH_AND_CARE = "cost_nhs_and_council"


@dataclass
class SweepData:
    """A finished sweep read back: what it is, its design and its rows."""

    root: Path
    spec: SweepSpec
    manifest: dict
    design: pd.DataFrame
    rows: pd.DataFrame
    base_samples: int | None = None
    """Read only the first this many base samples of a Sobol design (itself a complete design: the first
    N points of a Sobol sequence are the sequence for N), so an unfinished sweep can be read."""

    @property
    def complete(self) -> bool:
        return len(self.rows) >= len(self.design) * self.spec.reps

    def metrics(self) -> list[str]:
        return [c for c in self.rows.columns if c not in KEY_COLUMNS and not c.startswith(PARAM) and not c.startswith("run.")]

    def point_means(self, metric: str) -> pd.Series:
        """The metric's mean over replications at each point (indexed by point)."""
        return self.rows.groupby("point")[metric].mean().reindex(self.design["point"])

    def block(self, name: str) -> pd.DataFrame:
        block = self.design[self.design["block"] == name].sort_values("point")
        if name == "sobol" and self.base_samples:
            block = block.iloc[: self.base_samples * (len(self.spec.factors) + 2)]
        return block

    def missing(self, name: str) -> int:
        """Points of a block that have no row yet."""
        return int((~self.block(name)["point"].isin(self.rows["point"])).sum())


def load_sweep(root: Path | str, base_samples: int | None = None) -> SweepData:
    store = SweepStore(root)
    manifest = store.manifest()
    return SweepData(Path(root), spec_from_dict(manifest["spec"]), manifest, store.design(), with_decision_metrics(store.rows()),
                     base_samples)


def with_decision_metrics(rows: pd.DataFrame) -> pd.DataFrame:
    """Add, for each arm and for the paired differences, the health-and-care cost (NHS plus council)
    and the net monetary benefit at each threshold (QALYs x threshold - health-and-care cost)."""
    extra = {}
    for col in rows.columns:
        if not isinstance(col, str) or not col.endswith("cost_nhs") or col.startswith("run."):
            continue
        prefix = col[: -len("cost_nhs")]
        if f"{prefix}cost_council" in rows.columns and f"{prefix}{HEALTH_AND_CARE}" not in rows.columns:
            cost = rows[f"{prefix}cost_nhs"] + rows[f"{prefix}cost_council"]
            extra[f"{prefix}{HEALTH_AND_CARE}"] = cost
            if f"{prefix}qalys" in rows.columns:
                for lam in THRESHOLDS:
                    extra[f"{prefix}net_benefit_{lam}"] = lam * rows[f"{prefix}qalys"] - cost
    return pd.concat([rows, pd.DataFrame(extra, index=rows.index)], axis=1) if extra else rows


def sweep_problems(root: Path, base_samples: int | None = None) -> list[Problem]:
    """Whether ``root`` is a finished sweep folder (or, with ``base_samples``, a Sobol sweep whose first
    ``base_samples`` base samples are all done)."""
    shown = display_path(root)
    store = SweepStore(root)
    if not store.exists():
        return [Problem(shown, "is not a sweep folder (no sweep-manifest.json)", field="DIR", allowed="a folder written by 'mhsim sweep' or 'mhsim psa'")]
    try:
        manifest = store.manifest()
        done = len(store.done_ids())
    except (OSError, ValueError) as exc:
        return [Problem(shown, f"cannot be read: {exc}", field="DIR")]
    if base_samples is not None:
        return prefix_problems(load_sweep(root, base_samples), base_samples)
    if done < manifest["tasks"]:
        return [Problem(shown, f"the sweep is not finished ({done} of {manifest['tasks']} rows)", field="DIR",
                        allowed="run its command again with --resume to finish it, or read its finished base samples "
                                "with --base-samples N")]
    return []


def prefix_problems(data: SweepData, base_samples: int) -> list[Problem]:
    """The first ``base_samples`` base samples of a Sobol design, all run."""
    shown = display_path(data.root)
    k = len(data.spec.factors)
    total = len(data.design[data.design["block"] == "sobol"]) // (k + 2)
    if data.spec.design != "sobol" or total == 0:
        return [Problem(shown, "--base-samples reads part of a Sobol design; this sweep has none", field="--base-samples",
                        value=base_samples, allowed="a sweep run with --design sobol")]
    if not 2 <= base_samples <= total:
        return [Problem(shown, "more base samples than the design has" if base_samples > total else "too few base samples",
                        field="--base-samples", value=base_samples, allowed=f"2 to {total}")]
    missing = data.missing("sobol")
    if missing:
        ready = _base_samples_done(data, total)
        return [Problem(shown, f"{missing} of the first {base_samples:,} base samples' {base_samples * (k + 2):,} points have not "
                               "run yet", field="--base-samples", value=base_samples,
                        allowed=f"at most {ready:,} (the base samples finished so far)" if ready >= 2 else
                        "wait for the sweep to run more points")]
    return []


def _base_samples_done(data: SweepData, total: int) -> int:
    """How many leading base samples of the Sobol design have every point run."""
    k = len(data.spec.factors)
    points = data.design[data.design["block"] == "sobol"].sort_values("point")["point"].to_numpy()
    done = np.isin(points, data.rows["point"].to_numpy()).reshape(total, k + 2).all(axis=1)
    return int(np.argmin(done)) if not done.all() else total


def default_metrics(data: SweepData) -> list[str]:
    """Total cost, crises and QALYs (their differences, with a comparator): what the dashboard shows first."""
    return _first_present(data, ("total_cost", "crisis_episodes", "qalys"))


def decision_metrics(data: SweepData) -> list[str]:
    """The decision's outputs, as ``mhsim sensitivity`` reports them by default: health-and-care cost
    (NHS plus council, the NICE reference case), crises and QALYs (their differences, with a comparator)."""
    return _first_present(data, (HEALTH_AND_CARE, "crisis_episodes", "qalys"))


def _first_present(data: SweepData, wanted: tuple[str, ...]) -> list[str]:
    names = data.metrics()
    for prefix in ("delta.", ""):
        chosen = [prefix + m for m in wanted if prefix + m in names]
        if chosen:
            return chosen
    return names[:3]


def _problem(spec: SweepSpec) -> dict[str, Any]:
    return {"num_vars": len(spec.factors), "names": [f.path for f in spec.factors], "bounds": [[0.0, 1.0]] * len(spec.factors)}


def _label(f: Factor) -> str:
    return f.label or f.path


# ---------------------------------------------------------------------------
# Sobol, Morris, one-way


def sobol_indices(data: SweepData, metric: str, num_resamples: int = 200) -> pd.DataFrame:
    """First- and total-order Sobol indices with 95% bootstrap intervals (SALib), withheld when noise
    rivals the spread between points, flagged when a total index leaves [0, 1], with their convergence."""
    block = data.block("sobol")
    y = data.point_means(metric).loc[block["point"]].to_numpy(dtype=float)
    k = len(data.spec.factors)
    n_base = len(y) // (k + 2)
    noise = noise_ratio(data, metric, block["point"])
    withheld = withheld_reason(data, noise)
    if np.ptp(y) == 0:
        withheld = f"{metric} is the same at every point: there is no variance for the parameters to explain"
    result = _sobol(data, y, num_resamples)
    half = n_base // 2
    halfway = _sobol(data, y[: half * (k + 2)], num_resamples) if half >= 2 else None
    rows = []
    for i, f in enumerate(data.spec.factors):
        s1, s1c, st, stc = (float(result[key][i]) for key in ("S1", "S1_conf", "ST", "ST_conf"))
        st_half = float(halfway["ST"][i]) if halfway is not None else float("nan")
        flags = [] if withheld else impossible_index_flags(s1, s1 - s1c, s1 + s1c, st, st - stc, st + stc)
        if not withheld and convergence_flag(st, st_half):
            flags.append(convergence_flag(st, st_half))
        if noise != noise and not withheld:
            flags.append("replication noise not measured (one replication per point): these indices may measure chance")
        flag = "; ".join(flags)
        if withheld:   # the convergence check too: half the samples measure the same chance
            s1 = s1c = st = stc = st_half = float("nan")
        rows.append({"metric": metric, "parameter": f.path, "label": _label(f), "low": f.low, "high": f.high,
                     "S1": s1, "S1_low": s1 - s1c, "S1_high": s1 + s1c, "ST": st, "ST_low": st - stc, "ST_high": st + stc,
                     "N": n_base, "ST_at_half_N": st_half, "ST_change_from_half_N": abs(st - st_half),
                     "output_variance": float(np.var(y)), "noise_ratio": noise, "engine": data.spec.engine,
                     "withheld": withheld, "flag": flag})
    return pd.DataFrame(rows).sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)


NEGLIGIBLE_INDEX = 0.01
"""An index this far below 0 reads as 0: the estimators are unbiased only on average, and a parameter that
explains nothing gives small negative estimates with bootstrap intervals too narrow to cover 0."""

CONVERGED = 0.05
"""Total indices that move less than this between N/2 and N base samples are taken as converged."""


def convergence_flag(st: float, st_half: float) -> str:
    """A total index that moved more than ``CONVERGED`` when the base samples were halved has not converged."""
    if st == st and st_half == st_half and abs(st - st_half) > CONVERGED:
        return (f"not converged: the total index moved {abs(st - st_half):.2f} between half the base samples and "
                f"all of them (more than {CONVERGED:g}), so more base samples are needed")
    return ""


def impossible_index_flags(s1: float, s1_low: float, s1_high: float, st: float, st_low: float, st_high: float) -> list[str]:
    """Indices no model can have, beyond their own noise: a total index above 1 or below 0, or a first-order index
    above the total, with the 95% interval excluding the possible values (estimator error: more base samples needed)."""
    flags = []
    if st_low > 1.0 or st_high < -NEGLIGIBLE_INDEX:
        flags.append(f"impossible: total index {st:.2f} (95% interval {st_low:.2f} to {st_high:.2f}) is outside 0 to 1 "
                     "beyond its noise, so more base samples are needed")
    elif not 0.0 <= st <= 1.0:
        flags.append(f"total index {st:.2f} is outside 0 to 1, within its noise: read it as {min(max(st, 0.0), 1.0):.0f}")
    if s1_low > 1.0 or s1_high < -NEGLIGIBLE_INDEX:   # a few hundredths below 0 is an index of 0 (the estimator's bias)
        flags.append(f"impossible: first-order index {s1:.2f} (95% interval {s1_low:.2f} to {s1_high:.2f}) is outside 0 to 1 "
                     "beyond its noise, so more base samples are needed")
    elif s1 >= 1.005:   # above 1 within its noise (a small negative estimate is common and reads as the 0 it is)
        flags.append(f"first-order index {s1:.2f} is outside 0 to 1, within its noise: read it as 1")
    if s1_low > st_high:
        flags.append(f"impossible: first-order index {s1:.2f} is above the total {st:.2f} beyond their noise, "
                     "so more base samples are needed")
    return flags


def index_warnings(table: pd.DataFrame) -> list[str]:
    """What a reader must know wherever a sweep's indices appear: why they are withheld (noise), how noisy
    they are, and each impossible index, in words."""
    if table is None or table.empty:
        return []
    out: list[str] = []
    withheld = {str(w) for w in table.get("withheld", pd.Series(dtype=str)).fillna("") if str(w)}
    out += [f"Indices withheld: {w}." for w in sorted(withheld)]
    noise = pd.to_numeric(table.get("noise_ratio", pd.Series(dtype=float)), errors="coerce").dropna()
    if not withheld and len(noise) and float(noise.max()) > 0:
        out.append(f"Replication noise is {float(noise.max()):.2f} of the spread between points: indices below about that "
                   "size cannot be told from chance.")
    n = pd.to_numeric(table.get("N", pd.Series(dtype=float)), errors="coerce").dropna()
    if len(n) and int(n.max()) < 64:
        out.append(f"Only {int(n.max())} base samples: Sobol indices need hundreds to settle; read them as a rough ranking.")
    for r in table.itertuples():
        flag = str(getattr(r, "flag", "") or "")
        if flag and flag != "nan":
            out.append(f"{getattr(r, 'label', '')}: {flag}.")
    return out


def _sobol(data: SweepData, y: np.ndarray, num_resamples: int) -> dict:
    import warnings

    from SALib.analyze import sobol

    if np.ptp(y) == 0:   # an output no parameter moves: no variance to share out
        z = np.zeros(len(data.spec.factors))
        return {"S1": z, "S1_conf": z, "ST": z, "ST_conf": z}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # N not a power of 2 (the first half of the base samples)
        return sobol.analyze(_problem(data.spec), y, calc_second_order=False, num_resamples=num_resamples,
                             conf_level=0.95, seed=data.spec.seed)


def withheld_reason(data: SweepData, noise: float) -> str:
    """Why indices of a simulation sweep are not reported ('' when they are)."""
    if data.spec.engine == "twin" or noise != noise:   # no noise, or not measured (flagged instead)
        return ""
    if noise > NOISE_LIMIT:
        return (f"replication noise is {noise:.2f} of the spread between points (at most {NOISE_LIMIT:g} allowed): "
                "the indices would measure chance; use more --reps, a larger --scale, or the twin (--engine twin)")
    return ""


def noise_ratio(data: SweepData, metric: str, points: Any) -> float:
    """Replication noise against the spread between points: (mean within-point variance / reps) / variance of point means.

    Near 0, the parameters explain the spread between points; near 1 or
    above, replications of one point differ as much as the points do, and the
    indices mostly measure chance (with common random numbers, that chance is
    loaded onto the parameters that reshuffle everyone's events, such as a
    hazard every person faces). NaN with one replication.
    """
    rows = data.rows[data.rows["point"].isin(set(points))]
    if data.spec.engine == "twin":
        return 0.0   # deterministic: no noise at all
    if data.spec.reps < 2 or rows.empty:
        return float("nan")
    within = rows.groupby("point")[metric].var(ddof=1).mean() / data.spec.reps
    between = rows.groupby("point")[metric].mean().var(ddof=1)
    return float(within / between) if between > 0 else float("nan")


def morris_indices(data: SweepData, metric: str, num_resamples: int = 200) -> pd.DataFrame:
    """Morris mu*, mu and sigma (SALib), per move across each parameter's whole range."""
    from SALib.analyze import morris

    from .sweep import MORRIS_LEVELS

    block = data.block("morris")
    x = block[[UNIT + f.path for f in data.spec.factors]].to_numpy(dtype=float)
    y = data.point_means(metric).loc[block["point"]].to_numpy(dtype=float)
    result = morris.analyze(_problem(data.spec), x, y, num_resamples=num_resamples, conf_level=0.95,
                            num_levels=MORRIS_LEVELS, seed=data.spec.seed)
    noise = noise_ratio(data, metric, block["point"])
    withheld = withheld_reason(data, noise)
    rows = []
    for i, f in enumerate(data.spec.factors):
        values = [float(result[key][i]) for key in ("mu_star", "mu_star_conf", "mu", "sigma")]
        if withheld:
            values = [float("nan")] * 4
        rows.append({"metric": metric, "parameter": f.path, "label": _label(f), "low": f.low, "high": f.high,
                     "mu_star": values[0], "mu_star_conf": values[1], "mu": values[2], "sigma": values[3],
                     "trajectories": int(len(y) // (len(data.spec.factors) + 1)), "noise_ratio": noise,
                     "engine": data.spec.engine, "withheld": withheld})
    return pd.DataFrame(rows).sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)


def tornado(data: SweepData, metric: str) -> pd.DataFrame:
    """Each parameter at its low and high end, the rest at base: change from the base point (paired)."""
    block = data.block("oneway")
    if block.empty or data.missing("oneway"):   # an unfinished sweep read with --base-samples
        return pd.DataFrame()
    points = block["point"].tolist()
    by_point = {p: g.sort_values("replication")[metric].to_numpy(dtype=float) for p, g in data.rows.groupby("point")}
    base = by_point[points[0]]
    base_iv = t_interval(base)
    rows = []
    for i, f in enumerate(data.spec.factors):
        lo_pt, hi_pt = points[1 + 2 * i], points[2 + 2 * i]
        d_lo = paired_difference(by_point[lo_pt], base)
        d_hi = paired_difference(by_point[hi_pt], base)
        rows.append({
            "metric": metric, "parameter": f.path, "label": _label(f), "unit": f.unit,
            "base_value": f.base, "low": f.low, "high": f.high, "base_mean": base_iv.mean,
            "change_at_low": d_lo.mean, "change_at_low_ci_low": d_lo.low, "change_at_low_ci_high": d_lo.high,
            "change_at_high": d_hi.mean, "change_at_high_ci_low": d_hi.low, "change_at_high_ci_high": d_hi.high,
            "swing": abs(d_hi.mean - d_lo.mean), "replications": d_lo.n,
        })
    return pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


@dataclass
class Analysis:
    """Everything ``mhsim sensitivity`` found in one or more sweeps."""

    sobol: pd.DataFrame
    morris: pd.DataFrame
    tornado: pd.DataFrame
    notes: list[str]


def analyse(datas: Sequence[SweepData], metrics: Sequence[str] | None = None, decision: bool = False) -> Analysis:
    sob, mor, tor, notes = [], [], [], []
    for data in datas:
        chosen = list(metrics) if metrics else (decision_metrics(data) if decision else default_metrics(data))
        where = display_path(data.root)
        for metric in chosen:
            if metric not in data.rows.columns:
                continue
            extra = {"sweep": where}
            if not data.block("sobol").empty:
                sob.append(sobol_indices(data, metric).assign(**extra))
            if not data.block("morris").empty:
                mor.append(morris_indices(data, metric).assign(**extra))
            t = tornado(data, metric)
            if not t.empty:
                tor.append(t.assign(**extra))
        if data.block("sobol").empty:
            notes.append(f"{where}: a {data.spec.design} design has no Sobol indices (sweep with --design sobol)")
        if data.block("morris").empty:
            notes.append(f"{where}: a {data.spec.design} design has no Morris indices (sweep with --design morris)")
        if data.block("oneway").empty:
            notes.append(f"{where}: no one-way points, so no tornado (sweep without --no-oneway)")
        elif data.missing("oneway"):
            notes.append(f"{where}: its one-way points have not all run yet, so no tornado")
        if data.base_samples:
            notes.append(f"{where}: read the first {data.base_samples:,} base samples of its Sobol design")
    cat = lambda frames: pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()  # noqa: E731
    return Analysis(cat(sob), cat(mor), cat(tor), notes)


# ---------------------------------------------------------------------------
# Probabilistic sensitivity analysis


def psa_factors(scenario: Any) -> list[Factor]:
    """Every numeric parameter with a declared distribution or a range (low < high)."""
    from .parameters import UNITS

    factors = []
    for path, p in scenario.params.items():
        kind = UNITS[p.unit].kind
        if kind not in ("int", "float"):
            continue
        base = float(p.value)
        if p.distribution is not None:
            dist = dict(p.distribution)
            if p.low is not None and p.high is not None:
                lo, hi = p.low, p.high
            else:
                from .sweep import quantile

                lo, hi = quantile(dist, 0.025), quantile(dist, 0.975)
            factors.append(Factor(path, float(lo), float(hi), None, kind == "int", base, p.plain_label(), p.unit, dist))
        elif p.low is not None and p.high is not None and p.high > p.low:
            factors.append(Factor(path, float(p.low), float(p.high), None, kind == "int", base, p.plain_label(), p.unit))
    return factors


def build_psa(files: Sequence[Path], samples: int, reps: int, seed: int, years: float | None, scale: float | None,
              warmup_years: float | None, engine: str = "simulation",
              ensemble: Path | None = None) -> tuple[SweepSpec | None, list[Any], list[Problem]]:
    """A PSA as a sweep: every uncertain parameter sampled, each sample run under each scenario.

    ``engine`` is 'simulation' (replications of the SimPy model at ``scale``)
    or 'twin' (the mean-field twin: deterministic, whole county, one run of
    every arm per sample). With ``ensemble`` (a file written by ``mhsim
    calibrate``) each sample takes one member of the calibration ensemble,
    uniformly, for all the fitted parameters together; they are not sampled
    from their ranges.
    """
    from .errors import InputError
    from . import model_fingerprint
    from .scenario import load_scenarios
    from .sweep import ENGINES

    problems = []
    if samples < 2 or samples > 1_000_000:
        problems.append(Problem("command line", "--samples must be from 2 to 1,000,000", field="--samples", value=samples, allowed="e.g. 500"))
    if engine not in ENGINES:
        problems.append(Problem("command line", "unknown engine", field="--engine", value=engine, allowed=" | ".join(ENGINES)))
    elif engine == "twin" and reps != 1:
        problems.append(Problem("command line", "the twin is deterministic: one replication per sample", field="--reps",
                                value=reps, allowed="1 (or leave --reps out) with --engine twin"))
    problems += run_option_problems(reps=reps, years=years, scale=scale, warmup_years=warmup_years)
    try:
        scenarios = load_scenarios(files, years=years)
    except InputError as exc:
        return None, [], problems + exc.problems
    members, more = _read_ensemble(ensemble, scenarios[0]) if ensemble is not None else (None, [])
    problems += more
    if problems:
        return None, [], problems
    first = scenarios[0]
    factors = psa_factors(first)
    if not factors:
        return None, [], [Problem(display_path(files[0]), "declares no parameter with a range or distribution to sample", allowed="parameters with low/high or distribution")]
    paths: tuple[str, ...] = ()
    rows: tuple[tuple[float, ...], ...] = ()
    if members is not None:
        factors = _with_ensemble_factors(factors, first, members)
        paths = tuple(members.columns)
        rows = tuple(tuple(float(v) for v in r) for r in members.itertuples(index=False, name=None))
    arms = []
    for i, (path, s) in enumerate(zip(files, scenarios)):
        arms.append(Arm(f"s{i}", s.name, display_path(path), s.content_hash, tuple(sorted(s.overrides))))
    run_scale = 1.0 if engine == "twin" else float(scale if scale is not None else first.settings.scale)
    spec = SweepSpec("psa", "psa", tuple(factors), tuple(arms), samples, reps, seed,
                     float(years if years is not None else first.settings.years), run_scale,
                     float(warmup_years if warmup_years is not None else first.settings.warmup_years),
                     oneway=False, delta=None, model=model_fingerprint(), name="Probabilistic sensitivity analysis",
                     engine=engine, ensemble_paths=paths, ensemble=rows,
                     ensemble_file=display_path(ensemble) if ensemble is not None else "")
    return spec, scenarios, []


def _read_ensemble(path: Path, scenario: Any) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The calibration ensemble's members, each value checked against its parameter's unit."""
    from .calibration import load_ensemble
    from .errors import InputError
    from .parameters import coerce_value

    try:
        members = load_ensemble(path)
    except InputError as exc:
        return None, exc.problems
    problems = []
    for col in members.columns:
        spec = scenario.params.get(col)
        if spec is None:
            problems.append(Problem(display_path(path), "fits a parameter the scenario does not have", field=col,
                                    allowed="an ensemble written by 'mhsim calibrate' for this model"))
            continue
        for v in members[col]:
            value = float(v)
            if not math.isfinite(value) or coerce_value(spec.unit, value)[1]:
                problems.append(Problem(display_path(path), "holds a value its parameter cannot take", field=col,
                                        value=value, allowed=f"a number in the unit '{spec.unit}'"))
                break
    return (None if problems else members), problems


def _with_ensemble_factors(factors: list[Factor], scenario: Any, members: pd.DataFrame) -> list[Factor]:
    """The PSA's factors with every fitted parameter present (the ensemble gives its values): a fitted
    parameter with no declared range is added, its range the ensemble's."""
    from .parameters import UNITS

    have = {f.path for f in factors}
    out = list(factors)
    for col in members.columns:
        if col not in have:
            p = scenario.params[col]
            out.append(Factor(col, float(members[col].min()), float(members[col].max()), None,
                              UNITS[p.unit].kind == "int", float(p.value), p.plain_label(), p.unit))
    return out


@dataclass
class PsaResult:
    plane: pd.DataFrame
    """sample, scenario, cost, qalys, delta_cost, delta_qalys (against the first scenario), and each payer's
    cost and its difference (cost_nhs, cost_council, cost_health_and_care and delta_ of each)."""
    ceac: pd.DataFrame
    """threshold, scenario, probability_best."""
    best: pd.DataFrame
    """scenario, mean cost and QALYs, the probability of being best at each of THRESHOLDS, and, against the
    reference, the probability of saving each payer money and of being cost-effective at each threshold."""
    perspective: str
    reference: str
    noise: pd.DataFrame | None = None
    """scenario, quantity, noise_share (between-replication variance over the total, per run),
    noise_share_of_means (what is left in the sample means): Monte Carlo noise in the PSA."""
    engine: str = "simulation"
    reps: int = 1


COSTS = {"health_and_care": ("cost_nhs", "cost_council"), "all": ("total_cost",)}
PAYERS = {"nhs": ("cost_nhs",), "council": ("cost_council",), "health_and_care": ("cost_nhs", "cost_council")}
"""Whose money a decision may save, and the cost columns that are theirs."""


def psa_results(data: SweepData, perspective: str = "health_and_care", max_threshold: float = 100_000,
                step: float = 1_000) -> PsaResult:
    """The cost-effectiveness plane, the acceptability curve and the probability each scenario is best.

    Each sample's outputs are the mean over its replications (common random
    numbers: every sample and scenario uses the same seeds), so Monte Carlo
    noise does not widen the plane more than it must; how much is left is in
    ``noise``.
    """
    spec = data.spec
    labels = {a.key: a.label for a in spec.arms}
    means = data.rows.groupby("point").mean(numeric_only=True).sort_index()
    total = lambda key, cols: sum(means[f"{key}.{m}"] for m in cols).to_numpy()  # noqa: E731
    cost = {a.key: total(a.key, COSTS[perspective]) for a in spec.arms}
    qaly = {a.key: means[f"{a.key}.qalys"].to_numpy() for a in spec.arms}
    payer = {name: {a.key: total(a.key, cols) for a in spec.arms} for name, cols in PAYERS.items()}
    ref = spec.arms[0].key
    plane = []
    for a in spec.arms:
        frame = pd.DataFrame({"sample": means.index.astype(int), "scenario": labels[a.key], "cost": cost[a.key],
                              "qalys": qaly[a.key], "delta_cost": cost[a.key] - cost[ref], "delta_qalys": qaly[a.key] - qaly[ref]})
        for name, by_arm in payer.items():
            frame[f"cost_{name}"] = by_arm[a.key]
            frame[f"delta_cost_{name}"] = by_arm[a.key] - by_arm[ref]
        plane.append(frame)
    thresholds = sorted(set(np.arange(0, max_threshold + step / 2, step).tolist()) | set(THRESHOLDS))
    keys = [a.key for a in spec.arms]
    c = np.vstack([cost[k] for k in keys])  # scenarios x samples
    q = np.vstack([qaly[k] for k in keys])
    ceac = []
    for lam in thresholds:
        probs = probability_best(lam * q - c)
        ceac += [{"threshold": float(lam), "scenario": labels[k], "probability_best": float(p)} for k, p in zip(keys, probs)]
    best_at = {lam: probability_best(lam * q - c) for lam in THRESHOLDS}
    best = []
    for j, k in enumerate(keys):
        row = {"scenario": labels[k], "mean_cost": float(c[j].mean()), "mean_qalys": float(q[j].mean()),
               "mean_delta_cost": float((c[j] - c[0]).mean()), "mean_delta_qalys": float((q[j] - q[0]).mean())}
        for lam in THRESHOLDS:
            row[f"probability_best_{lam}"] = float(best_at[lam][j])
            row[f"mean_net_benefit_{lam}"] = float((lam * q[j] - c[j]).mean())
        row.update(decision_probabilities({n: v[k] - v[ref] for n, v in payer.items()}, q[j] - q[0]) if j else
                   {name: float("nan") for name in PROBABILITY_COLUMNS})
        best.append(row)
    return PsaResult(pd.concat(plane, ignore_index=True), pd.DataFrame(ceac), pd.DataFrame(best), perspective,
                     labels[ref], psa_noise(data, perspective), spec.engine, spec.reps)


PROBABILITY_COLUMNS = ("probability_saves_nhs", "probability_saves_council", "probability_saves_health_and_care",
                       *(f"probability_cost_effective_{lam}" for lam in THRESHOLDS))


def decision_probabilities(delta_costs: dict[str, np.ndarray], delta_qalys: np.ndarray) -> dict[str, float]:
    """Against the reference, the share of samples in which a decision saves each payer money (a cost
    strictly lower) and is cost-effective at each threshold (a positive incremental net monetary benefit,
    health-and-care costs: NHS plus council, whatever the perspective of the acceptability curve)."""
    out = {f"probability_saves_{name}": float(np.mean(delta_costs[name] < 0)) for name in PAYERS}
    for lam in THRESHOLDS:
        out[f"probability_cost_effective_{lam}"] = float(np.mean(lam * delta_qalys - delta_costs["health_and_care"] > 0))
    return out


def psa_noise(data: SweepData, perspective: str = "health_and_care") -> pd.DataFrame:
    """Monte Carlo noise in a PSA, per decision against the reference and per quantity (the incremental
    cost, QALYs and net benefit at each threshold):

    - ``noise_share``: the variance between replications of one sample over the total variance of single
      runs (how much of one run's spread is chance);
    - ``noise_share_of_means``: that variance divided by the replications, over the variance of the sample
      means (how much of the plane's spread is still chance).

    0 on the twin (deterministic); not a number with one replication (not measured).
    """
    spec = data.spec
    ref = spec.arms[0].key
    rows = []
    for a in spec.arms[1:]:
        dc = sum(data.rows[f"{a.key}.{m}"] - data.rows[f"{ref}.{m}"] for m in COSTS[perspective])
        dq = data.rows[f"{a.key}.qalys"] - data.rows[f"{ref}.qalys"]
        quantities = {"delta_cost": dc, "delta_qalys": dq, **{f"incremental_net_benefit_{lam}": lam * dq - dc for lam in THRESHOLDS}}
        for name, y in quantities.items():
            rows.append({"scenario": a.label, "quantity": name, **_noise_shares(y, data.rows["point"], spec)})
    return pd.DataFrame(rows, columns=["scenario", "quantity", "noise_share", "noise_share_of_means", "replications"])


def _noise_shares(y: pd.Series, point: pd.Series, spec: SweepSpec) -> dict[str, float]:
    if spec.engine == "twin":
        return {"noise_share": 0.0, "noise_share_of_means": 0.0, "replications": 1}
    if spec.reps < 2:
        return {"noise_share": float("nan"), "noise_share_of_means": float("nan"), "replications": spec.reps}
    within = float(y.groupby(point).var(ddof=1).mean())
    between = float(y.groupby(point).mean().var(ddof=1))
    # the law of total variance over the runs: total = mean within-sample variance + variance of the sample means
    total = float(y.var(ddof=0))
    within_runs = float(y.groupby(point).var(ddof=0).mean())
    return {"noise_share": within_runs / total if total > 0 else float("nan"),
            "noise_share_of_means": (within / spec.reps) / between if between > 0 else float("nan"),
            "replications": spec.reps}


@dataclass
class PsaValue:
    """What a PSA says about the value of information: ``psa-evppi.csv`` and ``psa-thresholds.csv``."""

    evppi: pd.DataFrame
    thresholds: pd.DataFrame


def psa_value(data: SweepData, result: PsaResult, top: int | None = None) -> PsaValue:
    """EVPI and EVPPI (per parameter and per group, see :mod:`simulation.voi`) of the PSA's decisions at
    each threshold, and, for the parameters with the highest EVPPI, the value at which the preferred
    decision switches. Net benefit uses the result's perspective (health and care by default)."""
    from . import voi
    from .calibration import FITTED

    spec = data.spec
    design = data.design[data.design["block"] == "psa"].set_index("point").sort_index()
    samples = result.plane["sample"].drop_duplicates().sort_values().to_numpy()
    x = pd.DataFrame({f.path: design.loc[samples, PARAM + f.path].to_numpy(dtype=float) for f in spec.factors})
    inc = voi.increments(result.plane, result.reference)
    fitted = spec.ensemble_paths or tuple(p for p in FITTED if p in x.columns)
    groups = voi.parameter_groups(list(x.columns), fitted)
    labels = {f.path: _label(f) for f in spec.factors}
    found = voi.value_of_information(x, inc, labels, groups, seed=spec.seed)
    evppi = found.evppi.assign(population="modelled population over the run (whole county, discounted)",
                               perspective=result.perspective)
    return PsaValue(evppi, voi.thresholds(found, inc, spec.factors, top or voi.TOP_THRESHOLDS))


def probability_best(nmb: np.ndarray) -> np.ndarray:
    """Share of samples (columns) in which each scenario (row) has the highest net benefit.

    Ties share the sample equally, so the shares always add up to 1.
    """
    nmb = np.asarray(nmb, dtype=float)
    top = nmb.max(axis=0)
    winners = np.isclose(nmb, top, rtol=0, atol=1e-9 * max(1.0, float(np.abs(top).max()) if top.size else 1.0))
    return (winners / winners.sum(axis=0)).mean(axis=1)
