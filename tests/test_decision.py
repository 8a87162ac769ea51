"""The answer first: the cards read the precomputed PSA (or say plainly it is not run) and word what would change it."""

from __future__ import annotations

import pandas as pd

from dashboard.data import Plan, ScenarioResults
from dashboard.decision import PSA_MISSING, answer_card, flips_if, rank, read_psa, robust_sentence

PLAN = Plan(seed=1, replications=5, years=10.0, scale=0.25, warmup_years=0.0)


def results(label: str, file: str, **columns: list[float]) -> ScenarioResults:
    frame = pd.DataFrame({"replication": range(5), **columns})
    empty = pd.DataFrame()
    r = ScenarioResults(label, label, label, "", label, PLAN, frame, empty, empty)
    r.manifest = {"scenarios": [{"content_hash": label, "file": file}]}
    return r


BASE = results("Baseline", "baseline.yaml", cost_health_and_care=[60e6, 63e6, 57e6, 61e6, 59e6], qalys=[1000.0] * 5,
               nmb_20k=[20e6 - 60e6, 20e6 - 63e6, 20e6 - 57e6, 20e6 - 61e6, 20e6 - 59e6], nmb_30k=[0.0] * 5)
CLOSE = results("Close the day centre", "close_day_centre.yaml", cost_health_and_care=[51e6, 53e6, 47e6, 50e6, 50e6],
                qalys=[999.0] * 5, nmb_20k=[20e6 - 51e6 - 2e4, 20e6 - 53e6 - 2e4, 20e6 - 47e6 - 2e4, 20e6 - 50e6 - 2e4, 20e6 - 50e6 - 2e4],
                nmb_30k=[1.0] * 5)


def write_psa(root, stem: str, switch: bool) -> None:
    folder = root / stem
    folder.mkdir(parents=True)
    pd.DataFrame([{"scenario": "Baseline"}, {
        "scenario": "Close the day centre", "probability_saves_nhs": 0.97, "probability_saves_council": 0.4,
        "probability_saves_health_and_care": 0.95, "probability_cost_effective_20000": 0.81,
        "probability_cost_effective_30000": 0.78}]).to_csv(folder / "psa-best.csv", index=False)
    rows = [{"metric": "nmb_20k", "parameter": "a", "label": "Crises a year", "threshold_wtp": 20000, "preferred_below": "Close the day centre",
             "preferred_above": "Baseline", "switch_value": 0.62 if switch else None, "switch_values": "0.62" if switch else "",
             "base": 0.5, "evppi": 1e5},
            {"metric": "nmb_20k", "parameter": "b", "label": "Minor input", "threshold_wtp": 20000, "preferred_below": "Baseline",
             "preferred_above": "Close the day centre", "switch_value": 3.0 if switch else None, "switch_values": "3" if switch else "",
             "base": 1, "evppi": 10.0}]
    pd.DataFrame(rows).to_csv(folder / "psa-thresholds.csv", index=False)


def test_a_decision_without_a_psa_says_plainly_it_is_not_run(tmp_path):
    assert read_psa(CLOSE, tmp_path) is None
    text = str(answer_card(BASE, CLOSE, None))
    assert PSA_MISSING in text and PSA_MISSING.startswith("not computed yet") and "make" not in PSA_MISSING
    assert "not computed yet" in robust_sentence(BASE, CLOSE, None)


def test_the_card_reads_the_probabilities_and_names_the_input_worth_most_to_know(tmp_path):
    write_psa(tmp_path, "close_day_centre", switch=True)
    facts = read_psa(CLOSE, tmp_path)
    assert facts is not None and facts.saves_health_and_care == 0.95 and facts.cost_effective == {20_000: 0.81, 30_000: 0.78}
    card = str(answer_card(BASE, CLOSE, facts))
    assert "health and care 95% (NHS 97%, council 40%)" in card and "81% at £20,000; 78% at £30,000 per QALY" in card
    flip = flips_if(facts, CLOSE)
    assert flip == "it stays the better choice at £20,000 per QALY only while Crises a year is below 0.62 (the model uses 0.5)"
    sentence = robust_sentence(BASE, CLOSE, facts)
    assert sentence.count(". ") == 0 and sentence.endswith(".") and "saves health and care money is robust" in sentence
    assert "81% of the PSA's samples" in sentence and "Crises a year" in sentence


