"""The primary asymmetry and its verdict (STATISTICS.md §1.4b): A = mean over targeted suites of the mean
item gain μ̂_s minus the mean over untargeted suites (equal suite weights), from harness.stats.itemgain,
with every check the verdict needs.

* k ≥ 2 samples per item and release: one analysis, σ̂ per suite.
* k = 1: one analysis per σ of the pre-registered grid (SIGMA_GRID up to SIGMA_MAX); the reported
  interval is the union of the grid's intervals and the p-value the largest (intersection-union).
* leave-one-suite-out: the verdict must survive dropping any one suite (whose group keeps a suite).
* sparse suites (fewer than EXACT_BELOW items gained or lost): the verdict must also survive dropping
  all of them at once; a suite with no gains or no losses enters the full analysis with the Haldane +0.5
  correction (labelled), so no verdict can hinge on it.
* suites below the pre-registered minimum size (MIN_SUITE_ITEMS) do not enter (the caller says so).
* suites whose item-gain fit did not converge: the verdict must survive dropping all of them at once.
* a group of one suite (leave-one-out cannot check it) and suites with declared item clusters too few
  for a cluster variance (2 to MIN_CLUSTERS - 1: the item-level variance used instead is too narrow when
  a cluster's items move together; 5 clusters of 60 items fired 7/60 nulls) make a verdict fragile.
* groups whose starting levels do not overlap (each group's average within the other's range) make a
  verdict fragile (`baseline_overlap`): the model assumes an item's gain does not depend on how hard it
  is, and between groups that start apart such a dependence alone looks like an asymmetry.

Suites hold disjoint items, so their estimates are independent and A's variance is Σ_T v/S_T² + Σ_U v/S_U².
Plain arrays in, a `Primary` out; harness.compare turns it into the document's `asymmetry.primary`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats

from harness.stats.itemgain import SIGMA_GRID, SIGMA_MAX, GainFit, fit_gains
from harness.stats.latent import EXACT_BELOW, mh_estimates, mh_sums
from harness.stats.verdict import Decision, decide, direction

#: With k ≥ 2, the assumed dependence of the gain on item ability (β: δ | θ ~ N(μ + β(θ − Eθ), σ²)); the
#: analysis is run at each value and a verdict must hold at all (β = 0 first: its fit is the one reported).
#: β matters through the groups' different starting levels: with β = 0 assumed, a true β of ∓0.4 and
#: baselines 90% vs 30% fired 23/60 and 43/60 nulls (k = 3, 3 + 3 suites). A grid of (0, -0.5, 0.5) stops
#: that but costs nearly all power even when baselines are equal (k = 3, 2 + 2 x 300, +1 logit, equal
#: baselines: 100% -> 10%), and β fitted free (bounded ±1, harness.stats.itemgain.FIT_BETA) was biased
#: (-0.38 logits where the truth is 0) and cost most power too. So β stays 0 (both are switches for
#: calibration runs, off) and BASELINE_OVERLAP (on) guards instead: a directional verdict needs the
#: groups' starting levels to overlap (see `baseline_overlap`), where β cannot move the groups apart.
BETA_GRID: tuple[float, ...] = (0.0,)
BASELINE_OVERLAP = True
#: Pre-registered minimum number of items for a suite to enter the primary analysis.
MIN_SUITE_ITEMS = 30
#: A cluster-robust variance (or bootstrap) needs at least this many clusters in a suite (§1.4b item 4);
#: below it the analytic item-level variance is used and the document says why.
MIN_CLUSTERS = 20


@dataclass(frozen=True)
class SuiteGain:
    """One suite's μ̂ at one σ (or with σ̂), and what the verdict needs to know about it."""

    mu: float
    se: float
    sigma: float
    sigma_estimated: bool
    converged: bool
    haldane: bool  # no gains or no losses: the Haldane-corrected MH value stands in
    note: str = ""

    def to_dict(self, level: float) -> dict[str, Any]:
        z = float(stats.norm.ppf(0.5 + level / 2))
        ok = math.isfinite(self.mu) and math.isfinite(self.se)
        return {"estimate": _f(self.mu), "se": _f(self.se),
                "ci": [_f(self.mu - z * self.se), _f(self.mu + z * self.se)] if ok else [None, None],
                "sigma": _f(self.sigma), "sigma_estimated": self.sigma_estimated, "converged": self.converged,
                "haldane": self.haldane, "note": self.note}


