"""Specification: loading and validating scenario files.

A scenario file either declares every parameter (the shipped baseline) or
``extends`` another file and changes some values and adds timed actions.
Loading resolves the whole chain. Every bad input raises
:class:`simulation.errors.InputError`, whose problems name the file, the line
(where there is one), the field path, the value found and what is allowed.
Nothing else may escape, whatever the text: that is checked with Hypothesis.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.catalogue import RAISED_RISK_KEY, REDIRECT_TARGETS, SERVICES
from simulation.errors import InputError, Problem
from simulation.parameters import DAYS_PER_MONTH, LEAF_KEYS, UNITS
from simulation.scenario import (
    ACTION_VERBS,
    SETTING_RULES,
    TOP_KEYS,
    Scenario,
    load_scenario,
    load_scenarios,
    scenario_from_text,
)
from simulation.yamlfile import MAX_BYTES

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


# ---------------------------------------------------------------------------
# Helpers


@pytest.fixture(scope="module", autouse=True)
def read_shipped_files_once():
    """Parse each shipped scenario file once for this module.

    Almost every test extends the 1,100-line baseline, which the pure-Python
    YAML parser takes about 0.15 s to read; re-reading it each time would make
    this module (and its fuzzing) several times slower. Only files in the
    shipped ``scenarios`` folder are cached, keyed by their size and mtime, and
    each caller gets its own copy; files the tests write are always read afresh.
    """
    import copy

    import simulation.scenario as scenario_module

    real = scenario_module.read_yaml_file
    cache: dict[tuple, Any] = {}

    def read(path, *args, **kwargs):
        p = Path(path)
        try:
            shipped = p.resolve().parent == SCENARIOS and p.is_file()
        except OSError:
            shipped = False
        if not shipped or args or kwargs:
            return real(path, *args, **kwargs)
        stat = p.stat()
        key = (str(p.resolve()), str(path), stat.st_size, stat.st_mtime_ns)
        if key not in cache:
            cache[key] = real(path)
        return copy.deepcopy(cache[key])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scenario_module, "read_yaml_file", read)
        yield


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def child(body: str = "", name: str = "Test scenario") -> str:
    """The text of a scenario that extends the shipped baseline (by absolute path)."""
    return f"name: {name}\nextends: {BASELINE}\n{body}"


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``text`` containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} times in the test text"
    return hits[occurrence - 1]


def load_problems(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.problems, "an InputError must carry at least one problem"
    return info.value.problems


def only_problem(path: Path) -> Problem:
    problems = load_problems(path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def same_file(reported: str, path: Path) -> bool:
    return Path(reported).resolve() == path.resolve()


def assert_reported(problem: Problem, path: Path, *, line: int | None, field: str | None,
                    value: Any = None, allowed: tuple[str, ...] = (), message: tuple[str, ...] = ()) -> None:
    """The problem names the file, line, field, value and what is allowed, in its
    attributes and in the text the user reads."""
    text = str(problem)
    assert same_file(problem.file, path), text
    assert text.startswith(problem.file)
    assert problem.line == line, text
    if line is not None:
        assert text.startswith(f"{problem.file}:{line}:"), text
    assert problem.field == field, text
    if field is not None:
        assert f"'{field}'" in text
    if value is not None:
        if isinstance(value, float) and math.isnan(value):
            assert isinstance(problem.value, float) and math.isnan(problem.value), text
        else:
            assert problem.value == value, text
        assert "found" in text
    assert problem.allowed, f"the problem must say what is allowed: {text}"
    assert f"allowed: {problem.allowed}" in text
    for word in allowed:
        assert word in problem.allowed, text
    for word in message:
        assert word in problem.message, text


def months_to_days(months: float) -> float:
    return months * DAYS_PER_MONTH


# ---------------------------------------------------------------------------
# Mistakes of one shape: one problem each, with its line, field, value and what is allowed


REJECTED = [
    # (scenario text after 'extends', the text on the reported line (or (text, occurrence)), field, value found,
    #  words in what is allowed, words in the message); the id says what is rejected
    # Files that cannot be read as a YAML mapping
    pytest.param("parameters:\n  services.day_centre.places: 250\n    bad: indentation\n",
                 "bad: indentation", None, None,
                 (), ("malformed YAML",), id="malformed_yaml_is_reported_with_its_line"),
    pytest.param("parameters:\n  services.day_centre.places: !!python/object:collections.OrderedDict {}\n",
                 "!!python", "parameters.services.day_centre.places", None,
                 (), ("python/object",), id="a_python_object_tag_on_a_parameter_names_the_parameter"),
    pytest.param("description: !!python/name:os.system\n",
                 "!!python", "description", None,
                 (), ("python/name:os.system", "not allowed"), id="a_python_name_tag_is_rejected"),
    pytest.param("description: !custom hello\n",
                 "!custom", "description", None,
                 (), ("not allowed",), id="a_local_tag_is_rejected"),
    # Fields and parameters
    pytest.param("descripton: what if?\n",
                 "descripton", "descripton", None,
                 TOP_KEYS, ("did you mean 'description'",), id="an_unknown_top_level_field_suggests_the_nearest_one"),
    pytest.param("parameters:\n  services.day_centre.place: 250\n",
                 "day_centre.place", "parameters.services.day_centre.place", None,
                 ("baseline.yaml",), ("did you mean 'services.day_centre.places'",),
                 id="an_unknown_parameter_suggests_the_nearest_one"),
    pytest.param("parameters:\n  services:\n    day_centre:\n      place: 250\n",
                 "place: 250", "parameters.services.day_centre.place", None,
                 (), ("did you mean 'services.day_centre.places'",),
                 id="an_unknown_nested_parameter_names_its_full_path"),
    pytest.param("parameters:\n  services.day_centre.places: lots\n",
                 "places: lots", "parameters.services.day_centre.places", "lots",
                 ("whole number", "places"), (), id="text_where_a_number_is_expected_is_rejected"),
    pytest.param("parameters:\n  services.day_centre.places: [250, 300]\n",
                 "places: [250", "parameters.services.day_centre.places", [250, 300],
                 ("whole number",), ("list",), id="a_list_where_a_number_is_expected_is_rejected"),
    pytest.param("parameters:\n  services.day_centre.open: 1\n",
                 "open: 1", "parameters.services.day_centre.open", 1,
                 ("true or false",), (), id="a_number_where_true_or_false_is_expected_is_rejected"),
    pytest.param("parameters:\n  services.day_centre.places: 250.5\n",
                 "250.5", "parameters.services.day_centre.places", 250.5,
                 ("whole number",), (), id="a_fractional_count_is_rejected"),
    pytest.param("parameters:\n  services.day_centre.places: -5\n",
                 "-5", "parameters.services.day_centre.places", -5,
                 ("at least 0",), (), id="a_negative_capacity_is_rejected"),
    pytest.param("parameters:\n  population.severe_share: 1.2\n",
                 "1.2", "parameters.population.severe_share", 1.2,
                 ("from 0 to 1",), (), id="a_share_above_one_is_rejected"),
    pytest.param("parameters:\n  population.severe_share: -0.1\n",
                 "-0.1", "parameters.population.severe_share", -0.1,
                 ("from 0 to 1",), (), id="a_negative_share_is_rejected"),
    pytest.param("parameters:\n  population.severe_share: .nan\n",
                 ".nan", "parameters.population.severe_share", float("nan"),
                 ("from 0 to 1",), (), id="nan_is_rejected"),
    pytest.param("parameters:\n  services.day_centre.block_cost_per_year: .inf\n",
                 ".inf", "parameters.services.day_centre.block_cost_per_year", math.inf,
                 (), (), id="infinity_is_rejected_for_a_money_parameter"),
    pytest.param(f"parameters:\n  population.severe_share: {10 ** 400}\n",
                 "severe_share", "parameters.population.severe_share", 10 ** 400,
                 ("from 0 to 1",), (), id="an_integer_too_large_for_a_float_is_rejected"),
    pytest.param(f"parameters:\n  services.day_centre.places: {10 ** 400}\n",
                 "places", "parameters.services.day_centre.places", 10 ** 400,
                 (), (), id="a_capacity_too_large_for_a_float_is_rejected"),
    pytest.param("parameters:\n  services.day_centre.places: '£250'\n",
                 "places", "parameters.services.day_centre.places", "£250",
                 (), (), id="a_pound_sign_is_not_accepted_for_a_parameter_that_is_not_money"),
    pytest.param("parameters:\n  population.severe_share:\n    value: 0.3\n    unit: percent\n",
                 "unit: percent", "parameters.population.severe_share.unit", "percent",
                 ("share",), (), id="a_leaf_with_an_unknown_unit_is_rejected"),
    pytest.param("parameters:\n  population.severe_share:\n    value: 0.3\n    sauce: S1\n",
                 "sauce", "parameters.population.severe_share.sauce", "sauce",
                 ("source",), (), id="a_leaf_with_an_unknown_field_is_rejected"),
    pytest.param("description: first\ndescription: second\n",
                 ("description", 2), "description", None,
                 ("once",), ("twice",), id="a_duplicate_top_level_key_is_reported"),
    pytest.param("parameters:\n  services.day_centre.places: 250\n  services.day_centre.places: 260\n",
                 "places: 260", "parameters.services.day_centre.places", None,
                 (), ("twice",), id="a_duplicate_parameter_is_reported"),
    pytest.param("settings:\n  yeras: 5\n",
                 "yeras", "settings.yeras", None,
                 tuple(SETTING_RULES), ("did you mean 'years'",), id="an_unknown_setting_suggests_the_nearest_one"),
    pytest.param("settings:\n  scale: 2\n",
                 "scale", "settings.scale", 2,
                 (), (), id="a_setting_out_of_range_is_rejected"),
    # Actions
    pytest.param("actions:\n  - close: day_centre\n    at: month 6\n    redirect:\n      personal_budgets: 0.7\n      peer_support: 0.6\n",
                 "redirect:", "actions[0].redirect", round(0.7 + 0.6, 6),
                 ("at most 1",), ("more than 1",), id="redirect_shares_adding_up_to_more_than_one_are_rejected"),
    pytest.param("actions:\n  - close: day_centre\n    at: month 6\n    redirect:\n      peer_suport: 0.3\n",
                 "peer_suport", "actions[0].redirect.peer_suport", None,
                 (*REDIRECT_TARGETS, RAISED_RISK_KEY), ("did you mean 'peer_support'",),
                 id="a_redirect_to_an_unknown_support_is_rejected"),
    pytest.param("actions:\n  - close: day_centre\n    at: month 6\n    redirect:\n      peer_support: 1.5\n",
                 "peer_support: 1.5", "actions[0].redirect.peer_support", 1.5,
                 ("0 to 1",), (), id="a_redirect_share_above_one_is_rejected"),
    pytest.param("actions:\n  - close: day_centre\n    at: month 6\n    redirect:\n      day_centre: 0.3\n",
                 "day_centre: 0.3", "actions[0].redirect.day_centre", "day_centre",
                 (), (), id="users_cannot_be_redirected_to_the_service_that_closes"),
    pytest.param("actions:\n  - close: day_centre\n    at: month 6\n    redirect:\n      raised_crisis_risk: {multiplier: 1.3}\n",
                 "raised_crisis_risk", "actions[0].redirect.raised_crisis_risk", {"multiplier": 1.3},
                 ("months",), (), id="raised_crisis_risk_needs_a_multiplier_and_months"),
    pytest.param("actions:\n  - close: day_center\n    at: month 6\n",
                 "day_center", "actions[0].close", "day_center",
                 tuple(SERVICES), ("no such service", "did you mean 'day_centre'"),
                 id="an_action_on_a_service_that_does_not_exist_is_rejected"),
    pytest.param("actions:\n  - resize: enablement\n    at: month 3\n",
                 "resize:", "actions[0]", None,
                 ("capacity",), ("capacity",), id="resize_without_a_capacity_is_rejected"),
    pytest.param("actions:\n  - resize: enablement\n    at: month 3\n    capacity: -4\n",
                 "capacity", "actions[0].capacity", -4,
                 (), (), id="resize_with_a_negative_capacity_is_rejected"),
    pytest.param("actions:\n  - close: day_centre\n",
                 "close:", "actions[0]", None,
                 (), ("'at'",), id="an_action_without_a_time_is_rejected"),
    pytest.param("actions:\n  - close: day_centre\n    open: recovery_college\n    at: month 3\n",
                 "close:", "actions[0]", None,
                 ACTION_VERBS, (), id="an_action_with_two_verbs_is_rejected"),
    pytest.param("actions:\n  - set:\n      programmes.zero_suicide.trainees_per_yr: 400\n    at: month 3\n",
                 "trainees_per_yr", "actions[0].set.programmes.zero_suicide.trainees_per_yr", None,
                 (), ("did you mean 'programmes.zero_suicide.trainees_per_year'",),
                 id="set_with_an_unknown_parameter_is_rejected"),
    pytest.param("actions:\n  - set:\n      services.personal_budgets.integrated_assessment: maybe\n    at: month 3\n",
                 "integrated_assessment", "actions[0].set.services.personal_budgets.integrated_assessment", "maybe",
                 ("true or false",), (), id="set_with_a_bad_value_is_rejected"),
    pytest.param("actions:\n  close: day_centre\n",
                 "actions:", "actions", {"close": "day_centre"},
                 (), (), id="actions_that_are_not_a_list_are_rejected"),
]


@pytest.mark.parametrize("body, needle, field, value, allowed, message", REJECTED)


def test_a_bad_scenario_is_reported_once_with_its_line_field_value_and_what_is_allowed(tmp_path, body, needle, field, value,
                                                                                       allowed, message):
    """Each row is a scenario with one mistake: loading it reports exactly one problem, naming the
    file, the line, the field, the value found and what is allowed."""
    text = child(body)
    path = write(tmp_path, "bad.yaml", text)
    needle, occurrence = needle if isinstance(needle, tuple) else (needle, 1)
    assert_reported(only_problem(path), path, line=line_of(text, needle, occurrence), field=field, value=value,
                    allowed=allowed, message=message)


# ---------------------------------------------------------------------------
# The shipped scenarios


def test_the_scenarios_folder_ships_a_baseline_and_alternatives():
    assert BASELINE in SHIPPED
    assert len(SHIPPED) > 1


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)


def test_every_shipped_scenario_loads(path):
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name.strip()
    assert scenario.params
    assert scenario.content_hash


def test_all_shipped_scenarios_load_together():
    scenarios = load_scenarios(SHIPPED)
    assert len(scenarios) == len(SHIPPED)
    assert [Path(s.file).name for s in scenarios] == [p.name for p in SHIPPED]


def test_every_shipped_scenario_differs_in_content_from_the_others():
    hashes = [load_scenario(p).content_hash for p in SHIPPED]
    assert len(set(hashes)) == len(hashes)


def _raw_leaves(tree: dict, prefix: str = ""):
    """Parameter declarations in baseline.yaml, read with plain PyYAML (not our loader)."""
    for key, node in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(node, dict) and "value" in node:
            yield path, node
        elif isinstance(node, dict):
            yield from _raw_leaves(node, path)
        else:
            yield path, node


def test_every_baseline_parameter_has_a_source_or_an_assumption():
    raw = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    leaves = list(_raw_leaves(raw["parameters"]))
    assert leaves
    missing = [path for path, leaf in leaves
               if not isinstance(leaf, dict)
               or not any(isinstance(leaf.get(k), str) and leaf[k].strip() for k in ("source", "assumption"))]
    assert missing == []


def test_the_loader_keeps_every_parameter_declared_in_the_baseline(baseline):
    raw = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    declared = {path for path, _ in _raw_leaves(raw["parameters"])}
    assert set(baseline.params) == declared
    for spec in baseline.params.values():
        assert spec.source or spec.assumption, spec.path


def test_every_numeric_uncertain_parameter_lies_within_its_low_and_high(baseline):
    checked = 0
    for path, spec in baseline.params.items():
        if UNITS[spec.unit].kind not in ("int", "float"):
            continue
        if spec.low is not None and spec.high is not None:
            assert spec.low <= spec.value <= spec.high, f"{path}: {spec.value} not in {spec.low}..{spec.high}"
            checked += 1
        dist = spec.distribution
        if dist and dist.get("type") in ("uniform", "triangular"):
            assert dist["low"] <= spec.value <= dist["high"], path
            checked += 1
    assert checked > 0, "the baseline should declare uncertain parameters"


def test_every_baseline_value_is_allowed_by_its_unit(baseline):
    from simulation.parameters import coerce_value

    for path, spec in baseline.params.items():
        assert spec.unit in UNITS, path
        _, issue = coerce_value(spec.unit, spec.value)
        assert issue is None, f"{path}: {issue}"


def test_a_scenario_that_extends_another_inherits_its_actions():
    parent = load_scenario(SCENARIOS / "reopen_recovery_college.yaml")
    package = load_scenario(SCENARIOS / "coproduction_package.yaml")
    own = [a for a in package.actions if a.file == package.file]
    inherited = [a for a in package.actions if a.file != package.file]
    assert [a.as_dict() for a in inherited] == [a.as_dict() for a in parent.actions]
    assert own, "the package adds actions of its own"
    assert len(package.actions) == len(parent.actions) + len(own)


def test_a_scenario_that_extends_another_inherits_its_values():
    parent = load_scenario(SCENARIOS / "reopen_recovery_college.yaml")
    package = load_scenario(SCENARIOS / "coproduction_package.yaml")
    assert package.values == parent.values


def test_the_extends_chain_is_recorded_from_the_root():
    package = load_scenario(SCENARIOS / "coproduction_package.yaml")
    assert [Path(f).name for f in package.chain] == ["baseline.yaml", "reopen_recovery_college.yaml", "coproduction_package.yaml"]


def test_actions_are_kept_in_time_order_across_the_chain():
    package = load_scenario(SCENARIOS / "coproduction_package.yaml")
    days = [a.day for a in package.actions]
    assert days == sorted(days)


def test_a_child_inherits_values_its_parent_changed(tmp_path, baseline):
    places = baseline.values["services.day_centre.places"] + 17
    write(tmp_path, "parent.yaml", child(f"parameters:\n  services.day_centre.places: {places}\n", "Parent"))
    kid = write(tmp_path, "kid.yaml", "name: Kid\nextends: parent.yaml\n")
    scenario = load_scenario(kid)
    assert scenario.values["services.day_centre.places"] == places
    assert "services.day_centre.places" in scenario.overrides


def test_a_child_value_overrides_its_parents_value(tmp_path, baseline):
    base_places = baseline.values["services.day_centre.places"]
    write(tmp_path, "parent.yaml", child(f"parameters:\n  services.day_centre.places: {base_places + 1}\n", "Parent"))
    kid = write(tmp_path, "kid.yaml", f"name: Kid\nextends: parent.yaml\nparameters:\n  services.day_centre.places: {base_places + 2}\n")
    assert load_scenario(kid).values["services.day_centre.places"] == base_places + 2


def test_nested_parameter_groups_mean_the_same_as_dotted_paths(tmp_path, baseline):
    places = baseline.values["services.day_centre.places"] + 3
    dotted = load_scenario(write(tmp_path, "dotted.yaml", child(f"parameters:\n  services.day_centre.places: {places}\n")))
    nested = load_scenario(write(tmp_path, "nested.yaml", child(f"parameters:\n  services:\n    day_centre:\n      places: {places}\n")))
    assert nested.values == dotted.values
    assert nested.content_hash == dotted.content_hash


def test_only_the_changed_parameters_count_as_overrides(tmp_path, baseline):
    places = baseline.values["services.day_centre.places"] + 1
    scenario = load_scenario(write(tmp_path, "s.yaml", child(f"parameters:\n  services.day_centre.places: {places}\n")))
    assert scenario.overrides == ("services.day_centre.places",)
    changed = {p for p in scenario.values if scenario.values[p] != baseline.values[p]}
    assert changed == {"services.day_centre.places"}


# ---------------------------------------------------------------------------
# Content hash


def test_the_content_hash_is_the_same_each_time_a_file_is_loaded():
    path = SCENARIOS / "close_day_centre.yaml"
    assert load_scenario(path).content_hash == load_scenario(path).content_hash


def test_the_content_hash_does_not_depend_on_the_file_name_or_folder(tmp_path):
    original = SCENARIOS / "close_day_centre.yaml"
    text = original.read_text(encoding="utf-8").replace("extends: baseline.yaml", f"extends: {BASELINE}")
    copy = write(tmp_path, "a_copy_with_another_name.yaml", text)
    assert load_scenario(copy).content_hash == load_scenario(original).content_hash


def test_the_content_hash_changes_when_a_value_changes(tmp_path, baseline):
    places = baseline.values["services.day_centre.places"]
    same = load_scenario(write(tmp_path, "same.yaml", child(f"parameters:\n  services.day_centre.places: {places}\n")))
    changed = load_scenario(write(tmp_path, "changed.yaml", child(f"parameters:\n  services.day_centre.places: {places + 1}\n")))
    assert same.content_hash == baseline.content_hash
    assert changed.content_hash != baseline.content_hash


def test_the_content_hash_changes_when_an_action_changes(tmp_path):
    at6 = load_scenario(write(tmp_path, "at6.yaml", child("actions:\n  - close: day_centre\n    at: month 6\n")))
    at7 = load_scenario(write(tmp_path, "at7.yaml", child("actions:\n  - close: day_centre\n    at: month 7\n")))
    assert at6.content_hash != at7.content_hash


def test_the_content_hash_changes_with_with_values(baseline):
    places = baseline.values["services.day_centre.places"]
    assert baseline.with_values({"services.day_centre.places": places + 1}).content_hash != baseline.content_hash
    assert baseline.with_values({"services.day_centre.places": places}).content_hash == baseline.content_hash


def test_a_scenario_that_changes_nothing_has_the_baseline_values(tmp_path, baseline):
    empty = load_scenario(write(tmp_path, "nothing.yaml", child()))
    assert empty.values == baseline.values
    assert empty.settings == baseline.settings
    assert empty.actions == baseline.actions
    assert empty.overrides == ()
    assert empty.content_hash == baseline.content_hash


def test_setting_a_parameter_to_its_baseline_value_changes_nothing(tmp_path, baseline):
    share = baseline.values["population.severe_share"]
    scenario = load_scenario(write(tmp_path, "s.yaml", child(f"parameters:\n  population.severe_share: {share!r}\n")))
    assert scenario.values == baseline.values
    assert scenario.overrides == ()


# ---------------------------------------------------------------------------
# Files that cannot be read as a YAML mapping


def test_a_missing_file_is_reported_by_name(tmp_path):
    path = tmp_path / "no_such_scenario.yaml"
    problem = only_problem(path)
    assert_reported(problem, path, line=None, field=None, message=("not found",))


def test_a_directory_is_not_a_scenario_file(tmp_path):
    folder = tmp_path / "a_folder.yaml"
    folder.mkdir()
    problem = only_problem(folder)
    assert_reported(problem, folder, line=None, field=None, message=("directory",))


def test_an_empty_file_is_reported_as_empty(tmp_path):
    path = write(tmp_path, "empty.yaml", "")
    problem = only_problem(path)
    assert_reported(problem, path, line=None, field=None, allowed=("name",), message=("empty",))


def test_a_file_of_blank_lines_is_reported_as_empty(tmp_path):
    path = write(tmp_path, "blank.yaml", "\n   \n\t\n")
    assert_reported(only_problem(path), path, line=None, field=None, message=("empty",))


def test_a_file_with_only_comments_is_reported(tmp_path):
    path = write(tmp_path, "comments.yaml", "# a scenario\n# still to be written\n")
    problem = only_problem(path)
    assert_reported(problem, path, line=None, field=None, allowed=("mapping",), message=("comments",))


def test_an_unclosed_bracket_is_malformed_yaml(tmp_path):
    text = "name: x\nactions: [1, 2\n"
    path = write(tmp_path, "bracket.yaml", text)
    problem = only_problem(path)
    assert "malformed YAML" in problem.message
    assert problem.line is not None and problem.line >= line_of(text, "actions:")


def test_a_python_object_tag_is_rejected_without_running_it(tmp_path):
    marker = tmp_path / "ran.txt"
    text = child(f"description: !!python/object/apply:os.system ['touch {marker}']\n")
    path = write(tmp_path, "evil.yaml", text)
    problem = only_problem(path)
    assert_reported(problem, path, line=line_of(text, "!!python"), field="description",
                    allowed=("plain YAML",), message=("python/object", "not allowed"))
    assert not marker.exists()


def test_a_top_level_list_is_not_a_scenario(tmp_path):
    text = "- name: x\n- name: y\n"
    path = write(tmp_path, "list.yaml", text)
    assert_reported(only_problem(path), path, line=1, field=None, allowed=("mapping",), message=("list",))


def test_a_top_level_scalar_is_not_a_scenario(tmp_path):
    text = "# a comment first\njust some words\n"
    path = write(tmp_path, "scalar.yaml", text)
    assert_reported(only_problem(path), path, line=line_of(text, "just some words"), field=None,
                    allowed=("mapping",), message=("not a mapping",))


def test_a_control_character_is_reported_not_raised(tmp_path):
    text = child("description: bell\x07here\n")
    path = write(tmp_path, "control.yaml", text)
    problem = only_problem(path)
    assert problem.allowed
    assert problem.line == line_of(text, "bell")


def test_text_that_is_not_utf8_is_reported(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Caf\u00e9\n".encode("latin-1"))
    assert_reported(only_problem(path), path, line=None, field=None, allowed=("UTF-8",), message=("UTF-8",))


def test_a_nul_byte_is_reported(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"name: x\x00\n")
    assert_reported(only_problem(path), path, line=None, field=None, message=("NUL",))


def test_an_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    problems = load_problems(path)
    assert any("too many values" in p.message for p in problems)


# ---------------------------------------------------------------------------
# Fields and parameters


def test_a_scenario_needs_a_name(tmp_path):
    text = f"description: nameless\nextends: {BASELINE}\n"
    path = write(tmp_path, "nameless.yaml", text)
    problem = only_problem(path)
    assert "name" in problem.message and problem.allowed


@pytest.mark.parametrize("word, value", [("true", True), ("false", False), ("yes", True), ("off", False)])


def test_true_or_false_where_a_number_is_expected_is_rejected(tmp_path, word, value):
    text = child(f"parameters:\n  services.day_centre.places: {word}\n")
    path = write(tmp_path, "bool.yaml", text)
    assert_reported(only_problem(path), path, line=line_of(text, "places:"),
                    field="parameters.services.day_centre.places", value=value,
                    allowed=("whole number",), message=("true/false",))


def test_the_bounds_of_a_share_are_allowed(tmp_path):
    zero = load_scenario(write(tmp_path, "zero.yaml", child("parameters:\n  population.severe_share: 0\n")))
    one = load_scenario(write(tmp_path, "one.yaml", child("parameters:\n  population.severe_share: 1\n")))
    assert zero.values["population.severe_share"] == 0
    assert one.values["population.severe_share"] == 1


def test_a_value_outside_the_sensitivity_range_is_still_allowed(tmp_path, baseline):
    spec = baseline.params["services.day_centre.places"]
    above = spec.high * 2
    scenario = load_scenario(write(tmp_path, "big.yaml", child(f"parameters:\n  services.day_centre.places: {above}\n")))
    assert scenario.values["services.day_centre.places"] == above


@pytest.mark.parametrize("word, value", [(".inf", math.inf), ("-.inf", -math.inf)])


def test_infinity_is_rejected(tmp_path, word, value):
    text = child(f"parameters:\n  services.day_centre.places: {word}\n")
    path = write(tmp_path, "inf.yaml", text)
    assert_reported(only_problem(path), path, line=line_of(text, word),
                    field="parameters.services.day_centre.places", value=value, allowed=("whole number",))


@pytest.mark.parametrize("written, pounds", [('"£1,200"', "1200"), ("£1,200", "1200"), ("'£ 1,200.50'", "1200.50"), ("1200", "1200"), ('"1,200"', "1200")])


def test_money_may_be_written_with_a_pound_sign_and_commas(tmp_path, written, pounds):
    text = child(f"parameters:\n  services.day_centre.block_cost_per_year: {written}\n")
    scenario = load_scenario(write(tmp_path, "money.yaml", text))
    assert scenario.values["services.day_centre.block_cost_per_year"] == float(pounds)


@pytest.mark.parametrize("written", ["£abc", "£", "£1,2,3x", "£-100"])


def test_money_that_is_not_an_amount_of_pounds_is_rejected(tmp_path, written):
    text = child(f"parameters:\n  services.day_centre.block_cost_per_year: '{written}'\n")
    path = write(tmp_path, "money.yaml", text)
    assert_reported(only_problem(path), path, line=line_of(text, "block_cost_per_year"),
                    field="parameters.services.day_centre.block_cost_per_year", value=written,
                    allowed=("pounds",))


def test_a_parameter_may_be_restated_as_a_leaf_with_a_new_value(tmp_path, baseline):
    places = baseline.values["services.day_centre.places"] + 5
    scenario = load_scenario(write(tmp_path, "leaf.yaml", child(f"parameters:\n  services.day_centre.places:\n    value: {places}\n")))
    assert scenario.values["services.day_centre.places"] == places


@pytest.mark.parametrize("unit", ["[share]", "{a: 1}"])


def test_a_leaf_whose_unit_is_not_text_is_rejected(tmp_path, unit):
    text = child(f"parameters:\n  population.severe_share:\n    value: 0.3\n    unit: {unit}\n")
    path = write(tmp_path, "unit.yaml", text)
    problem = only_problem(path)
    assert problem.field == "parameters.population.severe_share.unit"
    assert problem.line == line_of(text, "unit:")


def test_a_leaf_whose_distribution_type_is_not_text_is_rejected(tmp_path):
    text = child("parameters:\n  population.severe_share:\n    value: 0.3\n    distribution: {type: [uniform]}\n")
    path = write(tmp_path, "dist.yaml", text)
    problem = only_problem(path)
    assert problem.field.startswith("parameters.population.severe_share.distribution")


def test_yaml_merge_keys_are_reported(tmp_path):
    text = child("settings: &s\n  years: 5\nparameters:\n  <<: *s\n")
    path = write(tmp_path, "merge.yaml", text)
    problems = load_problems(path)
    assert any("merge" in p.message and p.line == line_of(text, "<<") for p in problems)


def test_settings_override_the_parent(tmp_path, baseline):
    years = baseline.settings.years / 2
    scenario = load_scenario(write(tmp_path, "short.yaml", child(f"settings:\n  years: {years}\n")))
    assert scenario.settings.years == years
    assert scenario.settings.start_date == baseline.settings.start_date


# ---------------------------------------------------------------------------
# Actions


def test_redirect_shares_adding_up_to_exactly_one_are_allowed(tmp_path):
    text = child("actions:\n  - close: day_centre\n    at: month 6\n    redirect:\n      personal_budgets: 0.5\n      peer_support: 0.3\n      recovery_college: 0.2\n")
    scenario = load_scenario(write(tmp_path, "redirect.yaml", text))
    (action,) = scenario.actions
    assert dict(action.redirect) == {"personal_budgets": 0.5, "peer_support": 0.3, "recovery_college": 0.2}


def test_raised_crisis_risk_is_read_from_the_redirect(tmp_path):
    text = child("actions:\n  - close: day_centre\n    at: month 6\n    redirect:\n      raised_crisis_risk: {multiplier: 1.3, months: 6}\n")
    (action,) = load_scenario(write(tmp_path, "risk.yaml", text)).actions
    assert action.raised_risk == (1.3, 6.0)


@pytest.mark.parametrize("when", ["2040-01-01", "month 121", "month 1000", "2015-10-31", "month -1"])


def test_an_action_outside_the_simulated_period_is_rejected(tmp_path, baseline, when):
    text = child(f"actions:\n  - close: day_centre\n    at: {when}\n")
    path = write(tmp_path, "late.yaml", text)
    problem = only_problem(path)
    assert_reported(problem, path, line=line_of(text, "at:"), field="actions[0].at", value=when,
                    allowed=(str(baseline.settings.start_date),), message=("outside the simulated period",))


def test_a_month_just_beyond_the_horizon_is_rejected(tmp_path, baseline):
    month = baseline.settings.years * 12 + 1
    text = child(f"actions:\n  - open: recovery_college\n    at: month {month:g}\n")
    path = write(tmp_path, "late.yaml", text)
    problem = only_problem(path)
    assert problem.field == "actions[0].at"
    assert f"month {baseline.settings.years * 12:g}" in problem.allowed


def test_a_date_the_day_before_the_start_is_rejected(tmp_path, baseline):
    before = baseline.settings.start_date - dt.timedelta(days=1)
    text = child(f"actions:\n  - close: day_centre\n    at: {before.isoformat()}\n")
    path = write(tmp_path, "early.yaml", text)
    assert_reported(only_problem(path), path, line=line_of(text, "at:"), field="actions[0].at",
                    value=before.isoformat(), message=("outside",))


def test_actions_on_the_first_and_last_day_are_allowed(tmp_path, baseline):
    last = baseline.settings.years * 12
    text = child(f"actions:\n  - close: day_centre\n    at: {baseline.settings.start_date.isoformat()}\n"
                 f"  - open: recovery_college\n    at: month {last:g}\n")
    scenario = load_scenario(write(tmp_path, "edges.yaml", text))
    assert [a.day for a in scenario.actions] == [0.0, months_to_days(last)]


def test_a_shorter_run_length_moves_the_horizon(tmp_path):
    path = SCENARIOS / "close_day_centre.yaml"
    action_month = load_scenario(path).actions[0].day / DAYS_PER_MONTH
    years = (action_month - 1) / 12
    with pytest.raises(InputError) as info:
        load_scenarios([path], years=years)
    assert any("outside the simulated period" in p.message and same_file(p.file, path) for p in info.value.problems)
    assert load_scenarios([path], years=(action_month + 1) / 12)


def test_a_horizon_problem_in_a_parent_names_the_parent_file(tmp_path):
    parent = write(tmp_path, "parent.yaml", child("actions:\n  - close: day_centre\n    at: month 100\n", "Parent"))
    kid = write(tmp_path, "kid.yaml", "name: Kid\nextends: parent.yaml\nsettings:\n  years: 5\n")
    problem = only_problem(kid)
    assert same_file(problem.file, parent)
    assert problem.line == line_of(parent.read_text(), "at: month 100")


def test_an_action_at_a_very_late_start_date_is_reported_not_raised(tmp_path):
    text = child("settings:\n  start_date: 9999-06-01\nactions:\n  - close: day_centre\n    at: month 200\n")
    path = write(tmp_path, "late_start.yaml", text)
    # start dates are bounded (1990 to 2100) since the hardening of issue 13; the action is still checked
    fields = {p.field for p in load_problems(path)}
    assert fields == {"settings.start_date", "actions[0].at"}


def test_a_service_without_a_switch_cannot_be_closed(tmp_path):
    fixed = next(name for name, info in SERVICES.items() if info.open_path is None)
    text = child(f"actions:\n  - close: {fixed}\n    at: month 6\n")
    path = write(tmp_path, "close.yaml", text)
    assert_reported(only_problem(path), path, line=line_of(text, f"close: {fixed}"), field="actions[0].close", value=fixed)


def test_resize_sets_the_services_capacity_parameter(tmp_path):
    text = child("actions:\n  - resize: enablement\n    at: month 3\n    capacity: 79\n")
    (action,) = load_scenario(write(tmp_path, "resize.yaml", text)).actions
    assert action.values == ((SERVICES["enablement"].capacity_path, 79),)


def test_an_unknown_field_in_an_action_suggests_the_nearest_one(tmp_path):
    text = child("actions:\n  - resize: enablement\n    at: month 3\n    capasity: 79\n")
    path = write(tmp_path, "field.yaml", text)
    problems = load_problems(path)
    assert any(p.field == "actions[0].capasity" and "did you mean 'capacity'" in p.message
               and p.line == line_of(text, "capasity") for p in problems)


# ---------------------------------------------------------------------------
# When actions happen


@pytest.mark.parametrize("at", ["month 6", "Month 6", "'month: 6'", "6", "6.0", "{month: 6}", "{month: '6'}"],
                         ids=["month-text", "capitalised", "month-colon", "bare-number", "float", "month-mapping", "month-mapping-text"])


def test_an_action_time_may_be_written_as_a_month(tmp_path, at):
    text = child(f"actions:\n  - close: day_centre\n    at: {at}\n")
    (action,) = load_scenario(write(tmp_path, "when.yaml", text)).actions
    assert action.day == months_to_days(6)
    assert action.when == "month 6"


def test_a_fractional_month_is_allowed(tmp_path):
    (action,) = load_scenario(write(tmp_path, "when.yaml", child("actions:\n  - close: day_centre\n    at: month 2.5\n"))).actions
    assert action.day == months_to_days(2.5)


@pytest.mark.parametrize("at", ["2016-05-01", "'2016-05-01'", "{date: 2016-05-01}", "{date: '2016-05-01'}"],
                         ids=["date", "quoted-date", "date-mapping", "date-mapping-text"])


def test_an_action_time_may_be_written_as_a_date(tmp_path, baseline, at):
    (action,) = load_scenario(write(tmp_path, "when.yaml", child(f"actions:\n  - close: day_centre\n    at: {at}\n"))).actions
    expected = (dt.date(2016, 5, 1) - baseline.settings.start_date).days
    assert action.day == expected
    assert action.when == "2016-05-01"


def test_a_date_counts_from_the_scenarios_own_start_date(tmp_path):
    start = dt.date(2020, 1, 1)
    text = child(f"settings:\n  start_date: {start}\nactions:\n  - close: day_centre\n    at: 2020-03-01\n")
    (action,) = load_scenario(write(tmp_path, "when.yaml", text)).actions
    assert action.day == (dt.date(2020, 3, 1) - start).days


@pytest.mark.parametrize("at", ["soon", "month six", "{week: 6}", "{month: 6, date: 2016-01-01}", "true", "[6]", "2016-13-01", ".nan", "{month: .nan}", "month nan", "month inf"],
                         ids=["word", "month-word", "week", "two-keys", "bool", "list", "bad-date", "nan", "month-nan", "month-nan-text", "month-inf-text"])


def test_an_unreadable_action_time_is_rejected(tmp_path, at):
    text = child(f"actions:\n  - close: day_centre\n    at: {at}\n")
    path = write(tmp_path, "when.yaml", text)
    problem = only_problem(path)
    assert same_file(problem.file, path)
    assert problem.field == "actions[0].at"
    assert problem.line == line_of(text, "at:")
    assert problem.allowed


def test_a_month_number_too_large_for_a_float_is_rejected(tmp_path):
    text = child(f"actions:\n  - close: day_centre\n    at: {10 ** 400}\n")
    path = write(tmp_path, "when.yaml", text)
    problem = only_problem(path)
    assert problem.field == "actions[0].at"


# ---------------------------------------------------------------------------
# extends


def test_two_files_extending_each_other_are_reported_as_a_loop(tmp_path):
    a_text = "name: A\nextends: b.yaml\n"
    b_text = "name: B\nextends: a.yaml\n"
    a = write(tmp_path, "a.yaml", a_text)
    b = write(tmp_path, "b.yaml", b_text)
    problem = only_problem(a)
    assert_reported(problem, b, line=line_of(b_text, "extends"), field="extends",
                    allowed=("baseline.yaml",), message=("loop",))
    assert "a.yaml" in str(problem.value) and "b.yaml" in str(problem.value)


def test_a_file_extending_itself_is_reported_as_a_loop(tmp_path):
    text = "name: Me\n# I build on myself\nextends: me.yaml\n"
    path = write(tmp_path, "me.yaml", text)
    problem = only_problem(path)
    assert_reported(problem, path, line=line_of(text, "extends"), field="extends", message=("loop",))
    assert str(problem.value).count("me.yaml") == 2


def test_a_missing_parent_is_reported(tmp_path):
    text = "name: Orphan\nextends: nowhere.yaml\n"
    path = write(tmp_path, "orphan.yaml", text)
    assert_reported(only_problem(path), path, line=line_of(text, "extends"), field="extends",
                    value="nowhere.yaml", message=("does not exist",))


def test_extends_that_is_not_text_is_rejected(tmp_path):
    text = "name: Odd\nextends: [baseline.yaml]\n"
    path = write(tmp_path, "odd.yaml", text)
    assert_reported(only_problem(path), path, line=line_of(text, "extends"), field="extends", value=["baseline.yaml"])


def test_an_absurdly_long_extends_path_is_reported_not_raised(tmp_path):
    text = "name: Long\nextends: " + "x" * 5000 + ".yaml\n"
    path = write(tmp_path, "long.yaml", text)
    problem = only_problem(path)
    assert problem.field == "extends"


def test_a_problem_in_a_parent_is_reported_in_the_parent(tmp_path):
    parent_text = child("parameters:\n  services.day_centre.places: -1\n", "Parent")
    parent = write(tmp_path, "parent.yaml", parent_text)
    kid = write(tmp_path, "kid.yaml", "name: Kid\nextends: parent.yaml\n")
    problem = only_problem(kid)
    assert_reported(problem, parent, line=line_of(parent_text, "places"),
                    field="parameters.services.day_centre.places", value=-1)


def test_a_root_file_must_declare_every_parameter(tmp_path):
    text = "name: Root\nparameters:\n  population:\n    severe_share:\n      value: 0.3\n      unit: share\n      source: X\n"
    path = write(tmp_path, "root.yaml", text)
    problems = load_problems(path)
    assert any(p.message.startswith("parameter missing") for p in problems)
    assert all(same_file(p.file, path) for p in problems)


def test_a_root_parameter_needs_a_source_or_an_assumption(tmp_path):
    """The first parameter of the baseline that rests on a source alone loses it: that one field is reported."""
    text = BASELINE.read_text(encoding="utf-8")
    section, name = next((section, name) for section, leaves in yaml.safe_load(text)["parameters"].items()
                         for name, leaf in leaves.items()
                         if isinstance(leaf, dict) and "source" in leaf and "assumption" not in leaf)
    at = text.index(f"\n    {name}:\n", text.index(f"\n  {section}:\n"))
    start = text.index("      source:", at)
    end = text.index("\n", start)
    path = write(tmp_path, "root.yaml", text[:start] + text[end + 1:])
    problems = load_problems(path)
    assert [p.field for p in problems] == [f"parameters.{section}.{name}"]


# ---------------------------------------------------------------------------
# Many problems at once


def test_every_problem_in_a_file_is_reported_at_once(tmp_path):
    text = child(
        "descripton: typo\n"                              # 1 unknown top-level field
        "parameters:\n"
        "  services.day_centre.places: -5\n"              # 2 negative capacity
        "  population.severe_share: 2\n"                  # 3 share above 1
        "  services.day_centre.place: 5\n"                # 4 unknown parameter
        "actions:\n"
        "  - close: day_center\n"                         # 5 unknown service
        "    at: month 6\n"
        "  - resize: enablement\n"                        # 6 resize without capacity
        "    at: month 3\n"
    )
    path = write(tmp_path, "many.yaml", text)
    problems = load_problems(path)
    assert len(problems) == 6, "\n".join(map(str, problems))
    assert {p.field for p in problems} == {
        "descripton", "parameters.services.day_centre.places", "parameters.population.severe_share",
        "parameters.services.day_centre.place", "actions[0].close", "actions[1]",
    }
    assert all(same_file(p.file, path) and p.line is not None for p in problems)


def test_a_misspelt_field_does_not_hide_the_problems_in_what_it_holds(tmp_path):
    """One pass reports everything: what a misspelt name holds is checked as what it most likely means."""
    text = child(
        "paramters:\n"                                   # misspelt section...
        "  services.day_centre.places: -5\n"             # ...still checked: negative capacity
        "  services.day_centre.place: 7\n"               # misspelt parameter holding a bad value
        "actions:\n"
        "  - close: day_centre\n"
        "    at: month 6\n"
        "    redirekt: {personal_budgets: 0.45, peer_support: 0.75}\n"   # misspelt field, shares over 1
        "  - resize: enablment\n"                        # misspelt service...
        "    capacity: -5\n"                             # ...with a negative capacity
        "    at: month 3\n"
    ).replace("place: 7", "place: -7")
    path = write(tmp_path, "typos.yaml", text)
    problems = load_problems(path)
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        by_field.setdefault(problem.field, []).append(problem.message)
    assert any("did you mean 'parameters'" in m for m in by_field["paramters"])
    assert any("at least 0" in m for m in by_field["parameters.services.day_centre.places"])
    messages = by_field["parameters.services.day_centre.place"]
    assert any("did you mean" in m for m in messages) and any("at least 0" in m for m in messages)
    messages = by_field["actions[0].redirekt"]
    assert any("did you mean 'redirect'" in m for m in messages) and any("more than 1" in m for m in messages)
    assert any("did you mean 'enablement'" in m for m in by_field["actions[1].resize"])
    assert any("at least 0" in m for m in by_field["actions[1].capacity"])
    assert all(p.line is not None for p in problems), "\n".join(map(str, problems))


def test_a_misspelt_extends_is_never_followed(tmp_path):
    """Guessing 'extends' would let an upload read any file on the server: only a path spelt out is read."""
    secret = write(tmp_path, "secret.txt", "not: [a scenario\n")
    with pytest.raises(InputError) as info:
        scenario_from_text(f"name: x\nextend: {secret}\n", "upload.yaml")
    text = str(info.value)
    assert "did you mean 'extends'" in text
    assert str(secret) not in text.replace(f"extend: {secret}", "") and "secret.txt:" not in text


def test_two_misspellings_of_one_field_are_reported_and_neither_is_guessed(tmp_path):
    text = child("actoins:\n  - close: day_centre\n    at: month 6\nactons:\n  - close: day_centre\n    at: month 99999\n")
    path = write(tmp_path, "two_typos.yaml", text)
    problems = load_problems(path)
    assert {p.field for p in problems} == {"actoins", "actons"}


def test_an_action_without_a_time_still_has_its_other_fields_checked(tmp_path):
    text = child("actions:\n  - close: day_centre\n    redirect: {peer_support: 2}\n")
    path = write(tmp_path, "no_time.yaml", text)
    fields = {p.field for p in load_problems(path)}
    assert fields == {"actions[0]", "actions[0].redirect.peer_support"}


def test_problems_in_several_files_are_reported_together(tmp_path):
    bad1 = write(tmp_path, "bad1.yaml", child("parameters:\n  services.day_centre.places: -5\n"))
    bad2 = write(tmp_path, "bad2.yaml", child("descripton: typo\n"))
    missing = tmp_path / "missing.yaml"
    with pytest.raises(InputError) as info:
        load_scenarios([bad1, SCENARIOS / "close_day_centre.yaml", bad2, missing])
    files = [p.file for p in info.value.problems]
    assert len(files) == 3
    for path in (bad1, bad2, missing):
        assert sum(same_file(f, path) for f in files) == 1


def test_the_error_message_lists_one_problem_per_line(tmp_path):
    text = child("descripton: typo\nparameters:\n  services.day_centre.places: -5\n")
    with pytest.raises(InputError) as info:
        load_scenario(write(tmp_path, "two.yaml", text))
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]


# ---------------------------------------------------------------------------
# Uploads


def test_an_upload_that_extends_the_baseline_is_parsed(baseline):
    places = baseline.values["services.day_centre.places"] - 30
    text = (f"name: Uploaded\nextends: baseline.yaml\nparameters:\n  services.day_centre.places: {places}\n"
            "actions:\n  - close: peer_support\n    at: month 4\n")
    scenario = scenario_from_text(text, "upload.yaml", base_dir=SCENARIOS)
    assert scenario.name == "Uploaded"
    assert scenario.file == "upload.yaml"
    assert scenario.values["services.day_centre.places"] == places
    assert scenario.overrides == ("services.day_centre.places",)
    assert [(a.verb, a.service, a.day) for a in scenario.actions] == [("close", "peer_support", months_to_days(4))]


def test_an_upload_given_as_bytes_is_parsed(baseline):
    scenario = scenario_from_text("name: Caf\u00e9\nextends: baseline.yaml\n".encode("utf-8"), "upload.yaml", base_dir=SCENARIOS)
    assert scenario.name == "Caf\u00e9"
    assert scenario.values == baseline.values


def test_an_upload_that_extends_a_shipped_scenario_matches_it():
    shipped = load_scenario(SCENARIOS / "close_day_centre.yaml")
    upload = scenario_from_text("name: Mine\nextends: close_day_centre.yaml\n", "mine.yaml", base_dir=SCENARIOS)
    assert upload.values == shipped.values
    assert [a.as_dict() for a in upload.actions] == [a.as_dict() for a in shipped.actions]


def test_an_upload_looks_up_extends_in_its_base_folder(tmp_path, baseline):
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")
    places = baseline.values["services.day_centre.places"] + 9
    write(tmp_path, "mid.yaml", f"name: Mid\nextends: baseline.yaml\nparameters:\n  services.day_centre.places: {places}\n")
    upload = scenario_from_text("name: Up\nextends: mid.yaml\n", "up.yaml", base_dir=tmp_path)
    assert upload.values["services.day_centre.places"] == places


def test_oversized_upload_text_is_rejected():
    text = "name: big\n" + "#" * MAX_BYTES + "\n"
    with pytest.raises(InputError) as info:
        scenario_from_text(text, "big.yaml", base_dir=SCENARIOS)
    (problem,) = info.value.problems
    assert problem.file == "big.yaml"
    assert "too large" in problem.message
    assert f"{MAX_BYTES:,}" in problem.allowed


def test_oversized_upload_bytes_are_rejected():
    data = b"name: big\n" + b"#" * MAX_BYTES
    with pytest.raises(InputError) as info:
        scenario_from_text(data, "big.yaml", base_dir=SCENARIOS)
    (problem,) = info.value.problems
    assert "too large" in problem.message and f"{len(data):,}" in problem.message


def test_an_upload_just_under_the_size_limit_is_read():
    head = "name: Padded\nextends: baseline.yaml\n"
    text = head + "#" * (MAX_BYTES - len(head) - 1) + "\n"
    assert len(text.encode()) == MAX_BYTES
    assert scenario_from_text(text, "padded.yaml", base_dir=SCENARIOS).name == "Padded"


def test_an_upload_with_problems_names_the_upload(tmp_path):
    text = "name: Up\nextends: baseline.yaml\nparameters:\n  services.day_centre.places: -5\n"
    with pytest.raises(InputError) as info:
        scenario_from_text(text, "my upload.yaml", base_dir=SCENARIOS)
    (problem,) = info.value.problems
    assert problem.file == "my upload.yaml"
    assert problem.line == line_of(text, "places")


def test_an_upload_action_outside_the_horizon_is_rejected():
    text = "name: Up\nextends: baseline.yaml\nactions:\n  - close: day_centre\n    at: month 24\n"
    assert scenario_from_text(text, "up.yaml", base_dir=SCENARIOS).actions
    with pytest.raises(InputError) as info:
        scenario_from_text(text, "up.yaml", base_dir=SCENARIOS, years=1)
    (problem,) = info.value.problems
    assert problem.file == "up.yaml" and "outside" in problem.message


def test_an_upload_with_a_control_character_is_reported_not_raised():
    with pytest.raises(InputError) as info:
        scenario_from_text("name: a\x1b[31mred\n", "ansi.yaml", base_dir=SCENARIOS)
    assert info.value.problems[0].file == "ansi.yaml"


# ---------------------------------------------------------------------------
# Fuzzing: whatever the input, the result is a Scenario or an InputError


def _load_text(text: str) -> None:
    try:
        result = scenario_from_text(text, "fuzz.yaml", base_dir=SCENARIOS)
    except InputError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert isinstance(problem, Problem)
            assert problem.file
            str(problem)  # every problem can be shown to the user
        return
    assert isinstance(result, Scenario)


@pytest.fixture(scope="module")
def vocabulary(baseline) -> list[str]:
    words = set(TOP_KEYS) | set(SETTING_RULES) | set(LEAF_KEYS) | set(SERVICES) | set(REDIRECT_TARGETS)
    words |= set(ACTION_VERBS) | {"at", "capacity", "redirect", "note", "month", "date", "type", "multiplier", "months", RAISED_RISK_KEY}
    for path in baseline.params:
        words.add(path)
        words.update(path.split("."))
    return sorted(words)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10 ** 6), max_value=10 ** 6),
    st.integers(),
    st.sampled_from([0, 1, -1, 10 ** 20, 10 ** 400, -(10 ** 400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["month 6", "month -3", "month 1e9", "6", "£1,200", "£abc", "baseline.yaml", "close_day_centre.yaml",
                     "missing.yaml", "fuzz.yaml", "/", "..", "", " ", "2016-05-01", "normal", "uniform", "council", "share"]),
)


@FUZZ
@given(st.text(max_size=400))


def test_arbitrary_text_loads_or_raises_input_error(text):
    _load_text(text)


@FUZZ
@given(st.binary(max_size=200))


def test_arbitrary_bytes_load_or_raise_input_error(data):
    try:
        result = scenario_from_text(data, "fuzz.yaml", base_dir=SCENARIOS)
    except InputError:
        return
    assert isinstance(result, Scenario)


@FUZZ
@given(st.data())


def test_arbitrary_yaml_structures_load_or_raise_input_error(vocabulary, data):
    keys = st.one_of(st.sampled_from(vocabulary), st.text(min_size=1, max_size=12))
    tree = st.recursive(
        _scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
        max_leaves=25,
    )
    doc = data.draw(st.dictionaries(keys, tree, max_size=6), label="document")
    if data.draw(st.booleans(), label="extends baseline"):
        doc["extends"] = "baseline.yaml"
    if data.draw(st.booleans(), label="has name"):
        doc["name"] = "Fuzz"
    _load_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())


def test_scenario_shaped_documents_load_or_raise_input_error(vocabulary, baseline, data):
    """Documents built like real scenarios, with random values in every slot."""
    paths = sorted(baseline.params)
    value = st.one_of(_scalars, st.lists(_scalars, max_size=3), st.dictionaries(st.sampled_from(sorted(LEAF_KEYS) + ["type"]), _scalars, max_size=4))
    when = st.one_of(_scalars, st.sampled_from(["month 6", "month 200", "2016-05-01", "2040-01-01"]),
                     st.dictionaries(st.sampled_from(["month", "date", "week"]), _scalars, min_size=1, max_size=2))
    service = st.one_of(st.sampled_from(sorted(SERVICES)), _scalars)
    redirect = st.dictionaries(st.sampled_from([*REDIRECT_TARGETS, RAISED_RISK_KEY, "nowhere"]),
                               st.one_of(_scalars, st.dictionaries(st.sampled_from(["multiplier", "months", "x"]), _scalars, max_size=3)),
                               max_size=4)
    action = st.one_of(
        st.fixed_dictionaries({"close": service, "at": when}, optional={"redirect": redirect, "note": _scalars}),
        st.fixed_dictionaries({"open": service, "at": when}, optional={"capacity": _scalars}),
        st.fixed_dictionaries({"resize": service, "at": when}, optional={"capacity": _scalars}),
        st.fixed_dictionaries({"set": st.dictionaries(st.sampled_from(paths), value, max_size=3), "at": when}),
        st.dictionaries(st.sampled_from(vocabulary), _scalars, max_size=3),
    )
    doc = data.draw(st.fixed_dictionaries(
        {"name": st.one_of(st.just("Fuzz"), _scalars), "extends": st.sampled_from(["baseline.yaml", "close_day_centre.yaml", "baseline.yaml"])},
        optional={
            "description": _scalars,
            "settings": st.dictionaries(st.sampled_from([*SETTING_RULES, "yeras"]), _scalars, max_size=4),
            "parameters": st.dictionaries(st.sampled_from(paths), value, max_size=6),
            "actions": st.lists(action, max_size=4),
        },
    ), label="scenario")
    _load_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def test_an_upload_cannot_extend_a_file_outside_the_scenarios_folder(tmp_path):
    from simulation.scenario import scenario_from_text

    secret = tmp_path / "secret.yaml"
    secret.write_text("name: secret\n")
    for ext in (str(secret), "../README.md", "../../etc/passwd"):
        with pytest.raises(InputError) as info:
            scenario_from_text(f"name: x\nextends: {ext}\n", "upload.yaml", base_dir=SCENARIOS)
        (problem,) = info.value.problems
        assert problem.field == "extends" and "scenarios folder" in problem.message


def test_restating_a_parameter_with_value_outside_its_range_is_allowed(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(f"name: x\nextends: {SCENARIOS / 'baseline.yaml'}\nparameters:\n"
                 "  services.enablement.tenancies_operative: {value: 120}\n")
    s = load_scenario(f)
    assert s.values["services.enablement.tenancies_operative"] == 120


def test_parameters_read_as_attributes_and_cannot_be_written():
    """``P.group.name`` reads a resolved value; a name that is not there says its whole path; nothing can be
    written or deleted; a pickled copy (as sent to worker processes) reads the same."""
    import pickle

    from simulation.parameters import Params

    P = Params({"crisis.rate_per_year_severe": 0.25, "services.day_centre.places": 120, "top": 1.5})
    assert (P.crisis.rate_per_year_severe, P.services.day_centre.places, P.top) == (0.25, 120, 1.5)
    assert P.get("services.day_centre.places") == 120
    with pytest.raises(AttributeError, match="no parameter 'services.day_centre.nope'"):
        P.services.day_centre.nope
    with pytest.raises(AttributeError, match="read-only"):
        P.crisis.rate_per_year_severe = 1.0
    with pytest.raises(AttributeError, match="read-only"):
        del P.top
    assert not hasattr(P, "missing")
    copy = pickle.loads(pickle.dumps(P))
    assert copy.crisis.rate_per_year_severe == 0.25 and copy.services.day_centre.places == 120
