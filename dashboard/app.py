"""The commissioners' dashboard (Dash): compare, build, present.

``create_app(state)`` builds the page; ``serve(...)`` is what ``mhsim
dashboard`` runs. The page never runs the model itself: it asks the shared
:class:`~dashboard.state.AppState`, which runs scenarios in the background
with the same experiment API as the command line.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from pathlib import Path
from typing import Any

import dash_ag_grid as dag
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from simulation.catalogue import SERVICES
from simulation.errors import printable
from simulation.errors import InputError, Problem
from simulation.reinvestment import closable_with_budget, plan_reinvestment, reinvestment_targets
from simulation.scenario import shipped_catalogue

from .builder import (
    DEFAULT_REDIRECT, MAX_UPLOAD_BYTES, PROGRAMME_LEVERS, UNIT_COSTS, Levers, ServiceLever, block_funded, lever_settings, levers_to_yaml,
    read_scenario_text, reinvestment_choices,
)
from .compare import compare_tab, register_compare
from .data import ScenarioResults, price_year, prices
from .server import allowed_hosts, harden
from .state import AppState, QueueFull
from .sweep_view import register_sweep_callbacks, sweep_tab

def service_order() -> list[str]:
    """Services in the builder, in registry order (live: a declared service joins the page)."""
    return list(SERVICES)

SECTION = {"marginTop": "28px"}
HELP = {"color": "#444", "fontSize": "15px", "maxWidth": "1000px"}
BUTTON = {"fontSize": "15px", "padding": "6px 14px", "marginRight": "10px", "cursor": "pointer"}


def _options(results: list[ScenarioResults]) -> list[dict]:
    out = []
    for r in results:
        suffix = "" if r.origin in ("shipped", "results folder") else "  (yours)"
        out.append({"label": r.label + suffix, "value": r.key})
    return out


def _default_baseline(results: list[ScenarioResults]) -> str | None:
    for r in results:
        if r.name.lower().startswith("baseline"):
            return r.key
    return results[0].key if results else None


def builder_body(start: dict | None = None) -> list:
    """The builder's levers, made when the Build tab is first opened (not in the first view's page: see
    ``_register_builder_tab``). ``start``: what the 'Start from' picker offers and holds (the build-choices store)."""
    catalogue = shipped_catalogue()
    lever_rows = []
    for name in list(SERVICES):
        info = SERVICES[name]
        status_options = [{"label": "no change", "value": "keep"}]
        if info.open_path:
            status_options += [{"label": "open", "value": "open"}, {"label": "close", "value": "close"}]
        cost_path = UNIT_COSTS.get(name)
        cost_unit = catalogue[cost_path].unit if cost_path else ""
        lever_rows.append(html.Tr([
            html.Td(info.label, style={"fontWeight": "bold"}),
            html.Td(dcc.Dropdown(id={"type": "lever-status", "service": name}, options=status_options, value="keep",
                                 clearable=False, style={"width": "140px"})),
            html.Td(dcc.Input(id={"type": "lever-month", "service": name}, type="number", min=0, step=1, value=0,
                              style={"width": "110px"})),
            html.Td(html.Span(id={"type": "now-capacity", "service": name}, style={"color": "#444"})),
            html.Td(dcc.Input(id={"type": "lever-capacity", "service": name}, type="number", min=0, step=1,
                              disabled=info.capacity_path is None, placeholder="no change" if info.capacity_path else "n/a",
                              style={"width": "160px"})),
            html.Td(html.Span(id={"type": "now-cost", "service": name}, style={"color": "#444"})),
            html.Td(dcc.Input(id={"type": "lever-cost", "service": name}, type="number", min=0,
                              placeholder="no change", style={"width": "160px"})),
            html.Td(cost_unit, style={"color": "#555"}),
        ]))
    programme_rows = [
        html.Tr([html.Td(label, style={"fontWeight": "bold"}),
                 html.Td(html.Span(id={"type": "now-prog", "lever": key}, style={"color": "#444"})),
                 html.Td(dcc.Input(id={"type": "prog-value", "lever": key}, type="number", min=0, placeholder="no change",
                                   style={"width": "160px"})),
                 html.Td(["from month ", dcc.Input(id={"type": "prog-month", "lever": key}, type="number", min=0, step=1, value=0,
                                                   style={"width": "70px"})])])
        for key, (_, label) in PROGRAMME_LEVERS.items()
    ]
    return [
        html.P("Start from any scenario, change what you want to test, and run it. It joins the comparison when it finishes "
               "(only you see it). 'Download YAML' gives a file the command line accepts and that reproduces these numbers.",
               style=HELP),
        html.Div([
            html.Label("Start from", style={"fontWeight": "bold"}),
            dcc.Dropdown(id="build-start", clearable=False, style={"width": "480px"},
                         options=(start or {}).get("options", []), value=(start or {}).get("value"),
                         placeholder="the scenarios appear here when the first run finishes"),
        ]),
        html.Div([
            html.Label("Name ", style={"fontWeight": "bold"}),
            dcc.Input(id="build-name", type="text", value="My scenario", style={"width": "380px"}),
        ], style={"marginTop": "10px"}),
        html.Div([html.Label("What decision does it test?", style={"fontWeight": "bold"}),
                  dcc.Textarea(id="build-description", value="", style={"width": "800px", "height": "50px"})], style={"marginTop": "10px"}),
        html.Div(no_inherited_actions(), id="inherited-box", style={"marginTop": "12px"}),
        html.H3("Services", style=SECTION),
        html.P("'Places now' is the service's own capacity (peer support also grows by its peer leaders' groups). New places on "
               "a block contract change the contract's cost in proportion from the same month, unless you type a new cost.",
               style=HELP),
        html.Table([html.Thead(html.Tr([html.Th("Service"), html.Th("Open or close"), html.Th("From month"),
                                        html.Th("Places now"), html.Th("New places"), html.Th("Cost now"), html.Th("New cost (£, in the prices of 'Cost now')"), html.Th("")]))]
                   + [html.Tbody(lever_rows)], style={"borderSpacing": "8px 4px", "textAlign": "left"}),
        html.H3("When a service with users closes, they are referred", style=SECTION),
        html.Div([
            "for ", dcc.Dropdown(id="redirect-target", value=DEFAULT_REDIRECT["target"], clearable=False,
                                 options=[{"label": "a personal budget (council)", "value": "personal_budgets"},
                                          {"label": "a personal health budget (NHS)", "value": "personal_health_budgets"}],
                                 style={"width": "290px", "display": "inline-block", "verticalAlign": "middle"}),
            " (share of users) ", dcc.Input(id="redirect-budgets", type="number", min=0, max=1, step=0.05, value=DEFAULT_REDIRECT["budgets"], style={"width": "80px"}),
            "   to peer support ", dcc.Input(id="redirect-peer", type="number", min=0, max=1, step=0.05, value=DEFAULT_REDIRECT["peer"], style={"width": "80px"}),
            "   and those left without a place have crisis risk x ", dcc.Input(id="raised-mult", type="number", min=0, step=0.1, value=DEFAULT_REDIRECT["multiplier"], style={"width": "70px"}),
            " for ", dcc.Input(id="raised-months", type="number", min=0, step=1, value=DEFAULT_REDIRECT["months"], style={"width": "60px"}), " months",
        ]),
        html.H3("Move a closing service's budget", style=SECTION),
        html.P("Close a service and move its block contract to other services: the money buys places at each service's "
               "price per place (its block contract over its places) or personal budgets at the budget a year, from the "
               "month the service closes. Each payer's account shows whether the package is budget-neutral for it.", style=HELP),
        html.Div([
            "Close ", dcc.Dropdown(id="reinvest-from", value=None, placeholder="no reinvestment",
                                   options=[{"label": SERVICES[n].label, "value": n} for n in closable_with_budget()],
                                   style={"width": "300px", "display": "inline-block", "verticalAlign": "middle"}),
            " (at the month set for it above) and move its budget to:",
        ]),
        # a row for every target; the closing service's own row is hidden (show_reinvestment_choices): its budget
        # cannot move to itself
        html.Table([html.Tr([html.Td(SERVICES[n].label, style={"fontWeight": "bold"}),
                             html.Td(dcc.Input(id={"type": "reinvest-share", "service": n}, type="number", min=0, max=100, step=5,
                                               placeholder="0", style={"width": "90px"})),
                             html.Td("% of the freed budget")], id={"type": "reinvest-row", "service": n})
                    for n in reinvestment_targets()],
                   style={"borderSpacing": "8px 4px"}),
        html.Div(id="reinvest-account", style={"marginTop": "8px"}),
        html.H3("Programmes and budgets", style=SECTION),
        html.Table(programme_rows + [html.Tr([
            html.Td("One integrated budget assessment", style={"fontWeight": "bold"}),
            html.Td(""),
            html.Td(dcc.RadioItems(id="budget-integrated", inline=True, value="keep",
                                   options=[{"label": " unchanged ", "value": "keep"}, {"label": " on ", "value": "on"}, {"label": " off", "value": "off"}])),
            html.Td(["from month ", dcc.Input(id="budget-month", type="number", min=0, step=1, value=0, style={"width": "70px"})]),
        ])], style={"borderSpacing": "8px"}),
        html.Div([
            html.Button("Check", id="build-check", style=BUTTON),
            html.Button("Run", id="build-run", style={**BUTTON, "backgroundColor": "#0072B2", "color": "white"}),
            html.Button("Download YAML", id="build-download", style=BUTTON),
            dcc.Download(id="dl-yaml"),
        ], style={"marginTop": "18px"}),
        html.H3("Or upload a scenario file", style=SECTION),
        dcc.Upload(id="upload", children=html.Div(["Drop a YAML scenario here or ", html.A("choose a file", style={"textDecoration": "underline"})]),
                   max_size=MAX_UPLOAD_BYTES, multiple=False,
                   style={"width": "600px", "height": "60px", "lineHeight": "60px", "borderWidth": "2px", "borderStyle": "dashed",
                          "borderRadius": "6px", "textAlign": "center"}),
        html.Div(id="build-messages", style={"marginTop": "14px"}),
    ]


def builder_tail() -> list:
    """The part of the Build tab that is in the page from the start: the scenarios kept in this browser come back
    in a new tab (restore), and the session's runs show their progress, before the tab is ever opened."""
    return [
        html.Div([html.Span(id="restore-message", style={"color": "#555", "marginRight": "12px"}),
                  html.Button("Forget the scenarios kept in this browser", id="forget-own",
                              style={**BUTTON, "fontSize": "13px", "padding": "2px 10px"})], style={"marginTop": "10px"}),
        html.H3("Your runs", style=SECTION),
        html.Div(id="jobs"),
        html.Div(id="cancel-message", style={"color": "#555"}),
    ]


