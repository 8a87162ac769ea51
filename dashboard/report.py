"""What a strategy lead takes into a board meeting: a CSV, a brief, figures.

The HTML brief is one self-contained file: plotly.js is embedded once, so it
opens offline on a board member's laptop; it states the decision in words,
the key differences with their intervals, the assumptions behind them with
their sources, and the manifest of the run.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import threading
import warnings
import zipfile

import pandas as pd
import plotly.graph_objects as go

from simulation import MODEL_VERSION, model_fingerprint
from simulation.formatting import number, parameter_value
from simulation.scenario import shipped_catalogue

from .data import ScenarioResults, comparison_table
from .figures import (
    ce_plane_figure, cost_change_by_payer_figure, costs_by_payer_figure, subgroup_figure, timeseries_figure,
)

from simulation.outcomes import HEADLINE  # noqa: E402  (one list for the command line, the page and the brief)


def table_for_people(base: ScenarioResults, others: list[ScenarioResults], metrics=HEADLINE) -> pd.DataFrame:
    """The comparison as people read it: formatted numbers with units and verdicts."""
    t = comparison_table(base, others, metrics)
    rows = []
    for _, r in t.iterrows():
        unit = r["unit"]
        rows.append({
            "Outcome": r["label"] + (f" ({unit})" if unit and unit != "£" else ""),
            "Scenario": r["scenario"],
            "Mean": number(r["mean"], unit),
            "95% interval": f"{number(r['ci_low'], unit)} to {number(r['ci_high'], unit)}",
            "Change against baseline": "" if r["verdict"] == "baseline" else number(r["delta_mean"], unit, signed=True),
            "95% interval of the change": "" if r["verdict"] == "baseline" or pd.isna(r["delta_ci_low"]) else
            f"{number(r['delta_ci_low'], unit, signed=True)} to {number(r['delta_ci_high'], unit, signed=True)}",
            "Verdict": "" if r["verdict"] == "baseline" else r["verdict"],
            "metric": r["metric"],
        })
    return pd.DataFrame(rows)


PAYERS = (("cost_nhs", "the NHS"), ("cost_council", "the council"), ("cost_society", "wider society"))

WORDS = (
    ("crisis_episodes", "crisis episodes"), ("acute_admissions", "acute admissions"), ("acute_bed_days", "acute bed days"),
    ("residential_placements_end", "people in residential care at the end"), ("recoveries", "recoveries"),
    ("people_employed_end", "people in work at the end"), ("suicides", "suicides"), ("qalys", "quality-adjusted life years"),
)
SHORT_WORDS = (("crisis_episodes", "crisis episodes"), ("acute_admissions", "acute admissions"),
               ("acute_bed_days", "acute bed days"), ("suicides", "suicides"), ("qalys", "QALYs"))


def _change_in_words(d, unit: str, what: str) -> str:
    lo, hi = d.low, d.high
    if lo == hi == 0:
        return f"{what}: no change"
    if d.n < 2:
        return f"{what}: {number(d.mean, unit, signed=True)} (one replication: no interval)"
    if lo <= 0 <= hi:
        return f"{what}: no clear change ({number(lo, unit, signed=True)} to {number(hi, unit, signed=True)})"
    word = "higher" if d.mean > 0 else "lower"
    if unit != "£":
        word = "more" if d.mean > 0 else "fewer"
    a, b = sorted((abs(lo), abs(hi)))
    return f"{what}: {number(abs(d.mean), unit)} {word} ({number(a, unit)} to {number(b, unit)} {word})"


def _who_pays_in_words(d, payer: str) -> str:
    """'the NHS saves £9.4m (£7.9m to £10.9m)', 'the council pays £1.2m more (...)' or 'no clear change'."""
    if d.n < 2 or d.low <= 0 <= d.high:  # no change, one replication, no clear change: said as for any outcome
        return _change_in_words(d, "£", payer)
    a, b = sorted((abs(d.low), abs(d.high)))
    verb = "saves" if d.mean < 0 else "pays"
    more = "" if d.mean < 0 else " more"
    return f"{payer} {verb} {number(abs(d.mean), '£')}{more} ({number(a, '£')} to {number(b, '£')})"


def in_words(base: ScenarioResults, s: ScenarioResults, short: bool = False) -> str:
    """A paragraph a board member can read: who pays, the total, then what happens to people."""
    from simulation.outcomes import METRICS

    from .data import difference

    d = difference(s, base, "cost_health_and_care")
    if d is None:
        return f"{s.label} was run with different settings from {base.label}, so the two cannot be compared."
    payers = [_who_pays_in_words(dp, payer) for metric, payer in PAYERS if metric != "cost_society"
              and (dp := difference(s, base, metric)) is not None]
    society = difference(s, base, "cost_society")
    outcomes = [_change_in_words(dm, METRICS[metric].unit, what)
                for metric, what in (SHORT_WORDS if short else WORDS) if (dm := difference(s, base, metric)) is not None]
    text = (f"Who pays over {s.plan.years:g} years: " + "; ".join(payers) + ". "
            + _change_in_words(d, "£", "Health and care in all") + ". "
            + ("" if society is None else _who_pays_in_words(society, "Wider society (beside, not in that total)") + ". ")
            + "What happens to people: " + "; ".join(outcomes) + ".")
    return text if short else f"{s.label} against {base.label}. {text}"


def comparison_csv(base: ScenarioResults, others: list[ScenarioResults], metrics) -> str:
    """Every metric's numbers (unformatted) for a spreadsheet.

    Text that a spreadsheet would read as a formula (a scenario name starting with =, +, -, @, a tab or a
    carriage return) is prefixed with an apostrophe, as OWASP advises against CSV injection."""
    table = comparison_table(base, others, metrics)
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = [spreadsheet_safe(v) for v in table[column]]
    return table.to_csv(index=False)


def spreadsheet_safe(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _assumption_rows(scenarios: list[ScenarioResults]) -> list[tuple[str, str, str, str]]:
    """Changed parameters first, then every baseline assumption: (parameter, value, unit, source or assumption)."""
    catalogue = shipped_catalogue()
    rows = []
    seen = set()
    for s in scenarios:
        if s.scenario is None:
            continue
        for path in s.scenario.overrides:
            spec = s.scenario.params[path]
            rows.append((f"{path} (changed in {s.label})", parameter_value(spec.value),
                         spec.unit, spec.source or f"assumption: {spec.assumption}"))
            seen.add(path)
    for path, spec in catalogue.items():
        if path in seen:
            continue
        where = f"source: {spec.source}" if spec.source else f"assumption: {spec.assumption}"
        rng = f" (range {parameter_value(spec.low)} to {parameter_value(spec.high)})" if spec.low is not None and spec.high is not None else ""
        value = parameter_value(spec.value)
        rows.append((path, value + rng, spec.unit, where))
    return rows


def html_brief(base: ScenarioResults, others: list[ScenarioResults], timeseries_metric: str = "crisis_episodes",
               focus: ScenarioResults | None = None) -> str:
    """A self-contained HTML brief (plotly.js embedded once; opens offline)."""
    figures: list[tuple[str, go.Figure]] = [
        ("Who pays for the change", cost_change_by_payer_figure(base, others)),
        ("Costs by who pays", costs_by_payer_figure([base, *others])),
        ("Over time", timeseries_figure([base, *others], timeseries_metric)),
        ("Value for money", ce_plane_figure(base, others)),
        ("Who is affected", subgroup_figure(base, others, "crisis_episodes")),
    ]
    parts = []
    for i, (title, fig) in enumerate(figures):
        parts.append(f"<h3>{html.escape(title)}</h3>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False}))
    table = table_for_people(base, others).drop(columns=["metric"])
    decisions = []
    for s in others:
        actions = "".join(f"<li>{html.escape(a)}</li>" for a in s.actions) or "<li>No timed actions.</li>"
        decisions.append(f"<h3>{html.escape(s.label)}</h3><p>{html.escape(s.description or '')}</p><ul>{actions}</ul>"
                         f"<p><b>In short:</b> {html.escape(in_words(base, s))}</p>")
    assumptions = "".join(
        f"<tr><td>{html.escape(p)}</td><td>{html.escape(v)}</td><td>{html.escape(u)}</td><td>{html.escape(w)}</td></tr>"
        for p, v, u, w in _assumption_rows([base, *others])
    )
    manifest_rows = "".join(
        f"<tr><td>{html.escape(s.label)}</td><td>{html.escape(s.content_hash)}</td><td>{html.escape(s.plan.describe())}</td></tr>"
        for s in [base, *others]
    )
    created = dt.datetime.now().strftime("%d %B %Y, %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>mhsim brief: {html.escape(', '.join(s.label for s in others))} against {html.escape(base.label)}</title>
<style>
body {{ font-family: Arial, Helvetica, sans-serif; font-size: 16px; max-width: 1100px; margin: 2em auto; color: #111; }}
h1 {{ font-size: 1.7em; }} h2 {{ margin-top: 1.6em; border-bottom: 2px solid #0072B2; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.92em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }}
th {{ background: #eef4fa; }}
.small {{ color: #555; font-size: 0.85em; }}
</style></head><body>
<h1>What changes, and who pays: {html.escape(', '.join(s.label for s in others))}</h1>
<p class="small">Compared with <b>{html.escape(base.label)}</b>. {html.escape(base.plan.describe())}. Costs in 2024 pounds,
discounted at 3.5% a year. Every change is the mean of paired replications (common random numbers) with its 95% interval.
Produced by mhsim {html.escape(MODEL_VERSION)} (model source {model_fingerprint()}) on {created}.</p>
<h2>The decision</h2>
{''.join(decisions)}
<h2>Key differences</h2>
{table.to_html(index=False, border=0, escape=True)}
<p class="small">"better"/"worse": the 95% interval of the change excludes zero; "no clear difference": it includes zero.</p>
<h2>Figures</h2>
{''.join(parts)}
<h2>Assumptions and their sources</h2>
<p class="small">Changed parameters first, then every default of the baseline. Sources are ids from the parameter
sourcebook (S: the Essex report; C: unit costs; R: rates; E: Essex) or an assumption with its reasoning.</p>
<table><tr><th>Parameter</th><th>Value</th><th>Unit</th><th>Source or assumption</th></tr>{assumptions}</table>
<h2>Manifest</h2>
<table><tr><th>Scenario</th><th>Content hash</th><th>Run</th></tr>{manifest_rows}</table>
</body></html>
"""


_KALEIDO_LOCK = threading.Lock()
_kaleido_started = False


def _kaleido_server() -> None:
    """Keep one headless browser for all exports (about 0.4 s a figure instead of 5 s)."""
    global _kaleido_started
    with _KALEIDO_LOCK:
        if not _kaleido_started:
            import kaleido

            kaleido.start_sync_server(silence_warnings=True)
            _kaleido_started = True


def figure_png(fig: go.Figure, width: int = 1280, height: int | None = None) -> bytes:
    """A figure as PNG (kaleido drives Debian's chromium)."""
    _kaleido_server()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with _KALEIDO_LOCK:
            return fig.to_image(format="png", width=width, height=height or fig.layout.height or 600, scale=1)


def figures_zip(figures: dict[str, go.Figure]) -> bytes:
    """Several figures as PNG files in one zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, fig in figures.items():
            z.writestr(f"{name}.png", figure_png(fig))
    return buf.getvalue()
