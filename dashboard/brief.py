"""The brief a board reads: two pages first, then an appendix.

Page one and two say, in plain words and with labels instead of parameter
names: the decision, the recommendation the numbers support, who pays year by
year, the people displaced, how sure the model is, and what would change the
answer. Then the figures, the key differences, and an appendix of the
assumptions with their sources explained (what "R21" or "S9" is), and the
manifest of the run.

The file is self-contained and offline: figures are static PNG images embedded
in the page (no script at all), so it stays well under 2 MB and prints on A4.
"""

from __future__ import annotations

import base64
import datetime as dt
import html

import pandas as pd

from simulation import MODEL_VERSION, model_fingerprint
from simulation.formatting import number, parameter_value
from simulation.scenario import shipped_catalogue
from simulation.sources import explain

from . import figures as F
from .data import ScenarioResults, difference
from .decision import PSA_MISSING, PsaFacts, flips_if, rank, ranking_sentence, read_psa, robust_sentence
from .views import (
    BUDGET_PAYERS, PAYER_NAMES, budget_rows, cohort_facts, cohort_outcomes_frame, cohort_sentence, first_years,
)

CSS = """
@page { size: A4; margin: 14mm 14mm 16mm 14mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; line-height: 1.35; color: #111; max-width: 182mm; margin: 0 auto; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; } h2 { font-size: 12.5pt; margin: 4mm 0 1.5mm 0; color: #003a63; }
h3 { font-size: 11pt; margin: 3mm 0 1mm 0; }
p { margin: 1mm 0 1.5mm 0; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 1mm 0 2mm 0; }
th, td { border: 1px solid #c8d3de; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #eef4fa; }
td.num { text-align: right; white-space: nowrap; }
.small { color: #444; font-size: 9pt; }
.lead { font-size: 12pt; font-weight: bold; background: #f1f7fc; border-left: 4px solid #0072B2; padding: 2mm 3mm; }
.summary { page-break-after: always; break-after: page; }
.figure { page-break-inside: avoid; break-inside: avoid; margin: 2mm 0; }
.figure img { width: 100%; }
.appendix { page-break-before: always; break-before: page; }
"""


def _e(text) -> str:
    return html.escape(str(text))


def _iv(d, unit: str) -> str:
    if d is None:
        return "not comparable"
    if d.n < 2:
        return number(d.mean, unit, signed=True)
    return f"{number(d.mean, unit, signed=True)} ({number(d.low, unit, signed=True)} to {number(d.high, unit, signed=True)})"


def recommendation(base: ScenarioResults, s: ScenarioResults, facts: PsaFacts | None) -> str:
    """What the numbers support, in one or two sentences (never more than they show)."""
    nmb = difference(s, base, "nmb_20k")
    cost = difference(s, base, "cost_health_and_care")
    if nmb is None or cost is None:
        return f"{s.label} was run with different settings from {base.label}: the numbers cannot support a recommendation."
    sure = "" if facts is None or facts.cost_effective.get(20_000) is None else \
        (f" The probabilistic sensitivity analysis (every uncertain input drawn from its plausible range, on the model's "
         f"mean-field twin over the whole county) finds it cost-effective at £20,000 per QALY in "
         f"{facts.cost_effective[20_000]:.0%} of its samples.")
    if nmb.n >= 2 and nmb.low > 0:
        head = (f"The numbers support '{s.label}': at £20,000 per QALY it is worth "
                f"{number(nmb.mean, '£')} more than '{base.label}' to health and care ({_iv(nmb, '£')}).")
    elif nmb.n >= 2 and nmb.high < 0:
        head = (f"The numbers do not support '{s.label}' on value for money: at £20,000 per QALY it is worth "
                f"{number(abs(nmb.mean), '£')} less than '{base.label}' ({_iv(nmb, '£')}).")
    else:
        head = (f"The numbers do not settle it: the net benefit of '{s.label}' at £20,000 per QALY could be either side "
                f"of zero ({_iv(nmb, '£')}); decide on what it does to people and who pays.")
    return head + sure


