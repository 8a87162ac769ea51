"""What each event does to a person and to the stocks: the model's rules, one by one.

Each test puts a few people in one situation of a quiet county, forces one
kind of event (see ``quiet_county``), and checks where they went, what they
hold and what was counted. Read together they are the specification of who
goes where.
"""

from __future__ import annotations

import pytest

from quiet_county import count, level, month, pulse, quiet, record, resize, snapshot_at

N = 10
EMPLOYED = {"population.employed_share_at_start": 1.0}
LONG_STAYS = {"services.acute_beds.stay_median_days": 1e7, "services.acute_beds.stay_spread": 0.0}


def people(**values):
    """N people in the community (in work, so nothing else changes), then ``values``."""
    return {"population.in_contact_at_start": N, **EMPLOYED, **{k.replace("__", "."): v for k, v in values.items()}}


# ---------------------------------------------------------------------------
# Crisis care and beds


def test_a_crisis_is_treated_at_home_when_admission_is_not_needed(baseline):
    s = quiet(baseline, people()).with_actions(*pulse(1, "crisis.rate_per_year_moderate"))
    rec = record(s)
    at = snapshot_at(rec, month(1) + 1)
    assert sum(at.levels["home_treatment"]) == N and sum(at.levels["community"]) == 0
    assert count(rec, "crisis_episodes") == count(rec, "home_treatment_episodes") == N
    assert count(rec, "acute_admissions") == 0
    assert level(rec, "community") == N  # back home when the episode ends


def test_a_crisis_needing_admission_takes_a_bed(baseline):
    s = quiet(baseline, people(crisis__admission_share_moderate=1.0)).with_actions(*pulse(1, "crisis.rate_per_year_moderate"))
    rec = record(s)
    at = snapshot_at(rec, month(1) + 1)
    assert sum(at.levels["acute"]) == N
    assert count(rec, "acute_admissions") == N and count(rec, "home_treatment_episodes") == 0
    assert count(rec, "out_of_area_placements") == 0


def test_a_full_crisis_team_admits_instead(baseline):
    s = quiet(baseline, people(services__crisis_home_treatment__caseload=4)).with_actions(*pulse(1, "crisis.rate_per_year_moderate"))
    rec = record(s)
    assert count(rec, "home_treatment_episodes") == 4
    assert count(rec, "acute_admissions") == N - 4
    assert rec.checks["peak_occupancy"]["crisis_home_treatment"] == 4


def test_when_every_bed_is_full_the_admission_goes_out_of_area(baseline):
    s = quiet(baseline, people(crisis__admission_share_moderate=1.0, services__acute_beds__beds_in_area=3))
    rec = record(s.with_actions(*pulse(1, "crisis.rate_per_year_moderate")))
    assert count(rec, "acute_admissions") == N
    assert count(rec, "out_of_area_placements") == N - 3
    assert rec.checks["peak_occupancy"]["acute_beds"] == 3
    at = snapshot_at(rec, month(1) + 1)
    assert sum(at.levels["acute"]) == 3 and sum(at.levels["out_of_area"]) == N - 3


def test_when_beds_queue_people_wait_and_take_the_next_free_bed(baseline):
    s = quiet(baseline, people(crisis__admission_share_moderate=1.0, services__acute_beds__beds_in_area=3,
                               services__acute_beds__queue_when_full=True, services__acute_beds__stay_median_days=10.0,
                               services__acute_beds__stay_spread=0.0))
    rec = record(s.with_actions(*pulse(1, "crisis.rate_per_year_moderate")))
    assert count(rec, "out_of_area_placements") == 0
    at = snapshot_at(rec, month(1) + 1)
    assert sum(at.levels["acute"]) == 3 and sum(at.levels["waiting_for_bed"]) == N - 3
    # stays of 10 days, three beds: three rounds are done by month 2 and the last person a round later
    assert sum(snapshot_at(rec, month(2)).levels["community"]) == 9
    assert level(rec, "community") == N and rec.waits["acute_beds"][1] == N - 3
    assert rec.checks["peak_occupancy"]["acute_beds"] == 3


