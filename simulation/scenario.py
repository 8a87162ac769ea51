"""Scenario files: a baseline, and decisions written as changes to it.

A scenario is YAML a commissioner can read::

    name: Close the day centre
    description: What happens if the day centre closes at month 6?
    extends: baseline.yaml
    parameters:
      services.day_centre.block_cost_per_year: £1,100,000
    actions:
      - close: day_centre
        at: month 6
        redirect:
          personal_budgets: 0.45
          peer_support: 0.30
          raised_crisis_risk: {multiplier: 1.3, months: 6}

``extends`` names a parent file (relative to this file, or absolute); the
chain ends at a *root* file that declares every parameter with its unit and
source (the shipped ``baseline.yaml``). Loading checks everything at once and
raises :class:`~simulation.errors.InputError` listing every problem with its
file, line, field, value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .errors import InputError, Problem, display_path, did_you_mean
from .errors import candidates as _candidates
from .errors import closest as _closest
from .errors import hint as _hint
from .parameters import DAYS_PER_MONTH, LEAF_KEYS, ParamSpec, coerce_value, is_leaf, iter_leaves, leaf_problems, spec_from_leaf
from .schema import (ACTION_KEYS, ACTION_VERBS, SETTING_RULES, Action, ActionReader, CloseService, OpenService,
                     ResizeService, SetParameters, Settings, setting_value, spec_allowed)
from .yamlfile import YamlDocument, parse_yaml_text, read_yaml_file
from .formatting import years as years_text

TOP_KEYS = ("name", "description", "extends", "settings", "parameters", "actions")

MAX_ACTIONS = 120
"""Most timed actions a scenario (with its parents) may hold: one a month for ten years. Shipped files hold
at most 4, and each action rebuilds rate tables, so thousands would multiply a run's time."""

MAX_SIMULATED_PEOPLE = 1_000_000
"""Most people one run may simulate: (people in contact + recovered at the start + referrals a year x years)
x scale. A simulated person takes about 1.7 KB, so this keeps one run under about 2 GB; the whole county over
ten years is about 144,000."""

MAX_PERSON_YEARS = 20_000_000
"""Most person-years one run may simulate (people x years, an upper estimate): about 1.6 events a
person-year at some 100,000 events a second keeps a run within minutes; the whole county over ten years
is about 1.4 million."""

MAX_PROBLEMS = 50
"""Most problems listed for one load: the rest are counted (a file of thousands of mistakes is not read twice)."""

MAX_SUGGESTIONS = 25
"""Most 'did you mean' guesses made for one file: each compares a name with every known name."""

SHIPPED_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BASELINE_FILE = SHIPPED_SCENARIOS / "baseline.yaml"


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: every parameter's value, the actions, the settings."""

    name: str
    description: str
    file: str
    params: Mapping[str, ParamSpec]
    actions: tuple[Action, ...]
    settings: Settings
    chain: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()
    """Paths this scenario (or a parent other than the root) changes from the root."""
    content_hash: str = field(default="")

    @property
    def values(self) -> dict[str, Any]:
        return {path: spec.value for path, spec in self.params.items()}

    def with_actions(self, *actions: Action) -> "Scenario":
        """A copy with more timed actions (already checked by the caller), kept in time order."""
        ordered = tuple(sorted((*self.actions, *actions), key=lambda a: a.day))
        return _finish(replace(self, actions=ordered))

    def with_action_list(self, actions: Iterable[Action]) -> "Scenario":
        """A copy whose timed actions are ``actions`` (already checked by the caller)."""
        return _finish(replace(self, actions=tuple(actions)))

    def with_values(self, values: Mapping[str, Any], name: str | None = None) -> "Scenario":
        """A copy with some parameter values replaced (values must be valid)."""
        params = dict(self.params)
        for path, value in values.items():
            params[path] = params[path].with_value(value)
        overrides = tuple(sorted(set(self.overrides) | set(values)))
        return _finish(Scenario(name or self.name, self.description, self.file, params, self.actions, self.settings, self.chain, overrides))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


RESULT_FIELDS = ("value", "unit", "price_year", "payer", "low", "high", "distribution")
"""The fields of a parameter that change results (a run's, or a sweep's or PSA's, through the range);
source, assumption, label and note only describe it."""


def _param_content(spec: ParamSpec) -> dict[str, Any]:
    return {f: _jsonable(getattr(spec, f)) for f in RESULT_FIELDS}


