"""Numbers for people: one formatter for the command line, the page and the brief."""

from __future__ import annotations

import pytest

from simulation.formatting import money, money_m, money_per_unit, number, years


@pytest.mark.parametrize("value, text", [
    (8_873_100_000, "£8.87bn"), (9_400_000, "£9.4m"), (310_521, "£0.31m"), (50_000, "£50,000"), (-64_868, "-£64,868"),
])
def test_money_reads_at_a_glance(value, text):
    assert money(value) == text


@pytest.mark.parametrize("value, text", [
    (51_741, "£51,700"), (131_234, "£131,000"), (999_999, "£1.0m"), (2_430_000, "£2.4m"), (-8_742, "-£8,740"), (12.4, "£12"),
    (float("inf"), "-"),
])
def test_a_cost_per_qaly_reads_in_whole_pounds_like_the_threshold_beside_it(value, text):
    """'£0.13m per QALY' beside '£20,000 per QALY' asks the reader to convert: a sum per unit stays in pounds."""
    assert money_per_unit(value) == text


@pytest.mark.parametrize("value, text", [
    (8_873_100_000, "+£8.87bn"), (9_400_000, "+£9.4m"), (310_521, "+£0.31m"), (49_835, "+£0.05m"), (-64_868, "-£0.06m"),
    (960_000, "+£0.96m"), (999_000, "+£1.00m"), (4_000, "£0m"), (-4_000, "£0m"), (float("nan"), "-"),
])
def test_outcome_money_is_always_in_millions_so_a_column_never_mixes_formats(value, text):
    assert money_m(value, signed=True) == text
    assert number(value, "£", signed=True) == text


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


@pytest.mark.parametrize("value, text", [
    (1e-10, "0"), (-3.1e-9, "0"), (9.96, "+10"), (9.94, "+9.9"),
])
def test_rounding_noise_reads_zero_and_rounding_never_adds_a_false_decimal(value, text):
    assert number(value, signed=True) == text


@pytest.mark.parametrize("value, text", [
    (-0.4, "£0"), (999_960_000, "+£1.00bn"), (float("inf"), "-"), (None, "-"), (float("nan"), "-"),
])
def test_money_edge_cases(value, text):
    assert money(value, signed=True) == text


def test_parameters_are_shown_as_declared_not_rounded():
    from simulation.formatting import parameter_value

    assert [parameter_value(v) for v in (0.425, 0.159, 0.0007, 12.5, 1_100_000, True)] == \
        ["0.425", "0.159", "0.0007", "12.5", "1,100,000", "True"]


def test_a_span_of_years_reads_as_a_sentence_says_it():
    assert years(1) == "1 year" and years(1.0) == "1 year"
    assert years(2) == "2 years" and years(0.5) == "0.5 years" and years(10) == "10 years"
