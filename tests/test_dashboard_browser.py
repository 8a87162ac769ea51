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
import yaml

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
    sweeps = tmp_path_factory.mktemp("sweeps")
    app = create_app(state, sweeps_root=sweeps)
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    from plotly.offline import get_plotlyjs_version

    yield {"url": f"http://127.0.0.1:{srv.server_port}/", "state": state, "first_run": first_run, "sweeps": sweeps,
           "plotlyjs": get_plotlyjs_version()}
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
    page.wait_for_selector("#table .ag-cell", state="attached", timeout=60_000)
    page.wait_for_function("document.querySelector('#table').textContent.includes('Cost to health and care')", timeout=60_000)
    return ctx, page, errors


def table_text(page) -> str:
    """The grid's text (ag-grid's cells have no innerText in chromium: their text content, a cell a line)."""
    return "\n".join(page.locator("#table .ag-header-cell-text, #table .ag-cell").all_text_contents())


def test_the_page_loads_without_console_errors_and_shows_every_decision(browser, server):
    ctx, page, errors = open_page(browser, server)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "compare-view.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "compare-view-full.png"), full_page=True)
    headers = page.locator("#table .ag-header").first.text_content()
    for name in ("Close the day centre", "Reopen the Recovery College", "Fill all 79 enablement tenancies"):
        assert name in headers
    assert "The answer" in page.inner_text("body")
    page.get_by_text("About the model", exact=True).click()   # its table is filled when the tab first opens
    page.wait_for_function("document.querySelector('#assumptions') && "
                           "document.querySelector('#assumptions').textContent.includes('New referrals a year')", timeout=20_000)
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
    page.wait_for_function("document.querySelector('#table').textContent.includes('Close at month 6 (built)')", timeout=30_000)
    assert "Change: Close at month 6 (built)" in table_text(page)
    assert errors == []
    ctx.close()


