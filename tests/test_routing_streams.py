"""Common random numbers at the level of one person: a routing draw (where to go, how long to stay)
comes from that person's own stream for that purpose, so no one else's draws, and no draw for another
purpose, can shift it. This is what lets a decision that changes some people's lives leave everyone
else's exactly as they were."""

from __future__ import annotations

from simulation.model import CountyModel
from simulation.model.life import ADMISSION, PURPOSES, REDIRECT, STAY
from simulation.people import COMMUNITY, Person


def lives(baseline):
    return CountyModel(baseline, seed=7, replication=2, years=1.0, scale=0.01).lives


def person(pid: int) -> Person:
    return Person(pid, 0, COMMUNITY, 0.0)


def test_a_persons_draws_are_the_same_whatever_other_people_draw_in_between(baseline):
    alone = lives(baseline)
    b = person(42)
    expected = [alone.route(b, ADMISSION) for _ in range(5)]
    crowded = lives(baseline)
    b, others = person(42), [person(i) for i in range(1, 6)]
    got = []
    for _ in range(5):
        for o in others:
            crowded.route(o, ADMISSION)
        got.append(crowded.route(b, ADMISSION))
    assert got == expected


def test_a_draw_for_one_purpose_never_shifts_the_draws_for_another(baseline):
    alone = lives(baseline)
    p = person(42)
    stays = [alone.duration(p, 20.0, 0.8, False) for _ in range(3)]
    busy = lives(baseline)
    p = person(42)
    got = []
    for _ in range(3):
        busy.route(p, REDIRECT)
        busy.route(p, ADMISSION)
        got.append(busy.duration(p, 20.0, 0.8, False))
    assert got == stays


def test_people_and_purposes_have_streams_of_their_own(baseline):
    lv = lives(baseline)
    first = {(pid, purpose): lv.route(person(pid), purpose) for pid in (1, 2, 3) for purpose in range(len(PURPOSES))}
    assert len(set(first.values())) == len(first)
    assert all(0.0 < u < 1.0 for u in first.values())
    again = lives(baseline)
    assert again.route(person(2), STAY) == first[(2, STAY)]      # the same person, purpose and seed: the same draw
