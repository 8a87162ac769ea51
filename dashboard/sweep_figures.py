"""Figures of sweeps and sensitivity analyses: pure functions from tables to Plotly figures.

``mhsim sensitivity`` and ``mhsim psa`` save these as HTML and PNG, and the
dashboard's Sweeps tab shows the same figures. Colours are the Okabe-Ito
palette of the other figures.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation.experiment import t_interval
from simulation.formatting import number, range_end
from simulation.outcomes import METRICS
from simulation.sensitivity import index_warnings

from .figures import PALETTE, colour, layout, rgba, wrap

LOW_COLOUR, HIGH_COLOUR = PALETTE[0], PALETTE[1]


SWEEP_ALIASES = {"cost_nhs_and_council": "cost_health_and_care", "net_benefit_20000": "nmb_20k",
                 "net_benefit_30000": "nmb_30k"}
"""The decision columns a sweep adds (``simulation.sensitivity.with_decision_metrics``) and the metric each one is."""


def metric_words(metric: str, arms: dict[str, str] | None = None) -> tuple[str, str]:
    """(label, unit) for a stored column: 'delta.total_cost' -> ('Change in total cost', '£')."""
    prefix, name = "", metric
    if metric.startswith("delta."):
        prefix, name = "Change in ", metric[len("delta."):]
    elif "." in metric and arms and metric.split(".", 1)[0] in arms:
        key, name = metric.split(".", 1)
        prefix = f"{arms[key]}: "
    elif metric.startswith("base."):
        prefix, name = "Comparator: ", metric[len("base."):]
    info = METRICS.get(SWEEP_ALIASES.get(name, name))
    label = info.label if info else name.replace("_", " ")
    unit = info.unit if info else ""
    if prefix == "Change in ":
        label = label[0].lower() + label[1:]
    return prefix + label, unit


def tornado_figure(table: pd.DataFrame, metric: str, top: int = 12) -> go.Figure:
    """One-way tornado: the change in a metric with each parameter at its low and high end, the rest at base."""
    label, unit = metric_words(metric)
    t = table[table["metric"] == metric].sort_values("swing", ascending=True).tail(top)
    names = [wrap(f"{r.label} ({range_end(r.low, r.unit)} to {range_end(r.high, r.unit)})", 46) for r in t.itertuples()]
    fig = go.Figure()
    for end, col, name in (("low", LOW_COLOUR, "at the low end of its range"), ("high", HIGH_COLOUR, "at the high end of its range")):
        mean = t[f"change_at_{end}"]
        fig.add_trace(go.Bar(
            y=names, x=mean, orientation="h", name=name, marker_color=col,
            error_x=dict(type="data", symmetric=False, array=t[f"change_at_{end}_ci_high"] - mean,
                         arrayminus=mean - t[f"change_at_{end}_ci_low"], color="#333"),
            customdata=np.column_stack([t[end], t[f"change_at_{end}_ci_low"], t[f"change_at_{end}_ci_high"]]),
            hovertemplate="%{y}<br>value %{customdata[0]:,.4g}: change %{x:+,.4g}<br>95% interval %{customdata[1]:+,.4g} to %{customdata[2]:+,.4g}<extra></extra>"))
    base = float(t["base_mean"].iloc[0]) if len(t) else 0.0
    fig.update_layout(barmode="overlay", bargap=0.3)
    fig.add_vline(x=0, line_color="#333", line_width=1)
    fig.update_xaxes(title=f"Difference from the base case, where the {label[0].lower() + label[1:]} is {number(base, unit)}"
                     + (f" ({unit})" if unit and unit != "£" else ""), zeroline=True,
                     tickprefix="£" if unit == "£" else "", tickformat=",")
    return layout(fig, f"What moves the {label[0].lower() + label[1:]} most? One parameter at a time, the rest at base (95% intervals)",
                   height=max(420, 70 + 48 * len(t)))


def sobol_figure(table: pd.DataFrame, metric: str, top: int = 15) -> go.Figure:
    """First- and total-order Sobol indices with 95% intervals, largest total first."""
    label, _ = metric_words(metric)
    t = table[table["metric"] == metric].sort_values("ST", ascending=True).tail(top)
    names = [wrap(r.label, 46) for r in t.itertuples()]
    fig = go.Figure()
    for key, col, name in (("S1", PALETTE[2], "first order (alone)"), ("ST", PALETTE[5], "total (alone and with others)")):
        fig.add_trace(go.Bar(y=names, x=t[key], orientation="h", name=name, marker_color=col,
                             error_x=dict(type="data", symmetric=False, array=t[f"{key}_high"] - t[key],
                                          arrayminus=t[key] - t[f"{key}_low"], color="#333"),
                             hovertemplate="%{y}<br>" + name + ": %{x:.3f}<extra></extra>"))
    fig.update_layout(barmode="group")
    # indices live in 0..1; wild intervals (too few samples) run off the chart rather than squash it
    lo = max(-0.5, min(0.0, float(t["S1_low"].min()) if len(t) else 0.0)) - 0.02
    hi = min(1.5, max(1.0, float(t["ST_high"].max()) if len(t) else 1.0)) + 0.02
    fig.update_xaxes(title="Share of the variance explained (Sobol index)", range=[lo, hi])
    warnings = index_warnings(table[table["metric"] == metric])
    height = max(420, 70 + 52 * len(t)) + 22 * sum(1 + len(w) // 150 for w in warnings)
    fig = layout(fig, f"Which assumptions drive the {label[0].lower() + label[1:]}? Sobol indices (95% intervals)", height=height)
    if warnings:  # the warning travels with the figure: the page, the HTML and the PNG all carry it
        fig.add_annotation(text="<br>".join(wrap(w, 150) for w in warnings), showarrow=False,
                           x=0, y=-0.12, xref="paper", yref="paper", xanchor="left", yanchor="top", align="left",
                           font=dict(size=12, color="#a33b00"))
        fig.update_layout(margin=dict(b=90 + 22 * len(warnings)))
    return fig


def morris_figure(table: pd.DataFrame, metric: str) -> go.Figure:
    """Morris screening: mu* (how much) against sigma (how non-linear or interacting)."""
    label, unit = metric_words(metric)
    t = table[table["metric"] == metric]
    fig = go.Figure(go.Scatter(
        x=t["mu_star"], y=t["sigma"], mode="markers+text", text=[wrap(s, 24) for s in t["label"]], textposition="top center",
        marker=dict(size=12, color=PALETTE[0]), error_x=dict(type="data", array=t["mu_star_conf"], color="#999"),
        hovertemplate="%{text}<br>mu* %{x:,.4g}<br>sigma %{y:,.4g}<extra></extra>", showlegend=False))
    top = float(max(t["mu_star"].max(), t["sigma"].max())) if len(t) else 1.0
    fig.add_trace(go.Scatter(x=[0, top * 1.1], y=[0, top * 1.1], mode="lines", line=dict(color="#888", dash="dot"),
                             name="sigma = mu*", hoverinfo="skip"))
    unit_text = f" ({unit})" if unit else ""
    fig.update_xaxes(title=f"mu*: mean absolute change across the range{unit_text}", rangemode="tozero")
    fig.update_yaxes(title=f"sigma: spread of the changes{unit_text}", rangemode="tozero")
    return layout(fig, f"Morris screening of the {label[0].lower() + label[1:]}: further right matters more, higher means interactions")


def psa_plane_figure(plane: pd.DataFrame, reference: str, perspective: str) -> go.Figure:
    """Cost-effectiveness plane of a PSA: each point is one parameter sample."""
    fig = go.Figure()
    others = [s for s in plane["scenario"].unique() if s != reference]
    xs, ys = [0.0], [0.0]
    for i, s in enumerate(others):
        t = plane[plane["scenario"] == s]
        xs += t["delta_qalys"].tolist()
        ys += t["delta_cost"].tolist()
        fig.add_trace(go.Scatter(x=t["delta_qalys"], y=t["delta_cost"], mode="markers", name=s,
                                 marker=dict(size=8, color=colour(i + 1), symbol=i % 10, opacity=0.7),
                                 hovertemplate=s + "<br>QALYs %{x:+,.2f}<br>cost £%{y:+,.0f}<extra></extra>"))
    span = max(abs(v) for v in xs) or 1.0
    for wtp, dash in ((20000, "dash"), (30000, "dot")):
        fig.add_trace(go.Scatter(x=[-span * 1.1, span * 1.1], y=[-span * 1.1 * wtp, span * 1.1 * wtp], mode="lines",
                                 line=dict(color="#555", dash=dash, width=2), name=f"£{wtp:,} per QALY", hoverinfo="skip"))
    ymax = max(abs(v) for v in ys) or 1.0
    fig.update_yaxes(range=[-ymax * 1.2, ymax * 1.2], title=f"Difference in cost against {reference} (£)", tickprefix="£", tickformat=",")
    fig.update_xaxes(range=[-span * 1.2, span * 1.2], title="Difference in QALYs", zeroline=True, zerolinecolor="#333")
    who = "NHS and council costs" if perspective == "health_and_care" else "all costs, including wider society"
    return layout(fig, f"Cost-effectiveness plane ({who}); each point is one sample of the uncertain parameters", height=540)


def ceac_figure(ceac: pd.DataFrame) -> go.Figure:
    """Cost-effectiveness acceptability curve: the probability each scenario is best at each threshold."""
    fig = go.Figure()
    for i, (s, t) in enumerate(ceac.groupby("scenario", sort=False)):
        fig.add_trace(go.Scatter(x=t["threshold"], y=t["probability_best"], mode="lines", name=s,
                                 line=dict(color=colour(i), width=3, dash=["solid", "dash", "dot", "dashdot"][i % 4]),
                                 hovertemplate=s + "<br>£%{x:,.0f} per QALY: %{y:.0%}<extra></extra>"))
    for wtp in (20000, 30000):
        fig.add_vline(x=wtp, line_color="#555", line_dash="dot", annotation_text=f"£{wtp:,}", annotation_position="top")
    fig.update_yaxes(title="Probability of being the best choice", range=[0, 1.02], tickformat=".0%")
    fig.update_xaxes(title="What we are willing to pay for one QALY (£)", tickprefix="£", tickformat=",")
    return layout(fig, "Cost-effectiveness acceptability curve")


def evppi_figure(evppi: pd.DataFrame, top: int = 15) -> go.Figure:
    """EVPPI of the groups and the parameters with the most, at each threshold, against the EVPI: which
    research would be worth most to the decision."""
    fig = go.Figure()
    kinds = evppi[evppi["kind"] != "all"]
    order = (kinds.groupby("parameter_or_group")["evppi"].max().sort_values(ascending=True).tail(top).index)
    for i, (lam, t) in enumerate(kinds.groupby("threshold", sort=True)):
        t = t.set_index("parameter_or_group").reindex(order)
        names = [wrap(("group: " if k == "group" else "") + str(lb), 46) for lb, k in zip(t["label"], t["kind"])]
        fig.add_trace(go.Bar(y=names, x=t["evppi"], orientation="h", name=f"£{int(lam):,} per QALY", marker_color=PALETTE[i],
                             customdata=t["share_of_evpi"],
                             hovertemplate="%{y}<br>EVPPI £%{x:,.0f} (%{customdata:.0%} of EVPI)<extra></extra>"))
    totals = evppi[evppi["kind"] == "all"]
    title = "; ".join(f"EVPI £{r.evpi:,.0f} at £{int(r.threshold):,}" for r in totals.itertuples())
    fig.update_layout(barmode="group")
    fig.update_xaxes(title="Expected value of learning it (£, the modelled population over the run)", tickprefix="£",
                     tickformat=",")
    return layout(fig, f"What would be worth finding out? EVPPI ({title})", height=max(420, 70 + 40 * len(order)))


# ---------------------------------------------------------------------------
# A metric against the swept parameters (the dashboard's sweep view)


def _tick(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _bins(x: pd.Series, max_bins: int = 10) -> pd.Series:
    """Grid values stay as they are; sampled values are cut into equal-count bins (shown at their mean)."""
    if x.nunique() <= max_bins:
        return x
    codes = pd.qcut(x, max_bins, labels=False, duplicates="drop")
    return x.groupby(codes).transform("mean")


def line_figure(rows: pd.DataFrame, metric: str, param: str, param_label: str, param_unit: str) -> go.Figure:
    """The metric against one parameter: mean and 95% interval over every run at (or near) each value."""
    label, unit = metric_words(metric)
    x = _bins(rows["param." + param])
    stats = []
    for value, group in rows.groupby(x):
        iv = t_interval(group[metric])
        stats.append((value, iv.mean, iv.low, iv.high, iv.n))
    s = pd.DataFrame(stats, columns=["x", "mean", "low", "high", "n"]).sort_values("x")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(s["x"]) + list(s["x"])[::-1], y=list(s["high"]) + list(s["low"])[::-1], fill="toself",
                             fillcolor=rgba(PALETTE[0], 0.2), line=dict(width=0), name="95% interval", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=s["x"], y=s["mean"], mode="lines+markers", name="mean", line=dict(color=PALETTE[0], width=3),
                             customdata=s["n"], hovertemplate="%{x:,.4g}: %{y:,.4g} (%{customdata} runs)<extra></extra>"))
    if metric.startswith("delta."):
        fig.add_hline(y=0, line_color="#333", line_width=1)
    fig.update_xaxes(title=f"{param_label} ({param_unit})")
    fig.update_yaxes(title=label + (f" ({unit})" if unit else ""), tickprefix="£" if unit == "£" else "", tickformat=",")
    return layout(fig, f"{label} against {param_label.lower()} (every other parameter as sampled; 95% intervals)")


def heatmap_figure(rows: pd.DataFrame, metric: str, px: str, py: str, labels: dict[str, str]) -> go.Figure:
    """The metric's mean over two parameters (grid values, or bins of sampled values)."""
    label, unit = metric_words(metric)
    x = _bins(rows["param." + px], 8)
    y = _bins(rows["param." + py], 8)
    table = rows.groupby([y, x])[metric].mean().unstack()
    fig = go.Figure(go.Heatmap(z=table.values, x=[_tick(v) for v in table.columns], y=[_tick(v) for v in table.index],
                               colorscale="Cividis", colorbar=dict(title=unit or ""),
                               hovertemplate=f"{labels.get(px, px)} %{{x}}<br>{labels.get(py, py)} %{{y}}<br>mean %{{z:,.4g}}<extra></extra>"))
    fig.update_xaxes(title=labels.get(px, px), type="category")
    fig.update_yaxes(title=labels.get(py, py), type="category")
    return layout(fig, f"{label}: mean over two parameters", height=520)
