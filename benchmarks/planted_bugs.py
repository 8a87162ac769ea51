"""The audit's planted bugs (../shared/reviews/tests.md, "Mutation results"), each planted by hand in a
copy of the committed tree and run against the behavioural tests (never the stored regression check).

Every bug must make at least one test fail; the catching tests are listed (docs/testing.md keeps the table).

    python benchmarks/planted_bugs.py [NAME ...]      # exit 1 if any bug passes every test
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PLANTS = {  # name: (file, text as committed, the bug)
 "M1_price_index_inverted": ("simulation/costs.py", "return value / float(params[", "return value * float(params["),
 "M2a_budget_payers_swapped": ("simulation/catalogue.py",
     '"stock:budget_holders-health_budget_holders",\n                        "year", payer_override="council")',
     '"stock:budget_holders-health_budget_holders",\n                        "year", payer_override="nhs")'),
 "M2b_block_split_swapped": ("simulation/outcomes.py", "shares = [(payer, 1.0 - s), (item.split[1], s)]",
     "shares = [(payer, s), (item.split[1], 1.0 - s)]"),
 "M3_day_centre_crisis_effect_dropped": ("simulation/catalogue.py",
     "for e in s.effects if e.outcome == outcome)",
     "for e in s.effects if e.outcome == outcome and not (s.name == 'day_centre' and outcome == 'crisis'))"),
 "M4a_month0_snapshot_skipped": ("simulation/model/__init__.py", "if k >= 0:", "if k > 0:"),
 "M4b_move_on_window_29_months": ("simulation/model/housing.py", "<= 30 * DAYS_PER_MONTH", "<= 29 * DAYS_PER_MONTH"),
 "M5_closure_redirect_skipped": ("simulation/model/actions.py", "        got_place = False\n",
     "        target = \"nothing\"\n        got_place = False\n"),
 "M6_enablement_handlers_swapped": ("simulation/model/housing.py",
     "hz.ENABLEMENT_MOVE_ON: self.on_enablement_move_on, hz.ENABLEMENT_BREAKDOWN: self.on_enablement_breakdown",
     "hz.ENABLEMENT_MOVE_ON: self.on_enablement_breakdown, hz.ENABLEMENT_BREAKDOWN: self.on_enablement_move_on"),
 "M7_discount_sign_flipped": ("simulation/costs.py", "** (-t_mid_days / DAYS_PER_YEAR)", "** (t_mid_days / DAYS_PER_YEAR)"),
 "M8_one_shared_routing_stream": ("simulation/model/life.py", "        routes = p.routes\n        if routes is None:\n            routes = p.routes = [0] * len(PURPOSES)\n",
     "        routes = self.__dict__.setdefault('_shared_routes', [0] * len(PURPOSES))\n"),
 "M9_relapse_never_starts_crisis": ("simulation/model/lifecourse.py", "            m.crisis.on_crisis(p)\n\n    def on_job_gain", "            pass\n\n    def on_job_gain"),
 "M10_builder_resize_month_late": ("dashboard/builder.py", "at_month(ResizeService, lever.month,", "at_month(ResizeService, lever.month + 1,"),
 "M11_suicides_as_other_deaths": ("simulation/model/lifecourse.py", 'self.exit(p, DIED_SUICIDE, "suicides")', 'self.exit(p, DIED_OTHER, "deaths_other")'),
}
TESTS = ["tests/test_cost_account.py", "tests/test_events.py", "tests/test_closures.py", "tests/test_windows.py",
         "tests/test_builder.py", "tests/test_hazards.py", "tests/test_costs.py", "tests/test_model_invariants.py",
         "tests/test_extremes.py", "tests/test_programmes.py", "tests/test_horizons.py", "tests/test_census.py",
         "tests/test_crn.py::test_closing_a_neutral_service_changes_no_outcome_in_any_replication",
         "tests/test_crn.py::test_changing_one_rate_changes_only_what_depends_on_it",
         "tests/test_crn.py::test_a_decision_shrinks_the_spread_of_the_difference_far_below_the_outcomes_own",
         "tests/test_reproducibility.py", "tests/test_warmup.py", "tests/test_routing_streams.py", "tests/test_period.py", "tests/test_metric_definitions.py", "tests/test_quality_and_cohorts.py"]


def main(names: list[str]) -> int:
    missed = []
    with tempfile.TemporaryDirectory(prefix="planted-") as tmp:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        for name in names or list(PLANTS):
            path, old, new = PLANTS[name]
            f = Path(tmp) / path
            original = f.read_text()
            assert original.count(old) == 1, f"{name}: the committed text to replace is not found once in {path}"
            f.write_text(original.replace(old, new))
            try:
                r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", *TESTS],
                                   cwd=tmp, env={**os.environ, "PYTHONPATH": tmp}, capture_output=True, text=True)
            finally:
                f.write_text(original)
            failed = re.findall(r"^FAILED (\S+)", r.stdout, re.M)
            print(f"{name}: {'caught by ' + str(len(failed)) + ' tests' if failed else 'MISSED'}", flush=True)
            for t in failed:
                print(f"    {t}")
            if not failed:
                missed.append(name)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
