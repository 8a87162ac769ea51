"""What the server remembers: shared results, each browser session's work, and runs.

Results everyone sees (the shipped scenarios, or a results folder) are
shared; scenarios a person builds or uploads belong to their browser
session, so two people working at once never see each other's scenarios.

Session ids are issued by the server only, signed (a page cannot choose or
guess one), and forgotten with their runs and results after a while unused.
Every run goes through one queue and one pool of worker processes
(:mod:`dashboard.jobs`), with limits per session and for the whole server.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import BadSignature, Signer

from simulation.errors import InputError, Problem
from simulation.experiment import Experiment, RunPlan, scenario_labels
from simulation.results import write_outputs
from simulation.scenario import BASELINE_FILE, SHIPPED_SCENARIOS, Scenario, load_scenario, load_scenarios, size_problems

from .data import Plan, ScenarioResults, cache_key, cache_problem, cache_root, cached, load_results_dir, prune_cache
from .jobs import PREVIEW_METRICS, Job, JobQueue, Limits, QueueFull, agreement_text, new_job_id

__all__ = ["AppState", "Job", "Limits", "QueueFull", "Session"]

MAX_TOKEN_LENGTH = 100
"""Longest session token accepted (the server's are 60 characters)."""


@dataclass
class Session:
    id: str
    results: dict[str, ScenarioResults] = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)
    last_seen: float = field(default_factory=time.time)


PREVIEW_LEAD = "The twin's estimate against the baseline, at once (the mean-field twin, whole county): "
PREVIEW_CAVEAT = ("On the shipped decisions the twin's differences agree with the simulation's about as often as chance "
                  "allows, though not on every figure ('mhsim verify --agreement' names the misses; the Recovery "
                  "College's fall in admissions is about 6% larger in the twin, its years in work 4% smaller), and it "
                  "has no chance and no intervals: the simulation's replications follow, and any figure where they "
                  "disagree is named here.")


def _write_job(job: Job) -> Path:
    """A finished job's results, written into the cache (or a private folder if the cache cannot be trusted)."""
    seed, reps, years, scale, warmup = job.run
    plan = RunPlan(seed=seed, replications=reps, years=years, scale=scale, warmup_years=warmup)
    results = [job.results[r] for r in range(reps)]
    trusted = cache_problem() is None
    target = cache_root() / job.key if trusted else _private_dir() / job.key
    if results and isinstance(results[0], tuple):  # a closure, with the baseline following the same people
        base_label, label = scenario_labels([job.cohort_baseline, job.scenario])
        exp = Experiment((job.cohort_baseline, job.scenario), (base_label, label), plan,
                         {base_label: tuple(r[1] for r in results), label: tuple(r[0] for r in results)},
                         time.time() - job.started, 1)
        write_outputs(exp, target, "dashboard", baseline=base_label)
    else:
        (label,) = scenario_labels([job.scenario])
        exp = Experiment((job.scenario,), (label,), plan, {label: tuple(results)}, time.time() - job.started, 1)
        write_outputs(exp, target, "dashboard")
    if trusted:
        prune_cache()
    return target


def own_bundle(bundles: list[ScenarioResults], scenario: Scenario) -> ScenarioResults:
    """The bundle of ``scenario`` in a folder (a closure's folder holds the baseline that followed its cohort too)."""
    for b in bundles:
        if b.content_hash == scenario.content_hash:
            return b
    return bundles[-1]


def size_to_precision(plan: Plan, scenarios: list[Scenario], targets: list, max_reps: int, workers: int = 1,
                      progress=None) -> tuple[Plan, list[dict]]:
    """The dashboard's runs sized to a stated precision: the shipped decisions are run against the baseline
    (the first scenario) until every named difference is as precise as asked (``run_to_precision``), their
    results are cached under the plan that reached it, and that plan is what every run in the page then uses."""
    from simulation.experiment import RunPlan, run_to_precision

    pilot = RunPlan(seed=plan.seed, replications=plan.replications, years=plan.years, scale=plan.scale,
                    warmup_years=plan.warmup_years)
    exp = run_to_precision(scenarios, pilot, targets, max_reps, workers=workers, progress=progress)
    sized = Plan(plan.seed, exp.plan.replications, plan.years, plan.scale, plan.warmup_years)
    if cache_problem() is None:
        for label, scenario in zip(exp.labels, exp.scenarios):
            one = Experiment((scenario,), (label,), exp.plan, {label: exp.results[label]}, exp.wall_seconds, workers)
            write_outputs(one, cache_root() / cache_key(scenario, sized), "dashboard")
        prune_cache()
    return sized, exp.extra.get("precision", [])


