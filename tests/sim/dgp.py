"""The data-generating process of STATISTICS.md §3.1, vectorised over replications.

One `Scenario` fixes a design and a truth; `simulate(scenario, reps, rng)` draws `reps` independent
replications at once (fresh items each time: items are draws from each suite's question universe, §1.2):

* items: difficulty b ~ N(0, item_sd²) (+ a shared cluster effect when items come in clusters) and
  discrimination a ~ logNormal(0, discrimination_sd²) (a ≡ 1 for Rasch);
* suites: the old release's offset θ0_s solves E[old accuracy] = the suite's baseline;
* release effect: δ_s = shift + δ_T·1[s ∈ T] + u_s, u_s ~ N(0, τ²), or (equal_pp) the δ_s giving every
  suite the same expected pp gain; item-by-release noise e ~ N(0, noise_sd²) and cluster-by-release noise;
* samples: x_r ~ Binomial(k, σ(a(θ0_s + δ_s·r − b) + e_r));
* contamination: a fraction φ of targeted items is memorised by the new release (x1 = k).

Seeds are the CRC32 of the scenario name, so every figure in the calibration report can be reproduced.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import optimize, special

_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(64)
_GH_W = _GH_W / _GH_W.sum()
_GH_A, _GH_AW = np.polynomial.hermite_e.hermegauss(16)
_GH_AW = _GH_AW / _GH_AW.sum()


@dataclass(frozen=True)
class Scenario:
    """A design plus a truth. Baselines are (lo, hi) ranges spread evenly over a group's suites."""

    name: str
    description: str = ""
    n_targeted: int = 2
    n_untargeted: int = 2
    n_items: int = 300
    samples: int = 1
    baselines_targeted: tuple[float, float] = (0.35, 0.45)
    baselines_untargeted: tuple[float, float] = (0.80, 0.90)
    item_sd: float = 1.5
    discrimination_sd: float = 0.0
    noise_sd: float = 0.0
    shift: float = 0.8
    delta_t: float = 0.0
    tau: float = 0.0
    equal_pp: float | None = None
    cluster_size: int = 0
    cluster_sd: float = 0.0
    cluster_change_sd: float = 0.0
    contamination: float = 0.0
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def seed(self) -> int:
        """CRC32 of the name (§3.4): the same scenario always draws the same numbers."""
        return zlib.crc32(self.name.encode())

    @property
    def n_suites(self) -> int:
        return self.n_targeted + self.n_untargeted

    @property
    def targeted(self) -> np.ndarray:
        return np.arange(self.n_suites) < self.n_targeted

    @property
    def baselines(self) -> np.ndarray:
        def spread(lo_hi: tuple[float, float], n: int) -> np.ndarray:
            return np.linspace(lo_hi[0], lo_hi[1], n) if n > 1 else np.array([np.mean(lo_hi)])

        return np.concatenate([spread(self.baselines_targeted, self.n_targeted),
                               spread(self.baselines_untargeted, self.n_untargeted)])

    def with_(self, **changes: object) -> Scenario:
        return replace(self, **changes)


def _logit_sd(scenario: Scenario) -> float:
    """SD of the non-discrimination part of the logit: difficulty, cluster and release noise."""
    return float(np.sqrt(scenario.item_sd**2 + scenario.cluster_sd**2 + scenario.noise_sd**2
                         + scenario.cluster_change_sd**2))


def expected_accuracy(theta: float, scenario: Scenario) -> float:
    """E[σ(a(θ − b) + e)] over the item population (Gauss-Hermite quadrature)."""
    sd_b = np.sqrt(scenario.item_sd**2 + scenario.cluster_sd**2)
    sd_e = np.sqrt(scenario.noise_sd**2 + scenario.cluster_change_sd**2)
    a = np.exp(scenario.discrimination_sd * _GH_A) if scenario.discrimination_sd > 0 else np.ones(1)
    wa = _GH_AW if scenario.discrimination_sd > 0 else np.ones(1)
    # given a, the logit a(θ − b) + e is normal with mean aθ and SD sqrt(a² sd_b² + sd_e²)
    sd = np.sqrt(a[:, None] ** 2 * sd_b**2 + sd_e**2)
    values = special.expit(a[:, None] * theta + sd * _GH_X[None, :])
    return float(np.sum(wa[:, None] * _GH_W[None, :] * values))