def layout(state: AppState, sweeps_root: Path | None = None, builder: bool = False) -> html.Div:
    """The page. The Build tab's levers (``builder_body``) are left out unless ``builder``: they are made when the tab
    is first opened, so the first view's page has about 420 components instead of 650 (the validation layout has them)."""
    build_tab = html.Div([html.Div(builder_body() if builder else [], id="build-body"), *builder_tail()])
    about_tab = html.Div([
        html.P(["mhsim simulates adults in contact with secondary mental health or social care in Essex, as the 2015 report ",
                html.I("Hope for Better Mental Health"), " describes it: people move between the community, crisis home treatment, "
                "acute beds (out of area when none is free), residential care, Intensive Enablement tenancies, recovery and death, "
                "holding a day centre place, peer support, Recovery College courses, personal budgets or carer support. "
                f"Costs are in {prices()} (£; older unit costs are uprated), discounted at 3.5% a year, and split by who pays."], style=HELP),
        html.Div(id="about-plan", style=HELP),
        html.H3("Every default and where it comes from"),
        dag.AgGrid(
            id="assumptions", className="ag-theme-alpine", style={"height": "600px", "width": "100%"},
            columnDefs=[{"headerName": c, "field": c, "filter": True, "sortable": True, "wrapText": True, "autoHeight": True,
                         "flex": 3 if c == "Source or assumption" else 1, "minWidth": 120}
                        for c in ("Parameter", "Value", "Unit", "Range", "Source or assumption")],
            # wrapped text at a text's line height, not the row's (ag-grid's cells inherit a line height of a whole
            # row, about 40 px, so every wrapped line was a row tall)
            defaultColDef={"cellStyle": {"lineHeight": "1.4", "paddingTop": "8px", "paddingBottom": "8px",
                                         "wordBreak": "normal"}},
            rowData=[],   # filled when the tab is first opened (assumption_rows): the first view's layout stays small
            # the page size is one the 'Page Size' selector offers (ag-grid's own are 20, 50 and 100)
            dashGridOptions={"pagination": True, "paginationPageSize": 50, "paginationPageSizeSelector": [20, 50, 100]},
        ),
    ])
    return html.Div([
        dcc.Location(id="url"),
        dcc.Store(id="session-id", storage_type="session"),
        dcc.Store(id="known-keys"),
        dcc.Store(id="auto-chosen"),
        dcc.Store(id="own-yaml", storage_type="local"),   # the scenarios this browser built or uploaded, kept across tabs
        dcc.Store(id="build-yaml"),
        dcc.Store(id="build-choices"),   # what the builder's 'Start from' offers and holds, kept while its tab is unopened
        dcc.Store(id="build-opened"),    # the builder's levers are made (the first time its tab opened)
        dcc.Interval(id="tick", interval=1000),
        html.H1("What happens if we change the system, and who pays?", style={"fontSize": "28px", "marginBottom": "4px"}),
        html.Div(id="plan-info", style={"color": "#333", "fontSize": "15px"}),
        html.Div(id="startup", style={"marginTop": "8px"}),
        dcc.Tabs(id="tabs", value="compare", children=[
            dcc.Tab(label="Compare decisions", value="compare", children=compare_tab()),
            dcc.Tab(label="Build a scenario", value="build", children=build_tab),
            dcc.Tab(label="Sweeps", value="sweeps", children=sweep_tab(sweeps_root)),
            dcc.Tab(label="About the model", value="about", children=about_tab),
        ], style={"marginTop": "12px"}),
    ], style={"fontFamily": "Arial, Helvetica, sans-serif", "margin": "16px 24px", "maxWidth": "1400px"})


