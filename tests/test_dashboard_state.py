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
    assert job.preview.startswith("The twin's estimate against the baseline")
    assert "the simulation's replications follow" in job.preview   # never read as the final answer
    assert "NHS" in job.preview and "£" in job.preview and "health and care cost" in job.preview
    # once in, the simulation's figures are checked against the twin's (the closure runs its baseline alongside)
    assert job.agreement.startswith("The simulation's replications")
    assert set(job.preview_diff) == {"cost_health_and_care", "cost_nhs", "cost_council", "crisis_episodes", "qalys"}


def test_the_simulation_is_checked_against_the_twins_estimate_figure_by_figure():
    from dashboard.jobs import agreement_text

    base = {"crisis_episodes": [100.0, 110.0, 90.0], "qalys": [50.0, 52.0, 48.0]}
    alt = {"crisis_episodes": [120.0, 131.0, 109.0], "qalys": [49.0, 51.0, 47.0]}     # +20 (19 to 21), -1
    agrees = agreement_text({"crisis_episodes": 20.5, "qalys": -1.05}, alt, base)
    assert agrees.startswith("The simulation's replications agree")
    differs = agreement_text({"crisis_episodes": -5.0, "qalys": -1.0}, alt, base)
    assert "differ from the twin's estimate on crises (twin -5" in differs and "qalys" not in differs.lower()
    assert agreement_text({"crisis_episodes": 20.0}, {"crisis_episodes": [1.0]}, {"crisis_episodes": [0.0]}) == ""


def test_a_small_run_that_moved_no_event_is_not_said_to_contradict_the_twin():
    """At a twentieth of the county one simulated crisis is reported as 20: two replications that moved none
    bound the difference at +-30 county crises (the rule of three), and a QALY difference that is the same in
    both has no interval at all; neither is named as a disagreement. A real miss still is."""
    from dashboard.jobs import agreement_text

    base = {"crisis_episodes": [1200.0, 1260.0], "qalys": [50.25, 52.75]}
    alt = {"crisis_episodes": [1200.0, 1260.0], "qalys": [50.0, 52.5]}
    text = agreement_text({"crisis_episodes": 3.4, "qalys": -0.3}, alt, base, scale=0.05)
    assert text.startswith("The simulation's replications agree"), text
    assert "crises" in agreement_text({"crisis_episodes": 45.0, "qalys": -0.3}, alt, base, scale=0.05)
    assert "crises" in agreement_text({"crisis_episodes": 3.4, "qalys": -0.3}, alt, base, scale=1.0)


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


def test_the_first_start_shows_each_decisions_twin_estimate_then_checks_it(tmp_path, monkeypatch, baseline, close_day_centre):
    """Issue 11's preview for the shipped decisions: the twin's answer while the replications run (previews go
    first), then the simulation's verdict on it once the decision and the baseline are both in."""
    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    state = AppState(Plan(seed=1, replications=2, years=1.0, scale=0.02, warmup_years=0.0), workers=1)
    try:
        state.start_shipped([baseline, close_day_centre], wait=True)
        assert state.startup.status == "done"
        base_job, closure_job = state.startup_parts
        assert not base_job.preview_diff                       # the baseline against itself: nothing to preview
        assert set(closure_job.preview_diff) >= {"crisis_episodes", "qalys"}
        notes = state.startup_notes()
        assert [(name, kind) for name, kind, _ in notes] in ([("Close the day centre", "agreement")],
                                                             [("Close the day centre", "disagreement")])
        assert notes[0][2].startswith("The simulation's replications")
    finally:
        state.close()
