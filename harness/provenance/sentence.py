"""The citable sentence of the fingerprint layer, with its caveat. One writer, used by the JSON, the
terminal and the report, so the three never say different things.

The wording follows the project's rule: the strongest statement is "consistent with training on T's
outputs", said only when the intersection-union claim holds; it is never "proves". Every number carries
its interval, scale and method in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.provenance.stats import chance_reason

CAVEAT = ("This is statistical evidence about writing style, not proof of how a model was trained: the same "
          "convergence can come from shared public or synthetic data (including other people's outputs of the "
          "teacher), from deliberate imitation of a popular style, or from changes in decoding, selection or "
          "reinforcement learning. The test's sensitivity to a given amount of teacher data has not been "
          "validated.")


def caveat() -> str:
    return CAVEAT


def _n(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}" if digits else f"{x:.0f}"


def _p(p: float | None) -> str:
    """ "= 0.012", "< 0.001" or "= n/a": written after "p "."""
    if p is None:
        return "= n/a"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.1 else f"= {p:.2f}"


def summary_sentence(doc: Mapping[str, Any]) -> str:
    """The paragraph a reader may cite (STATISTICS §4.6 wording), built only from the document's numbers."""
    t, s0, s1 = doc["teacher"], doc["before"], doc["after"]
    sh = doc["shift"]
    lo, hi = sh["ci"]
    level = round(100 * (1 - doc.get("alpha", 0.05)))
    est = sh["estimate"] or 0
    # within the printed rounding a shift is no change: "+0.00" is never called "less"
    direction = f"about as {t}-like as before" if round(est, 2) == 0 else f"more {t}-like" if est > 0 \
        else f"less {t}-like"
    parts = [f"Compared with its predecessor {s0}, {s1}'s outputs were scored as {direction} (mean shift "
             f"{_n(sh['estimate'])} log-odds of {t} authorship, {level}% CI {_n(lo)} to {_n(hi)}, over "
             f"{sh['n_prompts']} test prompts; attribution model held-out accuracy "
             f"{_pct(doc['classifier'].get('heldout_accuracy'))} across {doc['classifier']['n_classes']} training models)."]
    at_chance = chance_reason(doc["classifier"]) if doc["classifier"].get("at_chance") else ""
    if at_chance:
        parts.append(f"Warning: {at_chance[0].upper()}{at_chance[1:]}.")
    cal = doc["calibration"]["shift"]
    c = cal.get("n_controls", 0)
    if c == 0:
        parts.append("No control transitions by other developers were scored, so this shift cannot be told apart "
                     "from a drift shared by the whole industry.")
    else:
        beat = sum(1 for r in doc["controls"] if "shift" in r and sh["estimate"] is not None
                   and r["shift"]["estimate"] is not None and sh["estimate"] > r["shift"]["estimate"])
        rel = f"It was larger than {beat} of {c} comparable release transitions by other developers " \
              f"(prediction-interval p {_p(cal.get('p_value'))}, placebo rank p {_p(cal.get('rank_p'))})"
        parts.append(rel + ("." if cal.get("testable") else
                            "; with fewer than 8 controls this comparison is descriptive."))
    spec = doc.get("specificity") or []
    if spec:
        worst = max((r.get("p_holm") or 1.0) for r in spec)
        if all((r.get("p_holm") or 1.0) < doc.get("alpha", 0.05) for r in spec):
            others = "the other candidate source model" if len(spec) == 1 else \
                f"each of {len(spec)} other candidate source models"
            parts.append(f"It was larger toward {t} than toward {others} (largest Holm-adjusted p {_p(worst)}).")
        else:
            weak = [r["candidate"] for r in spec if (r.get("p_holm") or 1.0) >= doc.get("alpha", 0.05)]
            parts.append(f"It was not shown to be larger toward {t} than toward {', '.join(weak)}.")
    did = doc.get("domain_did") or {}
    if did.get("estimate") is not None:
        where = "concentrated in" if doc["claim"].get("targeted") else "not shown to be concentrated in"
        present = [d for d, r in (doc.get("by_domain") or {}).items() if r.get("targeted")]
        parts.append(f"It was {where} {' and '.join(present or did.get('targeted_domains', []))} prompts (targeted minus "
                     f"untargeted shift {_n(did['estimate'])}, {level}% CI {_n(did['ci'][0])} to {_n(did['ci'][1])}).")
    if doc["claim"].get("consistent_with_training_on_teacher"):
        parts.append(f"This is statistical evidence of stylistic convergence toward {t} and is consistent with "
                     f"training on {t}'s outputs.")
    else:
        reasons = [r for r in doc["claim"].get("reasons", []) if r != at_chance] or ["see the warning above"]
        parts.append(f"This does not meet the pre-set criteria for a fingerprint of training on {t}'s outputs "
                     f"({'; '.join(reasons[:2])}).")
    return " ".join(parts) + " " + CAVEAT


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"