def test_the_builder_is_made_when_its_tab_first_opens_and_keeps_what_was_typed_across_tabs(browser, server, tmp_path):
    import urllib.request

    with urllib.request.urlopen(server["url"] + "_dash-layout") as r:
        served = r.read().decode()
    assert "restore-message" in served, "kept scenarios come back before the tab is opened"
    assert "build-name" not in served and "lever-status" not in served, "the levers are not in the first view's page"
    ctx, page, errors = open_page(browser, server)
    assert page.locator("#build-name").count() == 0
    page.get_by_text("Build a scenario", exact=True).click()
    page.wait_for_selector("#build-name", timeout=20_000)
    day = 'span[id*="now-capacity"][id*="day_centre"]'
    page.wait_for_function(f"document.querySelector('{day}').textContent.length > 0", timeout=20_000)
    page.locator("#build-start").click()   # start from a shipped decision: the levers show what it does
    page.get_by_role("option", name=DAY_CENTRE, exact=True).click()
    status = page.locator('button[id*="lever-status"][id*="day_centre"]')
    page.wait_for_function("document.querySelector('button[id*=\"lever-status\"][id*=\"day_centre\"]')"
                           ".textContent.includes('close')", timeout=20_000)
    page.wait_for_selector("#inherited-view", timeout=20_000)
    page.fill("#build-name", "Kept across tabs")
    _set_lever(page, "enablement", capacity=70, month=2)
    page.click("#build-check")
    page.wait_for_selector("#build-ok", timeout=20_000)
    page.get_by_text("Compare decisions", exact=True).click()
    page.wait_for_selector("#table .ag-cell", state="attached", timeout=20_000)
    assert page.locator("#build-name").count() == 0, "the tab is hidden"
    page.get_by_text("Build a scenario", exact=True).click()
    page.wait_for_selector("#build-name", timeout=20_000)
    assert page.input_value("#build-name") == "Kept across tabs"
    assert page.input_value('input[id*="lever-capacity"][id*="enablement"]') == "70"
    assert "close" in status.text_content() and DAY_CENTRE in page.inner_text("#build-start")
    assert "valid scenario" in page.inner_text("#build-ok")
    with page.expect_download() as info:   # the builder still works after the tabs were switched
        page.click("#build-download")
    info.value.save_as(tmp_path / "kept.yaml")
    built = yaml.safe_load((tmp_path / "kept.yaml").read_text())
    assert built["name"] == "Kept across tabs"
    actions = built["actions"]
    assert any(a.get("close") == "day_centre" for a in actions), actions
    assert any(a.get("resize") == "enablement" and a.get("capacity") == 70 for a in actions), actions
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
        page.wait_for_function(f"document.querySelector('#table').textContent.includes('{mine}')", timeout=30_000)
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

    assert not re.search(r"<(script|img|link)[^>]+(src|href)=[\"']https?://", html), "the brief must not load anything from the web"
    assert len(brief_path.read_bytes()) < 2_000_000
    # it opens offline: load it from disk with the network cut
    offline = browser.new_context(offline=True)
    brief = offline.new_page()
    brief_errors: list[str] = []
    brief.on("pageerror", lambda e: brief_errors.append(str(e)))
    brief.goto(brief_path.as_uri())
    brief.wait_for_selector("#summary")
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
    from simulation.scenario import SHIPPED_SCENARIOS

    assert again.startup.status == "done" and len(again.shared) == len(list(SHIPPED_SCENARIOS.glob("*.yaml")))
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
        # a second person clears 'Compare with' as soon as the first decision arrives: the page never puts any back
        other_ctx = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        other = other_ctx.new_page()
        other.goto(f"http://127.0.0.1:{srv.server_port}/")
        state.start_shipped()   # the first start begins while the page is open
        # the twin's estimate of each decision shows at once under the progress bar (previews run first)
        page.wait_for_selector(".startup-preview", timeout=120_000)
        assert "The twin's estimate against the baseline" in page.locator(".startup-preview").first.text_content()
        other.wait_for_selector("#scenarios .dash-dropdown-value-item", timeout=300_000)
        other.click("#scenarios .dash-dropdown-clear")
        other.wait_for_selector("#scenarios .dash-dropdown-value-item", state="detached", timeout=10_000)
        page.wait_for_function("document.querySelector('#in-words').textContent.includes('Scale up Zero Suicide training:')",
                               timeout=300_000, polling=500)
        assert state.startup.status == "done"
        headers = page.locator("#table .ag-header").first.text_content()
        for name in ("Close the day centre", "Carer-led workforce training", "Scale up Zero Suicide training"):
            assert name in headers
        flows = page.locator("#sankey-graph .gtitle").text_content()
        assert flows.startswith("Where people went: ") and not flows.startswith("Where people went: Baseline"), \
            "flows should show a decision once there is one"
        # the page chose the decision in detail while decisions arrived, so it follows the default: the closure
        page.wait_for_function("document.querySelector('#focus').textContent.includes('Close the day centre')",
                               timeout=30_000, polling=500)
        assert "Close the day centre" in page.locator("#sankey-graph .gtitle").text_content()
        assert errors == []
        ctx.close()
        other.wait_for_timeout(2500)   # several ticks after the last decision arrived
        assert other.locator("#scenarios .dash-dropdown-value-item").count() == 0, "the page re-added a removed decision"
        assert "Change:" not in other.locator("#table .ag-header").first.text_content()
        other_ctx.close()
    finally:
        srv.shutdown()



# ---------------------------------------------------------------------------
# Issue 15: the page as a board reads it (the same shared small results as every test above)

DAY_CENTRE = "Close the day centre"


def _focus(page, label: str) -> None:
    page.locator("#focus").click()
    page.get_by_role("option", name=label, exact=True).click()
    page.wait_for_function(f"document.querySelector('#cohort-box').textContent.includes({json.dumps(label)})", timeout=30_000)


def test_the_answer_comes_first_a_card_per_decision_with_net_benefit_probabilities_and_a_ranking(browser, server):
    ctx, page, errors = open_page(browser, server)
    page.wait_for_selector("#answer-cards .answer-card", timeout=30_000)
    cards = page.locator("#answer-cards .answer-card")
    assert cards.count() == 8
    page.locator("#answer-cards").screenshot(path=str(ARTIFACTS / "answer-cards.png"))
    for i in range(cards.count()):
        text = cards.nth(i).inner_text()
        for line in ("Health and care cost (NHS and council)", "Quality-adjusted life years",
                     "Net monetary benefit at £20,000 / QALY", "Net monetary benefit at £30,000 / QALY",
                     "Probability it saves money", "Probability it is cost-effective"):
            assert line in text
        sentence = cards.nth(i).locator(".card-sentence").inner_text()
        assert sentence.endswith(".") and sentence.count(". ") == 0, "one plain sentence"
    from dashboard.decision import PSA_ROOT

    day_centre = page.locator(".answer-card", has_text=DAY_CENTRE).first.inner_text()
    if (PSA_ROOT / "close_day_centre" / "psa-best.csv").is_file():   # shipped with the repository (make psa-shipped)
        if PLAN["years"] == 10.0:
            assert "health and care" in day_centre and "% at £20,000" in day_centre
        else:   # the shipped PSA covers ten years: beside shorter runs it is not shown, and the card says why
            assert "covers 10 years and these runs" in day_centre and "% at £20,000" not in day_centre
    else:
        assert "not computed yet" in day_centre
    words = page.inner_text("#ranking-words")
    assert words.startswith("Best value at £20,000 per QALY:")
    assert "Which is best value" in page.locator("#ranking-graph .gtitle").text_content()
    assert errors == []
    ctx.close()


