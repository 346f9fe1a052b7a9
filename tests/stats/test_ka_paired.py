"""Known answers KA1-KA6 (STATISTICS.md §2.1): McNemar variants and paired/single-proportion intervals,
through the public functions of harness.stats."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.proportion import proportion_confint

from harness.stats import (
    clopper_pearson_ci,
    mcnemar,
    newcombe_paired_ci,
    paired_wald,
    tango_ci,
    tango_score,
    wilson_ci,
)


def test_ka1_mcnemar_variants_on_bentur():
    # Bentur et al. 2009 via Fagerland, Lydersen & Laake 2013: [[1, 1], [7, 12]], b = 1, c = 7
    asym = mcnemar(gains=1, losses=7, method="asymptotic")
    assert asym.statistic == pytest.approx(-2.12132, abs=1e-5)
    assert asym.p_value == pytest.approx(0.033895, abs=1e-6)
    corrected = mcnemar(1, 7, method="corrected")
    assert corrected.statistic == pytest.approx(3.125, abs=1e-12)
    assert corrected.p_value == pytest.approx(0.077100, abs=1e-6)
    assert mcnemar(1, 7, method="exact").p_value == pytest.approx(18 / 256, abs=1e-12)
    assert mcnemar(1, 7, method="midp").p_value == pytest.approx(10 / 256, abs=1e-12)
    # the mid-p is symmetric in gains and losses, and statsmodels' exact test agrees with ours
    assert mcnemar(7, 1).p_value == mcnemar(1, 7).p_value
    ref = sm_mcnemar([[1, 1], [7, 12]], exact=True)
    assert (ref.statistic, ref.pvalue) == (1, pytest.approx(mcnemar(1, 7, method="exact").p_value))


def test_ka1_midp_never_exceeds_exact_and_is_one_when_balanced():
    for g, lo in [(0, 0), (3, 3), (10, 4), (0, 9), (50, 61)]:
        midp, exact = mcnemar(g, lo).p_value, mcnemar(g, lo, "exact").p_value
        assert midp <= exact
    assert mcnemar(5, 5).p_value == pytest.approx(1.0)
    assert mcnemar(0, 0).p_value == 1.0


def test_ka2_agresti_presidential_approval():
    # [[794, 150], [86, 570]]: 150 approve→disapprove (losses), 86 disapprove→approve (gains)
    z = mcnemar(gains=86, losses=150, method="asymptotic")
    assert z.statistic == pytest.approx(-4.1660, abs=1e-4)
    assert z.statistic**2 == pytest.approx(17.3559, abs=1e-4)
    assert z.p_value == pytest.approx(3.099e-05, rel=1e-3)
    r = mcnemar(86, 150, method="corrected")
    assert r.statistic == pytest.approx(16.8178, abs=1e-4)
    assert r.p_value == pytest.approx(4.1146e-05, rel=1e-4)
    wald = paired_wald(86, 150, 1600)
    assert wald.estimate == pytest.approx(-0.04, abs=1e-12)
    assert wald.se == pytest.approx(0.009549, abs=1e-6)
    assert wald.ci == pytest.approx((-0.05872, -0.02128), abs=1e-5)
    assert [round(x, 2) for x in wald.ci] == [-0.06, -0.02]  # Agresti's printed interval


def test_ka3_newcombe_method10_and_tango_on_newcombe_example():
    # (e, f, g, h) = (36, 12, 2, 0), n = 50, Δ = (f - g)/n = 0.20
    assert newcombe_paired_ci(36, 12, 2, 0) == pytest.approx((0.0569267, 0.3404303), abs=1e-4)
    assert tango_ci(12, 2, 50) == pytest.approx((0.06111, 0.34471), abs=1e-4)


def test_ka4_newcombe_phi_variants_are_pinned():
    # eh - fg = 5 > 0, so the corrected φ (Newcombe 1998b as published, our default) differs
    assert newcombe_paired_ci(1, 1, 7, 12) == pytest.approx((-0.50692, -0.02556), abs=1e-4)
    assert newcombe_paired_ci(1, 1, 7, 12, phi="corrected") == newcombe_paired_ci(1, 1, 7, 12)
    assert newcombe_paired_ci(1, 1, 7, 12, phi="uncorrected") == pytest.approx((-0.50166, -0.03605), abs=1e-4)
    assert tango_ci(1, 7, 21) == pytest.approx((-0.51723, -0.02600), abs=1e-4)
    # when eh <= fg the two variants agree
    assert newcombe_paired_ci(36, 12, 2, 0, phi="uncorrected") == newcombe_paired_ci(36, 12, 2, 0)


def test_ka5_tango_propcis_example():
    assert tango_ci(40, 20, 160) == pytest.approx((0.030865, 0.218064), abs=1e-5)


def test_tango_interval_inverts_its_score_test():
    lo, hi = tango_ci(40, 20, 160)
    assert tango_score(40, 20, 160, lo) == pytest.approx(1.959964, abs=1e-6)
    assert tango_score(40, 20, 160, hi) == pytest.approx(-1.959964, abs=1e-6)
    # degenerate tables stay inside [-1, 1] and contain the observed difference
    for b, c, n in [(0, 0, 10), (10, 0, 10), (0, 10, 10), (0, 0, 1)]:
        lo, hi = tango_ci(b, c, n)
        assert -1 <= lo <= (b - c) / n <= hi <= 1


@pytest.mark.parametrize(
    "x, n, wilson, exact",
    [
        (81, 263, (0.25529, 0.36621), (0.25274, 0.36762)),
        (15, 148, (0.06239, 0.16049), (0.05784, 0.16165)),
        (0, 20, (0.0, 0.16113), (0.0, 0.16843)),
        (1, 29, (0.00611, 0.17176), (0.00087, 0.17764)),
    ],
)
def test_ka6_single_proportion_intervals(x, n, wilson, exact):
    assert tuple(map(float, wilson_ci(x, n))) == pytest.approx(wilson, abs=1e-5)
    assert tuple(map(float, clopper_pearson_ci(x, n))) == pytest.approx(exact, abs=1e-5)
    # and statsmodels agrees
    assert wilson_ci(x, n)[1] == pytest.approx(proportion_confint(x, n, method="wilson")[1], abs=1e-10)
    assert clopper_pearson_ci(x, n)[0] == pytest.approx(proportion_confint(x, n, method="beta")[0], abs=1e-10)


def test_single_proportion_intervals_are_vectorised():
    lo, hi = wilson_ci(np.array([81, 15, 0]), np.array([263, 148, 20]))
    assert lo.shape == (3,) and lo[2] == 0.0 and hi[0] == pytest.approx(0.36621, abs=1e-5)
