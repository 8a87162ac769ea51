"""Fitting the baseline: history matching on the twin, kept as an ensemble of plausible parameter sets.

Why: every comparison is a difference from the baseline, and a baseline that
drifts (crises climbing, residential care filling for decades) moves every
answer. The baseline is meant to be Essex's adult secondary mental health
system in autumn 2015 *in balance*: the census is the model's equilibrium.
Nobody measured the flow rates that hold it there (how often a person with
moderate needs has a crisis, how often frequent attenders come back, how many
people step up to residential care), so they are fitted, not hand-tuned.

How: history matching in waves (Craig et al. 1997; Andrianakis et al. 2015).
Each parameter set is judged by its *distance* from every fitting target:
``|model - centre| / half-width of the band``, so 1 is the edge of the band;
a set is *plausible* when every distance is at most 1. The first wave is a
Latin hypercube over the prior box (each parameter's declared ``low`` to
``high``); each later wave perturbs the closest sets so far (a Gaussian step
in the unit cube, a quarter of their spread), so the waves move towards the
plausible region without ever leaving the prior box. Every evaluation is a
10-year run of the twin from the census at full scale (the deterministic
mean-field model, a fraction of a second each); the re-admission targets,
which follow individuals, come from the closed form in :func:`readmission`.

What is kept: all plausible sets (up to ``size``, a seeded random choice) in
an ensemble file that PSA samples from, member 0 being the closest set, which
``--write-baseline`` copies into ``baseline.yaml``. The fitting targets are
equilibrium conditions (the census held) and three published figures (S4,
S6, R3/R5) that are labelled *fitted* in ``mhsim verify``; every other target
there is independent of the fit.
"""

from __future__ import annotations

import json
import math
import platform
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .errors import InputError, Problem, display_path
from .parameters import DAYS_PER_YEAR
from .scenario import Scenario

FITTED: tuple[str, ...] = (
    "population.referrals_per_year",
    "population.severe_share_of_referrals",
    "population.recovered_severe_share_at_start",
    "crisis.rate_per_year_moderate",
    "crisis.rate_per_year_severe",
    "crisis.frequent_attender_share",
    "crisis.frequent_attender_multiplier",
    "crisis.after_discharge_multiplier",
    "services.residential_care.step_up_rate_per_year_severe",
    "services.acute_beds.discharge_to_residential_share_severe",
    "services.residential_care.move_on_rate_per_year",
    "suicide.rate_per_year",
    "employment.job_gain_rate_per_year",
)
"""Parameters fitted here: rates nobody measured, each searched over its declared range in baseline.yaml."""

LOG_SCALE = frozenset({
    "crisis.frequent_attender_multiplier", "crisis.after_discharge_multiplier",
    "services.residential_care.step_up_rate_per_year_severe", "services.acute_beds.discharge_to_residential_share_severe",
    "services.residential_care.move_on_rate_per_year",
})
"""Parameters whose range spans an order of magnitude: searched evenly on the log scale."""


@dataclass(frozen=True)
class FitTarget:
    """A condition the baseline must meet: a measure of a twin run and the band it must fall in."""

    name: str
    measure: str
    low: float
    high: float
    source: str

    @property
    def centre(self) -> float:
        return (self.low + self.high) / 2

    def distance(self, value: float) -> float:
        """0 at the centre of the band, 1 at its edges (infinite for a result that is not a number)."""
        half = (self.high - self.low) / 2
        return abs(value - self.centre) / half if math.isfinite(value) else math.inf


DRIFT_SERIES = ("crisis_episodes", "acute", "home_treatment", "residential", "community", "severe_share_community",
                "recovered")
"""Series that must not drift: year 10 within 5% of year 2, and months 1 to 6 within 10% of year 2."""

