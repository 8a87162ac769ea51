"""Specification: the ``mhsim`` command with bad input.

Bad input never shows a traceback. Every problem is printed on stderr with
the file and what is wrong, the command exits with code 2, and nothing is
written: no output folder, no partial file. These tests run the installed
``mhsim`` command in a subprocess; none of them runs a simulation (each bad
input is refused before simulating; the few good inputs are only validated).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
MHSIM = Path(sys.executable).with_name("mhsim")
BAD_INPUT = 2

CHEAP = ("--workers", "1", "--scale", "0.001", "--reps", "1")
"""Keeps a run short if a regression ever let a bad-input case start simulating."""


def mhsim(*args: str | Path, cwd: Path, columns: int = 80) -> subprocess.CompletedProcess:
    command = [str(MHSIM)] if MHSIM.exists() else [sys.executable, "-m", "simulation.cli"]
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    return subprocess.run([*command, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def assert_refused(result: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit code 2, every needle on stderr, and no traceback anywhere."""
    output = result.stdout + result.stderr
    assert result.returncode == BAD_INPUT, output
    assert "Traceback" not in output
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not in stderr:\n{result.stderr}"


def problem_count(stderr: str) -> int:
    match = re.search(r"(\d+) problems? found", stderr)
    assert match, stderr
    return int(match.group(1))


