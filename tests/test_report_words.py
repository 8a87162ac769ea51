"""The brief's words: who pays comes first, in plain words, and agrees with the intervals."""

from __future__ import annotations

import pandas as pd

from dashboard.data import Plan, ScenarioResults
from dashboard.report import in_words

PLAN = Plan(seed=1, replications=5, years=10.0, scale=0.25, warmup_years=0.0)


def results(label: str, **columns: list[float]) -> ScenarioResults:
    frame = pd.DataFrame({"replication": range(5), **columns})
    empty = pd.DataFrame()
    return ScenarioResults(label, label, label, "", label, PLAN, frame, empty, empty)


BASE = results("Baseline", total_cost=[100e6, 110e6, 90e6, 105e6, 95e6], cost_nhs=[50e6, 52e6, 48e6, 51e6, 49e6],
               cost_council=[10e6, 11e6, 9e6, 10e6, 10e6], cost_society=[40e6, 47e6, 33e6, 44e6, 36e6],
               cost_health_and_care=[60e6, 63e6, 57e6, 61e6, 59e6], crisis_episodes=[500, 510, 490, 505, 495])
CLOSE = results("Close", total_cost=[95e6, 108e6, 84e6, 99e6, 92e6],
                cost_nhs=[40e6, 43e6, 37e6, 41e6, 39e6],            # about £10m lower in every replication
                cost_council=[11e6, 10e6, 10e6, 9e6, 11e6],         # up and down: no clear change
                cost_society=[44e6, 55e6, 37e6, 49e6, 42e6],        # about £5m higher in every replication
                cost_health_and_care=[51e6, 53e6, 47e6, 50e6, 50e6],
                crisis_episodes=[600, 611, 588, 607, 594])


def test_who_pays_comes_first_and_names_each_payer_plainly():
    text = in_words(BASE, CLOSE, short=True)
    assert text.startswith("Who pays over 10 years: ")
    who = text.split(". ")[0]
    assert "the NHS saves £10" in who
    assert "the council: no clear change" in who
    # wider society is reported beside health and care, never in its total
    assert "Wider society (beside, not in that total) pays £5" in text and "more" in text


def test_the_total_and_what_happens_to_people_follow():
    text = in_words(BASE, CLOSE, short=True)
    assert text.index("Health and care in all") < text.index("What happens to people")
    assert "crisis episodes: 100 more" in text


def test_the_long_form_names_both_scenarios():
    assert in_words(BASE, CLOSE).startswith("Close against Baseline. Who pays")


def test_every_column_of_the_csv_has_a_label_in_words_and_a_unit():
    from dashboard.data import comparison_table

    columns = {"cost.acute_beds.nhs": [1e6] * 5, "crisis_episodes.with_carer": [50.0] * 5, "total_cost": [2e6] * 5}
    base, alt = results("Baseline", **columns), results("Close", **columns)
    table = comparison_table(base, [alt], list(columns))
    labels = dict(zip(table["metric"], table["label"]))
    units = dict(zip(table["metric"], table["unit"]))
    assert labels["cost.acute_beds.nhs"] == "Acute beds (in area): NHS cost" and units["cost.acute_beds.nhs"] == "£"
    assert labels["crisis_episodes.with_carer"] == "Crisis episodes: with a carer"
    assert units["crisis_episodes.with_carer"] == "episodes"
    assert all(label != metric for metric, label in labels.items())


def test_an_outcome_a_decision_cannot_touch_reads_no_change_not_an_interval():
    same = results("Same", **{k: list(BASE.replications[k]) for k in BASE.replications.columns if k != "replication"})
    text = in_words(BASE, same, short=True)
    assert "crisis episodes: no change" in text and "(0 to 0)" not in text
    assert "the NHS: no change" in text


def test_one_replication_says_there_is_no_interval():
    one = Plan(seed=1, replications=1, years=10.0, scale=0.25, warmup_years=0.0)
    empty = pd.DataFrame()
    a = ScenarioResults("a", "A", "A", "", "a", one, pd.DataFrame({"replication": [0], "total_cost": [1e6], "cost_health_and_care": [6e5], "cost_nhs": [5e5]}), empty, empty)
    b = ScenarioResults("b", "B", "B", "", "b", one, pd.DataFrame({"replication": [0], "total_cost": [2e6], "cost_health_and_care": [8e5], "cost_nhs": [7e5]}), empty, empty)
    text = in_words(a, b, short=True)
    assert "the NHS: +£0.20m (one replication: no interval)" in text
    assert "no clear change" not in text


def test_the_brief_shows_parameters_to_their_declared_precision():
    from dashboard.brief import _assumptions
    from simulation.scenario import shipped_catalogue

    from dashboard.brief import label as brief_label

    _changed, figures, _sources = _assumptions([])
    path = "census.support_users_budget_eligible_share"
    label = brief_label(path, shipped_catalogue()[path])
    entry = figures.split(f"<b>{label}</b>", 1)[1].split("</p>", 1)[0]
    assert entry.startswith(": 0.425 (") and path not in figures
