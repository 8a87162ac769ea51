"""What a strategy lead takes into a board meeting: a CSV, a brief, figures.

The HTML brief (dashboard.brief) is one self-contained file with static
figures, so it opens offline on a board member's laptop and prints on A4.
"""

from __future__ import annotations

import io
import threading
import warnings
import zipfile

import pandas as pd
import plotly.graph_objects as go

from simulation.formatting import number

from .data import ScenarioResults, comparison_table

from simulation.outcomes import HEADLINE  # noqa: E402  (one list for the command line, the page and the brief)
from simulation.formatting import years as years_text


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
    text = (f"Who pays over {years_text(s.plan.years)}: " + "; ".join(payers) + ". "
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


def html_brief(base: ScenarioResults, others: list[ScenarioResults], timeseries_metric: str = "crisis_episodes",
               focus: ScenarioResults | None = None) -> str:
    """The self-contained brief (see dashboard.brief): two pages for a board, then a compact appendix (figures, key
    differences, assumptions with their sources, the run); about eight A4 pages in all."""
    from .brief import board_brief

    return board_brief(base, others, focus, timeseries_metric)


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
    from .figures import fit_axis_titles

    height = height or fig.layout.height or 600
    fig = fit_axis_titles(go.Figure(fig), height)   # its axis titles fit the height it is drawn at (a copy: the page's is kept)
    _kaleido_server()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with _KALEIDO_LOCK:
            return fig.to_image(format="png", width=width, height=height, scale=1)


def figures_zip(figures: dict[str, go.Figure]) -> bytes:
    """Several figures as PNG files in one zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, fig in figures.items():
            z.writestr(f"{name}.png", figure_png(fig))
    return buf.getvalue()