def snapshot(folder: Path) -> dict[Path, bytes | None]:
    return {p: (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def bad_scenario(folder: Path, name: str = "bad.yaml") -> Path:
    return write(folder, name, f"name: Bad\nextends: {BASELINE}\nparameters:\n  services.day_centre.places: -5\n")


# ---------------------------------------------------------------------------
# validate


def test_validate_reports_a_missing_file(tmp_path):
    result = mhsim("validate", "missing.yaml", cwd=tmp_path)
    assert_refused(result, "missing.yaml", "file not found")
    assert problem_count(result.stderr) == 1


def test_validate_reports_a_malformed_file_with_its_line(tmp_path):
    text = "name: Broken\nparameters:\n  services.day_centre.places: 250\n    oops: here\n"
    write(tmp_path, "broken.yaml", text)
    line = next(i for i, l in enumerate(text.splitlines(), start=1) if "oops" in l)
    result = mhsim("validate", "broken.yaml", cwd=tmp_path)
    assert_refused(result, f"broken.yaml:{line}:", "malformed YAML")


def test_validate_reports_a_bad_value_with_file_line_field_value_and_what_is_allowed(tmp_path):
    bad_scenario(tmp_path)
    result = mhsim("validate", "bad.yaml", cwd=tmp_path)
    assert_refused(result, "bad.yaml:4:", "parameters.services.day_centre.places", "found -5", "allowed: a whole number of at least 0")


def test_validate_reports_a_directory(tmp_path):
    (tmp_path / "folder.yaml").mkdir()
    assert_refused(mhsim("validate", "folder.yaml", cwd=tmp_path), "folder.yaml", "directory")


def test_validate_reports_an_empty_file(tmp_path):
    write(tmp_path, "empty.yaml", "")
    assert_refused(mhsim("validate", "empty.yaml", cwd=tmp_path), "empty.yaml", "empty")


def test_validate_reports_a_control_character(tmp_path):
    write(tmp_path, "ansi.yaml", "name: \x1b[31mred\n")
    assert_refused(mhsim("validate", "ansi.yaml", cwd=tmp_path), "ansi.yaml:1:")


def test_validate_reports_a_path_too_long_for_the_file_system(tmp_path):
    name = "x" * 5000 + ".yaml"
    result = mhsim("validate", name, cwd=tmp_path)
    assert result.returncode == BAD_INPUT
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_does_not_run_python_tags(tmp_path):
    marker = tmp_path / "ran.txt"
    write(tmp_path, "evil.yaml", f"name: Evil\nextends: {BASELINE}\ndescription: !!python/object/apply:os.system ['touch {marker}']\n")
    assert_refused(mhsim("validate", "evil.yaml", cwd=tmp_path), "evil.yaml:3:", "not allowed")
    assert not marker.exists()


def test_validate_accepts_a_good_file(tmp_path):
    result = mhsim("validate", BASELINE, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "ok" in result.stdout
    assert "baseline.yaml" in result.stdout
    assert load_scenario(BASELINE).content_hash in result.stdout


def test_validate_accepts_every_shipped_scenario(tmp_path):
    files = sorted(SCENARIOS.glob("*.yaml"))
    result = mhsim("validate", *files, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ok_lines = [line for line in result.stdout.splitlines() if line.startswith("ok")]
    assert len(ok_lines) == len(files)
    for path in files:
        assert any(path.name in line for line in ok_lines), path.name


def test_validate_reports_the_problems_of_every_file_at_once(tmp_path):
    bad_scenario(tmp_path, "one.yaml")
    write(tmp_path, "two.yaml", f"name: Two\nextends: {BASELINE}\ndescripton: typo\npopulation.severe_share: 2\n")
    result = mhsim("validate", "one.yaml", BASELINE, "two.yaml", "three.yaml", cwd=tmp_path)
    assert_refused(result, "one.yaml:4:", "two.yaml:3:", "did you mean 'description'", "two.yaml:4:", "three.yaml: file not found")
    assert problem_count(result.stderr) == 4


def test_each_problem_is_printed_on_one_line_however_narrow_the_terminal(tmp_path):
    deep = tmp_path / ("a_rather_long_folder_name_" * 3) / ("another_long_folder_name_" * 3)
    deep.mkdir(parents=True)
    missing = deep / "a_missing_scenario_with_a_long_name.yaml"
    result = mhsim("validate", missing, cwd=ROOT, columns=40)
    assert_refused(result)
    assert any(str(missing) in line and "file not found" in line for line in result.stderr.splitlines()), result.stderr


def test_run_refuses_an_out_path_too_long_for_the_file_system(tmp_path):
    result = mhsim("run", BASELINE, "--out", "o" * 5000, *CHEAP, cwd=tmp_path)
    assert_refused(result, "--out")
    assert list(tmp_path.iterdir()) == []


def test_validate_without_a_file_shows_usage(tmp_path):
    result = mhsim("validate", cwd=tmp_path)
    assert result.returncode == BAD_INPUT
    assert "Traceback" not in result.stdout + result.stderr
    assert "FILES" in result.stderr.upper()


# ---------------------------------------------------------------------------
# run and compare: bad input leaves nothing behind


def test_run_with_a_bad_file_leaves_no_output_folder(tmp_path):
    bad_scenario(tmp_path)
    before = snapshot(tmp_path)
    result = mhsim("run", "bad.yaml", "--out", "out", *CHEAP, cwd=tmp_path)
    assert_refused(result, "bad.yaml:4:", "day_centre.places")
    assert not (tmp_path / "out").exists()
    assert snapshot(tmp_path) == before


def test_run_with_a_missing_file_leaves_no_output_folder(tmp_path):
    result = mhsim("run", "missing.yaml", "--out", tmp_path / "out", *CHEAP, cwd=tmp_path)
    assert_refused(result, "missing.yaml", "file not found")
    assert list(tmp_path.iterdir()) == []


def test_run_without_out_creates_no_default_results_folder_on_bad_input(tmp_path):
    bad_scenario(tmp_path)
    before = snapshot(tmp_path)
    assert_refused(mhsim("run", "bad.yaml", *CHEAP, cwd=tmp_path), "bad.yaml")
    assert snapshot(tmp_path) == before


def test_compare_with_a_missing_alternative_leaves_no_output_folder(tmp_path):
    result = mhsim("compare", BASELINE, "missing.yaml", "--out", "out", *CHEAP, cwd=tmp_path)
    assert_refused(result, "missing.yaml", "file not found")
    assert "baseline.yaml" not in result.stderr, "the good baseline is not a problem"
    assert list(tmp_path.iterdir()) == []


def test_compare_with_a_bad_baseline_leaves_no_output_folder(tmp_path):
    bad_scenario(tmp_path)
    before = snapshot(tmp_path)
    result = mhsim("compare", "bad.yaml", SCENARIOS / "close_day_centre.yaml", "--out", "out", *CHEAP, cwd=tmp_path)
    assert_refused(result, "bad.yaml:4:")
    assert snapshot(tmp_path) == before


def test_compare_reports_every_bad_file_at_once(tmp_path):
    bad_scenario(tmp_path, "one.yaml")
    result = mhsim("compare", "one.yaml", "missing.yaml", "--out", "out", *CHEAP, cwd=tmp_path)
    assert_refused(result, "one.yaml:4:", "missing.yaml: file not found")
    assert problem_count(result.stderr) == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("reps", ["0", "-3"])
def test_run_refuses_fewer_than_one_replication(tmp_path, reps):
    result = mhsim("run", BASELINE, "--out", "out", "--workers", "1", "--scale", "0.001", "--reps", reps, cwd=tmp_path)
    assert_refused(result, "--reps", f"found {reps}", "at least 1")
    assert list(tmp_path.iterdir()) == []


def test_run_refuses_replications_that_are_not_a_number(tmp_path):
    result = mhsim("run", BASELINE, "--out", "out", "--reps", "many", cwd=tmp_path)
    assert_refused(result, "--reps")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option, value", [("--years", "0"), ("--years", "51"), ("--years", "nan"), ("--scale", "0"),
                                           ("--scale", "2"), ("--workers", "0"), ("--warmup-years", "-1"),
                                           ("--warmup-years", "nan"), ("--warmup-years", "1000")])
def test_run_refuses_numbers_out_of_range(tmp_path, option, value):
    args = {"--workers": "1", "--scale": "0.001", "--reps": "1"}
    args[option] = value
    flat = [item for pair in args.items() for item in pair]
    result = mhsim("run", BASELINE, "--out", "out", *flat, cwd=tmp_path)
    assert_refused(result, option, "allowed")
    assert list(tmp_path.iterdir()) == []


def test_run_refuses_an_out_path_that_is_a_regular_file(tmp_path):
    target = write(tmp_path, "results.txt", "keep me\n")
    before = snapshot(tmp_path)
    result = mhsim("run", BASELINE, "--out", "results.txt", *CHEAP, cwd=tmp_path)
    assert_refused(result, "results.txt", "--out", "not a folder")
    assert snapshot(tmp_path) == before
    assert target.read_text() == "keep me\n"


def test_run_refuses_an_out_path_inside_a_regular_file(tmp_path):
    write(tmp_path, "results.txt", "keep me\n")
    before = snapshot(tmp_path)
    result = mhsim("run", BASELINE, "--out", Path("results.txt") / "sub", *CHEAP, cwd=tmp_path)
    assert_refused(result, "results.txt", "--out")
    assert snapshot(tmp_path) == before


def test_compare_refuses_an_out_path_that_is_a_regular_file(tmp_path):
    write(tmp_path, "out", "not a folder\n")
    before = snapshot(tmp_path)
    result = mhsim("compare", BASELINE, SCENARIOS / "close_day_centre.yaml", "--out", "out", *CHEAP, cwd=tmp_path)
    assert_refused(result, "out", "--out")
    assert snapshot(tmp_path) == before


def test_run_refuses_an_action_beyond_the_years_asked_for(tmp_path):
    scenario = SCENARIOS / "close_day_centre.yaml"
    last_action_month = max(a.day for a in load_scenario(scenario).actions) / (365.25 / 12)
    years = max(0.1, (last_action_month - 1) / 12)
    result = mhsim("run", scenario, "--years", f"{years:.4f}", "--out", "out", *CHEAP, cwd=tmp_path)
    assert_refused(result, "close_day_centre.yaml", "outside the simulated period", "actions[0].at")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_folder_is_left_untouched_on_bad_input(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    write(out, "summary.csv", "earlier results\n")
    bad_scenario(tmp_path)
    before = snapshot(tmp_path)
    assert_refused(mhsim("run", "bad.yaml", "--out", "out", *CHEAP, cwd=tmp_path), "bad.yaml")
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------
# Help


@pytest.mark.parametrize("args", [("--help",), ("run", "--help"), ("compare", "--help"), ("validate", "--help")],
                         ids=["mhsim", "run", "compare", "validate"])
def test_help_exits_cleanly(tmp_path, args):
    result = mhsim(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "Usage" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_run_help_lists_its_options(tmp_path):
    result = mhsim("run", "--help", cwd=tmp_path)
    for option in ("--reps", "--seed", "--years", "--out", "--workers", "--scale", "--warmup-years"):
        assert option in result.stdout


def test_an_unknown_command_is_refused(tmp_path):
    result = mhsim("simulate", BASELINE, cwd=tmp_path)
    assert result.returncode == BAD_INPUT
    assert "Traceback" not in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# The entry point itself


def test_the_entry_point_turns_a_stray_input_error_into_exit_code_2(monkeypatch, capsys):
    import simulation.cli as cli
    from simulation.errors import InputError, Problem

    def app():
        raise InputError([Problem("stray.yaml", "something is wrong", 7, "field.path", 3, "something else")])

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == BAD_INPUT
    assert "stray.yaml:7: field 'field.path': something is wrong (found 3); allowed: something else" in capsys.readouterr().err
