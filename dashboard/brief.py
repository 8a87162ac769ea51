"""The brief a board reads: two pages first, then a compact appendix.

Pages one and two say, in plain words and with labels instead of parameter
names: the decision, the recommendation the numbers support, who pays year by
year (and, for a reinvestment, whether it is budget-neutral for each payer),
the people displaced, how sure the model is, and what would change the answer.
The appendix (a few pages) has two figures, the key differences, the
assumptions with their sources explained (what "R21" or "S9" is), and the run.
The whole brief prints on about eight A4 pages for the shipped comparison.

The file is self-contained and offline: figures are static PNG images embedded
in the page (no script at all), so it stays well under 2 MB. Every sum of money
names its price year (the model's, from the price index in the parameters), and
nothing in it is a command or a parameter's code name.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re

import pandas as pd

from simulation import MODEL_VERSION, model_fingerprint
from simulation.formatting import number, parameter_value
from simulation.reinvestment import price_year
from simulation.scenario import shipped_catalogue
from simulation.sources import explain

from . import figures as F
from .data import ScenarioResults, difference
from .decision import (
    WIDER_SOCIETY, PsaFacts, cost_per_qaly, flips_if, neutrality_words, qaly_loss, rank, ranking_sentence, read_psa,
    societal_net_benefit,
)
from .views import BUDGET_PAYERS, PAYER_NAMES, budget_rows, cohort_facts, cohort_outcomes_frame, cohort_sentence, first_years
from simulation.formatting import years as years_text

PAGE_BREAK_MARKER = 'id="summary-end"'
"""The summary's last element: everything before it is the two pages a board reads."""

NOT_COMPUTED = ("not yet computed for this decision: the probabilities come from a probabilistic sensitivity analysis "
                "(every uncertain input varied across its plausible range), which is run for the shipped decisions")

CSS = """
@page { size: A4; margin: 12mm 13mm 13mm 13mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10pt; line-height: 1.3; color: #111; max-width: 184mm; margin: 0 auto; }
h1 { font-size: 15pt; margin: 0 0 1.5mm 0; } h2 { font-size: 11.5pt; margin: 3mm 0 1mm 0; color: #003a63; }
h3 { font-size: 10pt; margin: 2.5mm 0 1mm 0; }
p { margin: 0.8mm 0 1.2mm 0; } ul { margin: 0.5mm 0 1mm 0; padding-left: 6mm; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 0.8mm 0 1.5mm 0; }
th, td { border: 1px solid #c8d3de; padding: 0.7mm 1.3mm; text-align: left; vertical-align: top; }
th { background: #eef4fa; }
td.num { text-align: right; white-space: nowrap; }
.iv { color: #444; font-size: 7.5pt; white-space: nowrap; }
.small { color: #444; font-size: 8.5pt; }
.lead { font-size: 10.5pt; font-weight: bold; background: #f1f7fc; border-left: 4px solid #0072B2; padding: 1.5mm 2.5mm; }
.summary { page-break-after: always; break-after: page; }
.figure { page-break-inside: avoid; break-inside: avoid; margin: 1mm 0; }
.figure img { width: 100%; }
.appendix { font-size: 8.5pt; }
.appendix table { font-size: 7.5pt; }
.appendix h2 { font-size: 11pt; }
.cols { column-count: 2; column-gap: 6mm; font-size: 7.2pt; line-height: 1.22; }
.cols p { margin: 0 0 0.9mm 0; break-inside: avoid; page-break-inside: avoid; }
tr { page-break-inside: avoid; break-inside: avoid; }
"""

_CODE_NAME = re.compile(r"\b(?:services|population|crisis|costs|programmes|census|recovery|prices|quality_of_life|"
                        r"housing|budgets)\.[a-z0-9_.]+[a-z0-9_]")


def _e(text) -> str:
    return html.escape(str(text))


