"""Reinvestment: "close X and move its money to Y and Z", turned into places and budgets at unit costs.

A commissioner thinks in money: the day centre's block contract is £460,000 a
year; put 60% of it into peer support and 40% into personal budgets. The model
thinks in places, prices and rates. This module is the arithmetic between the
two, so that the page, the command line and the tests all use one account:

- the **freed budget** of a closing service is its block contract a year, split
  between the payers as the contract is (``block_council_share``);
- each **target** gets a share of it and turns it into units at its own unit
  cost (block contract per place for a block-funded service, the budget a year
  for a personal budget, the weekly price for a tenancy); for a block-funded
  service capacity and cost move together: the new block contract is the old
  one plus the money moved, and the new places the old ones plus the units
  bought;
- the **payers**: every target has its own split (peer support's block is 30%
  council; a personal budget is a council budget unless it is a personal health
  budget), so moving NHS money can land on the council. The package is
  budget-neutral for a payer when what it spends on the targets is within
  ``TOLERANCE`` of what it stops spending on the closed service.

Personal budgets have no places: the number of holders follows the rate at
which people apply. Buying N more budgets raises that rate in proportion
(holders at a steady state are proportional to it), from the number of holders
the caller says there are now (the baseline's run).

All money is in the model's price year (uprated as the cost account does) and a
year; one-off costs (closure, set-up) and the months of double running are
reported apart, not netted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .catalogue import SERVICES
from .costs import price_year, uprated

TOLERANCE = 0.01
"""A payer's package is budget-neutral when its net change is within 1% of the money freed (or £1,000)."""

PAYERS = ("nhs", "council")

WEEKS_PER_YEAR = 365.25 / 7

BUDGETS = "personal_budgets"


@dataclass(frozen=True)
class Allocation:
    """One target of the package: the money moved to it and what it buys."""

    service: str
    label: str
    share: float
    amount: float                 # £ a year
    unit: str                     # "place", "budget", "tenancy"
    unit_cost: float              # £ a year for one unit
    units: float                  # whole units bought (the money left over stays unallocated)
    by_payer: dict[str, float]    # who pays for the units bought, £ a year
    changes: tuple[tuple[str, Any], ...]   # parameter path and its new value, from the reinvestment's month
    capacity_path: str | None = None
    new_capacity: float | None = None
    opens: bool = False           # the target is closed then: the money opens it with the units bought as its places


@dataclass(frozen=True)
class Package:
    """A closure and the reinvestment of its budget, with each payer's account."""

    closing: str
    closing_label: str
    freed: dict[str, float]                   # £ a year each payer stops paying for the closed service
    allocations: tuple[Allocation, ...]
    unallocated: float                        # £ a year not moved anywhere (shares under 1)
    one_off: dict[str, float] = field(default_factory=dict)   # the closure's one-off cost by payer

    @property
    def spent(self) -> dict[str, float]:
        return {p: sum(a.by_payer.get(p, 0.0) for a in self.allocations) for p in PAYERS}

    @property
    def net(self) -> dict[str, float]:
        """Each payer's change a year: what it spends on the targets less what it no longer spends (negative saves)."""
        return {p: self.spent[p] - self.freed.get(p, 0.0) for p in PAYERS}

    def neutral(self, payer: str) -> bool:
        scale = max(abs(self.freed.get(payer, 0.0)), abs(self.spent[payer]))
        return abs(self.net[payer]) <= max(1000.0, TOLERANCE * scale)

    @property
    def budget_neutral(self) -> bool:
        return all(self.neutral(p) for p in PAYERS)

    def summary(self) -> str:
        """One line per payer, in words (for the page, the YAML's comment and the brief)."""
        parts = []
        for p in PAYERS:
            who = "NHS" if p == "nhs" else "council"
            net = self.net[p]
            if self.neutral(p):
                parts.append(f"{who}: budget-neutral (frees £{self.freed.get(p, 0):,.0f}, spends £{self.spent[p]:,.0f} a year)")
            elif net < 0:
                parts.append(f"{who}: saves £{-net:,.0f} a year (frees £{self.freed.get(p, 0):,.0f}, spends £{self.spent[p]:,.0f})")
            else:
                parts.append(f"{who}: pays £{net:,.0f} a year more (frees £{self.freed.get(p, 0):,.0f}, spends £{self.spent[p]:,.0f})")
        return "; ".join(parts)


