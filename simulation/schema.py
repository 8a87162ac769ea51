"""The run and action schema: every limit on a run, and every kind of timed decision, declared once.

A run is asked for in five places: a scenario's ``settings``, the command line
(``run``, ``compare``, ``preview``, ``verify``, ``replications``, ``dashboard``),
a sweep file or ``mhsim sweep`` options, ``mhsim psa``, and the dashboard's
server options. Each limit lives here, as one :class:`Limit` in
:data:`RUN_LIMITS`, and every one of those places checks it with
:func:`run_option_problems` or :meth:`Limit.problem`, so a limit is changed
in one line and its message reads the same everywhere.

Timed decisions are typed records (:class:`OpenService`, :class:`CloseService`,
:class:`ResizeService`, :class:`SetParameters`), each with ``to_yaml`` (the
mapping a scenario file writes) and read back by :class:`ActionReader`, which
reports every problem with the file, line, field, value and what is allowed.
The dashboard's builder writes its files through ``to_yaml``, so what the page
builds is read back by the same code that reads a hand-written file; a
Hypothesis test holds ``parse(to_yaml(a)) == a``.

Why no pydantic: every structural check here must report *all* problems of a
file at once, each with its line, a did-you-mean guess, and go on checking a
misspelt field as what it most likely means; the messages are pinned by the
input-rejection tests. A pydantic model would have needed a custom message for
every check and a second pass to map its error locations back to lines, for
no check it would do better than the unit table (:data:`parameters.UNITS`)
and these records. The dependency was never imported, so it was removed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Mapping

from . import catalogue
from .errors import InputError, Problem
from .parameters import DATE_RANGE, DAYS_PER_MONTH, UNITS, ParamSpec, coerce_value, iter_leaves, path_words

# ---------------------------------------------------------------------------
# Run limits


@dataclass(frozen=True)
class Limit:
    """The values one run option may take, and how a wrong one is told."""

    option: str
    """The command-line option (``--years``); its name in a file is the key in :data:`RUN_LIMITS`."""
    kind: str
    """'int' or 'float'."""
    low: float
    high: float | None
    allowed: str
    """What is allowed, as the user reads it."""

    def ok(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind == "int" and isinstance(value, float) and not value.is_integer():
            return False
        # written so that NaN is never within range
        return bool(self.low <= value and (self.high is None or value <= self.high))

    def message(self, value: Any) -> str:
        """'--reps must be at least 1' for a count below its minimum; '--years out of range' otherwise."""
        if self.kind == "int" and isinstance(value, (int, float)) and not isinstance(value, bool) and value < self.low:
            return f"{self.option} must be at least {self.low:g}"
        return f"{self.option} out of range"

    def problem(self, value: Any, where: str = "command line", line: int | None = None,
                fld: str | None = None) -> Problem | None:
        """The problem with ``value`` for this option (None if it is allowed)."""
        if self.ok(value):
            return None
        return Problem(where, self.message(value), line, fld or self.option, value, self.allowed)


RUN_LIMITS: dict[str, Limit] = {
    "years": Limit("--years", "float", 0.1, 50, "a number of years from 0.1 to 50"),
    "scale": Limit("--scale", "float", 0.001, 1, "a fraction of the county above 0 and at most 1 (1 = the whole county)"),
    "warmup_years": Limit("--warmup-years", "float", 0, 20, "a number of years from 0 to 20"),
    "reps": Limit("--reps", "int", 1, 100_000, "a whole number of at least 1 (at most 100,000)"),
    "workers": Limit("--workers", "int", 1, None, "a whole number of at least 1"),
    "samples": Limit("--samples", "int", 1, 1_000_000, "a whole number from 1 to 1,000,000"),
}
"""Every limit on how a run is asked for, by the name a file or a function gives it.

Years, scale and warm-up are also a scenario's ``settings``; a run longer than 50 years or smaller
than a thousandth of the county says nothing a commissioner can use, and the size of one run is
bounded separately (``scenario.MAX_SIMULATED_PEOPLE``)."""

SETTINGS_FROM_LIMITS = ("years", "warmup_years", "scale")
"""Run limits a scenario's ``settings`` may also set (the command line overrides them)."""


