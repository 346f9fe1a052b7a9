"""Simulation-based calibration (STATISTICS.md §3): the §3.1 data-generating process (`dgp`), the §3.2
scenarios (`scenarios`), the procedures under test wrapped around the production estimators of
`harness.stats` (`procedures`) and the Monte Carlo engine with its report (`calibrate`).

Imported as `sim` (pytest puts tests/ on the path; benchmarks/calibration/run.py does the same)."""

from sim.dgp import (
    ETA_DISTRIBUTIONS,
    Batch,
    Scenario,
    draw_eta,
    expected_accuracy,
    simulate,
    simulate_families,
    simulate_transitions,
    solve_offset,
    suite_offsets,
)

__all__ = ["ETA_DISTRIBUTIONS", "Batch", "Scenario", "draw_eta", "expected_accuracy", "simulate",
           "simulate_families", "simulate_transitions", "solve_offset", "suite_offsets"]
