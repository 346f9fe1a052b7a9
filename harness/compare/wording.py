"""The one writer of sentences: the citable summary of a compare document, its caveat, and the report's
headline, bullets and pre-registration text, all built only from the document's numbers.

Rules kept here, in one place (the report imports this module; compare never imports the report):
"consistent with", never "proves"; every citable number with its interval, scale and method; changes in
percentage points (pp), never bare "%"; "flat" only after a passed equivalence test, and what the test
showed when it did not pass; "on these benchmarks" unless generalisation was tested and established; the
verdict (`doc["verdict"]`, the contract's five names) is what the sentence says, whichever way the data
point; and the caveat always travels with the sentence. Numbers through harness.compare.fmt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

from harness.compare import fmt
from harness.compare.types import CompareDoc
from harness.stats.latent import EXACT_BELOW
from harness.stats.primary import MIN_CLUSTERS, MIN_SUITE_ITEMS
from harness.stats.triple import MIN_CONTROLS_T

Doc = Mapping[str, Any] | CompareDoc

CAVEAT = ("Disproportionate targeted gains, where shown, are consistent with targeted distillation, but also with other targeted "
          "investments (coding-focused reinforcement learning, synthetic data, tool-use training) and with "
          "benchmark contamination. This analysis does not identify the source of the improvement.")

#: The scale caveat, by mode (score mode: published accuracies give only marginal log odds).
SCALE_NOTE = {
    False: "Percentage-point figures are ceiling-sensitive. The primary scale is the log-odds (latent) scale: the "
           "mean gain of an item, estimated so that benchmarks starting near 0% or 100% are compared on equal "
           "terms even when items differ in how much they improve.",
    True: "Percentage-point figures are ceiling-sensitive. With published accuracies only marginal log-odds are "
          "available, and the mean item gain read from them rests on an assumed spread of item difficulty: less "
          "ceiling-sensitive than percentage points but not ceiling-free, so the asymmetry on this scale is "
          "approximate.",
}

SCORE_LEVEL = ("Published scores are score-level, unpaired evidence: each release's reported accuracy per "
               "benchmark, not item-level results, so the releases cannot be paired item by item, intervals "
               "rest on binomial approximations with documented item counts, and the benchmarks were chosen, "
               "run and reported by the vendors.")

ITEM_LEVEL = ("Item-level evidence: both releases answered the same items through the same harness, so each "
              "item pairs with itself and the intervals come from paired statistics, with items (not samples) as "
              "the unit.")

SCALE_CLAUSE = {
    False: "log-odds (latent) scale, as the mean gain of an item",
    True: "marginal log-odds scale of the published accuracies (mean item gain under an assumed spread of item "
          "difficulty), which reduces but does not remove the distortion from benchmarks that start near 0% or 100%",
}

TARGETED_DESC = "targeted benchmarks (coding, agentic)"
UNTARGETED_DESC = "untargeted benchmarks (math, knowledge)"

GROUP_PP_METHOD = ("equal-weight mean of the percentage-point changes of the suites in the layers (a suite left out "
                   "by the ceiling/floor or minimum-size rule is not averaged in); its interval treats suites as "
                   "independent and takes each suite's standard error from the suite's own interval")

FORBIDDEN = ("proves", "proof of", "statistically significant")


# ------------------------------------------------------------------------------------------------ reading


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


percent = fmt.percent


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
    """The category's suites that entered the layers (a suite left out by a rule is reported per suite but
    never averaged into a group figure)."""
    names = _get(doc, "groups", category, "suites")
    if isinstance(names, list):
        return [s for s in suites_of(doc, category) if s.get("suite") in names]
    return [s for s in suites_of(doc, category)
            if not any(str(f).startswith("excluded") for f in s.get("flags") or [])]


def excluded_suites(doc: Doc) -> list[str]:
    """Suites reported but left out of the layers, in document order."""
    inside = {s.get("suite") for c in ("targeted", "untargeted") for s in layer_suites_of(doc, c)}
    return [str(s.get("suite")) for s in doc.get("suites") or [] if s.get("suite") not in inside]


def _exclusion_reason(doc: Doc, suite: str) -> str:
    for s in doc.get("suites") or []:
        if s.get("suite") == suite:
            for f in s.get("flags") or []:
                if str(f).startswith("excluded"):
                    reason = str(f).split(":", 1)[-1].strip()
                    return reason
    return "left out by a pre-registered rule"


def verdict(doc: Doc) -> str:
    """The document's verdict (one of the contract's five names); for documents written before it existed,
    read off the latent asymmetry's interval (never more than that interval says)."""
    v = doc.get("verdict")
    if isinstance(v, str) and v:
        return v
    lat = _get(doc, "asymmetry", "latent") or {}
    ci = lat.get("ci") if isinstance(lat.get("ci"), list) and len(lat.get("ci")) == 2 else [None, None]
    lo, hi = ci
    if fmt.is_num(lo) and lo > 0:
        return "targeted_larger"
    if fmt.is_num(hi) and hi < 0:
        return "untargeted_larger"
    return "no_difference_shown" if fmt.is_num(lat.get("estimate")) else "not_testable"


def primary(doc: Doc) -> Mapping[str, Any]:
    """The primary asymmetry block (the latent MH row for documents written before it existed)."""
    p = _get(doc, "asymmetry", "primary")
    return p if isinstance(p, Mapping) and p else (_get(doc, "asymmetry", "latent") or {})


def flat(doc: Doc) -> bool:
    """Untargeted scores may be called flat only when the equivalence test passed."""
    return _get(doc, "flatness", "equivalent") is True


def evidence_note(doc: Doc) -> str:
    return SCORE_LEVEL if doc.get("mode") == "scores" else ITEM_LEVEL


def caveat_for(doc: Doc) -> str:
    """The caveat that travels with every summary (mode-specific additions first)."""
    parts = []
    if doc.get("mode") == "scores":
        parts.append("These figures come from published scores: the releases are not paired item by item and no "
                     "item-level check (item content, errors, decoding settings) was possible, so this is weaker "
                     "evidence than an item-level comparison.")
    parts.append(SCALE_NOTE[doc.get("mode") == "scores"])
    parts.append(CAVEAT)
    return " ".join(parts)


def caveat(doc: Doc) -> str:
    """The caveat of a document (its own, which adds mode-specific limits, when it carries one)."""
    text = doc.get("caveat")
    return text if isinstance(text, str) and text.strip() else CAVEAT


def title(doc: Doc) -> str:
    return f"Were {doc.get('after')}'s gains concentrated in targeted capabilities?"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _items(n: int, what: str) -> str:
    return f"{n} {what} item" + ("" if n == 1 else "s")


# ------------------------------------------------------------------------------------------------ clauses


def pp_difference(pp_at_50: Any) -> str:
    """A targeted-minus-untargeted pp difference in words: never "about 0 percentage points smaller"."""
    if not fmt.is_num(pp_at_50):
        return "a difference that could not be translated into percentage points"
    size = abs(pp_at_50)
    if size < 0.5:
        return "a targeted gain within half a percentage point of the untargeted gain"
    direction = "larger" if pp_at_50 > 0 else "smaller"
    return f"a targeted gain about {size:.0f} percentage point{'s' if round(size) != 1 else ''} {direction} than the untargeted gain"


def odds_change(ratio: Any) -> str:
    """A gain/loss (odds) ratio as a change: "rose 1.50-fold" or "fell to 0.90 times" (never "rose 0.90-fold")."""
    if not fmt.is_num(ratio):
        return "changed by an amount that could not be estimated"
    if ratio >= 1:
        return f"rose {fmt.num(ratio, 2)}-fold"
    return f"fell to {fmt.num(ratio, 2)} times its earlier value"


def scope(doc: Doc) -> str:
    """"On these N benchmarks (...)", naming the suites that were left out and why."""
    groups = doc.get("groups") or {}
    tg, ug = groups.get("targeted") or {}, groups.get("untargeted") or {}
    t_names, u_names = list(tg.get("suites") or []), list(ug.get("suites") or [])
    n = len(t_names) + len(u_names)
    cont = doc.get("contamination") or {}
    fresh = "; items published after both models' training cutoffs" if cont.get("primary") == "fresh" else ""
    left = excluded_suites(doc)
    out = ""
    if left:
        out = "; left out: " + ", ".join(f"{s} ({_exclusion_reason(doc, s)})" for s in left)
    return (f"On these {n} benchmarks ({len(t_names)} targeted: {', '.join(t_names)}; {len(u_names)} untargeted: "
            f"{', '.join(u_names)}{fresh}{out})")


