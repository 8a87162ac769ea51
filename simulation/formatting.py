"""Numbers for people: the command line, the dashboard and the brief print them alike.

Money in pounds with a scale people read at a glance (£8.87bn, £9.4m, £0.31m
beside other millions, £50,000 for a unit cost), counts with separators and
no false precision, shares as percentages.
"""

from __future__ import annotations

import math


def money(value: float, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sign = "+" if signed and value > 0 else ("-" if value < 0 else "")
    v = abs(value)
    if v >= 1e9:
        return f"{sign}£{v / 1e9:,.2f}bn"
    if v >= 1e6:
        return f"{sign}£{v / 1e6:,.1f}m"
    if v >= 1e5:  # beside changes in millions: +£0.31m, not +£310,521
        return f"{sign}£{v / 1e6:,.2f}m"
    return f"{sign}£{v:,.0f}"


def number(value: float, unit: str = "", signed: bool = False) -> str:
    """A value for people to read: pounds, percentages or counts with separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "£":
        return money(value, signed)
    sign = "+" if signed and value > 0 else ("-" if value < 0 else "")
    v = abs(value)
    if unit == "share":
        return f"{sign}{v * 100:.1f}%"
    if v >= 10 or float(v).is_integer():
        return f"{sign}{v:,.0f}"
    if v >= 1:
        return f"{sign}{v:,.1f}"
    return f"{sign}{v:.2g}"   # two significant figures: 0.24, 0.8, 0.0031