def test_the_people_displaced_and_the_budget_impact_follow_the_chosen_decision_with_csv_and_xlsx(browser, server, tmp_path):
    ctx, page, errors = open_page(browser, server)
    _focus(page, DAY_CENTRE)
    page.wait_for_selector("#cohort-view .cohort-graph .main-svg", timeout=30_000)
    cohort = page.inner_text("#cohort-view")
    page.locator("#cohort-box").screenshot(path=str(ARTIFACTS / "cohort-view.png"))
    assert "got nothing" in cohort and "Day centre (Basildon)" in cohort
    assert "The same people without it" in cohort and "Crisis episodes" in cohort
    budget = page.inner_text("#budget-table")
    for header in ("Payer", "NHS", "Council", "2016/17"):
        assert header in budget
    assert len(page.locator("#budget-table thead th").all_inner_texts()) <= 1 + 5, "the first five financial years"
    with page.expect_download() as info:
        page.click("#dl-budget-csv-btn")
    info.value.save_as(tmp_path / "budget.csv")
    t = pd.read_csv(tmp_path / "budget.csv")
    assert list(t.columns) == ["scenario", "payer", "financial_year", "months", "baseline_spend", "scenario_spend", "difference",
                               "difference_ci_low", "difference_ci_high", "n"]   # budget_impact.csv, as 'mhsim compare' writes it
    assert {"nhs", "council"} <= set(t["payer"])
    with page.expect_download() as info:
        page.click("#dl-budget-xlsx-btn")
    info.value.save_as(tmp_path / "budget.xlsx")
    x = pd.read_excel(tmp_path / "budget.xlsx")
    assert len(x) > 0
    # a decision that closes nothing displaces nobody
    _focus(page, "Carer-led workforce training")
    assert "displaces nobody" in page.inner_text("#cohort-box")
    assert errors == []
    ctx.close()


def test_the_charts_show_the_decision_difference_with_its_band_and_action_and_flows_follow_the_choice(browser, server):
    ctx, page, errors = open_page(browser, server)
    _focus(page, DAY_CENTRE)
    page.wait_for_function(f"document.querySelector('#sankey-graph .gtitle') && "
                           f"document.querySelector('#sankey-graph .gtitle').textContent.includes({json.dumps(DAY_CENTRE)})",
                           timeout=30_000)
    ts_title = page.locator("#ts-graph .gtitle").text_content()
    assert DAY_CENTRE in ts_title and "against" in ts_title
    assert "month 6:" in page.locator("#ts-graph").text_content(), "a marker at the action"
    assert page.locator("#ts-graph .scatterlayer .trace").count() == 2, "one decision: its line and its band"
    assert "Change in £ million" in page.locator("#payer-change-graph").text_content()
    page.locator("#ts-graph").screenshot(path=str(ARTIFACTS / "difference-over-time.png"))
    assert errors == []
    ctx.close()


def test_the_png_export_draws_the_flows_of_the_chosen_decision(server):
    from dashboard.compare import _figures

    state = server["state"]
    shared = list(state.shared.values()) if isinstance(state.shared, dict) else list(state.shared)
    base = next(r for r in shared if r.name.lower().startswith("baseline"))
    others = [r for r in shared if r is not base]
    for chosen in ("Close the day centre", "Carer-led workforce training"):
        focus = next(r for r in others if r.label == chosen)
        figs = _figures(state, base, others, "crisis_episodes", "difference", focus.key, "health_and_care", "crisis_episodes", None)
        assert chosen in figs["flows"].layout.title.text and chosen in figs["over_time"].layout.title.text


