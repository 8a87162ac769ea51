"""The mhsim command end to end: run and compare write complete, consistent outputs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SCENARIOS, interruptible

MHSIM = [sys.executable, "-m", "simulation.cli"]
SMALL = ["--reps", "2", "--years", "1", "--scale", "0.02", "--seed", "7", "--workers", "1"]
REQUIRED_METRICS = ("total_cost", "cost_nhs", "cost_council", "cost_society", "crisis_episodes", "acute_admissions",
                    "acute_bed_days", "out_of_area_placements", "residential_placements_end", "enablement_move_ons",
                    "recoveries", "people_employed_end", "suicides", "deaths_other", "qalys")


def mhsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*MHSIM, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "results"
    proc = mhsim("compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "close_day_centre.yaml"), *SMALL, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return proc, out


def test_compare_writes_every_output_file(compared):
    _, out = compared
    names = {p.name for p in out.iterdir()}
    assert {"summary.csv", "replications.parquet", "timeseries.parquet", "manifest.json", "comparison.csv"} <= names
    assert not any(n.endswith(".partial") for n in names)


def test_summary_has_the_promised_columns_and_metrics(compared):
    _, out = compared
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[:7]) == ["scenario", "metric", "mean", "ci_low", "ci_high", "sd", "n"]
    assert set(REQUIRED_METRICS) <= set(summary["metric"])
    assert (summary["ci_low"] <= summary["mean"] + 1e-9).all() and (summary["mean"] <= summary["ci_high"] + 1e-9).all()
    assert set(summary["n"]) == {2}


def test_replications_have_a_row_per_scenario_and_replication(compared):
    _, out = compared
    reps = pd.read_parquet(out / "replications.parquet")
    assert len(reps) == 4
    assert set(REQUIRED_METRICS) <= set(reps.columns)
    summary = pd.read_csv(out / "summary.csv").set_index(["scenario", "metric"])
    for scenario, group in reps.groupby("scenario"):
        assert group["total_cost"].mean() == pytest.approx(summary.loc[(scenario, "total_cost"), "mean"])


def test_timeseries_is_long_format_by_month(compared):
    _, out = compared
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["scenario", "replication", "month", "metric", "value"]
    assert ts["month"].min() == 1 and ts["month"].max() == 12
    assert {"people_in_contact", "people_employed", "crisis_episodes", "total_cost"} <= set(ts["metric"])


def test_comparison_is_paired_against_the_baseline(compared):
    _, out = compared
    cmp = pd.read_csv(out / "comparison.csv")
    assert list(cmp.columns[:7]) == ["scenario", "metric", "baseline_mean", "delta_mean", "delta_ci_low", "delta_ci_high", "n"]
    assert set(cmp["scenario"]) == {"Close the day centre"}
    reps = pd.read_parquet(out / "replications.parquet")
    base = reps[reps.scenario.str.startswith("Baseline")].sort_values("replication")["cost_nhs"].to_numpy()
    alt = reps[reps.scenario == "Close the day centre"].sort_values("replication")["cost_nhs"].to_numpy()
    row = cmp[cmp.metric == "cost_nhs"].iloc[0]
    assert row["delta_mean"] == pytest.approx((alt - base).mean())


def test_manifest_records_what_produced_the_numbers(compared):
    _, out = compared
    m = json.loads((out / "manifest.json").read_text())
    for key in ("model_version", "scenarios", "seed", "replications", "years", "python", "packages", "wall_seconds", "per_replication"):
        assert key in m, key
    assert m["seed"] == 7 and m["replications"] == 2
    assert all(len(s["content_hash"]) == 16 for s in m["scenarios"])
    assert len(m["per_replication"]) == 4
    assert all(r["scheduler_events"] > 0 and r["peak_live_processes"] > 0 for r in m["per_replication"])


def test_compare_prints_a_readable_table(compared):
    proc, _ = compared
    assert "Close the day centre compared with" in proc.stdout
    assert "Cost to health and care" in proc.stdout and "£" in proc.stdout
    assert "Suicides" in proc.stdout


def test_run_gives_the_same_numbers_as_compare_for_the_same_seed(compared, tmp_path):
    _, cmp_out = compared
    proc = mhsim("run", str(SCENARIOS / "baseline.yaml"), *SMALL, "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, proc.stderr
    a = pd.read_parquet(tmp_path / "run" / "replications.parquet")
    b = pd.read_parquet(cmp_out / "replications.parquet")
    b = b[b.scenario == a.scenario.iloc[0]]
    assert a["total_cost"].tolist() == b["total_cost"].tolist()


def test_rerunning_into_the_same_folder_replaces_the_results(tmp_path):
    out = tmp_path / "again"
    for _ in range(2):
        proc = mhsim("run", str(SCENARIOS / "baseline.yaml"), *SMALL, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
    assert len(pd.read_parquet(out / "replications.parquet")) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_an_interrupted_run_leaves_no_output_behind(tmp_path):
    out = tmp_path / "never"
    proc = subprocess.Popen([*MHSIM, "run", str(SCENARIOS / "baseline.yaml"), "--reps", "50", "--years", "10",
                             "--scale", "0.2", "--workers", "1", "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert not out.exists()
    assert not list(tmp_path.iterdir())
    assert "Traceback" not in stderr
