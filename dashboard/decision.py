"""The answer first: a card for each decision, and the ranking by net monetary benefit.

Every number here is one the model reports (``cost_health_and_care``, ``qalys``,
``nmb_20k``, ``nmb_30k`` as paired differences, the cost per QALY from the first two,
the net benefit including wider society from ``qalys`` and ``total_cost`` as the
cost-effectiveness plane's "all costs" view counts it; the probabilities from the PSA
that ``make psa-shipped`` precomputes for each shipped decision into
``scenarios/psa/<decision file>/``). This module only reads and words them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from dash import html

from simulation.experiment import Interval, paired_difference
from simulation.formatting import money_per_unit, number
from simulation.formatting import years as years_text
from simulation.scenario import SHIPPED_SCENARIOS

from .data import ScenarioResults, difference, perspective_cost, prices

PSA_ROOT = SHIPPED_SCENARIOS / "psa"
"""Where ``make psa-shipped`` writes each shipped decision's PSA (a folder per decision file)."""

PSA_MISSING = ("not computed yet for this decision (the probabilities come from a probabilistic sensitivity analysis, "
               "run for the shipped decisions)")

WTP = (20_000, 30_000)

PSA_VERSUS_TABLE = ("The probabilities vary the uncertain assumptions (every input drawn from its plausible range), while "
                    "the intervals in the table show only the runs' chance with the assumptions fixed, so the two can "
                    "point different ways.")
"""One plain sentence on every card with a PSA: why its probabilities and the table's intervals can disagree."""
PSA_AT_SMALL_SCALE = ("The probabilities are for the whole county; these runs simulate {pct} of it, where rare events "
                      "(suicides, a few dozen a year county-wide) are too few to show and every count is scaled up, so the "
                      "runs' figures can differ from them for that reason alone.")
"""Said on a card with probabilities when the runs are at a smaller scale than the precomputed PSA (the whole county)."""
PSA_AGAINST_RUNS = ("Read with care: the runs say it {runs}, but across the inputs' plausible ranges it {psa} in {share} of "
                    "the draws. Some uncertain inputs sit at one end of their range in the runs (for example an effect set "
                    "to none, with a range of benefits): what would change the answer, below, names the one that matters most.")
"""Said on a card when the runs (inputs at their values) and the PSA (inputs across their ranges) disagree about money."""


def runs_against_psa(cost: Interval | None, facts: "PsaFacts | None") -> str | None:
    """The sentence a card needs when the runs are sure of the money's direction and the PSA mostly says the other."""
    p = facts.saves_health_and_care if facts is not None else None
    if cost is None or p is None or cost.n < 2:
        return None
    if cost.low > 0 and p > 0.5:
        return PSA_AGAINST_RUNS.format(runs="costs health and care more", psa="saves money", share=_pct(p))
    if cost.high < 0 and p < 0.5:
        return PSA_AGAINST_RUNS.format(runs="saves health and care money", psa="costs more", share=_pct(1 - p))
    return None


@dataclass
class PsaFacts:
    """What the precomputed PSA says about one decision against the reference (the baseline)."""

    folder: Path
    saves_nhs: float | None = None
    saves_council: float | None = None
    saves_health_and_care: float | None = None
    cost_effective: dict[int, float | None] = field(default_factory=dict)
    thresholds: list[dict] = field(default_factory=list)   # rows with a switch value, at the lower threshold first


def psa_stamp(root: Path | None = None) -> tuple:
    """When each precomputed PSA was last written: a view made from them is remade when one changes."""
    folder = root or PSA_ROOT
    try:
        return tuple(sorted((p.parent.name, p.stat().st_mtime_ns) for p in folder.glob("*/psa-*.csv")))
    except OSError:
        return ()


def decision_file(s: ScenarioResults) -> str | None:
    """The stem of the file a decision was read from (its PSA folder's name), or None for one built in the page."""
    if s.origin not in ("shipped", "results folder"):
        return None
    file = s.scenario.file if s.scenario is not None else None
    if not file:
        for entry in s.manifest.get("scenarios", []):
            if isinstance(entry, dict) and entry.get("content_hash") == s.content_hash:
                file = entry.get("file")
    return Path(str(file)).stem if file else None