def _money(specs: Mapping[str, Any], values: Mapping[str, Any], path: str) -> float:
    """A money parameter in the model's price year."""
    return uprated(specs[path], float(values[path]), values)


def _split(values: Mapping[str, Any], service: str) -> dict[str, float]:
    """How a service's block contract is shared between the payers (its block_council_share or block_nhs_share)."""
    p = f"services.{service}."
    if p + "block_council_share" in values:
        council = float(values[p + "block_council_share"])
        return {"nhs": 1.0 - council, "council": council}
    if p + "block_nhs_share" in values:
        nhs = float(values[p + "block_nhs_share"])
        return {"nhs": nhs, "council": 1.0 - nhs}
    return {}


def _payer_of(specs: Mapping[str, Any], path: str) -> dict[str, float]:
    payer = getattr(specs[path], "payer", None) or "nhs"
    return {payer: 1.0}


def freed_budget(specs: Mapping[str, Any], values: Mapping[str, Any], service: str) -> dict[str, float]:
    """The block contract a year a closing service stops costing, by payer (empty if it has none)."""
    info = SERVICES.get(service)
    if info is None or info.unit_cost_path is None or not _is_block(info.unit_cost_path):
        return {}
    amount = _money(specs, values, info.unit_cost_path)
    split = _split(values, service) or _payer_of(specs, info.unit_cost_path)
    return {p: amount * split.get(p, 0.0) for p in PAYERS}


def _is_block(path: str) -> bool:
    return path.endswith(("block_cost_per_year", "budget_per_year")) and not path.startswith(f"services.{BUDGETS}.")


def reinvestment_targets() -> tuple[str, ...]:
    """Services that freed money can buy units of: block-funded services with places, personal budgets, tenancies."""
    out = []
    for name, info in SERVICES.items():
        if name == BUDGETS:
            out.append(name)
        elif info.unit_cost_path and info.capacity_path and (_is_block(info.unit_cost_path) or info.unit_cost_path.endswith("cost_per_week")):
            out.append(name)
    return tuple(out)


def closable_with_budget() -> tuple[str, ...]:
    """Services whose closure frees a block contract."""
    return tuple(n for n, i in SERVICES.items() if i.open_path and i.unit_cost_path and _is_block(i.unit_cost_path))


def is_open(values: Mapping[str, Any], service: str, opening: Iterable[str] = ()) -> bool:
    """Whether a service runs at the reinvestment's month: open in ``values`` or opened by then (``opening``)."""
    info = SERVICES[service]
    return service in set(opening) or info.open_path is None or bool(values.get(info.open_path, True))


