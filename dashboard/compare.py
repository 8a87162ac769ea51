"""The Compare tab: the answer first, the table, the people displaced, the budget impact, then the charts.

Layout and callbacks of the tab; the numbers come from :mod:`dashboard.data`
(the model's outputs), :mod:`dashboard.decision` (cards and ranking) and
:mod:`dashboard.views` (cohort and budget impact).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any, Callable

import dash_ag_grid as dag
from dash import Dash, Input, Output, State, dcc, html, no_update

from simulation.formatting import number
from simulation.outcomes import METRICS

from . import figures as F
from .data import ScenarioResults, comparison_table, prices
from .decision import answer_cards, psa_stamp, ranking_sentence
from .report import HEADLINE, comparison_csv, figures_zip, html_brief, in_words
from .views import (
    BUDGET_YEARS, budget_csv, budget_rows, budget_table_all_frame, budget_table_frame, budget_xlsx, cohort_facts,
    cohort_outcomes_frame, cohort_sentence, html_table,
)

TIMESERIES_CHOICES = [
    "crisis_episodes", "acute_admissions", "out_of_area_placements", "people_in_contact", "people_employed",
    "residential", "enablement", "acute", "out_of_area", "home_treatment", "day_centre_users",
    "peer_support_members", "budget_holders", "recovery_college_graduates", "waiting_enablement", "suicides",
    "recoveries", "cost_nhs", "cost_council", "qalys", "zero_suicide_coverage",
]
SUBGROUP_CHOICES = ["crisis_episodes", "acute_admissions", "acute_bed_days", "recoveries", "suicides",
                    "people_employed_end", "qalys", "person_level_cost"]

SECTION = {"marginTop": "28px"}
HELP = {"color": "#444", "fontSize": "15px", "maxWidth": "1000px"}
BUTTON = {"fontSize": "15px", "padding": "6px 14px", "marginRight": "10px", "cursor": "pointer"}
GRAPH: Any = {"displaylogo": False}

VERDICT_RULES = {
    "verdict-better": {"function": "params.value && params.value.indexOf('better') >= 0"},
    "verdict-worse": {"function": "params.value && params.value.indexOf('worse') >= 0"},
}


WAITING = ("Results are still being prepared: the answer, the table and the charts fill in as soon as the first "
           "results arrive (see the progress at the top of the page).")
"""What the tab says before there are any results (the table is empty, not 'No Rows To Show')."""

_MEMO: OrderedDict[tuple, Any] = OrderedDict()
_MEMO_LOCK = threading.Lock()
MEMO_SIZE = 64


def memo(key: tuple, make: Callable[[], Any]) -> Any:
    """What the tab shows for a selection, made once: results never change under their key (a content hash and a
    run plan), so every session asking for the same view gets it at once (the first view is warmed at start)."""
    with _MEMO_LOCK:
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    value = make()
    with _MEMO_LOCK:
        _MEMO[key] = value
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return value


def table_metrics(base: ScenarioResults, every: bool) -> list[str]:
    if not every:
        return list(HEADLINE)
    return [m for m in base.replications.columns if m not in ("replication", "seed") and not m.startswith("cohort.")]


def compare_tab() -> html.Div:
    return html.Div([
        html.P("Pick a baseline and the decisions to compare with it. Every change is the mean of paired replications "
               "(the same people and chances in both runs) with its 95% interval. Money is the cost to health and care "
               f"(NHS and council) unless a line says otherwise, in {prices()} (£), discounted at 3.5% a year unless it says cash.",
               style=HELP),
        html.Div([
            html.Div([html.Label("Baseline", htmlFor="baseline", style={"fontWeight": "bold"}),
                      dcc.Dropdown(id="baseline", clearable=False)], style={"width": "32%", "display": "inline-block", "verticalAlign": "top"}),
            html.Div([html.Label("Compare with", htmlFor="scenarios", style={"fontWeight": "bold"}),
                      dcc.Dropdown(id="scenarios", multi=True)], style={"width": "64%", "display": "inline-block", "marginLeft": "2%", "verticalAlign": "top"}),
        ]),
        html.Div([
            dcc.Checklist(id="all-metrics", options=[{"label": " show every outcome and cost line", "value": "all"}], value=[],
                          style={"display": "inline-block", "marginRight": "24px"}),
            html.Button("Download table (CSV)", id="dl-csv-btn", style=BUTTON),
            html.Button("Export brief (HTML)", id="dl-brief-btn", style=BUTTON),
            html.Button("Export figures (PNG)", id="dl-png-btn", style=BUTTON),
            dcc.Download(id="dl-csv"), dcc.Download(id="dl-brief"), dcc.Download(id="dl-png"),
        ], style={"marginTop": "12px"}),
        html.Div(id="compare-message", style={"marginTop": "10px", "color": "#6b3300", "fontWeight": "bold"}),
        html.H2("The answer", style=SECTION),
        html.P("Net monetary benefit values each QALY gained at £20,000 (or £30,000), the NICE thresholds, less the change "
               "in health and care cost: above zero, the decision is worth it. The probabilities come from the "
               "probabilistic sensitivity analysis of each shipped decision (every uncertain input drawn from its range, on the "
               "model's mean-field twin over the whole county), so they speak for the inputs' uncertainty, "
               "the intervals for the runs' chance.",
               style=HELP),
        html.P(id="ranking-words", style={**HELP, "color": "#111", "fontWeight": "bold"}),
        dcc.Loading(dcc.Graph(id="ranking-graph", config=GRAPH), type="circle"),
        html.Div(id="answer-box"),
        html.H2("Key differences", style=SECTION),
        dag.AgGrid(
            id="table", rowData=[], columnDefs=[],
            # three lines a cell (value, interval, verdict) at a fixed height: measuring every cell (autoHeight) made the
            # first view seconds slower
            defaultColDef={"resizable": True, "sortable": False, "wrapHeaderText": True, "autoHeaderHeight": True,
                           "cellStyle": {"whiteSpace": "pre", "lineHeight": "1.35", "textAlign": "right"},
                           "minWidth": 190, "flex": 1, "cellClassRules": VERDICT_RULES,
                           "tooltipField": "tip"},
            dashGridOptions={"rowHeight": 70, "suppressRowVirtualisation": True, "suppressColumnVirtualisation": True,
                             "tooltipShowDelay": 300, "tooltipInteraction": False, "enableCellTextSelection": True,
                             "ensureDomOrder": True, "suppressMovableColumns": True,
                             # never ag-grid's "No Rows To Show": the page is served with the first view's rows when
                             # there are results, and the message above the table says what it waits for when there
                             # are none yet (dash-ag-grid refuses overlay templates)
                             "suppressNoRowsOverlay": True},
            style={"height": "72vh", "width": "100%"}, className="ag-theme-alpine",
        ),
        html.P("Cells say 'better' or 'worse' when the 95% interval of the change excludes zero (also shaded blue or orange), "
               "'no clear difference' when it includes zero. The header stays in view as the table scrolls; hover over an "
               "outcome for what it means.", style=HELP),
        html.H2("One decision in detail", style=SECTION),
        html.Div([html.Label("Decision ", htmlFor="focus", style={"fontWeight": "bold"}),
                  dcc.Dropdown(id="focus", clearable=False, style={"width": "480px"})],
                 style={"display": "flex", "alignItems": "center", "gap": "10px"}),
        html.P("The people it displaces, its budget impact and where people went follow this choice, in the page and in every export.",
               style=HELP),
        html.H3("The people displaced", style=SECTION),
        html.Div(id="cohort-box"),
        html.H3("Budget impact, year by year", style=SECTION),
        html.P(f"Cash spending (undiscounted, £, {prices()}) by financial year, April to March, against the baseline: "
               "what each budget holder pays more (+) or saves (-), with 95% intervals. The table and chart show the "
               f"first {BUDGET_YEARS} financial years; the CSV and XLSX carry every year of the run (a part year is "
               "marked with its months).", style=HELP, id="budget-help"),
        dcc.RadioItems(id="budget-scope", value="focus", inline=True,
                       options=[{"label": " the decision in detail  ", "value": "focus"},
                                {"label": " every decision compared (one table, a row per decision and payer)", "value": "every"}]),
        html.Div(id="budget-box"),
        html.Div([html.Button("Budget impact (CSV)", id="dl-budget-csv-btn", style=BUTTON),
                  html.Button("Budget impact (XLSX)", id="dl-budget-xlsx-btn", style=BUTTON),
                  dcc.Download(id="dl-budget-csv"), dcc.Download(id="dl-budget-xlsx")], style={"marginTop": "8px"}),
        html.H2("Over time", style=SECTION),
        html.Div([
            dcc.Dropdown(id="ts-metric", value="crisis_episodes", clearable=False,
                         options=[{"label": F.SERIES_LABELS.get(m, (m, ""))[0], "value": m} for m in TIMESERIES_CHOICES],
                         style={"width": "420px"}),
            dcc.RadioItems(id="ts-mode", value="difference", inline=True,
                           options=[{"label": " change against the baseline (the decision in detail)  ", "value": "difference"},
                                    {"label": " change: every decision  ", "value": "every"},
                                    {"label": " levels", "value": "levels"}]),
        ], style={"display": "flex", "gap": "24px", "alignItems": "center"}),
        dcc.Graph(id="ts-graph", config=GRAPH),
        html.H2("Who pays", style=SECTION),
        dcc.Graph(id="payer-change-graph", config=GRAPH),
        dcc.Graph(id="service-graph", config=GRAPH),
        html.H2("Where people went", style=SECTION),
        dcc.Graph(id="sankey-graph", config=GRAPH),
        html.H2("Value for money", style=SECTION),
        dcc.RadioItems(id="ce-perspective", value="health_and_care", inline=True,
                       options=[{"label": " NHS and council costs (NICE reference case)  ", "value": "health_and_care"},
                                {"label": " all costs, including wider society", "value": "all"}]),
        dcc.Graph(id="ce-graph", config=GRAPH),
        html.P("Points below a line are cost-effective at that threshold: a QALY gained for less than £20,000 or £30,000. "
               "Points to the right gain quality-adjusted life years; points below zero save money. Each point is one "
               "replication: their spread is the model's chance, not uncertainty about its inputs (that is the PSA's).",
               style=HELP),
        html.H2("Who is affected", style=SECTION),
        dcc.Dropdown(id="sub-metric", value="crisis_episodes", clearable=False, style={"width": "420px"},
                     options=[{"label": METRICS[m].label, "value": m} for m in SUBGROUP_CHOICES]),
        dcc.Graph(id="sub-graph", config=GRAPH),
        html.Details([html.Summary("Every change in words", style={"fontSize": "18px", "fontWeight": "bold", "cursor": "pointer"}),
                      html.Div(id="in-words", style={**HELP, "maxWidth": "1250px", "color": "#111"})], style=SECTION),
    ])


def _cell(mean, low, high, unit, signed, verdict=None) -> str:
    text = f"{number(mean, unit, signed=signed)}\n({number(low, unit, signed=signed)} to {number(high, unit, signed=signed)})"
    return text + (f"\n{verdict}" if verdict else "")


def grid(base: ScenarioResults, others: list[ScenarioResults], metrics: list[str]) -> tuple[list[dict], list[dict[str, Any]]]:
    """The comparison as ag-grid rows and columns: a cell per outcome and decision, three lines that never wrap."""
    t = comparison_table(base, others, metrics)
    columns: list[dict[str, Any]] = [{"headerName": "Outcome", "field": "Outcome", "pinned": "left", "minWidth": 260, "flex": 0, "width": 280,
                "cellStyle": {"whiteSpace": "normal", "textAlign": "left", "fontWeight": "bold", "lineHeight": "1.3"},
                "tooltipField": "tip"},
               {"headerName": f"{base.label} (baseline)", "field": "base", "tooltipField": "tip"}]
    for i, s in enumerate(others):
        columns.append({"headerName": f"Change: {s.label}", "field": f"s{i}", "tooltipField": f"tip{i}"})
    rows = []
    for metric in metrics:
        sub = t[t["metric"] == metric]
        b = sub[sub["scenario"] == base.label].iloc[0]
        unit = b["unit"]
        row = {"Outcome": b["label"] + (f" ({unit})" if unit and unit != "£" else f" (£, {prices()})" if unit == "£" else ""),
               "base": _cell(b["mean"], b["ci_low"], b["ci_high"], unit, False),
               "tip": METRICS[metric].meaning if metric in METRICS else b["label"]}
        for i, s in enumerate(others):
            r = sub[sub["scenario"] == s.label].iloc[0]
            row[f"s{i}"] = r["verdict"] if math.isnan(r["delta_mean"]) else _cell(
                r["delta_mean"], r["delta_ci_low"], r["delta_ci_high"], unit, True, r["verdict"])
            row[f"tip{i}"] = (f"{s.label}: {number(r['mean'], unit)} (95% interval {number(r['ci_low'], unit)} to "
                              f"{number(r['ci_high'], unit)}) against {number(b['mean'], unit)} in the baseline")
        rows.append(row)
    return rows, columns


def cohort_box(base: ScenarioResults | None, s: ScenarioResults | None) -> html.Div:
    if base is None or s is None:
        return html.Div("Pick a decision to see whom it displaces.", style=HELP)
    facts = cohort_facts(s)
    if not facts:
        return html.Div(f"{s.label} closes no service whose users hold a place, so it displaces nobody.",
                        className="cohort-none", style=HELP)
    parts = []
    for fact in facts:
        parts += [html.P(cohort_sentence(s, fact), className="cohort-sentence", style={**HELP, "color": "#111"}),
                  dcc.Graph(figure=F.cohort_figure(s, fact), config=GRAPH, className="cohort-graph"),
                  html.P(f"Their outcomes from the closure to the end of the run, against the same people in "
                         f"{s.versus_label or 'the baseline'} (common random numbers: the same lives without the closure).",
                         style=HELP),
                  html_table(cohort_outcomes_frame(s, fact), "cohort-table")]
    return html.Div(parts, id="cohort-view")


def budget_box_every(base: ScenarioResults, others: list[ScenarioResults]) -> html.Div:
    """Every compared decision's budget impact, one table (the CSV and XLSX carry the same decisions)."""
    t = budget_rows(base, others)
    if t.empty:
        return html.Div("No compared decision can be paired with the baseline year by year.", style=HELP)
    return html.Div([html_table(budget_table_all_frame(t), "budget-table-every", "plain money")], id="budget-every")


