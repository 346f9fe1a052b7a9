"""Power and minimum detectable effects for an asymmetry design (STATISTICS.md §1.10).

`detectable(Design(n_items=300))` answers "what could this design detect?" on every layer:

* L1 latent asymmetry A^L (logits): per suite Var(δ̂_s) = 1/(n·π_d·σ(δ)(1−σ(δ))) at k = 1 (the k = 1 form of
  the Robins–Breslow–Greenland variance, evaluated at a common gain δ = `shift`), averaged over groups as in
  §1.4. This reproduces the §1.10 latent table exactly.
* L1 pp asymmetry A^P: per suite Var(Δ̂^P_s) = π_d/n (k = 1), which reproduces the §1.10 pp table.
* More samples per item (k > 1): the variance is multiplied by the ratio of the items-as-draws variance at k
  to that at k = 1, computed under a Rasch reference (§3.1 items with difficulty b ~ N(0, s²) at a 50%
  starting level, s chosen so the k = 1 discordance equals π_d, plus item-by-release noise σ_e). With
  σ_e = 0 the ratio is almost exactly 1/k; item-specific change (σ_e > 0) is not averaged away by resampling,
  so the ratio stays above 1/k.
* L2 (HKSJ meta-regression, §1.6): t with S − 2 df and variance (τ² + v_s)(1/S_T + 1/S_U).
* L3 (triple difference, §1.7): the prediction-interval t-test, one-sided at α/2, df = C − 1, noncentrality
  E / (sqrt(τ_f² + v)·sqrt(1 + 1/C)); this reproduces the §3.3 analytic table.
* Flatness (§1.8): TOST on the pooled untargeted gain at a true gain of 0.
* Discordance from starting accuracies: `discordance_at(accuracy, shift)` under the same Rasch reference
  (b ~ N(·, 1.5²)), and `pooled_discordance` to fold per-suite values into the one π_d that gives A^L the
  same variance (a harmonic mean: near-ceiling suites with few discordant items cost what they cost).

The analytic powers are checked against simulation in benchmarks/calibration (power cells P1-P3, F and the
§3.3 curves): within a few points for Rasch items; 2PL items with item noise drift slightly upward.

Every MDE is two-sided α (one-sided α/2 for the L3 and decision-rule reading) at the requested power.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from harness.errors import UserError

__all__ = [
    "Design",
    "detectable",
    "latent_se",
    "pp_se",
    "latent_power",
    "ddd_power",
    "ddd_mde",
    "l2_power",
    "l2_mde",
    "flatness_power",
    "flatness_n",
    "mcnemar_n",
    "miller_n",
    "resampling_ratio",
    "discordance_at",
    "pooled_discordance",
    "pp_at",
    "asymmetry_pp",
    "advice",
]

REFERENCE_START = 0.5  # the starting accuracy at which latent effects are translated into pp (§1.3)


@dataclass(frozen=True)
class Design:
    """A planned (or actual) comparison design.

    n_items: items per suite; samples: k samples per item and release; n_targeted / n_untargeted: suites per
    group; discordance: π_d, the share of items whose outcome differs between releases (one sample each);
    controls: C control release transitions (L3); tau_f: lab-to-lab SD of the asymmetry (logits);
    alpha, power: the test level (two-sided) and the wanted power.
    Added fields: shift, the common latent gain at which variances are evaluated (§1.10 uses 0.5);
    tau_suite, the suite-to-suite SD for L2; item_noise, the item-by-release noise σ_e that resampling
    cannot average away; margin_pp, the flatness margin (§1.8).
    """

    n_items: int
    samples: int = 1
    n_targeted: int = 2
    n_untargeted: int = 2
    discordance: float = 0.25
    controls: int = 0
    tau_f: float = 0.3
    alpha: float = 0.05
    power: float = 0.8
    shift: float = 0.5
    tau_suite: float = 0.3
    item_noise: float = 0.3
    margin_pp: float = 3.0

    def __post_init__(self) -> None:
        checks = [
            (self.n_items >= 10, "n_items", "at least 10 items per suite"),
            (self.samples >= 1, "samples", "at least 1 sample per item"),
            (self.n_targeted >= 1, "n_targeted", "at least 1 targeted suite"),
            (self.n_untargeted >= 1, "n_untargeted", "at least 1 untargeted suite"),
            (0.0 < self.discordance < 0.5, "discordance",
             "a share of discordant items strictly between 0 and 0.5 (typical: 0.15-0.35)"),
            (self.controls >= 0, "controls", "0 or more control transitions"),
            (self.tau_f >= 0, "tau_f", "a non-negative SD in logits"),
            (0.0 < self.alpha < 0.5, "alpha", "a level between 0 and 0.5"),
            (0.5 <= self.power < 1.0, "power", "a power between 0.5 and 1"),
            (0.0 <= self.shift <= 3.0, "shift", "a common latent gain between 0 and 3 logits"),
            (self.tau_suite >= 0, "tau_suite", "a non-negative SD in logits"),
            (0.0 <= self.item_noise <= 2.0, "item_noise", "an SD between 0 and 2 logits"),
            (self.margin_pp > 0, "margin_pp", "a positive margin in percentage points"),
        ]
        for ok, field, need in checks:
            if not ok:
                raise UserError(f"power design: {field}={getattr(self, field)!r} is invalid; give {need}")

    @property
    def n_suites(self) -> int:
        return self.n_targeted + self.n_untargeted

    @property
    def group_factor(self) -> float:
        """Var(A) = v_s · (1/S_T + 1/S_U) for equal per-suite variances v_s (§1.4)."""
        return 1.0 / self.n_targeted + 1.0 / self.n_untargeted


def _z(q: float) -> float:
    return float(stats.norm.ppf(q))


def pp_at(effect: float, start: float = REFERENCE_START) -> float:
    """The percentage-point gain that a latent gain `effect` means at accuracy `start` (§1.3)."""
    return 100.0 * (float(special.expit(special.logit(start) + effect)) - start)


def asymmetry_pp(effect: float, shift: float = 0.5, start: float = REFERENCE_START) -> float:
    """The pp-equivalent of a latent asymmetry `effect`, by the convention compare uses for A^L
    (`pp_at_50`): targeted suites gain shift + effect/2 and untargeted ones shift - effect/2 logits from a
    `start` accuracy, and the asymmetry in pp is the difference of the two pp gains, σ(δ_T) − σ(δ_U) at a
    50% start (§1.13; KA8: 28.6 − 10.4 = 18.2 pp)."""
    return pp_at(shift + effect / 2, start) - pp_at(shift - effect / 2, start)


# --- resampling (k > 1): Rasch reference items, matched to the design's discordance -------------------

_NODES_B = np.polynomial.hermite_e.hermegauss(64)
_NODES_E = np.polynomial.hermite_e.hermegauss(12)


def _reference_items(spread: float, shift: float, noise: float, offset: float = 0.0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadrature over b ~ N(-offset, spread²) and independent release noise e0, e1 ~ N(0, noise²)."""
    xb, wb = _NODES_B
    xe, we = _NODES_E if noise > 0 else (np.zeros(1), np.ones(1))
    b = (spread * xb - offset)[:, None, None]
    e0 = (noise * xe)[None, :, None]
    e1 = (noise * xe)[None, None, :]
    shape = (len(xb), len(xe), len(xe))
    p0 = np.broadcast_to(special.expit(-b + e0), shape).ravel()
    p1 = np.broadcast_to(special.expit(shift - b + e1), shape).ravel()
    weights = (wb[:, None, None] * we[None, :, None] * we[None, None, :]).ravel()
    return p0, p1, weights / weights.sum()


