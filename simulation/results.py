"""Writing results: CSV and Parquet tables plus a manifest, all or nothing.

An output folder is always either complete or absent: the whole folder is
written under a hidden temporary name beside it (``.NAME.PID.TOKEN.partial``),
every file is flushed to disk, and only then is it swapped in with one
rename (an atomic exchange where the system has one), the previous folder
being kept until the swap is done. So a run killed at any moment leaves the
previous results or the new ones, never a mix, and never a stale file from
another command. Leftovers of a killed run are cleaned up by the next write.
A full disk gives a clear message and leaves the previous results intact.

Results that are infinite or not a number are an error, never written.
The manifest records each file's size and SHA-256, so a damaged or altered
folder can be recognised (the dashboard's cache checks them).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import sys
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, BinaryIO, Callable, Sequence

import numpy as np
import pandas as pd

from . import MODEL_VERSION, model_fingerprint
from .errors import InputError, Problem, display_path
from .costs import price_year
from .experiment import Experiment, comparison_rows, metric_value, summary_rows
from .horizons import budget_impact_rows, horizon_rows
from .scale import regime_note
from .outcomes import METRICS

OUTPUT_FILES = ("summary.csv", "replications.parquet", "timeseries.parquet", "flows.parquet", "comparison.csv", "cohort.parquet",
                "horizons.csv", "budget_impact.csv", "manifest.json")
"""Every file a results folder may hold; a folder holding anything else is never replaced."""


def atomic_write(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """Write a file whole or not at all: ``write`` fills a temporary file beside it, which is fsynced and then
    renamed over it (a reader sees the old file or the new one, never half of one)."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file whole or not at all (see ``atomic_write``)."""
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


class OutputError(InputError):
    """The results could not be written (a full disk, no permission): nothing was changed."""


class ResultError(InputError):
    """A result is infinite or not a number: nothing is written, nothing is judged."""


