"""Sensitivity analysis and PSA: Morris and the tornado on functions with known answers,
the acceptability curve on a tiny PSA, and ``mhsim sensitivity`` end to end (CSV, HTML, PNG)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.sensitivity import build_psa, load_sweep, morris_indices, probability_best, tornado
from simulation.sweep import Arm, Factor, ScenarioModel, SweepSpec, SweepStore, design_hash, make_design, run_sweep

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def mhsim(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=ENV)


class Linear:
    """y = 2 x1 + 0.5 x2: Morris mu* is the change across each range, sigma is 0."""

    def __call__(self, values, seed, rep):
        return {"y": 2 * values["x1"] + 0.5 * values["x2"]}


def _function_sweep(tmp: Path, design: str, samples: int, model, factors) -> "object":
    spec = SweepSpec("sweep", design, tuple(factors), (Arm("", "function", "", ""),), samples, 1, 5, 1.0, 1.0, 0.0)
    d = make_design(spec)
    store = SweepStore(tmp)
    store.create(spec, d, design_hash(spec, d), "test")
    run_sweep(store, model, workers=1)
    return load_sweep(tmp)


def test_morris_and_tornado_recover_a_linear_function(tmp_path):
    factors = [Factor("x1", 0.0, 10.0), Factor("x2", 0.0, 1.0, base=0.25)]
    data = _function_sweep(tmp_path / "m", "morris", 6, Linear(), factors)
    m = morris_indices(data, "y").set_index("parameter")
    assert m.loc["x1", "mu_star"] == pytest.approx(20.0)
    assert m.loc["x2", "mu_star"] == pytest.approx(0.5)
    assert m["sigma"].abs().max() == pytest.approx(0.0, abs=1e-9)
    t = tornado(data, "y").set_index("parameter")
    # x1 has no declared base: the middle of its range (5); x2's base is 0.25
    assert t.loc["x1", "change_at_low"] == pytest.approx(-10.0) and t.loc["x1", "change_at_high"] == pytest.approx(10.0)
    assert t.loc["x2", "change_at_low"] == pytest.approx(-0.125) and t.loc["x2", "change_at_high"] == pytest.approx(0.375)
    assert list(t.index) == ["x1", "x2"]  # largest swing first


def test_probability_best_adds_up_to_one_even_with_ties():
    nmb = np.array([[1.0, 5.0, 3.0, 2.0], [2.0, 1.0, 3.0, 2.0], [0.0, 0.0, 0.0, 2.0]])
    p = probability_best(nmb)
    assert p == pytest.approx([(0 + 1 + 0.5 + 1 / 3) / 4, (1 + 0 + 0.5 + 1 / 3) / 4, (1 / 3) / 4])
    assert p.sum() == pytest.approx(1.0)


def test_psa_samples_every_declared_range_and_keeps_each_scenarios_decisions(baseline, monkeypatch, tmp_path):
    decision = tmp_path / "more_training.yaml"
    decision.write_text(f"name: More training\nextends: {SCENARIOS / 'baseline.yaml'}\n"
                        "parameters:\n  programmes.zero_suicide.trainees_per_year: 120\n  services.day_centre.places: 300\n")
    files = [SCENARIOS / "baseline.yaml", decision]
    spec, scenarios, problems = build_psa(files, 50, 1, 3, 1.0, 0.02, None)
    assert not problems
    uncertain = {p for p, s in baseline.params.items() if s.low is not None and s.high is not None and s.high > s.low}
    assert {f.path for f in spec.factors} == uncertain
    assert "prices.index_2024" not in uncertain  # declared 1 to 1: fixed
    design = make_design(spec)
    for f in spec.factors:
        col = design["param." + f.path]
        assert col.between(f.low, f.high).all(), f.path
        if f.integer:
            assert (col == col.round()).all()
    assert design["param.population.carer_share"].std() > 0.05  # really sampled
    decided = set(scenarios[1].overrides)
    assert decided == {"programmes.zero_suicide.trainees_per_year", "services.day_centre.places"} and spec.arms[1].fixed_paths == tuple(sorted(decided)) and spec.arms[0].fixed_paths == ()
    seen = []
    import simulation.experiment as experiment

    monkeypatch.setattr(experiment, "run_replication", lambda sc, *a, **k: seen.append(sc) or type("R", (), {"metrics": {"x": 1.0}})())
    values = dict(zip([f.path for f in spec.factors], design.iloc[0][["param." + f.path for f in spec.factors]]))
    ScenarioModel(spec, scenarios)(values, 3, 0)
    base_run, alt_run = seen
    for path in decided & set(values):
        assert alt_run.params[path].value == scenarios[1].params[path].value  # the decision stands
        assert base_run.params[path].value == pytest.approx(values[path])     # the baseline's value is uncertain
    shared = next(p for p in values if p not in decided)
    assert base_run.params[shared].value == pytest.approx(alt_run.params[shared].value) == pytest.approx(values[shared])


def test_tiny_psa_gives_a_valid_acceptability_curve(tmp_path):
    out = tmp_path / "psa"
    result = mhsim("psa", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "close_day_centre.yaml"),
                   str(SCENARIOS / "reopen_recovery_college.yaml"), "--samples", "8", "--reps", "1", "--years", "1",
                   "--scale", "0.02", "--workers", "2", "--no-png", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Best at £20,000/QALY" in result.stdout
    ceac = pd.read_csv(out / "psa-ceac.csv")
    assert ceac["probability_best"].between(0, 1).all()
    sums = ceac.groupby("threshold")["probability_best"].sum()
    assert np.allclose(sums, 1.0)
    assert {20000.0, 30000.0} <= set(ceac["threshold"]) and ceac["scenario"].nunique() == 3
    best = pd.read_csv(out / "psa-best.csv")
    for lam in (20000, 30000):
        assert best[f"probability_best_{lam}"].sum() == pytest.approx(1.0)
        at = ceac[ceac["threshold"] == lam].set_index("scenario")["probability_best"]
        assert np.allclose(best.set_index("scenario")[f"probability_best_{lam}"].loc[at.index], at)
    plane = pd.read_csv(out / "psa-plane.csv")
    assert len(plane) == 8 * 3
    assert (plane[plane["scenario"] == plane["scenario"].iloc[0]]["delta_cost"] == 0).all()  # against the first scenario
    assert (out / "psa-ceac.html").stat().st_size > 100_000  # plotly.js embedded: opens offline
    # every sample ran under each scenario with the same sampled values
    rows = SweepStore(out).rows()
    assert len(rows) == 8 and {"s0.total_cost", "s1.total_cost", "s2.total_cost"} <= set(rows.columns)


def test_sensitivity_command_writes_sobol_morris_and_tornado(tmp_path):
    common = ["--vary", "population.carer_share=0.25:0.6", "--vary", "services.day_centre.effect_on_crisis",
              "--vary", "crisis.rate_per_year_moderate", "--reps", "2", "--years", "1", "--scale", "0.02", "--workers", "2"]
    sobol_dir, morris_dir = tmp_path / "sobol", tmp_path / "morris"
    for design, samples, out in (("sobol", "8", sobol_dir), ("morris", "3", morris_dir)):
        r = mhsim("sweep", str(SCENARIOS / "baseline.yaml"), "--design", design, "--samples", samples, *common, "--out", str(out))
        assert r.returncode == 0, r.stderr
    report = tmp_path / "report"
    r = mhsim("sensitivity", str(sobol_dir), str(morris_dir), "--metric", "crisis_episodes", "--out", str(report))
    assert r.returncode == 0, r.stderr
    assert "one parameter at a time" in r.stdout
    assert "Morris screening" in r.stdout or "Morris indices withheld: replication noise" in r.stderr
    sobol = pd.read_csv(report / "sobol.csv", keep_default_na=False, na_values=["", "nan", "NaN"])
    assert set(sobol["parameter"]) == {"population.carer_share", "services.day_centre.effect_on_crisis", "crisis.rate_per_year_moderate"}
    assert {"S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high", "noise_ratio", "withheld", "flag"} <= set(sobol.columns)
    noise = float(sobol["noise_ratio"].iloc[0])
    if noise > 0.1:   # chance rivals the parameters: no index is printed, and the reason is
        assert sobol["ST"].isna().all() and sobol["withheld"].str.contains("replication noise").all()
        assert "Sobol indices withheld" in r.stderr
    else:
        assert (sobol["S1_low"] <= sobol["S1"]).all() and (sobol["ST"] <= sobol["ST_high"]).all()
        # the crisis rate drives crises: it leads the total-order ranking
        assert sobol.sort_values("ST", ascending=False)["parameter"].iloc[0] == "crisis.rate_per_year_moderate"
    morris = pd.read_csv(report / "morris.csv", keep_default_na=False, na_values=["", "nan", "NaN"])
    if float(morris["noise_ratio"].iloc[0]) <= 0.1:
        assert morris.sort_values("mu_star", ascending=False)["parameter"].iloc[0] == "crisis.rate_per_year_moderate"
        assert (morris["mu_star"] >= 0).all() and (morris["sigma"] >= 0).all()
    tornado_table = pd.read_csv(report / "tornado.csv")
    assert tornado_table["sweep"].nunique() == 2  # a tornado from each sweep
    crisis = tornado_table[tornado_table["parameter"] == "crisis.rate_per_year_moderate"].iloc[0]
    assert crisis["change_at_low"] < 0 < crisis["change_at_high"]  # fewer crises at a lower crisis rate
    for name in ("tornado-crisis_episodes",):
        assert (report / f"{name}.html").exists()
        png = (report / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    # an unfinished or unknown folder, and an unknown metric, are refused
    bad = mhsim("sensitivity", str(tmp_path / "nothing"))
    assert bad.returncode == 2 and "is not a sweep folder" in bad.stderr
    bad = mhsim("sensitivity", str(sobol_dir), "--metric", "crisis_episode", "--no-png")
    assert bad.returncode == 2 and "did you mean 'crisis_episodes'" in bad.stderr
    bad = mhsim("sensitivity", str(sobol_dir), "--metric", "param.population.carer_share", "--no-png")
    assert bad.returncode == 2 and "inputs, not its outcomes" in bad.stderr and "did you mean" not in bad.stderr


def test_noise_ratio_compares_replication_noise_with_the_spread_between_points():
    from simulation.sensitivity import SweepData, noise_ratio

    spec = SweepSpec("sweep", "lhs", (Factor("x", 0.0, 1.0),), (Arm("", "f", "", ""),), 3, 2, 1, 1.0, 1.0, 0.0, oneway=False)
    design = pd.DataFrame({"point": [0, 1, 2], "block": ["lhs"] * 3})
    # point means 0, 1, 2 (variance 1); replications +-a around them (within variance 2 a^2, over 2 reps: a^2)
    for a, expected in ((0.0, 0.0), (0.5, 0.25), (2.0, 4.0)):
        rows = pd.DataFrame({"point": [0, 0, 1, 1, 2, 2], "replication": [0, 1] * 3,
                             "y": [p + s * a for p in (0, 1, 2) for s in (-1, 1)]})
        assert noise_ratio(SweepData(Path("."), spec, {}, design, rows), "y", [0, 1, 2]) == pytest.approx(expected)


class Noisy:
    """y = x1 + 0.2 x2, plus replication noise of a chosen size (the same at every point)."""

    def __init__(self, noise: float):
        self.noise = noise

    def __call__(self, values, seed, rep):
        return {"y": values["x1"] + 0.2 * values["x2"] + self.noise * (1 if rep % 2 else -1)}


class Flat:
    """An output no parameter moves (a count a small run never sees change)."""

    def __call__(self, values, seed, rep):
        return {"y": 3.0}


def _noisy_sobol(tmp: Path, noise: float, reps: int = 2, samples: int = 16, model=None):
    factors = (Factor("x1", 0.0, 1.0), Factor("x2", 0.0, 1.0))
    spec = SweepSpec("sweep", "sobol", factors, (Arm("", "function", "", ""),), samples, reps, 5, 1.0, 1.0, 0.0, oneway=False)
    d = make_design(spec)
    store = SweepStore(tmp)
    store.create(spec, d, design_hash(spec, d), "test")
    run_sweep(store, model or Noisy(noise), workers=1)
    return load_sweep(tmp)


def test_sobol_indices_are_withheld_with_the_reason_when_noise_rivals_the_spread(tmp_path):
    from simulation.sensitivity import sobol_indices

    quiet = sobol_indices(_noisy_sobol(tmp_path / "quiet", 0.0), "y").set_index("parameter")
    assert (quiet["withheld"] == "").all() and quiet["noise_ratio"].max() == 0.0
    assert quiet.loc["x1", "ST"] > 0.8 > 0.2 > quiet.loc["x2", "ST"] > 0.0
    loud = sobol_indices(_noisy_sobol(tmp_path / "loud", 0.3), "y")
    assert (loud["noise_ratio"] > 0.1).all()
    assert loud["ST"].isna().all() and loud["S1"].isna().all()
    assert loud["withheld"].str.contains("replication noise is").all()
    assert loud["ST_at_half_N"].isna().all()      # the convergence check of withheld indices is withheld too
    one_rep = sobol_indices(_noisy_sobol(tmp_path / "one", 0.0, reps=1), "y")
    assert one_rep["ST"].notna().all() and one_rep["flag"].str.contains("noise not measured").all()


def test_indices_of_an_output_that_never_varies_are_withheld_not_reported_as_zero(tmp_path):
    from simulation.sensitivity import index_warnings, sobol_indices

    flat = sobol_indices(_noisy_sobol(tmp_path / "flat", 0.0, model=Flat()), "y")
    assert flat[["S1", "ST", "ST_at_half_N"]].isna().all().all()
    assert flat["withheld"].str.contains("the same at every point").all()
    assert any("the same at every point" in w for w in index_warnings(flat))


def test_a_total_index_outside_zero_to_one_is_flagged(tmp_path, monkeypatch):
    import simulation.sensitivity as S

    data = _noisy_sobol(tmp_path / "q", 0.0)
    real = S._sobol

    def impossible(d, y, n):
        out = dict(real(d, y, n))
        out["ST"] = np.array([1.12, 0.05])
        return out

    monkeypatch.setattr(S, "_sobol", impossible)
    table = S.sobol_indices(data, "y").set_index("parameter")
    assert "outside 0 to 1" in table.loc["x1", "flag"] and "outside" not in table.loc["x2", "flag"]


def test_impossible_indices_beyond_their_noise_are_flagged_and_the_warning_goes_with_the_figure():
    from dashboard.sweep_figures import sobol_figure
    from simulation.sensitivity import impossible_index_flags, index_warnings

    assert impossible_index_flags(0.2, 0.1, 0.3, 1.3, 1.1, 1.5)[0].startswith("impossible: total index 1.30")
    assert impossible_index_flags(0.2, 0.1, 0.3, -0.3, -0.5, -0.1)[0].startswith("impossible: total index -0.30")
    assert "within its noise" in impossible_index_flags(0.2, 0.1, 0.3, 1.05, 0.9, 1.2)[0]
    both = " | ".join(impossible_index_flags(1.55, 1.2, 1.9, 0.87, 0.7, 1.0))
    assert "first-order index 1.55 is above the total 0.87" in both
    assert "impossible: first-order index 1.55 (95% interval 1.20 to 1.90) is outside 0 to 1" in both
    # a first-order index past 1 within its noise is flagged too (read as 1), one that prints as 0.00 is not
    assert "first-order index 1.07 is outside 0 to 1, within its noise" in impossible_index_flags(1.07, 0.9, 1.2, 1.0, 0.9, 1.1)[0]
    assert impossible_index_flags(-0.001, -0.05, 0.05, 0.01, 0.0, 0.02) == []
    assert impossible_index_flags(0.3, 0.2, 0.4, 0.5, 0.4, 0.6) == []
    # a parameter that explains nothing: a hundredth below 0, with a narrow interval, is an index of 0
    assert impossible_index_flags(-0.008, -0.009, -0.007, 0.0003, 0.0002, 0.0004) == []
    assert impossible_index_flags(-0.08, -0.09, -0.07, 0.0003, 0.0002, 0.0004)[0].startswith("impossible: first-order")
    # each flag is one clause: the report splits a row's flags at '; '
    assert all("; " not in f for f in impossible_index_flags(1.55, 1.2, 1.9, 0.87, 0.7, 1.0))
    row = {"metric": "crisis_episodes", "parameter": "a", "label": "Crises a year", "S1": 1.55, "S1_low": 1.2, "S1_high": 1.9,
           "ST": 0.87, "ST_low": 0.7, "ST_high": 1.0, "N": 8, "noise_ratio": 0.3, "withheld": "",
           "flag": "; ".join(impossible_index_flags(1.55, 1.2, 1.9, 0.87, 0.7, 1.0))}
    table = pd.DataFrame([row])
    words = index_warnings(table)
    assert any("noise is 0.30" in w for w in words) and any("Only 8 base samples" in w for w in words)
    assert any(w.startswith("Crises a year: impossible") for w in words)
    fig = sobol_figure(table, "crisis_episodes")
    text = " ".join(a.text for a in fig.layout.annotations)
    assert "impossible" in text and "Only 8 base samples" in text


def test_sobol_convergence_is_reported_by_halving_the_base_samples(tmp_path):
    from simulation.sensitivity import sobol_indices

    table = sobol_indices(_noisy_sobol(tmp_path / "c", 0.0, samples=64), "y")
    assert (table["N"] == 64).all()
    assert table["ST_at_half_N"].notna().all()
    assert (table["ST_change_from_half_N"] == (table["ST"] - table["ST_at_half_N"]).abs()).all()
    assert table["ST_change_from_half_N"].max() < 0.1


def test_an_index_that_moves_when_the_samples_are_halved_is_flagged_not_converged():
    from simulation.sensitivity import CONVERGED, convergence_flag

    assert convergence_flag(0.98, 0.56).startswith("not converged: the total index moved 0.42")
    assert convergence_flag(0.907, 0.905) == "" and convergence_flag(0.5, 0.5 + CONVERGED / 2) == ""
    assert convergence_flag(0.5, float("nan")) == ""          # too few samples to halve: no verdict
    assert "; " not in convergence_flag(0.98, 0.56)


def test_decision_metrics_are_added_for_every_arm_and_the_difference():
    from simulation.sensitivity import with_decision_metrics

    rows = pd.DataFrame({"cost_nhs": [10.0], "cost_council": [5.0], "qalys": [1.0],
                         "delta.cost_nhs": [-2.0], "delta.cost_council": [1.0], "delta.qalys": [-0.001]})
    out = with_decision_metrics(rows)
    assert out["cost_nhs_and_council"][0] == 15.0 and out["delta.cost_nhs_and_council"][0] == -1.0
    assert out["delta.net_benefit_20000"][0] == pytest.approx(-20.0 + 1.0)
    assert out["net_benefit_30000"][0] == pytest.approx(30_000 - 15.0)


def test_a_twin_sweep_gives_noise_free_sobol_indices_that_find_the_driver(tmp_path):
    """The twin engine: one deterministic run per point, no noise, indices inside [0, 1] and the crisis rate driving crises."""
    from simulation.sensitivity import sobol_indices

    out = tmp_path / "twin"
    r = mhsim("sweep", str(SCENARIOS / "baseline.yaml"), "--engine", "twin", "--design", "sobol", "--samples", "8",
              "--vary", "crisis.rate_per_year_moderate", "--vary", "services.day_centre.effect_on_crisis",
              "--years", "1", "--no-oneway", "--workers", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "mean-field twin" in r.stdout
    data = load_sweep(out)
    assert data.spec.engine == "twin" and data.spec.reps == 1 and data.spec.scale == 1.0
    table = sobol_indices(data, "crisis_episodes").set_index("parameter")
    assert (table["noise_ratio"] == 0).all() and (table["withheld"] == "").all()
    assert table.loc["crisis.rate_per_year_moderate", "ST"] > 0.9 > 0.05 > table.loc["services.day_centre.effect_on_crisis", "ST"]
    outside = ~table["ST"].between(0, 1)     # eight base samples are few: an estimate past 1 must be flagged
    assert (table.loc[outside, "flag"].str.contains("outside")).all()
    bad = mhsim("sweep", str(SCENARIOS / "baseline.yaml"), "--engine", "twin", "--reps", "3", "--vary",
                "crisis.rate_per_year_moderate", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "the twin is deterministic" in bad.stderr
    scaled = mhsim("sweep", str(SCENARIOS / "baseline.yaml"), "--engine", "twin", "--scale", "0.05", "--vary",
                   "crisis.rate_per_year_moderate", "--out", str(tmp_path / "scaled"))
    assert scaled.returncode == 2 and "the twin is the whole county" in scaled.stderr and "0.05" in scaled.stderr
    assert not (tmp_path / "scaled").exists() and not (tmp_path / "bad").exists()


def _render(tables) -> str:
    from rich.console import Console

    console = Console(width=200, record=True)
    for t in tables:
        console.print(t)
    return " ".join(console.export_text().split())


def _tornado_rows(sweep: str, reps: int, scale: float = 1.0) -> list[dict]:
    return [{"metric": "delta.cost_council", "parameter": "services.day_centre.places", "label": "Day centre places",
             "unit": "places", "base_value": 120, "low": 60, "high": 180, "base_mean": 61_737.0 * scale,
             "change_at_low": -2_607.0 * scale, "change_at_low_ci_low": -3_000.0 * scale, "change_at_low_ci_high": -2_200.0 * scale,
             "change_at_high": 42.0 * scale, "change_at_high_ci_low": -400.0 * scale, "change_at_high_ci_high": 480.0 * scale,
             "swing": 2_649.0 * scale, "replications": reps, "sweep": sweep}]


def test_tornado_tables_show_small_money_in_pounds_intervals_when_replicated_and_each_sweep_apart():
    import pandas as pd

    from simulation.cli_tables import tornado_tables

    twin = _render(tornado_tables(pd.DataFrame(_tornado_rows("a", 1))))
    assert "-£2,607" in twin and "+£42" in twin and "£0m" not in twin     # not '£0m' for every cell
    assert "Change in cost to the council" in twin and "(-£3,000" not in twin   # one run: no interval
    sim = _render(tornado_tables(pd.DataFrame(_tornado_rows("a", 5, scale=100.0))))
    assert "-£0.26m (-£0.30m to -£0.22m)" in sim and "paired changes with 95% intervals" in sim
    both = _render(tornado_tables(pd.DataFrame(_tornado_rows("first-sweep", 1) + _tornado_rows("second-sweep", 1))))
    assert "first-sweep: Change in cost to the council" in both and "second-sweep: Change in cost to the council" in both
    assert both.count("Day centre places") == 2      # one row in each sweep's own table


def test_the_decision_columns_a_sweep_adds_are_named_and_priced():
    from dashboard.sweep_figures import metric_words

    assert metric_words("delta.cost_nhs_and_council") == ("Change in cost to health and care (NHS and council)", "£")
    assert metric_words("delta.net_benefit_20000")[1] == "£"