def solve_offset(target: float, scenario: Scenario) -> float:
    """θ such that the expected accuracy equals `target`."""
    return float(optimize.brentq(lambda t: expected_accuracy(t, scenario) - target, -30, 30, xtol=1e-12))


def suite_offsets(scenario: Scenario) -> np.ndarray:
    """θ0_s for every suite (old release)."""
    return np.array([solve_offset(b, scenario) for b in scenario.baselines])


def equal_pp_shifts(scenario: Scenario, offsets: np.ndarray) -> np.ndarray:
    """δ_s giving every suite the same expected gain of `equal_pp` percentage points (N2)."""
    gain = scenario.equal_pp / 100
    return np.array([solve_offset(base + gain, scenario) - theta
                     for base, theta in zip(scenario.baselines, offsets, strict=True)])


@dataclass(frozen=True)
class Batch:
    """`reps` replications of one scenario: per-item success counts in (reps, items) arrays.

    suite[i] is the suite code of item i (suites are contiguous blocks); cluster[i] the item's cluster
    label (unique across suites) or None; true_delta[r, s] the realised shift δ_s; contaminated the mask of
    memorised items (or None).
    """

    scenario: Scenario
    x0: np.ndarray
    x1: np.ndarray
    suite: np.ndarray
    cluster: np.ndarray | None
    true_delta: np.ndarray
    contaminated: np.ndarray | None

    @property
    def reps(self) -> int:
        return self.x0.shape[0]

    @property
    def k(self) -> int:
        return self.scenario.samples

    @property
    def targeted(self) -> np.ndarray:
        return self.scenario.targeted

    @property
    def true_asymmetry(self) -> np.ndarray:
        """The fixed-suite latent asymmetry mean_T δ_s − mean_U δ_s of each replication (L1's estimand
        under Rasch items without noise)."""
        t = self.targeted
        return self.true_delta[:, t].mean(axis=1) - self.true_delta[:, ~t].mean(axis=1)

    def suite_slices(self) -> list[slice]:
        n = self.scenario.n_items
        return [slice(s * n, (s + 1) * n) for s in range(self.scenario.n_suites)]


