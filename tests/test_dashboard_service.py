"""The dashboard as a shared service (issue 13, Build 2, 5 and 8): the dashboard probes of the security
review (F2, F3, F5, F6, F9, F11, F14), each as a test, and a Hypothesis fuzz of the upload callback.

A server runs in a thread of this process on 127.0.0.1 with a tiny plan; requests go over HTTP as a
browser's would (``tests/dashclient.py``).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashclient import DashClient

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PLAN = dict(seed=1, replications=2, years=1.0, scale=0.02, warmup_years=0.0)
GOOD = "name: Up {i}\nextends: baseline.yaml\nparameters:\n  services.day_centre.places: {places}\n"


def _serve(state, **kwargs):
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(state, **kwargs)
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_port}"


@pytest.fixture
def service(tmp_path, monkeypatch):
    """A fresh server (its own cache) with small limits, so that they can be reached in a test."""
    from dashboard.data import Plan
    from dashboard.jobs import Limits
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path / "cache"))
    (tmp_path / "sweeps").mkdir()
    state = AppState(Plan(**PLAN), workers=1, limits=Limits(per_session=2, active=3))
    srv, url = _serve(state, sweeps_root=tmp_path / "sweeps")
    yield {"state": state, "url": url, "client": DashClient(url), "root": tmp_path}
    srv.shutdown()
    state.close()


def wait_for(state, job, seconds=120):
    deadline = time.time() + seconds
    while job.active and time.time() < deadline:
        time.sleep(0.1)
    return job


def raw_request(url: str, head: str) -> str:
    """Send only the request head (no body) and read the answer."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head.encode())
        return s.recv(4096).decode(errors="replace")


# ---------------------------------------------------------------------------
# F3: requests