SECTION_WORDS = {"census": "At the start", "population": "Population", "crisis": "Crisis", "recovery": "Recovery",
                 "employment": "Work", "mortality": "Deaths", "suicide": "Suicide", "quality_of_life": "Quality of life",
                 "costs": "Costs", "acute_beds": "Acute beds"}
_SEED_LINES = re.compile(r"\b[Ss]eed(?: report)?(?:,)? l\.\s?\d+(?:-\d+)?(?:,\s*l\.\s?\d+(?:-\d+)?)*")
_YAML_FILE = re.compile(r"\b([a-z0-9_]+)\.yaml\b")


def label(path: str, spec=None) -> str:
    """A parameter's label for a board: its declared label, else one made from its place in the model ("Peer support
    (Sociability): join rate per year", "At the start: in acute beds"), never the dotted code name."""
    if spec is not None and spec.label:
        return str(spec.label)
    from simulation.catalogue import SERVICES, service_label

    parts = path.split(".")
    if parts[0] == "prices" and parts[-1].startswith("index_"):
        return f"Price level of {parts[-1][6:]}"
    if parts[0] == "services" and len(parts) > 2:
        head, rest = (service_label(parts[1]) if parts[1] in SERVICES else parts[1].replace("_", " ")), parts[2:]
    elif parts[0] == "programmes" and len(parts) > 2:
        head, rest = parts[1].replace("_", " ").capitalize(), parts[2:]
    else:
        head, rest = SECTION_WORDS.get(parts[0], parts[0].replace("_", " ").capitalize()), parts[1:]
    leaf = " ".join(rest).replace("_", " ")
    return f"{head}: {leaf}" if leaf else head


def _scenario_name(stem: str) -> str | None:
    from simulation.scenario import SHIPPED_SCENARIOS

    f = SHIPPED_SCENARIOS / f"{stem}.yaml"
    if not f.is_file():
        return None
    for line in f.read_text(encoding="utf-8").splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return None


def plain(text: str) -> str:
    """Code in a sentence becomes words: a parameter's code name its label ("services.peer_support.base_places"
    reads "peer support places run by paid key workers"), a shipped scenario file its name, the seed report's line
    numbers "the Essex report". A board reader never sees a code name or a command."""
    catalogue = shipped_catalogue()

    def param(m: re.Match) -> str:
        return label(m.group(0), catalogue.get(m.group(0))).lower()

    def scenario(m: re.Match) -> str:
        name = _scenario_name(m.group(1))
        return f"'{name}'" if name else m.group(1).replace("_", " ")
    text = _CODE_NAME.sub(param, text)
    text = _YAML_FILE.sub(scenario, text)
    return _SEED_LINES.sub("the Essex report", text).replace("MODEL.md", "the model's documentation")


def _prices(base: ScenarioResults) -> str:
    """'2024 prices': the model's price year (the year whose price index is 1 in the parameters)."""
    return f"{price_year(base.scenario.values if base.scenario is not None else None)} prices"


def _iv(d, unit: str) -> str:
    if d is None:
        return "not comparable"
    if d.n < 2:
        return number(d.mean, unit, signed=True)
    return f"{number(d.mean, unit, signed=True)} ({number(d.low, unit, signed=True)} to {number(d.high, unit, signed=True)})"


def _cell(d, unit: str) -> str:
    """A table cell: the change, and its interval beneath in small type (never wrapped mid-number)."""
    if d is None:
        return "<td class='num'>-</td>"
    if d.n < 2:
        return f"<td class='num'>{_e(number(d.mean, unit, signed=True))}</td>"
    return (f"<td class='num'>{_e(number(d.mean, unit, signed=True))}<br><span class='iv'>"
            f"{_e(number(d.low, unit, signed=True))} to {_e(number(d.high, unit, signed=True))}</span></td>")


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{p:.0%}"