@dataclass(frozen=True)
class Row:
    """A at one σ (sigma None when σ is estimated per suite)."""

    sigma: float | None
    estimate: float
    se: float
    ci: tuple[float, float]
    p_value: float
    spread: tuple[float, float] | None = None  # score mode: assumed difficulty SDs (targeted, untargeted)
    beta: float | None = None  # σ estimated: the assumed dependence of the gain on item ability

    @property
    def direction(self) -> str:
        return direction(self.ci)

    def to_dict(self) -> dict[str, Any]:
        out = {"sigma": self.sigma, "estimate": _f(self.estimate), "se": _f(self.se),
               "ci": [_f(self.ci[0]), _f(self.ci[1])], "p_value": _f(self.p_value), "direction": self.direction}
        if self.spread is not None:
            out["spread_targeted"], out["spread_untargeted"] = self.spread
        if self.beta is not None:
            out["beta"] = self.beta
        return out


@dataclass(frozen=True)
class Primary:
    """The primary asymmetry, its checks and its verdict."""

    estimated: bool  # σ estimated per suite (k ≥ 2) vs the σ grid (k = 1)
    suites: list[str]
    targeted: np.ndarray
    rows: list[Row]  # one per σ of the grid, or one
    gains: list[list[SuiteGain]]  # per row, per suite
    leave_one_out: dict[str, list[Row]]
    without_sparse: list[Row] | None
    sparse: list[str]
    decision: Decision
    level: float
    n_gains: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    n_losses: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    nonconverged: list[str] = field(default_factory=list)
    without_nonconverged: list[Row] | None = None
    few_clusters: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)

    @property
    def p_targeted_checks(self) -> float:
        """One-sided p for A > 0 under the verdict's own rule (intersection-union): the largest one-sided p
        over the σ grid, every leave-one-out and the sparse and non-converged drops; NaN when a check that
        has no p (a group of one suite, few clusters, a group emptied by a drop) stands in the way. Below
        α/2 exactly when every interval lies above 0 and nothing else blocks targeted_larger."""
        sets = [self.rows, *self.leave_one_out.values()]
        for names, rows in ((self.sparse, self.without_sparse), (self.nonconverged, self.without_nonconverged)):
            if names:
                if rows is None:
                    return math.nan
                sets.append(rows)
        if self.caveats:
            return math.nan
        ps = [float(stats.norm.sf(r.estimate / r.se)) if math.isfinite(r.estimate) and math.isfinite(r.se)
              and r.se > 0 else math.nan for rows in sets for r in rows]
        return max(ps) if ps and all(math.isfinite(p) for p in ps) else math.nan

    @property
    def p_one_sided(self) -> float:
        """One-sided p for A > 0 (H1 of the gatekeeping sequence): over a grid, the least favourable row's,
        i.e. the largest one-sided p (not the one-sided p of the row with the largest two-sided p)."""
        ps = [float(stats.norm.sf(r.estimate / r.se)) for r in self.rows
              if math.isfinite(r.estimate) and math.isfinite(r.se) and r.se > 0]
        return max(ps) if len(ps) == len(self.rows) and ps else math.nan

    @property
    def verdict(self) -> str:
        return self.decision.verdict

    @property
    def summary_row(self) -> Row:
        """The row the document reports: the only one, or over a grid the least favourable (largest p)."""
        return max(self.rows, key=lambda r: (r.p_value if math.isfinite(r.p_value) else 2.0))

    def ci(self) -> tuple[float, float]:
        """The reported interval: over a σ grid, the union of the grid's intervals (it covers A whenever the
        true σ is in the grid)."""
        if len(self.rows) == 1:
            return self.rows[0].ci
        return (min(r.ci[0] for r in self.rows), max(r.ci[1] for r in self.rows))

    def method(self) -> str:
        if self.estimated:
            return ("mean item gain per suite from a binomial model with random item ability and random item gain "
                    "(marginal likelihood over answer patterns; spread of gains σ estimated per suite), equal suite "
                    "weights; item-level sandwich variance; the dependence of the gain on item ability (β) is "
                    "assumed at " + ", ".join(f"{r.beta:g}" for r in self.rows if r.beta is not None)
                    + ": the interval is the union over them and the p-value the largest")
        grid = ", ".join(f"{g:g}" for g in dict.fromkeys(r.sigma for r in self.rows if r.sigma is not None))
        return ("mean item gain per suite from a binomial model with random item ability and random item gain "
                "(marginal likelihood over answer patterns), equal suite weights, item-level variance; with one "
                f"sample per item the spread of gains σ is not identified, so A is computed at σ = {grid} logits: "
                "the interval is the union over that grid and the p-value its largest")

    def to_dict(self) -> dict[str, Any]:
        """The compare document's `asymmetry.primary`."""
        head = self.summary_row
        lo, hi = self.ci()
        out: dict[str, Any] = {
            "estimate": _f(head.estimate), "se": _f(head.se), "ci": [_f(lo), _f(hi)], "p_value": _f(head.p_value),
            "method": self.method(), "level": self.level, "verdict": self.verdict,
            "verdict_reasons": list(self.decision.reasons),
            "leave_one_out": [{"dropped": s, **_collapse(rows)} for s, rows in self.leave_one_out.items()],
            "without_sparse": None if self.without_sparse is None else _collapse(self.without_sparse),
            "sparse_suites": list(self.sparse),
            "nonconverged_suites": list(self.nonconverged),
            "without_nonconverged": (None if self.without_nonconverged is None
                                     else _collapse(self.without_nonconverged)),
            "few_cluster_suites": list(self.few_clusters),
            "p_one_sided": _f(self.p_one_sided),
            "p_one_sided_checks": _f(self.p_targeted_checks),
            "suites": [{"suite": s, "gains": int(g), "losses": int(lo_),
                        **({"fit": self.gains[0][j].to_dict(self.level)} if self.estimated else
                           {"grid": [{**self.gains[i][j].to_dict(self.level)} for i in range(len(self.rows))]})}
                       for j, (s, g, lo_) in enumerate(zip(self.suites, self.n_gains, self.n_losses, strict=True))],
        }
        if self.estimated:
            sig = [g.sigma for g in self.gains[0] if math.isfinite(g.sigma)]
            out["sigma"] = _f(float(np.mean(sig))) if sig else None
            out["sigma_by_suite"] = {s: _f(g.sigma) for s, g in zip(self.suites, self.gains[0], strict=True)}
            if len(self.rows) > 1:
                out["beta_grid"] = [r.to_dict() for r in self.rows]
                out["estimate_at_beta"] = head.beta
        else:
            out["sigma_grid"] = [r.to_dict() for r in self.rows]
            out["sigma_max"] = max(r.sigma or 0.0 for r in self.rows)
            out["estimate_at_sigma"] = head.sigma
            if head.spread is not None:
                out["estimate_at_spread"] = {"targeted": head.spread[0], "untargeted": head.spread[1]}
        return out