def _unit_with_prices(spec) -> str:
    """A parameter's unit, and for money the year its prices are in (and that the model uprates it)."""
    if not spec.price_year:
        return spec.unit
    if spec.price_year == price_year():
        return f"{spec.unit} ({spec.price_year} prices)"
    return f"{spec.unit} ({spec.price_year} prices; the model uprates it to {price_year()})"


def assumption_rows() -> list[dict]:
    """Every default and where it comes from, for the About tab's table."""
    return [{"Parameter": spec.plain_label(), "Value": str(spec.value),
             "Unit": _unit_with_prices(spec),
             "Range": f"{spec.low} to {spec.high}" if spec.low is not None else "",
             "Source or assumption": spec.source or f"assumption: {spec.assumption}"} for spec in shipped_catalogue().values()]


def _progress_bar(fraction: float, text: str, element_id: str | None = None) -> html.Div:
    pct = max(0.0, min(1.0, fraction)) * 100
    bar = html.Div(style={"width": f"{pct:.0f}%", "height": "100%", "backgroundColor": "#0072B2"})
    attrs: dict[str, Any] = {"id": element_id} if element_id else {}
    return html.Div([
        html.Div(bar, style={"width": "360px", "height": "14px", "border": "1px solid #0072B2", "display": "inline-block", "verticalAlign": "middle"}),
        html.Span(f"  {text}", style={"fontSize": "15px"}),
    ], **attrs)


def _num(value, default=None):
    if value is None or value == "":
        return default
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return v if math.isfinite(v) else default


def _lever_problems(named_values) -> list[Problem]:
    """Lever values that are given but are not numbers (a page only sends numbers; anything else is refused,
    never quietly replaced by a default)."""
    out = []
    for name, value in named_values:
        if value is None or value == "":
            continue
        if isinstance(value, bool) or _num(value) is None:
            out.append(Problem("the page", "not a number", field=name, value=value, allowed="a finite number"))
    return out


def register_callbacks(app: Dash, state: AppState) -> None:
    """Every callback of the Compare, Build and Present tabs (the Sweeps tab registers its own)."""
    _register_choices(app, state)
    _register_status(app, state)
    register_compare(app, state)
    _register_current_values(app, state)
    _register_builder_tab(app, state)
    _register_builder(app, state)
    _register_jobs(app, state)


def _register_builder_tab(app: Dash, state: AppState) -> None:
    """The Build tab's levers are made the first time the tab is opened, and then kept: switching tabs hides them
    with everything typed in them (the page holds their values), and never makes them again."""
    @app.callback(Output("build-body", "children"), Output("build-opened", "data"), Input("tabs", "value"),
                  State("build-opened", "data"), State("build-choices", "data"), State("session-id", "data"),
                  prevent_initial_call=True)
    def open_builder(tab, opened, start, session):
        if tab != "build" or opened:
            return no_update, no_update
        return builder_view(state, session, start), True


def _register_choices(app: Dash, state: AppState) -> None:
    """The session, and the scenarios each picker offers."""
    @app.callback(Output("session-id", "data"), Input("url", "pathname"), State("session-id", "data"))
    def start_session(_path, current):
        # only the server issues session ids (signed): anything else the page holds is replaced
        return current if state.valid(current) else state.new_session()

    @app.callback(
        *[Output(cid, prop) for cid, prop in CHOICE_PROPS],
        Input("tick", "n_intervals"), Input("session-id", "data"), Input("scenarios", "value"),
        State("known-keys", "data"), State("baseline", "value"),
        State("build-start", "value", allow_optional=True),   # the builder's picker: absent until its tab is opened
        State("auto-chosen", "data"), State("focus", "value"), State("focus", "options"),
    )
    def refresh_choices(_n, session, chosen, known, base, start, auto, focus, focus_options):
        # the decision in detail follows the choices in this same callback, so the first view is drawn in one pass:
        # no chart waits for another callback to settle which decision it shows
        none = (no_update,) * len(CHOICE_PROPS)
        if not session:
            return none
        if ctx.triggered_id == "scenarios":   # the person changed the comparison: the decision in detail follows it
            options, new_focus = focus_choice(state.visible(session), list(chosen or []), focus)
            if options == (focus_options or []) and new_focus == focus:
                return none
            return none[:6] + (options, new_focus, no_update)
        if known == [r.key for r in state.visible(session)]:
            return none
        return choice_props(choices(state, session, chosen, known, base, start, auto, focus))

    @app.callback(Output("build-start", "options"), Output("build-start", "value"), Input("build-choices", "data"),
                  prevent_initial_call=True)
    def follow_choices(start):
        """The builder's picker follows the choices once its tab is open (until then the callback has no output
        in the page and does not run; the tab is made with the choices of the moment, see builder_body)."""
        return (start or {}).get("options", []), (start or {}).get("value")


def choices(state: AppState, session, chosen=None, known=None, base=None, start=None, auto=None, focus=None) -> tuple:
    """What every picker offers and holds for a session: (known keys, baseline options, scenario options, builder
    options, baseline, compared, builder start, auto-chosen, decision-in-detail options, decision in detail). With no
    session and nothing chosen: the first view's (the page is served with it, see :func:`first_view_props`)."""
    results = state.visible(session)
    keys = [r.key for r in results]
    known = known or []
    opts = _options(results)
    builder_opts = _options(state.scenarios_for_builder(session))
    if base not in keys:
        base = _default_baseline(results)
    page_focus = (auto or {}).get("focus")
    chosen, auto = _join_new(keys, known, base, chosen, auto)
    if start not in [o["value"] for o in builder_opts]:
        start = base if base in [o["value"] for o in builder_opts] else (builder_opts[0]["value"] if builder_opts else None)
    # a decision in detail the page chose (not the person) is chosen again as decisions arrive: a closure that
    # finishes after the first decision still becomes the default
    mine = focus is not None and focus != page_focus          # the person picked it
    focus_options, new_focus = focus_choice(results, chosen, focus if mine else None)
    auto["focus"] = page_focus if mine and new_focus == focus else new_focus
    return keys, opts, opts, builder_opts, base, chosen, start, auto, focus_options, new_focus


CHOICE_PROPS = (("known-keys", "data"), ("baseline", "options"), ("scenarios", "options"), ("baseline", "value"),
                ("scenarios", "value"), ("auto-chosen", "data"), ("focus", "options"), ("focus", "value"),
                ("build-choices", "data"))
"""The props :func:`choice_props` fills, in its order (the outputs of the page's refresh of its choices)."""


def choice_props(values: tuple) -> tuple:
    """:func:`choices` as the page holds it: the builder's options and start go in one store (build-choices), since
    the builder's picker is only made when its tab is first opened."""
    keys, opts, scenario_opts, builder_opts, base, chosen, start, auto, focus_options, focus = values
    return keys, opts, scenario_opts, base, chosen, auto, focus_options, focus, {"options": builder_opts, "value": start}


