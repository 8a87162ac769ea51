"""Why trust the model: calibration against the seed, and checks against theory.

``mhsim verify`` runs everything here and prints one line per check with its
figure. Calibration compares the baseline with what the Essex report and the
parameter sourcebook say; where the model misses a band the table says so
(the parameters are not bent to hit it). Verification reduces the model to
cases with known answers: queueing formulas, Little's law, conservation,
extreme values, common random numbers, serial against parallel runs, and
the mean-field twin.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace
from typing import Sequence

from .experiment import RunPlan, paired_difference, run_experiment, t_interval
from .model import CountyModel
from .outcomes import ReplicationResult
from .parameters import DAYS_PER_MONTH, DAYS_PER_YEAR
from .scenario import CloseService, Scenario
from .formatting import years as years_text


# ---------------------------------------------------------------------------
# Reduced models with known answers


def bed_queue_only(baseline: Scenario, arrivals_per_day: float, mean_stay_days: float, beds: int, queue: bool) -> Scenario:
    """The model reduced to one bed queue: Poisson arrivals, all in crisis and all
    admitted, exponential stays, no other events (so queueing theory applies)."""
    values: dict = dict(EMPTY_COUNTY)
    values.update({
        "population.referrals_per_year": arrivals_per_day * DAYS_PER_YEAR,
        "population.referral_in_crisis_share": 1.0,
        "crisis.admission_share_moderate": 1.0,
        "crisis.admission_share_severe": 1.0,
        "services.acute_beds.beds_in_area": beds,
        "services.acute_beds.queue_when_full": queue,
        "services.acute_beds.stay_exponential": True,
        "services.acute_beds.stay_median_days": mean_stay_days,
        "services.acute_beds.stay_spread": 0.0,
        "services.acute_beds.discharge_to_residential_share_severe": 0.0,
        "services.acute_beds.discharge_to_enablement_share_severe": 0.0,
    })
    for path, spec in baseline.params.items():
        if spec.unit == "per year" and path not in values:
            values[path] = 0.0
    return baseline.with_values(values, name="bed queue only")


EMPTY_COUNTY = {
    "population.in_contact_at_start": 0, "population.recovered_at_start": 0, "population.referrals_per_year": 0.0,
    "census.in_home_treatment": 0, "census.in_acute_beds": 0, "census.out_of_area": 0, "census.in_residential_care": 0,
    "census.in_enablement": 0, "census.waiting_for_enablement": 0, "census.day_centre_users": 0,
    "census.peer_support_members": 0, "census.peer_leaders": 0, "census.recovery_college_graduates": 0,
}

UNBOUNDED = {
    "services.crisis_home_treatment.caseload": 100_000, "services.acute_beds.beds_in_area": 100_000,
    "services.enablement.tenancies_operative": 100_000, "services.day_centre.places": 100_000,
    "services.peer_support.base_places": 100_000,
}
"""Capacities so large they never bind: the regime where the twin must agree with the simulation."""


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of an M/M/c/c loss system with offered load ``a``."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in an M/M/c queue with offered load ``a`` (a < c)."""
    b = erlang_b(c, a)
    rho = a / c
    return b / (1 - rho + rho * b)


# ---------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True)
class Target:
    """A published figure the baseline should reproduce.

    ``kind`` says what a pass proves: ``input`` (the figure is, or is read back
    from, a parameter: a pass only shows the sampler and the accounting work),
    ``fitted`` (a parameter was tuned to reach it: a pass shows the tuning
    held) or ``independent`` (nothing was set from it: the only kind of pass
    that tests the model). ``known_miss`` explains a miss the model cannot
    close with defensible parameters; an unexplained miss fails ``verify``.
    """

    name: str
    metric: str
    target: str
    low: float
    high: float
    source: str
    unit: str = ""
    kind: str = "independent"
    known_miss: str = ""


