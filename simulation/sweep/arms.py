"""What runs at each design point: the sweep's arms, and the numbers in a scenario's actions.

Besides parameters, a sweep may vary the assumptions written in a scenario's
``close`` actions (redirect shares and the raised crisis risk) under the
``actions.close.SERVICE...`` paths of :func:`action_catalogue`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from dataclasses import replace

from ..catalogue import SERVICES
from ..errors import Problem
from ..parameters import UNITS, ParamSpec, coerce_value
from ..schema import CloseService
from .design import Arm, Factor, SweepSpec

ACTION_PREFIX = "actions."


def action_catalogue(scenario: Any) -> dict[str, Any]:
    """The numbers in a scenario's 'close' actions, as parameters a sweep can vary.

    ``actions.close.SERVICE.redirect.TARGET`` is the share of users referred to
    TARGET, ``actions.close.SERVICE.raised_crisis_risk.multiplier`` and
    ``.months`` the raised crisis risk of those left without a place. They have
    no declared range, so a sweep gives one.
    """
    out: dict[str, Any] = {}
    for a in scenario.actions:
        if not isinstance(a, CloseService):
            continue
        base = f"{ACTION_PREFIX}close.{a.service}"
        label = SERVICES[a.service].label.lower()
        for target, share in a.redirect:
            path = f"{base}.redirect.{target}"
            out.setdefault(path, ParamSpec(path, share, "share", assumption=f"{a.file}: {a.describe()}",
                                           label=f"Share of {label} users referred to {target.replace('_', ' ')} on closure"))
        if a.raised_risk is not None:
            mult, months = a.raised_risk
            out.setdefault(f"{base}.raised_crisis_risk.multiplier",
                           ParamSpec(f"{base}.raised_crisis_risk.multiplier", mult, "multiplier",
                                     label=f"Crisis risk multiplier after losing a {label} place"))
            out.setdefault(f"{base}.raised_crisis_risk.months",
                           ParamSpec(f"{base}.raised_crisis_risk.months", months, "months",
                                     label=f"Months of raised crisis risk after losing a {label} place"))
    return out


def with_action_values(scenario: Any, values: Mapping[str, float]) -> Any:
    """A copy of ``scenario`` whose close actions use the given redirect shares and raised risk."""
    if not values:
        return scenario
    actions = []
    changed = False
    for a in scenario.actions:
        if isinstance(a, CloseService):
            base = f"{ACTION_PREFIX}close.{a.service}"
            redirect = tuple((t, float(values.get(f"{base}.redirect.{t}", s))) for t, s in a.redirect)
            raised = a.raised_risk
            if raised is not None:
                raised = (float(values.get(f"{base}.raised_crisis_risk.multiplier", raised[0])),
                          float(values.get(f"{base}.raised_crisis_risk.months", raised[1])))
            if redirect != a.redirect or raised != a.raised_risk:
                a = replace(a, redirect=redirect, raised_risk=raised)
                changed = True
        actions.append(a)
    return scenario.with_action_list(actions) if changed else scenario


def redirect_problems(scenario: Any, factors: Sequence[Factor], where: str) -> list[Problem]:
    """Varied redirect shares must never add up to more than 1."""
    highs = {f.path: f.high for f in factors}
    problems = []
    for a in scenario.actions:
        if isinstance(a, CloseService) and a.redirect:
            base = f"{ACTION_PREFIX}close.{a.service}.redirect."
            worst = sum(highs.get(base + t, s) for t, s in a.redirect)
            if any(base + t in highs for t, _ in a.redirect) and worst > 1 + 1e-9:
                problems.append(Problem(where, f"the redirect shares of closing {a.service} could add up to more than 1",
                                        None, "--vary", round(worst, 6),
                                        "ranges whose highs (with the shares not varied) add up to at most 1"))
    return problems


class ScenarioModel:
    """Runs every arm of a sweep at one design point and replication (picklable).

    ``arms`` pairs each arm with its resolved scenario; ``delta`` names the
    (alternative, comparator) keys whose paired differences are stored.
    """

    def __init__(self, spec: SweepSpec, scenarios: Sequence[Any]):
        self.arms = [(arm, scenario) for arm, scenario in zip(spec.arms, scenarios)]
        self.years, self.scale, self.warmup = spec.years, spec.scale, spec.warmup_years
        self.delta = spec.delta

    def arm_scenario(self, arm: Arm, scenario: Any, values: Mapping[str, float]) -> Any:
        """The arm's scenario with the point's values (its own fixed paths and absent actions kept)."""
        chosen = {}
        actions = {}
        for path, value in values.items():
            if path in arm.fixed_paths:
                continue
            if path.startswith(ACTION_PREFIX):
                actions[path] = value
                continue
            spec = scenario.params[path]
            v, issue = coerce_value(spec.unit, int(round(value)) if UNITS[spec.unit].kind == "int" else value)
            if issue:  # the design was checked against the units, so this is a bug
                raise ValueError(f"{path} = {value}: {issue}")
            chosen[path] = v
        sc = scenario.with_values(chosen) if chosen else scenario
        return with_action_values(sc, actions)  # arms without the action (the comparator) keep theirs

    def run_arms(self, scenarios: Sequence[Any], seed: int, rep: int) -> list[dict[str, float]]:
        from ..experiment import run_replication

        return [run_replication(sc, seed, rep, self.years, self.scale, self.warmup).metrics for sc in scenarios]

    def __call__(self, values: Mapping[str, float], seed: int, rep: int) -> dict[str, float]:
        out: dict[str, float] = {}
        per_arm: dict[str, dict[str, float]] = {}
        scenarios = [self.arm_scenario(arm, scenario, values) for arm, scenario in self.arms]
        for (arm, _), metrics in zip(self.arms, self.run_arms(scenarios, seed, rep)):
            per_arm[arm.key] = metrics
            prefix = f"{arm.key}." if arm.key else ""
            out.update({prefix + m: float(v) for m, v in metrics.items()})
        if self.delta:
            alt, base = per_arm[self.delta[0]], per_arm[self.delta[1]]
            out.update({f"delta.{m}": float(alt[m]) - float(base[m]) for m in alt if m in base})
        return out


class TwinScenarioModel(ScenarioModel):
    """The same arms run on the mean-field twin: deterministic, full county, every arm integrated
    together on the same steps (so the stored differences carry no integration error)."""

    def run_arms(self, scenarios: Sequence[Any], seed: int, rep: int) -> list[dict[str, float]]:
        from ..twin import run_twins

        return [r.metrics for r in run_twins(scenarios, years=self.years, warmup_years=self.warmup)]


def sweep_model(spec: SweepSpec, scenarios: Sequence[Any]) -> ScenarioModel:
    """What runs at each point: the simulation or the twin, as the sweep says."""
    return (TwinScenarioModel if spec.engine == "twin" else ScenarioModel)(spec, scenarios)
