"""The service registry: every service declared once.

A service is one :class:`ServiceSpec`: what kind it is, the parameters that
open, size and price it, the flags its users hold, the events that bring
people to it and take them away, the effects it has on its users' rates,
what happens to them when it closes, what it costs and who pays, and its
label. The model's handlers, the hazard rules, the twin's stocks and flows,
the cost account, the metrics, the dashboard's levers and every label are
derived from these declarations, so a new service is one declaration plus
its parameters in ``baseline.yaml`` (see :func:`register`).

Kept apart from the runtime classes (``services``, ``model``) so that
reading and validating a scenario never imports the model.

Three kinds of service:

* ``place``: where people live or are treated, with a capacity (crisis home
  treatment, acute beds, enablement tenancies). Their rules are in the
  model's crisis-care and housing components.
* ``support``: held alongside a place. *Place supports* (``places_path`` set)
  have places, a referral event, a leave event, a waiting list with a
  give-up event, and are handled by one generic piece of machinery (the day
  centre, peer support, and any new one such as a crisis café). The Recovery
  College (terms), personal budgets (assessment) and carer support
  (assessment) have components of their own but are declared here all the
  same.
* ``programme``: county-wide training that changes everyone's rates.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

OUTCOMES = ("crisis", "recovery", "work", "relapse", "step_up")
"""Rates a support can multiply for the people who hold it."""


@dataclass(frozen=True)
class Effect:
    """A multiplier a support puts on one rate of the people holding it.

    ``holders`` names the flags whose holders get the effect (default: the
    service's own holders); the Recovery College's effects belong to its
    graduates, peer support's to members and leaders alike.
    """

    outcome: str
    param: str
    holders: tuple[str, ...] = ()


@dataclass(frozen=True)
class CostItem:
    """One line of the cost account."""

    service: str
    param: str
    basis: str
    """What is counted: ``stock:NAME`` (person-days), ``count:NAME`` (events),
    ``open:SERVICE`` (days open), ``programme:NAME`` (full-scale quantity)."""
    per: str = "each"  # day, week, year or each
    split: tuple[str, str] | None = None
    """(share parameter, payer): that share of the cost is paid by another payer."""
    payer_override: str | None = None
    times: str | None = None
    """A share parameter the cost is multiplied by (the part of a suicide's cost not counted in QALYs)."""

    @property
    def person_level(self) -> bool:
        """Costs that follow people (scaled up by 1/scale); not block contracts, programmes, or the one-off
        costs of opening and closing services."""
        return self.basis.startswith(("stock:", "count:")) and not self.basis.startswith(("count:closures_", "count:openings_"))


@dataclass(frozen=True)
class ServiceSpec:
    """One service, declared once."""

    name: str
    label: str
    kind: str = "support"                 # place, support or programme
    open_path: str | None = None
    capacity_path: str | None = None
    """The parameter a 'resize' action or the builder's capacity lever changes."""
    unit_cost_path: str | None = None
    """The price a commissioner negotiates (the builder's cost lever)."""
    redirects_users: bool = False
    """True: closing it takes its users' places away and redirects them to other
    supports; False: closing stops new entries and current users keep what they
    have until they leave."""
    redirect_target: bool = False
    """People losing another service can be referred here."""
    # --- a support held as a flag -------------------------------------------------
    holds: str | None = None
    """Flag (and stock) name of the people holding it, e.g. ``day_centre``."""
    waits: str | None = None
    """Flag (and stock) name of its waiting list."""
    places_path: str | None = None
    """Places (scaled with the run); set for the place supports the generic machinery runs."""
    join_rate: str | None = None
    """Referrals a year per person not holding, waiting or excluded."""
    join_excludes: tuple[str, ...] = ()
    """Flags whose holders are never referred (peer leaders do not join as members)."""
    leave_rate: str | None = None
    give_up_rate: str | None = None
    census_path: str | None = None
    """People holding it at the start (at most its places)."""
    effects: tuple[Effect, ...] = ()
    quality_of_life_gain: str | None = None
    quality_holders: tuple[str, ...] = ()
    """Flags whose holders get the quality-of-life gain (default: its holders)."""
    gain_grows_with_market: bool = False
    """The gain is scaled by the maturity of the budget market (what holders can buy at first)."""
    closure_risk: tuple[str, str] | None = None
    """(multiplier, months) parameters of the raised crisis risk for users left without
    a place when it closes, unless the closing action says otherwise."""
    costs: tuple[CostItem, ...] = ()
    events: tuple[str, str, str] | None = None
    """Names of its (join, leave, give-up) events; set by :func:`register`."""
    users_metric: str | None = None
    """Name of the end-of-run holders metric (default ``<holds>_users_end``)."""
    wait_metric: str | None = None
    """Name of its mean-wait metric (default ``<name>_mean_wait_days``)."""
    series: tuple[tuple[str, str, str], ...] = ()
    """Monthly series: (series name, stock, label)."""
    double_running: str | None = None
    """Months the block contract is still paid after the service closes (notice, winding down)."""
    parameters: tuple[tuple[str, dict], ...] = ()
    """Default parameters a service declared in code brings (path, leaf as in baseline.yaml: value,
    unit, source or assumption, low/high); the shipped services declare theirs in baseline.yaml."""

    @property
    def generic(self) -> bool:
        """Run by the generic place-support machinery."""
        return self.places_path is not None

    def effect_holders(self, effect: Effect) -> tuple[str, ...]:
        return effect.holders or ((self.holds,) if self.holds else ())

    def qol_holders(self) -> tuple[str, ...]:
        return self.quality_holders or ((self.holds,) if self.holds else ())


def _block(name: str, param: str, split: tuple[str, str] | None = None) -> CostItem:
    """A block contract: paid for every day the contract runs, whether places are used or not."""
    return CostItem(name, param, f"open:{name}", "year", split=split)


def _transition(name: str, verb: str, param: str, split: tuple[str, str] | None = None) -> CostItem:
    """A one-off cost charged when a service is closed (exit, redundancy) or opened (setting up)."""
    return CostItem(name, param, f"count:{verb}_{name}", split=split)


def _day_service(name: str, label: str, census: str, nhs_pays: bool) -> ServiceSpec:
    p = f"services.{name}."
    split = (p + ("block_council_share" if nhs_pays else "block_nhs_share"), "council" if nhs_pays else "nhs")
    return ServiceSpec(
        name, label, "support", p + "open", p + "places", p + "block_cost_per_year", redirects_users=True, redirect_target=True,
        holds=name, waits=f"waiting_{name}", places_path=p + "places", join_rate=p + "referral_rate_per_year",
        leave_rate=p + "leave_rate_per_year", give_up_rate=p + "waiting_give_up_rate_per_year", census_path=census,
        effects=(Effect("crisis", p + "effect_on_crisis"), Effect("recovery", p + "effect_on_recovery"), Effect("work", p + "effect_on_work")),
        quality_of_life_gain=p + "quality_of_life_gain", closure_risk=(p + "closure_crisis_multiplier", p + "closure_risk_months"),
        costs=(_block(name, p + "block_cost_per_year", split), _transition(name, "closures", p + "closure_one_off_cost", split)),
        double_running=p + "double_running_months",
        events=(f"{name}.referral", f"{name}.leave", f"{name}.give_up"),
        users_metric=f"{name}_users_end",
        series=((f"{name}_users", name, f"{label}: users"), (f"{name}_waiting", f"waiting_{name}", f"{label}: waiting")),
    )


BUILT_IN: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "day_centre", "Day centre (Basildon)", "support", "services.day_centre.open", "services.day_centre.places",
        "services.day_centre.block_cost_per_year", redirects_users=True, redirect_target=True,
        holds="day_centre", waits="waiting_day_centre", places_path="services.day_centre.places",
        join_rate="services.day_centre.referral_rate_per_year", leave_rate="services.day_centre.leave_rate_per_year",
        give_up_rate="services.day_centre.waiting_give_up_rate_per_year", census_path="census.day_centre_users",
        effects=(Effect("crisis", "services.day_centre.effect_on_crisis"),
                 Effect("recovery", "services.day_centre.effect_on_recovery"),
                 Effect("work", "services.day_centre.effect_on_work")),
        quality_of_life_gain="services.day_centre.quality_of_life_gain",
        closure_risk=("services.day_centre.closure_crisis_multiplier", "services.day_centre.closure_risk_months"),
        costs=(_block("day_centre", "services.day_centre.block_cost_per_year", ("services.day_centre.block_council_share", "council")),
               _transition("day_centre", "closures", "services.day_centre.closure_one_off_cost",
                           ("services.day_centre.block_council_share", "council"))),
        double_running="services.day_centre.double_running_months",
        events=("day_centre.referral", "day_centre.leave", "day_centre.give_up"),
        users_metric="day_centre_users_end",
        series=(("day_centre_users", "day_centre", "Day centre users"),
                ("day_centre_waiting", "waiting_day_centre", "Waiting for the day centre")),
    ),
    ServiceSpec(
        "peer_support", "Peer support (Sociability)", "support", "services.peer_support.open",
        "services.peer_support.base_places", "services.peer_support.block_cost_per_year", redirects_users=True,
        redirect_target=True, holds="peer_support", waits="waiting_peer_support",
        places_path="services.peer_support.base_places", join_rate="services.peer_support.join_rate_per_year",
        join_excludes=("peer_leaders",),
        leave_rate="services.peer_support.leave_rate_per_year",
        give_up_rate="services.peer_support.waiting_give_up_rate_per_year", census_path="census.peer_support_members",
        effects=(Effect("crisis", "services.peer_support.effect_on_crisis", ("peer_support", "peer_leaders")),
                 Effect("recovery", "services.peer_support.effect_on_recovery", ("peer_support", "peer_leaders"))),
        quality_of_life_gain="services.peer_support.quality_of_life_gain", quality_holders=("peer_support", "peer_leaders"),
        costs=(_block("peer_support", "services.peer_support.block_cost_per_year", ("services.peer_support.block_council_share", "council")),
               CostItem("peer_support", "services.peer_support.peer_worker_pay_per_year", "stock:paid_peer_workers", "year"),
               _transition("peer_support", "openings", "services.peer_support.setup_cost",
                           ("services.peer_support.block_council_share", "council"))),
        events=("peer_support.join", "peer_support.leave", "peer_support.give_up"),
        users_metric="peer_support_members_end",
        series=(("peer_support_members", "peer_support", "Peer support members"),
                ("peer_leaders", "peer_leaders", "Active peer leaders")),
    ),
    ServiceSpec(
        "recovery_college", "Recovery College", "support", "services.recovery_college.open",
        "services.recovery_college.places_per_term", "services.recovery_college.budget_per_year", redirects_users=True,
        redirect_target=True, holds="recovery_college_students", waits="waiting_recovery_college",
        effects=(Effect("crisis", "services.recovery_college.effect_on_crisis", ("recovery_college_graduates",)),
                 Effect("recovery", "services.recovery_college.effect_on_recovery", ("recovery_college_graduates",)),
                 Effect("work", "services.recovery_college.effect_on_work", ("recovery_college_graduates",)),
                 Effect("relapse", "services.recovery_college.effect_on_relapse", ("recovery_college_graduates",))),
        quality_of_life_gain="services.recovery_college.quality_of_life_gain",
        quality_holders=("recovery_college_graduates",),
        costs=(_block("recovery_college", "services.recovery_college.budget_per_year"),),
        series=(("recovery_college_graduates", "recovery_college_graduates", "Recovery College graduates"),),
    ),
    ServiceSpec(
        "personal_budgets", "Personal budgets", "support", "services.personal_budgets.open", None,
        "services.personal_budgets.budget_per_year", redirect_target=True, holds="budget_holders",
        quality_of_life_gain="services.personal_budgets.quality_of_life_gain", gain_grows_with_market=True,
        costs=(CostItem("personal_budgets", "services.personal_budgets.budget_per_year", "stock:budget_holders-health_budget_holders",
                        "year", payer_override="council"),
               CostItem("personal_budgets", "services.personal_budgets.budget_per_year", "stock:health_budget_holders", "year",
                        payer_override="nhs"),
               CostItem("personal_budgets", "services.personal_budgets.assessment_cost", "count:budget_assessments_council",
                        payer_override="council"),
               CostItem("personal_budgets", "services.personal_budgets.assessment_cost", "count:budget_assessments_nhs",
                        payer_override="nhs")),
        series=(("budget_holders", "budget_holders", "Personal budget holders"),),
    ),
    ServiceSpec(
        "carer_support", "Carer support", "support", "services.carer_support.open", None,
        "services.carer_support.assessment_cost", holds="carer_supported",
        effects=(Effect("crisis", "services.carer_support.effect_on_crisis"),
                 Effect("step_up", "services.carer_support.effect_on_step_up")),
        costs=(CostItem("carer_support", "services.carer_support.assessment_cost", "count:carer_assessments"),),
        series=(("carers_supported", "carer_supported", "Carers supported"),),
    ),
    _day_service("county_day_services", "County day services", "census.county_day_services_users", nhs_pays=False),
    ServiceSpec(
        "crisis_home_treatment", "Crisis home treatment", "place", "services.crisis_home_treatment.open",
        "services.crisis_home_treatment.caseload", "services.crisis_home_treatment.cost_per_episode",
        costs=(CostItem("crisis_home_treatment", "services.crisis_home_treatment.cost_per_episode", "count:home_treatment_episodes"),),
    ),
    ServiceSpec(
        "acute_beds", "Acute beds", "place", None, "services.acute_beds.beds_in_area", "services.acute_beds.cost_per_bed_day",
        costs=(CostItem("acute_beds", "services.acute_beds.cost_per_bed_day", "stock:acute", "day"),
               CostItem("out_of_area_beds", "services.acute_beds.out_of_area_cost_per_bed_day", "stock:out_of_area", "day")),
    ),
    ServiceSpec(
        "enablement", "Intensive Enablement tenancies", "place", "services.enablement.open",
        "services.enablement.tenancies_operative", "services.enablement.cost_per_week",
        costs=(CostItem("enablement", "services.enablement.cost_per_week", "stock:enablement", "week"),),
    ),
    ServiceSpec(
        "residential_care", "Residential care", "place",
        costs=(CostItem("residential_care", "services.residential_care.cost_per_year", "stock:residential", "year"),),
    ),
    ServiceSpec(
        "zero_suicide", "Zero Suicide training", "programme",
        costs=(CostItem("zero_suicide", "programmes.zero_suicide.cost_per_trainee", "programme:zero_suicide_trainees"),),
    ),
    ServiceSpec(
        "carer_led_training", "Carer-led workforce training", "programme",
        costs=(CostItem("carer_led_training", "programmes.carer_led_training.trainer_pay_per_year", "programme:carer_trainer_days", "year"),
               CostItem("carer_led_training", "programmes.carer_led_training.cost_per_staff_trained", "programme:carer_staff_trained")),
    ),
)

