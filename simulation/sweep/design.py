"""What a sweep is and where its points lie: factors, arms, the spec and the designs.

A :class:`SweepSpec` holds everything that decides a sweep's numbers (not how
or where it runs); :func:`make_design` turns it into one row per design point,
and :func:`design_hash` fingerprints both, so that results of different sweeps
never mix.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..parameters import UNITS
from ..formatting import years as years_text

DESIGNS = ("grid", "lhs", "sobol", "morris")
"""Designs a researcher can ask for (``psa`` and ``oneway`` are made by other commands)."""

DEFAULT_SAMPLES = {"lhs": 32, "sobol": 64, "morris": 10}
DEFAULT_STEPS = 5
MORRIS_LEVELS = 4
PARAM = "param."
UNIT = "unit."


# ---------------------------------------------------------------------------
# What a sweep is


@dataclass(frozen=True)
class Factor:
    """A parameter the sweep varies, over [low, high]."""

    path: str
    low: float
    high: float
    steps: int | None = None
    """Grid levels (grid designs only)."""
    integer: bool = False
    """Whole numbers only (people, places): design values are rounded."""
    base: float | None = None
    """The primary scenario's value (the one-way tornado's centre)."""
    label: str = ""
    unit: str = ""
    distribution: Mapping[str, Any] | None = None
    """For PSA: the declared distribution (uniform on low..high if None)."""

    def value(self, u: float) -> float:
        """The parameter value at quantile / unit-cube coordinate ``u``."""
        return float(self.values(np.array([u], dtype=float))[0])

    def values(self, u: np.ndarray) -> np.ndarray:
        """The parameter's values at quantiles / unit-cube coordinates ``u`` (an array).

        Without a distribution, evenly across [low, high]. With one, the
        distribution *truncated* to [low, high] (the declared range is the
        plausible support): the inverse CDF between F(low) and F(high), so
        that no draw leaves the range and, inside it, the shape is the
        declared one (not clipped: no lumps at the ends).
        """
        u = np.asarray(u, dtype=float)
        if self.distribution is not None:
            x = truncated_quantile(self.distribution, u, self.low, self.high)
        else:
            x = self.low + u * (self.high - self.low)
        unit = UNITS.get(self.unit)
        if unit is not None:  # a distribution's tail must not leave what the unit allows
            if unit.minimum is not None:
                x = np.maximum(x, float(unit.minimum))
            if unit.maximum is not None:
                x = np.minimum(x, float(unit.maximum))
        if self.integer:
            x = np.round(x)
        return x

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["distribution"] = dict(self.distribution) if self.distribution else None
        return d


def _frozen(dist: Mapping[str, Any]) -> Any:
    """The declared distribution as a frozen scipy distribution (None for uniform and triangular, done by hand)."""
    from scipy import stats

    kind = dist["type"]
    if kind == "beta":
        return stats.beta(dist["alpha"], dist["beta"])
    if kind == "gamma":
        return stats.gamma(dist["shape"], scale=dist["scale"])
    if kind == "lognormal":
        return stats.lognorm(dist["sd_log"], scale=math.exp(dist["mean_log"]))
    if kind == "normal":
        return stats.norm(dist["mean"], dist["sd"])
    if kind == "triangular":
        lo, mode, hi = dist["low"], dist["mode"], dist["high"]
        return stats.triang((mode - lo) / (hi - lo), loc=lo, scale=hi - lo) if hi > lo else None
    if kind == "uniform":
        return None
    raise ValueError(f"unknown distribution {kind}")


def quantile(dist: Mapping[str, Any], u: Any) -> Any:
    """The value of a declared distribution at cumulative probability ``u`` (kept off 0 and 1; a number or an array)."""
    kind = dist["type"]
    scalar = np.ndim(u) == 0
    u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
    if kind == "uniform":
        x = dist["low"] + u * (dist["high"] - dist["low"])
    elif kind == "triangular" and dist["high"] == dist["low"]:
        x = np.full_like(u, float(dist["low"]))
    else:
        x = _frozen(dist).ppf(u)
    return float(x) if scalar else np.asarray(x, dtype=float)


def cdf(dist: Mapping[str, Any], x: float) -> float:
    """The declared distribution's cumulative probability at ``x``."""
    kind = dist["type"]
    if kind == "uniform":
        lo, hi = dist["low"], dist["high"]
        return float(min(max((x - lo) / (hi - lo), 0.0), 1.0)) if hi > lo else float(x >= lo)
    frozen = _frozen(dist)
    return float(x >= dist["low"]) if frozen is None else float(frozen.cdf(x))


def truncated_quantile(dist: Mapping[str, Any], u: Any, low: float, high: float) -> np.ndarray:
    """Quantiles of a declared distribution truncated to [low, high]: F^-1(F(low) + u (F(high) - F(low))).

    If the range holds (numerically) none of the distribution's mass, the
    range itself is all that is left: evenly across it.
    """
    u = np.asarray(u, dtype=float)
    f_low, f_high = cdf(dist, low), cdf(dist, high)
    if not f_high - f_low > 1e-12:
        return low + u * (high - low)
    x = np.asarray(quantile(dist, f_low + u * (f_high - f_low)), dtype=float)
    return np.clip(x, low, high)   # rounding at the ends of the inverse CDF only