def _discordance(spread: float, shift: float, noise: float) -> float:
    p0, p1, w = _reference_items(spread, shift, noise)
    return float(np.sum(w * (p0 * (1 - p1) + p1 * (1 - p0))))


def discordance_at(accuracy: float, shift: float = 0.5, item_sd: float = 1.5, item_noise: float = 0.3) -> float:
    """The one-sample discordance π_d of a suite whose old release scores `accuracy`, when the new release
    gains `shift` logits: Rasch items with difficulty SD `item_sd` (the §3.1 default) and item noise."""
    if not 0.0 < accuracy < 1.0:
        raise UserError(f"power design: starting accuracy {accuracy!r} must be strictly between 0 and 1")

    def mean_old(offset: float) -> float:
        p0, _, w = _reference_items(item_sd, shift, item_noise, offset)
        return float(np.sum(w * p0))

    offset = optimize.brentq(lambda t: mean_old(t) - accuracy, -40.0, 40.0, xtol=1e-10)
    p0, p1, w = _reference_items(item_sd, shift, item_noise, offset)
    return float(np.sum(w * (p0 * (1 - p1) + p1 * (1 - p0))))


def pooled_discordance(per_suite: np.ndarray | list[float], targeted: np.ndarray | list[bool]) -> float:
    """The single π_d that gives the latent asymmetry the same variance as suites with discordances
    `per_suite`: Var(A) ∝ Σ_T 1/(π_s S_T²) + Σ_U 1/(π_s S_U²) = (1/π)(1/S_T + 1/S_U). A harmonic mean, so a
    near-ceiling suite with few discordant items weighs as much as it costs."""
    pi = np.asarray(per_suite, float)
    t = np.asarray(targeted, bool)
    st, su = int(t.sum()), int((~t).sum())
    if st == 0 or su == 0 or np.any(pi <= 0):
        raise UserError("power design: pooled discordance needs positive discordances in both groups")
    inverse = np.sum(1 / pi[t]) / st**2 + np.sum(1 / pi[~t]) / su**2
    return float((1 / st + 1 / su) / inverse)