def test_no_switch_in_range_reads_robust(tmp_path):
    write_psa(tmp_path, "close_day_centre", switch=False)
    facts = read_psa(CLOSE, tmp_path)
    assert flips_if(facts, CLOSE) is None
    assert "no single uncertain input changes the answer" in robust_sentence(BASE, CLOSE, facts)


def test_decisions_rank_by_net_monetary_benefit_best_first():
    assert [s.label for s, _ in rank(BASE, [BASE, CLOSE])][0] == "Close the day centre"


def test_the_flip_is_worded_by_which_side_of_the_switch_the_model_stands(tmp_path):
    """'Becomes the better choice only if above 0.025' would be nonsense when the model already uses 0.04."""
    write_psa(tmp_path, "close_day_centre", switch=True)
    facts = read_psa(CLOSE, tmp_path)
    above = dict(facts.thresholds[0], preferred_below="Baseline", preferred_above="Close the day centre", switch_value=0.025, base=0.04)
    facts.thresholds = [above]
    assert flips_if(facts, CLOSE) == ("it stays the better choice at £20,000 per QALY only while Crises a year is above "
                                      "0.025 (the model uses 0.04)")
    facts.thresholds = [dict(above, base=0.01)]
    assert flips_if(facts, CLOSE).startswith("it would become the better choice at £20,000 per QALY only if Crises a year were above")


def test_a_switch_worth_nothing_to_know_is_not_named(tmp_path):
    write_psa(tmp_path, "close_day_centre", switch=True)
    t = pd.read_csv(tmp_path / "close_day_centre" / "psa-thresholds.csv")
    t["evppi"] = 0.0
    t.to_csv(tmp_path / "close_day_centre" / "psa-thresholds.csv", index=False)
    assert flips_if(read_psa(CLOSE, tmp_path), CLOSE) is None


def test_a_card_with_probabilities_says_why_they_can_disagree_with_the_tables_interval(tmp_path):
    write_psa(tmp_path, "close_day_centre", switch=False)
    card = answer_card(BASE, CLOSE, read_psa(CLOSE, tmp_path))
    notes = [c for c in card.children if getattr(c, "className", None) == "card-psa-note"]
    assert len(notes) == 1
    note = notes[0].children
    assert note.count(". ") == 0 and note.endswith("."), "one plain sentence"
    assert "vary the uncertain assumptions" in note and "only the runs' chance with the assumptions fixed" in note
    without = answer_card(BASE, CLOSE, None)   # no probabilities shown, so nothing to reconcile
    assert not [c for c in without.children if getattr(c, "className", None) == "card-psa-note"]


def test_a_reinvestment_card_says_whether_it_is_budget_neutral_for_each_payer():
    """The Compare page carries the builder's per-payer verdict (read back from the scenario file), as the brief does."""
    from dataclasses import replace

    from simulation.reinvestment import NEUTRAL_PREFIX

    note = f"# Reinvestment: ...\n# {NEUTRAL_PREFIX} no: NHS: saves £460,000 a year; council: pays £100,000 a year\nname: x\n"
    package = replace(CLOSE, yaml_text=note)
    card = str(answer_card(BASE, package, None))
    assert "Budget-neutral for each payer?" in card and "NHS: saves £460,000" in card
    assert "Budget-neutral for each payer?" not in str(answer_card(BASE, CLOSE, None))


def test_a_card_warns_when_the_runs_and_the_probabilities_disagree_about_the_money(tmp_path):
    """A new user read 'costs £1.3m more in every run' beside 'saves money: 75%' with nothing to reconcile them."""
    from dashboard.decision import PsaFacts

    saves_in_runs = str(answer_card(BASE, CLOSE, PsaFacts(tmp_path, 0.3, 0.5, 0.2, {20_000: 0.2, 30_000: 0.2})))
    assert "Read with care: the runs say it saves health and care money" in saves_in_runs and "costs more in 80%" in saves_in_runs
    agree = str(answer_card(BASE, CLOSE, PsaFacts(tmp_path, 0.9, 0.5, 0.9, {20_000: 0.9, 30_000: 0.9})))
    assert "Read with care" not in agree
    costs_in_runs = str(answer_card(CLOSE, BASE, PsaFacts(tmp_path, 0.9, 0.9, 0.75, {20_000: 0.75, 30_000: 0.75})))
    assert "the runs say it costs health and care more, but across the inputs' plausible ranges it saves money in 75%" in costs_in_runs
