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


def test_a_reinvestment_card_gives_each_payers_simulated_spending_beside_the_plan():
    """The plan says which money moves; the run adds what the decision changes elsewhere. The card gives each payer's
    simulated change in the run's last full financial year (a part year is not a year's budget)."""
    from dataclasses import replace

    from dashboard.decision import simulated_year
    from simulation.reinvestment import NEUTRAL_PREFIX

    def row(payer, fy, months, diff):
        return {"scenario": "x", "payer": payer, "financial_year": fy, "months": months, "baseline_spend": 1e6,
                "scenario_spend": 1e6 + diff, "difference": diff, "difference_ci_low": diff - 5e4,
                "difference_ci_high": diff + 5e4, "n": 5}

    frame = pd.DataFrame([row("nhs", "2016/17", 12, -1e5), row("council", "2016/17", 12, 2e5),
                          row("nhs", "2017/18", 12, -3e5), row("council", "2017/18", 12, 2.9e5),
                          row("nhs", "2018/19", 6, -9e5), row("council", "2018/19", 6, 9e5)])
    note = f"# {NEUTRAL_PREFIX} no: NHS: saves £300,000 a year; council: pays £290,000 a year\nname: x\n"
    base = replace(BASE, content_hash="b")
    package = replace(CLOSE, yaml_text=note, budget_impact=frame, versus="b")
    said = simulated_year(base, package)
    assert said is not None and said.startswith("in 2017/18: ")
    assert "NHS -£0.30m" in said and "council +£0.29m" in said and "2018/19" not in said
    card = str(answer_card(base, package, None))
    assert "As simulated, with its knock-on effects" in card and "in 2017/18" in card
    assert simulated_year(base, replace(package, budget_impact=None, versus=None)) is None   # no monthly series to pair


def test_a_card_warns_when_the_runs_and_the_probabilities_disagree_about_the_money(tmp_path):
    """A new user read 'costs £1.3m more in every run' beside 'saves money: 75%' with nothing to reconcile them."""
    from dashboard.decision import PsaFacts

    saves_in_runs = str(answer_card(BASE, CLOSE, PsaFacts(tmp_path, 0.3, 0.5, 0.2, {20_000: 0.2, 30_000: 0.2})))
    assert "Read with care: the runs say it saves health and care money" in saves_in_runs and "costs more in 80%" in saves_in_runs
    agree = str(answer_card(BASE, CLOSE, PsaFacts(tmp_path, 0.9, 0.5, 0.9, {20_000: 0.9, 30_000: 0.9})))
    assert "Read with care" not in agree
    costs_in_runs = str(answer_card(CLOSE, BASE, PsaFacts(tmp_path, 0.9, 0.9, 0.75, {20_000: 0.75, 30_000: 0.75})))
    assert "the runs say it costs health and care more, but across the inputs' plausible ranges it saves money in 75%" in costs_in_runs


def change(mean: float, low: float, high: float):
    """A paired difference as the runs report it: its mean and 95% interval."""
    from simulation.experiment import Interval

    return Interval(mean, low, high, 1.0, 5)


def test_cost_per_qaly_is_worded_by_the_quadrant_of_the_cost_effectiveness_plane():
    """The ratio of the mean differences in health and care cost and in QALYs, said as a board reads it."""
    from dashboard.decision import cost_per_qaly

    gains, loses = change(4.0, 2.0, 6.0), change(-4.0, -6.0, -2.0)
    costs, saves = change(100_000.0, 50_000.0, 150_000.0), change(-160_000.0, -200_000.0, -120_000.0)
    assert cost_per_qaly(costs, gains) == "costs £25,000 more per QALY gained"
    assert cost_per_qaly(saves, gains) == "saves money and gains QALYs: better on both"
    assert cost_per_qaly(costs, loses) == "costs more and loses QALYs: worse on both"
    assert cost_per_qaly(saves, loses) == "saves £40,000 for each QALY lost"
    assert cost_per_qaly(change(3_000_000.0, 2e6, 4e6), change(0.5, 0.1, 0.9)) == "costs £6.0m more per QALY gained"
    assert cost_per_qaly(None, gains) is None and cost_per_qaly(costs, None) is None