def _item_variances(p0: np.ndarray, p1: np.ndarray, w: np.ndarray, k: int) -> tuple[float, float]:
    """Items-as-draws variance (per item, n = 1) of the MH log odds ratio and of the paired pp difference.

    Closed-form binomial moments (x1 ~ Bin(k, p1) and x0 ~ Bin(k, p0) independent given the item), so the
    cost does not grow with k: enumerating the (k + 1)² outcome grid per quadrature node needed
    9,216·(k + 1)² doubles (68 GiB at k = 1,000)."""
    q0, q1 = 1 - p0, 1 - p1

    def m2(p: np.ndarray, q: np.ndarray) -> np.ndarray:  # E[x²] for x ~ Bin(k, p)
        return k * p * q + (k * p) ** 2

    def mean(a: np.ndarray) -> float:
        return float(np.dot(w, a))

    # r = x1 (k - x0) / 2k and s = (k - x1) x0 / 2k; k - x ~ Bin(k, q); E[x (k - x)] = k (k - 1) p q
    er = mean(k * p1 * k * q0) / (2 * k)
    es = mean(k * q1 * k * p0) / (2 * k)
    err = mean(m2(p1, q1) * m2(q0, p0)) / (4 * k * k)
    ess = mean(m2(q1, p1) * m2(p0, q0)) / (4 * k * k)
    ers = mean(k * (k - 1) * p1 * q1 * k * (k - 1) * p0 * q0) / (4 * k * k)
    latent = (err - er**2) / er**2 + (ess - es**2) / es**2 - 2 * (ers - er * es) / (er * es)
    # d = (x1 - x0) / k
    ed = mean(p1 - p0)
    edd = mean(m2(p1, q1) - 2 * (k * p1) * (k * p0) + m2(p0, q0)) / k**2
    return latent, edd - ed**2


