"""PSA worth reading (issue 14, items 4 and 6): truncated sampling, the calibration ensemble drawn whole,
payer and cost-effectiveness probabilities, EVPI/EVPPI, where the preferred decision switches, Monte
Carlo noise, and comparisons that name the assumption a verdict depends on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.calibration import FITTED
from simulation.sensitivity import build_psa, load_sweep, psa_noise, psa_results
from simulation.sweep import Arm, Factor, SweepSpec, SweepStore, design_hash, make_design, run_sweep, spec_from_dict
from simulation import voi

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def mhsim(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=ENV)


# ---------------------------------------------------------------------------
# Sampling


def test_a_declared_distribution_is_sampled_truncated_to_its_range_with_its_shape():
    dist = {"type": "lognormal", "mean_log": 0.0, "sd_log": 0.5}
    f = Factor("x", 0.8, 1.5, distribution=dist, unit="multiplier")
    u = np.random.default_rng(4).random(4000)
    x = f.values(u)
    assert x.min() >= 0.8 and x.max() <= 1.5
    assert np.mean(x == 0.8) + np.mean(x == 1.5) < 0.001     # not clipped: no lumps at the ends
    frozen = stats.lognorm(0.5, scale=1.0)
    lo, hi = frozen.cdf(0.8), frozen.cdf(1.5)
    truncated_cdf = lambda v: (frozen.cdf(v) - lo) / (hi - lo)  # noqa: E731
    assert stats.kstest(x, truncated_cdf).pvalue > 0.01        # the declared shape inside the range
    assert stats.kstest(x, stats.uniform(0.8, 0.7).cdf).pvalue < 1e-6   # and not flat across it
    assert f.value(0.5) == pytest.approx(frozen.ppf(lo + 0.5 * (hi - lo)))


def _ensemble_file(tmp: Path, baseline, members: int = 3) -> tuple[Path, pd.DataFrame]:
    rows = []
    for k in range(members):   # distinct members inside each declared range
        share = (k + 1) / (members + 1)
        rows.append({p: (baseline.params[p].low + share * (baseline.params[p].high - baseline.params[p].low)) for p in FITTED})
    frame = pd.DataFrame(rows)
    frame["population.referrals_per_year"] = frame["population.referrals_per_year"].round()
    path = tmp / "ensemble.csv"
    frame.assign(distance=range(members)).to_csv(path, index=False)
    return path, frame


def test_the_ensemble_gives_each_sample_one_whole_member_and_changes_the_hash(baseline, tmp_path):
    path, members = _ensemble_file(tmp_path, baseline)
    files = [SCENARIOS / "baseline.yaml", SCENARIOS / "close_day_centre.yaml"]
    spec, _, problems = build_psa(files, 60, 1, 3, 1.0, None, None, "twin", path)
    assert not problems and spec.ensemble_paths == tuple(FITTED) and len(spec.ensemble) == 3
    design = make_design(spec)
    fitted = design[["param." + p for p in FITTED]].to_numpy()
    chosen = members[list(FITTED)].to_numpy()[design["member"].to_numpy()]
    assert np.allclose(fitted, chosen)                          # every fitted column from the same member
    assert design["member"].nunique() == 3                      # members drawn uniformly: all three appear
    plain, _, _ = build_psa(files, 60, 1, 3, 1.0, None, None, "twin", None)
    plain_design = make_design(plain)
    other = [c for c in design.columns if c.startswith("param.") and c[6:] not in FITTED]
    assert design[other].equals(plain_design[other])            # the other parameters' draws are unchanged
    assert design_hash(spec, design) != design_hash(plain, plain_design)
    assert "ensemble" not in plain.as_dict()                    # sweeps without one hash as before
    assert spec_from_dict(json.loads(json.dumps(spec.as_dict()))) == spec
    bad = tmp_path / "bad.csv"
    members.drop(columns=[FITTED[0]]).to_csv(bad, index=False)
    assert build_psa(files, 10, 1, 3, 1.0, None, None, "twin", bad)[2]


# ---------------------------------------------------------------------------
# Probabilities and noise on a constructed PSA with known answers


class Decision:
    """s1 against s0: NHS cost changes by 100 (x - 0.3), the council's by 10 (0.8 - x),
    QALYs by 0.01 (x - 0.5);
    with ``noise`` each replication adds a shared disturbance of that size to s1's NHS cost."""

    def __init__(self, noise: float = 0.0):
        self.noise = noise

    def __call__(self, values, seed, rep):
        x = values["x"]
        shock = self.noise * (1 if rep % 2 else -1)
        return {"s0.cost_nhs": 1000.0, "s0.cost_council": 500.0, "s0.total_cost": 1500.0, "s0.qalys": 10.0,
                "s1.cost_nhs": 1000.0 + 100 * (x - 0.3) + shock, "s1.cost_council": 500.0 + 10 * (0.8 - x),
                "s1.total_cost": 1500.0, "s1.qalys": 10.0 + 0.01 * (x - 0.5)}


