"""Shared fixtures: the shipped baseline and small, fast runs of it."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from simulation.experiment import run_replication
from simulation.model import CountyModel
from simulation.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def interruptible() -> None:
    """A child process's ``preexec_fn``: Ctrl-C acts in it as a terminal's does. A shell's background job
    (a CI runner started with '&') ignores SIGINT, and Python then never turns it into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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


from simulation.verification import EMPTY_COUNTY, bed_queue_only  # noqa: E402,F401  (shared with 'mhsim verify')