@dataclass(frozen=True)
class Arm:
    """A scenario the sweep runs at every point; ``key`` prefixes its metric columns."""

    key: str
    label: str
    file: str
    content_hash: str
    fixed_paths: tuple[str, ...] = ()
    """Paths this arm keeps at its own value (PSA: the scenario's decisions)."""


@dataclass(frozen=True)
class SweepSpec:
    """Everything that decides a sweep's numbers (not how or where it runs)."""

    kind: str
    """'sweep' or 'psa'."""
    design: str
    factors: tuple[Factor, ...]
    arms: tuple[Arm, ...]
    samples: int
    reps: int
    seed: int
    years: float
    scale: float
    warmup_years: float
    oneway: bool = True
    """Add the one-way points (each factor at its low and high, the rest at base)."""
    delta: tuple[str, str] | None = None
    """(alternative key, comparator key): store ``delta.M`` = alternative - comparator."""
    model: str = ""
    """The model's source fingerprint: results of different code never mix."""
    name: str = ""
    engine: str = "simulation"
    """'simulation' (the SimPy model, replications) or 'twin' (the mean-field twin: deterministic,
    full county, one 'replication' per point, every arm integrated together on the same steps)."""
    ensemble_paths: tuple[str, ...] = ()
    """PSA with a calibration ensemble: the fitted parameters each sample takes from one member, together."""
    ensemble: tuple[tuple[float, ...], ...] = ()
    """The ensemble's members (one tuple of values per member, in the order of ``ensemble_paths``)."""
    ensemble_file: str = ""
    """Where the ensemble was read from (shown, not hashed: the members are)."""

    def as_dict(self) -> dict[str, Any]:
        d = {
            "kind": self.kind, "name": self.name, "design": self.design, "samples": self.samples, "reps": self.reps,
            "seed": self.seed, "years": self.years, "scale": self.scale, "warmup_years": self.warmup_years,
            "oneway": self.oneway, "delta": list(self.delta) if self.delta else None, "model": self.model,
            "factors": [f.as_dict() for f in self.factors],
            "arms": [asdict(a) | {"fixed_paths": list(a.fixed_paths)} for a in self.arms],
        }
        if self.engine != "simulation":   # older sweeps (and their design hashes) stay as they were
            d["engine"] = self.engine
        if self.ensemble_paths:   # likewise: a sweep without an ensemble hashes as before
            d["ensemble"] = {"file": self.ensemble_file, "paths": list(self.ensemble_paths),
                             "members": [list(m) for m in self.ensemble]}
        return d

    @property
    def arm_runs(self) -> int:
        """Model replications per task."""
        return len(self.arms)


def spec_from_dict(d: Mapping[str, Any]) -> SweepSpec:
    factors = tuple(Factor(**{**f, "distribution": f.get("distribution")}) for f in d["factors"])
    arms = tuple(Arm(**{**a, "fixed_paths": tuple(a.get("fixed_paths", ()))}) for a in d["arms"])
    return SweepSpec(d["kind"], d["design"], factors, arms, d["samples"], d["reps"], d["seed"], d["years"], d["scale"],
                     d["warmup_years"], d.get("oneway", True), tuple(d["delta"]) if d.get("delta") else None,
                     d.get("model", ""), d.get("name", ""), d.get("engine", "simulation"),
                     *_ensemble_from_dict(d.get("ensemble")))


def _ensemble_from_dict(e: Mapping[str, Any] | None) -> tuple[tuple[str, ...], tuple[tuple[float, ...], ...], str]:
    if not e:
        return (), (), ""
    return tuple(e["paths"]), tuple(tuple(float(v) for v in m) for m in e["members"]), str(e.get("file", ""))


# ---------------------------------------------------------------------------
# Designs


