"""Sweeps: designs, common random numbers, the resumable store, local and Dask execution, bad input.

Every sweep here is small (a fiftieth of the county for one year) so the file
runs in a couple of minutes on two cores. Dask runs on a real LocalCluster and
on ``dask scheduler`` / ``dask worker`` processes on 127.0.0.1 started here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import interruptible
from simulation.sweep import (
    Factor, Ishigami, ScenarioModel, SweepRequest, SweepStore, build_sweep, design_hash, make_design, new_sweep,
    rows_equal, run_sweep,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
VENV_BIN = Path(sys.executable).parent
MHSIM = [sys.executable, "-m", "simulation.cli"]
SMALL = ["--years", "1", "--scale", "0.02"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def mhsim(*args: str, timeout: float = 300, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*MHSIM, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=ENV)


def request(**kw) -> SweepRequest:
    base = dict(scenario=SCENARIOS / "close_day_centre.yaml", compare=SCENARIOS / "baseline.yaml",
                vary=[("services.day_centre.block_cost_per_year", None, None, None, "test", None, "--vary"),
                      ("population.carer_share", "0.3", "0.5", None, "test", None, "--vary")],
                design="lhs", samples=3, reps=2, years=1.0, scale=0.02)
    base.update(kw)
    return SweepRequest(**base)


def start(tmp: Path, req: SweepRequest):
    spec, scenarios, problems = build_sweep(req)
    assert not problems, problems
    store, design, digest = new_sweep(tmp, spec, "test")
    return spec, scenarios, store, design


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small paired sweep run serially in this process: what every other way must reproduce."""
    spec, scenarios, store, design = start(tmp_path_factory.mktemp("ref") / "sweep", request())
    stats = run_sweep(store, ScenarioModel(spec, scenarios), workers=1)
    assert stats.tasks_run == len(design) * spec.reps
    return spec, scenarios, store.rows()


# ---------------------------------------------------------------------------
# Designs and common random numbers


def test_designs_have_the_documented_sizes_and_stay_in_range(baseline):
    for design, samples, expected in (("grid", None, 3 * 4), ("lhs", 7, 7), ("sobol", 8, 8 * (2 + 2)), ("morris", 3, 3 * (2 + 1))):
        vary = [("services.day_centre.places", "100", "400", "3" if design == "grid" else None, "t", None, "--vary"),
                ("population.carer_share", "0.25", "0.6", "4" if design == "grid" else None, "t", None, "--vary")]
        spec, _, problems = build_sweep(SweepRequest(scenario=SCENARIOS / "baseline.yaml", vary=vary, design=design,
                                                     samples=samples, reps=1, years=1.0, scale=0.02))
        assert not problems, problems
        d = make_design(spec)
        main = d[d["block"] == design]
        assert len(main) == expected, design
        assert (d["block"] == "oneway").sum() == 1 + 2 * 2
        places = d["param.services.day_centre.places"]
        assert places.between(100, 400).all() and (places == places.round()).all()  # whole places
        assert d["param.population.carer_share"].between(0.25, 0.6).all()
        base = d[d["block"] == "oneway"].iloc[0]
        assert base["param.services.day_centre.places"] == baseline.params["services.day_centre.places"].value
        assert design_hash(spec, d) == design_hash(spec, make_design(spec))  # the design is a pure function of the spec


def test_points_share_random_numbers(tmp_path):
    """Varying only a cost leaves every activity metric identical at every point (same rep = same randomness)."""
    req = request(compare=None, scenario=SCENARIOS / "baseline.yaml", samples=4,
                  vary=[("services.day_centre.block_cost_per_year", None, None, None, "t", None, "--vary")])
    spec, scenarios, store, design = start(tmp_path / "s", req)
    run_sweep(store, ScenarioModel(spec, scenarios), workers=1)
    rows = store.rows()
    for rep, group in rows.groupby("replication"):
        assert group["crisis_episodes"].nunique() == 1
        assert group["acute_bed_days"].nunique() == 1
        assert group["total_cost"].nunique() == len(design)  # but the cost moves with the contract
    # and different replications do differ
    assert rows.groupby("replication")["crisis_episodes"].first().nunique() > 1 or rows.groupby("replication")["total_cost"].first().nunique() > 1
    # higher contract, higher cost, exactly linearly (same people, same events)
    one = rows[rows["replication"] == 0].sort_values("param.services.day_centre.block_cost_per_year")
    slope = np.diff(one["total_cost"]) / np.diff(one["param.services.day_centre.block_cost_per_year"])
    assert np.allclose(slope, slope[0]) and slope[0] > 0


