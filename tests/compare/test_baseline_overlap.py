"""The starting-level rule on real compare documents (review finding 3): the model assumes an item's gain
does not depend on how hard the item is, so a directional verdict needs the targeted and untargeted suites'
starting levels to overlap (each group's average within the other group's range). Otherwise the verdict is
fragile, keeps its lean, and the reason (both groups' starting levels, and why) reaches the JSON's verdict
reasons and guards, the report's first screen and summary.md, in item mode and in score mode."""

from __future__ import annotations

import html

from harness.compare import compare, compare_scores, wording
from harness.compare.schema import validate_compare
from harness.report.page import render_page
from harness.report.text import summary_markdown
from tests.compare.test_compare_review import gl_suite, table
from tests.compare.test_score_spread import _scores

REASON = "the groups started at different levels"
WHY = "a gain that depends on the starting level alone could produce this difference"


def _items(untargeted_both: int) -> dict:
    """2 + 2 suites of 400 items; the targeted ones gain 60 and lose 10 from 80 and 90 items passed at the
    start; the untargeted ones gain 20 and lose 20, passing `untargeted_both` + 20 at the start."""
    frames = (gl_suite("old", "new", "code", "targeted", 60, 10, 70, 260)
              + gl_suite("old", "new", "code2", "targeted", 60, 10, 80, 250)
              + gl_suite("old", "new", "math", "untargeted", 20, 20, untargeted_both, 360 - untargeted_both)
              + gl_suite("old", "new", "math2", "untargeted", 20, 20, untargeted_both + 10, 350 - untargeted_both))
    doc = compare(table(frames), "old", "new", n_boot=0)
    assert validate_compare(doc) == []
    return doc


def _quotes_the_starting_levels(doc: dict, reason: str) -> None:
    """The levels the reason quotes are the suite table's starting levels (2 suites per group)."""
    for group in ("targeted", "untargeted"):
        before = [s["before"] for s in doc["suites"] if s["category"] == group]
        assert (f"{group} suites between {min(before):.0f}% and {max(before):.0f}%, average {sum(before) / 2:.0f}%"
                in reason)


def _first_screen(doc: dict) -> str:
    page = render_page(doc, [])
    return html.unescape(page[page.index('<section id="headline">'):page.index("</section>")])


def test_item_mode_groups_that_start_apart_get_a_fragile_verdict_that_says_why():
    together = _items(60)  # untargeted 20% and 22.5% at the start, targeted 20% and 22.5%
    assert together["verdict"] == "targeted_larger", together["asymmetry"]["primary"]["verdict_reasons"]
    apart = _items(200)  # untargeted 55% and 57.5%: the same gains, from a higher start
    prim = apart["asymmetry"]["primary"]
    assert apart["verdict"] == "fragile" and prim["ci"][0] > 0  # the interval still excludes 0: the lean stays
    (reason,) = prim["verdict_reasons"]
    assert reason.startswith(REASON) and reason.endswith(WHY)
    _quotes_the_starting_levels(apart, reason)
    guards = {g["name"]: g["message"] for g in apart["diagnostics"]["guards"]}
    assert reason in guards["fragile"] and any(reason in w for w in apart["diagnostics"]["warnings"])
    assert not apart["conjunction"]["targeted_disproportionate"]
    # the first screen: the badge keeps the lean, the headline and the guard say why in plain words
    first = _first_screen(apart)
    assert wording.badge(apart) == "Targeted gains larger, but fragile" and wording.badge(apart) in first
    assert "the two groups started at different levels" in wording.headline_sentence(apart)
    before = {s["category"]: [] for s in apart["suites"]}
    for s in apart["suites"]:
        before[s["category"]].append(s["before"])
    (name, line), = [g for g in wording.guard_plain(apart) if g[0] == "fragile"]
    assert line == ("The result is fragile: the two groups started at different levels (targeted "
                    f"{min(before['targeted']):.0f} to {max(before['targeted']):.0f}%, untargeted "
                    f"{min(before['untargeted']):.0f} to {max(before['untargeted']):.0f}%), where the starting level "
                    "alone could explain the difference, so no disproportionate gain is claimed.")
    assert line in first and len(line.split()) <= 35
    assert reason in first and reason in " ".join(wording.headline(apart))
    assert WHY in summary_markdown(apart)


def test_score_mode_groups_that_start_apart_get_a_fragile_verdict_that_says_why():
    spec = [("t1", "targeted", 0.85, 1.5, 2.0), ("t2", "targeted", 0.90, 1.5, 2.0),
            ("u1", "untargeted", 0.30, 1.5, 0.2), ("u2", "untargeted", 0.35, 1.5, 0.2)]
    doc = compare_scores(_scores(spec, n=2000), "old", "new")
    assert validate_compare(doc) == []
    prim = doc["asymmetry"]["primary"]
    assert doc["verdict"] == "fragile" and prim["ci"][0] > 0
    (reason,) = [r for r in prim["verdict_reasons"] if r.startswith(REASON)]
    _quotes_the_starting_levels(doc, reason)
    assert WHY in _first_screen(doc)
