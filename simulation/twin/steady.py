"""The long-run state of a scenario, solved directly (for recalibration).

The baseline should be in balance: its census the model's equilibrium, or
any trend declared. :func:`steady_state` finds the state where every stock of
the twin stops changing under a scenario's starting parameters, with the
programmes at their long-run values (training stocks at inflow / outflow,
the budget market mature): it integrates towards it, then solves
``dN/dt = dA/dt = 0`` with a Jacobian-free Newton-Krylov method, and
reports the residual. :meth:`SteadyState.census_values` gives the
``census.*`` and ``population.*`` values that would start a run there.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import NoConvergence, newton_krylov

from ..parameters import DAYS_PER_YEAR
from ..scenario import Scenario
from .flows import CL_INFLOW, CL_OUTFLOW, CL_TRAINED, MARKET, MARKET_PER_YEAR, ZS_INFLOW, ZS_OUTFLOW, ZS_TRAINED
from .layout import (
    ACUTE_FROM_COMMUNITY, ACUTE_FROM_ENABLEMENT, ACUTE_FROM_RESIDENTIAL, IN_COMMUNITY, IN_ENABLEMENT, IN_HOME_TREATMENT,
    IN_RECOVERED, IN_RESIDENTIAL, OUT_OF_AREA_FROM_COMMUNITY, OUT_OF_AREA_FROM_ENABLEMENT, OUT_OF_AREA_FROM_RESIDENTIAL,
)
from .solver import integrate_segment


@dataclass(frozen=True)
class SteadyState:
    """Expected numbers in each stock in the long run, and how still they are."""

    levels: dict[str, float]
    """Every stock's level (all sub-groups)."""
    residual: float
    """Largest rate of change left in any compartment (people a day); ``converged`` when at most 1e-4
    (under 0.04 people a year)."""
    converged: bool
    y: np.ndarray
    places: dict[str, float]

    def census_values(self) -> dict[str, float]:
        """The starting values (parameter paths) that would put a run at this state."""
        lv, pl = self.levels, self.places
        return {
            "population.in_contact_at_start": sum(pl[k] for k in pl if k != "recovered"),
            "population.recovered_at_start": pl["recovered"],
            "census.in_home_treatment": pl["home_treatment"],
            "census.in_acute_beds": pl["acute"],
            "census.out_of_area": pl["out_of_area"],
            "census.in_residential_care": pl["residential"],
            "census.in_enablement": pl["enablement"],
            "census.waiting_for_enablement": lv["waiting_enablement"],
            "census.day_centre_users": lv["day_centre"],
            "census.peer_support_members": lv["peer_support"],
            "census.peer_leaders": lv["peer_leaders"],
            "census.recovery_college_graduates": lv["recovery_college_graduates"],
        }


def steady_state(scenario: Scenario, settle_years: float = 40.0, f_tol: float = 1e-5, attempts: int = 5) -> SteadyState:
    """The scenario's long-run state under its starting parameters (its actions are not applied).

    Newton-Krylov starts from the state after ``settle_years``; if it does not converge from there,
    the state settles for another ``settle_years`` and it starts again (at most ``attempts`` times):
    the calibrated baseline's solve converges from 160 years. A Newton run that wanders off (a worse residual than the
    settled state, or not finite) is dropped for the settled state."""
    from . import TOLERANCE, Twin

    twin = Twin(scenario, years=1.0, warmup_years=0.0)
    par = twin.args[0].copy()
    for trained, inflow, outflow in ((ZS_TRAINED, ZS_INFLOW, ZS_OUTFLOW), (CL_TRAINED, CL_INFLOW, CL_OUTFLOW)):
        if par[outflow] > 0:
            par[trained] = par[inflow] / par[outflow]
    if par[MARKET_PER_YEAR] > 0 or par[MARKET] > 0:
        par[MARKET], par[MARKET_PER_YEAR] = 1.0, 0.0
    twin.args = (par,) + twin.args[1:]
    lay = twin.layout
    y = twin.census()
    n = lay.o_counters
    rest = y.copy()

    def residual(x: np.ndarray) -> np.ndarray:
        rest[:n] = x
        return twin.derivatives(0.0, rest)[:n]

    for _ in range(max(1, attempts)):
        _, y, _ = integrate_segment(0.0, settle_years * DAYS_PER_YEAR, y, [], [twin.args], [lay.size],
                                    TOLERANCE.rtol, TOLERANCE.atol, TOLERANCE.max_step, TOLERANCE.method)
        rest[:] = y
        settled = y[:n].copy()
        try:
            with warnings.catch_warnings():   # SciPy's step test divides 0 by 0 when a step is exactly zero: harmless
                warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
                x = newton_krylov(residual, settled, f_tol=f_tol, maxiter=200, method="lgmres")
            break
        except (NoConvergence, ValueError, FloatingPointError) as exc:   # settle further and start again
            x = exc.args[0] if isinstance(exc, NoConvergence) else settled
        if not np.all(np.isfinite(x)) or np.max(np.abs(residual(np.maximum(x, 0.0)))) > np.max(np.abs(residual(settled))):
            x = settled                 # a Newton step that wandered off is worse than the settled state: keep that
    x = np.maximum(x, 0.0)
    left = float(np.max(np.abs(residual(x))))
    full = rest.copy()
    full[:n] = x
    snap = twin.snapshot(0.0, full)
    levels = {k: float(sum(v)) for k, v in snap.levels.items()}
    N = twin.people(full)
    groups = {
        "community": (IN_COMMUNITY,), "home_treatment": (IN_HOME_TREATMENT,),
        "acute": (ACUTE_FROM_COMMUNITY, ACUTE_FROM_RESIDENTIAL, ACUTE_FROM_ENABLEMENT),
        "out_of_area": (OUT_OF_AREA_FROM_COMMUNITY, OUT_OF_AREA_FROM_RESIDENTIAL, OUT_OF_AREA_FROM_ENABLEMENT),
        "residential": (IN_RESIDENTIAL,), "enablement": (IN_ENABLEMENT,), "recovered": (IN_RECOVERED,),
    }
    places = {k: float(N[list(v)].sum()) for k, v in groups.items()}
    return SteadyState(levels, left, left <= 1e-4, full, places)