def _psa_store(tmp: Path, model, reps: int = 1, samples: int = 300):
    spec = SweepSpec("psa", "psa", (Factor("x", 0.0, 1.0), Factor("y", 0.0, 1.0)),
                     (Arm("s0", "Reference", "", ""), Arm("s1", "Decision", "", "")), samples, reps, 7, 1.0, 1.0, 0.0,
                     oneway=False)
    d = make_design(spec)
    store = SweepStore(tmp)
    store.create(spec, d, design_hash(spec, d), "test")
    run_sweep(store, model, workers=1)
    return load_sweep(tmp)


def test_payer_and_cost_effectiveness_probabilities_match_the_constructed_answer(tmp_path):
    data = _psa_store(tmp_path, Decision())
    x = data.design.sort_values("point")["param.x"].to_numpy()
    best = psa_results(data).best.set_index("scenario")
    row = best.loc["Decision"]
    assert row["probability_saves_nhs"] == pytest.approx(np.mean(x < 0.3))
    assert row["probability_saves_council"] == pytest.approx(np.mean(x > 0.8))
    hc = 100 * (x - 0.3) + 10 * (0.8 - x)                     # 90 x - 22: saves below x = 0.244
    assert row["probability_saves_health_and_care"] == pytest.approx(np.mean(hc < 0))
    for lam in (20_000, 30_000):
        assert row[f"probability_cost_effective_{lam}"] == pytest.approx(np.mean(lam * 0.01 * (x - 0.5) - hc > 0))
    assert 0 < row["probability_saves_nhs"] < 1 and 0 < row["probability_cost_effective_20000"] < 1
    assert best.loc["Reference"][["probability_saves_nhs", "probability_cost_effective_30000"]].isna().all()
    assert {"probability_best_20000", "mean_net_benefit_30000"} <= set(best.columns)   # the existing columns stay


def test_replications_are_averaged_and_their_noise_share_reported(tmp_path):
    quiet = psa_results(_psa_store(tmp_path / "quiet", Decision(), reps=2, samples=60))
    noisy_data = _psa_store(tmp_path / "noisy", Decision(noise=40.0), reps=2, samples=60)
    noisy = psa_results(noisy_data)
    # the shock cancels over the two replications: the plane of sample means is the noise-free one
    assert np.allclose(noisy.plane["delta_cost"], quiet.plane["delta_cost"])
    share = psa_noise(noisy_data).set_index("quantity").loc["delta_cost"]
    assert 0.3 < share["noise_share"] < 1 and share["replications"] == 2
    assert psa_noise(_psa_store(tmp_path / "one", Decision(), reps=1, samples=10))["noise_share"].isna().all()


# ---------------------------------------------------------------------------
# EVPI, EVPPI and thresholds on constructed net benefits


def _constructed(n: int = 400, seed: int = 2):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"decides": rng.random(n), "inert": rng.random(n), "also_inert": rng.random(n)})
    dq = np.zeros(n)
    dc = 1000.0 * (x["decides"].to_numpy() - 0.35)           # the decision saves money below 0.35
    return x, voi.Increments(["Decision"], "Reference", dq[None, :], dc[None, :])