def budget_box(base: ScenarioResults | None, s: ScenarioResults | None) -> html.Div:
    if base is None or s is None:
        return html.Div("Pick a decision to see its budget impact.", style=HELP)
    t = budget_rows(base, [s])
    if t.empty:
        return html.Div(f"{s.label} cannot be paired with {base.label} year by year (different run settings).", style=HELP)
    frame = budget_table_frame(t, s.label)
    return html.Div([html_table(frame, "budget-table", "plain money"),
                     dcc.Graph(figure=F.budget_figure(t, s.label), config=GRAPH, id="budget-graph")])


def _selected(state, session: str | None, base_key: str | None, keys: list[str] | None):
    base = state.find(session, base_key)
    others = [r for k in (keys or []) if k != base_key and (r := state.find(session, k)) is not None]
    return base, others


def _among(s: ScenarioResults | None, others: list[ScenarioResults]) -> bool:
    return s is not None and s.key in {o.key for o in others}


def _focus_or_default(focus: ScenarioResults | None, base: ScenarioResults, others: list[ScenarioResults]) -> ScenarioResults:
    """The decision in detail if it is compared, else the page's default one (the baseline when none is compared)."""
    from .app import default_focus

    if focus is not None and _among(focus, others):
        return focus
    return default_focus(others) or base


