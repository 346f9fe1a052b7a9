"""Score mode and the assumed spread of item difficulty (second statistical review, finding 2): published
accuracies cannot reveal how widely item difficulty spreads within a benchmark, and one assumed spread for
every suite fired the verdict on the cleanest null (every item +1 logit; targeted SD 0.5, untargeted SD 3:
99/100). The primary now crosses the groups' assumed spreads with the σ grid and needs all of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

from harness.compare import compare_scores
from harness.compare.schema import validate_compare

_Z, _W = np.polynomial.hermite_e.hermegauss(80)
_W = _W / _W.sum()


def _accuracies(baseline: float, sd: float, gain: float) -> tuple[float, float]:
    """Exact population accuracies before and after: difficulty N(m, sd²) with mean accuracy `baseline`,
    every item gaining `gain` logits."""
    m = optimize.brentq(lambda m: float(_W @ special.expit(m + sd * _Z)) - baseline, -30, 30)
    return baseline, float(_W @ special.expit(m + gain + sd * _Z))


def _scores(spec: list[tuple[str, str, float, float, float]], n: int = 1000) -> pd.DataFrame:
    rows = []
    for suite, category, baseline, sd, gain in spec:
        a0, a1 = _accuracies(baseline, sd, gain)
        rows += [{"model": "old", "suite": suite, "category": category, "score": round(100 * a0, 2), "n_items": n},
                 {"model": "new", "suite": suite, "category": category, "score": round(100 * a1, 2), "n_items": n}]
    return pd.DataFrame(rows)


def test_equal_item_gains_with_different_difficulty_spreads_give_no_verdict():
    # the review's null without sampling noise: every item +1 logit in every suite
    null = _scores([("t1", "targeted", 0.50, 0.5, 1.0), ("t2", "targeted", 0.55, 0.5, 1.0),
                    ("u1", "untargeted", 0.50, 3.0, 1.0), ("u2", "untargeted", 0.55, 3.0, 1.0)])
    doc = compare_scores(null, "old", "new")
    assert validate_compare(doc) == []
    p = doc["asymmetry"]["primary"]
    assert doc["verdict"] in ("fragile", "no_difference_shown")
    # the row at the true spreads (0.5 targeted, 3 untargeted) and σ = 0 contains 0; the single assumed
    # spread of before (1.5 for both) excludes it
    row = next(r for r in p["sigma_grid"] if r["sigma"] == 0 and r["spread_targeted"] == 0.5
               and r["spread_untargeted"] == 3.0)
    assert row["ci"][0] < 0 < row["ci"][1]
    mid = next(r for r in p["sigma_grid"] if r["sigma"] == 0 and r["spread_targeted"] == 1.5
               and r["spread_untargeted"] == 1.5)
    assert mid["ci"][0] > 0
    assert len(p["sigma_grid"]) == 9 * 5 and p["spread_grid"] == [0.5, 1.5, 3.0]
    assert "of difficulty from 0.5 to 3.0 logits (per group)" in doc["summary"]
    assert "items as the unit" not in doc["summary"] and "one sample per item" not in doc["summary"]


def test_a_large_targeted_gain_still_gives_the_verdict():
    # the groups start at overlapping levels (30-50% and 35-55%), as a directional verdict needs
    alt = _scores([("t1", "targeted", 0.30, 1.5, 2.5), ("t2", "targeted", 0.50, 1.5, 2.5),
                   ("u1", "untargeted", 0.35, 1.5, 0.2), ("u2", "untargeted", 0.55, 1.5, 0.2)], n=2000)
    doc = compare_scores(alt, "old", "new")
    assert doc["verdict"] == "targeted_larger", doc["asymmetry"]["primary"]["verdict_reasons"]
    assert "and of item difficulty" in doc["summary"]


def test_score_mode_controls_are_compared_on_the_primary_scale_over_the_same_grid():
    spec = [("t1", "targeted", 0.30, 1.5, 1.0), ("t2", "targeted", 0.35, 1.5, 1.0),
            ("u1", "untargeted", 0.85, 1.5, 1.0), ("u2", "untargeted", 0.90, 1.5, 1.0)]
    frames = [_scores(spec)]
    controls = []
    for c in range(3):  # the same item gains, starting near 50% everywhere
        ctrl = _scores([(s, cat, 0.45 + 0.05 * c, sd, g) for s, cat, _, sd, g in spec])
        frames.append(ctrl.replace({"model": {"old": f"c{c}a", "new": f"c{c}b"}}))
        controls.append(f"c{c}a:c{c}b")
    doc = compare_scores(pd.concat(frames, ignore_index=True), "old", "new", controls=controls)
    td = doc["triple_difference"]
    assert td["suspect_asymmetry"] in [r["estimate"] for r in doc["asymmetry"]["primary"]["sigma_grid"]]
    assert len(td["by_row"]) == 45 and td["t_p_value"] == max(r["t_p_value"] for r in td["by_row"])
    # no sampling noise and equal gains: at the true assumptions (σ = 0, spreads 1.5) no excess
    true = next(r for r in td["by_row"] if r["sigma"] == 0 and r["spread_targeted"] == 1.5
                and r["spread_untargeted"] == 1.5)
    assert abs(true["excess"]) < 0.05
