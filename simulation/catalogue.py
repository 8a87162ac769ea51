"""What a scenario can name: services and the supports users can be redirected to.

Kept apart from the runtime classes in ``services`` so that reading and
validating a scenario never imports the model.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceInfo:
    """A service a scenario action can open, close or resize."""

    name: str
    label: str
    open_path: str | None
    capacity_path: str | None
    redirects_users: bool
    """True for supports whose users lose their place when it closes and can be
    redirected to other supports; for the others, closing stops new entries
    and current users keep what they have until they leave."""


SERVICES: dict[str, ServiceInfo] = {
    s.name: s
    for s in (
        ServiceInfo("day_centre", "Day centre", "services.day_centre.open", "services.day_centre.places", True),
        ServiceInfo("peer_support", "Peer support (Sociability)", "services.peer_support.open", "services.peer_support.base_places", True),
        ServiceInfo("recovery_college", "Recovery College", "services.recovery_college.open", "services.recovery_college.places_per_term", True),
        ServiceInfo("personal_budgets", "Personal budgets", "services.personal_budgets.open", None, False),
        ServiceInfo("carer_support", "Carer support", "services.carer_support.open", None, False),
        ServiceInfo("crisis_home_treatment", "Crisis home treatment", "services.crisis_home_treatment.open", "services.crisis_home_treatment.caseload", False),
        ServiceInfo("acute_beds", "Acute beds", None, "services.acute_beds.beds_in_area", False),
        ServiceInfo("enablement", "Intensive Enablement tenancies", "services.enablement.open", "services.enablement.tenancies_operative", False),
    )
}

REDIRECT_TARGETS = ("personal_budgets", "peer_support", "day_centre", "recovery_college")
"""Supports that people losing a service can be referred on to."""

RAISED_RISK_KEY = "raised_crisis_risk"
