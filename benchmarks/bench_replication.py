"""Benchmark: one full-county (scale 1) 10-year baseline replication.

Prints wall time, scheduler events per second, peak memory, and - measured in
the same run so that machine noise cancels - bare SimPy's events per second
with the same number of live processes. The target (issue 2) is a cost per
scheduler event at most 2x bare SimPy's.

    python benchmarks/bench_replication.py [--scale 1] [--years 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import json
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
    """Seconds and events for ``processes`` live processes sleeping exponential times.

    Each process draws its sleeps from the same kind of source (a block of
    uniforms) and the run stops after about ``events`` events, so the heap is
    as large as the model's.
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
        start = time.perf_counter()
        env.run(until=horizon)
        seconds = time.perf_counter() - start
    finally:
        gc.enable()
    return seconds, next(env._eid)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    scenario = load_scenario(BASELINE_FILE)
    model = CountyModel(scenario, seed=args.seed, replication=0, years=args.years, scale=args.scale, check_invariants=False)
    start = time.perf_counter()
    record = model.run()
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model_us = wall / record.scheduler_events * 1e6

    bare_seconds, bare_events = bare_simpy(record.peak_live_processes, record.scheduler_events)
    bare_us = bare_seconds / bare_events * 1e6
    figures = {
        "scale": args.scale,
        "years": args.years,
        "wall_seconds": round(wall, 2),
        "scheduler_events": record.scheduler_events,
        "events_per_second": round(record.scheduler_events / wall),
        "peak_live_processes": record.peak_live_processes,
        "peak_memory_mb": round(peak_kb / 1024, 1),
        "model_us_per_event": round(model_us, 2),
        "bare_simpy_events_per_second": round(bare_events / bare_seconds),
        "bare_simpy_us_per_event": round(bare_us, 2),
        "cost_ratio_model_over_bare": round(model_us / bare_us, 2),
        "target_ratio": 2.0,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return figures


if __name__ == "__main__":
    main()