def register_compare(app: Dash, state) -> None:
    """Every callback of the Compare tab."""

    @app.callback(Output("table", "rowData"), Output("table", "columnDefs"), Output("compare-message", "children"),
                  Output("in-words", "children"), Output("answer-box", "children"), Output("ranking-words", "children"),
                  Output("ranking-graph", "figure"),
                  Input("baseline", "value"), Input("scenarios", "value"), Input("all-metrics", "value"),
                  Input("known-keys", "data"), State("session-id", "data"),
                  prevent_initial_call=True)
    def update_table(base_key, keys, all_metrics, _known, session):
        base, others = _selected(state, session, base_key, keys)
        if base is None:
            return [], [], WAITING, "", "", "", F.waiting_figure()
        return memo(("table", base.key, tuple(s.key for s in others), bool(all_metrics), psa_stamp()),
                    lambda: table_view(base, others, bool(all_metrics)))

    @app.callback(Output("cohort-box", "children"), Output("budget-box", "children"),
                  Input("baseline", "value"), Input("focus", "value"), Input("known-keys", "data"), Input("budget-scope", "value"),
                  Input("scenarios", "value"), State("session-id", "data"), prevent_initial_call=True)
    def update_focus(base_key, focus_key, _known, scope, keys, session):
        base = state.find(session, base_key)
        s = state.find(session, focus_key)
        if s is not None and base is not None and s.key == base.key:
            s = None
        if base is None or s is None:
            return cohort_box(base, s), budget_box(base, s)
        cohort, budget = memo(("focus", base.key, s.key), lambda: (cohort_box(base, s), budget_box(base, s)))
        if scope == "every":
            _, others = _selected(state, session, base_key, keys)
            budget = memo(("budget-every", base.key, tuple(o.key for o in others)), lambda: budget_box_every(base, others))
        return cohort, budget

    _register_figures(app, state)
    _register_downloads(app, state)


