"""The regression check: a small fixed run against numbers stored from an earlier version.

This is not validation (the stored numbers are the model's own output, not
data), and not a test of correctness: the independent checks of the numbers
live in ``test_cost_account``, ``test_events``, ``test_closures`` and
``test_windows``. It catches *unintended* changes: a refactor that should
leave every number bit for bit as it was, or a change that moves numbers it
was not meant to.

When a change is meant to move the numbers, update the file on purpose and
say why (the reason is stored in the file, with the date)::

    make regression-update REASON="per-event clocks: every replication re-randomised"

The test itself never writes the file, and CI refuses the old environment
variable, so an update cannot happen by accident.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STORED = HERE / "data" / "regression_check.json"
from simulation.outcomes import HEADLINE as METRICS  # noqa: E402  (the headline outcomes)


def current() -> dict[str, dict[str, float]]:
    """The fixed run: baseline and day-centre closure, two replications each, 2 years, scale 0.04, seed 2024."""
    from simulation.experiment import run_replication
    from simulation.scenario import SHIPPED_SCENARIOS, load_scenario

    out = {}
    for file in ("baseline.yaml", "close_day_centre.yaml"):
        scenario = load_scenario(SHIPPED_SCENARIOS / file)
        for rep in (0, 1):
            result = run_replication(scenario, 2024, rep, 2, 0.04, 0.0)
            out[f"{scenario.name} #{rep}"] = {m: result.metrics[m] for m in METRICS}
    return out


def stored() -> dict:
    data = json.loads(STORED.read_text())
    return data


def update(reason: str) -> None:
    """Store the current numbers with the reason and the date (kept in the file's history)."""
    from simulation import model_fingerprint

    if len(reason.strip()) < 10:
        raise SystemExit("say why the numbers changed (--reason, at least a few words)")
    old = json.loads(STORED.read_text()) if STORED.exists() else {}
    history = list(old.get("history", []))
    history.append({"date": dt.date.today().isoformat(), "reason": reason.strip(), "model_fingerprint": model_fingerprint()})
    body = {"about": "Regression check (not validation): numbers the model produced, stored to catch unintended changes.",
            "history": history, "results": current()}
    STORED.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    print(f"updated {STORED.name}: {reason.strip()}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["update"])
    parser.add_argument("--reason", required=True, help="why the numbers changed")
    args = parser.parse_args()
    update(args.reason)
