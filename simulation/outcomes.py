"""The metrics a replication reports, each declared next to how it is computed.

A replication's snapshots (see ``ledger``) are turned into three accounts
over the reported period: the cost account (every cost line by service and
payer, uprated and discounted), the quality-adjusted life years, and the
monthly series. Every metric is then one declaration: its name, label,
unit, meaning, which way is better, and the function that reads it from
the period and the accounts; metrics marked ``subgroups`` are also reported
for each sub-group (``crisis_episodes.with_carer``...). ``summarise`` is a
loop over the declarations, and a test holds the declared names equal to
the computed ones.

Results are at full county scale: every simulated person stands for
``1/scale`` people.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from . import catalogue
from .costs import PER_DAY, cost_metric, discount_factor, item_payers, uprated
from .ledger import Snapshot, Stock, join_counter, take_snapshot
from .parameters import DAYS_PER_MONTH, DAYS_PER_YEAR
from .people import N_GROUPS, PLACE_NAMES, SUBGROUPS

__all__ = ["Snapshot", "Stock", "take_snapshot", "Metric", "METRICS", "ReplicationResult", "summarise", "SERIES", "HEADLINE"]

ALL_GROUPS = tuple(range(N_GROUPS))
IN_CONTACT_STOCKS = ("community", "home_treatment", "acute", "out_of_area", "waiting_for_bed", "residential", "enablement")
ALIVE_STOCKS = (*IN_CONTACT_STOCKS, "recovered")


@dataclass(frozen=True)
class ReplicationResult:
    """One replication's outcomes at full county scale (frozen: results are facts)."""

    scenario: str
    replication: int
    metrics: dict[str, float]
    monthly: dict[str, tuple[float, ...]]
    flows: dict[str, float]
    diagnostics: dict[str, float]
    cohort: tuple = ()
    """The people a closure displaced, one row each (see :func:`cohort_rows`)."""


COHORT_COLUMNS = ("service", "month", "pid", "sent_to", "crises", "admissions", "bed_days", "recoveries", "in_work_end",
                  "died", "qalys")
"""A cohort row: the closure (service, month), the person, where they were sent, and their outcomes since."""
COHORT_OUTCOMES = ("crises", "admissions", "bed_days", "recoveries", "in_work_end", "died", "qalys")


def cohort_rows(record: Any) -> tuple[tuple, ...]:
    """The record's cohort rows at full scale: each simulated person stands for 1/scale people (kept as a weight
    column would be noise here: the rows are people, and the metrics below scale them)."""
    markers = record.cohort_markers
    rows = []
    for marker, pid, sent, *outcomes in record.cohort:
        m = markers[marker]
        rows.append((m.service, round(m.day / DAYS_PER_MONTH, 3), pid, sent, *outcomes))
    return tuple(rows)


def cohort_metrics(rows: tuple[tuple, ...], markers: tuple, w: float) -> dict[str, float]:
    """``cohort.SERVICE.OUTCOME``: the displaced people's outcomes since the closure, summed (full scale);
    ``cohort.SERVICE.people`` and ``cohort.SERVICE.sent_WHERE`` count them by where they were sent."""
    out: dict[str, float] = {}
    for m in markers:
        base = f"cohort.{m.service}."
        out[base + "people"] = 0.0
        for outcome in COHORT_OUTCOMES:
            out[base + outcome] = 0.0
    for service, _, _, sent, *values in rows:
        base = f"cohort.{service}."
        out[base + "people"] += w
        key = base + f"sent_{sent.replace(' ', '_')}"
        out[key] = out.get(key, 0.0) + w
        for outcome, value in zip(COHORT_OUTCOMES, values):
            out[base + outcome] += value * w
    return out


# ---------------------------------------------------------------------------
# The reported period and its accounts


