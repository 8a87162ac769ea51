"""The brief a board reads, printed: two pages of summary, then a compact appendix, and plain words throughout.

The shipped comparison (the baseline and every shipped decision: a small run, long enough for five financial years)
is made once with ``mhsim compare`` and read as the dashboard reads it (each decision with its scenario, so its
settings and its precomputed probabilistic sensitivity analysis are found). The brief is printed to PDF on A4 by chromium, as a board member's
browser would print it, and its pages are counted.
"""

from __future__ import annotations

import dataclasses
import html as html_module
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DAY_CENTRE = "Close the day centre"
CODE_NAME = re.compile(r"\b(services|population|crisis|costs|programmes|census|prices)\.[a-z_]+")
SUMMARY_PAGES, TOTAL_PAGES = 2, 8


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    from dashboard.data import load_results_dir
    from dashboard.state import own_bundle
    from simulation.scenario import SHIPPED_SCENARIOS, load_scenarios

    out = tmp_path_factory.mktemp("shipped")
    files = sorted(SHIPPED_SCENARIOS.glob("*.yaml"), key=lambda p: (p.name != "baseline.yaml", p.name))
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "compare", *map(str, files), "--seed", "3", "--reps", "3",
                           "--years", "5", "--scale", "0.03", "--workers", "1", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    bundles = []
    for s in load_scenarios(files):   # as the dashboard's AppState._add_shared does
        b = own_bundle(load_results_dir(out, origin="shipped"), s)
        b.scenario = s
        b.actions = tuple(a.describe() for a in s.actions)
        bundles.append(b)
    return bundles[0], bundles[1:]


@pytest.fixture
def no_figures(monkeypatch):
    """Text-only briefs (the words are under test, not the images): no static image export."""
    import dashboard.brief as brief

    monkeypatch.setattr(brief, "_png", lambda *args, **kwargs: None)


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def printed(path: Path) -> tuple[int, int]:
    """(pages of the whole brief, pages of the summary alone) printed on A4 by chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(offline=True).new_page()
        page.goto(path.as_uri())
        assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        whole = pages(page.pdf(format="A4"))
        page.evaluate("""() => { const s = document.getElementById('summary'); while (s.nextSibling) s.nextSibling.remove();
                                 s.style.breakAfter = 'auto'; }""")
        summary = pages(page.pdf(format="A4"))
        browser.close()
    return whole, summary


def summary_of(html: str) -> str:
    return html.split('<div class="summary" id="summary">', 1)[1].split('<div class="appendix"', 1)[0]


def built(bundle, name: str, yaml_text: str | None = None):
    """A decision as if built in the page: no shipped file, hence no precomputed probabilities."""
    scenario = dataclasses.replace(bundle.scenario, name=name, file="")
    return dataclasses.replace(bundle, key=f"own-{name}", label=name, name=name, origin="built in the page",
                               scenario=scenario, yaml_text=yaml_text)


@pytest.mark.parametrize("focus", [DAY_CENTRE, None])
def test_the_shipped_comparison_prints_two_summary_pages_then_a_compact_appendix(shipped, tmp_path, focus):
    from dashboard.report import html_brief

    base, others = shipped
    chosen = next((o for o in others if o.label == focus), None)
    path = tmp_path / "brief.html"
    path.write_text(html_brief(base, others, focus=chosen))
    html = path.read_text()
    assert path.stat().st_size < 2_000_000, "under 2 MB"
    assert not re.search(r"<(script|img|link)[^>]+(src|href)=[\"']https?://", html), "offline: nothing from the web"
    whole, summary = printed(path)
    assert summary <= SUMMARY_PAGES, f"the summary prints on {summary} pages"
    assert whole <= TOTAL_PAGES, f"the brief prints on {whole} A4 pages"
    assert html.count("<img") == 2, "two static figures, in the appendix"
    assert whole - summary >= 3, "the appendix (figures, differences, assumptions, sources) follows on its own pages"
    words = summary_of(html)
    for heading in ("The decision", "What the numbers support", "Who pays, year by year", "The people displaced",
                    "How sure", "What would change the answer"):
        assert f"<h2>{heading}</h2>" in words
    appendix = html.split('<div class="appendix"', 1)[1]
    assert "<b>S9</b>" in appendix and "<b>R21</b>" in appendix, "the sources are explained"


def test_a_decision_built_in_the_page_says_in_plain_words_that_how_sure_is_not_computed(shipped, no_figures):
    from dashboard.brief import board_brief

    base, others = shipped
    mine = built(next(o for o in others if o.label == DAY_CENTRE), "My closure")
    html = board_brief(base, [mine], mine)
    words = summary_of(html)
    assert "not yet computed for this decision" in words
    assert "probabilistic sensitivity analysis" in words and "run for the shipped decisions" in words
    for jargon in ("make psa", "psa-shipped", "PSA", ".yaml", "mean-field"):
        assert jargon not in html, jargon
    assert not re.search(r"\bmake [a-z]+(-[a-z]+)?\b(?! [a-z])", html), "no Make target"
    assert not CODE_NAME.search(words), "labels, not code names"


def test_no_code_names_anywhere_in_the_shipped_brief(shipped, no_figures):
    from dashboard.brief import board_brief

    base, others = shipped
    html = board_brief(base, others, next(o for o in others if o.label == DAY_CENTRE))
    text = re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1])
    assert not CODE_NAME.search(text), CODE_NAME.search(text)
    assert "make psa" not in text and ".yaml" not in text and " l.2" not in text
    assert "Close the county's day services" in html_module.unescape(summary_of(html))   # a file name in prose: the decision's name


def test_the_people_displaced_are_only_those_of_the_decisions_own_closures(shipped, no_figures):
    """A comparison follows every closure in every run: the day-centre decision must not report the county day
    services' users (who all kept their places) as displaced."""
    from dashboard.brief import board_brief

    base, others = shipped
    words = summary_of(board_brief(base, others, next(o for o in others if o.label == DAY_CENTRE)))
    people = words.split("<h2>The people displaced</h2>", 1)[1].split("<h2>", 1)[0]
    assert "Day centre (Basildon) closed" in people and "County day services closed" not in people