@lru_cache(maxsize=256)
def resampling_ratio(samples: int, discordance: float, shift: float = 0.5,
                     item_noise: float = 0.3) -> tuple[float, float]:
    """(latent, pp) variance multipliers for k samples per item relative to k = 1 (1.0 at k = 1).

    Under pure Rasch items (item_noise = 0) both are close to 1/k; item-by-release noise keeps them higher.
    """
    if samples == 1:
        return 1.0, 1.0
    # discordance falls from 0.5 (all items at 50%) towards 0 as the difficulty spread grows
    widest = 200.0
    if discordance <= _discordance(widest, shift, item_noise):
        spread = widest
    else:
        spread = optimize.brentq(lambda s: _discordance(s, shift, item_noise) - discordance, 1e-6, widest)
    p0, p1, w = _reference_items(spread, shift, item_noise)
    latent1, pp1 = _item_variances(p0, p1, w, 1)
    latent_k, pp_k = _item_variances(p0, p1, w, samples)
    return latent_k / latent1, pp_k / pp1


# --- standard errors of the L1 asymmetries -----------------------------------------------------------

def suite_latent_var(design: Design) -> float:
    """Var(δ̂_s) for one suite (logits²), §1.4 at δ = design.shift."""
    p = float(special.expit(design.shift))
    base = 1.0 / (design.n_items * design.discordance * p * (1 - p))
    ratio, _ = resampling_ratio(design.samples, design.discordance, design.shift, design.item_noise)
    return base * ratio


def latent_se(design: Design) -> float:
    """SE of the latent asymmetry A^L (logits) under the design."""
    return math.sqrt(suite_latent_var(design) * design.group_factor)


def pp_se(design: Design) -> float:
    """SE of the pp asymmetry A^P (as a fraction) under the design, at a true asymmetry of 0."""
    _, ratio = resampling_ratio(design.samples, design.discordance, design.shift, design.item_noise)
    return math.sqrt(design.discordance / design.n_items * ratio * design.group_factor)


def _two_sided_power(effect: np.ndarray | float, se: float, alpha: float) -> np.ndarray:
    z = _z(1 - alpha / 2)
    ratio = np.asarray(effect, dtype=float) / se
    return stats.norm.cdf(ratio - z) + stats.norm.cdf(-ratio - z)


def latent_power(design: Design, effect: float) -> float:
    """Power of the L1 latent test (two-sided α) against a latent asymmetry `effect` (logits)."""
    return float(_two_sided_power(effect, latent_se(design), design.alpha))


def _nct_upper(crit: float, df: int, ncp: float) -> float:
    """P(T > crit) for a noncentral t; scipy returns NaN far in the tail, where the answer is 0 or 1."""
    value = float(stats.nct.sf(crit, df, ncp))
    return value if math.isfinite(value) else float(ncp > crit)


def _mde(se: float, alpha: float, power: float) -> float:
    return (_z(1 - alpha / 2) + _z(power)) * se


# --- L3: triple difference against C controls ----------------------------------------------------------

def ddd_power(excess: float, controls: int, sd: float, alpha: float = 0.05) -> float:
    """Power of the prediction-interval t-test (one-sided at α/2, df = C − 1) for an excess `excess`,
    where `sd` = sqrt(τ_f² + v) is the SD of one transition's asymmetry (§1.7)."""
    if controls < 2:
        raise UserError(f"power design: controls={controls}; the triple difference needs at least 2 controls")
    df = controls - 1
    ncp = excess / (sd * math.sqrt(1 + 1 / controls))
    return _nct_upper(float(stats.t.ppf(1 - alpha / 2, df)), df, ncp)


