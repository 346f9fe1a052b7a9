"""The methods document states the numbers the code uses: each rule's threshold is read from the constant
that applies it, so changing one without the other fails here, not in a reader's hands."""

from __future__ import annotations

import math
import re

from harness import demo, plan
from harness.compare import layers, suites, wording
from harness.data import curate
from harness.report import methods
from harness.stats import itemgain, latent, meta, power, primary, triple


def _text() -> str:
    return " ".join(methods.markdown().split())  # one line: rules wrap anywhere


def test_every_threshold_in_the_methods_is_the_codes() -> None:
    text = _text()
    grid = ", ".join(f"{s:g}" for s in itemgain.SIGMA_GRID[:-1]) + f" and {itemgain.SIGMA_GRID[-1]:g}"
    assert itemgain.SIGMA_MAX == itemgain.SIGMA_GRID[-1]
    expected = [
        f"σ = {grid} logits",  # the grid of §2.3
        f"({plan.DEFAULTS['samples']} is the default `asymmetry plan` records)",
        f"above {100 - 100 * suites.EDGE:g}% or below {100 * suites.EDGE:g}% enters only with at least "
        f"{suites.MIN_DISCORDANT} items that changed",
        f"fewer than {primary.MIN_SUITE_ITEMS} paired items",
        f"below {primary.MIN_CLUSTERS} clusters",
        f"fewer than {latent.EXACT_BELOW} items were newly solved, or fewer than {latent.EXACT_BELOW} newly failed",
        f"fewer than {layers.L2_TESTABLE} targeted and {layers.L2_TESTABLE} untargeted benchmarks",
        f"only from {layers.L2_GATE} + {layers.L2_GATE} benchmarks",
        f"beyond {meta.MAX_ENUMERATE:,} ways",
        f"With fewer than {triple.MIN_CONTROLS_T} controls the comparison is descriptive",
        f"within {demo.CONTROL_MONTHS} months",
        f"within ±{plan.DEFAULTS['margin_pp']:g} percentage points",
        f"within ±{plan.DEFAULTS['margin_logit']:g} logits",
        f"at least {layers.MIN_FRESH} of them",
        "assumed at " + ", ".join(f"{x:g}" for x in primary.SCORE_SPREADS[:-1])
        + f" and {primary.SCORE_SPREADS[-1]:g} logits",
        f"{len(primary.SCORE_SPREADS) ** 2 * len(itemgain.SIGMA_GRID)} combinations",
        f"declares 2 to {primary.MIN_CLUSTERS - 1} clusters",
        f"at most {wording.HEADLINE_MAX_WORDS} words",
        f"under {wording.CITATION_MAX_WORDS + 1} words",
        f"with {power.Design.power:.0%} probability (two-sided, α = {power.Design.alpha:g})",
        f"a common gain of {power.Design.shift:g} logits",
        f"({plan.DEFAULTS['n_boot']:,} resamples by default)",
        f"{curate.WINDOW[0][8:].lstrip('0')} April to {curate.WINDOW[1][8:].lstrip('0')} June 2026",
        f"fewer than {wording.MIN_CAPABILITY_BENCHMARKS} benchmarks".replace("2 benchmarks", "two benchmarks"),
    ]
    for phrase in expected:
        assert phrase in text, phrase
    # the rank floor: with C controls the smallest rank p-value is 1/(C + 1)
    floor = math.ceil(1 / 0.05) - 1
    assert f"with fewer than {floor} the rank cannot reach p ≤ 0.05" in text


def test_the_points_table_is_the_logistic_curve() -> None:
    """§2.4's worked figures: gains of 0.25 to 1 logit at a 50% and a 90% start, and the 80→88 / 40→55 pair."""
    def points(start: float, gain: float) -> int:
        logit = math.log(start / (1 - start))
        return round(100 * (1 / (1 + math.exp(-(logit + gain))) - start))

    gains = (0.25, 0.5, 0.75, 1.0)
    at50, at90 = [points(0.5, g) for g in gains], [points(0.9, g) for g in gains]
    text = _text()
    assert f"about {at50[0]}, {at50[1]}, {at50[2]} and {at50[3]} points" in text
    assert f"only {at90[0]}, {at90[1]}, {at90[2]} and {at90[3]} points" in text

    def lo(p: float) -> float:
        return math.log(p / (1 - p))

    a, b = lo(0.88) - lo(0.80), lo(0.55) - lo(0.40)
    assert abs(a - b) < 0.01 and f"about {a:.1f} logits" in text


def test_the_guards_the_methods_name_are_the_ones_the_report_orders() -> None:
    named = set(re.findall(r"\(`([a-z_]+)`\)", methods.markdown()))
    assert named == {n for n in wording.GUARD_ORDER if n not in ("small_suite", "partial_credit")}
    order = [methods.markdown().index(f"(`{n}`)") for n in wording.GUARD_ORDER if n in named]
    assert order == sorted(order)  # listed most serious first, as the report shows them
