"""The ``mhsim`` command: validate scenarios, run them, compare them.

Bad input never shows a traceback: every problem is printed with its file,
line, field, value and what is allowed, and the command exits with code 2
before anything is written.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import List, NoReturn, Optional

# Small matrices (the value-of-information regressions): BLAS threads only contend with each other.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer  # noqa: E402
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

from . import cli_tables as tables
from .cli_tables import escape
from .cli_tables import fmt as _fmt
from .errors import InputError, Problem, did_you_mean, display_path, printable
from .schema import run_option_problems

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="mhsim: simulate a county mental health system and compare decisions against a baseline.",
)
out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def _say(text: str, console: Console | None = None) -> None:
    """Print a line that may hold names or paths from files: never read as markup, controls removed."""
    (console or out).print(printable(text), markup=False, highlight=False)


def _fail(problems: list[Problem], code: int = EXIT_BAD_INPUT) -> NoReturn:
    err.print(f"[bold red]{len(problems)} problem{'s' if len(problems) != 1 else ''} found:[/]")
    for p in problems:
        # soft_wrap: one problem per line, never folded (a path split across lines cannot be found or copied)
        err.print(f"  {printable(p)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class _LazyProgress:
    """A progress bar that only appears if the run takes more than a second."""

    def __init__(self, what: str):
        self.what = what
        self.started = time.perf_counter()
        self.bar: Progress | None = None
        self.task = TaskID(0)

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.started < 1.0 and done < total:
                return
            if done >= total:
                return
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.what, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _check_out_dir(path: Path) -> list[Problem]:
    try:
        if path.exists() and not path.is_dir():
            return [Problem(display_path(path), "--out names a file, not a folder", allowed="a folder (created if missing)")]
        for parent in path.parents:  # the folder could not be created inside a file
            if parent.exists():
                if not parent.is_dir():
                    return [Problem(display_path(path), f"--out is inside {display_path(parent)}, which is a file, not a folder",
                                    allowed="a folder (created if missing)")]
                break
    except (OSError, ValueError) as exc:  # e.g. a name too long for the file system
        return [Problem(str(path)[:200], f"--out cannot be used: {getattr(exc, 'strerror', None) or exc}", allowed="a folder (created if missing)")]
    return []


def _check_numbers(reps: int, years: Optional[float], workers: int, scale: Optional[float],
                   warmup_years: Optional[float] = None) -> list[Problem]:
    """The run options against their limits (declared once, in ``schema.RUN_LIMITS``)."""
    return run_option_problems(reps=reps, years=years, workers=workers, scale=scale, warmup_years=warmup_years)


def _load(files: list[Path], years: Optional[float], scale: Optional[float] = None, warmup_years: Optional[float] = None):
    from .scenario import load_scenarios

    try:
        return load_scenarios(files, years=years, scale=scale, warmup_years=warmup_years)
    except InputError as exc:
        _fail(exc.problems)


def _write(exp, out_dir: Path, command: str, baseline: Optional[str] = None):
    """Write the results folder; a full disk or a result that is not a number is a message, not a traceback."""
    from .results import OutputError, ResultError, write_outputs

    try:
        return write_outputs(exp, out_dir, command, baseline)
    except (OutputError, ResultError) as exc:
        _fail(exc.problems, EXIT_FAILED)
    except InputError as exc:
        _fail(exc.problems)


def precision_targets(texts: list[str], max_reps: int, reps: int) -> tuple[list, list[Problem]]:
    """``--precision METRIC=HALFWIDTH`` options, checked: the metric must exist, the half-width be positive."""
    from .experiment import Precision
    from .outcomes import METRICS
    targets, problems = [], []
    for text in texts:
        metric, eq, value = text.partition("=")
        metric = metric.strip()
        try:
            half = float(value.replace(",", "").replace("£", "")) if eq else math.nan
        except ValueError:
            half = math.nan
        if metric not in METRICS and not metric.startswith("cost."):
            problems.append(Problem("command line", f"unknown metric in --precision{did_you_mean(metric, METRICS)}", field="--precision",
                                    value=text, allowed="METRIC=HALFWIDTH, e.g. crisis_episodes=20 or cost_nhs=500000"))
        elif not (half > 0 and math.isfinite(half)):
            problems.append(Problem("command line", "--precision needs a positive half-width", field="--precision", value=text,
                                    allowed="METRIC=HALFWIDTH, e.g. crisis_episodes=20"))
        else:
            targets.append(Precision(metric, half))
    if texts and max_reps < max(2, reps):
        problems.append(Problem("command line", "--max-reps is below --reps", field="--max-reps", value=max_reps, allowed=f"at least {max(2, reps)}"))
    return targets, problems


def _run(files: list[Path], reps: int, seed: int, years: Optional[float], out_dir: Path, workers: int,
         scale: Optional[float], warmup_years: Optional[float], command: str, baseline_index: Optional[int],
         precision: Optional[list[str]] = None, max_reps: int = 200, assumptions: Optional[Path] = None):
    from .results import check_output_folder

    problems = _check_numbers(reps, years, workers, scale, warmup_years) + _check_out_dir(out_dir)
    targets, wrong = precision_targets(precision or [], max_reps, reps)
    problems = (problems + wrong) or check_output_folder(out_dir)
    if problems:
        _fail(problems)
    scenarios = _load(files, years, scale, warmup_years)
    from .experiment import RunPlan, run_experiment, run_to_precision, scenario_labels

    if assumptions is not None:
        from .assumptions import assumption_problems

        problems = assumption_problems(assumptions, scenarios)
        if problems:
            _fail(problems)

    plan = RunPlan(seed=seed, replications=reps, years=years, scale=scale, warmup_years=warmup_years)
    what = f"up to {max_reps} replications" if targets else f"{reps} replications"
    progress = _LazyProgress(f"{len(scenarios)} scenario{'s' if len(scenarios) > 1 else ''} x {what}")
    try:
        if targets:
            exp = run_to_precision(scenarios, plan, targets, max_reps, workers=workers, progress=progress)
        else:
            exp = run_experiment(scenarios, plan, workers=workers, progress=progress)
    except KeyboardInterrupt:
        progress.close()
        err.print("Interrupted: nothing was written.")
        raise typer.Exit(130)
    finally:
        progress.close()
    baseline = scenario_labels(scenarios)[baseline_index] if baseline_index is not None else None
    if assumptions is not None:
        from .assumptions import notes_for

        exp.extra["assumptions"] = notes_for(assumptions, scenarios, scenario_labels(scenarios))
        exp.extra["assumptions_from"] = display_path(assumptions)
    written = _write(exp, out_dir, command, baseline)
    from .scale import regime_note

    note = regime_note(scenarios[0], plan.scale_for(scenarios[0]))
    if note:
        _say(f"Note: {note}", err)
    return exp, baseline, written


FILES_ARG = typer.Argument(..., help="Scenario YAML files.", show_default=False)
REPS = typer.Option(10, "--reps", help="Replications per scenario.")
SEED = typer.Option(1, "--seed", help="Base seed; the same seed gives the same numbers.")
YEARS = typer.Option(None, "--years", help="Years to simulate (default: each scenario's settings.years).")
OUT = typer.Option(Path("results"), "--out", help="Folder for the results (created if missing).")
WORKERS = typer.Option(os.cpu_count() or 1, "--workers", help="Local processes to spread replications over (default: one per CPU). Results do not depend on it.")
SCALE = typer.Option(None, "--scale", help="Fraction of the county to simulate (results reported at full scale).")
WARMUP = typer.Option(None, "--warmup-years", help="Warm-up before the reported period (default: the scenario's).")


@app.command()
def validate(files: List[Path] = FILES_ARG) -> None:
    """Check scenario files and report every problem at once."""
    scenarios = _load(files, None)
    for path, s in zip(files, scenarios):
        actions = f", {len(s.actions)} action{'s' if len(s.actions) != 1 else ''}" if s.actions else ""
        _say(f"ok  {display_path(path)}: '{s.name}' ({len(s.overrides)} changed parameter{'s' if len(s.overrides) != 1 else ''}{actions}; hash {s.content_hash})")


@app.command()
def run(files: List[Path] = FILES_ARG, reps: int = REPS, seed: int = SEED, years: Optional[float] = YEARS,
        out_dir: Path = OUT, workers: int = WORKERS, scale: Optional[float] = SCALE,
        warmup_years: Optional[float] = WARMUP) -> None:
    """Run scenarios and write summary.csv, replications.parquet, timeseries.parquet and manifest.json."""
    exp, _, written = _run(files, reps, seed, years, out_dir, workers, scale, warmup_years, "run", None)
    out.print(tables.results_table(exp))
    _say(f"Wrote {', '.join(p.name for p in written)} to {display_path(out_dir)} in {exp.wall_seconds:.1f} s.")


@app.command()
def compare(base: Path = typer.Argument(..., help="The baseline scenario file.", show_default=False),
            alternatives: List[Path] = typer.Argument(..., help="Scenario files to compare with the baseline.", show_default=False),
            reps: int = REPS, seed: int = SEED, years: Optional[float] = YEARS, out_dir: Path = OUT,
            workers: int = WORKERS, scale: Optional[float] = SCALE, warmup_years: Optional[float] = WARMUP,
            precision: Optional[List[str]] = typer.Option(None, "--precision", help="METRIC=HALFWIDTH (repeatable): add replications until the 95% interval of that difference is at most +/- HALFWIDTH, e.g. crisis_episodes=20."),
            max_reps: int = typer.Option(200, "--max-reps", help="With --precision: the most replications to run."),
            assumptions: Optional[Path] = typer.Option(None, "--assumptions", help="A folder written by 'mhsim psa' on the same scenarios: name, under each verdict on net monetary benefit, the declared assumption within whose range the preferred option switches (also comparison.csv's depends_on).", show_default=False)) -> None:
    """Run a baseline and alternatives with common random numbers; print paired differences."""
    exp, baseline, written = _run([base, *alternatives], reps, seed, years, out_dir, workers, scale, warmup_years, "compare", 0,
                                  precision, max_reps, assumptions)
    for line in tables.precision_lines(exp):
        _say(line)
    for label in exp.labels[1:]:
        out.print(tables.comparison_table(exp, label, exp.labels[0]))
        for line in tables.assumption_lines(exp, label):
            _say(line)
    _say(f"Every metric and sub-group is in {display_path(out_dir / 'comparison.csv')}; "
         f"wrote {', '.join(p.name for p in written)} in {exp.wall_seconds:.1f} s.")


@app.command()
def preview(files: List[Path] = FILES_ARG, years: Optional[float] = YEARS, out_dir: Path = OUT,
            warmup_years: Optional[float] = WARMUP) -> None:
    """Answer at once with the mean-field twin (deterministic; same output files as 'run', one replication).

    With several files, the first is the comparator: the table shows each other scenario's paired
    difference from it, and comparison.csv holds every metric's (no interval: the twin has no chance)."""
    from .results import check_output_folder

    problems = _check_numbers(1, years, 1, None, warmup_years) + _check_out_dir(out_dir)
    problems = problems or check_output_folder(out_dir)
    if problems:
        _fail(problems)
    scenarios = _load(files, years, 1.0, warmup_years)
    from .experiment import run_preview

    exp = run_preview(scenarios, years=years, warmup_years=warmup_years)
    comparator = exp.labels[0] if len(exp.labels) > 1 else None   # the first file, as in 'compare'
    written = _write(exp, out_dir, "preview", comparator)
    out.print(tables.preview_table(exp))
    _say(f"Wrote {', '.join(p.name for p in written)} to {display_path(out_dir)} in {exp.wall_seconds:.1f} s.")


