"""The tables the ``mhsim`` command prints: results, comparisons, checks and sensitivity indices.

Each function takes what a library call returned and gives back a Rich table
(or lines of text): the commands in ``cli.py`` only parse options, call the
library and print what these return. Names and paths from files are escaped
(no markup, no terminal control characters).
"""

from __future__ import annotations

import math
from pathlib import PurePath
from typing import Any, Iterator, NamedTuple, Sequence

from rich.markup import escape as _escape
from rich.table import Table

from .errors import printable
from .formatting import money, number, range_end
from .outcomes import HEADLINE, METRICS
from .formatting import years as years_text


def escape(text: str) -> str:
    """User text (names, paths) for a Rich string: no markup, no terminal control characters."""
    return _escape(printable(text))


def label(metric: str) -> str:
    """A metric's label as people read it (its name if it is not declared)."""
    m = METRICS.get(metric)
    return m.label if m else metric


def fmt(metric: str, value: float, signed: bool = False) -> str:
    """A metric's value in its unit."""
    return number(value, METRICS[metric].unit if metric in METRICS else "", signed)


def _table(title: str, columns: tuple[str, ...], right: tuple[str, ...] = (), left_title: bool = True) -> Table:
    table = Table(title=title, title_justify="left") if left_title else Table(title=title)
    for col in columns:
        table.add_column(col, justify="right" if col in right else "left")
    return table


# ---------------------------------------------------------------------------
# run, compare, preview


def results_table(exp: Any) -> Table:
    """Each scenario's headline outcomes: mean and 95% interval."""
    from .experiment import t_interval

    title = (f"Results over {years_text(exp.plan.years_for(exp.scenarios[0]))}, mean and 95% interval "
             f"({exp.plan.replications} replications)")
    table = _table(title, ("Outcome", *(escape(lb) for lb in exp.labels)), right=tuple(escape(lb) for lb in exp.labels),
                   left_title=False)
    for metric in HEADLINE:
        row = [label(metric)]
        for lb in exp.labels:
            iv = t_interval(exp.metric_values(lb, metric))
            row.append(f"{fmt(metric, iv.mean)}\n({fmt(metric, iv.low)} to {fmt(metric, iv.high)})")
        table.add_row(*row)
    return table


def comparison_table(exp: Any, alternative: str, baseline: str) -> Table:
    """An alternative's headline outcomes against the baseline: paired change, interval and verdict."""
    from .experiment import metric_direction, paired_difference, t_interval, verdict

    yrs = exp.plan.years_for(exp.scenarios[0])
    table = _table(escape(f"{alternative} compared with {baseline}: {years_text(yrs)}, {exp.plan.replications} replications, "
                          "95% intervals"),
                   ("Outcome", "Baseline", "Change", "95% interval of the change", "Verdict"),
                   right=("Baseline", "Change", "95% interval of the change"))
    for metric in HEADLINE:
        b = exp.metric_values(baseline, metric)
        diff = paired_difference(exp.metric_values(alternative, metric), b)
        v = verdict(diff, metric_direction(metric))
        colour = {"better": "green", "worse": "red"}.get(v, "")
        table.add_row(label(metric), fmt(metric, t_interval(b).mean), fmt(metric, diff.mean, signed=True),
                      f"{fmt(metric, diff.low, signed=True)} to {fmt(metric, diff.high, signed=True)}",
                      f"[{colour}]{v}[/]" if colour else v)
    return table


def assumption_lines(exp: Any, alternative: str) -> list[str]:
    """Under a comparison table: each verdict that depends on a declared assumption, naming it (from a PSA)."""
    notes = exp.extra.get("assumptions")
    if notes is None:
        return []
    mine = [(m, n) for m in HEADLINE for (s, m2), n in notes.items() if s == alternative and m2 == m]
    if not mine:
        return [f"No verdict on net benefit depends on a parameter switching within its declared range "
                f"(the PSA in {exp.extra.get('assumptions_from', '')})."]
    return [f"Depends on a declared assumption: {label(m)}: {n}." for m, n in mine]


def precision_lines(exp: Any) -> list[str]:
    """What --precision reached, one line per target."""
    lines = []
    for o in exp.extra.get("precision") or []:
        state = (f"reached with {o['replications']} replications" if o["reached"]
                 else f"NOT reached: stopped at --max-reps {o['max_reps']}")
        lines.append(f"Precision {o['metric']} ({o['scenario']}): +/-{fmt(o['metric'], o['half_width'])} against a "
                     f"target of +/-{fmt(o['metric'], o['target_half_width'])}, {state}.")
    return lines


