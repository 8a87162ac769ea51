"""Asking for a sweep: ``--vary`` options or a sweep file, checked and resolved into a :class:`SweepSpec`.

Every problem is reported at once, with the file, line, field, value and what
is allowed, as for scenario files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from .. import model_fingerprint
from ..errors import InputError, Problem, did_you_mean, display_path
from ..parameters import MONEY_PREFIX, UNITS, coerce_value
from ..schema import run_option_problems
from .arms import action_catalogue, redirect_problems
from .design import DEFAULT_SAMPLES, DEFAULT_STEPS, DESIGNS, Arm, Factor, SweepSpec



def parse_vary(text: str) -> tuple[str, str | None, str | None, str | None]:
    """'PATH=LOW:HIGH[:STEPS]' or 'PATH' -> (path, low, high, steps) as text."""
    path, eq, rng = text.partition("=")
    path = path.strip()
    if not eq:
        return path, None, None, None
    parts = rng.split(":")
    if len(parts) not in (2, 3):
        return path, "", "", None
    low, high = parts[0].strip(), parts[1].strip()
    steps = parts[2].strip() if len(parts) == 3 else None
    return path, low, high, steps


def _number(text: Any, unit: str) -> tuple[Any, str | None]:
    """A bound given as text or a number, checked against the parameter's unit."""
    value = text
    if isinstance(text, str):
        cleaned = text.strip().replace(",", "").replace("_", "")
        if cleaned.startswith(MONEY_PREFIX):
            cleaned = cleaned[len(MONEY_PREFIX):].strip()
        try:
            value = float(cleaned)
        except ValueError:
            return text, "is not a number"
        if value.is_integer() and UNITS[unit].kind == "int":
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return text, "is not a number"
    return coerce_value(unit, value)


def make_factor(path: str, low: Any, high: Any, steps: Any, params: Mapping[str, Any], where: str,
                field_name: str, line: int | None = None, design: str = "grid") -> tuple[Factor | None, list[Problem]]:
    """Check one varied parameter against the scenario's catalogue."""
    def problem(message: str, value: Any = None, allowed: str | None = None) -> list[Problem]:
        return [Problem(where, message, line, field_name, value, allowed)]

    if not path:
        return None, problem("names no parameter", allowed="PATH=LOW:HIGH[:STEPS], e.g. services.day_centre.places=200:350")
    if path not in params:
        return None, problem(f"unknown parameter{did_you_mean(path, params)}", path, "a dotted path declared in baseline.yaml")
    spec = params[path]
    kind = UNITS[spec.unit].kind
    if kind not in ("int", "float"):
        return None, problem(f"'{path}' is a {spec.unit}, not a number, so it cannot be varied over a range", path,
                             "a numeric parameter (use a scenario file for switches and dates)")
    bounds, problems = _range(path, low, high, spec, problem)
    if bounds is None:
        return None, problems
    n_steps, problems = _steps(path, steps, design, problem)
    if problems:
        return None, problems
    lo, hi = bounds
    base = spec.value if isinstance(spec.value, (int, float)) and not isinstance(spec.value, bool) else None
    return Factor(path, float(lo), float(hi), n_steps, kind == "int", None if base is None else float(base),
                  spec.plain_label(), spec.unit), []


def _range(path: str, low: Any, high: Any, spec: Any, problem: Callable[..., list[Problem]]
           ) -> tuple[tuple[float, float] | None, list[Problem]]:
    """(low, high) as given, or as the parameter declares them; or the problems."""
    if low is None and high is None:
        if spec.low is None or spec.high is None:
            return None, problem(f"'{path}' declares no range (low/high), so give one", path, f"{path}=LOW:HIGH")
        lo, hi = spec.low, spec.high
    else:
        if low in (None, "") or high in (None, ""):
            return None, problem("a range needs LOW and HIGH", f"{path}={low or ''}:{high or ''}", "PATH=LOW:HIGH[:STEPS]")
        lo, issue_lo = _number(low, spec.unit)
        hi, issue_hi = _number(high, spec.unit)
        allowed = f"{UNITS[spec.unit].allowed(spec.unit)} ({spec.unit})"
        problems = (problem(f"LOW of {path} {issue_lo}", low, allowed) if issue_lo else []) + \
            (problem(f"HIGH of {path} {issue_hi}", high, allowed) if issue_hi else [])
        if problems:
            return None, problems
    if lo > hi:
        return None, problem("LOW is above HIGH", f"{path}={_fmt(lo)}:{_fmt(hi)}", "LOW below HIGH")
    if lo == hi:
        return None, problem("the range is empty (LOW equals HIGH)", f"{path}={_fmt(lo)}:{_fmt(hi)}",
                             "LOW below HIGH (to fix a value, write it in a scenario file)")
    return (lo, hi), []


