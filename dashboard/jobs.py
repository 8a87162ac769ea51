"""One queue and one pool of worker processes for every run the dashboard makes.

A dashboard shared by a team must stay usable when one person asks a lot of
it. Every run (the shipped scenarios at the first start, and each scenario a
person builds or uploads) goes through this one queue, which feeds a fixed
number of worker processes:

- each replication is a task; a free worker takes the next task of the
  session that has had the least of the pool lately (round robin), so one
  person's long run does not hold everyone else back;
- a session may have ``Limits.per_session`` runs waiting or running at once,
  and the server ``Limits.active`` in all: past either, a new run is refused
  with a message rather than queued without end;
- a run can be cancelled, and stops after ``Limits.job_seconds``: a running
  replication is stopped by ending its worker process (pebble starts a new one);
- the same scenario content submitted while an identical run is under way
  waits for that run instead of running twice;
- workers exit when the dashboard dies, however it dies (``simulation.workers``).
"""

from __future__ import annotations

import atexit
import threading
import time
import traceback
import uuid
import weakref
from concurrent.futures import CancelledError, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from simulation.errors import InputError


@dataclass(frozen=True)
class Limits:
    """What one person, and everyone together, may ask of a shared dashboard."""

    per_session: int = 3
    """Runs one browser session may have waiting or running: a few options compared at once."""
    active: int = 24
    """Runs waiting or running in the whole server (about an hour of work for two cores at the default plan)."""
    job_seconds: float = 20 * 60
    """Longest a run may take: some 30 times a typical run at the default plan (about 40 s on two cores)."""
    session_idle_seconds: float = 2 * 60 * 60
    """A session nobody has used for this long is forgotten, with its runs and results (an open page keeps it alive)."""
    sessions: int = 500
    """Most sessions kept: past this the least recently used are forgotten first."""
    results_per_session: int = 30
    """Most results one session keeps: the oldest are dropped first."""


class QueueFull(Exception):
    """A run was refused: its session, or the server, has as many runs as it may."""


@dataclass
class Job:
    """One background run of one scenario."""

    id: str
    session: str
    label: str
    total: int
    done: int = 0
    status: str = "queued"       # queued, running, done, failed, cancelled
    message: str = ""
    started: float = field(default_factory=time.time)
    finished: float | None = None
    preview: str = ""            # the mean-field twin's answer, shown while the simulation runs
    preview_diff: dict[str, float] = field(default_factory=dict)   # its figures: metric -> twin's difference
    agreement: str = ""          # once the simulation is in: where it agrees with the twin's answer, and where not
    reused: bool = False         # the same scenario content had been run before: its results were reused
    # what the queue needs
    scenario: Any = None
    run: tuple = ()              # (seed, replications, years, scale, warmup_years)
    key: str = ""                # the cache key: same key, same numbers
    deadline: float = 0.0
    pending: list[int] = field(default_factory=list)
    results: dict[int, Any] = field(default_factory=dict)
    want_preview: Any = None     # the baseline scenario to preview against, if a preview is wanted
    cohort_baseline: Any = None  # the baseline that follows a closure's displaced people with it (closures only)
    leader: str | None = None    # an identical run this one waits for
    on_finish: Callable[["Job"], None] | None = None
    capped: bool = True          # counts against the limits (the shipped scenarios do not)
    result_folder: Path | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def fail(self, message: str) -> None:
        self.status = "failed"
        self.message = message
        self.finished = time.time()


PREVIEW_METRICS = (("cost_health_and_care", "health and care cost", "£"), ("cost_nhs", "NHS", "£"),
                   ("cost_council", "council", "£"), ("crisis_episodes", "crises", ""), ("qalys", "QALYs", ""))
"""What the twin's answer gives at once, and the simulation's is checked against: the headline figures."""


def preview_numbers(baseline: Any, scenario: Any, years: float) -> dict[str, float]:
    """The twin's paired difference from the baseline, both integrated together on the same steps (so the
    difference carries no integration error); run in a worker: about a second of CPU."""
    from simulation.twin import run_twins

    base, alt = (r.metrics for r in run_twins([baseline, scenario], years=years))
    return {m: alt[m] - base[m] for m, _, _ in PREVIEW_METRICS}


