"""The citable sentence of STATISTICS.md §1.13, written from a compare document's numbers.

Rules kept here, in one place: every number with its interval, its scale and its method; "consistent
with", never "proves"; "flat" only after a passed TOST; percentage points never confused with relative
change; "on these benchmarks" unless generalisation (layer 2) was testable and significant; and the
caveat always attached.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from harness.stats.triple import MIN_CONTROLS_T

CAVEAT = ("Disproportionate gains are consistent with targeted distillation, but also with other targeted "
          "investments (coding-focused reinforcement learning, synthetic data, tool-use training) and with "
          "benchmark contamination. This analysis does not identify the source of the improvement.")


#: The scale caveat, by mode (§1.3): item-level data give the conditional (Mantel-Haenszel) log odds, which
#: a Rasch model makes ceiling-free; published accuracies give only marginal logits, which are not.
SCALE_NOTE = {
    False: "Percentage-point figures are ceiling-sensitive; the primary scale is the conditional log-odds (latent) "
           "scale, which under a one-parameter item model is not distorted by benchmarks that start near 0% or "
           "100%.",
    True: "Percentage-point figures are ceiling-sensitive. With published accuracies only marginal log-odds are "
          "available: less ceiling-sensitive than percentage points but not ceiling-free (they depend on the spread "
          "of item difficulties: the same latent shift of 0.8 logits is 0.57 logits at a 35% start and 0.67 at 90%), "
          "so the asymmetry on this scale is approximate.",
}


def _percent(x: float) -> str:
    """0.95 -> '95%', 0.975 -> '97.5%' (the level in force, never a hard-coded one)."""
    return f"{100 * x:.1f}".rstrip("0").rstrip(".") + "%"


def _p(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "p n/a"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def _num(x: float | None, digits: int = 2) -> str:
    if x is None or not math.isfinite(x):
        return "unbounded"
    return f"{x:.{digits}f}".replace("-", "−")


def _ci(ci: list[float | None] | None, digits: int = 2, unit: str = "") -> str:
    if not ci:
        return "n/a"
    return f"{_num(ci[0], digits)}{unit} to {_num(ci[1], digits)}{unit}"


def _names(suites: list[str]) -> str:
    return ", ".join(suites)


def caveat_for(doc: dict[str, Any]) -> str:
    """The caveat that travels with every summary (mode-specific additions first)."""
    parts = []
    if doc.get("mode") == "scores":
        parts.append("These figures come from published scores: the releases are not paired item by item and no "
                     "item-level check (item content, errors, decoding settings) was possible, so this is weaker "
                     "evidence than an item-level comparison.")
    parts.append(SCALE_NOTE[doc.get("mode") == "scores"])
    parts.append(CAVEAT)
    return " ".join(parts)


def summary_for(doc: dict[str, Any]) -> str:
    """The §1.13 sentence for a compare document, followed by its caveat."""
    before, after = doc["before"], doc["after"]
    cl = f"{_percent(1 - doc.get('alpha', 0.05))} CI"
    groups = doc["groups"]
    tg, ug = groups["targeted"], groups["untargeted"]
    n = len(tg["suites"]) + len(ug["suites"])
    cont = doc.get("contamination") or {}
    fresh = "; items published after both models' training cutoffs" if cont.get("primary") == "fresh" else ""
    scope = (f"On these {n} benchmarks ({len(tg['suites'])} targeted: {_names(tg['suites'])}; "
             f"{len(ug['suites'])} untargeted: {_names(ug['suites'])}{fresh})")
    out = []
    samples = {s.get("samples", 1) for s in doc["suites"]}
    per_release = {(s.get("samples_before", s.get("samples", 1)), s.get("samples_after", s.get("samples", 1)))
                   for s in doc["suites"]}
    counts = per_release == {(1, 1)} and all(s.get("score_type", "binary") == "binary" for s in doc["suites"])
    if doc["mode"] == "scores":
        out.append(f"From published scores only (unpaired; weaker evidence). {scope}, targeted accuracy went from "
                   f"{tg['before']:.1f}% ({before}) to {tg['after']:.1f}% ({after}) on average, and untargeted "
                   f"accuracy from {ug['before']:.1f}% to {ug['after']:.1f}%.")
    elif counts:
        out.append(f"{scope}, {_ratio_clause(tg, 'targeted', after, before, cl)}; "
                   f"{_ratio_clause(ug, 'untargeted', after, before, cl)}.")
    else:
        if len(per_release) == 1 and len(set(next(iter(per_release)))) == 2:  # k differs between releases
            k0, k1 = next(iter(per_release))
            how = f"{k0:g} sample{'s' if k0 != 1 else ''} per item for {before} and {k1:g} for {after}"
        elif len(per_release) > 1 and any(b != a for b, a in per_release):
            how = "samples per item differ between the releases (see the suite table)"
        elif samples != {1}:
            how = f"{max(samples)} samples each"
        else:
            how = "partial-credit scores as fractional successes"
        n_t = len(tg["suites"])
        avg = f"a geometric mean over the {n_t} targeted benchmarks; " if n_t > 1 else ""
        out.append(f"{scope}, {after}'s odds of solving a targeted item rose {_num(tg['gain_ratio'], 2)}-fold over "
                   f"{before} ({cl} {_ci(tg['gain_ratio_ci'], 2)}; {avg}Mantel-Haenszel over items, {how}), "
                   f"and {_num(ug['gain_ratio'], 2)}-fold on untargeted items ({_ci(ug['gain_ratio_ci'], 2)}).")
    lat = doc["asymmetry"]["latent"]
    pp50 = lat.get("pp_at_50")
    direction = "larger" if (pp50 or 0) >= 0 else "smaller"
    out.append(f"The difference is {_num(lat['estimate'])} logits ({cl} {_ci(lat['ci'])}; {lat.get('method', 'A^L')}, "
               f"two-sided {_p(lat['p_value'])}): for a benchmark starting at 50%, a targeted gain about "
               f"{abs(pp50 or 0):.0f} percentage points {direction} than the untargeted gain.")
    lo, hi = lat["ci"]
    if lo is not None and lo > 0:
        out.append("This is consistent with a disproportionate targeted gain on these benchmarks.")
    elif hi is not None and hi < 0:
        out.append("On these benchmarks the untargeted suites gained more than the targeted ones.")
    else:
        out.append("The interval includes 0, so these data do not show a disproportionate targeted gain on these "
                   "benchmarks (which does not show that there is none).")
    big_k = min((s.get("samples", 1) for s in doc["suites"]), default=1) >= 5
    big_n = min((s["n_items"] for s in doc["suites"]), default=0) >= 300
    if big_k and big_n and lat["estimate"] is not None and abs(lat["estimate"]) < 0.15:
        out.append("An asymmetry below 0.15 logits is within the model-dependence of the latent scale.")

    out.append(_generalisation_sentence(doc, n, cl))

    td = doc.get("triple_difference")
    if td and td.get("excess") is not None:
        c = len(td["controls"])
        few = (f" With only {c} control transitions, fewer than the {MIN_CONTROLS_T} the design requires, this "
               "comparison is descriptive: it does not enter the pre-registered sequence of tests."
               if c < MIN_CONTROLS_T else "")
        out.append(f"Compared with {c} release transitions by other developers, this asymmetry was larger than "
                   f"{td.get('n_above', '?')} of {c} (placebo rank p = {td['rank_p_value']:.2f}; prediction-interval "
                   f"{_p(td['t_p_value'])}), an excess of {_num(td['excess'])} logits over their mean "
                   f"({cl} {_ci(td['ci'])}).{few}")
    elif td:
        out.append("With a single control transition only a rank comparison is possible "
                   f"(placebo rank p = {td['rank_p_value']:.2f}); the industry trend is not controlled for.")
    else:
        out.append("No control transitions were given, so the industry-wide trend is not controlled for.")

    flat = doc["flatness"]
    if flat.get("pooled_gain_pp") is not None:
        flat_cl = f"{_percent(flat.get('level') or 1 - 2 * doc.get('alpha', 0.05))} CI"
        gain = f"pooled gain {flat['pooled_gain_pp']:+.1f} pp, {flat_cl} {_ci(flat['ci90'], 1, ' pp')}".replace("-", "−")
        if flat["equivalent"]:
            out.append(f"Untargeted gains were flat within ±{flat['margin_pp']:g} percentage points ({gain}; TOST).")
        else:
            out.append(f"Untargeted gains were not shown to lie within ±{flat['margin_pp']:g} percentage points "
                       f"({gain}), so no claim that they were unchanged is made.")
    out.append(caveat_for(doc))
    return " ".join(out)


def _items(n: int, what: str) -> str:
    return f"{n} {what} item" + ("" if n == 1 else "s")


def _ratio_clause(group: Mapping[str, Any], name: str, after: str, before: str, cl: str) -> str:
    """A group's gain/loss ratio in words that say what it is: e^(mean per-suite latent gain), a geometric
    mean of the suites' ratios (not a pooled count ratio), with the raw counts instead of a ratio when a
    suite had no gains or no losses (its ratio then rests on the +0.5 correction)."""
    first = name == "targeted"
    g, lo = group.get("gains"), group.get("losses")
    zero = list(group.get("zero_cell_suites") or [])
    n_suites = len(group.get("suites") or [])
    ratio, ci = _num(group.get("gain_ratio"), 1), _ci(group.get("gain_ratio_ci"), 1)
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


def _generalisation_sentence(doc: Mapping[str, Any], n: int, cl: str) -> str:
    """Layer 2 in words, no stronger than the decision rules: generalisation is claimed only when the
    gatekeeping sequence (§1.9) tested and rejected H3; a significant HKSJ outside that sequence is
    exploratory, and a co-primary permutation test that disagrees is said (§1.6, §1.13)."""
    gen = doc["generalisation"]
    hk = gen.get("hksj")
    if not (gen.get("testable") and hk and hk.get("p_value") is not None):
        return f"No inference beyond these {n} benchmarks is statistically supported."
    alpha = doc.get("alpha", 0.05)
    perm_p = (gen.get("permutation") or {}).get("p_value")
    hksj = f"HKSJ meta-regression {_num(hk['estimate'])} logits, {cl} {_ci(hk['ci'])}, {_p(hk['p_value'])}"
    perm = f"suite-label permutation {_p(perm_p)}"
    if not (hk["p_value"] < alpha and hk["estimate"] > 0):
        return (f"Treating the benchmarks as draws from their domains, generalisation was not shown "
                f"(HKSJ {_p(hk['p_value'])}; permutation {_p(perm_p)}), so the finding is limited to these benchmarks.")
    gates = doc.get("gatekeeping") or []
    h3 = next((g for g in gates if str(g.get("hypothesis", "")).startswith("H3")), None)
    disagree = perm_p is not None and perm_p >= alpha
    caveat = f"; the exact {perm} does not confirm it" if disagree else f"; {perm}"
    if h3 is not None and h3.get("rejected"):
        return (f"Treating the benchmarks as draws from their domains, the pattern is consistent with one that "
                f"holds beyond them ({hksj}{caveat}).")
    return (f"Treating the benchmarks as draws from their domains, the meta-regression points beyond them ({hksj}"
            f"{caveat}), but only as an exploratory result: {h3_blocker(doc)}, so the finding stays limited to "
            "these benchmarks.")


def h3_blocker(doc: Mapping[str, Any]) -> str:
    """Why the pre-registered sequence (§1.9: H1 → H2 → H3) did not claim generalisation, read off the
    gatekeeping rows: the first gate that closed, in words (never a reason that did not apply)."""
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
