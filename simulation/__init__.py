"""mhsim: a discrete-event simulator of a county mental health system.

The package is split one module per concept:

- ``catalogue``   the service registry: every service declared once
- ``parameters``  the parameter catalogue: units, allowed values, sources
- ``schema``      run limits and timed actions (typed records), each declared once
- ``scenario``    reading scenario YAML files (``extends``, overrides, actions)
- ``people``      a person's places and flags
- ``hazards``     every rate in the model and what changes it
- ``ledger``      stocks, counters and flows: who is where and holds what
- ``services``    capacity-limited services with waiting lists
- ``programmes``  county-wide training programmes (Zero Suicide, carer-led)
- ``model/``      the SimPy county model, one component per process
- ``twin``        the same model as ordinary differential equations
- ``costs``       unit costs, payers, price uprating and discounting
- ``outcomes``    the metrics a replication reports
- ``experiment``  replications, common random numbers, intervals, comparisons
- ``results``     writing outputs atomically with a manifest
- ``workers``     the one local process pool (workers never outlive their parent)
- ``sweep/``      batch runs: designs, arms, store, executors, request parsing
- ``verification``, ``sensitivity``  checks and indices
- ``cli``         the ``mhsim`` command
"""

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("mhsim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

MODEL_VERSION = __version__


NOT_MODEL_FILES = ("cli.py", "cli_tables.py", "documentation.py", "formatting.py", "verification.py", "sensitivity.py", "errors.py", "yamlfile.py")
"""Modules that only read, check, present or report: every other module under ``simulation/`` (the model
package included) is part of the fingerprint, so a new module can never drop out of it silently."""


def model_files() -> list[Path]:
    here = Path(__file__).resolve().parent
    return sorted(p for p in here.rglob("*.py") if p.name not in NOT_MODEL_FILES and "__pycache__" not in p.parts)


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """A hash of the code that produces the numbers.

    The version number changes only at releases; this changes whenever the
    code that produces numbers changes, so caches and resumable sweeps keyed
    on it never mix results of different models. Editing reports, the
    dashboard or the command line does not change it.
    """
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in model_files():
        h.update(str(path.relative_to(here)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]
