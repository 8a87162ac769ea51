"""mhsim: a discrete-event simulator of a county mental health system.

The package is split one module per concept:

- ``parameters``  the parameter catalogue: units, allowed values, sources
- ``scenario``    reading scenario YAML files (``extends``, overrides, actions)
- ``people``      a person's attributes, places and flags
- ``hazards``     every rate in the model and what changes it
- ``services``    capacity-limited services with waiting lists
- ``programmes``  county-wide training programmes (Zero Suicide, carer-led)
- ``costs``       unit costs, payers, price uprating and discounting
- ``outcomes``    collectors: stocks, counters, monthly snapshots, metrics
- ``model``       the SimPy county model that ties the above together
- ``experiment``  replications, common random numbers, intervals, comparisons
- ``results``     writing outputs atomically with a manifest
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


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """A hash of the model's source code and shipped baseline.

    The version number changes only at releases; this changes whenever the
    code that produces numbers changes, so caches keyed on it never serve
    stale results.
    """
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        if path.name in ("cli.py",):
            continue
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]