def recommendation(base: ScenarioResults, s: ScenarioResults, facts: PsaFacts | None) -> str:
    """What the numbers support, in one or two sentences (never more than they show)."""
    nmb = difference(s, base, "nmb_20k")
    cost = difference(s, base, "cost_health_and_care")
    if nmb is None or cost is None:
        return f"{s.label} was run with different settings from {base.label}: the numbers cannot support a recommendation."
    sure = "" if facts is None or facts.cost_effective.get(20_000) is None else \
        (f" With every uncertain input varied across its plausible range, it is cost-effective at £20,000 per QALY in "
         f"{facts.cost_effective[20_000]:.0%} of the trials.")
    loss = qaly_loss(cost, difference(s, base, "qalys"))
    if nmb.n >= 2 and nmb.low > 0 and loss:   # a recommendation that costs QALYs names the loss
        head = (f"The numbers support '{s.label}': {loss}; at £20,000 per QALY it is worth "
                f"{number(nmb.mean, '£')} more than '{base.label}' to health and care ({_iv(nmb, '£')}).")
    elif nmb.n >= 2 and nmb.low > 0:
        head = (f"The numbers support '{s.label}': at £20,000 per QALY it is worth "
                f"{number(nmb.mean, '£')} more than '{base.label}' to health and care ({_iv(nmb, '£')}).")
    elif nmb.n >= 2 and nmb.high < 0:
        head = (f"The numbers do not support '{s.label}' on value for money: at £20,000 per QALY it is worth "
                f"{number(abs(nmb.mean), '£')} less than '{base.label}' ({_iv(nmb, '£')}).")
    else:
        head = (f"The numbers do not settle it: the net benefit of '{s.label}' at £20,000 per QALY could be either side "
                f"of zero ({_iv(nmb, '£')}); decide on what it does to people and who pays.")
    return head + sure


def _budget_table(t: pd.DataFrame, label: str, prices: str) -> str:
    mine = t[t["scenario"] == label]
    fys = first_years(mine)
    head = "".join(f"<th>{_e(fy)}</th>" for fy in fys)
    rows = []
    for payer in BUDGET_PAYERS:
        cells = []
        for fy in fys:
            r = mine[(mine["payer"] == payer) & (mine["financial_year"] == fy)]
            if r.empty:
                cells.append("<td></td>")
                continue
            r = r.iloc[0]
            cells.append(f"<td class='num'>{_e(number(r['difference'], '£', signed=True))}<br><span class='iv'>"
                         f"{_e(number(r['difference_ci_low'], '£', signed=True))} to "
                         f"{_e(number(r['difference_ci_high'], '£', signed=True))}</span></td>")
        rows.append(f"<tr><th>{_e(PAYER_NAMES[payer])}</th>{''.join(cells)}</tr>")
    months = {fy: int(mine[mine["financial_year"] == fy]["months"].iloc[0]) for fy in fys}
    partial = [f"{fy} has {m} months" for fy, m in months.items() if m != 12]
    note = (" " + "; ".join(partial) + ".") if partial else ""
    return (f"<table id='brief-budget'><tr><th>Payer (cash, {_e(prices)})</th>{head}</tr>{''.join(rows)}</table>"
            f"<p class='small'>Cash (undiscounted, {_e(prices)}) by financial year, April to March; + pays more, - saves; "
            f"95% intervals below each figure.{_e(note)}</p>")


def _over_the_run(base: ScenarioResults, s: ScenarioResults, prices: str) -> str:
    """Each payer's change over the whole run, discounted, in words."""
    from .report import _who_pays_in_words

    parts = [_who_pays_in_words(d, who) for metric, who in (("cost_nhs", "the NHS"), ("cost_council", "the council"))
             if (d := difference(s, base, metric)) is not None]
    if not parts:
        return ""
    return (f"<p>Over the {years_text(s.plan.years)} (discounted, {_e(prices)}): " + _e("; ".join(parts)) + ".</p>")