def _ratio_clause(group: Mapping[str, Any], name: str, after: str, before: str, cl: str) -> str:
    """A group's gain/loss ratio in words (one sample per item): e^(mean per-suite latent gain), a geometric
    mean of the suites' ratios, with the raw counts when a suite had no gains or no losses."""
    first = name == "targeted"
    g, lo = group.get("gains"), group.get("losses")
    zero = list(group.get("zero_cell_suites") or [])
    n_suites = len(group.get("suites") or [])
    ratio, ci = fmt.num(group.get("gain_ratio"), 1), fmt.interval(group.get("gain_ratio_ci"), 1)
    rel = f", relative to {before}" if first else ""
    lead = "" if first else "on untargeted benchmarks "
    if g is not None and g == 0 and lo == 0:
        return f"{lead}{after} newly solved no {name} item and newly failed none{rel}, so no gain/loss ratio exists"
    if g is not None and zero:
        if n_suites == 1:
            which = f"{'no gains or losses' if g == lo == 0 else 'no losses' if lo == 0 else 'no gains'} in the suite"
        else:
            which = f"no gains or no losses in suite{'s' if len(zero) > 1 else ''} {', '.join(zero)}"
        return (f"{lead}{after} newly solved {_items(g, name)} and newly failed {lo}{rel}; with {which}, the "
                f"{'' if n_suites == 1 else 'average '}gain/loss ratio, {ratio} ({cl + ' ' if first else ''}{ci}), "
                "rests on a +0.5 correction and is indicative only")
    if first:
        avg = (f"averaging over the {n_suites} targeted benchmarks (a geometric mean of their gain/loss ratios), "
               if n_suites > 1 else "")
        return (f"{avg}{after} newly solved {ratio} targeted items for each targeted item it newly failed{rel} "
                f"({cl} {ci})")
    return f"on untargeted benchmarks the {'average ' if n_suites > 1 else ''}ratio was {ratio} ({ci})"


def primary_clause(doc: Doc) -> str:
    """The primary asymmetry with its interval, p-value and method, in one sentence."""
    p = primary(doc)
    cl = ci_label(doc)
    if not fmt.is_num(p.get("estimate")):
        return "The primary asymmetry could not be estimated from these data."
    grid = p.get("sigma_grid")
    if grid and p.get("spread_grid"):  # score mode: no items seen, two assumed spreads
        smax = fmt.num(p.get("sigma_max", 2.0), 1)
        sp = p["spread_grid"]
        return (f"The targeted-minus-untargeted difference in mean item gain is {fmt.num(p.get('estimate'))} logits at "
                f"the least favourable assumptions; published accuracies reveal neither how much item gains nor how "
                f"much item difficulty spread, and over every assumed spread of gains from 0 to {smax} logits and of "
                f"difficulty from {fmt.num(min(sp), 1)} to {fmt.num(max(sp), 1)} logits (per group) the {cl} runs "
                f"from {fmt.interval(p.get('ci'))} logits (largest two-sided {fmt.p_phrase(p.get('p_value'))}; "
                "random item-gain model read from published accuracies, binomial variances).")
    if grid:
        smax = fmt.num(p.get("sigma_max", 2.0), 1)
        scores = doc.get("mode") == "scores"
        why = "from published accuracies" if scores else "with one sample per item"
        model = "random item-gain model read from published accuracies" if scores else \
            "random item-gain model, items as the unit"
        return (f"The targeted-minus-untargeted difference in mean item gain is {fmt.num(p.get('estimate'))} logits at "
                f"an assumed spread of item gains of {fmt.num(p.get('estimate_at_sigma'), 1)} logits; {why} that "
                f"spread cannot be estimated, and over every assumed spread from 0 to {smax} logits the "
                f"{cl} runs from {fmt.interval(p.get('ci'))} logits (largest two-sided {fmt.p_phrase(p.get('p_value'))}; "
                f"{model}).")
    sigma = p.get("sigma")
    spread = f", estimated spread of item gains {fmt.num(sigma, 1)} logits" if fmt.is_num(sigma) else ""
    return (f"The targeted-minus-untargeted difference in mean item gain is {fmt.num(p.get('estimate'))} logits ({cl} "
            f"{fmt.interval(p.get('ci'))}; random item-gain model, items as the unit{spread}; two-sided "
            f"{fmt.p_phrase(p.get('p_value'))}).")


def verdict_sentence(doc: Doc) -> str:
    """What the verdict says, with its reasons; names the direction the data lean when no verdict is given."""
    v = verdict(doc)
    p = primary(doc)
    reasons = [str(r) for r in p.get("verdict_reasons") or []]
    est = p.get("estimate")
    lean = ""
    if fmt.is_num(est) and est < 0 and v in ("no_difference_shown", "fragile"):
        lean = (" The data lean the other way: the estimate is negative (untargeted gains larger), though not "
                "decisively.")
    if v == "targeted_larger":
        checks = "when each suite is left out in turn"
        if p.get("sigma_grid"):
            checks += " and over every assumed spread of item gains"
        if p.get("spread_grid"):
            checks += " and of item difficulty"
        return (f"This is consistent with a disproportionate targeted gain on these benchmarks; it holds {checks}, "
                "between groups that started at overlapping levels.")
    if v == "untargeted_larger":
        return ("On these benchmarks the untargeted suites gained more than the targeted ones, the opposite of the "
                "targeted pattern.")
    if v == "fragile":
        why = "; ".join(reasons) if reasons else "it does not survive the pre-registered checks"
        return (f"An interval excludes 0, but the finding is fragile ({why}), so no disproportionate gain is "
                f"claimed.{lean}")
    if v == "not_testable":
        why = "; ".join(reasons) if reasons else "a group has no suite that passed the checks"
        return f"No verdict is possible: {why}."
    return ("The interval includes 0, so these data do not show a disproportionate targeted gain on these "
            f"benchmarks (which does not show that there is none).{lean}")


def flatness_sentence(doc: Doc) -> str:
    """The equivalence test of untargeted gains, saying what it showed when it did not pass."""
    fl = doc.get("flatness") or {}
    if fl.get("pooled_gain_pp") is None:
        return ""
    margin = fl.get("margin_pp")
    lo, hi = (fl.get("ci90") or [None, None])[:2]
    flat_cl = f"{percent(flat_level(doc))} CI"
    weights = " with equal suite weights" if fl.get("weights") == "equal suite weights" else ""
    gain = f"mean gain {fmt.pp(fl['pooled_gain_pp'])}{weights}, {flat_cl} {fmt.interval(fl.get('ci90'), 1, signed_=True)} pp"
    m = fmt.num(margin, 0 if fmt.is_num(margin) and float(margin).is_integer() else 1)
    if fl.get("equivalent"):
        return f"Untargeted gains were flat within ±{m} percentage points ({gain}; equivalence test)."
    if fmt.is_num(lo) and fmt.is_num(margin) and lo > margin:
        return (f"Untargeted gains were larger than +{m} percentage points ({gain}): the whole interval lies above "
                "the equivalence margin.")
    if fmt.is_num(hi) and fmt.is_num(margin) and hi < -margin:
        return (f"Untargeted scores fell by more than {m} percentage points ({gain}): the whole interval lies below "
                "the equivalence margin.")
    return (f"Untargeted gains were not shown to lie within ±{m} percentage points ({gain}), so no claim that they "
            "were unchanged is made.")