TARGETS = (
    # fitted by mhsim calibrate (simulation/calibration.py): a pass shows the fit holds in the simulation
    Target("Suicides a year in the modelled population", "suicides_per_year", "about 74 (62 in Jan-Oct 2015)", 60, 90, "S4",
           kind="fitted"),
    Target("Share of people in contact who are in work", "employment_share_in_contact", "15.9%", 0.13, 0.19, "S6", "share",
           kind="fitted"),
    Target("Readmitted to a bed within a year of an acute discharge", "acute_readmission_year_share",
           "29% (peer support) to 38% (usual care); over 50% after crisis team care", 0.29, 0.45, "R3, R5", "share", kind="fitted"),
    # read back from an input: a pass shows only that the sampler and the accounting work
    Target("Median acute length of stay (days)", "acute_median_stay_days", "23 days (national aim at most 32)", 18, 32, "R7",
           kind="input"),
    Target("Enablement tenancies in use at the start", "enablement_in_use_start", "41 of 79", 40, 42, "S8", kind="input"),
    Target("Residential cost per person-year (2015 prices)", "residential_cost_per_person_year", "about £50,000", 45_000, 55_000,
           "S7", "£", kind="input"),
    Target("Acute bed occupancy (in area)", "acute_bed_occupancy", "94% adult acute (89% all mental illness beds)", 0.89, 0.98,
           "T1: NHS Benchmarking 2016; KH03 2015/16", "share", kind="input"),
    Target("Crisis home treatment episodes a year", "home_treatment_episodes_per_year", "about 2,660 (national volume x Essex share)",
           2_200, 3_300, "T4: C4, NAO 2007", kind="input"),
    # independent: nothing was set from these figures
    Target("Readmitted to a bed within 90 days of an acute discharge", "acute_readmission_90_days_share", "15% of 7,891 discharges",
           0.12, 0.18, "R6, T2a: Tulloch, David & Thornicroft 2016", "share",
           known_miss="The raised crisis risk after discharge lives in a fixed 90-day window (crisis.after_discharge_*), so "
                      "re-crises bunch inside it; fitting the year's readmission (R3, R5) then over-fills the first 90 days. "
                      "A longer, weaker window (or a decaying one) would spread them; its length is not yet a fitted parameter."),
    Target("Share of first-year readmissions that come within 90 days", "acute_readmissions_early_share",
           "15% within 90 days of 29-38% within a year", 0.35, 0.55, "T2b: R6 over R3", "share",
           known_miss="The same cause as the 90-day readmission above: a fixed 90-day window concentrates re-crises early."),
    Target("Acute admissions a year", "acute_admissions_per_year", "103,840 people admitted in England x Essex share; "
           "290 beds x 89-98% / 29-35 days", 2_500, 3_600, "T5: Mental Health Bulletin 2014/15; T1, T9"),
    Target("Mean acute length of stay (days)", "acute_mean_stay_days", "33 days, adult acute 2015/16", 29, 35,
           "T9: NHS Benchmarking 2016"),
    Target("Out-of-area bed days a year", "out_of_area_bed_days_per_year", "235,000 inappropriate placement days in England x "
           "Essex share", 5_500, 7_200, "T3b: RCPsych 2022; NHS Digital out-of-area placements",
           known_miss="The model sends an admission out of area only when all 270 local beds are full at that moment (a loss "
                      "system at about 93% occupancy overflows rarely at this size); real placements also follow PICU, "
                      "gender-specific and specialist beds and bed management, which the model does not represent. "
                      "Out-of-area differences between decisions are therefore understated; see docs/limitations.md."),
    Target("People out of area on an average day", "out_of_area_people", "645-700 inappropriate placements active in England x "
           "Essex share (up to about 55 counting every patient away from their usual provider, 2015)", 15, 55,
           "T3a: NHS Digital OAP collection; HSCIC May 2015",
           known_miss="The same cause as out-of-area bed days above: only a full local ward sends anyone away."),
    Target("Residential residents moved on within 30 months", "residential_move_on_30_months_share", "about 10%", 0.05, 0.15,
           "R8", "share",
           known_miss="A tension in the fit: the residential flows are fitted to hold residential care in balance (no drift), "
                      "and the rates that balance its inflow move residents on near the top of R8's band (about 15% within "
                      "30 months at ten replications, 13-16%). Move-on is not a fitting target; adding it would trade "
                      "balance against R8."),
    Target("People holding a social care personal budget", "social_care_budget_holders_end",
           "about 33,500 mental health personal budgets and direct payments in England x Essex share, +-30%", 560, 1_220,
           "T7: Think Local Act Personal 2014"),
)

KINDS = {
    "input": "reads back an input",
    "fitted": "a parameter was tuned to it",
    "independent": "independent of the inputs",
}


@dataclass(frozen=True)
class Line:
    """One printed line: what was checked, the figure, what was expected, and the verdict.

    ``passed`` is None for a line printed for information only (a measured
    gap that is expected and explained, never a pass)."""

    check: str
    figure: str
    expected: str
    passed: bool | None
    source: str = ""
    kind: str = ""
    detail: dict | None = None
    """Machine-readable fields for ``verify --json`` (target, model, low, high, ...)."""


def _fmt(v: float, unit: str) -> str:
    if unit == "share":
        return f"{v * 100:.1f}%"
    if unit == "£":
        return f"£{v:,.0f}"
    if unit == "ratio":
        return f"{v:.2f}"
    return f"{v:,.1f}"


def derived(result: ReplicationResult, scenario: Scenario) -> dict[str, float]:
    """The run's metrics and the rates the targets are stated in (a year, a day, against the start)."""
    m = dict(result.metrics)
    years = len(result.monthly["crisis_episodes"]) / 12
    m["out_of_area_share"] = m["out_of_area_placements"] / m["acute_admissions"] if m["acute_admissions"] else 0.0
    start = scenario.values["population.in_contact_at_start"]
    m["caseload_ratio"] = m["people_in_contact_end"] / start if start else 0.0
    for name in ("acute_admissions", "home_treatment_episodes", "out_of_area_bed_days"):
        m[f"{name}_per_year"] = m[name] / years if years else 0.0
    m["out_of_area_people"] = m["out_of_area_bed_days"] / (years * DAYS_PER_YEAR) if years else 0.0
    m["social_care_budget_holders_end"] = m["budget_holders_end"] - m.get("health_budget_holders_end", 0.0)
    return m


def judge_target(t: Target, values: Sequence[float]) -> Line:
    """A target passes when the whole 95% interval of the model's figure lies inside its band:
    a mean inside the band with an interval spilling out of it has not shown anything yet."""
    iv = t_interval(values)
    inside = bool(t.low <= iv.low and iv.high <= t.high and iv.n >= 2)
    figure = f"{_fmt(iv.mean, t.unit)} ({_fmt(iv.low, t.unit)} to {_fmt(iv.high, t.unit)})"
    band = f"at least {_fmt(t.low, t.unit)}" if t.high >= 1e8 else f"band {_fmt(t.low, t.unit)} to {_fmt(t.high, t.unit)}"
    expected = f"{t.target}; {band}"
    if inside:
        verdict = "pass"
    elif t.low <= iv.mean <= t.high:
        verdict = "interval leaves the band"
    else:
        verdict = "outside the band"
    detail = {"target": t.name, "metric": t.metric, "kind": t.kind, "model": iv.mean, "model_low": iv.low, "model_high": iv.high,
              "low": t.low, "high": t.high, "pass": inside, "verdict": verdict, "source": t.source,
              "explanation": "" if inside else t.known_miss}
    return Line(t.name, figure, expected, inside, t.source, t.kind, detail)


def drift_targets(years: float) -> tuple[Target, ...]:
    """The baseline in balance: each series' last whole year within 5% of year 2, and months 1 to 6 within 10% of
    year 2 (issue 12; what mhsim calibrate fits, so labelled fitted). None for runs of under three years."""
    from .calibration import DRIFT_SERIES

    last = int(years)
    if last < 3:
        return ()
    out = []
    for name in DRIFT_SERIES:
        words = name.replace("_", " ")
        out.append(Target(f"No drift: {words}, year {last} against year 2", f"drift.{name}", "within 5%", 0.95, 1.05,
                          "equilibrium (issue 12)", "ratio", kind="fitted"))
        out.append(Target(f"No start-up: {words}, months 1 to 6 against year 2", f"start.{name}", "within 10%", 0.9, 1.1,
                          "equilibrium (issue 12)", "ratio", kind="fitted"))
    return tuple(out)


