"""The suite's mean item gain μ_s: the primary estimand, calibrated under heterogeneous item gains
(STATISTICS.md §1.4b item 2).

Why not the Mantel-Haenszel log odds: when items differ in how much they improve (item i's gain δ_i
spread with SD σ), log(ΣR/ΣS) is pulled toward the gains of the items that happen to be discordant,
and which items those are depends on the suite's starting level. Two suites with the same gain
distribution but baselines of 90% and 30% then get different MH gains, and a null of equal gains
rejects (82% at σ = 1, k = 1). μ_s = E[δ_i] is defined by the gain distribution alone, so it is the
same whatever the baseline.

Model, per suite: item i has ability offset θ_i (old release) and gain δ_i; each of k samples of
release r succeeds with probability σ(θ_i + r·δ_i). The gain given θ is normal,
δ_i | θ_i ~ N(μ + β·(θ_i − E θ), σ²), so E δ_i = μ exactly. A suite's data reduce to counts of
(x0, x1) patterns, (k+1)² cells at most, and each pattern's marginal likelihood is a 2-D integral done
by quadrature: θ on a fixed grid of logits, δ by the trapezoid rule on a standard-normal grid (both
converge fast for these smooth integrands; the grids are finer for larger k, where the binomial
likelihood is sharper).

The distribution of θ (how hard the suite's items are for the old release) matters: with normal θ, a
suite whose items are bimodal (many never or always solved, as on real code benchmarks) biases μ̂ in a
direction set by the baseline (k = 3: −0.38 logits at a 15% baseline, +0.28 at 85%, simulated). So
with k ≥ 2 the log-density of θ is a quartic in θ (normal when the cubic and quartic terms are 0),
flexible enough for two modes and for point masses of impossible or trivial items at the grid's ends.

* k ≥ 2 samples per item and release: σ and the θ shape are fitted and σ̂ is reported. β is identified
  but fixed at 0 (FIT_BETA off: fitted, it was unstable and biased); harness.stats.primary guards the
  verdict instead by requiring the groups' starting levels to overlap.
* k = 1: four cells; σ is not identified and, even with σ fixed, neither is β (the intercept-gain
  correlation). θ is normal, β = 0, and μ is estimated at each σ of a pre-registered grid
  (SIGMA_GRID); a verdict must hold over the whole grid (harness.stats.verdict). At σ = 0 the model
  gives exactly the conditional estimate log(G/L) with variance 1/G + 1/L (the known answers of §2),
  whatever the distribution of θ.

Variance: items are the unit of inference (§1.4b item 1). The SE is the sandwich (robust) variance of
the M-estimator with per-item (or per-cluster) score contributions, so it counts each item once however
many samples it has, and holds when the model is only an approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

#: Pre-registered σ grid for one sample per item (logits), and the largest σ a verdict must survive.
SIGMA_GRID = (0.0, 0.5, 1.0, 1.5, 2.0)
SIGMA_MAX = 2.0
_THETA_RANGE = 14.0  # θ grid over ±14 logits (p from 8e-7 to 1 - 8e-7): "never" and "always" solved items
_Z_RANGE = 6.0  # δ quadrature over ±6 SDs (tail mass 2e-9)
_U = 4.0  # θ is scaled by 1/4 in the quartic so the polynomial terms stay of order 1
_SIGMA_BOUND = 8.0  # σ̂ beyond 8 logits is flagged as not converged
_BETA_BOUND = 1.0  # |β| ≤ 1 when β is fitted (FIT_BETA)
FIT_BETA = False
# parameter order: c1..c4 (θ log-density polynomial), mu, beta, sigma
_NAMES = ("c1", "c2", "c3", "c4", "mu", "beta", "sigma")
_MU = 4
_KAPPA = 1.0  # precision of the weak prior on the θ log-density's cubic and quartic terms


@dataclass(frozen=True)
class Patterns:
    """Distinct (x0, k0, x1, k1) rows of one suite and how many items have each."""

    x0: np.ndarray
    k0: np.ndarray
    x1: np.ndarray
    k1: np.ndarray
    count: np.ndarray
    inverse: np.ndarray  # item -> pattern row

    @property
    def n_items(self) -> int:
        return int(self.count.sum())


def patterns(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray | int, k0: np.ndarray | int | None = None) -> Patterns:
    """Collapse per-item success counts into pattern counts."""
    x1, x0 = np.asarray(x1, float), np.asarray(x0, float)
    k1a = np.broadcast_to(np.asarray(k1, float), x1.shape)
    k0a = k1a if k0 is None else np.broadcast_to(np.asarray(k0, float), x0.shape)
    rows = np.column_stack([x0, k0a, x1, k1a])
    uniq, inverse, count = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    return Patterns(uniq[:, 0], uniq[:, 1], uniq[:, 2], uniq[:, 3], count.astype(float), inverse.ravel())


#: Quadrature resolution (grid density relative to a spacing of half the likelihood width); 0.7 keeps the
#: quadrature error of μ̂ below 1e-4 logits (tests/stats check it against a grid three times finer).
RESOLUTION = 0.7


def _theta_grid(k: float) -> np.ndarray:
    """Fixed θ nodes: spacing fine enough to resolve a k-sample binomial likelihood (width ≈ 2/√k)."""
    h = max(min(0.5, 1.2 / math.sqrt(max(k, 1.0))) / RESOLUTION, 0.1)  # floor: k in the hundreds or more
    n = int(math.ceil(2 * _THETA_RANGE / h)) + 1
    return np.linspace(-_THETA_RANGE, _THETA_RANGE, n)


def _z_grid(k: float) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal trapezoid nodes and log-weights for the gain; finer for larger k."""
    # the gain's likelihood at a given θ has width ≥ 2/√k logits, i.e. ≥ 1/√k in z units for σ ≤ 2
    n = int(np.clip(math.ceil(2 * _Z_RANGE * RESOLUTION / min(0.5, 1.0 / math.sqrt(max(k, 1.0)))) + 1, 25, 121))
    z = np.linspace(-_Z_RANGE, _Z_RANGE, n)
    logw = -0.5 * z * z
    return z, logw - special.logsumexp(logw)


