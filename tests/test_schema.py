"""Specification: the run and action schema.

Actions are typed records that a scenario file writes with ``to_yaml`` and
reads back to the same record; every run limit is declared once and every
place that takes run options refuses the same values with the same words.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import catalogue
from simulation.errors import InputError
from simulation.scenario import load_scenario, scenario_from_text
from simulation.schema import (
    RUN_LIMITS,
    SETTING_RULES,
    CloseService,
    OpenService,
    ResizeService,
    SetParameters,
    Settings,
    at_month,
    month_text,
    parse_action,
    run_option_problems,
)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
PARAMS = load_scenario(BASELINE).params
SETTINGS = Settings()

# ---------------------------------------------------------------------------
# Strategies: any action a scenario may hold


months = st.floats(min_value=0, max_value=120, allow_nan=False, allow_infinity=False)
dates = st.dates(min_value=dt.date(2015, 11, 1), max_value=dt.date(2025, 10, 1))


def timed(kind, draw_when, **fields):
    when = draw_when
    if isinstance(when, dt.date):
        return kind((when - SETTINGS.start_date).days * 1.0, when=when.isoformat(), **fields)
    return at_month(kind, when, **fields)


openable = sorted(n for n, s in catalogue.SERVICES.items() if s.open_path)
resizable = sorted(n for n, s in catalogue.SERVICES.items() if s.capacity_path)
places = st.integers(min_value=0, max_value=100_000)


@st.composite
def open_actions(draw):
    service = draw(st.sampled_from(openable))
    capacity = draw(places) if catalogue.SERVICES[service].capacity_path and draw(st.booleans()) else None
    return timed(OpenService, draw(st.one_of(months, dates)), service=service, capacity=capacity)


@st.composite
def resize_actions(draw):
    return timed(ResizeService, draw(st.one_of(months, dates)), service=draw(st.sampled_from(resizable)),
                 capacity=draw(places))


@st.composite
def close_actions(draw):
    service = draw(st.sampled_from(openable))
    redirect: tuple = ()
    raised = None
    if catalogue.SERVICES[service].redirects_users:
        targets = [t for t in catalogue.redirect_targets() if t != service]
        chosen = draw(st.lists(st.sampled_from(targets), unique=True, max_size=len(targets)))
        left = 1.0
        shares = []
        for t in chosen:
            share = draw(st.floats(min_value=0, max_value=left))
            shares.append((t, share))
            left -= share
        redirect = tuple(shares)
        if draw(st.booleans()):
            raised = (draw(st.floats(min_value=0, max_value=120)), draw(st.floats(min_value=0, max_value=120)))
    return timed(CloseService, draw(st.one_of(months, dates)), service=service, redirect=redirect, raised_risk=raised)


SETTABLE = {
    "programmes.zero_suicide.trainees_per_year": st.floats(min_value=0, max_value=100_000),
    "services.day_centre.places": st.integers(min_value=0, max_value=100_000),
    "services.day_centre.block_cost_per_year": st.floats(min_value=0, max_value=1e9),
    "services.personal_budgets.integrated_assessment": st.booleans(),
    "population.severe_share": st.floats(min_value=0, max_value=1),
}


@st.composite
def set_actions(draw):
    paths = draw(st.lists(st.sampled_from(sorted(SETTABLE)), unique=True, min_size=1))
    values = tuple((p, draw(SETTABLE[p])) for p in paths)
    return timed(SetParameters, draw(st.one_of(months, dates)), values=values)


actions = st.one_of(open_actions(), resize_actions(), close_actions(), set_actions())


# ---------------------------------------------------------------------------
# Round trip


@settings(max_examples=300, deadline=None)
@given(actions)
def test_an_action_written_as_yaml_reads_back_as_the_same_action(action):
    written = yaml.safe_load(yaml.safe_dump(action.to_yaml(), sort_keys=False))   # through the text a file holds
    back = parse_action(written, PARAMS, SETTINGS)
    assert back == action
    assert type(back) is type(action)
    assert back.as_dict() == action.as_dict()   # what the content hash is taken over


def test_records_of_different_kinds_are_never_equal():
    assert OpenService(10.0, "day_centre") != CloseService(10.0, "day_centre")


def test_where_an_action_was_written_is_not_part_of_it():
    a = CloseService(30.0, "day_centre", file="a.yaml", line=3, when="month 1")
    b = CloseService(30.0, "day_centre", file="b.yaml", line=9, when="2015-12-01")
    assert a == b


def test_a_month_is_written_exactly():
    assert month_text(6.0) == "month 6"
    tricky = 0.1234567890123456
    day = parse_action({"close": "day_centre", "at": month_text(tricky)}, PARAMS).day
    assert day == at_month(CloseService, tricky, service="day_centre").day


def test_parse_action_reports_every_problem_of_a_bad_action():
    with pytest.raises(InputError) as info:
        parse_action({"close": "day_centre", "at": "someday", "redirect": {"peer_support": 2}}, PARAMS)
    messages = " | ".join(p.message for p in info.value.problems)
    assert "cannot tell when" in messages and "redirect share" in messages


def test_a_scenario_file_is_the_same_scenario_when_its_actions_are_written_back(tmp_path):
    shipped = load_scenario(ROOT / "scenarios" / "coproduction_package.yaml")
    doc = {"name": "Written back", "extends": str(BASELINE), "actions": [a.to_yaml() for a in shipped.actions]}
    again = scenario_from_text(yaml.safe_dump(doc, sort_keys=False), "back.yaml")
    assert again.actions == shipped.actions


# ---------------------------------------------------------------------------
# Run limits, said once


def test_scenario_settings_take_their_limits_from_the_run_limits():
    for key in ("years", "scale", "warmup_years"):
        kind, low, high, allowed = SETTING_RULES[key]
        assert (low, high, allowed) == (RUN_LIMITS[key].low, RUN_LIMITS[key].high, RUN_LIMITS[key].allowed)


@pytest.mark.parametrize("name, bad, good", [("years", 0.05, 0.1), ("years", 51, 50), ("years", math.nan, 10),
                                             ("scale", 0, 0.001), ("scale", 1.5, 1), ("warmup_years", -1, 0),
                                             ("warmup_years", 21, 20), ("reps", 0, 1), ("workers", 0, 1),
                                             ("samples", 0, 1)])
def test_each_limit_refuses_just_outside_and_takes_its_bounds(name, bad, good):
    assert run_option_problems(**{name: good}) == []
    (problem,) = run_option_problems(**{name: bad})
    assert problem.field == RUN_LIMITS[name].option
    assert problem.allowed == RUN_LIMITS[name].allowed


def test_a_count_below_its_minimum_says_the_minimum():
    (problem,) = run_option_problems(reps=0)
    assert problem.message == "--reps must be at least 1"
    (problem,) = run_option_problems(years=0)
    assert problem.message == "--years out of range"


def test_a_setting_outside_the_run_limits_is_refused_with_the_same_words(tmp_path):
    text = f"name: Long\nextends: {BASELINE}\nsettings:\n  years: 60\n"
    with pytest.raises(InputError) as info:
        scenario_from_text(text, "long.yaml")
    (problem,) = info.value.problems
    assert problem.field == "settings.years" and problem.allowed == RUN_LIMITS["years"].allowed


@pytest.mark.parametrize("option, value", [("--years", "60"), ("--scale", "2"), ("--warmup-years", "30")])
def test_sweep_and_psa_refuse_what_run_refuses(option, value):
    from simulation.sensitivity import build_psa
    from simulation.sweep import SweepRequest, build_sweep

    name = option.removeprefix("--").replace("-", "_")
    req = SweepRequest(scenario=BASELINE, vary=[("population.carer_share", None, None, None, "command line", None, "--vary")])
    setattr(req, name, float(value))
    _, _, problems = build_sweep(req)
    _, _, psa_problems = build_psa([BASELINE], 10, 1, 1, **{k: (float(value) if k == name else None)
                                                            for k in ("years", "scale", "warmup_years")})
    expected = RUN_LIMITS[name].problem(float(value))
    assert expected is not None
    for found in (problems, psa_problems):
        assert [(p.message, p.field, p.allowed) for p in found if p.field == option] == \
            [(expected.message, expected.field, expected.allowed)]
