"""Watermark radioactivity (STATISTICS.md §4.4, KA20): Kirchenbauer et al. (2023) green-list z-test,
z = (|s|_G - γT)/sqrt(T·γ(1 - γ)), one-sided. Score only de-duplicated (window, token) tuples so that the
binomial null holds (Sander et al. 2024); use α ≤ 1e-3 for forensic claims."""

from __future__ import annotations

import math

from scipy import stats

from harness.stats.estimate import TestResult


def green_list_z(green: int, tokens: int, gamma: float) -> TestResult:
    """One-sided z-test that more than a fraction γ of `tokens` scored tokens are on the green list."""
    if tokens <= 0 or not 0 < gamma < 1:
        raise ValueError("need tokens > 0 and 0 < gamma < 1")
    z = (green - gamma * tokens) / math.sqrt(tokens * gamma * (1 - gamma))
    return TestResult(z, float(stats.norm.sf(z)), "Kirchenbauer green-list z (one-sided)")