def _finish(s: Scenario) -> Scenario:
    content = {
        "params": {k: _param_content(v) for k, v in sorted(s.params.items())},
        "actions": [a.as_dict() for a in s.actions],
        "settings": {k: _jsonable(v) for k, v in s.settings.__dict__.items()},
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Scenario(s.name, s.description, s.file, s.params, s.actions, s.settings, s.chain, s.overrides, digest)


# ---------------------------------------------------------------------------
# Loading


def load_scenario(path: Path | str) -> Scenario:
    """Load and resolve one scenario file (raises InputError with all problems)."""
    return load_scenarios([path])[0]


def load_scenarios(paths: Iterable[Path | str], years: float | None = None, scale: float | None = None,
                   warmup_years: float | None = None) -> list[Scenario]:
    """Load several files, reporting the problems of all of them at once.

    If ``years`` is given, action dates are checked against that horizon
    instead of each scenario's own ``settings.years``; the run's size is
    checked with ``years``, ``scale`` and ``warmup_years`` where given.
    """
    problems: list[Problem] = []
    out: list[Scenario] = []
    for path in paths:
        try:
            scenario = _Resolver(years=years).resolve_file(Path(path))
            problems.extend(horizon_problems(scenario, years))
            problems.extend(size_problems(scenario, years, scale, warmup_years))
            out.append(scenario)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(_capped(_unique(problems)))
    return out


def scenario_from_text(text: bytes | str, name: str, base_dir: Path | None = None, years: float | None = None,
                       scale: float | None = None, warmup_years: float | None = None) -> Scenario:
    """Resolve a scenario given as text (an upload); ``extends`` is looked up in ``base_dir``."""
    doc = parse_yaml_text(text, name)
    base = Path(base_dir or SHIPPED_SCENARIOS)
    ext = doc.data.get("extends")
    if isinstance(ext, str) and not _inside(base, base / ext):
        raise InputError([Problem(name, "an uploaded scenario can only extend a scenario in the scenarios folder",
                                  doc.line("extends"), "extends", ext, "a file name such as baseline.yaml")])
    try:
        scenario = _Resolver(base, years=years).resolve_document(doc, base / "uploaded.yaml")
    except InputError as exc:
        raise InputError(_capped(_unique(exc.problems))) from None
    problems = horizon_problems(scenario, years) + size_problems(scenario, years, scale, warmup_years, where=name)
    if problems:
        raise InputError(_capped(problems))
    return scenario


def _inside(folder: Path, path: Path) -> bool:
    """Whether ``path`` lies inside ``folder`` (uploads must not read other files)."""
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError):
        return False


def horizon_problems(scenario: Scenario, years: float | None = None) -> list[Problem]:
    """Actions dated outside the run (before its start or after its end)."""
    yrs = years if years is not None else scenario.settings.years
    end = yrs * 12 * DAYS_PER_MONTH
    out = []
    for a in scenario.actions:
        if a.day < 0 or a.day > end + 1e-9:
            out.append(Problem(a.file, "action falls outside the simulated period", a.line, a.at_field, a.when,
                               f"from month 0 ({scenario.settings.start_date}) to month {yrs * 12:g} "
                               f"({_add_days(scenario.settings.start_date, end)})"))
    return out


def _add_days(start: dt.date, days: float) -> dt.date:
    try:
        return start + dt.timedelta(days=int(days))
    except OverflowError:
        return dt.date.max


def _capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS problems, then one line counting the rest."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    files = sorted({p.file for p in problems[MAX_PROBLEMS:]})
    return [*problems[:MAX_PROBLEMS], Problem(", ".join(files[:3]) + (", ..." if len(files) > 3 else ""),
                                              f"and {rest:,} more problem{'s' if rest != 1 else ''} not listed",
                                              allowed="fix those above first")]


