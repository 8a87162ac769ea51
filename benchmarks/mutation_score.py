"""Mutation score per module, from the results ``mutmut run`` left in ``mutants/``.

Run by ``make mutate`` after mutmut. A mutant is *killed* when a behavioural
test fails on it (or it hangs); it *survives* when every test still passes;
it has *no tests* when none of the selected tests runs the mutated line.
The score counts survivors and untested mutants alike against the tests:
mutants no test reaches are bugs nobody would notice.

    python benchmarks/mutation_score.py [--survivors MODULE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 24, -24, 36, 37, 152, 255}   # test failures, pytest internal errors, timeouts, type check
SURVIVED = {0}
NO_TESTS = {5, 33}


def load(root: Path = ROOT / "mutants") -> dict[str, dict[str, int | None]]:
    """Exit codes by mutant, per source file."""
    out = {}
    for meta in sorted(root.rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        out[str(meta.relative_to(root))[: -len(".meta")]] = data.get("exit_code_by_key", {})
    return out


def classify(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "not run" if code is None else "other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", metavar="MODULE", help="list only this module's surviving mutants "
                        "(e.g. simulation/costs.py); by default every module's are listed")
    args = parser.parse_args()
    results = load()
    if not results:
        print("no mutmut results in mutants/: run 'make mutate'", file=sys.stderr)
        return 2
    print(f"{'module':32s} {'mutants':>8s} {'killed':>7s} {'survived':>9s} {'no tests':>9s} {'score':>7s}")
    total: Counter[str] = Counter()
    for path, codes in results.items():
        c = Counter(classify(code) for code in codes.values())
        n = sum(v for k, v in c.items() if k != "not run")   # a run narrowed by MUTANTS leaves the rest unrun
        if not n:
            continue
        total.update(c)
        print(f"{path:32s} {n:8d} {c['killed']:7d} {c['survived']:9d} {c['no tests']:9d} {c['killed'] / n:7.1%}")
    n = sum(v for k, v in total.items() if k != "not run")
    print(f"{'all':32s} {n:8d} {total['killed']:7d} {total['survived']:9d} {total['no tests']:9d} {total['killed'] / n:7.1%}")
    for path, codes in results.items():
        if args.survivors and path != args.survivors:
            continue
        left = [(classify(code), name) for name, code in codes.items() if classify(code) in ("survived", "no tests")]
        if left:
            print(f"\n{path}: {len(left)} not killed (see one with: mutmut show NAME)")
            for kind, name in left:
                print(f"  {kind:9s} {name}")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