def calibration(baseline: Scenario, plan: RunPlan, workers: int = 1, progress=None) -> list[Line]:
    """Run the baseline and compare it with every target and with its own year 2 (drift)."""
    exp = run_experiment([baseline], plan, workers=workers, progress=progress)
    return calibration_lines(baseline, exp.results[exp.labels[0]])


PILOT_TARGETS = (
    Target("Recovery College pilot: students and graduates back in work in 15 months", "college_job_gains",
           "at least 40 people returned to work", 40, 1e9, "S11", kind="independent",
           known_miss="Students find paid work only through the job-gain rate (fitted to S6) times the college's effect "
                      "(C11-C12, uncontrolled studies, halved for issue 14); S11's 40 likely counts volunteering and "
                      "training too. The college's employment effect is declared with a range, and PSA carries it."),
    Target("Recovery College pilot: enrolments in 15 months", "college_enrolments",
           "no published count; about 390 students a college-year (C11, C12), so 300-650 over 15 months", 300, 650,
           "T10: C11, C12 (a plausibility check)", kind="independent"),
)
"""A back-cast of the Recovery College pilot (January 2014 to April 2015): the baseline with the college open for
15 months. Its employment effect was not set from S11, so a pass is independent."""


def college_pilot(baseline: Scenario, plan: RunPlan, workers: int = 1, progress=None) -> list[Line]:
    """Open the Recovery College for the pilot's 15 months and compare with S11."""
    pilot = baseline.with_values({"services.recovery_college.open": True}, name=f"{baseline.name}, Recovery College pilot")
    months = replace(plan, years=1.25)
    exp = run_experiment([pilot], months, workers=workers, progress=progress)
    reps = exp.results[exp.labels[0]]
    return [judge_target(t, [r.metrics[t.metric] for r in reps]) for t in PILOT_TARGETS]


def calibration_lines(baseline: Scenario, reps: Sequence[ReplicationResult]) -> list[Line]:
    """The baseline's replications against every target and against their own year 2 (drift)."""
    from .calibration import measures

    values = [derived(r, baseline) | measures(r, baseline) for r in reps]
    years = len(reps[0].monthly["crisis_episodes"]) / 12
    return [judge_target(t, [v[t.metric] for v in values]) for t in (*TARGETS, *drift_targets(years))]


def unexplained_misses(lines: Sequence[Line]) -> list[Line]:
    """Calibration lines that missed with no stated reason (they fail ``verify``)."""
    return [line for line in lines if line.passed is False and not (line.detail or {}).get("explanation")]


# ---------------------------------------------------------------------------
# Verification


def _queue_runs(baseline: Scenario, queue: bool, reps: int, lam: float, mean_stay: float, beds: int, years: float):
    scenario = bed_queue_only(baseline, lam, mean_stay, beds, queue)
    out = []
    for rep in range(reps):
        record = CountyModel(scenario, seed=11, replication=rep, years=years, scale=1.0, warmup_years=1.0).run()
        first, last = record.snapshots[0], record.snapshots[-1]
        admitted = sum(last.counts["acute_admissions"]) - sum(first.counts["acute_admissions"])
        out.append((record, first, last, admitted))
    return out


def check_mmc(baseline: Scenario, reps: int = 8, lam: float = 6.0, mean_stay: float = 2.5, beds: int = 17, years: float = 8) -> list[Line]:
    """Beds that queue: mean wait and occupancy against Erlang C."""
    a = lam * mean_stay
    wq = erlang_c(beds, a) / (beds / mean_stay - lam)
    waits, occ = [], []
    for record, first, last, admitted in _queue_runs(baseline, True, reps, lam, mean_stay, beds, years):
        waits.append((sum(last.areas["waiting_for_bed"]) - sum(first.areas["waiting_for_bed"])) / admitted)
        occ.append((sum(last.areas["acute"]) - sum(first.areas["acute"])) / (record.horizon_days - record.warmup_days))
    w, o = t_interval(waits), t_interval(occ)
    return [
        Line(f"M/M/{beds} mean wait for a bed (days)", f"{w.mean:.3f} ({w.low:.3f} to {w.high:.3f})",
             f"Erlang C: {wq:.3f}", w.low <= wq <= w.high),
        Line(f"M/M/{beds} mean beds occupied", f"{o.mean:.2f} ({o.low:.2f} to {o.high:.2f})", f"offered load: {a:.2f}", o.low <= a <= o.high),
    ]


def check_erlang_b(baseline: Scenario, reps: int = 8, lam: float = 6.0, mean_stay: float = 2.5, beds: int = 17, years: float = 8) -> list[Line]:
    """Beds that overflow out of area: the out-of-area share against Erlang B."""
    a = lam * mean_stay
    shares = []
    for _, first, last, admitted in _queue_runs(baseline, False, reps, lam, mean_stay, beds, years):
        ooa = sum(last.counts["out_of_area_placements"]) - sum(first.counts["out_of_area_placements"])
        shares.append(ooa / admitted)
    s = t_interval(shares)
    b = erlang_b(beds, a)
    return [Line(f"M/M/{beds}/{beds} share placed out of area", f"{s.mean:.4f} ({s.low:.4f} to {s.high:.4f})",
                 f"Erlang B: {b:.4f}", s.low <= b <= s.high)]