def _lse(a: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """log Σ exp over `axis` (scipy's logsumexp, without its per-call overhead; inputs are finite or -inf
    with at least one finite entry per slice)."""
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)), axis=axis)


def _log_sig(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ls = -np.logaddexp(0, -x)  # log σ(x)
    return ls, ls - x  # log(1 - σ(x)) = log σ(x) - x


class _Batch:
    """The marginal log-likelihood of B independent problems (suites, or one suite at several σ) at once,
    with per-pattern scores: one set of array operations per evaluation whatever B is, so fitting every
    suite of a replication (and every σ of the grid) costs about what one fit costs.

    Problems are padded to a common number of patterns (padding has count 0) and of distinct x0 and x1
    values. All problems share the free-parameter mask; fixed values (σ on a grid) may differ."""

    def __init__(self, pats: list[Patterns], free: np.ndarray, fixed: np.ndarray, k: float,
                 one_z: bool = False) -> None:
        self.pats, self.free, self.fixed = pats, free, np.array(fixed, float)
        b = len(pats)
        self.t = _theta_grid(k)
        u = self.t / _U
        self.powers = np.stack([u, u**2, u**3, u**4])  # (4, Q)
        self.z, self.lz = (np.zeros(1), np.zeros(1)) if one_z else _z_grid(k)
        n_p = max(p.count.size for p in pats)
        self.count = np.zeros((b, n_p))
        ls, lns = _log_sig(self.t)
        u0s, u1s, i0s, i1s = [], [], [], []
        for j, p in enumerate(pats):
            self.count[j, :p.count.size] = p.count
            u0, i0 = np.unique(np.column_stack([p.x0, p.k0]), axis=0, return_inverse=True)
            u1, i1 = np.unique(np.column_stack([p.x1, p.k1]), axis=0, return_inverse=True)
            u0s.append(u0)
            u1s.append(u1)
            i0s.append(i0.ravel())
            i1s.append(i1.ravel())
        n0, n1 = max(len(v) for v in u0s), max(len(v) for v in u1s)
        x0v, k0v = np.zeros((b, n0)), np.zeros((b, n0))
        self.x1v, self.k1v = np.zeros((b, n1)), np.zeros((b, n1))
        self.i0, self.i1 = np.zeros((b, n_p), np.intp), np.zeros((b, n_p), np.intp)
        for j in range(b):
            x0v[j, :len(u0s[j])], k0v[j, :len(u0s[j])] = u0s[j][:, 0], u0s[j][:, 1]
            self.x1v[j, :len(u1s[j])], self.k1v[j, :len(u1s[j])] = u1s[j][:, 0], u1s[j][:, 1]
            self.i0[j, :i0s[j].size], self.i1[j, :i1s[j].size] = i0s[j], i1s[j]
        # old release: log f0 of each distinct (x0, k0) at each θ node (fixed: θ nodes do not move)
        self.lf0 = x0v[:, :, None] * ls[None, None, :] + (k0v - x0v)[:, :, None] * lns[None, None, :]  # (B, U0, Q)
        self.lf0p = np.take_along_axis(self.lf0, self.i0[:, :, None], axis=1)  # (B, P, Q)
        self.pen_mask = np.zeros(7, bool)
        self.pen_mask[2:4] = True
        self.pen_mask = self.pen_mask[free]

    def full(self, p: np.ndarray) -> np.ndarray:
        out = self.fixed.copy()
        out[:, self.free] = p
        return out

    def evaluate(self, p: np.ndarray, scores: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-problem, per-pattern log P (B, P) and scores over the free parameters (B, P, F)."""
        full = self.full(p)
        c, mu, beta, sigma = full[:, :4], full[:, 4], full[:, 5], full[:, 6]
        logpi = c @ self.powers  # (B, Q)
        logpi = logpi - _lse(logpi, 1)[:, None]
        pi = np.exp(logpi)
        tbar = pi @ self.t  # (B,)
        dev = self.t[None, :] - tbar[:, None]  # (B, Q)
        eta = (self.t[None, :] + mu[:, None] + beta[:, None] * dev)[:, :, None] + sigma[:, None, None] * self.z
        ls, lns = _log_sig(eta)  # (B, Q, Z)
        x1, k1 = self.x1v[:, :, None, None], self.k1v[:, :, None, None]
        lf1 = x1 * ls[:, None] + (k1 - x1) * lns[:, None] + self.lz  # (B, U1, Q, Z)
        lg = _lse(lf1, 3)  # (B, U1, Q)
        joint = self.lf0p + np.take_along_axis(lg, self.i1[:, :, None], axis=1) + logpi[:, None, :]  # (B, P, Q)
        logp = _lse(joint, 2)
        if not scores:
            return logp, None
        post = np.exp(joint - logp[:, :, None])  # posterior over θ nodes, per pattern
        w1r1 = np.exp(lf1 - lg[..., None]) * (x1 - k1 * np.exp(ls)[:, None])  # ∂ log f1/∂η, weighted
        e1 = np.take_along_axis(w1r1.sum(axis=3), self.i1[:, :, None], axis=1)  # (B, P, Q)
        e1z = np.take_along_axis(w1r1 @ self.z, self.i1[:, :, None], axis=1)
        centred = self.powers[None] - (pi @ self.powers.T)[:, :, None]  # u^j - E u^j, (B, 4, Q)
        cov_t = np.einsum("bjq,bq->bj", centred, pi * dev)  # Cov_π(u^j, θ)
        pe1 = post * e1
        d_mu = pe1.sum(axis=2)
        d_c = np.einsum("bpq,bjq->bpj", post, centred) - d_mu[:, :, None] * (beta[:, None] * cov_t)[:, None, :]
        d_beta = np.einsum("bpq,bq->bp", pe1, dev)
        d_sigma = (post * e1z).sum(axis=2)
        grad = np.concatenate([d_c, d_mu[..., None], d_beta[..., None], d_sigma[..., None]], axis=2)
        return logp, grad[:, :, self.free]

    def objective(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per problem: the penalised log-likelihood (B,), its gradient (B, F), the BHHH information
        (B, F, F) and the per-pattern scores (B, P, F).

        The penalty is a weak N(0, 1/κ) prior on the cubic and quartic terms of the θ log-density: where
        the data cannot tell shapes apart (e.g. how far below the grid a mass of never-solved items sits)
        it keeps the fit near normal instead of letting it wander to the grid's edge."""
        logp, grad = self.evaluate(p)
        assert grad is not None
        w = self.count
        pen_p = np.where(self.pen_mask, p, 0.0)
        f = np.einsum("bp,bp->b", w, logp) - 0.5 * _KAPPA * np.sum(pen_p**2, axis=1)
        g = np.einsum("bp,bpf->bf", w, grad) - _KAPPA * pen_p
        info = np.einsum("bpf,bpg->bfg", grad * w[:, :, None], grad) + np.diag(np.where(self.pen_mask, _KAPPA, 0.0))
        return f, g, info, grad

    def neg_gradient(self, p: np.ndarray) -> np.ndarray:
        return -self.objective(p)[1]


@dataclass(frozen=True)
class GainFit:
    """One suite's mean item gain μ̂ (logits) with its item-level (sandwich) SE."""

    mu: float
    se: float
    sigma: float  # σ̂ when estimated (k ≥ 2), else the fixed grid value
    sigma_estimated: bool
    n_items: int
    n_units: int  # items, or clusters when clustered
    converged: bool
    note: str = ""
    params: tuple[float, ...] = field(default=(), repr=False)

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        z = float(stats.norm.ppf(0.5 + level / 2))
        return self.mu - z * self.se, self.mu + z * self.se


def _start(pat: Patterns, sigma: float) -> np.ndarray:
    """Moment starting values: a normal θ whose mean and spread match the old release's item logits,
    and the difference of the releases' pooled logits (inflated for the logit-normal shrinkage)."""
    w = pat.count
    item0 = np.log((pat.x0 + 0.5) / (pat.k0 - pat.x0 + 0.5))
    m0 = float(w @ item0 / w.sum())
    s0 = math.sqrt(max(float(w @ (item0 - m0) ** 2 / w.sum()) - float(w @ (1 / (pat.x0 + .5) + 1 / (pat.k0 - pat.x0 + .5)))
                       / w.sum(), 0.5))
    p0 = float(np.clip((w @ pat.x0 + 0.5) / (w @ pat.k0 + 1), 1e-3, 1 - 1e-3))
    p1 = float(np.clip((w @ pat.x1 + 0.5) / (w @ pat.k1 + 1), 1e-3, 1 - 1e-3))
    mu = (math.log(p1 / (1 - p1)) - math.log(p0 / (1 - p0))) * math.sqrt(1 + 0.35 * (s0**2 + sigma**2))
    # normal log-density in u = θ/4: (m/s²)θ - θ²/(2s²) = (4m/s²)u - (8/s²)u²
    return np.array([_U * m0 / s0**2, -(_U**2) / (2 * s0**2), 0.0, 0.0, mu, 0.0, sigma])


# box bounds (far from any sensible fit); σ may go negative: the likelihood is even in σ, and |σ| is reported
_MAX_STEP = 3.0  # largest change of any parameter in one Newton step (a trust region: BHHH overshoots far out)
_LOWER = np.array([-80.0, -80.0, -30.0, -30.0, -30.0, -_BETA_BOUND, -_SIGMA_BOUND])
_UPPER = np.array([80.0, 40.0, 30.0, 10.0, 30.0, _BETA_BOUND, _SIGMA_BOUND])


def _maximise(lik: _Batch, p: np.ndarray, max_iter: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """Damped Newton with the BHHH information (Σ count·score·scoreᵀ) for every problem at once: each
    iteration evaluates all problems once, accepts each problem's step where its objective did not fall
    (else raises its damping), and stops a problem when its Newton decrement is negligible. Parameters
    pushed against a box bound are held there. Returns the parameters and a per-problem converged flag."""
    lo, hi = _LOWER[lik.free], _UPPER[lik.free]
    f, g, info, _ = lik.objective(p)
    n_b, dim = p.shape
    lam = np.full(n_b, 1e-3)
    done = np.zeros(n_b, bool)
    eye = np.eye(dim)
    for _ in range(max_iter):
        move = ~(((p <= lo) & (g < 0)) | ((p >= hi) & (g > 0)))  # (B, F)
        mm = move[:, :, None] & move[:, None, :]
        scale = np.maximum(1.0, np.trace(info, axis1=1, axis2=2) / dim)[:, None, None]
        sub = np.where(mm, info, 0.0) + np.where(mm, 1e-10 * scale * eye, eye * ~move[:, :, None])
        gm = np.where(move, g, 0.0)
        dec = np.einsum("bf,bf->b", gm, np.linalg.solve(sub, gm[..., None])[..., 0])
        done |= dec < 1e-6  # a log-likelihood gap of ~5e-7: μ̂ within ~1e-3 SE of the optimum
        if done.all():
            break
        diag = np.einsum("bff->bf", sub)
        step = np.linalg.solve(sub + lam[:, None, None] * (diag[:, :, None] * eye), gm[..., None])[..., 0]
        step *= np.minimum(1.0, _MAX_STEP / np.maximum(np.max(np.abs(step), axis=1), 1e-300))[:, None]
        trial = np.where(done[:, None], p, np.clip(p + step, lo, hi))
        f_t, g_t, info_t, _ = lik.objective(trial)
        ok = ~done & np.isfinite(f_t) & (f_t >= f - 1e-12 * np.abs(f))
        small = ok & (np.abs(f_t - f) < 1e-11 * np.maximum(1.0, np.abs(f))) & (np.max(np.abs(trial - p), axis=1) < 1e-8)
        p = np.where(ok[:, None], trial, p)
        f = np.where(ok, f_t, f)
        g = np.where(ok[:, None], g_t, g)
        info = np.where(ok[:, None, None], info_t, info)
        lam = np.where(ok, np.maximum(lam / 4, 1e-6), np.minimum(np.maximum(lam * 10, 1e-2), 1e12))
        done |= small
    return p, done


def _boundary_refit(lik: _Batch, p: np.ndarray, conv: np.ndarray, free: np.ndarray,
                    k_max: float) -> tuple[np.ndarray, np.ndarray]:
    """σ̂ near 0 is on the boundary, where the likelihood is flat in σ and Newton's decrement shrinks slowly,
    so a fit there may stop "not converged" though μ̂ is settled. Refit those problems with σ fixed at 0:
    when that fit converges and its log-likelihood is within 0.01 of the free fit's (a likelihood-ratio
    statistic of 0.02: σ = 0 is as good), it is the estimate, converged."""
    redo = np.flatnonzero(~conv & (np.abs(p[:, -1]) < 0.5))
    if redo.size == 0:
        return p, conv
    free0 = free.copy()
    free0[6] = False
    full = lik.full(p)[redo]
    full[:, 6] = 0.0
    lik0 = _Batch([lik.pats[i] for i in redo], free0, full, k_max, one_z=True)
    p0, conv0 = _maximise(lik0, full[:, free0])
    f_free = lik.objective(p)[0][redo]
    f0 = lik0.objective(p0)[0]
    take = conv0 & (f0 >= f_free - 0.01)
    p, conv = p.copy(), conv.copy()
    both = np.zeros_like(full)
    both[:, free0] = p0
    p[redo[take]] = both[take][:, free]
    conv[redo[take]] = True
    return p, conv


def _sandwich(lik: _Batch, p: np.ndarray, clusters: list[np.ndarray | None],
              fix: np.ndarray | None = None) -> tuple[np.ndarray, list[int]]:
    """Per problem H⁻¹ B H⁻¹: B from per-unit score sums (items as units, or clusters with the C/(C-1)
    factor), H by forward differences of the analytic score (batched: F evaluations for all problems).
    `fix` (B, F): parameters treated as known for that problem (their rows and columns drop out)."""
    f0, g0, _, grad = lik.objective(p)
    n_b, dim = p.shape
    meat = np.zeros((n_b, dim, dim))
    units = []
    for j, pat in enumerate(lik.pats):
        gj = grad[j, :pat.count.size]
        cl = clusters[j]
        if cl is None:
            meat[j] = (gj * pat.count[:, None]).T @ gj
            units.append(pat.n_items)
        else:
            _, codes = np.unique(np.asarray(cl).astype(str), return_inverse=True)
            n_c = int(codes.max()) + 1
            sums = np.zeros((n_c, dim))
            np.add.at(sums, codes.ravel(), gj[pat.inverse])
            meat[j] = sums.T @ sums * (n_c / (n_c - 1) if n_c > 1 else math.nan)
            units.append(n_c)
    hess = np.zeros((n_b, dim, dim))
    for i in range(dim):
        h = 1e-5 * np.maximum(1.0, np.abs(p[:, i]))
        up = p.copy()
        up[:, i] += h
        hess[:, :, i] = -(lik.objective(up)[1] - g0) / h[:, None]
    hess = (hess + np.transpose(hess, (0, 2, 1))) / 2
    if fix is not None:
        keep = ~fix
        both = keep[:, :, None] & keep[:, None, :]
        hess = np.where(both, hess, 0.0) + np.eye(dim) * fix[:, :, None]
        meat = np.where(both, meat, 0.0)
    bread = np.linalg.pinv(hess)
    return bread @ meat @ bread, units


def fit_gains(data: list[tuple[np.ndarray, np.ndarray, np.ndarray | float, np.ndarray | float]],
              sigmas: list[float | None], *, clusters: list[np.ndarray | None] | None = None,
              shape: bool = True, betas: list[float] | None = None) -> list[GainFit]:
    """Fit the random item-gain model to several problems at once: problem j is suite data
    (x1, x0, k1, k0) with σ fixed at sigmas[j], or estimated when None (then σ is estimated for every
    problem of the call). Returns one `GainFit` per problem, μ̂ with its item-level sandwich SE.

    σ estimated (k ≥ 2 samples per item and release): σ and the θ shape (cubic and quartic terms) are
    fitted. σ fixed (one sample per item): θ normal. β (how the gain depends on θ) is never fitted: with
    β free the fits were unstable at extreme baselines (SD of μ̂ 1.5 logits at a 15% baseline, k = 3). It
    is fixed at betas[j] (default 0); harness.stats.primary takes the least favourable over a β grid.
    `clusters[j]`: one label per item of problem j (the SE then treats clusters as the units)."""
    n = len(data)
    betas = list(betas) if betas is not None else [0.0] * n
    clusters = clusters or [None] * n
    pats = [patterns(*d) for d in data]
    out: list[GainFit | None] = [None] * n
    todo = []
    for j, (pat, sig) in enumerate(zip(pats, sigmas, strict=True)):
        single = bool(np.all(pat.k0 == 1) and np.all(pat.k1 == 1))
        if sig is not None and sig == 0 and single and clusters[j] is None and betas[j] == 0:
            out[j] = _conditional_k1(pat)
        else:
            todo.append(j)
    if todo:
        # chunks whose largest array (problems × distinct x1 × θ nodes × z nodes) stays near 3M numbers
        k_all = max(float(max(pats[j].k0.max(), pats[j].k1.max())) for j in todo)
        distinct = max(min(int(k_all) + 1, pats[j].count.size) for j in todo)
        cells = distinct * _theta_grid(k_all).size * _z_grid(k_all)[0].size
        size = max(1, int(3e6 // cells))
        if len(todo) > size:
            for i in range(0, len(todo), size):
                part = todo[i:i + size]
                fits = fit_gains([data[j] for j in part], [sigmas[j] for j in part],
                                 clusters=[clusters[j] for j in part], shape=shape, betas=[betas[j] for j in part])
                for j, fit in zip(part, fits, strict=True):
                    out[j] = fit
            todo = []
    if todo:
        estimate = sigmas[todo[0]] is None
        if any((sigmas[j] is None) != estimate for j in todo):
            raise ValueError("fit_gains: σ must be estimated for all problems or fixed for all")
        flex = estimate and shape
        free = np.array([True, True, flex, flex, True, estimate and FIT_BETA, estimate])
        zero_sigma = not estimate and all(sigmas[j] == 0 for j in todo)
        k_max = max(float(max(pats[j].k0.max(), pats[j].k1.max())) for j in todo)
        starts = np.array([_start(pats[j], 1.0 if estimate else float(sigmas[j])) for j in todo])
        starts[:, ~free & (np.arange(7) < 6)] = 0.0
        starts[:, 5] = [betas[j] for j in todo]
        lik = _Batch([pats[j] for j in todo], free, starts, k_max, one_z=zero_sigma)
        p, conv = _maximise(lik, starts[:, free])
        if estimate:
            p[:, -1] = np.abs(p[:, -1])
            p, conv = _boundary_refit(lik, p, conv, free, k_max)
        full = lik.full(p)
        # σ̂ = 0 is on the boundary, where the Hessian is singular in σ: there σ is treated as known (μ
        # decouples from σ at 0, the likelihood being even in σ), which is the σ = 0 model's sandwich
        fix = np.zeros(p.shape, bool)
        if estimate:
            fix[:, -1] = np.abs(p[:, -1]) < 1e-3
        cov, units = _sandwich(lik, p, [clusters[j] for j in todo], fix)
        mu_index = int(np.sum(free[:_MU]))
        for i, j in enumerate(todo):
            sig = float(full[i, 6])
            notes = []
            var_mu = float(cov[i, mu_index, mu_index])
            n_units = units[i]
            at_bound = estimate and sig >= _SIGMA_BOUND - 1e-6
            if at_bound:
                notes.append(f"σ̂ reached its bound of {_SIGMA_BOUND:g} logits")
            if estimate and sig < 1e-3:
                notes.append("σ̂ = 0 (no detectable spread of item gains)")
            se = math.sqrt(var_mu) if var_mu > 0 and math.isfinite(var_mu) else math.nan
            out[j] = GainFit(float(full[i, _MU]), se, sig, estimate, pats[j].n_items, n_units,
                             bool(conv[i]) and not at_bound and math.isfinite(se), "; ".join(notes),
                             tuple(float(v) for v in full[i]))
    return [o for o in out if o is not None]


def fit_gain(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray | int, k0: np.ndarray | int | None = None, *,
             sigma: float | None = None, clusters: np.ndarray | None = None, shape: bool = True) -> GainFit:
    """Fit the random item-gain model to one suite (see `fit_gains`): `sigma=None` estimates σ (k ≥ 2),
    a number fixes it (k = 1); `clusters` gives one label per item."""
    k0 = k1 if k0 is None else k0
    return fit_gains([(x1, x0, k1, k0)], [sigma], clusters=[clusters], shape=shape)[0]


def _conditional_k1(pat: Patterns) -> GainFit:
    """σ = 0 with one sample per item: the model's μ̂ is exactly log(G/L) (the odds of newly solved vs
    newly failed are e^μ at every θ), and the item-level sandwich is exactly 1/G + 1/L."""
    g = float(pat.count[(pat.x1 == 1) & (pat.x0 == 0)].sum())
    lo = float(pat.count[(pat.x1 == 0) & (pat.x0 == 1)].sum())
    n = pat.n_items
    if g == 0 or lo == 0:
        est = math.inf if lo == 0 and g > 0 else -math.inf if g == 0 and lo > 0 else math.nan
        return GainFit(est, math.inf, 0.0, False, n, n, False, "no gains or no losses: the estimate is unbounded")
    return GainFit(math.log(g / lo), math.sqrt(1 / g + 1 / lo), 0.0, False, n, n, True)