def _budget_table(t: pd.DataFrame, label: str) -> str:
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
            cells.append(f"<td class='num'>{_e(number(r['difference'], '£', signed=True))}<br><span class='small'>"
                         f"{_e(number(r['difference_ci_low'], '£', signed=True))} to {_e(number(r['difference_ci_high'], '£', signed=True))}"
                         "</span></td>")
        rows.append(f"<tr><th>{_e(PAYER_NAMES[payer])}</th>{''.join(cells)}</tr>")
    months = {fy: int(mine[mine["financial_year"] == fy]["months"].iloc[0]) for fy in fys}
    partial = [f"{fy} has {m} months" for fy, m in months.items() if m != 12]
    note = (" " + "; ".join(partial) + ".") if partial else ""
    return (f"<table id='brief-budget'><tr><th>Payer</th>{head}</tr>{''.join(rows)}</table>"
            f"<p class='small'>Cash (undiscounted, 2024 pounds) by financial year, April to March; + pays more, - saves; "
            f"95% intervals below each figure.{_e(note)}</p>")


def _people_section(s: ScenarioResults) -> str:
    facts = cohort_facts(s)
    if not facts:
        return f"<p>{_e(s.label)} closes no service whose users hold a place, so it displaces nobody.</p>"
    out = []
    for fact in facts:
        frame = cohort_outcomes_frame(s, fact)
        keep = frame[frame["Outcome for these people"].isin(["Crisis episodes", "Acute admissions", "Recoveries", "Died",
                                                            "In work at the end"])]
        out.append(f"<p>{_e(cohort_sentence(s, fact))}</p>" + keep.to_html(index=False, border=0, escape=True))
    return "".join(out)


def _sure_section(base: ScenarioResults, s: ScenarioResults, facts: PsaFacts | None) -> str:
    rows = [("Health and care cost (NHS and council, discounted)", _iv(difference(s, base, "cost_health_and_care"), "£")),
            ("Quality-adjusted life years", _iv(difference(s, base, "qalys"), "QALYs")),
            ("Net monetary benefit at £20,000 per QALY", _iv(difference(s, base, "nmb_20k"), "£")),
            ("Net monetary benefit at £30,000 per QALY", _iv(difference(s, base, "nmb_30k"), "£"))]
    if facts is None:
        rows.append(("Probability it saves money / is cost-effective", PSA_MISSING))
    else:
        def pct(p):
            return "-" if p is None else f"{p:.0%}"
        rows.append(("Probability it saves health and care money", f"{pct(facts.saves_health_and_care)} (NHS {pct(facts.saves_nhs)}, "
                                                                    f"council {pct(facts.saves_council)})"))
        rows.append(("Probability it is cost-effective", f"{pct(facts.cost_effective.get(20_000))} at £20,000; "
                                                         f"{pct(facts.cost_effective.get(30_000))} at £30,000 per QALY"))
    body = "".join(f"<tr><th>{_e(a)}</th><td class='num'>{_e(b)}</td></tr>" for a, b in rows)
    return f"<table id='brief-sure'>{body}</table><p>{_e(robust_sentence(base, s, facts))}</p>"


def _change_section(s: ScenarioResults, facts: PsaFacts | None) -> str:
    if facts is None:
        return (f"<p>Not computed yet for {_e(s.label)}: the probabilistic sensitivity analysis (make psa-shipped) finds "
                "which uncertain inputs would change the answer. Until then, treat the assumptions in the appendix marked "
                "'assumption' as the ones to challenge.</p>")
    if not facts.thresholds:
        return "<p>No single uncertain input changes the answer within its plausible range.</p>"
    items = []
    for t in facts.thresholds[:3]:
        one = PsaFacts(facts.folder, thresholds=[t])
        items.append(f"<li>{_e((flips_if(one, s) or '').capitalize())}.</li>")
    return f"<ul>{''.join(items)}</ul>"