PACKAGES = ("simpy", "numpy", "scipy", "pandas", "pyarrow", "pyyaml", "typer", "rich")


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _spreads(exp: Experiment, baseline: str | None) -> dict[str, dict[str, float]] | None:
    """Spread per replication of each paired difference (None without a baseline or replications)."""
    import math

    from .experiment import difference_spread

    if baseline is None or exp.plan.replications < 2:
        return None
    return {label: {m: (None if math.isnan(v) else v) for m, v in metrics.items()}  # type: ignore[misc]
            for label, metrics in difference_spread(exp, baseline).items()}


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
                "scale_note": regime_note(s, plan.scale_for(s)),
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
        "price_year": price_year(exp.scenarios[0].values if exp.scenarios else None),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
        "wall_seconds": round(exp.wall_seconds, 3),
        "method": exp.extra.get("method", "discrete-event simulation (SimPy), common random numbers"),
        "precision": exp.extra.get("precision"),
        "paired_difference_sd": _spreads(exp, baseline),
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
        [{"scenario": label, "replication": r.replication, "seed": exp.plan.seed, **{m: metric_value(r, m) for m in metric_names}}
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
    cohort = cohort_table(exp, baseline)
    if cohort is not None:
        out["cohort.parquet"] = cohort
    if baseline is not None:
        comparison = pd.DataFrame(
            comparison_rows(exp, baseline),
            columns=["scenario", "metric", "baseline_mean", "delta_mean", "delta_ci_low", "delta_ci_high", "n", "verdict"],
        )
        notes = exp.extra.get("assumptions") or {}
        # the declared assumption a verdict depends on (from 'compare --assumptions PSA_DIR'; empty when none)
        comparison["depends_on"] = [notes.get((s, m), "") for s, m in zip(comparison["scenario"], comparison["metric"])]
        out["comparison.csv"] = comparison
        out["horizons.csv"] = pd.DataFrame(horizon_rows(exp, baseline), columns=[
            "scenario", "metric", "horizon_years", "baseline_mean", "delta_mean", "delta_ci_low", "delta_ci_high", "n"])
        out["budget_impact.csv"] = pd.DataFrame(budget_impact_rows(exp, baseline), columns=[
            "scenario", "payer", "financial_year", "months", "baseline_spend", "scenario_spend", "difference",
            "difference_ci_low", "difference_ci_high", "n"])
        if exp.extra.get("deterministic"):
            _no_intervals(out)
    return out


DETERMINISTIC_VERDICT = "deterministic (the twin): no interval"


def _no_intervals(frames: dict[str, pd.DataFrame]) -> None:
    """A deterministic answer (the twin's preview) has its paired difference but no interval: left empty,
    not the difference repeated, and no verdict that waits for replications."""
    for name, low, high in (("comparison.csv", "delta_ci_low", "delta_ci_high"), ("horizons.csv", "delta_ci_low", "delta_ci_high"),
                            ("budget_impact.csv", "difference_ci_low", "difference_ci_high")):
        frames[name][[low, high]] = float("nan")
    frames["comparison.csv"]["verdict"] = DETERMINISTIC_VERDICT


def cohort_table(exp: Experiment, baseline: str | None) -> pd.DataFrame | None:
    """``cohort.parquet``: per scenario and replication, each person a closure displaced (a simulated person:
    at scale below 1 each stands for 1/scale people), where they were sent, their outcomes since the closure,
    and the same person's outcomes in the baseline (``baseline_*``), paired through common random numbers."""
    from .outcomes import COHORT_COLUMNS, COHORT_OUTCOMES

    rows = [(label, r.replication, *row) for label in exp.labels for r in exp.results[label] for row in r.cohort]
    if not rows:
        return None
    table = pd.DataFrame(rows, columns=["scenario", "replication", *COHORT_COLUMNS])
    if baseline is not None:
        base = table[table["scenario"] == baseline][["replication", "service", "pid", *COHORT_OUTCOMES]]
        base = base.rename(columns={c: f"baseline_{c}" for c in COHORT_OUTCOMES})
        table = table[table["scenario"] != baseline].merge(base, on=["replication", "service", "pid"], how="left")
    return table.reset_index(drop=True)


def cohort_summary(table: pd.DataFrame, scale: float, replications: Sequence[int]) -> list[dict[str, Any]]:
    """What happened to each closure's displaced people, at full scale, from one scenario's ``cohort.parquet``
    rows: how many there were, where they were sent, and each outcome under the closure and (where the rows carry
    ``baseline_*`` columns) for the same people without it, with the paired difference. Every figure is the mean
    over ``replications`` (a replication with nobody sent somewhere counts as zero there) with its 95% interval.

    Returns one dict per closure: ``service``, ``month``, ``people``, ``sent`` ([(where, Interval)], largest
    first) and ``outcomes`` ([(outcome, closure Interval, baseline Interval or None, difference Interval or None)])."""
    from .experiment import Interval, paired_difference, t_interval
    from .outcomes import COHORT_OUTCOMES

    w = 1.0 / scale
    reps = list(replications)
    out = []
    for service, rows in table.groupby("service", sort=True):
        by_rep = {r: g for r, g in rows.groupby("replication")}
        empty = rows.iloc[0:0]

        def per_rep(fn) -> list[float]:
            return [float(fn(by_rep.get(r, empty))) * w for r in reps]

        sent = [(where, t_interval(per_rep(lambda g, where=where: (g["sent_to"] == where).sum())))
                for where in rows["sent_to"].unique()]
        sent.sort(key=lambda x: -x[1].mean)
        outcomes: list[tuple[str, Interval, Interval | None, Interval | None]] = []
        for outcome in COHORT_OUTCOMES:
            alt = per_rep(lambda g, c=outcome: g[c].astype(float).sum())
            bcol = f"baseline_{outcome}"
            if bcol in rows.columns and not rows[bcol].isna().all():
                base = per_rep(lambda g, c=bcol: g[c].astype(float).sum())
                outcomes.append((outcome, t_interval(alt), t_interval(base), paired_difference(alt, base)))
            else:
                outcomes.append((outcome, t_interval(alt), None, None))
        out.append({"service": str(service), "month": float(rows["month"].min()),
                    "people": t_interval(per_rep(len)), "sent": sent, "outcomes": outcomes})
    return out


def check_finite(exp: Experiment) -> None:
    """Raise ResultError if any metric or monthly value is infinite or not a number."""
    problems: list[Problem] = []
    for scenario, label in zip(exp.scenarios, exp.labels):
        bad: dict[str, list[int]] = {}
        for r in exp.results[label]:
            for metric in exp.metric_names():
                value = metric_value(r, metric)
                if value is None or not math.isfinite(value):
                    bad.setdefault(metric, []).append(r.replication)
            for metric, values in r.monthly.items():
                if not np.isfinite(np.asarray(values, dtype=float)).all():
                    bad.setdefault(f"{metric} (monthly)", []).append(r.replication)
        for metric, reps in bad.items():
            problems.append(Problem(scenario.file or label, f"the result is infinite or not a number in {len(reps)} replication(s) "
                                    f"of '{label}'", field=metric,
                                    allowed="finite results: look for a parameter or action so large that costs or counts overflow"))
    if problems:
        raise ResultError(problems)


def check_output_folder(out_dir: Path) -> list[Problem]:
    """Problems with replacing ``out_dir`` as a whole: it may not hold anything mhsim did not write there."""
    out_dir = Path(out_dir)
    try:
        if not out_dir.is_dir():
            return []
        foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in OUTPUT_FILES)
    except OSError as exc:
        return [Problem(display_path(out_dir), f"--out cannot be read: {exc.strerror or exc}", field="--out",
                        allowed="a folder you can write to")]
    if not foreign:
        return []
    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    return [Problem(display_path(out_dir), f"--out holds files mhsim did not write there ({shown}), and a results folder is "
                                           "replaced as a whole", field="--out",
                    allowed="a new or empty folder, or one holding only results from mhsim run, compare or preview")]