def test_the_table_has_one_money_format_a_sticky_header_and_intervals_that_never_wrap(browser, server):
    import re

    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, bypass_csp=True)
    ctx, page, errors = open_page(browser, server, ctx)
    text = "\n".join(page.locator("#table .ag-cell:not([col-id='Outcome'])").all_text_contents())
    assert not re.search(r"£\d{1,3},\d{3}", text), "money in the table is always in £m or £bn"
    assert "£" in text and "m\n(" in text
    cells = page.locator("#table .ag-cell[col-id='s0']")
    assert cells.first.evaluate("e => getComputedStyle(e).whiteSpace") == "pre"
    for cell in cells.all_text_contents():
        for line in cell.splitlines():
            assert line.count("(") == line.count(")"), "an interval stays on one line"
    header = page.locator("#table .ag-header")
    top = header.bounding_box()["y"]
    page.locator("#table .ag-body-viewport").evaluate("e => e.scrollTop = 600")
    page.wait_for_timeout(300)
    assert header.is_visible() and abs(header.bounding_box()["y"] - top) < 1, "the header stays in view"
    page.screenshot(path=str(ARTIFACTS / "table-1280x720.png"))
    assert errors == []
    ctx.close()


def test_the_brief_puts_two_plain_pages_first_and_explains_its_sources(browser, server, tmp_path):
    import re

    ctx, page, errors = open_page(browser, server)
    _focus(page, DAY_CENTRE)
    with page.expect_download(timeout=60_000) as info:
        page.click("#dl-brief-btn")
    path = tmp_path / "brief.html"
    info.value.save_as(path)
    html = path.read_text()
    assert path.stat().st_size < 2_000_000
    summary = html.split('<div class="summary" id="summary">', 1)[1].split('<div class="appendix"', 1)[0]
    for heading in ("The decision", "What the numbers support", "Who pays, year by year", "The people displaced",
                    "How sure", "What would change the answer"):
        assert f"<h2>{heading}</h2>" in summary
    assert "The rest of this summary is about <b>Close the day centre</b>" in summary
    assert not re.search(r"\b(services|population|crisis|costs|programmes)\.[a-z_]+", summary), "labels, not code names"
    appendix = html.split('id="appendix"', 1)[1]
    assert 'id="sources"' in appendix and "<b>S9</b>" in appendix
    offline = browser.new_context(offline=True, viewport={"width": 900, "height": 1270})
    brief = offline.new_page()
    brief.goto(path.as_uri())
    brief.screenshot(path=str(ARTIFACTS / "brief-first-page.png"))
    assert brief.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    offline.close()
    assert errors == []
    ctx.close()


def test_the_reinvestment_package_says_whether_it_is_budget_neutral_and_built_scenarios_come_back_in_a_new_tab(browser, server, tmp_path):
    ctx, page, errors = open_page(browser, server)
    page.get_by_text("Build a scenario", exact=True).click()
    page.fill("#build-name", "Close and reinvest (kept)")
    _set_lever(page, "day_centre", status="close", month=6)
    page.locator("#reinvest-from").click()
    page.get_by_role("option", name="Day centre (Basildon)", exact=True).click()
    page.locator('input[id*="reinvest-share"][id*="peer_support"]').fill("60")
    page.locator('input[id*="reinvest-share"][id*="personal_budgets"]').fill("40")
    page.wait_for_selector("#neutrality-words", timeout=20_000)
    assert "Budget-neutral" in page.inner_text("#neutrality-words") or "Not budget-neutral" in page.inner_text("#neutrality-words")
    with page.expect_download() as info:
        page.click("#build-download")
    info.value.save_as(tmp_path / "kept.yaml")
    yaml_text = (tmp_path / "kept.yaml").read_text()
    assert "Budget neutral for each payer?" in yaml_text
    page.click("#build-run")
    _wait_for_job(page)
    kept = page.evaluate("localStorage.getItem('own-yaml')")
    assert kept and "Close and reinvest (kept)" in kept
    page.get_by_text("Compare decisions", exact=True).click()   # its answer card says it, inside the card
    card = page.locator(".answer-card", has=page.locator(".card-neutral")).first
    card.wait_for(timeout=30_000)
    assert "budget-neutral" in card.locator(".card-neutral").inner_text().lower()
    assert card.evaluate("c => c.scrollWidth <= c.clientWidth"), "the card's text runs out of its box"
    card.screenshot(path=str(ARTIFACTS / "reinvestment-card.png"))
    second = ctx.new_page()   # a new tab of the same browser: local storage, not session storage
    second.goto(server["url"])
    second.wait_for_function("document.querySelector('#table') && "
                             "document.querySelector('#table').textContent.includes('Close and reinvest (kept)')", timeout=60_000)
    assert errors == []
    ctx.close()


