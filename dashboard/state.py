"""What the server remembers: shared results, each browser session's work, and runs.

Results everyone sees (the shipped scenarios, or a results folder) are
shared; scenarios a person builds or uploads belong to their browser
session, so two people working at once never see each other's scenarios.
Runs happen in background threads (each spreading replications over local
processes), so a long run for one person never blocks the page for anyone.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from simulation.experiment import RunPlan, run_experiment
from simulation.results import write_outputs
from simulation.scenario import SHIPPED_SCENARIOS, Scenario, load_scenarios

from .data import Plan, ScenarioResults, cache_key, cache_root, cached, load_results_dir


@dataclass
class Job:
    """One background run of one scenario."""

    id: str
    session: str
    label: str
    total: int
    done: int = 0
    status: str = "queued"       # queued, running, done, failed
    message: str = ""
    result_key: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    preview: str = ""            # the mean-field twin's answer, shown while the simulation runs
    reused: bool = False         # the same scenario content had been run before: its results were reused

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def fail(self, exc: Exception) -> None:
        """Record a failure for the page to show (and the server log)."""
        self.status = "failed"
        self.message = f"{exc.__class__.__name__}: {exc}"
        traceback.print_exc()


@dataclass
class Session:
    id: str
    results: dict[str, ScenarioResults] = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)
    last_seen: float = field(default_factory=time.time)


PREVIEW_LEAD = "Rough estimate against the baseline while the simulation runs (mean-field twin): "
PREVIEW_CAVEAT = ("The twin has no chance and no queues and gives no intervals: small differences such as these "
                  "can change size or even direction once the simulation's replications are in. Decide on those.")


def _run_or_load(scenario: Scenario, plan: Plan, workers: int, progress: Callable[[int, int], None] | None) -> Path:
    """Results folder for ``scenario`` under ``plan``: from the cache, or run and cache them."""
    hit = cached(scenario, plan)
    if hit is not None:
        if progress:
            progress(plan.replications, plan.replications)
        return hit
    run_plan = RunPlan(seed=plan.seed, replications=plan.replications, years=plan.years, scale=plan.scale,
                       warmup_years=plan.warmup_years)
    exp = run_experiment([scenario], run_plan, workers=workers, progress=progress)
    target = cache_root() / cache_key(scenario, plan)
    write_outputs(exp, target, "dashboard")
    return target


class AppState:
    """The dashboard server's memory."""

    def __init__(self, plan: Plan, workers: int = 1):
        self.plan = plan
        self.workers = max(1, workers)
        self.shared: dict[str, ScenarioResults] = {}
        self.sessions: dict[str, Session] = {}
        self.jobs: dict[str, Job] = {}
        self.lock = threading.RLock()
        self.startup = Job("startup", "", "shipped scenarios", 0, status="done")
        self.source = "shipped scenarios"
        self._twins: dict = {}

    # -- shared results ------------------------------------------------------
    def load_results_folder(self, folder: Path) -> None:
        """Show what ``mhsim run``/``compare`` wrote into ``folder``."""
        bundles = load_results_dir(folder)
        with self.lock:
            for b in bundles:
                self.shared[b.key] = b
        if bundles:
            self.plan = bundles[0].plan
        self.source = f"results in {folder}"

    def shipped_scenarios(self) -> list[Scenario]:
        files = sorted(SHIPPED_SCENARIOS.glob("*.yaml"), key=lambda p: (p.name != "baseline.yaml", p.name))
        return load_scenarios(files)

    def start_shipped(self, scenarios: list[Scenario] | None = None, wait: bool = False) -> None:
        """Load the shipped scenarios from the cache, running those not cached yet in the background."""
        scenarios = scenarios if scenarios is not None else self.shipped_scenarios()
        job = Job("startup", "", "shipped scenarios", total=len(scenarios) * self.plan.replications, status="running")
        self.startup = job
        pending = []
        for s in scenarios:
            hit = cached(s, self.plan)
            if hit is not None:
                self._add_shared(hit, s)
                job.done += self.plan.replications
            else:
                pending.append(s)
        if not pending:
            job.status = "done"
            job.finished = time.time()
            return
        thread = threading.Thread(target=self._run_shipped, args=(pending, job), daemon=True, name="mhsim-startup")
        thread.start()
        if wait:
            thread.join()

    def _run_shipped(self, pending: list[Scenario], job: Job) -> None:
        try:
            for s in pending:
                base = job.done

                def progress(done: int, total: int, base: int = base) -> None:
                    job.done = base + done

                folder = _run_or_load(s, self.plan, self.workers, progress)
                self._add_shared(folder, s)
            job.status = "done"
        except Exception as exc:  # pragma: no cover - reported in the page
            job.fail(exc)
        job.finished = time.time()

    def _add_shared(self, folder: Path, scenario: Scenario) -> None:
        (bundle,) = load_results_dir(folder, origin="shipped")
        bundle.scenario = scenario
        with self.lock:
            self.shared[bundle.key] = bundle

    # -- sessions ------------------------------------------------------------
    def session(self, session_id: str | None) -> Session:
        with self.lock:
            if not session_id or session_id not in self.sessions:
                session_id = session_id or uuid.uuid4().hex
                self.sessions[session_id] = Session(session_id)
            s = self.sessions[session_id]
            s.last_seen = time.time()
            return s

    def visible(self, session_id: str | None) -> list[ScenarioResults]:
        """Everything one session may see: shared results, then its own."""
        with self.lock:
            own = list(self.session(session_id).results.values())
            return list(self.shared.values()) + own

    def find(self, session_id: str | None, key: str | None) -> ScenarioResults | None:
        for r in self.visible(session_id):
            if r.key == key:
                return r
        return None

    def scenarios_for_builder(self, session_id: str | None) -> list[ScenarioResults]:
        return [r for r in self.visible(session_id) if r.scenario is not None]

    # -- runs ----------------------------------------------------------------
    def submit(self, session_id: str, scenario: Scenario, yaml_text: str, origin: str = "built in the page") -> Job:
        """Run a session's scenario in the background; its results join that session."""
        job = Job(uuid.uuid4().hex[:12], session_id, scenario.name, total=self.plan.replications)
        with self.lock:
            self.jobs[job.id] = job
            self.session(session_id).jobs.append(job.id)
        threading.Thread(target=self._run_job, args=(job, scenario, yaml_text, origin), daemon=True,
                         name=f"mhsim-job-{job.id}").start()
        return job

    def _twin(self, scenario: Scenario):
        """The mean-field twin's result for a scenario under this plan (cached by content)."""
        from simulation.twin import run_twin

        key = (scenario.content_hash, self.plan.years)
        with self.lock:
            hit = self._twins.get(key)
        if hit is None:
            hit = run_twin(scenario, years=self.plan.years)
            with self.lock:
                self._twins[key] = hit
        return hit

    def _preview(self, job: Job, scenario: Scenario) -> None:
        """A first answer from the twin in seconds, while the replications run."""
        try:
            from simulation.scenario import BASELINE_FILE, load_scenario

            base = self._twin(load_scenario(BASELINE_FILE)).metrics
            alt = self._twin(scenario).metrics
            from simulation.formatting import number

            parts = []
            for metric, label, unit in (("total_cost", "total cost", "£"), ("cost_nhs", "NHS", "£"), ("cost_council", "council", "£"),
                                        ("crisis_episodes", "crises", ""), ("qalys", "QALYs", "")):
                parts.append(f"{label} {number(alt[metric] - base[metric], unit, signed=True)}")
            job.preview = (PREVIEW_LEAD + "; ".join(parts) + ". " + PREVIEW_CAVEAT)
        except Exception as exc:  # pragma: no cover - a preview is a courtesy, never a failure
            job.preview = f"(no preview: {exc.__class__.__name__})"

    def _run_job(self, job: Job, scenario: Scenario, yaml_text: str, origin: str) -> None:
        job.status = "running"

        def progress(done: int, total: int) -> None:
            job.done = done

        if cached(scenario, self.plan) is None:
            self._preview(job, scenario)
        else:
            job.reused = True
        try:
            folder = _run_or_load(scenario, self.plan, self.workers, progress)
            (bundle,) = load_results_dir(folder, origin=origin)
            # the cache may hold these numbers under another name (same content): this is the person's own copy
            bundle.key = f"own-{job.id}"
            bundle.name = scenario.name
            bundle.description = scenario.description
            bundle.actions = tuple(a.describe() for a in scenario.actions)
            bundle.scenario = scenario
            bundle.yaml_text = yaml_text
            bundle.label = self._unique_label(job.session, scenario.name, bundle.key)
            with self.lock:
                self.session(job.session).results[bundle.key] = bundle
            job.result_key = bundle.key
            job.status = "done"
        except Exception as exc:  # pragma: no cover - reported in the page
            job.fail(exc)
        job.finished = time.time()

    def _unique_label(self, session_id: str, name: str, key: str) -> str:
        taken = {r.label for r in self.visible(session_id) if r.key != key}
        label, k = name, 2
        while label in taken:
            label = f"{name} ({k})"
            k += 1
        return label

    def session_jobs(self, session_id: str | None) -> list[Job]:
        with self.lock:
            return [self.jobs[j] for j in self.session(session_id).jobs if j in self.jobs]