FIT_TARGETS: tuple[FitTarget, ...] = (
    *(FitTarget(f"{name.replace('_', ' ')}: year 10 against year 2", f"drift.{name}", 0.95, 1.05,
                "equilibrium: the census is Essex in autumn 2015 in balance (issue 12)") for name in DRIFT_SERIES),
    *(FitTarget(f"{name.replace('_', ' ')}: months 1 to 6 against year 2", f"start.{name}", 0.9, 1.1,
                "equilibrium: no start-up transient") for name in ("crisis_episodes", "acute", "home_treatment")),
    FitTarget("Acute beds in use (in area and out of area) against the census", "acute_level", 0.95, 1.05,
              "equilibrium: the census's 270 in area and 20 out of area (autumn 2015)"),
    FitTarget("Suicides a year", "suicides_per_year", 60, 90, "S4 (62 in January to October 2015, about 74 a year)"),
    FitTarget("Share of people in contact who are in work", "employment_share_in_contact", 0.13, 0.19, "S6 (15.9%)"),
    FitTarget("Readmitted to a bed within a year of an acute discharge", "readmission_year", 0.29, 0.45,
              "R3 (29% with peer support, 38% usual care), R5 (over 50% after crisis team care)"),
)
"""What the fit asks of a parameter set (each labelled fitted in ``mhsim verify``)."""


@dataclass(frozen=True)
class Prior:
    """Where a fitted parameter is searched: its declared range, evenly or on the log scale."""

    path: str
    low: float
    high: float
    log: bool

    def value(self, u: float) -> float:
        if self.log and self.low > 0:
            return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))
        return float(self.low + u * (self.high - self.low))


def priors(baseline: Scenario, paths: Sequence[str] = FITTED) -> tuple[Prior, ...]:
    """Every fitted parameter's search range, read from the baseline's declarations."""
    problems = []
    out = []
    for path in paths:
        spec = baseline.params.get(path)
        if spec is None or spec.low is None or spec.high is None or not spec.high > spec.low:
            problems.append(Problem(baseline.file or "baseline", "a fitted parameter needs a range (low and high) to be searched",
                                    field=path, allowed="a declared low below its high"))
            continue
        out.append(Prior(path, float(spec.low), float(spec.high), path in LOG_SCALE))
    if problems:
        raise InputError(problems)
    return tuple(out)


# ---------------------------------------------------------------------------
# What a parameter set gives


def readmission(values: Mapping[str, Any]) -> tuple[float, float]:
    """The chance of readmission to a bed within 90 days and within a year of an acute discharge, in closed form.

    Discharges come from each kind of person (needs level x frequent attending) in proportion to
    how many there are, their crisis rate and their chance of admission; after discharge each kind
    is admitted again at its own rate, raised for ``after_discharge_days``. Deaths, recoveries and
    supports in the year are ignored (they change the answer by a few per cent; ``mhsim verify``
    measures the simulation's own figure)."""
    v = values
    severe = v["population.severe_share"]
    f, k = v["crisis.frequent_attender_share"], v["crisis.frequent_attender_multiplier"]
    m, window = v["crisis.after_discharge_multiplier"], v["crisis.after_discharge_days"] / DAYS_PER_YEAR
    kinds = []
    for share_s, rate, admit in ((severe, v["crisis.rate_per_year_severe"], v["crisis.admission_share_severe"]),
                                 (1 - severe, v["crisis.rate_per_year_moderate"], v["crisis.admission_share_moderate"])):
        for share_f, mult in ((f, k), (1 - f, 1.0)):
            h = rate * mult * admit                 # admissions a year outside the window
            kinds.append((share_s * share_f * h, h))
    weight = sum(w for w, _ in kinds)
    if weight <= 0:
        return 0.0, 0.0
    w90 = min(window, 90 / DAYS_PER_YEAR)
    p90 = sum(w * (1 - math.exp(-h * m * w90 - h * max(0.0, 90 / DAYS_PER_YEAR - window))) for w, h in kinds) / weight
    p365 = sum(w * (1 - math.exp(-h * m * window - h * (1 - window))) for w, h in kinds) / weight
    return p90, p365


def _year_mean(series: Sequence[float], year: int) -> float:
    part = series[(year - 1) * 12: year * 12]
    return float(np.mean(part)) if len(part) else math.nan


