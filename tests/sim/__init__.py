"""Simulation-based calibration (STATISTICS.md §3): the §3.1 data-generating process (`dgp`), the §3.2
scenarios and §3.3 power checks as cells with each procedure's claim (`scenarios`), the procedures under
test as thin adapters around the production estimators of `harness.stats` (`procedures`), and the Monte
Carlo engine with its Markdown report (`calibrate`).

Imported as `sim` (pytest puts tests/ on the path; benchmarks/calibration/run.py does the same)."""

from sim.dgp import (
    ETA_DISTRIBUTIONS,
    Batch,
    Scenario,
    draw_eta,
    expected_accuracy,
    expected_discordance,
    item_table,
    simulate,
    simulate_families,
    simulate_transitions,
    solve_offset,
    suite_discordance,
    suite_offsets,
)

__all__ = ["ETA_DISTRIBUTIONS", "Batch", "Scenario", "draw_eta", "expected_accuracy", "expected_discordance",
           "item_table", "simulate", "simulate_families", "simulate_transitions", "solve_offset",
           "suite_discordance", "suite_offsets"]
