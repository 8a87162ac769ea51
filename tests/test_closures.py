"""Scenario actions: what closing, opening, resizing and setting do to people.

A closure is the decision commissioners ask about most, so its rules are
pinned here one by one: who loses a place, where each is sent (the
redirect shares, only eligible people assessed for a budget, a peer place
if one is free, else its waiting list), who faces a raised crisis risk and
for exactly how long, and what happens to the roles a service carried.
"""

from __future__ import annotations

import pytest

from quiet_county import close, count, level, month, open_, pulse, quiet, record, resize, set_at, snapshot_at

USERS = 400


def day_centre_users(n: int = USERS, **values):
    """n people in the community, all holding a day-centre place (and in work, so nothing else moves)."""
    return {"population.in_contact_at_start": n, "population.employed_share_at_start": 1.0,
            "services.day_centre.open": True, "services.day_centre.places": n, "census.day_centre_users": n,
            **{k.replace("__", "."): v for k, v in values.items()}}


def within(observed: float, n: int, p: float) -> bool:
    """A binomial count is within four standard deviations of n * p."""
    return abs(observed - n * p) <= 4 * (n * p * (1 - p)) ** 0.5 + 1e-9


def test_closing_takes_every_place_away_and_redirects_users_by_share(baseline):
    s = quiet(baseline, day_centre_users(population__budget_eligible_share=1.0, services__peer_support__open=True,
                                         services__peer_support__base_places=USERS))
    rec = record(s.with_actions(close("day_centre", 2, {"personal_budgets": 0.45, "peer_support": 0.35})))
    assert level(rec, "day_centre", 0) == USERS and level(rec, "day_centre") == 0
    assert count(rec, "support_losses_on_closure") == USERS
    budgets, peer, nothing = (count(rec, f"redirected_{t}") for t in ("personal_budgets", "peer_support", "nothing"))
    assert budgets + peer + nothing == USERS
    assert within(budgets, USERS, 0.45) and within(peer, USERS, 0.35) and within(nothing, USERS, 0.20)
    assert count(rec, "budget_applications") == budgets
    assert sum(snapshot_at(rec, month(2) + 1).levels["peer_support"]) == peer


def test_only_users_eligible_for_a_budget_are_assessed_for_one(baseline):
    s = quiet(baseline, day_centre_users(population__budget_eligible_share=0.5))
    rec = record(s.with_actions(close("day_centre", 2, {"personal_budgets": 1.0})))
    assessed = count(rec, "budget_applications")   # every user was sent; only the eligible were assessed
    assert within(assessed, USERS, 0.5)
    assert count(rec, "redirected_personal_budgets") == assessed
    assert count(rec, "redirected_nothing") == USERS - assessed


def test_the_cohort_tells_users_a_budget_could_not_take_from_those_the_closure_sent_nowhere(baseline):
    """Half the users are eligible for a budget and the closure refers 80% of them for one, the rest nowhere:
    the ineligible referred are 'personal_budgets_not_taken' (they got nothing, but were referred), and
    'nothing' is only the 20% sent nowhere. The page counts both as getting nothing."""
    from dashboard.views import got_nothing, sent_label
    from simulation.experiment import cohort_markers, run_replication

    s = quiet(baseline, day_centre_users(population__budget_eligible_share=0.5))
    s = s.with_actions(close("day_centre", 2, {"personal_budgets": 0.8}))
    res = run_replication(s, 1, 0, 1.0, 1.0, 0.0, cohorts=cohort_markers([s]))
    sent = [row[3] for row in res.cohort]
    nowhere, turned_away = sent.count("nothing"), sent.count("personal_budgets_not_taken")
    referred = len(sent) - nowhere
    assert len(sent) == USERS and within(nowhere, USERS, 0.2)
    assert within(turned_away, referred, 0.5)                       # the ineligible half of those referred
    assert set(sent) - {"nothing", "personal_budgets_not_taken"} <= {"personal_budgets_assessed", "personal_budgets_granted",
                                                                     "personal_budgets_dropped_out"}
    assert got_nothing("personal_budgets_not_taken") and got_nothing("nothing")
    assert "not eligible" in sent_label("personal_budgets_not_taken") and "personal budget" in sent_label("personal_budgets_not_taken")


