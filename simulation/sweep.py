"""Batch sweeps: designs, a resumable Parquet result store, local and Dask execution.

A sweep varies some parameters over ranges and runs every *design point*
``reps`` times. Point ``i`` replication ``r`` is run with the sweep's seed and
replication number ``r`` at every point, so two points share their random
numbers (common random numbers) and differ only by their parameter values.
With a comparator (``--compare BASE.yaml``) each point x replication runs both
scenarios with the same parameter values and the same randomness, and the
paired differences are stored beside the metrics as ``delta.METRIC``.

The store (``DIR``) holds::

    sweep-manifest.json   what the sweep is (options, factors, a hash of the design),
                          progress and speed of every session that worked on it
    design.parquet        one row per design point: point, block, param.PATH, unit.PATH
    rows/part-*.parquet   the results: one row per (point, replication), written in
                          chunks as work completes (temporary file + os.replace)

Each (point, replication) has a fixed task id, so ``--resume`` runs only what
no chunk holds yet: no row is lost or written twice, and because a task is a
pure function of its inputs, the final rows equal an uninterrupted run's.

Execution is local processes by default (``workers``) or a Dask distributed
cluster (``scheduler``); both run the same top-level task function.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import os
import platform
import socket
import sys
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import model_fingerprint
from .errors import InputError, Problem, display_path
from .parameters import MONEY_PREFIX, UNITS, coerce_value

DESIGNS = ("grid", "lhs", "sobol", "morris")
"""Designs a researcher can ask for (``psa`` and ``oneway`` are made by other commands)."""

DEFAULT_SAMPLES = {"lhs": 32, "sobol": 64, "morris": 10}
DEFAULT_STEPS = 5
MORRIS_LEVELS = 4
MANIFEST = "sweep-manifest.json"
DESIGN = "design.parquet"
ROWS = "rows"
PARAM = "param."
UNIT = "unit."
RUN_COLUMNS = ("run.seconds",)
"""Diagnostic columns that differ between runs (not results)."""
KEY_COLUMNS = ("task_id", "point", "replication", "seed")
FORMAT_VERSION = 1

Progress = Callable[[int, int], None]


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
        if self.distribution is not None:
            x = float(_ppf(self.distribution, u))
        else:
            x = self.low + u * (self.high - self.low)
        unit = UNITS.get(self.unit)
        if unit is not None:  # a distribution's tail must not leave what the unit allows
            if unit.minimum is not None:
                x = max(x, float(unit.minimum))
            if unit.maximum is not None:
                x = min(x, float(unit.maximum))
        if self.integer:
            x = float(round(x))
        return x

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["distribution"] = dict(self.distribution) if self.distribution else None
        return d


def _ppf(dist: Mapping[str, Any], u: float) -> float:
    from scipy import stats

    kind = dist["type"]
    u = min(max(u, 1e-12), 1 - 1e-12)
    if kind == "uniform":
        return dist["low"] + u * (dist["high"] - dist["low"])
    if kind == "triangular":
        lo, mode, hi = dist["low"], dist["mode"], dist["high"]
        if hi == lo:
            return lo
        return float(stats.triang.ppf(u, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo))
    if kind == "beta":
        return float(stats.beta.ppf(u, dist["alpha"], dist["beta"]))
    if kind == "gamma":
        return float(stats.gamma.ppf(u, dist["shape"], scale=dist["scale"]))
    if kind == "lognormal":
        return float(stats.lognorm.ppf(u, dist["sd_log"], scale=math.exp(dist["mean_log"])))
    if kind == "normal":
        return float(stats.norm.ppf(u, dist["mean"], dist["sd"]))
    raise ValueError(f"unknown distribution {kind}")


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
                     d.get("model", ""), d.get("name", ""), d.get("engine", "simulation"))


# ---------------------------------------------------------------------------
# Factors from the command line or a sweep file


def parse_vary(text: str) -> tuple[str, str | None, str | None, str | None]:
    """'PATH=LOW:HIGH[:STEPS]' or 'PATH' -> (path, low, high, steps) as text."""
    path, eq, rng = text.partition("=")
    path = path.strip()
    if not eq:
        return path, None, None, None
    parts = rng.split(":")
    if len(parts) not in (2, 3):
        return path, "", "", None
    low, high = parts[0].strip(), parts[1].strip()
    steps = parts[2].strip() if len(parts) == 3 else None
    return path, low, high, steps


def _number(text: Any, unit: str) -> tuple[Any, str | None]:
    """A bound given as text or a number, checked against the parameter's unit."""
    value = text
    if isinstance(text, str):
        cleaned = text.strip().replace(",", "").replace("_", "")
        if cleaned.startswith(MONEY_PREFIX):
            cleaned = cleaned[len(MONEY_PREFIX):].strip()
        try:
            value = float(cleaned)
        except ValueError:
            return text, "is not a number"
        if value.is_integer() and UNITS[unit].kind == "int":
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return text, "is not a number"
    return coerce_value(unit, value)