_PRIVATE: list[Path] = []


def _private_dir() -> Path:
    import tempfile

    if not _PRIVATE:
        _PRIVATE.append(Path(tempfile.mkdtemp(prefix="mhsim-results-")))
    return _PRIVATE[0]


class AppState:
    """The dashboard server's memory."""

    def __init__(self, plan: Plan, workers: int = 1, limits: Limits | None = None):
        self.plan = plan
        self.workers = max(1, workers)
        self.limits = limits or Limits()
        self.shared: dict[str, ScenarioResults] = {}
        self.sessions: dict[str, Session] = {}
        self.jobs: dict[str, Job] = {}
        self.lock = threading.RLock()
        self.startup = Job("startup", "", "shipped scenarios", 0, status="done")
        self.startup_parts: list[Job] = []
        """The shipped scenarios run at this start (none when all were cached): each decision's twin preview,
        then its agreement with the simulation, are shown under the progress bar."""
        self.source = "shipped scenarios"
        self.queue = JobQueue(self.workers, self.limits, finish=_write_job)
        self._signer = Signer(secrets.token_bytes(32), salt="mhsim-session")
        self._last_sweep = 0.0
        self._baseline: Scenario | None = None
        problem = cache_problem()
        if problem:
            print(f"Warning: the results cache is not used, since {problem}; runs are kept only until the server stops.", flush=True)

    def close(self) -> None:
        """Stop the queue and its worker processes."""
        self.queue.stop()

    # -- shared results ------------------------------------------------------
    def load_results_folder(self, folder: Path) -> None:
        """Show what ``mhsim run``/``compare`` wrote into ``folder`` (InputError if it is damaged)."""
        bundles = load_results_dir(folder)
        with self.lock:
            for b in bundles:
                self.shared[b.key] = b
        if bundles:
            self.plan = bundles[0].plan
        self.source = f"results in {Path(folder).name}"

    def shipped_scenarios(self) -> list[Scenario]:
        files = sorted(SHIPPED_SCENARIOS.glob("*.yaml"), key=lambda p: (p.name != "baseline.yaml", p.name))
        return load_scenarios(files)

    def start_shipped(self, scenarios: list[Scenario] | None = None, wait: bool = False) -> None:
        """Load the shipped scenarios from the cache, running those not cached yet in the background."""
        scenarios = scenarios if scenarios is not None else self.shipped_scenarios()
        startup = Job("startup", "", "shipped scenarios", total=len(scenarios) * self.plan.replications, status="running")
        self.startup = startup
        parts: list[Job] = []
        for s in scenarios:
            hit = cached(s, self.plan)
            if hit is not None:
                try:
                    self._add_shared(hit, s)
                    startup.done += self.plan.replications
                    continue
                except InputError:  # damaged after all: run it again
                    pass
            job = self._job("", s, capped=False)
            job.on_finish = lambda j, s=s: self._add_shared(j.result_folder, s)
            baseline = self._baseline_scenario()
            if baseline is not None and s.content_hash != baseline.content_hash:   # a decision: the twin's answer at once
                job.want_preview = baseline
            parts.append(job)
        self.startup_parts = parts
        if not parts:
            startup.status = "done"
            startup.finished = time.time()
            return
        done_before = startup.done

        def watch() -> None:
            while True:
                startup.done = done_before + sum(j.done for j in parts)
                failed = [j for j in parts if j.status == "failed"]
                if failed:
                    startup.fail(failed[0].message)
                    return
                if all(j.status == "done" for j in parts):
                    startup.status = "done"
                    startup.finished = time.time()
                    return
                time.sleep(0.2)

        for job in parts:
            self.queue.submit(job)
        thread = threading.Thread(target=watch, daemon=True, name="mhsim-startup")
        thread.start()
        if wait:
            thread.join()

    def _add_shared(self, folder: Path, scenario: Scenario) -> None:
        bundle = own_bundle(load_results_dir(folder, origin="shipped"), scenario)
        bundle.scenario = scenario
        with self.lock:
            self.shared[bundle.key] = bundle

    def startup_notes(self) -> list[tuple[str, str, str]]:
        """For each shipped decision run at this start: (name, 'preview', 'agreement' or 'disagreement', text): the twin's estimate
        while its replications run, then where the simulation's figures agree with it (once the decision's and
        the baseline's runs are both in)."""
        notes = []
        for job in self.startup_parts:
            if not job.preview_diff:
                continue
            if job.status == "done" and not job.agreement:
                bundle = next((b for b in list(self.shared.values()) if b.scenario is job.scenario), None)
                if bundle is not None:
                    job.agreement = self._twin_agreement(job, bundle)
            if job.status == "done" and job.agreement:
                differs = job.agreement.startswith("The simulation's replications differ")
                notes.append((job.label, "disagreement" if differs else "agreement", job.agreement))
            elif job.preview:
                notes.append((job.label, "preview", job.preview))
        return notes

    # -- sessions ------------------------------------------------------------
    def new_session(self) -> str:
        """A new session and its token (the only way a session comes to be)."""
        sid = secrets.token_urlsafe(18)
        with self.lock:
            self._forget_idle()
            self.sessions[sid] = Session(sid)
        return self._signer.sign(sid).decode()

    def valid(self, token: object) -> bool:
        return self._sid(token) is not None

    def _sid(self, token: object) -> str | None:
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            return None
        try:
            return self._signer.unsign(token).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def session(self, token: object) -> Session | None:
        """The session a token names (made again, empty, if it was forgotten), or None for a token the server did not issue."""
        sid = self._sid(token)
        if sid is None:
            return None
        with self.lock:
            if time.time() - self._last_sweep > 30:
                self._forget_idle()
            s = self.sessions.get(sid)
            if s is None:
                s = self.sessions[sid] = Session(sid)
            s.last_seen = time.time()
            return s

    def _forget_idle(self) -> None:
        """Forget sessions unused for a while (with their runs and results), and the oldest past the most kept."""
        self._last_sweep = time.time()
        cutoff = time.time() - self.limits.session_idle_seconds
        by_age = sorted(self.sessions.values(), key=lambda s: s.last_seen)
        extra = max(0, len(by_age) + 1 - self.limits.sessions)
        for i, s in enumerate(by_age):
            if s.last_seen < cutoff or i < extra:
                self._drop(s)

    def _drop(self, s: Session) -> None:
        self.queue.cancel_session(s.id)
        for job_id in s.jobs:
            self.jobs.pop(job_id, None)
        self.sessions.pop(s.id, None)

    def visible(self, token: object) -> list[ScenarioResults]:
        """Everything one session may see: shared results, then its own."""
        with self.lock:
            s = self.session(token)
            own = list(s.results.values()) if s else []
            return list(self.shared.values()) + own

    def find(self, token: object, key: str | None) -> ScenarioResults | None:
        for r in self.visible(token):
            if r.key == key:
                return r
        return None

    def scenarios_for_builder(self, token: object) -> list[ScenarioResults]:
        return [r for r in self.visible(token) if r.scenario is not None]

    # -- runs ----------------------------------------------------------------
    def check(self, scenario: Scenario, name: str) -> None:
        """InputError if ``scenario`` cannot run under this server's plan (its size)."""
        problems = size_problems(scenario, self.plan.years, self.plan.scale, self.plan.warmup_years, where=name)
        if problems:
            raise InputError(problems)

    def _job(self, session_id: str, scenario: Scenario, capped: bool = True) -> Job:
        from simulation.experiment import cohort_markers

        plan = self.plan
        job = Job(new_job_id(), session_id, scenario.name, total=plan.replications, scenario=scenario,
                  run=(plan.seed, plan.replications, plan.years, plan.scale, plan.warmup_years),
                  key=cache_key(scenario, plan), pending=list(range(plan.replications)), capped=capped)
        if cohort_markers([scenario]):
            job.cohort_baseline = self._baseline_scenario()
        return job

    def submit(self, token: object, scenario: Scenario, yaml_text: str, origin: str = "built in the page") -> Job:
        """Run a session's scenario in the background; its results join that session.

        Raises QueueFull past the limits, and InputError for a token the server did not issue.
        """
        s = self.session(token)
        if s is None:
            raise InputError([Problem("session", "this page's session is not known to the server", allowed="reload the page")])
        self.check(scenario, scenario.name)
        job = self._job(s.id, scenario)
        job.on_finish = lambda j: self._deliver(j, scenario, yaml_text, origin)
        hit = cached(scenario, self.plan)
        if hit is not None:
            job.reused = True
            job.result_folder = hit
            job.done = job.total
            job.pending = []
            self._deliver(job, scenario, yaml_text, origin)
            job.status, job.finished = "done", time.time()
        else:
            job.want_preview = self._baseline_scenario()
            self.queue.submit(job)  # may raise QueueFull
        with self.lock:
            self.jobs[job.id] = job
            s.jobs.append(job.id)
        return job

    def cancel(self, token: object, job_id: str) -> bool:
        s = self.session(token)
        return s is not None and self.queue.cancel(job_id, s.id)

    def _baseline_scenario(self) -> Scenario | None:
        if self._baseline is None:
            try:
                self._baseline = load_scenario(BASELINE_FILE)
            except InputError:  # pragma: no cover - the shipped baseline is checked by the tests
                return None
        return self._baseline

    def _deliver(self, job: Job, scenario: Scenario, yaml_text: str, origin: str) -> None:
        """A finished run's results join its session (a copy under the person's own name)."""
        assert job.result_folder is not None, "a finished run has written its results folder"
        bundle = own_bundle(load_results_dir(job.result_folder, origin=origin), scenario)
        bundle.key = f"own-{job.id}"
        bundle.name = scenario.name
        bundle.description = scenario.description
        bundle.actions = tuple(a.describe() for a in scenario.actions)
        bundle.scenario = scenario
        bundle.yaml_text = yaml_text
        job.agreement = self._twin_agreement(job, bundle)
        with self.lock:
            s = self.sessions.get(job.session)
            if s is None:  # the session was forgotten meanwhile
                return
            bundle.label = self._unique_label(s, scenario.name, bundle.key)
            s.results[bundle.key] = bundle
            while len(s.results) > self.limits.results_per_session:
                s.results.pop(next(iter(s.results)))

    def _twin_agreement(self, job: Job, bundle: ScenarioResults) -> str:
        """The simulation's figures against the twin's estimate shown while it ran: against the baseline's
        replications run alongside (a closure's) or the shipped baseline run with the same plan."""
        if not job.preview_diff:
            return ""
        metrics = [m for m, _, _ in PREVIEW_METRICS]
        paired = [job.results[r] for r in sorted(job.results)]
        if paired and all(isinstance(v, tuple) for v in paired):
            alt = {m: [v[0].metrics[m] for v in paired] for m in metrics}
            base = {m: [v[1].metrics[m] for v in paired] for m in metrics}
        else:
            with self.lock:
                shared = [r for r in self.shared.values() if r.name.lower().startswith("baseline") and r.plan == bundle.plan]
            if not shared:
                return ""
            alt = {m: bundle.values(m) for m in metrics}
            base = {m: shared[0].values(m) for m in metrics}
        return agreement_text(job.preview_diff, alt, base, bundle.plan.scale)

    def _unique_label(self, s: Session, name: str, key: str) -> str:
        taken = {r.label for r in [*self.shared.values(), *s.results.values()] if r.key != key}
        label, k = name, 2
        while label in taken:
            label = f"{name} ({k})"
            k += 1
        return label

    def session_jobs(self, token: object) -> list[Job]:
        with self.lock:
            s = self.session(token)
            return [self.jobs[j] for j in s.jobs if j in self.jobs] if s else []

    def health(self) -> dict:
        """What a health check reports: the queue, the sessions and the first start."""
        with self.lock:
            return {"status": "ok", "startup": self.startup.status, "sessions": len(self.sessions), **self.queue.stats()}