def run_option_problems(where: str = "command line", **options: Any) -> list[Problem]:
    """Problems with run options given by name (``years=0``); options given as None are not checked."""
    out = []
    for name, value in options.items():
        if value is None:
            continue
        problem = RUN_LIMITS[name].problem(value, where)
        if problem is not None:
            out.append(problem)
    return out


@dataclass(frozen=True)
class Settings:
    """How a scenario is run by default; the command line may override years, scale and warm-up."""

    start_date: dt.date = dt.date(2015, 11, 1)
    years: float = 10.0
    warmup_years: float = 0.0
    scale: float = 1.0

    def resolve(self, years: float | None = None, scale: float | None = None,
                warmup_years: float | None = None) -> tuple[float, float, float]:
        """(years, scale, warm-up years) of a run: what is given, else these settings."""
        return (float(years if years is not None else self.years), float(scale if scale is not None else self.scale),
                float(warmup_years if warmup_years is not None else self.warmup_years))


START_DATE_ALLOWED = f"a date such as 2015-11-01, from {DATE_RANGE[0]} to {DATE_RANGE[1]}"

SETTING_RULES: dict[str, tuple[str, float | None, float | None, str]] = {
    "start_date": ("date", None, None, START_DATE_ALLOWED),
    **{k: (RUN_LIMITS[k].kind, RUN_LIMITS[k].low, RUN_LIMITS[k].high, RUN_LIMITS[k].allowed) for k in SETTINGS_FROM_LIMITS},
}
"""The fields of ``settings:`` with their kind, bounds and what is allowed (derived from :data:`RUN_LIMITS`)."""


