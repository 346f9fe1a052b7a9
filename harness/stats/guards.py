"""Guards of the primary analysis (STATISTICS.md §1.4b items 4-7), as pure functions over arrays.

Each returns what it found; harness.compare turns a finding into a one-line error or a named warning,
never silence:

* shared items across suites (same item hash or source id): suites must hold disjoint items, or they are
  not independent and every interval is too narrow (an error);
* unequal samples per item between the releases (an error unless forced);
* item clusters: a cluster-robust variance or cluster bootstrap only with at least MIN_CLUSTERS clusters
  in a suite; below it, the item-level variance, said so;
* suites below the pre-registered minimum size (MIN_SUITE_ITEMS) leave the primary analysis, said so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.stats.primary import MIN_CLUSTERS, MIN_SUITE_ITEMS

__all__ = ["MIN_CLUSTERS", "MIN_SUITE_ITEMS", "cluster_policy", "shared_items", "small_suites",
           "unequal_samples"]


def shared_items(suite: Sequence[str], key: Sequence[object]) -> dict[str, list[str]]:
    """Keys (item hashes or source ids) that occur in more than one suite → the suites they occur in.
    Missing keys (None, NaN, empty) are ignored."""
    seen: dict[str, set[str]] = {}
    for s, k in zip(suite, key, strict=True):
        if k is None or (isinstance(k, float) and k != k) or k == "":
            continue
        seen.setdefault(str(k), set()).add(str(s))
    return {k: sorted(v) for k, v in seen.items() if len(v) > 1}


def unequal_samples(k0: np.ndarray, k1: np.ndarray) -> tuple[float, float] | None:
    """(median k before, median k after) when the releases were sampled differently per item, else None.
    Per item k may differ slightly after infrastructure errors are dropped; the design (the medians) may not."""
    m0, m1 = float(np.median(k0)), float(np.median(k1))
    return None if m0 == m1 else (m0, m1)


def cluster_policy(suite: np.ndarray, clusters: np.ndarray, n_suites: int,
                   minimum: int = MIN_CLUSTERS) -> tuple[np.ndarray, np.ndarray]:
    """Per suite: whether its clusters are used (at least `minimum` distinct clusters) and how many it has.
    With fewer clusters a cluster-robust variance is unreliable (1 cluster gave SE 1e-16 and a verdict;
    2-5 were anti-conservative), so the item-level variance is used instead."""
    suite = np.asarray(suite, np.intp)
    labels = np.asarray(clusters).astype(str)
    counts = np.array([len(np.unique(labels[suite == j])) for j in range(n_suites)])
    return counts >= minimum, counts


def small_suites(sizes: np.ndarray, minimum: int = MIN_SUITE_ITEMS) -> np.ndarray:
    """Suites with fewer paired items than the pre-registered minimum (they leave the primary analysis)."""
    return np.asarray(sizes) < minimum
