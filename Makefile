# Two commands do everything on a fresh machine (see README.md):
#   make dashboard   the main job: the dashboard over the shipped scenarios
#   make test        the gates (make lint: ruff and mypy), then the whole test suite (browser tests included)
# Each sets itself up first: a virtual environment from the lock file, and
# Debian's chromium (for browser tests and PNG export) if it is missing.

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTHON  ?= python3
REPS    ?= 10
SCALE   ?= 0.25
OUT     ?= results

SUDO    := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)

.PHONY: setup browser dashboard compare psa-shipped lint test benchmark mutate planted-bugs regression-update clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m simulation.twin   # compile the twin's kernel once (numba caches it on disk)
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium (browser tests, PNG export)..."; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

dashboard: setup
	@command -v chromium >/dev/null 2>&1 || $(MAKE) --no-print-directory browser || echo "(no chromium: PNG export will not work)"
	$(BIN)/mhsim dashboard

compare: setup
	$(BIN)/mhsim compare scenarios/baseline.yaml $(filter-out scenarios/baseline.yaml,$(wildcard scenarios/*.yaml)) \
		--reps $(REPS) --scale $(SCALE) --out $(OUT)

# The probabilistic sensitivity analysis of each shipped decision against the baseline, on the
# mean-field twin (a few minutes on 2 cores), into scenarios/psa/<decision file>/: the page's and the
# brief's answer cards read psa-best.csv and psa-thresholds.csv from there. Only the small CSVs are kept.
PSA_SAMPLES ?= 40
PSA_WORKERS ?= 2
psa-shipped: setup
	@for f in $(filter-out scenarios/baseline.yaml,$(wildcard scenarios/*.yaml)); do \
		stem=$$(basename $$f .yaml); out=scenarios/psa/$$stem; \
		echo "PSA: $$stem"; rm -rf $$out.tmp; \
		$(BIN)/mhsim psa scenarios/baseline.yaml $$f --engine twin --samples $(PSA_SAMPLES) \
			--workers $(PSA_WORKERS) --no-png --out $$out.tmp > /dev/null || exit 1; \
		rm -rf $$out; mkdir -p $$out; for t in best thresholds ceac noise; do cp $$out.tmp/psa-$$t.csv $$out/; done; rm -rf $$out.tmp; \
	done

# The gates: lint (pyflakes, line length 120, complexity at most 15) and types, over the package code.
lint: setup
	$(BIN)/ruff check simulation dashboard
	$(BIN)/mypy

test: setup browser lint
	$(BIN)/pytest -q

# Mutation testing of the modules that produce numbers, against the fast behavioural tests
# (configured under [tool.mutmut] in pyproject.toml; slow: not part of CI).
# MUTANTS narrows a run to some modules' mutants (mutmut's glob on mutant names), e.g.
#   make mutate MUTANTS='simulation.costs.* simulation.outcomes.* simulation.hazards.*'
# CHILDREN is how many mutants run at once.
MUTANTS  ?=
CHILDREN ?= 2
mutate: setup
	$(BIN)/pip install --quiet --disable-pip-version-check mutmut==3.8.1
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(CHILDREN) $(MUTANTS) || true
	$(BIN)/python benchmarks/mutation_score.py

# The audit's twelve planted bugs, each in a copy of the committed tree: every one must fail a behavioural test.
planted-bugs: setup
	$(BIN)/python benchmarks/planted_bugs.py

# Store new regression numbers on purpose, with the reason (kept in the file's history).
regression-update: setup
	@test -n "$(REASON)" || { echo 'say why the numbers changed: make regression-update REASON="..."'; exit 2; }
	$(BIN)/python tests/regression_check.py update --reason "$(REASON)"

benchmark: setup
	$(BIN)/python benchmarks/bench_replication.py
	$(BIN)/python benchmarks/bench_sweep.py

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis .ruff_cache .mypy_cache