QUICK_RUNS = (3, 0.2, 3.0)
"""verify --quick's replications, scale and years (each unless given): enough to exercise the machinery."""


def _verify_runs(reps: int | None, scale: float | None, years: float | None, quick: bool) -> tuple[int, float, float]:
    """The replications, scale and years verify runs: those given, else the defaults (shorter with --quick)."""
    d_reps, d_scale, d_years = QUICK_RUNS if quick else (10, 1.0, 10.0)
    return (d_reps if reps is None else reps, d_scale if scale is None else scale, d_years if years is None else years)


@app.command()
def verify(reps: Optional[int] = typer.Option(None, "--reps", help="Replications of the baseline for calibration, and of each arm with --agreement (default 10; 3 with --quick).", show_default=False),
           scale: Optional[float] = typer.Option(None, "--scale", help="Fraction of the county for the calibration (and --agreement) runs; below 1 changes the queueing regime (default 1; 0.2 with --quick).", show_default=False),
           years: Optional[float] = typer.Option(None, "--years", help="Years simulated for calibration and --agreement (default 10; 3 with --quick).", show_default=False),
           seed: int = SEED, workers: int = WORKERS,
           quick: bool = typer.Option(False, "--quick", help="Fewer and shorter runs: checks the machinery; calibration is shown, not judged."),
           json_file: Optional[Path] = typer.Option(None, "--json", help="Also write both tables as JSON to this file (targets: target, kind, model, low, high, pass, source)."),
           baseline_file: Path = typer.Option(None, "--baseline", help="Scenario to calibrate (default: the shipped baseline)."),
           agreement: bool = typer.Option(False, "--agreement", help="Instead: the twin's paired difference against the simulation's for every shipped decision and headline metric (minutes at full scale)."),
           scenario_files: List[Path] = typer.Option([], "--scenario", help="With --agreement: decisions to compare (default: every shipped scenario).", show_default=False),
           as_whole: bool = typer.Option(False, "--family", help="With --agreement: exit 1 only when the table as a whole disagrees (more misses than chance explains, or one beyond the family-wise 5% bound), not at any line's miss."),
           welch: Optional[Path] = typer.Option(None, "--welch", help="Also draw Welch's plot of the calibration runs (drift and start-up) to this .html file (and a .png beside it).", show_default=False)) -> None:
    """Check the model: calibration against published figures, and verification against theory.

    Exits 1 if any verification check fails, or (except with --quick) if a calibration
    target misses its band with no stated reason. With --agreement, exits 1 if the twin
    disagrees with the simulation on any decision and headline metric (gaps queues explain are shown, not judged);
    with --family as well, only if the table as a whole disagrees (a 152-line table at 95% has misses by chance)."""
    reps, scale, years = _verify_runs(reps, scale, years, quick)
    problems = _check_numbers(reps, years, workers, scale)
    if agreement and reps < 2:
        problems.append(Problem("command line", "--agreement needs at least 2 replications: one has no interval to judge the twin by",
                                field="--reps", value=reps, allowed="2 or more (10 by default)"))
    if problems:
        _fail(problems)
    from .scenario import BASELINE_FILE
    from .experiment import run_experiment
    from .verification import calibration_lines, college_pilot, unexplained_misses, verification

    (baseline,) = _load([baseline_file or BASELINE_FILE], years)
    from .experiment import RunPlan

    if agreement:
        _verify_agreement(baseline, scenario_files, RunPlan(seed=seed, replications=reps, years=years, scale=scale), workers, json_file,
                          as_whole)
        return

    progress = _LazyProgress("calibration runs")
    try:
        runs = run_experiment([baseline], RunPlan(seed=seed, replications=reps, years=years, scale=scale), workers=workers,
                              progress=progress)
    finally:
        progress.close()
    baseline_runs = runs.results[runs.labels[0]]
    cal = calibration_lines(baseline, baseline_runs)
    with err.status("The Recovery College pilot, back-cast (15 months)..."):
        cal += college_pilot(baseline, RunPlan(seed=seed, replications=reps, years=years, scale=scale), workers=workers)
    if welch is not None:
        from dashboard.figures import welch_figure

        from .calibration import DRIFT_SERIES

        figure = welch_figure({name: [list(r.monthly[name]) for r in baseline_runs] for name in DRIFT_SERIES})
        welch.parent.mkdir(parents=True, exist_ok=True)
        _say(f"Wrote {', '.join(_save_figures({welch.stem: figure}, welch.parent, png=True))} to {display_path(welch.parent)}.", err)
    out.print(tables.calibration_table(cal, reps, years, scale, quick))
    with err.status("Verification runs (queueing theory, Little's law, extremes, random numbers, the twin)..."):
        ver = verification(baseline, workers=workers, quick=quick)
    out.print(tables.verification_table(ver))
    if json_file is not None:
        import json
        import os

        body = json.dumps({"settings": {"replications": reps, "years": years, "scale": scale, "seed": seed, "quick": quick},
                           "targets": [line.detail for line in cal],
                           "verification": [{"check": line.check, "figure": line.figure, "expected": line.expected,
                                             "pass": None if line.passed is None else bool(line.passed)} for line in ver]},
                          indent=2, default=float)
        staging = json_file.with_name(f".{json_file.name}.partial")
        staging.write_text(body + "\n")
        os.replace(staging, json_file)
    failed = [line for line in ver if line.passed is False]
    unexplained = [] if quick else unexplained_misses(cal)
    out.print(tables.verify_summary(cal, ver, unexplained), highlight=False)
    if failed or unexplained:
        raise typer.Exit(1)