def test_a_reinvestment_says_whether_it_is_budget_neutral_for_each_payer(shipped, no_figures):
    from dashboard.brief import board_brief
    from dashboard.builder import Levers, ServiceLever, levers_to_yaml
    from simulation.reinvestment import neutrality_statement

    base, others = shipped
    text = levers_to_yaml(base.scenario, Levers("Reinvest", "", [ServiceLever("day_centre", "close", 6)], {},
                                                reinvest_from="day_centre",
                                                reinvest=(("peer_support", 0.6), ("personal_budgets", 0.4)),
                                                budget_holders=2000.0))
    said = neutrality_statement(text)
    assert said is not None
    mine = built(next(o for o in others if o.label == DAY_CENTRE), "Close and reinvest", text)
    words = summary_of(board_brief(base, [mine], mine))
    neutral = words.split("id='brief-neutrality'>", 1)[1].split("</p>", 1)[0]
    assert said.sentence().split(". ", 1)[0] in neutral
    assert "NHS: saves £" in neutral and "council: pays £" in neutral and "2024 prices" in neutral
    plain_closure = summary_of(board_brief(base, others, next(o for o in others if o.label == DAY_CENTRE)))
    assert "brief-neutrality" not in plain_closure, "no statement for a decision without a reinvestment"


def test_money_in_the_summary_names_the_price_year_of_the_parameters(shipped, no_figures):
    from dashboard.brief import board_brief

    base, others = shipped
    focus = next(o for o in others if o.label == DAY_CENTRE)
    words = summary_of(board_brief(base, others, focus))
    for table in ("brief-budget", "brief-ranking", "brief-sure"):
        block = words.split(f"id='{table}'", 1)[1].split("</table>", 1)[0]
        assert "2024 prices" in block, table
    # the price year is the one whose index is 1 in the parameters, not a fixed 2024
    values = {"prices.index_2022": 1.0, "prices.index_2024": 1.06}
    rebased = dataclasses.replace(base, scenario=base.scenario.with_values(values))
    words = summary_of(board_brief(rebased, others, focus))
    assert "2022 prices" in words and "2024 prices" not in words


def test_the_summary_gives_the_cost_per_qaly_and_each_decisions_net_benefit_including_wider_society(shipped, no_figures):
    from dashboard.brief import board_brief
    from dashboard.data import difference
    from dashboard.decision import cost_per_qaly, societal_net_benefit
    from simulation.formatting import number

    base, others = shipped
    focus = next(o for o in others if o.label == DAY_CENTRE)
    words = html_module.unescape(summary_of(board_brief(base, others, focus)))
    sure = words.split("id='brief-sure'", 1)[1].split("</table>", 1)[0]
    said = cost_per_qaly(difference(focus, base, "cost_health_and_care"), difference(focus, base, "qalys"))
    assert said and "Cost per QALY gained (NHS and council, 2024 prices)" in sure and said in sure
    assert "Including wider society (lost output and other costs outside health and care)" in sure
    ranking = words.split("id='brief-ranking'", 1)[1].split("</table>", 1)[0]
    assert "including wider society" in ranking
    for o in others:
        row = ranking.split(f"<td>{o.label}</td>", 1)[1].split("</tr>", 1)[0]
        society = societal_net_benefit(base, o)
        assert society is not None and number(society.mean, "£", signed=True) in row, o.label
    assert "ICER" not in words and "total_cost" not in words