def preview_table(exp: Any) -> Table:
    """The twin's headline outcomes (one deterministic answer per scenario)."""
    first, others = exp.labels[0], exp.labels[1:]
    title = (f"Mean-field preview over {years_text(exp.plan.years_for(exp.scenarios[0]))} "
             "(deterministic; 'mhsim compare' adds chance and queues)")
    if others:
        title += escape(f"; each change is the paired difference from {first}")
    columns = (first, *(f"{lb}: change" for lb in others))
    table = _table(title, ("Outcome", *(escape(c) for c in columns)), right=tuple(escape(c) for c in columns),
                   left_title=False)
    for metric in HEADLINE:
        base = exp.results[first][0].metrics[metric]
        table.add_row(label(metric), fmt(metric, base),
                      *[fmt(metric, exp.results[lb][0].metrics[metric] - base, signed=True) for lb in others])
    return table


# ---------------------------------------------------------------------------
# verify, replications


def calibration_table(cal: list, reps: int, years: float, scale: float, quick: bool) -> Table:
    """The baseline against published figures, with each target's verdict."""
    from .verification import KINDS

    judged = "" if not quick else escape(" [quick run: shown, not judged]")
    table = _table(f"Calibration: the baseline against published figures ({reps} replications, {years_text(years)}, "
                   f"scale {scale:g}; mean and 95% interval; a pass needs the whole interval inside the band){judged}",
                   ("Target", "Kind", "Model", "Expected", "Result", "Source"))
    for line in cal:
        verdict = line.detail["verdict"] if line.detail else ("pass" if line.passed else "miss")
        explanation = (line.detail or {}).get("explanation", "")
        result = ("[green]pass[/]" if line.passed
                  else f"[red]{escape(verdict)}[/]" + (f" ({escape(explanation)})" if explanation else ""))
        if quick:   # a handful of short runs: the figure is shown, the verdict would mean nothing
            result = f"[dim]not judged ({'pass' if line.passed else escape(verdict)})[/]"
        table.add_row(escape(line.check), KINDS.get(line.kind, line.kind), line.figure, escape(line.expected), result,
                      line.source)
    return table


def verification_table(ver: list) -> Table:
    """The model against theory and against itself."""
    table = _table("Verification: the model against theory and against itself", ("Check", "Figure", "Expected", "Result"))
    for line in ver:
        result = "[green]pass[/]" if line.passed else ("[blue]measured[/]" if line.passed is None else "[red]FAIL[/]")
        table.add_row(escape(line.check), line.figure, escape(line.expected), result)
    return table


def verify_summary(cal: list, ver: list, unexplained: list) -> str:
    """How many checks and targets pass."""
    from .verification import KINDS

    checks = [line for line in ver if line.passed is not None]
    failed = [line for line in checks if not line.passed]
    missed = [line for line in cal if not line.passed]
    by_kind = {k: sum(1 for line in cal if line.kind == k and line.passed) for k in KINDS}
    return (f"{len(checks) - len(failed)} of {len(checks)} verification checks pass; {len(cal) - len(missed)} of "
            f"{len(cal)} calibration targets pass ({by_kind['independent']} independent, {by_kind['fitted']} fitted, "
            f"{by_kind['input']} read back from inputs); {len(unexplained)} "
            f"miss{'es' if len(unexplained) != 1 else ''} without a stated reason.")


