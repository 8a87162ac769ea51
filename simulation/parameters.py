"""The parameter catalogue: every number the model uses, with its unit and source.

Parameters are declared once, in ``scenarios/baseline.yaml``, as leaves like::

    beds_in_area:
      value: 300
      unit: places
      assumption: "about 20 adult acute beds per 100,000 people ..."
      low: 250
      high: 360

The *unit* decides what values are allowed (a ``share`` lies in 0..1, a
``places`` count is a whole number of at least 0, money is pounds at the
leaf's ``price_year``), so validation lives in one table, :data:`UNITS`,
rather than being repeated per parameter. ``low``/``high`` (or a
``distribution``) is the plausible range that sensitivity analysis samples;
it is not a hard limit on what a scenario may set.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

MONEY_PREFIX = "£"


@dataclass(frozen=True)
class Unit:
    """What a unit allows: the Python type and the hard limits."""

    kind: str  # "int", "float", "bool", "date"
    minimum: float | None = None
    maximum: float | None = None
    meaning: str = ""
    size_limit: bool = False
    """The maximum is a limit on a run's size, not part of the unit's meaning (a share is at most 1 by nature)."""

    def allowed(self, unit: str) -> str:
        """Plain-English description of allowed values, for error messages."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "date":
            return f"a date such as 2016-05-01, from {DATE_RANGE[0]} to {DATE_RANGE[1]}"
        word = "a whole number" if self.kind == "int" else "a number"
        if unit.startswith(MONEY_PREFIX):
            word = "an amount in pounds (e.g. 1200 or '£1,200')"
        if self.minimum is not None and self.maximum is not None and self.size_limit:
            return f"{word} of at least {_fmt(self.minimum)}, at most {_fmt(self.maximum)}"
        if self.minimum is not None and self.maximum is not None:
            return f"{word} from {_fmt(self.minimum)} to {_fmt(self.maximum)}"
        if self.minimum is not None:
            return f"{word} of at least {_fmt(self.minimum)}"
        return word


def _fmt(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else str(x)


MAX_MONEY = 1_000_000_000
"""Largest amount any money parameter may hold: a billion pounds is far above any unit or block cost a
county pays, and keeps every total exact in floating point (no overflow to infinity)."""

UNITS: dict[str, Unit] = {
    # Upper limits keep one run within a laptop's memory and time (a simulated person costs about
    # 1.7 KB and each event a few microseconds; see also scenario.MAX_SIMULATED_PEOPLE). Each is at
    # least ten times the top of every range baseline.yaml declares for that unit.
    "people": Unit("int", 0, 1_000_000, "a count of people", True),
    "places": Unit("int", 0, 100_000, "a capacity: places, beds or tenancies", True),
    "people per year": Unit("float", 0, 100_000, "people a year", True),
    "people per leader": Unit("float", 0, 1_000, "people each peer leader can support", True),
    "students per tutor": Unit("float", 0, 1_000, "students each tutor by experience can teach a term", True),
    "per year": Unit("float", 0, 24, "a hazard rate: events per person per year", True),
    "share": Unit("float", 0, 1, "a proportion between 0 and 1"),
    "share per year": Unit("float", 0, 1, "a proportion per year"),
    "share change": Unit("float", -1, 1, "a proportional change in a rate: a reduction if positive, an increase if negative"),
    "multiplier": Unit("float", 0, 120, "a factor applied to a rate (1 = no effect)", True),
    "days": Unit("float", 0, 3_653, "days", True),
    "weeks": Unit("float", 0, 522, "weeks", True),
    "months": Unit("float", 0, 120, "months", True),
    "years": Unit("float", 0, 100, "years", True),
    "spread": Unit("float", 0, 5, "the log-scale spread (sigma) of a lognormal duration"),
    "utility": Unit("float", -0.6, 1, "a quality-of-life weight (1 = full health, 0 = dead)"),
    "utility change": Unit("float", -1, 1, "a change in quality-of-life weight"),
    "switch": Unit("bool", None, None, "on or off"),
    "date": Unit("date", None, None, "a calendar date"),
    "index": Unit("float", 0.01, 100, "a price index relative to the model's price year", True),
    "£": Unit("float", 0, MAX_MONEY, "pounds", True),
    "£ per day": Unit("float", 0, MAX_MONEY, "pounds a day", True),
    "£ per week": Unit("float", 0, MAX_MONEY, "pounds a week", True),
    "£ per year": Unit("float", 0, MAX_MONEY, "pounds a year", True),
    "£ per episode": Unit("float", 0, MAX_MONEY, "pounds an episode", True),
    "£ per person": Unit("float", 0, MAX_MONEY, "pounds a person", True),
}
"""Every unit a parameter may have, with its hard limits (every numeric unit has a finite upper limit)."""

DATE_RANGE = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))
"""Dates a scenario may use: the price indices and sources cover 2007 to 2024; dates are labels."""

DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "beta": ("alpha", "beta"),
    "gamma": ("shape", "scale"),
    "lognormal": ("mean_log", "sd_log"),
    "normal": ("mean", "sd"),
}
"""Distributions a parameter's uncertainty may be declared with, and their arguments."""

LEAF_KEYS = {"value", "unit", "source", "assumption", "price_year", "payer", "low", "high", "distribution", "label", "note"}

PAYERS = ("nhs", "council", "society")
"""Who pays: the NHS, the county council, or wider society (seed: savings land in another budget)."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its value and everything said about it."""

    path: str
    value: Any
    unit: str
    source: str | None = None
    assumption: str | None = None
    price_year: int | None = None
    payer: str | None = None
    low: float | None = None
    high: float | None = None
    distribution: Mapping[str, Any] | None = None
    label: str | None = None
    note: str | None = None

    @property
    def is_money(self) -> bool:
        return self.unit.startswith(MONEY_PREFIX)

    @property
    def is_uncertain(self) -> bool:
        """Whether sensitivity analysis may vary it (it has a range)."""
        return self.distribution is not None or (self.low is not None and self.high is not None)

    def with_value(self, value: Any) -> "ParamSpec":
        return ParamSpec(**{**self.__dict__, "value": value})

    def plain_label(self) -> str:
        """A label a commissioner can read, from ``label`` or the path."""
        if self.label:
            return self.label
        return path_words(self.path)


_PATH_SECTIONS = ("services.", "programmes.", "population.", "costs.", "census.", "settings.")


def path_words(path: str) -> str:
    """A parameter's path in words, for one without a label: its section dropped, the group capitalised and set
    off by a colon ("programmes.zero_suicide.crisis_reduction_at_full_coverage" is "Zero suicide: crisis
    reduction at full coverage"), never the underscores and dots of code."""
    for section in _PATH_SECTIONS:
        if path.startswith(section) and path.count(".") >= 2:
            path = path[len(section):]
            break
    words = path.replace("_", " ").replace(".", ": ")
    return words[:1].upper() + words[1:]


_MONEY_TEXT = re.compile(r"^\s*£?\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*$")
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]{1,3}\s*$")


def coerce_value(unit_name: str, value: Any) -> tuple[Any, str | None]:
    """Convert ``value`` for ``unit_name``; return (value, problem or None)."""
    unit = UNITS.get(unit_name) if isinstance(unit_name, str) else None
    if unit is None:
        return value, f"unknown unit '{unit_name}'"
    allowed = unit.allowed(unit_name)
    if unit.kind == "bool":
        return value, (None if isinstance(value, bool) else f"must be {allowed}")
    if unit.kind == "date":
        return _coerce_date(value, allowed)
    return _coerce_number(unit_name, unit, value, allowed)


def _coerce_date(value: Any, allowed: str) -> tuple[Any, str | None]:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
            return value, f"must be {allowed}"
        return value, None
    return value, f"must be {allowed}"


def _number_from_text(unit_name: str, value: Any) -> Any:
    """'£1,200' for money, and 1e9 written as text, are numbers; anything else is left as it is."""
    if isinstance(value, str) and unit_name.startswith(MONEY_PREFIX):
        match = _MONEY_TEXT.match(value)
        if match:
            value = float(match.group(1).replace(",", ""))
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        # YAML 1.1 reads 1e9 or 2.5E-3 (no dot or sign in the exponent) as text; people mean a number
        value = float(value)
    return value