def test_evppi_is_near_zero_for_an_inert_parameter_and_near_evpi_for_the_deciding_one():
    x, inc = _constructed()
    found = voi.value_of_information(x, inc, groups={"both inert": ["inert", "also_inert"],
                                                     "with the decider": ["decides", "inert"]})
    table = found.evppi[found.evppi["threshold"] == 20_000].set_index("parameter_or_group")
    total = table.loc["all parameters", "evpi"]
    expected = np.mean(np.maximum(0, -inc.dc[0])) - max(0.0, -inc.dc[0].mean())
    assert total == pytest.approx(expected) and total > 10
    assert table.loc["decides", "evppi"] == pytest.approx(total, rel=0.03)
    assert table.loc["inert", "evppi"] < 0.03 * total
    assert table.loc["with the decider", "evppi"] == pytest.approx(total, rel=0.05)
    assert table.loc["both inert", "evppi"] < 0.05 * total
    assert set(table["kind"]) == {"all", "parameter", "group"}
    assert (table["share_of_evpi"] <= 1.05).all()


def test_the_switching_value_is_found_on_a_linear_case_and_none_where_nothing_switches():
    x, inc = _constructed()
    found = voi.value_of_information(x, inc)
    factors = [Factor("decides", 0.0, 1.0, base=0.5, label="Decides"), Factor("inert", 0.0, 1.0), Factor("also_inert", 0.0, 1.0)]
    t = voi.thresholds(found, inc, factors, top=3)
    at = t[t["threshold_wtp"] == 20_000].set_index("parameter")
    assert at.loc["decides", "switch_value"] == pytest.approx(0.35, abs=0.02)
    assert at.loc["decides", "preferred_below"] == "Decision" and at.loc["decides", "preferred_above"] == "Reference"
    assert pd.isna(at.loc["inert", "switch_value"])
    assert at.loc["inert", "preferred_below"] == at.loc["inert", "preferred_above"]
    assert {"parameter", "label", "threshold_wtp", "preferred_below", "preferred_above", "switch_value", "low", "high",
            "base"} <= set(t.columns)


def test_parameter_groups_come_from_the_paths():
    paths = ["services.day_centre.effect_on_recovery", "services.day_centre.effect_on_work", "quality_of_life.recovered",
             "services.day_centre.quality_of_life_gain", "costs.suicide", "services.day_centre.block_cost_per_year",
             "crisis.rate_per_year_moderate", "suicide.rate_per_year"]
    groups = voi.parameter_groups(paths, ["crisis.rate_per_year_moderate", "suicide.rate_per_year"])
    assert groups["effects of day centre"] == paths[:2]
    assert set(groups["quality of life"]) == {paths[2], paths[3]}
    assert set(groups["costs, prices and payer shares"]) == {"costs.suicide", "services.day_centre.block_cost_per_year"}
    assert groups["fitted baseline rates"] == ["crisis.rate_per_year_moderate", "suicide.rate_per_year"]


# ---------------------------------------------------------------------------
# The commands


