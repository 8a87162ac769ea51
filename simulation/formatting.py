"""Numbers for people: the command line, the dashboard and the brief print them alike.

Money in pounds with a scale people read at a glance (£8.87bn, £9.4m, £0.31m
beside other millions, £50,000 for a unit cost), counts with separators and
no false precision, shares as percentages.
"""

from __future__ import annotations

import math


def _missing(value) -> bool:
    """None, NaN, infinity or anything that is not a number: shown as '-'."""
    try:
        return value is None or not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def _signed(text: str, value: float, signed: bool) -> str:
    """A sign only for a value that does not print as zero."""
    if text.strip("£0.,%") == "":
        return text
    return ("+" if signed and value > 0 else "-" if value < 0 else "") + text


def money(value: float, signed: bool = False) -> str:
    """Pounds at a scale read at a glance: £8.87bn, £9.4m, £0.31m beside millions, £50,000."""
    if _missing(value):
        return "-"
    v = abs(float(value))
    if v >= 1e6:
        text = _millions(v)
    elif v >= 1e5:  # beside changes in millions: +£0.31m, not +£310,521
        text = f"£{v / 1e6:,.2f}m"
    else:
        text = f"£{v:,.0f}"
    return _signed(text, value, signed)


def _millions(v: float) -> str:
    """A million or more: £9.4m, or £8.87bn from what rounds to £1,000m."""
    return f"£{v / 1e9:,.2f}bn" if round(v / 1e6, 1) >= 1000 else f"£{v / 1e6:,.1f}m"


def money_per_unit(value: float, signed: bool = False) -> str:
    """A sum per unit (a cost per QALY), read like the £20,000 per QALY it is set beside: whole pounds to three
    significant figures (£51,700, £131,000), millions from a million (£2.4m)."""
    if _missing(value):
        return "-"
    v = float(f"{abs(float(value)):.3g}")
    text = _millions(v) if v >= 1e6 else f"£{v:,.0f}"
    return _signed(text, value, signed)


def money_m(value: float, signed: bool = False) -> str:
    """Outcome money in one format, millions (or billions) always, so a column never mixes +£49,835 with -£8.4m:
    £8.87bn, £9.4m, £0.31m, £0.05m; what rounds to under £0.01m prints as £0m."""
    if _missing(value):
        return "-"
    v = abs(float(value))
    if v >= 1e6:
        text = _millions(v)
    elif round(v / 1e6, 2) > 0:
        text = f"£{v / 1e6:.2f}m"
    else:
        return "£0m"
    return _signed(text, value, signed)


def number(value: float, unit: str = "", signed: bool = False) -> str:
    """An outcome for people to read: pounds, percentages or counts, without false precision.

    Values under 0.001 print as 0: outcomes that small are rounding noise, not findings. Money is always
    in millions or billions (:func:`money_m`); prices and unit costs use :func:`money`.
    """
    if _missing(value):
        return "-"
    if unit == "£":
        return money_m(value, signed)
    v = abs(float(value))
    if unit in ("share", "share change"):
        text = f"{v * 100:.1f}%"
    elif v < 1e-3:
        text = "0"
    elif round(v, 1) >= 10 or float(v).is_integer():
        text = f"{v:,.0f}"
    elif v >= 1:
        text = f"{v:,.1f}"
    else:
        text = f"{v:.2g}"   # two significant figures: 0.24, 0.8, 0.0031
    return _signed(text, value, signed)


def parameter_value(value) -> str:
    """A parameter as declared, to its full precision (0.425 stays 0.425): inputs are not rounded."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}" if abs(value) >= 1e-4 else f"{value:.3g}"


PLAIN_UNIT_NUMBER = ("index", "utility", "utility change", "spread")
"""Units that are no words after a number: the value is followed by the unit in brackets."""


def parameter_with_unit(value, unit: str | None, label: str = "") -> str:
    """A parameter's value with its unit in words, as a sentence says it: '£272,000 a year', '45%', 'x1.3',
    '120 places', '0.082 a year', 'on'. A rate's 'a year' (or 'a week', ...) is left out when the parameter's
    ``label`` already says it ('Zero Suicide trainees a year' is set to '1,000 people', not '1,000 people a year')."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if not isinstance(value, (int, float)) or not unit:
        return parameter_value(value)
    head, _, per = (" " + unit).partition(" per ")   # 'people per year': ('people', 'year'); 'per year': ('', 'year')
    head = head.strip()
    lowered = label.lower()
    rate = f" a {per}" if per and f"per {per}" not in lowered and f"a {per}" not in lowered else ""
    if head == "£":
        return f"£{parameter_value(value)}{rate}"
    if head in ("share", "share change"):
        return f"{parameter_value(value * 100)}%{' change' if head == 'share change' else ''}{rate}"
    if head == "multiplier":
        return f"x{parameter_value(value)}"
    if head in PLAIN_UNIT_NUMBER or head == "switch":
        return f"{parameter_value(value)} ({head}){rate}"
    return f"{parameter_value(value)}{' ' + head if head else ''}{rate}"


def range_end(value: float | None, unit: str) -> str:
    """One end of a parameter's swept range, short enough for a figure's axis or a table cell: pounds as
    money, other numbers to four significant figures, '-' when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit.startswith("£"):
        return money(value)
    return f"{value:,.4g}"


def years(value: float) -> str:
    """A span of years as a sentence says it: '1 year', '2.5 years', '10 years'."""
    return f"{value:g} year" if float(value) == 1 else f"{value:g} years"