def setting_value(key: str, value: Any) -> tuple[Any, str | None]:
    """A setting's value as used, or the problem with it ('must be a date', 'out of range', 'must be a number')."""
    if key == "start_date":
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            return value, "must be a date"
        if not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
            return value, "out of range"
        return value, None
    limit = RUN_LIMITS[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value, "must be a number"
    if not limit.ok(value):
        return value, "out of range"
    return float(value), None


# ---------------------------------------------------------------------------
# When an action happens


def month_text(months: float) -> str:
    """'month 6': exact, so that reading it back gives the same day."""
    short = f"{months:.12g}"
    return f"month {short if float(short) == months else repr(float(months))}"


def parse_when(raw: Any, settings: Settings) -> tuple[float | None, str]:
    """Turn 'month 6', 6, {month: 6}, a date or {date: ...} into (days after the start, as written)."""
    raw = _unwrap_when(raw)
    if isinstance(raw, bool):
        return None, str(raw)
    if isinstance(raw, (int, float)):
        return _months(raw)
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return float((raw - settings.start_date).days), raw.isoformat()
    if isinstance(raw, str):
        return _when_text(raw, settings)
    return None, str(raw)


def _unwrap_when(raw: Any) -> Any:
    """{month: 6} is 'month 6' and {date: ...} the date; any other mapping is no time at all."""
    if not isinstance(raw, Mapping):
        return raw
    if len(raw) != 1:
        return raw
    (key, value), = raw.items()
    if key == "month":
        if isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return f"month {value}"
        return value
    if key == "date":
        return value
    return _Unreadable(raw)


@dataclass(frozen=True)
class _Unreadable:
    raw: Any

    def __str__(self) -> str:
        return str(self.raw)


def _months(raw: int | float) -> tuple[float | None, str]:
    try:
        months = float(raw)
    except OverflowError:  # an int too large for a float: far outside any run
        months = math.inf if raw > 0 else -math.inf
    if months != months:
        return None, str(raw)
    return months * DAYS_PER_MONTH, month_text(months)


def _when_text(raw: str, settings: Settings) -> tuple[float | None, str]:
    text = raw.strip().lower()
    if text.startswith("month"):
        try:
            m = float(text[5:].strip(" :"))
        except ValueError:
            return None, raw
        if not math.isfinite(m):
            return None, raw
        return m * DAYS_PER_MONTH, month_text(m)
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        return None, raw
    return float((d - settings.start_date).days), d.isoformat()


# ---------------------------------------------------------------------------
# Actions as typed records

ACTION_VERBS = ("open", "close", "resize", "set")
ACTION_KEYS = {"open": {"at", "capacity", "note"}, "close": {"at", "redirect", "note"},
               "resize": {"at", "capacity", "note"}, "set": {"at", "note"}}
RAISED_RISK_KEY = catalogue.RAISED_RISK_KEY
WHEN_ALLOWED = "'month 6', a month number, or a date such as 2016-05-01"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _tidy(x: Any) -> Any:
    """6.0 months is written '6': the file is for people to read."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


@dataclass(frozen=True)
class Action:
    """A timed decision. ``day`` is days after the start of the reported period; the rest say where it
    was written (never part of equality: the same decision read from two files is the same decision)."""

    day: float
    when: str = field(default="", compare=False, kw_only=True)
    """As written ('month 6', '2016-05-01')."""
    file: str = field(default="", compare=False, kw_only=True)
    line: int | None = field(default=None, compare=False, kw_only=True)
    """The line of its 'at'."""
    at_field: str = field(default="at", compare=False, kw_only=True)
    """The field path of its 'at' (e.g. 'actions[0].at'), for error messages."""

    verb: ClassVar[str] = ""

    if TYPE_CHECKING:  # every record answers these (its own fields, or the empty defaults below)
        @property
        def service(self) -> str | None: ...
        @property
        def values(self) -> tuple[tuple[str, Any], ...]: ...
        @property
        def redirect(self) -> tuple[tuple[str, float], ...]: ...
        @property
        def raised_risk(self) -> tuple[float, float] | None: ...

    @property
    def at(self) -> str:
        return self.when or month_text(self.day / DAYS_PER_MONTH)

    def describe(self) -> str:
        label = catalogue.SERVICES[self.service].label if self.service else ""
        return f"{self.when}: {self.verb} {label}"

    def as_dict(self) -> dict[str, Any]:
        """Everything that changes results (the scenario's content hash is taken over this)."""
        return {
            "verb": self.verb,
            "day": self.day,
            "service": self.service,
            "values": [[p, _jsonable(v)] for p, v in self.values],
            "redirect": [list(r) for r in self.redirect],
            "raised_risk": list(self.raised_risk) if self.raised_risk else None,
        }

    def body(self) -> dict[str, Any]:
        """The action's own fields as a scenario file writes them (without 'at')."""
        raise NotImplementedError

    def to_yaml(self) -> dict[str, Any]:
        """The action as a scenario file writes it."""
        return {**self.body(), "at": self.at}


class _NoRedirect:
    @property
    def redirect(self) -> tuple[tuple[str, float], ...]:
        return ()

    @property
    def raised_risk(self) -> tuple[float, float] | None:
        return None


class _Capacity(_NoRedirect):
    service: str
    capacity: int | None

    @property
    def values(self) -> tuple[tuple[str, Any], ...]:
        """The capacity as the parameter it sets."""
        path = catalogue.SERVICES[self.service].capacity_path
        return ((path, self.capacity),) if self.capacity is not None and path else ()


@dataclass(frozen=True)
class OpenService(_Capacity, Action):
    """Open a service from a date, optionally with a number of places."""

    service: str
    capacity: int | None = None
    verb: ClassVar[str] = "open"

    def describe(self) -> str:
        extra = f" to {self.capacity} places" if self.capacity is not None else ""
        return super().describe() + extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"open": self.service}
        if self.capacity is not None:
            out["capacity"] = self.capacity
        return out


@dataclass(frozen=True)
class ResizeService(_Capacity, Action):
    """Change a service's number of places from a date."""

    service: str
    capacity: int
    verb: ClassVar[str] = "resize"

    def describe(self) -> str:
        return super().describe() + f" to {self.capacity} places"

    def body(self) -> dict[str, Any]:
        return {"resize": self.service, "capacity": self.capacity}


@dataclass(frozen=True)
class CloseService(Action):
    """Close a service from a date; users of a support that redirects them are referred on by ``redirect``
    (target, share), and those left without a place face ``raised_risk`` (crisis multiplier, months)."""

    service: str
    redirect: tuple[tuple[str, float], ...] = ()
    raised_risk: tuple[float, float] | None = None
    verb: ClassVar[str] = "close"

    @property
    def values(self) -> tuple[tuple[str, Any], ...]:
        return ()

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"close": self.service}
        if self.redirect or self.raised_risk:
            redirect: dict[str, Any] = dict(self.redirect)
            if self.raised_risk:
                redirect[RAISED_RISK_KEY] = {"multiplier": self.raised_risk[0], "months": _tidy(self.raised_risk[1])}
            out["redirect"] = redirect
        return out


