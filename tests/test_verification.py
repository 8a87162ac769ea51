"""Replication and warm-up guidance, and the verify command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulation.verification import erlang_b, erlang_c, mser5, replications_needed, running_mean

from conftest import ROOT


def test_erlang_formulas_match_known_values():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: probability of waiting = utilisation


def test_replications_needed_finds_the_first_n_below_the_precision():
    values = [100.0, 102.0, 98.0, 101.0, 99.0, 100.5, 99.5, 100.2]
    rows, found = replications_needed(values, 0.02)
    assert found is not None
    assert all(r.relative > 0.02 for r in rows if r.n < found)
    assert next(r for r in rows if r.n == found).relative <= 0.02
    _, none = replications_needed([1.0, 50.0, 3.0], 0.001)
    assert none is None


def test_mser5_finds_an_initial_transient_and_none_in_a_flat_series():
    flat = [10.0 + (i % 3) * 0.1 for i in range(120)]
    assert mser5(flat) <= 10
    transient = [100.0 - 90.0 * (0.8 ** i) for i in range(120)]
    assert mser5(transient) >= 5


def test_running_mean():
    assert running_mean([1, 2, 3, 4]) == [1.0, 1.5, 2.0, 2.5]


@pytest.mark.slow
def test_verify_prints_every_check_with_its_figure():
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "verify", "--quick", "--reps", "3", "--scale", "0.05",
                           "--years", "2", "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    for check in ("Suicides a year", "Median acute length of stay", "Readmitted within a year", "Erlang C", "Erlang B",
                  "Little's law", "People conserved", "Common random numbers", "Serial run equals parallel run", "Twin agrees"):
        assert check in out, check
    assert "verification checks pass" in out
    assert proc.returncode in (0, 1)


def test_replications_command_prints_the_table(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "replications", "scenarios/baseline.yaml", "--metric", "crisis_episodes",
                           "--precision", "0.05", "--max-reps", "4", "--scale", "0.02", "--years", "1", "--workers", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Replications for crisis_episodes" in proc.stdout and "MSER-5" in proc.stdout


def test_replications_command_refuses_an_unknown_metric():
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "replications", "scenarios/baseline.yaml", "--metric", "crisis_episode"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "did you mean 'crisis_episodes'" in proc.stderr and "Traceback" not in proc.stderr


def test_preview_writes_run_format_outputs(tmp_path):
    out = tmp_path / "preview"
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "preview", "scenarios/baseline.yaml", "--years", "1", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    import pandas as pd

    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["n"]) == {1}
    assert {"summary.csv", "replications.parquet", "timeseries.parquet", "manifest.json"} <= {p.name for p in out.iterdir()}