def _steps(path: str, steps: Any, design: str, problem: Callable[..., list[Problem]]) -> tuple[int | None, list[Problem]]:
    """Grid levels: as given (2 to 1000, grid designs only), DEFAULT_STEPS on a grid, else none."""
    if steps in (None, ""):
        return (DEFAULT_STEPS if design == "grid" else None), []
    try:
        n_steps = int(str(steps).strip()) if not isinstance(steps, bool) else None
        if isinstance(steps, float) and not steps.is_integer():
            n_steps = None
    except ValueError:
        n_steps = None
    if n_steps is None or n_steps < 2 or n_steps > 1000:
        return None, problem(f"STEPS of {path} must be a whole number from 2 to 1000", steps,
                             "e.g. services.day_centre.places=200:350:4")
    if design != "grid":
        return None, problem(f"STEPS of {path} only applies to a grid design (this one is {design})", steps,
                             "leave STEPS out, or use --design grid")
    return n_steps, []


def _fmt(x: float) -> str:
    return f"{x:g}"




@dataclass
class SweepRequest:
    """A sweep as asked for on the command line or in a sweep file (before checking)."""

    scenario: Path | None = None
    compare: Path | None = None
    vary: list[tuple[str, Any, Any, Any, str, int | None, str]] = field(default_factory=list)
    """(path, low, high, steps, where, line, field) for each varied parameter."""
    design: str = "lhs"
    samples: int | None = None
    reps: int | None = None
    """Replications at each point (default 2 on the simulation, 1 on the twin)."""
    seed: int = 1
    years: float | None = None
    scale: float | None = None
    warmup_years: float | None = None
    out: Path | None = None
    oneway: bool = True
    name: str = ""
    file: str = "command line"
    engine: str = "simulation"
    lines: dict[str, int] = field(default_factory=dict)
    """The sweep file's line of each option it sets (and the command line does not override)."""

    def in_file_terms(self, problems: list[Problem]) -> list[Problem]:
        """Problems with an option the sweep file set, told as the file's field and line (not as the flag)."""
        out = []
        for p in problems:
            key = (p.field or "").removeprefix("--").replace("-", "_")
            if p.file == self.file and p.field and p.field.startswith("--") and key in self.lines:
                p = replace(p, field=key, line=self.lines[key])
            out.append(p)
        return out


SAMPLES_MEANING = {"lhs": "e.g. 32 (lhs: points)", "sobol": "e.g. 64 (sobol: base samples, giving N x (parameters + 2) points)",
                   "morris": "e.g. 10 (morris: trajectories, each of parameters + 1 points)"}

SWEEP_KEYS = ("name", "description", "scenario", "compare", "baseline", "vary", "design", "samples", "reps", "seed",
              "years", "scale", "warmup_years", "out", "oneway", "engine")
ENGINES = ("simulation", "twin")


def is_sweep_file(path: Path) -> bool:
    """Whether a YAML file is a sweep (it has 'vary') rather than a scenario."""
    from ..yamlfile import read_yaml_file

    try:
        doc = read_yaml_file(path)
    except InputError:
        return False
    return "vary" in doc.data


SWEEP_OPTIONS: dict[str, type] = {"design": str, "samples": int, "reps": int, "seed": int, "years": float,
                                   "scale": float, "warmup_years": float, "out": str, "oneway": bool, "name": str,
                                   "engine": str}
"""A sweep file's options and their types (their values are checked with the command line's, in build_sweep)."""

VARY_ALLOWED = "e.g. '200:350', {low: 200, high: 350, steps: 4}, or nothing for the declared range"


def read_sweep_file(path: Path) -> tuple[SweepRequest, list[Problem]]:
    """A sweep file: the scenario, the comparator, what to vary and how."""
    from ..yamlfile import read_yaml_file

    reader = _SweepFile(read_yaml_file(path), path.parent)
    reader.read()
    return reader.req, reader.problems