@app.command()
def calibrate(samples: int = typer.Option(512, "--samples", help="Parameter sets evaluated in each wave."),
              waves: int = typer.Option(8, "--waves", help="Most waves of history matching."),
              size: int = typer.Option(200, "--size", help="Plausible parameter sets to keep (the run stops when it has them)."),
              seed: int = SEED, workers: int = WORKERS,
              years: float = typer.Option(10.0, "--years", help="Years each twin run covers (drift is judged from year 2 to year 10)."),
              out_file: Optional[Path] = typer.Option(None, "--out", help="The ensemble CSV (a JSON manifest is written beside it; default: the shipped scenarios/calibration/ensemble.csv)."),
              baseline_file: Path = typer.Option(None, "--baseline", help="Scenario to fit (default: the shipped baseline)."),
              write_baseline: bool = typer.Option(False, "--write-baseline", help="Also set the fitted parameters' values in the baseline file to the most central plausible set (the smallest sum of squared distances to the bands' centres).")) -> None:
    """Fit the baseline's unmeasured rates by history matching on the twin; keep the plausible sets as an ensemble.

    A set is plausible when every fitting target (the census held in equilibrium, S4, S6, R3/R5) is
    inside its band. 'mhsim psa' samples the ensemble; 'mhsim verify' tests the fit against
    independent figures. The same options give the same file."""
    from .calibration import ENSEMBLE_FILE, FIT_TARGETS, ensemble, fit, write_baseline_values, write_ensemble
    from .scenario import BASELINE_FILE

    problems = _check_numbers(1, years, workers, None)
    for name, value, low in (("--samples", samples, 8), ("--waves", waves, 1), ("--size", size, 1)):
        if value < low:
            problems.append(Problem("command line", f"{name} must be at least {low}", field=name, value=value, allowed=f"a whole number of at least {low}"))
    if years < 2:
        problems.append(Problem("command line", "--years must cover year 2 and later (drift is judged from year 2)", field="--years", value=years,
                                allowed="at least 2; 10 is the judged horizon"))
    target_file = out_file or ENSEMBLE_FILE
    if problems:
        _fail(problems)
    (baseline,) = _load([baseline_file or BASELINE_FILE], None)

    def on_wave(wave: int, result) -> None:
        best = min(p.distance for p in result.points)
        _say(f"Wave {wave}: {len(result.points):,} sets run, {len(result.plausible()):,} plausible, closest distance {best:.2f} "
             f"({result.seconds:.0f} s).", err)

    result = fit(baseline, samples, waves, size, seed, workers, years, on_wave=on_wave)
    members = ensemble(result, size, seed)
    if not members:
        closest = min(result.points, key=lambda p: p.distance)
        out.print(tables.fit_table(closest, FIT_TARGETS), highlight=False)
        _say(f"No plausible parameter set in {len(result.points):,} runs (closest distance {closest.distance:.2f}): nothing was written. "
             "Widen the declared ranges of the fitted parameters, or run more waves.", err)
        raise typer.Exit(1)
    written = write_ensemble(result, members, baseline, target_file, samples, seed, years)
    out.print(tables.fit_table(members[0], FIT_TARGETS), highlight=False)
    if write_baseline:
        write_baseline_values(baseline.file, members[0].values)
        written.append(Path(baseline.file))
    _say(f"{len(members)} plausible parameter sets kept of {len(result.points):,} run in {result.waves} wave(s); "
         f"wrote {', '.join(display_path(p) for p in written)}.")