def ddd_mde(controls: int, sd: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """The excess (logits) the L3 t-test detects with the given power."""
    top = sd * math.sqrt(1 + 1 / controls) * (stats.t.ppf(1 - alpha / 2, controls - 1) + 8)
    return float(optimize.brentq(lambda e: ddd_power(e, controls, sd, alpha) - power, 0.0, top))


# --- L2: HKSJ meta-regression over suites -----------------------------------------------------------------

def l2_power(design: Design, effect: float) -> float | None:
    """Approximate power of the HKSJ T-vs-U meta-regression (t, S − 2 df); None when S_T or S_U < 3."""
    if design.n_targeted < 3 or design.n_untargeted < 3:
        return None
    df = design.n_suites - 2
    sd = math.sqrt((design.tau_suite**2 + suite_latent_var(design)) * design.group_factor)
    crit = float(stats.t.ppf(1 - design.alpha / 2, df))
    return _nct_upper(crit, df, effect / sd) + _nct_upper(crit, df, -effect / sd)


def l2_mde(design: Design) -> float | None:
    """The T-vs-U excess (logits) the HKSJ test detects with the design's power; None when not testable."""
    if l2_power(design, 0.0) is None:
        return None
    df = design.n_suites - 2
    sd = math.sqrt((design.tau_suite**2 + suite_latent_var(design)) * design.group_factor)
    top = sd * (stats.t.ppf(1 - design.alpha / 2, df) + 8)
    return float(optimize.brentq(lambda e: l2_power(design, e) - design.power, 0.0, top))


# --- flatness (TOST) and the classic sample-size formulas ---------------------------------------------

def flatness_power(n_items: int, discordance: float, margin: float, alpha: float = 0.05,
                   ratio: float = 1.0) -> float:
    """Power of TOST ("gain within ±margin", 90% CI at α = .05) at a true gain of 0, paired binary, n items."""
    se = math.sqrt(discordance * ratio / n_items)
    return max(0.0, 2 * float(stats.norm.cdf(margin / se - _z(1 - alpha))) - 1)


def flatness_n(discordance: float, margin: float, alpha: float = 0.05, power: float = 0.8,
               ratio: float = 1.0) -> float:
    """Items needed for TOST flatness with the given power at a true gain of 0 (§1.8)."""
    return discordance * ratio * ((_z(1 - alpha) + _z(1 - (1 - power) / 2)) / margin) ** 2


def mcnemar_n(discordance: float, delta: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Connor (1987): items for a two-sided McNemar test to detect a paired difference `delta`."""
    root = _z(1 - alpha / 2) * math.sqrt(discordance) + _z(power) * math.sqrt(discordance - delta**2)
    return root**2 / delta**2


def miller_n(delta: float, variance: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Miller (2024): questions for one paired comparison with total paired variance `variance`."""
    return (_z(1 - alpha / 2) + _z(power)) ** 2 * variance / delta**2


# --- the summary ---------------------------------------------------------------------------------------------

def _curve(se: float, alpha: float, mde: float) -> list[dict[str, float]]:
    top = max(2.0 * mde, 0.5)
    effects = np.round(np.linspace(0.0, top, 11), 3)
    powers = _two_sided_power(effects, se, alpha)
    return [{"effect": float(e), "power": round(float(p), 4)} for e, p in zip(effects, powers, strict=True)]


def detectable(design: Design) -> dict[str, Any]:
    """What `design` can detect: MDEs on every layer, a power curve for the L1 latent test, and advice.

    Keys (team contract): mde_latent (logits), mde_pp (pp at a 50% start, by `asymmetry_pp`: the
    convention of compare's pp_at_50), mde_ddd (logits or None),
    design, curve [{effect (logits), power}]. Added: se_latent, mde_pp_test (the pp-scale test's MDE,
    ceiling-sensitive), se_pp, mde_l2, l2_testable, ddd_sd, rank_floor, permutation_floor, flatness, method,
    advice.
    """
    se_l = latent_se(design)
    mde_l = _mde(se_l, design.alpha, design.power)
    se_p = pp_se(design)
    var_a = se_l**2
    ddd_sd = math.sqrt(design.tau_f**2 + var_a)
    mde_ddd = ddd_mde(design.controls, ddd_sd, design.alpha, design.power) if design.controls >= 2 else None
    _, pp_ratio = resampling_ratio(design.samples, design.discordance, design.shift, design.item_noise)
    n_flat = design.n_items * design.n_untargeted
    margin = design.margin_pp / 100
    l2 = l2_mde(design)
    return {
        "mde_latent": round(mde_l, 4),
        "mde_pp": round(asymmetry_pp(mde_l, design.shift), 2),
        "mde_ddd": None if mde_ddd is None else round(mde_ddd, 4),
        "design": asdict(design),
        "curve": _curve(se_l, design.alpha, mde_l),
        "se_latent": round(se_l, 5),
        "mde_pp_test": round(100 * _mde(se_p, design.alpha, design.power), 2),
        "se_pp": round(100 * se_p, 4),
        "mde_l2": None if l2 is None else round(l2, 4),
        "l2_testable": l2 is not None,
        "ddd_sd": round(ddd_sd, 4),
        "rank_floor": None if design.controls < 1 else round(1 / (design.controls + 1), 4),
        "permutation_floor": round(1 / math.comb(design.n_suites, design.n_targeted), 6),
        "flatness": {
            "margin_pp": design.margin_pp,
            "n_untargeted_items": n_flat,
            "power": round(flatness_power(n_flat, design.discordance, margin, design.alpha, pp_ratio), 4),
            "n_needed": math.ceil(flatness_n(design.discordance, margin, design.alpha, design.power, pp_ratio)),
        },
        "method": (
            "normal approximation to the latent (Mantel-Haenszel/RBG) and pp asymmetry tests, two-sided "
            f"alpha={design.alpha}, power={design.power}; variances at a common latent gain of "
            f"{design.shift} logits (methods §3.8); k>1 via a Rasch reference with item noise "
            f"{design.item_noise}; L3 noncentral t (df=C-1, one-sided alpha/2); L2 HKSJ noncentral t (df=S-2); "
            f"mde_pp = σ(shift + MDE/2) − σ(shift − MDE/2) at a 50% start, as compare's pp_at_50"
        ),
        "advice": advice(design, mde_l),
    }


def advice(design: Design, mde_latent: float | None = None, target: float = 0.5) -> list[str]:
    """Plain-language advice: what to change first to reach a target MDE (default 0.5 logits ≈ 12 pp)."""
    mde_l = mde_latent if mde_latent is not None else _mde(latent_se(design), design.alpha, design.power)
    out: list[str] = []
    if mde_l <= target:
        out.append(f"L1: the design detects a latent asymmetry of {mde_l:.2f} logits "
                   f"(≈{asymmetry_pp(mde_l, design.shift):.0f} pp at a "
                   f"50% start) with {design.power:.0%} power, within the {target} logit target.")
    else:
        more_k = next((k for k in (3, 5, 10) if k > design.samples
                       and _mde(latent_se(replace(design, samples=k)), design.alpha, design.power) <= target), None)
        factor = (mde_l / target) ** 2
        more_n = math.ceil(design.n_items * factor)
        if more_k is not None:
            out.append(f"L1: MDE {mde_l:.2f} logits is above the {target} target. Raise samples per item first "
                       f"(k={more_k} reaches it: each extra sample is cheaper than a new item), then items "
                       f"(k={design.samples} would need about {more_n} items per suite).")
        else:
            out.append(f"L1: MDE {mde_l:.2f} logits is above the {target} target; about {more_n} items per suite "
                       f"at k={design.samples} would reach it (more samples alone do not).")
    if design.n_targeted < 3 or design.n_untargeted < 3:
        out.append(f"L2: with {design.n_targeted}+{design.n_untargeted} suites no inference beyond these "
                   "benchmarks is possible; plan at least 4+4 suites (6+6 if generalisation matters).")
    elif design.n_targeted < 4 or design.n_untargeted < 4:
        out.append("L2: 3+3 suites make generalisation testable but weakly (permutation floor 0.05); plan 4+4.")
    if design.controls == 0:
        out.append("L3: no control transitions, so the industry trend is not controlled; add at least 8 other "
                   "labs' release pairs (19 for a placebo rank p ≤ 0.05).")
    elif design.controls < 8:
        out.append(f"L3: {design.controls} controls give a weak prediction test; 8 or more are recommended, and "
                   f"the rank test cannot reach p ≤ 0.05 below 19 (floor {1 / (design.controls + 1):.2f}).")
    elif design.controls < 19:
        out.append(f"L3: the placebo rank test floor is {1 / (design.controls + 1):.2f}; 19 controls reach 0.05.")
    return out