def first_view_props(state: AppState) -> dict[str, dict[str, Any]]:
    """The first view, put into the page as it is served (component id -> props): the choices a new session gets
    and, with results, everything the Compare tab shows for them (made once, see compare.warm_first_view). The
    page then draws it at once instead of waiting for a chain of callbacks; they run only when something changes."""
    from .compare import first_view

    props: dict[str, dict[str, Any]] = {}
    values = choices(state, None) if state.visible(None) else None
    if values is not None:
        for (cid, prop), value in zip(CHOICE_PROPS, choice_props(values)):
            props.setdefault(cid, {})[prop] = value
    info, bar, about = status_view(state)
    props.update({"plan-info": {"children": info}, "startup": {"children": bar}, "about-plan": {"children": about},
                  "jobs": {"children": html.Div(NO_RUNS, style={"color": "#555"})}})
    base_key, chosen, focus = (values[4], values[5], values[9]) if values is not None else (None, [], None)
    for cid, more in first_view(state, base_key, chosen, focus).items():
        props.setdefault(cid, {}).update(more)
    return props


def served_layout(state: AppState, sweeps_root: Path | None = None) -> html.Div:
    """The page as each request gets it: the layout with the first view filled in."""
    page = layout(state, sweeps_root)
    props = first_view_props(state)
    for component in page._traverse():
        cid = getattr(component, "id", None)
        if isinstance(cid, str) and cid in props:
            for prop, value in props[cid].items():
                setattr(component, prop, value)
    return page


def services_closed(r: ScenarioResults) -> int:
    """How many services a decision closes: its close actions, or (a results folder without its file) the services
    whose users its cohort followed."""
    if r.scenario is not None:
        return len({a.service for a in r.scenario.actions if a.verb == "close" and a.service})
    if r.cohort is not None and not r.cohort.empty and "service" in r.cohort.columns:
        return int(r.cohort["service"].nunique())
    return 0


def default_focus(candidates: list[ScenarioResults]) -> ScenarioResults | None:
    """The decision shown in detail unless the person picks one: the most decision-relevant, a closure (it displaces
    people, so the cohort, the budget and the flows have most to show), the plainest closure first (fewest services
    closed), then the comparison's order; with no closure, the first decision."""
    closures = [(services_closed(r), i, r) for i, r in enumerate(candidates)]
    closures = [c for c in closures if c[0] > 0]
    if closures:
        return min(closures, key=lambda c: (c[0], c[1]))[2]
    return candidates[0] if candidates else None


def focus_choice(results: list[ScenarioResults], chosen: list[str], focus) -> tuple[list[dict], str | None]:
    """The decisions that may be looked at in detail (those compared) and the one that is: kept if still compared,
    else the default (:func:`default_focus`)."""
    by_key = {r.key: r for r in results}
    compared = [by_key[k] for k in chosen if k in by_key]
    options = [{"label": r.label, "value": r.key} for r in compared]
    if focus not in [o["value"] for o in options]:
        best = default_focus(compared)
        focus = best.key if best is not None else None
    return options, focus


def _join_new(keys: list[str], known: list[str], base, chosen, auto) -> tuple[list[str], dict]:
    """Results that arrive join the comparison (the shipped decisions as the first start finishes each one, and a
    person's own runs), until the person changes the choice themselves: from then on only their own runs join,
    and nothing they removed is put back."""
    chosen = list(chosen or [])
    auto = dict(auto or {"value": None, "touched": False})
    touched = auto.get("touched") or (auto.get("value") is not None and chosen != auto["value"])
    new = [k for k in keys if k not in known and k != base and (not touched or k.startswith("own-"))]
    chosen = [k for k in chosen if k in keys and k != base] + [k for k in new if k not in chosen]
    return chosen, {"value": chosen, "touched": bool(touched)}


def _register_status(app: Dash, state: AppState) -> None:
    """The plan and the first start's progress; the About tab's table when the tab is first opened."""
    @app.callback(Output("assumptions", "rowData"), Input("tabs", "value"), State("assumptions", "rowData"),
                  prevent_initial_call=True)
    def fill_assumptions(tab, rows):
        return assumption_rows() if tab == "about" and not rows else no_update

    @app.callback(Output("plan-info", "children"), Output("startup", "children"), Output("about-plan", "children"),
                  Input("tick", "n_intervals"), State("plan-info", "children"), State("startup", "children"))
    def show_status(_n, shown_info, shown_bar):
        info, bar, about = status_view(state)
        if not bar and not shown_bar and info == shown_info:   # nothing changed: the page redraws nothing
            return no_update, no_update, no_update
        return info, bar, about


def status_view(state: AppState) -> tuple[str, Any, str]:
    """The plan in words, the first start's progress bar (or failure), and the About tab's line on the runs."""
    job = state.startup
    plan = state.plan.describe()
    info = f"Showing {state.source}: {plan}. Money in {prices()} (£), discounted at 3.5% a year unless marked cash."
    bar: Any = ""
    if job.status == "running":
        bar = html.Div([_progress_bar(job.fraction, f"Running the shipped scenarios for the first time: {job.done} of "
                                                    f"{job.total} replications (results are kept, so later starts are "
                                                    "instant)", "startup-progress"), *_startup_notes(state)])
    elif job.status == "failed":
        bar = html.Div(f"Running the shipped scenarios failed: {job.message}", style={"color": "#a00"})
    elif job.status == "done":   # the first start is over: where the simulation contradicted the twin stays flagged
        kept = _startup_notes(state, kinds=("disagreement",))
        bar = html.Div(kept) if kept else ""
    return info, bar, f"Runs shown: {plan}."


def _startup_notes(state: AppState, kinds: tuple[str, ...] = ("preview", "agreement", "disagreement")) -> list[Any]:
    """Under the first start's progress bar: each decision's twin estimate while its replications run, then
    whether the simulation's figures agree with it (only notes of ``kinds``)."""
    rows: list[Any] = []
    for name, kind, text in (n for n in state.startup_notes() if n[1] in kinds):
        rows.append(html.Div([html.B(f"{name}: "), text], className=f"startup-{kind}",
                             style={"color": "#333", "margin": "4px 0", "fontSize": "14px"}))
    return rows


def _now_cost(values: dict, service: str) -> str:
    """The cost lever's current value in words: a block contract a year (and per place), or a unit price."""
    if service not in UNIT_COSTS:
        return ""
    path = UNIT_COSTS[service]
    value = float(values[path])
    spec = shipped_catalogue()[path]
    year = f" in {spec.price_year} prices" if spec.price_year else ""
    if block_funded(service):
        places = float(values[SERVICES[service].capacity_path])
        per = f"; £{value / places:,.0f} a place" if places > 0 else ""
        return f"£{value:,.0f} a year{year} (block contract{per})"
    unit = spec.unit.replace("£ ", "").replace("£", "").strip()
    return f"£{value:,.0f} {unit}{year}".strip()


