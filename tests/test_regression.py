"""Back-test: a small fixed run must reproduce the stored results.

If a change to the model is meant to change results, regenerate the file
and say why in the commit message::

    MHSIM_UPDATE_REGRESSION=1 .venv/bin/pytest tests/test_regression.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import small_run

STORED = Path(__file__).parent / "data" / "regression_baseline.json"
METRICS = ("total_cost", "cost_nhs", "cost_council", "cost_society", "crisis_episodes", "acute_admissions",
           "acute_bed_days", "out_of_area_placements", "residential_placements_end", "enablement_move_ons",
           "recoveries", "people_employed_end", "suicides", "deaths_other", "qalys")


def current(baseline, close_day_centre) -> dict:
    out = {}
    for scenario in (baseline, close_day_centre):
        for rep in (0, 1):
            result = small_run(scenario, seed=2024, rep=rep, years=2, scale=0.04)
            out[f"{scenario.name} #{rep}"] = {m: result.metrics[m] for m in METRICS}
    return out


def test_results_match_the_stored_regression_file(baseline, close_day_centre):
    now = current(baseline, close_day_centre)
    if os.environ.get("MHSIM_UPDATE_REGRESSION") == "1":
        STORED.write_text(json.dumps(now, indent=2, sort_keys=True) + "\n")
    stored = json.loads(STORED.read_text())
    assert stored.keys() == now.keys()
    for key in stored:
        for metric in METRICS:
            assert now[key][metric] == pytest.approx(stored[key][metric], rel=1e-9, abs=1e-9), (key, metric)
