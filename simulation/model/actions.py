"""Scenario actions: open, close, resize or set, at a date.

An action makes a new version of the parameters in force from its date.
Closing a support whose users hold places takes the places away and
redirects each user by the action's shares (to a budget assessment if
eligible, a peer or day-centre place if one is free or else its waiting
list, or the Recovery College's list; nothing if that service is closed);
actions of one date take effect together (closures last, so places added
that day are there for the users); users left without a new place face
a raised crisis risk for some months. Afterwards only people whose rates
changed are woken, so everyone else's life runs on untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import catalogue
from ..parameters import DAYS_PER_MONTH
from ..people import N_ALIVE_PLACES, RAISED_RISK, Person
from ..scenario import Action, in_force_order
from .life import REDIRECT, situation

if TYPE_CHECKING:
    from . import CountyModel


class Actions:
    """Applies a scenario's timed decisions."""

    def __init__(self, model: "CountyModel"):
        self.m = model
        self.ledger = model.ledger

    def process(self):
        m = self.m
        env = m.env
        for action in in_force_order(m.scenario.actions):
            t = m.warmup_days + action.day
            if t > m.end:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            self.apply(action)
            m.snapshot(env.now)

    def apply(self, action: Action) -> None:
        m = self.m
        values = dict(m.versions[-1])
        values.update(action.values)
        spec = catalogue.SERVICES.get(action.service) if action.service else None
        if action.verb == "open" and spec and spec.open_path:
            values[spec.open_path] = True
        elif action.verb == "close" and spec and spec.open_path:
            values[spec.open_path] = False
        old_referrals = m.P.population.referrals_per_year
        closing = action.verb == "close" and m.open.get(action.service or "", False)
        opening = action.verb == "open" and not m.open.get(action.service or "", True)
        old_tables = dict(m.lives.tables)
        m.apply_values(values)
        if closing:
            self.ledger.counts[f"closures_{action.service}"][0] += 1
            self.close(action)
        if opening:
            self.ledger.counts[f"openings_{action.service}"][0] += 1
            if action.service == m.college.NAME:
                m.college.reopened()
            if action.service == m.peer.NAME:
                m.peer.on_open()
        # More room anywhere lets the waiting lists move.
        m.supports.fill_all()
        m.housing.fill()
        if m.crisis.queue_beds:
            m.crisis.fill_beds()
        if m.P.population.referrals_per_year != old_referrals:
            m.arrivals_process.interrupt()
        self.wake_changed(old_tables)

    def wake_changed(self, old_tables: dict) -> None:
        """Re-plan only those whose rates changed: their situation's table differs under the new
        parameters, or the action changed their situation (a closure took their place)."""
        lives = self.m.lives
        changed = {key for key, old in old_tables.items() if not lives.table(key).same_rates(old)}   # built once, kept
        for p in self.ledger.people:
            if p.place < N_ALIVE_PLACES and p.tab is not None:
                if p.key in changed or p.key != situation(p):
                    lives.wake(p)

    def risk_level(self, multiplier: float) -> int:
        levels = self.m.risk_multipliers
        if multiplier not in levels:
            levels.append(multiplier)
        return levels.index(multiplier)

    # -- closing a support -------------------------------------------------------------
    def close(self, action: Action) -> None:
        """A support closes: its users lose their places and are redirected."""
        m = self.m
        name = action.service or ""
        spec = catalogue.REGISTRY[name]
        if name == m.housing.enablement.name:
            m.housing.close()
            return
        if not spec.redirects_users:
            return
        multiplier, months = self.closure_risk(action, spec)
        users = self.users_of(name)
        if name == m.college.NAME:
            m.college.clear_waiting()
        else:
            m.supports.clear_waiting(name)
        if name == m.peer.NAME:
            m.peer.on_close()
        if name == m.college.NAME:
            m.college.on_close()
        level = self.risk_level(multiplier) if multiplier != 1.0 and months > 0 else 0
        for p in users:
            self.displace(p, name, action, level, months)

    def closure_risk(self, action: Action, spec: catalogue.ServiceSpec) -> tuple[float, float]:
        """The raised crisis risk for users left without a place: the action's, else the service's declared one."""
        if action.raised_risk is not None:
            return action.raised_risk
        if spec.closure_risk:
            P = self.m.P
            return P.get(spec.closure_risk[0]), P.get(spec.closure_risk[1])
        return 1.0, 0.0

    def users_of(self, name: str) -> list[Person]:
        m = self.m
        return m.college.users() if name == m.college.NAME else m.supports.users(name)

    def displace(self, p: Person, name: str, action: Action, level: int, months: float) -> None:
        """One user loses their place, is sent on by the redirect shares, and maybe faces raised risk."""
        m, ledger = self.m, self.ledger
        if name == m.college.NAME:
            m.college.take_place_away(p)
        else:
            m.supports.take_place_away(name, p)
        ledger.count("support_losses_on_closure", p)
        referred = target = self.redirect_target(p, action.redirect)
        got_place = False
        if target != "nothing":
            target, got_place = self.send(p, target)
        ledger.counts[f"redirected_{target}"][p.group] += 1
        m.cohorts.sent(p, sent_to(target, got_place, referred))
        if not got_place and level:
            p.risk = level
            ledger.set(p, RAISED_RISK)
            p.t_risk_window = m.env.now + months * DAYS_PER_MONTH
            p.update_timer()

    def send(self, p: Person, target: str) -> tuple[str, bool]:
        """Refer someone to ``target``: (where they were counted as sent, whether they got a place)."""
        m = self.m
        if target == m.budgets.NAME:
            return m.budgets.redirect(p)
        if target == catalogue.HEALTH_BUDGETS:
            return m.budgets.redirect(p, health=True)
        if target == m.college.NAME:
            return m.college.redirect(p)
        return m.supports.redirect(target, p)

    def redirect_target(self, p: Person, redirect: tuple[tuple[str, float], ...]) -> str:
        u = self.m.lives.route(p, REDIRECT)
        acc = 0.0
        for target, share in redirect:
            acc += share
            if u < acc:
                return target
        return "nothing"


def sent_to(target: str, got_place: bool, referred: str | None = None) -> str:
    """Where a closure sent someone, as the cohort reports it. Someone referred to a service that could not take
    them (a budget they are not eligible for, or a closed service) got nothing, but was referred: the cohort says
    ``<referred>_not_taken``, so that "referred nowhere" means only the share the closure sent nowhere."""
    if target == "nothing":
        return f"{referred}_not_taken" if referred not in (None, "nothing") else "nothing"
    if target in ("personal_budgets", catalogue.HEALTH_BUDGETS):
        return f"{target}_assessed"
    return f"{target}_place" if got_place else f"{target}_waiting_list"