def measures(result: Any, scenario: Scenario) -> dict[str, float]:
    """Every measure the fitting targets name, from one run (twin or simulation) of ``scenario``."""
    monthly = result.monthly
    out: dict[str, float] = {}
    last = len(monthly["crisis_episodes"]) // 12          # the last whole year (10 in a calibration run)
    for name in DRIFT_SERIES:
        y2 = _year_mean(monthly[name], 2)
        out[f"drift.{name}"] = _year_mean(monthly[name], last) / y2 if y2 and last > 2 else math.nan
        out[f"start.{name}"] = float(np.mean(monthly[name][:6])) / y2 if y2 else math.nan
    census = scenario.values["census.in_acute_beds"] + scenario.values["census.out_of_area"]
    beds = np.asarray(monthly["acute"]) + np.asarray(monthly["out_of_area"])
    out["acute_level"] = float(beds.mean()) / census if census else math.nan
    out["suicides_per_year"] = result.metrics["suicides_per_year"]
    out["employment_share_in_contact"] = result.metrics["employment_share_in_contact"]
    out["readmission_90_days"], out["readmission_year"] = readmission(scenario.values)
    return out


def distances(m: Mapping[str, float], targets: Sequence[FitTarget] = FIT_TARGETS) -> dict[str, float]:
    return {t.measure: t.distance(m.get(t.measure, math.nan)) for t in targets}


@dataclass(frozen=True)
class Point:
    """One evaluated parameter set: where it is in the unit cube, its values, measures and distances."""

    wave: int
    u: tuple[float, ...]
    values: dict[str, float]
    measures: dict[str, float]
    distance: float
    """The largest distance over the targets (at most 1: plausible)."""

    @property
    def spread(self) -> float:
        """The sum of squared distances over the targets: small when every measure sits near its band's centre,
        not only the worst one (the minimax distance alone parks the others at their edges)."""
        values = list(distances(self.measures).values())
        return float(sum(d * d for d in values)) if values and all(math.isfinite(d) for d in values) else math.inf


def evaluate(task: tuple[Scenario, tuple[Prior, ...], tuple[float, ...], int, float]) -> Point:
    """Run the twin for one point of the unit cube (a worker's task)."""
    from .twin import run_twin

    baseline, prs, u, wave, years = task
    values = {p.path: p.value(x) for p, x in zip(prs, u)}
    scenario = baseline.with_values(values)
    try:
        result = run_twin(scenario, years=years, warmup_years=0.0)
        m = measures(result, scenario)
    except (ArithmeticError, ValueError):        # a parameter set the equations cannot integrate is not plausible
        m = {}
    d = distances(m)
    return Point(wave, tuple(u), values, m, max(d.values()))


# ---------------------------------------------------------------------------
# The waves


