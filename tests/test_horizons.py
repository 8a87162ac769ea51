"""Differences at horizons and the budget impact by financial year, checked on made-up monthly series.

Each replication's monthly series are written here so that every answer is
known in closed form: the baseline's value of a series ``x`` in month ``m``
(counting from 0) is ``a[x] * (m + 1) + r`` in replication ``r``, and the
decision adds ``b[x] * (r + 1)`` every month. Over the first ``k`` months a
flow then sums to ``a * k * (k + 1) / 2 + r * k`` in the baseline and the
decision adds ``b * (r + 1) * k``; a level at the end of month ``k`` is
``a * k + r`` and the decision adds ``b * (r + 1)``. With two replications
the paired differences are ``b * k`` and ``2 * b * k``: mean ``1.5 * b * k``,
standard deviation ``b * k / sqrt(2)``, and the 95% interval is the mean
plus or minus ``t(0.975, 1 d.f.) * b * k / 2``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from simulation.experiment import Experiment, RunPlan
from simulation.horizons import budget_impact_rows, financial_year, horizon_rows
from simulation.outcomes import ReplicationResult

T_975_1DF = 12.706204736174698
"""The 97.5th percentile of Student's t with one degree of freedom (tables)."""

A = {  # baseline slope of each monthly series (distinct primes, so a mixed-up series shows)
    "cost_nhs": 2.0, "cost_council": 3.0, "cost_society": 5.0, "qalys": 7.0, "crisis_episodes": 11.0,
    "acute_admissions": 13.0, "acute_bed_days": 17.0, "out_of_area_placements": 19.0, "suicides": 23.0,
    "recoveries": 29.0, "people_employed": 31.0, "residential": 37.0,
    "spend_nhs": 41.0, "spend_council": 43.0, "spend_society": 47.0,
}
B = {name: 100.0 + i for i, name in enumerate(A)}  # the decision's monthly addition (times r + 1)
MONTHS = 36
REPS = 2


def series(name: str, r: int, decision: bool) -> tuple[float, ...]:
    return tuple(A[name] * (m + 1) + r + (B[name] * (r + 1) if decision else 0.0) for m in range(MONTHS))


def result(label: str, r: int, decision: bool) -> ReplicationResult:
    return ReplicationResult(label, r, {}, {name: series(name, r, decision) for name in A}, {}, {})


@pytest.fixture
def experiment(baseline):
    """The baseline and one decision, two replications each, 36 months from 1 January 2015."""
    start = dataclasses.replace(baseline, settings=dataclasses.replace(baseline.settings, start_date=dt.date(2015, 1, 1)))
    decision = dataclasses.replace(start, name="decision")
    results = {"base": tuple(result("base", r, False) for r in range(REPS)),
               "decision": tuple(result("decision", r, True) for r in range(REPS))}
    return Experiment((start, decision), ("base", "decision"), RunPlan(replications=REPS), results, 0.0, 1)


def flow(name: str, k: int) -> tuple[float, float]:
    """(baseline mean, mean paired difference) of a flow summed over the first k months."""
    return A[name] * k * (k + 1) / 2 + 0.5 * k, 1.5 * B[name] * k


def level(name: str, k: int) -> tuple[float, float]:
    """(baseline mean, mean paired difference) of a level at the end of month k."""
    return A[name] * k + 0.5, 1.5 * B[name]


def expected(metric: str, k: int) -> tuple[float, float]:
    if metric in ("people_employed", "residential"):
        return level(metric, k)
    if metric == "cost_health_and_care":
        nhs, council = flow("cost_nhs", k), flow("cost_council", k)
        return nhs[0] + council[0], nhs[1] + council[1]
    if metric.startswith("nmb_"):
        value = {"nmb_20k": 20_000, "nmb_30k": 30_000}[metric]
        q, nhs, council = flow("qalys", k), flow("cost_nhs", k), flow("cost_council", k)
        return value * q[0] - nhs[0] - council[0], value * q[1] - nhs[1] - council[1]
    return flow(metric, k)


METRICS = ("cost_health_and_care", "cost_nhs", "cost_council", "cost_society", "qalys", "nmb_20k", "nmb_30k",
           "crisis_episodes", "acute_admissions", "acute_bed_days", "out_of_area_placements", "suicides",
           "recoveries", "people_employed", "residential")


def test_horizons_sum_flows_to_the_end_of_each_year_and_read_levels_at_that_month(experiment):
    rows = horizon_rows(experiment, "base")
    got = {(r["metric"], r["horizon_years"]): r for r in rows}
    # 36 months reach the 1- and 3-year horizons, not 5 or 10; the baseline is never compared with itself
    assert {r["scenario"] for r in rows} == {"decision"}
    assert sorted(got) == sorted((m, y) for m in METRICS for y in (1, 3))
    for (metric, years), row in got.items():
        base_mean, delta = expected(metric, 12 * years)
        assert row["baseline_mean"] == pytest.approx(base_mean, rel=1e-12), (metric, years)
        assert row["delta_mean"] == pytest.approx(delta, rel=1e-12), (metric, years)
        assert row["n"] == REPS