def test_a_qaly_change_that_cannot_be_told_from_zero_has_no_cost_per_qaly_only_a_direction_of_cost():
    from dashboard.decision import cost_per_qaly

    unclear = change(0.3, -1.0, 1.6)
    for cost, direction in ((change(-2_000_000.0, -3e6, -1e6), "it saves £2.0m"),
                            (change(500_000.0, 1e5, 9e5), "it costs £0.50m more")):
        text = cost_per_qaly(cost, unclear)
        assert "the QALY change cannot be told from zero" in text and "a cost per QALY is not meaningful" in text
        assert text.endswith(direction), text
        assert "per QALY gained" not in text.replace("a cost per QALY is", "")
    both = cost_per_qaly(change(-200_000.0, -900_000.0, 500_000.0), unclear)
    assert both.endswith("it saves £0.20m, though the cost change cannot be told from zero either")
    assert "not meaningful" in cost_per_qaly(change(1e5, 5e4, 2e5), change(0.0, 0.0, 0.0)), "no change at all: no ratio"


def arm(label: str, file: str, hc: list[float], society: list[float], qalys: list[float]) -> ScenarioResults:
    """Results whose net benefit, total cost and payers' costs are consistent, as the model writes them."""
    return results(label, file, cost_health_and_care=hc, cost_nhs=[c * 0.6 for c in hc], cost_council=[c * 0.4 for c in hc],
                   cost_society=society, total_cost=[c + w for c, w in zip(hc, society)], qalys=qalys,
                   nmb_20k=[20_000 * q - c for q, c in zip(qalys, hc)], nmb_30k=[30_000 * q - c for q, c in zip(qalys, hc)])


SOC_BASE = arm("Baseline", "baseline.yaml", [60e6, 63e6, 57e6, 61e6, 59e6], [40e6, 41e6, 39e6, 40e6, 40e6],
               [1000.0, 1001.0, 999.0, 1000.5, 999.5])
SOC_CLOSE = arm("Close the day centre", "close_day_centre.yaml", [51e6, 53e6, 47e6, 50e6, 50e6],
                [45e6, 46e6, 43e6, 45e6, 46e6], [985.0, 987.0, 983.0, 985.5, 984.5])


def test_the_net_benefit_including_wider_society_counts_the_planes_all_costs_and_shows_on_the_card():
    """Saving health and care £10m while wider society loses £5m of output: the societal net benefit is the
    health-and-care one less those £5m, the same cost the plane's 'all costs' view plots."""
    from dashboard.decision import societal_net_benefit
    from dashboard.figures import ce_plane_figure

    society = societal_net_benefit(SOC_BASE, SOC_CLOSE)
    health = difference_of(SOC_CLOSE, SOC_BASE, "nmb_20k")
    extra = [a - b for a, b in zip(SOC_CLOSE.values("cost_society"), SOC_BASE.values("cost_society"))]
    assert society is not None and abs(society.mean - (health.mean - sum(extra) / len(extra))) < 1e-6
    assert society.low < society.mean < society.high
    trace = ce_plane_figure(SOC_BASE, [SOC_CLOSE], perspective="all").data[0]
    plane = [20_000 * q - c * 1e6 for q, c in zip(trace.x, trace.y)]
    assert abs(sum(plane) / len(plane) - society.mean) < 1e-3, "the card and the plane count the same costs"
    from simulation.formatting import number

    card = answer_card(SOC_BASE, SOC_CLOSE, None)
    [line] = ["".join(getattr(part, "children", part) for part in c.children) for c in card.children
              if getattr(c, "className", None) == "card-society"]
    assert line.startswith("Including wider society (lost output and other costs outside health and care): net benefit "
                           "at £20,000 / QALY " + number(society.mean, "£", signed=True))
    assert number(society.low, "£", signed=True) in line and line.endswith("(2024 prices).")
    per_qaly_label, _ = card_line(card, "card-per-qaly")
    for jargon in ("cost_society", "total_cost", "ICER", "PSA"):
        assert jargon not in line + per_qaly_label, jargon
    assert societal_net_benefit(BASE, CLOSE) is None, "results without the total cost: nothing to say, no guess"