def make_factor(path: str, low: Any, high: Any, steps: Any, params: Mapping[str, Any], where: str,
                field_name: str, line: int | None = None, design: str = "grid") -> tuple[Factor | None, list[Problem]]:
    """Check one varied parameter against the scenario's catalogue."""
    from .scenario import _did_you_mean

    def problem(message: str, value: Any = None, allowed: str | None = None) -> list[Problem]:
        return [Problem(where, message, line, field_name, value, allowed)]

    if not path:
        return None, problem("names no parameter", allowed="PATH=LOW:HIGH[:STEPS], e.g. services.day_centre.places=200:350")
    if path not in params:
        return None, problem(f"unknown parameter{_did_you_mean(path, params)}", path, "a dotted path declared in baseline.yaml")
    spec = params[path]
    kind = UNITS[spec.unit].kind
    if kind not in ("int", "float"):
        return None, problem(f"'{path}' is a {spec.unit}, not a number, so it cannot be varied over a range", path,
                             "a numeric parameter (use a scenario file for switches and dates)")
    problems: list[Problem] = []
    if low is None and high is None:
        if spec.low is None or spec.high is None:
            return None, problem(f"'{path}' declares no range (low/high), so give one", path, f"{path}=LOW:HIGH")
        lo, hi = spec.low, spec.high
    else:
        if low in (None, "") or high in (None, ""):
            return None, problem("a range needs LOW and HIGH", f"{path}={low or ''}:{high or ''}", "PATH=LOW:HIGH[:STEPS]")
        lo, issue_lo = _number(low, spec.unit)
        hi, issue_hi = _number(high, spec.unit)
        allowed = f"{UNITS[spec.unit].allowed(spec.unit)} ({spec.unit})"
        if issue_lo:
            problems += problem(f"LOW {issue_lo}", low, allowed)
        if issue_hi:
            problems += problem(f"HIGH {issue_hi}", high, allowed)
        if problems:
            return None, problems
    if lo > hi:
        return None, problem("LOW is above HIGH", f"{path}={_fmt(lo)}:{_fmt(hi)}", "LOW below HIGH")
    if lo == hi:
        return None, problem("the range is empty (LOW equals HIGH)", f"{path}={_fmt(lo)}:{_fmt(hi)}",
                             "LOW below HIGH (to fix a value, write it in a scenario file)")
    n_steps = None
    if steps not in (None, ""):
        try:
            n_steps = int(str(steps).strip()) if not isinstance(steps, bool) else None
            if isinstance(steps, float) and not steps.is_integer():
                n_steps = None
        except ValueError:
            n_steps = None
        if n_steps is None or n_steps < 2 or n_steps > 1000:
            return None, problem("STEPS must be a whole number from 2 to 1000", steps, "e.g. services.day_centre.places=200:350:4")
        if design != "grid":
            return None, problem(f"STEPS only applies to a grid design (this one is {design})", steps,
                                 "leave STEPS out, or use --design grid")
    elif design == "grid":
        n_steps = DEFAULT_STEPS
    base = spec.value if isinstance(spec.value, (int, float)) and not isinstance(spec.value, bool) else None
    return Factor(path, float(lo), float(hi), n_steps, kind == "int", None if base is None else float(base),
                  spec.plain_label(), spec.unit), []


def _fmt(x: float) -> str:
    return f"{x:g}"


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
    values = np.array([[f.value(u) for f, u in zip(spec.factors, row)] for row in cube]).reshape(len(cube), d)
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
    columns.update({UNIT + f.path: cube[:, j].astype(float) for j, f in enumerate(spec.factors)})
    columns.update({PARAM + f.path: values[:, j].astype(float) for j, f in enumerate(spec.factors)})
    return pd.DataFrame(columns)


def _to_unit(f: Factor, x: float) -> float:
    return (x - f.low) / (f.high - f.low) if f.high > f.low else 0.0


def design_hash(spec: SweepSpec, design: pd.DataFrame) -> str:
    """A hash of everything that decides the sweep's numbers."""
    d = spec.as_dict()
    d["arms"] = [{k: v for k, v in a.items() if k != "file"} for a in d["arms"]]  # content, not location
    h = hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode())
    h.update(pd.util.hash_pandas_object(design, index=True).values.tobytes())
    return h.hexdigest()[:16]


def task_id(point: int, rep: int) -> str:
    return f"p{point:07d}r{rep:05d}"


def point_values(spec: SweepSpec, design: pd.DataFrame) -> list[dict[str, float]]:
    cols = [PARAM + f.path for f in spec.factors]
    return [dict(zip((f.path for f in spec.factors), map(float, row))) for row in design[cols].itertuples(index=False, name=None)]


# ---------------------------------------------------------------------------
# Assumptions written in a scenario's actions (redirect shares, raised crisis risk)

ACTION_PREFIX = "actions."


def action_catalogue(scenario: Any) -> dict[str, Any]:
    """The numbers in a scenario's 'close' actions, as parameters a sweep can vary.

    ``actions.close.SERVICE.redirect.TARGET`` is the share of users referred to
    TARGET, ``actions.close.SERVICE.raised_crisis_risk.multiplier`` and
    ``.months`` the raised crisis risk of those left without a place. They have
    no declared range, so a sweep gives one.
    """
    from .catalogue import SERVICES
    from .parameters import ParamSpec

    out: dict[str, Any] = {}
    for a in scenario.actions:
        if a.verb != "close" or not a.service:
            continue
        base = f"{ACTION_PREFIX}close.{a.service}"
        label = SERVICES[a.service].label.lower()
        for target, share in a.redirect:
            path = f"{base}.redirect.{target}"
            out.setdefault(path, ParamSpec(path, share, "share", assumption=f"{a.file}: {a.describe()}",
                                           label=f"Share of {label} users referred to {target.replace('_', ' ')} on closure"))
        if a.raised_risk is not None:
            mult, months = a.raised_risk
            out.setdefault(f"{base}.raised_crisis_risk.multiplier",
                           ParamSpec(f"{base}.raised_crisis_risk.multiplier", mult, "multiplier",
                                     label=f"Crisis risk multiplier after losing a {label} place"))
            out.setdefault(f"{base}.raised_crisis_risk.months",
                           ParamSpec(f"{base}.raised_crisis_risk.months", months, "months",
                                     label=f"Months of raised crisis risk after losing a {label} place"))
    return out


