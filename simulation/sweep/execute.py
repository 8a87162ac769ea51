"""Running a sweep: every task the store does not hold yet, on local processes or a Dask cluster.

Each (point, replication) is one task with a fixed id, so ``--resume`` runs
only what no chunk holds yet. Local processes come from the same executor as
``mhsim run`` (:func:`simulation.workers.run_tasks`); a Dask cluster runs the
same top-level task function.
"""

from __future__ import annotations

import functools
import itertools
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import pandas as pd

from ..workers import run_tasks
from .design import PARAM, SweepSpec, point_values, spec_from_dict, task_id
from .store import SweepStore, now

Progress = Callable[[int, int], None]


# The task every executor runs: a top-level function, so processes and Dask workers can import it.
_WORKER_MODEL: Any = None


def run_task(model: Callable, task: tuple[str, int, int, dict[str, float]], seed: int) -> dict[str, Any]:
    """One (point, replication): the row the store keeps."""
    tid, point, rep, values = task
    started = time.perf_counter()
    metrics = model(values, seed, rep)
    row: dict[str, Any] = {"task_id": tid, "point": point, "replication": rep, "seed": seed}
    row.update({PARAM + k: float(v) for k, v in values.items()})
    row.update(metrics)
    row["run.seconds"] = time.perf_counter() - started
    return row


def init_worker(model: Callable) -> None:
    """A worker process's initializer: the model it runs (sent once, not with every task)."""
    global _WORKER_MODEL
    _WORKER_MODEL = model


def local_task(task: tuple, seed: int) -> dict[str, Any]:
    """A task run by a worker process on the model its initializer received."""
    return run_task(_WORKER_MODEL, task, seed)




@dataclass
class RunStats:
    """What one session did."""

    executor: str
    workers: int
    started: str
    tasks_total: int
    tasks_skipped: int
    tasks_run: int = 0
    wall_seconds: float = 0.0
    interrupted: bool = False
    chunks_written: int = 0
    task_seconds: float = 0.0
    runs_per_task: int = 1

    @property
    def replications_per_minute(self) -> float:
        return 60.0 * self.tasks_run * self.runs_per_task / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["wall_seconds"] = round(self.wall_seconds, 3)
        d["task_seconds"] = round(self.task_seconds, 3)
        d["replications_per_minute"] = round(self.replications_per_minute, 2)
        d["finished"] = now()
        return d


class SchedulerError(Exception):
    """The Dask scheduler cannot be reached or has no workers."""


class _Buffer:
    """Completed rows waiting to be written; flushed by size or age."""

    def __init__(self, store: SweepStore, chunk_rows: int, flush_seconds: float, stats: RunStats):
        self.store, self.chunk_rows, self.flush_seconds, self.stats = store, chunk_rows, flush_seconds, stats
        self.rows: list[dict[str, Any]] = []
        self.since = time.monotonic()

    def add(self, row: dict[str, Any]) -> None:
        if not self.rows:
            self.since = time.monotonic()
        self.rows.append(row)
        self.stats.tasks_run += 1
        self.stats.task_seconds += row.get("run.seconds", 0.0)
        if len(self.rows) >= self.chunk_rows or time.monotonic() - self.since >= self.flush_seconds:
            self.flush()

    def tick(self, upcoming: float = 0.0) -> None:
        """Write waiting rows if they would otherwise wait ``flush_seconds`` (``upcoming``: the wait ahead)."""
        if self.rows and time.monotonic() - self.since + upcoming >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.store.write_chunk(self.rows)
            self.stats.chunks_written += 1
            self.rows = []


def pending_tasks(spec: SweepSpec, design: pd.DataFrame, done: set[str]) -> list[tuple[str, int, int, dict[str, float]]]:
    values = point_values(spec, design)
    tasks = []
    for point in range(len(design)):
        for rep in range(spec.reps):
            tid = task_id(point, rep)
            if tid not in done:
                tasks.append((tid, point, rep, values[point]))
    return tasks


