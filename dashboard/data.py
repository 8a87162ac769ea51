"""Results as the dashboard sees them: one bundle per scenario.

Whether results come from ``mhsim run``/``compare`` output folders, from the
dashboard's own cache of the shipped scenarios, or from a scenario built in
the page, they are the same files (``results.write_outputs``) read into one
:class:`ScenarioResults` per scenario. Scenarios run with the same seed,
replications, years and scale can be compared replication by replication
(common random numbers), which is what every difference in the page is.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd

from simulation.experiment import Interval, metric_direction, paired_difference, t_interval, verdict
from simulation.costs import service_label
from simulation.outcomes import METRICS
from simulation.scenario import Scenario


@dataclass(frozen=True)
class Plan:
    """How a set of results was run; only results with equal plans are paired."""

    seed: int
    replications: int
    years: float
    scale: float
    warmup_years: float

    def describe(self) -> str:
        share = "the whole county" if self.scale >= 1 else f"{self.scale:g} of the county"
        return f"{self.replications} replications, {self.years:g} years, {share}, seed {self.seed}"


@dataclass
class ScenarioResults:
    """Everything the page shows about one scenario."""

    key: str
    label: str
    name: str
    description: str
    content_hash: str
    plan: Plan
    replications: pd.DataFrame  # one row per replication, a column per metric
    timeseries: pd.DataFrame    # replication, month, metric, value
    flows: pd.DataFrame         # replication, source, target, count
    manifest: dict = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    scenario: Scenario | None = None
    yaml_text: str | None = None
    origin: str = "shipped"     # shipped, results folder, built in the page

    def values(self, metric: str) -> list[float]:
        if metric not in self.replications.columns:
            return []
        return self.replications.sort_values("replication")[metric].astype(float).tolist()

    def interval(self, metric: str) -> Interval:
        return t_interval(self.values(metric))


def difference(alt: ScenarioResults, base: ScenarioResults, metric: str) -> Interval | None:
    """Paired difference alt - base, or None if the two cannot be paired."""
    if alt.plan != base.plan:
        return None
    a, b = alt.values(metric), base.values(metric)
    if not a or len(a) != len(b):
        return None
    return paired_difference(a, b)


SUBGROUP_LABELS = {
    "budget_eligible": "Eligible for a budget", "not_budget_eligible": "Not eligible",
    "with_carer": "With a carer", "without_carer": "Without a carer",
}
PAYER_NAMES = {"nhs": "NHS", "council": "council", "society": "wider society"}


def describe_metric(metric: str) -> tuple[str, str]:
    """(label, unit) in words for any column of the results, including cost items and sub-groups."""
    info = METRICS.get(metric)
    if info:
        return info.label, info.unit
    parts = metric.split(".")
    if len(parts) == 3 and parts[0] == "cost":
        service = service_label(parts[1])
        return f"{service}: {PAYER_NAMES.get(parts[2], parts[2])} cost", "£"
    if len(parts) == 2 and parts[0] in METRICS and parts[1] in SUBGROUP_LABELS:
        info = METRICS[parts[0]]
        return f"{info.label}: {SUBGROUP_LABELS[parts[1]].lower()}", info.unit
    return metric.replace("_", " "), ""


def comparison_table(base: ScenarioResults, others: list[ScenarioResults], metrics: Iterable[str]) -> pd.DataFrame:
    """Rows: metric x scenario, with mean, interval, paired difference and verdict."""
    rows = []
    for metric in metrics:
        label, unit = describe_metric(metric)
        for s in [base, *others]:
            iv = s.interval(metric)
            row = {
                "metric": metric,
                "label": label,
                "unit": unit,
                "scenario": s.label,
                "mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high, "n": iv.n,
                "delta_mean": math.nan, "delta_ci_low": math.nan, "delta_ci_high": math.nan, "verdict": "baseline",
            }
            if s is not base:
                d = difference(s, base, metric)
                if d is None:
                    row["verdict"] = "not comparable (different run settings)"
                else:
                    row.update(delta_mean=d.mean, delta_ci_low=d.low, delta_ci_high=d.high,
                               verdict=verdict(d, metric_direction(metric)))
            rows.append(row)
    return pd.DataFrame(rows)


def monthly_band(s: ScenarioResults, metric: str) -> pd.DataFrame:
    """Mean and 95% interval of a monthly metric across replications."""
    ts = s.timeseries[s.timeseries["metric"] == metric]
    rows = []
    for month, group in ts.groupby("month"):
        iv = t_interval(group["value"].tolist())
        rows.append({"month": int(month), "mean": iv.mean, "low": iv.low, "high": iv.high})
    return pd.DataFrame(rows, columns=["month", "mean", "low", "high"])


def mean_flows(s: ScenarioResults) -> pd.DataFrame:
    """Average number of moves between places per run."""
    if s.flows.empty:
        return pd.DataFrame(columns=["source", "target", "count"])
    n = max(1, s.plan.replications)
    g = s.flows.groupby(["source", "target"], as_index=False)["count"].sum()
    g["count"] = g["count"] / n
    return g


# ---------------------------------------------------------------------------
# Reading result folders


def _plan_from_manifest(manifest: dict, scenario_entry: dict) -> Plan:
    return Plan(
        seed=int(manifest.get("seed", 0)),
        replications=int(manifest.get("replications", 0)),
        years=float(scenario_entry.get("years") or manifest.get("years") or 0),
        scale=float(scenario_entry.get("scale") or manifest.get("scale") or 1),
        warmup_years=float(scenario_entry.get("warmup_years") or 0),
    )


def load_results_dir(path: Path, origin: str = "results folder") -> list[ScenarioResults]:
    """Read what ``mhsim run``/``compare`` wrote into ``path`` (one bundle per scenario)."""
    path = Path(path)
    manifest = json.loads((path / "manifest.json").read_text())
    reps = pd.read_parquet(path / "replications.parquet")
    ts = pd.read_parquet(path / "timeseries.parquet")
    flows = pd.read_parquet(path / "flows.parquet") if (path / "flows.parquet").exists() else pd.DataFrame(
        columns=["scenario", "replication", "source", "target", "count"])
    out = []
    for entry in manifest["scenarios"]:
        label = entry.get("label", entry["name"])
        plan = _plan_from_manifest(manifest, entry)
        out.append(ScenarioResults(
            key=f"{entry['content_hash']}:{_plan_key(plan)}",
            label=label,
            name=entry["name"],
            description=entry.get("description", ""),
            content_hash=entry["content_hash"],
            plan=plan,
            replications=reps[reps["scenario"] == label].drop(columns=["scenario"]).reset_index(drop=True),
            timeseries=ts[ts["scenario"] == label].drop(columns=["scenario"]).reset_index(drop=True),
            flows=flows[flows["scenario"] == label].drop(columns=["scenario"]).reset_index(drop=True),
            manifest=manifest,
            actions=tuple(entry.get("actions", ())),
            origin=origin,
        ))
    return out


def _plan_key(plan: Plan) -> str:
    return f"s{plan.seed}-r{plan.replications}-y{plan.years:g}-x{plan.scale:g}-w{plan.warmup_years:g}"


# ---------------------------------------------------------------------------
# The cache of runs made by the dashboard


def cache_root() -> Path:
    """Where the dashboard keeps results it has run (``MHSIM_CACHE`` overrides)."""
    env = os.environ.get("MHSIM_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mhsim"


def cache_key(scenario: Scenario, plan: Plan) -> str:
    """Results depend on the scenario's content, the run plan and the model's code."""
    from simulation import MODEL_VERSION, model_fingerprint

    text = json.dumps([scenario.content_hash, plan.seed, plan.replications, plan.years, plan.scale,
                       plan.warmup_years, MODEL_VERSION, model_fingerprint()])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached(scenario: Scenario, plan: Plan) -> Path | None:
    path = cache_root() / cache_key(scenario, plan)
    return path if (path / "manifest.json").exists() else None
