"""What simulating part of the county does to the answer.

A run at scale 0.25 simulates a quarter of the people with a quarter of the
beds and reports everything times four. Averages scale; queues do not: 73
beds at 95% occupancy are full far more often than 290 beds at 95%
(pooling), so more admissions go out of area and waits lengthen. Below
scale 1 every output says so, with the size of the effect for the scenario
at hand (Erlang's loss formula at its own beds and census demand) and as
measured on the baseline (``benchmarks/scale_regime.py``).
"""

from __future__ import annotations

from typing import Any

MEASURED: dict[float, dict[str, float]] = {
    0.05: {"out_of_area_share": 0.2887, "acute_bed_occupancy": 0.842},
    0.1: {"out_of_area_share": 0.2006, "acute_bed_occupancy": 0.8956},
    0.25: {"out_of_area_share": 0.1377, "acute_bed_occupancy": 0.9213},
    1.0: {"out_of_area_share": 0.0355, "acute_bed_occupancy": 0.9445},
}
"""The baseline's out-of-area share of admissions and in-area occupancy by scale, as measured by
``benchmarks/scale_regime.py --scales 0.05 0.1 0.25 1 --reps 2 --years 3`` on the calibrated baseline (2026-11-28):
at scale 0.05 29% of admissions go out of area and in-area occupancy is 84%, against 3.6% and 94% for the whole county."""


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/M/c/c loss system (the share of arrivals finding every bed full)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def regime_note(scenario: Any, scale: float) -> str | None:
    """A warning for a run below full scale (None at full scale): how much more often beds overflow."""
    if scale >= 1:
        return None
    v = scenario.values
    beds = float(v["services.acute_beds.beds_in_area"])
    demand = float(v["census.in_acute_beds"]) + float(v["census.out_of_area"])
    if beds < 1 or demand <= 0:
        return (f"Scale {scale:g} simulates a part of the county and reports it at full scale: queues and "
                "overflows do not scale, so waits and out-of-area placements differ from the whole county's.")
    full = erlang_b(round(beds), demand)
    part = erlang_b(max(1, round(beds * scale)), demand * scale)
    text = (f"Scale {scale:g} simulates {beds * scale:.0f} of the county's {beds:.0f} acute beds: with the same demand per bed "
            f"a small ward is full far more often, so about {part:.1%} of admissions overflow out of area against "
            f"{full:.1%} at full scale (Erlang's loss formula at the census's demand)")
    measured = MEASURED.get(round(scale, 4))
    if measured and 1.0 in MEASURED:
        text += (f"; measured on the baseline: {measured['out_of_area_share']:.1%} out of area against "
                 f"{MEASURED[1.0]['out_of_area_share']:.1%} at scale 1")
    return text + ". Use --scale 1 for answers a board will act on."