def table_view(base: ScenarioResults, others: list[ScenarioResults], every: bool) -> tuple:
    """The table, its messages, the words, the answer cards and the ranking for one selection."""
    rows, columns = grid(base, others, table_metrics(base, every))
    message = "" if others else "Pick one or more scenarios to compare with the baseline."
    not_comparable = [s.label for s in others if s.plan != base.plan]
    if not_comparable:
        message = "Run with different settings, so not compared: " + ", ".join(not_comparable)
    words = html.Ul([html.Li([html.B(s.label + ": "), in_words(base, s, short=True)], style={"marginBottom": "6px"})
                     for s in others]) if others else ""
    if not others:
        return rows, columns, message, words, "", "", F.waiting_figure("Pick the decisions to compare.")
    return (rows, columns, message, words, answer_cards(base, others), ranking_sentence(base, others),
            F.ranking_figure(base, others))


def _figures(state, base, others, ts_metric, ts_mode, focus_key, perspective, sub_metric, session):
    """Every chart of the tab (the page and the PNG export draw the same)."""
    focus = _focus_or_default(state.find(session, focus_key), base, others)
    return {**focus_figures(base, others, focus, ts_metric, ts_mode), **selection_figures(base, others, perspective, sub_metric),
            "best_value": memo(("ranking-figure", base.key, tuple(s.key for s in others)), lambda: F.ranking_figure(base, others))}