def _f(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _collapse(rows: Sequence[Row]) -> dict[str, Any]:
    """A set of rows (one per σ) as one entry: the union interval, the largest p and the directions."""
    head = max(rows, key=lambda r: (r.p_value if math.isfinite(r.p_value) else 2.0))
    return {"estimate": _f(head.estimate), "ci": [_f(min(r.ci[0] for r in rows)), _f(max(r.ci[1] for r in rows))],
            "p_value": _f(head.p_value), "directions": [r.direction for r in rows]}


def combine(mu: np.ndarray, se: np.ndarray, targeted: np.ndarray, level: float = 0.95,
            sigma: float | None = None) -> Row:
    """A = mean_T μ̂ − mean_U μ̂ with variance Σ_T se²/S_T² + Σ_U se²/S_U², normal interval."""
    t = np.asarray(targeted, bool)
    if not t.any() or t.all():
        return Row(sigma, math.nan, math.nan, (math.nan, math.nan), math.nan)
    est = float(mu[t].mean() - mu[~t].mean())
    var = float((se[t] ** 2).sum() / t.sum() ** 2 + (se[~t] ** 2).sum() / (~t).sum() ** 2)
    se_a = math.sqrt(var) if var >= 0 else math.nan
    if not (math.isfinite(est) and math.isfinite(se_a)) or se_a <= 0:
        return Row(sigma, est, se_a, (math.nan, math.nan), math.nan)
    z = float(stats.norm.ppf(0.5 + level / 2))
    return Row(sigma, est, se_a, (est - z * se_a, est + z * se_a), float(2 * stats.norm.sf(abs(est) / se_a)))


def _haldane(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray, k0: np.ndarray) -> tuple[float, float]:
    sums = mh_sums(x1, x0, k1, k0)
    d, v, _ = mh_estimates(sums)
    return float(d[0]), float(math.sqrt(v[0]))


def suite_gains(data: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], *, estimated: bool,
                clusters: Sequence[np.ndarray | None] | None = None,
                sigma_grid: Sequence[float] = SIGMA_GRID,
                beta_grid: Sequence[float] = BETA_GRID) -> list[list[SuiteGain]]:
    """Every suite's μ̂: with σ̂ (estimated) at each β of `beta_grid`, or at each σ of the grid (β = 0);
    all fits of one call in one batch. Returns, per suite, one SuiteGain per row."""
    n_s = len(data)
    clusters = list(clusters) if clusters is not None else [None] * n_s
    sigmas: list[float | None] = [None] * len(beta_grid) if estimated else [float(s) for s in sigma_grid]
    betas = [float(b) for b in beta_grid] if estimated else [0.0] * len(sigmas)
    out: list[list[SuiteGain | None]] = [[None] * len(sigmas) for _ in range(n_s)]
    jobs, problems, sig_of, cl_of, beta_of = [], [], [], [], []
    for j, (x1, x0, k1, k0) in enumerate(data):
        d = x1 / k1 - x0 / k0
        if int(np.sum(d > 0)) == 0 or int(np.sum(d < 0)) == 0:
            mu, se = _haldane(x1, x0, k1, k0)
            note = ("no gains or no losses: Haldane +0.5 correction on the Mantel-Haenszel gain (not used for a "
                    "verdict)")
            for i, s in enumerate(sigmas):
                out[j][i] = SuiteGain(mu, se, math.nan if s is None else s, estimated, False, True, note)
            continue
        for i, s in enumerate(sigmas):
            jobs.append((j, i))
            problems.append((x1, x0, k1, k0))
            sig_of.append(s)
            beta_of.append(betas[i])
            cl_of.append(clusters[j])
    if problems:
        # σ = 0 without clusters is closed-form; the rest is fitted in one batch per kind of σ
        fits = fit_gains(problems, sig_of, clusters=cl_of, betas=beta_of)
        for (j, i), fit in zip(jobs, fits, strict=True):
            out[j][i] = _from_fit(fit, *data[j])
    return [[g for g in row if g is not None] for row in out]


