"""Parts of the page that need no results, in a real browser (Debian's chromium) over a server that runs nothing:
the About tab's data grid (dash-ag-grid: a page size the 'Page Size' selector offers, wrapped text at a text's line
height) and the builder's reinvestment choices (a closing service is not offered as where its own budget goes)."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEFAULT_SELECTOR = [20, 50, 100]   # ag-grid's own when paginationPageSizeSelector is not set


def grids(component) -> list:
    import dash_ag_grid as dag

    found = [component] if isinstance(component, dag.AgGrid) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children] if children is not None else []:
        found += grids(child)
    return found


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    import os

    os.environ["MHSIM_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    from dashboard.data import Plan
    from dashboard.state import AppState

    return AppState(Plan(seed=3, replications=3, years=2.0, scale=0.03, warmup_years=0.0), workers=1)


@pytest.fixture(scope="module")
def url(state, tmp_path_factory):
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = make_server("127.0.0.1", 0, create_app(state, sweeps_root=tmp_path_factory.mktemp("sweeps")).server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/"
    srv.shutdown()


@pytest.fixture
def page(url):
    """A page of the server, and the warnings and errors its console logs."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install -y chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        # bypass_csp: wait_for_function evaluates a string, which the page's CSP forbids (as test_dashboard_browser does)
        page = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True).new_page()
        page.messages = []
        page.on("console", lambda m: page.messages.append(m.text) if m.type in ("warning", "error") else None)
        page.goto(url)
        yield page
        browser.close()


def test_every_paged_grid_offers_its_own_page_size(state):
    from dashboard.app import layout

    found = grids(layout(state, builder=True))
    assert {g.id for g in found} >= {"assumptions", "table"}
    paged = [g for g in found if (getattr(g, "dashGridOptions", None) or {}).get("paginationPageSize")]
    assert paged, "the About tab's grid is paged"
    for g in paged:
        options = g.dashGridOptions
        assert options["paginationPageSize"] in options.get("paginationPageSizeSelector", DEFAULT_SELECTOR), g.id


@pytest.mark.browser
def test_the_about_tabs_grid_shows_its_page_size_with_rows_of_normal_height(page):
    page.get_by_text("About the model", exact=True).click()
    page.wait_for_function("document.querySelector('#assumptions') && "
                           "document.querySelector('#assumptions').textContent.includes('New referrals a year')", timeout=60_000)
    shown = page.locator("#assumptions .ag-paging-page-size").inner_text()
    line_height, font_size = page.evaluate("""() => { const c = document.querySelector('#assumptions .ag-center-cols-container .ag-cell');
                                                      const s = getComputedStyle(c);
                                                      return [parseFloat(s.lineHeight), parseFloat(s.fontSize)]; }""")
    assert [m for m in page.messages if "AG Grid" in m] == []
    assert shown.split()[-1].isdigit(), f"the Page Size selector is empty: {shown!r}"
    assert line_height <= 1.6 * font_size, f"a wrapped line is {line_height} px tall in a {font_size} px font"


@pytest.mark.browser
def test_the_builder_does_not_offer_the_closing_service_as_where_its_budget_goes(page):
    from simulation.catalogue import SERVICES

    page.get_by_text("Build a scenario", exact=True).click()
    page.wait_for_selector("#reinvest-from", timeout=60_000)
    row = page.locator("tr[id*='reinvest-row'][id*='\"day_centre\"']")
    share = page.locator("input[id*='reinvest-share'][id*='\"day_centre\"']")
    assert row.is_visible(), "with no closure chosen, the day centre can take another service's budget"
    share.fill("30")
    page.locator("#reinvest-from").click()
    page.get_by_role("option", name=SERVICES["day_centre"].label).click()
    row.wait_for(state="hidden", timeout=20_000)
    assert share.input_value() == "0", "a share typed before is not kept for the closing service"
    assert page.locator("tr[id*='reinvest-row'][id*='\"peer_support\"']").is_visible()
    assert page.messages == []
