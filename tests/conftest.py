"""Shared fixtures: the shipped baseline and small, fast runs of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.experiment import run_replication
from simulation.model import CountyModel
from simulation.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="session")
def close_day_centre() -> Scenario:
    return load_scenario(SCENARIOS / "close_day_centre.yaml")


def small_run(scenario: Scenario, seed: int = 1, rep: int = 0, years: float = 2, scale: float = 0.05):
    """A quick replication (a twentieth of the county for two years)."""
    return run_replication(scenario, seed, rep, years, scale, 0.0)


def small_record(scenario: Scenario, seed: int = 1, rep: int = 0, years: float = 2, scale: float = 0.05):
    return CountyModel(scenario, seed=seed, replication=rep, years=years, scale=scale).run()


EMPTY_COUNTY = {
    "population.in_contact_at_start": 0,
    "population.recovered_at_start": 0,
    "population.referrals_per_year": 0.0,
    "census.in_home_treatment": 0,
    "census.in_acute_beds": 0,
    "census.out_of_area": 0,
    "census.in_residential_care": 0,
    "census.in_enablement": 0,
    "census.waiting_for_enablement": 0,
    "census.day_centre_users": 0,
    "census.peer_support_members": 0,
    "census.peer_leaders": 0,
    "census.recovery_college_graduates": 0,
}


def bed_queue_only(baseline: Scenario, arrivals_per_day: float, mean_stay_days: float, beds: int, queue: bool) -> Scenario:
    """The model reduced to one bed queue: Poisson arrivals, all in crisis and all
    admitted, exponential stays, no other events (so theory applies)."""
    values = dict(EMPTY_COUNTY)
    values.update({
        "population.referrals_per_year": arrivals_per_day * 365.25,
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
    # silence every other hazard: nothing but admissions and discharges happens
    for path, spec in baseline.params.items():
        if spec.unit == "per year" and path not in values:
            values[path] = 0.0
    return baseline.with_values(values, name="bed queue only")