def check_little_and_conservation(baseline: Scenario, years: float = 6, scale: float = 0.2) -> list[Line]:
    # the model's own monthly invariant checks are off here, so that this line is the one that fails
    model = CountyModel(baseline, seed=5, replication=0, years=years, scale=scale, check_invariants=False)
    record = model.run()
    lines = []
    for place in ("acute", "home_treatment"):
        # busy places: over a run much longer than a stay, L = lambda x W to within edge effects
        area, entries, exits, sojourn, _ = record.little[place]
        days = record.horizon_days
        L, lam, W = area / days, entries / days, (sojourn / exits if exits else 0.0)
        rel = abs(L - lam * W) / L if L else math.inf   # an empty place proves nothing
        lines.append(Line(f"Little's law, {place.replace('_', ' ')}", f"L = {L:.1f}, lambda x W = {lam * W:.1f}",
                          "equal within 5%", rel <= 0.05))
    from .people import N_ALIVE_PLACES, PLACE_NAMES

    # every place, exactly: person-days counted = days spent by those who left + by those still there
    worst = 0.0
    for idx in range(N_ALIVE_PLACES):
        area, _, _, sojourn, _ = record.little[PLACE_NAMES[idx]]
        still = sum(record.horizon_days - p.t_place for p in model.people if p.place == idx)
        if area:
            worst = max(worst, abs(area - sojourn - still) / area)
    lines.append(Line("Little's law as an identity, every place", f"largest gap {worst:.1e}", "0 (up to rounding)", worst < 1e-9))

    alive = sum(1 for p in model.people if p.place < N_ALIVE_PLACES)
    exits = record.checks["exited"]
    lines.append(Line("People conserved (created = alive + left)", f"{len(model.people):,} = {alive:,} + {exits:,}",
                      "exact", len(model.people) == alive + exits))
    return lines


def check_extremes(baseline: Scenario) -> list[Line]:
    from .experiment import run_replication

    empty = run_replication(baseline.with_values(EMPTY_COUNTY), 1, 0, 2, 1.0, 0.0).metrics
    nothing = all(empty[m] == 0 for m in ("crisis_episodes", "acute_admissions", "suicides", "recoveries", "qalys"))
    roomy = run_replication(baseline.with_values({"services.acute_beds.beds_in_area": 100_000}), 1, 0, 2, 0.05, 0.0).metrics
    none = run_replication(baseline.with_values({"services.acute_beds.beds_in_area": 0, "census.in_acute_beds": 0}), 1, 0, 1, 0.05, 0.0).metrics
    return [
        Line("No people and no arrivals: nothing happens", f"{empty['crisis_episodes']:.0f} crises, {empty['qalys']:.0f} QALYs", "0 and 0", nothing),
        Line("Unlimited beds: no out-of-area placements", f"{roomy['out_of_area_placements']:.0f} of {roomy['acute_admissions']:,.0f} admissions",
             "0", roomy["out_of_area_placements"] == 0 and roomy["acute_admissions"] > 0),
        Line("No beds: every admission out of area", f"{none['out_of_area_placements']:,.0f} of {none['acute_admissions']:,.0f}",
             "all", none["out_of_area_placements"] == none["acute_admissions"] > 0),
    ]


def closure_of(baseline: Scenario) -> Scenario:
    """The baseline with the day centre closed at month 6 as the shipped scenario closes it
    (45% referred for a budget, 35% offered peer support, the declared disruption risk)."""
    action = CloseService(6 * DAYS_PER_MONTH, "day_centre", redirect=(("personal_budgets", 0.45), ("peer_support", 0.35)),
                          when="month 6")
    return replace(baseline.with_actions(action), name=f"{baseline.name}, day centre closed at month 6")


def check_crn_and_parallel(baseline: Scenario, workers: int = 2, reps: int = 4) -> list[Line]:
    """Determinism (an identical scenario differs by exactly 0), common random numbers (a real
    decision's paired difference is much less spread than the difference of independent runs
    would be), and serial runs equal to parallel ones."""
    copy = baseline.with_values({}, name="Copy of the baseline")
    closed = closure_of(baseline)
    plan = RunPlan(seed=3, replications=reps, years=2, scale=0.05)
    serial = run_experiment([baseline, copy, closed], plan, workers=1)
    parallel = run_experiment([baseline, copy, closed], plan, workers=max(2, workers))
    base, same_label, closed_label = serial.labels
    diffs = [abs(paired_difference(serial.metric_values(same_label, m), serial.metric_values(base, m)).mean)
             for m in ("total_cost", "crisis_episodes", "qalys", "suicides")]
    lines = [Line("Determinism: identical scenario, paired difference", f"largest |difference| {max(diffs):g}", "exactly 0", max(diffs) == 0)]
    for metric in ("crisis_episodes", "qalys"):
        a, b = serial.metric_values(closed_label, metric), serial.metric_values(base, metric)
        paired = statistics.stdev([x - y for x, y in zip(a, b)])
        unpaired = (statistics.variance(a) + statistics.variance(b)) ** 0.5
        ratio = paired / unpaired if unpaired else math.inf
        lines.append(Line(f"Common random numbers: closing the day centre, spread of the paired difference in {metric.replace('_', ' ')}",
                          f"{paired:,.1f} against {unpaired:,.1f} unpaired (ratio {ratio:.2f})", "ratio at most 0.5",
                          ratio <= 0.5))
    same = all(s.metrics == p.metrics for label in serial.labels for s, p in zip(serial.results[label], parallel.results[label]))
    lines.append(Line("Serial run equals parallel run", "identical" if same else "different", "identical", same))
    return lines


PEOPLE_OUTCOMES = ("crisis_episodes", "acute_admissions", "acute_bed_days", "recoveries", "suicides", "deaths_other",
                   "people_employed_end", "qalys")
"""What happens to people: a decision with no effect on anyone's rates must leave all of these exactly as they were."""


def neutral_closure(baseline: Scenario, service: str, at_month: float = 6) -> tuple[Scenario, Scenario]:
    """A service made neutral (its effects 1, no quality-of-life gain), and the same closed at a month with no
    redirect and no raised risk: a decision that changes no one's rates, only the service's own activity and cost."""
    from . import catalogue

    spec = catalogue.REGISTRY[service]
    neutral: dict = {e.param: 1.0 for e in spec.effects}
    if spec.quality_of_life_gain:
        neutral[spec.quality_of_life_gain] = 0.0
    base = baseline.with_values(neutral, name=f"{baseline.name}, {spec.label.lower()} neutral")
    action = CloseService(at_month * DAYS_PER_MONTH, service, redirect=(), raised_risk=(1.0, 0.0), when=f"month {at_month:g}")
    return base, replace(base.with_actions(action), name=f"{base.name}, closed at month {at_month:g}")


