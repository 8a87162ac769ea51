"""Axis titles fit their charts: a rotated y-axis title longer than its axis is cut at the foot of the figure (the
page showed "hange in spending"; the brief's appendix "nge in crisis episodes a month"). Checked on the figures'
layouts, not on pixels: every line of a y title must be no longer than the axis it is drawn along."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures as F
from dashboard.data import Plan, ScenarioResults

PLAN = Plan(seed=1, replications=3, years=5.0, scale=0.25, warmup_years=0.0)
PX_PER_CHAR = 0.5 * 18   # half an em of an 18 px axis title (Plotly's 1.2 times the figures' 15 px): Arial's is less
DAY_CENTRE = "Close the day centre"


def results(label: str, shift: float) -> ScenarioResults:
    from simulation.scenario import SHIPPED_SCENARIOS, load_scenario

    ts = pd.DataFrame([{"replication": r, "month": m, "metric": "crisis_episodes", "value": 100 + shift * (m > 6) + r}
                       for r in range(3) for m in range(1, 61)])
    frame = pd.DataFrame({"replication": range(3), "cost_nhs": [1e6, 2e6, 3e6 + shift], "cost_council": [1e6, 2e6, 3e6 - shift],
                          "cost_society": [1e6, 2e6, 3e6]})
    scenario = load_scenario(SHIPPED_SCENARIOS / "close_day_centre.yaml") if shift else None
    return ScenarioResults(label, label, label, "", label, PLAN, frame, ts, pd.DataFrame(), scenario=scenario)


BASE, CLOSE = results("Baseline", 0), results(DAY_CENTRE, 5)


def budget_table() -> pd.DataFrame:
    return pd.DataFrame([{"scenario": DAY_CENTRE, "payer": p, "financial_year": f"20{25 + i}/{26 + i}",
                          "difference": 1e6 * (i - 2), "difference_ci_low": 1e6 * (i - 3), "difference_ci_high": 1e6 * (i - 1)}
                         for p in ("nhs", "council", "health_and_care") for i in range(5)])


def assert_y_title_fits(fig: go.Figure, height: float, what: str) -> None:
    title = fig.layout.yaxis.title.text
    assert title, what
    room = height - fig.layout.margin.t - fig.layout.margin.b
    for line in title.split("<br>"):
        assert len(line) * PX_PER_CHAR <= room, f"{what}: '{line}' is longer than the {room:.0f} px of its axis"
    assert fig.layout.yaxis.automargin, f"{what}: the left margin cannot grow for the title's lines"


def test_the_budget_charts_y_title_fits_its_axis_in_the_page():
    fig = F.budget_figure(budget_table(), DAY_CENTRE)
    assert_y_title_fits(fig, fig.layout.height, "budget impact")
    assert "spending" in fig.layout.yaxis.title.text   # the words are kept, only broken into lines
    assert "2024 prices" in fig.layout.yaxis.title.text, "the price year is one phrase, looked for whole"


def test_every_chart_of_the_page_has_y_titles_that_fit():
    for name, fig in {"change over time": F.difference_timeseries_figure(BASE, [CLOSE], "crisis_episodes", dt.date(2025, 4, 1)),
                      "who pays": F.cost_change_by_payer_figure(BASE, [CLOSE]),
                      "time series": F.timeseries_figure([BASE, CLOSE], "crisis_episodes")}.items():
        assert_y_title_fits(fig, fig.layout.height, name)


@pytest.fixture
def exported(monkeypatch):
    """The figures figure_png hands to the image export, with the height it exports at (no browser started)."""
    import dashboard.report as report

    drawn: list[tuple[go.Figure, float]] = []
    monkeypatch.setattr(report, "_kaleido_server", lambda: None)
    monkeypatch.setattr(go.Figure, "to_image", lambda self, **kw: drawn.append((self, kw["height"])) or b"png")
    return drawn


def test_the_briefs_appendix_charts_y_titles_fit_the_height_they_are_drawn_at(exported):
    from dashboard.report import figure_png

    change = F.difference_timeseries_figure(BASE, [CLOSE], "crisis_episodes", dt.date(2025, 4, 1))
    payer = F.cost_change_by_payer_figure(BASE, [CLOSE])
    payer.update_yaxes(title="Change in £ million (discounted, 2024 prices)")   # as the brief retitles it
    figure_png(change, width=1000, height=340)     # the brief's heights
    figure_png(payer, width=1000, height=380)
    figure_png(F.budget_figure(budget_table(), DAY_CENTRE))   # the page's PNG export
    assert [h for _, h in exported] == [340, 380, 480]
    for (fig, height), name in zip(exported, ("change over time", "who pays", "budget impact")):
        assert_y_title_fits(fig, height, name)
    assert "<br>" not in payer.layout.yaxis.title.text   # the page's own figure is not changed by its export