def test_the_sweeps_tab_shows_the_noise_warning_and_flags_impossible_indices(browser, server):
    out = server["sweeps"] / "tiny"
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "sweep", "scenarios/baseline.yaml", "--engine", "twin",
                           "--design", "sobol", "--samples", "8", "--vary", "crisis.rate_per_year_moderate",
                           "--vary", "services.day_centre.effect_on_crisis", "--years", "1", "--no-oneway", "--workers", "1",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    ctx, page, errors = open_page(browser, server)
    page.get_by_text("Sweeps", exact=True).click()
    page.fill("#sweep-dir", "tiny")
    page.click("#sweep-open")
    page.wait_for_selector("#sweep-index-warnings .index-warning", timeout=60_000)
    warnings = page.inner_text("#sweep-index-warnings")
    assert "Only 8 base samples" in warnings
    assert "Only 8 base samples" in page.inner_text("#sweep-sobol"), "the warning is in the figure too (and so in its exports)"
    assert errors == []
    ctx.close()


# ---------------------------------------------------------------------------
# Issue 15, the board's trial of the page: the default decision, the flows, the first view, the labels


def _shared(server):
    state = server["state"]
    shared = list(state.shared.values())
    base = next(r for r in shared if r.name.lower().startswith("baseline"))
    return state, base, [r for r in shared if r is not base]


def test_the_decision_in_detail_defaults_to_a_closure_and_the_warmed_first_view_is_that_one(browser, server):
    from dashboard import compare
    from dashboard.app import choices, default_focus

    state, base, others = _shared(server)
    assert others[0].label == "Carer-led workforce training", "the comparison's first decision displaces nobody"
    assert default_focus(others).label == DAY_CENTRE, "the plainest closure: one service closed"
    assert default_focus([r for r in others if "day" not in r.label.lower()]) is others[0], "no closure: the first"
    focus_key = choices(state, None)[9]
    assert state.find(None, focus_key).label == DAY_CENTRE
    compare.warm_first_view(state)
    assert ("focus", base.key, focus_key) in compare._MEMO, "the warmed first view is the default one"
    ctx, page, errors = open_page(browser, server)
    assert DAY_CENTRE in page.inner_text("#focus")
    page.wait_for_selector("#cohort-view .cohort-sentence", timeout=30_000)
    assert "got nothing" in page.inner_text("#cohort-box")
    assert errors == []
    ctx.close()


def test_the_flows_view_shows_the_decisions_change_and_the_service_it_closes(browser, server):
    from dashboard.compare import _figures

    state, base, others = _shared(server)
    for chosen, closed in ((DAY_CENTRE, True), ("Carer-led workforce training", False)):
        focus = next(r for r in others if r.label == chosen)
        fig = _figures(state, base, others, "crisis_episodes", "difference", focus.key, "health_and_care", "crisis_episodes",
                       None)["flows"]   # what the PNG export draws
        title = fig.layout.title.text
        assert chosen in title and base.label in title and "changes in moves" in title
        labels = list(fig.data[0].node.label)
        assert any(label.startswith("Day centre (Basildon)") for label in labels) == closed
        bars = [t for t in fig.data if t.type == "bar"]
        assert bars and len(bars[0].x) > 0, "the change against the baseline is drawn"
    ctx, page, errors = open_page(browser, server)
    page.wait_for_selector("#sankey-graph .sankey", state="attached", timeout=30_000)
    text = page.locator("#sankey-graph").text_content()
    assert "Day centre (Basildon): closed at month 6" in text and "Change in moves against the baseline" in text
    page.locator("#sankey-graph").screenshot(path=str(ARTIFACTS / "flows-day-centre.png"))
    assert errors == []
    ctx.close()


