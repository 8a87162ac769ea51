"""Hostile files, numbers that overflow, and results that are never half-written (issue 13).

Each test names the probe of the security review (``shared/reviews/security.md``,
F1-F15) or the defect of the feature audit it covers. Commands run as the
user runs them (a subprocess); every simulation is tiny.
"""

from __future__ import annotations

import errno
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulation.errors import InputError
from simulation.experiment import Interval, RunPlan, run_experiment, verdict
from simulation.parameters import MONEY_PREFIX, UNITS
from simulation.results import OUTPUT_FILES, ResultError, clean_leftovers, file_checksum, write_outputs
from simulation.scenario import MAX_ACTIONS, MAX_PROBLEMS, load_scenario, load_scenarios

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
MHSIM = Path(sys.executable).with_name("mhsim")
TINY = ("--reps", "2", "--scale", "0.02", "--years", "1", "--workers", "1")


def mhsim(*args, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([str(MHSIM), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def refused(result: subprocess.CompletedProcess, *needles: str, code: int = 2) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output, output
    for needle in needles:
        assert needle in output, f"{needle!r} not in:\n{output}"


def child(folder: Path, text: str, name: str = "probe.yaml") -> Path:
    path = folder / name
    path.write_text(f"name: probe\nextends: {BASELINE}\n" + textwrap.dedent(text), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# F1: extends follows devices and FIFOs


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_extends_a_device_is_refused_at_once_without_reading_it(tmp_path, target):
    result = mhsim("validate", child(tmp_path, "").as_posix(), cwd=tmp_path)  # the file itself is fine
    assert result.returncode == 0
    path = tmp_path / "dev.yaml"
    path.write_text(f"name: probe\nextends: {target}\n")
    refused(mhsim("validate", path, cwd=tmp_path, timeout=30), "is not a regular file", "character device", "dev.yaml:2")


def test_a_symlink_to_a_device_is_refused(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    path = tmp_path / "link.yaml"
    path.write_text("name: probe\nextends: zero.yaml\n")
    refused(mhsim("validate", path, cwd=tmp_path, timeout=30), "is not a regular file")
    refused(mhsim("validate", tmp_path / "zero.yaml", cwd=tmp_path, timeout=30), "is not a regular file")


def test_a_fifo_is_refused_as_a_file_and_as_extends_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "fifo.yaml")
    refused(mhsim("validate", tmp_path / "fifo.yaml", cwd=tmp_path, timeout=30), "named pipe")
    path = tmp_path / "via.yaml"
    path.write_text("name: probe\nextends: fifo.yaml\n")
    refused(mhsim("validate", path, cwd=tmp_path, timeout=30), "named pipe")


def test_a_file_that_grows_past_its_size_is_read_only_up_to_the_limit(tmp_path, monkeypatch):
    """The limit is on bytes read, not on what the file system reports (st_size)."""
    from simulation import yamlfile

    path = tmp_path / "big.yaml"
    path.write_bytes(b"name: x\n" + b"#" * 5000 + b"\n")
    with pytest.raises(InputError, match="too large"):
        yamlfile.read_yaml_file(path, max_bytes=1000)


def test_extends_naming_a_file_that_is_not_a_scenario_is_one_problem_not_its_lines(tmp_path):
    """F13: a file such as /etc/shadow was echoed line by line as unknown fields."""
    secret = tmp_path / "secret.yaml"
    secret.write_text("".join(f"user{i}: 'hash{i}:1:2:3'\n" for i in range(20)))
    path = child(tmp_path, "").with_name("probe.yaml")
    path.write_text(f"name: probe\nextends: {secret}\n")
    result = mhsim("validate", path, cwd=tmp_path)
    refused(result, "is not a scenario file", "1 problem found")
    assert "hash3" not in result.stderr


# ---------------------------------------------------------------------------
# F4: validation cost


def test_thousands_of_near_miss_names_are_cheap_and_capped(tmp_path, monkeypatch):
    import simulation.scenario as sc

    lines = "".join(f"  services.day_centre.plac{i}: 1\n" for i in range(5766))
    path = child(tmp_path, "parameters:\n" + lines)
    assert 190_000 < path.stat().st_size < 200_000        # fits the dashboard's upload limit
    calls = []
    real = sc._candidates
    monkeypatch.setattr(sc, "_candidates", lambda *a, **k: calls.append(1) or real(*a, **k))
    with pytest.raises(InputError) as caught:
        load_scenarios([path])
    problems = caught.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert "more problems not listed" in problems[-1].message and "5,716" in problems[-1].message
    assert len(calls) <= sc.MAX_SUGGESTIONS


def test_thousands_of_actions_are_refused(tmp_path):
    actions = "".join(f"  - set: {{programmes.zero_suicide.trainees_per_year: {i}}}\n    at: month 1\n" for i in range(MAX_ACTIONS + 1))
    result = mhsim("validate", child(tmp_path, "actions:\n" + actions), cwd=tmp_path)
    refused(result, "too many actions", f"at most {MAX_ACTIONS}")


# ---------------------------------------------------------------------------
# F2 and F10: numbers that exhaust memory or overflow


@pytest.mark.parametrize("path", ["population.in_contact_at_start", "population.recovered_at_start", "population.referrals_per_year"])
def test_populations_of_a_billion_are_refused(tmp_path, path):
    refused(mhsim("validate", child(tmp_path, f"parameters:\n  {path}: 1000000000\n"), cwd=tmp_path), path, "at most")


def test_every_numeric_unit_has_a_finite_upper_limit_and_the_shipped_ranges_fit():
    for name, unit in UNITS.items():
        if unit.kind in ("int", "float"):
            assert unit.maximum is not None and math.isfinite(unit.maximum), name
    for path in sorted(SCENARIOS.glob("*.yaml")) + sorted((ROOT / "sweeps").glob("*.yaml")):
        if path.parent.name == "scenarios":
            load_scenario(path)  # every shipped scenario, with every declared low/high, still validates
    for spec in load_scenario(BASELINE).params.values():
        unit = UNITS[spec.unit]
        for x in (spec.value, spec.low, spec.high):
            if unit.maximum is not None and isinstance(x, (int, float)) and not isinstance(x, bool):
                assert x * 10 <= unit.maximum or spec.unit in ("share", "share per year", "share change", "spread", "utility", "utility change"), spec.path


def test_a_run_too_big_for_a_laptop_is_refused_but_fits_at_a_smaller_scale(tmp_path):
    path = child(tmp_path, "parameters:\n  population.in_contact_at_start: 900000\n  population.recovered_at_start: 900000\n")
    refused(mhsim("validate", path, cwd=tmp_path), "one run would simulate about", "smaller --scale")
    load_scenarios([path], scale=0.02)   # the same file at a fiftieth of the county is fine


def test_money_is_bounded_so_costs_cannot_overflow(tmp_path):
    text = ("parameters:\n  services.day_centre.block_cost_per_year: 1.7e+308\n"
            "  services.peer_support.block_cost_per_year: 1.7e+308\n")
    refused(mhsim("validate", child(tmp_path, text), cwd=tmp_path), "block_cost_per_year", "at most 1,000,000,000")
    for name, unit in UNITS.items():
        if name.startswith(MONEY_PREFIX):
            assert unit.maximum <= 1e9


def test_an_infinite_result_is_an_error_and_never_a_verdict(tmp_path, baseline):
    """F10: an infinite cost increase was labelled 'better'."""
    assert verdict(Interval(math.inf, math.nan, math.nan, math.nan, 2), "lower") == "not a number"
    assert verdict(Interval(math.nan, math.nan, math.nan, math.nan, 5), "higher") == "not a number"
    exp = run_experiment([baseline], RunPlan(seed=1, replications=2, years=0.5, scale=0.01))
    exp.results[exp.labels[0]][0].metrics["total_cost"] = math.inf
    out = tmp_path / "out"
    with pytest.raises(ResultError) as caught:
        write_outputs(exp, out, "run")
    assert "total_cost" in str(caught.value) and "infinite or not a number" in str(caught.value)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_a_zero_width_interval_from_few_replications_is_no_clear_difference():
    """Feature audit defect 3: 2 replications with the same difference were called certain."""
    assert verdict(Interval(-60, -60, -60, 0.0, 2), "lower") == "no clear difference"
    assert verdict(Interval(-60, -60, -60, 0.0, 5), "lower") == "no clear difference"
    assert verdict(Interval(-60, -60, -60, 0.0, 6), "lower") == "better"   # sign test: p = 2 x 0.5^6 < 0.05
    assert verdict(Interval(-60, -70, -50, 5.0, 2), "lower") == "better"


def test_years_written_as_1e9_are_read_as_a_number_and_bounded(tmp_path):
    """F15: YAML 1.1 reads 1e9 as text; it is a number, out of range."""
    result = mhsim("validate", child(tmp_path, "parameters:\n  services.day_centre.places: 1e9\n"), cwd=tmp_path)
    refused(result, "at most 100,000")
    assert mhsim("validate", child(tmp_path, "parameters:\n  services.day_centre.places: 3e2\n"), cwd=tmp_path).returncode == 0


def test_a_month_just_past_the_end_is_shown_as_written(tmp_path):
    result = mhsim("validate", child(tmp_path, "actions:\n  - close: day_centre\n    at: month 120.0001\n"), cwd=tmp_path)
    refused(result, "month 120.0001")


def test_a_far_future_start_date_is_refused(tmp_path):
    """F11: start_date 9999-06-01 broke the dashboard's figures."""
    refused(mhsim("validate", child(tmp_path, "settings:\n  start_date: 9999-06-01\n"), cwd=tmp_path), "settings.start_date", "2100-12-31")


# ---------------------------------------------------------------------------
# F8: markup and terminal control codes in names and paths


@pytest.mark.parametrize("name", ["x [/] y", "[link=file:///etc/passwd]click[/link] [bold red]RED", "\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\u202eevil"])
def test_names_print_as_plain_text_without_control_codes(tmp_path, name):
    path = tmp_path / "named.yaml"
    path.write_text(f"name: {json.dumps(name)}\nextends: {BASELINE}\n", encoding="utf-8")
    result = mhsim("validate", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
    if name.isprintable():
        assert name in result.stdout   # shown as written, not read as markup


def test_a_path_with_markup_in_it_is_validated(tmp_path):
    folder = tmp_path / "x["
    folder.mkdir()
    path = folder / "x[/]y.yaml".replace("/", "_")
    path.write_text(f"name: ok\nextends: {BASELINE}\n")
    result = mhsim("validate", path, cwd=tmp_path)
    assert result.returncode == 0 and "x[/x_]y.yaml" not in result.stdout and "x[" in result.stdout, result.stdout + result.stderr


def test_sweep_and_psa_of_a_scenario_with_markup_in_its_name_finish(tmp_path):
    path = tmp_path / "markup.yaml"
    path.write_text(f"name: 'x [/] y'\nextends: {SCENARIOS / 'close_day_centre.yaml'}\n")
    result = mhsim("sweep", path, "--vary", "services.day_centre.places=200:300:2", "--design", "grid", "--reps", "1",
                   "--scale", "0.01", "--years", "0.5", "--workers", "1", "--no-oneway", "--out", tmp_path / "sw", cwd=tmp_path, timeout=120)
    assert result.returncode == 0 and "x [/] y" in result.stdout, result.stdout + result.stderr
    result = mhsim("psa", BASELINE, path, "--samples", "4", "--reps", "1", "--scale", "0.01", "--years", "0.5", "--workers", "1",
                   "--no-png", "--out", tmp_path / "psa", cwd=tmp_path, timeout=120)
    assert result.returncode == 0 and "x [/] y" in result.stdout, result.stdout + result.stderr


# ---------------------------------------------------------------------------
# F7 and F12: results folders are complete or absent


def _state_of(folder: Path) -> str:
    """'seed N' if the folder is one complete run (every file matches the manifest's checksum), else 'mixed'."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for name, want in manifest["files"].items():
        if file_checksum(folder / name) != want:
            return "mixed"
    assert {p.name for p in folder.iterdir()} == set(manifest["files"]) | {"manifest.json"}
    return f"seed {manifest['seed']}"


KILL_BETWEEN_RENAMES = """
import os, signal, sys
from pathlib import Path
import simulation.results as R
from simulation.experiment import RunPlan, run_experiment
from simulation.scenario import load_scenario
out, seed, exchange = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "exchange"
exp = run_experiment([load_scenario(sys.argv[4])], RunPlan(seed=seed, replications=2, years=0.5, scale=0.01))
real = os.replace
if not exchange:
    R._exchange = lambda a, b: False
    def killing_replace(a, b):
        real(a, b)
        if str(b).endswith(".old"):
            os.kill(os.getpid(), signal.SIGKILL)   # between moving the old folder away and the new one in
    R.os.replace = killing_replace
else:
    real_exchange = R._exchange
    def killing_exchange(a, b):
        done = real_exchange(a, b)
        os.kill(os.getpid(), signal.SIGKILL)       # swapped, the old results not yet deleted
    R._exchange = killing_exchange
R.write_outputs(exp, out, "run")
"""


@pytest.mark.parametrize("how", ["exchange", "two renames"])
def test_a_kill_in_the_middle_of_a_swap_leaves_old_or_new_results_never_a_mix(tmp_path, baseline, how):
    out = tmp_path / "res"
    write_outputs(run_experiment([baseline], RunPlan(seed=1, replications=2, years=0.5, scale=0.01)), out, "run")
    script = tmp_path / "kill.py"
    script.write_text(KILL_BETWEEN_RENAMES)
    done = subprocess.run([sys.executable, script, out, "99", "exchange" if how == "exchange" else "rename", BASELINE],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".res.")]
    assert leftovers, "the kill came before the swap"
    clean_leftovers(out)   # what the next write does first
    assert _state_of(out) in ("seed 1", "seed 99")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".res.")]


def test_compare_then_run_into_one_folder_leaves_no_stale_comparison(tmp_path):
    out = tmp_path / "stale"
    assert mhsim("compare", BASELINE, SCENARIOS / "close_day_centre.yaml", *TINY, "--out", out, cwd=tmp_path).returncode == 0
    assert (out / "comparison.csv").exists()
    result = mhsim("run", SCENARIOS / "reopen_recovery_college.yaml", *TINY, "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (out / "comparison.csv").exists()
    assert _state_of(out) == "seed 1"
    assert (out.stat().st_mode & 0o777) != 0o700          # F15: made with the user's usual permissions


def test_a_folder_holding_other_files_is_never_replaced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    result = mhsim("run", BASELINE, *TINY, "--out", out, cwd=tmp_path)
    refused(result, "notes.txt", "replaced as a whole")
    assert (out / "notes.txt").read_text() == "my notes"


def test_staging_folders_a_killed_run_left_are_cleaned_up(tmp_path, baseline):
    dead = tmp_path / ".res.999999999.0badc0de.partial"   # no such process
    dead.mkdir()
    (dead / "summary.csv").write_text("half")
    write_outputs(run_experiment([baseline], RunPlan(seed=1, replications=2, years=0.5, scale=0.01)), tmp_path / "res", "run")
    assert not dead.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_a_full_disk_is_a_clear_message_and_the_old_results_stay(tmp_path, monkeypatch, baseline):
    """F12: ENOSPC gave a traceback. The disk fills while the new folder is written."""
    from typer.testing import CliRunner

    import pandas as pd

    from simulation.cli import app

    out = tmp_path / "prev"
    write_outputs(run_experiment([baseline], RunPlan(seed=1, replications=2, years=0.5, scale=0.01)), out, "run")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    result = CliRunner().invoke(app, ["compare", str(BASELINE), str(SCENARIOS / "close_day_centre.yaml"), *TINY, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "previous results there are unchanged" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["prev"]


def test_a_full_disk_during_a_sweep_is_a_clear_message_and_it_can_resume(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import simulation.sweep.store as sw
    from simulation.cli import app

    real = sw.atomic_parquet

    def full(frame, path):
        if path.parent.name == "rows":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(frame, path)

    monkeypatch.setattr(sw, "atomic_parquet", full)
    args = ["sweep", str(SCENARIOS / "close_day_centre.yaml"), "--vary", "services.day_centre.places=200:300:2", "--design", "grid",
            "--reps", "1", "--scale", "0.01", "--years", "0.5", "--workers", "1", "--no-oneway", "--out", str(tmp_path / "sw")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "--resume" in result.output and "Traceback" not in result.output
    monkeypatch.setattr(sw, "atomic_parquet", real)
    result = CliRunner().invoke(app, [*args, "--resume"])
    assert result.exit_code == 0, result.output


def test_dashboard_on_a_damaged_results_folder_is_a_clear_message(tmp_path):
    out, other = tmp_path / "res", tmp_path / "res2"
    assert mhsim("run", BASELINE, *TINY, "--out", out, cwd=tmp_path).returncode == 0
    assert mhsim("run", BASELINE, *TINY, "--out", other, cwd=tmp_path).returncode == 0
    (out / "replications.parquet").write_bytes((out / "replications.parquet").read_bytes()[:500])
    refused(mhsim("dashboard", "--results", out, "--port", "1", cwd=tmp_path), "replications.parquet", "damaged")
    out = other
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["scenarios"][0]["content_hash"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    refused(mhsim("dashboard", "--results", out, "--port", "1", cwd=tmp_path), "content_hash")


# ---------------------------------------------------------------------------
# Feature audit defects: payer override, content hash, misspelt parameter


def test_a_scenario_that_moves_a_cost_to_another_payer_runs_with_the_baseline(tmp_path):
    path = child(tmp_path, "parameters:\n  services.day_centre.block_cost_per_year: {value: 1100000, payer: council}\n")
    result = mhsim("compare", BASELINE, path, *TINY, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (tmp_path / "out" / "comparison.csv").read_text()
    assert "cost.day_centre.council" in text and "cost.day_centre.nhs" in text


def _changed(spec, field):
    """Another valid value for one field of a parameter."""
    if field == "value":
        v = spec.value
        if isinstance(v, bool):
            return not v
        if hasattr(v, "isoformat"):
            return v.replace(year=v.year + 1)
        unit = UNITS[spec.unit]
        new = v + 1 if unit.kind == "int" else (v * 0.9 if v else 0.5 * (unit.maximum or 1))
        return new if unit.maximum is None or new <= unit.maximum else v - 1
    if field == "payer":
        return "society" if spec.payer != "society" else "nhs"
    if field == "price_year":
        return spec.price_year - 1
    if field == "low":
        return spec.low - abs(spec.low or 1) * 0.01 if spec.low else None
    if field == "high":
        return spec.high + abs(spec.high) * 0.01 + 1e-6
    raise AssertionError(field)


def test_the_content_hash_moves_when_any_field_that_changes_results_changes(baseline):
    """Feature audit defect 2: a file changing only price_year (or payer) had the baseline's hash."""
    from simulation.scenario import _finish

    base = baseline.content_hash
    seen = {base}
    for path, spec in baseline.params.items():
        fields = ["value"] + (["payer", "price_year"] if spec.is_money else []) + (["high"] if spec.high is not None else [])
        for field in fields:
            new = _changed(spec, field)
            params = dict(baseline.params)
            params[path] = type(spec)(**{**spec.__dict__, field: new})
            moved = _finish(type(baseline)(**{**baseline.__dict__, "params": params, "content_hash": ""})).content_hash
            assert moved != base, f"changing {path}.{field} does not change the hash"
            seen.add(moved)
    assert len(seen) > len(baseline.params)


def test_a_price_year_change_gives_its_own_hash_and_different_costs(tmp_path):
    path = child(tmp_path, "parameters:\n  services.day_centre.block_cost_per_year: {value: 1100000, price_year: 2007}\n")
    (scenario,) = load_scenarios([path])
    assert scenario.content_hash != load_scenario(BASELINE).content_hash


def test_a_misspelt_parameter_guessed_as_another_kind_gets_no_second_error(tmp_path):
    path = child(tmp_path, "parameters:\n  services.personal_budgets.max_holders: 500\n")
    result = mhsim("validate", path, cwd=tmp_path)
    refused(result, "1 problem found", "unknown parameter")
    assert "true or false" not in result.stderr


def test_every_output_file_is_listed_with_its_checksum(tmp_path, baseline):
    out = tmp_path / "res"
    write_outputs(run_experiment([baseline], RunPlan(seed=1, replications=2, years=0.5, scale=0.01)), out, "run")
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) | {"manifest.json"} == {p.name for p in out.iterdir()}
    assert set(manifest["files"]) <= set(OUTPUT_FILES)
    for name, want in manifest["files"].items():
        assert file_checksum(out / name) == want


def test_every_field_validate_accepts_also_runs(tmp_path):
    """Issue 13, Build 6: whatever validates runs (every leaf field, every setting, every kind of action)."""
    path = tmp_path / "every.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: Every field
        description: one of each
        extends: {BASELINE}
        settings: {{start_date: 2016-01-01, years: 2, warmup_years: 0.5, scale: 0.5}}
        parameters:
          services.acute_beds.cost_per_bed_day: {{value: 600, unit: "£ per day", price_year: 2015, payer: council, low: 500,
                                                 high: 700, label: bed day, note: n, source: x}}
          services.day_centre.places: {{value: 250, distribution: {{type: uniform, low: 200, high: 300}}}}
          crisis.rate_per_year_moderate: {{value: 0.03, assumption: a}}
          costs.suicide: "£1,500,000"
        actions:
          - open: recovery_college
            capacity: 100
            at: month 2
          - close: day_centre
            at: 2016-03-01
            redirect: {{personal_budgets: 0.4, peer_support: 0.3, raised_crisis_risk: {{multiplier: 1.3, months: 6}}}}
          - resize: acute_beds
            capacity: 280
            at: {{month: 4}}
          - set: {{programmes.zero_suicide.trainees_per_year: 500, services.personal_budgets.integrated_assessment: true}}
            at: {{date: 2016-06-01}}
        """))
    result = mhsim("compare", BASELINE, path, *TINY, "--out", tmp_path / "out", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_parameter_unit_cannot_be_changed(tmp_path):
    """The model reads a value in the unit the root declares: a bed-day cost given 'per week' would be misread."""
    path = child(tmp_path, "parameters:\n  services.acute_beds.cost_per_bed_day: {value: 3948, unit: '£ per week'}\n")
    refused(mhsim("validate", path, cwd=tmp_path), "unit cannot be changed", "£ per day")


def test_a_sweep_whose_largest_point_is_too_big_is_refused_before_it_starts(tmp_path):
    result = mhsim("sweep", SCENARIOS / "close_day_centre.yaml", "--vary", "population.in_contact_at_start=40000:1000000",
                   "--vary", "population.recovered_at_start=40000:900000", "--design", "grid", "--reps", "1", "--scale", "1",
                   "--years", "1", "--out", tmp_path / "sw", cwd=tmp_path)
    refused(result, "at the top of the ranges swept", "at most 1,000,000")
    assert not (tmp_path / "sw").exists()


def test_yaml_structure_limits_are_named_plainly(monkeypatch):
    """F15: deep nesting read 'maximum recursion depth exceeded'; many plain keys were blamed on aliases."""
    from simulation import yamlfile

    with pytest.raises(InputError, match="nesting is too deep"):
        yamlfile.parse_yaml_text("description: " + "[" * 10_000 + "]" * 10_000 + "\n", "deep.yaml")
    monkeypatch.setattr(yamlfile, "MAX_NODES", 10)
    with pytest.raises(InputError) as caught:
        yamlfile.parse_yaml_text("".join(f"k{i}: {i}\n" for i in range(20)), "keys.yaml")
    text = str(caught.value)
    assert "too many values" in text and "expand too far" not in text


def test_a_misspelt_dotted_name_is_guessed_by_its_last_part():
    """'delta.nonexistent' shares only 'delta.' with the paired differences: no guess; a real misspelling of
    the last part, or of the middle, is still guessed."""
    from simulation.errors import did_you_mean

    options = ["delta.cost_nhs", "delta.crisis_episodes", "delta.qalys", "services.day_centre.effect_on_crisis",
               "services.day_centre.places"]
    assert did_you_mean("delta.nonexistent", options) == ""
    assert "'delta.cost_nhs'" in did_you_mean("delta.cost_nsh", options)
    assert "'services.day_centre.places'" in did_you_mean("services.day_centre.plces", options)
    assert "'services.day_centre.effect_on_crisis'" in did_you_mean("services.day_center.effect_on_crisis", options)