def test_people_in_a_tenancy_or_residential_care_are_admitted_and_go_back_there(baseline):
    for place, census in (("residential", "census.in_residential_care"), ("enablement", "census.in_enablement")):
        s = quiet(baseline, {"population.in_contact_at_start": N, census: N,
                             "services.acute_beds.stay_median_days": 10.0, "services.acute_beds.stay_spread": 0.0})
        rec = record(s.with_actions(*pulse(1, "crisis.rate_per_year_severe")))
        assert count(rec, "acute_admissions") == N, place
        assert count(rec, "home_treatment_episodes") == 0, place
        assert sum(snapshot_at(rec, month(1) + 1).levels["acute"]) == N, place
        assert level(rec, place) == N, place
        if place == "enablement":  # the tenancy was kept for them
            assert rec.checks["peak_occupancy"]["enablement"] == N


@pytest.mark.parametrize("share, to", [("discharge_to_residential_share_severe", "residential"),
                                       ("discharge_to_enablement_share_severe", "enablement")])
def test_severe_patients_can_be_discharged_to_supported_places(baseline, share, to):
    s = quiet(baseline, people(population__severe_share=1.0, crisis__admission_share_severe=1.0,
                               services__acute_beds__stay_median_days=10.0, services__acute_beds__stay_spread=0.0,
                               services__enablement__tenancies_operative=N, **{"services__acute_beds__" + share: 1.0}))
    rec = record(s.with_actions(*pulse(1, "crisis.rate_per_year_severe")))
    assert level(rec, to) == N and level(rec, "community") == 0
    assert count(rec, "residential_placements") == (N if to == "residential" else 0)
    assert count(rec, "enablement_entries") == (N if to == "enablement" else 0)


def test_discharge_to_enablement_with_no_tenancy_free_waits_in_residential_care(baseline):
    s = quiet(baseline, people(population__severe_share=1.0, crisis__admission_share_severe=1.0,
                               services__acute_beds__stay_median_days=10.0, services__acute_beds__stay_spread=0.0,
                               services__enablement__tenancies_operative=4,
                               services__acute_beds__discharge_to_enablement_share_severe=1.0))
    rec = record(s.with_actions(*pulse(1, "crisis.rate_per_year_severe")))
    assert level(rec, "enablement") == 4 and level(rec, "residential") == N - 4
    assert level(rec, "waiting_enablement") == N - 4


def test_the_window_after_discharge_raises_crisis_risk_for_its_length_and_no_longer(baseline):
    """People treated at home for exactly 28 days, then a gentle crisis pulse: only those
    still inside the 90-day window (where the rate is multiplied a millionfold) have a crisis."""
    episode, window = 28.0, 90.0
    values = people(services__crisis_home_treatment__episode_median_days=episode,
                    services__crisis_home_treatment__episode_spread=0.0, crisis__after_discharge_days=window,
                    crisis__after_discharge_multiplier=1e6)
    discharged = month(1) + episode
    for offset, expected in ((window - 2, N), (window + 2, 0)):
        start = (discharged + offset) / month(1)
        s = quiet(baseline, values).with_actions(*pulse(1, "crisis.rate_per_year_moderate"),
                                                 *pulse(start, "crisis.rate_per_year_moderate", rate=1.0, hours=12))
        rec = record(s)
        assert count(rec, "crisis_episodes") - N == expected, offset


# ---------------------------------------------------------------------------
# Residential care and enablement


def test_step_up_to_residential_care_gives_up_community_supports(baseline):
    s = quiet(baseline, people(population__severe_share=1.0, population__budget_eligible_share=1.0,
                               census__budget_holders_share_of_eligible=1.0, population__carer_share=1.0,
                               census__carers_supported_share=1.0, census__day_centre_users=N, services__day_centre__open=True))
    rec = record(s.with_actions(*pulse(1, "services.residential_care.step_up_rate_per_year_severe")))
    assert count(rec, "residential_placements") == N and level(rec, "residential") == N
    for support in ("day_centre", "budget_holders", "carer_supported"):
        assert level(rec, support, 0) == N and level(rec, support) == 0, support