def null_decision_lines(exp, service: str) -> list[Line]:
    """Exactly zero difference in every people outcome in every replication, and a cost difference that is
    the service's own cost lines alone."""
    base, closed = exp.labels
    from .experiment import metric_value

    worst = {m: max(abs(metric_value(a, m) - metric_value(b, m)) for a, b in zip(exp.results[closed], exp.results[base]))
             for m in PEOPLE_OUTCOMES}
    moved = [m for m, v in worst.items() if v != 0]
    lines = [Line(f"Null decision: closing a neutral {service.replace('_', ' ')}, people outcomes",
                  "every difference 0" if not moved else "differences in " + ", ".join(f"{m} (up to {worst[m]:,.3g})" for m in moved),
                  f"exactly 0 in every replication ({', '.join(PEOPLE_OUTCOMES)})", not moved)]
    gaps = []
    for a, b in zip(exp.results[closed], exp.results[base]):
        own = sum(v - metric_value(b, k) for k, v in a.metrics.items() if k.startswith(f"cost.{service}."))
        total = a.metrics["total_cost"] - b.metrics["total_cost"]
        gaps.append(abs(total - own) / max(1.0, abs(own)))
    lines.append(Line(f"Null decision: closing a neutral {service.replace('_', ' ')}, cost",
                      f"difference in total cost minus its own cost lines: at most {max(gaps):.1e} of them",
                      "the service's own cost alone (up to rounding)", max(gaps) < 1e-9))
    return lines


def check_null_decisions(baseline: Scenario, workers: int = 1, reps: int = 3, years: float = 3, scale: float = 0.2) -> list[Line]:
    """Common random numbers that isolate a decision: a decision that changes no one's rates changes nothing
    else, in every replication (two services: Basildon's day centre, and the county's day services)."""
    lines = []
    for service in ("day_centre", "county_day_services"):
        base, closed = neutral_closure(baseline, service)
        exp = run_experiment([base, closed], RunPlan(seed=9, replications=reps, years=years, scale=scale), workers=workers)
        lines += null_decision_lines(exp, service)
    return lines


TWIN_STOCKS = ("people_in_contact", "community", "recovered", "people_employed", "residential", "budget_holders",
               "carers_supported", "home_treatment", "acute")
TWIN_TOTALS = ("crisis_episodes", "acute_admissions", "recoveries", "suicides", "deaths_other", "total_cost", "qalys")


def agree(check: str, twin: float, sim: Sequence[float], tolerance: float) -> Line:
    """The twin's figure against the simulation's replications: inside their 95% interval, or
    within ``tolerance`` (a share) of their mean. A zero on either side never passes: a run
    in which nothing happened agrees with nothing."""
    iv = t_interval(sim)
    zero = twin == 0 or iv.mean == 0
    rel = abs(twin - iv.mean) / abs(iv.mean) if iv.mean else math.inf
    ok = not zero and (iv.low <= twin <= iv.high or rel <= tolerance)
    return Line(check, f"twin {twin:,.1f}, simulation {iv.mean:,.1f} ({iv.low:,.1f} to {iv.high:,.1f}); gap {rel * 100:.1f}%",
                f"inside the interval or within {tolerance * 100:g}%; never zero", ok)


def _change(series: Sequence[float]) -> float:
    """How far a stock moved: its average over months 12 to the end minus its level in month 1."""
    return statistics.fmean(series[11:]) - series[0]


def agree_stock(check: str, twin: Sequence[float], sims: Sequence[Sequence[float]], tolerance: float = 0.02) -> Line:
    """A stock's average level over months 12 to the end, twin against simulation, inside the
    interval or within ``tolerance``; and it must have moved in both (a stock frozen at its
    census, 45,000 people recovered give or take 400, would otherwise agree by its size alone)."""
    line = agree(check, statistics.fmean(twin[11:]), [statistics.fmean(s[11:]) for s in sims], tolerance)
    moved_twin, moved_sim = _change(twin), statistics.fmean(_change(s) for s in sims)
    moved = moved_twin != 0 and all(_change(s) != 0 for s in sims)
    return replace(line, figure=f"{line.figure}; moved {moved_twin:+,.1f} and {moved_sim:+,.1f}",
                   expected=f"{line.expected}; moved in both", passed=bool(line.passed) and moved)


JUDGED_SCALE = 0.5
"""Below this scale the real-capacity comparison is printed, not judged: the twin is the whole county's ward, the
simulation a small one that overflows far more often (14 beds at scale 0.05, about a third of admissions out of area)."""


def _not_judged(line: Line, scale: float) -> Line:
    if line.passed is not False:
        return line
    return replace(line, passed=None, expected=f"{line.expected}; not judged at scale {scale:g}: a small ward is a different "
                                               "queueing system from the county's (simulation/scale.py)")


def _ward_lines(acute: Line, label: str, n: int, twin: dict, sims: list[dict]) -> list[Line]:
    """With the real capacities, who is in the ward and who out of area is the queue's split (the twin's ward
    overflows by Erlang's formula, the simulation's one admission at a time): the acute stock alone is printed as
    a measured gap if it misses, and every hospital stay, in area and out of area together, is judged."""
    def stays(m: dict) -> list[float]:
        return [a + o for a, o in zip(m["acute"], m["out_of_area"])]

    if acute.passed is False:
        acute = replace(acute, passed=None, expected=f"{acute.expected}; measured gap: the ward's split between in area "
                                                     "and out of area is a queue effect (the total is judged below)")
    total = agree_stock(f"Twin agrees ({label}): hospital stays, in area and out of area (average, months 12-{n})",
                        stays(twin), [stays(m) for m in sims])
    return [acute, total]