def _generalisation_sentence(doc: Doc, n: int, cl: str) -> str:
    """Layer 2 in words, no stronger than the decision rules (generalisation only when the gatekeeping
    sequence tested and rejected H3; a significant HKSJ outside it is exploratory)."""
    gen = doc.get("generalisation") or {}
    hk = gen.get("hksj")
    if not (gen.get("testable") and hk and hk.get("p_value") is not None):
        return f"No inference beyond these {n} benchmarks is statistically supported."
    alpha = doc.get("alpha", 0.05)
    perm_p = (gen.get("permutation") or {}).get("p_value")
    hksj = f"HKSJ meta-regression {fmt.num(hk['estimate'])} logits, {cl} {fmt.interval(hk['ci'])}, {fmt.p_phrase(hk['p_value'])}"
    perm = f"suite-label permutation {fmt.p_phrase(perm_p)}"
    if not (hk["p_value"] < alpha and hk["estimate"] > 0):
        return (f"Treating the benchmarks as draws from their domains, generalisation was not shown "
                f"(HKSJ {fmt.p_phrase(hk['p_value'])}; permutation {fmt.p_phrase(perm_p)}), so the finding is limited to "
                "these benchmarks.")
    gates = doc.get("gatekeeping") or []
    h3 = next((g for g in gates if str(g.get("hypothesis", "")).startswith("H3")), None)
    disagree = perm_p is not None and perm_p >= alpha
    extra = f"; the exact {perm} does not confirm it" if disagree else f"; {perm}"
    if h3 is not None and h3.get("rejected"):
        return (f"Treating the benchmarks as draws from their domains, the pattern is consistent with one that "
                f"holds beyond them ({hksj}{extra}).")
    return (f"Treating the benchmarks as draws from their domains, the meta-regression points beyond them ({hksj}"
            f"{extra}), but only as an exploratory result: {h3_blocker(doc)}, so the finding stays limited to "
            "these benchmarks.")


def h3_blocker(doc: Doc) -> str:
    """Why the pre-registered sequence (H1 → H2 → H3) did not claim generalisation: the first gate that
    closed, in words (never a reason that did not apply)."""
    gates = list(doc.get("gatekeeping") or [])
    h1, h2, h3 = (next((g for g in gates if str(g.get("hypothesis", "")).startswith(h)), {}) for h in ("H1", "H2", "H3"))
    gen = doc.get("generalisation") or {}
    if not h1.get("rejected"):
        return ("the pre-registered sequence tests generalisation only after the layer-1 asymmetry is established, "
                "and it was not here")
    if not h2.get("rejected"):
        if not h2.get("tested"):
            why = str(h2.get("reason") or "it could not be tested")
            why = "no control transitions were given" if why == "no control transitions given" else why.split(":")[0]
            return ("the pre-registered sequence tests generalisation only after the excess over other developers' "
                    f"transitions is established, and that test was not made here ({why})")
        return ("the pre-registered sequence tests generalisation only after the excess over other developers' "
                "transitions is established, and it was not here")
    if not h3.get("tested"):
        st, su = gen.get("n_targeted"), gen.get("n_untargeted")
        have = f" (this design has {st} + {su})" if st is not None and su is not None else ""
        return f"the pre-registered sequence tests generalisation only from 4 + 4 suites{have}"
    return "the pre-registered test of generalisation (one-sided, in the gatekeeping sequence) was not rejected"


def _controls_sentence(doc: Doc, cl: str) -> str:
    td = doc.get("triple_difference")
    if td and td.get("excess") is not None:
        c = len(td["controls"])
        few = (f" With only {c} control transitions, fewer than the {MIN_CONTROLS_T} the design requires, this "
               "comparison is descriptive: it does not enter the pre-registered sequence of tests."
               if c < MIN_CONTROLS_T else "")
        above = td.get("n_above")
        rank = rank_words(int(above), c) if fmt.is_num(above) else f"ranked among {c} (count not recorded)"
        return (f"Compared with {_plural(c, 'release transition')} by other developers, this asymmetry was {rank} "
                f"(placebo rank {fmt.p_phrase(td['rank_p_value'])}; prediction-interval "
                f"{fmt.p_phrase(td['t_p_value'])}), an excess of {fmt.num(td['excess'])} logits over their mean "
                f"({cl} {fmt.interval(td['ci'])}).{few}")
    if td:
        return ("With a single control transition only a rank comparison is possible "
                f"(placebo rank {fmt.p_phrase(td['rank_p_value'])}); the industry trend is not controlled for.")
    return "No control transitions were given, so the industry-wide trend is not controlled for."


def _samples_phrase(doc: Doc) -> str:
    per_release = {(s.get("samples_before", s.get("samples", 1)), s.get("samples_after", s.get("samples", 1)))
                   for s in doc.get("suites") or []}
    samples = {s.get("samples", 1) for s in doc.get("suites") or []}
    before, after = doc.get("before"), doc.get("after")
    if len(per_release) == 1 and len(set(next(iter(per_release)))) == 2:
        k0, k1 = next(iter(per_release))
        return f"{k0:g} sample{'s' if k0 != 1 else ''} per item for {before} and {k1:g} for {after}"
    if len(per_release) > 1 and any(b != a for b, a in per_release):
        return "samples per item differ between the releases (see the suite table)"
    if samples != {1}:
        return f"{max(samples)} samples each"
    return "partial-credit scores as fractional successes"


def summary_for(doc: Doc) -> str:
    """The citable paragraph for a compare document: scope and group changes, the primary asymmetry and
    its translation into points, the verdict, generalisation, controls, flatness, then the caveat."""
    before, after = doc["before"], doc["after"]
    cl = ci_label(doc)
    groups = doc.get("groups") or {}
    tg, ug = groups.get("targeted") or {}, groups.get("untargeted") or {}
    n = len(tg.get("suites") or []) + len(ug.get("suites") or [])
    out = []
    counts = (all((s.get("samples_before", s.get("samples", 1)), s.get("samples_after", s.get("samples", 1))) == (1, 1)
                  for s in doc.get("suites") or [])
              and all(s.get("score_type", "binary") == "binary" for s in doc.get("suites") or []))
    if doc.get("mode") == "scores":
        out.append(f"From published scores only (unpaired; weaker evidence). {scope(doc)}, targeted accuracy went from "
                   f"{fmt.num(tg.get('before'), 1)}% ({before}) to {fmt.num(tg.get('after'), 1)}% ({after}) on average, "
                   f"and untargeted accuracy from {fmt.num(ug.get('before'), 1)}% to {fmt.num(ug.get('after'), 1)}%.")
    elif counts:
        out.append(f"{scope(doc)}, {_ratio_clause(tg, 'targeted', after, before, cl)}; "
                   f"{_ratio_clause(ug, 'untargeted', after, before, cl)}.")
    else:
        n_t = len(tg.get("suites") or [])
        avg = f"a geometric mean over the {n_t} targeted benchmarks; " if n_t > 1 else ""
        out.append(f"{scope(doc)}, {after}'s odds of solving a targeted item {odds_change(tg.get('gain_ratio'))} "
                   f"relative to {before} ({cl} {fmt.interval(tg.get('gain_ratio_ci'), 2)}; {avg}Mantel-Haenszel over "
                   f"items, {_samples_phrase(doc)}), and on untargeted items they "
                   f"{odds_change(ug.get('gain_ratio'))} ({fmt.interval(ug.get('gain_ratio_ci'), 2)}).")
    out.append(primary_clause(doc))
    p = primary(doc)
    if fmt.is_num(p.get("pp_at_50")):
        out.append(f"For a benchmark starting at 50%, that is {pp_difference(p.get('pp_at_50'))}.")
    out.append(verdict_sentence(doc))
    lat = _get(doc, "asymmetry", "latent") or {}
    if doc.get("mode") != "scores" and fmt.is_num(lat.get("estimate")) and _get(doc, "asymmetry", "primary"):
        out.append(f"(On these items the Mantel-Haenszel log-odds difference is {fmt.num(lat.get('estimate'))} logits, "
                   f"{cl} {fmt.interval(lat.get('ci'))}; it is pulled by the suites' starting levels when items differ "
                   "in how much they gain, so it is not the basis of the verdict.)")
    out.append(_generalisation_sentence(doc, n, cl))
    out.append(_controls_sentence(doc, cl))
    flat_text = flatness_sentence(doc)
    if flat_text:
        out.append(flat_text)
    out.append(caveat_for(doc))
    return " ".join(out)


# ------------------------------------------------------------------------------------------------ report


def group_pp(doc: Doc, category: str) -> tuple[float | None, list[float | None]]:
    """Equal-weight mean of the category's per-suite pp changes, with an interval at the document's level
    that treats suites as independent and reads each suite's standard error off its own interval."""
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


