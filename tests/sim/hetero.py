"""The §1.4b data-generating process: items that differ in how much they gain (STATISTICS.md §1.4b, §3).

Per suite s: item i has an old-release ability offset θ_i (normal around the suite's offset, or bimodal:
many items nearly never or nearly always solved, as on real code benchmarks) and a gain
δ_i ~ N(μ_s, σ²), μ_s = μ + δ_T·1[s ∈ T] + u_s (u_s ~ N(0, τ²)); optionally correlated with θ within the
suite (ρ) and shared within item clusters (a cluster effect on θ and on δ). Each of k samples of release
r succeeds with probability σ(θ_i + r·δ_i). The suite offset is solved so the old release's expected
accuracy hits the suite's baseline, anywhere in 10-95%.

Under a null (δ_T = 0, τ = 0) every suite has the same gain distribution, whatever its baseline, so the
primary estimand (mean item gain) is equal across groups; the Mantel-Haenszel log odds is not (it is
pulled by which items are discordant, which depends on the baseline).

One replication at a time (the primary estimator fits each suite separately); seeds are the CRC32 of
the scenario name, as in sim.dgp.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import optimize, special

_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(80)
_GH_W = _GH_W / _GH_W.sum()


@dataclass(frozen=True)
class HeteroScenario:
    """A design plus a truth. Baselines are (lo, hi) ranges spread evenly over a group's suites; `sizes`
    (one per suite, targeted first) overrides `n_items`."""

    name: str
    n_targeted: int = 2
    n_untargeted: int = 2
    n_items: int = 300
    sizes: tuple[int, ...] = ()
    samples: int = 1
    baselines_targeted: tuple[float, float] = (0.80, 0.95)
    baselines_untargeted: tuple[float, float] = (0.20, 0.40)
    theta_sd: float = 1.5
    theta_shape: str = "normal"  # normal | bimodal
    sigma: float = 1.0
    mu: float = 0.5
    delta_t: float = 0.0
    tau: float = 0.0
    rho: float = 0.0
    cluster_size: int = 0
    cluster_sd: float = 0.0  # cluster effect on θ
    cluster_gain_sd: float = 0.0  # cluster effect on δ

    @property
    def seed(self) -> int:
        return zlib.crc32(self.name.encode())

    @property
    def n_suites(self) -> int:
        return self.n_targeted + self.n_untargeted

    @property
    def targeted(self) -> np.ndarray:
        return np.arange(self.n_suites) < self.n_targeted

    @property
    def suite_sizes(self) -> np.ndarray:
        return np.array(self.sizes if self.sizes else [self.n_items] * self.n_suites)

    @property
    def baselines(self) -> np.ndarray:
        def spread(lo_hi: tuple[float, float], n: int) -> np.ndarray:
            return np.linspace(lo_hi[0], lo_hi[1], n) if n > 1 else np.array([np.mean(lo_hi)])

        return np.concatenate([spread(self.baselines_targeted, self.n_targeted),
                               spread(self.baselines_untargeted, self.n_untargeted)])

    @property
    def true_asymmetry(self) -> float:
        """mean_T μ_s − mean_U μ_s before suite effects: δ_T (the primary's target)."""
        return self.delta_t

    def with_(self, **changes: object) -> HeteroScenario:
        return replace(self, **changes)


def _standard_theta(shape: str, sd: float, z: np.ndarray, u: np.ndarray) -> np.ndarray:
    """θ − offset for standard normal draws z (and uniforms u for the bimodal mixture's component)."""
    if shape == "normal":
        return sd * z
    if shape == "bimodal":  # two modes at ±sd·1.3 with SD sd·0.45: a U-shaped distribution of pass rates
        return np.where(u < 0.5, -1.3 * sd, 1.3 * sd) + 0.45 * sd * z
    raise ValueError(f"unknown theta shape {shape!r}")


@lru_cache(maxsize=4096)
def _offset(baseline: float, shape: str, sd: float) -> float:
    """Suite offset giving the old release an expected accuracy of `baseline`."""
    if shape == "normal":
        def acc(t: float) -> float:
            return float(np.sum(_GH_W * special.expit(t + sd * _GH_X)))
    else:
        def acc(t: float) -> float:
            a = special.expit(t - 1.3 * sd + 0.45 * sd * _GH_X)
            b = special.expit(t + 1.3 * sd + 0.45 * sd * _GH_X)
            return float(np.sum(_GH_W * (a + b)) / 2)
    return float(optimize.brentq(lambda t: acc(t) - baseline, -40, 40, xtol=1e-12))


@dataclass(frozen=True)
class Replication:
    """Per item: success counts of k samples per release, suite code, cluster label (or None)."""

    x1: np.ndarray
    x0: np.ndarray
    k: int
    suite: np.ndarray
    cluster: np.ndarray | None
    mu_s: np.ndarray  # realised per-suite mean gains


def simulate_one(sc: HeteroScenario, rng: np.random.Generator) -> Replication:
    """One replication of a scenario."""
    sizes = sc.suite_sizes
    suite = np.repeat(np.arange(sc.n_suites), sizes)
    n = int(sizes.sum())
    offsets = np.array([_offset(float(b), sc.theta_shape, sc.theta_sd) for b in sc.baselines])
    mu_s = sc.mu + sc.delta_t * sc.targeted + (rng.normal(0, sc.tau, sc.n_suites) if sc.tau > 0 else 0.0)
    z = rng.standard_normal(n)
    theta = offsets[suite] + _standard_theta(sc.theta_shape, sc.theta_sd, z, rng.random(n))
    gain_noise = rng.standard_normal(n)
    if sc.rho:
        gain_noise = sc.rho * z + math.sqrt(1 - sc.rho**2) * gain_noise
    delta = mu_s[suite] + sc.sigma * gain_noise
    cluster = None
    if sc.cluster_size > 0:
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        within = np.arange(n) - starts[suite]
        per_suite = -(-sizes // sc.cluster_size)
        base = np.concatenate([[0], np.cumsum(per_suite)[:-1]])
        cluster = base[suite] + within // sc.cluster_size
        n_cl = int(per_suite.sum())
        if sc.cluster_sd > 0:
            theta = theta + rng.normal(0, sc.cluster_sd, n_cl)[cluster]
        if sc.cluster_gain_sd > 0:
            delta = delta + rng.normal(0, sc.cluster_gain_sd, n_cl)[cluster]
    k = sc.samples
    x0 = rng.binomial(k, special.expit(theta))
    x1 = rng.binomial(k, special.expit(theta + delta))
    return Replication(x1.astype(float), x0.astype(float), k, suite, cluster, np.asarray(mu_s, float))
