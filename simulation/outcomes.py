"""Collecting what happens: stocks, counters, monthly snapshots, and the metrics.

The model never formats or logs in its inner loop: it moves integers. A
:class:`Stock` keeps, per sub-group, how many people are in a place or hold a
support and the area under that count (person-days), which is what costs and
quality-adjusted life years are made of. Counters count events. A
:class:`Snapshot` copies both at month ends and at every scenario action, so
that costs can use the unit costs in force in each period exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ledger import Snapshot, Stock, take_snapshot
from .people import N_GROUPS

__all__ = ["Snapshot", "Stock", "take_snapshot", "Metric", "METRICS", "ReplicationResult", "summarise"]


# ---------------------------------------------------------------------------
# Metrics: what a replication reports, at full county scale.


@dataclass(frozen=True)
class Metric:
    """How to present one metric: label, unit, meaning, and which way is better."""

    name: str
    label: str
    unit: str
    meaning: str
    better: str | None = None  # "lower", "higher" or None


def _m(name: str, label: str, unit: str, meaning: str, better: str | None = None) -> Metric:
    return Metric(name, label, unit, meaning, better)


METRICS: dict[str, Metric] = {m.name: m for m in (
    _m("total_cost", "Total cost", "£", "All costs to the NHS, the council and wider society over the run, discounted, in 2024 prices.", "lower"),
    _m("cost_nhs", "Cost to the NHS", "£", "NHS costs over the run (beds, crisis teams, community teams, commissioned services, health budgets), discounted.", "lower"),
    _m("cost_council", "Cost to the council", "£", "County council costs (residential care, enablement, personal budgets, assessments), discounted.", "lower"),
    _m("cost_society", "Cost to wider society", "£", "Costs that land outside health and care budgets: suicides and lost output of people out of work, discounted.", "lower"),
    _m("total_cost_undiscounted", "Total cost (undiscounted)", "£", "All costs without discounting.", "lower"),
    _m("crisis_episodes", "Crisis episodes", "episodes", "Crises needing crisis care: home treatment or a hospital bed.", "lower"),
    _m("home_treatment_episodes", "Home treatment episodes", "episodes", "Crisis resolution / home treatment episodes started.", None),
    _m("acute_admissions", "Acute admissions", "admissions", "Admissions to an acute mental health bed, in or out of area.", "lower"),
    _m("acute_bed_days", "Acute bed days", "bed days", "Days spent in acute beds, in area and out of area.", "lower"),
    _m("out_of_area_placements", "Out-of-area placements", "placements", "Admissions placed out of area because no local bed was free.", "lower"),
    _m("out_of_area_bed_days", "Out-of-area bed days", "bed days", "Days spent in out-of-area beds.", "lower"),
    _m("residential_placements", "New residential placements", "placements", "People entering residential care during the run.", "lower"),
    _m("residential_placements_end", "People in residential care (end)", "people", "People living in residential care at the end of the run.", "lower"),
    _m("enablement_move_ons", "Moves on from enablement", "people", "Tenants moving from Intensive Enablement to independent living.", "higher"),
    _m("enablement_tenancies_in_use_end", "Enablement tenancies in use (end)", "tenancies", "Tenants living in an enablement tenancy at the end.", None),
    _m("recoveries", "Recoveries", "people", "People discharged from services as recovered.", "higher"),
    _m("relapses", "Relapses", "people", "Recovered people returning to services.", "lower"),
    _m("people_employed_end", "People in work (end)", "people", "People in the modelled population (in contact or recovered) in work at the end.", "higher"),
    _m("people_in_contact_end", "People in contact with services (end)", "people", "People in contact with secondary mental health or social care at the end.", None),
    _m("suicides", "Suicides", "deaths", "Deaths by suicide in the modelled population.", "lower"),
    _m("deaths_other", "Deaths from other causes", "deaths", "Other deaths in the modelled population.", "lower"),
    _m("qalys", "Quality-adjusted life years", "QALYs", "Quality-adjusted life years lived by the modelled population, discounted.", "higher"),
    _m("qalys_undiscounted", "QALYs (undiscounted)", "QALYs", "Quality-adjusted life years without discounting.", "higher"),
    _m("budget_holders_end", "Personal budget holders (end)", "people", "People holding a personal (health) budget at the end.", None),
    _m("carers_supported_end", "Carers supported (end)", "people", "People whose carer has been assessed and supported.", None),
    _m("day_centre_users_end", "Day centre users (end)", "people", "People holding a day centre place at the end.", None),
    _m("peer_leaders_end", "Active peer leaders (end)", "people", "Peer leaders (volunteer or paid) at the end.", None),
    _m("recovery_college_completions", "Recovery College completions", "people", "Students completing a Recovery College course.", "higher"),
    _m("suicides_per_year", "Suicides a year", "deaths a year", "Suicides divided by the years simulated (calibration: about 74 a year, S4).", "lower"),
    _m("employment_share_in_contact", "Share in work (in contact)", "share", "Average monthly share of people in contact who are in work (calibration: 15.9%, S6).", "higher"),
    _m("acute_median_stay_days", "Median acute stay", "days", "Median length of completed acute stays (calibration: 23 days, R7).", None),
    _m("readmission_within_year_share", "Readmitted within a year", "share", "Share of discharges from crisis care followed by another crisis within a year (calibration: 29% to over 50%).", "lower"),
    _m("residential_move_on_30_months_share", "Residential move-on in 30 months", "share", "Share of people in residential care at the start who moved on within 30 months (calibration: about 10%, R8).", "higher"),
    _m("residential_cost_per_person_year", "Residential cost per person-year", "£", "Residential care cost divided by person-years in residential care (calibration: about £50,000 in 2015 prices, S7).", None),
    _m("enablement_in_use_start", "Enablement tenancies in use (start)", "tenancies", "Tenancies in use at the start (calibration: 41 of 79, S8).", None),
    # Waits for supports are averaged over the people who got a place, so a shorter wait can
    # mean fewer places given (a service closed, people gave up): no 'better' direction.
    _m("day_centre_mean_wait_days", "Mean wait for a day centre place", "days", "Average wait of people who got a day centre place (shorter is not better if fewer got one).", None),
    _m("peer_support_mean_wait_days", "Mean wait for peer support", "days", "Average wait of people who got a peer support place (shorter is not better if fewer got one).", None),
    _m("recovery_college_mean_wait_days", "Mean wait for the Recovery College", "days", "Average wait of people who got a college place (shorter is not better if fewer got one).", None),
    _m("enablement_mean_wait_days", "Mean wait for an enablement tenancy", "days", "Average wait of people who got a tenancy (shorter is not better if fewer got one).", None),
    _m("acute_mean_wait_days", "Mean wait for a bed", "days", "Average wait for an in-area bed (only when beds queue).", "lower"),
    _m("person_level_cost", "Cost of care for people", "£", "Costs that follow individuals (beds, teams, placements, budgets, suicides, lost output), discounted; excludes block contracts and programmes.", "lower"),
    _m("people_alive_end", "People alive (end)", "people", "People in the modelled population alive and in the county at the end.", None),
)}

SUBGROUP_METRICS = ("crisis_episodes", "acute_admissions", "acute_bed_days", "out_of_area_placements", "recoveries",
                    "suicides", "deaths_other", "people_employed_end", "people_alive_end", "qalys", "person_level_cost")

TIMESERIES_LEVELS = {
    "people_in_contact": ("community", "home_treatment", "acute", "out_of_area", "waiting_for_bed", "residential", "enablement"),
    "people_employed": ("employed",),
    "community": ("community",), "home_treatment": ("home_treatment",), "acute": ("acute",),
    "out_of_area": ("out_of_area",), "waiting_for_bed": ("waiting_for_bed",), "residential": ("residential",),
    "enablement": ("enablement",), "recovered": ("recovered",), "day_centre_users": ("day_centre",),
    "day_centre_waiting": ("waiting_day_centre",), "peer_support_members": ("peer_support",),
    "peer_leaders": ("peer_leaders",), "budget_holders": ("budget_holders",),
    "recovery_college_graduates": ("recovery_college_graduates",), "waiting_enablement": ("waiting_enablement",),
    "carers_supported": ("carer_supported",),
}
TIMESERIES_FLOWS = ("crisis_episodes", "acute_admissions", "out_of_area_placements", "suicides", "deaths_other",
                    "recoveries", "enablement_move_ons", "residential_placements")
TIMESERIES_EXTRA = ("zero_suicide_coverage", "carer_training_coverage", "budget_market_maturity")

IN_CONTACT_STOCKS = TIMESERIES_LEVELS["people_in_contact"]
ALIVE_STOCKS = (*IN_CONTACT_STOCKS, "recovered")
HOSPITAL_STOCKS = ("acute", "out_of_area", "waiting_for_bed")


@dataclass(frozen=True)
class ReplicationResult:
    """One replication's outcomes at full county scale (frozen: results are facts)."""

    scenario: str
    replication: int
    metrics: dict[str, float]
    monthly: dict[str, tuple[float, ...]]
    flows: dict[str, float]
    diagnostics: dict[str, float]