def sentence_changes(doc: Doc) -> str:
    """Headline sentence 1: what changed, per group, in percentage points; suites left out are named."""
    n_t, n_u = len(layer_suites_of(doc, "targeted")), len(layer_suites_of(doc, "untargeted"))
    t_mean, t_ci = group_pp(doc, "targeted")
    u_mean, u_ci = group_pp(doc, "untargeted")
    cl = ci_label(doc)
    t_what, u_what = (group_words(doc, c).replace(" benchmarks", "").replace(" and ", ", ").replace("-", " ")
                      for c in ("targeted", "untargeted"))
    targeted = (f"average accuracy changed by {fmt.pp(t_mean)} ({cl} {fmt.interval(t_ci, 1, signed_=True)} pp) "
                f"on the {_plural(n_t, 'targeted benchmark')} ({t_what})")
    if flat(doc):
        margin = _get(doc, "flatness", "margin_pp")
        untargeted = (f"stayed flat on the {_plural(n_u, 'untargeted benchmark')} ({u_what}): "
                      f"the {percent(flat_level(doc))} interval of the mean change, "
                      f"{fmt.interval(_get(doc, 'flatness', 'ci90'), 1)} pp, lies inside the ±{fmt.num(margin, 1)} pp "
                      "equivalence margin")
    else:
        untargeted = (f"by {fmt.pp(u_mean)} ({cl} {fmt.interval(u_ci, 1, signed_=True)} pp) on the "
                      f"{_plural(n_u, 'untargeted benchmark')} ({u_what})")
    left_out = excluded_suites(doc)
    note = ""
    if left_out:
        note = "; left out: " + ", ".join(f"{s} ({_exclusion_reason(doc, s)})" for s in left_out)
    return f"From {doc.get('before')} to {doc.get('after')}, {targeted}, and {untargeted}{note}."


def _primary_clause_short(doc: Doc) -> str:
    p = primary(doc)
    est, ci = p.get("estimate"), p.get("ci")
    if not fmt.is_num(est):
        return "the primary asymmetry could not be estimated"
    direction = "exceeded" if est > 0 else "fell short of" if est < 0 else "matched"
    over = ", spanning every assumed spread of item gains" if p.get("sigma_grid") else ""
    if p.get("spread_grid"):
        over = ", spanning every assumed spread of item gains and of item difficulty"
    clause = (f"on the {SCALE_CLAUSE[doc.get('mode') == 'scores']}, targeted gains {direction} untargeted gains by "
              f"{fmt.num(abs(est))} logits ({ci_label(doc)} {fmt.interval(ci)} for targeted minus untargeted{over})")
    if fmt.is_num(p.get("pp_at_50")):
        clause += f", {pp_difference(p.get('pp_at_50'))} for a benchmark starting at 50%"
    return clause


def controls_clause(doc: Doc) -> str:
    """How the asymmetry compares with other developers' transitions ('' when no controls)."""
    td = doc.get("triple_difference")
    if not isinstance(td, Mapping) or not td.get("controls"):
        return ""
    n = len(td["controls"])
    _, larger, _ = controls_rank(doc)
    rank = rank_words(larger, n, "that transition's" if n == 1 else "theirs")
    if not fmt.is_num(td.get("excess")):
        return (f"against {_plural(n, 'release transition')} by another developer only a rank comparison is "
                f"possible: this asymmetry was {rank} (placebo rank {fmt.p_phrase(td.get('rank_p_value'))}), so the "
                "industry-wide trend is not controlled for")
    few = f", descriptive only with fewer than {MIN_CONTROLS_T} transitions" if n < MIN_CONTROLS_T else ""
    return (f"compared with {_plural(n, 'release transition')} by other developers, this asymmetry was {rank} "
            f"(placebo rank {fmt.p_phrase(td.get('rank_p_value'))}; prediction-interval "
            f"{fmt.p_phrase(td.get('t_p_value'))}; excess over their mean {fmt.signed(td.get('excess'))} logits, "
            f"{ci_label(doc)} {fmt.interval(td.get('ci'))}{few})")


_LEADS = {
    "targeted_larger": "That pattern is consistent with gains concentrated in the targeted capabilities on these "
                       "benchmarks",
    "untargeted_larger": "Gains were concentrated in the untargeted capabilities instead, the opposite of the "
                         "targeted pattern",
    "no_difference_shown": "These data do not show gains concentrated in the targeted capabilities, nor rule out a "
                           "difference of this size",
    "fragile": "These data do not establish gains concentrated in the targeted capabilities, as the finding is fragile",
    "not_testable": "The asymmetry could not be tested with these data",
}


def sentence_test(doc: Doc) -> str:
    """Headline sentence 2: the primary asymmetry and the verdict, whichever way it points."""
    v = verdict(doc)
    text = f"{_LEADS.get(v, _LEADS['not_testable'])}: {_primary_clause_short(doc)}"
    if v == "fragile":
        reasons = [str(r) for r in primary(doc).get("verdict_reasons") or []]
        if reasons:
            text += f" ({'; '.join(reasons)})"
    est = primary(doc).get("estimate")
    if v in ("no_difference_shown", "fragile") and fmt.is_num(est) and est < 0:
        text += "; the data lean the other way (untargeted gains larger), though not decisively"
    ctrl = controls_clause(doc)
    if ctrl:
        text += f"; {ctrl}"
    return text + "."


def sentence_caveat(doc: Doc) -> str:
    """Headline sentence 3: what the result cannot tell."""
    return citation_closing(doc)  # by verdict: a null or opposite result is not 'consistent with distillation'


def headline(doc: Doc) -> list[str]:
    """The three plain sentences of the headline."""
    return [sentence_changes(doc), sentence_test(doc), sentence_caveat(doc)]


ONE_LINE = {"targeted_larger": "consistent with gains concentrated in targeted capabilities",
            "untargeted_larger": "gains concentrated in untargeted capabilities (the opposite pattern)",
            "no_difference_shown": "no disproportionate targeted gain shown (interval includes 0)",
            "fragile": "fragile: no disproportionate gain claimed",
            "not_testable": "asymmetry not testable"}


def one_line(doc: Doc) -> str:
    """The shortest faithful summary (console output, page subtitle)."""
    p = primary(doc)
    return (f"{doc.get('before')} -> {doc.get('after')}: primary asymmetry {fmt.signed(p.get('estimate'))} logits "
            f"({ci_label(doc)} {fmt.interval(p.get('ci'))}): {ONE_LINE.get(verdict(doc), ONE_LINE['not_testable'])}.")


def shows(doc: Doc) -> list[str]:
    """What the result does show (bullets)."""
    out = [f"How the {len(suites_of(doc, 'targeted'))} targeted and {len(suites_of(doc, 'untargeted'))} untargeted "
           f"benchmarks compared between {doc.get('before')} and {doc.get('after')}, with "
           f"{percent(level(doc))} intervals on each scale."]
    v = verdict(doc)
    if v == "targeted_larger":
        out.append(f"A targeted-minus-untargeted gain whose {percent(level(doc))} interval excludes zero on the "
                   "primary (latent) scale, on these benchmarks, surviving each suite left out in turn.")
    elif v == "untargeted_larger":
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
    v = verdict(doc)
    if v == "no_difference_shown":
        out.append("That the gains were even: an interval that includes zero is not evidence of equal gains.")
    if v == "fragile":
        out.append("A robust asymmetry: the interval excluded zero only under some of the pre-registered checks.")
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
    """The citable paragraph: compare's own `summary`, so the report and `asymmetry compare` never cite
    different words (it already ends with the caveat)."""
    return str(doc.get("summary") or "")


def preregistered(doc: Doc) -> bool:
    plan = _get(doc, "diagnostics", "plan")
    return isinstance(plan, Mapping) and bool(plan.get("used"))


def preregistration(doc: Doc) -> str:
    """The pre-registration status, plainly."""
    plan = _get(doc, "diagnostics", "plan")
    if not preregistered(doc) or not isinstance(plan, Mapping):
        reason = (" The published scores compared here were chosen, run and reported by the vendors."
                  if doc.get("mode") == "scores" else "")
        return ("Not pre-registered: the suites, scale, margins and controls were not frozen in a plan before the "
                "data were seen, so p-values are descriptive rather than confirmatory (see the methods document)."
                + reason)
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
    text += (" Deviations from the plan: " + "; ".join(map(str, deviations)) + ".") if deviations else \
        " No deviations from the plan."
    return text


def integrity_note(doc: Doc) -> str:
    """'' unless inputs failed a check and were compared anyway (--force): then it leads the report."""
    problems = _get(doc, "diagnostics", "integrity") or []
    if not problems:
        return ""
    return ("Compared anyway (--force) although " + str(len(problems)) + " input"
            + (" was" if len(problems) == 1 else "s were") + " not as recorded: "
            + "; ".join(str(p.get("problem")) for p in problems) + ".")


def guard_lines(doc: Doc) -> list[str]:
    """Every named guard warning, 'name: message' (for the terminal and the report)."""
    return [f"{g.get('name')}: {g.get('message')}" for g in _get(doc, "diagnostics", "guards") or []]