def _size_difference(exp, metric: str, precision: float, half_width: Optional[float], max_reps: int) -> None:
    """The confidence-interval method for a paired difference (common random numbers make it narrow)."""
    from .experiment import metric_value
    from .verification import replications_needed, replications_needed_absolute

    base, alt = (exp.results[label] for label in exp.labels[:2])
    diffs = [metric_value(a, metric) - metric_value(b, metric) for a, b in zip(alt, base)]
    if half_width is not None:
        rows, found = replications_needed_absolute(diffs, half_width)
        goal = f"+/-{_fmt(metric, half_width)}"
    else:
        rows, found = replications_needed(diffs, precision)
        goal = f"{precision:.1%} of the mean difference"
    title = (f"Replications for the difference in {escape(metric)} ({escape(exp.labels[1])} minus "
             f"{escape(exp.labels[0])}): target {goal}")
    out.print(tables.sizing_table(title, rows, found, metric, signed=True))
    if found:
        _say(f"{found} replications make the 95% interval of the difference in {metric} {goal} or narrower.")
    else:
        out.print(f"{max_reps} replications do not reach {goal}; try more with --max-reps.", highlight=False)


def _verify_agreement(baseline, scenario_files: list[Path], plan, workers: int, json_file: Optional[Path],
                      as_whole: bool = False) -> None:
    from .outcomes import HEADLINE
    from .scenario import BASELINE_FILE
    from .verification import agreement, family

    files = scenario_files or sorted(p for p in Path(BASELINE_FILE).parent.glob("*.yaml") if p.name != Path(BASELINE_FILE).name)
    scenarios = _load(files, plan.years)
    progress = _LazyProgress("agreement runs")
    try:
        rows = agreement(baseline, scenarios, plan, HEADLINE, workers=workers, progress=progress)
    finally:
        progress.close()
    lines = [row.line() for row in rows]
    verdict = family(rows)
    out.print(tables.agreement_table(rows, lines, plan))
    if json_file is not None:
        import json

        body = json.dumps({"settings": {"replications": plan.replications, "years": plan.years, "scale": plan.scale, "seed": plan.seed},
                           "agreement": [line.detail for line in lines], "family": verdict.detail}, indent=2, default=float)
        staging = json_file.with_name(f".{json_file.name}.partial")
        staging.write_text(body + "\n")
        os.replace(staging, json_file)
    out.print(tables.agreement_summary(lines, rows, verdict), highlight=False)
    if (not verdict.passed) if as_whole else any(line.passed is False for line in lines):
        raise typer.Exit(1)


@app.command()
def replications(scenario_file: Path = typer.Argument(..., help="Scenario file.", show_default=False),
                 metric: str = typer.Option("total_cost", "--metric", help="Metric whose interval should be narrow enough."),
                 precision: float = typer.Option(0.05, "--precision", help="Target half-width of the 95% interval, as a share of the mean."),
                 max_reps: int = typer.Option(40, "--max-reps", help="Most replications to try."),
                 scale: Optional[float] = SCALE, years: Optional[float] = YEARS, seed: int = SEED, workers: int = WORKERS,
                 compare_file: Optional[Path] = typer.Option(None, "--compare", help="Size the paired difference (this file minus SCENARIO_FILE) instead of the level."),
                 half_width: Optional[float] = typer.Option(None, "--half-width", help="With --compare: the target half-width of the difference, in the metric's unit (e.g. 20 crises).")) -> None:
    """How many replications: the confidence-interval method (for a level or a paired difference), and a warm-up check (MSER-5)."""
    problems = _check_numbers(max_reps, years, workers, scale)
    if not 0 < precision < 1:
        problems.append(Problem("command line", "--precision out of range", field="--precision", value=precision, allowed="a share between 0 and 1, e.g. 0.05"))
    if max_reps < 3:
        problems.append(Problem("command line", "--max-reps too small", field="--max-reps", value=max_reps, allowed="at least 3"))
    from .outcomes import METRICS
    if metric not in METRICS and not metric.startswith("cost."):
        problems.append(Problem("command line", f"unknown metric{did_you_mean(metric, METRICS)}", field="--metric", value=metric, allowed="a metric such as total_cost, crisis_episodes, suicides"))
    if half_width is not None and not (half_width > 0 and math.isfinite(half_width)):
        problems.append(Problem("command line", "--half-width must be above 0", field="--half-width", value=half_width, allowed="a positive number in the metric's unit"))
    if half_width is not None and compare_file is None:
        problems.append(Problem("command line", "--half-width sizes a difference: give --compare too", field="--half-width", value=half_width, allowed="--compare FILE --half-width H"))
    if problems:
        _fail(problems)
    files = [scenario_file] + ([compare_file] if compare_file else [])
    scenarios = _load(files, years)
    from .experiment import RunPlan, run_experiment
    from .verification import replications_needed

    progress = _LazyProgress(f"{max_reps} replications")
    try:
        exp = run_experiment(scenarios, RunPlan(seed=seed, replications=max_reps, years=years, scale=scale), workers=workers, progress=progress)
    finally:
        progress.close()
    reps = exp.results[exp.labels[0]]
    if compare_file is not None:
        _size_difference(exp, metric, precision, half_width, max_reps)
        return
    if metric not in reps[0].metrics:
        _fail([Problem("command line", f"no such metric in these results{did_you_mean(metric, reps[0].metrics)}", field="--metric",
                       value=metric, allowed="a metric such as total_cost, crisis_episodes, or a cost line cost.SERVICE.PAYER")])
    rows, found = replications_needed([r.metrics[metric] for r in reps], precision)
    out.print(tables.sizing_table(f"Replications for {escape(metric)}: 95% half-width as a share of the mean "
                                  f"(target {precision:.1%})", rows, found, metric))
    if found:
        _say(f"{found} replications reach a half-width of {precision:.1%} of the mean for {metric}.")
    else:
        out.print(f"{max_reps} replications do not reach {precision:.1%}; try more with --max-reps.", highlight=False)
    out.print(tables.warmup_table(reps))
    out.print("A truncation point of 0 means the initial census needs no warm-up; otherwise use --warmup-years.", highlight=False)


