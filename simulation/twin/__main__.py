"""``python -m simulation.twin``: compile the twin's kernel into numba's on-disk cache."""

from . import warm

warm()
