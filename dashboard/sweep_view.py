"""The dashboard's Sweeps tab: open a sweep folder and see what its parameters do.

A metric against one parameter (line with a 95% band), against two (heatmap),
the one-way tornado and the Sobol bars, all drawn by
:mod:`dashboard.sweep_figures` (the same figures ``mhsim sensitivity`` saves).
Only folders inside the configured sweeps folder (``mhsim dashboard
--sweeps DIR``, default ``./results``) that hold a ``sweep-manifest.json``
are read, and only their Parquet and JSON files: a page cannot name any
other path on the server, and the messages it gets never say what exists
outside that folder.
"""

from __future__ import annotations

import threading
from pathlib import Path

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html, no_update

from simulation.errors import display_path
from simulation.sensitivity import SweepData, default_metrics, index_warnings, load_sweep, sobol_indices, tornado
from simulation.sweep import MANIFEST, SweepStore

from . import sweep_figures as SF
from .figures import layout
from simulation.formatting import years as years_text

HELP = {"color": "#444", "fontSize": "15px", "maxWidth": "1000px"}
SECTION = {"marginTop": "28px"}

_cache: dict[tuple, SweepData] = {}
_lock = threading.Lock()


def find_sweeps(*roots: Path) -> list[str]:
    """Sweep folders below the given folders (two levels deep), for the picker."""
    found = []
    for root in roots:
        if not root.is_dir():
            continue
        for pattern in (MANIFEST, f"*/{MANIFEST}", f"*/*/{MANIFEST}"):
            found += [display_path(p.parent) for p in sorted(root.glob(pattern))]
    return sorted(set(found))


def confine(root: Path, text: object) -> Path | None:
    """The sweep folder ``text`` names inside ``root`` (relative to it, or absolute inside it), or None."""
    if not isinstance(text, str) or not text.strip() or len(text) > 1000 or "\x00" in text:
        return None
    try:
        base = root.resolve()
        given = Path(text.strip())
        path = (given if given.is_absolute() else base / given).resolve()
        path.relative_to(base)
    except (OSError, ValueError, RuntimeError):
        return None
    return path


