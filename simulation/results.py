"""Writing results: CSV and Parquet tables plus a manifest, all or nothing.

Everything is first written into a hidden temporary folder beside the
output folder; only when every file is complete are they moved into place
(``os.replace`` is atomic on one file system). A run that fails or is
interrupted leaves no output folder, or the previous results untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from . import MODEL_VERSION, model_fingerprint
from .experiment import Experiment, comparison_rows, summary_rows
from .outcomes import METRICS

PACKAGES = ("simpy", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml", "typer", "rich")


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(exp: Experiment, command: str, baseline: str | None = None) -> dict[str, Any]:
    """What produced these numbers: model, scenarios, seeds, versions, timings."""
    plan = exp.plan
    return {
        "tool": "mhsim",
        "command": command,
        "model_version": MODEL_VERSION,
        "model_source_hash": model_fingerprint(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "scenarios": [
            {
                "label": label,
                "name": s.name,
                "description": s.description,
                "file": s.file,
                "content_hash": s.content_hash,
                "extends_chain": list(s.chain),
                "changed_parameters": list(s.overrides),
                "actions": [a.describe() for a in s.actions],
                "years": plan.years_for(s),
                "scale": plan.scale_for(s),
                "warmup_years": plan.warmup_for(s),
            }
            for label, s in zip(exp.labels, exp.scenarios)
        ],
        "baseline": baseline,
        "seed": plan.seed,
        "replications": plan.replications,
        "years": plan.years,
        "scale": plan.scale,
        "workers": exp.workers,
        "price_year": 2024,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
        "wall_seconds": round(exp.wall_seconds, 3),
        "method": exp.extra.get("method", "discrete-event simulation (SimPy), common random numbers"),
        "per_replication": [
            {
                "scenario": label,
                "replication": r.replication,
                "scheduler_events": int(r.diagnostics["scheduler_events"]),
                "peak_live_processes": int(r.diagnostics["peak_live_processes"]),
                "wall_seconds": round(r.diagnostics["wall_seconds"], 3),
            }
            for label in exp.labels
            for r in exp.results[label]
        ],
    }


def tables(exp: Experiment, baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """Every output table as a DataFrame, keyed by file name."""
    summary = pd.DataFrame(summary_rows(exp), columns=["scenario", "metric", "mean", "ci_low", "ci_high", "sd", "n"])
    summary["label"] = [METRICS[m].label if m in METRICS else m for m in summary["metric"]]
    summary["unit"] = [METRICS[m].unit if m in METRICS else "" for m in summary["metric"]]
    metric_names = exp.metric_names()
    reps = pd.DataFrame(
        [{"scenario": label, "replication": r.replication, "seed": exp.plan.seed, **{m: r.metrics.get(m) for m in metric_names}}
         for label in exp.labels for r in exp.results[label]]
    )
    ts_rows = []
    flow_rows = []
    for label in exp.labels:
        for r in exp.results[label]:
            for metric, values in r.monthly.items():
                for month, value in enumerate(values, start=1):
                    ts_rows.append((label, r.replication, month, metric, float(value)))
            for key, count in r.flows.items():
                source, target = key.split("->")
                flow_rows.append((label, r.replication, source, target, float(count)))
    timeseries = pd.DataFrame(ts_rows, columns=["scenario", "replication", "month", "metric", "value"])
    flows = pd.DataFrame(flow_rows, columns=["scenario", "replication", "source", "target", "count"])
    out = {"summary.csv": summary, "replications.parquet": reps, "timeseries.parquet": timeseries, "flows.parquet": flows}
    if baseline is not None:
        out["comparison.csv"] = pd.DataFrame(
            comparison_rows(exp, baseline),
            columns=["scenario", "metric", "baseline_mean", "delta_mean", "delta_ci_low", "delta_ci_high", "n", "verdict"],
        )
    return out


def write_outputs(exp: Experiment, out_dir: Path, command: str, baseline: str | None = None) -> list[Path]:
    """Write every table and the manifest into ``out_dir`` atomically."""
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=parent))
    try:
        written = []
        for name, frame in tables(exp, baseline).items():
            path = staging / name
            if name.endswith(".csv"):
                frame.to_csv(path, index=False)
            else:
                frame.to_parquet(path, index=False)
            written.append(name)
        (staging / "manifest.json").write_text(json.dumps(manifest(exp, command, baseline), indent=2) + "\n")
        written.append("manifest.json")
        if not out_dir.exists():
            os.replace(staging, out_dir)
        else:
            for name in written:
                os.replace(staging / name, out_dir / name)
            shutil.rmtree(staging, ignore_errors=True)
        return [out_dir / name for name in written]
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