REGISTRY: dict[str, ServiceSpec] = {s.name: s for s in BUILT_IN}
"""Every service, in a fixed order (the order in which their rules apply)."""


class _Services(dict):
    """The services a scenario action can name: every open-able or resizable one, live from the registry."""

    def _refresh(self) -> None:
        self.clear()
        self.update({n: s for n, s in REGISTRY.items() if s.open_path or s.capacity_path})


SERVICES: dict[str, ServiceSpec] = _Services()
SERVICES._refresh()  # type: ignore[attr-defined]
ServiceInfo = ServiceSpec
"""The older name of a service declaration."""

RAISED_RISK_KEY = "raised_crisis_risk"


HEALTH_BUDGETS = "personal_health_budgets"
"""A redirect target that is not a service of its own: referral for a personal health budget (NHS),
assessed by the personal-budgets machinery on the NHS route."""


def redirect_targets() -> tuple[str, ...]:
    """Supports that people losing a service can be referred on to (budgets first, as users are told)."""
    first = ("personal_budgets", HEALTH_BUDGETS, "peer_support", "day_centre", "recovery_college")
    known = set(REGISTRY) | {HEALTH_BUDGETS}
    return tuple(n for n in first if n in known) + tuple(n for n, s in REGISTRY.items() if s.redirect_target and n not in first)


