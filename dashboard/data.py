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
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from simulation.experiment import Interval, metric_direction, paired_difference, t_interval, verdict
from simulation.costs import service_label
from simulation.errors import InputError, Problem, display_path
from simulation.outcomes import METRICS
from simulation.scenario import Scenario
from simulation.yamlfile import read_bounded
from simulation.formatting import years as years_text


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
        return f"{self.replications} replications, {years_text(self.years)}, {share}, seed {self.seed}"


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
    cohort: pd.DataFrame | None = None         # cohort.parquet's rows for this scenario (the people a closure displaced)
    horizons: pd.DataFrame | None = None       # horizons.csv's rows for this scenario, against ``versus``
    budget_impact: pd.DataFrame | None = None  # budget_impact.csv's rows for this scenario, against ``versus``
    versus: str | None = None                  # content hash of the baseline those files compare with
    versus_label: str | None = None            # and its name
    _monthly: list | None = field(default=None, repr=False, compare=False)
    _values: dict = field(default_factory=dict, repr=False, compare=False)   # metric -> values in replication order

    def monthly(self) -> list[dict[str, tuple[float, ...]]]:
        """Each replication's monthly series (metric -> values by month), in replication order."""
        if self._monthly is None:
            ts = self.timeseries.sort_values(["replication", "metric", "month"])
            out = []
            for _, rep in ts.groupby("replication", sort=True):
                out.append({m: tuple(g["value"].astype(float)) for m, g in rep.groupby("metric", sort=False)})
            self._monthly = out
        return self._monthly

    def values(self, metric: str) -> list[float]:
        if metric not in self.replications.columns:
            # a cost line only another scenario has (it moved a cost to another payer) is £0 here
            return [0.0] * len(self.replications) if metric.startswith("cost.") else []
        if metric not in self._values:   # results never change once made: sort once per metric
            self._values[metric] = self.replications.sort_values("replication")[metric].astype(float).tolist()
        return list(self._values[metric])

    def interval(self, metric: str) -> Interval:
        return t_interval(self.values(metric))