class _SweepFile:
    """Reads one sweep file, collecting every problem with its line."""

    def __init__(self, doc: Any, here: Path):
        self.doc, self.here = doc, here
        self.data = doc.data
        self.req = SweepRequest(file=doc.file)
        self.problems: list[Problem] = []

    def problem(self, msg: str, fld: str | None, value: Any = None, allowed: str | None = None) -> None:
        self.problems.append(Problem(self.doc.file, msg, self.doc.line(fld) if fld else None, fld, value, allowed))

    def read(self) -> None:
        for key in self.data:
            if key not in SWEEP_KEYS:
                self.problem(f"unknown field '{key}'{did_you_mean(key, SWEEP_KEYS)}", key, None, ", ".join(SWEEP_KEYS))
        self.files()
        self.vary()
        self.options()

    def _path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else self.here / p

    def files(self) -> None:
        for key in ("scenario", "compare", "baseline"):
            if key not in self.data:
                continue
            value = self.data[key]
            if not isinstance(value, str) or not value.strip():
                self.problem(f"'{key}' must be the path of a scenario file", key, value, "a path relative to this file, or absolute")
            elif not self._path(value).is_file():
                self.problem(f"no scenario file at {display_path(self._path(value))}", key, value,
                             "the path of a scenario file, relative to this sweep file or absolute")
            elif key == "scenario":
                self.req.scenario = self._path(value)
            elif self.req.compare is not None:
                self.problem("give 'compare' or 'baseline', not both", key, value, "one comparator")
            else:
                self.req.compare = self._path(value)
        if "scenario" not in self.data:
            self.problem("a sweep file needs 'scenario' (the scenario file to sweep)", None, None, "scenario: close_day_centre.yaml")

    def vary(self) -> None:
        vary = self.data.get("vary")
        if not isinstance(vary, Mapping) or not vary:
            self.problem("'vary' must map parameter paths to ranges", "vary", vary,
                         "lines such as 'services.day_centre.places: 200:350' or '{low: 200, high: 350, steps: 4}', "
                         "or empty for the declared range")
            return
        for p, rng in vary.items():
            fld = f"vary.{p}"
            line = self.doc.line(fld)
            if rng is None:
                self.req.vary.append((p, None, None, None, self.doc.file, line, fld))
            elif isinstance(rng, str):
                _, lo, hi, steps = parse_vary(f"{p}={rng}")
                self.req.vary.append((p, lo, hi, steps, self.doc.file, line, fld))
            elif isinstance(rng, Mapping) and set(rng) <= {"low", "high", "steps"}:
                self.req.vary.append((p, rng.get("low"), rng.get("high"), rng.get("steps"), self.doc.file, line, fld))
            else:
                hint = (" (YAML reads an unquoted 3:12 as a number in base 60: write '3:12' in quotes)"
                        if isinstance(rng, int) else "")
                self.problem("a range is 'LOW:HIGH[:STEPS]' or a mapping with low, high (and steps)" + hint, fld, rng,
                             VARY_ALLOWED)

    def options(self) -> None:
        for key, kind in SWEEP_OPTIONS.items():
            if key not in self.data:
                continue
            value = self.data[key]
            ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True
            if not ok:
                what = "a number" if kind in (int, float) else "text" if kind is str else "true or false"
                self.problem(f"'{key}' must be {what}", key, value, None)
                continue
            if key == "out":
                value = self._path(value)
            setattr(self.req, key, value)
            line = self.doc.line(key)
            if line is not None:
                self.req.lines[key] = line


def engine_problems(req: SweepRequest, where: str) -> list[Problem]:
    """The engine is known, and the twin (deterministic, whole county) runs each point once at scale 1;
    fills in the default --reps."""
    if req.reps is None:
        req.reps = 1 if req.engine == "twin" else 2
    if req.engine not in ENGINES:
        return [Problem(where, "unknown engine", None, "--engine", req.engine, " | ".join(ENGINES))]
    if req.engine == "twin" and req.reps != 1:
        return [Problem(where, "the twin is deterministic: one replication per point", None, "--reps", req.reps,
                        "1 (or leave --reps out) with --engine twin")]
    if req.engine == "twin" and req.scale is not None and req.scale != 1:
        return [Problem(where, "the twin is the whole county: it has no scale", None, "--scale", req.scale,
                        "1 (or leave --scale out) with --engine twin")]
    return []


