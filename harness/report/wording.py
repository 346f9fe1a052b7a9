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
    t_what, u_what = (group_words(doc, c).replace(" benchmarks", "").replace(" and ", ", ").replace("-", " ")
                      for c in ("targeted", "untargeted"))
    targeted = (f"average accuracy changed by {fmt.pp(t_mean)} ({cl} {fmt.interval(t_ci, 1, signed_=True)} pp) "
                f"on the {_plural(n_t, 'targeted benchmark')} ({t_what})")
    if flat(doc):
        margin = _get(doc, "flatness", "margin_pp")
        untargeted = (f"stayed flat on the {_plural(n_u, 'untargeted benchmark')} ({u_what}): "
                      f"the {percent(flat_level(doc))} interval of the pooled change, {fmt.interval(_get(doc, 'flatness', 'ci90'), 1)} pp, "
                      f"lies inside the ±{fmt.num(margin, 1)} pp equivalence margin")
    else:
        untargeted = (f"by {fmt.pp(u_mean)} ({cl} {fmt.interval(u_ci, 1, signed_=True)} pp) on the "
                      f"{_plural(n_u, 'untargeted benchmark')} ({u_what})")
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


# ------------------------------------------------------------------------------------------------ verdicts
# The compare document carries a top-level `verdict` (targeted_larger | untargeted_larger | no_difference_shown
# | fragile | not_testable) and `asymmetry.primary`, the estimate that verdict rests on (issue 9). A document
# written before them is read off its latent asymmetry, never saying more than that interval does.

VERDICTS = ("targeted_larger", "untargeted_larger", "no_difference_shown", "fragile", "not_testable")
_FROM_LATENT = {"targeted": "targeted_larger", "untargeted": "untargeted_larger", "inconclusive": "no_difference_shown",
                "unavailable": "not_testable"}


def contract_verdict(doc: Doc) -> str:
    """The document's verdict by its contract name."""
    v = doc.get("verdict")
    return v if v in VERDICTS else _FROM_LATENT[verdict(doc)]


def primary(doc: Doc) -> Mapping[str, Any]:
    """The estimate the verdict rests on: `asymmetry.primary`, else the latent asymmetry."""
    p = _get(doc, "asymmetry", "primary")
    return p if isinstance(p, Mapping) and p else (_get(doc, "asymmetry", "latent") or {})


# ------------------------------------------------------------------------------------------------ newsroom
# The one plain sentence a reader sees first, the badge beside it and the short citable paragraph: the same
# verdict and primary asymmetry as the sentences above, in fewer words. Logits, ranks and method names stay in
# the sentences below them.

HEADLINE_MAX_WORDS = 35
CITATION_MAX_WORDS = 119
_CAPABILITY_WORDS = {"coding": "coding", "agentic": "agentic", "math": "maths", "factual": "factual-recall"}
_GROUP_CAPABILITIES = {"targeted": ("coding", "agentic"), "untargeted": ("math", "factual")}

BADGE = {"targeted_larger": "Targeted gains were larger", "untargeted_larger": "Untargeted gains were larger",
         "no_difference_shown": "No clear difference", "fragile": "Fragile", "not_testable": "Not testable"}


def group_words(doc: Doc, category: str) -> str:
    """'coding and agentic benchmarks', or only the capabilities the group's benchmarks really measure
    ('factual-recall benchmarks' when a table reports no maths); the group's name when unknown."""
    caps = {s.get("capability") for s in layer_suites_of(doc, category)}
    known = [c for c in _GROUP_CAPABILITIES[category] if c in caps]
    if not known or None in caps:
        known = list(_GROUP_CAPABILITIES[category])
    return " and ".join(_CAPABILITY_WORDS[c] for c in known) + " benchmarks"