REDIRECT_TARGETS = redirect_targets()
"""Built-in redirect targets (a registered support extends :func:`redirect_targets`)."""


def place_supports() -> tuple[ServiceSpec, ...]:
    """Supports run by the generic machinery (places, referrals, a waiting list), in registry order."""
    return tuple(s for s in REGISTRY.values() if s.generic)


def supports() -> tuple[ServiceSpec, ...]:
    return tuple(s for s in REGISTRY.values() if s.kind == "support")


def effects(outcome: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(holder flags, multiplier parameter) for every support effect on ``outcome``, in registry order."""
    return tuple((s.effect_holders(e), e.param) for s in REGISTRY.values() for e in s.effects if e.outcome == outcome)


ACCOUNT_ORDER = ("acute_beds", "crisis_home_treatment", "community_teams", "residential_care", "enablement", "day_centre",
                 "county_day_services", "peer_support", "recovery_college", "personal_budgets", "carer_support", "zero_suicide",
                 "carer_led_training")
"""The order of the cost account (places, then supports, then programmes); declared services follow."""


def cost_items() -> tuple[CostItem, ...]:
    """The cost account: every service's lines in account order, then suicides and lost output."""
    general: dict[str, list[CostItem]] = {c.service: [] for c in GENERAL_COSTS}
    for c in GENERAL_COSTS:
        general[c.service].append(c)
    names = list(ACCOUNT_ORDER) + [n for n in REGISTRY if n not in ACCOUNT_ORDER]
    lines: list[CostItem] = []
    for name in names:
        spec = REGISTRY.get(name)
        lines += list(spec.costs) if spec else general.get(name, [])
    return tuple(lines + general["suicides"] + general["lost_output"])


GENERAL_COSTS: tuple[CostItem, ...] = (
    CostItem("community_teams", "costs.community_team_per_year", "stock:community", "year"),
    CostItem("community_teams", "costs.community_team_per_year", "stock:enablement", "year"),
    CostItem("community_teams", "costs.community_team_per_year", "stock:waiting_for_bed", "year"),
    CostItem("suicides", "costs.suicide", "count:suicides", times="costs.suicide_share_outside_qalys"),
    CostItem("lost_output", "costs.lost_output_per_year_out_of_work", "stock:out_of_work", "year"),
)
"""Costs that belong to no one service: community teams, suicides, lost output."""

COST_LABELS = {
    "out_of_area_beds": "Acute beds (out of area)",
    "community_teams": "Community mental health teams",
    "suicides": "Suicides (wider costs)",
    "lost_output": "Lost output (out of work, everyone alive)",
    "acute_beds": "Acute beds (in area)",
}


def unit_cost_paths() -> dict[str, str]:
    """The cost lever of each service: the unit or block price a commissioner negotiates."""
    return {n: s.unit_cost_path for n, s in SERVICES.items() if s.unit_cost_path}


def service_label(name: str) -> str:
    """The one label of a service or cost line, as people read it."""
    if name in COST_LABELS:
        return COST_LABELS[name]
    spec = REGISTRY.get(name)
    if name == HEALTH_BUDGETS:
        return "Personal health budgets"
    return spec.label if spec else name.replace("_", " ")


def users_metric(spec: ServiceSpec) -> str:
    return spec.users_metric or f"{spec.name}_users_end"


def declared(path: str | None) -> str:
    """A parameter path a place support declares (``register`` refuses a place support without it)."""
    if path is None:
        raise ValueError("a place support is missing one of its parameter paths")
    return path


def wait_metric(spec: ServiceSpec) -> str:
    return spec.wait_metric or f"{spec.name}_mean_wait_days"


# ---------------------------------------------------------------------------
# Registering a new service


_LISTENERS: list = []
"""Callbacks run whenever the registry changes (modules that keep derived tables)."""


def on_change(callback) -> None:
    _LISTENERS.append(callback)


def _changed() -> None:
    global REDIRECT_TARGETS
    SERVICES._refresh()  # type: ignore[attr-defined]
    REDIRECT_TARGETS = redirect_targets()
    for callback in _LISTENERS:
        callback()


def register(spec: ServiceSpec) -> ServiceSpec:
    """Add a service. A place support gets its events named ``<name>.join/leave/give_up``;
    its parameters must be declared in the scenario (under ``services.<name>``)."""
    if spec.name in REGISTRY:
        raise ValueError(f"a service named '{spec.name}' is already declared")
    if spec.generic and not (spec.holds and spec.waits and spec.join_rate and spec.leave_rate and spec.give_up_rate):
        raise ValueError(f"place support '{spec.name}' needs holds, waits, join_rate, leave_rate and give_up_rate")
    if spec.generic and spec.events is None:
        from dataclasses import replace

        spec = replace(spec, events=(f"{spec.name}.join", f"{spec.name}.leave", f"{spec.name}.give_up"))
    REGISTRY[spec.name] = spec
    _changed()
    return spec


def unregister(name: str) -> None:
    if name in {s.name for s in BUILT_IN}:
        raise ValueError(f"'{name}' is built in")
    REGISTRY.pop(name, None)
    _changed()


@contextmanager
def registered(spec: ServiceSpec) -> Iterator[ServiceSpec]:
    """Declare a service for the duration of a ``with`` block (tests, experiments)."""
    spec = register(spec)
    try:
        yield spec
    finally:
        unregister(spec.name)