def current_values(state: AppState, session, start_key) -> tuple[list[str], list[str], list[str]]:
    """The builder's 'now' columns for a start scenario: each service's places and cost, and each programme's value."""
    start = state.find(session, start_key)
    values = start.scenario.values if start and start.scenario else {p: s.value for p, s in shipped_catalogue().items()}
    opened = {name: values[info.open_path] for name, info in SERVICES.items() if info.open_path}
    caps = []
    for s in service_order():
        info = SERVICES[s]
        text = f"{values[info.capacity_path]:,}" if info.capacity_path else "-"
        if info.open_path and not opened[s]:
            text += " (closed)"
        caps.append(text)
    costs = [_now_cost(values, s) for s in service_order()]
    progs = [f"now {values[path]:,g}" for path, _ in PROGRAMME_LEVERS.values()]
    return caps, costs, progs


def no_inherited_actions() -> dcc.Checklist:
    """The start scenario's actions to untick, when it has none (hidden: the builder reads it all the same)."""
    return dcc.Checklist(id="inherited-actions", value=[], options=[], style={"display": "none"})


def start_levers(state: AppState, session, start_key) -> tuple | None:
    """The levers set to what a start scenario does: (statuses, months, places, referral target, budgets' share, peer
    support's share, crisis multiplier, its months, the box of its actions to untick); None without the scenario."""
    start = state.find(session, start_key)
    if start is None or start.scenario is None:
        return None
    shown = lever_settings(start.scenario)
    svc = shown["services"]
    red = shown["redirect"] or DEFAULT_REDIRECT
    statuses = [svc.get(n, {}).get("status", "keep") for n in service_order()]
    months = [svc.get(n, {}).get("month", 0) for n in service_order()]
    capacities = [svc.get(n, {}).get("capacity") for n in service_order()]
    actions = start.scenario.actions
    box: Any = no_inherited_actions()
    if actions:
        box = html.Div([
            html.B(f"What '{start.label}' does (kept unless you untick it; its service actions are shown in the levers "
                   "below, and changing a lever changes the action):"),
            dcc.Checklist(id="inherited-actions", value=list(range(len(actions))),
                          options=[{"label": " " + a.describe(), "value": i} for i, a in enumerate(actions)],
                          labelStyle={"display": "block"}),
        ], id="inherited-view", style={**HELP, "border": "1px solid #ccd", "padding": "8px", "borderRadius": "4px"})
    return (statuses, months, capacities, red["target"], red["budgets"], red["peer"], red["multiplier"], red["months"], box)


def builder_view(state: AppState, session, start: dict | None) -> list:
    """The Build tab's levers as the tab first opens: set to the start scenario at once (its 'now' columns, its
    actions in the levers), so nothing typed in the tab is overwritten by an answer arriving after it."""
    body = builder_body(start)
    start_key = (start or {}).get("value")
    caps, costs, progs = current_values(state, session, start_key)
    fill: dict[str, dict[str, Any]] = {}
    for name, cap, cost in zip(service_order(), caps, costs):
        fill[_id_key({"type": "now-capacity", "service": name})] = {"children": cap}
        fill[_id_key({"type": "now-cost", "service": name})] = {"children": cost}
    for key, prog in zip(PROGRAMME_LEVERS, progs):
        fill[_id_key({"type": "now-prog", "lever": key})] = {"children": prog}
    shown = start_levers(state, session, start_key)
    if shown is not None:
        statuses, months, capacities, target, budgets, peer, mult, raised_months, box = shown
        for name, status, month, capacity in zip(service_order(), statuses, months, capacities):
            fill[_id_key({"type": "lever-status", "service": name})] = {"value": status}
            fill[_id_key({"type": "lever-month", "service": name})] = {"value": month}
            fill[_id_key({"type": "lever-capacity", "service": name})] = {"value": capacity}
        fill.update({"redirect-target": {"value": target}, "redirect-budgets": {"value": budgets},
                     "redirect-peer": {"value": peer}, "raised-mult": {"value": mult},
                     "raised-months": {"value": raised_months}, "inherited-box": {"children": box}})
    for top in body:
        for component in [top, *top._traverse()]:
            cid = getattr(component, "id", None)
            for prop, value in fill.get(_id_key(cid), {}).items() if cid is not None else ():
                setattr(component, prop, value)
    return body


def _id_key(cid) -> str:
    return json.dumps(cid, sort_keys=True) if isinstance(cid, dict) else str(cid)


def _register_current_values(app: Dash, state: AppState) -> None:
    """The builder's 'now' column, and the levers set to what the start scenario does."""
    @app.callback(Output({"type": "now-capacity", "service": ALL}, "children"),
                  Output({"type": "now-cost", "service": ALL}, "children"),
                  Output({"type": "now-prog", "lever": ALL}, "children"),
                  Input("build-start", "value"), State("session-id", "data"), prevent_initial_call=True)
    def show_current_values(start_key, session):
        return current_values(state, session, start_key)

    @app.callback(Output({"type": "lever-status", "service": ALL}, "value"),
                  Output({"type": "lever-month", "service": ALL}, "value"),
                  Output({"type": "lever-capacity", "service": ALL}, "value"),
                  Output("redirect-target", "value"), Output("redirect-budgets", "value"), Output("redirect-peer", "value"),
                  Output("raised-mult", "value"), Output("raised-months", "value"), Output("inherited-box", "children"),
                  Input("build-start", "value"), State("session-id", "data"), prevent_initial_call=True)
    def show_start(start_key, session):
        shown = start_levers(state, session, start_key)
        if shown is None:   # wildcard outputs take a list, even of no_update
            keep = [no_update] * len(service_order())
            return (keep, keep, keep) + (no_update,) * 6
        return shown

    @app.callback(Output({"type": "reinvest-row", "service": ALL}, "style"),
                  Output({"type": "reinvest-share", "service": ALL}, "value"),
                  Input("reinvest-from", "value"), prevent_initial_call=True)
    def show_reinvestment_choices(source):
        return reinvestment_rows(source)

    @app.callback(Output("reinvest-account", "children"),
                  Input("reinvest-from", "value"), Input({"type": "reinvest-share", "service": ALL}, "value"),
                  Input("build-start", "value"), State("session-id", "data"), prevent_initial_call=True)
    def show_reinvestment(source, shares, start_key, session):
        start = state.find(session, start_key)
        if not source or start is None or start.scenario is None:
            return ""
        targets = [(n, (_num(v, 0.0) or 0.0) / 100) for n, v in zip(reinvestment_targets(), shares)]
        try:
            pkg = plan_reinvestment(start.scenario.params, start.scenario.values, source,
                                    [(n, sh) for n, sh in targets if sh > 0], _budget_holders(state, session))
        except ValueError as exc:
            return html.Div(str(exc), className="problem", style={"color": "#a33b00"})
        return reinvestment_view(pkg)


def reinvestment_rows(source: str | None) -> tuple[list, list]:
    """The reinvestment targets' rows for a closing service: each row's style (the closing service's own hidden, as
    it is not a choice: reinvestment_choices) and its share (the closing service's set to 0, the others kept)."""
    choices = set(reinvestment_choices(source))
    styles = [{} if n in choices else {"display": "none"} for n in reinvestment_targets()]
    values = [no_update if n in choices else 0 for n in reinvestment_targets()]   # 0, not None: a number box shows None as "NaN"
    return styles, values