def _displacing(s: ScenarioResults) -> list[dict]:
    """The cohorts of closures this decision makes (a comparison follows every closure in every run: a decision
    that does not close a service only 'displaces' people who all kept their place)."""
    closes = {a.service for a in s.scenario.actions if a.verb == "close"} if s.scenario is not None else None
    out = []
    for fact in cohort_facts(s):
        if closes is not None and fact["service"] not in closes:
            continue
        if all(where == "kept their place" for where, _ in fact["sent"]):
            continue
        out.append(fact)
    return out


PEOPLE_OUTCOMES = ("Crisis episodes", "Acute admissions", "Recoveries", "In work at the end", "Died")


def _people_section(s: ScenarioResults) -> str:
    facts = _displacing(s)
    if not facts:
        return f"<p>{_e(s.label)} closes no service whose users hold a place, so it displaces nobody.</p>"
    out = []
    for fact in facts:
        frame = cohort_outcomes_frame(s, fact).set_index("Outcome for these people")
        keep = [o for o in PEOPLE_OUTCOMES if o in frame.index]
        cols = list(frame.columns)
        head = "".join(f"<th>{_e(o)}</th>" for o in keep)
        rows = "".join(f"<tr><th>{_e(name)}</th>" + "".join(f"<td class='num'>{_e(frame.loc[o, col])}</td>" for o in keep)
                       + "</tr>" for name, col in (("With the closure", cols[0]), ("The same people without it", cols[1]),
                                                   ("Change (95% interval)", cols[2])))
        out.append(f"<p>{_e(cohort_sentence(s, fact))}</p><table class='people'><tr><th>These people</th>{head}</tr>{rows}</table>")
    return "".join(out)


def _sure_words(base: ScenarioResults, s: ScenarioResults, facts: PsaFacts | None) -> str:
    """One plain sentence: what is robust to chance, and what depends on the uncertain inputs."""
    cost = difference(s, base, "cost_health_and_care")
    parts = []
    if cost is not None and cost.n >= 2 and not cost.includes_zero:
        parts.append(f"that it {'saves' if cost.mean < 0 else 'costs'} health and care money holds in every plausible "
                     "run of chance")
    elif cost is not None:
        parts.append("whether it saves health and care money is not clear from the runs")
    ce = facts.cost_effective.get(20_000) if facts is not None else None
    if ce is not None:
        parts.append(f"it is cost-effective at £20,000 per QALY in {ce:.0%} of the trials that vary every uncertain input")
    else:
        parts.append("how much the answer depends on the uncertain inputs is " + NOT_COMPUTED)
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _sure_section(base: ScenarioResults, s: ScenarioResults, facts: PsaFacts | None, prices: str) -> str:
    cost, qalys = difference(s, base, "cost_health_and_care"), difference(s, base, "qalys")
    rows = [(f"Health and care cost (NHS and council, discounted, {prices})", _iv(cost, "£")),
            ("Quality-adjusted life years (QALYs)", _iv(qalys, "QALYs")),
            (f"Cost per QALY gained (NHS and council, {prices})", cost_per_qaly(cost, qalys) or "not comparable"),
            (f"Net monetary benefit at £20,000 per QALY ({prices})", _iv(difference(s, base, "nmb_20k"), "£")),
            (f"Net monetary benefit at £30,000 per QALY ({prices})", _iv(difference(s, base, "nmb_30k"), "£")),
            (f"{WIDER_SOCIETY}: net benefit at £20,000 per QALY ({prices})", _iv(societal_net_benefit(base, s), "£"))]
    if facts is None:
        rows.append(("Probability it saves money / is cost-effective", "not yet computed for this decision"))
    else:
        rows.append(("Probability it saves health and care money", f"{_pct(facts.saves_health_and_care)} (NHS "
                                                                    f"{_pct(facts.saves_nhs)}, council {_pct(facts.saves_council)})"))
        rows.append(("Probability it is cost-effective", f"{_pct(facts.cost_effective.get(20_000))} at £20,000; "
                                                         f"{_pct(facts.cost_effective.get(30_000))} at £30,000 per QALY"))
    body = "".join(f"<tr><th>{_e(a)}</th><td class='{'words' if a.startswith('Cost per QALY') else 'num'}'>{_e(b)}</td></tr>"
                   for a, b in rows)
    return f"<table id='brief-sure'>{body}</table><p>{_e(_sure_words(base, s, facts))}</p>"


