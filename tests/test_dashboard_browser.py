"""The dashboard in a real headless browser (Debian's chromium, driven by Playwright).

The server runs in a thread of the test process on a free port, over the
shipped scenarios at a small scale so the whole file runs in a minute or two.
Screenshots of each view are saved in ``test-artifacts/``.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PLAN = dict(seed=3, replications=3, years=2.0, scale=0.03, warmup_years=0.0)
CLI_PLAN = ["--seed", "3", "--reps", "3", "--years", "2", "--scale", "0.03", "--workers", "1"]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from werkzeug.serving import make_server

    os.environ["MHSIM_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from dashboard.app import create_app
    from dashboard.data import Plan
    from dashboard.state import AppState

    state = AppState(Plan(**PLAN), workers=1)
    started = time.perf_counter()
    state.start_shipped(wait=True)
    assert state.startup.status == "done", state.startup.message
    first_run = time.perf_counter() - started
    app = create_app(state)
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{srv.server_port}/", "state": state, "first_run": first_run}
    srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install -y chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def open_page(browser, server, context=None):
    # bypass_csp: the test's wait_for_function evaluates strings, which the page's CSP forbids (test_dashboard_service checks the page under its CSP)
    ctx = context or browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True, bypass_csp=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server["url"])
    page.wait_for_selector("#table td", timeout=60_000)
    return ctx, page, errors


def table_text(page) -> str:
    return page.inner_text("#table")


def test_the_page_loads_without_console_errors_and_shows_every_decision(browser, server):
    ctx, page, errors = open_page(browser, server)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "compare-view.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "compare-view-full.png"), full_page=True)
    headers = page.inner_text("#table thead") if page.query_selector("#table thead") else table_text(page)
    for name in ("Close the day centre", "Reopen the Recovery College", "Fill all 79 enablement tenancies"):
        assert name in headers
    assert "In short" in page.inner_text("body")
    assert errors == []
    ctx.close()


def test_numbers_in_the_page_equal_the_command_lines_summary(browser, server, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "run", "scenarios/baseline.yaml", "scenarios/close_day_centre.yaml",
                           *CLI_PLAN, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    summary = pd.read_csv(out / "summary.csv").set_index(["scenario", "metric"])
    from simulation.formatting import number
    from simulation.outcomes import METRICS

    ctx, page, errors = open_page(browser, server)
    text = table_text(page)
    base = "Baseline (Essex, autumn 2015)"
    for metric in ("total_cost", "cost_nhs", "crisis_episodes", "acute_admissions", "suicides", "qalys"):
        row = summary.loc[(base, metric)]
        unit = METRICS[metric].unit
        assert number(row["mean"], unit) in text, metric
        assert f"({number(row['ci_low'], unit)} to {number(row['ci_high'], unit)})" in text, metric
    assert errors == []
    ctx.close()


def _set_lever(page, service: str, status: str | None = None, month: int | None = None, capacity: int | None = None):
    if status:
        dropdown = page.locator(f'button[id*="lever-status"][id*="{service}"]')
        dropdown.click()
        page.get_by_role("option", name=status, exact=True).click()
    if month is not None:
        page.locator(f'input[id*="lever-month"][id*="{service}"]').fill(str(month))
    if capacity is not None:
        page.locator(f'input[id*="lever-capacity"][id*="{service}"]').fill(str(capacity))


def _wait_for_job(page, timeout_s: float = 180) -> None:
    page.wait_for_selector(".job-done", timeout=timeout_s * 1000)


def test_building_close_the_day_centre_at_month_6_adds_its_row(browser, server):
    ctx, page, errors = open_page(browser, server)
    page.get_by_text("Build a scenario", exact=True).click()
    page.fill("#build-name", "Close at month 6 (built)")
    _set_lever(page, "day_centre", status="close", month=6)
    page.screenshot(path=str(ARTIFACTS / "builder-view.png"), full_page=True)
    page.click("#build-run")
    page.wait_for_selector("#build-ok", timeout=20_000)
    _wait_for_job(page)
    page.screenshot(path=str(ARTIFACTS / "builder-run-done.png"), full_page=True)
    page.get_by_text("Compare decisions", exact=True).click()
    page.wait_for_function("document.querySelector('#table').innerText.includes('Close at month 6 (built)')", timeout=30_000)
    assert "Change: Close at month 6 (built)" in table_text(page)
    assert errors == []
    ctx.close()


def test_a_bad_upload_shows_every_problem_in_the_page(browser, server, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Broken\nextends: baseline.yaml\nparameters:\n  services.day_centre.places: -5\n"
                   "  services.day_centre.plces: 3\nactions:\n  - close: day_centre\n    at: 2040-01-01\n")
    ctx, page, errors = open_page(browser, server)
    page.get_by_text("Build a scenario", exact=True).click()
    page.set_input_files("#upload input[type=file]", str(bad))
    page.wait_for_selector("#problem-list li", timeout=20_000)
    problems = page.locator("#problem-list li").all_inner_texts()
    page.screenshot(path=str(ARTIFACTS / "bad-upload.png"), full_page=True)
    assert len(problems) == 3
    joined = "\n".join(problems)
    assert "services.day_centre.places" in joined and "did you mean" in joined and "outside the simulated period" in joined
    assert errors == []
    # the page still works afterwards
    page.get_by_text("Compare decisions", exact=True).click()
    assert "Cost to health and care" in table_text(page)
    ctx.close()


def test_binary_and_oversized_uploads_are_refused_cleanly(browser, server, tmp_path):
    ctx, page, errors = open_page(browser, server)
    page.get_by_text("Build a scenario", exact=True).click()
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(b"\x00\x01\x02binary")
    page.set_input_files("#upload input[type=file]", str(junk))
    page.wait_for_selector("#problem-list li", timeout=20_000)
    assert "not a text file" in page.inner_text("#problem-list")
    assert errors == []
    ctx.close()


def test_downloaded_yaml_validates_and_reproduces_the_numbers(browser, server, tmp_path):
    ctx, page, errors = open_page(browser, server)
    page.get_by_text("Build a scenario", exact=True).click()
    page.fill("#build-name", "Bigger enablement (download)")
    _set_lever(page, "enablement", capacity=79, month=2)
    with page.expect_download() as info:
        page.click("#build-download")
    path = tmp_path / "built.yaml"
    info.value.save_as(path)
    check = subprocess.run([sys.executable, "-m", "simulation.cli", "validate", str(path)], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    page.click("#build-run")
    _wait_for_job(page)
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "run", str(path), *CLI_PLAN, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    cli = pd.read_parquet(out / "replications.parquet").sort_values("replication")
    state = server["state"]
    built = [r for s in state.sessions.values() for r in s.results.values() if r.name == "Bigger enablement (download)"]
    assert built, "the run did not reach the session"
    page_values = built[0].replications.sort_values("replication")
    for metric in ("total_cost", "cost_council", "residential_placements_end", "qalys"):
        assert cli[metric].tolist() == page_values[metric].tolist(), metric
    assert errors == []
    ctx.close()


def test_two_people_building_at_once_never_see_each_others_scenarios(browser, server):
    ctx_a, page_a, errors_a = open_page(browser, server)
    ctx_b, page_b, errors_b = open_page(browser, server)
    for page, name, service in ((page_a, "Alpha only", "day_centre"), (page_b, "Beta only", "enablement")):
        page.get_by_text("Build a scenario", exact=True).click()
        page.fill("#build-name", name)
        if service == "day_centre":
            _set_lever(page, service, status="close", month=3)
        else:
            _set_lever(page, service, capacity=60)
        page.click("#build-run")  # both runs now going at once
    for page in (page_a, page_b):
        _wait_for_job(page)
    # page B stayed usable while A's run went on, and each sees only its own scenario
    for page, mine, theirs in ((page_a, "Alpha only", "Beta only"), (page_b, "Beta only", "Alpha only")):
        page.get_by_text("Compare decisions", exact=True).click()
        page.wait_for_function(f"document.querySelector('#table').innerText.includes('{mine}')", timeout=30_000)
        assert theirs not in page.inner_text("body")
        page.get_by_text("Build a scenario", exact=True).click()
        assert theirs not in page.inner_text("#jobs")
    page_a.screenshot(path=str(ARTIFACTS / "two-users-a.png"), full_page=False)
    page_b.screenshot(path=str(ARTIFACTS / "two-users-b.png"), full_page=False)
    assert errors_a == [] and errors_b == []
    ctx_a.close()
    ctx_b.close()


def test_exports_csv_brief_and_png(browser, server, tmp_path):
    ctx, page, errors = open_page(browser, server)
    with page.expect_download() as info:
        page.click("#dl-csv-btn")
    csv_path = tmp_path / "table.csv"
    info.value.save_as(csv_path)
    table = pd.read_csv(csv_path)
    assert {"metric", "scenario", "mean", "ci_low", "ci_high", "delta_mean", "delta_ci_low", "delta_ci_high", "verdict"} <= set(table.columns)

    with page.expect_download(timeout=60_000) as info:
        page.click("#dl-brief-btn")
    brief_path = tmp_path / "brief.html"
    info.value.save_as(brief_path)
    html = brief_path.read_text()
    import re

    assert not re.search(r"<script[^>]+src=[\"']https?://", html), "the brief must not load scripts from the web"
    assert html.count("Plotly.newPlot") >= 4 and "Assumptions and their sources" in html and "Manifest" in html
    # it opens offline: load it from disk with the network cut
    offline = browser.new_context(offline=True)
    brief = offline.new_page()
    brief_errors: list[str] = []
    brief.on("pageerror", lambda e: brief_errors.append(str(e)))
    brief.goto(brief_path.as_uri())
    brief.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    brief.screenshot(path=str(ARTIFACTS / "brief.png"), full_page=False)
    assert brief_errors == []
    offline.close()

    with page.expect_download(timeout=180_000) as info:
        page.click("#dl-png-btn")
    zip_path = tmp_path / "figures.zip"
    info.value.save_as(zip_path)
    with zipfile.ZipFile(io.BytesIO(zip_path.read_bytes())) as z:
        names = z.namelist()
        assert len(names) >= 6
        for name in names:
            assert z.read(name)[:8] == b"\x89PNG\r\n\x1a\n", name
    assert errors == []
    ctx.close()


def test_first_start_runs_then_later_starts_are_instant(server):
    from dashboard.data import Plan
    from dashboard.state import AppState

    again = AppState(Plan(**PLAN), workers=1)
    started = time.perf_counter()
    again.start_shipped()
    instant = time.perf_counter() - started
    assert again.startup.status == "done" and len(again.shared) == 8
    assert instant < server["first_run"]
    (ARTIFACTS / "startup-times.json").write_text(json.dumps({"first_run_seconds": server["first_run"], "cached_start_seconds": instant}))


def test_a_page_open_during_the_first_start_fills_in_every_decision_as_it_arrives(browser, tmp_path, monkeypatch):
    """Nobody should have to reload: charts say what they wait for, then every shipped decision joins."""
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from dashboard.data import Plan
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path / "fresh-cache"))
    state = AppState(Plan(**{**PLAN, "seed": 4}), workers=1)
    app = create_app(state)
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"http://127.0.0.1:{srv.server_port}/")
        page.wait_for_selector("text=Results appear here when the first run finishes", timeout=30_000)
        state.start_shipped()   # the first start begins while the page is open
        page.wait_for_function("document.body.innerText.includes('Scale up Zero Suicide training:')", timeout=300_000, polling=500)
        assert state.startup.status == "done"
        headers = page.inner_text("#table thead") if page.query_selector("#table thead") else table_text(page)
        for name in ("Close the day centre", "Carer-led workforce training", "Scale up Zero Suicide training"):
            assert name in headers
        assert "Baseline" not in page.inner_text("#sankey-scenario"), "flows should show a decision once there is one"
        assert errors == []
        ctx.close()
    finally:
        srv.shutdown()