def test_psa_on_the_twin_writes_probabilities_evppi_and_thresholds(tmp_path):
    out = tmp_path / "psa"
    r = mhsim("psa", SCENARIOS / "baseline.yaml", SCENARIOS / "close_day_centre.yaml", "--engine", "twin", "--samples", "12",
              "--years", "1", "--no-ensemble", "--no-png", "--workers", "2", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "mean-field" in r.stdout and "Saves the NHS" in r.stdout and "Value of information" in r.stdout
    best = pd.read_csv(out / "psa-best.csv")
    assert {"probability_saves_nhs", "probability_saves_council", "probability_saves_health_and_care",
            "probability_cost_effective_20000", "probability_cost_effective_30000", "probability_best_20000"} <= set(best.columns)
    evppi = pd.read_csv(out / "psa-evppi.csv")
    assert {"parameter_or_group", "kind", "threshold", "evppi", "share_of_evpi"} <= set(evppi.columns)
    assert set(evppi["kind"]) == {"all", "group", "parameter"} and set(evppi["threshold"]) == {20_000, 30_000}
    assert (evppi["evppi"] >= 0).all()
    assert (out / "psa-thresholds.csv").exists() and (out / "psa-noise.csv").exists()
    data = load_sweep(out)
    assert data.spec.engine == "twin" and data.spec.scale == 1.0 and not data.spec.ensemble_paths
    bad = mhsim("psa", SCENARIOS / "baseline.yaml", SCENARIOS / "close_day_centre.yaml", "--engine", "twin", "--reps", "3",
                "--out", tmp_path / "bad")
    assert bad.returncode == 2 and "deterministic" in bad.stderr
    both = mhsim("psa", SCENARIOS / "baseline.yaml", SCENARIOS / "close_day_centre.yaml", "--ensemble", tmp_path / "x.csv",
                 "--no-ensemble", "--out", tmp_path / "bad")
    assert both.returncode == 2 and "not both" in both.stderr


def _fake_psa(folder: Path, reference: str, decision: str, switch: float | None) -> Path:
    folder.mkdir()
    (folder / "sweep-manifest.json").write_text(json.dumps({"spec": {"arms": [{"label": reference}, {"label": decision}]}}))
    rows = [{"metric": "nmb_20k", "parameter": "services.day_centre.effect_on_recovery", "label": "Day centre effect on recovery",
             "scenario": decision, "reference": reference, "threshold_wtp": 20000, "preferred_below": decision,
             "preferred_above": reference if switch is not None else decision, "switch_value": switch,
             "low": 0.7, "high": 1.3, "base": 1.0}]
    pd.DataFrame(rows).to_csv(folder / "psa-thresholds.csv", index=False)
    return folder


def test_assumption_notes_name_the_parameter_and_the_switching_value():
    from simulation.assumptions import assumption_notes

    t = pd.DataFrame([{"metric": "nmb_30k", "parameter": "a.b", "label": "A b", "scenario": "Close", "threshold_wtp": 30000,
                       "preferred_below": "Close", "preferred_above": "Keep", "switch_value": 1.12, "low": 0.7, "high": 1.3},
                      {"metric": "nmb_20k", "parameter": "c.d", "label": "C d", "scenario": "Close", "threshold_wtp": 20000,
                       "preferred_below": "Close", "preferred_above": "Close", "switch_value": None, "low": 0.0, "high": 1.0}])
    notes = assumption_notes(t, {"Close": "Close (shown)"})
    assert set(notes) == {("Close (shown)", "nmb_30k")}
    assert "a.b" in notes[("Close (shown)", "nmb_30k")] and "1.12" in notes[("Close (shown)", "nmb_30k")]


def test_compare_with_assumptions_notes_the_verdicts_that_depend_on_one(tmp_path):
    base, alt = "Baseline (Essex, autumn 2015)", "Close the day centre"
    psa_dir = _fake_psa(tmp_path / "psa", base, alt, 1.12)
    out = tmp_path / "cmp"
    r = mhsim("compare", SCENARIOS / "baseline.yaml", SCENARIOS / "close_day_centre.yaml", "--reps", "2", "--years", "1",
              "--scale", "0.02", "--workers", "2", "--out", out, "--assumptions", psa_dir)
    assert r.returncode == 0, r.stderr
    assert "Depends on a declared assumption" in r.stdout and "services.day_centre.effect_on_recovery" in r.stdout
    cmp = pd.read_csv(out / "comparison.csv", keep_default_na=False)
    noted = cmp[cmp["depends_on"] != ""]
    assert list(noted["metric"]) == ["nmb_20k"] and "1.12" in noted["depends_on"].iloc[0]
    wrong = _fake_psa(tmp_path / "other", "Someone else", alt, 1.12)
    refused = mhsim("compare", SCENARIOS / "baseline.yaml", SCENARIOS / "close_day_centre.yaml", "--reps", "2", "--years", "1",
                    "--scale", "0.02", "--out", tmp_path / "cmp2", "--assumptions", wrong)
    assert refused.returncode == 2 and "reference" in refused.stderr