def _from_fit(fit: GainFit, x1: np.ndarray, x0: np.ndarray, k1: np.ndarray, k0: np.ndarray) -> SuiteGain:
    if math.isfinite(fit.mu) and math.isfinite(fit.se) and fit.se > 0:
        return SuiteGain(fit.mu, fit.se, fit.sigma, fit.sigma_estimated, fit.converged, False, fit.note)
    mu, se = _haldane(x1, x0, k1, k0)
    return SuiteGain(mu, se, fit.sigma, fit.sigma_estimated, False, True,
                     "the item-gain model did not converge: Mantel-Haenszel gain stands in (not used for a verdict)")


@dataclass(frozen=True)
class SuiteTable:
    """Every suite's μ̂ (per σ of the grid, or with σ̂) and its gain/loss counts: what the asymmetry and its
    checks need, independent of which suites are targeted (a placebo relabels without refitting)."""

    estimated: bool
    suites: list[str]
    sigmas: list[float | None]
    gains: list[list[SuiteGain]]  # per row (σ), per suite
    n_gains: np.ndarray
    n_losses: np.ndarray
    #: score mode: per assumed difficulty spread, the gains per σ row and suite; the rows of an analysis
    #: then cross every (targeted spread, untargeted spread) pair with σ (see `for_labelling`)
    by_spread: dict[float, list[list[SuiteGain]]] | None = None
    #: σ estimated (k ≥ 2): the assumed β of each row (BETA_GRID)
    betas: list[float] | None = None
    #: per suite, the old release's mean accuracy (the starting level)
    baselines: np.ndarray | None = None

    def for_labelling(self, targeted: np.ndarray) -> tuple[list[float | None], list[list[SuiteGain]],
                                                           list[tuple[float, float] | None]]:
        """(σ per row, gains per row and suite, spreads per row) for one labelling: the table's own rows, or
        in score mode one row per (targeted spread, untargeted spread, σ), each suite at its group's spread."""
        if not self.by_spread:
            return list(self.sigmas), self.gains, [None] * len(self.sigmas)
        t = np.asarray(targeted, bool)
        sigmas, gains, spreads = [], [], []
        for st in self.by_spread:
            for su in self.by_spread:
                for i, sig in enumerate(self.sigmas):
                    sigmas.append(sig)
                    spreads.append((st, su))
                    gains.append([self.by_spread[st if t[j] else su][i][j] for j in range(len(self.suites))])
        return sigmas, gains, spreads