@dataclass
class Fit:
    """Everything a calibration run produced."""

    priors: tuple[Prior, ...]
    points: list[Point] = field(default_factory=list)
    waves: int = 0
    seconds: float = 0.0

    def plausible(self) -> list[Point]:
        return sorted((p for p in self.points if p.distance <= 1.0), key=lambda p: p.distance)


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n points in [0, 1)^d, one in each of n slices of every axis."""
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=rng).random(n)


def next_wave(points: Sequence[Point], n: int, d: int, rng: np.random.Generator, keep: float = 0.1) -> np.ndarray:
    """Perturb the closest ``keep`` share of the points so far: a Gaussian step a quarter of their spread."""
    ranked = sorted(points, key=lambda p: p.distance)
    best = np.array([p.u for p in ranked[:max(d + 1, int(len(ranked) * keep))]])
    spread = np.maximum(best.std(axis=0), 0.01)
    parents = best[rng.integers(0, len(best), size=n)]
    return np.clip(parents + rng.normal(0.0, 0.25, size=(n, d)) * spread, 0.0, 1.0)


def polish(baseline: Scenario, prs: tuple[Prior, ...], points: Sequence[Point], wave: int, years: float,
           budget: int) -> list[Point]:
    """A local search (Nelder-Mead on the sum of squared distances, at most ``budget`` twin runs) from the closest set so far, while no set is
    plausible: the waves then perturb around a region that fits instead of creeping towards it. Every set it
    tries is kept as an evaluated point, so the search changes where the next wave looks, never the rule."""
    from scipy.optimize import minimize

    tried: list[Point] = []

    def objective(u: np.ndarray) -> float:
        point = evaluate((baseline, prs, tuple(float(x) for x in np.clip(u, 0.0, 1.0)), wave, years))
        tried.append(point)
        return point.spread if math.isfinite(point.spread) else 1e6

    start = np.array(min(points, key=lambda p: p.distance).u)
    minimize(objective, start, method="Nelder-Mead",
             options={"maxfev": budget, "xatol": 1e-3, "fatol": 1e-3, "initial_simplex": _simplex(start)})
    return tried


def _simplex(start: np.ndarray, step: float = 0.05) -> np.ndarray:
    """Nelder-Mead's first simplex: the start and a step along each axis, inside the unit cube."""
    rows = [start]
    for i in range(len(start)):
        row = start.copy()
        row[i] = row[i] + step if row[i] + step <= 1.0 else row[i] - step
        rows.append(row)
    return np.array(rows)