@app.command()
def dashboard(results: Optional[Path] = typer.Option(None, "--results", help="Show what 'mhsim run' or 'mhsim compare' wrote in this folder instead of the shipped scenarios."),
              host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (only this machine by default)."),
              port: int = typer.Option(8050, "--port", help="Port to listen on."),
              reps: int = typer.Option(10, "--reps", help="Replications for the shipped and built scenarios."),
              scale: float = typer.Option(1.0, "--scale", help="Fraction of the county simulated for the shipped and built scenarios (below 1 changes the queueing regime: beds overflow more often)."),
              years: float = typer.Option(10.0, "--years", help="Years simulated."),
              seed: int = SEED, workers: int = WORKERS,
              sweeps: Path = typer.Option(Path("results"), "--sweeps", help="Folder the Sweeps tab may open sweep folders from (nothing outside it)."),
              allow_host: List[str] = typer.Option([], "--allow-host", help="A host name the dashboard answers to besides this machine's (repeat; e.g. the name a reverse proxy uses).", show_default=False),
              job_minutes: float = typer.Option(20.0, "--job-minutes", help="Longest one run built in the page may take."),
              runs_per_session: int = typer.Option(3, "--runs-per-session", help="Runs one browser session may have waiting or running at once."),
              precision: Optional[List[str]] = typer.Option(None, "--precision", help="METRIC=HALFWIDTH (repeatable): size every run in the page so that each shipped decision's difference in METRIC is this precise (95% interval); the sizing runs before the page opens."),
              max_reps: int = typer.Option(200, "--max-reps", help="With --precision: the most replications.")) -> None:
    """Open the commissioners' dashboard: compare decisions, build scenarios, export briefs.

    Listens on 127.0.0.1 only by default. To share it, set MHSIM_DASHBOARD_PASSWORD (HTTP Basic) or put it
    behind a reverse proxy that authenticates users and adds TLS; see docs/shared-dashboard.md."""
    problems = _check_numbers(reps, years, workers, scale)
    if not 1 <= port <= 65535:
        problems.append(Problem("command line", "--port out of range", field="--port", value=port, allowed="1 to 65535"))
    if not (0.5 <= job_minutes <= 24 * 60):
        problems.append(Problem("command line", "--job-minutes out of range", field="--job-minutes", value=job_minutes, allowed="0.5 to 1440"))
    if not 1 <= runs_per_session <= 100:
        problems.append(Problem("command line", "--runs-per-session out of range", field="--runs-per-session", value=runs_per_session,
                                allowed="1 to 100"))
    for name in allow_host:
        import re

        if not re.fullmatch(r"\.?[A-Za-z0-9_.\-]{1,253}|\[?[0-9A-Fa-f:.]+\]?", name or ""):
            problems.append(Problem("command line", "not a host name", field="--allow-host", value=name,
                                    allowed="a name such as mhsim.example.org, .example.org for its subdomains, or an address"))
    if results is not None and not (results / "manifest.json").is_file():
        problems.append(Problem(display_path(results), "is not a results folder (no manifest.json)", field="--results",
                                allowed="a folder written by 'mhsim run' or 'mhsim compare'"))
    targets, wrong = precision_targets(precision or [], max_reps, reps)
    problems += wrong
    if problems:
        _fail(problems)
    from dashboard.app import serve
    from dashboard.jobs import Limits

    progress = _LazyProgress("sizing the runs to the stated precision") if targets else None
    try:
        serve(results=results, host=host, port=port, replications=reps, scale=scale, years=years, seed=seed, workers=workers,
              sweeps_root=sweeps, allow_hosts=allow_host, limits=Limits(per_session=runs_per_session, job_seconds=job_minutes * 60),
              precision=targets, max_reps=max_reps, progress=progress)
    except InputError as exc:
        _fail(exc.problems)


# ---------------------------------------------------------------------------
# Sweeps, probabilistic sensitivity analysis and sensitivity indices


class _SweepProgress:
    """A progress bar with time left and replications a minute (shown on a terminal)."""

    def __init__(self, what: str, runs_per_task: int):
        self.what, self.runs_per_task = what, runs_per_task
        self.bar: Progress | None = None
        self.task = TaskID(0)
        self.first: int | None = None
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if self.first is None:
            self.first = done
        if self.bar is None:
            if done >= total:
                return
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[rate]}"),
                                console=err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.what, total=total, completed=done, rate="")
        elapsed = time.perf_counter() - self.started
        new = done - (self.first or 0)
        rate = f"{60 * new * self.runs_per_task / elapsed:,.0f} replications/min" if elapsed > 1 and new else ""
        self.bar.update(self.task, completed=done, rate=rate)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _check_scheduler(address: str) -> list[Problem]:
    import re

    if not re.fullmatch(r"(tcp|tls)://[A-Za-z0-9_.\-\[\]:]+:[0-9]{1,5}", address or ""):
        return [Problem("command line", "--scheduler is not a scheduler address", field="--scheduler", value=address,
                        allowed="tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786")]
    return []


def _connect(address: str, timeout: float):
    from .sweep import SchedulerError, connect

    try:
        return connect(address, timeout=timeout, wait_for_workers=max(timeout, 10.0))
    except SchedulerError as exc:
        _fail([Problem("command line", str(exc), field="--scheduler", value=address,
                       allowed="the address 'dask scheduler' printed, reachable from here, with at least one 'dask worker'")])


def _execute(store, model, spec, digest: str, out_dir: Path, workers: Optional[int], client, flush_seconds: float, what: str):
    """Run what the store lacks; Ctrl-C keeps what finished and says how to resume."""
    from .sweep import run_sweep

    progress = _SweepProgress(what, spec.arm_runs)
    try:
        stats = run_sweep(store, model, workers=workers or (os.cpu_count() or 1), client=client, progress=progress,
                          flush_seconds=flush_seconds)
    except KeyboardInterrupt:
        progress.close()
        done = store.manifest().get("rows_done", 0)
        _say(f"Interrupted: {done} of {len(store.design()) * spec.reps} rows are saved in {display_path(out_dir)}. "
             "Run the same command with --resume to finish.", err)
        raise typer.Exit(130)
    except OSError as exc:  # a full disk while writing rows: what was written is kept
        progress.close()
        _fail([_sweep_write_problem(out_dir, exc)], EXIT_FAILED)
    finally:
        progress.close()
        if client is not None:
            client.close(timeout=5)
    return stats


def _sweep_write_problem(out_dir: Path, exc: OSError) -> Problem:
    return Problem(display_path(out_dir), f"cannot write the sweep: {exc.strerror or exc}; the rows written so far are kept",
                   field="--out", allowed="free some disk space, then run the same command with --resume")