def suite_table(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray, k0: np.ndarray, suite: np.ndarray,
                suites: Sequence[str], *, clusters: np.ndarray | None = None,
                cluster_suites: np.ndarray | None = None, sigma_grid: Sequence[float] = SIGMA_GRID,
                sigma_max: float = SIGMA_MAX, estimated: bool | None = None) -> SuiteTable:
    """Fit every suite (items with suite codes 0..S-1). `clusters`: per-item labels, used for the suites
    flagged in `cluster_suites` (those with at least MIN_CLUSTERS clusters; harness.stats.guards.
    cluster_policy). `estimated`: σ estimated per suite (default: every item has at least 2 samples in
    both releases)."""
    x1, x0 = np.asarray(x1, float), np.asarray(x0, float)
    k1, k0 = np.asarray(k1, float), np.asarray(k0, float)
    suite = np.asarray(suite, np.intp)
    n_s = len(suites)
    if estimated is None:
        estimated = bool(np.all(k1 >= 2) and np.all(k0 >= 2))
    grid = [float(s) for s in sigma_grid if s <= sigma_max + 1e-12]
    n_rows = len(BETA_GRID) if estimated else len(grid)
    data, cls = [], []
    gains, losses = np.zeros(n_s, int), np.zeros(n_s, int)
    for j in range(n_s):
        m = suite == j
        data.append((x1[m], x0[m], k1[m], k0[m]))
        use = clusters is not None and (cluster_suites is None or bool(cluster_suites[j]))
        cls.append(np.asarray(clusters)[m] if use else None)
        d = x1[m] / k1[m] - x0[m] / k0[m]
        gains[j], losses[j] = int(np.sum(d > 0)), int(np.sum(d < 0))
    per_suite = suite_gains(data, estimated=estimated, clusters=cls, sigma_grid=grid, beta_grid=BETA_GRID)
    table = [[per_suite[j][i] for j in range(n_s)] for i in range(n_rows)]
    base = np.array([float(np.mean(x0[suite == j] / k0[suite == j])) if np.any(suite == j) else math.nan
                     for j in range(n_s)])
    return SuiteTable(estimated, list(suites), [None] * n_rows if estimated else grid, table, gains, losses,
                      betas=list(BETA_GRID) if estimated else None, baselines=base)


