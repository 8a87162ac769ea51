"""Differences over time: at 1, 3, 5 and 10 years, and by financial year and payer.

A board asks "what does it do in the first year, and by year five?", and a
finance lead asks "what does it do to my budget in 2016/17?". Both come from
the monthly series every replication already records, paired replication by
replication with the baseline (common random numbers), so each figure has
the same 95% interval as the run's headline differences.

Horizons report cumulative outcomes and discounted costs from the start of
the reported period to the end of year ``h``. The budget impact is cash:
undiscounted spending in each financial year (April to March), by payer.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Sequence

from .experiment import Experiment, paired_difference, t_interval

HORIZONS_YEARS = (1, 3, 5, 10)
"""Horizons every comparison reports (those the run reaches)."""

Monthly = dict[str, tuple[float, ...]]

HORIZON_METRICS: dict[str, Callable[[Monthly, int], float]] = {
    "cost_health_and_care": lambda m, k: _sum(m, "cost_nhs", k) + _sum(m, "cost_council", k),
    "cost_nhs": lambda m, k: _sum(m, "cost_nhs", k),
    "cost_council": lambda m, k: _sum(m, "cost_council", k),
    "cost_society": lambda m, k: _sum(m, "cost_society", k),
    "qalys": lambda m, k: _sum(m, "qalys", k),
    "nmb_20k": lambda m, k: 20_000 * _sum(m, "qalys", k) - _sum(m, "cost_nhs", k) - _sum(m, "cost_council", k),
    "nmb_30k": lambda m, k: 30_000 * _sum(m, "qalys", k) - _sum(m, "cost_nhs", k) - _sum(m, "cost_council", k),
    "crisis_episodes": lambda m, k: _sum(m, "crisis_episodes", k),
    "acute_admissions": lambda m, k: _sum(m, "acute_admissions", k),
    "acute_bed_days": lambda m, k: _sum(m, "acute_bed_days", k),
    "out_of_area_placements": lambda m, k: _sum(m, "out_of_area_placements", k),
    "suicides": lambda m, k: _sum(m, "suicides", k),
    "recoveries": lambda m, k: _sum(m, "recoveries", k),
    "people_employed": lambda m, k: m["people_employed"][k - 1],
    "residential": lambda m, k: m["residential"][k - 1],
}
"""Each metric at a horizon of ``k`` months: a sum of monthly flows (costs and QALYs discounted as in
the headline) or, for levels, the level at that month's end."""

PAYERS = {"nhs": ("spend_nhs",), "council": ("spend_council",), "health_and_care": ("spend_nhs", "spend_council"),
          "society": ("spend_society",)}
"""Budget-impact payers: each budget holder, both together, and wider society (never in the others)."""


def _sum(monthly: Monthly, name: str, months: int) -> float:
    return float(sum(monthly[name][:months]))


def horizon_rows(exp: Experiment, baseline: str) -> list[dict]:
    """For every decision, headline metric and horizon the run reaches: baseline mean and paired difference."""
    base_reps = [r.monthly for r in exp.results[baseline]]
    rows = []
    for label in exp.labels:
        if label != baseline:
            rows += pair_horizon_rows(label, base_reps, [r.monthly for r in exp.results[label]])
    return rows


def pair_horizon_rows(label: str, base: Sequence[Monthly], alt: Sequence[Monthly]) -> list[dict]:
    """One decision against its baseline: replication ``i`` of ``alt`` paired with replication ``i`` of ``base``
    (the monthly series of each replication), for every headline metric and horizon both runs reach."""
    months = min(len(next(iter(m.values()))) for m in [*base, *alt])
    rows = []
    for metric, at in HORIZON_METRICS.items():
        for years in HORIZONS_YEARS:
            k = years * 12
            if k > months:
                continue
            b = [at(m, k) for m in base]
            diff = paired_difference([at(m, k) for m in alt], b)
            rows.append({"scenario": label, "metric": metric, "horizon_years": years,
                         "baseline_mean": sum(b) / len(b), "delta_mean": diff.mean,
                         "delta_ci_low": diff.low, "delta_ci_high": diff.high, "n": diff.n})
    return rows


def financial_year(start: dt.date, month: int) -> str:
    """The UK financial year (April to March) of the ``month``-th month after ``start``, as '2015/16'."""
    index = start.year * 12 + start.month - 1 + month
    year, calendar_month = divmod(index, 12)
    first = year if calendar_month >= 3 else year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def _by_year(monthly: Monthly, names: Sequence[str], years: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in names:
        for fy, value in zip(years, monthly[name]):
            out[fy] = out.get(fy, 0.0) + float(value)
    return out


def budget_impact_rows(exp: Experiment, baseline: str) -> list[dict]:
    """Undiscounted spending by financial year and payer: the baseline's, the decision's and the paired difference."""
    base_reps = [r.monthly for r in exp.results[baseline]]
    rows = []
    for label, scenario in zip(exp.labels, exp.scenarios):
        if label != baseline:
            rows += pair_budget_impact_rows(label, scenario.settings.start_date, base_reps,
                                            [r.monthly for r in exp.results[label]])
    return rows


def pair_budget_impact_rows(label: str, start: dt.date, base: Sequence[Monthly], alt: Sequence[Monthly]) -> list[dict]:
    """One decision's budget impact against its baseline (replications paired by position), by payer and
    financial year from ``start``, the first month of the reported period."""
    n_months = len(alt[0]["spend_nhs"])
    years = [financial_year(start, m) for m in range(n_months)]
    months_in = {fy: years.count(fy) for fy in dict.fromkeys(years)}
    rows = []
    for payer, names in PAYERS.items():
        b_years = [_by_year(m, names, years) for m in base]
        a_years = [_by_year(m, names, years) for m in alt]
        for fy, k in months_in.items():
            b = [x[fy] for x in b_years]
            a = [x[fy] for x in a_years]
            diff = paired_difference(a, b)
            rows.append({"scenario": label, "payer": payer, "financial_year": fy, "months": k,
                         "baseline_spend": t_interval(b).mean, "scenario_spend": t_interval(a).mean,
                         "difference": diff.mean, "difference_ci_low": diff.low, "difference_ci_high": diff.high,
                         "n": diff.n})
    return rows