def test_a_huge_request_body_is_refused_before_it_is_read(service):
    started = time.perf_counter()
    answer = raw_request(service["url"], "POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         "Content-Type: application/json\r\nContent-Length: 280000000\r\n\r\n")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert time.perf_counter() - started < 5   # answered without waiting for 280 MB


def test_a_foreign_host_or_origin_is_refused(service):
    c = service["client"]
    status, _ = c.request("/", headers={"Host": "rebind.attacker.example:8050"})
    assert status == 421
    status, _ = c.request("/_dash-update-component", b"{}", {"Content-Type": "application/json", "Origin": "http://rebind.attacker.example"})
    assert status == 403
    status, _ = c.request("/", headers={"Origin": c.base})
    assert status == 200


def test_pages_carry_security_headers(service):
    import urllib.request

    with urllib.request.urlopen(service["url"] + "/", timeout=10) as resp:
        headers = resp.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    health = json.loads(urllib.request.urlopen(service["url"] + "/healthz", timeout=10).read())
    assert health["status"] == "ok" and health["workers"] == 1


def test_a_password_is_asked_for_when_set(tmp_path, monkeypatch):
    from dashboard.data import Plan
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    state = AppState(Plan(**PLAN))
    srv, url = _serve(state, password="s3cret")
    try:
        c = DashClient.__new__(DashClient)
        c.base, c.timeout = url, 10
        assert c.request("/")[0] == 401
        good = "Basic " + base64.b64encode(b"anyone:s3cret").decode()
        assert c.request("/", headers={"Authorization": good})[0] == 200
        bad = "Basic " + base64.b64encode(b"anyone:guess").decode()
        assert c.request("/", headers={"Authorization": bad})[0] == 401
    finally:
        srv.shutdown()
        state.close()


def test_listening_beyond_this_machine_warns():
    from dashboard.server import exposure_warning

    assert exposure_warning("127.0.0.1", None) is None
    assert "no password" in exposure_warning("0.0.0.0", None)
    assert "reverse proxy" in exposure_warning("0.0.0.0", "pw")


# ---------------------------------------------------------------------------
# F3: sessions


@pytest.mark.parametrize("bad", [[1, 2], {"a": 1}, "x" * 900_000, "chosen-by-the-page", 7])  # 5 MB ids: refused as too large
def test_a_session_id_the_server_did_not_issue_is_never_kept(service, bad):
    c, state = service["client"], service["state"]
    before = len(state.sessions)
    status, body = c.fire("jobs.children", {"tick.n_intervals": 1, "session-id.data": bad}, ["tick.n_intervals"])
    assert status == 200, body
    assert len(state.sessions) == before
    status, body = c.fire("session-id.data", {"url.pathname": "/", "session-id.data": bad}, ["url.pathname"])
    token = body["response"]["session-id"]["data"]
    assert token != bad and state.valid(token)
    status, body = c.upload(bad, GOOD.format(i=0, places=301)) if isinstance(bad, str) and len(bad) < 100 else (200, {})
    assert "running it" not in json.dumps(body)


def test_idle_sessions_are_forgotten_with_their_runs(tmp_path, monkeypatch, close_day_centre):
    from dashboard.data import Plan
    from dashboard.jobs import Limits
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    state = AppState(Plan(**{**PLAN, "replications": 40}), limits=Limits(session_idle_seconds=0.5))
    try:
        token = state.new_session()
        job = state.submit(token, close_day_centre, "name: x")
        time.sleep(0.8)
        state.new_session()                       # any new session sweeps out the idle ones
        assert len(state.sessions) == 1
        assert job.status == "cancelled"
    finally:
        state.close()


# ---------------------------------------------------------------------------
# F2, F3, F5: runs


def test_runs_per_session_and_in_all_are_capped(service):
    c = service["client"]
    a, b = c.new_session(), c.new_session()
    texts = [GOOD.format(i=i, places=300 + i) for i in range(4)]
    answers = [json.dumps(c.upload(a, t)[1]) for t in texts[:3]]
    assert "running it" in answers[0] and "running it" in answers[1]
    assert "at most 2 at once" in answers[2]          # per session
    assert "running it" in json.dumps(c.upload(b, texts[3])[1])
    third = c.new_session()
    assert "the server is busy" in json.dumps(c.upload(third, GOOD.format(i=9, places=399))[1])   # three in all


def test_every_run_shares_one_pool_of_workers(service):
    c, state = service["client"], service["state"]
    a, b = c.new_session(), c.new_session()
    me = psutil.Process()

    def workers() -> set[int]:
        found = set()
        for p in me.children(recursive=True):
            try:
                if "spawn_main" in " ".join(p.cmdline()):
                    found.add(p.pid)
            except psutil.Error:
                pass
        return found

    others = workers()   # pools of servers other tests made in this process
    for i, s in enumerate((a, a, b)):
        c.upload(s, GOOD.format(i=i, places=320 + i))
    peak = 0
    deadline = time.time() + 120
    while time.time() < deadline and any(j.active for j in state.jobs.values()):
        peak = max(peak, len(workers() - others))
        time.sleep(0.2)
    assert [j.status for j in state.jobs.values()] == ["done"] * 3
    assert peak <= state.workers   # before, every run had a pool of its own


def test_a_run_can_be_cancelled_and_runs_have_a_time_limit(tmp_path, monkeypatch, close_day_centre, baseline):
    from dashboard.data import Plan
    from dashboard.jobs import Limits
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    state = AppState(Plan(seed=1, replications=3, years=5.0, scale=0.2, warmup_years=0.0), limits=Limits(job_seconds=2))
    try:
        token = state.new_session()
        slow = wait_for(state, state.submit(token, close_day_centre, "name: x"), 60)
        assert slow.status == "failed" and "longer than the limit" in slow.message
        other = state.new_session()
        job = state.submit(token, baseline.with_values({"services.day_centre.places": 333}), "name: y")
        assert not state.cancel(other, job.id)                # not someone else's
        assert state.cancel(token, job.id)
        assert job.status == "cancelled"
    finally:
        state.close()


def test_uploads_are_checked_against_the_servers_run(service):
    c = service["client"]
    s = c.new_session()
    late = "name: late\nextends: baseline.yaml\nactions:\n  - close: day_centre\n    at: month 60\n"
    text = json.dumps(c.upload(s, late)[1])
    assert "outside the simulated period" in text and "to month 12" in text      # the server runs 1 year
    bomb = "name: bomb\nextends: baseline.yaml\nparameters:\n  population.in_contact_at_start: 1000000000\n"
    assert "at most" in json.dumps(c.upload(s, bomb)[1])
    assert not service["state"].jobs


# ---------------------------------------------------------------------------
# F9: the Sweeps tab


@pytest.mark.parametrize("path", ["/etc", "/root/.bashrc", "../..", "/proc/self/cwd/../..", "\x00", "/etc/passwd/x"])
def test_the_sweeps_tab_opens_nothing_outside_its_folder_and_says_nothing_about_it(service, path):
    c = service["client"]
    status, body = c.fire("sweep-path.data", {"sweep-open.n_clicks": 1, "sweep-dir.value": path}, ["sweep-open.n_clicks"])
    assert status == 200
    text = json.dumps(body)
    assert "is not a sweep folder inside" in text and "Errno" not in text and "directory" not in text.lower()
    status, body = c.fire("sweep-line.figure", {"sweep-path.data": path, "sweep-metric.value": "total_cost"}, ["sweep-path.data"])
    assert status == 200 and "Errno" not in json.dumps(body)


# ---------------------------------------------------------------------------
# F6: the cache


def _damage(entry: Path, how: str) -> None:
    import pandas as pd

    reps = entry / "replications.parquet"
    if how == "truncated":
        reps.write_bytes(reps.read_bytes()[:1000])
    elif how == "manifest garbage":
        (entry / "manifest.json").write_text('{"scenarios": [')
    elif how == "manifest list":
        (entry / "manifest.json").write_text("[]")
    elif how == "file deleted":
        (entry / "timeseries.parquet").unlink()
    elif how == "no rows":
        pd.read_parquet(reps).iloc[0:0].to_parquet(reps, index=False)
    elif how == "altered numbers":
        frame = pd.read_parquet(reps)
        frame["total_cost"] = -1.0
        frame.to_parquet(reps, index=False)


@pytest.mark.parametrize("how", ["truncated", "manifest garbage", "manifest list", "file deleted", "no rows", "altered numbers"])
def test_a_damaged_or_altered_cache_entry_is_discarded_and_run_again(tmp_path, monkeypatch, close_day_centre, how):
    from dashboard.data import Plan, cache_key, cache_root, cached
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path / "cache"))
    state = AppState(Plan(**PLAN))
    try:
        first = wait_for(state, state.submit(state.new_session(), close_day_centre, "name: x"))
        assert first.status == "done", first.message
        entry = cache_root() / cache_key(close_day_centre, state.plan)
        good = first.result_folder
        _damage(entry, how)
        assert cached(close_day_centre, state.plan) is None and not entry.exists()
        again = wait_for(state, state.submit(state.new_session(), close_day_centre, "name: x"))
        assert again.status == "done" and not again.reused, again.message
        bundle = state.visible(next(t for t in [state._signer.sign(again.session).decode()]))[-1]
        assert (bundle.replications["total_cost"] > 0).all()
        assert good == entry and cached(close_day_centre, state.plan) == entry
    finally:
        state.close()