def size_problems(scenario: Scenario, years: float | None = None, scale: float | None = None,
                  warmup_years: float | None = None, where: str | None = None) -> list[Problem]:
    """Whether one run of ``scenario`` stays within MAX_SIMULATED_PEOPLE and MAX_PERSON_YEARS."""
    yrs = (years if years is not None else scenario.settings.years) + (warmup_years if warmup_years is not None else scenario.settings.warmup_years)
    x = scale if scale is not None else scenario.settings.scale
    values = scenario.values
    start = values.get("population.in_contact_at_start", 0) + values.get("population.recovered_at_start", 0)
    referrals = max([values.get("population.referrals_per_year", 0)] +
                    [v for a in scenario.actions for p, v in a.values if p == "population.referrals_per_year"])
    people = x * (start + referrals * yrs)
    out = []
    fix = "smaller populations or referrals, a smaller --scale, or fewer --years"
    if people > MAX_SIMULATED_PEOPLE:
        out.append(Problem(where or scenario.file, f"one run would simulate about {people:,.0f} people", None, "population", None,
                           f"at most {MAX_SIMULATED_PEOPLE:,} (x scale {x:g}, {years_text(yrs)}): {fix}"))
    elif people * yrs > MAX_PERSON_YEARS:
        out.append(Problem(where or scenario.file, f"one run would simulate about {people * yrs:,.0f} person-years", None, "population", None,
                           f"at most {MAX_PERSON_YEARS:,} (x scale {x:g}, {years_text(yrs)}): {fix}"))
    return out


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = str(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


@lru_cache(maxsize=1)
def shipped_catalogue() -> Mapping[str, ParamSpec]:
    """The parameters the model needs, as declared by the shipped baseline (and any service declared in code)."""
    return _Resolver().resolve_file(BASELINE_FILE).params


def _forget_catalogue() -> None:
    shipped_catalogue.cache_clear()


from . import catalogue as _catalogue  # noqa: E402  (the registry tells us when the services change)

_catalogue.on_change(_forget_catalogue)


def declared_service_parameters() -> dict[str, ParamSpec]:
    """Parameters that services declared in code (``catalogue.register``) bring with them."""
    from . import catalogue

    out: dict[str, ParamSpec] = {}
    for spec in catalogue.REGISTRY.values():
        for path, leaf in spec.parameters:
            out[path] = spec_from_leaf(path, dict(leaf))
    return out


class _Resolver:
    """Follows ``extends`` chains, applying each file's changes to its parent."""

    def __init__(self, upload_dir: Path | None = None, years: float | None = None):
        self.stack: list[Path] = []
        self.suggestions_left = MAX_SUGGESTIONS
        self.upload_dir = upload_dir
        self.years = years  # the run's horizon if the command line sets it

    def resolve_file(self, path: Path) -> Scenario:
        resolved = path.resolve() if _exists(path) else path
        if resolved in self.stack:
            cycle = " -> ".join(display_path(p) for p in [*self.stack, resolved])
            raise InputError([Problem(display_path(self.stack[-1]), "'extends' goes round in a loop", None, "extends", cycle, "a chain of files that ends at a root such as baseline.yaml")])
        doc = read_yaml_file(path)
        self.stack.append(resolved)
        try:
            return self.resolve_document(doc, path)
        finally:
            self.stack.pop()

    def _candidates(self, word: str, options: Iterable[str], n: int = 1) -> list[str]:
        """Names a misspelt word most likely meant (none once MAX_SUGGESTIONS guesses were made)."""
        if self.suggestions_left <= 0:
            return []
        self.suggestions_left -= 1
        return _candidates(word, options, n)

    def _closest(self, word: str, options: Iterable[str]) -> str | None:
        found = self._candidates(word, options)
        return found[0] if found else None

    def _did_you_mean(self, word: str, options: Iterable[str]) -> str:
        return _hint(self._closest(word, options))

    def resolve_document(self, doc: YamlDocument, path: Path) -> Scenario:
        problems: list[Problem] = []

        def problem(msg: str, fld: str | None, value: Any = None, allowed: str | None = None) -> None:
            problems.append(Problem(doc.file, msg, doc.line(fld) if fld else None, fld, value, allowed))

        doc = self._top_fields(doc, problem)
        data = doc.data
        name, description = self._name_and_description(data, problem)
        parent = self._parent(data, doc, path, problems, problem)   # None: this file is a root
        settings = self._settings(data.get("settings"), parent.settings if parent else Settings(), problem)
        if parent is None:
            params = self._root_params(data.get("parameters"), doc, problems)
            overrides: set[str] = set()
            chain: tuple[str, ...] = (doc.file,)
        else:
            params = self._override_params(data.get("parameters"), parent.params, doc, problems)
            overrides = set(parent.overrides) | {p for p in params if params[p] != parent.params[p]}
            chain = (*parent.chain, doc.file)
        actions = self._actions(data.get("actions"), params, settings, doc, problems)
        if problems:  # report dates outside the run with the rest, not only once the rest is fixed
            probe = Scenario("", "", doc.file, {}, tuple(actions), settings)
            problems.extend(horizon_problems(probe, self.years))
            raise InputError(problems)
        all_actions = (*(parent.actions if parent else ()), *actions)
        if len(all_actions) > MAX_ACTIONS:
            raise InputError([Problem(doc.file, f"too many actions with those of the files it extends ({len(all_actions):,})",
                                      doc.line("actions"), "actions", None, f"at most {MAX_ACTIONS} in all")])
        return _finish(Scenario(name.strip(), description.strip(), doc.file, params,
                                tuple(sorted(all_actions, key=lambda a: a.day)), settings, chain, tuple(sorted(overrides))))

    def _top_fields(self, doc: YamlDocument, problem: Callable[..., None]) -> YamlDocument:
        """Unknown top-level fields reported; a misspelt one is followed as what it most likely means."""
        data = doc.data
        if data and not any(k in TOP_KEYS for k in data) and not any(_closest(str(k)[:40], TOP_KEYS) for k in list(data)[:10]):
            # not a scenario at all (e.g. 'extends' names some other file): say so once, not line by line
            raise InputError([Problem(doc.file, "is not a scenario file (it has none of the fields a scenario has)",
                                      allowed="a YAML file with " + ", ".join(TOP_KEYS))])
        meant: dict[Any, str] = {}
        for key in data:
            if key not in TOP_KEYS:
                guess = self._closest(str(key), TOP_KEYS)
                problem(f"unknown field '{key}'{_hint(guess)}", str(key), None, ", ".join(TOP_KEYS))
                # a guessed 'extends' is never followed: only a path spelt out is read
                if guess is not None and guess not in data and guess != "extends":
                    meant[key] = guess
        meant = _unambiguous(meant)
        # go on with what a misspelt field most likely meant, so one pass reports every problem
        return _as_meant(doc, meant) if meant else doc

    @staticmethod
    def _name_and_description(data: Mapping, problem: Callable[..., None]) -> tuple[str, str]:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            problem("every scenario needs a 'name' (text)", "name" if "name" in data else None, name,
                    "a short name such as 'Close the day centre'")
            name = ""
        description = data.get("description", "")
        if description is None:
            description = ""
        if not isinstance(description, str):
            problem("'description' must be text", "description", description, "text saying what decision the scenario tests")
            description = ""
        return name, description

    def _parent(self, data: Mapping, doc: YamlDocument, path: Path, problems: list[Problem],
                problem: Callable[..., None]) -> Scenario | None:
        """The scenario this file extends (None for a root file); raises if it is named but cannot be had."""
        if "extends" not in data:
            return None
        ext = data["extends"]
        parent = None
        if not isinstance(ext, str) or not ext.strip():
            problem("'extends' must be the path of another scenario file", "extends", ext, "a path relative to this file, or absolute")
        else:
            ppath = Path(ext)
            if not ppath.is_absolute():
                ppath = path.parent / ppath
            if not _exists(ppath):
                problem("the file named in 'extends' does not exist", "extends", ext, "a path relative to this file, or absolute")
            else:
                try:
                    parent = self.resolve_file(ppath)
                except InputError as exc:
                    # A loop is detected one file deeper, which cannot know the line of this 'extends';
                    # a file that cannot be read at all is reported where it is named.
                    problems.extend(self._parent_problem(p, doc, ext) for p in exc.problems)
        if parent is None:
            raise InputError(problems)
        return parent

    @staticmethod
    def _parent_problem(p: Problem, doc: YamlDocument, ext: Any) -> Problem:
        if p.file == doc.file and p.field == "extends" and p.line is None:
            return replace(p, line=doc.line("extends"))
        if p.line is None and p.field is None and p.file != doc.file:
            return Problem(doc.file, f"the file named in 'extends' {p.message.removeprefix('file ')}", doc.line("extends"), "extends", ext,
                           p.allowed)
        return p

    # -- settings ---------------------------------------------------------
    def _settings(self, raw: Any, base: Settings, problem) -> Settings:
        if raw is None:
            return base
        if not isinstance(raw, Mapping):
            problem("'settings' must be a mapping", "settings", raw, ", ".join(SETTING_RULES))
            return base
        values = dict(base.__dict__)
        for key, value in raw.items():
            fld = f"settings.{key}"
            if key not in SETTING_RULES:
                problem(f"unknown setting '{key}'{self._did_you_mean(key, SETTING_RULES)}", fld, None, ", ".join(SETTING_RULES))
                continue
            value, issue = setting_value(key, value)
            if issue:
                problem(issue, fld, value, SETTING_RULES[key][3])
                continue
            values[key] = value
        return Settings(**values)

    # -- parameters -------------------------------------------------------
    def _root_params(self, raw: Any, doc: YamlDocument, problems: list[Problem]) -> dict[str, ParamSpec]:
        if not isinstance(raw, Mapping):
            problems.append(Problem(doc.file, "a root scenario (one without 'extends') must declare every parameter under 'parameters'", doc.line("parameters"), "parameters", None, "add 'extends: baseline.yaml' to build on the baseline"))
            return {}
        params: dict[str, ParamSpec] = {}
        for path, leaf in iter_leaves(raw):
            fld = f"parameters.{path}"
            if not is_leaf(leaf):
                problems.append(Problem(doc.file, "a root scenario must declare each parameter with value, unit and source or assumption", doc.line(fld), fld, leaf, "a mapping with value:, unit:, source: or assumption:, and low:/high:"))
                continue
            for f, msg, value, allowed in leaf_problems(path, leaf, require_provenance=True):
                problems.append(Problem(doc.file, msg, doc.line(f"parameters.{f}"), f"parameters.{f}", value, allowed))
            if not any(p.field and p.field.startswith(fld) for p in problems):
                params[path] = spec_from_leaf(path, leaf)
        for path, spec in declared_service_parameters().items():
            params.setdefault(path, spec)   # a service declared in code brings its own defaults
        if doc.file != display_path(BASELINE_FILE) and BASELINE_FILE.exists() and not problems:
            required = {**shipped_catalogue(), **declared_service_parameters()}
            for path in sorted(set(required) - set(params)):
                problems.append(Problem(doc.file, "parameter missing: the model needs it", doc.line("parameters"), f"parameters.{path}", None, f"declare it as in {display_path(BASELINE_FILE)}"))
            for path in sorted(set(params) - set(required)):
                problems.append(Problem(doc.file, f"unknown parameter{self._did_you_mean(path, required)}", doc.line(f"parameters.{path}"), f"parameters.{path}", None, "parameters declared in baseline.yaml"))
        return params

    def _override_params(self, raw: Any, base: Mapping[str, ParamSpec], doc: YamlDocument, problems: list[Problem]) -> dict[str, ParamSpec]:
        params = dict(base)
        if raw is None:
            return params
        if not isinstance(raw, Mapping):
            problems.append(Problem(doc.file, "'parameters' must be a mapping of parameter paths to values", doc.line("parameters"), "parameters", raw, "lines such as 'services.day_centre.places: 250'"))
            return params
        for path, node in iter_leaves(raw):
            fld = f"parameters.{path}"
            line = doc.line(fld)
            keep = path in base
            meant: str | None = path
            if not keep:
                # among the likely meanings, the one whose unit takes the value written: a guess whose
                # unit does not is still named, but its value is not checked (that error would mislead)
                guesses = self._candidates(path, base, n=3)
                fits = [g for g in guesses if _fits(base[g], node)] or [g for g in guesses if _same_kind(base[g], node)]
                meant = fits[0] if fits else None
                problems.append(Problem(doc.file, f"unknown parameter{_hint(meant or (guesses[0] if guesses else None))}", line, fld,
                                        None, "a dotted path declared in baseline.yaml"))
                if meant is None:
                    continue
            # a misspelt path's value is still checked (against what it most likely means) so
            # that one pass reports every problem; it is never used
            spec = base[meant or path]
            if is_leaf(node):
                if "unit" in node and node["unit"] != spec.unit:
                    # the model reads each parameter in the unit the root declares: another unit would be misread
                    problems.append(Problem(doc.file, "a parameter's unit cannot be changed", doc.line(f"{fld}.unit") or line,
                                            f"{fld}.unit", node["unit"], f"{spec.unit} (as the root file declares; convert the value)"))
                    continue
                merged = {k: v for k, v in spec.__dict__.items() if k != "path" and v is not None}
                if "low" not in node and "high" not in node and spec.low is not None and spec.high is not None:
                    # the range is for sampling, not a limit: a new value outside it drops it
                    v, _ = coerce_value(spec.unit, node.get("value"))
                    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and spec.low <= v <= spec.high):
                        merged.pop("low")
                        merged.pop("high")
                merged.update(node)
                leaf_issues = leaf_problems(path, merged, require_provenance=False)
                for f, msg, value, allowed in leaf_issues:
                    problems.append(Problem(doc.file, msg, doc.line(f"parameters.{f}") or line, f"parameters.{f}", value, allowed))
                if not leaf_issues and keep:
                    params[path] = spec_from_leaf(path, merged)
                continue
            if isinstance(node, list):
                problems.append(Problem(doc.file, "a parameter takes one value, not a list", line, fld, node, spec_allowed(spec)))
                continue
            value, issue = coerce_value(spec.unit, node)
            if issue:
                problems.append(Problem(doc.file, issue, line, fld, node, spec_allowed(spec)))
                continue
            if keep:
                params[path] = spec.with_value(value)
        return params

    # -- actions ----------------------------------------------------------
    def _actions(self, raw: Any, params: Mapping[str, ParamSpec], settings: Settings, doc: YamlDocument, problems: list[Problem]) -> list[Action]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            problems.append(Problem(doc.file, "'actions' must be a list (each item starting with '- ')", doc.line("actions"), "actions", raw, "a list of open/close/resize/set actions"))
            return []
        if len(raw) > MAX_ACTIONS:
            problems.append(Problem(doc.file, f"too many actions ({len(raw):,})", doc.line("actions"), "actions", None,
                                    f"at most {MAX_ACTIONS} (one a month for ten years)"))
            return []
        reader = ActionReader(params, settings, doc.file, doc.line, problems, self._closest)
        out = []
        for i, item in enumerate(raw):
            action = reader.read(item, f"actions[{i}]")
            if action is not None:
                out.append(action)
        return out