def agreement_table(rows: Sequence[Any], lines: Sequence[Any], plan: Any) -> Table:
    """The twin's paired difference from the baseline beside the simulation's, per decision and metric."""
    from .verification import AGREEMENT_TOLERANCE

    table = _table(f"The twin against the simulation: paired differences from the baseline ({plan.replications} "
                   f"replications, {years_text(plan.years)}, scale {plan.scale:g}; a pass: the same sign where the "
                   f"simulation's 95% interval excludes zero, and inside that interval or within "
                   f"{AGREEMENT_TOLERANCE * 100:g}%)",
                   ("Decision", "Outcome", "Twin", "Simulation (95% interval)", "Gap", "Result"), right=("Twin", "Gap"))
    for row, line in zip(rows, lines):
        result = ("[green]pass[/]" if line.passed
                  else ("[red]DISAGREE[/]" if line.passed is False
                        else ("[yellow]not judged[/]" if _not_judged(line) else "[blue]measured gap[/]")))
        gap = "-" if math.isinf(row.gap) else f"{row.gap * 100:.1f}%"
        low, high = row.bounds     # the interval judged by: +-3/n simulated events where no replication moved a count
        three = " [rule of three]" if (low, high) != (row.low, row.high) else ""
        table.add_row(escape(row.scenario), label(row.metric), fmt(row.metric, row.twin, signed=True),
                      f"{fmt(row.metric, row.simulation, signed=True)} ({fmt(row.metric, low, signed=True)} to "
                      f"{fmt(row.metric, high, signed=True)}){escape(three)}", gap, result)
    return table


def _not_judged(line: Any) -> bool:
    """A line the simulation gave no interval to judge by (not a measured gap, which has one)."""
    return line.passed is None and line.expected.startswith("not judged")


def agreement_summary(lines: Sequence[Any], rows: Sequence[Any] = (), verdict: Any = None) -> str:
    """How many decision-metric pairs agree, are measured gaps, are not judged (the simulation gave no interval),
    or disagree; with ``rows``, how many a twin equal to the simulation's expectations would fail by chance."""
    failed = [line for line in lines if line.passed is False]
    unjudged = [line for line in lines if _not_judged(line)]
    gaps = [line for line in lines if line.passed is None and line not in unjudged]
    text = (f"{len(lines) - len(failed) - len(gaps) - len(unjudged)} of {len(lines)} agree; {len(gaps)} measured "
            f"gap{'s' if len(gaps) != 1 else ''} explained by queues; {len(failed)} disagree.")
    if unjudged:
        text += (f" {len(unjudged)} not judged: the simulation gave no interval (one replication, or the same "
                 f"difference in every one); more replications or a larger --scale.")
    if rows:
        expected = sum(r.chance_of_failing for r in rows)
        worst = sorted((r for r, line in zip(rows, lines) if line.passed is False and r.z == r.z), key=lambda r: -r.z)
        text += (f" A twin whose differences were the simulation's expectations would disagree on about {expected:.1f} "
                 f"of these {len(rows)} lines by the simulation's chance alone (the lines whose 95% interval is wider "
                 f"than 10% of their mean).")
        if worst:
            text += " Farthest: " + "; ".join(f"{r.scenario}, {r.metric.replace('_', ' ')} ({r.z:.1f} standard errors)"
                                              for r in worst[:3]) + "."
        text += " " + family_text(rows, verdict)
    return text


def family_text(rows: Sequence[Any], verdict: Any = None) -> str:
    """The table judged as a whole (``verification.family``, or ``verdict`` when the caller has it): the count of
    misses against chance, and the farthest miss against a family-wise bound."""
    from .verification import FAMILY_LEVEL, family

    f = verdict if verdict is not None else family(rows)
    verdict = "agrees" if f.passed else "disagrees"
    text = (f"As a whole the table {verdict} (family-wise, at {FAMILY_LEVEL:.0%}): chance alone gives {f.misses} or more "
            f"misses of {f.lines} judged lines {f.chance_of_as_many:.0%} of the time")
    if f.farthest:
        text += (f", and {f.farthest} as far off or farther, in any of them, "
                 f"{f.farthest_adjusted:.0%} of the time (Holm)")
    return text + "."


def sizing_table(title: str, rows: list, found: int | None, metric: str, signed: bool = False) -> Table:
    """Replications against the half-width of the 95% interval ('<' marks the first that is enough)."""
    table = _table(title, ("Replications", "Mean difference" if signed else "Mean", "Half-width", "Relative"),
                   right=("Replications", "Mean difference", "Mean", "Half-width", "Relative"))
    for row in rows:
        mark = " <" if found == row.n else ""
        if signed:
            mean, half = fmt(metric, row.mean, signed=True), fmt(metric, row.half_width)
        else:
            mean = fmt(metric, row.mean) if metric in METRICS else f"{row.mean:,.0f}"
            half = f"{row.half_width:,.1f}"
        table.add_row(str(row.n), mean, half, f"{row.relative:.2%}{mark}")
    return table


WARMUP_SERIES = ("people_in_contact", "acute", "residential", "crisis_episodes")


