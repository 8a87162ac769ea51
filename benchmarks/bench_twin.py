"""Benchmark: a 10-year twin run against one full-county 10-year replication, measured in one run.

Prints, from one process so that machine load affects both alike:

- the simulation: one full-county (scale 1) replication of the baseline;
- the twin: the same scenario and horizon, once its compiled code is loaded
  (the one-off compile, cached on disk by numba, is printed apart), best of
  ``--repeats``, with and without turning the result into metrics, and for a
  scenario it has not seen (its rate tables built from the rules first, as
  when a commissioner moves a lever or a sweep reaches a new point);
- the twin of a paired comparison (baseline and closing the day centre,
  integrated together) and the steady state;
- the ratio simulation / twin. The target (issue 11) is at least 100.

    python benchmarks/bench_twin.py [--years 10] [--repeats 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation.scenario import BASELINE_FILE, load_scenario  # noqa: E402


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    baseline = load_scenario(BASELINE_FILE)
    closed = load_scenario(Path(BASELINE_FILE).parent / "close_day_centre.yaml")

    started = time.perf_counter()
    from simulation.twin import Twin, run_twin, run_twins, steady_state  # noqa: E402

    run_twin(baseline, years=0.1)
    load = time.perf_counter() - started

    twin_run = best(lambda: Twin(baseline, years=args.years).run(), args.repeats)
    twin_metrics = best(lambda: run_twin(baseline, years=args.years), args.repeats)
    # A scenario the twin has not seen: its rate tables are built from the rules first (cached by parameter
    # values, so the repeats above reuse them). Each repeat nudges one rate by a part in a million.
    nudged = iter(range(1, 10_000))
    path = "crisis.rate_per_year_severe"

    def unseen():
        k = next(nudged)
        return run_twin(baseline.with_values({path: baseline.params[path].value * (1 + 1e-6 * k)}), years=args.years)

    twin_unseen = best(unseen, args.repeats)
    pair = best(lambda: run_twins([baseline, closed], years=args.years), max(1, args.repeats // 2))
    evaluations = Twin(baseline, years=args.years)
    evaluations.run()
    steady = best(lambda: steady_state(baseline), 1)

    from simulation.model import CountyModel  # noqa: E402

    t = time.perf_counter()
    CountyModel(baseline, seed=args.seed, replication=0, years=args.years, scale=1.0).run()
    replication = time.perf_counter() - t

    out = {
        "years": args.years,
        "replication_seconds": round(replication, 3),
        "twin_run_seconds": round(twin_run, 4),
        "twin_run_with_metrics_seconds": round(twin_metrics, 4),
        "twin_unseen_scenario_with_metrics_seconds": round(twin_unseen, 4),
        "twin_pair_with_metrics_seconds": round(pair, 4),
        "twin_evaluations": evaluations.evaluations,
        "twin_load_or_compile_seconds": round(load, 2),
        "steady_state_seconds": round(steady, 3),
        "ratio_replication_to_twin_run": round(replication / twin_run, 1),
        "ratio_replication_to_twin_with_metrics": round(replication / twin_metrics, 1),
        "ratio_replication_to_twin_unseen_scenario": round(replication / twin_unseen, 1),
    }
    print(f"One full-county replication, {args.years:g} years:   {replication:8.2f} s")
    print(f"Twin, {args.years:g} years (best of {args.repeats}):          {twin_run:8.4f} s "
          f"({evaluations.evaluations} right-hand sides)  ratio {replication / twin_run:,.0f}x")
    print(f"Twin with every metric (summarise):       {twin_metrics:8.4f} s  ratio {replication / twin_metrics:,.0f}x")
    print(f"Twin of a scenario not seen before (tables built, metrics): {twin_unseen:8.4f} s  "
          f"ratio {replication / twin_unseen:,.0f}x")
    print(f"Twin pair (baseline + closure, metrics):  {pair:8.4f} s")
    print(f"Twin steady state of the baseline:        {steady:8.3f} s")
    print(f"Loading (or compiling, first time) the twin: {load:.1f} s")
    verdict = "meets" if replication / twin_run >= 100 else "misses"
    print(f"Target: the twin at least 100x faster than a replication: {verdict} it.")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
