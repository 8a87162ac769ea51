"""Batch sweeps: designs, a resumable Parquet result store, local and Dask execution.

A sweep varies some parameters over ranges and runs every *design point*
``reps`` times. Point ``i`` replication ``r`` is run with the sweep's seed and
replication number ``r`` at every point, so two points share their random
numbers (common random numbers) and differ only by their parameter values.
With a comparator (``--compare BASE.yaml``) each point x replication runs both
scenarios with the same parameter values and the same randomness, and the
paired differences are stored beside the metrics as ``delta.METRIC``.

The store (``DIR``) holds::

    sweep-manifest.json   what the sweep is (options, factors, a hash of the design),
                          progress and speed of every session that worked on it
    design.parquet        one row per design point: point, block, param.PATH, unit.PATH
    rows/part-*.parquet   the results: one row per (point, replication), written in
                          chunks as work completes (temporary file + os.replace)

Each (point, replication) has a fixed task id, so ``--resume`` runs only what
no chunk holds yet: no row is lost or written twice, and because a task is a
pure function of its inputs, the final rows equal an uninterrupted run's.

Execution is local processes by default (``workers``) or a Dask distributed
cluster (``scheduler``); both run the same top-level task function.

The package, by concern:

- :mod:`.design`: factors, arms, the spec and the designs (grid, LHS, Sobol, Morris, PSA, one-way);
- :mod:`.arms`: what runs at each point (:class:`ScenarioModel` on the simulation, :class:`TwinScenarioModel`
  on the mean-field twin, chosen by :func:`sweep_model`) and the numbers in actions;
- :mod:`.store`: the folder, written atomically, and whether ``--out`` can take a sweep;
- :mod:`.execute`: running the tasks on local processes or Dask;
- :mod:`.request`: ``--vary`` options and sweep files, checked and resolved;
- :mod:`.ishigami`: a function with known indices, to check the machinery.
"""

from __future__ import annotations

from .arms import (ACTION_PREFIX, ScenarioModel, TwinScenarioModel, action_catalogue, redirect_problems, sweep_model,
                   with_action_values)
from .design import (DEFAULT_SAMPLES, DEFAULT_STEPS, DESIGNS, MORRIS_LEVELS, PARAM, UNIT, Arm, Factor, SweepSpec,
                     describe, design_hash, make_design, point_values, quantile, spec_from_dict, task_id)
from .execute import Progress, RunStats, SchedulerError, connect, pending_tasks, run_sweep, run_task
from .ishigami import Ishigami
from .request import (ENGINES, SWEEP_KEYS, SweepRequest, build_sweep, engine_problems, is_sweep_file, make_factor,
                      parse_vary, read_sweep_file)
from .store import (DESIGN, FORMAT_VERSION, KEY_COLUMNS, MANIFEST, ROWS, RUN_COLUMNS, SweepStore, atomic_parquet,
                    check_out_dir, new_sweep, rows_equal)

__all__ = ["Factor", "Arm", "SweepSpec", "SweepStore", "ScenarioModel", "TwinScenarioModel", "sweep_model", "Ishigami", "make_design", "design_hash",
           "run_sweep", "build_sweep", "read_sweep_file", "parse_vary", "check_out_dir", "connect", "SchedulerError",
           "task_id", "rows_equal", "RunStats", "DESIGNS", "DEFAULT_SAMPLES", "DEFAULT_STEPS", "MORRIS_LEVELS", "PARAM",
           "UNIT", "MANIFEST", "DESIGN", "ROWS", "RUN_COLUMNS", "KEY_COLUMNS", "FORMAT_VERSION", "ACTION_PREFIX",
           "action_catalogue", "with_action_values", "redirect_problems", "describe", "point_values", "quantile",
           "spec_from_dict", "Progress", "pending_tasks", "run_task", "SWEEP_KEYS", "SweepRequest", "is_sweep_file",
           "make_factor", "new_sweep", "atomic_parquet", "ENGINES", "engine_problems"]
