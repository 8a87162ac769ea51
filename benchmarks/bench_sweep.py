"""Benchmark: sweep parallel efficiency and the per-task overhead of Dask against local processes.

Measured in one run, so machine noise affects every figure alike:

1. A 40-replication sweep of the baseline (20 points x 2 replications) with
   one worker (this process) and with two local worker processes: the
   speed-up (target at least 1.8x on two cores) and that the rows are equal.
2. Per-task overhead: many near-instant tasks (the Ishigami function) through
   the same store and feeder, on two local processes and on a two-worker Dask
   LocalCluster; overhead per task = wall time / tasks. Then the same
   40-replication sweep on the LocalCluster, against local processes.

    python benchmarks/bench_sweep.py [--scale 0.1] [--years 3] [--tiny 3000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation.scenario import BASELINE_FILE  # noqa: E402
from simulation.sweep import (  # noqa: E402
    Arm, Factor, Ishigami, ScenarioModel, SweepRequest, SweepSpec, build_sweep,
    new_sweep, rows_equal, run_sweep,
)


def replication_sweep(root: Path, scale: float, years: float):
    req = SweepRequest(scenario=BASELINE_FILE, vary=[("population.carer_share", "0.25", "0.6", None, "bench", None, "--vary")],
                       design="lhs", samples=20, reps=2, years=years, scale=scale, oneway=False)
    spec, scenarios, problems = build_sweep(req)
    assert not problems, problems
    store, design, _ = new_sweep(root, spec, "bench")
    assert len(design) * spec.reps == 40
    return store, ScenarioModel(spec, scenarios)


def tiny_sweep(root: Path, n: int):
    d = max(1, int(round(n / 5)))
    spec = SweepSpec("sweep", "sobol", tuple(Factor(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)),
                     (Arm("", "Ishigami", "", ""),), d, 1, 1, 1.0, 1.0, 0.0, oneway=False)
    store, design, _ = new_sweep(root, spec, "bench")
    return store, Ishigami(), len(design)


def timed(store, model, **kw) -> float:
    started = time.perf_counter()
    stats = run_sweep(store, model, **kw)
    assert not stats.interrupted and stats.tasks_run == stats.tasks_total
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--tiny", type=int, default=3000, help="near-instant tasks for the overhead figures")
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    out: dict = {"cpus": os.cpu_count(), "scale": args.scale, "years": args.years}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # 1. parallel efficiency of the 40-replication sweep
        s1, model = replication_sweep(tmp / "one", args.scale, args.years)
        t1 = timed(s1, model, workers=1)
        s2, model = replication_sweep(tmp / "two", args.scale, args.years)
        t2 = timed(s2, model, workers=2)
        same = rows_equal(s1.rows(), s2.rows())
        out.update({"seconds_1_worker": round(t1, 2), "seconds_2_workers": round(t2, 2), "speedup_2_vs_1": round(t1 / t2, 3),
                    "parallel_efficiency": round(t1 / t2 / 2, 3), "rows_equal": same,
                    "seconds_per_replication": round(s1.rows()["run.seconds"].mean(), 3)})
        # 2. per-task overhead, local processes against Dask
        local_tiny, fn, n = tiny_sweep(tmp / "tiny-local", args.tiny)
        t_local = timed(local_tiny, fn, workers=2)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster) as client:
            dask_tiny, fn, _ = tiny_sweep(tmp / "tiny-dask", args.tiny)
            timed(dask_tiny, fn, client=client, chunk_rows=10**9)  # warm the workers (imports)
            dask_tiny2, fn, _ = tiny_sweep(tmp / "tiny-dask2", args.tiny)
            t_dask = timed(dask_tiny2, fn, client=client)
            s3, model = replication_sweep(tmp / "dask", args.scale, args.years)
            t3 = timed(s3, model, client=client)
        out.update({
            "tiny_tasks": n,
            "overhead_ms_per_task_local": round(1000 * t_local / n, 3),
            "overhead_ms_per_task_dask": round(1000 * t_dask / n, 3),
            "seconds_2_workers_dask": round(t3, 2),
            "dask_extra_ms_per_replication": round(1000 * (t3 - t2) / 40, 1),
            "dask_rows_equal": rows_equal(s1.rows(), s3.rows()),
        })
    print(json.dumps(out, indent=2))
    print(f"\n40-replication sweep ({args.scale:g} of the county, {args.years:g} years; {out['seconds_per_replication']:.2f} s a replication):"
          f" 1 worker {t1:.1f} s, 2 workers {t2:.1f} s: speed-up {t1 / t2:.2f}x (target 1.8x), rows equal: {same}")
    print(f"Per-task overhead ({n} near-instant tasks, two workers): local processes {out['overhead_ms_per_task_local']:.2f} ms,"
          f" Dask LocalCluster {out['overhead_ms_per_task_dask']:.2f} ms; the 40-replication sweep on Dask took {t3:.1f} s"
          f" ({out['dask_extra_ms_per_replication']:+.0f} ms a replication against local processes), rows equal: {out['dask_rows_equal']}")
    return out


if __name__ == "__main__":
    main()
