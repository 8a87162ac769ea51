"""Numbers for people: one formatter for the command line, the page and the brief."""

from __future__ import annotations

import pytest

from simulation.formatting import money, number


@pytest.mark.parametrize("value, text", [
    (8_873_100_000, "£8.87bn"), (9_400_000, "£9.4m"), (310_521, "£0.31m"), (50_000, "£50,000"), (-64_868, "-£64,868"),
])
def test_money_reads_at_a_glance(value, text):
    assert money(value) == text


@pytest.mark.parametrize("value, unit, text", [
    (62_850, "episodes", "62,850"), (102.4, "", "102"), (10.8, "", "11"), (5.55, "", "5.5"), (0.243, "", "0.24"),
    (0.159, "share", "15.9%"), (float("nan"), "", "-"),
])
def test_counts_have_no_false_precision(value, unit, text):
    assert number(value, unit) == text


def test_a_signed_change_shows_its_sign_and_zero_has_none():
    assert number(70.6, signed=True) == "+71"
    assert number(-3.9, signed=True) == "-3.9"
    assert number(0.0, signed=True) == "0"


def test_the_command_line_prints_what_the_page_prints():
    from simulation.cli import _fmt

    for metric, value in (("total_cost", 8_873_100_000.0), ("cost_council", 1_412_000.0), ("crisis_episodes", 70.5)):
        from simulation.outcomes import METRICS

        assert _fmt(metric, value, signed=True) == number(value, METRICS[metric].unit, signed=True)