def make_design(spec: SweepSpec) -> pd.DataFrame:
    """One row per design point: point, block, unit.PATH (0..1) and param.PATH (the value used)."""
    d = len(spec.factors)
    if spec.design == "grid":
        axes = [np.linspace(0.0, 1.0, f.steps or DEFAULT_STEPS) for f in spec.factors]
        mesh = np.meshgrid(*axes, indexing="ij")
        cube = np.column_stack([m.ravel() for m in mesh]) if d else np.zeros((1, 0))
    elif spec.design in ("lhs", "sobol", "morris"):
        problem = {"num_vars": d, "names": [f.path for f in spec.factors], "bounds": [[0.0, 1.0]] * d}
        if spec.design == "lhs":
            from SALib.sample import latin

            cube = latin.sample(problem, spec.samples, seed=spec.seed)
        elif spec.design == "sobol":
            import warnings

            from SALib.sample import sobol

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # N not a power of 2: allowed, noted by the command
                cube = sobol.sample(problem, spec.samples, calc_second_order=False, scramble=True, seed=spec.seed)
        else:
            from SALib.sample import morris

            cube = morris.sample(problem, spec.samples, num_levels=MORRIS_LEVELS, seed=spec.seed)
    elif spec.design == "psa":
        rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 0x505341]))  # 'PSA'
        cube = rng.random((spec.samples, d))
    elif spec.design == "oneway":
        cube = np.zeros((0, d))
    else:
        raise ValueError(f"unknown design {spec.design}")
    blocks = [spec.design] * len(cube)
    values = np.column_stack([f.values(cube[:, j]) for j, f in enumerate(spec.factors)]) if d else np.zeros((len(cube), 0))
    members = _ensemble_members(spec, cube, values) if spec.design == "psa" and spec.ensemble_paths else None
    if spec.oneway and spec.design != "psa":
        ow_cube, ow_values = [], []
        base = [f.base if f.base is not None else (f.low + f.high) / 2 for f in spec.factors]
        ow_cube.append([_to_unit(f, b) for f, b in zip(spec.factors, base)])
        ow_values.append(list(base))
        for i, f in enumerate(spec.factors):
            for end in (f.low, f.high):
                row = list(base)
                row[i] = end
                ow_values.append(row)
                ow_cube.append([_to_unit(g, v) for g, v in zip(spec.factors, row)])
        cube = np.vstack([cube, np.array(ow_cube).reshape(-1, d)])
        values = np.vstack([values, np.array(ow_values, dtype=float).reshape(-1, d)])
        blocks += ["oneway"] * len(ow_values)
    columns: dict[str, Any] = {"point": np.arange(len(cube), dtype=np.int64), "block": blocks}
    if members is not None:
        columns["member"] = members
    columns.update({UNIT + f.path: cube[:, j].astype(float) for j, f in enumerate(spec.factors)})
    columns.update({PARAM + f.path: values[:, j].astype(float) for j, f in enumerate(spec.factors)})
    return pd.DataFrame(columns)


def _ensemble_members(spec: SweepSpec, cube: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each PSA sample takes one member of the calibration ensemble (uniformly, with replacement) for all the
    fitted parameters together; their columns are overwritten in place (``unit.`` at the member's place in
    the range). The other parameters' draws are those of a PSA without the ensemble."""
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 0x454E53]))   # 'ENS'
    members = rng.integers(0, len(spec.ensemble), size=len(cube))
    table = np.asarray(spec.ensemble, dtype=float)
    where = {f.path: j for j, f in enumerate(spec.factors)}
    for k, path in enumerate(spec.ensemble_paths):
        j = where[path]
        f = spec.factors[j]
        column = table[members, k]
        values[:, j] = np.round(column) if f.integer else column
        cube[:, j] = [_to_unit(f, v) for v in values[:, j]]
    return members.astype(np.int64)


def _to_unit(f: Factor, x: float) -> float:
    return (x - f.low) / (f.high - f.low) if f.high > f.low else 0.0


def design_hash(spec: SweepSpec, design: pd.DataFrame) -> str:
    """A hash of everything that decides the sweep's numbers."""
    d = spec.as_dict()
    d["arms"] = [{k: v for k, v in a.items() if k != "file"} for a in d["arms"]]  # content, not location
    if "ensemble" in d:
        d["ensemble"] = {k: v for k, v in d["ensemble"].items() if k != "file"}
    h = hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode())
    h.update(pd.util.hash_pandas_object(design, index=True).values.tobytes())
    return h.hexdigest()[:16]


def task_id(point: int, rep: int) -> str:
    return f"p{point:07d}r{rep:05d}"


def point_values(spec: SweepSpec, design: pd.DataFrame) -> list[dict[str, float]]:
    cols = [PARAM + f.path for f in spec.factors]
    return [dict(zip((f.path for f in spec.factors), map(float, row))) for row in design[cols].itertuples(index=False, name=None)]


def describe(spec: SweepSpec, design: pd.DataFrame) -> str:
    blocks = design["block"].value_counts()
    main = int(blocks.get(spec.design, 0))
    extra = int(blocks.get("oneway", 0))
    what = f"{main} {spec.design} point{'s' if main != 1 else ''}"
    if extra:
        what += f" + {extra} one-way points"
    arms = " and ".join(a.label for a in spec.arms)
    if spec.engine == "twin":
        return (f"{what} of {arms} on the mean-field twin ({len(design):,} deterministic runs of {spec.arm_runs} "
                f"arm{'s' if spec.arm_runs != 1 else ''} integrated together; {years_text(spec.years)}, whole county)")
    return (f"{what} x {spec.reps} replication{'s' if spec.reps != 1 else ''} of {arms} "
            f"({len(design) * spec.reps * spec.arm_runs:,} model runs; {years_text(spec.years)}, scale {spec.scale:g}, seed {spec.seed})")