def _ranking_table(base: ScenarioResults, others: list[ScenarioResults]) -> str:
    rows = []
    for s, nmb in rank(base, others):
        facts = read_psa(s)
        ce = "-" if facts is None or facts.cost_effective.get(20_000) is None else f"{facts.cost_effective[20_000]:.0%}"
        rows.append(f"<tr><td>{_e(s.label)}</td><td class='num'>{_e(_iv(difference(s, base, 'cost_health_and_care'), '£'))}</td>"
                    f"<td class='num'>{_e(_iv(difference(s, base, 'qalys'), 'QALYs'))}</td>"
                    f"<td class='num'>{_e(_iv(nmb, '£'))}</td><td class='num'>{_e(ce)}</td></tr>")
    return ("<table id='brief-ranking'><tr><th>Decision (best value first)</th><th>Health and care cost</th><th>QALYs</th>"
            "<th>Net benefit at £20,000/QALY</th><th>Probability cost-effective</th></tr>" + "".join(rows) + "</table>")


def _decision_text(s: ScenarioResults) -> str:
    actions = "; ".join(s.actions) if s.actions else "no timed actions"
    return f"<p><b>{_e(s.label)}.</b> {_e(s.description or '')} <span class='small'>(What changes: {_e(actions)}.)</span></p>"


def _png(fig) -> str | None:
    from .report import figure_png

    try:
        data = figure_png(fig, width=1100)
    except Exception:  # no browser for static images: the brief says so instead of failing
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode()


def _figure(title: str, fig) -> str:
    src = _png(fig)
    if src is None:
        return f"<p class='small'>{_e(title)}: not drawn (static images need Debian's chromium).</p>"
    return f"<div class='figure'><img alt='{_e(title)}' src='{src}'></div>"


def _assumptions(scenarios: list[ScenarioResults]) -> tuple[str, str]:
    """The assumptions table (labels, not parameter names; changed values with their own rationale) and the
    sources it cites, explained."""
    catalogue = shipped_catalogue()
    rows, cited = [], []
    changed = set()
    for s in scenarios:
        if s.scenario is None:
            continue
        for path in s.scenario.overrides:
            spec = s.scenario.params[path]
            base = catalogue.get(path)
            was = f" (baseline {parameter_value(base.value)})" if base is not None else ""
            why = "set by this decision" + (f"; the baseline's figure comes from {base.source}" if base is not None and base.source else "")
            rows.append((f"{spec.plain_label()} — changed in {s.label}", parameter_value(spec.value) + was, spec.unit, why))
            changed.add(path)
            if base is not None and base.source:
                cited.append(base.source)
        for a in s.scenario.actions:
            for target, share in a.redirect:
                rows.append((f"{s.label}: share of users referred to {target.replace('_', ' ')}", f"{share:.0%}", "share",
                             "set by this decision"))
            if a.raised_risk:
                rows.append((f"{s.label}: crisis risk of those left without a place", f"x{a.raised_risk[0]:g} for "
                             f"{a.raised_risk[1]:g} months", "", "set by this decision"))
    for path, spec in catalogue.items():
        if path in changed or spec.value is None:
            continue
        where = f"source: {spec.source}" if spec.source else f"assumption: {spec.assumption}"
        if spec.source:
            cited.append(spec.source)
        rng = f" (plausible {parameter_value(spec.low)} to {parameter_value(spec.high)})" if spec.low is not None else ""
        rows.append((spec.plain_label(), parameter_value(spec.value) + rng, spec.unit, where))
    table = "".join(f"<tr><td>{_e(a)}</td><td>{_e(b)}</td><td>{_e(c)}</td><td>{_e(d)}</td></tr>" for a, b, c, d in rows)
    seen: dict[str, str] = {}
    for text in cited:
        for sid, what in explain(text):
            seen.setdefault(sid, what)
    sources = "".join(f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>" for k, v in
                      sorted(seen.items(), key=lambda kv: (kv[0][0], int("".join(c for c in kv[0] if c.isdigit()) or 0))))
    return table, sources