def _change_section(s: ScenarioResults, facts: PsaFacts | None) -> str:
    if facts is None:
        return (f"<p>Which uncertain inputs would change the answer is {_e(NOT_COMPUTED)}. Until then, treat the figures "
                "in the appendix marked 'assumption' (rather than a published source) as the ones to challenge.</p>")
    if not facts.thresholds:
        return "<p>No single uncertain input changes the answer within its plausible range.</p>"
    items = []
    for t in facts.thresholds[:3]:
        one = PsaFacts(facts.folder, thresholds=[t])
        items.append(f"<li>{_e(plain(flips_if(one, s) or '').capitalize())}.</li>")
    return f"<ul>{''.join(items)}</ul>"


def _ranking_table(base: ScenarioResults, others: list[ScenarioResults], prices: str) -> str:
    rows = []
    for s, nmb in rank(base, others):
        facts = read_psa(s)
        ce = "-" if facts is None or facts.cost_effective.get(20_000) is None else f"{facts.cost_effective[20_000]:.0%}"
        rows.append(f"<tr><td>{_e(s.label)}</td>{_cell(difference(s, base, 'cost_health_and_care'), '£')}"
                    f"{_cell(difference(s, base, 'qalys'), 'QALYs')}{_cell(nmb, '£')}"
                    f"{_cell(societal_net_benefit(base, s), '£')}<td class='num'>{_e(ce)}</td></tr>")
    return (f"<table id='brief-ranking'><tr><th>Decision (best value first)</th><th>Health and care cost ({_e(prices)})</th>"
            "<th>QALYs</th><th>Net benefit at £20,000/QALY</th><th>The same, including wider society (lost output and "
            "other costs outside health and care)</th><th>Probability cost-effective</th></tr>"
            + "".join(rows) + "</table>")


def _decision_text(s: ScenarioResults) -> str:
    actions = "; ".join(s.actions) if s.actions else "no timed actions"
    return (f"<p><b>{_e(s.label)}.</b> {_e(plain(s.description or ''))} "
            f"<span class='small'>(What changes: {_e(plain(actions))}.)</span></p>")


def _png(fig, height: int) -> str | None:
    from .report import figure_png

    try:
        data = figure_png(fig, width=1000, height=height)
    except Exception:  # no browser for static images: the brief says so instead of failing
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode()


def _figure(title: str, fig, height: int = 400) -> str:
    src = _png(fig, height)
    if src is None:
        return f"<p class='small'>{_e(title)}: not drawn (static images need Debian's chromium).</p>"
    return f"<div class='figure'><img alt='{_e(title)}' src='{src}'></div>"


def _figures(base: ScenarioResults, others: list[ScenarioResults], focus: ScenarioResults, metric: str, prices: str) -> str:
    """Two figures: the focus decision's change over time, and who pays for every decision's change."""
    start = base.scenario.settings.start_date if base.scenario else None
    payer = F.cost_change_by_payer_figure(base, others)
    payer.update_yaxes(title=f"Change in £ million (discounted, {prices})")
    return (_figure("Change over time", F.difference_timeseries_figure(base, [focus], metric, start), 340)
            + _figure("Who pays for the change", payer, 380))


KEY_DIFFERENCES = ("cost_health_and_care", "cost_nhs", "cost_council", "qalys", "nmb_20k", "crisis_episodes",
                   "acute_admissions", "acute_bed_days", "out_of_area_placements", "residential_placements_end",
                   "recoveries", "people_employed_end", "suicides", "cost_society")