def check_wording(text: str) -> list[str]:
    """Phrases a report must never print; used by tests and as a last guard before writing."""
    low = text.lower()
    return [w for w in FORBIDDEN if w in low]


def join_nonempty(parts: Sequence[str], sep: str = "; ") -> str:
    """Join the non-empty parts (never "(; p = 0.42)" from an empty first part)."""
    return sep.join(p for p in parts if p)


# ------------------------------------------------------------------------------------------------ newsroom
# The one plain sentence a reader sees first, the badge beside it and the short citable paragraph: the same
# verdict and primary asymmetry as the sentences above, in fewer words. Logits, ranks and method names stay in
# the sentences below them.

HEADLINE_MAX_WORDS = 35
CITATION_MAX_WORDS = 119
#: A capability as a reader says it ("knowledge benchmarks"; labels drop any hyphen). "factual" holds factual
#: recall (SimpleQA, TriviaQA) and expert-level knowledge and reasoning questions (GPQA, HLE, MMLU-Pro):
#: "knowledge" is true of both, "factual recall" only of the first.
CAPABILITY_WORDS = {"coding": "coding", "agentic": "agentic", "math": "maths", "factual": "knowledge"}
GROUP_CAPABILITIES = {"targeted": ("coding", "agentic"), "untargeted": ("math", "factual")}

BADGE = {"targeted_larger": "Targeted gains were larger", "untargeted_larger": "Untargeted gains were larger",
         "no_difference_shown": "No clear difference", "fragile": "Fragile", "not_testable": "Not testable"}


def held_capabilities(category: str, capabilities: Sequence[str | None]) -> tuple[list[str], bool]:
    """The capabilities a group's benchmarks really measure, in the group's order, and whether that is all
    the group stands for. Unknown when any benchmark does not say: then the whole group."""
    caps = set(capabilities)
    known = [c for c in GROUP_CAPABILITIES[category] if c in caps]
    if not known or None in caps or "" in caps:
        return list(GROUP_CAPABILITIES[category]), True
    return known, len(known) == len(GROUP_CAPABILITIES[category])


def group_words(doc: Doc, category: str) -> str:
    """'coding and agentic benchmarks', or only the capabilities the group's benchmarks really measure
    ('knowledge benchmarks' when a table reports no maths); the group's name when unknown."""
    known, _ = held_capabilities(category, [s.get("capability") for s in layer_suites_of(doc, category)])
    return " and ".join(CAPABILITY_WORDS[c] for c in known) + " benchmarks"


def group_label(category: str, capabilities: Sequence[str | None]) -> str:
    """A chart's group label: 'Targeted: coding, agentic', or 'Untargeted: knowledge only'."""
    known, whole = held_capabilities(category, capabilities)
    words = ", ".join(CAPABILITY_WORDS[c].replace("-", " ") for c in known)
    return f"{category.capitalize()}: {words}{'' if whole else ' only'}"


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


def _fragile_reason(doc: Doc, *, short: bool = False) -> str:
    """What makes a fragile verdict fragile, in a clause a headline can carry ('dropping HLE removes it');
    `short` for a headline with no room to name the benchmarks."""
    reasons = [str(r) for r in primary(doc).get("verdict_reasons") or []]
    if any(r.startswith("the groups started at different levels") for r in reasons):  # a bias: said first
        return "the two groups started at different levels" if short else \
            f"the two groups started at different levels ({_starting_levels(doc)}), where the starting level alone " \
            "could explain the difference"
    suites = [r.split("leaving out suite ", 1)[1] for r in reasons if "leaving out suite " in r]
    if suites and short:
        return f"dropping {'one benchmark' if len(suites) == 1 else 'single benchmarks'} removes it"
    if suites:
        if len(suites) <= 3:
            named = suites[0] if len(suites) == 1 else ", ".join(suites[:-1]) + " or " + suites[-1]
            return f"dropping {named} removes it"
        return f"dropping any one of {len(suites)} benchmarks removes it"
    if any("spread of item gains" in r for r in reasons):
        return "it holds only under some assumptions" if short else \
            ("it depends on assumptions about how unevenly questions improved and how unevenly hard they are"
             if doc.get("mode") == "scores" else "it depends on an assumption about how unevenly questions improved")
    if any("sparse" in r for r in reasons):
        return "it rests on benchmarks where few questions changed"
    return "it does not survive the checks"


def _starting_levels(doc: Doc) -> str:
    """'targeted 40 to 52%, untargeted 60 to 70%': the starting levels of the suites in the primary, by group,
    with a decimal when whole percentages would hide the difference."""
    names = {str(s.get("suite")) for s in primary(doc).get("suites") or [] if isinstance(s, Mapping)}
    levels: dict[str, list[float]] = {"targeted": [], "untargeted": []}
    for s in doc.get("suites") or []:
        if isinstance(s, Mapping) and str(s.get("suite")) in names and fmt.is_num(s.get("before")):
            levels.setdefault(str(s.get("category")), []).append(float(s["before"]))
    ends = [(min(v), max(v)) for v in (levels["targeted"], levels["untargeted"]) if v]
    if len(ends) < 2:
        return "see the suite table"
    flat = [x for pair in ends for x in pair]
    digits = 0 if len({f"{x:.0f}" for x in flat}) == len(set(flat)) else 1
    said = [f"{lo:.{digits}f}%" if f"{lo:.{digits}f}" == f"{hi:.{digits}f}" else f"{lo:.{digits}f} to {hi:.{digits}f}%"
            for lo, hi in ends]
    return f"targeted {said[0]}, untargeted {said[1]}"


def _clear_side(doc: Doc) -> str:
    """'targeted' or 'untargeted' when the primary interval lies on one side of 0, else ''."""
    lo, hi = (primary(doc).get("ci") or [None, None])[:2]
    if fmt.is_num(lo) and lo > 0:
        return "targeted"
    if fmt.is_num(hi) and hi < 0:
        return "untargeted"
    return ""


def headline_sentence(doc: Doc) -> str:
    """The headline: one plain sentence of at most HEADLINE_MAX_WORDS words answering the question, with one
    number (percentage points at a 50% start) and its interval, saying what the verdict says: which side
    gained more when the verdict says so; "but fragile" and what makes it so; which way the data lean when no
    difference is shown. Longer phrasings are tried first; the capabilities give way to the groups' names when
    a long release name leaves no room."""
    v = verdict(doc)
    after = doc.get("after")
    t_words, u_words = group_words(doc, "targeted"), group_words(doc, "untargeted")
    pts, (lo, hi) = points_at_50(doc)
    cl = ci_label(doc)
    if v == "not_testable" or not fmt.is_num(pts):
        reasons = [str(r) for r in primary(doc).get("verdict_reasons") or []]
        why = reasons[0] if reasons else "a group has no benchmark that passed the checks"
        text = f"These benchmarks cannot test whether {after} gained more on {t_words} than on {u_words}: {why}."
        return text if len(text.split()) <= HEADLINE_MAX_WORDS else \
            f"These benchmarks cannot test whether {after} gained more on {t_words} than on {u_words}."
    toward_targeted = pts >= 0
    size = round(abs(pts))
    ends = (lo, hi) if toward_targeted else ((-hi if fmt.is_num(hi) else None), (-lo if fmt.is_num(lo) else None))
    interval = f"({cl} {fmt.interval(ends, 0)})"
    points = "point" if size == 1 else "points"
    units = (f"percentage {points} more on a benchmark starting at 50%", f"{points} more on a benchmark starting at 50%",
             f"{points} more at a 50% start")
    numbers = [f"about {size} {unit} {interval}" if size else f"under one {unit.replace('points', 'point')} {interval}"
               for unit in units]  # never "about 0 points more"
    clear = _clear_side(doc) == ("targeted" if toward_targeted else "untargeted")
    options: list[str] = []
    for t_all, u_all in ((t_words, u_words), ("targeted benchmarks", "untargeted benchmarks")):
        t_one, u_one = t_all.replace(" benchmarks", " ones"), u_all.replace(" benchmarks", " ones")
        more, less = (t_all, u_one) if toward_targeted else (u_all, t_one)
        if v in ("targeted_larger", "untargeted_larger"):
            options += [f"{after} gained more on {more} than on {less}: {n}." for n in numbers]
        elif v == "fragile":  # what makes it fragile is worth more than the longer unit
            # "gained more" only when the interval itself excludes zero (fragile under leave-one-out); when it
            # depends on the assumed spread, the interval over the grid includes zero: the gains "leaned"
            lead = f"{after} gained more on {more} than on {less}" if clear else \
                f"{after}'s gains leaned towards {more} over {less}"
            why = _fragile_reason(doc)
            options += [f"{lead}, {n}, but the finding is fragile: {why}." for n in numbers]
            options += [f"{lead}, {n}, but fragile: {why}." for n in numbers]
            options += [f"{lead}, {n}, but fragile: {_fragile_reason(doc, short=True)}." for n in numbers]
        elif size == 0:
            options.append(f"No clear difference between {after}'s gains on {t_all} and on {u_all}: under one "
                           f"point at a 50% start ({cl} {fmt.interval((lo, hi), 0)}).")
        else:  # no difference shown: still say which way the data lean, with the interval that includes zero
            options += [f"No clear difference for {after}: gains on {more} were larger than on {less} by "
                        f"{n.replace(' more', '')}." for n in numbers]
    return next((o for o in options if len(o.split()) <= HEADLINE_MAX_WORDS), options[-1])