def _budget_holders(state: AppState, session) -> float | None:
    """Personal budget holders now: the baseline run's mean at the end (the scale budgets are bought against)."""
    for r in state.visible(session):
        if r.name.lower().startswith("baseline") and "budget_holders_end" in r.replications.columns:
            return r.interval("budget_holders_end").mean
    return None


def reinvestment_view(pkg) -> html.Div:
    """The package's account: what each target buys, and each payer's money in and out."""
    rows = [html.Tr([html.Td(a.label), html.Td(f"{a.share:.0%}"), html.Td(f"£{a.amount:,.0f}"),
                     html.Td(f"{a.units:,.0f} {a.unit}s at £{a.unit_cost:,.0f} a year"),
                     html.Td("-" if a.new_capacity is None else
                             f"opens it with {a.new_capacity:,.0f} places" if a.opens else
                             f"{a.new_capacity:,.0f} places")]) for a in pkg.allocations]
    payers = [html.Tr([html.Td("NHS" if p == "nhs" else "Council"), html.Td(f"£{pkg.freed.get(p, 0):,.0f}"),
                       html.Td(f"£{pkg.spent[p]:,.0f}"), html.Td(f"{pkg.net[p]:+,.0f}"),
                       html.Td("yes" if pkg.neutral(p) else "no", className=f"neutral-{p}",
                               style={"fontWeight": "bold", "color": "#005a2b" if pkg.neutral(p) else "#a33b00"})])
              for p in ("nhs", "council")]
    return html.Div([
        html.Div(f"{pkg.closing_label} frees £{sum(pkg.freed.values()):,.0f} a year ({prices()}); "
                 f"£{pkg.unallocated:,.0f} a year is not moved."),
        html.Table([html.Thead(html.Tr([html.Th(c) for c in ("Moved to", "Share", f"£ a year ({prices()})", "Buys", "New capacity")])),
                    html.Tbody(rows)], className="plain"),
        html.Table([html.Thead(html.Tr([html.Th(c) for c in ("Payer", f"Stops paying (£ a year, {prices()})", "Pays for the new units",
                                                             f"Net change (£ a year, {prices()})", "Budget-neutral?")])),
                    html.Tbody(payers)], className="plain", id="neutrality-table", style={"marginTop": "6px"}),
        html.Div("Budget-neutral for every payer." if pkg.budget_neutral else
                 "Not budget-neutral: " + pkg.summary() + ".", id="neutrality-words", style={"fontWeight": "bold"}),
    ], id="reinvest-view", style=HELP)


def _range_problems(named, low: float, high: float | None, allowed: str) -> list[Problem]:
    """Values given that are numbers but outside what the field allows (each reported, never clipped)."""
    out = []
    for name, value in named:
        v = _num(value)
        if v is None or isinstance(value, bool):
            continue
        if v < low or (high is not None and v > high):
            out.append(Problem("the page", "out of range", field=name, value=value, allowed=allowed))
    return out


def builder_problems(horizon_months: float, statuses, months, caps, costs, prog_values, prog_months, integrated_month,
                     r_budgets, r_peer, r_mult, r_months, shares, source: str | None = None) -> list[Problem]:
    """Every invalid field of the builder at once: not a number, negative, a month past the run, shares over 1, a
    share of the freed budget given to the closing service ``source`` itself."""
    svc = service_order()
    named_months = ([(f"{SERVICES[n].label}: from month", m) for n, m in zip(svc, months)]
                    + [(f"{PROGRAMME_LEVERS[k][1]}: from month", m) for k, m in zip(PROGRAMME_LEVERS, prog_months)]
                    + [("budget assessment: from month", integrated_month)])
    named_counts = ([(f"{SERVICES[n].label}: new places", c) for n, c in zip(svc, caps)]
                    + [(f"{SERVICES[n].label}: new cost", c) for n, c in zip(svc, costs)]
                    + [(f"{PROGRAMME_LEVERS[k][1]}: value", v) for k, v in zip(PROGRAMME_LEVERS, prog_values)]
                    + [("crisis risk multiplier", r_mult), ("crisis risk months", r_months)])
    named_shares = [("redirect to budgets", r_budgets), ("redirect to peer support", r_peer)]
    named_pct = [(f"{SERVICES[n].label}: % of the freed budget", v) for n, v in zip(reinvestment_targets(), shares)]
    problems = _lever_problems(named_months + named_counts + named_shares + named_pct)
    problems += _range_problems(named_months, 0, horizon_months, f"0 to {horizon_months:g} (the months the run covers)")
    problems += _range_problems(named_counts, 0, None, "0 or more")
    problems += _range_problems(named_shares, 0, 1, "a share from 0 to 1")
    problems += _range_problems(named_pct, 0, 100, "0 to 100%")
    if (_num(r_budgets, 0) or 0) + (_num(r_peer, 0) or 0) > 1 + 1e-9:
        problems.append(Problem("the page", "the referral shares add up to more than everyone", field="redirect",
                                value=f"{r_budgets} + {r_peer}", allowed="at most 1 together"))
    if sum(_num(v, 0) or 0 for v in shares) > 100 + 1e-9:
        problems.append(Problem("the page", "more than all of the freed budget is moved", field="reinvestment",
                                value=f"{sum(_num(v, 0) or 0 for v in shares):g}%", allowed="at most 100% together"))
    problems += _self_reinvestment_problems(source, shares)
    return problems


def _self_reinvestment_problems(source: str | None, shares) -> list[Problem]:
    """A share of the freed budget given to the service that closes (its row is hidden, but a share can still arrive)."""
    from simulation.reinvestment import self_reinvestment_message

    out = []
    for n, v in zip(reinvestment_targets(), shares):
        if source and n == source and (_num(v, 0) or 0) > 0:
            out.append(Problem("the page", self_reinvestment_message(SERVICES[n].label),
                               field=f"{SERVICES[n].label}: % of the freed budget", value=v, allowed="0"))
    return out


def _compose(state: AppState, start_key, session, name, description, statuses, months, caps, costs, prog_values, prog_months,
             integrated, integrated_month, r_budgets, r_peer, r_mult, r_months, r_target, kept, source, shares):
    start = state.find(session, start_key)
    if start is None or start.scenario is None:
        raise InputError([])
    problems = builder_problems(state.plan.years * 12, statuses, months, caps, costs, prog_values, prog_months,
                                integrated_month, r_budgets, r_peer, r_mult, r_months, shares, source)
    statuses = list(statuses)
    if source and source in service_order():
        i = service_order().index(source)
        if statuses[i] != "close":
            statuses[i] = "close"  # moving a service's budget closes it
    if problems:
        raise InputError(problems)
    services = []
    for svc, status, month, cap, cost in zip(service_order(), statuses, months, caps, costs):
        services.append(ServiceLever(svc, status or "keep", _num(month, 0.0), None if _num(cap) is None else int(_num(cap)), _num(cost)))
    programmes = {key: (_num(v), _num(m, 0.0)) for key, v, m in zip(PROGRAMME_LEVERS, prog_values, prog_months)}
    n_start = len(start.scenario.actions)
    dropped = tuple(i for i in range(n_start) if kept is not None and i not in kept)
    reinvest = tuple((n, (_num(v, 0.0) or 0.0) / 100) for n, v in zip(reinvestment_targets(), shares) if (_num(v, 0.0) or 0) > 0)
    levers = Levers(name or "My scenario", description or "", services, programmes, integrated or "keep",
                    _num(integrated_month, 0.0), _num(r_budgets, DEFAULT_REDIRECT["budgets"]), _num(r_peer, DEFAULT_REDIRECT["peer"]),
                    _num(r_mult, DEFAULT_REDIRECT["multiplier"]), _num(r_months, DEFAULT_REDIRECT["months"]),
                    budget_target=r_target or DEFAULT_REDIRECT["target"], authoritative=True, dropped=dropped,
                    reinvest_from=source or None, reinvest=reinvest, budget_holders=_budget_holders(state, session))
    try:
        text = levers_to_yaml(start.scenario, levers)
    except ValueError as exc:
        raise InputError([Problem("the page", str(exc), field="reinvestment")]) from None
    return text, _read(state, text, f"{_file_name(levers.name)}")