def _float(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def psa_horizon_note(s: ScenarioResults) -> str:
    """Why the precomputed PSA does not speak for these runs ('' when it does): it was run over the decision's own
    horizon (``make psa-shipped``: the scenario's years), and probabilities over ten years are not those over three."""
    psa_years = s.scenario.settings.years if s.scenario is not None else 10.0
    if abs(float(s.plan.years) - float(psa_years)) < 1e-9:
        return ""
    return (f"not shown: the precomputed analysis covers {years_text(psa_years)} and these runs "
            f"{years_text(s.plan.years)} (mhsim psa with --years {s.plan.years:g} computes it)")


def read_psa(s: ScenarioResults, root: Path | None = None) -> PsaFacts | None:
    """The decision's precomputed PSA (``psa-best.csv``, ``psa-thresholds.csv``), or None if there is none or
    it covers another horizon than the runs (:func:`psa_horizon_note`)."""
    stem = decision_file(s)
    if stem is None or psa_horizon_note(s):
        return None
    folder = (root or PSA_ROOT) / stem
    best_file = folder / "psa-best.csv"
    if not best_file.is_file():
        return None
    try:
        best = pd.read_csv(best_file)
    except Exception:  # a damaged file is shown as missing, never as numbers
        return None
    if len(best) < 2:
        return None
    names = best["scenario"].astype(str).tolist() if "scenario" in best.columns else []
    row = best.iloc[names.index(s.name)] if s.name in names[1:] else best.iloc[1]
    facts = PsaFacts(folder, _float(row.get("probability_saves_nhs")), _float(row.get("probability_saves_council")),
                     _float(row.get("probability_saves_health_and_care")),
                     {w: _float(row.get(f"probability_cost_effective_{w}")) for w in WTP})
    thresholds_file = folder / "psa-thresholds.csv"
    if thresholds_file.is_file():
        try:
            t = pd.read_csv(thresholds_file)
        except Exception:
            t = pd.DataFrame()
        if "switch_value" in t.columns:
            t = t[pd.to_numeric(t["switch_value"], errors="coerce").notna()]
            if "evppi" in t.columns:       # a switch worth nothing to know is the regression's noise, not a real one
                t = t[pd.to_numeric(t["evppi"], errors="coerce").fillna(0.0) > 0]
            keys = [c for c in ("threshold_wtp", "evppi") if c in t.columns]   # the lower threshold, the input worth most to know
            t = t.sort_values(keys, ascending=[True, False][:len(keys)], kind="stable") if keys else t
            facts.thresholds = t.to_dict("records")
    return facts


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{p:.0%}"


def _interval_text(d: Interval | None, unit: str) -> str:
    if d is None:
        return "not comparable"
    if d.n < 2:
        return number(d.mean, unit, signed=True)
    return (f"{number(d.mean, unit, signed=True)}\u00a0({number(d.low, unit, signed=True)}\u00a0to\u00a0"
            f"{number(d.high, unit, signed=True)})")


def _cost_words(d: Interval | None) -> str:
    if d is None:
        return "not comparable"
    if d.includes_zero:
        return f"no clear change ({_interval_text(d, '£')})"
    verb = "saves" if d.mean < 0 else "costs"
    more = "" if d.mean < 0 else " more"
    return f"{verb} {number(abs(d.mean), '£')}{more} ({number(d.low, '£', signed=True)}\u00a0to\u00a0{number(d.high, '£', signed=True)})"


def _cannot_tell(d: Interval) -> bool:
    """Whether a paired difference's 95% interval includes zero (or its mean is exactly zero)."""
    return d.mean == 0 or d.includes_zero


def _cost_direction(cost: Interval) -> str:
    """'it saves £9.4m' / 'it costs £1.2m more', and a word when the runs cannot tell the cost change from zero."""
    said = f"it saves {number(abs(cost.mean), '£')}" if cost.mean < 0 else f"it costs {number(cost.mean, '£')} more"
    return said + (", though the cost change cannot be told from zero either" if _cannot_tell(cost) else "")


def cost_per_qaly(cost: Interval | None, qalys: Interval | None) -> str | None:
    """The cost per QALY gained in plain words, worded by the quadrant of the cost-effectiveness plane.

    ``cost`` and ``qalys`` are a decision's paired differences against the baseline in health and care cost (NHS
    plus council, the cost the net monetary benefit counts) and in QALYs; the ratio of their means is the
    incremental cost per QALY:

    - more cost, more QALYs: "costs £X more per QALY gained";
    - less cost, more QALYs: "saves money and gains QALYs: better on both";
    - more cost, fewer QALYs: "costs more and loses QALYs: worse on both";
    - less cost, fewer QALYs: "saves £X for each QALY lost".

    When the QALY difference's 95% interval includes zero, a ratio to it means nothing: the words say so and give
    only the direction of the cost. None when either difference is missing (the runs cannot be paired).
    """
    if cost is None or qalys is None or not (math.isfinite(cost.mean) and math.isfinite(qalys.mean)):
        return None
    if _cannot_tell(qalys):
        return f"the QALY change cannot be told from zero, so a cost per QALY is not meaningful; {_cost_direction(cost)}"
    per_qaly = money_per_unit(abs(cost.mean / qalys.mean))
    if qalys.mean > 0:
        return f"costs {per_qaly} more per QALY gained" if cost.mean > 0 else "saves money and gains QALYs: better on both"
    return "costs more and loses QALYs: worse on both" if cost.mean >= 0 else f"saves {per_qaly} for each QALY lost"


WIDER_SOCIETY = "Including wider society (lost output and other costs outside health and care)"
"""How a card and the brief name the societal perspective: all costs, not only health and care's."""


def societal_net_benefit(base: ScenarioResults, s: ScenarioResults, wtp: float = 20_000) -> Interval | None:
    """The paired difference in net monetary benefit at ``wtp`` per QALY counting all costs, including wider
    society's (the cost-effectiveness plane's "all costs" view: :data:`dashboard.data.PERSPECTIVE_COSTS`), or
    None if the two cannot be paired or the results lack a cost or the QALYs."""
    if s.plan != base.plan:
        return None
    arms = []
    for r in (s, base):
        qalys, cost = r.values("qalys"), perspective_cost(r, "all")
        if not qalys or len(qalys) != len(cost):
            return None
        arms.append([wtp * q - c for q, c in zip(qalys, cost)])
    if len(arms[0]) != len(arms[1]):
        return None
    return paired_difference(arms[0], arms[1])


def qaly_loss(cost: Interval | None, qalys: Interval | None) -> str | None:
    """What a decision that loses QALYs trades them for, for a sentence that recommends it: "it saves £9.4m
    (-£12.0m to -£7.1m) at a loss of 15 QALYs (13 to 17)". None when it does not lose QALYs on average (or the
    runs cannot be compared). A loss or a saving the runs cannot tell from zero is said to be so."""
    if cost is None or qalys is None or not qalys.mean < 0:
        return None
    if cost.includes_zero:
        money = (f"its cost change cannot be told from zero ({number(cost.mean, '£', signed=True)}, "
                 f"{number(cost.low, '£', signed=True)} to {number(cost.high, '£', signed=True)}), at")
    else:
        money = f"it {_cost_words(cost)} at"
    lost = f"a loss of {number(-qalys.mean, 'QALYs')} QALYs"
    if qalys.n < 2:
        return f"{money} {lost}"
    if qalys.high < 0:
        return f"{money} {lost} ({number(-qalys.high, 'QALYs')} to {number(-qalys.low, 'QALYs')})"
    return (f"{money} {lost} (a change of {number(qalys.low, 'QALYs', signed=True)} to "
            f"{number(qalys.high, 'QALYs', signed=True)}, which cannot be told from no change)")


def _value_label(value) -> str:
    v = _float(value)
    if v is None:
        return str(value)
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _spec(s: ScenarioResults, path: str):
    """The parameter's declaration, as the decision or else the shipped baseline declares it (None if neither does)."""
    from simulation.scenario import shipped_catalogue

    spec = s.scenario.params.get(path) if s.scenario is not None else None
    return spec or shipped_catalogue().get(path)


def _whole_numbers(s: ScenarioResults, path: str) -> bool:
    """Whether an input takes whole numbers only (places, people): its unit's kind, as the decision or the shipped
    baseline declares it."""
    from simulation.parameters import UNITS

    spec = _spec(s, path)
    unit = UNITS.get(spec.unit) if spec is not None else None
    return unit is not None and unit.kind == "int"


def _set_by_decision(s: ScenarioResults, path: str) -> tuple[Any, str] | None:
    """The value the decision itself gives the input and from when ('throughout' for an override, else its action's
    date), or None when it leaves the input at the baseline's (then its PSA varies the figure it starts from)."""
    sc = s.scenario
    if sc is None:
        return None
    if path in sc.overrides:
        return sc.params[path].value, "throughout"
    for a in sc.actions:
        for p, v in getattr(a, "values", ()):
            if p == path:
                return v, f"from {a.when or 'its date'}"
    return None


def _input_words(s: ScenarioResults, path: str, stored: str) -> tuple[str, str]:
    """How a sentence names an uncertain input, and the prefix its values take: the label the parameter declares
    now (the PSA's file keeps the label of the day it ran), "the baseline's ..." when the decision sets the input
    itself (the switch is on the figure it starts from, not on the one it sets), and "£" for money."""
    spec = _spec(s, path)
    label = spec.plain_label() if spec is not None else stored
    if _set_by_decision(s, path) is not None:
        label = "the baseline's " + label[:1].lower() + label[1:]
    money = spec is not None and str(spec.unit).startswith("£")
    return label, "£" if money else ""


def _edge(value, side: str, whole: bool) -> str:
    """A switch value as said: for a whole-number input the whole number on the switch's side ("below 78.4" is
    "below 79", "above 78.4" is "above 78"), else as the PSA found it."""
    v = _float(value)
    if v is None or not whole:
        return _value_label(value)
    return _value_label(math.ceil(v) if side == "below" else math.floor(v) if side == "above" else round(v))


def _model_uses(s: ScenarioResults, path: str, base: str, unit: str = "") -> str:
    """'the model uses 41', or, when the decision itself sets the input (its PSA varies the figure the decision
    starts from), 'the baseline uses 41; this decision sets 79 from month 3'."""
    found = _set_by_decision(s, path)
    if found is None:
        return f"the model uses {base}"
    value, when = found
    return f"the baseline uses {base}; this decision sets {unit}{_value_label(value)} {when}"


def flips_if(facts: PsaFacts | None, s: ScenarioResults) -> str | None:
    """'the answer flips if <input> is above <value>' from the PSA's thresholds (the lower threshold first)."""
    if facts is None or not facts.thresholds:
        return None
    t = facts.thresholds[0]
    path = str(t.get("parameter") or "")
    label, unit = _input_words(s, path, str(t.get("label") or path))
    whole = _whole_numbers(s, path)
    below, above = str(t.get("preferred_below", "")), str(t.get("preferred_above", ""))
    wtp = _float(t.get("threshold_wtp"))
    at = f" at £{wtp:,.0f} per QALY" if wtp else ""
    uses = _model_uses(s, path, unit + _value_label(t.get("base")), unit)
    values = [unit + _edge(v, "", whole) for v in str(t.get("switch_values") or "").split(";") if v.strip()]
    if below == above and len(values) >= 2:   # the answer switches and switches back inside the range
        mine = below in (s.name, s.label)
        return (f"it {'stops being' if mine else 'becomes'} the better choice{at} when {label} is between {values[0]} and "
                f"{values[-1]} ({uses})")
    here = _float(t.get("base"))
    edge = _float(t.get("switch_value"))
    mine_below, mine_above = below in (s.name, s.label), above in (s.name, s.label)
    side = "below" if mine_below else "above"
    switch = unit + _edge(t.get("switch_value"), side if mine_below or mine_above else "", whole)
    if (mine_below or mine_above) and here is not None and edge is not None:
        preferred_now = (here < edge) == mine_below       # which side of the switch the model's own value is on
        if preferred_now:
            return f"it stays the better choice{at} only while {label} is {side} {switch} ({uses})"
        return f"it would become the better choice{at} only if {label} were {side} {switch} ({uses})"
    if mine_below or mine_above:
        return f"it is the better choice{at} while {label} is {side} {switch} ({uses})"
    return f"the better choice{at} flips when {label} passes {switch} ({below} below, {above} above; {uses})"


def robust_sentence(base: ScenarioResults, s: ScenarioResults, facts: PsaFacts | None) -> str:
    """One plain sentence: what is robust and what depends on an assumption."""
    cost = difference(s, base, "cost_health_and_care")
    nmb = difference(s, base, "nmb_20k")
    parts = []
    if cost is not None and cost.n >= 2 and not cost.includes_zero:
        parts.append(f"that it {'saves' if cost.mean < 0 else 'costs'} health and care money is robust to the model's chance")
    elif cost is not None:
        parts.append("whether it saves health and care money is not clear from the runs")
    if nmb is not None and nmb.n >= 2 and not nmb.includes_zero:
        parts.append(f"it is {'good' if nmb.mean > 0 else 'poor'} value at £20,000 per QALY in every plausible run of chance")
    ce = facts.cost_effective.get(20_000) if facts is not None else None
    if ce is not None and (ce >= 0.9 or ce <= 0.1):
        parts.append(f"across the plausible inputs it is {'cost-effective' if ce >= 0.9 else 'not cost-effective'} at "
                     f"£20,000 per QALY ({ce:.0%} of the PSA's samples)")
    elif ce is not None:
        parts.append(f"whether it is cost-effective depends on the inputs (cost-effective in {ce:.0%} of the PSA's samples)")
    flip = flips_if(facts, s)
    if flip:
        parts.append(f"but {flip}")
    elif facts is None:
        parts.append("how it depends on uncertain inputs is not computed yet for this decision")
    else:
        parts.append("no single uncertain input changes the answer within its plausible range")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _card_row(label: str, value: str, cls: str, wrap: bool = False) -> html.Tr:
    return html.Tr([html.Th(label, style={"textAlign": "left", "fontWeight": "normal", "color": "#333", "paddingRight": "10px"}),
                    html.Td(value, className=cls, style={"fontWeight": "bold", "whiteSpace": "normal" if wrap else "nowrap"})])


def answer_card(base: ScenarioResults, s: ScenarioResults, facts: PsaFacts | None) -> html.Div:
    """One decision's answer: the money, the QALYs, the net benefit, how sure, and what would change it."""
    cost = difference(s, base, "cost_health_and_care")
    qalys = difference(s, base, "qalys")
    rows = [
        _card_row(f"Health and care cost (NHS and council), £, {prices()}", _cost_words(cost), "card-cost"),
        _card_row("Quality-adjusted life years", _interval_text(qalys, "QALYs"), "card-qalys"),
        _card_row(f"Cost per QALY gained (NHS and council, {prices()})", cost_per_qaly(cost, qalys) or "not comparable",
                  "card-per-qaly", wrap=True),
        _card_row(f"Net monetary benefit at £20,000 / QALY ({prices()})", _interval_text(difference(s, base, "nmb_20k"), "£"), "card-nmb20"),
        _card_row(f"Net monetary benefit at £30,000 / QALY ({prices()})", _interval_text(difference(s, base, "nmb_30k"), "£"), "card-nmb30"),
    ]
    neutral = neutrality_words(s)
    if neutral:
        rows.append(_card_row("Budget-neutral for each payer? (as planned)", neutral, "card-neutral"))
        simulated = simulated_year(base, s)
        if simulated:
            rows.append(_card_row("As simulated, with its knock-on effects", simulated, "card-neutral-simulated", wrap=True))
    if facts is None:
        why = ("not computed for a decision built in the page (a researcher can compute it: mhsim psa on its YAML)"
               if decision_file(s) is None else (psa_horizon_note(s) or PSA_MISSING))
        rows.append(_card_row("Probability it saves money", why, "card-psa-missing"))
        rows.append(_card_row("Probability it is cost-effective", why, "card-psa-missing"))
    else:
        rows.append(_card_row("Probability it saves money",
                              f"health and care {_pct(facts.saves_health_and_care)} (NHS {_pct(facts.saves_nhs)}, "
                              f"council {_pct(facts.saves_council)})", "card-psa-saves"))
        rows.append(_card_row("Probability it is cost-effective",
                              f"{_pct(facts.cost_effective.get(20_000))} at £20,000; {_pct(facts.cost_effective.get(30_000))} "
                              "at £30,000 per QALY", "card-psa-ce"))
    return html.Div([
        html.H3(s.label, style={"margin": "0 0 6px 0", "fontSize": "18px"}),
        html.Table(html.Tbody(rows), style={"fontSize": "14px", "borderSpacing": "0 2px"}),
        html.P([f"{WIDER_SOCIETY}: net benefit at £20,000 / QALY ",
                html.Span(_interval_text(societal_net_benefit(base, s), "£"), style={"whiteSpace": "nowrap"}),
                f" ({prices()})."], className="card-society", style={"margin": "6px 0 0 0", "fontSize": "14px"}),
        html.P(robust_sentence(base, s, facts), className="card-sentence", style={"margin": "8px 0 0 0", "fontSize": "14px"}),
        *([html.P(PSA_VERSUS_TABLE, className="card-psa-note", style={"margin": "6px 0 0 0", "fontSize": "13px", "color": "#444"})]
          if facts is not None else []),
        *([html.P(PSA_AT_SMALL_SCALE.format(pct=f"{s.plan.scale:.0%}"), className="card-psa-scale",
                  style={"margin": "6px 0 0 0", "fontSize": "13px", "color": "#444"})]
          if facts is not None and s.plan.scale < 1 else []),
        *([html.P(against, className="card-psa-against", style={"margin": "6px 0 0 0", "fontSize": "13px", "color": "#a33b00",
                                                                 "fontWeight": "bold"})]
          if (against := runs_against_psa(cost, facts)) else []),
    ], className="answer-card", style={"border": "1px solid #b8cfe3", "borderRadius": "6px", "padding": "10px 14px",
                                        "background": "#f7fbff", "width": "430px", "verticalAlign": "top"})


def simulated_year(base: ScenarioResults, s: ScenarioResults) -> str | None:
    """What each payer spends more or less in the run's last full financial year, as simulated: the planned
    budget-neutrality counts only the money moved; this adds what the decision changes elsewhere (crises, beds,
    budgets taken up). None when the two cannot be paired year by year."""
    from .data import budget_impact

    t = budget_impact(base, s)
    if t is None or t.empty:
        return None
    full = t[t["months"] == 12]
    if full.empty:
        return None
    fy = list(dict.fromkeys(full["financial_year"]))[-1]
    parts = []
    for payer, name in (("nhs", "NHS"), ("council", "council")):
        r = full[(full["payer"] == payer) & (full["financial_year"] == fy)]
        if r.empty:
            continue
        r = r.iloc[0]
        iv = Interval(float(r["difference"]), float(r["difference_ci_low"]), float(r["difference_ci_high"]), math.nan, int(r["n"]))
        parts.append(f"{name} {_interval_text(iv, '£')}")
    return f"in {fy}: " + "; ".join(parts) + f" ({prices()}, cash)" if parts else None


def neutrality_words(s: ScenarioResults) -> str | None:
    """For a reinvestment package: whether it is budget-neutral for each payer, as its scenario file says."""
    from simulation.reinvestment import neutrality_statement

    said = neutrality_statement(s.yaml_text, s.scenario.file if s.scenario is not None else None,
                                s.scenario.values if s.scenario is not None else None)
    return None if said is None else said.sentence()


def answer_cards(base: ScenarioResults, others: list[ScenarioResults], root: Path | None = None) -> html.Div:
    ranked = rank(base, others)
    return html.Div([answer_card(base, s, read_psa(s, root)) for s, _ in ranked],
                    id="answer-cards", style={"display": "flex", "flexWrap": "wrap", "gap": "12px"})


def rank(base: ScenarioResults, others: list[ScenarioResults], metric: str = "nmb_20k") -> list[tuple[ScenarioResults, Interval | None]]:
    """Decisions by their net monetary benefit against the baseline, best first (those not comparable last)."""
    pairs = [(s, difference(s, base, metric)) for s in others]
    return sorted(pairs, key=lambda p: -(p[1].mean if p[1] is not None and not math.isnan(p[1].mean) else -math.inf))


def ranking_sentence(base: ScenarioResults, others: list[ScenarioResults]) -> str:
    """Which is best value, and whether it is clearly better than the next (paired: the runs share their chance)."""
    ranked = [(s, d) for s, d in rank(base, others) if d is not None]
    if not ranked:
        return ""
    best, d = ranked[0]
    loss = qaly_loss(difference(best, base, "cost_health_and_care"), difference(best, base, "qalys"))
    text = (f"Best value at £20,000 per QALY: {best.label}, net monetary benefit {_interval_text(d, '£')} against "
            f"{base.label}" + (f"; {loss}." if loss else "."))
    if len(ranked) > 1:
        second = ranked[1][0]
        gap = difference(best, second, "nmb_20k")
        if gap is not None and gap.n >= 2 and gap.low > 0:
            text += f" It is clearly better than the next, {second.label} (by {_interval_text(gap, '£')})."
        elif gap is not None:
            text += (f" It cannot be told apart from the next, {second.label} (difference {_interval_text(gap, '£')}): "
                     "choose between them on other grounds.")
    if d.n >= 2 and d.high < 0:
        text += " No decision here is good value against the baseline."
    return text + f" (Money in {prices(base)}, discounted.)"