def with_action_values(scenario: Any, values: Mapping[str, float]) -> Any:
    """A copy of ``scenario`` whose close actions use the given redirect shares and raised risk."""
    from dataclasses import replace

    from .scenario import _finish

    if not values:
        return scenario
    actions = []
    changed = False
    for a in scenario.actions:
        if a.verb == "close" and a.service:
            base = f"{ACTION_PREFIX}close.{a.service}"
            redirect = tuple((t, float(values.get(f"{base}.redirect.{t}", s))) for t, s in a.redirect)
            raised = a.raised_risk
            if raised is not None:
                raised = (float(values.get(f"{base}.raised_crisis_risk.multiplier", raised[0])),
                          float(values.get(f"{base}.raised_crisis_risk.months", raised[1])))
            if redirect != a.redirect or raised != a.raised_risk:
                a = replace(a, redirect=redirect, raised_risk=raised)
                changed = True
        actions.append(a)
    return _finish(replace(scenario, actions=tuple(actions))) if changed else scenario


def _redirect_problems(scenario: Any, factors: Sequence[Factor], where: str) -> list[Problem]:
    """Varied redirect shares must never add up to more than 1."""
    highs = {f.path: f.high for f in factors}
    problems = []
    for a in scenario.actions:
        if a.verb == "close" and a.service and a.redirect:
            base = f"{ACTION_PREFIX}close.{a.service}.redirect."
            worst = sum(highs.get(base + t, s) for t, s in a.redirect)
            if any(base + t in highs for t, _ in a.redirect) and worst > 1 + 1e-9:
                problems.append(Problem(where, f"the redirect shares of closing {a.service} could add up to more than 1",
                                        None, "--vary", round(worst, 6),
                                        "ranges whose highs (with the shares not varied) add up to at most 1"))
    return problems


# ---------------------------------------------------------------------------
# What runs at each point


class ScenarioModel:
    """Runs every arm of a sweep at one design point and replication (picklable).

    ``arms`` pairs each arm with its resolved scenario; ``delta`` names the
    (alternative, comparator) keys whose paired differences are stored.
    """

    def __init__(self, spec: SweepSpec, scenarios: Sequence[Any]):
        self.arms = [(arm, scenario) for arm, scenario in zip(spec.arms, scenarios)]
        self.years, self.scale, self.warmup = spec.years, spec.scale, spec.warmup_years
        self.delta = spec.delta

    def arm_scenario(self, arm: Arm, scenario: Any, values: Mapping[str, float]) -> Any:
        """The arm's scenario with the point's values (its own fixed paths and absent actions kept)."""
        chosen = {}
        actions = {}
        for path, value in values.items():
            if path in arm.fixed_paths:
                continue
            if path.startswith(ACTION_PREFIX):
                actions[path] = value
                continue
            spec = scenario.params[path]
            v, issue = coerce_value(spec.unit, int(round(value)) if UNITS[spec.unit].kind == "int" else value)
            if issue:  # the design was checked against the units, so this is a bug
                raise ValueError(f"{path} = {value}: {issue}")
            chosen[path] = v
        sc = scenario.with_values(chosen) if chosen else scenario
        return with_action_values(sc, actions)  # arms without the action (the comparator) keep theirs

    def run_arms(self, scenarios: Sequence[Any], seed: int, rep: int) -> list[dict[str, float]]:
        from .experiment import run_replication

        return [run_replication(sc, seed, rep, self.years, self.scale, self.warmup).metrics for sc in scenarios]

    def __call__(self, values: Mapping[str, float], seed: int, rep: int) -> dict[str, float]:
        out: dict[str, float] = {}
        per_arm: dict[str, dict[str, float]] = {}
        scenarios = [self.arm_scenario(arm, scenario, values) for arm, scenario in self.arms]
        for (arm, _), metrics in zip(self.arms, self.run_arms(scenarios, seed, rep)):
            per_arm[arm.key] = metrics
            prefix = f"{arm.key}." if arm.key else ""
            out.update({prefix + m: float(v) for m, v in metrics.items()})
        if self.delta:
            alt, base = per_arm[self.delta[0]], per_arm[self.delta[1]]
            out.update({f"delta.{m}": float(alt[m]) - float(base[m]) for m in alt if m in base})
        return out


class TwinScenarioModel(ScenarioModel):
    """The same arms run on the mean-field twin: deterministic, full county, every arm integrated
    together on the same steps (so the stored differences carry no integration error)."""

    def run_arms(self, scenarios: Sequence[Any], seed: int, rep: int) -> list[dict[str, float]]:
        from .twin import run_twins

        return [r.metrics for r in run_twins(scenarios, years=self.years, warmup_years=self.warmup)]


def sweep_model(spec: SweepSpec, scenarios: Sequence[Any]) -> ScenarioModel:
    """What runs at each point: the simulation or the twin, as the sweep says."""
    return (TwinScenarioModel if spec.engine == "twin" else ScenarioModel)(spec, scenarios)


