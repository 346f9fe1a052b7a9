"""The procedures under calibration, as thin adapters from simulated data to the production estimators.

Nothing here re-implements an estimator: L1/L2/L3 procedures call `harness.stats` (what `compare` uses),
and the documented-invalid ones call `harness.stats.robustness`. An adapter only reshapes arrays and reads
off (estimate, lower, upper, p) for every replication; `Outcome.p` is the p-value of the procedure's own
decision rule (two-sided for L1/L2, one-sided for L3), rejected when p ≤ `Procedure.alpha`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
from scipy import stats

from harness import stats as hs
from harness.stats import robustness
from harness.stats.latent import item_level_variance
from sim.dgp import Batch


@dataclass(frozen=True)
class Outcome:
    """Per-replication results of one procedure: estimate, interval and decision p-value (NaN = no CI)."""

    estimate: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    p: np.ndarray

    @classmethod
    def from_estimates(cls, estimates: list[hs.Estimate]) -> Outcome:
        return cls(np.array([e.estimate for e in estimates], float), np.array([e.ci[0] for e in estimates], float),
                   np.array([e.ci[1] for e in estimates], float), np.array([e.p_value for e in estimates], float))

    @classmethod
    def p_only(cls, p: np.ndarray, estimate: np.ndarray | None = None) -> Outcome:
        nan = np.full(len(p), np.nan)
        return cls(nan if estimate is None else np.asarray(estimate, float), nan, nan, np.asarray(p, float))


class SuiteEstimates:
    """Per-suite production estimates for every replication of a batch, computed once and shared by all
    procedures of a cell (common random numbers)."""

    def __init__(self, batch: Batch, rng: np.random.Generator | None = None) -> None:
        self.batch = batch
        self.rng = np.random.default_rng(batch.scenario.seed) if rng is None else rng

    @cached_property
    def latent(self) -> tuple[np.ndarray, np.ndarray]:
        """(δ̂, Var δ̂) per (replication, suite): `item_level_variance`, the many-suites form of
        `latent_gain` (same δ̂ and item-level variance, which is RBG for one sample per item;
        tests/stats/test_calibration.py checks the equality)."""
        b = self.batch
        reps, items = b.x1.shape
        s = b.scenario.n_suites
        group = (np.arange(reps)[:, None] * s + b.suite[None, :]).ravel()
        delta, var, _ = item_level_variance(b.x1.ravel(), b.x0.ravel(), float(b.k), None, group, reps * s)
        return delta.reshape(reps, s), var.reshape(reps, s)

    @cached_property
    def latent_clustered(self) -> tuple[np.ndarray, np.ndarray]:
        """`latent_gain(..., clusters=)`: the cluster-robust variance, per suite and replication."""
        return self._per_suite(lambda x1, x0, cl: hs.latent_gain(x1, x0, self.batch.k, clusters=cl))

    @cached_property
    def pp(self) -> tuple[np.ndarray, np.ndarray]:
        """Miller's paired pp gain (`paired_mean` of d_i = ȳ1 − ȳ0), per suite and replication."""
        k = self.batch.k
        return self._per_suite(lambda x1, x0, cl: hs.paired_mean((x1 - x0.astype(float)) / k))

    @cached_property
    def normalized(self) -> tuple[np.ndarray, np.ndarray]:
        k = self.batch.k
        return self._per_suite(lambda x1, x0, cl: hs.normalized_gain(x1 / k, x0 / k))

    def _per_suite(self, fn: Callable[[np.ndarray, np.ndarray, np.ndarray | None], hs.Estimate]
                   ) -> tuple[np.ndarray, np.ndarray]:
        b = self.batch
        est = np.empty((b.reps, b.scenario.n_suites))
        var = np.empty_like(est)
        for j, sl in enumerate(b.suite_slices()):
            cl = None if b.cluster is None else b.cluster[sl]
            for r in range(b.reps):
                e = fn(b.x1[r, sl], b.x0[r, sl], cl)
                est[r, j], var[r, j] = e.estimate, e.se**2
        return est, var