def run_sweep(store: SweepStore, model: Callable, workers: int = 1, scheduler: str | None = None,
              progress: Progress | None = None, chunk_rows: int = 500, flush_seconds: float = 2.0,
              connect_timeout: float = 5.0, client: Any = None) -> RunStats:
    """Run every task the store does not hold yet, writing rows in chunks as they complete.

    Rows are written when ``chunk_rows`` are waiting or the oldest has waited
    ``flush_seconds``. On KeyboardInterrupt the finished rows are written
    before the exception propagates; after SIGKILL, at most the unwritten
    buffer (finished in the last ``flush_seconds``) is run again by the next
    ``--resume``.
    """
    manifest = store.manifest()
    spec = spec_from_dict(manifest["spec"])
    design = store.design()
    store.clean_temporary()
    done = store.done_ids()
    tasks = pending_tasks(spec, design, done)
    total = len(design) * spec.reps
    if client is not None:
        executor = f"dask {getattr(client.scheduler, 'address', None) or scheduler}"
    elif scheduler:
        executor = f"dask {scheduler}"
    else:
        executor = "local processes" if workers > 1 else "this process"
    stats = RunStats(executor, workers, now(), total, len(done), runs_per_task=spec.arm_runs)
    buffer = _Buffer(store, chunk_rows, flush_seconds, stats)
    started = time.perf_counter()
    if progress:
        progress(len(done), total)

    def note(row: dict[str, Any]) -> None:
        buffer.add(row)
        if progress:
            progress(len(done) + stats.tasks_run, total)

    try:
        if not tasks:
            pass
        elif scheduler or client is not None:
            stats.workers = _run_dask(tasks, model, spec.seed, scheduler, note, buffer.tick, connect_timeout, client,
                                      manifest["design_hash"])
        else:
            _run_local(tasks, model, spec.seed, workers, note, buffer.tick, min(0.25, flush_seconds))
    except BaseException:
        stats.interrupted = True
        try:
            buffer.flush()
        finally:
            stats.wall_seconds = time.perf_counter() - started
            _record_session(store, stats)
        raise
    buffer.flush()
    stats.wall_seconds = time.perf_counter() - started
    _record_session(store, stats)
    return stats


def _record_session(store: SweepStore, stats: RunStats) -> None:
    manifest = store.manifest()
    manifest["sessions"] = [*manifest.get("sessions", []), stats.as_dict()]
    done = len(store.done_ids())
    manifest["rows_done"] = done
    manifest["status"] = "complete" if done >= manifest["tasks"] else "incomplete"
    runs = sum(s["tasks_run"] * s.get("runs_per_task", 1) for s in manifest["sessions"])
    secs = sum(s["wall_seconds"] for s in manifest["sessions"])
    manifest["replications_per_minute"] = round(60.0 * runs / secs, 2) if secs > 0 else None
    manifest["wall_seconds"] = round(secs, 3)
    store.write_manifest(manifest)


def _run_local(tasks: list, model: Callable, seed: int, workers: int, note: Callable[[dict], None],
               tick: Callable[[], None], poll: float) -> None:
    """Local processes (one worker: a thread of this process, so that the main thread only collects
    rows and writes them: a finished row is written within ``flush_seconds`` even while a long task runs)."""
    if min(workers, len(tasks)) <= 1:
        run_tasks(functools.partial(run_task, model, seed=seed), tasks, 1, note, on_tick=tick, poll=poll)
    else:
        run_tasks(functools.partial(local_task, seed=seed), tasks, workers, note, initializer=init_worker,
                  initargs=(model,), on_tick=tick, poll=poll)


def connect(scheduler: str, timeout: float = 5.0, wait_for_workers: float = 10.0):
    """A Dask client for ``tcp://HOST:PORT``, or SchedulerError within about ``timeout`` seconds."""
    import logging

    from distributed import Client

    for name in ("distributed", "distributed.client", "distributed.comm", "distributed.core"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'})") from None
    try:
        client.wait_for_workers(1, timeout=wait_for_workers)
    except (TimeoutError, OSError) as exc:
        client.close()
        raise SchedulerError(f"the Dask scheduler at {scheduler} has no workers (waited {wait_for_workers:g} s)") from exc
    return client


def _run_dask(tasks: list, model: Callable, seed: int, scheduler: str | None, note: Callable[[dict], None],
              tick: Callable[[], None], connect_timeout: float, client: Any, digest: str) -> int:
    from distributed import wait as dask_wait

    own = client is None
    if own:
        assert scheduler is not None, "a Dask sweep needs a scheduler or a client"
        client = connect(scheduler, connect_timeout)
    try:
        nthreads = sum(client.nthreads().values()) or 1
        [model_future] = client.scatter([model], broadcast=True, hash=False)
        queue = iter(tasks)
        limit = nthreads * 8 + 8  # enough queued on each worker that it never waits for the next task

        def submit(t):
            return client.submit(run_task, model_future, t, seed, key=f"mhsim-{digest}-{t[0]}", pure=False)

        in_flight = {submit(t) for t in itertools.islice(queue, limit)}
        while in_flight:
            try:
                with client.as_current():  # distributed.wait looks for the current client
                    finished, waiting = dask_wait(list(in_flight), timeout=0.25, return_when="FIRST_COMPLETED")
            except TimeoutError:
                tick()
                continue
            done = list(finished)
            for row in client.gather(done):  # one round trip for the whole batch
                note(row)
            for future in done:
                future.release()
            in_flight = set(waiting) | {submit(t) for t in itertools.islice(queue, len(finished))}
            tick()
        return nthreads
    finally:
        if own:
            client.close(timeout=5)