def test_the_charts_are_drawn_with_the_dashboards_own_plotly_bundle_not_the_full_one(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    requested: list[str] = []
    ctx.on("request", lambda r: requested.append(r.url.split("?")[0]))
    ctx, page, errors = open_page(browser, server, context=ctx)
    page.wait_for_selector("#sankey-graph .sankey", state="attached", timeout=30_000)   # sankey and bars drawn
    page.wait_for_selector("#ts-graph .main-svg", state="attached", timeout=30_000)
    assert any(u.endswith("/assets/plotly-mhsim.min.js") for u in requested), requested
    assert not any(u.endswith("/plotly.min.js") for u in requested), "the 4.8 MB bundle is not loaded"
    assert page.evaluate("window.Plotly.version") == server["plotlyjs"]
    assert errors == []
    ctx.close()


def test_the_page_is_served_with_the_first_view_and_the_table_never_says_no_rows_to_show(browser, server):
    import urllib.request

    with urllib.request.urlopen(server["url"] + "_dash-layout") as r:
        served = r.read().decode()
    assert '"rowData":[{"Outcome"' in served.replace(" ", ""), "the first view's rows come with the page"
    assert "Where people went: Close the day centre" in served
    ctx, page, errors = open_page(browser, server)
    assert "No Rows To Show" not in page.locator("#table").text_content()
    assert errors == []
    ctx.close()


def test_before_any_results_the_table_says_what_it_waits_for(browser, tmp_path, monkeypatch):
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from dashboard.data import Plan
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path / "empty-cache"))
    state = AppState(Plan(**{**PLAN, "seed": 5}), workers=1)   # nothing run, nothing started
    app = create_app(state)
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page = ctx.new_page()
        page.goto(f"http://127.0.0.1:{srv.server_port}/")
        page.wait_for_selector("#table .ag-header", timeout=30_000)
        page.wait_for_timeout(1500)   # a few ticks: still nothing to show
        assert "No Rows To Show" not in page.locator("#table").text_content()
        assert page.inner_text("#compare-message").startswith("Results are still being prepared: the answer, the table")
        ctx.close()
    finally:
        srv.shutdown()
        state.close()


def test_the_ranking_legend_gives_each_meaning_its_own_colour(server):
    import dashboard.figures as F

    _, base, others = _shared(server)
    fig = F.ranking_figure(base, others)
    colours = [t.marker.color for t in fig.data]
    assert all(isinstance(c, str) for c in colours), "one colour per legend entry, never a colour per bar"
    assert len(set(colours)) == len(colours), "no colour means two things"
    assert not {"#E69F00"} & set(colours), "not the council's orange"
    assert sum(len(t.y) for t in fig.data if t.type == "bar") == len(others), "every decision has its bar, once"
    names = " | ".join(t.name for t in fig.data)
    assert "worth it (above zero)" in names and "not worth it (below zero)" in names and "£30,000" in names


def test_every_money_figure_says_its_price_year(server):
    import dashboard.figures as F
    from dashboard.app import _now_cost
    from dashboard.compare import grid
    from dashboard.decision import answer_card
    from dashboard.views import budget_rows, budget_table_frame
    from simulation.scenario import shipped_catalogue

    _, base, others = _shared(server)
    day = next(r for r in others if r.label == DAY_CENTRE)
    t = budget_rows(base, [day])
    figures = {"ranking": F.ranking_figure(base, others), "who pays": F.cost_change_by_payer_figure(base, others),
               "services": F.cost_change_by_service_figure(base, others), "plane": F.ce_plane_figure(base, others),
               "budget": F.budget_figure(t, day.label), "over time": F.difference_timeseries_figure(base, [day], "cost_nhs")}
    for name, fig in figures.items():
        axes = (fig.layout.xaxis.title.text or "") + (fig.layout.yaxis.title.text or "")
        assert "2024 prices" in axes, name
    rows, _ = grid(base, [day], ["cost_health_and_care", "qalys"])
    assert rows[0]["Outcome"].endswith("(£, 2024 prices)") and "prices" not in rows[1]["Outcome"]
    card = str(answer_card(base, day, None))
    assert card.count("2024 prices") == 5, "the cost, the cost per QALY, both net benefits and the one including wider society"
    assert "2024 prices" in next(iter(budget_table_frame(t, day.label).columns))
    values = {p: s.value for p, s in shipped_catalogue().items()}
    assert "in 2015 prices" in _now_cost(values, "day_centre"), "the builder's costs are in their own price year"


def test_budget_impact_shows_every_compared_decision_in_one_table(browser, server):
    ctx, page, errors = open_page(browser, server)
    page.wait_for_selector("#budget-table", timeout=30_000)
    page.locator("#budget-scope input[value='every']").check()
    page.wait_for_selector("#budget-table-every", timeout=30_000)
    every = page.inner_text("#budget-table-every")
    assert every.startswith("Decision")
    for label in (DAY_CENTRE, "Carer-led workforce training", "Scale up Zero Suicide training"):
        assert label in every
    assert every.count("NHS and council") == 8, "each decision's payers"
    page.locator("#budget-scope input[value='focus']").check()
    page.wait_for_selector("#budget-table", timeout=30_000)
    assert DAY_CENTRE in page.locator("#budget-graph").text_content(), "the single-decision view still works"
    assert errors == []
    ctx.close()