def focus_figures(base: ScenarioResults, others: list[ScenarioResults], focus: ScenarioResults, ts_metric: str,
                  ts_mode: str) -> dict:
    """The charts that follow the decision in detail: over time and where people went."""
    def make() -> dict:
        start = base.scenario.settings.start_date if base.scenario else None
        if ts_mode == "levels" or not others:
            over_time = F.timeseries_figure([base, *others], ts_metric, start)
        else:  # the decision in detail alone: one line, its band and its actions, not eight overlapping bands
            over_time = F.difference_timeseries_figure(base, others if ts_mode == "every" else [focus], ts_metric, start)
        return {"over_time": over_time, "flows": F.flows_figure(base, focus)}

    keys = tuple(s.key for s in others) if ts_mode in ("levels", "every") else ()
    return memo(("focus-figures", base.key, keys, focus.key, ts_metric, ts_mode, bool(others)), make)


def selection_figures(base: ScenarioResults, others: list[ScenarioResults], perspective: str, sub_metric: str) -> dict:
    """The charts of every decision chosen: who pays, where the money moves, value for money, who is affected."""
    return memo(("selection-figures", base.key, tuple(s.key for s in others), perspective, sub_metric), lambda: {
        "who_pays_change": F.cost_change_by_payer_figure(base, others),
        "cost_change_by_service": F.cost_change_by_service_figure(base, others),
        "value_for_money": F.ce_plane_figure(base, others, perspective),
        "who_is_affected": F.subgroup_figure(base, others, sub_metric),
    })