GLANCE = (("cost_nhs", "NHS cost"), ("cost_council", "Council cost"), ("crisis_episodes", "Crisis episodes"),
          ("acute_admissions", "Acute admissions"), ("suicides", "Suicides"), ("qalys", "QALYs"))


def _key_differences(base: ScenarioResults, focus: ScenarioResults, prices: str) -> str:
    from .report import table_for_people

    t = table_for_people(base, [focus], KEY_DIFFERENCES)
    t = t[t["Scenario"] == focus.label]
    rows = "".join(f"<tr><td>{_e(r['Outcome'])}</td><td class='num'>{_e(r['Mean'])}</td>"
                   f"<td class='num'>{_e(r['Change against baseline'])} <span class='iv'>"
                   f"{_e('(' + r['95% interval of the change'] + ')' if r['95% interval of the change'] else '')}"
                   f"</span></td><td>{_e(r['Verdict'])}</td></tr>" for _, r in t.iterrows())
    return (f"<table id='brief-differences'><tr><th>Outcome (money: £, {_e(prices)}, discounted)</th><th>{_e(focus.label)}</th>"
            f"<th>Change against {_e(base.label)} (95% interval)</th><th>Verdict</th></tr>{rows}</table>"
            "<p class='small'>better/worse: the 95% interval of the change excludes zero; no clear difference: it includes "
            "zero. Wider society's cost (mostly output lost when people are out of work) is beside, not in, health and "
            "care's.</p>")


def _glance(base: ScenarioResults, others: list[ScenarioResults], prices: str) -> str:
    head = "".join(f"<th>{_e(name)}</th>" for _, name in GLANCE)
    rows = "".join(f"<tr><td>{_e(s.label)}</td>" + "".join(_cell(difference(s, base, m), "£" if m.startswith("cost") else "")
                                                            for m, _ in GLANCE) + "</tr>" for s, _ in rank(base, others))
    return (f"<h3>Every decision at a glance: change against {_e(base.label)} (money: {_e(prices)}, discounted)</h3>"
            f"<table id='brief-glance'><tr><th>Decision</th>{head}</tr>{rows}</table>")


def _first_sentence(text: str, limit: int = 150) -> str:
    text = " ".join(str(text).split())
    cut = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0]
    return cut if len(cut) <= limit else cut[: limit - 1].rsplit(" ", 1)[0] + "…"


def _amount(spec, value) -> str:
    """A parameter's value with its unit, for people: on/off for a switch, and money as "£460,000 per year (2015
    prices)", naming the price year its figure is in."""
    if isinstance(value, bool):
        return "on" if value else "off"
    unit = str(getattr(spec, "unit", "") or "")
    text = parameter_value(value)
    if unit.startswith("£"):
        year = getattr(spec, "price_year", None)
        return f"£{text}{unit[1:]}" + (f" ({year} prices)" if year else "")
    return text if unit in ("", "share", "switch") else f"{text} {unit}"


def _closure_row(label_: str, a) -> tuple[str, str, str]:
    """Where a closure sends its users, and the raised risk of those left without a place, in one row."""
    from simulation.catalogue import service_label

    words = {"personal_budgets": "a personal budget", "personal_health_budgets": "a personal health budget"}
    sent = [f"{share:.0%} to {words.get(t) or service_label(t)}" for t, share in a.redirect]
    rest = 1.0 - sum(share for _, share in a.redirect)
    if rest > 1e-9:
        sent.append(f"{rest:.0%} to nothing")
    risk = (f"; crisis risk x{a.raised_risk[0]:g} for {a.raised_risk[1]:g} months for those left without a place"
            if a.raised_risk else "")
    return (f"{label_}: where the users of {service_label(a.service or '')} are sent, from {a.when or 'its date'}",
            ", ".join(sent) + risk, "set by this decision")


