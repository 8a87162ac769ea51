"""The dashboard's server-side state, without a browser."""

from __future__ import annotations

import time

from dashboard.data import Plan
from dashboard.state import AppState


def test_a_run_shows_the_twins_preview_while_it_runs(tmp_path, monkeypatch, close_day_centre):
    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    state = AppState(Plan(seed=1, replications=2, years=1.0, scale=0.02, warmup_years=0.0), workers=1)
    job = state.submit(state.new_session(), close_day_centre, "name: x")
    deadline = time.time() + 300
    while job.status not in ("done", "failed") and time.time() < deadline:
        time.sleep(0.2)
    assert job.status == "done", job.message
    assert job.preview.startswith("Rough estimate against the baseline")
    assert "change size or even direction" in job.preview   # never read as the answer
    assert "NHS" in job.preview and "£" in job.preview


def test_sessions_see_only_their_own_runs(tmp_path, monkeypatch, close_day_centre):
    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    state = AppState(Plan(seed=1, replications=2, years=1.0, scale=0.02, warmup_years=0.0), workers=1)
    a, b = state.new_session(), state.new_session()   # session ids come from the server only (issue 13)
    job = state.submit(a, close_day_centre, "name: x")
    while job.status not in ("done", "failed"):
        time.sleep(0.2)
    assert [r.name for r in state.visible(a)] == ["Close the day centre"]
    assert state.visible(b) == []
    assert state.session_jobs(b) == []


def test_a_scenario_run_before_says_its_results_were_reused(tmp_path, monkeypatch, close_day_centre):
    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    state = AppState(Plan(seed=1, replications=2, years=1.0, scale=0.02, warmup_years=0.0), workers=1)
    jobs = []
    a = state.new_session()
    for _ in range(2):
        job = state.submit(a, close_day_centre, "name: x")
        while job.status not in ("done", "failed"):
            time.sleep(0.2)
        jobs.append(job)
    assert [j.status for j in jobs] == ["done", "done"]
    assert [j.reused for j in jobs] == [False, True]
    assert jobs[0].preview and not jobs[1].preview   # no estimate is needed for numbers already in hand