def _register_figures(app: Dash, state) -> None:
    @app.callback(Output("payer-change-graph", "figure"), Output("service-graph", "figure"), Output("ce-graph", "figure"),
                  Output("sub-graph", "figure"),
                  Input("baseline", "value"), Input("scenarios", "value"), Input("ce-perspective", "value"),
                  Input("sub-metric", "value"), Input("known-keys", "data"), State("session-id", "data"),
                  prevent_initial_call=True)
    def update_selection_figures(base_key, keys, perspective, sub_metric, _known, session):
        base, others = _selected(state, session, base_key, keys)
        if base is None:
            return (F.waiting_figure(),) * 4
        f = selection_figures(base, others, perspective, sub_metric)
        return f["who_pays_change"], f["cost_change_by_service"], f["value_for_money"], f["who_is_affected"]

    @app.callback(Output("ts-graph", "figure"), Output("sankey-graph", "figure"),
                  Input("baseline", "value"), Input("scenarios", "value"), Input("ts-metric", "value"), Input("ts-mode", "value"),
                  Input("focus", "value"), Input("known-keys", "data"), State("session-id", "data"),
                  prevent_initial_call=True)
    def update_focus_figures(base_key, keys, ts_metric, ts_mode, focus_key, _known, session):
        base, others = _selected(state, session, base_key, keys)
        if base is None:
            return F.waiting_figure(), F.waiting_figure()
        focus = _focus_or_default(state.find(session, focus_key), base, others)
        f = focus_figures(base, others, focus, ts_metric, ts_mode)
        return f["over_time"], f["flows"]


def first_view(state, base_key: str | None, chosen: list[str], focus_key: str | None) -> dict[str, dict[str, Any]]:
    """What the Compare tab shows first (component id -> props) for a new session's choices: the same views the
    callbacks would return (from the same memo), or the waiting sentences before there are results."""
    base = state.find(None, base_key)
    if base is None:
        wait = {"figure": F.waiting_figure()}
        return {"compare-message": {"children": WAITING},
                **{g: dict(wait) for g in ("ranking-graph", "ts-graph", "sankey-graph", "payer-change-graph", "service-graph",
                                           "ce-graph", "sub-graph")}}
    others = [r for k in chosen if k != base_key and (r := state.find(None, k)) is not None]
    table = memo(("table", base.key, tuple(s.key for s in others), False, psa_stamp()), lambda: table_view(base, others, False))
    out: dict[str, dict[str, Any]] = {}
    for (cid, prop), value in zip(TABLE_OUTPUTS, table):
        out.setdefault(cid, {})[prop] = value
    focus = _focus_or_default(state.find(None, focus_key), base, others)
    if focus.key != base.key:
        cohort, budget = memo(("focus", base.key, focus.key), lambda: (cohort_box(base, focus), budget_box(base, focus)))
        out["cohort-box"], out["budget-box"] = {"children": cohort}, {"children": budget}
    f = focus_figures(base, others, focus, "crisis_episodes", "difference")
    g = selection_figures(base, others, "health_and_care", "crisis_episodes")
    for cid, fig in (("ts-graph", f["over_time"]), ("sankey-graph", f["flows"]), ("payer-change-graph", g["who_pays_change"]),
                     ("service-graph", g["cost_change_by_service"]), ("ce-graph", g["value_for_money"]),
                     ("sub-graph", g["who_is_affected"])):
        out[cid] = {"figure": fig}
    return out


TABLE_OUTPUTS = (("table", "rowData"), ("table", "columnDefs"), ("compare-message", "children"), ("in-words", "children"),
                 ("answer-box", "children"), ("ranking-words", "children"), ("ranking-graph", "figure"))
"""What update_table returns, in its order."""


