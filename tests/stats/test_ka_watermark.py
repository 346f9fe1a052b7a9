"""Known answer KA20 (STATISTICS.md §2.5): the Kirchenbauer green-list z-test. KA19 (wild cluster
bootstrap properties) belongs to CALIBRATION's harness.stats.robustness and is tested there."""

from __future__ import annotations

import pytest
from scipy import stats

from harness.stats import green_list_z


def test_ka20_green_list_z():
    res = green_list_z(80, 200, 0.25)
    assert res.statistic == pytest.approx(4.898979, abs=1e-6)
    assert res.p_value == pytest.approx(4.82e-07, rel=2e-3)
    assert float(stats.norm.sf(4)) == pytest.approx(3.167e-05, rel=1e-3)  # the z = 4 threshold's FPR


def test_green_list_z_rejects_bad_inputs():
    with pytest.raises(ValueError):
        green_list_z(1, 0, 0.25)
    with pytest.raises(ValueError):
        green_list_z(1, 10, 1.0)
