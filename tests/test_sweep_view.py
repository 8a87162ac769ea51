"""The dashboard's Sweeps tab in a real headless browser (Debian's chromium, driven by Playwright),
and its figures as pure functions. A screenshot is saved in ``test-artifacts/``."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path

import pytest

from simulation.outcomes import METRICS
from simulation.sensitivity import load_sweep, sobol_indices, tornado
from simulation.sweep import ScenarioModel, SweepRequest, build_sweep, new_sweep, run_sweep

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """A small paired Sobol sweep of two parameters, with its one-way points."""
    root = tmp_path_factory.mktemp("sweeps") / "day-centre"
    req = SweepRequest(scenario=SCENARIOS / "close_day_centre.yaml", compare=SCENARIOS / "baseline.yaml",
                       vary=[("services.day_centre.block_cost_per_year", None, None, None, "t", None, "--vary"),
                             ("crisis.rate_per_year_moderate", None, None, None, "t", None, "--vary")],
                       design="sobol", samples=4, reps=2, years=1.0, scale=0.02)
    spec, scenarios, problems = build_sweep(req)
    assert not problems
    store, _, _ = new_sweep(root, spec, "test")
    run_sweep(store, ScenarioModel(spec, scenarios), workers=2)
    return root


def test_sweep_figures_are_pure_and_labelled(sweep_dir):
    from dashboard import sweep_figures as SF

    data = load_sweep(sweep_dir)
    rows = data.rows[data.rows["point"].isin(data.block("sobol")["point"])]
    line = SF.line_figure(rows, "delta.total_cost", "crisis.rate_per_year_moderate", "Crisis rate", "per year")
    assert len(line.data) == 2 and f"change in {METRICS['total_cost'].label.lower()}" in line.layout.title.text.lower()
    heat = SF.heatmap_figure(rows, "delta.total_cost", "crisis.rate_per_year_moderate", "services.day_centre.block_cost_per_year", {})
    assert heat.data[0].type == "heatmap"
    t = tornado(data, "delta.total_cost")
    fig = SF.tornado_figure(t, "delta.total_cost")
    assert [tr.name for tr in fig.data] == ["at the low end of its range", "at the high end of its range"]
    # the contract's one-way effect is exact (same people, same events): a dearer contract, a bigger saving
    contract = t.set_index("parameter").loc["services.day_centre.block_cost_per_year"]
    assert contract["change_at_low"] > 0 > contract["change_at_high"]
    assert contract["change_at_low_ci_low"] == pytest.approx(contract["change_at_low"])
    s = SF.sobol_figure(sobol_indices(data, "delta.total_cost"), "delta.total_cost")
    assert [tr.name for tr in s.data] == ["first order (alone)", "total (alone and with others)"]
    assert SF.metric_words("delta.crisis_episodes")[0] == "Change in crisis episodes"


@pytest.mark.browser
def test_sweeps_tab_in_the_browser(sweep_dir, tmp_path):
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from dashboard.data import Plan
    from dashboard.state import AppState
    from simulation.experiment import RunPlan, run_experiment
    from simulation.results import write_outputs
    from simulation.scenario import load_scenario

    os.environ["MHSIM_CACHE"] = str(tmp_path / "cache")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    plan = RunPlan(seed=1, replications=2, years=1.0, scale=0.01, warmup_years=0.0)
    results = tmp_path / "results"
    write_outputs(run_experiment([load_scenario(SCENARIOS / "baseline.yaml")], plan), results, "run")
    state = AppState(Plan(seed=1, replications=2, years=1.0, scale=0.01, warmup_years=0.0), workers=1)
    state.load_results_folder(results)
    # the Sweeps tab opens folders inside its sweeps folder only (issue 13): both lie under pytest's base folder
    root = Path(os.path.commonpath([sweep_dir, results]))
    srv = make_server("127.0.0.1", 0, create_app(state, sweeps_root=root).server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install -y chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # CSP: see test_dashboard_browser
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{srv.server_port}/")
            page.wait_for_selector("#table .ag-cell", state="attached", timeout=60_000)  # the compare view still works
            page.get_by_text("Sweeps", exact=True).click()
            # a folder that is not a sweep is refused in words
            page.fill("#sweep-dir", str(results))
            page.click("#sweep-open")
            page.wait_for_selector(".sweep-error", timeout=30_000)
            assert "is not a sweep folder" in page.inner_text("#sweep-info")
            page.fill("#sweep-dir", str(sweep_dir))
            page.click("#sweep-open")
            page.wait_for_selector("#sweep-summary", timeout=30_000)
            summary = page.inner_text("#sweep-summary")
            assert "Close the day centre against Baseline" in summary and "sobol design" in summary and "complete" in summary
            for graph in ("sweep-line", "sweep-heatmap", "sweep-tornado", "sweep-sobol"):
                page.wait_for_selector(f"#{graph} .main-svg", timeout=30_000)
            page.wait_for_function("document.querySelectorAll('#sweep-sobol .bars path').length >= 4", timeout=30_000)
            page.wait_for_function("document.querySelectorAll('#sweep-tornado .bars path').length >= 4", timeout=30_000)
            page.wait_for_function("document.querySelectorAll('#sweep-heatmap .hm, #sweep-heatmap image').length >= 1", timeout=30_000)
            sobol = page.inner_text("#sweep-sobol")
            assert "Which assumptions drive the change in societal cost" in sobol
            assert "Indices withheld" in sobol or "base samples" in sobol, "the noise warning goes with the indices"
            assert "Change in societal cost" in page.inner_text("#sweep-line")
            page.screenshot(path=str(ARTIFACTS / "sweep-view.png"), full_page=True)
            assert not errors, errors
            browser.close()
    finally:
        srv.shutdown()
