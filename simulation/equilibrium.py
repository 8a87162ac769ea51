"""Who is where at the start of an equilibrium census: rules shared by the model's census and the twin's.

Kept apart from ``simulation.model`` so that the twin can use them without importing the SimPy model
(``model/census.py`` imports them from here; the numbers are the same functions').
"""

from __future__ import annotations

from math import exp

from .people import FREQUENT, SEVERE


def crisis_rate(flags: int, crisis) -> float:
    """A person's crisis rate before windows and supports: needs level and frequent attending."""
    rate = crisis.rate_per_year_severe if flags & SEVERE else crisis.rate_per_year_moderate
    return rate * (crisis.frequent_attender_multiplier if flags & FREQUENT else 1.0)


def crisis_weighted_shares(severe_share: float, crisis) -> tuple[float, tuple[float, float]]:
    """Among people in crisis care, the severe share and the frequent-attender share (moderate,
    severe): each kind of person is there in proportion to its share times its crisis rate."""
    f, k = crisis.frequent_attender_share, crisis.frequent_attender_multiplier
    weight = 1.0 - f + f * k
    w_severe = severe_share * crisis.rate_per_year_severe * weight
    w_moderate = (1.0 - severe_share) * crisis.rate_per_year_moderate * weight
    s = w_severe / (w_severe + w_moderate) if w_severe + w_moderate > 0 else severe_share
    return s, (f * k / weight, f * k / weight)


def leaving_crisis_care_per_day(P) -> float:
    """People leaving crisis care a day in equilibrium with the census (Little's law: as many as are
    in it divided by the mean stay); times the window's length, those in the window after discharge."""
    ab, ht, cen = P.services.acute_beds, P.services.crisis_home_treatment, P.census
    mean_acute = ab.stay_median_days * exp(ab.stay_spread ** 2 / 2)
    mean_ht = ht.episode_median_days * exp(ht.episode_spread ** 2 / 2)
    return (min(cen.in_acute_beds, ab.beds_in_area) + cen.out_of_area) / mean_acute \
        + min(cen.in_home_treatment, ht.caseload) / mean_ht