def test_paired_rows_hold_both_scenarios_and_their_difference(reference):
    spec, scenarios, rows = reference
    assert len(rows) == (3 + 5) * 2
    assert rows["task_id"].is_unique
    assert np.allclose(rows["delta.total_cost"], rows["total_cost"] - rows["base.total_cost"])
    assert np.allclose(rows["delta.crisis_episodes"], rows["crisis_episodes"] - rows["base.crisis_episodes"])
    # each row is exactly a replication of each scenario with those parameter values
    from simulation.experiment import run_replication

    row = rows.iloc[3]
    values = {"services.day_centre.block_cost_per_year": row["param.services.day_centre.block_cost_per_year"],
              "population.carer_share": row["param.population.carer_share"]}
    alt = run_replication(scenarios[0].with_values(values), 1, int(row["replication"]), 1.0, 0.02, 0.0).metrics
    base = run_replication(scenarios[1].with_values(values), 1, int(row["replication"]), 1.0, 0.02, 0.0).metrics
    assert row["total_cost"] == alt["total_cost"] and row["base.total_cost"] == base["total_cost"]


def test_two_local_workers_give_identical_rows(reference, tmp_path):
    spec, scenarios, ref_rows = reference
    _, _, store, _ = start(tmp_path / "two", request())
    stats = run_sweep(store, ScenarioModel(spec, scenarios), workers=2)
    assert stats.executor == "local processes" and stats.workers == 2
    assert rows_equal(store.rows(), ref_rows)
    manifest = store.manifest()
    assert manifest["status"] == "complete" and manifest["replications_per_minute"] > 0
    assert manifest["sessions"][-1]["replications_per_minute"] > 0


def test_local_cluster_gives_identical_rows(reference, tmp_path):
    from distributed import Client, LocalCluster

    spec, scenarios, ref_rows = reference
    _, _, store, _ = start(tmp_path / "dask", request())
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        stats = run_sweep(store, ScenarioModel(spec, scenarios), client=client)
    assert stats.executor.startswith("dask") and stats.workers == 2
    assert rows_equal(store.rows(), ref_rows)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dask_processes():
    """A real 'dask scheduler' and 'dask worker' (two processes) on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**ENV, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(VENV_BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)]
    procs.append(subprocess.Popen([str(VENV_BIN / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                   "--no-dashboard", "--host", "127.0.0.1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True))
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=2) as c:
                    c.wait_for_workers(2, timeout=30)
                break
            except (OSError, TimeoutError):
                assert time.monotonic() < deadline, "dask scheduler did not start"
                time.sleep(0.3)
        yield address
    finally:
        for p in reversed(procs):
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def _cli_sweep_args(out: Path) -> list[str]:
    return ["sweep", str(SCENARIOS / "close_day_centre.yaml"), "--compare", str(SCENARIOS / "baseline.yaml"),
            "--vary", "services.day_centre.block_cost_per_year", "--vary", "population.carer_share=0.3:0.5",
            "--design", "lhs", "--samples", "3", "--reps", "2", "--seed", "1", *SMALL, "--out", str(out)]


def test_dask_scheduler_and_worker_processes_give_identical_rows(reference, tmp_path, dask_processes):
    _, _, ref_rows = reference
    out = tmp_path / "cluster"
    result = mhsim(*_cli_sweep_args(out), "--scheduler", dask_processes)
    assert result.returncode == 0, result.stderr
    store = SweepStore(out)
    assert rows_equal(store.rows(), ref_rows)
    session = store.manifest()["sessions"][-1]
    assert session["executor"] == f"dask {dask_processes}" and session["workers"] == 2


def test_cli_sweep_on_local_workers_matches(reference, tmp_path):
    _, _, ref_rows = reference
    out = tmp_path / "cli"
    result = mhsim(*_cli_sweep_args(out), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "replications a minute" in result.stdout
    assert rows_equal(SweepStore(out).rows(), ref_rows)
    # finishing a finished sweep runs nothing and changes nothing
    before = sorted(p.name for p in SweepStore(out).chunk_files())
    again = mhsim(*_cli_sweep_args(out), "--workers", "2", "--resume")
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in SweepStore(out).chunk_files()) == before


def test_sweep_file_is_the_same_sweep(reference, tmp_path):
    _, _, ref_rows = reference
    f = tmp_path / "sweep.yaml"
    f.write_text(f"""