def badge(doc: Doc) -> str:
    """What the data show, in two to six words: the verdict, and the direction the data lean without one."""
    v = verdict(doc)
    est = primary(doc).get("estimate")
    side = "targeted" if fmt.is_num(est) and est > 0 else "untargeted" if fmt.is_num(est) and est < 0 else ""
    if v == "no_difference_shown" and side:
        return f"No clear difference, leaning {side}"
    if v == "fragile" and side:
        return f"{side.capitalize()} gains larger, but fragile" if _clear_side(doc) == side else \
            f"Fragile, leaning {side}"
    return BADGE.get(v, BADGE["not_testable"])


#: Named guards (diagnostics.guards) by how much they threaten what a reader may cite, the most serious
#: first: inputs not as recorded, then a comparison forced past a sampling rule, scores that may be misread,
#: the verdict's own checks, and last the warnings about thin data. Unknown names follow the known ones.
GUARD_ORDER = ("journal_integrity", "unequal_samples", "score_fractions", "control_shares_model", "plan_after_runs",
               "fragile", "error_rates", "plan_deviation", "sparse_suite", "few_clusters", "nonconverged",
               "small_suite", "partial_credit", "one_sample")


def _names(values: Sequence[str]) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _guard_plain(doc: Doc, name: str, message: str) -> str:
    """One guard in one plain sentence: what it means for what may be cited (the technical message stays
    under Diagnostics and in the JSON)."""
    scores = doc.get("mode") == "scores"
    sparse = list(primary(doc).get("sparse_suites") or [])
    if name == "unequal_samples":
        return ("The two releases answered each question a different number of times; compared anyway (--force), "
                "question by question.")
    if name == "score_fractions":
        return ("Some scores look like fractions (0.87) beside percentages (87) and were compared as percentages "
                "below 1% (--force): check the table before citing.")
    if name == "fragile":
        return f"The result is fragile: {_fragile_reason(doc)}, so no disproportionate gain is claimed."
    if name == "error_rates":
        flagged = [str(r.get("suite")) for r in _get(doc, "diagnostics", "error_rates") or []
                   if isinstance(r, Mapping) and r.get("flagged")]
        where = f" on {_names(flagged)}" if flagged else ""
        return (f"The two releases failed to answer (timeouts, refusals, unreadable answers) at different rates{where}; "
                "an error is not a wrong answer, so how errors are counted can move the result.")
    if name == "control_shares_model":
        return ("A control transition starts from the same model as the one under test, so it is not an independent "
                "yardstick: the comparison with other developers' steps is weaker than it looks.")
    if name == "plan_after_runs":
        return ("The pre-registration plan was written after the runs started, so the benchmarks and their groups may "
                "have been chosen after the results were known.")
    if name == "plan_deviation":
        n = sum(1 for g in _get(doc, "diagnostics", "guards") or [] if isinstance(g, Mapping)
                and g.get("name") == "plan_deviation")
        return (f"The analysis departs from its pre-registration plan in {'one way' if n <= 1 else f'{n} ways'} "
                "(listed under Diagnostics).")
    if name == "sparse_suite":
        if not sparse:
            return "Some benchmarks carry little information; the verdict was also checked without them."
        many = len(sparse) > 1
        if scores:
            return (f"{_names(sparse)} {'start' if many else 'starts'} at 0% or 100%, where a published score says "
                    "little about gains; the verdict was also checked without "
                    f"{'them' if many else 'it'}.")
        return (f"On {_names(sparse)}, fewer than {EXACT_BELOW} questions changed answer one way or the other; the "
                f"verdict was also checked without {'them' if many else 'it'}.")
    if name == "few_clusters":
        return (f"Some benchmarks have fewer than {MIN_CLUSTERS} groups of related questions, so their intervals "
                "may be too narrow and no verdict is given in either direction.")
    if name == "nonconverged":
        return ("On some benchmarks the model behind the estimate did not settle, so their gains may be off; the "
                "verdict was also checked without them.")
    if name == "small_suite":
        return f"A benchmark with fewer than {MIN_SUITE_ITEMS} questions was left out."
    if name == "one_sample":
        smax = fmt.num(primary(doc).get("sigma_max", 2.0), 1)
        return ("Each question was asked once per release, so how unevenly questions improved is unknown; the "
                f"verdict had to hold for every assumed spread (0 to {smax} logits).")
    return message


def guard_plain(doc: Doc) -> list[tuple[str, str]]:
    """(name, one plain line) for every named guard and every input compared although not as recorded, the
    most serious first (GUARD_ORDER): what the report's first screen says before anyone cites it."""
    guards = [g for g in _get(doc, "diagnostics", "guards") or [] if isinstance(g, Mapping)]
    out: list[tuple[str, str]] = []
    problems = [p for p in _get(doc, "diagnostics", "integrity") or [] if isinstance(p, Mapping)]
    for p in problems:  # one line per run, named by its folder
        where = str(p.get("path") or "an input").rstrip("/").rsplit("/", 1)[-1]
        out.append(("journal_integrity", f"The saved answers of run {where} changed after the run recorded them; "
                                         "compared anyway (--force), so these numbers may rest on edited answers."))
    seen = set()
    for g in guards:
        name, message = str(g.get("name") or ""), str(g.get("message") or "")
        if (name == "journal_integrity" and problems) or name in seen:
            continue  # one line per guard (a guard named twice is said once); runs named above
        seen.add(name)
        out.append((name, _guard_plain(doc, name, message)))
    rank = {n: i for i, n in enumerate(GUARD_ORDER)}
    return sorted(out, key=lambda kv: rank.get(kv[0], len(GUARD_ORDER)))


def _scope_short(doc: Doc) -> str:
    groups = doc.get("groups") or {}
    t = list((groups.get("targeted") or {}).get("suites") or [])
    u = list((groups.get("untargeted") or {}).get("suites") or [])
    what = "published scores" if doc.get("mode") == "scores" else "item-level runs"
    return f"On {len(t)} targeted and {len(u)} untargeted benchmarks ({what})"


def rank_words(larger: int, n: int, theirs: str = "theirs") -> str:
    """How one asymmetry ranks among `n` others, in plain English for every count: 'larger than all 6 of
    theirs', 'larger than both of theirs', 'not larger than any of their 6', 'larger than 2 of their 6', and
    for one other 'larger than theirs' / 'not larger than theirs' (never 'larger than 0 of 6' or 'all 1').
    `theirs`: the possessive that stands for the others' asymmetries ('theirs', 'those steps'')."""
    their = "their" if theirs == "theirs" else theirs
    if n == 1:
        return f"{'larger' if larger else 'not larger'} than {theirs}"
    if larger >= n:
        return f"larger than both of {theirs}" if n == 2 else f"larger than all {n} of {theirs}"
    if larger == 0:
        return f"larger than neither of {theirs}" if n == 2 else f"not larger than any of {their} {n}"
    return f"larger than {larger} of {their} {n}"