def warmup_table(reps: Sequence[Any]) -> Table:
    """MSER-5 truncation points of monthly series (replication means)."""
    from .verification import mser5, running_mean

    columns = ("Series", "MSER-5 truncation", "Running mean after 1 year", "after the whole run")
    table = _table("Warm-up check: MSER-5 truncation point of monthly series (replication means)", columns, right=columns)
    for series_name in WARMUP_SERIES:
        n = len(reps[0].monthly[series_name])
        mean_series = [sum(r.monthly[series_name][m] for r in reps) / len(reps) for m in range(n)]
        rm = running_mean(mean_series)
        table.add_row(series_name, f"{mser5(mean_series)} months", f"{rm[min(11, n - 1)]:,.1f}", f"{rm[-1]:,.1f}")
    return table


# ---------------------------------------------------------------------------
# psa, sensitivity


def psa_best_table(result: Any, samples: int, perspective: str) -> Table:
    """The probability each scenario is best at each threshold."""
    from .sensitivity import THRESHOLDS

    who = "NHS and council costs" if perspective == "health_and_care" else "all costs"
    columns = ("Scenario", "Change in cost", "Change in QALYs", *(f"Best at £{lam:,}/QALY" for lam in THRESHOLDS))
    table = _table(f"Probability each scenario is best ({samples} samples, {who}, against {escape(result.reference)})",
                   columns, right=columns[1:])
    for row in result.best.itertuples():
        table.add_row(escape(row.scenario), fmt("total_cost", row.mean_delta_cost, signed=True),
                      f"{row.mean_delta_qalys:+,.1f}",
                      *[f"{getattr(row, f'probability_best_{lam}'):.0%}" for lam in THRESHOLDS])
    return table


def psa_probability_table(result: Any, samples: int) -> Table:
    """Each decision against the reference: the probability it saves each payer money and is cost-effective."""
    from .sensitivity import THRESHOLDS

    columns = ("Decision", "Saves the NHS money", "Saves the council money", "Saves health and care money",
               *(f"Cost-effective at £{lam:,}/QALY" for lam in THRESHOLDS))
    table = _table(f"Probability, against {escape(result.reference)} ({samples} samples; cost-effective: a positive net "
                   "monetary benefit with NHS and council costs)", columns, right=columns[1:])
    for row in result.best.iloc[1:].itertuples():
        table.add_row(escape(row.scenario), *(f"{getattr(row, c):.0%}" for c in (
            "probability_saves_nhs", "probability_saves_council", "probability_saves_health_and_care",
            *(f"probability_cost_effective_{lam}" for lam in THRESHOLDS))))
    return table


def psa_noise_lines(result: Any) -> list[str]:
    """How much Monte Carlo noise is in the PSA's plane."""
    if result.engine == "twin":
        return ["Monte Carlo noise: none (the twin is deterministic)."]
    if result.noise is None or result.noise.empty:
        return []
    if result.reps < 2:
        return ["Monte Carlo noise: not measured (one replication per sample): the plane's spread includes chance; "
                "use --reps 2 or more (or --engine twin) to measure and reduce it."]
    lines = []
    for r in result.noise[result.noise["quantity"].str.startswith("incremental_net_benefit")].itertuples():
        lam = int(r.quantity.rsplit("_", 1)[1])
        lines.append(f"Monte Carlo noise in {r.scenario}'s net benefit at £{lam:,}/QALY: {r.noise_share:.0%} of one run's "
                     f"variance; {r.noise_share_of_means:.0%} of the spread of the sample means ({r.replications} replications each).")
    return lines


def psa_evppi_table(evppi: Any, thresholds: Any, top: int = 5) -> Table:
    """EVPI, the groups' EVPPI and the top parameters by EVPPI, with where the preferred decision switches."""
    table = _table(f"Value of information (the modelled population over the run; top {top} parameters by EVPPI at each "
                   "threshold, and where the preferred decision switches within the declared range)",
                   ("Threshold", "Parameter or group", "EVPPI", "Share of EVPI", "Preferred decision switches"),
                   right=("EVPPI", "Share of EVPI"))
    for lam, t in evppi.groupby("threshold", sort=True):
        total = t[t["kind"] == "all"]
        if float(total["evpi"].iloc[0]) <= 0:   # the same decision in every sample: nothing to learn
            table.add_row(f"£{int(lam):,}", "EVPI (every parameter)", "£0", "",
                          "no: the same decision is preferred in every sample")
            continue
        positive = t[t["evppi"] > 0]
        shown = pd_concat([total, positive[positive["kind"] == "group"], positive[positive["kind"] == "parameter"].head(top)])
        for r in shown.itertuples():
            name = {"all": "EVPI (every parameter)", "group": f"group: {r.label}"}.get(r.kind, r.label)
            table.add_row(f"£{int(lam):,}", escape(name), fmt("total_cost", r.evppi), f"{r.share_of_evpi:.0%}",
                          _switch_text(thresholds, r.parameter_or_group, int(lam)) if r.kind == "parameter" else "")
    return table