@dataclass(frozen=True)
class SetParameters(_NoRedirect, Action):
    """Give parameters new values from a date."""

    values: tuple[tuple[str, Any], ...] = ()
    verb: ClassVar[str] = "set"

    @property
    def service(self) -> str | None:
        return None

    def describe(self) -> str:
        """In words, with each parameter's label rather than its name and its value with its unit (the page's
        charts, the brief and the manifest show it): 'month 6: Zero Suicide trainees a year set to 1,000 people'."""
        from .formatting import parameter_with_unit
        from .scenario import shipped_catalogue

        catalogue = shipped_catalogue()

        def words(path: str, v: Any) -> str:
            spec = catalogue.get(path)
            label = spec.plain_label() if spec is not None else path_words(path)
            return f"{label} set to {parameter_with_unit(v, spec.unit if spec is not None else None, label)}"

        return f"{self.when}: " + "; ".join(words(p, v) for p, v in self.values)

    def body(self) -> dict[str, Any]:
        return {"set": {path: _jsonable(v) for path, v in self.values}}


ACTION_TYPES: dict[str, type[Action]] = {t.verb: t for t in (OpenService, CloseService, ResizeService, SetParameters)}


def at_month(kind: type[Action], month: float, **fields: Any) -> Any:
    """An action of ``kind`` at a month after the start (as the builder makes them)."""
    return kind(month * DAYS_PER_MONTH, when=month_text(month), **fields)


# ---------------------------------------------------------------------------
# Reading actions


ProblemFn = Callable[[str, str, Any, "str | None"], None]
"""problem(message, field, value, allowed)"""