#: The closing sentence of the short citation, by verdict: what the pattern does and does not support,
#: never more than the verdict says (a null or an opposite result is not 'consistent with distillation').
CITATION_CLOSING = {
    "targeted_larger": "Such a pattern is consistent with targeted distillation but equally with coding-focused "
                       "training, synthetic data or contamination; it does not identify the source.",
    "untargeted_larger": "The untargeted benchmarks gained more: the opposite of the pattern targeted distillation "
                         "would leave; this does not rule distillation out.",
    "no_difference_shown": "No disproportionate gain on the targeted benchmarks is shown, so these benchmarks give no "
                           "support to targeted distillation; they do not rule out a difference either.",
    "fragile": "A lean the checks do not confirm is not evidence of targeted distillation; even a confirmed one "
               "would be consistent equally with coding-focused training, synthetic data or contamination.",
    "not_testable": "These benchmarks say nothing either way about targeted distillation.",
}


def citation_closing(doc: Doc) -> str:
    """The citation's closing sentence for the document's verdict, saying so when the data lean towards the
    untargeted benchmarks (the opposite of the pattern distillation of coding and agentic skills would leave)."""
    v = verdict(doc)
    pts, _ = points_at_50(doc)  # the headline's number: a lean it calls "under one point" is no lean
    if v in ("no_difference_shown", "fragile") and fmt.is_num(pts) and round(pts) <= -1:
        how = "not clearly" if v == "no_difference_shown" else "not robustly"
        return (f"The data lean, {how}, towards the untargeted benchmarks: the opposite of the pattern targeted "
                "distillation would leave, so they give it no support.")
    return CITATION_CLOSING.get(v, CITATION_CLOSING["not_testable"])


def citation_short(doc: Doc, methods_ref: str = "") -> str:
    """The short citable paragraph (under CITATION_MAX_WORDS words): the headline, its scope, the comparison
    with other developers when there is one, and a closing sentence that follows the verdict, in the report's
    wording rules."""
    parts = [headline_sentence(doc), f"{_scope_short(doc)}, {doc.get('before')} to {doc.get('after')}."]
    suspect, larger, n = controls_rank(doc)
    if suspect is not None and n:
        few = f" (descriptive: fewer than {MIN_CONTROLS_T})" if n < MIN_CONTROLS_T else ""
        steps = "another developer's step" if n == 1 else "other developers' steps"
        parts.append(f"Its asymmetry on the benchmarks it shares with {steps} of the period was "
                     f"{rank_words(larger, n)}{few}.")
    parts.append(citation_closing(doc))
    if methods_ref:
        parts.append(f"Method: {methods_ref}.")
    text = " ".join(parts)
    if len(text.split()) > CITATION_MAX_WORDS:  # never longer: drop the scope line first
        text = " ".join(p for p in parts if not p.startswith("On "))
    return text


def method_line(doc: Doc) -> str:
    """The full method line behind the citation: estimator, interval, the verdict rule the document really
    used (the leave-one-out and σ-grid checks exist only with `asymmetry.primary`), evidence, version."""
    p = primary(doc)
    has_primary = bool(_get(doc, "asymmetry", "primary"))
    checks = "each benchmark left out in turn"
    if p.get("sigma_grid"):
        checks += f" and every assumed spread of item gains, σ from 0 to {fmt.num(p.get('sigma_max', 2.0), 1)} logits"
    if p.get("spread_grid"):
        checks += " and of item difficulty"
    rule = (f"an interval excluding 0 must hold with {checks}, and the groups' starting levels must overlap"
            if has_primary else "read off whether this interval excludes 0")
    evidence = ("published scores, unpaired binomial intervals over documented item counts"
                if doc.get("mode") == "scores" else "item-level runs" + (", items as the unit" if has_primary else ""))
    return (f"{p.get('method') or 'primary asymmetry'}; {ci_label(doc)} {fmt.interval(p.get('ci'))} logits, "
            f"two-sided {fmt.p_phrase(p.get('p_value'))}; verdict {verdict(doc)} ({rule}); {evidence}; "
            f"asymmetry {doc.get('harness_version', '')}, compare schema {doc.get('schema', '')}.")


# ------------------------------------------------------------------------------------------------ sources
# The one-line source printed on every chart: the original sources (the vendor's table, the evaluator),
# never a file or a hash.


def _who(evaluator: str) -> str:
    return "vendor-reported" if "vendor" in evaluator else evaluator.split(" (")[-1].rstrip(")") or evaluator


def source_line(doc: Doc, sources: Sequence[Mapping[str, Any]] | None = None,
                models: Sequence[str] | None = None) -> str:
    """A chart's source line: the original sources (the vendor's table, the evaluator) when the score rows
    name them, else their web sites, else what the figures are; never a file or a hash. `models` keeps only
    those releases' sources (a chart of the suspect alone cites its table alone)."""
    sources = list(sources if sources is not None else _get(doc, "diagnostics", "sources") or [])
    if models is not None:
        sources = [r for r in sources if r.get("model") in models]
    names: list[str] = []
    for row in sources:
        name, who = str(row.get("source_name") or "").strip(), str(row.get("evaluator") or "").strip()
        if name:
            names.append(f"{name} ({_who(who)})" if who else name)
    if not names:
        for row in sources:
            m = re.match(r"https?://(?:www\.)?([^/\s]+)", str(row.get("source") or ""))
            if m:
                names.append(m.group(1))
    names = list(dict.fromkeys(names))
    version = f"Chart: asymmetry {doc.get('harness_version', '')}."
    if names:
        what = "; ".join(names[:6]) + (f"; and {len(names) - 6} more" if len(names) > 6 else "")
        return f"Source: {what}. {version}"
    if doc.get("mode") == "scores":
        return (f"Source: published scores of {doc.get('before')} and {doc.get('after')} (vendor-reported, "
                f"score-level). {version}")
    return (f"Source: item-level runs of {doc.get('before')} and {doc.get('after')} by asymmetry, every answer "
            f"scored and kept. {version}")


def timeline_source_line(doc: Doc, case: Any) -> str:
    """The timeline's source line: whose tables the steps come from (vendors, independent evaluators)."""
    who = list(dict.fromkeys(str(s.evaluator) for s in case.steps if getattr(s, "evaluator", "")))
    vendors = [w.replace(" (vendor-reported)", "") for w in who if "vendor" in w]
    others = [w.replace(" (", ", ").rstrip(")") for w in who if "vendor" not in w]
    parts = []
    if vendors:
        parts.append("the launch tables of " + ", ".join(vendors) + " (vendor-reported)")
    parts += others
    what = "; ".join(parts) or "published scores"
    return f"Source: published scores from {what}. Chart: asymmetry {doc.get('harness_version', '')}."


# ------------------------------------------------------------------------------------------------ chart titles
# Every chart is titled by its finding, in the same words and on the same estimates as the sentences above.


def _moved(x: float | None) -> str:
    if not fmt.is_num(x):
        return "could not be measured"
    if abs(x) < 0.05:
        return "did not change"
    return f"{'rose' if x > 0 else 'fell'} {abs(x):.1f} points"


def slopes_title(doc: Doc) -> str:
    """'new: targeted benchmarks rose 15.8 points on average, untargeted ones rose 1.2'."""
    t_mean, _ = group_pp(doc, "targeted")
    u_mean, _ = group_pp(doc, "untargeted")
    return (f"{doc.get('after')}: targeted benchmarks {_moved(t_mean)} on average, untargeted ones "
            f"{_moved(u_mean).replace(' points', '')}")


def forest_title(doc: Doc) -> str:
    groups = doc.get("groups") or {}
    t, u = (groups.get(c, {}).get("latent") for c in ("targeted", "untargeted"))
    if fmt.is_num(t) and fmt.is_num(u):
        return f"On the log-odds scale, targeted benchmarks gained {fmt.signed(t)} logits on average and untargeted ones {fmt.signed(u)}"
    return "Each benchmark's gain on the log-odds scale"


def asymmetry_title(doc: Doc) -> str:
    """The finding of the asymmetry chart: which side gained more, by how much, with its interval, and
    whether the verdict stands."""
    est = primary(doc)
    x, ci = est.get("estimate"), fmt.interval(est.get("ci"))
    if not fmt.is_num(x):
        return "The difference between targeted and untargeted gains could not be estimated"
    v = verdict(doc)
    side, other = ("Targeted", "untargeted") if x >= 0 else ("Untargeted", "targeted")
    size = f"{fmt.num(abs(x))} logits ({ci_label(doc)} {ci})"
    if v in ("targeted_larger", "untargeted_larger"):
        return f"{side} gains exceeded {other} gains by {size}"
    if v == "fragile":
        return f"{side} gains looked larger by {size}, but the finding is fragile"
    if v == "not_testable":
        return f"Not testable with these benchmarks: {fmt.signed(x)} logits ({ci_label(doc)} {ci})"
    return f"No clear difference between targeted and untargeted gains: {fmt.signed(x)} logits ({ci_label(doc)} {ci})"


