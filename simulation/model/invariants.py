"""Cheap checks run every simulated month: a failure is a bug in the model, not in the input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..people import COMMUNITY, SEVERE

if TYPE_CHECKING:
    from . import CountyModel


def check(m: "CountyModel") -> None:
    """People conserved, no negative counts, occupancy within capacity and equal to the people there."""
    ledger = m.ledger
    if ledger.alive() + ledger.exited() != len(ledger.people):
        raise AssertionError(f"people not conserved: {ledger.alive()} alive + {ledger.exited()} exited != {len(ledger.people)} created")
    for st in ledger.stocks.values():
        if min(st.level) < 0:
            raise AssertionError(f"negative count in {st.name}: {st.level}")
    services = m.services()
    for svc in services.values():
        if not 0 <= svc.occupied <= svc.ceiling:
            raise AssertionError(f"{svc.name}: {svc.occupied} places in use, capacity {svc.capacity}")
    in_use = {
        "acute_beds": ledger.stocks["acute"].total,
        "crisis_home_treatment": ledger.stocks["home_treatment"].total,
        "enablement": len(m.housing.enablement.holders),
    }
    for s in m.supports.all:
        in_use[s.name] = ledger.flag_stock[s.hold].total
    for name, count in in_use.items():
        if services[name].occupied != count:
            raise AssertionError(f"{name}: occupancy {services[name].occupied} but {count} people there")


def final(m: "CountyModel") -> dict[str, Any]:
    if m.check_invariants:
        check(m)
        severe = sum(1 for p in m.ledger.people if p.place == COMMUNITY and p.flags & SEVERE)
        if severe != m.ledger.severe_in_community.total:
            raise AssertionError(f"severe_in_community counts {m.ledger.severe_in_community.total} but {severe} people")
    ledger = m.ledger
    services = m.services()
    return {
        "people_created": len(ledger.people),
        "alive_end": ledger.alive(),
        "exited": ledger.exited(),
        "peak_occupancy": {name: svc.peak for name, svc in services.items()},
        "capacity_end": {name: svc.capacity for name, svc in services.items()},
    }
