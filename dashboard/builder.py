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
from simulation.reinvestment import reinvestment_targets_for, self_reinvestment
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


DEFAULT_REDIRECT: dict[str, Any] = {"target": "personal_health_budgets", "budgets": 0.45, "peer": 0.35, "multiplier": 1.3,
                                    "months": 6.0}
"""Where a closing service's users are referred unless the start scenario says otherwise: as in the shipped closure
of the day centre (scenarios/close_day_centre.yaml), whose freed NHS block contract is the reinvestment the page
shows first: 45% for an NHS personal health budget, 35% peer support, and crisis risk x1.3 for six months for those
left without a place."""


@dataclass
class ServiceLever:
    """What the page lets a commissioner change about one service."""

    service: str
    status: str = "keep"          # keep, open, close
    month: float = 0.0
    capacity: int | None = None
    unit_cost: float | None = None
    cost_follows: bool = True     # new places on a block contract change its cost in proportion (unless a cost is typed)


@dataclass
class Levers:
    name: str
    description: str
    services: list[ServiceLever]
    programmes: dict[str, tuple[float | None, float]]   # lever -> (new value, from month)
    integrated_budgets: str = "keep"                      # keep, on, off
    integrated_month: float = 0.0
    redirect_budgets: float = DEFAULT_REDIRECT["budgets"]
    redirect_peer: float = DEFAULT_REDIRECT["peer"]
    raised_multiplier: float = DEFAULT_REDIRECT["multiplier"]
    raised_months: float = DEFAULT_REDIRECT["months"]
    budget_target: str = DEFAULT_REDIRECT["target"]       # personal_health_budgets (NHS) or personal_budgets (council)
    authoritative: bool = False
    """True when the page showed the start scenario's open/close/resize actions in the levers: the levers then say
    everything about those actions (an inherited one is kept as it was only if a lever says the same)."""
    dropped: tuple[int, ...] = ()                         # inherited actions the person unticked
    reinvest_from: str | None = None                      # a closing service whose block contract is moved
    reinvest: tuple[tuple[str, float], ...] = ()          # (target service, share of the freed budget)
    budget_holders: float | None = None                   # budget holders now (the baseline's run), for budgets


def scenario_to_yaml(scenario: Scenario, name: str | None = None, description: str | None = None,
                     extra_values: dict[str, Any] | None = None, extra_actions: list[Action] | None = None,
                     inherited: list[Action] | None = None, note: str = "") -> str:
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
    kept = scenario.actions if inherited is None else inherited
    actions = [a.to_yaml() for a in (*kept, *(extra_actions or ()))]
    if actions:
        doc["actions"] = actions
    head = ("# Built in the mhsim dashboard. It extends the shipped baseline by its full path;\n"
            "# if you move the project, change 'extends' to the new path of baseline.yaml.\n")
    head += "".join(f"# {line}\n" for line in note.splitlines())
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def levers_to_yaml(start: Scenario, levers: Levers) -> str:
    """Turn the page's levers into scenario YAML built on ``start``."""
    values: dict[str, Any] = {}
    actions: list[Action] = []
    package = reinvestment_package(start, levers)
    for lever in levers.services:
        actions += _service_changes(lever, levers, values, start)
    for key, (value, month) in levers.programmes.items():
        if value is not None:
            _change(values, actions, PROGRAMME_LEVERS[key][0], value, month)
    if levers.integrated_budgets in ("on", "off"):
        _change(values, actions, "services.personal_budgets.integrated_assessment", levers.integrated_budgets == "on",
                levers.integrated_month)
    note = ""
    if package is not None:
        month = _closing_month(levers, package.closing)
        for a in package.allocations:
            for path, value in a.changes:
                _change(values, actions, path, value, month)
            if a.capacity_path and a.new_capacity is not None:
                _new_places(values, actions, a, month)
        note = reinvestment_note(package, month)
    inherited = _inherited(start, levers, actions)
    return scenario_to_yaml(start, levers.name, levers.description, values, actions, inherited, note)


def reinvestment_choices(closing: str | None) -> tuple[str, ...]:
    """Where the builder offers to move a closing service's budget: every reinvestment target but that service."""
    return reinvestment_targets_for(closing)


def reinvestment_package(start: Scenario, levers: Levers):
    """The reinvestment account of the levers (None without one): simulation.reinvestment does the arithmetic (and
    refuses, in words, a package that moves the closing service's budget to itself)."""
    from simulation.reinvestment import plan_reinvestment

    if not levers.reinvest_from or not any(share > 0 for _, share in levers.reinvest):
        return None
    return plan_reinvestment(start.params, start.values, levers.reinvest_from, list(levers.reinvest), levers.budget_holders,
                             opening=_opened_by(start, levers, _closing_month(levers, levers.reinvest_from)))


def reinvestment_note(package, month: float) -> str:
    """The YAML's comment on a reinvestment: what moves where, and whether it is budget-neutral for each payer
    (``simulation.reinvestment.neutrality_statement`` reads the second line back)."""
    from simulation.reinvestment import NEUTRAL_PREFIX, price_year

    opened = [a.label for a in package.allocations if a.opens]
    return ("Reinvestment: " + package.closing_label + f" closes at month {month:g} and its budget "
            f"(£{sum(package.freed.values()):,.0f} a year in {price_year()} prices) moves to "
            + ", ".join(f"{a.label} ({a.share:.0%}: {a.units:,.0f} {a.unit}s at £{a.unit_cost:,.0f} a year)"
                        for a in package.allocations)
            + (f"; it opens {' and '.join(opened)} (closed until then) with the places it buys" if opened else "")
            + f".\n{NEUTRAL_PREFIX} {'yes' if package.budget_neutral else 'no'}: {package.summary()}.")