def decide_primary(table: SuiteTable, targeted: np.ndarray, level: float = 0.95,
                   few_clusters: Sequence[str] = ()) -> Primary:
    """The asymmetry, leave-one-suite-out, the sparse-suite and non-converged checks and the verdict for one
    labelling. `few_clusters`: suites with declared item clusters too few for a cluster variance."""
    t = np.asarray(targeted, bool)
    suites = table.suites
    n_s = len(suites)
    sigmas, table_gains, spreads = table.for_labelling(t)
    mu = np.array([[g.mu for g in row] for row in table_gains])
    se = np.array([[g.se for g in row] for row in table_gains])
    n_rows = len(sigmas)

    betas = table.betas if table.betas and len(table.betas) == n_rows else [None] * n_rows

    def rows_for(keep: np.ndarray) -> list[Row]:
        return [replace(combine(mu[i, keep], se[i, keep], t[keep], level, sigmas[i]), spread=spreads[i],
                        beta=betas[i]) for i in range(n_rows)]

    everything = np.ones(n_s, bool)
    rows = rows_for(everything)
    loo: dict[str, list[Row]] = {}
    for j in range(n_s):
        if (t == t[j]).sum() < 2:
            continue  # dropping it would empty its group
        keep = everything.copy()
        keep[j] = False
        loo[suites[j]] = rows_for(keep)
    sparse_mask = np.minimum(table.n_gains, table.n_losses) < EXACT_BELOW
    sparse = [suites[j] for j in np.flatnonzero(sparse_mask)]
    without = None
    if sparse and (t & ~sparse_mask).any() and (~t & ~sparse_mask).any():
        without = rows_for(~sparse_mask)
    # a fit that did not converge (sparse suites aside, checked above) may carry any value: the verdict must
    # survive dropping every such suite at once
    nc_mask = np.array([any(not row[j].converged for row in table_gains) for j in range(n_s)]) & ~sparse_mask
    nonconverged = [suites[j] for j in np.flatnonzero(nc_mask)]
    without_nc = None
    if nonconverged and (t & ~nc_mask).any() and (~t & ~nc_mask).any():
        without_nc = rows_for(~nc_mask)
    caveats = [f"the {name} group has one suite: the verdict rests on it, and leaving it out cannot check it"
               for name, mask in (("targeted", t), ("untargeted", ~t)) if mask.sum() == 1]
    if BASELINE_OVERLAP and table.baselines is not None:
        apart = baseline_overlap(table.baselines, t)
        if apart:
            caveats.append(apart)
    few = [s for s in few_clusters if s in suites]
    if few:
        caveats.append(f"suite(s) {', '.join(few)} declare fewer than {MIN_CLUSTERS} item clusters: a cluster "
                       "variance is unreliable with so few, and the item-level variance used instead is too narrow "
                       "when a cluster's items move together")
    testable = bool(t.any() and (~t).any() and all(math.isfinite(r.estimate) for r in rows))
    decision = decide([r.direction for r in rows], {s: [r.direction for r in rs] for s, rs in loo.items()},
                      None if without is None else [r.direction for r in without], testable=testable, sparse=sparse,
                      not_testable_reason="the primary needs at least one targeted and one untargeted suite",
                      without_nonconverged=None if without_nc is None else [r.direction for r in without_nc],
                      nonconverged=nonconverged, caveats=caveats)
    return Primary(table.estimated, list(suites), t, rows, table_gains, loo, without, sparse, decision, level,
                   table.n_gains, table.n_losses, nonconverged, without_nc, few, caveats)