def test_users_sent_to_peer_support_wait_when_it_is_full(baseline):
    s = quiet(baseline, day_centre_users(services__peer_support__open=True, services__peer_support__base_places=100))
    rec = record(s.with_actions(close("day_centre", 2, {"peer_support": 1.0})))
    at = snapshot_at(rec, month(2) + 1)
    assert sum(at.levels["peer_support"]) == 100
    assert sum(at.levels["waiting_peer_support"]) == USERS - 100
    assert count(rec, "redirected_peer_support") == USERS


def test_users_left_without_a_new_place_face_a_raised_crisis_risk_for_its_months_only(baseline):
    """The raised risk multiplies the crisis rate: a gentle crisis pulse inside the window gives
    every exposed user a crisis (the multiplier is huge), one just after it gives none."""
    values = day_centre_users(100, services__peer_support__open=True, services__peer_support__base_places=40)
    closure = close("day_centre", 2, {"peer_support": 1.0}, raised_risk=(1e8, 4.0))
    for at, exposed in ((5.9, 60), (6.1, 0)):
        s = quiet(baseline, values).with_actions(closure, *pulse(at, "crisis.rate_per_year_moderate", rate=0.01, hours=12))
        rec = record(s)
        inside = snapshot_at(rec, month(5.5))
        assert sum(inside.levels["raised_risk"]) == 60   # the 60 who got no peer place, not the 40 who did
        assert level(rec, "raised_risk") == 0            # and the window has closed by the end
        assert count(rec, "crisis_episodes") == exposed, at


def test_a_closure_without_a_stated_risk_uses_the_services_declared_disruption(baseline):
    s = quiet(baseline, day_centre_users(100, services__day_centre__closure_crisis_multiplier=1.3,
                                         services__day_centre__closure_risk_months=6.0))
    rec = record(s.with_actions(close("day_centre", 2, {}, raised_risk=None)))
    assert sum(snapshot_at(rec, month(7.9)).levels["raised_risk"]) == 100
    assert sum(snapshot_at(rec, month(8.1 + 1)).levels["raised_risk"]) == 0


def test_no_raised_risk_when_the_multiplier_is_one(baseline):
    s = quiet(baseline, day_centre_users(100))
    rec = record(s.with_actions(close("day_centre", 2, {}, raised_risk=(1.0, 6.0))))
    assert max(sum(snap.levels["raised_risk"]) for snap in rec.snapshots) == 0


def test_closing_peer_support_ends_leaders_roles_and_paid_peer_workers_jobs(baseline):
    rc, ps = "services.recovery_college.", "services.peer_support."
    s = quiet(baseline, {"population.in_contact_at_start": 20, rc + "open": True, ps + "open": True,
                         rc + "completion_share": 1.0, rc + "graduate_peer_worker_share": 1.0})
    # applicants at month 0.5 study from day 84 and graduate at day 168 (month 5.5) as paid peer workers
    rec = record(s.with_actions(*pulse(0.5, rc + "apply_rate_per_year"), close("peer_support", 7)))
    before = snapshot_at(rec, month(6))
    assert sum(before.levels["paid_peer_workers"]) == 20 and sum(before.levels["employed"]) == 20
    assert level(rec, "peer_leaders") == 0 and level(rec, "paid_peer_workers") == 0 and level(rec, "employed") == 0
    assert rec.snapshots[-1].extra["peer_support_capacity"] == 0


def test_closing_the_recovery_college_ends_courses_and_tutors_jobs(baseline):
    rc = "services.recovery_college."
    s = quiet(baseline, {"population.in_contact_at_start": 20, rc + "open": True, rc + "completion_share": 1.0,
                         rc + "graduate_tutor_share": 1.0, rc + "places_per_term": 10})
    # ten study from day 84 and graduate as tutors at day 168; the other ten are mid-course at month 7
    rec = record(s.with_actions(*pulse(0.5, rc + "apply_rate_per_year"), close("recovery_college", 7)))
    before = snapshot_at(rec, month(6))
    assert sum(before.levels["tutors_by_experience"]) == 10 and sum(before.levels["recovery_college_students"]) == 10
    assert level(rec, "tutors_by_experience") == 0 and level(rec, "recovery_college_students") == 0
    assert level(rec, "waiting_recovery_college") == 0
    assert level(rec, "employed") == 0
    assert count(rec, "college_completions") == 10      # the second cohort never finished