def _coerce_number(unit_name: str, unit: Unit, value: Any, allowed: str) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, f"must be {allowed}, not true/false"
    value = _number_from_text(unit_name, value)
    if not isinstance(value, (int, float)) or not _finite(value):
        return value, f"must be {allowed}"
    if unit.kind == "int":
        if isinstance(value, float):
            if not value.is_integer():
                return value, f"must be {allowed}"
            value = int(value)
    else:
        value = float(value)
    if (unit.minimum is not None and value < unit.minimum) or (unit.maximum is not None and value > unit.maximum):
        return value, f"must be {allowed}"
    return value, None


def _finite(value: int | float) -> bool:
    """Whether a number is finite and fits in a float (a huge int does not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def is_leaf(node: Any) -> bool:
    """A mapping with a ``value`` key is a parameter; any other mapping is a group."""
    return isinstance(node, Mapping) and "value" in node


def iter_leaves(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (dotted path, leaf mapping or plain value) for a nested tree.

    Keys may themselves be dotted (``acute.beds: 5``); they are joined as is.
    """
    for key, node in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(node, Mapping) and not is_leaf(node):
            yield from iter_leaves(node, path)
        else:
            yield path, node


def leaf_problems(path: str, leaf: Mapping[str, Any], require_provenance: bool) -> list[tuple[str, str, Any, str]]:
    """Check a full leaf declaration; return (field, message, value, allowed) tuples."""
    out: list[tuple[str, str, Any, str]] = []
    unknown = set(leaf) - LEAF_KEYS
    for key in sorted(unknown):
        out.append((f"{path}.{key}", f"unknown field '{key}' in a parameter", key, ", ".join(sorted(LEAF_KEYS))))
    unit_name = leaf.get("unit")
    if not isinstance(unit_name, str) or unit_name not in UNITS:
        out.append((f"{path}.unit", "unknown unit", unit_name, ", ".join(UNITS)))
        return out
    _, problem = coerce_value(unit_name, leaf["value"])
    if problem:
        out.append((f"{path}.value", problem, leaf["value"], UNITS[unit_name].allowed(unit_name)))
    if require_provenance and not (leaf.get("source") or leaf.get("assumption")):
        out.append((path, "says neither where it comes from ('source:') nor that it is an assumption ('assumption:')", None, "a 'source:' id from PARAMETERS.md or the seed, or 'assumption:' with reasoning"))
    for key in ("source", "assumption", "label", "note"):
        if key in leaf and leaf[key] is not None and not isinstance(leaf[key], str):
            out.append((f"{path}.{key}", "must be text", leaf[key], "text"))
    if unit_name.startswith(MONEY_PREFIX):
        out.extend(_money_problems(path, leaf))
    out.extend(_range_problems(path, leaf, unit_name))
    dist = leaf.get("distribution")
    if dist is not None:
        out.extend(_distribution_problems(path, dist))
    return out


def _money_problems(path: str, leaf: Mapping[str, Any]) -> list[tuple[str, str, Any, str]]:
    """Money needs the year its prices are in and who pays."""
    out = []
    year = leaf.get("price_year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        out.append((f"{path}.price_year", "money needs the year its prices are in", year, "a year such as 2015"))
    if leaf.get("payer") not in PAYERS:
        out.append((f"{path}.payer", "money needs a payer", leaf.get("payer"), ", ".join(PAYERS)))
    return out


def _range_problems(path: str, leaf: Mapping[str, Any], unit_name: str) -> list[tuple[str, str, Any, str]]:
    """low and high: numbers the unit allows, low at most high, and the value between them."""
    out = []
    numeric = UNITS[unit_name].kind in ("int", "float")
    for key in ("low", "high"):
        if key in leaf:
            value, problem = coerce_value(unit_name, leaf[key]) if numeric else (leaf[key], "a range only applies to numbers")
            if problem:
                out.append((f"{path}.{key}", problem, leaf[key], UNITS[unit_name].allowed(unit_name)))
    if numeric and "low" in leaf and "high" in leaf:
        lo, _ = coerce_value(unit_name, leaf["low"])
        hi, _ = coerce_value(unit_name, leaf["high"])
        val, _ = coerce_value(unit_name, leaf["value"])
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (lo, hi, val)):
            if lo > hi:
                out.append((f"{path}.low", "low is above high", leaf["low"], f"at most high ({leaf['high']})"))
            elif not lo <= val <= hi:
                out.append((f"{path}.value", "value lies outside its own range", leaf["value"], f"from {lo} to {hi}"))
    return out