def _asymmetry(scale: str, se: SuiteEstimates) -> Outcome:
    est, var = getattr(se, scale)
    t = se.batch.targeted
    return Outcome.from_estimates([hs.asymmetry(est[r], var[r], t) for r in range(len(est))])


def _cluster_bootstrap(n_boot: int, se: SuiteEstimates) -> Outcome:
    b = se.batch
    seeds = se.rng.integers(0, 2**32, size=b.reps)
    results = [hs.cluster_bootstrap(b.x1[r], b.x0[r], b.k, None, b.suite, b.cluster, b.targeted,
                                    n_boot=n_boot, seed=int(seeds[r])).latent for r in range(b.reps)]
    return Outcome.from_estimates(results)


def _hksj(modified: bool, se: SuiteEstimates) -> Outcome:
    est, var = se.latent
    t = se.batch.targeted
    return Outcome.from_estimates([hs.meta_regression(est[r], var[r], t, modified=modified)
                                   for r in range(len(est))])


def _permutation(se: SuiteEstimates) -> Outcome:
    est, _ = se.latent
    t = se.batch.targeted
    tests = [hs.suite_permutation_test(est[r], t) for r in range(len(est))]
    return Outcome.p_only(np.array([x.p_value for x in tests]), np.array([x.statistic for x in tests]))


def _crve(se: SuiteEstimates) -> Outcome:
    est, _ = se.latent
    a, s, p = robustness.crve_suite_batch(est, se.batch.targeted)
    half = stats.t.ppf(0.975, est.shape[1] - 1) * s
    return Outcome(a, a - half, a + half, p)


def _wcr(n_boot: int, se: SuiteEstimates) -> Outcome:
    est, _ = se.latent
    g = est.shape[1]
    patterns, exhaustive = robustness.weight_patterns(g, "webb", max_enumerate=6**4)
    if not exhaustive:  # fresh random patterns for every replication
        points = robustness.WEBB_POINTS
        patterns = points[se.rng.integers(0, len(points), size=(len(est), n_boot, g))]
    p = robustness.wild_cluster_bootstrap_batch(est, se.batch.targeted, patterns)
    t = se.batch.targeted
    return Outcome.p_only(p, est[:, t].mean(axis=1) - est[:, ~t].mean(axis=1))


def _flatness(margin: float, se: SuiteEstimates) -> Outcome:
    """compare's flatness rule for one-sample items: Tango TOST on the pooled untargeted paired gain; the
    p-value is the TOST's (rejecting = declaring the untargeted gain flat within ±margin)."""
    b = se.batch
    u = ~b.targeted[b.suite]
    d = b.x1[:, u].astype(int) - b.x0[:, u]
    tests = [hs.tango_tost(int(np.sum(row > 0)), int(np.sum(row < 0)), row.size, margin) for row in d]
    return Outcome(np.array([np.mean(row) / b.k for row in d]), np.array([t.extra["ci"][0] for t in tests]),
                   np.array([t.extra["ci"][1] for t in tests]), np.array([t.p_value for t in tests]))


@dataclass(frozen=True)
class Procedure:
    """A procedure under calibration. `alpha` is the nominal level of its decision rule; `sided` says how
    its p-value reads; `primary` marks production procedures (harness.stats) vs documented-invalid ones."""

    key: str
    name: str
    layer: str
    run: Callable[..., Outcome] = field(repr=False)
    alpha: float = 0.05
    sided: str = "two-sided"
    primary: bool = True