def test_a_horizons_interval_is_the_paired_t_interval_of_the_replications_differences(experiment):
    row = next(r for r in horizon_rows(experiment, "base") if r["metric"] == "suicides" and r["horizon_years"] == 3)
    k = 36
    half = T_975_1DF * B["suicides"] * k / 2
    assert row["delta_ci_low"] == pytest.approx(1.5 * B["suicides"] * k - half, rel=1e-9)
    assert row["delta_ci_high"] == pytest.approx(1.5 * B["suicides"] * k + half, rel=1e-9)


def test_a_horizon_is_reported_only_when_every_run_reaches_it(experiment):
    short = {label: tuple(dataclasses.replace(r, monthly={k: v[:24] for k, v in r.monthly.items()}) for r in reps)
             for label, reps in experiment.results.items()}
    short["decision"] = (dataclasses.replace(short["decision"][0],
                                             monthly={k: v[:11] for k, v in short["decision"][0].monthly.items()}),
                         short["decision"][1])
    assert horizon_rows(dataclasses.replace(experiment, results=short), "base") == []
    exactly_one_year = {label: tuple(dataclasses.replace(r, monthly={k: v[:12] for k, v in r.monthly.items()}) for r in reps)
                        for label, reps in experiment.results.items()}
    rows = horizon_rows(dataclasses.replace(experiment, results=exactly_one_year), "base")
    assert {r["horizon_years"] for r in rows} == {1}


@pytest.mark.parametrize("start, month, year", [
    (dt.date(2015, 1, 1), 0, "2014/15"),
    (dt.date(2015, 1, 1), 2, "2014/15"),    # March closes the financial year
    (dt.date(2015, 1, 1), 3, "2015/16"),    # April opens the next
    (dt.date(2015, 4, 1), 0, "2015/16"),
    (dt.date(2015, 4, 1), 11, "2015/16"),
    (dt.date(2015, 4, 1), 12, "2016/17"),
    (dt.date(2015, 11, 1), 4, "2015/16"),   # November 2015 + 4 months is March 2016
    (dt.date(2015, 11, 1), 5, "2016/17"),
    (dt.date(2015, 12, 1), 1, "2015/16"),   # January of the next calendar year is still 2015/16
    (dt.date(2099, 4, 1), 0, "2099/00"),    # the second year is written with two digits
    (dt.date(2008, 4, 1), 0, "2008/09"),
])
def test_financial_years_run_from_april_to_march(start, month, year):
    assert financial_year(start, month) == year


def test_the_budget_impact_is_cash_by_financial_year_and_payer(experiment):
    rows = budget_impact_rows(experiment, "base")
    # from January 2015: three months of 2014/15, two whole years, then nine months of 2017/18
    months = {"2014/15": range(0, 3), "2015/16": range(3, 15), "2016/17": range(15, 27), "2017/18": range(27, 36)}
    payers = {"nhs": ("spend_nhs",), "council": ("spend_council",), "health_and_care": ("spend_nhs", "spend_council"),
              "society": ("spend_society",)}
    got = {(r["payer"], r["financial_year"]): r for r in rows}
    assert sorted(got) == sorted((p, fy) for p in payers for fy in months)
    for (payer, fy), row in got.items():
        ms = months[fy]
        assert row["scenario"] == "decision"
        assert row["months"] == len(ms)
        base = sum(A[s] * (m + 1) + 0.5 for s in payers[payer] for m in ms)   # the mean of r = 0 and r = 1
        added = sum(B[s] * len(ms) for s in payers[payer])
        assert row["baseline_spend"] == pytest.approx(base, rel=1e-12), (payer, fy)
        assert row["scenario_spend"] == pytest.approx(base + 1.5 * added, rel=1e-12), (payer, fy)
        assert row["difference"] == pytest.approx(1.5 * added, rel=1e-12), (payer, fy)
        half = T_975_1DF * added / 2
        assert row["difference_ci_low"] == pytest.approx(1.5 * added - half, rel=1e-9), (payer, fy)
        assert row["difference_ci_high"] == pytest.approx(1.5 * added + half, rel=1e-9), (payer, fy)
        assert row["n"] == REPS


def test_the_budget_impact_never_counts_wider_society_in_health_and_care(experiment):
    rows = {(r["payer"], r["financial_year"]): r["difference"] for r in budget_impact_rows(experiment, "base")}
    for fy in ("2014/15", "2015/16", "2016/17", "2017/18"):
        assert rows[("health_and_care", fy)] == pytest.approx(rows[("nhs", fy)] + rows[("council", fy)])
        assert not math.isclose(rows[("health_and_care", fy)], rows[("nhs", fy)] + rows[("council", fy)]
                                + rows[("society", fy)])
