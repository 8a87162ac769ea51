# Two commands do everything on a fresh machine (see README.md):
#   make compare   the main job: compare every shipped scenario with the baseline
#   make test      the whole test suite
# Each sets itself up first: a virtual environment from the lock file.

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTHON  ?= python3
REPS    ?= 10
SCALE   ?= 0.25
OUT     ?= results

.PHONY: setup compare test benchmark clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

compare: setup
	$(BIN)/mhsim compare scenarios/baseline.yaml $(filter-out scenarios/baseline.yaml,$(wildcard scenarios/*.yaml)) \
		--reps $(REPS) --scale $(SCALE) --out $(OUT)

test: setup
	$(BIN)/pytest -q

benchmark: setup
	$(BIN)/python benchmarks/bench_replication.py

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
