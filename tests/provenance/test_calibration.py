"""Quick size check of the fingerprint tests under null pseudo-transitions with a common drift of every
release toward the teacher (N8). R = 1,000 per scenario, so the tolerance is the CI smoke band of the
calibration protocol, [0.03, 0.07]; benchmarks/provenance/calibration.py runs the full [0.04, 0.06] check.
The documented-invalid procedures must fail visibly. (Monte Carlo: this test can fail by chance, rarely.)"""

from __future__ import annotations

import pytest

from tests.provenance.sim import Scenario, affinity_null, sizes


@pytest.mark.slow
def test_sizes_under_a_common_drift_toward_the_teacher() -> None:
    p = affinity_null(Scenario(controls=8, drift=0.6), reps=1000, seed=11)
    size = sizes(p)
    for valid in ("calibrated_t", "calibrated_did", "specificity"):
        assert 0.03 <= size[valid] <= 0.07, (valid, size[valid])
    assert size["claim"] <= 0.05
    assert size["raw_shift"] > 0.5  # the within-family shift alone rejects the drift (documented invalid)
    assert size["raw_did"] > 0.08   # uncalibrated DiD over-rejects with lab heterogeneity of domain effects


@pytest.mark.slow
def test_placebo_rank_is_exact_with_19_controls() -> None:
    p = affinity_null(Scenario(controls=19, drift=0.6), reps=600, seed=12)
    assert 0.025 <= float((p["placebo_rank"] <= 0.05).mean()) <= 0.08
