"""A sweep's folder: the manifest, the design and the rows, written atomically as work completes.

::

    sweep-manifest.json   what the sweep is (options, factors, a hash of the design),
                          progress and speed of every session that worked on it
    design.parquet        one row per design point: point, block, param.PATH, unit.PATH
    rows/part-*.parquet   the results: one row per (point, replication), written in
                          chunks as work completes (temporary file + os.replace)
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ..errors import Problem, display_path
from .design import SweepSpec, design_hash, make_design

MANIFEST = "sweep-manifest.json"
DESIGN = "design.parquet"
ROWS = "rows"
RUN_COLUMNS = ("run.seconds",)
"""Diagnostic columns that differ between runs (not results)."""
KEY_COLUMNS = ("task_id", "point", "replication", "seed")
FORMAT_VERSION = 1



class SweepStore:
    """A sweep's folder: manifest, design and chunks of rows."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.manifest_path = self.root / MANIFEST
        self.design_path = self.root / DESIGN
        self.rows_dir = self.root / ROWS

    # -- reading ------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_path.read_text())

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.design_path)

    def chunk_files(self) -> list[Path]:
        if not self.rows_dir.is_dir():
            return []
        return sorted(p for p in self.rows_dir.glob("part-*.parquet"))

    def done_ids(self) -> set[str]:
        import pyarrow.parquet as pq

        done: set[str] = set()
        for path in self.chunk_files():
            done.update(pq.read_table(path, columns=["task_id"]).column("task_id").to_pylist())
        return done

    def rows(self, drop_run_columns: bool = False) -> pd.DataFrame:
        """Every stored row, ordered by point and replication."""
        frames = [pd.read_parquet(p) for p in self.chunk_files()]
        if not frames:
            return pd.DataFrame(columns=list(KEY_COLUMNS))
        frame = pd.concat(frames, ignore_index=True)
        frame = frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
        if drop_run_columns:
            frame = frame.drop(columns=[c for c in RUN_COLUMNS if c in frame.columns])
        return frame

    # -- writing ------------------------------------------------------------
    def create(self, spec: SweepSpec, design: pd.DataFrame, digest: str, command: str) -> None:
        """Write the design and the manifest (the manifest last: it marks a sweep folder)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.rows_dir.mkdir(exist_ok=True)
        atomic_parquet(design, self.design_path)
        tasks = len(design) * spec.reps
        manifest = {
            "tool": "mhsim", "format": FORMAT_VERSION, "command": command, "design_hash": digest,
            "created": now(), "spec": spec.as_dict(), "points": int(len(design)), "replications_per_point": spec.reps,
            "tasks": tasks, "model_runs": tasks * spec.arm_runs, "status": "started", "rows_done": 0,
            "python": sys.version.split()[0], "platform": platform.platform(), "host": socket.gethostname(),
            "sessions": [],
        }
        self.write_manifest(manifest)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        from ..results import atomic_write_text

        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, default=str) + "\n")

    def write_chunk(self, rows: list[dict[str, Any]]) -> Path:
        """Write completed rows as one new Parquet file, atomically."""
        frame = pd.DataFrame(rows)
        first = rows[0]["task_id"]
        name = f"part-{time.time_ns():020d}-{first}-{uuid.uuid4().hex[:8]}.parquet"
        path = self.rows_dir / name
        atomic_parquet(frame, path)
        return path

    def clean_temporary(self) -> None:
        """Remove temporary files a killed run left (they never hold finished rows)."""
        for folder in (self.root, self.rows_dir):
            if folder.is_dir():
                for p in folder.glob(".*.tmp"):
                    p.unlink(missing_ok=True)


def atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a Parquet file whole or not at all (a temporary file, fsynced, then renamed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..results import atomic_write

    table = pa.Table.from_pandas(frame, preserve_index=False)
    atomic_write(path, lambda fh: pq.write_table(table, fh))


def now() -> str:
    """The time now, in UTC, as the manifest records it."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def check_out_dir(root: Path, digest: str, spec: SweepSpec, resume: bool) -> list[Problem]:
    """Whether ``root`` can take this sweep: new, empty, or (with --resume) the same sweep."""
    shown = display_path(root)
    try:
        if root.exists() and not root.is_dir():
            return [Problem(shown, "--out names a file, not a folder", field="--out", allowed="a folder (created if missing)")]
        for parent in root.parents:
            if parent.exists():
                if not parent.is_dir():
                    return [Problem(shown, f"--out is inside {display_path(parent)}, which is a file", field="--out",
                                    allowed="a folder (created if missing)")]
                break
        store = SweepStore(root)
        if store.exists():
            try:
                old = store.manifest()
            except (OSError, ValueError) as exc:
                return [Problem(shown, f"its {MANIFEST} cannot be read ({exc})", field="--out",
                                allowed="a sweep folder, or a new folder")]
            if not resume:
                return [Problem(shown, "already holds a sweep", field="--out",
                                allowed="--resume to finish it, or a new --out folder")]
            if old.get("design_hash") != digest:
                return [Problem(shown, "holds a different sweep, so --resume cannot continue it", field="--resume",
                                value=f"its design {old.get('design_hash')}, this one {digest}",
                                allowed="the same scenario, ranges, design, samples, reps, seed, years and scale "
                                        f"({_differences(old.get('spec', {}), spec.as_dict())}), or a new --out folder")]
            return []
        if root.is_dir() and any(p.name not in (ROWS, DESIGN) and not p.name.startswith(".") for p in root.iterdir()):
            return [Problem(shown, "is a folder that holds other files, not a sweep", field="--out",
                            allowed="a new or empty folder, or a sweep folder with --resume")]
        if (root / ROWS).is_dir() and any((root / ROWS).glob("part-*.parquet")):
            return [Problem(shown, f"holds result chunks but no {MANIFEST}", field="--out", allowed="a new or empty folder")]
    except OSError as exc:
        return [Problem(shown[:200], f"--out cannot be used: {exc.strerror or exc}", field="--out")]
    return []


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    diffs = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            if key == "factors":
                a = {f["path"]: (f["low"], f["high"], f.get("steps")) for f in old.get(key, [])}
                b = {f["path"]: (f["low"], f["high"], f.get("steps")) for f in new.get(key, [])}
                diffs.append("varied parameters differ" if set(a) != set(b) else "ranges differ")
            elif key == "arms":
                diffs.append("scenarios differ")
            elif key == "model":
                diffs.append("the model's code changed")
            else:
                diffs.append(f"{key} {old.get(key)!r} here, {new.get(key)!r} now")
    return "; ".join(diffs) or "the design differs"


def rows_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two sweeps' rows hold the same numbers (ignoring timings)."""
    a = a.drop(columns=[c for c in RUN_COLUMNS if c in a.columns]).reset_index(drop=True)
    b = b.drop(columns=[c for c in RUN_COLUMNS if c in b.columns]).reset_index(drop=True)
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    return bool((a.fillna(-1.2345e300) == b.fillna(-1.2345e300)).all().all())


def new_sweep(root: Path, spec: SweepSpec, command: str, design: pd.DataFrame | None = None,
              digest: str | None = None) -> tuple[SweepStore, pd.DataFrame, str]:
    """The sweep's store, created unless it exists (pass the design and hash if already made)."""
    design = make_design(spec) if design is None else design
    digest = design_hash(spec, design) if digest is None else digest
    store = SweepStore(root)
    if not store.exists():
        store.create(spec, design, digest, command)
    return store, design, digest