def build_sweep(req: SweepRequest, kind: str = "sweep") -> tuple[SweepSpec, list[Any], list[Problem]]:
    """Check a request and resolve it: (spec, scenarios per arm, problems), the problems with an option the
    sweep file set told as its field and line."""
    spec, scenarios, problems = _resolve(req, kind)
    return spec, scenarios, req.in_file_terms(problems)


def _samples_problems(design: str, samples: int, where: str) -> list[Problem]:
    """What is wrong with the number of samples for this design."""
    problems = []
    if design in DEFAULT_SAMPLES and (samples < 1 or samples > 1_000_000):
        problems.append(Problem(where, "--samples must be a whole number from 1 to 1,000,000", None, "--samples", samples,
                                SAMPLES_MEANING.get(design, "")))
    if design == "sobol" and samples == 1:    # (below 1, the message above says it)
        problems.append(Problem(where, "a Sobol design needs at least 2 samples", None, "--samples", samples, "a power of 2 such as 64"))
    if design == "morris" and samples == 1:
        problems.append(Problem(where, "a Morris design needs at least 2 trajectories: one has no spread and no interval", None,
                                "--samples", samples, "e.g. 10 trajectories"))
    return problems


def _resolve(req: SweepRequest, kind: str) -> tuple[SweepSpec, list[Any], list[Problem]]:
    from ..scenario import load_scenarios

    problems: list[Problem] = []
    where = req.file
    if req.design not in DESIGNS:
        problems.append(Problem(where, "unknown design", None, "--design", req.design, " | ".join(DESIGNS)))
    problems += engine_problems(req, where)
    samples = req.samples if req.samples is not None else DEFAULT_SAMPLES.get(req.design, 0)
    problems += _samples_problems(req.design, samples, where)
    problems += run_option_problems(where, reps=req.reps, years=req.years, scale=req.scale, warmup_years=req.warmup_years)
    if req.scenario is None:
        problems.append(Problem(where, "no scenario to sweep", None, "SCENARIO", None, "a scenario file or a sweep file"))
        return None, [], problems  # type: ignore[return-value]
    files = [req.scenario] + ([req.compare] if req.compare is not None else [])
    try:
        scenarios = load_scenarios(files, years=req.years)
    except InputError as exc:
        return None, [], problems + exc.problems  # type: ignore[return-value]
    primary = scenarios[0]
    catalogue = {**primary.params, **action_catalogue(primary)}
    factors: list[Factor] = []
    seen: set[str] = set()
    if not req.vary:
        problems.append(Problem(where, "nothing to vary", None, "--vary", None, "one or more --vary PATH=LOW:HIGH[:STEPS]"))
    for path, low, high, steps, vwhere, line, fld in req.vary:
        factor, issues = make_factor(path, low, high, steps, catalogue, vwhere, fld, line, req.design)
        problems += issues
        if factor is not None:
            if factor.path in seen:
                problems.append(Problem(vwhere, "the same parameter is varied twice", line, fld, path, "each parameter once"))
                continue
            seen.add(factor.path)
            factors.append(factor)
    problems += redirect_problems(primary, factors, where)
    if req.design == "grid" and factors:
        points = math.prod(f.steps or DEFAULT_STEPS for f in factors)
        if points > 1_000_000:
            problems.append(Problem(where, f"the grid has {points:,} points", None, "--vary", None, "fewer steps or parameters (at most 1,000,000 points)"))
    if problems:
        return None, [], problems  # type: ignore[return-value]
    years = req.years if req.years is not None else primary.settings.years
    scale = req.scale if req.scale is not None else primary.settings.scale
    warmup = req.warmup_years if req.warmup_years is not None else primary.settings.warmup_years
    if req.engine == "twin":
        scale = 1.0   # the twin is the whole county
    assert req.reps is not None  # engine_problems gave the default
    arms = [Arm("", primary.name, display_path(req.scenario), primary.content_hash)]
    delta = None
    if req.compare is not None:
        base = scenarios[1]
        arms.append(Arm("base", base.name, display_path(req.compare), base.content_hash))
        delta = ("", "base")
    spec = SweepSpec(kind, req.design, tuple(factors), tuple(arms), samples if req.design in DEFAULT_SAMPLES else 0,
                     req.reps, req.seed, float(years), float(scale), float(warmup), req.oneway, delta,
                     model_fingerprint(), req.name, req.engine)
    return spec, scenarios, []