def baseline_overlap(baselines: np.ndarray, targeted: np.ndarray) -> str:
    """'' when the groups' starting levels overlap, else why a verdict cannot rest on them.

    Overlap: each group's average starting level (the old release's mean accuracy per suite, in score mode
    its published accuracy; suites weighted equally, as in A) lies within the other group's range [min,
    max]. The model assumes an item's gain does not depend on how hard it is (β = 0); when it does, equal
    gains look like an asymmetry between groups that start apart (gain -0.4 logits per logit of ability,
    3 + 3 suites at 85-95% vs 20-40%, k = 3: 16/40 nulls fired). Ranges that merely touch are not enough
    (60-90% vs 30-60%: 8/40 fired); with each average inside the other range (50-90% vs 30-70%) 2/40.
    A group of one suite is a point, so a 1 + n design passes only when the other group averages exactly
    there (it is fragile anyway: leave-one-out cannot check a group of one)."""
    b, t = np.asarray(baselines, float), np.asarray(targeted, bool)
    if not (t.any() and (~t).any()):
        return ""
    if not np.all(np.isfinite(b)):  # fail closed: an unknown start cannot be shown to overlap
        return "a suite's starting level is unknown, so the groups cannot be shown to start at overlapping levels"
    groups = [(float(b[m].min()), float(b[m].max()), float(b[m].mean())) for m in (t, ~t)]
    (t_lo, t_hi, t_mean), (u_lo, u_hi, u_mean) = groups
    outside = max(t_lo - u_mean, u_mean - t_hi, u_lo - t_mean, t_mean - u_hi)
    if outside <= 5e-4:  # within 0.05 points: the same level (the message could not show a difference)
        return ""
    digits = 0 if outside >= 0.01 else 1 if outside >= 0.001 else 2  # enough that the printed numbers show it

    def level(lo: float, hi: float, mean: float) -> str:
        a, z, m = (f"{100 * x:.{digits}f}" for x in (lo, hi, mean))
        return f"at {a}%" if a == z else f"between {a}% and {z}%, average {m}%"

    return (f"the groups started at different levels (before the update, targeted suites {level(t_lo, t_hi, t_mean)}; "
            f"untargeted suites {level(u_lo, u_hi, u_mean)}): a verdict needs each group's average within the other "
            "group's range, since a gain that depends on the starting level alone could produce this difference")


def primary_asymmetry(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray, k0: np.ndarray, suite: np.ndarray,
                      suites: Sequence[str], targeted: np.ndarray, *, clusters: np.ndarray | None = None,
                      cluster_suites: np.ndarray | None = None, level: float = 0.95,
                      sigma_grid: Sequence[float] = SIGMA_GRID, sigma_max: float = SIGMA_MAX,
                      estimated: bool | None = None, few_clusters: Sequence[str] = ()) -> Primary:
    """The primary asymmetry over the given suites with its verdict: `suite_table` then `decide_primary`."""
    table = suite_table(x1, x0, k1, k0, suite, suites, clusters=clusters, cluster_suites=cluster_suites,
                        sigma_grid=sigma_grid, sigma_max=sigma_max, estimated=estimated)
    return decide_primary(table, targeted, level, few_clusters)


#: Score mode: the assumed spread (SD, logits) of item difficulty within a benchmark, which published
#: accuracies cannot reveal. It does move the verdict: all items +1 logit, targeted SD 0.5 vs untargeted 3
#: at one assumed 1.5 fired 99/100 nulls. So the primary is computed at every (targeted, untargeted) pair
#: of SCORE_SPREADS, crossed with the σ grid, and a verdict must hold over all of them (least favourable).
SCORE_SPREADS = (0.5, 1.5, 3.0)
SCORE_SPREAD = 1.5  # the middle of the grid (kept for callers that want one value)
_GH_Z, _GH_W = np.polynomial.hermite_e.hermegauss(60)
_GH_W = _GH_W / _GH_W.sum()