def test_a_damaged_cache_entry_does_not_stop_the_dashboard_starting(tmp_path, monkeypatch, baseline, close_day_centre):
    from dashboard.data import Plan, cache_key, cache_root
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path / "cache"))
    state = AppState(Plan(**PLAN))
    state.start_shipped([baseline, close_day_centre], wait=True)
    state.close()
    entry = cache_root() / cache_key(baseline, Plan(**PLAN))
    _damage(entry, "truncated")
    state = AppState(Plan(**PLAN))
    try:
        state.start_shipped([baseline, close_day_centre], wait=True)
        assert state.startup.status == "done" and len(state.shared) == 2
    finally:
        state.close()


def test_a_cache_folder_others_may_write_is_not_used(tmp_path, monkeypatch, close_day_centre):
    from dashboard.data import Plan, cache_problem, cached

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("MHSIM_CACHE", str(shared))
    assert "other users" in cache_problem()
    assert cached(close_day_centre, Plan(**PLAN)) is None


# ---------------------------------------------------------------------------
# F11, F14 and the builder


def test_dates_beyond_the_calendar_do_not_break_the_figures():
    import datetime as dt

    from dashboard.figures import _months_to_dates

    assert _months_to_dates([1, 12], dt.date(9999, 6, 1)) == [1, 12]
    assert _months_to_dates([1], dt.date(2015, 11, 1)) == [dt.date(2015, 12, 1)]


def test_csv_cells_that_a_spreadsheet_would_run_are_made_text():
    from dashboard.report import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("Close the day centre") == "Close the day centre"
    assert spreadsheet_safe(-3.5) == -3.5


def test_lever_values_that_are_not_numbers_are_refused_not_defaulted():
    from dashboard.app import _lever_problems

    problems = _lever_problems([("month", "NaN"), ("share", "nan"), ("ok", 3), ("empty", None), ("big", "1e400"), ("flag", True)])
    assert [p.field for p in problems] == ["month", "share", "big", "flag"]


# ---------------------------------------------------------------------------
# The upload callback, fuzzed


@pytest.fixture(scope="module")
def fuzz_state(tmp_path_factory):
    from dashboard.data import Plan
    from dashboard.jobs import Limits
    from dashboard.state import AppState

    os.environ["MHSIM_CACHE"] = str(tmp_path_factory.mktemp("fuzz-cache"))
    state = AppState(Plan(**PLAN), limits=Limits(per_session=1000, active=1000))
    yield state
    state.close()


def _data_url(raw: bytes) -> str:
    return "data:application/x-yaml;base64," + base64.b64encode(raw).decode()