def agreement_text(twin: Mapping[str, float], alt: Mapping[str, Sequence[float]], base: Mapping[str, Sequence[float]],
                   scale: float = 1.0) -> str:
    """The simulation's replications (``alt`` and ``base``: metric -> values, paired, at ``scale``) against the
    twin's answer, by verify's rule: the same sign where the simulation is sure of it, and inside its 95%
    interval or within 10%. Names every figure where they disagree; a figure the simulation cannot judge (the
    same difference in every replication of a quantity that is not a count) is not called a disagreement."""
    from simulation.experiment import paired_difference
    from simulation.formatting import number
    from simulation.verification import Agreement, counts_events

    off = []
    for metric, label, unit in PREVIEW_METRICS:
        if metric not in twin:
            continue
        a = [float(v) for v in alt.get(metric, ())]
        b = [float(v) for v in base.get(metric, ())]
        if len(a) != len(b) or len(a) < 2:
            return ""
        d = paired_difference(a, b)
        row = Agreement("", metric, twin[metric], d.mean, d.low, d.high, d.n, sum(b) / len(b),
                        counts_events(metric, a + b, scale), scale)
        if not row.passed and not row.unjudged:
            low, high = row.bounds
            off.append(f"{label} (twin {number(twin[metric], unit, signed=True)}; simulation "
                       f"{number(d.mean, unit, signed=True)}, {number(low, unit, signed=True)} to "
                       f"{number(high, unit, signed=True)})")
    if not off:
        return ("The simulation's replications agree with the twin's estimate on every figure it gave "
                "(the same direction, and inside the simulation's interval or within 10%).")
    return ("The simulation's replications differ from the twin's estimate on " + "; ".join(off)
            + ". Use the simulation's figures for these.")


def replication(scenario: Any, seed: int, rep: int, years: float, scale: float, warmup: float,
                cohort_baseline: Any = None) -> Any:
    """One replication, following the people any closure of the scenario displaces (as ``mhsim run`` does).
    With ``cohort_baseline``, the same replication of the baseline follows the same people too, so the page can
    say what the closure did to them: then (scenario's result, baseline's result) is returned."""
    from simulation.experiment import cohort_markers, run_replication

    markers = cohort_markers([scenario])
    result = run_replication(scenario, seed, rep, years, scale, warmup, cohorts=markers)
    if cohort_baseline is None or not markers:
        return result
    return result, run_replication(cohort_baseline, seed, rep, years, scale, warmup, cohorts=markers)