def _mean_logit(p: float, sd: float) -> float:
    """The mean m of a normal logit N(m, sd²) whose expected success probability is p."""
    from scipy import optimize, special

    return float(optimize.brentq(lambda m: float(_GH_W @ special.expit(m + sd * _GH_Z)) - p, -40, 40, xtol=1e-12))


def score_table(p0: np.ndarray, n0: np.ndarray, p1: np.ndarray, n1: np.ndarray, suites: Sequence[str], *,
                sigma_grid: Sequence[float] = SIGMA_GRID, sigma_max: float = SIGMA_MAX,
                spreads: Sequence[float] = SCORE_SPREADS) -> SuiteTable:
    """The primary from published accuracies (score mode): per suite, the mean item gain μ that turns the
    old accuracy p0 into the new p1 when item difficulty is N(m, spread²) and item gains N(μ, σ²), at each
    σ of the grid (E σ(m + s·z) = p0, E σ(m + μ + √(s² + σ²)·z) = p1), with a delta-method SE from the
    binomial variances p(1 - p)/n. At 0% or 100% the counts get +0.5 (flagged, never used for a verdict).
    Computed at every spread of `spreads`; `decide_primary` crosses the groups' spreads (least favourable)."""
    by_spread = {float(sp): _score_rows(p0, n0, p1, n1, len(suites), sigma_grid, sigma_max, float(sp))
                 for sp in spreads}
    first = next(iter(by_spread.values()))
    grid = [g.sigma for g in (row[0] for row in first)]
    n = len(suites)
    # published scores carry no gains or losses; a suite at 0% or 100% counts as sparse
    sparse = np.array([first[0][j].haldane for j in range(n)])
    return SuiteTable(False, list(suites), grid, first, np.where(sparse, 0, EXACT_BELOW), np.full(n, EXACT_BELOW),
                      by_spread if len(by_spread) > 1 else None, baselines=np.asarray(p0, float))


def _score_rows(p0: np.ndarray, n0: np.ndarray, p1: np.ndarray, n1: np.ndarray, n_suites: int,
                sigma_grid: Sequence[float], sigma_max: float, spread: float) -> list[list[SuiteGain]]:
    """Per σ row, per suite: the score-mode mean item gain at one assumed difficulty spread."""
    grid = [float(s) for s in sigma_grid if s <= sigma_max + 1e-12]
    rows: list[list[SuiteGain]] = [[] for _ in grid]
    for j in range(n_suites):
        a0, b0, a1, b1 = float(p0[j]) * n0[j], float(n0[j]), float(p1[j]) * n1[j], float(n1[j])
        edge = bool(min(a0, b0 - a0, a1, b1 - a1) < 0.5)
        if edge:
            a0, b0, a1, b1 = a0 + 0.5, b0 + 1, a1 + 0.5, b1 + 1
        q0, q1 = a0 / b0, a1 / b1
        v0, v1 = q0 * (1 - q0) / b0, q1 * (1 - q1) / b1
        for i, sig in enumerate(grid):
            def mu_of(x0: float, x1: float, sig: float = sig) -> float:
                return _mean_logit(x1, math.hypot(spread, sig)) - _mean_logit(x0, spread)

            mu = mu_of(q0, q1)
            h0, h1 = 1e-6 * max(q0 * (1 - q0), 1e-4), 1e-6 * max(q1 * (1 - q1), 1e-4)
            d0 = (mu_of(q0 + h0, q1) - mu_of(q0 - h0, q1)) / (2 * h0)
            d1 = (mu_of(q0, q1 + h1) - mu_of(q0, q1 - h1)) / (2 * h1)
            se = math.sqrt(d0 * d0 * v0 + d1 * d1 * v1)
            note = "0% or 100%: +0.5 correction (not used for a verdict)" if edge else ""
            rows[i].append(SuiteGain(mu, se, sig, False, True, edge, note))
    return rows
