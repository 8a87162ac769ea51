"""Timed actions in words, as the charts' action markers, the brief and the builder show them: a 'set' action names
the parameter by its label (never its path) and gives the value with its unit."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from simulation.scenario import shipped_catalogue
from simulation.schema import SetParameters, at_month

CODE_LIKE = re.compile(r"_|\b(services|population|crisis|costs|programmes|prices)\.[a-z]|[a-z]:[a-z]")
RATE = "services.personal_budgets.apply_rate_per_year"


def test_a_set_action_says_the_parameters_label_set_to_its_value_with_its_unit():
    spec = shipped_catalogue()[RATE]
    words = at_month(SetParameters, 6, values=((RATE, 0.082),)).describe()
    assert words == f"month 6: {spec.plain_label()} set to 0.082"   # its label already says "per year"
    cost = at_month(SetParameters, 6, values=(("services.acute_beds.cost_per_bed_day", 600.0),)).describe()
    assert cost.endswith("set to £600 a day"), cost
    both = at_month(SetParameters, 3, values=(("programmes.zero_suicide.trainees_per_year", 1000),
                                              ("services.personal_budgets.integrated_assessment", True))).describe()
    assert both == "month 3: Zero Suicide trainees a year set to 1,000 people; One integrated budget assessment " \
                   "(council and NHS) set to on"


def test_no_set_action_reads_like_code():
    for path, spec in shipped_catalogue().items():
        words = at_month(SetParameters, 6, values=((path, spec.value),)).describe()
        assert " set to " in words and not CODE_LIKE.search(words), words


def test_the_charts_action_marker_uses_the_same_words():
    from dashboard import figures as F
    from dashboard.data import Plan, ScenarioResults
    from simulation.scenario import BASELINE_FILE, load_scenario

    plan = Plan(seed=1, replications=3, years=2.0, scale=0.25, warmup_years=0.0)
    base_scenario = load_scenario(BASELINE_FILE)
    ts = pd.DataFrame([{"replication": r, "month": m, "metric": "crisis_episodes", "value": 100.0 + r}
                       for r in range(3) for m in range(1, 25)])
    frame = pd.DataFrame({"replication": range(3)})
    base = ScenarioResults("b", "Baseline", "b", "", "b", plan, frame, ts, pd.DataFrame())
    scenario = base_scenario.__class__(**{**base_scenario.__dict__,
                                          "actions": (at_month(SetParameters, 6, values=((RATE, 0.082),)),)})
    more = ScenarioResults("m", "More budgets", "m", "", "m", plan, frame, ts, pd.DataFrame(), scenario=scenario)
    fig = F.difference_timeseries_figure(base, [more], "crisis_episodes", dt.date(2025, 4, 1))
    notes = [a.text.replace("<br>", " ") for a in fig.layout.annotations if a.name == "action-marker"]
    assert notes == [f"month 6: {shipped_catalogue()[RATE].plain_label()} set to 0.082"]
