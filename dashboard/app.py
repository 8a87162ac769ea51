"""The commissioners' dashboard (Dash): compare, build, present.

``create_app(state)`` builds the page; ``serve(...)`` is what ``mhsim
dashboard`` runs. The page never runs the model itself: it asks the shared
:class:`~dashboard.state.AppState`, which runs scenarios in the background
with the same experiment API as the command line.
"""

from __future__ import annotations

import base64
import binascii
import math
import time
from pathlib import Path
from typing import Any

import dash_ag_grid as dag
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from simulation.catalogue import SERVICES
from simulation.errors import printable
from simulation.errors import InputError, Problem
from simulation.scenario import shipped_catalogue

from .builder import MAX_UPLOAD_BYTES, PROGRAMME_LEVERS, UNIT_COSTS, Levers, ServiceLever, levers_to_yaml, read_scenario_text
from .compare import compare_tab, register_compare
from .data import ScenarioResults
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


def layout(state: AppState, sweeps_root: Path | None = None) -> html.Div:
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
    build_tab = html.Div([
        html.P("Start from any scenario, change what you want to test, and run it. It joins the comparison when it finishes "
               "(only you see it). 'Download YAML' gives a file the command line accepts and that reproduces these numbers.",
               style=HELP),
        html.Div([
            html.Label("Start from", style={"fontWeight": "bold"}),
            dcc.Dropdown(id="build-start", clearable=False, style={"width": "480px"},
                         placeholder="the scenarios appear here when the first run finishes"),
        ]),
        html.Div([
            html.Label("Name ", style={"fontWeight": "bold"}),
            dcc.Input(id="build-name", type="text", value="My scenario", style={"width": "380px"}),
        ], style={"marginTop": "10px"}),
        html.Div([html.Label("What decision does it test?", style={"fontWeight": "bold"}),
                  dcc.Textarea(id="build-description", value="", style={"width": "800px", "height": "50px"})], style={"marginTop": "10px"}),
        html.H3("Services", style=SECTION),
        html.Table([html.Thead(html.Tr([html.Th("Service"), html.Th("Open or close"), html.Th("From month"),
                                        html.Th("Places now"), html.Th("New places"), html.Th("Cost now"), html.Th("New cost (£)"), html.Th("")]))]
                   + [html.Tbody(lever_rows)], style={"borderSpacing": "8px 4px", "textAlign": "left"}),
        html.H3("When a service with users closes, they are referred", style=SECTION),
        html.Div([
            "for a personal budget (share of users) ", dcc.Input(id="redirect-budgets", type="number", min=0, max=1, step=0.05, value=0.45, style={"width": "80px"}),
            "   to peer support ", dcc.Input(id="redirect-peer", type="number", min=0, max=1, step=0.05, value=0.35, style={"width": "80px"}),
            "   and those left without a place have crisis risk x ", dcc.Input(id="raised-mult", type="number", min=0, step=0.1, value=1.3, style={"width": "70px"}),
            " for ", dcc.Input(id="raised-months", type="number", min=0, step=1, value=6, style={"width": "60px"}), " months",
        ]),
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
        html.H3("Your runs", style=SECTION),
        html.Div(id="jobs"),
        html.Div(id="cancel-message", style={"color": "#555"}),
    ])
    about_tab = html.Div([
        html.P(["mhsim simulates adults in contact with secondary mental health or social care in Essex, as the 2015 report ",
                html.I("Hope for Better Mental Health"), " describes it: people move between the community, crisis home treatment, "
                "acute beds (out of area when none is free), residential care, Intensive Enablement tenancies, recovery and death, "
                "holding a day centre place, peer support, Recovery College courses, personal budgets or carer support. "
                "Costs are in 2024 pounds, discounted at 3.5% a year, and split by who pays."], style=HELP),
        html.Div(id="about-plan", style=HELP),
        html.H3("Every default and where it comes from"),
        dag.AgGrid(
            id="assumptions", className="ag-theme-alpine", style={"height": "600px", "width": "100%"},
            columnDefs=[{"headerName": c, "field": c, "filter": True, "sortable": True, "wrapText": True, "autoHeight": True,
                         "flex": 3 if c == "Source or assumption" else 1, "minWidth": 120}
                        for c in ("Parameter", "Value", "Unit", "Range", "Source or assumption")],
            rowData=[{"Parameter": spec.plain_label(), "Value": str(spec.value), "Unit": spec.unit,
                      "Range": f"{spec.low} to {spec.high}" if spec.low is not None else "",
                      "Source or assumption": spec.source or f"assumption: {spec.assumption}"} for spec in catalogue.values()],
            dashGridOptions={"pagination": True, "paginationPageSize": 40},
        ),
    ])
    return html.Div([
        dcc.Location(id="url"),
        dcc.Store(id="session-id", storage_type="session"),
        dcc.Store(id="known-keys"),
        dcc.Store(id="auto-chosen"),
        dcc.Store(id="own-yaml", storage_type="local"),   # the scenarios this browser built or uploaded, kept across tabs
        dcc.Store(id="build-yaml"),
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
    _register_builder(app, state)
    _register_jobs(app, state)


def _register_choices(app: Dash, state: AppState) -> None:
    """The session, and the scenarios each picker offers."""
    @app.callback(Output("session-id", "data"), Input("url", "pathname"), State("session-id", "data"))
    def start_session(_path, current):
        # only the server issues session ids (signed): anything else the page holds is replaced
        return current if state.valid(current) else state.new_session()

    @app.callback(
        Output("known-keys", "data"), Output("baseline", "options"), Output("scenarios", "options"),
        Output("build-start", "options"), Output("baseline", "value"), Output("scenarios", "value"),
        Output("build-start", "value"), Output("auto-chosen", "data"),
        Input("tick", "n_intervals"), Input("session-id", "data"),
        State("known-keys", "data"), State("baseline", "value"), State("scenarios", "value"),
        State("build-start", "value"), State("auto-chosen", "data"),
    )
    def refresh_choices(_n, session, known, base, chosen, start, auto):
        if not session:
            return (no_update,) * 8
        results = state.visible(session)
        keys = [r.key for r in results]
        if known == keys:
            return (no_update,) * 8
        known = known or []
        opts = _options(results)
        builder_opts = _options(state.scenarios_for_builder(session))
        if base not in keys:
            base = _default_baseline(results)
        chosen, auto = _join_new(keys, known, base, chosen, auto)
        if start not in [o["value"] for o in builder_opts]:
            start = base if base in [o["value"] for o in builder_opts] else (builder_opts[0]["value"] if builder_opts else None)
        return keys, opts, opts, builder_opts, base, chosen, start, auto


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
    """The plan and the first start's progress."""
    @app.callback(Output("plan-info", "children"), Output("startup", "children"), Output("about-plan", "children"),
                  Input("tick", "n_intervals"))
    def show_status(_n):
        job = state.startup
        plan = state.plan.describe()
        info = f"Showing {state.source}: {plan}. Costs in 2024 pounds, discounted at 3.5% a year."
        if job.status == "running":
            bar = _progress_bar(job.fraction, f"Running the shipped scenarios for the first time: {job.done} of {job.total} "
                                              "replications (results are kept, so later starts are instant)", "startup-progress")
        elif job.status == "failed":
            bar = html.Div(f"Running the shipped scenarios failed: {job.message}", style={"color": "#a00"})
        else:
            bar = ""
        return info, bar, f"Runs shown: {plan}."


def _register_current_values(app: Dash, state: AppState) -> None:
    """The builder's 'now' column: the values of the scenario it starts from."""
    @app.callback(Output({"type": "now-capacity", "service": ALL}, "children"),
                  Output({"type": "now-cost", "service": ALL}, "children"),
                  Output({"type": "now-prog", "lever": ALL}, "children"),
                  Input("build-start", "value"), State("session-id", "data"))
    def show_current_values(start_key, session):
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
        costs = [f"£{values[UNIT_COSTS[s]]:,.0f}" if s in UNIT_COSTS else "" for s in service_order()]
        progs = [f"now {values[path]:,g}" for path, _ in PROGRAMME_LEVERS.values()]
        return caps, costs, progs

def _register_builder(app: Dash, state: AppState) -> None:
    """The scenario builder: checking, running and downloading a built scenario, and uploads."""
    def _compose(start_key, session, name, description, statuses, months, caps, costs, prog_values, prog_months,
                 integrated, integrated_month, r_budgets, r_peer, r_mult, r_months):
        start = state.find(session, start_key)
        if start is None or start.scenario is None:
            raise InputError([])
        problems = _lever_problems(
            [(f"{svc}: from month", m) for svc, m in zip(service_order(), months)]
            + [(f"{svc}: new places", c) for svc, c in zip(service_order(), caps)]
            + [(f"{svc}: new cost", c) for svc, c in zip(service_order(), costs)]
            + [(f"{key}: value", v) for key, v in zip(PROGRAMME_LEVERS, prog_values)]
            + [(f"{key}: from month", m) for key, m in zip(PROGRAMME_LEVERS, prog_months)]
            + [("budget assessment: from month", integrated_month), ("redirect to personal budgets", r_budgets),
               ("redirect to peer support", r_peer), ("crisis risk multiplier", r_mult), ("crisis risk months", r_months)])
        if problems:
            raise InputError(problems)
        services = []
        for svc, status, month, cap, cost in zip(service_order(), statuses, months, caps, costs):
            services.append(ServiceLever(svc, status or "keep", _num(month, 0.0), None if _num(cap) is None else int(_num(cap)), _num(cost)))
        programmes = {key: (_num(v), _num(m, 0.0)) for key, v, m in zip(PROGRAMME_LEVERS, prog_values, prog_months)}
        levers = Levers(name or "My scenario", description or "", services, programmes, integrated or "keep",
                        _num(integrated_month, 0.0), _num(r_budgets, 0.45), _num(r_peer, 0.35), _num(r_mult, 1.3), _num(r_months, 6.0))
        text = levers_to_yaml(start.scenario, levers)
        return text, _read(state, text, f"{_file_name(levers.name)}")

    BUILD_STATES = [
        State("build-start", "value"), State("session-id", "data"), State("build-name", "value"), State("build-description", "value"),
        State({"type": "lever-status", "service": ALL}, "value"), State({"type": "lever-month", "service": ALL}, "value"),
        State({"type": "lever-capacity", "service": ALL}, "value"), State({"type": "lever-cost", "service": ALL}, "value"),
        State({"type": "prog-value", "lever": ALL}, "value"), State({"type": "prog-month", "lever": ALL}, "value"),
        State("budget-integrated", "value"), State("budget-month", "value"), State("redirect-budgets", "value"),
        State("redirect-peer", "value"), State("raised-mult", "value"), State("raised-months", "value"),
    ]

    @app.callback(Output("build-messages", "children"), Output("build-yaml", "data"), Output("dl-yaml", "data"),
                  Input("build-check", "n_clicks"), Input("build-run", "n_clicks"), Input("build-download", "n_clicks"),
                  Input("upload", "contents"), State("upload", "filename"), *BUILD_STATES, prevent_initial_call=True)
    def build(_check, _run, _download, upload_contents, upload_name, start_key, session, *lever_values):
        trigger = ctx.triggered_id
        if trigger == "upload":
            return handle_upload(state, upload_contents, upload_name, session)
        try:
            text, scenario = _compose(start_key, session, *lever_values)
        except InputError as exc:
            if not exc.problems:
                return html.Div("Pick a scenario to start from."), no_update, no_update
            return _problems_view(f"{len(exc.problems)} problem(s) with these changes:", exc.problems), no_update, no_update
        if trigger == "build-download":
            return (html.Div(f"Downloaded '{scenario.name}'.", id="build-ok"), text,
                    dict(content=text, filename=_file_name(scenario.name), type="text/yaml"))
        if trigger == "build-run":
            try:
                job = state.submit(session, scenario, text)
            except QueueFull as exc:
                return _problems_view("Not run:", [str(exc)]), text, no_update
            except InputError as exc:
                return _problems_view("Not run:", exc.problems), text, no_update
            return html.Div(f"Submitted '{scenario.name}' ({job.total} replications): see its progress under 'Your runs'.", id="build-ok"), text, no_update
        return html.Div(f"'{scenario.name}' is a valid scenario: {len(scenario.actions)} action(s), "
                        f"{len(scenario.overrides)} changed parameter(s).", id="build-ok"), text, no_update


def _register_jobs(app: Dash, state: AppState) -> None:
    """A session's runs and their progress."""
    @app.callback(Output("jobs", "children"), Input("tick", "n_intervals"), State("session-id", "data"))
    def show_jobs(_n, session):
        jobs = state.session_jobs(session)
        if not jobs:
            return html.Div("None yet.", style={"color": "#555"})
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
               suppress_callback_exceptions=True, serve_locally=True)
    app.layout = layout(state, root)
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
        warning = exposure_warning(host, password)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        ready = "ready" if state.startup.status == "done" else "running the shipped scenarios in the background (progress in the page)"
        print(f"mhsim dashboard at http://{host}:{port}/  ({ready}; {time.perf_counter() - started:.1f} s to start)", flush=True)
        serve_app(app, host, port)
    finally:
        state.close()

