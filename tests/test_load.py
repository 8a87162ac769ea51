"""Eight people using one dashboard at once (issue 13, Build 7).

``mhsim dashboard`` runs as it would for a team (Waitress, the job queue, one
pool of two workers) on 127.0.0.1, with a tiny plan. Eight HTTP clients, one
browser session each, each upload a different scenario and run it, polling
their runs once a second as the page does. Meanwhile ``/healthz`` is asked
five times a second. Every run must finish, every health request answer
within a second, and the server's memory (with its workers) stay bounded.
The figures are written to ``test-artifacts/load.json``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

from dashclient import DashClient

ROOT = Path(__file__).resolve().parents[1]
MHSIM = Path(sys.executable).with_name("mhsim")
ARTIFACTS = ROOT / "test-artifacts"
SESSIONS = 8
MEMORY_LIMIT = 2_500_000_000
"""The server and its two workers, all together (they use about a third of this)."""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def test_eight_sessions_build_and_run_at_once(tmp_path):
    port = _port()
    env = {**os.environ, "MHSIM_CACHE": str(tmp_path / "cache")}
    server = subprocess.Popen([str(MHSIM), "dashboard", "--port", str(port), "--reps", "2", "--scale", "0.02", "--years", "1",
                               "--workers", "2", "--runs-per-session", "2"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    proc = psutil.Process(server.pid)
    figures = {"slowest_health_seconds": 0.0, "peak_memory_bytes": 0, "most_jobs_queued": 0, "health_requests": 0}
    stop = threading.Event()
    try:
        deadline = time.time() + 60
        while time.time() < deadline:   # until the shipped scenarios are in
            try:
                health = json.loads(urllib.request.urlopen(base + "/healthz", timeout=2).read())
                if health["startup"] == "done":
                    break
            except OSError:
                pass
            assert server.poll() is None, server.stderr.read().decode()
            time.sleep(0.3)
        else:
            raise AssertionError("the dashboard did not start")

        def watch() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                health = json.loads(urllib.request.urlopen(base + "/healthz", timeout=10).read())
                figures["slowest_health_seconds"] = max(figures["slowest_health_seconds"], time.perf_counter() - started)
                figures["most_jobs_queued"] = max(figures["most_jobs_queued"], health["jobs_waiting"] + health["jobs_running"])
                figures["peak_memory_bytes"] = max(figures["peak_memory_bytes"], _tree_rss(proc))
                figures["health_requests"] += 1
                time.sleep(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        outcomes: dict[int, str] = {}

        def person(i: int) -> None:
            client = DashClient(base)
            session = client.new_session()
            text = f"name: Person {i}\nextends: baseline.yaml\nparameters:\n  services.day_centre.places: {300 + i}\n"
            status, body = client.upload(session, text, f"person{i}.yaml")
            assert status == 200 and "running it" in json.dumps(body), body
            end = time.time() + 240
            while time.time() < end:
                jobs = client.jobs(session)
                if "job-done" in jobs or "job-failed" in jobs:
                    outcomes[i] = "done" if "job-done" in jobs else jobs
                    return
                time.sleep(1.0)
            outcomes[i] = "timed out"

        people = [threading.Thread(target=person, args=(i,)) for i in range(SESSIONS)]
        started = time.perf_counter()
        for t in people:
            t.start()
        for t in people:
            t.join(timeout=300)
        figures["seconds_for_all_runs"] = round(time.perf_counter() - started, 1)
        stop.set()
        watcher.join(timeout=15)
        figures["sessions"] = SESSIONS
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=2) + "\n")
        assert outcomes == {i: "done" for i in range(SESSIONS)}, outcomes
        assert figures["health_requests"] > 10
        assert figures["slowest_health_seconds"] < 1.0, figures
        assert figures["peak_memory_bytes"] < MEMORY_LIMIT, figures
    finally:
        stop.set()
        server.kill()
        server.wait(timeout=10)
