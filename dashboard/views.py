"""The people a closure displaced, and the budget impact year by year: words and tables for the page and the brief.

The numbers are the model's: ``cohort.parquet`` summarised by
``simulation.results.cohort_summary``, and the budget impact of
``simulation.horizons`` (the run's ``budget_impact.csv`` when it was made against
this baseline). Here they are only put into words, tables and files.
"""

from __future__ import annotations

import io

import pandas as pd
from dash import html

from simulation.catalogue import REGISTRY, service_label
from simulation.formatting import number
from simulation.results import cohort_summary

from .data import ScenarioResults, budget_impact, prices

OUTCOME_LABELS = {
    "crises": ("Crisis episodes", "episodes"), "admissions": ("Acute admissions", "admissions"),
    "bed_days": ("Acute bed days", "bed days"), "recoveries": ("Recoveries", "people"),
    "in_work_end": ("In work at the end", "people"), "died": ("Died", "people"),
    "qalys": ("Quality-adjusted life years since the closure (undiscounted)", "QALYs"),
}
PAYER_NAMES = {"nhs": "NHS", "council": "Council", "health_and_care": "NHS and council", "society": "Wider society"}
BUDGET_PAYERS = ("nhs", "council", "health_and_care")
BUDGET_YEARS = 5


def sent_label(where: str) -> str:
    """Where a closure sent someone, in words."""
    if where == "nothing":
        return "Referred nowhere (nothing)"
    if where == "kept their place":
        return "Kept their place"
    for suffix, words in (("_granted", "got {x}"), ("_dropped_out", "referred for {x}: dropped out or not eligible (nothing)"),
                          ("_not_taken", "referred to {x}: not eligible, or it was closed (nothing)"),
                          ("_assessed", "referred for {x}: still being assessed at the end"),
                          ("_place", "got a place in {x}"), ("_waiting_list", "on the waiting list for {x}")):
        if where.endswith(suffix):
            target = where[: -len(suffix)]
            x = {"personal_budgets": "a personal budget", "personal_health_budgets": "a personal health budget"}.get(
                target, REGISTRY[target].label if target in REGISTRY else target.replace("_", " "))
            text = words.format(x=x)
            return text[:1].upper() + text[1:]
    return where.replace("_", " ")


def got_nothing(where: str) -> bool:
    return where == "nothing" or where.endswith(("_dropped_out", "_not_taken"))


def cohort_facts(s: ScenarioResults) -> list[dict]:
    """The model's cohort summary of this decision's closures ([] if it displaced nobody or the run predates it)."""
    if s.cohort is None or s.cohort.empty:
        return []
    return cohort_summary(s.cohort, s.plan.scale, range(s.plan.replications))


def cohort_sentence(s: ScenarioResults, fact: dict) -> str:
    people = fact["people"]
    name = service_label(fact["service"])
    nothing = sum(iv.mean for where, iv in fact["sent"] if got_nothing(where))
    parts = [f"{number(iv.mean, 'people')} {sent_label(where)[0].lower() + sent_label(where)[1:]}" for where, iv in fact["sent"]]
    return (f"{name} closed at month {fact['month']:g} with about {number(people.mean, 'people')} people holding a place "
            f"({number(max(people.low, 0.0), 'people')} to {number(people.high, 'people')}). "
            f"About {number(nothing, 'people')} got nothing. Where they went: " + "; ".join(parts) + ".")


def cohort_outcomes_frame(s: ScenarioResults, fact: dict) -> pd.DataFrame:
    """Outcomes of the displaced people under the closure, for the same people without it, and the difference."""
    versus = s.versus_label or "the baseline"
    rows = []
    for outcome, alt, base, diff in fact["outcomes"]:
        label, unit = OUTCOME_LABELS.get(outcome, (outcome, ""))
        rows.append({"Outcome for these people": label, "With the closure": number(alt.mean, unit),
                     f"The same people without it ({versus})": "-" if base is None else number(base.mean, unit),
                     "Change (95% interval)": "-" if diff is None else
                     f"{number(diff.mean, unit, signed=True)} ({number(diff.low, unit, signed=True)} to "
                     f"{number(diff.high, unit, signed=True)})",
                     "Verdict": "-" if diff is None else ("no clear difference" if diff.low <= 0 <= diff.high else
                                                          ("more" if diff.mean > 0 else "fewer"))})
    return pd.DataFrame(rows)


NOWRAP = {"whiteSpace": "nowrap"}
"""Numbers and intervals never break mid-number."""


def html_table(frame: pd.DataFrame, table_id: str | None = None, cls: str = "plain") -> html.Table:
    children = [html.Thead(html.Tr([html.Th(c) for c in frame.columns])),
                html.Tbody([html.Tr([html.Td(str(v), style=None if i == 0 else NOWRAP) for i, v in enumerate(row)])
                            for row in frame.itertuples(index=False)])]
    if table_id:
        return html.Table(children, className=cls, id=table_id)
    return html.Table(children, className=cls)


# ---------------------------------------------------------------------------
# Budget impact