def _register_builder(app: Dash, state: AppState) -> None:
    """The scenario builder: checking, running and downloading a built scenario, and uploads."""
    BUILD_STATES = [
        State("build-start", "value"), State("session-id", "data"), State("build-name", "value"), State("build-description", "value"),
        State({"type": "lever-status", "service": ALL}, "value"), State({"type": "lever-month", "service": ALL}, "value"),
        State({"type": "lever-capacity", "service": ALL}, "value"), State({"type": "lever-cost", "service": ALL}, "value"),
        State({"type": "prog-value", "lever": ALL}, "value"), State({"type": "prog-month", "lever": ALL}, "value"),
        State("budget-integrated", "value"), State("budget-month", "value"), State("redirect-budgets", "value"),
        State("redirect-peer", "value"), State("raised-mult", "value"), State("raised-months", "value"),
        State("redirect-target", "value"), State("inherited-actions", "value"), State("reinvest-from", "value"),
        State({"type": "reinvest-share", "service": ALL}, "value"),
    ]

    @app.callback(Output("build-messages", "children"), Output("build-yaml", "data"), Output("dl-yaml", "data"),
                  Output("own-yaml", "data"),
                  Input("build-check", "n_clicks"), Input("build-run", "n_clicks"), Input("build-download", "n_clicks"),
                  Input("upload", "contents"), State("upload", "filename"), State("own-yaml", "data"), *BUILD_STATES,
                  prevent_initial_call=True)
    def build(_check, _run, _download, upload_contents, upload_name, own, start_key, session, *lever_values):
        trigger = ctx.triggered_id
        if trigger == "upload":
            message, text, download = handle_upload(state, upload_contents, upload_name, session)
            return message, text, download, _remember(own, text) if isinstance(text, str) and _ran(message) else no_update
        try:
            text, scenario = _compose(state, start_key, session, *lever_values)
        except InputError as exc:
            if not exc.problems:
                return html.Div("Pick a scenario to start from."), no_update, no_update, no_update
            return (_problems_view(f"{len(exc.problems)} problem(s) with these changes:", exc.problems), no_update, no_update,
                    no_update)
        if trigger == "build-download":
            return (html.Div(f"Downloaded '{scenario.name}'.", id="build-ok"), text,
                    dict(content=text, filename=_file_name(scenario.name), type="text/yaml"), no_update)
        if trigger == "build-run":
            try:
                job = state.submit(session, scenario, text)
            except QueueFull as exc:
                return _problems_view("Not run:", [str(exc)]), text, no_update, no_update
            except InputError as exc:
                return _problems_view("Not run:", exc.problems), text, no_update, no_update
            return (html.Div(f"Submitted '{scenario.name}' ({job.total} replications): see its progress under 'Your runs'. "
                             "It is kept in this browser, so it comes back in a new tab.", id="build-ok"),
                    text, no_update, _remember(own, text))
        return html.Div(f"'{scenario.name}' is a valid scenario: {len(scenario.actions)} action(s), "
                        f"{len(scenario.overrides)} changed parameter(s).", id="build-ok"), text, no_update, no_update

    _register_kept(app, state)


def _register_kept(app: Dash, state: AppState) -> None:
    """Scenarios kept in the browser (local storage): back in every new tab, until the person forgets them."""
    @app.callback(Output("restore-message", "children"), Input("session-id", "data"), State("own-yaml", "data"))
    def restore(session, own):
        """Scenarios this browser built or uploaded come back in a new tab (their results are reused from the cache)."""
        if not session or not own:
            return no_update
        have = {r.yaml_text for r in state.visible(session) if r.yaml_text} | {
            j.scenario_text for j in state.session_jobs(session) if getattr(j, "scenario_text", None)}
        back = 0
        for text in own:
            if not isinstance(text, str) or text in have:
                continue
            try:
                scenario = _read(state, text, "kept.yaml")
                state.submit(session, scenario, text)
                back += 1
            except (InputError, QueueFull):
                continue
        return f"{back} of your scenarios kept in this browser came back." if back else ""

    @app.callback(Output("own-yaml", "data", allow_duplicate=True), Output("restore-message", "children", allow_duplicate=True),
                  Input("forget-own", "n_clicks"), prevent_initial_call=True)
    def forget(_n):
        return [], "This browser no longer keeps your scenarios (those in this tab stay until it closes)."


MAX_KEPT = 30
"""Scenarios a browser keeps (the oldest go first)."""


def _remember(own, text: str) -> list[str]:
    kept = [t for t in (own or []) if isinstance(t, str) and t != text]
    return (kept + [text])[-MAX_KEPT:]


def _ran(message) -> bool:
    return getattr(message, "id", None) == "build-ok"


def _register_jobs(app: Dash, state: AppState) -> None:
    """A session's runs and their progress."""
    @app.callback(Output("jobs", "children"), Input("tick", "n_intervals"), State("session-id", "data"),
                  State("jobs", "children"))
    def show_jobs(_n, session, shown):
        jobs = state.session_jobs(session)
        if not jobs:
            none_shown = isinstance(shown, dict) and shown.get("props", {}).get("children") == NO_RUNS
            return no_update if none_shown else html.Div(NO_RUNS, style={"color": "#555"})
        rows = []
        for job in jobs[::-1]:
            if job.status == "failed":
                rows.append(html.Div(f"{job.label}: failed ({job.message})", style={"color": "#a00"}, className="job-failed"))
            elif job.status == "cancelled":
                rows.append(html.Div(f"{job.label}: {job.message}", style={"color": "#555"}, className="job-cancelled"))
            elif job.status == "done":
                how = ("the same scenario had been run before, so its results were reused" if job.reused
                       else f"done in {job.finished - job.started:.0f} s")
                rows.append(html.Div(f"{job.label}: {how}; it is in the comparison.", className="job-done"))
                if job.agreement:   # the twin's estimate shown while it ran, checked against the simulation's figures
                    rows.append(html.Div(job.agreement, className="job-agreement", style={"color": "#333", "margin": "4px 0 10px 0"}))
            else:
                what = (f"{job.label}: {job.message}" if job.message else
                        f"{job.label}: waiting for a free worker" if job.status == "queued" else
                        f"{job.label}: {job.done} of {job.total} replications")
                rows.append(html.Div([_progress_bar(job.fraction, what),
                                      html.Button("Cancel", id={"type": "cancel-job", "job": job.id}, className="cancel-job",
                                                  style={**BUTTON, "marginLeft": "12px", "fontSize": "13px", "padding": "2px 10px"})]))
                if job.preview:
                    rows.append(html.Div(job.preview, className="job-preview", style={"color": "#333", "margin": "4px 0 10px 0"}))
        return rows