class Ishigami:
    """The Ishigami test function (known Sobol indices), run through the sweep machinery.

    y = sin x1 + a sin^2 x2 + b x3^4 sin x1, with x_i uniform on [-pi, pi].
    With a = 7, b = 0.1: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    """

    def __init__(self, a: float = 7.0, b: float = 0.1):
        self.a, self.b = a, b

    def __call__(self, values: Mapping[str, float], seed: int, rep: int) -> dict[str, float]:
        x1, x2, x3 = values["x1"], values["x2"], values["x3"]
        return {"y": math.sin(x1) + self.a * math.sin(x2) ** 2 + self.b * x3 ** 4 * math.sin(x1)}

    @staticmethod
    def analytic(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
        v1 = 0.5 * (1 + b * math.pi ** 4 / 5) ** 2
        v2 = a ** 2 / 8
        v13 = b ** 2 * math.pi ** 8 * (1 / 18 - 1 / 50)
        var = v1 + v2 + v13
        return [v1 / var, v2 / var, 0.0], [(v1 + v13) / var, v2 / var, v13 / var]


# The task every executor runs: a top-level function, so processes and Dask workers can import it.
_WORKER_MODEL: Any = None


def run_task(model: Callable, task: tuple[str, int, int, dict[str, float]], seed: int) -> dict[str, Any]:
    """One (point, replication): the row the store keeps."""
    tid, point, rep, values = task
    started = time.perf_counter()
    metrics = model(values, seed, rep)
    row: dict[str, Any] = {"task_id": tid, "point": point, "replication": rep, "seed": seed}
    row.update({PARAM + k: float(v) for k, v in values.items()})
    row.update(metrics)
    row["run.seconds"] = time.perf_counter() - started
    return row


def _init_worker(model: Callable) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _local_task(task: tuple, seed: int) -> dict[str, Any]:
    return run_task(_WORKER_MODEL, task, seed)


# ---------------------------------------------------------------------------
# The store


class SweepStore:
    """A sweep's folder: manifest, design and chunks of rows."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.manifest_path = self.root / MANIFEST
        self.design_path = self.root / DESIGN
        self.rows_dir = self.root / ROWS

    # -- reading ------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_path.read_text())

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.design_path)

    def chunk_files(self) -> list[Path]:
        if not self.rows_dir.is_dir():
            return []
        return sorted(p for p in self.rows_dir.glob("part-*.parquet"))

    def done_ids(self) -> set[str]:
        import pyarrow.parquet as pq

        done: set[str] = set()
        for path in self.chunk_files():
            done.update(pq.read_table(path, columns=["task_id"]).column("task_id").to_pylist())
        return done

    def rows(self, drop_run_columns: bool = False) -> pd.DataFrame:
        """Every stored row, ordered by point and replication."""
        frames = [pd.read_parquet(p) for p in self.chunk_files()]
        if not frames:
            return pd.DataFrame(columns=list(KEY_COLUMNS))
        frame = pd.concat(frames, ignore_index=True)
        frame = frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
        if drop_run_columns:
            frame = frame.drop(columns=[c for c in RUN_COLUMNS if c in frame.columns])
        return frame

    # -- writing ------------------------------------------------------------
    def create(self, spec: SweepSpec, design: pd.DataFrame, digest: str, command: str) -> None:
        """Write the design and the manifest (the manifest last: it marks a sweep folder)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.rows_dir.mkdir(exist_ok=True)
        _atomic_parquet(design, self.design_path)
        tasks = len(design) * spec.reps
        manifest = {
            "tool": "mhsim", "format": FORMAT_VERSION, "command": command, "design_hash": digest,
            "created": _now(), "spec": spec.as_dict(), "points": int(len(design)), "replications_per_point": spec.reps,
            "tasks": tasks, "model_runs": tasks * spec.arm_runs, "status": "started", "rows_done": 0,
            "python": sys.version.split()[0], "platform": platform.platform(), "host": socket.gethostname(),
            "sessions": [],
        }
        self.write_manifest(manifest)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        tmp = self.root / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        os.replace(tmp, self.manifest_path)

    def write_chunk(self, rows: list[dict[str, Any]]) -> Path:
        """Write completed rows as one new Parquet file, atomically."""
        frame = pd.DataFrame(rows)
        first = rows[0]["task_id"]
        name = f"part-{time.time_ns():020d}-{first}-{uuid.uuid4().hex[:8]}.parquet"
        path = self.rows_dir / name
        _atomic_parquet(frame, path)
        return path

    def clean_temporary(self) -> None:
        """Remove temporary files a killed run left (they never hold finished rows)."""
        for folder in (self.root, self.rows_dir):
            if folder.is_dir():
                for p in folder.glob(".*.tmp"):
                    p.unlink(missing_ok=True)


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def check_out_dir(root: Path, digest: str, spec: SweepSpec, resume: bool) -> list[Problem]:
    """Whether ``root`` can take this sweep: new, empty, or (with --resume) the same sweep."""
    shown = display_path(root)
    try:
        if root.exists() and not root.is_dir():
            return [Problem(shown, "--out names a file, not a folder", field="--out", allowed="a folder (created if missing)")]
        for parent in root.parents:
            if parent.exists():
                if not parent.is_dir():
                    return [Problem(shown, f"--out is inside {display_path(parent)}, which is a file", field="--out",
                                    allowed="a folder (created if missing)")]
                break
        store = SweepStore(root)
        if store.exists():
            try:
                old = store.manifest()
            except (OSError, ValueError) as exc:
                return [Problem(shown, f"its {MANIFEST} cannot be read ({exc})", field="--out",
                                allowed="a sweep folder, or a new folder")]
            if not resume:
                return [Problem(shown, "already holds a sweep", field="--out",
                                allowed="--resume to finish it, or a new --out folder")]
            if old.get("design_hash") != digest:
                return [Problem(shown, "holds a different sweep, so --resume cannot continue it", field="--resume",
                                value=f"its design {old.get('design_hash')}, this one {digest}",
                                allowed="the same scenario, ranges, design, samples, reps, seed, years and scale "
                                        f"({_differences(old.get('spec', {}), spec.as_dict())}), or a new --out folder")]
            return []
        if root.is_dir() and any(p.name not in (ROWS, DESIGN) and not p.name.startswith(".") for p in root.iterdir()):
            return [Problem(shown, "is a folder that holds other files, not a sweep", field="--out",
                            allowed="a new or empty folder, or a sweep folder with --resume")]
        if (root / ROWS).is_dir() and any((root / ROWS).glob("part-*.parquet")):
            return [Problem(shown, f"holds result chunks but no {MANIFEST}", field="--out", allowed="a new or empty folder")]
    except OSError as exc:
        return [Problem(shown[:200], f"--out cannot be used: {exc.strerror or exc}", field="--out")]
    return []


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    diffs = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            if key == "factors":
                a = {f["path"]: (f["low"], f["high"], f.get("steps")) for f in old.get(key, [])}
                b = {f["path"]: (f["low"], f["high"], f.get("steps")) for f in new.get(key, [])}
                diffs.append("varied parameters differ" if set(a) != set(b) else "ranges differ")
            elif key == "arms":
                diffs.append("scenarios differ")
            elif key == "model":
                diffs.append("the model's code changed")
            else:
                diffs.append(f"{key} {old.get(key)!r} here, {new.get(key)!r} now")
    return "; ".join(diffs) or "the design differs"


# ---------------------------------------------------------------------------
# Running


@dataclass
class RunStats:
    """What one session did."""

    executor: str
    workers: int
    started: str
    tasks_total: int
    tasks_skipped: int
    tasks_run: int = 0
    wall_seconds: float = 0.0
    interrupted: bool = False
    chunks_written: int = 0
    task_seconds: float = 0.0
    runs_per_task: int = 1

    @property
    def replications_per_minute(self) -> float:
        return 60.0 * self.tasks_run * self.runs_per_task / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["wall_seconds"] = round(self.wall_seconds, 3)
        d["task_seconds"] = round(self.task_seconds, 3)
        d["replications_per_minute"] = round(self.replications_per_minute, 2)
        d["finished"] = _now()
        return d


class SchedulerError(Exception):
    """The Dask scheduler cannot be reached or has no workers."""


class _Buffer:
    """Completed rows waiting to be written; flushed by size or age."""

    def __init__(self, store: SweepStore, chunk_rows: int, flush_seconds: float, stats: RunStats):
        self.store, self.chunk_rows, self.flush_seconds, self.stats = store, chunk_rows, flush_seconds, stats
        self.rows: list[dict[str, Any]] = []
        self.since = time.monotonic()

    def add(self, row: dict[str, Any]) -> None:
        if not self.rows:
            self.since = time.monotonic()
        self.rows.append(row)
        self.stats.tasks_run += 1
        self.stats.task_seconds += row.get("run.seconds", 0.0)
        if len(self.rows) >= self.chunk_rows or time.monotonic() - self.since >= self.flush_seconds:
            self.flush()

    def tick(self, upcoming: float = 0.0) -> None:
        """Write waiting rows if they would otherwise wait ``flush_seconds`` (``upcoming``: the wait ahead)."""
        if self.rows and time.monotonic() - self.since + upcoming >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.store.write_chunk(self.rows)
            self.stats.chunks_written += 1
            self.rows = []


def pending_tasks(spec: SweepSpec, design: pd.DataFrame, done: set[str]) -> list[tuple[str, int, int, dict[str, float]]]:
    values = point_values(spec, design)
    tasks = []
    for point in range(len(design)):
        for rep in range(spec.reps):
            tid = task_id(point, rep)
            if tid not in done:
                tasks.append((tid, point, rep, values[point]))
    return tasks


def run_sweep(store: SweepStore, model: Callable, workers: int = 1, scheduler: str | None = None,
              progress: Progress | None = None, chunk_rows: int = 500, flush_seconds: float = 2.0,
              connect_timeout: float = 5.0, client: Any = None) -> RunStats:
    """Run every task the store does not hold yet, writing rows in chunks as they complete.

    Rows are written when ``chunk_rows`` are waiting or the oldest has waited
    ``flush_seconds``. On KeyboardInterrupt the finished rows are written
    before the exception propagates; after SIGKILL, at most the unwritten
    buffer (finished in the last ``flush_seconds``) is run again by the next
    ``--resume``.
    """
    manifest = store.manifest()
    spec = spec_from_dict(manifest["spec"])
    design = store.design()
    store.clean_temporary()
    done = store.done_ids()
    tasks = pending_tasks(spec, design, done)
    total = len(design) * spec.reps
    if client is not None:
        executor = f"dask {getattr(client.scheduler, 'address', None) or scheduler}"
    elif scheduler:
        executor = f"dask {scheduler}"
    else:
        executor = "local processes" if workers > 1 else "this process"
    stats = RunStats(executor, workers, _now(), total, len(done), runs_per_task=spec.arm_runs)
    buffer = _Buffer(store, chunk_rows, flush_seconds, stats)
    started = time.perf_counter()
    if progress:
        progress(len(done), total)

    def note(row: dict[str, Any]) -> None:
        buffer.add(row)
        if progress:
            progress(len(done) + stats.tasks_run, total)

    try:
        if not tasks:
            pass
        elif scheduler or client is not None:
            stats.workers = _run_dask(tasks, model, spec.seed, scheduler, note, buffer.tick, connect_timeout, client,
                                      manifest["design_hash"])
        else:
            _run_local(tasks, model, spec.seed, workers, note, buffer.tick, min(0.25, flush_seconds))
    except BaseException:
        stats.interrupted = True
        try:
            buffer.flush()
        finally:
            stats.wall_seconds = time.perf_counter() - started
            _record_session(store, stats)
        raise
    buffer.flush()
    stats.wall_seconds = time.perf_counter() - started
    _record_session(store, stats)
    return stats


def _record_session(store: SweepStore, stats: RunStats) -> None:
    manifest = store.manifest()
    manifest["sessions"] = [*manifest.get("sessions", []), stats.as_dict()]
    done = len(store.done_ids())
    manifest["rows_done"] = done
    manifest["status"] = "complete" if done >= manifest["tasks"] else "incomplete"
    runs = sum(s["tasks_run"] * s.get("runs_per_task", 1) for s in manifest["sessions"])
    secs = sum(s["wall_seconds"] for s in manifest["sessions"])
    manifest["replications_per_minute"] = round(60.0 * runs / secs, 2) if secs > 0 else None
    manifest["wall_seconds"] = round(secs, 3)
    store.write_manifest(manifest)


def _run_local(tasks: list, model: Callable, seed: int, workers: int, note: Callable[[dict], None],
               tick: Callable[[], None], poll: float) -> None:
    """Local processes (one worker: a thread of this process), with a bounded number of tasks in flight.

    The main thread only collects rows and writes them, so a finished row is
    written within ``flush_seconds`` even while a long task runs.
    """
    workers = min(workers, len(tasks))
    if workers <= 1:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1)
        submit = lambda task: pool.submit(run_task, model, task, seed)  # noqa: E731
    else:
        from .workers import worker_pool

        # workers exit when this process dies, however it dies (see simulation.workers)
        pool = worker_pool(workers, initializer=_init_worker, initargs=(model,))
        submit = lambda task: pool.submit(_local_task, task, seed)  # noqa: E731
    try:
        queue = iter(tasks)
        in_flight = set()
        limit = max(2, workers * 4)
        for task in queue:
            in_flight.add(submit(task))
            if len(in_flight) >= limit:
                break
        while in_flight:
            finished, in_flight = wait(in_flight, timeout=poll, return_when=FIRST_COMPLETED)
            for future in finished:
                note(future.result())
            tick()
            for task in queue:
                in_flight.add(submit(task))
                if len(in_flight) >= limit:
                    break
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def connect(scheduler: str, timeout: float = 5.0, wait_for_workers: float = 10.0):
    """A Dask client for ``tcp://HOST:PORT``, or SchedulerError within about ``timeout`` seconds."""
    import logging

    from distributed import Client

    for name in ("distributed", "distributed.client", "distributed.comm", "distributed.core"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'})") from None
    try:
        client.wait_for_workers(1, timeout=wait_for_workers)
    except (TimeoutError, OSError) as exc:
        client.close()
        raise SchedulerError(f"the Dask scheduler at {scheduler} has no workers (waited {wait_for_workers:g} s)") from exc
    return client


def _run_dask(tasks: list, model: Callable, seed: int, scheduler: str | None, note: Callable[[dict], None],
              tick: Callable[[], None], connect_timeout: float, client: Any, digest: str) -> int:
    from distributed import wait as dask_wait

    own = client is None
    if own:
        client = connect(scheduler, connect_timeout)
    try:
        nthreads = sum(client.nthreads().values()) or 1
        [model_future] = client.scatter([model], broadcast=True, hash=False)
        queue = iter(tasks)
        limit = nthreads * 8 + 8  # enough queued on each worker that it never waits for the next task

        def submit(t):
            return client.submit(run_task, model_future, t, seed, key=f"mhsim-{digest}-{t[0]}", pure=False)

        in_flight = {submit(t) for t in itertools.islice(queue, limit)}
        while in_flight:
            try:
                with client.as_current():  # distributed.wait looks for the current client
                    finished, waiting = dask_wait(list(in_flight), timeout=0.25, return_when="FIRST_COMPLETED")
            except TimeoutError:
                tick()
                continue
            done = list(finished)
            for row in client.gather(done):  # one round trip for the whole batch
                note(row)
            for future in done:
                future.release()
            in_flight = set(waiting) | {submit(t) for t in itertools.islice(queue, len(finished))}
            tick()
        return nthreads
    finally:
        if own:
            client.close(timeout=5)


# ---------------------------------------------------------------------------
# Building a sweep from scenario files


@dataclass
class SweepRequest:
    """A sweep as asked for on the command line or in a sweep file (before checking)."""

    scenario: Path | None = None
    compare: Path | None = None
    vary: list[tuple[str, Any, Any, Any, str, int | None, str]] = field(default_factory=list)
    """(path, low, high, steps, where, line, field) for each varied parameter."""
    design: str = "lhs"
    samples: int | None = None
    reps: int | None = None
    """Replications at each point (default 2 on the simulation, 1 on the twin)."""
    seed: int = 1
    years: float | None = None
    scale: float | None = None
    warmup_years: float | None = None
    out: Path | None = None
    oneway: bool = True
    name: str = ""
    file: str = "command line"
    engine: str = "simulation"


SWEEP_KEYS = ("name", "description", "scenario", "compare", "baseline", "vary", "design", "samples", "reps", "seed",
              "years", "scale", "warmup_years", "out", "oneway", "engine")
ENGINES = ("simulation", "twin")


def is_sweep_file(path: Path) -> bool:
    """Whether a YAML file is a sweep (it has 'vary') rather than a scenario."""
    from .yamlfile import read_yaml_file

    try:
        doc = read_yaml_file(path)
    except InputError:
        return False
    return "vary" in doc.data


def read_sweep_file(path: Path) -> tuple[SweepRequest, list[Problem]]:
    """A sweep file: the scenario, the comparator, what to vary and how."""
    from .scenario import _did_you_mean
    from .yamlfile import read_yaml_file

    doc = read_yaml_file(path)
    req = SweepRequest(file=doc.file)
    problems: list[Problem] = []
    data = doc.data

    def problem(msg: str, fld: str | None, value: Any = None, allowed: str | None = None) -> None:
        problems.append(Problem(doc.file, msg, doc.line(fld) if fld else None, fld, value, allowed))

    for key in data:
        if key not in SWEEP_KEYS:
            problem(f"unknown field '{key}'{_did_you_mean(key, SWEEP_KEYS)}", key, None, ", ".join(SWEEP_KEYS))
    here = path.parent
    for key in ("scenario", "compare", "baseline"):
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value.strip():
                problem(f"'{key}' must be the path of a scenario file", key, value, "a path relative to this file, or absolute")
                continue
            p = Path(value)
            p = p if p.is_absolute() else here / p
            if key == "scenario":
                req.scenario = p
            elif req.compare is not None:
                problem("give 'compare' or 'baseline', not both", key, value, "one comparator")
            else:
                req.compare = p
    if "scenario" not in data:
        problem("a sweep file needs 'scenario' (the scenario file to sweep)", None, None, "scenario: close_day_centre.yaml")
    vary = data.get("vary")
    if not isinstance(vary, Mapping) or not vary:
        problem("'vary' must map parameter paths to ranges", "vary", vary,
                "lines such as 'services.day_centre.places: 200:350' or '{low: 200, high: 350, steps: 4}', or empty for the declared range")
    else:
        for p, rng in vary.items():
            fld = f"vary.{p}"
            line = doc.line(fld)
            if rng is None:
                req.vary.append((p, None, None, None, doc.file, line, fld))
            elif isinstance(rng, str):
                _, lo, hi, steps = parse_vary(f"{p}={rng}")
                req.vary.append((p, lo, hi, steps, doc.file, line, fld))
            elif isinstance(rng, Mapping) and set(rng) <= {"low", "high", "steps"}:
                req.vary.append((p, rng.get("low"), rng.get("high"), rng.get("steps"), doc.file, line, fld))
            else:
                hint = " (YAML reads an unquoted 3:12 as a number in base 60: write '3:12' in quotes)" if isinstance(rng, int) else ""
                problem("a range is 'LOW:HIGH[:STEPS]' or a mapping with low, high (and steps)" + hint, fld, rng,
                        "e.g. '200:350', {low: 200, high: 350, steps: 4}, or nothing for the declared range")
    for key, kind in (("design", str), ("samples", int), ("reps", int), ("seed", int), ("years", float),
                      ("scale", float), ("warmup_years", float), ("out", str), ("oneway", bool), ("name", str),
                      ("engine", str)):
        if key not in data:
            continue
        value = data[key]
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            problem(f"'{key}' must be {'a number' if kind in (int, float) else 'text' if kind is str else 'true or false'}", key, value, None)
            continue
        if key == "out":
            value = Path(value) if Path(value).is_absolute() else here / value
        setattr(req, key, value)
    return req, problems


def build_sweep(req: SweepRequest, kind: str = "sweep") -> tuple[SweepSpec, list[Any], list[Problem]]:
    """Check a request and resolve it: (spec, scenarios per arm, problems)."""
    from .scenario import load_scenarios

    problems: list[Problem] = []
    where = req.file
    if req.design not in DESIGNS:
        problems.append(Problem(where, "unknown design", None, "--design", req.design, " | ".join(DESIGNS)))
    if req.reps is None:
        req.reps = 1 if req.engine == "twin" else 2
    if req.engine not in ENGINES:
        problems.append(Problem(where, "unknown engine", None, "--engine", req.engine, " | ".join(ENGINES)))
    elif req.engine == "twin" and req.reps != 1:
        problems.append(Problem(where, "the twin is deterministic: one replication per point", None, "--reps", req.reps,
                                "1 (or leave --reps out) with --engine twin"))
    samples = req.samples if req.samples is not None else DEFAULT_SAMPLES.get(req.design, 0)
    if req.design in DEFAULT_SAMPLES and (samples < 1 or samples > 1_000_000):
        problems.append(Problem(where, "--samples must be a whole number from 1 to 1,000,000", None, "--samples", samples,
                                "e.g. 64 (sobol: base samples, giving N x (parameters + 2) points)"))
    if req.design == "sobol" and samples < 2:
        problems.append(Problem(where, "a Sobol design needs at least 2 samples", None, "--samples", samples, "a power of 2 such as 64"))
    if req.reps < 1 or req.reps > 100_000:
        problems.append(Problem(where, "--reps must be at least 1", None, "--reps", req.reps, "a whole number of at least 1"))
    if req.years is not None and (not 0.1 <= req.years <= 50 or math.isnan(req.years)):
        problems.append(Problem(where, "--years out of range", None, "--years", req.years, "a number of years from 0.1 to 50"))
    if req.scale is not None and (not 0.001 <= req.scale <= 1 or math.isnan(req.scale)):
        problems.append(Problem(where, "--scale out of range", None, "--scale", req.scale, "a fraction above 0 and at most 1"))
    if req.warmup_years is not None and not 0 <= req.warmup_years <= 20:
        problems.append(Problem(where, "--warmup-years out of range", None, "--warmup-years", req.warmup_years, "0 to 20 years"))
    if req.scenario is None:
        problems.append(Problem(where, "no scenario to sweep", None, "SCENARIO", None, "a scenario file or a sweep file"))
        return None, [], problems  # type: ignore[return-value]
    files = [req.scenario] + ([req.compare] if req.compare is not None else [])
    try:
        scenarios = load_scenarios(files, years=req.years)
    except InputError as exc:
        return None, [], problems + exc.problems  # type: ignore[return-value]
    primary = scenarios[0]
    catalogue = {**primary.params, **action_catalogue(primary)}
    factors: list[Factor] = []
    seen: set[str] = set()
    if not req.vary:
        problems.append(Problem(where, "nothing to vary", None, "--vary", None, "one or more --vary PATH=LOW:HIGH[:STEPS]"))
    for path, low, high, steps, vwhere, line, fld in req.vary:
        factor, issues = make_factor(path, low, high, steps, catalogue, vwhere, fld, line, req.design)
        problems += issues
        if factor is not None:
            if factor.path in seen:
                problems.append(Problem(vwhere, "the same parameter is varied twice", line, fld, path, "each parameter once"))
                continue
            seen.add(factor.path)
            factors.append(factor)
    problems += _redirect_problems(primary, factors, where)
    if req.design == "grid" and factors:
        points = math.prod(f.steps or DEFAULT_STEPS for f in factors)
        if points > 1_000_000:
            problems.append(Problem(where, f"the grid has {points:,} points", None, "--vary", None, "fewer steps or parameters (at most 1,000,000 points)"))
    if problems:
        return None, [], problems  # type: ignore[return-value]
    years = req.years if req.years is not None else primary.settings.years
    scale = req.scale if req.scale is not None else primary.settings.scale
    warmup = req.warmup_years if req.warmup_years is not None else primary.settings.warmup_years
    arms = [Arm("", primary.name, display_path(req.scenario), primary.content_hash)]
    delta = None
    if req.compare is not None:
        base = scenarios[1]
        arms.append(Arm("base", base.name, display_path(req.compare), base.content_hash))
        delta = ("", "base")
    if req.engine == "twin":
        scale = 1.0   # the twin is the whole county
    spec = SweepSpec(kind, req.design, tuple(factors), tuple(arms), samples if req.design in DEFAULT_SAMPLES else 0,
                     req.reps, req.seed, float(years), float(scale), float(warmup), req.oneway, delta,
                     model_fingerprint(), req.name, req.engine)
    return spec, scenarios, []


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
                f"arm{'s' if spec.arm_runs != 1 else ''} integrated together; {spec.years:g} years, whole county)")
    return (f"{what} x {spec.reps} replication{'s' if spec.reps != 1 else ''} of {arms} "
            f"({len(design) * spec.reps * spec.arm_runs:,} model runs; {spec.years:g} years, scale {spec.scale:g}, seed {spec.seed})")