def warm_first_view(state) -> float:
    """Make the first view once before the server answers (the default baseline, every shipped decision, the first
    in detail, the default charts), so the first person's page only has to draw it. Returns the seconds it took."""
    import time

    from .app import _default_baseline

    started = time.perf_counter()
    results = list(state.shared.values())
    base_key = _default_baseline(results)
    base = next((r for r in results if r.key == base_key), None)
    others = [r for r in results if r is not base]
    if base is None:
        return 0.0
    table_view_key = ("table", base.key, tuple(s.key for s in others), False, psa_stamp())
    memo(table_view_key, lambda: table_view(base, others, False))
    if others:   # the decision in detail the page picks by default (focus_choice), so the first view hits the cache
        focus = _focus_or_default(None, base, others)
        focus_figures(base, others, focus, "crisis_episodes", "difference")
        memo(("focus", base.key, focus.key), lambda: (cohort_box(base, focus), budget_box(base, focus)))
    selection_figures(base, others, "health_and_care", "crisis_episodes")
    return time.perf_counter() - started


def _register_downloads(app: Dash, state) -> None:
    @app.callback(Output("dl-csv", "data"), Input("dl-csv-btn", "n_clicks"),
                  State("baseline", "value"), State("scenarios", "value"), State("session-id", "data"), prevent_initial_call=True)
    def download_csv(_n, base_key, keys, session):
        base, others = _selected(state, session, base_key, keys)
        if base is None:
            return no_update
        metrics = [m for m in base.replications.columns if m not in ("replication", "seed")]
        return dict(content=comparison_csv(base, others, metrics), filename="mhsim-comparison.csv", type="text/csv")

    @app.callback(Output("dl-budget-csv", "data"), Input("dl-budget-csv-btn", "n_clicks"),
                  State("baseline", "value"), State("scenarios", "value"), State("session-id", "data"), prevent_initial_call=True)
    def download_budget_csv(_n, base_key, keys, session):
        base, others = _selected(state, session, base_key, keys)
        if base is None or not others:
            return no_update
        return dict(content=budget_csv(budget_rows(base, others)), filename="budget_impact.csv", type="text/csv")

    @app.callback(Output("dl-budget-xlsx", "data"), Input("dl-budget-xlsx-btn", "n_clicks"),
                  State("baseline", "value"), State("scenarios", "value"), State("session-id", "data"), prevent_initial_call=True)
    def download_budget_xlsx(_n, base_key, keys, session):
        base, others = _selected(state, session, base_key, keys)
        if base is None or not others:
            return no_update
        return dcc.send_bytes(budget_xlsx(budget_rows(base, others), base.label), "mhsim-budget-impact.xlsx")

    @app.callback(Output("dl-brief", "data"), Input("dl-brief-btn", "n_clicks"),
                  State("baseline", "value"), State("scenarios", "value"), State("focus", "value"),
                  State("session-id", "data"), prevent_initial_call=True)
    def download_brief(_n, base_key, keys, focus_key, session):
        base, others = _selected(state, session, base_key, keys)
        if base is None:
            return no_update
        focus = state.find(session, focus_key)
        return dict(content=html_brief(base, others, focus=focus), filename="mhsim-brief.html", type="text/html")

    @app.callback(Output("dl-png", "data"), Input("dl-png-btn", "n_clicks"),
                  State("baseline", "value"), State("scenarios", "value"), State("ts-metric", "value"), State("ts-mode", "value"),
                  State("focus", "value"), State("ce-perspective", "value"), State("sub-metric", "value"),
                  State("session-id", "data"), prevent_initial_call=True)
    def download_png(_n, base_key, keys, ts_metric, ts_mode, focus_key, perspective, sub_metric, session):
        base, others = _selected(state, session, base_key, keys)
        if base is None:
            return no_update
        figs = _figures(state, base, others, ts_metric, ts_mode, focus_key, perspective, sub_metric, session)
        focus = state.find(session, focus_key)
        if _among(focus, others):
            for fact in cohort_facts(focus):
                figs[f"people_displaced_{fact['service']}"] = F.cohort_figure(focus, fact)
            t = budget_rows(base, [focus])
            if not t.empty:
                figs["budget_impact"] = F.budget_figure(t, focus.label)
        return dcc.send_bytes(figures_zip(figs), "mhsim-figures.zip")