SIZE_PATHS = ("population.in_contact_at_start", "population.recovered_at_start", "population.referrals_per_year")


def _sweep_size_problems(spec, scenarios) -> list[Problem]:
    """Whether the largest point of a sweep or PSA still fits one run's limits (people, person-years)."""
    from .scenario import size_problems

    top = {f.path: max(f.value(0.0), f.value(0.999)) for f in spec.factors if f.path in SIZE_PATHS}
    problems: list[Problem] = []
    for scenario in scenarios:
        values = {p: (int(v) if isinstance(scenario.params[p].value, int) else v) for p, v in top.items() if p in scenario.params}
        big = scenario.with_values(values) if values else scenario
        for p in size_problems(big, spec.years, spec.scale, spec.warmup_years):
            problems.append(Problem(p.file, p.message + (" at the top of the ranges swept" if values else ""), p.line, p.field,
                                    p.value, p.allowed))
    return problems


def _new_sweep(out_dir: Path, spec, command: str, design_frame, digest: str):
    from .sweep import new_sweep

    try:
        store, _, _ = new_sweep(out_dir, spec, command, design_frame, digest)
    except OSError as exc:
        _fail([_sweep_write_problem(out_dir, exc)], EXIT_FAILED)
    return store


def _sweep_request(target: Path, vary: list[str], design: Optional[str], samples: Optional[int], reps: Optional[int],
                   seed: Optional[int], years: Optional[float], scale: Optional[float], warmup_years: Optional[float],
                   out_dir: Optional[Path], compare: Optional[Path], oneway: Optional[bool], engine: Optional[str] = None):
    from .sweep import SweepRequest, is_sweep_file, parse_vary, read_sweep_file

    problems: list[Problem] = []
    if not target.is_file():
        _fail([Problem(display_path(target), "file not found",
                       allowed="a scenario file to sweep, or a sweep file (YAML with 'vary')")])
    if target.suffix.lower() in (".yaml", ".yml") and is_sweep_file(target):
        req, problems = read_sweep_file(target)
    else:
        req = SweepRequest(scenario=target)
    for text in vary:
        path, low, high, steps = parse_vary(text)
        if low == "" and high == "":
            problems.append(Problem("command line", "a --vary is PATH=LOW:HIGH[:STEPS] or PATH", field="--vary", value=text,
                                    allowed="e.g. services.day_centre.places=200:350:4, or a path alone for its declared range"))
            continue
        if any(v[0] == path and v[4] == "command line" for v in req.vary):
            problems.append(Problem("command line", "the same parameter is varied twice", field="--vary", value=text,
                                    allowed="each parameter once"))
            continue
        req.vary = [v for v in req.vary if v[0] != path]   # the command line overrides a sweep file's range
        req.vary.append((path, low, high, steps, "command line", None, "--vary"))
    for name, value in (("design", design), ("samples", samples), ("reps", reps), ("seed", seed), ("years", years),
                        ("scale", scale), ("warmup_years", warmup_years), ("out", out_dir), ("compare", compare), ("oneway", oneway),
                        ("engine", engine)):
        if value is not None:
            setattr(req, name, value)
            req.lines.pop(name, None)      # the command line's value: a problem with it is the flag's
    if req.out is None:
        req.out = Path("results") / "sweep"
    return req, problems


@app.command()
def sweep(target: Path = typer.Argument(..., help="A scenario file to sweep, or a sweep file (YAML with 'vary').", show_default=False),
          vary: List[str] = typer.Option([], "--vary", help="PATH=LOW:HIGH[:STEPS], or PATH for its declared low/high. Repeat for each parameter.", show_default=False),
          design: Optional[str] = typer.Option(None, "--design", help="grid | lhs | sobol | morris (default lhs).", show_default=False),
          samples: Optional[int] = typer.Option(None, "--samples", help="lhs: points; sobol: base samples N (N x (parameters + 2) points); morris: trajectories.", show_default=False),
          reps: Optional[int] = typer.Option(None, "--reps", help="Replications at each point (default 2; 1 with --engine twin, which is deterministic).", show_default=False),
          seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the design and of every replication (default 1).", show_default=False),
          years: Optional[float] = YEARS, scale: Optional[float] = SCALE, warmup_years: Optional[float] = WARMUP,
          out_dir: Optional[Path] = typer.Option(None, "--out", help="Sweep folder (default results/sweep).", show_default=False),
          compare: Optional[Path] = typer.Option(None, "--compare", help="Comparator scenario: each point also runs it with the same values and randomness, storing delta.METRIC.", show_default=False),
          workers: Optional[int] = typer.Option(None, "--workers", help="Local processes (default one per CPU).", show_default=False),
          scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT of 'dask scheduler'.", show_default=False),
          resume: bool = typer.Option(False, "--resume", help="Finish a sweep that was stopped (same command)."),
          oneway: Optional[bool] = typer.Option(None, "--oneway/--no-oneway", help="Also run each parameter at its low and high with the rest at base (the tornado).", show_default=False),
          engine: Optional[str] = typer.Option(None, "--engine", help="simulation (the default: replications of the SimPy model) or twin (the mean-field twin: deterministic, whole county, thousands of points in minutes).", show_default=False),
          flush_seconds: float = typer.Option(2.0, "--flush-seconds", help="Write finished rows at least this often."),
          connect_timeout: float = typer.Option(5.0, "--connect-timeout", help="Seconds to wait for the Dask scheduler.")) -> None:
    """Sweep parameters over ranges (grid, Latin hypercube, Sobol or Morris), resumably, locally or on Dask."""
    from .sweep import build_sweep, check_out_dir, describe, design_hash, make_design, sweep_model

    req, problems = _sweep_request(target, vary, design, samples, reps, seed, years, scale, warmup_years, out_dir, compare, oneway,
                                   engine)
    problems += run_option_problems(workers=workers)
    if workers is not None and scheduler is not None:
        problems.append(Problem("command line", "give --workers or --scheduler, not both", field="--scheduler", value=scheduler,
                                allowed="--workers N for local processes, or --scheduler tcp://HOST:PORT for a Dask cluster"))
    if scheduler is not None:
        problems += _check_scheduler(scheduler)
    if not 0.01 <= flush_seconds <= 3600:
        problems.append(Problem("command line", "--flush-seconds out of range", field="--flush-seconds", value=flush_seconds, allowed="0.01 to 3600"))
    if not 0.1 <= connect_timeout <= 600:
        problems.append(Problem("command line", "--connect-timeout out of range", field="--connect-timeout", value=connect_timeout, allowed="0.1 to 600 seconds"))
    if req.scenario is not None:  # report the sweep file's problems with the scenario's and the ranges'
        spec, scenarios, more = build_sweep(req)
        problems += [p for p in more if str(p) not in {str(q) for q in problems}]
        if spec is not None and not more and spec.engine != "twin":   # the twin's size does not grow with people
            problems += _sweep_size_problems(spec, scenarios)
    if problems:
        _fail(problems)
    design_frame = make_design(spec)
    digest = design_hash(spec, design_frame)
    problems = check_out_dir(req.out, digest, spec, resume)
    if problems:
        _fail(problems)
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        err.print(f"Note: Sobol sequences balance best when --samples is a power of 2 (e.g. {1 << (spec.samples.bit_length() - 1)} or {1 << spec.samples.bit_length()}).")
    client = _connect(scheduler, connect_timeout) if scheduler else None
    store = _new_sweep(req.out, spec, "sweep " + " ".join(sys.argv[2:]), design_frame, digest)
    _say(f"Sweep: {describe(spec, design_frame)}")
    stats = _execute(store, sweep_model(spec, scenarios), spec, digest, req.out, workers, client, flush_seconds,
                     f"{len(design_frame)} points x {spec.reps} reps" + (" (twin)" if spec.engine == "twin" else ""))
    manifest = store.manifest()
    skipped = f" ({stats.tasks_skipped} were already done)" if stats.tasks_skipped else ""
    _say(f"{manifest['rows_done']} of {manifest['tasks']} rows in {display_path(req.out)}{skipped}; this run: "
         f"{stats.tasks_run} rows in {stats.wall_seconds:.1f} s on {stats.executor} "
         f"({stats.replications_per_minute:,.0f} {'twin runs' if spec.engine == 'twin' else 'replications'} a minute).")
    _say(f"Next: mhsim sensitivity {display_path(req.out)}")