def _precomputed(alt: ScenarioResults, base: ScenarioResults, frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """A table the run wrote against ``base`` (same baseline content and run settings), or None."""
    if frame is None or alt.versus is None or alt.versus != base.content_hash or alt.plan != base.plan:
        return None
    return frame


def horizons(base: ScenarioResults, alt: ScenarioResults) -> pd.DataFrame | None:
    """Differences at 1, 3, 5 and 10 years (simulation.horizons): the run's own horizons.csv when it was made
    against this baseline, else paired here from the two runs' monthly series; None if they cannot be paired."""
    from simulation.horizons import pair_horizon_rows

    done = _precomputed(alt, base, alt.horizons)
    if done is not None:
        return done
    if alt.plan != base.plan or alt.timeseries.empty or base.timeseries.empty:
        return None
    return pd.DataFrame(pair_horizon_rows(alt.label, base.monthly(), alt.monthly()))


def start_date(s: ScenarioResults):
    """The first month of the reported period (the scenario's settings, else the shipped baseline's)."""
    if s.scenario is not None:
        return s.scenario.settings.start_date
    from simulation.scenario import BASELINE_FILE, load_scenario

    return load_scenario(BASELINE_FILE).settings.start_date


def budget_impact(base: ScenarioResults, alt: ScenarioResults) -> pd.DataFrame | None:
    """Undiscounted spending by financial year and payer (simulation.horizons), as for :func:`horizons`."""
    from simulation.horizons import pair_budget_impact_rows

    done = _precomputed(alt, base, alt.budget_impact)
    if done is not None:
        return done
    if alt.plan != base.plan or alt.timeseries.empty or base.timeseries.empty:
        return None
    if "spend_nhs" not in set(alt.timeseries["metric"]) or "spend_nhs" not in set(base.timeseries["metric"]):
        return None
    return pd.DataFrame(pair_budget_impact_rows(alt.label, start_date(alt), base.monthly(), alt.monthly()))


PERSPECTIVE_COSTS: dict[str, tuple[str, ...]] = {"health_and_care": ("cost_nhs", "cost_council"), "all": ("total_cost",)}
"""The costs each perspective counts: health and care (the NHS and the council, the reference case the net monetary
benefit uses), or all costs, including wider society (output lost by people out of work and the other costs outside
health and care budgets)."""


def perspective_cost(s: ScenarioResults, perspective: str) -> list[float]:
    """Each replication's cost from a perspective of :data:`PERSPECTIVE_COSTS` (empty when the results lack one)."""
    columns = [s.values(m) for m in PERSPECTIVE_COSTS[perspective]]
    if any(len(c) != len(s.replications) or not c for c in columns):
        return []
    return [sum(row) for row in zip(*columns)]


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


def monthly_difference(alt: ScenarioResults, base: ScenarioResults, metric: str) -> pd.DataFrame:
    """The paired difference alt - base of a monthly metric, month by month, with its 95% interval
    (replication r of one against replication r of the other); empty if the two cannot be paired."""
    cols = ["month", "mean", "low", "high"]
    if alt.plan != base.plan:
        return pd.DataFrame(columns=cols)
    a = alt.timeseries[alt.timeseries["metric"] == metric].pivot_table(index="month", columns="replication", values="value")
    b = base.timeseries[base.timeseries["metric"] == metric].pivot_table(index="month", columns="replication", values="value")
    if a.empty or b.empty or list(a.columns) != list(b.columns):
        return pd.DataFrame(columns=cols)
    months = a.index.intersection(b.index)
    rows = []
    for month in months:
        d = paired_difference(a.loc[month].tolist(), b.loc[month].tolist())
        rows.append({"month": int(month), "mean": d.mean, "low": d.low, "high": d.high})
    return pd.DataFrame(rows, columns=cols)


def action_months(s: ScenarioResults) -> list[tuple[float, str]]:
    """(month, what) of each timed action of a scenario (none known for a results folder without its file)."""
    from simulation.parameters import DAYS_PER_MONTH

    if s.scenario is None:
        return []
    return [(a.day / DAYS_PER_MONTH, a.describe()) for a in s.scenario.actions]


def mean_flows(s: ScenarioResults) -> pd.DataFrame:
    """Average number of moves between places per run."""
    if s.flows.empty:
        return pd.DataFrame(columns=["source", "target", "count"])
    n = max(1, s.plan.replications)
    g = s.flows.groupby(["source", "target"], as_index=False)["count"].sum()
    g["count"] = g["count"] / n
    return g


def price_year() -> int:
    """The model's price year (:func:`simulation.costs.price_year`, read once): every money figure is in its pounds."""
    global _PRICE_YEAR
    if _PRICE_YEAR is None:
        from simulation.costs import price_year as model_price_year

        _PRICE_YEAR = model_price_year()
    return _PRICE_YEAR


_PRICE_YEAR: int | None = None


def prices(base: "ScenarioResults | None" = None) -> str:
    """'2024 prices': how every money figure of the page says which year's pounds it is in (the price year of
    ``base``'s parameters when given, else the shipped parameters')."""
    if base is not None and base.scenario is not None:
        from simulation.costs import price_year as model_price_year

        return f"{model_price_year(base.scenario.values)} prices"
    return f"{price_year()} prices"


def flow_differences(alt: ScenarioResults, base: ScenarioResults) -> pd.DataFrame:
    """Moves between places in ``alt`` less those in ``base`` over the run (whole county), paired replication by
    replication, with 95% intervals: source, target, decision (alt's mean), baseline (base's mean), mean, low, high.
    Empty if the two cannot be paired."""
    cols = ["source", "target", "decision", "baseline", "mean", "low", "high"]
    if alt.plan != base.plan or alt.flows.empty or base.flows.empty:
        return pd.DataFrame(columns=cols)
    reps = sorted(set(alt.flows["replication"]) | set(base.flows["replication"]))

    def table(s: ScenarioResults) -> pd.DataFrame:
        return s.flows.pivot_table(index=["source", "target"], columns="replication", values="count", aggfunc="sum",
                                   fill_value=0.0).reindex(columns=reps, fill_value=0.0)

    a, b = table(alt), table(base)
    index = a.index.union(b.index)
    a, b = a.reindex(index, fill_value=0.0), b.reindex(index, fill_value=0.0)
    rows = []
    for (source, target), ra in a.iterrows():
        rb = b.loc[(source, target)]
        d = paired_difference(ra.tolist(), rb.tolist())
        rows.append({"source": source, "target": target, "decision": float(ra.mean()), "baseline": float(rb.mean()),
                     "mean": d.mean, "low": d.low, "high": d.high})
    return pd.DataFrame(rows, columns=cols)


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
    """Read what ``mhsim run``/``compare`` wrote into ``path`` (one bundle per scenario).

    Raises InputError naming the file and what is wrong if the folder is damaged or not a results folder.
    """
    path = Path(path)
    shown = display_path(path)

    def bad(file: str, message: str, field: str | None = None) -> InputError:
        return InputError([Problem(f"{shown}/{file}", message, field=field,
                                   allowed="a complete folder written by 'mhsim run' or 'mhsim compare' (run it again)")])

    try:
        manifest = json.loads(read_bounded(path / "manifest.json", f"{shown}/manifest.json", 50_000_000))
    except ValueError as exc:
        raise bad("manifest.json", f"is not readable JSON ({exc.__class__.__name__})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("scenarios"), list) or not manifest["scenarios"]:
        raise bad("manifest.json", "does not list the scenarios run", "scenarios")
    tables = {}
    for name in ("replications.parquet", "timeseries.parquet", "flows.parquet"):
        if name == "flows.parquet" and not (path / name).exists():
            tables[name] = pd.DataFrame(columns=["scenario", "replication", "source", "target", "count"])
            continue
        try:
            tables[name] = pd.read_parquet(path / name)
        except FileNotFoundError:
            raise bad(name, "is missing") from None
        except Exception as exc:  # pyarrow reports damage in many ways
            raise bad(name, f"cannot be read: it is damaged ({exc.__class__.__name__})") from None
    reps, ts, flows = tables["replications.parquet"], tables["timeseries.parquet"], tables["flows.parquet"]
    optional = _optional_tables(path, bad)
    for name, frame, need in (("replications.parquet", reps, ("scenario", "replication")),
                              ("timeseries.parquet", ts, ("scenario", "replication", "month", "metric", "value")),
                              ("flows.parquet", flows, ("scenario", "replication", "source", "target", "count"))):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise bad(name, f"lacks the column(s) {', '.join(missing)}")
    out = []
    base_label = manifest.get("baseline")
    versus = next((e for e in manifest["scenarios"] if isinstance(e, dict) and base_label is not None
                   and e.get("label", e.get("name")) == base_label), None)
    for i, entry in enumerate(manifest["scenarios"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("content_hash"), str) or not isinstance(entry.get("name"), str):
            raise bad("manifest.json", "a scenario entry lacks its name or content_hash", f"scenarios[{i}]")
        label = str(entry.get("label", entry["name"]))
        try:
            plan = _plan_from_manifest(manifest, entry)
        except (TypeError, ValueError):
            raise bad("manifest.json", "the run settings (seed, replications, years, scale) are not numbers") from None
        mine = reps[reps["scenario"] == label].drop(columns=["scenario"]).reset_index(drop=True)
        if len(mine) != plan.replications:
            raise bad("replications.parquet", f"holds {len(mine)} replications of '{label}', not the {plan.replications} "
                                              "the manifest says")
        numbers = mine.select_dtypes("number")
        if not np.isfinite(numbers.to_numpy(dtype=float)).all():
            raise bad("replications.parquet", f"holds numbers that are infinite or not a number for '{label}'")
        out.append(ScenarioResults(
            key=f"{entry['content_hash']}:{_plan_key(plan)}",
            label=label,
            name=entry["name"],
            description=str(entry.get("description", "")),
            content_hash=entry["content_hash"],
            plan=plan,
            replications=mine,
            timeseries=ts[ts["scenario"] == label].drop(columns=["scenario"]).reset_index(drop=True),
            flows=flows[flows["scenario"] == label].drop(columns=["scenario"]).reset_index(drop=True),
            manifest=manifest,
            actions=tuple(str(a) for a in entry.get("actions", ()) or ()),
            origin=origin,
            cohort=_rows_of(optional.get("cohort.parquet"), label),
            horizons=_rows_of(optional.get("horizons.csv"), label),
            budget_impact=_rows_of(optional.get("budget_impact.csv"), label),
            versus=versus.get("content_hash") if versus else None,
            versus_label=str(versus.get("label", versus.get("name"))) if versus else None,
        ))
    return out


OPTIONAL_FILES = {
    "cohort.parquet": ("scenario", "replication", "service", "pid", "sent_to"),
    "horizons.csv": ("scenario", "metric", "horizon_years", "baseline_mean", "delta_mean", "delta_ci_low", "delta_ci_high"),
    "budget_impact.csv": ("scenario", "payer", "financial_year", "months", "baseline_spend", "scenario_spend", "difference",
                          "difference_ci_low", "difference_ci_high"),
}
"""Files a newer run writes beside the required ones (older folders lack them and still load)."""


def _optional_tables(path: Path, bad) -> dict[str, pd.DataFrame]:
    out = {}
    for name, need in OPTIONAL_FILES.items():
        if not (path / name).exists():
            continue
        try:
            frame = pd.read_parquet(path / name) if name.endswith(".parquet") else pd.read_csv(path / name)
        except Exception as exc:  # pyarrow and the CSV reader report damage in many ways
            raise bad(name, f"cannot be read: it is damaged ({exc.__class__.__name__})") from None
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise bad(name, f"lacks the column(s) {', '.join(missing)}")
        out[name] = frame
    return out


def _rows_of(frame: pd.DataFrame | None, label: str) -> pd.DataFrame | None:
    if frame is None:
        return None
    mine = frame[frame["scenario"] == label].drop(columns=["scenario"]).reset_index(drop=True)
    return mine if not mine.empty else None


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


def cache_problem() -> str | None:
    """Why the cache folder cannot be trusted (anyone else could plant results in it), or None.

    Like ssh with ~/.ssh, the dashboard only reads and writes a cache folder
    that belongs to the user running it and that nobody else may write to.
    """
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = root.stat()
    except OSError as exc:
        return f"{root} cannot be used: {exc.strerror or exc}"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"{root} belongs to another user"
    if info.st_mode & 0o022:
        return f"{root} may be written by other users (mode {info.st_mode & 0o777:o})"
    return None


CACHE_LAYOUT = 2
"""What a cache entry holds: 2 since closures keep their cohort (followed in the baseline too), horizons and budget impact."""


def cache_key(scenario: Scenario, plan: Plan) -> str:
    """Results depend on the scenario's content, the run plan and the model's code."""
    from simulation import MODEL_VERSION, model_fingerprint

    text = json.dumps([scenario.content_hash, int(plan.seed), int(plan.replications), float(plan.years), float(plan.scale),
                       float(plan.warmup_years), MODEL_VERSION, model_fingerprint(), CACHE_LAYOUT])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached(scenario: Scenario, plan: Plan) -> Path | None:
    """The cache entry for ``scenario`` under ``plan`` if it is sound; a damaged or altered entry is
    removed (and so run again), never served."""
    if cache_problem() is not None:
        return None
    path = cache_root() / cache_key(scenario, plan)
    if not path.exists():
        return None
    if entry_problem(path, scenario, plan) is None:
        try:
            os.utime(path)  # recently used: kept longest when the cache is pruned
        except OSError:
            pass
        return path
    discard(path)
    return None


MAX_CACHE_ENTRIES = 500
"""Most entries the cache keeps (the least recently used go first): an entry at the default plan is about
2 MB, so about a gigabyte; every distinct upload adds one."""


def prune_cache(keep: int = MAX_CACHE_ENTRIES) -> int:
    """Remove the least recently used entries beyond ``keep`` (and what a killed discard left); how many went."""
    root = cache_root()
    try:
        entries = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return 0
    removed = 0
    for p in entries:
        if p.name.endswith(".discarded"):
            shutil.rmtree(p, ignore_errors=True)
    live = sorted((p for p in entries if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in live[keep:]:
        discard(p)
        removed += 1
    return removed


def entry_problem(path: Path, scenario: Scenario, plan: Plan) -> str | None:
    """What is wrong with a cache entry, or None: every file's checksum, the manifest's scenario, plan and model."""
    from simulation import model_fingerprint
    from simulation.results import OUTPUT_FILES, file_checksum

    try:
        manifest = json.loads((path / "manifest.json").read_text())
        files = manifest["files"]
        entries = [e for e in manifest["scenarios"] if e["content_hash"] == scenario.content_hash]
        if len(entries) != 1 or len(manifest["scenarios"]) > 2:
            return "it holds another scenario"
        entry = entries[0]
        if manifest["model_source_hash"] != model_fingerprint():
            return "it was made by another version of the model"
        if _plan_from_manifest(manifest, entry) != plan:
            return "it was run with other settings"
        present = {p.name for p in path.iterdir()}
        if present != set(files) | {"manifest.json"} or not set(files) <= set(OUTPUT_FILES):
            return "its files are not those its manifest lists"
        for name, want in files.items():
            if file_checksum(path / name) != want:
                return f"{name} does not match its checksum"
        load_results_dir(path, origin="cache")
    except (OSError, ValueError, KeyError, TypeError, InputError) as exc:
        return f"it cannot be read ({exc.__class__.__name__})"
    return None


def discard(path: Path) -> None:
    """Remove a cache entry (renamed first, so no reader sees half of it)."""
    gone = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.discarded")
    try:
        os.replace(path, gone)
    except OSError:
        return
    shutil.rmtree(gone, ignore_errors=True)