def _opened_by(start: Scenario, levers: Levers, month: float) -> set[str]:
    """Services open by ``month`` because the levers or the start scenario's kept actions open them."""
    from simulation.parameters import DAYS_PER_MONTH

    out = {lever.service for lever in levers.services if lever.status == "open" and lever.month <= month}
    if not levers.authoritative:
        out |= {str(a.service) for i, a in enumerate(start.actions) if i not in levers.dropped and a.verb == "open"
                and a.day <= month * DAYS_PER_MONTH + 1e-9}
    return out


def _new_places(values: dict[str, Any], actions: list[Action], a, month: float) -> None:
    """A reinvestment's places: a resize from its month, or an opening with them for a closed service."""
    capacity = int(a.new_capacity)
    if a.opens:
        open_path = SERVICES[a.service].open_path
        if month <= 0 and open_path:
            values[open_path] = True
            values[a.capacity_path] = capacity
        else:
            actions.append(at_month(OpenService, month, service=a.service, capacity=capacity))
    elif month <= 0:
        values[a.capacity_path] = capacity
    else:
        actions.append(at_month(ResizeService, month, service=a.service, capacity=capacity))


def _closing_month(levers: Levers, service: str) -> float:
    for lever in levers.services:
        if lever.service == service:
            return lever.month
    return 0.0


def _inherited(start: Scenario, levers: Levers, made: list[Action]) -> list[Action]:
    """The start scenario's actions that stay: all but those unticked and, when the levers showed them, the
    service actions the levers now say differently (an identical lever action is dropped instead, so the
    original, with every field it had, is what is written)."""
    kept = [a for i, a in enumerate(start.actions) if i not in levers.dropped]
    if not levers.authoritative:
        return kept
    out = []
    for a in kept:
        if a.verb in ("open", "close", "resize") and a.service in SERVICES:
            same = next((m for m in made if m == a), None)
            if same is None:
                continue  # the levers say otherwise about this service
            made.remove(same)
        out.append(a)
    return out


def lever_settings(start: Scenario) -> dict[str, Any]:
    """What the page's levers show for a start scenario: each service's inherited open, close or resize (status,
    month, places) and the referrals of its closure, so that nothing a scenario does is hidden or lost."""
    from simulation.parameters import DAYS_PER_MONTH

    services: dict[str, dict[str, Any]] = {}
    redirect: dict[str, Any] = {}
    for a in start.actions:
        if a.verb not in ("open", "close", "resize") or a.service not in SERVICES:
            continue
        month = round(a.day / DAYS_PER_MONTH, 6)
        entry = services.setdefault(a.service, {"status": "keep", "month": month, "capacity": None})
        if a.verb in ("open", "close"):
            entry.update(status=a.verb, month=month)
        capacity = getattr(a, "capacity", None)
        if capacity is not None:
            entry["capacity"] = capacity
            if a.verb == "resize":
                entry["month"] = month
        if a.verb == "close" and (a.redirect or a.raised_risk) and not redirect:
            shares = dict(a.redirect)
            target = next((t for t in ("personal_health_budgets", "personal_budgets") if t in shares), "personal_budgets")
            redirect = {"budgets": shares.get(target, 0.0), "peer": shares.get("peer_support", 0.0), "target": target,
                        "multiplier": a.raised_risk[0] if a.raised_risk else 1.0,
                        "months": a.raised_risk[1] if a.raised_risk else 0.0}
    return {"services": services, "redirect": redirect}


def _change(values: dict[str, Any], actions: list[Action], path: str, value: Any, month: float) -> None:
    """A new parameter value: from the start (a changed value) or from a month (a 'set' action)."""
    if month <= 0:
        values[path] = value
    else:
        actions.append(at_month(SetParameters, month, values=((path, value),)))


def block_funded(service: str) -> bool:
    """A service paid by a block contract a year for its places (capacity and cost move together)."""
    path = UNIT_COSTS.get(service, "")
    return path.endswith(("block_cost_per_year", "budget_per_year")) and SERVICES[service].capacity_path is not None \
        and service != "personal_budgets"


def _service_changes(lever: ServiceLever, levers: Levers, values: dict[str, Any], start: Scenario | None = None) -> list[Action]:
    """The actions (and changed values) of one service's levers."""
    info = SERVICES[lever.service]
    actions: list[Action] = []
    capacity = int(lever.capacity) if lever.capacity is not None and info.capacity_path else None
    unit_cost = lever.unit_cost
    if (unit_cost is None and capacity is not None and lever.cost_follows and start is not None
            and block_funded(lever.service) and lever.status != "close"):
        now_places = float(start.values[info.capacity_path])  # type: ignore[index]
        now_cost = float(start.values[UNIT_COSTS[lever.service]])
        if now_places > 0 and capacity != now_places:
            unit_cost = float(round(now_cost * capacity / now_places))
    if unit_cost is not None and lever.service in UNIT_COSTS:
        # a new price applies from the lever's month, like every other change
        _change(values, actions, UNIT_COSTS[lever.service], float(unit_cost), lever.month)
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
    redirect = [(levers.budget_target, levers.redirect_budgets)]
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
    scenario = scenario_from_text(text, name, base_dir=SHIPPED_SCENARIOS, years=years, scale=scale, warmup_years=warmup_years)
    decoded = text.decode("utf-8-sig", errors="replace") if isinstance(text, bytes) else text
    why = self_reinvestment(decoded, scenario.actions)   # a closing service's budget moved to itself (never built here)
    if why:
        raise InputError([Problem(name, why, field="reinvestment")])
    return scenario