def check_twin(baseline: Scenario, reps: int = 6, scale: float = 0.5, years: float = 5, workers: int = 1,
               closure: Scenario | None = None, roomy_scale: float = 1.0) -> list[Line]:
    """The simulation against the mean-field twin.

    Twice: the baseline with capacities that never bind (where they must agree on
    everything), and a closure with the real capacities (the queues bind there, so
    out-of-area placements are printed as a measured gap, not judged).

    The unbounded baseline runs at ``roomy_scale``, the whole county by default, as the twin is: a
    part of the county is a different system even with nothing binding. At scale 0.5 the simulation's
    residential stock (months 12-60, 6 replications) was 138.7 (133.4 to 144.1) with 53.7 placements,
    at scale 1 148.8 (144.3 to 153.3) with 59.3, the twin's 146.4 inside the latter (2026-11-28)."""
    from .twin import run_twin

    roomy = baseline.with_values(UNBOUNDED, name="baseline, capacity unbounded")
    cases = [(roomy, "unbounded capacity", roomy_scale)]
    if closure is not None:
        cases.append((closure, f"{closure.name}, real capacities", scale))
    lines = []
    for scenario, label, run_scale in cases:
        twin = run_twin(scenario, years=years)
        exp = run_experiment([scenario], RunPlan(seed=5, replications=reps, years=years, scale=run_scale), workers=workers)
        sims = exp.results[exp.labels[0]]
        n = len(twin.monthly["people_in_contact"])
        for stock in TWIN_STOCKS:
            lines.append(agree_stock(f"Twin agrees ({label}): {stock.replace('_', ' ')} (average, months 12-{n})",
                                     twin.monthly[stock], [s.monthly[stock] for s in sims]))
        if scenario is closure:
            lines[-1:] = _ward_lines(lines[-1], label, n, twin.monthly, [s.monthly for s in sims])
        for metric in TWIN_TOTALS:
            lines.append(agree(f"Twin agrees ({label}): {metric.replace('_', ' ')} over {years_text(years)}",
                               twin.metrics[metric], [s.metrics[metric] for s in sims], 0.02))
        if scenario is closure and scale < JUDGED_SCALE:
            lines[-len(TWIN_STOCKS) - len(TWIN_TOTALS):] = [_not_judged(line, scale) for line in lines[-len(TWIN_STOCKS) - len(TWIN_TOTALS):]]
        if closure is not None and scenario is closure:
            iv = t_interval([s.metrics["out_of_area_placements"] for s in sims])
            lines.append(Line(f"Twin and simulation ({label}): out-of-area placements (queues)",
                              f"twin {twin.metrics['out_of_area_placements']:,.1f}, simulation {iv.mean:,.1f} ({iv.low:,.1f} to {iv.high:,.1f})",
                              "may differ: the twin's ward overflows by Erlang's loss formula, the simulation's one admission at a time (docs/twin.md)", None))
    return lines


# ---------------------------------------------------------------------------
# The twin's answers against the simulation's, for every shipped decision

AGREEMENT_TOLERANCE = 0.10
"""A twin difference agrees when it lies inside the simulation's 95% interval or within this share of its mean."""
NEGLIGIBLE = 1e-6
"""Differences under this share of the baseline's level are nothing (the simulation's null differences are exactly
zero since each event has its own clock; the twin's are zero up to its tolerance, rtol 1e-6). It was 1e-4, which
let any difference under 57 QALYs (or £0.28m) pass unjudged: 36 of 152 lines passed so, among them closing the day
centre's QALYs, twin -16.5 against -14.5 (-15.9 to -13.1)."""

QUEUE_GAPS = {
    "out_of_area_placements": "the twin's ward overflows by Erlang's loss formula at its expected occupancy (exact in "
                              "steady state); the simulation's overflows one admission at a time as its occupancy "
                              "fluctuates, so out-of-area placements can differ (docs/twin.md)",
}
"""Metrics where queues make the twin and the simulation differ: a miss there is printed as a measured gap."""