def points_at_50(doc: Doc) -> tuple[float | None, list[float | None]]:
    """The primary asymmetry as percentage points for benchmarks starting at 50%, with its interval.

    The document's `pp_at_50` is 100·(σ(t) − σ(u)) for the groups' mean gains t and u. Holding their midpoint
    m = (t + u)/2 fixed, that is 100·(σ(m + A/2) − σ(m − A/2)), increasing in the asymmetry A, so the ends of
    A's interval map to an interval for the points: the same translation, never a second estimate."""
    p = primary(doc)
    a, ci, pts = p.get("estimate"), p.get("ci") or [None, None], p.get("pp_at_50")
    if not (fmt.is_num(a) and fmt.is_num(pts)) or abs(a) < 1e-9:
        return (pts if fmt.is_num(pts) else None), [None, None]
    target = pts / 100

    def gap(m: float, x: float) -> float:
        return 1 / (1 + math.exp(-(m + x / 2))) - 1 / (1 + math.exp(-(m - x / 2)))

    # the midpoint m: |gap| falls as |m| grows, so bisect on |m|; m's sign follows the groups' mean gain
    lo_m, hi_m = 0.0, 20.0
    for _ in range(80):
        mid = (lo_m + hi_m) / 2
        lo_m, hi_m = (mid, hi_m) if abs(gap(mid, a)) > abs(target) else (lo_m, mid)
    groups = doc.get("groups") or {}
    mean = sum(float(groups.get(c, {}).get("latent") or 0) for c in ("targeted", "untargeted"))
    m = lo_m if mean >= 0 else -lo_m
    ends = [100 * gap(m, x) if fmt.is_num(x) else None for x in ci]
    return pts, ends


def _fragile_reason(doc: Doc) -> str:
    reasons = [str(r) for r in primary(doc).get("verdict_reasons") or []]
    suites = [r.split("leaving out suite ", 1)[1] for r in reasons if "leaving out suite " in r]
    if suites and len(suites) == len(reasons):
        if len(suites) <= 2:
            return f"dropping {' or '.join(suites)} removes it"
        return f"dropping any one of {len(suites)} benchmarks removes it"
    if any("spread of item gains" in r for r in reasons):
        return "it depends on an assumed spread of item gains"
    if any("sparse" in r for r in reasons):
        return "it rests on benchmarks where few items changed"
    return "it does not survive the checks"


def headline_sentence(doc: Doc) -> str:
    """The headline: one plain sentence of at most HEADLINE_MAX_WORDS words answering the question, with one
    number (points at a 50% start) and its interval, saying what the verdict says."""
    v = contract_verdict(doc)
    after = doc.get("after")
    t_words, u_words = group_words(doc, "targeted"), group_words(doc, "untargeted")
    u_short = u_words.replace(" benchmarks", " ones")
    t_short = t_words.replace(" benchmarks", " ones")
    pts, (lo, hi) = points_at_50(doc)
    cl = ci_label(doc)
    if v == "not_testable" or not fmt.is_num(pts):
        reasons = [str(r) for r in primary(doc).get("verdict_reasons") or []]
        why = reasons[0] if reasons else "a group has no benchmark that passed the checks"
        text = f"These benchmarks cannot test whether {after} gained more on {t_words} than on {u_words}: {why}."
        return text if len(text.split()) <= HEADLINE_MAX_WORDS else \
            f"These benchmarks cannot test whether {after} gained more on {t_words} than on {u_words}."
    toward_targeted = pts >= 0
    size = abs(pts)
    ends = (lo, hi) if toward_targeted else ((-hi if fmt.is_num(hi) else None), (-lo if fmt.is_num(lo) else None))
    interval = f"({cl} {fmt.num(ends[0], 0)} to {fmt.num(ends[1], 0)})"
    more, less = (t_words, u_short) if toward_targeted else (u_words, t_short)
    options = []
    numbers = [f"about {size:.0f} {unit} {interval}"
               for unit in ("points more on a benchmark starting at 50%", "points more at a 50% start")]
    side = "targeted" if toward_targeted else "untargeted"
    if v in ("targeted_larger", "untargeted_larger"):
        options += [f"{after} gained more on {more} than on {less}: {n}." for n in numbers]
    elif v == "fragile":  # the reason is worth more than the longer unit
        options += [f"{after} gained more on {more} than on {less}, {n}, but fragile: {_fragile_reason(doc)}."
                    for n in numbers]
        options += [f"{after} gained more on {more} than on {less}, {n}, but this is fragile." for n in numbers]
    else:
        options += [f"The data show no clear difference between {after}'s gains on {t_words} and on {u_words}: "
                    f"{side} ones gained {n}." for n in numbers]
        options += [f"No clear difference between {after}'s gains on {t_words} and {u_words}: {side} ones gained {n}."
                    for n in numbers]
    return next((o for o in options if len(o.split()) <= HEADLINE_MAX_WORDS), options[-1])