def _changed_rows(scenarios: list[ScenarioResults], catalogue) -> tuple[list[tuple[str, str, str]], set[str], list[str]]:
    """What each decision sets: (assumption, value, where it comes from), the paths it changes, the sources cited."""
    rows, changed, cited = [], set(), []
    for s in scenarios:
        if s.scenario is None:
            continue
        for path in s.scenario.overrides:
            spec, base = s.scenario.params[path], catalogue.get(path)
            was = f" (baseline {_amount(base, base.value)})" if base is not None else ""
            why = "set by this decision" + (f"; the baseline's figure: {base.source}" if base is not None and base.source else "")
            rows.append((f"{s.label}: {label(path, spec)}", f"{_amount(spec, spec.value)}{was}", plain(why)))
            changed.add(path)
            if base is not None and base.source:
                cited.append(base.source)
        for a in s.scenario.actions:
            for path, value in a.values:
                base = catalogue.get(path)
                was = f" (baseline {_amount(base, base.value)})" if base is not None else ""
                rows.append((f"{s.label}: {label(path, base)}, from {a.when or 'its date'}",
                             f"{_amount(base, value)}{was}", "set by this decision"))
            if a.redirect or a.raised_risk:
                rows.append(_closure_row(s.label, a))
    return rows, changed, cited


def _assumptions(scenarios: list[ScenarioResults]) -> tuple[str, str, str]:
    """The assumptions the decisions change (a table), every other figure of the baseline model (a compact list in
    two columns: label, value, plausible range and either its source ids or the first sentence of its reasoning),
    and the sources they cite, explained."""
    catalogue = shipped_catalogue()
    rows, changed, cited = _changed_rows(scenarios, catalogue)
    changed_table = "".join(f"<tr><td>{_e(a)}</td><td>{_e(b)}</td><td>{_e(c)}</td></tr>" for a, b, c in rows)
    entries = []
    for path, spec in catalogue.items():
        if path in changed or spec.value is None:
            continue
        rng = f" ({parameter_value(spec.low)} to {parameter_value(spec.high)})" if spec.low is not None else ""
        if spec.source:
            cited.append(spec.source)
            ids = ", ".join(sid for sid, _ in explain(spec.source)) or plain(_first_sentence(spec.source, 90))
            where = f"<i>source: {_e(ids)}</i>"
        else:
            where = f"<i>assumption:</i> {_e(plain(_first_sentence(spec.assumption or '')))}"
        entries.append(f"<p><b>{_e(label(path, spec))}</b>: {_e(_amount(spec, spec.value) + rng)}; {where}</p>")
    seen: dict[str, str] = {}
    for text in cited:
        for sid, what in explain(text):
            seen.setdefault(sid, what)
    sources = "".join(f"<p><b>{_e(k)}</b> {_e(v)}</p>" for k, v in
                      sorted(seen.items(), key=lambda kv: (kv[0][0], int("".join(c for c in kv[0] if c.isdigit()) or 0))))
    return changed_table, "".join(entries), sources


def _focus(base: ScenarioResults, others: list[ScenarioResults], focus: ScenarioResults | None) -> ScenarioResults | None:
    if focus is None or focus.key not in {o.key for o in others}:
        ranked = rank(base, others)
        return ranked[0][0] if ranked else (others[0] if others else None)
    return focus