def pd_concat(frames: list) -> Any:
    import pandas as pd

    return pd.concat(frames)


def _switch_text(thresholds: Any, path: str, lam: int) -> str:
    rows = thresholds[(thresholds["parameter"] == path) & (thresholds["threshold_wtp"] == lam)]
    texts = []
    for r in rows.itertuples():
        if r.switch_value == r.switch_value and r.switch_value is not None:
            texts.append(f"at {r.switch_value:,.4g} ({escape(r.preferred_below)} below, {escape(r.preferred_above)} above; "
                         f"range {r.low:,.4g} to {r.high:,.4g})")
        else:
            texts.append(f"no: {escape(r.preferred_below)} across {r.low:,.4g} to {r.high:,.4g}")
    return "; ".join(texts)


def _words(metric: str) -> str:
    return _metric_words(metric)[0]


def _metric_words(metric: str) -> tuple[str, str]:
    from dashboard.sweep_figures import metric_words

    return metric_words(metric)


def _formatter(metric: str, values: Sequence[float]) -> Any:
    """How one table shows a metric's values: in its unit, and money in whole pounds when every value is under
    £100,000 (in millions a council's -£2,607 and +£377 both read '£0m')."""
    unit = _metric_words(metric)[1]
    finite = [abs(float(v)) for v in values if v == v]
    if unit == "£" and finite and max(finite) < 1e5:
        return lambda v, signed=False: money(v, signed)
    return lambda v, signed=False: number(v, unit, signed)


def _by_sweep(frame: Any) -> Iterator[tuple[str, str, Any]]:
    """A report's rows per metric: (title, metric, rows), and per sweep when several sweeps are read at once
    (the title then starts with the sweep's folder: their rows would otherwise share one table)."""
    several = "sweep" in frame and frame["sweep"].nunique() > 1
    for _, t in frame.groupby(["sweep", "metric"] if several else "metric", sort=False):
        m = str(t["metric"].iloc[0])
        yield (f"{PurePath(str(t['sweep'].iloc[0])).name}: " if several else "") + _words(m), m, t


class Shown(NamedTuple):
    """Something the sensitivity command prints: a table or a line, on standard output or, for notes, on stderr."""

    item: Table | str
    stderr: bool = False


NOISE_NOTE = 0.03
"""Replication noise (as a share of the spread between points) above which a note says how large it is
(indices are withheld above :data:`simulation.sensitivity.NOISE_LIMIT`)."""


def _withheld(t: Any) -> str:
    """Why a metric's indices were withheld ('' when they were not)."""
    if "withheld" not in t:
        return ""
    reason = t["withheld"].iloc[0]
    return str(reason) if isinstance(reason, str) else ""


