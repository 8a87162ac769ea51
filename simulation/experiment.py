"""Experiments: replications, common random numbers, intervals and paired differences.

This is the one API the CLI and the dashboard both call. A replication is a
pure function of (scenario, seed, replication number, run length, scale):
its random streams are seeded from those alone (see ``streams``), so a
replication gives the same numbers whether it runs serially, in a pool of
local processes, or on a cluster, and two scenarios run with the same seed
share their randomness wherever their policies agree.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from scipy import stats

from .model import CountyModel
from .outcomes import ReplicationResult, summarise
from .scenario import Scenario
from .workers import run_tasks

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunPlan:
    """How to run: seed, replications, length, scale and warm-up."""

    seed: int = 1
    replications: int = 10
    years: float | None = None
    scale: float | None = None
    warmup_years: float | None = None

    def years_for(self, scenario: Scenario) -> float:
        return self.years if self.years is not None else scenario.settings.years

    def scale_for(self, scenario: Scenario) -> float:
        return self.scale if self.scale is not None else scenario.settings.scale

    def warmup_for(self, scenario: Scenario) -> float:
        return self.warmup_years if self.warmup_years is not None else scenario.settings.warmup_years


@dataclass(frozen=True)
class Experiment:
    """Every replication of every scenario, in scenario then replication order."""

    scenarios: tuple[Scenario, ...]
    labels: tuple[str, ...]
    plan: RunPlan
    results: dict[str, tuple[ReplicationResult, ...]]
    wall_seconds: float
    workers: int
    extra: dict = field(default_factory=dict)

    def metric_values(self, label: str, metric: str) -> list[float]:
        return [metric_value(r, metric) for r in self.results[label]]

    def metric_names(self) -> list[str]:
        names: list[str] = []
        for reps in self.results.values():
            for name in reps[0].metrics:
                if name not in names:
                    names.append(name)
        return names


def metric_value(result: ReplicationResult, metric: str) -> float:
    """A replication's value of a metric: a cost line a scenario does not have is £0 (a scenario that moves
    a cost to another payer has lines the baseline lacks), and so is a count of displaced people sent somewhere
    it sent nobody; any other missing metric is not a number."""
    value = result.metrics.get(metric)
    if value is None:
        # a cost line or a count of displaced people a scenario does not have is zero there
        return 0.0 if metric.startswith(("cost.", "cohort.")) else math.nan
    return value


def run_replication(scenario: Scenario, seed: int, replication: int, years: float, scale: float,
                    warmup_years: float, check_invariants: bool = True, cohorts: tuple = ()) -> ReplicationResult:
    """One replication of one scenario (a top-level function so workers can run it). ``cohorts`` are the
    closures whose displaced people every scenario of a comparison follows (see ``cohort_markers``)."""
    model = CountyModel(scenario, seed=seed, replication=replication, years=years, scale=scale,
                        warmup_years=warmup_years, check_invariants=check_invariants, cohorts=cohorts)
    return summarise(model.run(), scenario.params)


def cohort_markers(scenarios: Sequence[Scenario]) -> tuple:
    """The closures in a set of scenarios whose users lose their places: each service's first closure date.
    Every scenario of the comparison follows the people holding that service's places on that date, so the
    baseline's run follows the same people the closure displaces."""
    from . import catalogue
    from .model import Marker

    first: dict[str, float] = {}
    for s in scenarios:
        for a in s.actions:
            spec = catalogue.REGISTRY.get(a.service or "")
            if a.verb == "close" and spec is not None and spec.redirects_users:
                first[spec.name] = min(first.get(spec.name, a.day), a.day)
    return tuple(Marker(service, day) for service, day in sorted(first.items()))


def scenario_labels(scenarios: Sequence[Scenario]) -> list[str]:
    """Unique display names: the scenario name, with the file added if names repeat."""
    names = [s.name for s in scenarios]
    labels = []
    for s in scenarios:
        label = s.name if names.count(s.name) == 1 else f"{s.name} [{s.file}]"
        base, k = label, 2
        while label in labels:
            label = f"{base} ({k})"
            k += 1
        labels.append(label)
    return labels


def _task(args: tuple) -> tuple[int, int, ReplicationResult]:
    index, scenario, seed, rep, years, scale, warmup, cohorts = args
    return index, rep, run_replication(scenario, seed, rep, years, scale, warmup, cohorts=cohorts)


def run_experiment(scenarios: Sequence[Scenario], plan: RunPlan, workers: int = 1,
                   progress: Progress | None = None) -> Experiment:
    """Run ``plan.replications`` of each scenario, serially or over local processes."""
    started = time.perf_counter()
    labels = scenario_labels(scenarios)
    done = run_replications(scenarios, plan, range(plan.replications), workers, progress)
    results = {
        labels[i]: tuple(done[(i, rep)] for rep in range(plan.replications))
        for i in range(len(scenarios))
    }
    return Experiment(tuple(scenarios), tuple(labels), plan, results, time.perf_counter() - started, workers)