def test_residential_move_on_returns_people_to_the_community(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N, "census.in_residential_care": N, "census.waiting_for_enablement": 3,
                         "services.enablement.tenancies_operative": 0})
    rec = record(s.with_actions(*pulse(1, "services.residential_care.move_on_rate_per_year")))
    assert level(rec, "community") == N and level(rec, "residential") == 0
    assert count(rec, "residential_move_ons") == N
    assert level(rec, "waiting_enablement", 0) == 3 and level(rec, "waiting_enablement") == 0


def test_a_referral_to_enablement_takes_a_free_tenancy_or_waits_for_one(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N, "census.in_residential_care": N,
                         "services.enablement.tenancies_operative": 4})
    rec = record(s.with_actions(*pulse(1, "services.residential_care.referral_to_enablement_rate_per_year")))
    assert level(rec, "enablement") == 4 and level(rec, "residential") == N - 4
    assert level(rec, "waiting_enablement") == N - 4
    assert count(rec, "enablement_entries") == 4 and count(rec, "residential_move_ons") == 4


def test_a_tenant_moving_on_frees_the_tenancy_for_the_next_on_the_list(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N, "census.in_residential_care": N - 4,
                         "census.in_enablement": 4, "census.waiting_for_enablement": 2,
                         "services.enablement.tenancies_operative": 4})
    rec = record(s.with_actions(*pulse(1, "services.enablement.move_on_rate_per_year", hours=1)))
    moved = count(rec, "enablement_move_ons")
    assert count(rec, "enablement_entries") == 2      # the two waiting got the freed tenancies
    assert count(rec, "enablement_breakdowns") == 0
    assert moved >= 4                                  # the first four moved on (the next two may too)
    assert level(rec, "community") == moved
    assert level(rec, "waiting_enablement") == 0


def test_a_tenancy_that_breaks_down_means_residential_care(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N, "census.in_enablement": N,
                         "services.enablement.tenancies_operative": N})
    rec = record(s.with_actions(*pulse(1, "services.enablement.breakdown_rate_per_year")))
    assert count(rec, "enablement_breakdowns") == N and count(rec, "enablement_move_ons") == 0
    assert count(rec, "residential_placements") == N
    assert level(rec, "residential") == N and level(rec, "enablement") == 0 and level(rec, "community") == 0


# ---------------------------------------------------------------------------
# Recovery, relapse, work and exits


def test_recovery_discharges_people_and_ends_their_supports(baseline):
    s = quiet(baseline, people(census__day_centre_users=N, services__day_centre__open=True))
    rec = record(s.with_actions(*pulse(1, "recovery.rate_per_year_moderate")))
    assert count(rec, "recoveries") == N and level(rec, "recovered") == N
    assert level(rec, "day_centre") == 0 and level(rec, "community") == 0



def test_peer_leaders_who_recover_keep_leading(baseline):
    """Recovery ends the supports people receive, not the roles they hold (their lived experience is the point)."""
    ps = "services.peer_support."
    s = quiet(baseline, people(services__peer_support__open=True, census__peer_support_members=N,
                               services__peer_support__base_places=N))
    rec = record(s.with_actions(*pulse(1, ps + "leader_recruit_rate_per_year"), *pulse(3, "recovery.rate_per_year_moderate")))
    assert count(rec, "leaders_recruited") == N and count(rec, "recoveries") == N
    assert level(rec, "recovered") == N and level(rec, "peer_leaders") == N

