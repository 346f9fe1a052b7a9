"""The fingerprint statistics (STATISTICS §4.3), on per-prompt affinities. Plain functions over arrays, so
the calibration simulation calls exactly what `provenance compare` reports.

Why each statistic is what it is:

* **Affinity** a_M(p): the mean over samples of logit f_T(x) - logit(π_T), i.e. how much more T-like than a
  random training text model M's answers to prompt p look. Averaging within a prompt first makes the prompt
  the unit: prompts are what is sampled, samples of one prompt are not independent.
* **Within-family shift** Δ = mean_p [a_S1(p) - a_S0(p)], paired by prompt, SE by the prompt-level CLT
  (cluster-robust by template when prompts are templated). Its p-value tests "S0 and S1 score the same on
  average", a null that *any* change of style rejects (a new post-training recipe, RL, a longer default
  answer): it is descriptive, never the claim. The sign-flip permutation p is reported beside it.
* **Domain DiD** F = Δ_targeted - Δ_untargeted with a Welch SE over prompts (prompts are fixed by domain:
  fixed-prompt inference). Targeted distillation predicts F > 0 (one-sided).
* **Specificity**: E_j = mean_p [D_p(T) - D_p(T_j)] for each other candidate T_j, a one-sided paired t on
  prompts, Holm across the J - 1 candidates (Nikolić et al.'s "unique best parent", applied to shifts).
* **Calibration against controls** (the main inferential step): other developers' release transitions of
  the same period, scored by the same frozen f, are the null distribution. Prediction-interval t =
  (Δ_S - mean Δ_c)/(s_c √(1 + 1/C)), df = C - 1 (Conley-Taber; the controls' spread holds lab-to-lab
  variation as well as sampling error), and the placebo rank p = (1 + #{Δ_c ≥ Δ_S})/(C + 1). This, and only
  this, removes a common drift of every release toward one "assistant style" (the N8 null: the raw shift
  rejects it nearly always). With fewer than 8 controls it is reported and called descriptive.
* **Pre-trend**: the suspect's previous transition S₋₁ → S0 must not already show the movement; the claim
  needs Δ(S0 → S1) to exceed it (paired one-sided t on the same prompts).
* **Claim** (intersection-union at α): "consistent with training on T's outputs" needs the calibrated
  excess *and* specificity against every other candidate (and the pre-trend, when given); "targeted at
  coding/agentic" additionally needs F calibrated against the controls' F. An IUT's p is the largest of its
  parts, and it holds its level without any multiplicity correction.

Measured size at nominal 0.05 (benchmarks/provenance/calibration.py, R = 5,000 null pseudo-transitions with a
common drift of 0.6 log-odds toward the teacher): calibrated shift 0.048 / 0.054 / 0.051 (C = 8 / 12 / 19),
calibrated DiD 0.051, specificity 0.050, the claim 0.003; the raw shift rejects 0.90 of these nulls and the
uncalibrated DiD 0.14 (documented-invalid). Heavy-tailed (t₃) lab heterogeneity: 0.057 / 0.060. Skewed
(exponential) heterogeneity: the prediction-interval t reaches 0.092, so read the placebo rank beside it (exact
under exchangeability, but it needs C ≥ 19 to reach 0.05). Text level, through the real model: 0.040 and 0.033
(R = 300).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from harness.stats import holm, paired_mean
from harness.stats.estimate import finite_or_none
from harness.stats.triple import MIN_CONTROLS_T, triple_difference


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _num(x: Any) -> float | None:
    return finite_or_none(x)


def mean_shift(d: np.ndarray, clusters: np.ndarray | None = None, *, level: float = 0.95) -> dict[str, Any]:
    """The paired shift: mean of per-prompt differences, prompt-level CLT SE, normal interval, two-sided
    p for a zero mean (descriptive; see the module docstring)."""
    d = np.asarray(d, float)
    if d.size < 2:
        return {"estimate": _num(d.mean()) if d.size else None, "se": None, "ci": [None, None], "p_value": None,
                "n_prompts": int(d.size), "note": "needs at least 2 prompts"}
    if clusters is not None and len(set(clusters.tolist())) < 2:
        clusters = None
    est = paired_mean(d, clusters, level=level)
    return {"estimate": _num(est.estimate), "se": _num(est.se), "ci": [_num(est.ci[0]), _num(est.ci[1])],
            "p_value": _num(est.p_value), "n_prompts": int(d.size),
            "share_positive": float((d > 0).mean()), "sd": float(d.std(ddof=1)), "method": est.method}


def sign_flip_p(d: np.ndarray, *, n_perm: int = 20_000, seed: int = 0) -> float:
    """One-sided sign-flip permutation p for E[D] > 0 (exact up to 16 prompts, else Monte Carlo with the
    observed arrangement counted). Valid, but its null (S0 and S1 exchangeable) is too weak to cite."""
    d = np.asarray(d, float)
    n = d.size
    if n == 0:
        return math.nan
    obs = d.sum()
    if n <= 16:
        signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        return float(np.mean(signs @ d >= obs - 1e-12))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, n_perm, 2000):
        m = min(2000, n_perm - start)
        signs = rng.choice((-1.0, 1.0), size=(m, n))
        hits += int(np.sum(signs @ d >= obs - 1e-12))
    return float((hits + 1) / (n_perm + 1))


def welch_did(targeted: np.ndarray, untargeted: np.ndarray, *, level: float = 0.95) -> dict[str, Any]:
    """F = mean(targeted D) - mean(untargeted D), Welch SE and df; p is one-sided for F > 0."""
    t, u = np.asarray(targeted, float), np.asarray(untargeted, float)
    if t.size < 2 or u.size < 2:
        return {"estimate": None, "se": None, "ci": [None, None], "p_value": None, "df": None,
                "n_targeted": int(t.size), "n_untargeted": int(u.size),
                "note": "needs at least 2 targeted and 2 untargeted prompts"}
    vt, vu = t.var(ddof=1) / t.size, u.var(ddof=1) / u.size
    est, se = float(t.mean() - u.mean()), math.sqrt(vt + vu)
    df = (vt + vu) ** 2 / (vt**2 / (t.size - 1) + vu**2 / (u.size - 1)) if se > 0 else math.inf
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    p = float(stats.t.sf(est / se, df)) if se > 0 else (0.5 if est == 0 else float(est < 0))
    return {"estimate": est, "se": se, "ci": [est - half, est + half], "p_value": p, "df": _num(df),
            "n_targeted": int(t.size), "n_untargeted": int(u.size),
            "method": "difference of domain means, Welch SE; one-sided p for F > 0"}


def paired_one_sided(e: np.ndarray, *, level: float = 0.95) -> dict[str, Any]:
    """Mean of paired differences with a t interval and a one-sided p for mean > 0 (df = n - 1)."""
    e = np.asarray(e, float)
    if e.size < 2:
        return {"estimate": _num(e.mean()) if e.size else None, "se": None, "ci": [None, None], "p_value": None}
    est, se = float(e.mean()), float(e.std(ddof=1) / math.sqrt(e.size))
    df = e.size - 1
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    p = float(stats.t.sf(est / se, df)) if se > 0 else (0.5 if est == 0 else float(est < 0))
    return {"estimate": est, "se": se, "ci": [est - half, est + half], "p_value": p, "df": df}


def specificity(d_teacher: np.ndarray, d_others: Mapping[str, np.ndarray], *, level: float = 0.95) -> list[dict[str, Any]]:
    """One row per other candidate T_j: E_j = mean_p [D_p(T) - D_p(T_j)], one-sided paired t, Holm."""
    rows = []
    for name, d_j in d_others.items():
        row = {"candidate": name} | paired_one_sided(np.asarray(d_teacher) - np.asarray(d_j), level=level)
        row["shift_toward_candidate"] = _num(np.mean(d_j)) if len(d_j) else None
        rows.append(row)
    if rows:
        adj = holm(np.array([r["p_value"] if r["p_value"] is not None else np.nan for r in rows], float))
        for row, p in zip(rows, adj, strict=True):
            row["p_holm"] = _num(p)
            row["method"] = "paired one-sided t over prompts, Holm across candidates"
    return rows


def calibrate(suspect: float, suspect_se: float | None, controls: Sequence[float],
              control_ses: Sequence[float] | None = None, *, level: float = 0.95) -> dict[str, Any]:
    """The suspect's statistic against the control transitions': prediction-interval t (one-sided), placebo
    rank p, and the excess with its interval. `testable` is false below 8 controls (then descriptive)."""
    c = np.asarray([x for x in controls if x is not None and math.isfinite(x)], float)
    out: dict[str, Any] = {"n_controls": int(c.size), "suspect": _num(suspect), "testable": c.size >= MIN_CONTROLS_T}
    if c.size == 0 or suspect is None or not math.isfinite(suspect):
        return out | {"t": None, "df": None, "p_value": None, "rank_p": None, "excess": None,
                      "note": "no control transitions: the shift cannot be told apart from the industry's drift"}
    v_c = np.asarray(control_ses, float) ** 2 if control_ses is not None and len(control_ses) == c.size else None
    td = triple_difference(suspect, c, v0=None if suspect_se is None else suspect_se**2, v_controls=v_c, level=level)
    note = td.note
    if c.size < MIN_CONTROLS_T:
        note = (f"only {c.size} control transitions: reported, but descriptive (the pre-set rule needs "
                f"{MIN_CONTROLS_T} for the t-test; the rank p cannot go below {1 / (c.size + 1):.2g})")
    return out | {"t": _num(td.t_stat), "df": td.df if c.size >= 2 else None, "p_value": _num(td.t_p_value),
                  "rank_p": _num(td.rank_p_value), "control_mean": _num(td.control_mean),
                  "control_sd": _num(td.control_sd), "excess": _num(td.excess.estimate),
                  "excess_ci": [_num(td.excess.ci[0]), _num(td.excess.ci[1])],
                  "method": "prediction-interval t (df = C - 1) and placebo rank, one-sided", "note": note}


@dataclass(frozen=True)
class Claim:
    """The intersection-union decisions and their p-values (the largest of their parts)."""

    fingerprint: bool
    fingerprint_p: float | None
    targeted: bool
    targeted_p: float | None
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"consistent_with_training_on_teacher": self.fingerprint, "p_value": _num(self.fingerprint_p),
                "targeted": self.targeted, "targeted_p_value": _num(self.targeted_p), "reasons": self.reasons,
                "method": "intersection-union: every part must reject at alpha; p = the largest part"}


def chance_reason(classifier: Mapping[str, Any]) -> str:
    """'the attribution model's held-out accuracy (22%, 95% CI 15% to 31%) does not exceed chance (20%): …'."""
    acc, (lo, hi) = classifier.get("heldout_accuracy"), classifier.get("heldout_ci") or (None, None)

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.0f}%"

    return (f"the attribution model's held-out accuracy ({pct(acc)}, 95% CI {pct(lo)} to {pct(hi)}) does not "
            f"exceed chance ({pct(classifier.get('chance'))}): the style measure cannot tell the sources apart, "
            "so no convergence claim is made")