class JobQueue:
    """Runs jobs' replications on one pool of worker processes, fairly, within limits."""

    def __init__(self, workers: int, limits: Limits | None = None,
                 finish: Callable[[Job], Path] | None = None):
        self.workers = max(1, workers)
        self.limits = limits or Limits()
        self._finish_job = finish  # writes a finished job's results; returns their folder
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._jobs: dict[str, Job] = {}            # every job still waiting or running, in submission order
        self._in_flight: dict[Any, tuple[Job, str, int | None]] = {}
        self._served: dict[str, float] = {}        # session -> when it last got a worker
        self._pool = None
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._finisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mhsim-finish")
        self.peak_active = 0
        self.peak_waiting = 0
        atexit.register(_stop_at_exit, weakref.ref(self))  # the workers go with the server, even if nobody stops it

    # -- asking --------------------------------------------------------------
    def submit(self, job: Job) -> Job:
        """Queue ``job`` (its ``pending`` replications), or raise QueueFull."""
        with self._lock:
            if job.capped:
                mine = sum(1 for j in self._jobs.values() if j.session == job.session and j.capped)
                if mine >= self.limits.per_session:
                    raise QueueFull(f"you already have {mine} runs waiting or running (at most {self.limits.per_session} at once): "
                                    "wait for one to finish, or cancel one under 'Your runs'")
                everyone = sum(1 for j in self._jobs.values() if j.capped)
                if everyone >= self.limits.active:
                    raise QueueFull(f"the server is busy with {everyone} runs (at most {self.limits.active} at once): "
                                    "try again in a few minutes")
            leader = next((j for j in self._jobs.values() if j.key == job.key and j.leader is None), None)
            if leader is not None:
                job.leader = leader.id
                job.pending = []
                job.want_preview = None
                job.message = "waiting for an identical run that is under way"
            job.deadline = time.time() + self.limits.job_seconds
            self._jobs[job.id] = job
            self._note_peaks()
            self._start()
            self._wake.notify_all()
        return job

    def cancel(self, job_id: str, session: str | None = None) -> bool:
        """Stop a job (only its own session's, if ``session`` is given); a running replication is stopped too."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or (session is not None and job.session != session):
                return False
            self._end(job, "cancelled", "cancelled")
            return True

    def cancel_session(self, session: str) -> None:
        with self._lock:
            for job in [j for j in self._jobs.values() if j.session == session]:
                self._end(job, "cancelled", "cancelled: the session ended")

    def stats(self) -> dict[str, Any]:
        with self._lock:
            running = sum(1 for j in self._jobs.values() if j.status == "running")
            return {"workers": self.workers, "jobs_waiting": len(self._jobs) - running, "jobs_running": running,
                    "tasks_running": len(self._in_flight), "peak_jobs_active": self.peak_active,
                    "peak_jobs_waiting": self.peak_waiting}

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._wake.notify_all()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=10)
        self._finisher.shutdown(wait=False, cancel_futures=True)

    # -- the dispatcher ------------------------------------------------------
    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, daemon=True, name="mhsim-dispatch")
            self._thread.start()

    def _note_peaks(self) -> None:
        self.peak_active = max(self.peak_active, len(self._jobs))
        waiting = sum(1 for j in self._jobs.values() if j.status == "queued")
        self.peak_waiting = max(self.peak_waiting, waiting)

    def _loop(self) -> None:
        from simulation.workers import task_pool

        pool = task_pool(self.workers)
        with self._lock:
            if self._stopped:
                pool.stop()
                return
            self._pool = pool
        while True:
            with self._lock:
                if self._stopped:
                    return
                now = time.time()
                for job in [j for j in self._jobs.values() if j.deadline and now > j.deadline]:
                    self._end(job, "failed", f"stopped: it took longer than the limit of {self.limits.job_seconds / 60:g} minutes")
                while len(self._in_flight) < self.workers:
                    task = self._next_task()
                    if task is None:
                        break
                    job, kind, rep = task
                    try:
                        if kind == "preview":
                            job.want_preview, baseline = None, job.want_preview
                            future = pool.schedule(preview_numbers, args=(baseline, job.scenario, job.run[2]),
                                                   timeout=max(1.0, job.deadline - now))
                        else:
                            seed, _, years, scale, warmup = job.run
                            future = pool.schedule(replication, args=(job.scenario, seed, rep, years, scale, warmup,
                                                                      job.cohort_baseline),
                                                   timeout=max(1.0, job.deadline - now))
                    except Exception as exc:  # the pool cannot take work: fail the job, keep the dispatcher
                        self._end(job, "failed", f"the run could not start: {type(exc).__name__}")
                        continue
                    job.status = "running"
                    self._served[job.session] = time.monotonic()
                    self._in_flight[future] = (job, kind, rep)
                    future.add_done_callback(self._done)
                self._wake.wait(timeout=0.5)

    def _next_task(self) -> tuple[Job, str, int | None] | None:
        """The next task: any preview waiting first (about a second each, and what a person looks at while the
        replications run), then replications from the session served longest ago that has work."""
        ready = [j for j in self._jobs.values() if j.leader is None and j.active and (j.pending or j.want_preview is not None)]
        if not ready:
            return None
        previews = [j for j in ready if j.want_preview is not None]
        job = min(previews or ready, key=lambda j: (self._served.get(j.session, 0.0), j.started))
        if job.want_preview is not None:
            return job, "preview", None
        return job, "rep", job.pending.pop(0)

    def _done(self, future) -> None:
        with self._lock:
            job, kind, rep = self._in_flight.pop(future, (None, None, None))
            self._wake.notify_all()
            if job is None or not job.active:
                return
            try:
                value = future.result()
            except CancelledError:
                return
            except FutureTimeout:
                self._end(job, "failed", f"stopped: it took longer than the limit of {self.limits.job_seconds / 60:g} minutes")
                return
            except InputError as exc:
                self._end(job, "failed", "; ".join(str(p) for p in exc.problems))
                return
            except Exception as exc:  # a worker that died (out of memory?) or a model error: reported in the page
                name = type(exc).__name__
                why = "its process ended unexpectedly (out of memory?)" if name == "ProcessExpired" else f"{name}: {exc}"
                traceback.print_exception(exc)
                self._end(job, "failed", f"the run failed: {why}")
                return
            if kind == "preview":
                job.preview = _preview_text(value)
                job.preview_diff = dict(value)
                return
            assert rep is not None, "a replication task carries its replication number"
            job.results[rep] = value
            job.done = len(job.results)
            if job.done >= job.total:
                job.status = "running"
                self._finisher.submit(self._finish, job)

    def _finish(self, job: Job) -> None:
        """Write a finished job's results (in the finisher thread) and hand them on, with any job waiting for it."""
        try:
            folder = self._finish_job(job) if self._finish_job else None
            job.result_folder = folder
            if job.on_finish:
                job.on_finish(job)
            outcome, message = "done", ""
        except InputError as exc:  # a full disk, or results that are not numbers: said without the server's paths
            outcome, message = "failed", "; ".join(p.message + (f" ({p.field})" if p.field and p.field != "--out" else "")
                                                   for p in exc.problems)
        except Exception as exc:  # pragma: no cover - reported in the page and the server log
            traceback.print_exception(exc)
            outcome, message = "failed", f"the results could not be kept: {type(exc).__name__}"
        with self._lock:
            if job.active:
                job.status, job.message, job.finished = outcome, message, time.time()
                self._jobs.pop(job.id, None)
            for follower in [j for j in self._jobs.values() if j.leader == job.id]:
                self._follow(follower, job)
            self._wake.notify_all()

    def _follow(self, follower: Job, leader: Job) -> None:
        """A job that waited for an identical one: the same results, or (if it stopped) run after all."""
        if leader.status == "done":
            follower.leader = None
            follower.reused = True
            follower.results = dict(leader.results)
            follower.done = follower.total
            follower.result_folder = getattr(leader, "result_folder", None)
            self._finisher.submit(self._finish_follower, follower)
        else:
            follower.leader = None
            follower.message = ""
            follower.pending = [r for r in range(follower.total)]

    def _finish_follower(self, job: Job) -> None:
        try:
            if job.on_finish:
                job.on_finish(job)
            outcome, message = "done", ""
        except Exception as exc:  # pragma: no cover - reported in the page
            outcome, message = "failed", f"the results could not be kept: {type(exc).__name__}"
        with self._lock:
            if job.active:
                job.status, job.message, job.finished = outcome, message, time.time()
                self._jobs.pop(job.id, None)

    def _end(self, job: Job, status: str, message: str) -> None:
        """Stop a job: drop its waiting tasks and end its running ones; identical jobs waiting for it run after all."""
        if not job.active:
            return
        job.status, job.message, job.finished = status, message, time.time()
        job.pending = []
        job.want_preview = None
        self._jobs.pop(job.id, None)
        for future, (owner, _, _) in list(self._in_flight.items()):
            if owner is job:
                future.cancel()  # pebble ends the worker running it and starts a new one
        for follower in [j for j in self._jobs.values() if j.leader == job.id]:
            self._follow(follower, job)
        self._wake.notify_all()


def _stop_at_exit(ref) -> None:
    queue = ref()
    if queue is not None:
        try:
            queue.stop()
        except Exception:  # pragma: no cover - the process is ending anyway
            pass


def _preview_text(diff: dict[str, float]) -> str:
    from simulation.formatting import number

    from .state import PREVIEW_CAVEAT, PREVIEW_LEAD

    parts = [f"{label} {number(diff[metric], unit, signed=True)}" for metric, label, unit in PREVIEW_METRICS]
    return PREVIEW_LEAD + "; ".join(parts) + ". " + PREVIEW_CAVEAT


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]
