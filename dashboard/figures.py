"""Figures: pure functions from results to Plotly figures.

The page, the HTML brief and PNG export all draw with these, so what a board
sees in the brief is what the commissioner saw in the page. Colours are the
Okabe-Ito palette, distinguishable with the common colour-vision
deficiencies; text is large enough for a projector.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import plotly.io as pio

from simulation.costs import service_label
from simulation.outcomes import METRICS, series_labels
from simulation.people import PLACE_LABELS, PLACE_NAMES

from .data import (
    SUBGROUP_LABELS, ScenarioResults, action_months, difference, mean_flows, monthly_band, monthly_difference, perspective_cost,
    prices,
)

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
PAYER_COLOURS = {"nhs": "#0072B2", "council": "#E69F00", "society": "#CC79A7", "health_and_care": "#009E73"}
PAYER_LABELS = {"nhs": "NHS", "council": "Council", "society": "Wider society"}
SERVICE_PALETTE = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#882255", "#AA4499")
"""Paul Tol's 'muted' scheme (colour-blind safe) for services, so no service wears a payer's colour."""
OTHER_SERVICES_COLOUR = "#BBBBBB"
RANK_WORTH, RANK_NOT_WORTH, RANK_30K = "#0072B2", "#D55E00", "#000000"
"""The ranking's marks: blue and vermilion (Okabe-Ito: told apart with every common colour-vision deficiency, and
the vermilion bars also hatched) for net benefit above and below zero at £20,000, black diamonds at £30,000."""
FONT = dict(family="Arial, Helvetica, sans-serif", size=15)

SERIES_LABELS = series_labels()
"""Label and unit of every monthly series (declared in simulation.outcomes)."""


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


pio.templates.default = "plotly_white"   # every figure starts from it (setting it per figure copies the template each time)


def layout(fig: go.Figure, title: str, height: int = 460) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.01, xanchor="left", y=1, yref="container", yanchor="top", pad=dict(t=14)),
        font=FONT, height=height,
        margin=dict(l=80, r=30, t=120, b=70),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, font=dict(size=14)),
        separators=".,",
    )
    return fit_axis_titles(fig)


CHAR_WIDTH = 0.55
"""A generous average width of a character of an axis title, in ems (Arial's in these titles is nearer 0.46)."""
MIN_TITLE_LINE = 12
GLUE = "\u2060"   # holds two words together through wrap() (a word joiner: not whitespace to str.split)


def axis_title_room(fig: go.Figure, axis: str, height: int | float | None = None) -> float:
    """The height in pixels a y-axis title has: the figure's height less its top and bottom margins, times the share
    of the plotting area the axis spans."""
    height = height or fig.layout.height or 450
    margin = fig.layout.margin
    top = margin.t if margin.t is not None else 100
    bottom = margin.b if margin.b is not None else 80
    domain = fig.layout[axis].domain or (0, 1)
    return max(0.0, (height - top - bottom) * (domain[1] - domain[0]))


def title_font_size(fig: go.Figure, axis: str) -> float:
    """An axis title's font size: its own, or Plotly's default of 1.2 times the figure's."""
    return fig.layout[axis].title.font.size or round(1.2 * float(fig.layout.font.size or 15))


def fit_axis_titles(fig: go.Figure, height: int | float | None = None) -> go.Figure:
    """Break every y-axis title into lines that fit the height of its axis, so that none is cut at the foot of the
    figure (a rotated title is centred on its axis and runs off both ends when longer than it), and let the left
    margin grow for the extra lines. ``height`` is the height the figure is drawn at (its own if not given)."""
    for axis in [k for k in fig.layout if k.startswith("yaxis")]:
        text = fig.layout[axis].title.text
        if not text:
            continue
        room = axis_title_room(fig, axis, height)
        width = max(MIN_TITLE_LINE, int(room / (CHAR_WIDTH * title_font_size(fig, axis))))
        plain = " ".join(text.replace("<br>", " ").split())
        for phrase in (prices(), "£ million"):   # never split: "2024 prices" is looked for whole
            plain = plain.replace(phrase, phrase.replace(" ", GLUE))
        fig.layout[axis].title.text = wrap(plain, width).replace(GLUE, " ")
        fig.layout[axis].automargin = True
    return fig


def waiting_figure(message: str = "Results appear here when the first run finishes: see its progress at the top of the page.") -> go.Figure:
    """What a chart shows before there are results to draw: a sentence, not empty axes."""
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(size=17, color="#444"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(font=FONT, height=220, margin=dict(l=20, r=20, t=20, b=20))
    return fig


def wrap(label: str, width: int = 18) -> str:
    """Break a long label into lines so that axis labels never overlap."""
    words, lines, line = label.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _months_to_dates(months, start: dt.date) -> list:
    """Calendar months for month numbers; month numbers alone if a date would fall outside the calendar."""
    out = []
    for m in months:
        y, mo = divmod(start.month - 1 + int(m), 12)
        if not dt.MINYEAR <= start.year + y <= dt.MAXYEAR:
            return list(months)
        out.append(dt.date(start.year + y, mo + 1, 1))
    return out


def timeseries_figure(results: list[ScenarioResults], metric: str, start: dt.date | None = None) -> go.Figure:
    """A monthly metric for each scenario: the mean with its 95% interval as a band."""
    label, unit = SERIES_LABELS.get(metric, (metric.replace("_", " "), ""))
    fig = go.Figure()
    for i, s in enumerate(results):
        band = monthly_band(s, metric)
        if band.empty:
            continue
        x = _months_to_dates(band["month"], start) if start else band["month"]
        c = colour(i)
        fig.add_trace(go.Scatter(x=list(x) + list(x)[::-1], y=list(band["high"]) + list(band["low"])[::-1],
                                 fill="toself", fillcolor=rgba(c, 0.12 if len(results) > 3 else 0.2), line=dict(width=0), hoverinfo="skip",
                                 showlegend=False, name=f"{s.label} 95% interval"))
        fig.add_trace(go.Scatter(x=x, y=band["mean"], mode="lines", line=dict(color=c, width=3), name=s.label,
                                 hovertemplate=f"%{{x}}<br>{s.label}: %{{y:,.1f}}<extra></extra>"))
    y_title = f"{label} ({unit})" if unit and unit != "£" else (f"{label} (£, {prices()})" if unit == "£" else label)
    fig.update_yaxes(title=y_title, tickprefix="£" if unit == "£" else "", tickformat=".0%" if unit == "share" else ",")
    fig.update_xaxes(title="Month" if not start else "")
    return layout(fig, f"{label}: mean and 95% interval")


def difference_timeseries_figure(base: ScenarioResults, others: list[ScenarioResults], metric: str,
                                 start: dt.date | None = None) -> go.Figure:
    """Each decision's difference from the baseline month by month (paired), with its 95% band and a dotted
    marker at each of its timed actions."""
    label, unit = SERIES_LABELS.get(metric, (metric.replace("_", " "), ""))
    fig = go.Figure()
    marked: set[tuple[float, str]] = set()
    for i, s in enumerate(others):
        band = monthly_difference(s, base, metric)
        if band.empty:
            continue
        x = _months_to_dates(band["month"], start) if start else band["month"]
        c = colour(i + 1)
        fig.add_trace(go.Scatter(x=list(x) + list(x)[::-1], y=list(band["high"]) + list(band["low"])[::-1],
                                 fill="toself", fillcolor=rgba(c, 0.15), line=dict(width=0), hoverinfo="skip",
                                 showlegend=False, name=f"{s.label} 95% interval"))
        fig.add_trace(go.Scatter(x=x, y=band["mean"], mode="lines", line=dict(color=c, width=3), name=s.label,
                                 hovertemplate=f"%{{x}}<br>{s.label}: %{{y:+,.1f}}<extra></extra>"))
        at_month: dict[float, list[str]] = {}
        for month, what in action_months(s):   # actions on the same month share one marker
            at_month.setdefault(round(month, 2), []).append(what.split(": ", 1)[-1])
        for month, whats in at_month.items():
            if (month, s.label) in marked:
                continue
            marked.add((month, s.label))
            at = _months_to_dates([int(round(month))], start)[0] if start else month
            fig.add_shape(type="line", x0=at, x1=at, y0=0, y1=1, yref="paper", line=dict(color=c, dash="dot", width=2))
            fig.add_annotation(x=at, y=1, yref="paper", text=wrap(f"month {month:g}: " + "; ".join(whats), 34),
                               showarrow=False, xanchor="left", yanchor="top", font=dict(size=12, color=c),
                               bgcolor="rgba(255,255,255,0.8)", name="action-marker")
    fig.add_hline(y=0, line_color="#333", line_width=1)
    y_title = f"Change in {label.lower()}" + (f" ({unit})" if unit and unit not in ("£", "share") else
                                               f" (£, {prices()})" if unit == "£" else "")
    fig.update_yaxes(title=y_title, tickprefix="£" if unit == "£" else "", tickformat=".1%" if unit == "share" else ",")
    fig.update_xaxes(title="Month" if not start else "")
    who = f"{others[0].label} against {base.label}" if len(others) == 1 else f"change against {base.label}"
    return layout(fig, f"{label}: {who}<br><sup>month by month, with its 95% interval; a dotted line at each action</sup>")


def ranking_figure(base: ScenarioResults, others: list[ScenarioResults]) -> go.Figure:
    """Which is best value: each decision's net monetary benefit against the baseline at £20,000 per QALY (bars,
    95% intervals), best at the top, and at £30,000 (diamonds)."""
    rows = []
    for s in others:
        d20, d30 = difference(s, base, "nmb_20k"), difference(s, base, "nmb_30k")
        if d20 is not None:
            rows.append((s.label, d20, d30))
    rows.sort(key=lambda r: r[1].mean)
    fig = go.Figure()
    y = [wrap(r[0], 34) for r in rows]
    # one colour per meaning, none shared with another mark: blue bars worth it, hatched vermilion bars not, black
    # diamonds the £30,000 threshold (each legend entry names its colour's meaning)
    for worth, name, shade, pattern in ((True, "at £20,000 per QALY: worth it (above zero)", RANK_WORTH, ""),
                                        (False, "at £20,000 per QALY: not worth it (below zero)", RANK_NOT_WORTH, "/")):
        mine = [(yy, r) for yy, r in zip(y, rows) if (r[1].mean >= 0) == worth]
        fig.add_trace(go.Bar(x=[r[1].mean / 1e6 for _, r in mine], y=[yy for yy, _ in mine], orientation="h", name=name,
                             marker=dict(color=shade, pattern=dict(shape=pattern, fgcolor="#FFFFFF", solidity=0.3)),
                             error_x=dict(type="data", symmetric=False, array=[(r[1].high - r[1].mean) / 1e6 for _, r in mine],
                                          arrayminus=[(r[1].mean - r[1].low) / 1e6 for _, r in mine], color="#333"),
                             hovertemplate="%{y}<br>£%{x:+,.1f}m at £20,000 per QALY (2024 prices)<extra></extra>",
                             showlegend=bool(mine)))
    fig.add_trace(go.Scatter(x=[r[2].mean / 1e6 if r[2] else None for r in rows], y=y, mode="markers",
                             name="at £30,000 per QALY (mean)", marker=dict(symbol="diamond", size=12, color=RANK_30K),
                             hovertemplate="%{y}<br>£%{x:+,.1f}m at £30,000 per QALY (2024 prices)<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=y)
    fig.add_vline(x=0, line_color="#333", line_width=1)
    fig.update_xaxes(title=f"Net monetary benefit against the baseline (£ million, {prices()}; right of zero is worth it)",
                     tickprefix="£", ticksuffix="m")
    fig = layout(fig, f"Which is best value: net monetary benefit against {base.label} (health and care costs, 95% intervals)",
                 height=max(320, 120 + 64 * len(rows)))
    fig.update_layout(margin=dict(l=260, r=30, t=110, b=70))
    return fig


def cost_change_by_service_figure(base: ScenarioResults, others: list[ScenarioResults], top: int = 8) -> go.Figure:
    """Where the money moves: each decision's paired change in cost by service (all payers), the largest changes."""
    from simulation.experiment import paired_difference

    changes: dict[str, dict[str, tuple[float, float, float]]] = {}
    for s in others:
        if s.plan != base.plan:
            continue
        services = sorted({c.split(".")[1] for c in _cost_columns(s) + _cost_columns(base)})
        for service in services:
            cols = [c for c in set(_cost_columns(s)) | set(_cost_columns(base)) if c.split(".")[1] == service]
            a = [sum(v) for v in zip(*[s.values(c) for c in cols])]
            b = [sum(v) for v in zip(*[base.values(c) for c in cols])]
            if not a or len(a) != len(b):
                continue
            d = paired_difference(a, b)
            changes.setdefault(service, {})[s.label] = (d.mean, d.low, d.high)
    order = sorted(changes, key=lambda k: -max(abs(v[0]) for v in changes[k].values()))[:top]
    fig = go.Figure()
    for i, s in enumerate(others):
        xs = [wrap(service_label(k), 22) for k in order if s.label in changes[k]]
        vals = [changes[k][s.label] for k in order if s.label in changes[k]]
        fig.add_trace(go.Bar(x=xs, y=[v[0] / 1e6 for v in vals], name=s.label, marker_color=colour(i + 1),
                             error_y=dict(type="data", symmetric=False, array=[(v[2] - v[0]) / 1e6 for v in vals],
                                          arrayminus=[(v[0] - v[1]) / 1e6 for v in vals], color="#333"),
                             hovertemplate="%{x}<br>" + s.label + ": %{y:+,.2f} £m<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.add_hline(y=0, line_color="#333", line_width=1)
    fig.update_yaxes(title=f"Change in £ million ({prices()}, discounted)", tickprefix="£", ticksuffix="m")
    return layout(fig, f"Where the money moves: change in cost by service against {base.label} (95% intervals)", height=540)


def cohort_figure(s: ScenarioResults, fact: dict) -> go.Figure:
    """Where the people a closure displaced were sent (full-county numbers, 95% intervals)."""
    from simulation.costs import service_label as label_of

    from .views import got_nothing, sent_label

    sent = list(reversed(fact["sent"]))
    fig = go.Figure(go.Bar(
        x=[iv.mean for _, iv in sent], y=[wrap(sent_label(w), 40) for w, _ in sent], orientation="h",
        marker_color=["#D55E00" if got_nothing(w) else "#0072B2" for w, _ in sent],
        error_x=dict(type="data", symmetric=False, array=[iv.high - iv.mean for _, iv in sent],
                     arrayminus=[iv.mean - max(iv.low, 0.0) for _, iv in sent], color="#333"),   # no fewer than nobody
        hovertemplate="%{y}: %{x:,.0f} people<extra></extra>", name="people"))
    fig.update_xaxes(title="People (whole county; orange: got nothing)", rangemode="tozero")
    fig = layout(fig, f"{s.label}: where the {fact['people'].mean:,.0f} people holding a place in "
                      f"{label_of(fact['service'])} went (95% intervals)", height=max(300, 130 + 48 * len(sent)))
    fig.update_layout(margin=dict(l=330, r=30, t=90, b=60), showlegend=False)
    return fig


def budget_figure(t, label: str, years: int = 5) -> go.Figure:
    """One decision's budget impact by financial year and payer (undiscounted; 95% intervals)."""
    from .views import BUDGET_PAYERS, PAYER_NAMES, first_years

    mine = t[t["scenario"] == label]
    fys = first_years(mine, years)
    fig = go.Figure()
    for payer in BUDGET_PAYERS:
        r = mine[mine["payer"] == payer].set_index("financial_year").reindex(fys)
        colour_ = PAYER_COLOURS.get(payer, "#009E73")
        fig.add_trace(go.Bar(x=fys, y=r["difference"] / 1e6, name=PAYER_NAMES[payer], marker_color=colour_,
                             error_y=dict(type="data", symmetric=False, array=(r["difference_ci_high"] - r["difference"]) / 1e6,
                                          arrayminus=(r["difference"] - r["difference_ci_low"]) / 1e6, color="#333"),
                             hovertemplate="%{x}<br>" + PAYER_NAMES[payer] + ": %{y:+,.2f} £m<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.add_hline(y=0, line_color="#333", line_width=1)
    fig.update_yaxes(title=f"Change in spending (£ million, {prices()}, undiscounted)", tickprefix="£", ticksuffix="m")
    fig.update_xaxes(title="Financial year (April to March)")
    return layout(fig, f"Budget impact of {label}, year by year (cash, 95% intervals)", height=480)


def _cost_columns(s: ScenarioResults) -> list[str]:
    return [c for c in s.replications.columns if c.startswith("cost.")]


def costs_by_service_figure(results: list[ScenarioResults], top: int = 7) -> go.Figure:
    """Mean cost over the run, stacked by service (the largest few, then the rest together)."""
    fig = go.Figure()
    services: dict[str, dict[str, float]] = {}
    for s in results:
        for col in _cost_columns(s):
            _, service, _payer = col.split(".")
            services.setdefault(service, {}).setdefault(s.label, 0.0)
            services[service][s.label] += s.interval(col).mean
    order = sorted(services, key=lambda k: -max(services[k].values()))
    groups = [(service_label(k), [k]) for k in order[:top]]
    if len(order) > top:
        groups.append(("All other services", order[top:]))
    x = [wrap(s.label) for s in results]
    for i, (name, keys) in enumerate(groups):
        ys = [sum(services[k].get(s.label, 0.0) for k in keys) / 1e6 for s in results]
        shade = OTHER_SERVICES_COLOUR if name == "All other services" else SERVICE_PALETTE[i % len(SERVICE_PALETTE)]
        fig.add_trace(go.Bar(x=x, y=ys, name=name, marker_color=shade,
                             hovertemplate="%{x}<br>" + name + ": £%{y:,.1f}m<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title=f"£ million over the run ({prices()})", tickprefix="£", ticksuffix="m")
    return layout(fig, "Costs by service (discounted)", height=560)


def costs_by_payer_figure(results: list[ScenarioResults]) -> go.Figure:
    """Mean cost over the run, stacked by who pays."""
    fig = go.Figure()
    for payer in ("nhs", "council", "society"):
        ys = [s.interval(f"cost_{payer}").mean / 1e6 for s in results]
        fig.add_trace(go.Bar(x=[wrap(s.label) for s in results], y=ys, name=PAYER_LABELS[payer], marker_color=PAYER_COLOURS[payer],
                             hovertemplate="%{x}<br>" + PAYER_LABELS[payer] + ": £%{y:,.1f}m<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title=f"£ million over the run ({prices()})", tickprefix="£", ticksuffix="m")
    return layout(fig, "Costs by who pays (discounted)", height=520)


def cost_change_by_payer_figure(base: ScenarioResults, others: list[ScenarioResults]) -> go.Figure:
    """Who pays for the change: the paired difference in cost for each payer, with 95% intervals."""
    fig = go.Figure()
    for payer in ("nhs", "council", "society"):
        xs, ys, lo, hi = [], [], [], []
        for s in others:
            d = difference(s, base, f"cost_{payer}")
            if d is None:
                continue
            xs.append(wrap(s.label))
            ys.append(d.mean / 1e6)
            lo.append((d.mean - d.low) / 1e6)
            hi.append((d.high - d.mean) / 1e6)
        fig.add_trace(go.Bar(x=xs, y=ys, name=PAYER_LABELS[payer], marker_color=PAYER_COLOURS[payer],
                             error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color="#333"),
                             hovertemplate="%{x}<br>" + PAYER_LABELS[payer] + ": %{y:+,.2f} £m<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.add_hline(y=0, line_color="#333", line_width=1)
    fig.update_yaxes(title=f"Change in £ million ({prices()}, discounted)", tickprefix="£", ticksuffix="m")
    return layout(fig, f"Who pays for the change against {base.label} (95% intervals)", height=520)


def sankey_figure(s: ScenarioResults) -> go.Figure:
    """Where people went: average moves from each place (left) to the next (right) over one run (whole county)."""
    labels, node_colours, links = _sankey_parts(s, [])
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=labels, color=node_colours, pad=14, thickness=18,
                  hovertemplate="%{label}: %{value:,.0f} moves<extra></extra>"),
        link=dict(**links, hovertemplate="from %{source.label} to %{target.label}: %{value:,.0f} moves<extra></extra>"),
    ))
    fig.add_annotation(x=0, y=1.06, xref="paper", yref="paper", text="<b>from</b>", showarrow=False, xanchor="left")
    fig.add_annotation(x=1, y=1.06, xref="paper", yref="paper", text="<b>to</b>", showarrow=False, xanchor="right")
    return layout(fig, f"Where people went: {s.label} (average moves over the run)", height=600)


def _sankey_parts(s: ScenarioResults, facts: list[dict]) -> tuple[list[str], list[str], dict]:
    """Nodes (labels, colours) and links of one decision's flows between places, and of the people each of its
    closures displaced (the closed service on the left, where they were sent on the right)."""
    from .views import got_nothing, sent_label

    flows = mean_flows(s)
    flows = flows[flows["count"] >= 0.5]
    places = list(PLACE_NAMES)
    left = [p for p in places if p in set(flows["source"])]
    right = [p for p in places if p in set(flows["target"])]
    labels = [PLACE_LABELS[places.index(p)] for p in left] + [PLACE_LABELS[places.index(p)] for p in right]
    node_colours = [colour(places.index(p)) for p in left] + [colour(places.index(p)) for p in right]
    li = {p: i for i, p in enumerate(left)}
    ri = {p: len(left) + i for i, p in enumerate(right)}
    links: dict[str, list] = {"source": [li[x] for x in flows["source"]], "target": [ri[x] for x in flows["target"]],
                              "value": flows["count"].round(0).tolist(),
                              "color": [rgba(colour(places.index(x)), 0.35) for x in flows["source"]],
                              "customdata": ["moves"] * len(flows)}
    for fact in facts:   # the closure's people: the service the decision changes is in the diagram
        closed = len(labels)
        labels.append(f"{service_label(fact['service'])}: closed at month {fact['month']:g}")
        node_colours.append("#000000")
        for where, iv in fact["sent"]:
            if iv.mean < 0.5:
                continue
            labels.append(sent_label(where))
            node_colours.append("#D55E00" if got_nothing(where) else "#56B4E9")
            links["source"].append(closed)
            links["target"].append(len(labels) - 1)
            links["value"].append(round(iv.mean))
            links["color"].append(rgba("#D55E00" if got_nothing(where) else "#56B4E9", 0.45))
            links["customdata"].append("people displaced")
    return labels, node_colours, links


def flows_figure(base: ScenarioResults, s: ScenarioResults, top: int = 10) -> go.Figure:
    """Where people went under one decision, and what it changed: on the left its moves between places over the run
    and the people each of its closures displaced (the closed service and where they were sent); on the right the
    largest changes in moves against the baseline (paired, 95% intervals). The decision's actions are named."""
    from plotly.subplots import make_subplots

    from .data import flow_differences
    from .views import cohort_facts

    if s.key == base.key:
        return sankey_figure(s)
    labels, node_colours, links = _sankey_parts(s, cohort_facts(s))
    diff = flow_differences(s, base)
    if not diff.empty:
        diff = diff.reindex(diff["mean"].abs().sort_values(ascending=False).index).head(top).iloc[::-1]
    names = dict(zip(PLACE_NAMES, PLACE_LABELS))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.2,
                        specs=[[{"type": "domain"}, {"type": "xy"}]])
    fig.add_trace(go.Sankey(
        arrangement="snap",
        node=dict(label=labels, color=node_colours, pad=12, thickness=16,
                  hovertemplate="%{label}: %{value:,.0f}<extra></extra>"),
        link=dict(**links, hovertemplate="from %{source.label} to %{target.label}: %{value:,.0f} %{customdata}<extra></extra>"),
    ), row=1, col=1)
    ys = [wrap(f"{names.get(a, a)} to {names.get(b, b)}", 30) for a, b in zip(diff["source"], diff["target"])]
    fig.add_trace(go.Bar(x=list(diff["mean"]), y=ys, orientation="h", name="change in moves", showlegend=False,
                         marker_color=["#0072B2" if v >= 0 else "#D55E00" for v in diff["mean"]],
                         error_x=dict(type="data", symmetric=False, array=list(diff["high"] - diff["mean"]),
                                      arrayminus=list(diff["mean"] - diff["low"]), color="#333"),
                         customdata=list(zip(diff["baseline"], diff["decision"])),
                         hovertemplate="%{y}<br>%{x:+,.0f} moves (%{customdata[0]:,.0f} in the baseline, "
                                       "%{customdata[1]:,.0f} with the decision)<extra></extra>"), row=1, col=2)
    fig.add_shape(type="line", x0=0, x1=0, y0=0, y1=1, xref="x", yref="y domain", line=dict(color="#333", width=1))
    fig.update_xaxes(title="Change in moves against the baseline (whole county)", row=1, col=2)
    fig.update_yaxes(tickfont=dict(size=12), row=1, col=2)
    acts = "; ".join(f"month {m:g}: {w.split(': ', 1)[-1]}" for m, w in action_months(s)) or "no timed action"
    fig = layout(fig, f"Where people went: {s.label} against {base.label}<br><sup>{wrap('What it does: ' + acts, 150)}</sup>"
                      "<br><sup>left: its moves between places over the run (whole county) and the people its closures "
                      "displaced; right: the largest changes in moves, with 95% intervals</sup>", height=680)
    fig.update_layout(margin=dict(l=30, r=30, t=150, b=70), showlegend=False)
    return fig


def ce_plane_figure(base: ScenarioResults, others: list[ScenarioResults], perspective: str = "health_and_care") -> go.Figure:
    """Cost-effectiveness plane: difference in cost against difference in QALYs, per replication."""
    fig = go.Figure()
    view = "health_and_care" if perspective == "health_and_care" else "all"
    xs_all, ys_all = [0.0], [0.0]
    for i, s in enumerate(others):
        if s.plan != base.plan:
            continue
        dq = [a - b for a, b in zip(s.values("qalys"), base.values("qalys"))]
        dc = [(a - b) / 1e6 for a, b in zip(perspective_cost(s, view), perspective_cost(base, view))]
        xs_all += dq
        ys_all += dc
        fig.add_trace(go.Scatter(x=dq, y=dc, mode="markers", name=s.label, marker=dict(size=10, color=colour(i + 1), symbol=i % 10),
                                 hovertemplate=s.label + "<br>QALYs %{x:+,.1f}<br>cost £%{y:+,.2f}m<extra></extra>"))
    span = max(abs(v) for v in xs_all) or 1.0
    for wtp, dash_style in ((20000, "dash"), (30000, "dot")):
        fig.add_trace(go.Scatter(x=[-span * 1.1, span * 1.1], y=[-span * 1.1 * wtp / 1e6, span * 1.1 * wtp / 1e6], mode="lines",
                                 line=dict(color="#555", dash=dash_style, width=2), name=f"£{wtp:,} per QALY", hoverinfo="skip"))
    ymax = max(abs(v) for v in ys_all) or 1.0
    fig.update_yaxes(range=[-ymax * 1.2, ymax * 1.2], title=f"Difference in cost (£ million, {prices()})", tickprefix="£", ticksuffix="m",
                     tickformat=",.3~g", zeroline=True, zerolinecolor="#333", automargin=True)
    fig.update_xaxes(range=[-span * 1.2, span * 1.2], title="Difference in QALYs", zeroline=True, zerolinecolor="#333")
    who = "NHS and council costs" if perspective == "health_and_care" else "all costs, including wider society"
    return layout(fig, f"Cost-effectiveness plane ({who}); each point is one replication", height=520)




def subgroup_figure(base: ScenarioResults, others: list[ScenarioResults], metric: str) -> go.Figure:
    """The paired difference in a metric for each sub-group, with 95% intervals."""
    info = METRICS.get(metric)
    label = info.label if info else metric.replace("_", " ")
    fig = go.Figure()
    for i, s in enumerate(others):
        xs, ys, lo, hi = [], [], [], []
        for key, sub_label in SUBGROUP_LABELS.items():
            d = difference(s, base, f"{metric}.{key}")
            if d is None:
                continue
            xs.append(sub_label)
            ys.append(d.mean)
            lo.append(d.mean - d.low)
            hi.append(d.high - d.mean)
        fig.add_trace(go.Bar(x=xs, y=ys, name=s.label, marker_color=colour(i + 1),
                             error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color="#333")))
    fig.update_layout(barmode="group")
    fig.add_hline(y=0, line_color="#333", line_width=1)
    unit = f" ({info.unit})" if info and info.unit else ""
    fig.update_yaxes(title=f"Change in {label.lower()}{unit}")
    return layout(fig, f"{label}: change for each group against {base.label} (95% intervals)")


def welch_figure(monthly: dict[str, list[list[float]]], window: int = 6, band: float = 0.05) -> go.Figure:
    """Welch's plot of the baseline: for each series, the mean over replications month by month, smoothed by a
    centred moving average of ``window`` months and shown against its year-2 mean, with the +-``band`` corridor.

    A baseline in balance stays inside the corridor from year 2 on; a start-up transient shows in the first
    months, a drift as a slope (Welch 1983; Law, Simulation Modeling and Analysis, 5th ed., 9.5.1)."""
    import numpy as np

    fig = go.Figure()
    months = 0
    for i, (name, reps) in enumerate(monthly.items()):
        mean = np.asarray(reps, dtype=float).mean(axis=0)
        months = len(mean)
        y2 = mean[12:24].mean() if months >= 24 else mean.mean()
        half = window // 2
        smooth = [mean[max(0, k - half): k + half + 1].mean() for k in range(months)]
        fig.add_trace(go.Scatter(x=list(range(1, months + 1)), y=[v / y2 if y2 else float("nan") for v in smooth],
                                 mode="lines", name=series_labels().get(name, (name.replace("_", " "), ""))[0],
                                 line={"color": colour(i), "width": 2}))
    for level in (1 - band, 1 + band):
        fig.add_hline(y=level, line={"dash": "dot", "color": "#555555", "width": 1})
    fig.add_vrect(x0=12.5, x1=24.5, fillcolor="#999999", opacity=0.12, line_width=0, annotation_text="year 2",
                  annotation_position="top left")
    fig.update_xaxes(title_text="Month", range=[1, max(months, 2)])
    fig.update_yaxes(title_text="Against the year-2 mean", tickformat=".0%")
    fig = layout(fig, f"Welch plot: each series against its year-2 mean ({window}-month moving average of the mean "
                      f"over replications; ±{band:.0%} dotted)", height=560)
    fig.update_layout(legend={"orientation": "h", "x": 0, "y": -0.18, "yanchor": "top"}, margin={"t": 60, "b": 150})
    return fig
