"""Benchmark: what simulating part of the county does to queues (issue 12, Build 5).

Runs the shipped baseline at several scales with the same seeds and prints,
per scale, the share of admissions placed out of area, in-area bed
occupancy, out-of-area bed days a year (reported at full scale) and crisis
episodes a year. Averages scale with the county; queues do not, so the
out-of-area share is the figure to watch. The printed ``MEASURED`` dict is
what ``simulation/scale.py`` quotes in the warning a run below scale 1
prints; paste it there after a deliberate change to the baseline.

    python benchmarks/scale_regime.py [--scales 0.05 0.1 0.25 1] [--reps 3] [--years 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation.experiment import run_replication  # noqa: E402
from simulation.scenario import BASELINE_FILE, load_scenario  # noqa: E402


def one(scale: float, rep: int, years: float, seed: int) -> dict[str, float]:
    r = run_replication(load_scenario(BASELINE_FILE), seed, rep, years, scale, 0.0)
    m = r.metrics
    admissions = m["acute_admissions"]
    return {"out_of_area_share": m["out_of_area_placements"] / admissions if admissions else 0.0,
            "acute_bed_occupancy": m["acute_bed_occupancy"],
            "out_of_area_bed_days_per_year": m["out_of_area_bed_days"] / years,
            "crisis_episodes_per_year": m["crisis_episodes"] / years}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.05, 0.1, 0.25, 1.0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--years", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    jobs = [(s, r) for s in args.scales for r in range(args.reps)]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(one, [s for s, _ in jobs], [r for _, r in jobs], [args.years] * len(jobs), [args.seed] * len(jobs)))
    table: dict[float, dict[str, float]] = {}
    for s in args.scales:
        mine = [row for (scale, _), row in zip(jobs, rows) if scale == s]
        table[s] = {k: round(float(np.mean([row[k] for row in mine])), 4) for k in mine[0]}
    print(f"{'scale':>6} " + " ".join(f"{k:>30}" for k in table[args.scales[0]]))
    for s, row in table.items():
        print(f"{s:>6g} " + " ".join(f"{v:>30.4g}" for v in row.values()))
    print("MEASURED =", repr({s: {"out_of_area_share": row["out_of_area_share"],
                                  "acute_bed_occupancy": row["acute_bed_occupancy"]} for s, row in table.items()}))


if __name__ == "__main__":
    main()
