"""A test function with known Sobol indices, run through the sweep machinery (tests and benchmarks)."""

from __future__ import annotations

import math
from typing import Mapping


class Ishigami:
    """The Ishigami test function (known Sobol indices), run through the sweep machinery.

    y = sin x1 + a sin^2 x2 + b x3^4 sin x1, with x_i uniform on [-pi, pi].
    With a = 7, b = 0.1: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    """

    def __init__(self, a: float = 7.0, b: float = 0.1):
        self.a, self.b = a, b

    def __call__(self, values: Mapping[str, float], seed: int, rep: int) -> dict[str, float]:
        x1, x2, x3 = values["x1"], values["x2"], values["x3"]
        return {"y": math.sin(x1) + self.a * math.sin(x2) ** 2 + self.b * x3 ** 4 * math.sin(x1)}

    @staticmethod
    def analytic(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
        v1 = 0.5 * (1 + b * math.pi ** 4 / 5) ** 2
        v2 = a ** 2 / 8
        v13 = b ** 2 * math.pi ** 8 * (1 / 18 - 1 / 50)
        var = v1 + v2 + v13
        return [v1 / var, v2 / var, 0.0], [(v1 + v13) / var, v2 / var, v13 / var]