def _save_figures(figures: dict, folder: Path, png: bool) -> list[str]:
    """Each figure as a self-contained HTML file (plotly.js embedded) and, if asked, a PNG."""
    written = []
    for name, fig in figures.items():
        html_path = folder / f"{name}.html"
        tmp = folder / f".{name}.html.tmp"
        tmp.write_text(fig.to_html(full_html=True, include_plotlyjs=True, config={"displaylogo": False}))
        os.replace(tmp, html_path)
        written.append(html_path.name)
        if png:
            from dashboard.report import figure_png

            tmp = folder / f".{name}.png.tmp"
            tmp.write_bytes(figure_png(fig))
            os.replace(tmp, folder / f"{name}.png")
            written.append(f"{name}.png")
    return written


def _write_csv(frame, path: Path) -> None:
    tmp = path.parent / f".{path.name}.tmp"
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _slug(metric: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in metric).strip("_")


def _psa_ensemble(ensemble: Optional[Path], no_ensemble: bool) -> tuple[Optional[Path], list[Problem]]:
    """The calibration ensemble a PSA samples: --ensemble FILE, else the shipped one if it exists; none with --no-ensemble."""
    from .calibration import ENSEMBLE_FILE

    if ensemble is not None and no_ensemble:
        return None, [Problem("command line", "give --ensemble FILE or --no-ensemble, not both", field="--ensemble",
                              value=str(ensemble))]
    if no_ensemble:
        return None, []
    if ensemble is not None:
        return ensemble, []
    return (ENSEMBLE_FILE if ENSEMBLE_FILE.is_file() else None), []


@app.command()
def psa(files: List[Path] = typer.Argument(..., help="Scenario files; the first is the reference for differences.", show_default=False),
        samples: int = typer.Option(200, "--samples", help="Samples of the uncertain parameters."),
        reps: int = typer.Option(1, "--reps", help="Replications of each sample (the same random numbers for every sample and scenario); each sample's outputs are their mean."),
        seed: int = SEED, years: Optional[float] = YEARS, scale: Optional[float] = SCALE, warmup_years: Optional[float] = WARMUP,
        out_dir: Path = typer.Option(Path("results") / "psa", "--out", help="Folder for the PSA (a sweep folder plus its tables and figures)."),
        engine: str = typer.Option("simulation", "--engine", help="simulation (replications of the SimPy model) or twin (the mean-field twin: deterministic, whole county, thousands of samples in minutes)."),
        ensemble: Optional[Path] = typer.Option(None, "--ensemble", help="Calibration ensemble (written by 'mhsim calibrate') whose members give the fitted parameters together (default: the shipped scenarios/calibration/ensemble.csv if it exists).", show_default=False),
        no_ensemble: bool = typer.Option(False, "--no-ensemble", help="Sample every declared range independently, the fitted rates too."),
        workers: Optional[int] = typer.Option(None, "--workers", help="Local processes (default one per CPU).", show_default=False),
        scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT.", show_default=False),
        resume: bool = typer.Option(False, "--resume", help="Finish a PSA that was stopped (same command)."),
        perspective: str = typer.Option("health_and_care", "--perspective", help="health_and_care (NHS and council costs, the NICE reference case) or all (with wider society)."),
        png: bool = typer.Option(True, "--png/--no-png", help="Also save the figures as PNG (needs chromium)."),
        flush_seconds: float = typer.Option(2.0, "--flush-seconds", help="Write finished rows at least this often."),
        connect_timeout: float = typer.Option(5.0, "--connect-timeout", help="Seconds to wait for the Dask scheduler.")) -> None:
    """Probabilistic sensitivity analysis: sample the ensemble and every declared range, run each scenario; CE plane,
    CEAC, probabilities, EVPI and EVPPI, and where the preferred decision switches."""
    from .sensitivity import build_psa
    from .sweep import check_out_dir, describe, design_hash, make_design, sweep_model

    problems = []
    if len(files) < 2:
        problems.append(Problem("command line", "a PSA compares at least two scenarios", field="FILES", value=len(files),
                                allowed="e.g. scenarios/baseline.yaml scenarios/close_day_centre.yaml"))
    if perspective not in ("health_and_care", "all"):
        problems.append(Problem("command line", "unknown perspective", field="--perspective", value=perspective, allowed="health_and_care, all"))
    problems += run_option_problems(workers=workers)
    if workers is not None and scheduler is not None:
        problems.append(Problem("command line", "give --workers or --scheduler, not both", field="--scheduler", value=scheduler))
    if scheduler is not None:
        problems += _check_scheduler(scheduler)
    members, more = _psa_ensemble(ensemble, no_ensemble)
    problems += more
    spec, scenarios, more = build_psa(files, samples, reps, seed, years, scale, warmup_years, engine, members)
    problems += more
    if spec is not None and not more and spec.engine != "twin":   # the twin's size does not grow with people
        problems += _sweep_size_problems(spec, scenarios)
    if problems:
        _fail(problems)
    assert spec is not None  # build_psa gives a spec or problems
    design_frame = make_design(spec)
    digest = design_hash(spec, design_frame)
    problems = check_out_dir(out_dir, digest, spec, resume)
    if problems:
        _fail(problems)
    client = _connect(scheduler, connect_timeout) if scheduler else None
    store = _new_sweep(out_dir, spec, "psa " + " ".join(sys.argv[2:]), design_frame, digest)
    sampled = (f"the fitted rates from {len(spec.ensemble)} ensemble members ({spec.ensemble_file}), the rest"
               if spec.ensemble_paths else "all")
    _say(f"PSA: {len(spec.factors)} uncertain parameters ({sampled} sampled from their declared ranges); "
         f"{describe(spec, design_frame)}")
    _execute(store, sweep_model(spec, scenarios), spec, digest, out_dir, workers, client, flush_seconds,
             f"{spec.samples} samples x {spec.reps} reps" + (" (twin)" if spec.engine == "twin" else ""))
    _psa_report(out_dir, perspective, png)


