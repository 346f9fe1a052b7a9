"""Multiplicity (STATISTICS.md §1.9): Holm across suites, Benjamini-Hochberg for exploratory slices, and
the fixed-sequence gatekeeping H1 (L1) → H2 (L3) → H3 (L2) that keeps the family-wise error at α."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (NaN p-values stay NaN and do not count)."""
    p = np.asarray(p_values, float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m:
        order = np.argsort(q, kind="mergesort")
        adj = np.maximum.accumulate((m - np.arange(m)) * q[order])
        res = np.empty(m)
        res[order] = np.minimum(adj, 1.0)
        out[ok] = res
    return out


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg (1995) adjusted p-values (false discovery rate; exploratory slices only)."""
    p = np.asarray(p_values, float)
    m = p.size
    order = np.argsort(p, kind="mergesort")
    adj = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


@dataclass(frozen=True)
class Hypothesis:
    """One step of a fixed-sequence procedure: `testable` false means it cannot be tested with this
    design (e.g. L2 below 4 + 4 suites), which stops the sequence like a non-rejection."""

    name: str
    p_value: float
    testable: bool = True
    reason: str = ""


def gatekeeping(hypotheses: list[Hypothesis], alpha: float = 0.05) -> list[dict]:
    """Fixed-sequence testing: each hypothesis at the full α, tested only if every earlier one was
    rejected. Returns one row per hypothesis: name, tested, p_value, rejected, reason."""
    rows, open_gate = [], True
    for h in hypotheses:
        tested = open_gate and h.testable and not math.isnan(h.p_value)
        rejected = bool(tested and h.p_value < alpha)
        reason = h.reason
        if not open_gate:
            reason = "not tested: an earlier hypothesis in the sequence was not rejected"
        elif not tested and not reason:
            reason = "not testable with this design"
        rows.append({"hypothesis": h.name, "tested": tested, "p_value": None if math.isnan(h.p_value) else h.p_value,
                     "rejected": rejected, "reason": reason})
        open_gate = rejected
    return rows