L1_PROCEDURES = {
    "latent": Procedure("latent", "latent DiD (MH, RBG SE)", "L1", partial(_asymmetry, "latent")),
    "pp": Procedure("pp", "pp DiD (Miller paired)", "L1", partial(_asymmetry, "pp")),
    "normalized": Procedure("normalized", "normalised-gain DiD", "L1", partial(_asymmetry, "normalized")),
    "latent_clustered": Procedure("latent_clustered", "latent DiD (cluster-robust SE)", "L1",
                                  partial(_asymmetry, "latent_clustered")),
    "cluster_bootstrap": Procedure("cluster_bootstrap", "latent DiD (cluster bootstrap BCa, B=999)", "L1",
                                   partial(_cluster_bootstrap, 999)),
}
L2_PROCEDURES = {
    "hksj": Procedure("hksj", "HKSJ meta-regression", "L2", partial(_hksj, False)),
    "hksj_modified": Procedure("hksj_modified", "modified HKSJ", "L2", partial(_hksj, True)),
    "permutation": Procedure("permutation", "suite-label permutation", "L2", _permutation),
    "crve": Procedure("crve", "suite CRVE t(G-1)", "L2", _crve, primary=False),
    "wcr": Procedure("wcr", "WCR bootstrap (Webb)", "L2", partial(_wcr, 399), primary=False),
}


# --- Layer 3 ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Transitions:
    """L3 data: asymmetries A (reps, C + 1; column 0 is the suspect), their sampling variances and the
    realised excess of the suspect over the industry trend (the excess interval's target)."""

    a: np.ndarray
    v: np.ndarray
    truth: np.ndarray

    @property
    def reps(self) -> int:
        return self.a.shape[0]


def _ddd_results(tr: Transitions) -> list[hs.TripleDifference]:
    return [hs.triple_difference(float(tr.a[r, 0]), tr.a[r, 1:], v0=float(tr.v[r, 0]), v_controls=tr.v[r, 1:])
            for r in range(tr.reps)]


def _ddd_t(tr: Transitions) -> Outcome:
    res = _ddd_results(tr)
    return Outcome(np.array([x.excess.estimate for x in res]), np.array([x.excess.ci[0] for x in res]),
                   np.array([x.excess.ci[1] for x in res]), np.array([x.t_p_value for x in res]))


def _ddd_rank(tr: Transitions) -> Outcome:
    p = np.array([hs.placebo_rank_p(float(tr.a[r, 0]), tr.a[r, 1:]) for r in range(tr.reps)])
    return Outcome.p_only(p, tr.a[:, 0] - tr.a[:, 1:].mean(axis=1))


def _naive_z(tr: Transitions) -> Outcome:
    z, p = robustness.naive_ddd_z_batch(tr.a[:, 0], tr.v[:, 0], tr.a[:, 1:], tr.v[:, 1:])
    return Outcome.p_only(p, tr.a[:, 0] - tr.a[:, 1:].mean(axis=1))


L3_PROCEDURES = {
    "ddd_t": Procedure("ddd_t", "DDD prediction t", "L3", _ddd_t, alpha=0.025, sided="one-sided"),
    "ddd_rank": Procedure("ddd_rank", "DDD placebo rank", "L3", _ddd_rank, alpha=0.05, sided="one-sided"),
    "naive_z": Procedure("naive_z", "naive DDD z (sampling SE only)", "L3", _naive_z, alpha=0.025,
                         sided="one-sided", primary=False),
}

FLATNESS_PROCEDURES = {
    "tost_flat": Procedure("tost_flat", "flatness TOST (Tango, ±3 pp)", "F", partial(_flatness, 0.03),
                           sided="equivalence"),
}

PROCEDURES = {**L1_PROCEDURES, **L2_PROCEDURES, **L3_PROCEDURES, **FLATNESS_PROCEDURES}


def transitions_from_families(batches: list[Batch]) -> Transitions:
    """Item-level families → per-family latent asymmetry A_m (production `asymmetry` of MH gains)."""
    a = np.empty((batches[0].reps, len(batches)))
    v = np.empty_like(a)
    for m, batch in enumerate(batches):
        est, var = SuiteEstimates(batch).latent
        for r in range(batch.reps):
            e = hs.asymmetry(est[r], var[r], batch.targeted)
            a[r, m], v[r, m] = e.estimate, e.se**2
    # the excess interval covers the suspect's own deviation from the trend: its realised asymmetry minus
    # the population mean δ_T (contamination shifts every family alike and cancels)
    truth = batches[0].true_asymmetry - batches[0].scenario.delta_t
    return Transitions(a, v, truth)
