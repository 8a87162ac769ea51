"""Worker processes die with their parent, however it dies (issue 13, Build 4).

Each command is started, left until its worker processes are busy, then killed
with SIGKILL (no chance to clean up, as when a laptop closes or the kernel's
out-of-memory killer strikes). Within a few seconds no process it started may
be left: before, a killed ``mhsim sweep`` left a forkserver and two workers
holding 1.2 GB for over an hour.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
MHSIM = Path(sys.executable).with_name("mhsim")
# big enough that the workers are still busy when the kill comes (it comes within seconds)
BUSY = ("--workers", "2", "--scale", "0.2", "--years", "5")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers(parent: psutil.Process) -> list[psutil.Process]:
    out = []
    for p in parent.children(recursive=True):
        try:
            if "spawn_main" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


COMMANDS = {
    "run": ["run", SCENARIOS / "baseline.yaml", "--reps", "4", *BUSY],
    "compare": ["compare", SCENARIOS / "baseline.yaml", SCENARIOS / "close_day_centre.yaml", "--reps", "4", *BUSY],
    "sweep": ["sweep", SCENARIOS / "close_day_centre.yaml", "--vary", "services.day_centre.places=200:350:4", "--design", "grid",
              "--reps", "2", "--no-oneway", *BUSY],
    "psa": ["psa", SCENARIOS / "baseline.yaml", SCENARIOS / "close_day_centre.yaml", "--samples", "8", "--reps", "1", "--no-png", *BUSY],
    "dashboard": ["dashboard", "--reps", "2", "--port", "PORT", *BUSY],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_sigkill_leaves_no_process_behind(tmp_path, command):
    args = [str(a) for a in COMMANDS[command]]
    args = [str(_free_port()) if a == "PORT" else a for a in args]
    if command != "dashboard":
        args += ["--out", str(tmp_path / "out")]
    env = {**os.environ, "MHSIM_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen([str(MHSIM), *args], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        parent = psutil.Process(proc.pid)
        deadline = time.time() + 60
        while time.time() < deadline:
            workers = _workers(parent)
            # busy: both workers have done a second of work (past their imports, into the model)
            if len(workers) >= 2 and all(w.cpu_times().user > 1.0 for w in workers):
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.2)
        else:
            pytest.fail(f"{command}: the workers never got busy")
        started = parent.children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.time() + 15
        alive = started
        while time.time() < deadline:
            alive = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
            if not alive:
                break
            time.sleep(0.1)
        assert not alive, f"{command}: left running after SIGKILL: {[' '.join(p.cmdline())[:80] for p in alive]}"
    finally:
        if proc.poll() is None:
            proc.kill()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of this test's own process group
        except (ProcessLookupError, PermissionError):
            pass