def card_line(card, cls: str) -> tuple[str, str]:
    """A card's row by its value's class: (its label, its value)."""
    table = next(c for c in card.children if getattr(c, "children", None) is not None and type(c).__name__ == "Table")
    for row in table.children.children:
        th, td = row.children
        if td.className == cls:
            return th.children, td.children
    raise AssertionError(f"no {cls} row")


def difference_of(alt, base, metric):
    from dashboard.data import difference

    return difference(alt, base, metric)


def test_a_recommendation_that_loses_qalys_names_the_loss_and_its_interval():
    """Closing the day centre saves money and is good value at £20,000 per QALY, but people lose QALYs: the
    sentence that recommends it must say how many, not only the net benefit."""
    from dashboard.brief import recommendation
    from dashboard.decision import ranking_sentence
    from simulation.formatting import number

    qalys = difference_of(SOC_CLOSE, SOC_BASE, "qalys")
    nmb = difference_of(SOC_CLOSE, SOC_BASE, "nmb_20k")
    _, on_card = card_line(answer_card(SOC_BASE, SOC_CLOSE, None), "card-per-qaly")
    assert on_card.startswith("saves £") and on_card.endswith("for each QALY lost"), "the card's cost per QALY"
    assert qalys.high < 0 < nmb.low, "the premise: a clear QALY loss in a decision the numbers support"
    said = recommendation(SOC_BASE, SOC_CLOSE, None)
    assert said.startswith("The numbers support 'Close the day centre': it saves £")
    loss = (f"at a loss of {number(-qalys.mean, 'QALYs')} QALYs ({number(-qalys.high, 'QALYs')} to "
            f"{number(-qalys.low, 'QALYs')})")
    assert loss in said, said
    assert loss in ranking_sentence(SOC_BASE, [SOC_CLOSE]), "the ranking's best value says it too"
    gains = arm("Reopen", "reopen.yaml", SOC_CLOSE.values("cost_health_and_care"), SOC_CLOSE.values("cost_society"),
                [q + 30 for q in SOC_BASE.values("qalys")])
    assert "loss" not in recommendation(SOC_BASE, gains, None), "a decision that gains QALYs has no loss to name"


def test_a_qaly_loss_the_runs_cannot_tell_from_zero_is_said_to_be_so():
    from dashboard.decision import qaly_loss

    text = qaly_loss(change(-2e6, -3e6, -1e6), change(-2.0, -5.0, 1.0))
    assert text.startswith("it saves £2.0m") and "a loss of 2 QALYs" in text
    assert "-5 to +1, which cannot be told from no change" in text
    assert qaly_loss(change(-2e6, -3e6, -1e6), change(2.0, 1.0, 3.0)) is None


def test_a_whole_number_input_switches_at_a_whole_number_and_a_decision_that_sets_it_says_so(tmp_path):
    """'Fill all 79 tenancies' read 'only while tenancies are below 78.4': a count of places is below 79 or not,
    and the PSA varies the figure the decision starts from, which the decision itself sets to 79."""
    from dataclasses import replace

    from simulation.scenario import SHIPPED_SCENARIOS, load_scenario

    fill = load_scenario(SHIPPED_SCENARIOS / "enablement_all_79_tenancies.yaml")
    decision = replace(CLOSE, label=fill.name, name=fill.name, scenario=fill)
    path = "services.enablement.tenancies_operative"
    [(action_path, capacity)] = [pv for a in fill.actions for pv in getattr(a, "values", ()) if pv[0] == path]
    row = {"metric": "nmb_20k", "parameter": path, "label": "Enablement tenancies in use (places)", "threshold_wtp": 20000,
           "preferred_below": fill.name, "preferred_above": "Baseline", "switch_value": capacity - 0.57,
           "switch_values": str(capacity - 0.57), "base": 41, "evppi": 1e4}
    from dashboard.decision import PsaFacts

    said = flips_if(PsaFacts(tmp_path, thresholds=[row]), decision)
    assert f"is below {capacity} " in said and f"{capacity - 0.57:.1f}" not in said, said
    assert f"this decision sets {capacity} from month 3" in said and "the baseline uses 41" in said
    above = dict(row, preferred_below="Baseline", preferred_above=fill.name, switch_value=40.6, switch_values="40.6")
    assert "is above 40 " in flips_if(PsaFacts(tmp_path, thresholds=[above]), decision)
    fractional = dict(row, parameter="recovery.rate_per_year_severe", label="Recovery rate", switch_value=0.0251,
                      switch_values="0.0251", base=0.04)
    kept = flips_if(PsaFacts(tmp_path, thresholds=[fractional]), decision)
    assert "0.0251" in kept and "the model uses 0.04" in kept, "a rate keeps its decimals; the decision does not set it"


