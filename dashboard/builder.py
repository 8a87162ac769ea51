"""The scenario builder: levers in the page become a scenario file.

What the page builds is an ordinary scenario YAML that extends the shipped
baseline and spells out every change, including those of the scenario it
started from, so that the file ``mhsim validate`` accepts and ``mhsim run``
reproduces the page's numbers with the same seed and replications.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import yaml

from simulation.catalogue import SERVICES, on_change, unit_cost_paths
from simulation.errors import InputError, Problem
from simulation.scenario import BASELINE_FILE, SHIPPED_SCENARIOS, Scenario, scenario_from_text, shipped_catalogue
from simulation.schema import Action, CloseService, OpenService, ResizeService, SetParameters, at_month

MAX_UPLOAD_BYTES = 200_000

class _UnitCosts(dict):
    def refresh(self) -> None:
        self.clear()
        self.update(unit_cost_paths())


UNIT_COSTS: dict[str, str] = _UnitCosts()
UNIT_COSTS.refresh()  # type: ignore[attr-defined]
on_change(UNIT_COSTS.refresh)  # type: ignore[attr-defined]
"""The cost lever of each service: the unit or block cost a commissioner negotiates."""

PROGRAMME_LEVERS = {
    "zero_suicide": ("programmes.zero_suicide.trainees_per_year", "Zero Suicide trainees a year"),
    "carer_training": ("programmes.carer_led_training.carer_trainers", "Carers paid to train staff"),
}


@dataclass
class ServiceLever:
    """What the page lets a commissioner change about one service."""

    service: str
    status: str = "keep"          # keep, open, close
    month: float = 0.0
    capacity: int | None = None
    unit_cost: float | None = None


@dataclass
class Levers:
    name: str
    description: str
    services: list[ServiceLever]
    programmes: dict[str, tuple[float | None, float]]   # lever -> (new value, from month)
    integrated_budgets: str = "keep"                      # keep, on, off
    integrated_month: float = 0.0
    redirect_budgets: float = 0.45
    redirect_peer: float = 0.35
    raised_multiplier: float = 1.3
    raised_months: float = 6.0


def scenario_to_yaml(scenario: Scenario, name: str | None = None, description: str | None = None,
                     extra_values: dict[str, Any] | None = None, extra_actions: list[Action] | None = None) -> str:
    """A self-contained scenario file: the baseline plus every change, spelled out."""
    base = shipped_catalogue()
    values = {p: scenario.params[p].value for p in scenario.params if p in base and scenario.params[p].value != base[p].value}
    values.update(extra_values or {})
    doc: dict[str, Any] = {
        "name": name or scenario.name,
        "description": description if description is not None else scenario.description,
        "extends": str(BASELINE_FILE),
    }
    if values:
        doc["parameters"] = {p: (v.isoformat() if isinstance(v, dt.date) else v) for p, v in sorted(values.items())}
    actions = [a.to_yaml() for a in (*scenario.actions, *(extra_actions or ()))]
    if actions:
        doc["actions"] = actions
    head = ("# Built in the mhsim dashboard. It extends the shipped baseline by its full path;\n"
            "# if you move the project, change 'extends' to the new path of baseline.yaml.\n")
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def levers_to_yaml(start: Scenario, levers: Levers) -> str:
    """Turn the page's levers into scenario YAML built on ``start``."""
    values: dict[str, Any] = {}
    actions: list[Action] = []
    for lever in levers.services:
        actions += _service_changes(lever, levers, values)
    for key, (value, month) in levers.programmes.items():
        if value is not None:
            _change(values, actions, PROGRAMME_LEVERS[key][0], value, month)
    if levers.integrated_budgets in ("on", "off"):
        _change(values, actions, "services.personal_budgets.integrated_assessment", levers.integrated_budgets == "on",
                levers.integrated_month)
    return scenario_to_yaml(start, levers.name, levers.description, values, actions)


def _change(values: dict[str, Any], actions: list[Action], path: str, value: Any, month: float) -> None:
    """A new parameter value: from the start (a changed value) or from a month (a 'set' action)."""
    if month <= 0:
        values[path] = value
    else:
        actions.append(at_month(SetParameters, month, values=((path, value),)))


def _service_changes(lever: ServiceLever, levers: Levers, values: dict[str, Any]) -> list[Action]:
    """The actions (and changed values) of one service's levers."""
    info = SERVICES[lever.service]
    actions: list[Action] = []
    if lever.unit_cost is not None and lever.service in UNIT_COSTS:
        # a new price applies from the lever's month, like every other change
        _change(values, actions, UNIT_COSTS[lever.service], float(lever.unit_cost), lever.month)
    capacity = int(lever.capacity) if lever.capacity is not None and info.capacity_path else None
    if lever.status == "close" and info.open_path:
        actions.append(at_month(CloseService, lever.month, service=lever.service, **_redirect(lever.service, levers)))
    elif lever.status == "open" and info.open_path:
        actions.append(at_month(OpenService, lever.month, service=lever.service, capacity=capacity))
    elif capacity is not None and info.capacity_path:
        if lever.month <= 0:
            values[info.capacity_path] = capacity
        else:
            actions.append(at_month(ResizeService, lever.month, service=lever.service, capacity=capacity))
    return actions


def _redirect(service: str, levers: Levers) -> dict[str, Any]:
    """Where users of a closing service are referred, and the raised risk of those left without a place."""
    if not SERVICES[service].redirects_users:
        return {}
    redirect = [("personal_budgets", levers.redirect_budgets)]
    if service != "peer_support":  # nobody is sent to the service that is closing
        redirect.append(("peer_support", levers.redirect_peer))
    return {"redirect": tuple(redirect), "raised_risk": (levers.raised_multiplier, levers.raised_months)}


def read_scenario_text(text: bytes | str, name: str = "uploaded.yaml", years: float | None = None,
                       scale: float | None = None, warmup_years: float | None = None) -> Scenario:
    """Check and resolve a scenario given as text (an upload or the builder's output).

    ``years``, ``scale`` and ``warmup_years`` are the server's run: actions are checked against its
    horizon (not the file's own ``settings.years``, which the server does not use) and its size against the limits.
    """
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_UPLOAD_BYTES:
        raise InputError([Problem(name, f"file is too large ({size:,} bytes)", allowed=f"at most {MAX_UPLOAD_BYTES:,} bytes")])
    return scenario_from_text(text, name, base_dir=SHIPPED_SCENARIOS, years=years, scale=scale, warmup_years=warmup_years)