@pytest.mark.parametrize("in_crisis", [0.0, 1.0])
def test_a_relapse_brings_people_back_and_may_start_a_crisis(baseline, in_crisis):
    s = quiet(baseline, {"population.recovered_at_start": N, "recovery.relapse_in_crisis_share": in_crisis})
    rec = record(s.with_actions(*pulse(1, "recovery.relapse_rate_per_year")))
    assert count(rec, "relapses") == N
    assert count(rec, "crisis_episodes") == N * in_crisis
    assert sum(snapshot_at(rec, month(1) + 1).levels["home_treatment"]) == N * in_crisis
    assert level(rec, "recovered") == 0


def test_people_find_and_lose_work(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": N})
    rec = record(s.with_actions(*pulse(1, "employment.job_gain_rate_per_year"), *pulse(6, "employment.job_loss_rate_per_year")))
    assert count(rec, "job_gains") == N and count(rec, "job_losses") == N
    assert level(rec, "employed", 0) == 0 and sum(snapshot_at(rec, month(3)).levels["employed"]) == N
    assert level(rec, "employed") == 0
    # lost output counts people in contact and out of work: all but five months
    assert sum(snapshot_at(rec, month(3)).levels["out_of_work_in_contact"]) == 0
    assert level(rec, "out_of_work_in_contact") == N


@pytest.mark.parametrize("path, counter, place", [
    ("suicide.rate_per_year", "suicides", "died_suicide"),
    ("mortality.general_rate_per_year", "deaths_other", "died_other"),
    ("population.move_away_rate_per_year", "moved_away", "moved_away"),
])
def test_deaths_and_leaving_are_counted_as_what_they_are(baseline, path, counter, place):
    s = quiet(baseline, people(census__day_centre_users=N, services__day_centre__open=True))
    rec = record(s.with_actions(*pulse(1, path)))
    assert count(rec, counter) == N
    for other in {"suicides", "deaths_other", "moved_away"} - {counter}:
        assert count(rec, other) == 0, other
    from simulation.people import PLACE_NAMES

    into = PLACE_NAMES.index(place)
    assert sum(rec.flows[i][into] for i in range(len(PLACE_NAMES))) == N
    assert level(rec, "community") == 0 and level(rec, "day_centre") == 0 and level(rec, "employed") == 0


# ---------------------------------------------------------------------------
# Supports: day centre, peer support, Recovery College, budgets, carers


def test_a_day_centre_referral_takes_a_free_place_or_joins_the_waiting_list(baseline):
    s = quiet(baseline, people(services__day_centre__open=True, services__day_centre__places=4))
    rec = record(s.with_actions(*pulse(1, "services.day_centre.referral_rate_per_year")))
    assert count(rec, "day_centre_referrals") == N
    assert level(rec, "day_centre") == 4 and level(rec, "waiting_day_centre") == N - 4


def test_day_centre_places_given_up_or_added_go_to_those_waiting(baseline):
    dc = "services.day_centre."
    s = quiet(baseline, people(services__day_centre__open=True, services__day_centre__places=4, census__day_centre_users=4))
    rec = record(s.with_actions(*pulse(1, dc + "referral_rate_per_year"), resize("day_centre", 6, dc + "places", 2)))
    assert level(rec, "day_centre") == 6 and level(rec, "waiting_day_centre") == N - 6
    assert rec.waits["day_centre"][1] == 2                        # two came off the list when places were added
    rec = record(s.with_actions(*pulse(1, dc + "referral_rate_per_year"), *pulse(2, dc + "leave_rate_per_year")))
    assert rec.waits["day_centre"][1] == N - 4                    # every place given up went to someone waiting
    assert level(rec, "day_centre") == 0 and level(rec, "waiting_day_centre") == 0


def test_people_waiting_for_the_day_centre_can_give_up(baseline):
    dc = "services.day_centre."
    s = quiet(baseline, people(services__day_centre__open=True, services__day_centre__places=4, census__day_centre_users=4))
    rec = record(s.with_actions(*pulse(1, dc + "referral_rate_per_year"), *pulse(2, dc + "waiting_give_up_rate_per_year")))
    assert sum(snapshot_at(rec, month(1) + 1).levels["waiting_day_centre"]) == N - 4
    assert level(rec, "waiting_day_centre") == 0 and level(rec, "day_centre") == 4


def test_peer_members_can_step_up_to_lead_and_each_leader_adds_places(baseline):
    ps = "services.peer_support."
    s = quiet(baseline, people(services__peer_support__open=True, census__peer_support_members=N,
                               services__peer_support__base_places=N, services__peer_support__people_per_leader=8.0))
    rec = record(s.with_actions(*pulse(1, ps + "leader_recruit_rate_per_year")))
    assert count(rec, "leaders_recruited") == N
    assert level(rec, "peer_leaders") == N and level(rec, "peer_support") == 0
    assert rec.snapshots[-1].extra["peer_support_capacity"] == N + 8 * N
    rec = record(s.with_actions(*pulse(1, ps + "leader_recruit_rate_per_year"), *pulse(3, ps + "leader_burnout_rate_per_year")))
    assert count(rec, "leader_burnouts") == N and level(rec, "peer_leaders") == 0
    assert rec.snapshots[-1].extra["peer_support_capacity"] == N


def test_peer_support_join_and_leave(baseline):
    ps = "services.peer_support."
    s = quiet(baseline, people(services__peer_support__open=True, services__peer_support__base_places=6))
    rec = record(s.with_actions(*pulse(1, ps + "join_rate_per_year"), *pulse(3, ps + "leave_rate_per_year", hours=0.25)))
    assert count(rec, "peer_support_joins") == N
    assert sum(snapshot_at(rec, month(2)).levels["peer_support"]) == 6
    assert sum(snapshot_at(rec, month(2)).levels["waiting_peer_support"]) == N - 6
    assert level(rec, "peer_support") + level(rec, "waiting_peer_support") <= N


def test_the_recovery_college_enrols_from_its_list_each_term_and_graduates_completers(baseline):
    rc = "services.recovery_college."
    s = quiet(baseline, people(services__recovery_college__open=True, services__recovery_college__places_per_term=6,
                               services__recovery_college__completion_share=1.0))
    rec = record(s.with_actions(*pulse(0.5, rc + "apply_rate_per_year")))
    term = s.values[rc + "term_weeks"] * 7
    assert count(rec, "college_enrolments") == N and count(rec, "college_completions") == N
    # terms start at day 0: applicants at month 0.5 start at the next term (day 84), six at a time
    assert term == 84
    assert sum(snapshot_at(rec, month(2)).levels["waiting_recovery_college"]) == N
    assert sum(snapshot_at(rec, month(3)).levels["recovery_college_students"]) == 6
    assert sum(snapshot_at(rec, month(6)).levels["recovery_college_students"]) == N - 6
    assert level(rec, "recovery_college_graduates") == N



def test_people_who_give_up_waiting_for_the_college_are_not_enrolled(baseline):
    rc = "services.recovery_college."
    s = quiet(baseline, people(services__recovery_college__open=True, services__recovery_college__places_per_term=6,
                               services__recovery_college__completion_share=1.0))
    rec = record(s.with_actions(*pulse(0.5, rc + "apply_rate_per_year"), *pulse(1.5, rc + "waiting_give_up_rate_per_year")))
    assert sum(snapshot_at(rec, month(1)).levels["waiting_recovery_college"]) == N
    assert level(rec, "waiting_recovery_college") == 0
    assert count(rec, "college_enrolments") == 0 and level(rec, "recovery_college_students") == 0

@pytest.mark.parametrize("role, share, stock", [
    ("peer_worker", "graduate_peer_worker_share", "paid_peer_workers"),
    ("tutor", "graduate_tutor_share", "tutors_by_experience"),
])
def test_graduates_can_become_paid_peer_workers_or_tutors(baseline, role, share, stock):
    rc = "services.recovery_college."
    s = quiet(baseline, {"population.in_contact_at_start": N, rc + "open": True, "services.peer_support.open": True,
                         rc + "completion_share": 1.0, rc + share: 1.0})
    rec = record(s.with_actions(*pulse(0.5, rc + "apply_rate_per_year")))
    assert count(rec, f"graduate_{role}s") == N
    assert level(rec, stock) == N and level(rec, "employed") == N
    if role == "peer_worker":
        assert level(rec, "peer_leaders") == N


@pytest.mark.parametrize("integrated, dropout", [(False, 0.0), (True, 0.0), (False, 1.0)])
def test_budget_applications_are_assessed_then_granted_unless_people_drop_out(baseline, integrated, dropout):
    pb = "services.personal_budgets."
    s = quiet(baseline, people(population__budget_eligible_share=1.0, **{
        "services__personal_budgets__integrated_assessment": integrated,
        "services__personal_budgets__dropout_share_separate": dropout,
        "services__personal_budgets__dropout_share_integrated": dropout}))
    rec = record(s.with_actions(*pulse(1, pb + "apply_rate_per_year")))
    weeks = s.values[pb + "assessment_weeks"] * (1 if integrated else 2)
    assert count(rec, "budget_applications") == N
    assert sum(snapshot_at(rec, month(1) + 7 * weeks - 1).levels["budget_assessments_under_way"]) == N
    assert sum(snapshot_at(rec, month(1) + 7 * weeks - 1).levels["budget_holders"]) == 0
    assert count(rec, "budgets_granted") == N * (1 - dropout)
    assert count(rec, "budget_dropouts") == N * dropout
    assert level(rec, "budget_holders") == N * (1 - dropout)
    assessments = count(rec, "budget_assessments_council") + count(rec, "budget_assessments_nhs")
    assert assessments == (N if integrated else 2 * N)


def test_only_people_eligible_apply_for_a_budget(baseline):
    s = quiet(baseline, people(population__budget_eligible_share=0.0))
    rec = record(s.with_actions(*pulse(1, "services.personal_budgets.apply_rate_per_year")))
    assert count(rec, "budget_applications") == 0


def test_carers_are_assessed_and_their_support_can_lapse(baseline):
    cs = "services.carer_support."
    s = quiet(baseline, people(population__carer_share=1.0))
    rec = record(s.with_actions(*pulse(1, cs + "assessment_rate_per_year"), *pulse(6, cs + "lapse_rate_per_year")))
    assert count(rec, "carer_assessments") == N
    assert sum(snapshot_at(rec, month(3)).levels["carer_supported"]) == N
    assert level(rec, "carer_supported") == 0


def test_nobody_without_a_carer_has_a_carers_assessment(baseline):
    s = quiet(baseline, people(population__carer_share=0.0))
    rec = record(s.with_actions(*pulse(1, "services.carer_support.assessment_rate_per_year")))
    assert count(rec, "carer_assessments") == 0


def test_new_referrals_arrive_as_a_poisson_stream_with_the_declared_mix(baseline):
    s = quiet(baseline, {"population.referrals_per_year": 2000.0, "population.severe_share_of_referrals": 0.25,
                         "population.referral_in_crisis_share": 0.5})
    rec = record(s, years=2)
    arrivals = count(rec, "arrivals")
    assert abs(arrivals - 4000) < 4 * 4000 ** 0.5
    assert abs(count(rec, "crisis_episodes") - arrivals / 2) < 4 * (arrivals / 4) ** 0.5
    assert abs(level(rec, "severe") - arrivals / 4) < 4 * (arrivals * 0.25 * 0.75) ** 0.5


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_peer_supports_places_are_its_base_places_at_any_scale(baseline, scale):
    """At half scale the simulated county has half the places (each simulated member stands for two);
    the capacity reported is the whole county's."""
    from simulation.model import CountyModel

    s = quiet(baseline, people(services__peer_support__open=True, services__peer_support__base_places=40))
    m = CountyModel(s, seed=1, replication=0, years=0.25, scale=scale)
    rec = m.run()
    assert m.peer.support.service.capacity == 40 * scale
    assert rec.snapshots[-1].extra["peer_support_capacity"] == 40