def controls_rank(doc: Doc) -> tuple[float | None, int, int]:
    """(this step's asymmetry on the shared benchmarks, how many controls it exceeds, how many controls
    have an asymmetry): the one count behind every 'larger than N of M' the report prints."""
    td = doc.get("triple_difference")
    if not isinstance(td, Mapping) or not td.get("controls"):
        return None, 0, 0
    suspect = td.get("suspect_asymmetry")
    if not fmt.is_num(suspect):
        suspect = _get(doc, "asymmetry", "latent", "estimate")
    values = [c.get("asymmetry") for c in td["controls"] if fmt.is_num(c.get("asymmetry"))]
    larger = sum(1 for v in values if fmt.is_num(suspect) and suspect > v)
    return (suspect if fmt.is_num(suspect) else None), larger, len(values)


def controls_title(doc: Doc) -> str:
    suspect, larger, n = controls_rank(doc)
    if suspect is None:
        return "Other developers' steps on the same benchmarks"
    if n == 1:
        rank = f"{'larger' if larger else 'not larger'} than another developer's step"
    elif larger >= n:
        rank = f"larger than {'both' if n == 2 else f'all {n}'} other developers' steps"
    elif larger == 0:
        rank = "larger than neither of the two" if n == 2 else f"not larger than any of {n}"
        rank += " other developers' steps"
    else:
        rank = f"larger than {larger} of {n} other developers' steps"
    return f"{doc.get('after')}'s asymmetry was {rank}, measured on the same benchmarks"


def power_title(doc: Doc) -> str:
    mde = _get(doc, "power", "mde_latent")
    if fmt.is_num(mde):
        return (f"This design's latent test detects an asymmetry of {fmt.num(mde)} logits or more 80% of the time "
                "(optimistic for the verdict's primary when items gain unevenly)")
    return "What this design could detect"


# ------------------------------------------------------------------------------------------------ timeline
# The words around one comparison (the demo's case): other steps of the period on a timeline, what a new
# table stopped reporting, and what may be said per capability. They read duck-typed steps (harness.report
# .timeline's Step, Churn and Case: attributes only) and describe separate tables side by side; they are not
# a test, and say so where the page shows them.

#: A capability with fewer benchmarks than this gets no statement of its own.
MIN_CAPABILITY_BENCHMARKS = 2
PHASES = ("before", "inside", "after")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _date(iso: str) -> str:
    year, month, *day = iso.split("-")
    return f"{int(day[0])} {_MONTHS[int(month) - 1]} {year}" if day else f"{_MONTHS[int(month) - 1]} {year}"


def window_phrase(case: Any) -> str:
    """'the window of 22 April to 5 June 2026'."""
    if not case.window:
        return ""
    start, end = (_date(d) for d in case.window)
    return f"the window of {start.rsplit(' ', 1)[0]} to {end}"


def _and(values: Sequence[str]) -> str:
    return " and ".join(values) if len(values) <= 2 else ", ".join(values[:-1]) + " and " + values[-1]


def churn_sentence(churn: Any) -> str:
    """What the new release's own table stopped reporting, said before anything else."""
    word = CAPABILITY_WORDS[churn.capability]
    return (f"{churn.release}'s own launch table reports no {word} benchmark at all; {churn.predecessor}'s own "
            f"launch table reported {churn.before}. So nothing here speaks to {word}, and no statement about it "
            "is made.")


def _phase_steps(case: Any, phase: str) -> list[Any]:
    return sorted((s for s in case.steps if s.kind == "qwen" and s.phase == phase and s.estimable),
                  key=lambda s: s.released)


def change_sentence(case: Any) -> str:
    """Did the pattern change after the window? From the family's own-table asymmetries, by release date."""
    before, inside, after = (_phase_steps(case, p) for p in PHASES)
    if not after or not (before or inside):
        return ""
    earlier = before + inside
    year = f"{case.window[0][:4]} " if case.window else ""
    if min(s.estimate for s in after) > max(s.estimate for s in earlier):
        finding = f"leaned further towards targeted gains than any earlier {year}step"
    elif max(s.estimate for s in after) < min(s.estimate for s in earlier):
        finding = f"leaned less towards targeted gains than every earlier {year}step"
    else:
        finding = f"fall within the range of the earlier {year}steps"
    parts = [f"after it, {_and([fmt.signed(s.estimate) for s in after])} logits"]
    if before:
        parts.append(f"before it, {_and([fmt.signed(s.estimate) for s in before])}")
    if inside:
        parts.append(f"inside it, {_and([fmt.signed(s.estimate) for s in inside])}")
    clear = [s for s in after if s.excludes_zero]
    if clear and not [s for s in earlier if s.excludes_zero]:
        tail = " Only the after-window steps have intervals that exclude zero."
    elif not clear:
        tail = " Every interval after the window includes zero."
    else:
        tail = ""
    dropped = sorted({CAPABILITY_WORDS[c] for s in after for c in CAPABILITY_WORDS
                      if not s.benchmarks.get(c) and any(e.benchmarks.get(c) for e in earlier)})
    if dropped:
        tail += (f" But the after-window tables report no {_and(dropped)} benchmarks, so they rest on fewer and "
                 "different benchmarks.")
    family = after[0].lab
    return (f"{family}'s steps after {window_phrase(case)} {finding}: {'; '.join(parts)} "
            f"(targeted minus untargeted gain, each on its own table).{tail}")


def unusual_sentence(case: Any) -> str:
    """Is the current step unusual for the period? Against other developers' steps on their own tables."""
    current = case.current_step()
    controls = [s for s in case.steps if s.kind == "control" and s.estimable]
    if current is None or not current.estimable:
        return ""
    if not controls:
        return "No other developer's step of the period could be measured, so whether this is unusual is unknown."
    values = sorted(s.estimate for s in controls)
    larger, n = sum(current.estimate > v for v in values), len(values)
    rank = f"smaller than all {n}" if larger == 0 and n > 2 else rank_words(larger, n, "theirs")
    chance = ""
    if larger in (0, n) and n + 1 < 20:  # an extreme rank among n is a 1-in-(n+1) event under no difference
        chance = (f" If none of these {n + 1} steps leaned unusually, any one of them would come out "
                  f"{'largest' if larger else 'smallest'} 1 time in {n + 1}, so this ranking alone is not evidence "
                  "that it is unusual.")
    return (f"Other developers' {n} measurable steps of the period leaned between {fmt.signed(values[0])} and "
            f"{fmt.signed(values[-1])} logits; {current.after}'s {fmt.signed(current.estimate)} is {rank}.{chance}")


def timeline_where(case: Any) -> str:
    """How the timeline places and measures its steps (the page adds the methods section)."""
    if not case.window:
        return ""
    return (f"Steps are placed by their newer release's date against {window_phrase(case)}; each is measured on "
            "its own table, so this describes, it does not test")


def period_phrase(case: Any) -> str:
    """'for 2026' when the case has a window in one year, else 'for the period'."""
    years = {str(d)[:4] for d in case.window or ()}
    return f"for {years.pop()}" if len(years) == 1 else "for the period"


def timeline_title(case: Any) -> str:
    """The timeline chart's title: the finding, in words."""
    current = case.current_step()
    others = [s for s in case.steps if s.estimable and not s.current and s.kind != "context"]
    if current is None or not current.estimable or not others:
        return "Each step's lean towards targeted gains, on its own table"
    if current.estimate > max(s.estimate for s in others):
        return f"{current.after} leaned furthest towards targeted gains of any step shown"
    if current.estimate < min(s.estimate for s in others):
        return f"{current.after} leaned least towards targeted gains of any step shown"
    return f"{current.after}'s lean towards targeted gains is within the range of the other steps"


def capability_statement(n_benchmarks: int, gains_pp: Sequence[float]) -> str:
    """What may be said about one capability: nothing below MIN_CAPABILITY_BENCHMARKS benchmarks."""
    if n_benchmarks == 0:
        return "not reported: no statement"
    if n_benchmarks < MIN_CAPABILITY_BENCHMARKS or not gains_pp:
        return f"only {_plural(n_benchmarks, 'benchmark')}: too few for a statement of its own"
    return f"mean change {fmt.pp(sum(gains_pp) / len(gains_pp))} (descriptive)"