def _psa_report(out_dir: Path, perspective: str, png: bool) -> None:
    """The PSA's tables, figures and printed summary from its finished sweep folder."""
    from .sensitivity import load_sweep, psa_results, psa_value

    data = load_sweep(out_dir)
    result = psa_results(data, perspective)
    with err.status("Value of information (EVPI, EVPPI by regression) and thresholds..."):
        value = psa_value(data, result)
    written = {"psa-plane.csv": result.plane, "psa-ceac.csv": result.ceac, "psa-best.csv": result.best,
               "psa-noise.csv": result.noise, "psa-evppi.csv": value.evppi, "psa-thresholds.csv": value.thresholds}
    for name, frame in written.items():
        if frame is not None:
            _write_csv(frame, out_dir / name)
    from dashboard.sweep_figures import ceac_figure, evppi_figure, psa_plane_figure

    saved = _save_figures({"psa-plane": psa_plane_figure(result.plane, result.reference, perspective),
                           "psa-ceac": ceac_figure(result.ceac), "psa-evppi": evppi_figure(value.evppi)}, out_dir, png)
    out.print(tables.psa_best_table(result, data.spec.samples, perspective))
    out.print(tables.psa_probability_table(result, data.spec.samples))
    for line in tables.psa_noise_lines(result):
        _say(line)
    out.print(tables.psa_evppi_table(value.evppi, value.thresholds))
    _say(f"Wrote {', '.join(n for n, f in written.items() if f is not None)}, {', '.join(saved)} to {display_path(out_dir)}.")


def _write_sensitivity(result, target: Path, png: bool) -> list[str]:
    """The indices as CSV and each metric's figure as HTML (and PNG): the names of the files written."""
    from dashboard.sweep_figures import morris_figure, sobol_figure, tornado_figure

    target.mkdir(parents=True, exist_ok=True)
    written = []
    figures = {}
    for name, frame, make in (("sobol", result.sobol, sobol_figure), ("morris", result.morris, morris_figure),
                              ("tornado", result.tornado, tornado_figure)):
        if not frame.empty:
            _write_csv(frame, target / f"{name}.csv")
            written.append(f"{name}.csv")
            for m in frame["metric"].unique():
                figures[f"{name}-{_slug(m)}"] = make(frame[frame["metric"] == m], m)
    return written + _save_figures(figures, target, png)


def _show(shown) -> None:
    """Print what a report gives: tables on standard output, lines where they belong (notes on stderr)."""
    for item, to_err in shown:
        if isinstance(item, str):
            _say(item, err if to_err else out)
        else:
            (err if to_err else out).print(item)


@app.command()
def sensitivity(dirs: List[Path] = typer.Argument(..., help="Sweep folders written by 'mhsim sweep'.", show_default=False),
                metric: List[str] = typer.Option([], "--metric", help="Metrics to analyse (default delta.cost_nhs_and_council, delta.crisis_episodes, delta.qalys when the sweep has a comparator; any column, e.g. delta.net_benefit_20000).", show_default=False),
                out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for the tables and figures (default DIR/sensitivity).", show_default=False),
                png: bool = typer.Option(True, "--png/--no-png", help="Also save the figures as PNG (needs chromium)."),
                base_samples: Optional[int] = typer.Option(None, "--base-samples", help="Sobol: read only the first N base samples (a complete design of its own), e.g. of a sweep still running, or to check convergence.", show_default=False)) -> None:
    """Sobol indices, Morris screening and a one-way tornado from sweeps, as CSV and figures (HTML, PNG)."""
    from .sensitivity import analyse, decision_metrics, load_sweep, sweep_problems

    problems = [p for d in dirs for p in sweep_problems(d, base_samples)]
    if problems:
        _fail(problems)
    datas = [load_sweep(d, base_samples) for d in dirs]
    for d in datas:
        known = d.metrics()
        for m in metric:
            if m.startswith("param."):
                problems.append(Problem(display_path(d.root), "param.* columns are the sweep's inputs, not its outcomes",
                                        field="--metric", value=m,
                                        allowed=", ".join(decision_metrics(d)) + ", ... (any outcome column of its rows)"))
            elif m not in known:
                problems.append(Problem(display_path(d.root), f"no such metric in this sweep{did_you_mean(m, known)}", field="--metric", value=m,
                                        allowed=", ".join(decision_metrics(d)) + ", ... (any column of its rows)"))
    target = out_dir or (dirs[0] / "sensitivity")
    problems += _check_out_dir(target)
    if problems:
        _fail(problems)
    result = analyse(datas, metric or None, decision=True)
    if result.sobol.empty and result.morris.empty and result.tornado.empty:
        _fail([Problem(", ".join(display_path(d) for d in dirs), "has nothing to analyse: no Sobol or Morris design and no one-way points",
                       field="DIR", allowed="a sweep run with --design sobol or morris, or with one-way points (the default)")])
    written = _write_sensitivity(result, target, png)
    for note in result.notes:
        _say(f"Note: {note}", err)
    for frame, report in ((result.sobol, tables.sobol_report), (result.morris, tables.morris_report)):
        if not frame.empty:
            _show(report(frame))
    if not result.tornado.empty:
        for table in tables.tornado_tables(result.tornado):
            out.print(table)
    _say(f"Wrote {', '.join(written)} to {display_path(target)}.")


def main() -> None:
    """Entry point: run the app, turning stray input errors into clean messages."""
    try:
        app()
    except InputError as exc:  # pragma: no cover - every command catches its own
        try:
            _fail(exc.problems)
        except typer.Exit as done:  # outside the app nothing turns Exit into an exit code
            sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