def test_closing_enablement_stops_referrals_and_clears_its_waiting_list_but_tenants_stay(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": 20, "census.in_residential_care": 10, "census.in_enablement": 10,
                         "census.waiting_for_enablement": 5, "services.enablement.tenancies_operative": 10})
    rec = record(s.with_actions(close("enablement", 2), *pulse(3, "services.residential_care.referral_to_enablement_rate_per_year")))
    assert level(rec, "waiting_enablement", 0) == 5 and level(rec, "waiting_enablement") == 0
    assert level(rec, "enablement") == 10 and count(rec, "enablement_entries") == 0


def test_a_closed_service_takes_no_referrals_and_reopening_it_does(baseline):
    dc = "services.day_centre."
    s = quiet(baseline, {"population.in_contact_at_start": 20, "population.employed_share_at_start": 1.0, dc + "open": False})
    rec = record(s.with_actions(*pulse(1, dc + "referral_rate_per_year"), open_("day_centre", 2),
                                *pulse(3, dc + "referral_rate_per_year")))
    assert sum(snapshot_at(rec, month(2.5)).levels["day_centre"]) == 0
    assert level(rec, "day_centre") == 20 and count(rec, "day_centre_referrals") == 20


def test_reopening_the_recovery_college_starts_its_terms(baseline):
    rc = "services.recovery_college."
    s = quiet(baseline, {"population.in_contact_at_start": 20, rc + "completion_share": 1.0})
    rec = record(s.with_actions(open_("recovery_college", 3), *pulse(3.5, rc + "apply_rate_per_year")))
    assert count(rec, "college_enrolments") > 0 and count(rec, "college_completions") == count(rec, "college_enrolments")
    assert sum(snapshot_at(rec, month(2.9)).levels["recovery_college_graduates"]) == 0


def test_resizing_enablement_fills_new_tenancies_from_the_waiting_list(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": 30, "census.in_residential_care": 20, "census.in_enablement": 10,
                         "census.waiting_for_enablement": 8, "services.enablement.tenancies_operative": 10})
    rec = record(s.with_actions(resize("enablement", 15, "services.enablement.tenancies_operative", 3)))
    assert sum(snapshot_at(rec, month(2.9)).levels["enablement"]) == 10
    assert level(rec, "enablement") == 15 and level(rec, "waiting_enablement") == 3
    assert count(rec, "enablement_entries") == 5


def test_cutting_places_turns_nobody_out(baseline):
    s = quiet(baseline, day_centre_users(40))
    rec = record(s.with_actions(resize("day_centre", 10, "services.day_centre.places", 3)))
    assert level(rec, "day_centre") == 40
    assert rec.checks["capacity_end"]["day_centre"] == 10


def test_a_set_action_changes_rates_from_its_date(baseline):
    s = quiet(baseline, {"population.in_contact_at_start": 50})
    rec = record(s.with_actions(set_at(6, recovery__rate_per_year_moderate=1e6)))
    assert sum(snapshot_at(rec, month(5.9)).levels["recovered"]) == 0
    assert level(rec, "recovered") == 50


@pytest.mark.parametrize("closes_at", [0, 6])
def test_a_closure_at_month_zero_means_nobody_ever_held_a_place(baseline, closes_at):
    s = quiet(baseline, day_centre_users(30))
    rec = record(s.with_actions(close("day_centre", closes_at, {})))
    assert level(rec, "day_centre") == 0
    assert count(rec, "support_losses_on_closure") == 30