@dataclass(frozen=True)
class Agreement:
    """One decision's paired difference on one metric: the twin's against the simulation's."""

    scenario: str
    metric: str
    twin: float
    simulation: float
    low: float
    high: float
    n: int
    level: float = 0.0
    """The baseline's level of the metric (the twin's): differences under NEGLIGIBLE of it count as zero."""
    counts: bool = False
    """The metric counts whole events (every replication's value is a whole number of simulated events)."""
    scale: float = 1.0
    """The simulation's scale: one simulated event is reported as 1/scale of the county's."""

    @property
    def bounds(self) -> tuple[float, float]:
        """The simulation's 95% interval. When every replication gave the same difference in a count, the
        t-interval has no width but the simulation is not certain: no replication had an event that the
        decision moved, which bounds the mean number of such events at 3/n a replication (the rule of
        three, 95%), so the interval is the difference +- 3/n simulated events, each 1/scale of the county's.
        (Carer-led training moves about a quarter of a suicide in ten years: five replications can easily
        all show none.)"""
        if self.counts and self.low == self.high and self.n > 0:
            half = 3.0 / (self.n * self.scale)
            return self.simulation - half, self.simulation + half
        return self.low, self.high

    @property
    def unjudged(self) -> str:
        """Why the simulation cannot judge the twin here ('' when it can): a single replication has no
        interval, and a quantity that is not a count with the same difference in every replication has none
        either (no replication had an event the decision moved: more replications or a larger scale)."""
        if self.negligible:
            return ""
        if self.n < 2:
            return "one replication has no interval"
        if not self.counts and self.low == self.high:
            return "every replication gave the same difference, so the simulation has no interval here"
        return ""

    @property
    def standard_error(self) -> float:
        """The simulation's mean difference's standard error, from its t-interval (nan when it has no width)."""
        from scipy.stats import t

        half = (self.high - self.low) / 2
        return half / float(t.ppf(0.975, self.n - 1)) if half > 0 and self.n >= 2 else math.nan

    @property
    def z(self) -> float:
        """How many standard errors the twin lies from the simulation's mean (nan without an interval)."""
        se = self.standard_error
        return abs(self.twin - self.simulation) / se if se == se else math.nan

    @property
    def chance_of_failing(self) -> float:
        """The chance this line fails by the simulation's chance alone, were the twin's difference the simulation's
        expectation: its mean must fall outside both the interval's half-width and 10% of itself."""
        from scipy.stats import t

        se = self.standard_error
        if se != se:
            return 0.0
        margin = max((self.high - self.low) / 2, AGREEMENT_TOLERANCE * abs(self.simulation))
        return float(2 * t.sf(margin / se, self.n - 1))

    @property
    def chance_this_far(self) -> float:
        """For a line that disagrees, the chance the simulation's mean lies at least this far from the twin's
        difference, were that difference the simulation's expectation (its two-sided t-test p-value); 1 for a line
        that agrees (nothing to explain) or has no interval."""
        from scipy.stats import t

        se = self.standard_error
        if self.passed or se != se:
            return 1.0
        return float(2 * t.sf(abs(self.twin - self.simulation) / se, self.n - 1))

    @property
    def negligible(self) -> bool:
        """Both differences are nothing against the metric's level (a decision that cannot touch it)."""
        floor = NEGLIGIBLE * abs(self.level)
        return abs(self.twin) <= floor and self.low >= -floor and self.high <= floor

    @property
    def sign_settled(self) -> bool:
        """The simulation's interval excludes zero, so the twin must have the same sign."""
        low, high = self.bounds
        return low > 0 or high < 0

    @property
    def same_sign(self) -> bool:
        return not self.sign_settled or ((self.twin > 0) == (self.simulation > 0) and self.twin != 0)

    @property
    def inside(self) -> bool:
        low, high = self.bounds
        return low <= self.twin <= high

    @property
    def gap(self) -> float:
        """|twin - simulation| / |simulation| (inf when the simulation's mean is 0 and the twin's is not)."""
        if self.simulation == 0:
            return 0.0 if self.twin == 0 else math.inf
        return abs(self.twin - self.simulation) / abs(self.simulation)

    @property
    def passed(self) -> bool:
        return self.negligible or (self.same_sign and (self.inside or self.gap <= AGREEMENT_TOLERANCE))

    def line(self) -> Line:
        unit_gap = "" if math.isinf(self.gap) else f"; gap {self.gap * 100:.1f}%"
        low, high = self.bounds
        three = "; no spread: +-3/n, the rule of three" if (low, high) != (self.low, self.high) else ""
        figure = (f"twin {self.twin:+,.1f}, simulation {self.simulation:+,.1f} ({low:+,.1f} to {high:+,.1f}, "
                  f"{self.n} paired replications{three}){unit_gap}")
        expected = (f"{'same sign, and ' if self.sign_settled else ''}inside the interval or within "
                    f"{AGREEMENT_TOLERANCE * 100:g}%")
        passed: bool | None = self.passed
        if self.unjudged and not self.passed:
            passed, expected = None, f"not judged: {self.unjudged} (more replications or a larger --scale)"
        elif not self.passed and self.metric in QUEUE_GAPS:
            passed, expected = None, f"{expected}; measured gap: {QUEUE_GAPS[self.metric]}"
        detail = {"scenario": self.scenario, "metric": self.metric, "twin": self.twin, "simulation": self.simulation,
                  "low": self.low, "high": self.high, "judged_low": low, "judged_high": high,
                  "counts": self.counts, "n": self.n, "scale": self.scale, "same_sign": self.same_sign,
                  "inside": self.inside, "gap": None if math.isinf(self.gap) else self.gap, "pass": passed,
                  "judged": passed is not None, "z": None if self.z != self.z else self.z,
                  "chance_of_failing": self.chance_of_failing}
        return Line(f"{self.scenario}: {self.metric.replace('_', ' ')}", figure, expected, passed, kind="agreement",
                    detail=detail)


FAMILY_LEVEL = 0.05
"""The table as a whole disagrees when chance explains its misses less often than this."""


@dataclass(frozen=True)
class Family:
    """The agreement table judged as a whole. A table of 152 lines, each at 95%, has misses even for a twin equal to
    the simulation's expectations (about 5 at 30 replications), so 'every line passes' is not a test a faithful
    twin passes; two tests that are: (1) the count of misses, against the chance of as many or more when each
    line fails by chance with its ``chance_of_failing`` (independently: a Poisson-binomial tail), and (2) the
    farthest miss, by Holm's (first step: Bonferroni's) bound on the lines' ``chance_this_far`` (family-wise error
    5%), so one line far off fails the table even when the count is small."""

    lines: int
    """Lines judged (not negligible, with an interval, not a measured gap)."""
    misses: int
    expected: float
    """Misses a twin equal to the simulation's expectations would have on average."""
    chance_of_as_many: float
    """P(that many misses or more) by chance alone."""
    farthest: str
    """The miss least explained by chance ('' when none)."""
    farthest_adjusted: float
    """Its Holm-adjusted chance (1 when there is no miss)."""

    @property
    def passed(self) -> bool:
        return self.chance_of_as_many >= FAMILY_LEVEL and self.farthest_adjusted >= FAMILY_LEVEL

    @property
    def detail(self) -> dict[str, object]:
        return {"lines": self.lines, "misses": self.misses, "expected_by_chance": self.expected,
                "chance_of_as_many": self.chance_of_as_many, "farthest": self.farthest or None,
                "farthest_adjusted_chance": self.farthest_adjusted, "level": FAMILY_LEVEL, "pass": self.passed}


def poisson_binomial_tail(chances: Sequence[float], k: int) -> float:
    """P(at least ``k`` of independent events happen), each with its own chance (exact, by convolution)."""
    dist = [1.0]
    for c in chances:
        nxt = [0.0] * (len(dist) + 1)
        for i, q in enumerate(dist):
            nxt[i] += q * (1 - c)
            nxt[i + 1] += q * c
        dist = nxt
    return float(min(1.0, sum(dist[k:]))) if k > 0 else 1.0