class ActionReader:
    """Reads the actions of one file: every problem reported at once, each with its line; a misspelt
    field or service is still checked as what it most likely means, and never used."""

    def __init__(self, params: Mapping[str, ParamSpec], settings: Settings, file: str,
                 line: Callable[[str], int | None], problems: list[Problem],
                 closest: Callable[[str, Iterable[str]], str | None]):
        self.params = params
        self.settings = settings
        self.file = file
        self.line = line
        self.problems = problems
        self.closest = closest

    def problem(self, msg: str, fld: str, value: Any = None, allowed: str | None = None) -> None:
        self.problems.append(Problem(self.file, msg, self.line(fld), fld, value, allowed))

    def hint(self, word: str, options: Iterable[str]) -> str:
        guess = self.closest(word, options)
        return f" (did you mean '{guess}'?)" if guess else ""

    def read(self, item: Any, fld: str) -> Action | None:
        """One action, or None (its problems added)."""
        if not isinstance(item, Mapping):
            self.problem("each action must be a mapping such as 'close: day_centre' with 'at: month 6'", fld, item,
                         "open, close, resize or set, with at")
            return None
        verbs = [v for v in ACTION_VERBS if v in item]
        if len(verbs) != 1:
            self.problem("each action needs exactly one of open, close, resize or set", fld, sorted(item),
                         ", ".join(ACTION_VERBS))
            return None
        verb = verbs[0]
        item, meant, ok = self._known_fields(item, verb, fld)
        day, when, ok_when = self._when(item, fld, meant)
        if verb == "set":
            fields, ok_body = self._set(item["set"], f"{fld}.set")
        else:
            fields, ok_body = self._service(verb, item, fld, meant)
        if fields is None or not (ok and ok_when and ok_body) or day is None:
            return None
        return ACTION_TYPES[verb](day, when=when, file=self.file, line=self.line(f"{fld}.at"), at_field=f"{fld}.at",
                                  **fields)

    def _known_fields(self, item: Mapping, verb: str, fld: str) -> tuple[Mapping, dict[str, str], bool]:
        """Unknown fields reported; misspelt ones followed as what they most likely mean."""
        ok = True
        guesses: dict[str, list[str]] = {}
        for key in item:
            if key != verb and key not in ACTION_KEYS[verb]:
                guess = self.closest(str(key), ACTION_KEYS[verb])
                hint = f" (did you mean '{guess}'?)" if guess else ""
                self.problem(f"unknown field '{key}' for a '{verb}' action{hint}", f"{fld}.{key}", None,
                             ", ".join(sorted(ACTION_KEYS[verb])))
                ok = False
                if guess is not None and guess not in item:
                    guesses.setdefault(guess, []).append(key)
        # field the check uses -> field as written; two misspellings of one field: neither is followed
        meant = {guess: keys[0] for guess, keys in guesses.items() if len(keys) == 1}
        if meant:  # check what a misspelt field holds too, so one pass reports every problem
            item = {**item, **{guess: item[key] for guess, key in meant.items()}}
        return item, meant, ok

    def _when(self, item: Mapping, fld: str, meant: Mapping[str, str]) -> tuple[float | None, str, bool]:
        if "at" not in item:
            self.problem("the action needs 'at' (when it happens)", fld, None, WHEN_ALLOWED)
            return None, "", False
        day, when = parse_when(item["at"], self.settings)
        if day is None:
            self.problem("cannot tell when this happens", f"{fld}.{meant.get('at', 'at')}", item["at"], WHEN_ALLOWED)
            return None, when, False
        return day, when, True

    def _set(self, changes: Any, fld: str) -> tuple[dict[str, Any] | None, bool]:
        if not isinstance(changes, Mapping) or not changes:
            self.problem("'set' needs a mapping of parameter paths to new values", fld, changes,
                         "e.g. 'programmes.zero_suicide.trainees_per_year: 400'")
            return None, False
        ok = True
        values: list[tuple[str, Any]] = []
        for path, value in iter_leaves(changes):
            f = f"{fld}.{path}"
            if path not in self.params:
                self.problem(f"unknown parameter{self.hint(path, self.params)}", f, None, "a dotted path declared in baseline.yaml")
                ok = False
                continue
            coerced, issue = coerce_value(self.params[path].unit, value)
            if issue:
                self.problem(issue, f, value, spec_allowed(self.params[path]))
                ok = False
                continue
            values.append((path, coerced))
        return {"values": tuple(values)}, ok

    def _service(self, verb: str, item: Mapping, fld: str, meant: Mapping[str, str]) -> tuple[dict[str, Any] | None, bool]:
        services = catalogue.SERVICES
        ok = True
        service = written = item[verb]
        if not isinstance(service, str) or service not in services:
            service = self.closest(str(written), services)
            hint = f" (did you mean '{service}'?)" if service else ""
            self.problem(f"no such service{hint}", f"{fld}.{verb}", written, ", ".join(services))
            if service is None:
                return None, False
            ok = False  # go on checking the rest as if the service were the one it most likely means
        info = services[service]
        if verb in ("open", "close") and info.open_path is None:
            self.problem(f"{info.label} cannot be opened or closed", f"{fld}.{verb}", written,
                         "resize it instead: " + ", ".join(s for s, i in services.items() if i.open_path))
            return None, False
        if verb == "resize" and info.capacity_path is None:
            self.problem(f"{info.label} has no capacity to resize", f"{fld}.resize", written,
                         ", ".join(s for s, i in services.items() if i.capacity_path))
            return None, False
        fields: dict[str, Any] = {"service": service}

        def at(name: str) -> str:
            return f"{fld}.{meant.get(name, name)}"
        if verb in ("open", "resize"):
            ok = self._capacity(verb, item, info, fld, at("capacity"), fields) and ok
        if verb == "close" and "redirect" in item:
            ok = self._redirect(item["redirect"], service, at("redirect"), fields) and ok
        return fields, ok

    def _capacity(self, verb: str, item: Mapping, info: catalogue.ServiceSpec, fld: str, at: str,
                  fields: dict[str, Any]) -> bool:
        if "capacity" not in item:
            if verb == "resize":
                self.problem("'resize' needs 'capacity'", fld, None, "capacity: a whole number of places")
                return False
            return True
        if info.capacity_path is None:
            self.problem(f"{info.label} has no capacity", at, item["capacity"], "leave 'capacity' out")
            return False
        cap, issue = coerce_value("places", item["capacity"])
        if issue:
            self.problem(f"capacity {issue}", at, item["capacity"], "a whole number of places, at least 0")
            return False
        fields["capacity"] = cap
        return True

    def _redirect(self, raw: Any, service: str, fld: str, fields: dict[str, Any]) -> bool:
        services = catalogue.SERVICES
        targets = catalogue.redirect_targets()
        if not services[service].redirects_users:
            self.problem(f"users of {services[service].label} cannot be redirected: closing it stops new entries and "
                         "current users stay until they leave", fld, None, "leave 'redirect' out")
            return False
        if not isinstance(raw, Mapping):
            self.problem("'redirect' must map supports to the share of users sent there", fld, raw,
                         ", ".join(targets) + ", raised_crisis_risk")
            return False
        ok = True
        shares: list[tuple[str, float]] = []
        for key, value in raw.items():
            f = f"{fld}.{key}"
            if key == RAISED_RISK_KEY:
                raised = self._raised(value, f)
                fields["raised_risk"] = raised
                ok = ok and raised is not None
                continue
            share = self._share(key, value, service, targets, f)
            if share is None:
                ok = False
            else:
                shares.append((key, share))
        total = sum(s for _, s in shares)
        if ok and total > 1 + 1e-9:
            self.problem("redirect shares add up to more than 1", fld, round(total, 6),
                         "shares adding up to at most 1 (the rest go to nothing)")
            ok = False
        fields["redirect"] = tuple(shares)
        return ok

    def _share(self, key: Any, value: Any, service: str, targets: tuple[str, ...], fld: str) -> float | None:
        if key not in targets:
            self.problem(f"cannot redirect to '{key}'{self.hint(str(key), targets)}", fld, None,
                         ", ".join(targets) + ", raised_crisis_risk")
            return None
        if key == service:
            self.problem("users cannot be redirected to the service that is closing", fld, key,
                         ", ".join(t for t in targets if t != service))
            return None
        share, issue = coerce_value("share", value)
        if issue:
            self.problem(f"a redirect share {issue}", fld, value, "a share from 0 to 1")
            return None
        return share

    def _raised(self, raw: Any, fld: str) -> tuple[float, float] | None:
        if not isinstance(raw, Mapping) or set(raw) != {"multiplier", "months"}:
            self.problem("'raised_crisis_risk' needs 'multiplier' and 'months'", fld, raw, "e.g. {multiplier: 1.3, months: 6}")
            return None
        mult, issue1 = coerce_value("multiplier", raw["multiplier"])
        months, issue2 = coerce_value("months", raw["months"])
        if issue1:
            self.problem(f"multiplier {issue1}", f"{fld}.multiplier", raw["multiplier"], "a number of at least 0 (1 = no change)")
        if issue2:
            self.problem(f"months {issue2}", f"{fld}.months", raw["months"], "a number of months, at least 0")
        if issue1 or issue2:
            return None
        return (mult, months)


def spec_allowed(spec: ParamSpec) -> str:
    """What a parameter may be set to, with its unit."""
    return f"{UNITS[spec.unit].allowed(spec.unit)} ({spec.unit})"


def parse_action(item: Any, params: Mapping[str, ParamSpec], settings: Settings | None = None,
                 file: str = "action") -> Action:
    """One action from the mapping a scenario file writes (raises InputError with every problem)."""
    problems: list[Problem] = []
    reader = ActionReader(params, settings or Settings(), file, lambda _: None, problems, lambda *_: None)
    action = reader.read(item, "action")
    if action is None:
        raise InputError(problems or [Problem(file, "not an action", allowed="open, close, resize or set, with at")])
    return action


__all__ = ["RUN_LIMITS", "Limit", "run_option_problems", "Settings", "SETTING_RULES", "Action", "OpenService",
           "CloseService", "ResizeService", "SetParameters", "ACTION_TYPES", "ACTION_VERBS", "ACTION_KEYS",
           "ActionReader", "parse_action", "parse_when", "month_text", "at_month"]