def test_the_people_a_closure_displaced_are_reported_as_a_cohort_at_full_scale(baseline):
    """At half scale each simulated user stands for two: the cohort has a row per simulated person,
    and its metrics count people in the county."""
    from simulation.experiment import cohort_markers, run_replication

    s = quiet(baseline, day_centre_users(40)).with_actions(close("day_centre", 2), *pulse(4, "crisis.rate_per_year_moderate"))
    res = run_replication(s, 1, 3, 1.0, 0.5, 0.0, cohorts=cohort_markers([s]))
    assert res.replication == 3
    assert len(res.cohort) == 20
    assert {(row[0], row[1], row[3]) for row in res.cohort} == {("day_centre", 2.0, "nothing")}
    assert res.metrics["cohort.day_centre.people"] == 40
    assert res.metrics["cohort.day_centre.sent_nothing"] == 40
    assert res.metrics["cohort.day_centre.in_work_end"] == 40     # everyone was in work, and nothing moves
    assert res.metrics["cohort.day_centre.crises"] == 40          # one crisis each, after the closure
    assert sum(row[4] for row in res.cohort) == 20


def test_places_opened_at_the_closures_date_are_there_for_its_users_whatever_the_order_written(baseline):
    """Actions of one date take effect together: a closure listed before the opening (or resizing) that makes
    room for its users at the same date still finds that room, so nobody is put on a waiting list that the
    next action of the same instant would have emptied (the dashboard's reinvestment writes its actions so)."""
    from simulation.experiment import cohort_markers, run_replication

    s = quiet(baseline, day_centre_users(40, services__peer_support__base_places=40,
                                         services__peer_support__founding_leaders=0))
    s = s.with_actions(close("day_centre", 2, {"peer_support": 1.0}), open_("peer_support", 2))
    res = run_replication(s, 1, 0, 1.0, 1.0, 0.0, cohorts=cohort_markers([s]))
    assert {row[3] for row in res.cohort} == {"peer_support_place"}
    assert res.metrics["cohort.day_centre.people"] == 40


def test_users_referred_to_a_closed_service_get_nothing_not_a_waiting_list(baseline):
    """Peer support is closed in the baseline: a closure that refers users there (without opening it) leaves them
    with nothing, and says so; they are on no waiting list and face the raised risk."""
    from simulation.experiment import cohort_markers, run_replication

    s = quiet(baseline, day_centre_users(40)).with_actions(close("day_centre", 2, {"peer_support": 1.0}, (2.0, 3.0)))
    res = run_replication(s, 1, 0, 1.0, 1.0, 0.0, cohorts=cohort_markers([s]))
    assert {row[3] for row in res.cohort} == {"peer_support_not_taken"}   # referred, not "referred nowhere"
    assert res.metrics["cohort.day_centre.sent_peer_support_not_taken"] == 40
    rec = record(s)
    assert count(rec, "redirected_nothing") == 40 and count(rec, "redirected_peer_support") == 0
    assert level(rec, "waiting_peer_support") == 0
    assert sum(snapshot_at(rec, month(2) + 1).levels["raised_risk"]) == 40


def test_the_twin_refers_a_closures_users_as_the_model_does(baseline):
    """The twin follows the same two rules: actions of one date take effect together (closures last), and a
    closed service takes nobody (its referrals are 'nothing')."""
    import pytest

    from simulation.twin import Twin

    people = day_centre_users(40, services__peer_support__base_places=40, services__peer_support__founding_leaders=0)
    opened_after = quiet(baseline, people).with_actions(close("day_centre", 2, {"peer_support": 1.0}), open_("peer_support", 2))
    rec = Twin(opened_after, years=1, warmup_years=0).run()
    assert count(rec, "redirected_peer_support") == pytest.approx(40, rel=1e-6)
    assert count(rec, "redirected_nothing") == pytest.approx(0, abs=1e-6)
    never_opened = quiet(baseline, day_centre_users(40)).with_actions(close("day_centre", 2, {"peer_support": 1.0}))
    rec = Twin(never_opened, years=1, warmup_years=0).run()
    assert count(rec, "redirected_nothing") == pytest.approx(40, rel=1e-6)
    assert count(rec, "redirected_peer_support") == pytest.approx(0, abs=1e-6)