def _period_quality(values: dict, areas: dict[str, tuple[float, ...]], groups: tuple[int, ...], maturity: float) -> float:
    """Quality-adjusted person-days lived in one period by ``groups``."""
    q = values

    def a(name: str) -> float:
        v = areas[name]
        return sum(v[g] for g in groups)

    total = (
        q["quality_of_life.community_moderate"] * a("community")
        + q["quality_of_life.in_crisis"] * a("home_treatment")
        + q["quality_of_life.in_hospital"] * (a("acute") + a("out_of_area") + a("waiting_for_bed"))
        + q["quality_of_life.in_residential_care"] * a("residential")
        + q["quality_of_life.in_enablement"] * a("enablement")
        + q["quality_of_life.recovered"] * a("recovered")
        + q["quality_of_life.severe_decrement"] * a("severe")
        + q["quality_of_life.employed_gain"] * a("employed")
        + q["services.day_centre.quality_of_life_gain"] * a("day_centre")
        + q["services.peer_support.quality_of_life_gain"] * (a("peer_support") + a("peer_leaders"))
        + q["services.recovery_college.quality_of_life_gain"] * a("recovery_college_graduates")
        + q["services.personal_budgets.quality_of_life_gain"] * maturity * a("budget_holders")
    )
    return total


def summarise(record, specs) -> ReplicationResult:
    """Turn a :class:`~simulation.model.RunRecord` into metrics, monthly series and flows.

    ``specs`` maps parameter paths to their :class:`~simulation.parameters.ParamSpec`
    (for each cost's price year and payer).
    """
    from statistics import median

    from .costs import COST_ITEMS, PER_DAY, cost_metric, discount_factor
    from .parameters import DAYS_PER_MONTH, DAYS_PER_YEAR
    from .people import N_GROUPS, SUBGROUPS

    w = 1.0 / record.scale
    t0 = record.warmup_days
    snaps = [s for s in record.snapshots if s.t >= t0 - 1e-9]
    n_months = max(1, int(round((record.horizon_days - t0) / DAYS_PER_MONTH + 0.4999)))
    all_groups = tuple(range(N_GROUPS))
    group_sets = {"": all_groups, **{name: gs for name, gs in SUBGROUPS.items()}}

    metrics: dict[str, float] = {}
    monthly: dict[str, list[float]] = {}

    def month_add(name: str, month: int, value: float) -> None:
        series = monthly.setdefault(name, [0.0] * n_months)
        series[month] += value

    cost_totals: dict[str, float] = {}
    payer_totals = {"nhs": 0.0, "council": 0.0, "society": 0.0}
    undiscounted = 0.0
    person_cost = {k: 0.0 for k in group_sets}
    qalys = {k: 0.0 for k in group_sets}
    qalys_undiscounted = 0.0
    for item in COST_ITEMS:
        payers = [item.payer_override or specs[item.param].payer] + ([item.split[1]] if item.split else [])
        for payer in payers:
            cost_totals.setdefault(cost_metric(item.service, payer), 0.0)

    for a, b in zip(snaps, snaps[1:]):
        days = b.t - a.t
        if days <= 0:
            continue
        values = record.versions[a.version]
        month = min(n_months - 1, max(0, int((b.t - t0 - 1e-6) // DAYS_PER_MONTH)))
        disc = discount_factor(values["costs.discount_rate"], (a.t + b.t) / 2 - t0)
        d_area = {k: tuple(b.areas[k][g] - a.areas[k][g] for g in all_groups) for k in b.areas}
        d_count = {k: tuple(b.counts[k][g] - a.counts[k][g] for g in all_groups) for k in b.counts}
        maturity = a.extra.get("budget_market_maturity", 1.0)
        # costs
        for item in COST_ITEMS:
            spec = specs[item.param]
            unit = values[item.param] / values[f"prices.index_{spec.price_year}"] * PER_DAY[item.per]
            kind, _, what = item.basis.partition(":")
            if kind == "stock":
                by_group = [d_area[what][g] * w for g in all_groups]
            elif kind == "count":
                by_group = [d_count[what][g] * w for g in all_groups]
            elif kind == "open":
                by_group = [d_area[f"open_{what}"][0], 0.0, 0.0, 0.0]
            else:  # programme quantities are county-level already
                zs = "programmes.zero_suicide."
                cl = "programmes.carer_led_training."
                qty = {
                    "zero_suicide_trainees": values[zs + "trainees_per_year"] * days / DAYS_PER_YEAR,
                    "carer_trainer_days": values[cl + "carer_trainers"] * days,
                    "carer_staff_trained": values[cl + "carer_trainers"] * values[cl + "staff_trained_per_trainer_per_year"] * days / DAYS_PER_YEAR,
                }[what]
                by_group = [qty, 0.0, 0.0, 0.0]
            amount = sum(by_group) * unit
            shares = [(item.payer_override or spec.payer, 1.0)]
            if item.split:
                s = values[item.split[0]]
                shares = [(shares[0][0], 1.0 - s), (item.split[1], s)]
            for payer, share in shares:
                cost = amount * share
                cost_totals[cost_metric(item.service, payer)] += cost * disc
                payer_totals[payer] += cost * disc
                month_add(f"cost_{payer}", month, cost * disc)
                month_add("total_cost", month, cost * disc)
                undiscounted += cost
            if item.person_level:
                for key, gs in group_sets.items():
                    person_cost[key] += sum(by_group[g] for g in gs) * unit * disc
        # quality of life
        for key, gs in group_sets.items():
            q = _period_quality(values, d_area, gs, maturity) * w / DAYS_PER_YEAR
            qalys[key] += q * disc
            if key == "":
                qalys_undiscounted += q
                month_add("qalys", month, q * disc)
        # flows per month
        for name in TIMESERIES_FLOWS:
            month_add(name, month, sum(d_count[name]) * w)
        month_add("acute_bed_days", month, (sum(d_area["acute"]) + sum(d_area["out_of_area"])) * w)

    # levels at each month end
    month_ends = [s for s in snaps if s.t > t0 + 1e-9]
    level_at: dict[int, Snapshot] = {}
    for s in month_ends:
        level_at[min(n_months - 1, int((s.t - t0 - 1e-6) // DAYS_PER_MONTH))] = s
    for m in range(n_months):
        s = level_at.get(m) or (snaps[-1] if snaps else None)
        for name, stocks in TIMESERIES_LEVELS.items():
            monthly.setdefault(name, [0.0] * n_months)[m] = sum(sum(s.levels[k]) for k in stocks) * w
        recovered_employed = sum(s.levels["recovered_employed"]) * w
        monthly.setdefault("people_in_contact_employed", [0.0] * n_months)[m] = monthly["people_employed"][m] - recovered_employed
        for name in TIMESERIES_EXTRA:
            monthly.setdefault(name, [0.0] * n_months)[m] = s.extra.get(name, 0.0)

    first, last = snaps[0], snaps[-1]

    def total(name: str, gs: tuple[int, ...] = all_groups) -> float:
        return sum(last.counts[name][g] - first.counts[name][g] for g in gs) * w

    def level(names: tuple[str, ...], gs: tuple[int, ...] = all_groups, snap: Snapshot = last) -> float:
        return sum(snap.levels[k][g] for k in names for g in gs) * w

    def area(names: tuple[str, ...], gs: tuple[int, ...] = all_groups) -> float:
        return sum(last.areas[k][g] - first.areas[k][g] for k in names for g in gs) * w

    years = (record.horizon_days - t0) / DAYS_PER_YEAR
    metrics.update(cost_totals)
    metrics["cost_nhs"] = payer_totals["nhs"]
    metrics["cost_council"] = payer_totals["council"]
    metrics["cost_society"] = payer_totals["society"]
    metrics["total_cost"] = sum(payer_totals.values())
    metrics["total_cost_undiscounted"] = undiscounted
    for name in ("crisis_episodes", "home_treatment_episodes", "acute_admissions", "out_of_area_placements",
                 "residential_placements", "enablement_move_ons", "recoveries", "relapses", "suicides", "deaths_other"):
        metrics[name] = total(name)
    metrics["acute_bed_days"] = area(("acute", "out_of_area"))
    metrics["out_of_area_bed_days"] = area(("out_of_area",))
    metrics["residential_placements_end"] = level(("residential",))
    metrics["enablement_tenancies_in_use_end"] = level(("enablement",))
    metrics["people_employed_end"] = level(("employed",))
    metrics["people_in_contact_end"] = level(IN_CONTACT_STOCKS)
    metrics["people_alive_end"] = level(ALIVE_STOCKS)
    metrics["qalys"] = qalys[""]
    metrics["qalys_undiscounted"] = qalys_undiscounted
    metrics["budget_holders_end"] = level(("budget_holders",))
    metrics["carers_supported_end"] = level(("carer_supported",))
    metrics["day_centre_users_end"] = level(("day_centre",))
    metrics["peer_leaders_end"] = level(("peer_leaders",))
    metrics["recovery_college_completions"] = total("college_completions")
    # calibration figures
    metrics["suicides_per_year"] = metrics["suicides"] / years if years > 0 else 0.0
    contact = monthly["people_in_contact"]
    metrics["employment_share_in_contact"] = (
        sum(e / c for e, c in zip(monthly["people_in_contact_employed"], contact) if c > 0) / max(1, sum(1 for c in contact if c > 0))
    )
    metrics["acute_median_stay_days"] = median(record.acute_stays) if record.acute_stays else 0.0
    followable = total("discharges_followable")
    metrics["readmission_within_year_share"] = total("readmitted_within_year") / followable if followable else 0.0
    metrics["residential_move_on_30_months_share"] = (
        sum(last.counts["cohort_residential_move_ons_30m"]) / record.cohort_residential if record.cohort_residential else 0.0
    )
    res_years = area(("residential",)) / DAYS_PER_YEAR
    res_spec = specs["services.residential_care.cost_per_year"]
    res_cost_undiscounted = sum(
        (b.areas["residential"][g] - a.areas["residential"][g]) * w / DAYS_PER_YEAR
        * record.versions[a.version]["services.residential_care.cost_per_year"]
        for a, b in zip(snaps, snaps[1:]) for g in all_groups
    )
    metrics["residential_cost_per_person_year"] = res_cost_undiscounted / res_years if res_years else 0.0
    _ = res_spec
    metrics["enablement_in_use_start"] = level(("enablement",), snap=first)
    for name, key in (("day_centre", "day_centre"), ("peer_support", "peer_support"), ("recovery_college", "recovery_college"),
                      ("enablement", "enablement"), ("acute", "acute_beds")):
        waited, served = record.waits.get(key, (0.0, 0))
        metrics[f"{name}_mean_wait_days"] = waited / served if served else 0.0
    # sub-groups
    for key, gs in group_sets.items():
        if not key:
            continue
        for name in ("crisis_episodes", "acute_admissions", "out_of_area_placements", "recoveries", "suicides", "deaths_other"):
            metrics[f"{name}.{key}"] = total(name, gs)
        metrics[f"acute_bed_days.{key}"] = area(("acute", "out_of_area"), gs)
        metrics[f"people_employed_end.{key}"] = level(("employed",), gs)
        metrics[f"people_alive_end.{key}"] = level(ALIVE_STOCKS, gs)
        metrics[f"qalys.{key}"] = qalys[key]
        metrics[f"person_level_cost.{key}"] = person_cost[key]
    metrics["person_level_cost"] = person_cost[""]

    from .people import PLACE_NAMES

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
                             {k: tuple(v) for k, v in monthly.items()}, flows, diagnostics)