name: day centre
scenario: {SCENARIOS / 'close_day_centre.yaml'}
baseline: {SCENARIOS / 'baseline.yaml'}
design: lhs
samples: 3
reps: 2
years: 1
scale: 0.02
out: result
vary:
  services.day_centre.block_cost_per_year:
  population.carer_share: "0.3:0.5"
""")
    result = mhsim("sweep", str(f), "--workers", "1")
    assert result.returncode == 0, result.stderr
    rows = SweepStore(tmp_path / "result").rows()
    assert rows_equal(rows, ref_rows)


# ---------------------------------------------------------------------------
# Killed and resumed


def _kill_sweep_when(out: Path, extra: list[str], condition, sig=signal.SIGKILL, timeout: float = 120) -> subprocess.Popen:
    proc = subprocess.Popen([*MHSIM, *extra], cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=interruptible)
    deadline = time.monotonic() + timeout
    try:
        while not condition():
            assert proc.poll() is None, f"the sweep ended before it could be stopped: {proc.communicate()}"
            assert time.monotonic() < deadline, "the sweep never reached the point to stop it"
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
    proc.wait(timeout=60)
    return proc


def _raw_rows(out: Path) -> pd.DataFrame:
    files = sorted((out / "rows").glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in files], ignore_index=True) if files else pd.DataFrame(columns=["task_id"])


class Sleepy:
    """A model whose point 'x' takes x seconds."""

    def __call__(self, values, seed, rep):
        time.sleep(values["x"])
        return {"y": values["x"]}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_finished_row_is_written_while_a_long_task_runs(tmp_path, workers):
    import threading

    from simulation.sweep import Arm, SweepSpec

    spec = SweepSpec("sweep", "grid", (Factor("x", 0.0, 4.0, steps=2),), (Arm("", "sleepy", "", ""),), 0, 1, 1, 1.0, 1.0, 0.0,
                     oneway=False)
    design = make_design(spec)
    store = SweepStore(tmp_path / "s")
    store.create(spec, design, design_hash(spec, design), "test")
    worker = threading.Thread(target=run_sweep, args=(store, Sleepy()), kwargs={"workers": workers, "flush_seconds": 0.3})
    started = time.monotonic()
    worker.start()
    try:
        while "p0000000r00000" not in store.done_ids():
            assert time.monotonic() - started < 3.5, "the quick point's row waited for the slow one"
            time.sleep(0.05)
        assert "p0000001r00000" not in store.done_ids()
    finally:
        worker.join()
    assert len(store.rows()) == 2


def test_sigkill_at_any_moment_then_resume_loses_and_duplicates_nothing(tmp_path):
    out = tmp_path / "killed"
    args = ["sweep", str(SCENARIOS / "close_day_centre.yaml"), "--compare", str(SCENARIOS / "baseline.yaml"),
            "--vary", "population.carer_share=0.3:0.5", "--vary", "services.day_centre.effect_on_crisis",
            "--design", "lhs", "--samples", "10", "--reps", "2", *SMALL, "--out", str(out), "--workers", "2",
            "--flush-seconds", "0.05"]
    total = (10 + 5) * 2
    # 1. killed before any row is written (only the design and manifest exist)
    _kill_sweep_when(out, args, lambda: (out / "sweep-manifest.json").exists())
    assert len(_raw_rows(out)) < total
    # 2. resumed, then killed again part-way through
    resume = [*args, "--resume"]
    first = len(_raw_rows(out))
    _kill_sweep_when(out, resume, lambda: len(list((out / "rows").glob("part-*.parquet"))) >= 3 and len(_raw_rows(out)) > first)
    part = _raw_rows(out)
    assert first < len(part) < total, "the kill should land part-way"
    assert part["task_id"].is_unique
    manifest = json.loads((out / "sweep-manifest.json").read_text())
    assert manifest["status"] != "complete"
    # 3. resumed to the end
    result = mhsim(*resume)
    assert result.returncode == 0, result.stderr
    assert f"({len(part)} were already done)" in result.stdout
    rows = _raw_rows(out)
    assert len(rows) == total and rows["task_id"].is_unique
    assert set(part["task_id"]) <= set(rows["task_id"])  # nothing finished was redone or lost
    assert not list(out.rglob("*.tmp"))
    # the numbers equal an uninterrupted run's
    clean = tmp_path / "clean"
    ok = mhsim(*[a if a != str(out) else str(clean) for a in args])
    assert ok.returncode == 0, ok.stderr
    assert rows_equal(SweepStore(out).rows(), SweepStore(clean).rows())
    assert json.loads((out / "sweep-manifest.json").read_text())["status"] == "complete"


def test_ctrl_c_keeps_finished_rows_and_says_how_to_resume(tmp_path):
    out = tmp_path / "interrupted"
    args = ["sweep", str(SCENARIOS / "baseline.yaml"), "--vary", "population.carer_share=0.3:0.5",
            "--design", "grid", "--vary", "services.day_centre.places=150:400:4", "--reps", "2", *SMALL, "--out", str(out),
            "--workers", "2", "--flush-seconds", "0.05"]
    proc = _kill_sweep_when(out, args, lambda: len(list((out / "rows").glob("part-*.parquet"))) >= 2, sig=signal.SIGINT)
    stderr = proc.stderr.read()
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    saved = _raw_rows(out)
    assert len(saved) >= 2 and saved["task_id"].is_unique
    result = mhsim(*args, "--resume")
    assert result.returncode == 0, result.stderr
    rows = _raw_rows(out)
    assert len(rows) == (5 * 4 + 5) * 2 and rows["task_id"].is_unique


# ---------------------------------------------------------------------------
# Bad input: exit code 2, a clear message, nothing written


def _bad(tmp_path: Path, *args: str, expect: str, subprocess_run: bool = False):
    """Exit code 2 with the message, no traceback, nothing written (in this process unless asked)."""
    out = tmp_path / "never"
    started = time.monotonic()
    if subprocess_run:
        result = mhsim(*args, "--out", str(out), *SMALL, timeout=60)
        code, stderr = result.returncode, result.stderr
    else:
        from typer.testing import CliRunner

        from simulation.cli import app

        result = CliRunner().invoke(app, [*args, "--out", str(out), *SMALL], env={"COLUMNS": "200"})
        code, stderr = result.exit_code, result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    stderr = " ".join(stderr.split())
    assert code == 2, stderr
    assert expect in stderr, stderr
    assert "Traceback" not in stderr
    assert not out.exists(), "nothing may be written on bad input"
    return time.monotonic() - started


@pytest.mark.parametrize("vary, expect", [
    ("services.day_centre.plces=1:2", "unknown parameter (did you mean 'services.day_centre.places'?)"),
    ("population.carer_share=0.5:0.5", "the range is empty"),
    ("population.carer_share=0.6:0.3", "LOW is above HIGH"),
    ("population.carer_share=0.3:1.5", "HIGH of population.carer_share must be a number from 0 to 1"),
    ("population.carer_share=a:b", "LOW of population.carer_share is not a number"),
    ("population.carer_share=0.1", "a --vary is PATH=LOW:HIGH[:STEPS] or PATH"),
    ("services.day_centre.open=0:1", "not a number, so it cannot be varied"),
    ("services.day_centre.places=100.5:200", "LOW of services.day_centre.places must be a whole number"),
    ("population.carer_share=0.3:0.5:1", "STEPS of population.carer_share must be a whole number from 2 to 1000"),
])
def test_bad_ranges(tmp_path, vary, expect):
    _bad(tmp_path, "sweep", str(SCENARIOS / "baseline.yaml"), "--vary", vary, "--design", "grid", expect=expect)


def test_other_bad_options(tmp_path):
    base = ["sweep", str(SCENARIOS / "baseline.yaml"), "--vary", "population.carer_share"]
    _bad(tmp_path, *base, "--design", "halton", expect="unknown design")
    _bad(tmp_path, *base, "--samples", "0", expect="--samples must be")
    _bad(tmp_path, *base, "--reps", "0", expect="--reps must be at least 1")
    _bad(tmp_path, *base, "--scheduler", "not-an-address", expect="--scheduler is not a scheduler address")
    _bad(tmp_path, *base, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1", expect="not both")
    _bad(tmp_path, "sweep", str(SCENARIOS / "baseline.yaml"), expect="nothing to vary")
    _bad(tmp_path, "sweep", str(tmp_path / "missing.yaml"), "--vary", "population.carer_share", expect="file not found")
    _bad(tmp_path, "sweep", str(SCENARIOS / "close_day_centre.yaml"), "--vary", "actions.close.day_centre.redirect.peer_support=0.3:0.9",
         expect="redirect shares of closing day_centre could add up to more than 1")
    _bad(tmp_path, "sweep", str(SCENARIOS / "close_day_centre.yaml"), "--vary", "actions.close.day_centre.raised_crisis_risk.multiplier",
         expect="declares no range")


def test_bad_sweep_file_says_where(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(f"scenario: {SCENARIOS / 'baseline.yaml'}\ndesign: lhs\nvary:\n  services.day_centre.closure_risk_months: 3:12\n  population.nope:\nrepz: 3\n")
    result = mhsim("sweep", str(f), *SMALL, "--out", str(tmp_path / "never"))
    assert result.returncode == 2
    err = " ".join(result.stderr.split())
    assert "bad.yaml:4: field 'vary.services.day_centre.closure_risk_months'" in err and "in quotes" in err
    assert "bad.yaml:6: field 'repz': unknown field 'repz' (did you mean 'reps'?)" in err
    assert "unknown parameter" in err and "vary.population.nope" in err
    assert not (tmp_path / "never").exists()


def test_a_bad_option_in_a_sweep_file_is_named_by_its_field_and_line_and_on_the_command_line_by_its_flag(tmp_path):
    f = tmp_path / "opts.yaml"
    f.write_text(f"scenario: {SCENARIOS / 'baseline.yaml'}\nvary:\n  population.carer_share:\ndesign: sobel\n")
    from_file = " ".join(mhsim("sweep", str(f), "--out", str(tmp_path / "never")).stderr.split())
    assert "opts.yaml:4: field 'design': unknown design (found 'sobel')" in from_file
    from_flag = " ".join(mhsim("sweep", str(f), "--design", "halton", "--out", str(tmp_path / "never")).stderr.split())
    assert "field '--design': unknown design (found 'halton')" in from_flag and ":4:" not in from_flag
    assert not (tmp_path / "never").exists()


def test_a_sweep_files_missing_scenario_is_named_with_its_field_and_line(tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text("vary:\n  population.carer_share:\nscenario: close_day_centr.yaml\ndesign: sobol\nsamples: -8\n")
    result = mhsim("sweep", str(f), "--out", str(tmp_path / "never"))
    err = " ".join(result.stderr.split())
    assert result.returncode == 2 and "Traceback" not in err
    assert "typo.yaml:3: field 'scenario': no scenario file at" in err and "close_day_centr.yaml" in err
    assert not (tmp_path / "never").exists()
    f.write_text(f"vary:\n  population.carer_share:\nscenario: {SCENARIOS / 'baseline.yaml'}\ndesign: sobol\nsamples: -8\n")
    negative = " ".join(mhsim("sweep", str(f), "--out", str(tmp_path / "never")).stderr.split())
    assert "1 problem found" in negative and "--samples must be a whole number from 1" in negative   # one mistake, one message
    missing = mhsim("sweep", str(tmp_path / "nowhere.yaml"), "--out", str(tmp_path / "never"))
    assert missing.returncode == 2 and "a scenario file to sweep, or a sweep file" in " ".join(missing.stderr.split())


def test_unreachable_scheduler_fails_within_seconds(tmp_path):
    port = _free_port()  # nothing listens there
    seconds = _bad(tmp_path, "sweep", str(SCENARIOS / "baseline.yaml"), "--vary", "population.carer_share",
                   "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "2", expect="cannot reach the Dask scheduler",
                   subprocess_run=True)
    assert seconds < 20


def test_resume_refuses_a_different_sweep_and_keeps_its_rows(reference, tmp_path):
    out = tmp_path / "first"
    assert mhsim(*_cli_sweep_args(out), "--workers", "1").returncode == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    wider = [a.replace("population.carer_share=0.3:0.5", "population.carer_share=0.3:0.6") for a in _cli_sweep_args(out)]
    for args in (_cli_sweep_args(out) + ["--seed", "2"], _cli_sweep_args(out) + ["--samples", "4"], wider):
        args = args + ["--resume"]
        result = mhsim(*args)
        assert result.returncode == 2, result.stderr
        assert "holds a different sweep, so --resume cannot continue it" in " ".join(result.stderr.split())
    # without --resume, an existing sweep is never overwritten
    result = mhsim(*_cli_sweep_args(out))
    assert result.returncode == 2 and "already holds a sweep" in result.stderr
    # a results folder of another command is not a sweep
    other = tmp_path / "other"
    other.mkdir()
    (other / "summary.csv").write_text("x\n")
    result = mhsim(*[a if a != str(out) else str(other) for a in _cli_sweep_args(out)], "--resume")
    assert result.returncode == 2 and "holds other files" in result.stderr
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


# ---------------------------------------------------------------------------
# The machinery recovers known Sobol indices


def test_sobol_indices_of_the_ishigami_function_through_the_store(tmp_path):
    """The Ishigami function run as a sweep (design, store, two local workers), analysed like any sweep."""
    from simulation.sensitivity import load_sweep, sobol_indices
    from simulation.sweep import Arm, SweepSpec, design_hash

    factors = tuple(Factor(f"x{i}", -np.pi, np.pi) for i in (1, 2, 3))
    spec = SweepSpec("sweep", "sobol", factors, (Arm("", "Ishigami", "", ""),), 2048, 1, 3, 1.0, 1.0, 0.0, oneway=False)
    design = make_design(spec)
    store = SweepStore(tmp_path / "ishigami")
    store.create(spec, design, design_hash(spec, design), "test")
    run_sweep(store, Ishigami(), workers=2, chunk_rows=2000)
    data = load_sweep(tmp_path / "ishigami")
    assert len(data.rows) == 2048 * 5 and data.rows["task_id"].is_unique
    table = sobol_indices(data, "y").set_index("parameter")
    s1, st = Ishigami.analytic()
    for i, name in enumerate(("x1", "x2", "x3")):
        assert table.loc[name, "S1"] == pytest.approx(s1[i], abs=0.04), name
        assert table.loc[name, "ST"] == pytest.approx(st[i], abs=0.04), name
        # the intervals are honest: they hold the truth
        assert table.loc[name, "S1_low"] - 0.01 <= s1[i] <= table.loc[name, "S1_high"] + 0.01
        assert table.loc[name, "ST_low"] - 0.01 <= st[i] <= table.loc[name, "ST_high"] + 0.01
    assert list(table.sort_values("ST", ascending=False).index) == ["x1", "x2", "x3"]


@pytest.mark.parametrize("sweep_file", sorted((Path(__file__).resolve().parent.parent / "sweeps").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_every_shipped_sweep_file_is_a_sweep_the_model_accepts(sweep_file):
    """A shipped sweep names parameters and action settings that exist (a renamed one made 'mhsim sweep' refuse
    sweeps/day_centre_sobol.yaml), with every range inside what its parameter allows."""
    from simulation.sweep import build_sweep, read_sweep_file

    req, problems = read_sweep_file(sweep_file)
    assert problems == []
    spec, scenarios, problems = build_sweep(req)
    assert [str(p) for p in problems] == []
    assert spec is not None and len(spec.factors) >= 2
    for factor in spec.factors:
        assert factor.low < factor.high, factor


def test_the_first_base_samples_of_a_sobol_sweep_are_a_design_of_their_own_and_can_be_read_unfinished(tmp_path):
    """'mhsim sensitivity --base-samples N' reads an unfinished Sobol sweep: the first N base samples of the design
    are exactly the design for N (the first N points of a Sobol sequence), so their indices are those of an N sweep."""
    from simulation.sensitivity import SweepData, load_sweep, prefix_problems, sobol_indices
    from simulation.sweep import PARAM, Arm, SweepSpec, design_hash

    factors = tuple(Factor(f"x{i}", -np.pi, np.pi) for i in (1, 2, 3))

    def spec(n):
        return SweepSpec("sweep", "sobol", factors, (Arm("", "Ishigami", "", ""),), n, 1, 3, 1.0, 1.0, 0.0, oneway=False)

    big, small = make_design(spec(256)), make_design(spec(128))
    cols = [c for c in small.columns if c.startswith(PARAM)]
    assert np.array_equal(big.sort_values("point")[cols].to_numpy()[: 128 * 5], small.sort_values("point")[cols].to_numpy())
    store = SweepStore(tmp_path / "ishigami")
    store.create(spec(256), big, design_hash(spec(256), big), "test")
    run_sweep(store, Ishigami(), workers=1, chunk_rows=2000)
    full = load_sweep(tmp_path / "ishigami")
    unfinished = SweepData(full.root, full.spec, full.manifest, full.design, full.rows[full.rows["point"] < 100 * 5], 128)
    problems = prefix_problems(unfinished, 128)
    assert len(problems) == 1 and "at most 100" in str(problems[0])
    read = SweepData(full.root, full.spec, full.manifest, full.design, full.rows[full.rows["point"] < 128 * 5], 128)
    assert prefix_problems(read, 128) == []
    assert prefix_problems(read, 512) and prefix_problems(read, 1)
    table = sobol_indices(read, "y").set_index("parameter")
    assert (table["N"] == 128).all()
    store2 = SweepStore(tmp_path / "small")
    store2.create(spec(128), small, design_hash(spec(128), small), "test")
    run_sweep(store2, Ishigami(), workers=1, chunk_rows=2000)
    alone = sobol_indices(load_sweep(tmp_path / "small"), "y").set_index("parameter")
    assert np.allclose(table["ST"], alone["ST"]) and np.allclose(table["S1"], alone["S1"])


def test_a_parameter_varied_twice_on_the_command_line_and_a_one_trajectory_morris_are_refused(tmp_path):
    """Two --vary of one path used to let the last win silently; one Morris trajectory has no spread."""
    base = ["sweep", str(SCENARIOS / "close_day_centre.yaml"), "--engine", "twin", "--out", str(tmp_path / "s")]
    twice = mhsim(*base, "--design", "morris", "--vary", "services.day_centre.places",
                  "--vary", "services.day_centre.places=60:100")
    assert twice.returncode == 2 and "varied twice" in twice.stderr and "Traceback" not in twice.stderr
    one = mhsim(*base, "--design", "morris", "--samples", "1", "--vary", "services.day_centre.places")
    assert one.returncode == 2 and "at least 2 trajectories" in one.stderr
    zero = mhsim(*base, "--design", "morris", "--samples", "0", "--vary", "services.day_centre.places")
    assert zero.returncode == 2 and "morris: trajectories" in zero.stderr and "sobol" not in zero.stderr
    assert not (tmp_path / "s").exists()