class Period:
    """One replication's reported period: snapshots from the end of the warm-up on, at full scale."""

    def __init__(self, record: Any):
        self.record = record
        self.w = 1.0 / record.scale
        self.t0 = record.warmup_days
        self.snaps: list[Snapshot] = [s for s in record.snapshots if s.t >= self.t0 - 1e-9]
        self.first, self.last = self.snaps[0], self.snaps[-1]
        self.n_months = max(1, int(round((record.horizon_days - self.t0) / DAYS_PER_MONTH + 0.4999)))
        self.years = (record.horizon_days - self.t0) / DAYS_PER_YEAR

    def total(self, counter: str, gs: tuple[int, ...] = ALL_GROUPS) -> float:
        """Events counted over the period."""
        return sum(self.last.counts[counter][g] - self.first.counts[counter][g] for g in gs) * self.w

    def level(self, stocks: tuple[str, ...], gs: tuple[int, ...] = ALL_GROUPS, snap: Snapshot | None = None) -> float:
        """People in these stocks at the end (or at ``snap``)."""
        snap = snap or self.last
        return sum(snap.levels[k][g] for k in stocks for g in gs) * self.w

    def area(self, stocks: tuple[str, ...], gs: tuple[int, ...] = ALL_GROUPS) -> float:
        """Person-days in these stocks over the period."""
        return sum(self.last.areas[k][g] - self.first.areas[k][g] for k in stocks for g in gs) * self.w

    def intervals(self) -> Iterator[tuple[Snapshot, Snapshot, dict[str, Any], int]]:
        """Consecutive snapshots, the parameters in force between them, and the month they end in."""
        for a, b in zip(self.snaps, self.snaps[1:]):
            if b.t - a.t <= 0:
                continue
            month = min(self.n_months - 1, max(0, int((b.t - self.t0 - 1e-6) // DAYS_PER_MONTH)))
            yield a, b, self.record.versions[a.version], month


GROUP_SETS = {"": ALL_GROUPS, **SUBGROUPS}


@dataclass
class Accounts:
    """Costs, QALYs and monthly flows summed over the period."""

    cost_lines: dict[str, float]
    payers: dict[str, float]
    undiscounted: float
    person_cost: dict[str, float]
    qalys: dict[str, float]
    qalys_undiscounted: float
    monthly: dict[str, Any]

    def add_months(self, name: str, months: np.ndarray, values: np.ndarray, n_months: int) -> None:
        """Add each interval's value to the month it ends in."""
        added = np.bincount(months, weights=values, minlength=n_months)
        series = self.monthly.get(name)
        self.monthly[name] = added if series is None else series + added


def _first(x: Any) -> np.ndarray:
    """A county-level quantity: all of it in the first sub-group's column, none in the others."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape + (N_GROUPS,))
    out[..., 0] = x
    return out


def _quantity(item: catalogue.CostItem, d_area: Mapping[str, Any], d_count: Mapping[str, Any], values: Mapping[str, Any],
              days: Any, w: float) -> np.ndarray:
    """The quantity a cost line is charged on, per sub-group (the last axis), at full scale: for one interval,
    or for several at once (changes with a row an interval, ``days`` one each)."""
    kind, _, what = item.basis.partition(":")
    if kind == "stock":
        if "-" in what:                  # the holders of one thing who do not hold another
            a, b = what.split("-")
            return (np.asarray(d_area[a], dtype=float) - np.asarray(d_area[b], dtype=float)) * w
        return np.asarray(d_area[what], dtype=float) * w
    if kind == "count":
        if what.startswith(("closures_", "openings_")):   # decisions are county-level: not scaled
            return _first(np.asarray(d_count[what], dtype=float).sum(-1))
        return np.asarray(d_count[what], dtype=float) * w
    if kind == "open":
        return _first(np.asarray(d_area[f"open_{what}"], dtype=float)[..., 0])
    zs, cl = "programmes.zero_suicide.", "programmes.carer_led_training."
    days = np.asarray(days, dtype=float)
    qty = {  # programme quantities are county-level already
        "zero_suicide_trainees": values[zs + "trainees_per_year"] * days / DAYS_PER_YEAR,
        "carer_trainer_days": values[cl + "carer_trainers"] * days,
        "carer_staff_trained": values[cl + "carer_trainers"] * values[cl + "staff_trained_per_trainer_per_year"] * days / DAYS_PER_YEAR,
    }[what]
    return _first(qty)


def place_weight(q: Mapping[str, Any], place: int) -> float:
    """The quality-of-life weight of living in a place (before needs, work and supports)."""
    from .people import ACUTE, COMMUNITY, ENABLEMENT, HOME_TREATMENT, OUT_OF_AREA, RECOVERED, RESIDENTIAL, WAITING_FOR_BED

    return {
        COMMUNITY: q["quality_of_life.community_moderate"], HOME_TREATMENT: q["quality_of_life.in_crisis"],
        ACUTE: q["quality_of_life.in_hospital"], OUT_OF_AREA: q["quality_of_life.in_hospital"],
        WAITING_FOR_BED: q["quality_of_life.in_hospital"], RESIDENTIAL: q["quality_of_life.in_residential_care"],
        ENABLEMENT: q["quality_of_life.in_enablement"], RECOVERED: q["quality_of_life.recovered"],
    }[place]


def _period_quality(values: Mapping[str, Any], areas: Mapping[str, Any], groups: tuple[int, ...], maturity: Any) -> Any:
    """Quality-adjusted person-days lived by ``groups`` in one period (person-days by sub-group, the last axis),
    or in several at once (a row an interval, ``maturity`` one each)."""
    q = values
    gs = list(groups)

    def a(name: str) -> Any:
        return np.asarray(areas[name], dtype=float)[..., gs].sum(-1)

    total = (
        q["quality_of_life.community_moderate"] * a("community")
        + q["quality_of_life.in_crisis"] * a("home_treatment")
        + q["quality_of_life.in_hospital"] * (a("acute") + a("out_of_area") + a("waiting_for_bed"))
        + q["quality_of_life.in_residential_care"] * a("residential")
        + q["quality_of_life.in_enablement"] * a("enablement")
        + q["quality_of_life.recovered"] * a("recovered")
        + q["quality_of_life.severe_decrement"] * a("severe")
        + q["quality_of_life.employed_gain"] * a("employed")
    )
    for spec in catalogue.REGISTRY.values():
        if spec.quality_of_life_gain:
            holders = spec.qol_holders()
            days = a(holders[0])
            for name in holders[1:]:
                days = days + a(name)
            gain = q[spec.quality_of_life_gain] * maturity if spec.gain_grows_with_market else q[spec.quality_of_life_gain]
            total = total + gain * days
    return total


class _Changes(dict):
    """Each stock's or counter's change over each interval, by sub-group (a row an interval), worked out when
    first asked for (the cost lines and quality read a few dozen of the hundred-odd counters)."""

    def __init__(self, before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]):
        super().__init__()
        self.before, self.after = before, after

    def __missing__(self, key: str) -> np.ndarray:
        value = self[key] = (np.array([s[key] for s in self.after], dtype=float)
                             - np.array([s[key] for s in self.before], dtype=float)).reshape(-1, N_GROUPS)
        return value


class _Rows(dict):
    """The rows (intervals) of one parameter version from a :class:`_Changes`."""

    def __init__(self, changes: _Changes, rows: np.ndarray):
        super().__init__()
        self.changes, self.rows = changes, rows

    def __missing__(self, key: str) -> np.ndarray:
        value = self[key] = self.changes[key][self.rows]
        return value


def accounts(period: Period, specs: Mapping[str, Any]) -> Accounts:
    """The cost account, QALYs and monthly flows over the period: every interval at once, a parameter
    version at a time (each interval's cost lines and quality are linear in its changes)."""
    items = catalogue.cost_items()
    acc = Accounts({}, {"nhs": 0.0, "council": 0.0, "society": 0.0}, 0.0, {k: 0.0 for k in GROUP_SETS},
                   {k: 0.0 for k in GROUP_SETS}, 0.0, {})
    for item in items:
        for payer in item_payers(item, specs):
            acc.cost_lines.setdefault(cost_metric(item.service, payer), 0.0)
    intervals = list(period.intervals())
    if intervals:
        _book(acc, period, intervals, items, specs)
    acc.monthly = {name: series.tolist() for name, series in acc.monthly.items()}
    return acc


def _book(acc: Accounts, period: Period, intervals: list, items: Sequence[catalogue.CostItem], specs: Mapping[str, Any]) -> None:
    """Each cost line and the quality of life, interval by interval, worked out a parameter version at a time
    but summed over the whole period in time order: a decision that starts a new version and changes nothing
    else (a null decision) then gives every total to the last bit."""
    n, w = period.n_months, period.w
    before, after = [a for a, *_ in intervals], [b for _, b, *_ in intervals]
    months = np.array([month for *_, month in intervals], dtype=np.int64)
    days = np.array([b.t - a.t for a, b in zip(before, after)])
    disc = np.array([discount_factor(values["costs.discount_rate"], (a.t + b.t) / 2 - period.t0)
                     for a, b, values, _ in intervals])
    maturity = np.array([a.extra.get("budget_market_maturity", 1.0) for a in before])
    d_area = _Changes([a.areas for a in before], [b.areas for b in after])
    d_count = _Changes([a.counts for a in before], [b.counts for b in after])
    version_of = np.array([a.version for a in before])
    versions = [(rows, intervals[rows[0]][2], _Rows(d_area, rows), _Rows(d_count, rows))
                for rows in (np.flatnonzero(version_of == v) for v in dict.fromkeys(version_of.tolist()))]
    for item in items:
        charged = _Charged(item, len(intervals))
        for rows, values, area, count in versions:
            charged.add(rows, _Line.of(item, specs, values), _quantity(item, area, count, values, days[rows], w))
        charged.book(acc, disc, months, n)
    quality = {key: np.empty(len(intervals)) for key in GROUP_SETS}
    for rows, values, area, _ in versions:
        for key, gs in GROUP_SETS.items():
            quality[key][rows] = _period_quality(values, area, gs, maturity[rows]) * w / DAYS_PER_YEAR
    for key, q in quality.items():
        acc.qalys[key] += float((q * disc).sum())
    acc.qalys_undiscounted += float(quality[""].sum())
    acc.add_months("qalys", months, quality[""] * disc, n)
    for name in SERIES_FLOWS:
        acc.add_months(name, months, d_count[name].sum(-1) * w, n)
    acc.add_months("acute_bed_days", months, (d_area["acute"].sum(-1) + d_area["out_of_area"].sum(-1)) * w, n)


@dataclass(frozen=True)
class _Line:
    """One cost line under one version of the parameters: its unit cost a day and who pays what share."""

    unit: float
    shares: tuple[tuple[str, float, str, str, str], ...]
    """(payer, share, its cost line's metric, its monthly cost series, its monthly spend series)"""

    @staticmethod
    def of(item: catalogue.CostItem, specs: Mapping[str, Any], values: Mapping[str, Any]) -> "_Line":
        spec = specs[item.param]
        unit = uprated(spec, values[item.param], values) * PER_DAY[item.per]
        if item.times:
            unit *= values[item.times]
        payer = item.payer_override or spec.payer
        shares = [(payer, 1.0)]
        if item.split:
            s = values[item.split[0]]
            shares = [(payer, 1.0 - s), (item.split[1], s)]
        return _Line(unit, tuple((who, share, cost_metric(item.service, who), f"cost_{who}", f"spend_{who}")
                                 for who, share in shares))


class _Charged:
    """One cost line over the period: its quantity by sub-group, unit cost and payers' shares, interval by
    interval (the unit cost and shares of the parameter version each interval is in)."""

    def __init__(self, item: catalogue.CostItem, n_intervals: int):
        self.by_group = np.zeros((n_intervals, N_GROUPS))
        self.unit = np.zeros(n_intervals)
        self.shares: dict[tuple[str, str, str, str], np.ndarray] = {}
        self.person_level = item.person_level

    def add(self, rows: np.ndarray, line: _Line, by_group: np.ndarray) -> None:
        self.by_group[rows] = by_group
        self.unit[rows] = line.unit
        for who, share, metric, cost_series, spend_series in line.shares:
            key = (who, metric, cost_series, spend_series)
            if key not in self.shares:
                self.shares[key] = np.zeros(len(self.unit))
            self.shares[key][rows] = share

    def book(self, acc: Accounts, disc: np.ndarray, months: np.ndarray, n: int) -> None:
        """To its payers, the months the intervals end in, and the people it follows."""
        amount = self.by_group.sum(-1) * self.unit
        for (who, metric, cost_series, spend_series), share in self.shares.items():
            cost = amount * share
            present = cost * disc
            total = float(present.sum())
            acc.cost_lines[metric] += total
            acc.payers[who] += total
            acc.add_months(cost_series, months, present, n)
            acc.add_months(spend_series, months, cost, n)        # cash, as a finance lead budgets it
            acc.add_months("total_cost", months, present, n)
            acc.undiscounted += float(cost.sum())
        if self.person_level:
            for key, gs in GROUP_SETS.items():
                acc.person_cost[key] += float((self.by_group[:, list(gs)].sum(-1) * self.unit * disc).sum())


# ---------------------------------------------------------------------------
# Monthly series: declared with their labels


@dataclass(frozen=True)
class Series:
    """One monthly series: a level (people at each month's end) or a flow (events in each month)."""

    name: str
    label: str
    unit: str
    stocks: tuple[str, ...] = ()


def _level_series() -> tuple[Series, ...]:
    base = [
        Series("people_in_contact", "People in contact with services", "people", IN_CONTACT_STOCKS),
        Series("people_employed", "People in work", "people", ("employed",)),
        Series("community", "Living in the community (in contact)", "people", ("community",)),
        Series("home_treatment", "In crisis home treatment", "people", ("home_treatment",)),
        Series("acute", "In acute beds (in area)", "people", ("acute",)),
        Series("out_of_area", "In out-of-area beds", "people", ("out_of_area",)),
        Series("waiting_for_bed", "Waiting for a bed", "people", ("waiting_for_bed",)),
        Series("residential", "In residential care", "people", ("residential",)),
        Series("enablement", "In enablement tenancies", "people", ("enablement",)),
        Series("recovered", "Recovered (out of contact)", "people", ("recovered",)),
        Series("waiting_enablement", "Waiting for an enablement tenancy", "people", ("waiting_enablement",)),
    ]
    for spec in catalogue.REGISTRY.values():
        for name, stock, label in spec.series:
            base.append(Series(name, label, "people", (stock,)))
    for spec in catalogue.place_supports():
        if not spec.series:
            base.append(Series(f"{spec.name}_users", f"{spec.label}: users", "people", (spec.holds or "",)))
            base.append(Series(f"{spec.name}_waiting", f"{spec.label}: waiting", "people", (spec.waits or "",)))
    return tuple(base)


SERIES_FLOWS = ("crisis_episodes", "acute_admissions", "out_of_area_placements", "suicides", "deaths_other",
                "recoveries", "enablement_move_ons", "residential_placements")
SERIES_EXTRA = ("zero_suicide_coverage", "carer_training_coverage", "budget_market_maturity")

SERIES: dict[str, tuple[str, str]] = {
    "people_in_contact_employed": ("People in contact who are in work", "people"),
    "severe_share_community": ("Share of people in the community (in contact) with severe needs", "share"),
    "crisis_episodes": ("Crisis episodes a month", "episodes"),
    "acute_admissions": ("Acute admissions a month", "admissions"),
    "out_of_area_placements": ("Out-of-area placements a month", "placements"),
    "suicides": ("Suicides a month", "deaths"),
    "deaths_other": ("Other deaths a month", "deaths"),
    "recoveries": ("Recoveries a month", "people"),
    "enablement_move_ons": ("Moves on from enablement a month", "people"),
    "residential_placements": ("New residential placements a month", "placements"),
    "acute_bed_days": ("Acute bed days a month", "bed days"),
    "total_cost": ("Total cost a month (discounted)", "£"),
    "cost_nhs": ("NHS cost a month (discounted)", "£"),
    "cost_council": ("Council cost a month (discounted)", "£"),
    "cost_society": ("Wider society cost a month (discounted)", "£"),
    "qalys": ("QALYs a month (discounted)", "QALYs"),
    "spend_nhs": ("NHS spending a month (undiscounted)", "£"),
    "spend_council": ("Council spending a month (undiscounted)", "£"),
    "spend_society": ("Wider society cost a month (undiscounted)", "£"),
    "zero_suicide_coverage": ("Zero Suicide trained share of workforce", "share"),
    "carer_training_coverage": ("Carer-trained share of workforce", "share"),
    "budget_market_maturity": ("Budget market maturity", "share"),
}
"""Label and unit of every monthly series (levels are added from :func:`level_series`)."""


def level_series() -> tuple[Series, ...]:
    return _level_series()


def series_labels() -> dict[str, tuple[str, str]]:
    """Label and unit of every monthly series, levels included."""
    out = {s.name: (s.label, s.unit) for s in _level_series()}
    out.update(SERIES)
    return out


def monthly_levels(period: Period, acc: Accounts) -> None:
    """Levels at each month end, the employed in contact, and programme coverage."""
    n, w, t0 = period.n_months, period.w, period.t0
    level_at: dict[int, Snapshot] = {}
    for s in period.snaps:
        if s.t > t0 + 1e-9:
            level_at[min(n - 1, int((s.t - t0 - 1e-6) // DAYS_PER_MONTH))] = s
    at = [level_at.get(m) or period.last for m in range(n)]
    totals: dict[str, np.ndarray] = {}

    def total(stock: str) -> np.ndarray:
        """People in ``stock`` at each month's end, all sub-groups (simulated, not yet at full scale)."""
        found = totals.get(stock)
        if found is None:
            found = totals[stock] = np.array([s.levels[stock] for s in at], dtype=float).reshape(n, -1).sum(-1)
        return found

    monthly = acc.monthly
    for series in _level_series():
        people = total(series.stocks[0])
        for stock in series.stocks[1:]:
            people = people + total(stock)
        monthly[series.name] = (people * w).tolist()
    monthly["people_in_contact_employed"] = (np.array(monthly["people_employed"]) - total("recovered_employed") * w).tolist()
    community = total("community")
    monthly["severe_share_community"] = np.divide(total("severe_in_community"), community, out=np.zeros(n),
                                                  where=community != 0).tolist()
    for name in SERIES_EXTRA:
        monthly[name] = [s.extra.get(name, 0.0) for s in at]


# ---------------------------------------------------------------------------
# Metrics: each declared with how it is computed

Compute = Callable[[Period, Accounts, tuple[int, ...]], float]


@dataclass(frozen=True)
class Metric:
    """One metric: label, unit, meaning, which way is better, and how it is computed."""

    name: str
    label: str
    unit: str
    meaning: str
    better: str | None = None  # "lower", "higher" or None
    compute: Compute | None = None
    subgroups: bool = False
    """Also reported for each sub-group, as ``<name>.<sub-group>``."""


def counted(counter: str) -> Compute:
    return lambda p, a, gs: p.total(counter, gs)


def days_in(*stocks: str) -> Compute:
    return lambda p, a, gs: p.area(stocks, gs)


def at_end(*stocks: str) -> Compute:
    return lambda p, a, gs: p.level(stocks, gs)


def _share(numerator: str, denominator: str) -> Compute:
    def share(p: Period, a: Accounts, gs: tuple[int, ...]) -> float:
        d = p.total(denominator, gs)
        return p.total(numerator, gs) / d if d else 0.0
    return share


def _employment_share(p: Period, a: Accounts, gs: tuple[int, ...]) -> float:
    contact = a.monthly["people_in_contact"]
    employed = a.monthly["people_in_contact_employed"]
    return sum(e / c for e, c in zip(employed, contact) if c > 0) / max(1, sum(1 for c in contact if c > 0))


def _median_stay(p: Period, a: Accounts, gs: tuple[int, ...]) -> float:
    stays = p.record.acute_stays
    return median(stays) if stays else 0.0


def _mean_stay(p: Period, a: Accounts, gs: tuple[int, ...]) -> float:
    stays = p.record.acute_stays
    return sum(stays) / len(stays) if stays else 0.0


def _bed_occupancy(p: Period, a: Accounts, gs: tuple[int, ...]) -> float:
    """Bed-days used in area over bed-days open (the beds in force in each interval, at full scale)."""
    used = open_ = 0.0
    for a_, b, values, _ in p.intervals():
        used += (sum(b.areas["acute"]) - sum(a_.areas["acute"])) * p.w
        open_ += values["services.acute_beds.beds_in_area"] * (b.t - a_.t)
    return used / open_ if open_ else 0.0


def _move_on_30_months(p: Period, a: Accounts, gs: tuple[int, ...]) -> float:
    cohort = p.record.cohort_residential
    return sum(p.last.counts["cohort_residential_move_ons_30m"]) / cohort if cohort else 0.0


def _residential_cost_per_year(p: Period, a: Accounts, gs: tuple[int, ...]) -> float:
    res_years = p.area(("residential",)) / DAYS_PER_YEAR
    cost = sum((b.areas["residential"][g] - a_.areas["residential"][g]) * p.w / DAYS_PER_YEAR * values["services.residential_care.cost_per_year"]
               for a_, b, values, _ in p.intervals() for g in ALL_GROUPS)
    return cost / res_years if res_years else 0.0


def _wait(service: str) -> Compute:
    def mean_wait(p: Period, a: Accounts, gs: tuple[int, ...]) -> float:
        waited, served = p.record.waits.get(service, (0.0, 0))
        return waited / served if served else 0.0
    return mean_wait


def _m(name: str, label: str, unit: str, meaning: str, better: str | None = None, compute: Compute | None = None,
       subgroups: bool = False) -> Metric:
    return Metric(name, label, unit, meaning, better, compute, subgroups)


def _payer(who: str) -> Compute:
    return lambda p, a, gs: a.payers[who]


def _health_and_care(a: Accounts) -> float:
    return a.payers["nhs"] + a.payers["council"]


BUILT_IN_METRICS: tuple[Metric, ...] = (
    _m("cost_health_and_care", "Cost to health and care (NHS and council)", "£",
       "NHS and council costs over the run, discounted, in 2024 prices: the primary perspective (the NICE reference case).", "lower",
       lambda p, a, gs: _health_and_care(a)),
    _m("nmb_20k", "Net monetary benefit at £20,000 per QALY", "£",
       "QALYs valued at £20,000 each, less the cost to health and care (discounted). A decision is worth it when its difference is positive.",
       "higher", lambda p, a, gs: 20_000 * a.qalys[""] - _health_and_care(a)),
    _m("nmb_30k", "Net monetary benefit at £30,000 per QALY", "£",
       "QALYs valued at £30,000 each, less the cost to health and care (discounted).", "higher",
       lambda p, a, gs: 30_000 * a.qalys[""] - _health_and_care(a)),
    _m("total_cost", "Societal cost (health, care and wider society)", "£",
       "Costs to the NHS, the council and wider society over the run, discounted, in 2024 prices: the societal view, reported beside "
       "the health-and-care view and never in its headline.", "lower",
       lambda p, a, gs: sum(a.payers.values())),
    _m("cost_nhs", "Cost to the NHS", "£", "NHS costs over the run (beds, crisis teams, community teams, commissioned services, health budgets), discounted.", "lower", _payer("nhs")),
    _m("cost_council", "Cost to the council", "£", "County council costs (residential care, enablement, personal budgets, assessments), discounted.", "lower", _payer("council")),
    _m("cost_society", "Cost to wider society", "£", "Costs that land outside health and care budgets: output lost by people out of work (everyone alive in the modelled population) and the non-health costs of suicides, discounted.", "lower", _payer("society")),
    _m("total_cost_undiscounted", "Total cost (undiscounted)", "£", "All costs without discounting.", "lower", lambda p, a, gs: a.undiscounted),
    _m("crisis_episodes", "Crisis episodes", "episodes", "Crises needing crisis care: home treatment or a hospital bed.", "lower", counted("crisis_episodes"), True),
    _m("home_treatment_episodes", "Home treatment episodes", "episodes", "Crisis resolution / home treatment episodes started.", None, counted("home_treatment_episodes")),
    _m("acute_admissions", "Acute admissions", "admissions", "Admissions to an acute mental health bed, in or out of area.", "lower", counted("acute_admissions"), True),
    _m("acute_bed_days", "Acute bed days", "bed days", "Days spent in acute beds, in area and out of area.", "lower", days_in("acute", "out_of_area"), True),
    _m("out_of_area_placements", "Out-of-area placements", "placements", "Admissions placed out of area because no local bed was free.", "lower", counted("out_of_area_placements"), True),
    _m("out_of_area_bed_days", "Out-of-area bed days", "bed days", "Days spent in out-of-area beds.", "lower", days_in("out_of_area")),
    _m("residential_placements", "New residential placements", "placements", "People entering residential care during the run.", "lower", counted("residential_placements")),
    _m("residential_placements_end", "People in residential care (end)", "people", "People living in residential care at the end of the run.", "lower", at_end("residential")),
    _m("enablement_move_ons", "Moves on from enablement", "people", "Tenants moving from Intensive Enablement to independent living.", "higher", counted("enablement_move_ons")),
    _m("enablement_tenancies_in_use_end", "Enablement tenancies in use (end)", "tenancies", "Tenants living in an enablement tenancy at the end.", None, at_end("enablement")),
    _m("recoveries", "Recoveries", "people", "People discharged from services as recovered.", "higher", counted("recoveries"), True),
    _m("relapses", "Relapses", "people", "Recovered people returning to services.", "lower", counted("relapses")),
    _m("person_years_in_work", "Person-years in work", "person-years",
       "Years worked by everyone in the modelled population (in contact with services or discharged), undiscounted.", "higher",
       lambda p, a, gs: p.area(("employed",), gs) / DAYS_PER_YEAR, True),
    _m("people_employed_end", "People in work (end)", "people", "People in the modelled population (in contact or recovered) in work at the end.", "higher", at_end("employed"), True),
    _m("people_in_contact_end", "People in contact with services (end)", "people", "People in contact with secondary mental health or social care at the end.", None, at_end(*IN_CONTACT_STOCKS)),
    _m("suicides", "Suicides", "deaths", "Deaths by suicide in the modelled population.", "lower", counted("suicides"), True),
    _m("deaths_other", "Deaths from other causes", "deaths", "Other deaths in the modelled population.", "lower", counted("deaths_other"), True),
    _m("qalys", "Quality-adjusted life years", "QALYs", "Quality-adjusted life years lived by the modelled population, discounted.", "higher",
       lambda p, a, gs: a.qalys[_key(gs)], True),
    _m("qalys_undiscounted", "QALYs (undiscounted)", "QALYs", "Quality-adjusted life years without discounting.", "higher", lambda p, a, gs: a.qalys_undiscounted),
    _m("budget_holders_end", "Personal budget holders (end)", "people", "People holding a personal (health) budget at the end.", None, at_end("budget_holders")),
    _m("health_budget_holders_end", "Personal health budget holders (end)", "people",
       "People holding a personal health budget (NHS) at the end; the rest of the budget holders hold a council personal budget.",
       None, at_end("health_budget_holders")),
    _m("carers_supported_end", "Carers supported (end)", "people", "People whose carer has been assessed and supported.", None, at_end("carer_supported")),
    _m("peer_leaders_end", "Active peer leaders (end)", "people", "Peer leaders (volunteer or paid) at the end.", None, at_end("peer_leaders")),
    _m("recovery_college_completions", "Recovery College completions", "people", "Students completing a Recovery College course.", "higher", counted("college_completions")),
    _m("suicides_per_year", "Suicides a year", "deaths a year", "Suicides divided by the years simulated (calibration: about 74 a year, S4).", "lower",
       lambda p, a, gs: p.total("suicides") / p.years if p.years > 0 else 0.0),
    _m("employment_share_in_contact", "Share in work (in contact)", "share", "Average monthly share of people in contact who are in work (calibration: 15.9%, S6).", "higher", _employment_share),
    _m("acute_median_stay_days", "Median acute stay", "days", "Median length of completed acute stays (calibration: 23 days, R7).", None, _median_stay),
    _m("readmission_within_year_share", "Readmitted within a year", "share", "Share of discharges from crisis care followed by another crisis within a year (calibration: 29% to over 50%).", "lower",
       _share("readmitted_within_year", "discharges_followable")),
    _m("acute_readmission_90_days_share", "Readmitted to a bed within 90 days", "share",
       "Share of discharges from an acute bed followed by another admission within 90 days (calibration: 12% to 18%, R6). "
       "Only discharges with a whole reported year after them are followed.", "lower",
       _share("acute_readmitted_within_90_days", "acute_discharges_followable")),
    _m("acute_readmission_year_share", "Readmitted to a bed within a year", "share",
       "Share of discharges from an acute bed followed by another admission within a year (R3: 29% to 38%).", "lower",
       _share("acute_readmitted_within_year", "acute_discharges_followable")),
    _m("acute_readmissions_early_share", "Readmissions within a year that come in the first 90 days", "share",
       "Of discharges readmitted within a year, the share readmitted within 90 days (calibration: 35% to 55%, R6 over R3).", None,
       _share("acute_readmitted_within_90_days", "acute_readmitted_within_year")),
    _m("acute_bed_occupancy", "Acute bed occupancy (in area)", "share",
       "In-area bed-days used over bed-days available (calibration: 89% to 98%, NHS Benchmarking 2016 and KH03).", None, _bed_occupancy),
    _m("acute_mean_stay_days", "Mean acute stay", "days", "Mean length of completed acute stays (calibration: 29 to 35 days, NHS Benchmarking 2016).",
       None, _mean_stay),
    _m("residential_move_on_30_months_share", "Residential move-on in 30 months", "share", "Share of people in residential care at the start who moved on within 30 months (calibration: about 10%, R8).", "higher", _move_on_30_months),
    _m("residential_cost_per_person_year", "Residential cost per person-year", "£", "Residential care cost divided by person-years in residential care (calibration: about £50,000 in 2015 prices, S7).", None, _residential_cost_per_year),
    _m("enablement_in_use_start", "Enablement tenancies in use (start)", "tenancies", "Tenancies in use at the start (calibration: 41 of 79, S8).", None,
       lambda p, a, gs: p.level(("enablement",), snap=p.first)),
    _m("enablement_mean_wait_days", "Mean wait for an enablement tenancy", "days", "Average wait of people who got a tenancy (shorter is not better if fewer got one).", None, _wait("enablement")),
    _m("recovery_college_mean_wait_days", "Mean wait for the Recovery College", "days", "Average wait of people who got a college place (shorter is not better if fewer got one).", None, _wait("recovery_college")),
    _m("acute_mean_wait_days", "Mean wait for a bed", "days", "Average wait for an in-area bed (only when beds queue).", "lower", _wait("acute_beds")),
    _m("person_level_cost", "Cost of care for people", "£", "Costs that follow individuals (beds, teams, placements, budgets, suicides, lost output), discounted; excludes block contracts and programmes.", "lower",
       lambda p, a, gs: a.person_cost[_key(gs)], True),
    _m("people_alive_end", "People alive (end)", "people", "People in the modelled population alive and in the county at the end.", None, at_end(*ALIVE_STOCKS), True),
    # what a closure does to its users: reported, not only counted
    _m("users_losing_a_place", "Users losing a place at a closure", "people", "People holding a place in a support when it closed.", None, counted("support_losses_on_closure")),
    _m("redirected_to_nothing", "Users sent nowhere at a closure", "people", "People losing a place who were offered no other support (or were not eligible for the one offered).", None, counted("redirected_nothing")),
)

ACTIVITY = {
    "arrivals": ("New referrals", "people", "People newly referred to secondary mental health or social care."),
    "residential_move_ons": ("Moves on from residential care", "people", "People leaving residential care for the community or a tenancy."),
    "enablement_entries": ("Enablement tenancies taken up", "people", "People starting an enablement tenancy."),
    "enablement_breakdowns": ("Enablement tenancies breaking down", "people", "Tenants returning to residential care."),
    "moved_away": ("People moving away", "people", "People leaving the county."),
    "job_gains": ("Jobs found", "people", "People starting work."),
    "job_losses": ("Jobs lost", "people", "People leaving work."),
    "discharges": ("Discharges from crisis care", "people", "Ends of home treatment episodes and admissions."),
    "budget_applications": ("Budget applications", "people", "People applying for a personal (health) budget."),
    "budgets_granted": ("Budgets granted", "people", "Assessments ending in a budget."),
    "budget_dropouts": ("Budget assessments dropped", "people", "Assessments ending without a budget."),
    "carer_assessments": ("Carers' assessments", "people", "Carers assessed and supported."),
    "college_enrolments": ("Recovery College enrolments", "people", "Students starting a Recovery College term."),
    "graduate_peer_workers": ("Graduates becoming paid peer workers", "people", "Recovery College graduates taken on as peer support workers."),
    "college_job_gains": ("Jobs found by Recovery College students and graduates", "people",
                          "People starting work while studying at or after finishing a Recovery College course (gross, as S11 counted it)."),
    "graduate_tutors": ("Graduates becoming tutors", "people", "Recovery College graduates taken on as tutors by experience."),
    "leaders_recruited": ("Peer leaders recruited", "people", "Peer support members stepping up to lead."),
    "leader_burnouts": ("Peer leaders burning out", "people", "Peer leaders stopping."),
}
"""Counters reported as activity metrics (no better direction), with label, unit and meaning."""


def _key(gs: tuple[int, ...]) -> str:
    for key, groups in GROUP_SETS.items():
        if groups == gs:
            return key
    raise KeyError(gs)


def _service_metrics() -> tuple[Metric, ...]:
    """Metrics every declared support brings: users at the end, waits, referrals, redirects."""
    out: list[Metric] = []
    for spec in catalogue.place_supports():
        out.append(_m(catalogue.users_metric(spec), f"{spec.label} users (end)", "people", f"People holding a place in {spec.label.lower()} at the end.", None,
                      at_end(spec.holds or "")))
        out.append(_m(catalogue.wait_metric(spec), f"Mean wait for {spec.label.lower()}", "days",
                      f"Average wait of people who got a place in {spec.label.lower()} (shorter is not better if fewer got one).", None, _wait(spec.name)))
        counter = join_counter(spec)
        out.append(_m(counter, f"Referrals to {spec.label.lower()}", "people", f"People referred to {spec.label.lower()}.", None, counted(counter)))
    for target in catalogue.redirect_targets():
        label = catalogue.service_label(target)
        out.append(_m(f"redirected_to_{target}", f"Users sent to {label.lower()} at a closure", "people",
                      f"People losing a place at a closure who were referred to {label.lower()}.", None, counted(f"redirected_{target}")))
    for counter, (label, unit, meaning) in ACTIVITY.items():
        out.append(_m(counter, label, unit, meaning, None, counted(counter)))
    return tuple(out)


def metric_list() -> tuple[Metric, ...]:
    """Every declared metric (built-in and those the registered services bring)."""
    return BUILT_IN_METRICS + _service_metrics()


class _Metrics(dict):
    """METRICS, kept in step with the service registry."""

    def refresh(self) -> None:
        self.clear()
        self.update({m.name: m for m in metric_list()})


METRICS: dict[str, Metric] = _Metrics()
METRICS.refresh()  # type: ignore[attr-defined]
catalogue.on_change(METRICS.refresh)  # type: ignore[attr-defined]

HEADLINE = (
    "cost_health_and_care", "cost_nhs", "cost_council", "qalys", "nmb_20k", "nmb_30k", "crisis_episodes",
    "acute_admissions", "acute_bed_days", "out_of_area_placements", "residential_placements_end", "enablement_move_ons",
    "recoveries", "person_years_in_work", "people_employed_end", "suicides", "deaths_other", "cost_society", "total_cost",
)
"""The outcomes every table leads with (the command line, the page, the brief)."""


def declared_names(specs: Mapping[str, Any]) -> list[str]:
    """Every metric name :func:`summarise` reports for a scenario with these parameters."""
    from .costs import all_cost_metrics

    names = list(all_cost_metrics(specs))
    for m in METRICS.values():
        names.append(m.name)
        if m.subgroups:
            names += [f"{m.name}.{key}" for key in SUBGROUPS]
    return names


# ---------------------------------------------------------------------------


def summarise(record: Any, specs: Mapping[str, Any]) -> ReplicationResult:
    """Turn a :class:`~simulation.ledger.RunRecord` into metrics, monthly series and flows.

    ``specs`` maps parameter paths to their :class:`~simulation.parameters.ParamSpec`
    (for each cost's price year and payer).
    """
    period = Period(record)
    acc = accounts(period, specs)
    monthly_levels(period, acc)
    metrics: dict[str, float] = dict(acc.cost_lines)
    for m in METRICS.values():
        if m.compute is None:
            continue
        metrics[m.name] = m.compute(period, acc, ALL_GROUPS)
        if m.subgroups:
            for key, gs in SUBGROUPS.items():
                metrics[f"{m.name}.{key}"] = m.compute(period, acc, gs)
    w = period.w
    cohort = cohort_rows(record) if getattr(record, "cohort", None) else ()
    if getattr(record, "cohort_markers", ()):
        metrics.update(cohort_metrics(cohort, record.cohort_markers, w))
    flows = {
        f"{PLACE_NAMES[i]}->{PLACE_NAMES[j]}": record.flows[i][j] * w
        for i in range(len(PLACE_NAMES)) for j in range(len(PLACE_NAMES)) if record.flows[i][j]
    }
    diagnostics = {
        "scheduler_events": float(record.scheduler_events),
        "peak_live_processes": float(record.peak_live_processes),
        "wall_seconds": record.wall_seconds,
    }
    return ReplicationResult(record.scenario_name, record.replication, metrics,
                             {k: tuple(v) for k, v in acc.monthly.items()}, flows, diagnostics, cohort)