def write_outputs(exp: Experiment, out_dir: Path, command: str, baseline: str | None = None) -> list[Path]:
    """Write every table and the manifest into ``out_dir``: the whole folder appears at once, or nothing changes."""
    out_dir = Path(out_dir)
    check_finite(exp)
    problems = check_output_folder(out_dir)
    if problems:
        raise InputError(problems)
    frames = tables(exp, baseline)
    parent = out_dir.absolute().parent
    existed = out_dir.exists()
    staging = parent / f".{out_dir.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
    with _ACTIVE_LOCK:
        _ACTIVE.add(staging.name)
    swapped = False
    try:
        parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out_dir)
        staging.mkdir()
        files: dict[str, dict[str, Any]] = {}
        for name, frame in frames.items():
            path = staging / name
            if name.endswith(".csv"):
                frame.to_csv(path, index=False)
            else:
                frame.to_parquet(path, index=False)
            files[name] = file_checksum(path, sync=True)
        info = manifest(exp, command, baseline)
        info["files"] = files
        path = staging / "manifest.json"
        path.write_text(json.dumps(info, indent=2) + "\n")
        file_checksum(path, sync=True)
        _sync_dir(staging)
        _swap_in(staging, out_dir)
        swapped = True
        _sync_dir(parent)
    except OSError as exc:
        if not swapped:
            shutil.rmtree(staging, ignore_errors=True)
            kept = "the previous results there are unchanged" if existed and out_dir.is_dir() else "nothing was written"
            raise OutputError([Problem(display_path(out_dir), f"cannot write the results: {exc.strerror or exc}; {kept}", field="--out",
                                       allowed=_remedy(exc))]) from None
    except BaseException:
        if not swapped:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(staging.name)
    return [out_dir / name for name in [*frames, "manifest.json"]]


_ACTIVE: set[str] = set()
"""Temporary folders this process is writing now (two threads may write the same cache entry)."""
_ACTIVE_LOCK = threading.Lock()


def _remedy(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free some disk space (or use --out on another disk) and run again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "a folder you can write to"
    return "a folder on a working disk"


def file_checksum(path: Path, sync: bool = False) -> dict[str, Any]:
    """Size and SHA-256 of a file (as recorded in a manifest's 'files'); ``sync`` also flushes it to disk."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
        if sync:
            os.fsync(fh.fileno())
    return {"bytes": size, "sha256": digest.hexdigest()}


def _sync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - some systems cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems do not sync folders
        pass
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Put the complete folder ``staging`` at ``out_dir``, keeping the old one until the swap is done."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    if _exchange(staging, out_dir):  # out_dir is new at once; staging now holds the previous results
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = staging.with_name(staging.name.removesuffix(".partial") + ".old")
    os.replace(out_dir, old)      # a kill here leaves the previous folder as .old: the next write puts it back
    os.replace(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def clean_leftovers(out_dir: Path) -> None:
    """Remove the temporary folders a killed write left beside ``out_dir`` (restoring a previous folder
    if the kill fell between the two renames of a swap); those of a write still running are left alone."""
    out_dir = Path(out_dir)
    parent = out_dir.absolute().parent
    pattern = re.compile(rf"^\.{re.escape(out_dir.name)}\.(\d+)\.[0-9a-f]+\.(partial|old)$")
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in sorted(entries, key=lambda p: p.name.endswith(".partial")):  # .old first: it may be restored
        match = pattern.match(entry.name)
        if not match or not entry.is_dir() or entry.name in _ACTIVE or _alive(int(match.group(1))):
            continue
        if match.group(2) == "old" and not out_dir.exists():
            os.replace(entry, out_dir)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # not in _ACTIVE: an earlier write of this process left it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