def rows_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two sweeps' rows hold the same numbers (ignoring timings)."""
    a = a.drop(columns=[c for c in RUN_COLUMNS if c in a.columns]).reset_index(drop=True)
    b = b.drop(columns=[c for c in RUN_COLUMNS if c in b.columns]).reset_index(drop=True)
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    return bool((a.fillna(-1.2345e300) == b.fillna(-1.2345e300)).all().all())


def new_sweep(root: Path, spec: SweepSpec, command: str, design: pd.DataFrame | None = None,
              digest: str | None = None) -> tuple[SweepStore, pd.DataFrame, str]:
    """The sweep's store, created unless it exists (pass the design and hash if already made)."""
    design = make_design(spec) if design is None else design
    digest = design_hash(spec, design) if digest is None else digest
    store = SweepStore(root)
    if not store.exists():
        store.create(spec, design, digest, command)
    return store, design, digest


__all__ = ["Factor", "Arm", "SweepSpec", "SweepStore", "ScenarioModel", "TwinScenarioModel", "sweep_model", "Ishigami", "make_design", "design_hash",
           "run_sweep", "build_sweep", "read_sweep_file", "parse_vary", "check_out_dir", "connect", "SchedulerError",
           "task_id", "rows_equal", "RunStats", "DESIGNS"]
