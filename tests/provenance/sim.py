"""Null pseudo-transitions for calibrating the fingerprint statistics (STATISTICS §3.2 N8, §4.5).

Two data-generating processes, both under the null "the suspect's transition is one more draw from the
industry's transitions":

* `affinity_null`: per-prompt affinity shifts D_mp = δ + η_m + γ_m·1[targeted] + u_p + ε_mp for the suspect
  and C controls, where δ is a **common drift of every release toward the teacher's style**, η_m and γ_m are
  lab-to-lab heterogeneity of the shift and of its domain difference (normal, t₃ or skewed), u_p is a
  prompt effect shared by all transitions, and ε is per-prompt noise (σ_D ≈ 1.5 log-odds, measured on
  EvalPerf). Specificity is null too: the shift toward another candidate has the same mean. The production
  functions of `harness.provenance.stats` are applied to each replication.
* `text_null` (benchmark only, slower): synthetic texts from per-model word distributions, where every
  release mixes in a share of the teacher's distribution (the common drift), scored by the real attribution
  model; the suspect is exchangeable with the controls.

The valid procedures (calibrated shift, calibrated DiD, specificity, the claim) must hold their size; the
documented-invalid ones (the raw within-family shift under a common drift, the uncalibrated DiD under lab
heterogeneity of domain effects) must visibly fail, so nobody "fixes" the calibration away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.provenance.stats import calibrate, claim, mean_shift, specificity, welch_did


@dataclass(frozen=True)
class Scenario:
    n_targeted: int = 150
    n_untargeted: int = 150
    controls: int = 8
    drift: float = 0.6          # common drift of every transition toward the teacher (log-odds)
    tau_shift: float = 0.3      # lab-to-lab SD of the shift
    tau_did: float = 0.2        # lab-to-lab SD of the targeted-minus-untargeted shift
    sigma: float = 1.5          # per-prompt noise SD of D
    prompt_sd: float = 0.5      # prompt effect shared by every transition
    heterogeneity: str = "normal"  # normal | t3 | skewed
    effect: float = 0.0         # the suspect's true excess (0 = null)


def _lab_draws(rng: np.random.Generator, size: int, kind: str) -> np.ndarray:
    if kind == "t3":
        return rng.standard_t(3, size) / math.sqrt(3.0)  # unit variance
    if kind == "skewed":
        return rng.exponential(1.0, size) - 1.0
    return rng.standard_normal(size)


def affinity_null(scenario: Scenario, reps: int, seed: int = 0) -> pd.DataFrame:
    """One row per replication: the p-values of every procedure (valid and documented-invalid)."""
    rng = np.random.default_rng(seed)
    s = scenario
    n = s.n_targeted + s.n_untargeted
    targeted = np.arange(n) < s.n_targeted
    out = []
    for _ in range(reps):
        m = s.controls + 1
        eta = s.tau_shift * _lab_draws(rng, m, s.heterogeneity)
        gamma = s.tau_did * _lab_draws(rng, m, s.heterogeneity)
        u = s.prompt_sd * rng.standard_normal(n)
        d = (s.drift + eta[:, None] + gamma[:, None] * targeted[None, :] + u[None, :]
             + s.sigma * rng.standard_normal((m, n)))
        d[0] += s.effect
        shifts = [mean_shift(row) for row in d]
        dids = [welch_did(row[targeted], row[~targeted]) for row in d]
        cal = calibrate(shifts[0]["estimate"], shifts[0]["se"], [x["estimate"] for x in shifts[1:]],
                        [x["se"] for x in shifts[1:]])
        cal_did = calibrate(dids[0]["estimate"], dids[0]["se"], [x["estimate"] for x in dids[1:]],
                            [x["se"] for x in dids[1:]])
        # specificity null: the shift toward another candidate has the same mean as toward the teacher
        d_other = d[0] - 0.0 + s.sigma * 0.5 * rng.standard_normal(n) - s.sigma * 0.5 * rng.standard_normal(n)
        spec = specificity(d[0], {"other": d_other})
        decision = claim(cal, spec, None, cal_did)
        out.append({"calibrated_t": cal["p_value"], "placebo_rank": cal["rank_p"], "calibrated_did": cal_did["p_value"],
                    "specificity": spec[0]["p_value"], "claim": decision.fingerprint_p if decision.fingerprint else 1.0,
                    "raw_shift": shifts[0]["p_value"], "raw_did": dids[0]["p_value"]})
    return pd.DataFrame(out)


def sizes(pvalues: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Rejection rate of each procedure at alpha (one-sided procedures as reported; raw_shift two-sided)."""
    return {col: float((pvalues[col] < alpha).mean()) for col in pvalues.columns}


def text_null(reps: int, *, controls: int = 8, drift: float = 0.3, drift_sd: float = 0.08, prompts: int = 80,
              seed: int = 0, progress=None) -> pd.DataFrame:
    """Text-level null through the real attribution model: every after-release borrows the teacher's habits
    in a share drift + N(0, drift_sd²) of its sentences; which transition is "the suspect" is drawn at
    random each replication, so it is exchangeable with the controls. The model is fitted once on the
    training models (frozen, as in the design) and every replication's releases are new texts."""
    import random as _random

    from harness.provenance.compare import provenance_document
    from harness.provenance.model import fit_model
    from harness.provenance.texts import validate_texts
    from tests.provenance.synth import Style, synthetic_table

    teacher = Style(0, comment_rate=0.8)
    trainers = {"teacher": teacher, "cand-a": Style(1, 0.4), "cand-b": Style(2, 0.1), "ref-a": Style(3, 0.3),
                "ref-b": Style(4, 0.05)}
    train = validate_texts(synthetic_table(trainers, prompts=prompts, samples=2, seed=seed), source="train")
    model = fit_model(train, "teacher", ["cand-a", "cand-b"], ["ref-a", "ref-b"])
    rng = _random.Random(seed)
    out = []
    for r in range(reps):
        pairs = {}
        order = list(range(controls + 1))
        rng.shuffle(order)
        for k, fam in enumerate(order):
            lam = min(max(drift + rng.gauss(0.0, drift_sd), 0.0), 1.0)
            name = "s" if k == 0 else f"c{k}"
            pairs[f"{name}-old"] = Style(5 + fam, 0.2)
            pairs[f"{name}-new"] = Style(5 + fam, 0.2, toward=teacher, lam=lam, targeted_only=rng.random() < 0.5)
        texts = synthetic_table({**trainers, **pairs}, prompts=prompts, samples=1, seed=seed * 100_003 + r + 1)
        table = validate_texts(texts, source="rep")
        doc = provenance_document(table, model, before="s-old", after="s-new",
                                  controls=[(f"c{k}-old", f"c{k}-new") for k in range(1, controls + 1)],
                                  secondary_rows=False)
        out.append({"calibrated_t": doc["calibration"]["shift"]["p_value"],
                    "placebo_rank": doc["calibration"]["shift"]["rank_p"],
                    "calibrated_did": doc["calibration"]["domain_did"].get("p_value"),
                    "raw_shift": doc["shift"]["p_value"], "raw_did": doc["domain_did"]["p_value"]})
        if progress is not None:
            progress(r + 1)
    return pd.DataFrame(out)