def test_the_input_that_would_change_the_answer_is_named_as_its_declaration_says_never_as_code(tmp_path):
    """The PSA's file keeps the label of the day it ran ('programmes: zero suicide: ...' from a path); the card says
    the label the parameter declares now, in words, 'the baseline's' when the decision sets that input itself, and
    money with its pound sign."""
    from dataclasses import replace

    from dashboard.decision import PsaFacts
    from simulation.scenario import SHIPPED_SCENARIOS, load_scenario, shipped_catalogue

    zs = load_scenario(SHIPPED_SCENARIOS / "zero_suicide_scale_up.yaml")
    decision = replace(CLOSE, label=zs.name, name=zs.name, scenario=zs)
    path = "programmes.zero_suicide.crisis_reduction_at_full_coverage"
    row = {"metric": "nmb_20k", "parameter": path, "label": "programmes: zero suicide: crisis reduction at full coverage",
           "threshold_wtp": 20000, "preferred_below": "Baseline", "preferred_above": zs.name, "switch_value": 0.0053,
           "switch_values": "0.0053", "base": 0.0, "evppi": 1e4}
    said = flips_if(PsaFacts(tmp_path, thresholds=[row]), decision)
    assert shipped_catalogue()[path].plain_label() in said
    assert "programmes:" not in said and "_" not in said and "zero suicide:" not in said, said

    trained = "programmes.zero_suicide.trainees_per_year"     # set by the decision: the switch is on the baseline's figure
    sets = dict(row, parameter=trained, label=trained, switch_value=60.0, switch_values="60", base=50)
    said = flips_if(PsaFacts(tmp_path, thresholds=[sets]), decision)
    assert "the baseline's " in said and "this decision sets 1,000" in said, said

    block = "services.day_centre.block_cost_per_year"
    money = dict(row, parameter=block, label=block, switch_value=419509.0, switch_values="419509;820875", base=610000,
                 preferred_below=zs.name, preferred_above=zs.name)
    said = flips_if(PsaFacts(tmp_path, thresholds=[money]), decision)
    assert "between £419,509 and £820,875" in said and "the model uses £610,000" in said, said


def test_a_card_with_probabilities_says_when_its_runs_cover_only_part_of_the_county(tmp_path):
    """A new user at 5% of the county read 'suicides 0 (0 to 0)' beside Zero Suicide's probabilities and could not
    tell why they disagreed: the card says the probabilities are for the whole county and the runs for a part."""
    from dataclasses import replace

    write_psa(tmp_path, "close_day_centre", switch=False)
    facts = read_psa(CLOSE, tmp_path)

    def scale_notes(s):
        return [c.children for c in answer_card(BASE, s, facts).children if getattr(c, "className", None) == "card-psa-scale"]

    small = replace(CLOSE, plan=replace(PLAN, scale=0.05))
    [note] = scale_notes(small)
    assert "whole county" in note and "5%" in note and "rare events" in note
    assert scale_notes(replace(CLOSE, plan=replace(PLAN, scale=1.0))) == []
    assert not [c for c in answer_card(BASE, small, None).children if getattr(c, "className", None) == "card-psa-scale"]


def test_a_psa_over_ten_years_is_not_shown_beside_three_year_runs(tmp_path):
    """The shipped PSA covers the decision's own horizon (ten years): next to runs of another length its
    probabilities would answer another question, so the card says why it shows none."""
    from dataclasses import replace

    write_psa(tmp_path, "close_day_centre", switch=True)
    short = replace(CLOSE, plan=replace(PLAN, years=3.0))
    assert read_psa(CLOSE, tmp_path) is not None and read_psa(short, tmp_path) is None
    card = str(answer_card(BASE, short, read_psa(short, tmp_path)))
    assert "covers 10 years and these runs 3 years" in card and "95%" not in card
