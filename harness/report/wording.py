"""The words of a report, built only from the compare document (the wording rules: harness/methods.md §5).

Rules kept here, in one place, so every output (page, summary.md, citation.txt, the demo's console) says
the same thing: "consistent with", never "proves"; "flat" only after a passed equivalence test; changes in
percentage points (pp), never bare "%"; every citable number with its interval, scale and method; the
verdict follows the data whichever way they point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

from harness.report import fmt
from harness.stats.sentence import h3_blocker
from harness.stats.triple import MIN_CONTROLS_T

Doc = Mapping[str, Any]

CAVEAT = ("Disproportionate gains are consistent with targeted distillation, but also with other targeted "
          "investments (coding-focused reinforcement learning, synthetic data, tool-use training) and with "
          "benchmark contamination. This analysis does not identify the source of the improvement.")

SCORE_LEVEL = ("Published scores are score-level, unpaired evidence: each release's reported accuracy per "
               "benchmark, not item-level results, so the releases cannot be paired item by item, intervals "
               "rest on binomial approximations with documented item counts, and the benchmarks were chosen, "
               "run and reported by the vendors.")

ITEM_LEVEL = ("Item-level evidence: both releases answered the same items through the same harness, so each "
              "item pairs with itself and the intervals come from paired statistics.")

#: How the headline names the scale, by mode (§1.3): conditional log odds from paired items are
#: ceiling-free under a Rasch model; marginal logits of published accuracies are not.
SCALE_CLAUSE = {
    False: "log-odds (latent) scale, which under a one-parameter item model is not distorted by benchmarks that "
           "start near 0% or 100%",
    True: "marginal log-odds scale of the published accuracies, which reduces but does not remove the distortion "
          "from benchmarks that start near 0% or 100%",
}

TARGETED_DESC = "targeted benchmarks (coding, agentic)"
UNTARGETED_DESC = "untargeted benchmarks (math, factual recall)"


def _get(doc: Doc, *path: str) -> Any:
    node: Any = doc
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def level(doc: Doc) -> float:
    """The confidence level of the document's intervals: 1 - alpha (the plan's alpha when one was used)."""
    alpha = doc.get("alpha", 0.05)
    return 1 - float(alpha) if fmt.is_num(alpha) else 0.95


def percent(x: float) -> str:
    """0.95 -> '95%', 0.975 -> '97.5%'."""
    return f"{100 * x:.1f}".rstrip("0").rstrip(".") + "%"


def ci_label(doc: Doc) -> str:
    """'95% CI' at alpha = 0.05, '90% CI' at alpha = 0.10: never a hard-coded level."""
    return f"{percent(level(doc))} CI"


def flat_level(doc: Doc) -> float:
    """The level of the flatness (TOST) interval: 1 - 2·alpha (90% at alpha = 0.05)."""
    lvl = _get(doc, "flatness", "level")
    return float(lvl) if fmt.is_num(lvl) else 1 - 2 * (1 - level(doc))


def suites_of(doc: Doc, category: str) -> list[Mapping[str, Any]]:
    """The per-suite entries of one category, in document order."""
    return [s for s in doc.get("suites") or [] if s.get("category") == category]


def layer_suites_of(doc: Doc, category: str) -> list[Mapping[str, Any]]:
    """The category's suites that entered the layers: a suite left out by the §1.3 ceiling/floor rule is
    reported per suite but never averaged into a group figure."""
    names = _get(doc, "groups", category, "suites")
    if isinstance(names, list):
        return [s for s in suites_of(doc, category) if s.get("suite") in names]
    return [s for s in suites_of(doc, category)
            if not any(str(f).startswith("excluded") for f in s.get("flags") or [])]


def excluded_suites(doc: Doc) -> list[str]:
    """Suites reported but left out of the layers (§1.3), in document order."""
    inside = {s.get("suite") for c in ("targeted", "untargeted") for s in layer_suites_of(doc, c)}
    return [str(s.get("suite")) for s in doc.get("suites") or [] if s.get("suite") not in inside]


def group_pp(doc: Doc, category: str) -> tuple[float | None, list[float | None]]:
    """Equal-weight mean of the category's per-suite pp changes, with an interval at the document's level
    that treats suites as independent and reads each suite's standard error off its own interval (at that
    same level)."""
    z = NormalDist().inv_cdf(0.5 + level(doc) / 2)
    gains, ses = [], []
    for s in layer_suites_of(doc, category):
        g, ci = s.get("gain_pp"), s.get("gain_pp_ci")
        if not fmt.is_num(g):
            continue
        gains.append(g)
        if ci and fmt.is_num(ci[0]) and fmt.is_num(ci[1]):
            ses.append((ci[1] - ci[0]) / (2 * z))
    if not gains:
        return None, [None, None]
    mean = sum(gains) / len(gains)
    if len(ses) != len(gains):
        return mean, [None, None]
    se = math.sqrt(sum(v * v for v in ses)) / len(gains)
    return mean, [mean - z * se, mean + z * se]


GROUP_PP_METHOD = ("equal-weight mean of the percentage-point changes of the suites in the layers (a suite left out "
                   "by the ceiling/floor rule is not averaged in); its interval treats suites as "
                   "independent and takes each suite's standard error from the suite's own interval")


def verdict(doc: Doc) -> str:
    """`targeted` (lower bound of the latent asymmetry's interval above 0), `untargeted` (upper bound below 0),
    `inconclusive` (interval includes 0), or `unavailable`."""
    ci = _get(doc, "asymmetry", "latent", "ci") or [None, None]
    lo, hi = ci if len(ci) == 2 else (None, None)
    if fmt.is_num(lo) and lo > 0:
        return "targeted"
    if fmt.is_num(hi) and hi < 0:
        return "untargeted"
    if fmt.is_num(_get(doc, "asymmetry", "latent", "estimate")):
        return "inconclusive"
    return "unavailable"


def flat(doc: Doc) -> bool:
    """Untargeted scores may be called flat only when the equivalence test passed."""
    return _get(doc, "flatness", "equivalent") is True


def evidence_note(doc: Doc) -> str:
    """What kind of evidence this is, in one or two sentences."""
    return SCORE_LEVEL if doc.get("mode") == "scores" else ITEM_LEVEL


def caveat(doc: Doc) -> str:
    """The caveat that travels with every citable sentence (compare's own, which adds mode-specific
    limits, when the document carries one)."""
    text = doc.get("caveat")
    return text if isinstance(text, str) and text.strip() else CAVEAT


def title(doc: Doc) -> str:
    return f"Were {doc.get('after')}'s gains concentrated in targeted capabilities?"


def _n_suites(doc: Doc, category: str) -> int:
    return len(suites_of(doc, category))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def sentence_changes(doc: Doc) -> str:
    """Sentence 1: what changed, per group, in percentage points."""
    n_t, n_u = len(layer_suites_of(doc, "targeted")), len(layer_suites_of(doc, "untargeted"))
    t_mean, t_ci = group_pp(doc, "targeted")
    u_mean, u_ci = group_pp(doc, "untargeted")
    before, after = doc.get("before"), doc.get("after")
    cl = ci_label(doc)
    targeted = (f"average accuracy changed by {fmt.pp(t_mean)} ({cl} {fmt.interval(t_ci, 1, signed_=True)} pp) "
                f"on the {_plural(n_t, 'targeted benchmark')} (coding, agentic)")
    if flat(doc):
        margin = _get(doc, "flatness", "margin_pp")
        untargeted = (f"stayed flat on the {_plural(n_u, 'untargeted benchmark')} (math, factual recall): "
                      f"the {percent(flat_level(doc))} interval of the pooled change, {fmt.interval(_get(doc, 'flatness', 'ci90'), 1)} pp, "
                      f"lies inside the ±{fmt.num(margin, 1)} pp equivalence margin")
    else:
        untargeted = (f"by {fmt.pp(u_mean)} ({cl} {fmt.interval(u_ci, 1, signed_=True)} pp) on the "
                      f"{_plural(n_u, 'untargeted benchmark')} (math, factual recall)")
    left_out = excluded_suites(doc)
    one = len(left_out) == 1
    note = (f"; {', '.join(left_out)} {'was' if one else 'were'} left out, as {'it starts' if one else 'they start'} "
            "near 0% or 100% with too few items that changed" if left_out else "")
    return f"From {before} to {after}, {targeted}, and {untargeted}{note}."


def _latent_clause(doc: Doc) -> str:
    lat = _get(doc, "asymmetry", "latent") or {}
    est, ci = lat.get("estimate"), lat.get("ci")
    at50 = lat.get("pp_at_50")
    if not fmt.is_num(est):
        return "the latent-scale asymmetry could not be estimated"
    size = abs(est)
    direction = "exceeded" if est > 0 else "fell short of" if est < 0 else "matched"
    clause = (f"on the {SCALE_CLAUSE[doc.get('mode') == 'scores']}, "
              f"targeted gains {direction} untargeted gains by {fmt.num(size)} logits "
              f"({ci_label(doc)} {fmt.interval(ci)} for targeted minus untargeted)")
    if fmt.is_num(at50):
        clause += f", about {fmt.num(abs(at50), 1)} percentage points for a benchmark starting at 50%"
    return clause


def controls_clause(doc: Doc) -> str:
    """How the asymmetry compares with other developers' transitions ('' when no controls)."""
    td = doc.get("triple_difference")
    if not isinstance(td, Mapping) or not td.get("controls"):
        return ""
    controls = td["controls"]
    suspect = td.get("suspect_asymmetry")
    if not fmt.is_num(suspect):
        suspect = _get(doc, "asymmetry", "latent", "estimate")
    values = [c.get("asymmetry") for c in controls if fmt.is_num(c.get("asymmetry"))]
    n = len(controls)
    larger = sum(1 for v in values if fmt.is_num(suspect) and suspect > v)
    if n == 1:
        rank = "larger than that transition's" if larger else "not larger than that transition's"
    else:
        rank = f"larger than {larger} of them"
    if not fmt.is_num(td.get("excess")):
        return (f"against {_plural(n, 'release transition')} by another developer only a rank comparison is "
                f"possible: this asymmetry was {rank} (placebo rank {fmt.p_phrase(td.get('rank_p_value'))}), so the "
                "industry-wide trend is not controlled for")
    few = f", descriptive only with fewer than {MIN_CONTROLS_T} transitions" if n < MIN_CONTROLS_T else ""
    return (f"compared with {_plural(n, 'release transition')} by other developers, this asymmetry was {rank} "
            f"(placebo rank {fmt.p_phrase(td.get('rank_p_value'))}; prediction-interval "
            f"{fmt.p_phrase(td.get('t_p_value'))}; excess over their mean {fmt.signed(td.get('excess'))} logits, "
            f"{ci_label(doc)} {fmt.interval(td.get('ci'))}{few})")


def sentence_test(doc: Doc) -> str:
    """Sentence 2: the primary test and what it means, whichever way it points."""
    lead = {
        "targeted": "That pattern is consistent with gains concentrated in the targeted capabilities on these "
                    "benchmarks",
        "untargeted": "Gains were concentrated in the untargeted capabilities instead, the opposite of the "
                      "targeted pattern",
        "inconclusive": "These data do not show gains concentrated in the targeted capabilities, nor rule out a "
                        "difference of this size",
        "unavailable": "The asymmetry could not be estimated from these data",
    }[verdict(doc)]
    text = f"{lead}: {_latent_clause(doc)}"
    ctrl = controls_clause(doc)
    if ctrl:
        text += f"; {ctrl}"
    return text + "."


def sentence_caveat(doc: Doc) -> str:
    """Sentence 3: what the result cannot tell."""
    return ("Such a pattern would be consistent with targeted distillation but equally with coding-focused "
            "reinforcement learning, synthetic data, tool-use training or benchmark contamination; this "
            "analysis does not identify the source of any improvement.")


def headline(doc: Doc) -> list[str]:
    """The three plain sentences of the headline."""
    return [sentence_changes(doc), sentence_test(doc), sentence_caveat(doc)]


def one_line(doc: Doc) -> str:
    """The shortest faithful summary (console output, page subtitle)."""
    lat = _get(doc, "asymmetry", "latent") or {}
    word = {"targeted": "consistent with gains concentrated in targeted capabilities",
            "untargeted": "gains concentrated in untargeted capabilities (the opposite pattern)",
            "inconclusive": "no disproportionate targeted gain shown (interval includes 0)",
            "unavailable": "asymmetry not estimable"}[verdict(doc)]
    return (f"{doc.get('before')} -> {doc.get('after')}: latent asymmetry {fmt.signed(lat.get('estimate'))} logits "
            f"({ci_label(doc)} {fmt.interval(lat.get('ci'))}): {word}.")


def shows(doc: Doc) -> list[str]:
    """What the result does show (bullets)."""
    out = [f"How the {_n_suites(doc, 'targeted')} targeted and {_n_suites(doc, 'untargeted')} untargeted "
           f"benchmarks compared between {doc.get('before')} and {doc.get('after')}, with "
           f"{percent(level(doc))} intervals on each scale."]
    v = verdict(doc)
    if v == "targeted":
        out.append(f"A targeted-minus-untargeted gain whose {percent(level(doc))} interval excludes zero on the "
                   "primary (latent) scale, on these benchmarks.")
    elif v == "untargeted":
        out.append("Larger gains on the untargeted benchmarks than on the targeted ones, with a "
                   f"{percent(level(doc))} interval that excludes zero.")
    if flat(doc):
        out.append(f"Untargeted scores flat within ±{fmt.num(_get(doc, 'flatness', 'margin_pp'), 1)} pp "
                   "(equivalence test passed).")
    if controls_clause(doc):
        out.append("Where this transition sits among other developers' release transitions.")
    return out


def does_not_show(doc: Doc) -> list[str]:
    """What the result does not show (bullets): the honest limits."""
    out = ["Why the gains happened: distillation, coding-focused training, synthetic data, tool-use training "
           "and contamination all predict the same pattern."]
    if verdict(doc) == "inconclusive":
        out.append("That the gains were even: an interval that includes zero is not evidence of equal gains.")
    if not flat(doc):
        margin = fmt.num(_get(doc, "flatness", "margin_pp"), 1)
        out.append(f"That untargeted scores stayed unchanged: the equivalence test (±{margin} pp) was not passed, "
                   "so a change of that size is not ruled out.")
    gen = doc.get("generalisation") or {}
    n = len(doc.get("suites") or [])
    h3 = next((g for g in doc.get("gatekeeping") or [] if str(g.get("hypothesis", "")).startswith("H3")), {})
    if not gen.get("testable"):
        out.append(f"Anything about benchmarks beyond these {n}: with fewer than 3 + 3 suites no inference beyond "
                   "them is statistically supported.")
    elif not h3.get("rejected"):
        out.append(f"Anything about benchmarks beyond these {n}: generalisation was not established, because "
                   f"{h3_blocker(doc)}.")
    td = doc.get("triple_difference")
    if not td:
        out.append("Whether this is unusual for the industry: no other developers' transitions were compared.")
    elif not fmt.is_num(td.get("excess")):
        out.append("Whether this is unusual for the industry: with fewer than two comparable transitions by other "
                   "developers only a rank comparison is possible.")
    elif len(td.get("controls") or []) < MIN_CONTROLS_T:
        out.append(f"Whether this is unusual for the industry, as a tested claim: with fewer than {MIN_CONTROLS_T} "
                   "comparable transitions by other developers the comparison is descriptive.")
    if doc.get("mode") == "scores":
        out.append("Item-level pairing: these are published, score-level figures, so the releases cannot be "
                   "paired item by item, and the vendors chose, ran and reported the benchmarks.")
    return out


def citation_paragraph(doc: Doc) -> str:
    """The citable paragraph (methods §5): compare's own `summary`, so the report and
    `asymmetry compare` never cite different words (it already ends with the caveat)."""
    return str(doc.get("summary") or "")


def preregistered(doc: Doc) -> bool:
    plan = _get(doc, "diagnostics", "plan")
    return isinstance(plan, Mapping) and bool(plan.get("used"))


def preregistration(doc: Doc) -> str:
    """The pre-registration status, plainly."""
    plan = _get(doc, "diagnostics", "plan")
    if not preregistered(doc):
        reason = (" The published scores compared here were chosen, run and reported by the vendors."
                  if doc.get("mode") == "scores" else "")
        return ("Not pre-registered: the suites, scale, margins and controls were not frozen in a plan before the "
                "data were seen, so p-values are descriptive rather than confirmatory (methods §4.4)." + reason)
    assert isinstance(plan, Mapping)
    bits = [f"plan file {plan['path']}" if plan.get("path") else "",
            f"sha256 {str(plan['sha256'])[:16]}…" if plan.get("sha256") else "",
            f"written {plan['created_at']}" if plan.get("created_at") else ""]
    text = "Pre-registered (" + "; ".join(b for b in bits if b) + ")."
    if plan.get("content_ok") is False:
        text += " The plan file was edited after it was written (content hash mismatch)."
    if plan.get("predates_runs") is True:
        text += " The plan predates the first run."
    elif plan.get("predates_runs") is False:
        text += " The plan was written after the runs started, so categories may have been chosen after the results."
    deviations = plan.get("deviations") or []
    if deviations:
        text += " Deviations from the plan: " + "; ".join(map(str, deviations)) + "."
    else:
        text += " No deviations from the plan."
    return text


FORBIDDEN = ("proves", "proof of", "statistically significant")


def check_wording(text: str) -> list[str]:
    """Phrases a report must never print (§1.13); used by tests and as a last guard before writing."""
    low = text.lower()
    return [w for w in FORBIDDEN if w in low]
