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


MODEL_FILES = ("model.py", "hazards.py", "outcomes.py", "people.py", "services.py", "programmes.py", "costs.py",
               "streams.py", "experiment.py", "parameters.py", "catalogue.py", "scenario.py", "twin.py",
               "results.py")
"""The modules that make the numbers or shape the stored results (scenario content is hashed separately)."""


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
    for name in MODEL_FILES:
        path = here / name
        h.update(name.encode())
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()[:12]