def run_replications(scenarios: Sequence[Scenario], plan: RunPlan, replications: Iterable[int], workers: int = 1,
                     progress: Progress | None = None) -> dict[tuple[int, int], ReplicationResult]:
    """Replications numbered ``replications`` of each scenario: (scenario index, replication) -> result."""
    cohorts = cohort_markers(scenarios)
    tasks = [
        (i, s, plan.seed, rep, plan.years_for(s), plan.scale_for(s), plan.warmup_for(s), cohorts)
        for i, s in enumerate(scenarios)
        for rep in replications
    ]
    done: dict[tuple[int, int], ReplicationResult] = {}
    total = len(tasks)
    if progress:
        progress(0, total)

    def record(finished: tuple[int, int, ReplicationResult]) -> None:
        i, rep, result = finished
        done[(i, rep)] = result
        if progress:
            progress(len(done), total)

    # one executor for every command; its workers exit when this process dies (see simulation.workers)
    run_tasks(_task, tasks, workers, record)
    return done


@dataclass(frozen=True)
class Precision:
    """A target: the 95% interval of a paired difference no wider than +/- ``half_width``."""

    metric: str
    half_width: float


def run_to_precision(scenarios: Sequence[Scenario], plan: RunPlan, targets: Sequence[Precision], max_reps: int,
                     workers: int = 1, progress: Progress | None = None) -> Experiment:
    """Replications until every named difference (each scenario against the first) is as precise as asked.

    Starts with ``plan.replications``, then adds replications in batches across the workers: each
    batch is sized by the confidence-interval method (the smallest n whose half-width, at the spread
    seen so far, meets every target), never more than doubling, and stops at ``max_reps``. The
    outcome for every target is kept in ``extra['precision']``.
    """
    started = time.perf_counter()
    labels = scenario_labels(scenarios)
    n = max(2, min(plan.replications, max_reps))
    done = run_replications(scenarios, plan, range(n), workers, progress)
    while True:
        outcome = precision_outcome(done, labels, n, targets)
        if all(o["reached"] for o in outcome) or n >= max_reps:
            break
        wanted = max(o["replications_needed"] for o in outcome if not o["reached"])
        step = min(max(wanted - n, max(1, workers // max(1, len(scenarios)))), n, max_reps - n)
        done.update(run_replications(scenarios, plan, range(n, n + step), workers, progress))
        n += step
    for o in outcome:
        o["max_reps"] = max_reps
    final = RunPlan(plan.seed, n, plan.years, plan.scale, plan.warmup_years)
    results = {labels[i]: tuple(done[(i, rep)] for rep in range(n)) for i in range(len(scenarios))}
    return Experiment(tuple(scenarios), tuple(labels), final, results, time.perf_counter() - started, workers,
                      extra={"precision": outcome})


def precision_outcome(done: dict[tuple[int, int], ReplicationResult], labels: Sequence[str], n: int,
                      targets: Sequence[Precision]) -> list[dict]:
    """For every target and every alternative: the half-width now, and the replications it needs."""
    out = []
    for target in targets:
        for i, label in enumerate(labels[1:], start=1):
            diffs = [metric_value(done[(i, r)], target.metric) - metric_value(done[(0, r)], target.metric) for r in range(n)]
            iv = t_interval(diffs)
            needed = n
            if iv.half_width > target.half_width:
                t = float(stats.t.ppf(0.975, max(1, n - 1)))
                needed = max(n + 1, math.ceil((t * iv.sd / target.half_width) ** 2))
            # a few replications that all agree exactly have not yet shown their spread
            reached = iv.half_width <= target.half_width and (iv.sd > 0 or n >= 5)
            if not reached and needed <= n:
                needed = n + 1
            out.append({"scenario": label, "metric": target.metric, "target_half_width": target.half_width,
                        "half_width": iv.half_width, "replications": n, "reached": reached,
                        "replications_needed": needed})
    return out


def difference_spread(exp: Experiment, baseline: str) -> dict[str, dict[str, float]]:
    """The spread (standard deviation) per replication of every paired difference against ``baseline``:
    what sets how many replications a precise answer needs (and what common random numbers shrink)."""
    out: dict[str, dict[str, float]] = {}
    base = exp.results[baseline]
    for label in exp.labels:
        if label == baseline:
            continue
        out[label] = {}
        for metric in exp.metric_names():
            d = [metric_value(a, metric) - metric_value(b, metric) for a, b in zip(exp.results[label], base)]
            out[label][metric] = t_interval(d).sd if len(d) > 1 else math.nan
    return out


# ---------------------------------------------------------------------------
# Intervals


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% t-interval."""

    mean: float
    low: float
    high: float
    sd: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def includes_zero(self) -> bool:
        """Whether the runs cannot tell this difference from none: two or more replications whose 95% interval
        holds zero (one replication has no interval, so it is not said to include zero)."""
        return self.n >= 2 and self.low <= 0 <= self.high


def t_interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Mean and t-interval; with one value the interval is that value (width unknown)."""
    xs = [float(v) for v in values]
    n = len(xs)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, 0)
    mean = sum(xs) / n
    if n == 1:
        return Interval(mean, mean, mean, 0.0, 1)
    var = sum((x - mean) ** 2 for x in xs) / (n - 1)
    sd = math.sqrt(var)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, sd, n)


def paired_difference(alt: Sequence[float], base: Sequence[float]) -> Interval:
    """Interval of the mean of replication-by-replication differences (alt - base)."""
    if len(alt) != len(base):
        raise ValueError("paired differences need the same replications in both scenarios")
    return t_interval([a - b for a, b in zip(alt, base)])


def verdict(diff: Interval, better: str | None) -> str:
    """'better', 'worse' or 'no clear difference' for a paired difference.

    For metrics with no better direction (counts of activity), says
    'higher' or 'lower' when the interval excludes zero.
    """
    if not all(math.isfinite(x) for x in (diff.mean, diff.low, diff.high)):
        return "not a number"  # never a direction: results that overflow are stopped before they are judged
    if diff.n < 2:
        return "not enough replications"
    if diff.low == diff.high == 0:
        return "no difference"
    if diff.low == diff.high and 2 * 0.5 ** diff.n >= 0.05:
        # every replication gave the same difference, so the t-interval has no width and cannot judge;
        # the sign test can: with n replications all one way, p = 2 x 0.5^n, below 0.05 from n = 6
        return "no clear difference"
    if diff.low <= 0 <= diff.high:
        return "no clear difference"
    up = diff.low > 0
    if better is None:
        return "higher" if up else "lower"
    return "better" if up == (better == "higher") else "worse"


def metric_direction(metric: str) -> str | None:
    """Which way is better for a metric name (including sub-group and cost lines)."""
    from .outcomes import METRICS

    if metric.startswith("cost.") or metric.startswith("person_level_cost"):
        return "lower"
    info = METRICS.get(metric.split(".")[0])
    return info.better if info else None


def summary_rows(exp: Experiment) -> list[dict]:
    """scenario, metric, mean, ci_low, ci_high, sd, n for every scenario and metric."""
    rows = []
    for label in exp.labels:
        for metric in exp.metric_names():
            iv = t_interval(exp.metric_values(label, metric))
            rows.append({"scenario": label, "metric": metric, "mean": iv.mean, "ci_low": iv.low,
                         "ci_high": iv.high, "sd": iv.sd, "n": iv.n})
    return rows


def comparison_rows(exp: Experiment, baseline: str) -> list[dict]:
    """Paired differences of every other scenario against ``baseline``."""
    rows = []
    base_reps = exp.results[baseline]
    for label in exp.labels:
        if label == baseline:
            continue
        for metric in exp.metric_names():
            base = [metric_value(r, metric) for r in base_reps]
            alt = exp.metric_values(label, metric)
            diff = paired_difference(alt, base)
            rows.append({"scenario": label, "metric": metric, "baseline_mean": sum(base) / len(base),
                         "delta_mean": diff.mean, "delta_ci_low": diff.low, "delta_ci_high": diff.high,
                         "n": diff.n, "verdict": verdict(diff, metric_direction(metric))})
    return rows


def run_preview(scenarios: Sequence[Scenario], years: float | None = None, warmup_years: float | None = None) -> Experiment:
    """The mean-field twin for each scenario: one deterministic 'replication' each, in seconds
    (integrated together, on the same steps, so that differences carry no integration error)."""
    from .twin import run_twins

    started = time.perf_counter()
    labels = scenario_labels(scenarios)
    first = scenarios[0].settings    # integrated together, so one horizon: the first scenario's unless given
    years = first.years if years is None else years
    warmup_years = first.warmup_years if warmup_years is None else warmup_years
    plan = RunPlan(seed=0, replications=1, years=years, scale=1.0, warmup_years=warmup_years)
    runs = run_twins(scenarios, years=years, warmup_years=warmup_years)
    results: dict[str, tuple[ReplicationResult, ...]] = {label: (r,) for label, r in zip(labels, runs)}
    return Experiment(tuple(scenarios), tuple(labels), plan, results, time.perf_counter() - started, 1,
                      extra={"method": "mean-field twin (ordinary differential equations, deterministic)",
                             "deterministic": True})