def _exists(path: Path) -> bool:
    """Whether a path exists; False for names the file system cannot even look up."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _as_meant(doc: YamlDocument, meant: Mapping[Any, str]) -> YamlDocument:
    """The document with misspelt top-level fields renamed to what they most likely mean (lines kept)."""
    data = {meant.get(k, k): v for k, v in doc.data.items()}
    lines = dict(doc.lines)
    for old, new in meant.items():
        for path, line in doc.lines.items():
            if path == str(old) or path.startswith(f"{old}.") or path.startswith(f"{old}["):
                lines.setdefault(new + path[len(str(old)):], line)
    return replace(doc, data=data, lines=lines)


def _same_kind(spec: ParamSpec, node: Any) -> bool:
    """Whether a value is the kind ``spec`` takes (a number for a number, true/false for a switch), if not its range."""
    from .parameters import UNITS

    value = node.get("value") if is_leaf(node) else node
    kind = UNITS[spec.unit].kind if spec.unit in UNITS else None
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, (dt.date, str))
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def _fits(spec: ParamSpec, node: Any) -> bool:
    """Whether a value (or a leaf's value) written for a misspelt path suits ``spec``'s unit."""
    value = node.get("value") if is_leaf(node) else node
    return not isinstance(value, (list, Mapping)) and coerce_value(spec.unit, value)[1] is None


def _unambiguous(meant: Mapping[Any, str]) -> dict[Any, str]:
    """Misspelt fields to follow: not those whose guess is shared with another misspelling."""
    guesses = list(meant.values())
    return {k: g for k, g in meant.items() if guesses.count(g) == 1}


__all__ = ["Action", "OpenService", "CloseService", "ResizeService", "SetParameters", "Scenario", "Settings",
           "load_scenario", "load_scenarios", "scenario_from_text", "horizon_problems", "did_you_mean", "spec_allowed",
           "ACTION_KEYS", "ACTION_VERBS", "SETTING_RULES", "LEAF_KEYS"]


def in_force_order(actions) -> list["Action"]:
    """The order actions take effect: by date and, at one date, closures last. Actions of one date take effect
    together, so a closure's users are referred to the services as they stand that day: places opened, resized or
    paid for at the closure's date are there for them, whichever order the file lists them in."""
    return sorted(actions, key=lambda a: (a.day, a.verb == "close"))