def shown(root: Path, path: Path) -> str:
    """A sweep folder as the page shows it: relative to the sweeps folder."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return path.name
    return str(rel) if str(rel) != "." else "."


def open_sweep(path: str) -> SweepData:
    """Read a sweep folder, reusing the last read while no new chunk has arrived."""
    root = Path(path).expanduser()
    store = SweepStore(root)
    chunks = store.chunk_files()
    key = (str(root.resolve()), len(chunks), chunks[-1].stat().st_mtime_ns if chunks else 0,
           store.manifest_path.stat().st_mtime_ns)
    with _lock:
        if key not in _cache:
            _cache.clear()
            _cache[key] = load_sweep(root)
        return _cache[key]


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=dict(size=16, color="#555"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, "", height=260)


OPEN_FIRST = {"data": [], "layout": {   # a plain figure (no template): the page's layout stays small
    "annotations": [{"text": "Open a sweep folder to see its figures.", "showarrow": False, "x": 0.5, "y": 0.5,
                     "xref": "paper", "yref": "paper", "font": {"size": 16, "color": "#555"}}],
    "xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 260, "plot_bgcolor": "white"}}


def sweep_tab(root: Path | None = None, default: str = "") -> html.Div:
    root = root or Path.cwd() / "results"
    choices = [shown(root, Path(c)) for c in find_sweeps(root)]
    return html.Div([
        html.P("Open a folder written by 'mhsim sweep' to see how an outcome changes with the parameters it varied. "
               "Every point was run with the same random numbers, so differences between points come from the parameters. "
               f"Sweeps are opened from the folder '{root.name}' this dashboard was given (mhsim dashboard --sweeps DIR).",
               style=HELP),
        html.Div([
            html.Label("Sweep folder ", htmlFor="sweep-dir", style={"fontWeight": "bold"}),
            dcc.Input(id="sweep-dir", type="text", value=default or (choices[0] if choices else ""), list="sweep-dirs",
                      placeholder="results/day-centre-sobol", style={"width": "520px"}),
            html.Datalist(id="sweep-dirs", children=[html.Option(value=c) for c in choices]),
            html.Button("Open", id="sweep-open", style={"fontSize": "15px", "padding": "6px 14px", "marginLeft": "10px", "cursor": "pointer"}),
        ]),
        html.Div(id="sweep-info", style={**HELP, "marginTop": "10px", "color": "#111"}),
        dcc.Store(id="sweep-path"),
        html.Div([
            html.Div([html.Label("Outcome", htmlFor="sweep-metric", style={"fontWeight": "bold"}),
                      dcc.Dropdown(id="sweep-metric", clearable=False)], style={"width": "32%", "display": "inline-block", "verticalAlign": "top"}),
            html.Div([html.Label("Parameter", htmlFor="sweep-x", style={"fontWeight": "bold"}),
                      dcc.Dropdown(id="sweep-x", clearable=False)], style={"width": "32%", "display": "inline-block", "marginLeft": "2%", "verticalAlign": "top"}),
            html.Div([html.Label("Second parameter (heatmap)", htmlFor="sweep-y", style={"fontWeight": "bold"}),
                      dcc.Dropdown(id="sweep-y")], style={"width": "32%", "display": "inline-block", "marginLeft": "2%", "verticalAlign": "top"}),
        ], style={"marginTop": "14px"}),
        html.H2("Against one parameter", style=SECTION),
        dcc.Graph(id="sweep-line", config={"displaylogo": False}, figure=OPEN_FIRST),
        html.H2("Against two parameters", style=SECTION),
        dcc.Graph(id="sweep-heatmap", config={"displaylogo": False}, figure=OPEN_FIRST),
        html.H2("One at a time (tornado)", style=SECTION),
        dcc.Graph(id="sweep-tornado", config={"displaylogo": False}, figure=OPEN_FIRST),
        html.H2("What drives the outcome (Sobol indices)", style=SECTION),
        html.Div(id="sweep-index-warnings", style={**HELP, "color": "#a33b00", "fontWeight": "bold"}),
        dcc.Graph(id="sweep-sobol", config={"displaylogo": False}, figure=OPEN_FIRST),
    ])


def register_sweep_callbacks(app: Dash, root: Path | None = None) -> None:
    """The Sweeps tab: open a sweep folder inside ``root`` (never outside it) and show its figures."""
    root = root or Path.cwd() / "results"
    _register_sweep_open(app, root)
    _register_sweep_figures(app, root)


def _register_sweep_open(app: Dash, root: Path) -> None:
    """Opening a folder: what the sweep is, and the metrics and parameters to pick."""

    def refuse(path: object) -> tuple:
        text = str(path)[:200] if isinstance(path, str) else "that"
        return (None, html.Span(f"{text} is not a sweep folder inside '{root.name}' (the folder this dashboard opens sweeps from).",
                                className="sweep-error", style={"color": "#a00"}), [], None, [], None, [], None)

    @app.callback(Output("sweep-path", "data"), Output("sweep-info", "children"),
                  Output("sweep-metric", "options"), Output("sweep-metric", "value"),
                  Output("sweep-x", "options"), Output("sweep-x", "value"),
                  Output("sweep-y", "options"), Output("sweep-y", "value"),
                  Input("sweep-open", "n_clicks"), State("sweep-dir", "value"), prevent_initial_call=True)
    def open_folder(_n, path):
        if not isinstance(path, str) or not path.strip():
            return None, "Type or pick a sweep folder.", [], None, [], None, [], None
        folder = confine(root, path)
        try:
            if folder is None or not (folder / MANIFEST).is_file():
                return refuse(path)
            data = open_sweep(str(folder))
        except Exception:  # damaged files: say so, never how (no paths, no error numbers)
            return (None, html.Span(f"{shown(root, folder)} cannot be read: its files are damaged or incomplete.",
                                    className="sweep-error", style={"color": "#a00"}), [], None, [], None, [], None)
        spec = data.spec
        arms = " against ".join(a.label for a in spec.arms)
        done, total = len(data.rows), len(data.design) * spec.reps
        status = "complete" if done >= total else f"in progress or stopped: {done} of {total} rows so far"
        info = html.Div([
            html.B(f"{spec.name or 'Sweep'}: "),
            f"{arms}; {spec.design} design, {len(data.design)} points x {spec.reps} replications, "
            f"{years_text(spec.years)} at scale {spec.scale:g}, seed {spec.seed} ({status}).",
        ], id="sweep-summary")
        arm_names = {a.key: a.label for a in spec.arms if a.key}
        metrics = data.metrics()
        first = default_metrics(data)
        ordered = first + [m for m in metrics if m not in first]
        metric_opts = [{"label": f"{SF.metric_words(m, arm_names)[0]}  [{m}]", "value": m} for m in ordered]
        params = [{"label": f.label or f.path, "value": f.path} for f in spec.factors]
        x = params[0]["value"] if params else None
        y = params[1]["value"] if len(params) > 1 else None
        return shown(root, folder), info, metric_opts, first[0] if first else None, params, x, params, y

def _register_sweep_figures(app: Dash, root: Path) -> None:
    """The open sweep's figures: against one or two parameters, the tornado and the Sobol bars."""
    @app.callback(Output("sweep-line", "figure"), Output("sweep-heatmap", "figure"), Output("sweep-tornado", "figure"),
                  Output("sweep-sobol", "figure"), Output("sweep-index-warnings", "children"),
                  Input("sweep-path", "data"), Input("sweep-metric", "value"), Input("sweep-x", "value"), Input("sweep-y", "value"),
                  prevent_initial_call=True)   # the layout shows 'open a sweep folder' already: nothing to draw at load
    def figures(path, metric, px, py):
        if not path or not metric:
            blank = _empty("Open a sweep folder to see its figures.")
            return blank, blank, blank, blank, ""
        folder = confine(root, path)  # the page's store is checked again: it is the page's to change
        try:
            if folder is None or not (folder / MANIFEST).is_file():
                raise ValueError
            data = open_sweep(str(folder))
        except Exception:
            blank = _empty("Cannot read this sweep: open a sweep folder again.")
            return blank, blank, blank, blank, ""
        if metric not in data.rows.columns:
            return (no_update,) * 5
        factors = {f.path: f for f in data.spec.factors}
        labels = {p: (f.label or p) for p, f in factors.items()}
        main = data.rows[data.rows["point"].isin(data.design.loc[data.design["block"] != "oneway", "point"])]
        if main.empty:
            main = data.rows
        if px in factors and not main.empty:
            line = SF.line_figure(main, metric, px, labels[px], factors[px].unit)
        else:
            line = _empty("Pick a parameter.")
        if px in factors and py in factors and py != px and not main.empty:
            heat = SF.heatmap_figure(main, metric, px, py, labels)
        else:
            heat = _empty("Pick a second parameter for the heatmap.")
        tor, sob, warnings = _indices(data, metric)
        return line, heat, tor, sob, warnings


def _indices(data: SweepData, metric: str) -> tuple[go.Figure, go.Figure, list]:
    """The tornado, the Sobol bars and the warnings that go wherever the indices appear."""
    if not data.complete:
        blank = _empty("The tornado and Sobol indices appear when the sweep is complete.")
        return blank, blank, []
    t = tornado(data, metric)
    tor = SF.tornado_figure(t, metric) if not t.empty else _empty("This sweep has no one-way points (it was run with --no-oneway).")
    if data.block("sobol").empty:
        return tor, _empty(f"A {data.spec.design} sweep has no Sobol indices: run one with --design sobol."), []
    table = sobol_indices(data, metric)
    words = index_warnings(table)
    return tor, SF.sobol_figure(table, metric), [html.Div(w, className="index-warning") for w in words]