def board_brief(base: ScenarioResults, others: list[ScenarioResults], focus: ScenarioResults | None = None,
                timeseries_metric: str = "crisis_episodes") -> str:
    """The brief: two pages a board reads, then figures, the full table and the appendix."""
    from .report import table_for_people

    if focus is None or focus.key not in {o.key for o in others}:
        ranked = rank(base, others)
        focus = ranked[0][0] if ranked else None
    created = dt.datetime.now().strftime("%d %B %Y")
    title = (f"{focus.label} against {base.label}" if focus is not None and len(others) == 1
             else f"{len(others)} decisions against {base.label}")
    if focus is None:
        summary = "<p>No decision was chosen to compare with the baseline.</p>"
        figures = ""
    else:
        facts = read_psa(focus)
        t = budget_rows(base, [focus])
        ranking = ""
        if len(others) > 1:
            ranking = (f"<h2>Which is best value</h2><p>{_e(ranking_sentence(base, others))}</p>{_ranking_table(base, others)}"
                       f"<p class='small'>The rest of this summary is about <b>{_e(focus.label)}</b>.</p>")
        summary = f"""
<h2>The decision</h2>{_decision_text(focus)}
<h2>What the numbers support</h2><p class="lead" id="brief-recommendation">{_e(recommendation(base, focus, facts))}</p>
{ranking}
<h2>Who pays, year by year</h2>{_budget_table(t, focus.label) if not t.empty else '<p>Not comparable year by year.</p>'}
<h2>The people displaced</h2>{_people_section(focus)}
<h2>How sure</h2>{_sure_section(base, focus, facts)}
<h2>What would change the answer</h2>{_change_section(focus, facts)}
"""
        start = base.scenario.settings.start_date if base.scenario else None
        figs = [("Budget impact", F.budget_figure(t, focus.label))] if not t.empty else []
        figs += [(f"People displaced: {f['service']}", F.cohort_figure(focus, f)) for f in cohort_facts(focus)]
        if len(others) > 1:
            figs.append(("Best value", F.ranking_figure(base, others)))
        figs += [("Change over time", F.difference_timeseries_figure(base, [focus], timeseries_metric, start)),
                 ("Who pays for the change", F.cost_change_by_payer_figure(base, others))]
        figures = "".join(_figure(a, b) for a, b in figs)
    table = table_for_people(base, others).drop(columns=["metric"])
    assumptions, sources = _assumptions([base, *others])
    manifest_rows = "".join(
        f"<tr><td>{_e(s.label)}</td><td>{_e(s.content_hash[:16])}</td><td>{_e(s.plan.describe())}</td></tr>" for s in [base, *others])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Brief: {_e(title)}</title>
<style>{CSS}</style></head><body>
<div class="summary" id="summary">
<h1>{_e(title)}</h1>
<p class="small">A decision brief from mhsim, the simulation of Essex's adult mental health system. {created}.
Money is the cost to health and care (NHS and council) in 2024 pounds, discounted at 3.5% a year unless it says "cash";
every change is against {_e(base.label)}, with its 95% interval. Run: {_e(base.plan.describe())}.</p>
{summary}
</div>
<h2>Figures</h2>
{figures}
<h2>Every key difference</h2>
{table.to_html(index=False, border=0, escape=True)}
<p class="small">"better"/"worse": the 95% interval of the change excludes zero; "no clear difference": it includes zero.</p>
<div class="appendix" id="appendix">
<h2>Appendix: the assumptions and where they come from</h2>
<p class="small">What each decision changes first, then every figure of the baseline model: its value, its plausible range,
and either the published source it stands on or the reasoning behind it (an assumption). The source ids are explained
in the table after it.</p>
<table><tr><th>Assumption</th><th>Value</th><th>Unit</th><th>Where it comes from</th></tr>{assumptions}</table>
<h2>The sources explained</h2>
<p class="small">S: the Essex report (Hope for Better Mental Health, 2015); C: published unit costs; R: published rates and
outcomes; E: Essex figures; D: the project's own sourcebook (docs/sourcebook.md).</p>
<table id="sources"><tr><th>Id</th><th>What it is</th></tr>{sources}</table>
<h2>The run</h2>
<table><tr><th>Scenario</th><th>Content hash</th><th>Run</th></tr>{manifest_rows}</table>
<p class="small">mhsim {_e(MODEL_VERSION)}, model source {model_fingerprint()}. Verification, calibration and limitations:
docs/verification.md, docs/calibration-targets.md and docs/limitations.md in the project.</p>
</div>
</body></html>
"""
