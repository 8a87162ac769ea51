"""Benchmark: one full-county (scale 1) 10-year baseline replication, and how cost grows with the county.

Prints, from one run so that machine noise cancels in the ratios:

* wall and CPU time of the replication, scheduler events, people's events
  (clocks that ran out and deadlines), peak memory;
* bare SimPy's cost per event with as many live processes as the model has
  people (each process sleeping exponential times), and the model's cost per
  scheduler event and per person-event against it;
* one replication at scale 0.25, 0.5 and 1 over 3 years, and the exponent of
  CPU time against population (1 means cost in proportion to the county).

    python benchmarks/bench_replication.py [--scale 1] [--years 10] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import resource
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation.model import CountyModel  # noqa: E402
from simulation.scenario import BASELINE_FILE, load_scenario  # noqa: E402


def bare_simpy(processes: int, events: int, seed: int = 1) -> tuple[float, int]:
    """CPU seconds and events for ``processes`` live processes sleeping exponential times.

    Each process draws its sleeps from the same kind of source and the run stops
    after about ``events`` events, so the heap is as large as the model's people.
    """
    rnd = random.Random(seed)
    env = simpy.Environment()
    horizon = max(1.0, events / processes)

    def life(env: simpy.Environment):
        while True:
            yield env.timeout(rnd.expovariate(1.0))

    gc.disable()
    try:
        for _ in range(processes):
            env.process(life(env))
        start = time.process_time()
        env.run(until=horizon)
        seconds = time.process_time() - start
    finally:
        gc.enable()
    return seconds, next(env._eid)


def replication(scenario, scale: float, years: float, seed: int) -> tuple[float, float, CountyModel, object]:
    model = CountyModel(scenario, seed=seed, replication=0, years=years, scale=scale, check_invariants=False)
    wall, cpu = time.perf_counter(), time.process_time()
    record = model.run()
    return time.perf_counter() - wall, time.process_time() - cpu, model, record


def scaling(scenario, seed: int, years: float = 3.0) -> dict:
    """CPU seconds of one replication at three sizes, and the fitted exponent (log-log least squares)."""
    sizes = (0.25, 0.5, 1.0)
    seconds = [min(replication(scenario, s, years, seed)[1] for _ in range(2)) for s in sizes]
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = sum(xs) / 3, sum(ys) / 3
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return {f"cpu_seconds_scale_{s:g}_{years:g}y": round(t, 2) for s, t in zip(sizes, seconds)} | {
        "cost_exponent_in_population": round(slope, 2), "target_exponent": 1.1}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-scaling", action="store_true", help="skip the three sizes")
    args = parser.parse_args(argv)

    scenario = load_scenario(BASELINE_FILE)
    wall, cpu, model, record = replication(scenario, args.scale, args.years, args.seed)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    person_events = model.lives.events_handled
    bare_seconds, bare_events = bare_simpy(record.peak_live_processes, record.scheduler_events)
    bare_us = bare_seconds / bare_events * 1e6
    figures = {
        "scale": args.scale,
        "years": args.years,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "scheduler_events": record.scheduler_events,
        "person_events": person_events,
        "people_alive_peak": record.peak_live_processes,
        "peak_memory_mb": round(peak_kb / 1024, 1),
        "model_cpu_us_per_scheduler_event": round(cpu / record.scheduler_events * 1e6, 2),
        "model_cpu_us_per_person_event": round(cpu / person_events * 1e6, 2),
        "bare_simpy_cpu_us_per_event": round(bare_us, 2),
        "ratio_per_scheduler_event": round(cpu / record.scheduler_events * 1e6 / bare_us, 2),
        "ratio_per_person_event": round(cpu / person_events * 1e6 / bare_us, 2),
        "target_ratio": 2.0,
    }
    if not args.no_scaling:
        figures |= scaling(scenario, args.seed)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return figures


if __name__ == "__main__":
    main()