def claim(calibration: Mapping[str, Any], spec: Sequence[Mapping[str, Any]], pretrend: Mapping[str, Any] | None,
          did_calibration: Mapping[str, Any] | None, *, alpha: float = 0.05,
          classifier: Mapping[str, Any] | None = None) -> Claim:
    """Intersection-union logic of §4.3: every required part must reject at alpha. An attribution model
    whose held-out accuracy is not shown to beat chance cannot tell the sources apart, so it blocks the claim
    whatever the tests say."""
    reasons: list[str] = []
    parts: list[float] = []
    ok = True
    if classifier and classifier.get("at_chance"):
        ok = False
        reasons.append(chance_reason(classifier))
    if not calibration.get("testable") or calibration.get("p_value") is None:
        ok = False
        reasons.append(f"excess over controls not testable ({calibration.get('n_controls', 0)} control "
                       f"transitions; {MIN_CONTROLS_T} needed)")
    else:
        parts.append(calibration["p_value"])
        if calibration["p_value"] >= alpha:
            ok = False
            reasons.append(f"shift not larger than the control transitions' (p = {calibration['p_value']:.3g})")
    if not spec:
        ok = False
        reasons.append("specificity not testable: no other candidate teacher was given (--candidate)")
    for row in spec:
        p = row.get("p_holm")
        if p is None:
            ok = False
            reasons.append(f"specificity against {row['candidate']} not computable")
            continue
        parts.append(p)
        if p >= alpha:
            ok = False
            reasons.append(f"shift toward the teacher not larger than toward {row['candidate']} (Holm p = {p:.3g})")
    if pretrend and pretrend.get("exceeds") and pretrend["exceeds"].get("p_value") is not None:
        p = pretrend["exceeds"]["p_value"]
        parts.append(p)
        if p >= alpha:
            ok = False
            reasons.append(f"shift not larger than the previous transition's (p = {p:.3g})")
    fp = max(parts) if parts and ok else (max(parts) if parts else None)
    targeted, tp = False, None
    if ok:
        dc = did_calibration or {}
        if not dc.get("testable") or dc.get("p_value") is None:
            reasons.append("targeting not testable: the domain difference needs 8 control transitions")
        else:
            tp = max([*parts, dc["p_value"]])
            targeted = dc["p_value"] < alpha
            if not targeted:
                reasons.append(f"domain difference not larger than the controls' (p = {dc['p_value']:.3g})")
    return Claim(ok, fp, targeted, tp, reasons)