NO_RUNS = "None yet."


def _problems_view(title: str, problems) -> html.Div:
    return html.Div([
        html.Div(title, style={"fontWeight": "bold", "color": "#a33b00"}),
        html.Ul([html.Li(str(p), className="problem") for p in problems], id="problem-list"),
    ], id="build-problems")


def _read(state: AppState, text, name):
    """Check a scenario text against this server's run (its horizon and size)."""
    plan = state.plan
    return read_scenario_text(text, name, years=plan.years, scale=plan.scale, warmup_years=plan.warmup_years)


def handle_upload(state: AppState, contents, filename, session):
    """The upload callback: (messages, the YAML kept, no download). Never raises: every problem is shown in the page."""
    name = filename if isinstance(filename, str) and filename.strip() else "uploaded.yaml"
    name = printable(name)[:120]
    if not isinstance(contents, str) or not contents:
        return _problems_view("The upload was empty or too large:", [f"{name}: at most {MAX_UPLOAD_BYTES:,} bytes of YAML"]), no_update, no_update
    try:
        _, b64 = contents.split(",", 1)
        raw = base64.b64decode(b64, validate=True)
    except (ValueError, binascii.Error):
        return _problems_view("The upload could not be read:", [f"{name}: not a readable file"]), no_update, no_update
    if len(raw) > MAX_UPLOAD_BYTES:
        return _problems_view("The upload is too large:", [f"{name}: {len(raw):,} bytes; at most {MAX_UPLOAD_BYTES:,} bytes"]), no_update, no_update
    try:
        scenario = _read(state, raw, name)
    except InputError as exc:
        return _problems_view(f"{len(exc.problems)} problem(s) in {name}:", exc.problems), no_update, no_update
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        job = state.submit(session, scenario, text, origin="uploaded")
    except QueueFull as exc:
        return _problems_view(f"'{scenario.name}' is valid but was not run:", [str(exc)]), text, no_update
    except InputError as exc:
        return _problems_view(f"'{scenario.name}' was not run:", exc.problems), text, no_update
    return html.Div(f"'{scenario.name}' from {name} is valid; running it ({job.total} replications).", id="build-ok"), text, no_update


def _register_cancel(app: Dash, state: AppState) -> None:
    @app.callback(Output("cancel-message", "children"), Input({"type": "cancel-job", "job": ALL}, "n_clicks"),
                  State("session-id", "data"), prevent_initial_call=True)
    def cancel(clicks, session):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update
        job_id = trigger.get("job")
        if not isinstance(job_id, str):
            return no_update
        return "Cancelled." if state.cancel(session, job_id) else no_update


def _file_name(name: str) -> str:
    safe = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_") or "scenario"
    return f"{safe}.yaml"


def create_app(state: AppState, sweeps_root: Path | None = None, hosts: list[str] | None = None,
               password: str | None = None) -> Dash:
    """The page, its callbacks and the checks every request passes (see dashboard.server).

    ``sweeps_root``: the folder the Sweeps tab may open sweeps from (default ./results);
    ``hosts``: host names requests may carry (default this machine's).
    """
    root = Path(sweeps_root) if sweeps_root is not None else Path.cwd() / "results"
    app = Dash(__name__, title="mhsim: what if we change the system?", update_title=None,  # type: ignore[arg-type]  # None: no "Updating..." title
               serve_locally=True)
    app.validation_layout = validation_layout(state, root)  # type: ignore[assignment]  # before the layout: Dash checks every callback against it
    app.layout = lambda: served_layout(state, root)
    register_callbacks(app, state)
    _register_cancel(app, state)
    register_sweep_callbacks(app, root)
    harden(app, hosts or allowed_hosts("127.0.0.1"), health=state.health, password=password)
    return app


def serve(results: Path | None = None, host: str = "127.0.0.1", port: int = 8050, replications: int = 10,
          scale: float = 1.0, years: float = 10.0, seed: int = 1, workers: int = 1, sweeps_root: Path | None = None,
          allow_hosts: list[str] | None = None, limits=None, precision: list | None = None, max_reps: int = 200,
          progress=None) -> None:
    """Start the dashboard: load or run the shipped scenarios (or read a results folder) and serve the page.

    Raises InputError if ``results`` is not a sound results folder.
    """
    import sys

    from .data import Plan
    from .server import exposure_warning, password_from_env, serve_app

    started = time.perf_counter()
    plan = Plan(seed=seed, replications=replications, years=years, scale=scale, warmup_years=0.0)
    if precision and results is None:
        from .state import size_to_precision
        from simulation.scenario import SHIPPED_SCENARIOS, load_scenarios

        files = sorted(SHIPPED_SCENARIOS.glob("*.yaml"), key=lambda p: (p.name != "baseline.yaml", p.name))
        plan, outcome = size_to_precision(plan, load_scenarios(files), precision, max_reps, workers, progress)
        if progress is not None and hasattr(progress, "close"):
            progress.close()
        met = all(o["reached"] for o in outcome)
        print(f"Runs sized to the stated precision: {plan.replications} replications "
              f"({'every target met' if met else 'not every target met by --max-reps ' + str(max_reps)}).", flush=True)
    state = AppState(plan, workers=workers, limits=limits)
    try:
        if results is not None:
            state.load_results_folder(results)
        else:
            state.start_shipped()
        password = password_from_env()
        app = create_app(state, sweeps_root, allowed_hosts(host, allow_hosts or []), password)
        if state.startup.status == "done":   # cached results: make the first view before answering
            from .compare import warm_first_view

            warm_first_view(state)
        warning = exposure_warning(host, password)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        ready = "ready" if state.startup.status == "done" else "running the shipped scenarios in the background (progress in the page)"
        print(f"mhsim dashboard at http://{host}:{port}/  ({ready}; {time.perf_counter() - started:.1f} s to start)", flush=True)
        serve_app(app, host, port)
    finally:
        state.close()



def validation_layout(state: AppState, sweeps_root: Path | None = None) -> html.Div:
    """Every component a callback names, for Dash to check the callbacks against: those of the page with the builder's
    levers, and the part callbacks make (a run's Cancel button). Only their
    ids and types matter, and the page carries this in its config: each is an empty one of its kind, side by side."""
    full = [layout(state, sweeps_root, builder=True), html.Button(id={"type": "cancel-job", "job": "any"})]
    bare = [_bare(c) for top in full for c in [top, *top._traverse()] if getattr(c, "id", None) is not None]
    return html.Div(bare)


def _bare(component):
    """A component of the same kind and id, with no other props."""
    try:
        return type(component)(id=component.id)
    except TypeError:   # a kind with other required props keeps them
        return component