def badge(doc: Doc) -> str:
    """What the data show, in two to six words: the verdict, and the direction the data lean without one."""
    v = contract_verdict(doc)
    est = primary(doc).get("estimate")
    side = "targeted" if fmt.is_num(est) and est > 0 else "untargeted" if fmt.is_num(est) and est < 0 else ""
    if v == "no_difference_shown" and side:
        return f"No clear difference, leaning {side}"
    if v == "fragile" and side:
        return f"{side.capitalize()} gains larger, but fragile"
    return BADGE.get(v, BADGE["not_testable"])


def _scope_short(doc: Doc) -> str:
    groups = doc.get("groups") or {}
    t = list((groups.get("targeted") or {}).get("suites") or [])
    u = list((groups.get("untargeted") or {}).get("suites") or [])
    what = "published scores" if doc.get("mode") == "scores" else "item-level runs"
    return f"On {len(t)} targeted and {len(u)} untargeted benchmarks ({what})"


def citation_short(doc: Doc, methods_ref: str = "") -> str:
    """The short citable paragraph (under CITATION_MAX_WORDS words): the headline, its scope, the comparison
    with other developers when there is one, and the caveat, in the report's wording rules."""
    parts = [headline_sentence(doc), f"{_scope_short(doc)}, {doc.get('before')} to {doc.get('after')}."]
    td = doc.get("triple_difference")
    if isinstance(td, Mapping) and td.get("controls"):
        n = len(td["controls"])
        values = [c.get("asymmetry") for c in td["controls"] if fmt.is_num(c.get("asymmetry"))]
        suspect = td.get("suspect_asymmetry")
        if fmt.is_num(suspect):
            larger = sum(suspect > x for x in values)
            what = "all" if larger == n else f"{larger} of"
            few = f" (descriptive: fewer than {MIN_CONTROLS_T})" if n < MIN_CONTROLS_T else ""
            parts.append(f"It was larger than {what} {n} other developers' step{'s' if n != 1 else ''} measured on "
                         f"the same benchmarks{few}.")
    parts.append("Such a pattern is consistent with targeted distillation but equally with coding-focused training, "
                 "synthetic data or contamination; it does not identify the source.")
    if methods_ref:
        parts.append(f"Method: {methods_ref}.")
    text = " ".join(parts)
    if len(text.split()) > CITATION_MAX_WORDS:  # never longer: drop the scope line first
        text = " ".join(p for p in parts if not p.startswith("On "))
    return text


def method_line(doc: Doc) -> str:
    """The full method line behind the citation: estimator, interval, verdict rule, evidence, version."""
    p = primary(doc)
    checks = "each benchmark left out in turn"
    if p.get("sigma_grid"):
        checks += " and every assumed spread of item gains (σ from 0 to "
        checks += f"{fmt.num(p.get('sigma_max', 2.0), 1)} logits)"
    rule = (f"an interval excluding 0 must hold with {checks}" if _get(doc, "asymmetry", "primary")
            else "read off whether this interval excludes 0")
    evidence = ("published scores, unpaired binomial intervals over documented item counts"
                if doc.get("mode") == "scores" else
                "item-level runs" + (", items as the unit" if _get(doc, "asymmetry", "primary") else ""))
    return (f"{p.get('method') or 'primary asymmetry'}; {ci_label(doc)} {fmt.interval(p.get('ci'))} logits, "
            f"two-sided {fmt.p_phrase(p.get('p_value'))}; verdict {contract_verdict(doc)} ({rule}); {evidence}; "
            f"asymmetry {doc.get('harness_version', '')}, compare schema "
            f"{doc.get('schema', '')}.")