def family(rows: Sequence[Agreement]) -> Family:
    """Judge the agreement table as a whole (see :class:`Family`). The metrics whose misses are measured gaps
    (``QUEUE_GAPS``: shown, not judged), negligible lines and lines the simulation cannot judge are left out."""
    judged = [r for r in rows if not r.negligible and not r.unjudged and r.metric not in QUEUE_GAPS]
    missed = [r for r in judged if not r.passed]
    tail = poisson_binomial_tail([r.chance_of_failing for r in judged], len(missed))
    farthest, adjusted = "", 1.0
    if missed:
        # Holm's first step: the smallest of m p-values against level / m (a line that agrees has p = 1), so the
        # farthest miss's adjusted chance is m times its own
        worst = min(missed, key=lambda r: r.chance_this_far)
        adjusted = min(1.0, len(judged) * worst.chance_this_far)
        farthest = f"{worst.scenario}, {worst.metric.replace('_', ' ')}"
    return Family(len(judged), len(missed), sum(r.chance_of_failing for r in judged), tail, farthest, adjusted)


def agreement(baseline: Scenario, scenarios: Sequence[Scenario], plan: RunPlan, metrics: Sequence[str],
              workers: int = 1, progress=None) -> list[Agreement]:
    """For each decision and metric, the twin's paired difference against the baseline (both integrated
    together) beside the simulation's (common random numbers, replication by replication)."""
    from .twin import run_twins

    exp = run_experiment([baseline, *scenarios], plan, workers=workers, progress=progress)
    base_label, labels = exp.labels[0], exp.labels[1:]
    years, scale = plan.years_for(baseline), plan.scale_for(baseline)
    twins = run_twins([baseline, *scenarios], years=years, warmup_years=plan.warmup_years)
    out = []
    for scenario, label, twin in zip(scenarios, labels, twins[1:]):
        for metric in metrics:
            alt, base = exp.metric_values(label, metric), exp.metric_values(base_label, metric)
            sim = paired_difference(alt, base)
            out.append(Agreement(scenario.name, metric, twin.metrics[metric] - twins[0].metrics[metric],
                                 sim.mean, sim.low, sim.high, sim.n, twins[0].metrics[metric],
                                 counts_events(metric, [*alt, *base], scale), scale))
    return out


COUNT_UNITS = frozenset({"episodes", "admissions", "placements", "people", "deaths"})
"""Metrics in these units count events or people (money, QALYs, bed days and person-years do not, even when
their values happen to be whole)."""


def whole_events(values: Sequence[float], scale: float) -> bool:
    """Whether every value counts whole simulated events (reported at full scale: a multiple of 1/scale)."""
    return all(abs(v * scale - round(v * scale)) <= 1e-6 * max(1.0, abs(v * scale)) for v in map(float, values))


def counts_events(metric: str, values: Sequence[float], scale: float) -> bool:
    """Whether a metric's replications count whole events, so that the rule of three can bound a difference
    that no replication moved."""
    from .outcomes import METRICS

    spec = METRICS.get(metric)
    return spec is not None and spec.unit in COUNT_UNITS and whole_events(values, scale)


def verification(baseline: Scenario, workers: int = 1, quick: bool = False) -> list[Line]:
    """Every check against theory, with its figure."""
    reps = 4 if quick else 8
    lines = []
    lines += check_mmc(baseline, reps=reps, years=4 if quick else 8)
    lines += check_erlang_b(baseline, reps=reps, years=4 if quick else 8)
    lines += check_little_and_conservation(baseline, years=3 if quick else 6)
    lines += check_extremes(baseline)
    lines += check_crn_and_parallel(baseline, workers=workers)
    lines += check_null_decisions(baseline, workers=workers, reps=2 if quick else 4, years=2 if quick else 5, scale=0.1 if quick else 0.5)
    lines += check_twin(baseline, reps=4 if quick else 6, scale=0.2 if quick else 0.5, years=3 if quick else 5, workers=workers,
                        roomy_scale=0.2 if quick else 1.0,
                        closure=closure_of(baseline))
    return lines


# ---------------------------------------------------------------------------
# How many replications, and how much warm-up


@dataclass(frozen=True)
class ReplicationRow:
    n: int
    mean: float
    half_width: float
    relative: float


def replications_needed(values: Sequence[float], precision: float) -> tuple[list[ReplicationRow], int | None]:
    """The confidence-interval method: the smallest n whose 95% half-width / mean is below ``precision``."""
    rows, found = [], None
    for n in range(2, len(values) + 1):
        iv = t_interval(values[:n])
        rel = iv.half_width / abs(iv.mean) if iv.mean else math.inf
        rows.append(ReplicationRow(n, iv.mean, iv.half_width, rel))
        if found is None and rel <= precision:
            found = n
    return rows, found


def replications_needed_absolute(values: Sequence[float], half_width: float) -> tuple[list[ReplicationRow], int | None]:
    """The confidence-interval method with an absolute target: the smallest n whose 95% half-width is at most
    ``half_width`` (replications that all agree exactly have not yet shown their spread, so do not count)."""
    rows, found = [], None
    for n in range(2, len(values) + 1):
        iv = t_interval(values[:n])
        rel = iv.half_width / abs(iv.mean) if iv.mean else math.inf
        rows.append(ReplicationRow(n, iv.mean, iv.half_width, rel))
        if found is None and iv.half_width <= half_width and (iv.sd > 0 or n >= 5):
            found = n   # a few replications that all agree exactly have not yet shown their spread
    return rows, found


def mser5(series: Sequence[float]) -> int:
    """MSER-5 truncation point (in observations): batch means of 5, then the d minimising
    the variance of the remaining batch means over (n - d)^2 (White 1997)."""
    batches = [statistics.fmean(series[i:i + 5]) for i in range(0, len(series) - len(series) % 5, 5)]
    n = len(batches)
    if n < 4:
        return 0
    best, best_d = math.inf, 0
    for d in range(0, n // 2):
        rest = batches[d:]
        m = statistics.fmean(rest)
        stat = sum((x - m) ** 2 for x in rest) / (n - d) ** 2
        if stat < best:
            best, best_d = stat, d
    return best_d * 5


def running_mean(series: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for i, x in enumerate(series, start=1):
        total += x
        out.append(total / i)
    return out