def _summary(base: ScenarioResults, others: list[ScenarioResults], focus: ScenarioResults, prices: str) -> str:
    facts = read_psa(focus)
    t = budget_rows(base, [focus])
    ranking = ""
    if len(others) > 1:
        ranking = (f"<h2>Which is best value</h2><p>{_e(ranking_sentence(base, others))}</p>"
                   f"{_ranking_table(base, others, prices)}"
                   f"<p class='small'>The rest of this summary is about <b>{_e(focus.label)}</b>.</p>")
    neutral = neutrality_words(focus)
    neutral_html = f"<p id='brief-neutrality'><b>Reinvestment:</b> {_e(neutral)}</p>" if neutral else ""
    budget = _budget_table(t, focus.label, prices) if not t.empty else "<p>Not comparable year by year.</p>"
    return f"""
<h2>The decision</h2>{_decision_text(focus)}
<h2>What the numbers support</h2><p class="lead" id="brief-recommendation">{_e(recommendation(base, focus, facts))}</p>
{ranking}
<h2>Who pays, year by year</h2>{budget}{_over_the_run(base, focus, prices)}{neutral_html}
<h2>The people displaced</h2>{_people_section(focus)}
<h2>How sure</h2>{_sure_section(base, focus, facts, prices)}
<h2>What would change the answer</h2>{_change_section(focus, facts)}
"""


def board_brief(base: ScenarioResults, others: list[ScenarioResults], focus: ScenarioResults | None = None,
                timeseries_metric: str = "crisis_episodes") -> str:
    """The brief: two pages a board reads, then a compact appendix."""
    focus = _focus(base, others, focus)
    prices = _prices(base)
    created = dt.datetime.now().strftime("%d %B %Y")
    title = (f"{focus.label} against {base.label}" if focus is not None and len(others) == 1
             else f"{len(others)} decisions against {base.label}")
    if focus is None:
        summary, figures, differences = "<p>No decision was chosen to compare with the baseline.</p>", "", ""
    else:
        summary = _summary(base, others, focus, prices)
        figures = _figures(base, others, focus, timeseries_metric, prices)
        differences = (f"<h2>Key differences: {_e(focus.label)}</h2>{_key_differences(base, focus, prices)}"
                       + (_glance(base, others, prices) if len(others) > 1 else ""))
    changed, baseline_figures, sources = _assumptions([base, *others])
    changed_html = ("<h3>What the decisions set</h3><table><tr><th>Assumption</th><th>Value</th><th>Where it comes from</th>"
                    f"</tr>{changed}</table>") if changed else ""
    manifest = "; ".join(f"{s.label} {s.content_hash[:12]}" for s in [base, *others])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Brief: {_e(title)}</title>
<style>{CSS}</style></head><body>
<div class="summary" id="summary">
<h1>{_e(title)}</h1>
<p class="small">A decision brief from mhsim, the simulation of Essex's adult mental health system, {created}. Money is
the cost to health and care (NHS and council) in {_e(prices)}, discounted at 3.5% a year unless it says "cash"; every
change is against {_e(base.label)}, with its 95% interval. Run: {_e(base.plan.describe())}.</p>
{summary}
<p class="small" {PAGE_BREAK_MARKER}>The appendix gives two figures, the key differences, every assumption with its
source, and the run.</p>
</div>
<div class="appendix" id="appendix">
<h2>Appendix</h2>
{figures}
{differences}
<h2>The assumptions and where they come from</h2>
<p class="small">What the decisions set first; then every figure of the baseline model with its plausible range and
either the published source it stands on (the ids are explained below) or the reasoning behind it (an assumption).
Money figures are in the price year of their source, uprated to {_e(prices)} by a price index.</p>
{changed_html}
<h3>The baseline model's figures</h3>
<div class="cols" id="baseline-figures">{baseline_figures}</div>
<h3>The sources explained</h3>
<p class="small">S: the Essex report (Hope for Better Mental Health, 2015); C: published unit costs; R: published rates
and outcomes; E: Essex figures; D: the project's own sourcebook.</p>
<div class="cols" id="sources">{sources}</div>
<h3>The run</h3>
<p class="small">{_e(base.plan.describe())}; mhsim {_e(MODEL_VERSION)}, model source {model_fingerprint()}. Verification,
calibration and limitations are documented with the model (docs/verification.md, docs/calibration-targets.md,
docs/limitations.md).</p>
<p class="small">Each scenario's content (its fingerprint): {_e(manifest)}.</p>
</div>
</body></html>
"""