def fit(baseline: Scenario, samples: int, waves: int, size: int, seed: int, workers: int, years: float = 10.0,
        on_wave: Callable[[int, Fit], None] | None = None) -> Fit:
    """Waves of twin runs until ``size`` plausible parameter sets are found (or ``waves`` are run)."""
    from .workers import run_tasks

    prs = priors(baseline)
    rng = np.random.default_rng(seed)
    result = Fit(prs)
    started = time.perf_counter()
    for wave in range(1, waves + 1):
        cube = latin_hypercube(samples, len(prs), rng) if wave == 1 else next_wave(result.points, samples, len(prs), rng)
        tasks = [(baseline, prs, tuple(float(x) for x in row), wave, years) for row in cube]
        found: dict[tuple[float, ...], Point] = {}
        run_tasks(evaluate, tasks, workers, lambda p: found.__setitem__(p.u, p))
        result.points.extend(found[t[2]] for t in tasks)      # in task order: the same file for any --workers
        if not result.plausible() and wave < waves:
            result.points.extend(polish(baseline, prs, result.points, wave, years, max(2 * len(prs), samples // 3)))
        result.waves = wave
        result.seconds = time.perf_counter() - started
        if on_wave is not None:
            on_wave(wave, result)
        if len(result.plausible()) >= size:
            break
    return result


def ensemble(result: Fit, size: int, seed: int) -> list[Point]:
    """The plausible sets kept: the most central first (the baseline's: the smallest sum of squared distances),
    then a seeded random choice of the rest."""
    plausible = result.plausible()
    if not plausible:
        return []
    central = min(plausible, key=lambda p: p.spread)
    rest = [p for p in plausible if p is not central]
    if len(plausible) <= size:
        return [central, *rest]
    rng = np.random.default_rng(seed + 1)
    chosen = sorted(rng.choice(len(rest), size=size - 1, replace=False).tolist())
    return [central, *(rest[i] for i in chosen)]


# ---------------------------------------------------------------------------
# Files


ENSEMBLE_FILE = Path(__file__).resolve().parent.parent / "scenarios" / "calibration" / "ensemble.csv"
"""The shipped ensemble (``mhsim calibrate`` writes it; ``mhsim psa`` samples it)."""


def ensemble_frame(members: Sequence[Point]):
    import pandas as pd

    rows = []
    for i, p in enumerate(members):
        rows.append({"member": i, "wave": p.wave, "distance": p.distance, **p.values,
                     **{f"measure.{k}": v for k, v in p.measures.items()}})
    return pd.DataFrame(rows)


def manifest(result: Fit, members: Sequence[Point], baseline: Scenario, samples: int, seed: int, years: float) -> dict:
    from . import MODEL_VERSION, model_fingerprint

    return {
        "what": "Plausible parameter sets for the baseline, found by history matching on the twin (mhsim calibrate)",
        "model_version": MODEL_VERSION, "model_source_hash": model_fingerprint(),
        "baseline": str(baseline.file or ""), "baseline_hash": baseline.content_hash,
        "seed": seed, "samples_per_wave": samples, "waves_run": result.waves, "evaluated": len(result.points),
        "plausible": len(result.plausible()), "kept": len(members), "years": years,
        "run_seconds": round(result.seconds, 1), "python": platform.python_version(),
        "parameters": [{"path": p.path, "low": p.low, "high": p.high, "log_scale": p.log} for p in result.priors],
        "targets": [{"name": t.name, "measure": t.measure, "low": t.low, "high": t.high, "source": t.source}
                    for t in FIT_TARGETS],
        "rule": "plausible when every target's distance |model - centre| / half-width is at most 1",
    }


def write_ensemble(result: Fit, members: Sequence[Point], baseline: Scenario, out: Path, samples: int, seed: int,
                   years: float) -> list[Path]:
    """The ensemble CSV and its manifest (JSON beside it), each written atomically."""
    from .results import atomic_write_text

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = ensemble_frame(members)
    atomic_write_text(out, frame.to_csv(index=False))
    meta = out.with_suffix(".json")
    atomic_write_text(meta, json.dumps(manifest(result, members, baseline, samples, seed, years), indent=2) + "\n")
    return [out, meta]


def load_ensemble(path: Path = ENSEMBLE_FILE):
    """The ensemble's parameter columns (one row per member), or a clear error."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError([Problem(display_path(path), f"the calibration ensemble cannot be read: {exc}", field="--ensemble",
                                  allowed="a file written by 'mhsim calibrate'")]) from None
    missing = [p for p in FITTED if p not in frame.columns]
    if missing or frame.empty:
        raise InputError([Problem(display_path(path), "is not a calibration ensemble (no members, or missing "
                                  f"{', '.join(missing[:3])})", field="--ensemble", allowed="a file written by 'mhsim calibrate'")])
    return frame[[c for c in frame.columns if c in FITTED]]


def write_baseline_values(path: Path, values: Mapping[str, float]) -> None:
    """Set the ``value:`` of each fitted parameter in a scenario file, keeping everything else as written."""
    from .results import atomic_write_text

    lines = Path(path).read_text().split("\n")
    for dotted, value in values.items():
        i = _find_value_line(lines, ["parameters", *dotted.split(".")])
        if i is None:
            raise InputError([Problem(display_path(path), "has no value line for a fitted parameter", field=dotted,
                                      allowed="a parameter declared with 'value:' under 'parameters:'")])
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines[i] = f"{indent}value: {_tidy(value)}"
    atomic_write_text(Path(path), "\n".join(lines))


def _tidy(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e-3 or abs(value) >= 1e4 and value != int(value) else f"{round(value, 6):g}"


def _find_value_line(lines: list[str], parts: list[str]) -> int | None:
    """The line index of ``value:`` under the nested keys ``parts`` (two-space YAML indentation)."""
    start, end, indent = 0, len(lines), -2
    for part in parts:
        found = None
        for i in range(start, end):
            text = lines[i]
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            ind = len(text) - len(text.lstrip())
            if ind <= indent and i > start:
                break
            if ind == indent + 2 and re.match(rf"^\s*{re.escape(part)}:", text):
                found = i
                break
        if found is None:
            return None
        indent += 2
        start = found
        end = next((j for j in range(found + 1, len(lines)) if lines[j].strip() and not lines[j].lstrip().startswith("#")
                    and len(lines[j]) - len(lines[j].lstrip()) <= indent), len(lines))
    for i in range(start + 1, end):
        if re.match(rf"^\s{{{indent + 2}}}value:", lines[i]):
            return i
    return None
