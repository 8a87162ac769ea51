"""Below full scale every run says how the ward's queue changes (issue 12, Build 5)."""

from __future__ import annotations

from simulation.scale import MEASURED, erlang_b, regime_note


def test_full_scale_needs_no_warning(baseline):
    assert regime_note(baseline, 1.0) is None


def test_a_small_ward_overflows_more_and_the_warning_gives_both_figures(baseline):
    beds = float(baseline.values["services.acute_beds.beds_in_area"])
    load = float(baseline.values["census.in_acute_beds"]) + float(baseline.values["census.out_of_area"])
    assert erlang_b(round(beds * 0.1), load * 0.1) > erlang_b(round(beds), load)   # pooling: a small ward blocks more
    note = regime_note(baseline, 0.1)
    assert note is not None and "29 of the county's 290 acute beds" in note
    assert f"{MEASURED[0.1]['out_of_area_share']:.1%} out of area" in note and "--scale 1" in note


def test_erlang_b_matches_its_textbook_values():
    assert erlang_b(1, 1.0) == 0.5                       # one server, load 1: blocked half the time
    assert abs(erlang_b(2, 1.0) - 0.2) < 1e-12            # B(2, 1) = (1/2) / (1 + 1 + 1/2)
