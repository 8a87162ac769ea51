"""Regression check: a small fixed run reproduces the stored numbers bit for bit.

See ``regression_check.py`` for what this does and does not show, and how to
update the stored numbers on purpose (never from inside a test run).
"""

from __future__ import annotations

import os

import pytest

from regression_check import METRICS, current, stored


def test_the_update_variable_is_refused():
    """The old way to update (an environment variable read by this test) rewrote the file and
    then compared it with itself; it must not come back silently."""
    assert os.environ.get("MHSIM_UPDATE_REGRESSION") is None, (
        "MHSIM_UPDATE_REGRESSION is no longer honoured: run 'make regression-update REASON=...' instead")


def test_results_match_the_stored_regression_numbers():
    data = stored()
    assert data["history"] and all(entry["reason"] for entry in data["history"])
    now, before = current(), data["results"]
    assert before.keys() == now.keys()
    for key in before:
        for metric in METRICS:
            assert now[key][metric] == pytest.approx(before[key][metric], rel=1e-9, abs=1e-9), (key, metric)