def budget_rows(base: ScenarioResults, others: list[ScenarioResults]) -> pd.DataFrame:
    """Every decision's budget impact (undiscounted, by financial year and payer), one frame."""
    frames = []
    for s in others:
        t = budget_impact(base, s)
        if t is not None and not t.empty:
            t = t.copy()
            t["scenario"] = s.label
            frames.append(t)
    if not frames:
        return pd.DataFrame(columns=["scenario", "payer", "financial_year", "months", "baseline_spend", "scenario_spend",
                                     "difference", "difference_ci_low", "difference_ci_high", "n"])
    return pd.concat(frames, ignore_index=True)


def first_years(t: pd.DataFrame, years: int = BUDGET_YEARS) -> list[str]:
    return list(dict.fromkeys(t["financial_year"]))[:years]


def budget_table_frame(t: pd.DataFrame, label: str, years: int = BUDGET_YEARS) -> pd.DataFrame:
    """One decision's table as finance leads read it: a row per payer, a column per financial year."""
    mine = t[t["scenario"] == label]
    fys = first_years(mine, years)
    rows = []
    for payer in BUDGET_PAYERS:
        row = {f"Payer (£, {prices()}, cash)": PAYER_NAMES[payer]}
        for fy in fys:
            r = mine[(mine["payer"] == payer) & (mine["financial_year"] == fy)]
            if r.empty:
                continue
            r = r.iloc[0]
            months = int(r["months"])
            head = fy + ("" if months == 12 else f" ({months} months)")
            row[head] = (f"{number(r['difference'], '£', signed=True)}\n({number(r['difference_ci_low'], '£', signed=True)} to "
                         f"{number(r['difference_ci_high'], '£', signed=True)})")
        rows.append(row)
    return pd.DataFrame(rows)


def budget_table_all_frame(t: pd.DataFrame, years: int = BUDGET_YEARS) -> pd.DataFrame:
    """Every compared decision's budget impact in one table: a row per decision and payer, a column per financial year
    (the first ``years`` of the earliest decision; a year a decision lacks is left blank)."""
    frames = []
    for label in dict.fromkeys(t["scenario"]):
        frame = budget_table_frame(t, label, years)
        frame.insert(0, "Decision", [label] + [""] * (len(frame) - 1))
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True).fillna("")


def budget_export_frame(t: pd.DataFrame) -> pd.DataFrame:
    """The numbers, unformatted, with plain column names (CSV and XLSX)."""
    out = t[["scenario", "payer", "financial_year", "months", "baseline_spend", "scenario_spend", "difference",
             "difference_ci_low", "difference_ci_high", "n"]].copy()
    out["payer"] = [PAYER_NAMES.get(p, p) for p in out["payer"]]
    p = prices()
    return out.rename(columns={"scenario": "decision", "financial_year": "financial year", "months": "months in year",
                               "baseline_spend": f"baseline spend (£, {p})", "scenario_spend": f"spend with the decision (£, {p})",
                               "difference": f"difference (£, {p})", "difference_ci_low": f"difference 95% low (£, {p})",
                               "difference_ci_high": f"difference 95% high (£, {p})", "n": "replications"})


BUDGET_COLUMNS = ["scenario", "payer", "financial_year", "months", "baseline_spend", "scenario_spend", "difference",
                  "difference_ci_low", "difference_ci_high", "n"]
"""budget_impact.csv's columns (what 'mhsim compare' writes): the page's CSV is the same file for the decisions shown."""


def budget_csv(t: pd.DataFrame) -> str:
    """The budget impact as budget_impact.csv (same columns as the command line's); the XLSX has plain labels."""
    from .report import spreadsheet_safe

    out = t[BUDGET_COLUMNS].copy()
    out["scenario"] = [spreadsheet_safe(v) for v in out["scenario"]]
    return out.to_csv(index=False)


def budget_xlsx(t: pd.DataFrame, base_label: str) -> bytes:
    """A workbook: a sheet per decision (payers by financial year, £), the long table, and a note on what it is."""
    from .report import spreadsheet_safe

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        note = pd.DataFrame({"About this workbook": [
            f"Budget impact against {base_label}: undiscounted spending in £, {prices()}, by UK financial year (April to March).",
            "Difference = spending with the decision less the baseline's, the mean of paired replications, with its 95% interval.",
            "NHS and council are the two budget holders; wider society is not in either.",
        ]})
        note.to_excel(xl, sheet_name="Read me", index=False)
        long = budget_export_frame(t)
        long["decision"] = [spreadsheet_safe(v) for v in long["decision"]]
        long.to_excel(xl, sheet_name="All decisions", index=False)
        for i, label in enumerate(dict.fromkeys(t["scenario"])):
            mine = t[t["scenario"] == label]
            wide = mine.pivot_table(index="payer", columns="financial_year", values="difference", sort=False)
            wide.index = [PAYER_NAMES.get(p, p) for p in wide.index]
            name = f"{i + 1} " + "".join(c for c in label if c not in "[]:*?/\\")[:26]
            wide.to_excel(xl, sheet_name=name, index_label=f"difference (£, {prices()}) by payer")
    return buf.getvalue()