def simulate(scenario: Scenario, reps: int, rng: np.random.Generator, *, offsets: np.ndarray | None = None,
             delta_t: np.ndarray | float | None = None, difficulty: np.ndarray | None = None,
             contaminate: bool = True) -> Batch:
    """Draw `reps` replications. `delta_t` (scalar or per-replication) overrides the scenario's targeted
    effect (families use it for lab heterogeneity); `difficulty` (reps, items) reuses items across families;
    `contaminate=False` switches the scenario's contamination off for this draw."""
    s_count, n = scenario.n_suites, scenario.n_items
    items = s_count * n
    suite = np.repeat(np.arange(s_count), n)
    theta0 = suite_offsets(scenario) if offsets is None else offsets

    if scenario.equal_pp is not None:
        base_shift = np.broadcast_to(equal_pp_shifts(scenario, theta0), (reps, s_count))
    else:
        base_shift = np.full((reps, s_count), scenario.shift)
    dt = np.asarray(scenario.delta_t if delta_t is None else delta_t, float)
    dt = np.full((reps, 1), float(dt)) if dt.ndim == 0 else dt.reshape(reps, 1)
    delta = base_shift + dt * scenario.targeted[None, :]
    if scenario.tau > 0:
        delta = delta + rng.normal(0.0, scenario.tau, size=(reps, s_count))

    cluster = None
    if difficulty is None:
        b = rng.normal(0.0, scenario.item_sd, size=(reps, items))
    else:
        b = difficulty
    change0 = change1 = 0.0
    if scenario.cluster_size > 0:
        per_suite = -(-n // scenario.cluster_size)
        within = np.minimum(np.arange(n) // scenario.cluster_size, per_suite - 1)
        cluster = (suite * per_suite + np.tile(within, s_count)).astype(np.int64)
        n_clusters = s_count * per_suite
        if difficulty is None and scenario.cluster_sd > 0:
            b = b + rng.normal(0.0, scenario.cluster_sd, size=(reps, n_clusters))[:, cluster]
        if scenario.cluster_change_sd > 0:
            change0 = rng.normal(0.0, scenario.cluster_change_sd, size=(reps, n_clusters))[:, cluster]
            change1 = rng.normal(0.0, scenario.cluster_change_sd, size=(reps, n_clusters))[:, cluster]
    a = (np.exp(rng.normal(0.0, scenario.discrimination_sd, size=(reps, items)))
         if scenario.discrimination_sd > 0 else 1.0)
    e0 = rng.normal(0.0, scenario.noise_sd, size=(reps, items)) if scenario.noise_sd > 0 else 0.0
    e1 = rng.normal(0.0, scenario.noise_sd, size=(reps, items)) if scenario.noise_sd > 0 else 0.0

    logit0 = a * (theta0[suite][None, :] - b) + e0 + change0
    logit1 = a * (theta0[suite][None, :] + delta[:, suite] - b) + e1 + change1
    k = scenario.samples
    x0 = _draw(rng, k, special.expit(logit0))
    x1 = _draw(rng, k, special.expit(logit1))

    contaminated = None
    if scenario.contamination > 0 and contaminate:
        contaminated = (rng.random((reps, items)) < scenario.contamination) & scenario.targeted[suite][None, :]
        x1 = np.where(contaminated, k, x1)
    return Batch(scenario, x0, x1, suite, cluster, delta, contaminated)


def _draw(rng: np.random.Generator, k: int, p: np.ndarray) -> np.ndarray:
    if k == 1:
        return (rng.random(p.shape) < p).astype(np.int8)
    return rng.binomial(k, p).astype(np.int8)


def expected_discordance(scenario: Scenario, draws: int = 400_000) -> float:
    """E[p0(1 − p1) + p1(1 − p0)] averaged over suites (see `suite_discordance`)."""
    return float(np.mean(suite_discordance(scenario, draws)))


def suite_discordance(scenario: Scenario, draws: int = 400_000) -> np.ndarray:
    """Per suite, E[p0(1 − p1) + p1(1 − p0)]: the share of (one-sample) items whose outcome differs between
    releases (Monte Carlo over the item population with a fixed seed; ±0.001)."""
    rng = np.random.default_rng(scenario.seed)
    theta0 = suite_offsets(scenario)
    shifts = (equal_pp_shifts(scenario, theta0) if scenario.equal_pp is not None
              else scenario.shift + scenario.delta_t * scenario.targeted)
    b = rng.normal(0.0, np.sqrt(scenario.item_sd**2 + scenario.cluster_sd**2), draws)
    a = np.exp(rng.normal(0.0, scenario.discrimination_sd, draws)) if scenario.discrimination_sd > 0 else 1.0
    sd_e = np.sqrt(scenario.noise_sd**2 + scenario.cluster_change_sd**2)
    e0, e1 = rng.normal(0.0, sd_e, draws), rng.normal(0.0, sd_e, draws)
    out = []
    for theta, delta in zip(theta0, shifts, strict=True):
        p0 = special.expit(a * (theta - b) + e0)
        p1 = special.expit(a * (theta + delta - b) + e1)
        out.append(np.mean(p0 * (1 - p1) + p1 * (1 - p0)))
    return np.array(out)


# --- Layer 3: release transitions of several labs ------------------------------------------------------

ETA_DISTRIBUTIONS = ("normal", "t3", "skewed")


def draw_eta(rng: np.random.Generator, size: tuple[int, ...], tau_f: float, dist: str) -> np.ndarray:
    """Lab heterogeneity η with mean 0 and SD τ_f: normal, t with 3 df (heavy tails) or a shifted
    exponential (right-skewed)."""
    if dist == "normal":
        return rng.normal(0.0, tau_f, size)
    if dist == "t3":
        return tau_f * rng.standard_t(3, size) / np.sqrt(3.0)
    if dist == "skewed":
        return tau_f * (rng.exponential(1.0, size) - 1.0)
    raise ValueError(f"unknown eta distribution {dist!r}; use one of {ETA_DISTRIBUTIONS}")


def simulate_transitions(reps: int, controls: int, *, tau_f: float, sampling_var: float,
                         dist: str = "normal", excess: float = 0.0, mu: float = 0.2,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Summary-level L3 draws (§3.1 "Families"): A_m = μ + η_m + ε_m for the suspect (column 0, plus the
    excess) and C controls, with ε ~ N(0, sampling_var). Returns A (reps, C + 1) and the suspect's realised
    excess over the trend, η_0 + excess (what the excess interval should cover)."""
    eta = draw_eta(rng, (reps, controls + 1), tau_f, dist)
    eps = rng.normal(0.0, np.sqrt(sampling_var), (reps, controls + 1))
    out = mu + eta + eps
    out[:, 0] += excess
    return out, eta[:, 0] + excess


def simulate_families(scenario: Scenario, reps: int, controls: int, *, tau_f: float, rng: np.random.Generator,
                      dist: str = "normal", excess: float = 0.0, contaminate: str = "none") -> list[Batch]:
    """Item-level L3 draws: the suspect (first) and C control families run on the same items; each family's
    targeted effect is δ_T + η_m (+ excess for the suspect). `contaminate`: "none", "all" (every family
    memorised a share of targeted items: the triple difference must stay null) or "suspect"."""
    if contaminate not in ("none", "all", "suspect"):
        raise ValueError("contaminate must be 'none', 'all' or 'suspect'")
    offsets = suite_offsets(scenario)
    items = scenario.n_suites * scenario.n_items
    difficulty = rng.normal(0.0, scenario.item_sd, size=(reps, items))
    eta = draw_eta(rng, (reps, controls + 1), tau_f, dist)
    batches = []
    for m in range(controls + 1):
        dt = scenario.delta_t + eta[:, m] + (excess if m == 0 else 0.0)
        memorised = contaminate == "all" or (contaminate == "suspect" and m == 0)
        batches.append(simulate(scenario, reps, rng, offsets=offsets, delta_t=dt, difficulty=difficulty,
                                contaminate=memorised))
    return batches


def item_table(batch: Batch, rep: int, *, before: str = "old", after: str = "new"):  # -> pandas.DataFrame
    """One replication as a long item table (DESIGN.md "Item table": model, suite, category, item_id,
    score, sample [, cluster]): k rows per (model, item), so `harness.compare.compare` can run on it."""
    import pandas as pd

    sc = batch.scenario
    k = sc.samples
    n_items = batch.x0.shape[1]
    frames = []
    for model, counts in ((before, batch.x0[rep]), (after, batch.x1[rep])):
        # sample j of an item is a success when j < its success count (order is immaterial to every statistic)
        success = (np.arange(k)[None, :] < counts[:, None]).astype(float)
        frame = pd.DataFrame({
            "model": model,
            "suite": np.repeat([f"s{j}" for j in batch.suite], k),
            "category": np.repeat(np.where(sc.targeted[batch.suite], "targeted", "untargeted"), k),
            "item_id": np.repeat([f"i{i}" for i in range(n_items)], k),
            "sample": np.tile(np.arange(k), n_items),
            "score": success.ravel(),
        })
        if batch.cluster is not None:
            frame["cluster"] = np.repeat(batch.cluster, k).astype(str)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
