"""Which verdicts depend on a declared assumption: notes for a comparison, from a PSA's thresholds.

``mhsim psa`` writes ``psa-thresholds.csv``: for the parameters with the
highest EVPPI, the value within the declared range at which the preferred of
a decision and the reference switches (the expected incremental net benefit,
the other parameters averaged, crosses zero). A comparison of the same
scenarios can then say, beside each verdict on net monetary benefit, which
declared assumption it rests on: "preferred below X, not above". The
comparison's rows ``nmb_20k`` and ``nmb_30k`` take the notes of the
thresholds at £20,000 and £30,000 per QALY.

Kept free of the command line so that the dashboard can show the same notes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from .errors import Problem, display_path

THRESHOLDS_FILE = "psa-thresholds.csv"
METRIC_THRESHOLDS = {"nmb_20k": 20_000, "nmb_30k": 30_000}
"""The comparison rows a PSA's thresholds speak to, and the threshold (£ per QALY) of each."""


def assumption_problems(psa_dir: Path, scenarios: Sequence[Any]) -> list[Problem]:
    """Whether ``psa_dir`` is a finished PSA of these scenarios (by name), the first being its reference."""
    where = display_path(psa_dir)
    manifest_file = Path(psa_dir) / "sweep-manifest.json"
    if not (Path(psa_dir) / THRESHOLDS_FILE).is_file() or not manifest_file.is_file():
        return [Problem(where, f"is not a finished PSA folder (no {THRESHOLDS_FILE})", field="--assumptions",
                        allowed="a folder written by 'mhsim psa' on the same scenarios")]
    try:
        arms = [a["label"] for a in json.loads(manifest_file.read_text())["spec"]["arms"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Problem(where, f"its PSA manifest cannot be read: {exc}", field="--assumptions")]
    problems = []
    if scenarios and arms and scenarios[0].name != arms[0]:
        problems.append(Problem(where, "its PSA's reference is not this comparison's baseline", field="--assumptions",
                                value=arms[0], allowed=f"a PSA whose first scenario is '{scenarios[0].name}'"))
    missing = [s.name for s in scenarios[1:] if s.name not in arms]
    if missing:
        problems.append(Problem(where, "its PSA did not run every compared scenario", field="--assumptions",
                                value=", ".join(missing), allowed="a PSA of: " + ", ".join(s.name for s in scenarios)))
    return problems


def load_thresholds(psa_dir: Path) -> pd.DataFrame:
    return pd.read_csv(Path(psa_dir) / THRESHOLDS_FILE)


def switch_note(row: Any) -> str:
    """One threshold as words: the parameter, where the preferred decision switches, and the declared range."""
    label = row.label if isinstance(row.label, str) and row.label != row.parameter else ""
    name = f"{label} ({row.parameter})" if label else str(row.parameter)
    return (f"{name}: {row.preferred_below} preferred below {row.switch_value:,.4g}, {row.preferred_above} above "
            f"(declared range {row.low:,.4g} to {row.high:,.4g})")


def assumption_notes(thresholds: pd.DataFrame, labels: Mapping[str, str] | None = None) -> dict[tuple[str, str], str]:
    """``(scenario, metric) -> note`` for every comparison row whose preferred option switches within a
    parameter's declared range (``labels`` maps the PSA's scenario names to the comparison's labels)."""
    labels = labels or {}
    notes: dict[tuple[str, str], list[str]] = {}
    switching = thresholds[thresholds["switch_value"].notna()]
    for metric, lam in METRIC_THRESHOLDS.items():
        for row in switching[switching["threshold_wtp"] == lam].itertuples():
            key = (labels.get(row.scenario, row.scenario), metric)
            notes.setdefault(key, []).append(switch_note(row))
    return {k: "; ".join(v) for k, v in notes.items()}


def notes_for(psa_dir: Path, scenarios: Sequence[Any], labels: Sequence[str]) -> dict[tuple[str, str], str]:
    """The notes for a comparison of ``scenarios`` (shown as ``labels``) from the PSA in ``psa_dir``."""
    return assumption_notes(load_thresholds(psa_dir), {s.name: lb for s, lb in zip(scenarios, labels)})