def _distribution_problems(path: str, dist: Any) -> list[tuple[str, str, Any, str]]:
    field = f"{path}.distribution"
    if not isinstance(dist, Mapping) or "type" not in dist:
        return [(field, "must be a mapping with 'type'", dist, "type: " + " | ".join(DISTRIBUTIONS))]
    kind = dist["type"]
    if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
        return [(f"{field}.type", "unknown distribution", kind, ", ".join(DISTRIBUTIONS))]
    need = DISTRIBUTIONS[kind]
    out = []
    for arg in need:
        v = dist.get(arg)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not _finite(v):
            out.append((f"{field}.{arg}", f"a {kind} distribution needs a number '{arg}'", v, "a number"))
    for extra in sorted(set(dist) - set(need) - {"type"}):
        out.append((f"{field}.{extra}", f"not an argument of a {kind} distribution", extra, ", ".join(need)))
    if not out:
        positive = {"beta": ("alpha", "beta"), "gamma": ("shape", "scale"), "lognormal": ("sd_log",), "normal": ("sd",)}.get(kind, ())
        for arg in positive:
            if dist[arg] <= 0:
                out.append((f"{field}.{arg}", "must be above 0", dist[arg], "a positive number"))
        if kind in ("uniform", "triangular") and dist["low"] > dist["high"]:
            out.append((f"{field}.low", "low is above high", dist["low"], "low at most high"))
        if kind == "triangular" and not dist["low"] <= dist["mode"] <= dist["high"]:
            out.append((f"{field}.mode", "mode lies outside low..high", dist["mode"], "low <= mode <= high"))
    return out


def spec_from_leaf(path: str, leaf: Mapping[str, Any]) -> ParamSpec:
    """Build a :class:`ParamSpec` from a leaf already checked by :func:`leaf_problems`."""
    value, _ = coerce_value(leaf["unit"], leaf["value"])
    lo = coerce_value(leaf["unit"], leaf["low"])[0] if "low" in leaf else None
    hi = coerce_value(leaf["unit"], leaf["high"])[0] if "high" in leaf else None
    return ParamSpec(
        path=path,
        value=value,
        unit=leaf["unit"],
        source=leaf.get("source"),
        assumption=leaf.get("assumption"),
        price_year=leaf.get("price_year"),
        payer=leaf.get("payer"),
        low=lo,
        high=hi,
        distribution=dict(leaf["distribution"]) if leaf.get("distribution") else None,
        label=leaf.get("label"),
        note=leaf.get("note"),
    )


class Params:
    """Read-only attribute access to resolved parameter values.

    ``P.services.acute_beds.beds_in_area`` reads the value of the parameter at
    that dotted path. The flat mapping is folded into nested groups once, into
    each group's own attributes, so a read is Python's plain attribute lookup
    (the rules read several hundred thousand of them to build the twin's rate
    tables: a ``__getattr__`` for every read cost a sixth of that time).
    """

    def __init__(self, values: Mapping[str, Any], _path: str = ""):
        items: dict[str, Any] = {}
        groups: dict[str, dict[str, Any]] = {}
        for key, value in values.items():
            head, dot, rest = key.partition(".")
            if dot:
                groups.setdefault(head, {})[rest] = value
            else:
                items[head] = value
        for head, sub in groups.items():
            items[head] = Params(sub, f"{_path}{head}.")
        self.__dict__.update(items)
        self.__dict__["_path"] = _path

    def __getattr__(self, name: str) -> Any:
        """Only reached for a name that is not a parameter here."""
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"no parameter '{self.__dict__.get('_path', '')}{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("parameters are read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("parameters are read-only")

    def get(self, path: str) -> Any:
        """The value at a dotted path below this group."""
        node: Any = self
        for part in path.split("."):
            node = getattr(node, part)
        return node


DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