yaml_texts = st.one_of(
    st.text(max_size=400),
    st.builds(lambda k, v: f"name: f\nextends: baseline.yaml\nparameters:\n  {k}: {v}\n",
              st.sampled_from(["services.day_centre.places", "population.referrals_per_year", "costs.suicide",
                               "services.day_centre.open", "settings.years", "services.day_centre.plac"]),
              st.one_of(st.integers(-10**12, 10**12).map(str), st.sampled_from([".nan", ".inf", "1e308", "yes", "[1, 2]", "{a: 1}", "'£1,000'"]),
                        st.floats(allow_nan=True).map(repr))),
    st.builds(lambda at, r: f"name: f\nextends: baseline.yaml\nactions:\n  - close: day_centre\n    at: {at}\n    redirect: {{personal_budgets: {r}}}\n",
              st.one_of(st.integers(-100, 10**6).map(lambda m: f"month {m}"), st.sampled_from(["2016-01-01", "9999-12-31", ".nan", "soon"])),
              st.one_of(st.floats(-2, 2).map(repr), st.just("x"))),
)
contents = st.one_of(
    yaml_texts.map(lambda t: _data_url(t.encode("utf-8", "surrogatepass"))),
    st.binary(max_size=300).map(_data_url),
    st.text(max_size=200),                                           # not a data URL at all
    st.just(""), st.none(), st.integers(), st.lists(st.integers(), max_size=3),
    st.just("data:x;base64,!!!!"), st.just(_data_url(b"a" * 250_000)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(contents=contents, filename=st.one_of(st.none(), st.text(max_size=300), st.integers()))
def test_the_upload_callback_never_fails_whatever_it_is_sent(fuzz_state, contents, filename):
    from dash import no_update

    from dashboard.app import handle_upload

    session = fuzz_state.new_session()
    messages, kept, download = handle_upload(fuzz_state, contents, filename, session)
    assert download is no_update
    shown = json.dumps(messages.to_plotly_json(), default=str)
    if "running it" in shown:
        job = fuzz_state.jobs[fuzz_state.session(session).jobs[-1]]
        fuzz_state.cancel(session, job.id)   # a valid upload was accepted into the queue; no need to run it
        assert isinstance(kept, str)
    else:
        assert "problem" in shown or "could not be read" in shown or "empty or too large" in shown or "too large" in shown, shown
    assert "Traceback" not in shown


# ---------------------------------------------------------------------------
# The page under its Content-Security-Policy


@pytest.mark.browser
def test_the_page_works_under_its_content_security_policy(service):
    from playwright.sync_api import sync_playwright

    state = service["state"]
    state.start_shipped(wait=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page()   # no bypass_csp: the page must work with the policy enforced
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(service["url"])
            page.wait_for_selector("#table .ag-cell", state="attached", timeout=60_000)
            page.locator("#table").scroll_into_view_if_needed()   # ag-grid shows a grid's rows once it is in view
            page.wait_for_selector("#table .ag-cell", timeout=30_000)
            page.wait_for_selector("#ts-graph .main-svg", timeout=30_000)
            page.get_by_text("Build a scenario", exact=True).click()
            page.set_input_files("#upload input", files=[{"name": "mine.yaml", "mimeType": "text/yaml",
                                                          "buffer": GOOD.format(i=1, places=310).encode()}])
            page.wait_for_selector("#build-ok", timeout=30_000)
            page.wait_for_selector(".job-done", timeout=120_000)
            assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
            assert not errors, errors
        finally:
            browser.close()


def test_an_identical_run_under_way_is_waited_for_not_run_twice(tmp_path, monkeypatch, close_day_centre):
    from dashboard.data import Plan
    from dashboard.state import AppState

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    state = AppState(Plan(**PLAN))
    try:
        first = state.submit(state.new_session(), close_day_centre, "name: x")
        second = state.submit(state.new_session(), close_day_centre, "name: x")
        assert "identical run" in second.message
        wait_for(state, first), wait_for(state, second)
        assert (first.status, second.status) == ("done", "done")
        assert second.reused and not first.reused
    finally:
        state.close()


def test_the_cache_keeps_the_most_recently_used_entries(tmp_path, monkeypatch):
    from dashboard.data import prune_cache

    monkeypatch.setenv("MHSIM_CACHE", str(tmp_path))
    for i in range(5):
        (tmp_path / f"entry{i}").mkdir()
        os.utime(tmp_path / f"entry{i}", (1000 + i, 1000 + i))
    (tmp_path / ".old.1.ab.discarded").mkdir()
    assert prune_cache(keep=3) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry2", "entry3", "entry4"]
