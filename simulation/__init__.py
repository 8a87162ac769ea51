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

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mhsim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

MODEL_VERSION = __version__
