"""A quiet county: nobody in it and nothing happening unless a test says so.

Independent checks of the numbers need cases whose answer is known by hand.
:func:`quiet` takes the shipped baseline, empties every place, sets every
rate to zero and every share that decides who someone is to 0, so that a
test can then put a handful of people exactly where it wants them and switch
on exactly the one event it is about. An event is *forced* by giving it a
huge rate: it then happens within minutes of simulated time, and nothing
else can happen because every other rate is zero.

Everything here goes through the public API (scenario values, a run, its
snapshots and metrics), so these tests survive any rewrite of the model's
insides.
"""

from __future__ import annotations

from typing import Any

from simulation.experiment import run_replication
from simulation.model import CountyModel, RunRecord
from simulation.outcomes import ReplicationResult, summarise
from simulation.parameters import DAYS_PER_MONTH, DAYS_PER_YEAR
from simulation.catalogue import SERVICES
from simulation.scenario import Action, CloseService, OpenService, ResizeService, Scenario, SetParameters

FORCED = 1e6
"""A rate per year so high that the event happens at once (mean wait about 30 seconds)."""

RATE_UNITS = ("per year", "people per year", "share per year")


def quiet(baseline: Scenario, values: dict[str, Any] | None = None, name: str = "quiet county") -> Scenario:
    """The baseline with nobody in it, every rate 0, no block-funded service open and no
    discounting; then ``values`` on top."""
    v: dict[str, Any] = {}
    for path, spec in baseline.params.items():
        if spec.unit in RATE_UNITS:
            v[path] = 0.0
        elif spec.unit == "people" and (path.startswith("census.") or path.startswith("population.")):
            v[path] = 0
    v.update({
        "population.severe_share": 0.0, "population.severe_share_of_referrals": 0.0,
        "population.carer_share": 0.0, "population.budget_eligible_share": 0.0,
        "population.employed_share_at_start": 0.0, "population.recovered_employed_share_at_start": 0.0,
        "population.referral_in_crisis_share": 0.0,
        "census.budget_holders_share_of_eligible": 0.0, "census.carers_supported_share": 0.0,
        "crisis.admission_share_moderate": 0.0, "crisis.admission_share_severe": 0.0,
        "recovery.relapse_in_crisis_share": 0.0,
        "services.acute_beds.discharge_to_residential_share_severe": 0.0,
        "services.acute_beds.discharge_to_enablement_share_severe": 0.0,
        "services.recovery_college.graduate_peer_worker_share": 0.0,
        "services.recovery_college.graduate_tutor_share": 0.0,
        "programmes.zero_suicide.trained_at_start": 0,
        "programmes.zero_suicide.suicide_reduction_at_full_coverage": 0.0,
        "programmes.zero_suicide.crisis_reduction_at_full_coverage": 0.0,
        "services.personal_budgets.market_maturity_at_start": 1.0,
        "costs.discount_rate": 0.0,
    })
    # block contracts cost money whenever open: every such service closed unless a test opens it
    from simulation import catalogue

    for spec in catalogue.REGISTRY.values():
        if spec.open_path and any(item.basis.startswith("open:") for item in spec.costs):
            v[spec.open_path] = False
    v.update(values or {})
    return baseline.with_values(v, name=name)


def close(service: str, at_month: float, redirect: dict[str, float] | None = None,
          raised_risk: tuple[float, float] | None = (1.0, 0.0)) -> Action:
    """A closure at a month, as a scenario file's ``- close: SERVICE`` would say it."""
    return CloseService(month(at_month), service, redirect=tuple((redirect or {}).items()), raised_risk=raised_risk,
                        when=f"month {at_month:g}")


def set_at(at_month: float, **values: Any) -> Action:
    """A ``- set:`` action at a month (parameter paths with '__' for '.')."""
    return SetParameters(month(at_month), values=tuple((k.replace("__", "."), v) for k, v in values.items()),
                         when=f"month {at_month:g}")


def resize(service: str, capacity: int, path: str, at_month: float) -> Action:
    """A ``- resize: SERVICE`` action (``path`` is the service's capacity parameter, as the registry declares)."""
    assert SERVICES[service].capacity_path == path, (service, path)
    return ResizeService(month(at_month), service, capacity, when=f"month {at_month:g}")


def open_(service: str, at_month: float) -> Action:
    return OpenService(month(at_month), service, when=f"month {at_month:g}")


def pulse(at_month: float, path: str, rate: float = FORCED, hours: float = 6.0) -> tuple[Action, Action]:
    """Switch one rate on at a month and off again ``hours`` later: everyone in a
    situation where it applies has that event once (and only once)."""
    on = SetParameters(month(at_month), values=((path, rate),), when=f"month {at_month:g}")
    off = SetParameters(month(at_month) + hours / 24, values=((path, 0.0),), when=f"month {at_month:g} + {hours:g} h")
    return on, off


def month(m: float) -> float:
    """Days after the start of month ``m`` (month 0 is the start of the run)."""
    return m * DAYS_PER_MONTH


def run(scenario: Scenario, years: float = 1.0, seed: int = 1, rep: int = 0) -> ReplicationResult:
    """One replication of the whole (tiny) county, at scale 1, reported as metrics."""
    return run_replication(scenario, seed, rep, years, 1.0, 0.0)


def record(scenario: Scenario, years: float = 1.0, seed: int = 1, rep: int = 0) -> RunRecord:
    """One replication's raw record: snapshots of every stock and counter."""
    return CountyModel(scenario, seed=seed, replication=rep, years=years, scale=1.0).run()


def metrics(scenario: Scenario, years: float = 1.0) -> dict[str, float]:
    return summarise(record(scenario, years), scenario.params).metrics


def level(rec: RunRecord, stock: str, at: int = -1) -> int:
    """How many people were in a place or held something at snapshot ``at``."""
    return sum(rec.snapshots[at].levels[stock])


def count(rec: RunRecord, counter: str) -> int:
    """How many times something happened over the run."""
    return sum(rec.snapshots[-1].counts[counter]) - sum(rec.snapshots[0].counts[counter])


def snapshot_at(rec: RunRecord, day: float):
    """The last snapshot taken at or before ``day``."""
    return [s for s in rec.snapshots if s.t <= day + 1e-9][-1]


YEAR = DAYS_PER_YEAR