def sobol_report(sobol: Any) -> Iterator[Shown]:
    """Per metric: the parameters by total-order Sobol index, their convergence, any flags and the noise;
    or why the indices were withheld."""
    from .sensitivity import CONVERGED, NOISE_LIMIT

    for title, m, t in _by_sweep(sobol):
        reason = _withheld(t)
        if reason:
            yield Shown(f"{title}: Sobol indices withheld: {reason}.", stderr=True)
            continue
        n = int(t["N"].iloc[0])
        table = _table(f"{escape(title)}: parameters by total-order Sobol index (95% bootstrap intervals, N = {n:,})",
                       ("Parameter", "First order", "Total order"), right=("First order", "Total order"))
        for r in t.head(10).itertuples():
            table.add_row(escape(r.label), f"{r.S1:.2f} ({r.S1_low:.2f} to {r.S1_high:.2f})",
                          f"{r.ST:.2f} ({r.ST_low:.2f} to {r.ST_high:.2f})")
        yield Shown(table)
        change = float(t["ST_change_from_half_N"].max())
        if change == change:
            verdict = (f"converged (under {CONVERGED:g})" if change <= CONVERGED
                       else f"NOT converged (more than {CONVERGED:g}): more base samples are needed")
            yield Shown(f"Convergence: total indices moved at most {change:.3f} between N = {n // 2:,} and N = {n:,}: {verdict}.")
        seen: set[str] = set()
        for r in t.itertuples():      # a flag about the metric once; one about an index with its parameter
            for part in str(r.flag).split("; ") if isinstance(r.flag, str) and r.flag else []:
                about = "" if part.startswith("replication noise") else f", {r.label}"
                if (about + part) not in seen:
                    seen.add(about + part)
                    yield Shown(f"Flag ({m}{about}): {part}", stderr=True)
        noise = float(t["noise_ratio"].iloc[0])
        if noise == noise and noise > NOISE_NOTE:
            yield Shown(f"Note: in {m}, replication noise is {noise:.2f} of the spread between points (indices are "
                        f"withheld above {NOISE_LIMIT:g}).", stderr=True)


def morris_report(morris: Any) -> Iterator[Shown]:
    """Per metric: Morris screening, or why it was withheld."""
    for title, m, t in _by_sweep(morris):
        reason = _withheld(t)
        if reason:
            yield Shown(f"{title}: Morris indices withheld: {reason}.", stderr=True)
            continue
        table = _table(f"{escape(title)}: Morris screening (mu* = mean absolute change across a parameter's range)",
                       ("Parameter", "mu*", "sigma"), right=("mu*", "sigma"))
        show = _formatter(m, [*t["mu_star"], *t["sigma"]])
        for r in t.head(10).itertuples():
            table.add_row(escape(r.label), show(r.mu_star), show(r.sigma))
        yield Shown(table)


def tornado_tables(tornado: Any) -> Iterator[Table]:
    """Per metric: one parameter at a time, at the low and high ends of its range."""
    for title, m, t in _by_sweep(tornado):
        replicated = "replications" in t and int(t["replications"].max()) > 1
        shown = [c for c in t.columns if c.startswith("change_at_") and (replicated or not c.endswith(("_ci_low", "_ci_high")))]
        show = _formatter(m, t[shown].to_numpy().ravel())
        base = _formatter(m, t["base_mean"].iloc[:1])(t["base_mean"].iloc[0])
        columns = ("Parameter", "Range", "Change at low", "Change at high")
        note = "; paired changes with 95% intervals" if replicated else ""
        table = _table(escape(f"{title}: one parameter at a time (base case {base}{note})"),
                       columns, right=columns[1:])
        for r in t.head(10).itertuples():
            cells = []
            for end in ("low", "high"):
                text = show(getattr(r, f"change_at_{end}"), signed=True)
                if replicated:
                    text += (f" ({show(getattr(r, f'change_at_{end}_ci_low'), signed=True)} to "
                             f"{show(getattr(r, f'change_at_{end}_ci_high'), signed=True)})")
                cells.append(text)
            table.add_row(escape(r.label), f"{range_end(r.low, r.unit)} to {range_end(r.high, r.unit)}", *cells)
        yield table


__all__ = ["escape", "label", "fmt", "results_table", "comparison_table", "assumption_lines", "precision_lines", "preview_table",
           "calibration_table", "verification_table", "verify_summary", "agreement_table", "agreement_summary", "family_text",
           "sizing_table", "warmup_table", "psa_best_table", "psa_probability_table", "psa_noise_lines", "psa_evppi_table", "Shown", "sobol_report", "morris_report", "tornado_tables"]


def fit_table(point: Any, targets: Sequence[Any]) -> Table:
    """The closest parameter set of a calibration: each fitting target's band, the twin's figure and its distance."""
    table = _table("Fitting targets at the closest parameter set (distance: 0 at the centre of the band, 1 at its edge)",
                   ("Target", "Model (twin)", "Band", "Distance", "Source"), right=("Model (twin)", "Band", "Distance"))
    for t in targets:
        value = point.measures.get(t.measure, math.nan)
        d = t.distance(value)
        table.add_row(escape(t.name), f"{value:,.3g}", f"{t.low:,.3g} to {t.high:,.3g}",
                      f"{d:.2f}" if d <= 1 else f"[bold]{d:.2f}[/bold]", escape(t.source))
    return table