def _allocate(specs, values, service: str, share: float, amount: float, budget_holders: float | None,
              opens: bool = False) -> Allocation:
    """``opens``: the target is closed at the reinvestment's month, so the places bought are all it has (its
    block contract is the price of those places alone) and the package opens it."""
    info = SERVICES[service]
    label = info.label
    if service == BUDGETS:
        p = "services.personal_budgets."
        per_budget = _money(specs, values, p + "budget_per_year")
        units = float(int(amount // per_budget)) if per_budget > 0 else 0.0
        amount = units * per_budget
        nhs = float(values[p + "health_budget_share"])
        changes: tuple[tuple[str, Any], ...] = ()
        if budget_holders and budget_holders > 0 and units > 0:
            rate = float(values[p + "apply_rate_per_year"])
            changes = ((p + "apply_rate_per_year", round(rate * (budget_holders + units) / budget_holders, 6)),)
        return Allocation(service, label, share, amount, "budget", per_budget, units,
                          {"nhs": amount * nhs, "council": amount * (1 - nhs)}, changes)
    assert info.unit_cost_path and info.capacity_path, f"{service} cannot take reinvestment"
    capacity = float(values[info.capacity_path])
    if info.unit_cost_path.endswith("cost_per_week"):
        unit_cost = _money(specs, values, info.unit_cost_path) * WEEKS_PER_YEAR
        units = float(int(amount // unit_cost)) if unit_cost > 0 else 0.0
        new_capacity = units if opens else capacity + units
        by_payer = {p: units * unit_cost * s for p, s in _payer_of(specs, info.unit_cost_path).items()}
        return Allocation(service, label, share, units * unit_cost, "tenancy", unit_cost, units, by_payer, (),
                          info.capacity_path, new_capacity, opens)
    block = _money(specs, values, info.unit_cost_path)
    unit_cost = block / capacity if capacity > 0 else 0.0
    units = float(int(amount // unit_cost)) if unit_cost > 0 else 0.0
    spent = units * unit_cost
    split = _split(values, service) or _payer_of(specs, info.unit_cost_path)
    raw_block = float(values[info.unit_cost_path])
    new_places = units if opens else capacity + units
    new_block = round(raw_block * new_places / capacity) if capacity > 0 else raw_block
    return Allocation(service, label, share, spent, "place", unit_cost, units, {p: spent * split.get(p, 0.0) for p in PAYERS},
                      ((info.unit_cost_path, float(new_block)),), info.capacity_path, new_places, opens)


def _one_off(specs, values, path: str, service: str) -> dict[str, float]:
    """A one-off cost (a closure's, an opening's set-up) by payer, split as the service's contract is."""
    if path not in values:
        return {}
    split = _split(values, service) or _payer_of(specs, path)
    return {p: _money(specs, values, path) * split.get(p, 0.0) for p in PAYERS}


def plan_reinvestment(specs: Mapping[str, Any], values: Mapping[str, Any], closing: str,
                      targets: list[tuple[str, float]], budget_holders: float | None = None,
                      opening: Iterable[str] = ()) -> Package:
    """The package: ``closing``'s freed budget moved to ``targets`` ((service, share of the freed budget), shares
    summing to at most 1). ``budget_holders``: personal budget holders now (needed to turn budgets into a rate).
    ``opening``: services the scenario opens by the reinvestment's month; any other target closed in ``values``
    (peer support is, in the baseline, until a closure opens it) is opened by the package with the places it buys
    (``Allocation.opens``), and its set-up cost is a one-off cost of the package.

    Raises ValueError for a target that cannot take money, a share outside 0..1 or shares above 1 together."""
    freed = freed_budget(specs, values, closing)
    total = sum(freed.values())
    allowed = reinvestment_targets()
    allocations = []
    if sum(s for _, s in targets) > 1 + 1e-9:
        raise ValueError("the shares of the freed budget add up to more than all of it")
    for service, share in targets:
        if service == closing:
            raise ValueError(self_reinvestment_message(SERVICES[closing].label))
        if service not in allowed:
            raise ValueError(f"{service}: freed money cannot buy places or budgets there")
        if not 0 <= share <= 1:
            raise ValueError(f"{service}: a share of the freed budget is between 0 and 1")
        if share > 0:
            opens = service != BUDGETS and not is_open(values, service, opening)
            allocations.append(_allocate(specs, values, service, share, total * share, budget_holders, opens))
    info = SERVICES[closing]
    one_off = _one_off(specs, values, f"services.{closing}.closure_one_off_cost", closing)
    for a in allocations:
        if a.opens:
            for p, v in _one_off(specs, values, f"services.{a.service}.setup_cost", a.service).items():
                one_off[p] = one_off.get(p, 0.0) + v
    spent = sum(a.amount for a in allocations)
    return Package(closing, info.label, freed, tuple(allocations), max(0.0, total - spent), one_off)


def self_reinvestment_message(label: str) -> str:
    return (f"{label} is the service that closes: its freed budget cannot be moved to {label} itself "
            "(choose other services for it)")


def reinvestment_targets_for(closing: str | None) -> tuple[str, ...]:
    """The services a closing service's freed budget can move to: every target but the closing service itself."""
    return tuple(t for t in reinvestment_targets() if t != closing)


def self_reinvestment(text: str | None, actions: Iterable[Any] = ()) -> str | None:
    """Why a scenario moves a closing service's budget to that same service, in words (None if it does not): its
    reinvestment comment (as the builder writes it: "Reinvestment: X closes at month M and its budget (...) moves to
    X (60%: ...)"), or an action that opens or resizes a service on the very day the scenario closes it (the places a
    reinvestment in it would buy)."""
    for line in (text or "").splitlines():
        body = line.lstrip().lstrip("#").strip()
        if not body.startswith("Reinvestment: ") or " closes at month " not in body or " moves to " not in body:
            continue
        closing = body[len("Reinvestment: "):].split(" closes at month ", 1)[0].strip()
        moved_to = body.split(" moves to ", 1)[1]
        if closing and (moved_to.startswith(closing + " (") or f", {closing} (" in moved_to):
            return self_reinvestment_message(closing)
    closes = {(a.service, a.day) for a in actions if getattr(a, "verb", None) == "close"}
    for a in actions:
        if getattr(a, "verb", None) in ("open", "resize") and (a.service, a.day) in closes:
            label = SERVICES[a.service].label if a.service in SERVICES else str(a.service)
            return (f"{label} closes and is given places on the same day ({a.describe()}): "
                    + self_reinvestment_message(label))
    return None


# ---------------------------------------------------------------------------
# The statement, read back from a scenario


NEUTRAL_PREFIX = "Budget neutral for each payer?"
"""How the scenario file the dashboard's builder writes begins its comment line on neutrality (``# Budget neutral for
each payer? yes: NHS: budget-neutral (...); council: ...``): :func:`neutrality_statement` reads it back."""

PAYER_WORDS = {"nhs": "NHS", "council": "council"}


@dataclass(frozen=True)
class Neutrality:
    """Whether a reinvestment package is budget-neutral, payer by payer, as its scenario file says."""

    neutral: bool                          # for every payer
    payers: tuple[tuple[str, bool, str], ...]   # (payer's name, neutral for it, what it frees and spends, in words)
    price_year: int = 2024

    def sentence(self) -> str:
        """One plain sentence for a board: the verdict, then each payer."""
        head = "Budget-neutral for each payer" if self.neutral else "Not budget-neutral for each payer"
        return (f"{head}. " + "; ".join(f"{who}: {words}" for who, _, words in self.payers)
                + f" (money a year, {self.price_year} prices).")


def _parse_payer(part: str) -> tuple[str, bool, str] | None:
    who, sep, words = part.partition(": ")
    if not sep or who.strip().lower() not in PAYER_WORDS:
        return None
    words = words.strip().rstrip(".")
    return PAYER_WORDS[who.strip().lower()], words.startswith("budget-neutral"), words


def neutrality_statement(yaml_text: str | None = None, file: str | None = None,
                         values: Mapping[str, Any] | None = None) -> Neutrality | None:
    """The per-payer budget-neutrality statement of a reinvestment scenario, from the comment the dashboard's builder
    writes into its YAML (``yaml_text``, else the text of ``file``); None for a scenario without a reinvestment (every
    shipped one). ``values``: the scenario's parameters, for the price year the money is in."""
    text = yaml_text
    if text is None and file:
        from pathlib import Path

        try:
            text = Path(file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    if not text:
        return None
    line = next((ln.lstrip("#").strip() for ln in text.splitlines()
                 if ln.lstrip().startswith("#") and NEUTRAL_PREFIX in ln), None)
    if line is None:
        return None
    verdict, _, rest = line.split(NEUTRAL_PREFIX, 1)[1].strip().partition(":")
    payers = tuple(p for p in (_parse_payer(part) for part in rest.split(";")) if p is not None)
    if verdict.strip().lower() not in ("yes", "no") or not payers:
        return None
    return Neutrality(verdict.strip().lower() == "yes", payers, price_year(values))
