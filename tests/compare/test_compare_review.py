"""Regression tests for the independent statistics review (H1-H3, M1-M5, L1-L10): each builds the
review's reproduction as a real item table, runs the real `harness.compare`, and checks the number or
the words the review found wrong."""

from __future__ import annotations

import json
import math
import zlib

import numpy as np
import pandas as pd
import pytest

from harness.compare import compare
from harness.compare.schema import validate_compare
from harness.errors import UserError
from harness.table import validate_items


def rows_from(model: str, suite: str, category: str, y: np.ndarray, cluster: np.ndarray | None = None,
              dates: np.ndarray | None = None) -> pd.DataFrame:
    """Rows for one model and suite from an (items x samples) score matrix; item ids 0..n-1."""
    y = np.asarray(y, float)
    y = y[:, None] if y.ndim == 1 else y
    n, k = y.shape
    frame = pd.DataFrame({"model": model, "suite": suite, "category": category,
                          "item_id": np.repeat(np.arange(n).astype(str), k), "sample": np.tile(np.arange(k), n),
                          "score": y.ravel()})
    if cluster is not None:
        frame["cluster"] = np.repeat(np.asarray(cluster).astype(str), k)
    if dates is not None:
        frame["release_date"] = np.repeat(np.asarray(dates), k)
    return frame


def gl_suite(before: str, after: str, suite: str, category: str, gains: int, losses: int, both: int,
             neither: int) -> list[pd.DataFrame]:
    """One suite with exactly `gains` items 0 -> 1, `losses` 1 -> 0, `both` 1 -> 1 and `neither` 0 -> 0."""
    y0 = np.r_[np.zeros(gains), np.ones(losses), np.ones(both), np.zeros(neither)]
    y1 = np.r_[np.ones(gains), np.zeros(losses), np.ones(both), np.zeros(neither)]
    return [rows_from(before, suite, category, y0), rows_from(after, suite, category, y1)]


def table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return validate_items(pd.concat(frames, ignore_index=True), source="test")


def suite_row(doc: dict, name: str) -> dict:
    return next(s for s in doc["suites"] if s["suite"] == name)


def strict(doc: dict) -> None:
    json.dumps(doc, allow_nan=False)
    assert validate_compare(doc) == []


# ---------------------------------------------------------------------------------------------------- H1

def test_h1_controls_use_the_suspects_included_suites_not_their_own_ceiling_rule():
    """exp6b: every family has the same gain/loss ratio in every suite; the suspect's `fact` suite is at
    97% with 15 discordant items (left out by §1.3), the controls' `fact` is not at ceiling. The controls
    must be measured without `fact` too, so the excess is 0 (it was 0.347 with H2 rejected)."""
    frames = (gl_suite("old", "new", "code", "targeted", 60, 20, 60, 60)
              + gl_suite("old", "new", "agent", "targeted", 60, 20, 60, 60)
              + gl_suite("old", "new", "math", "untargeted", 40, 40, 60, 60)
              + gl_suite("old", "new", "fact", "untargeted", 10, 5, 400, 5))
    controls = []
    for i in range(8):
        a, b = f"c{i}a", f"c{i}b"
        frames += (gl_suite(a, b, "code", "targeted", 60, 20, 60, 60)
                   + gl_suite(a, b, "agent", "targeted", 60, 20, 60, 60)
                   + gl_suite(a, b, "math", "untargeted", 40, 40, 60, 60)
                   + gl_suite(a, b, "fact", "untargeted", 80, 40, 100, 100))
        controls.append(f"{a}:{b}")
    doc = compare(table(frames), "old", "new", controls=controls, n_boot=0)
    strict(doc)
    assert doc["groups"]["untargeted"]["suites"] == ["math"]
    assert doc["asymmetry"]["latent"]["estimate"] == pytest.approx(math.log(3), abs=1e-9)
    td = doc["triple_difference"]
    for c in td["controls"]:
        assert c["asymmetry"] == pytest.approx(math.log(3), abs=1e-9)  # was 0.74-0.78 with `fact` kept
        assert c["suites"] == ["agent", "code", "math"]
        assert c["n_items"] == 600
    assert td["excess"] == pytest.approx(0.0, abs=1e-9)
    assert not doc["gatekeeping"][1]["rejected"]
    assert "ceiling rule is the suspect's" in td["control_scope"]


def test_h1_a_control_missing_one_of_the_suspects_suites_is_warned_about():
    frames = (gl_suite("old", "new", "code", "targeted", 60, 20, 60, 60)
              + gl_suite("old", "new", "agent", "targeted", 60, 20, 60, 60)
              + gl_suite("old", "new", "math", "untargeted", 40, 40, 60, 60))
    for i in range(2):
        frames += (gl_suite(f"c{i}a", f"c{i}b", "code", "targeted", 60, 20, 60, 60)
                   + gl_suite(f"c{i}a", f"c{i}b", "math", "untargeted", 40, 40, 60, 60))
    frames += gl_suite("c0a", "c0b", "agent", "targeted", 60, 20, 60, 60)
    doc = compare(table(frames), "old", "new", controls=["c0a:c0b", "c1a:c1b"], n_boot=0)
    warnings = doc["diagnostics"]["warnings"]
    assert any("control c1a:c1b lacks suite(s) agent" in w for w in warnings)
    assert not any("control c0a:c0b lacks" in w for w in warnings)


def test_triple_difference_with_identical_controls_is_no_excess_not_an_infinite_t():
    """Controls with zero dispersion and the same asymmetry as the suspect: t = 0, p = 0.5 (it was
    copysign(inf, 0.0) = +inf, p = 0 and H2 rejected with an excess of exactly 0)."""
    from harness.stats import triple_difference

    res = triple_difference(0.8, np.full(4, 0.8), v0=0.01, v_controls=np.full(4, 0.01))
    assert res.t_stat == 0.0 and res.t_p_value == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------------- H2

def _contaminated_family(before: str, after: str, seed: int) -> list[pd.DataFrame]:
    """exp5: every family memorised the old targeted items (the new release solves them all); on the
    fresh half every suite gains the same 0.5 logits, so on fresh items there is no asymmetry anywhere."""
    n = 400
    rng = np.random.default_rng([zlib.crc32(before.encode()), seed])
    frames = []
    for suite, category, base in (("code", "targeted", -0.3), ("agent", "targeted", 0.0),
                                  ("math", "untargeted", 1.2), ("fact", "untargeted", 0.8)):
        b = np.random.default_rng(zlib.crc32(suite.encode())).normal(0, 1.5, n)
        fresh = np.arange(n) >= n // 2
        y0 = (rng.random(n) < 1 / (1 + np.exp(b - base))).astype(float)
        y1 = (rng.random(n) < 1 / (1 + np.exp(b - base - 0.5))).astype(float)
        if category == "targeted":
            y1[~fresh] = 1.0
        dates = np.where(fresh, "2025-06-01", "2023-01-01")
        frames += [rows_from(before, suite, category, y0, dates=dates),
                   rows_from(after, suite, category, y1, dates=dates)]
    return frames


def test_h2_with_fresh_items_primary_the_controls_use_the_fresh_items_too():
    frames = _contaminated_family("old", "new", 5)
    controls = []
    for i in range(5):
        frames += _contaminated_family(f"c{i}a", f"c{i}b", 5)
        controls.append(f"c{i}a:c{i}b")
    t = table(frames)
    cutoffs = {"old": "2024-01-01", "new": "2024-06-01"}
    doc = compare(t, "old", "new", controls=controls, cutoffs=cutoffs, n_boot=0)
    strict(doc)
    assert doc["contamination"]["primary"] == "fresh"
    fresh = t[t["release_date"] > "2024-06-01"]
    td = doc["triple_difference"]
    for c in td["controls"]:
        assert c["n_items"] == 800  # the suspect's 800 analysed fresh items, not all 1,600
        alone = compare(fresh, c["before"], c["after"], n_boot=0)  # the control's own fresh-item analysis
        assert c["asymmetry_mh"] == pytest.approx(alone["asymmetry"]["latent"]["estimate"], abs=1e-12)
        # the excess is on the primary scale, at the suspect's least favourable σ row
        at = next(r for r in alone["asymmetry"]["primary"]["sigma_grid"] if r["sigma"] == td["row"]["sigma"])
        assert c["asymmetry"] == pytest.approx(at["estimate"], abs=1e-9) and c["sigma"] == td["row"]["sigma"]
    lo, hi = td["ci"]
    assert lo < 0 < hi  # the truth on fresh items is no excess (it was -1.59, all controls on old items)
    assert "fresh items" in td["control_scope"]


# ---------------------------------------------------------------------------------------------------- H3

def _partial_credit_doc() -> dict:
    """exp18: a binary targeted suite, and an untargeted suite with partial credit where every item
    goes from 0.50 to 0.52 (+2 pp, +0.08 logits)."""
    frames = gl_suite("old", "new", "code", "targeted", 60, 20, 60, 60)
    frames += [rows_from("old", "math", "untargeted", np.full(200, 0.50)),
               rows_from("new", "math", "untargeted", np.full(200, 0.52))]
    return compare(table(frames), "old", "new", n_boot=0)


def test_h3_partial_credit_never_goes_through_the_binary_count_machinery():
    doc = _partial_credit_doc()
    strict(doc)
    math_row = suite_row(doc, "math")
    assert math_row["gain_pp"] == pytest.approx(2.0)
    lo, hi = math_row["gain_pp_ci"]
    assert lo <= 2.0 + 1e-9 and hi >= 2.0 - 1e-9 and hi < 3  # was Tango [96.2, 100] from "200 gains"
    assert math_row["score_type"] == "partial credit" and "partial credit" in math_row["flags"]
    assert "Tango" not in math_row["gain_pp_method"]
    delta = math.log(0.52 / 0.48)
    assert math_row["latent_gain"] == pytest.approx(delta)
    assert math_row["latent_gain_ci"][0] <= delta + 1e-9 <= math_row["latent_gain_ci"][1] + 2e-9  # was [3.98, inf]
    assert "exact" not in math_row["latent_method"] and "partial-credit" in math_row["latent_method"]
    assert "exact interval" not in math_row["flags"] and "few discordant" not in math_row["flags"]
    assert math_row["mcnemar_method"].startswith("sign test")
    assert "latent_exact" not in doc["asymmetry"]
    flat = doc["flatness"]
    assert flat["pooled_gain_pp"] == pytest.approx(2.0) and flat["equivalent"]  # was +100 pp, not flat
    assert "mean gain +2.0 pp" in doc["summary"] and "100.0" not in doc["summary"]
    assert "newly solved" not in doc["summary"]  # no item counts: the scores are fractions
    assert any("partial-credit scores" in w for w in doc["diagnostics"]["warnings"])
    # the binary suite beside it keeps its count-based paths
    code = suite_row(doc, "code")
    assert code["score_type"] == "binary" and code["gain_pp_method"].startswith("Tango")


def test_h3_partial_credit_latent_interval_covers_under_a_null_of_no_change():
    """Items with partial credit (0, 0.5 or 1, item-specific probabilities) and the same distribution in
    both releases: the items-as-draws latent interval covers δ = 0 at about its level."""
    from harness.stats import latent_gain

    rng = np.random.default_rng(3)
    reps, n, covered = 600, 150, 0
    for _ in range(reps):
        p = rng.dirichlet([1.0, 1.0, 1.0], size=n)  # per item: P(0), P(0.5), P(1)
        draw = [rng.random(n)[:, None] > np.cumsum(p, axis=1)[:, :2] for _ in range(2)]
        x0, x1 = (0.5 * d.sum(axis=1) for d in draw)
        est = latent_gain(x1, x0, 1, 1)  # partial credit inferred from the fractions
        covered += est.ci[0] <= 0 <= est.ci[1]
    assert 0.92 <= covered / reps <= 0.98


# ---------------------------------------------------------------------------------------------------- M1

def test_m1_compare_with_a_thousand_samples_per_item_completes_with_its_power_block():
    rng = np.random.default_rng(19)
    frames = []
    for suite, category, base, shift in (("code", "targeted", -0.3, 1.0), ("agent", "targeted", 0.0, 0.9),
                                         ("math", "untargeted", 1.2, 0.3), ("fact", "untargeted", 0.8, 0.3)):
        b = rng.normal(0, 1.5, 40)  # 40 items: suites need the pre-registered minimum of 30 (issue 9)
        for model, s in (("old", 0.0), ("new", shift)):
            p = 1 / (1 + np.exp(b - base - s))
            frames.append(rows_from(model, suite, category, (rng.random((40, 1000)) < p[:, None]).astype(float)))
    doc = compare(table(frames), "old", "new", n_boot=0)
    strict(doc)
    assert doc["power"]["design"]["samples"] == 1000 and doc["power"]["mde_latent"] > 0


def test_m1_a_failing_power_calculation_is_a_warning_not_a_lost_comparison(monkeypatch):
    import harness.stats.power as power

    def boom(design):
        raise MemoryError("no room")

    monkeypatch.setattr(power, "detectable", boom)
    doc = _partial_credit_doc()
    assert "power" not in doc
    assert any("power for this design not computed (MemoryError" in w for w in doc["diagnostics"]["warnings"])


# ---------------------------------------------------------------------------------------------------- M2

def test_m2_the_sentence_names_the_gate_that_actually_closed():
    """exp13: 3 + 3 suites, nine controls, H1 and H2 rejected, HKSJ p < 0.001: generalisation was
    blocked by the 4 + 4 rule, not by the controls (the sentence said the excess "was not" established)."""
    rng = np.random.default_rng(2)
    spec = [("c1", "targeted", 80, 20), ("c2", "targeted", 85, 20), ("c3", "targeted", 75, 20),
            ("u1", "untargeted", 40, 35), ("u2", "untargeted", 42, 38), ("u3", "untargeted", 38, 36)]
    frames = [f for s, c, g, lo in spec for f in gl_suite("old", "new", s, c, g, lo, 100, 100)]
    controls = []
    for i in range(9):
        for s, c, g, lo in spec:
            g = int(rng.integers(35, 60)) if c == "targeted" else g
            frames += gl_suite(f"k{i}a", f"k{i}b", s, c, g, lo, 100, 100)
        controls.append(f"k{i}a:k{i}b")
    doc = compare(table(frames), "old", "new", controls=controls, n_boot=0)
    assert [g["rejected"] for g in doc["gatekeeping"]] == [True, True, False]
    assert doc["generalisation"]["hksj"]["p_value"] < 0.001
    assert "exploratory" in doc["summary"]
    assert "tests generalisation only from 4 + 4 suites (this design has 3 + 3)" in doc["summary"]
    assert "and it was not here" not in doc["summary"]
    from harness.compare import wording

    assert any("only from 4 + 4 suites" in line for line in wording.does_not_show(doc))


def test_m2_without_controls_the_sentence_says_no_controls_were_given():
    suites = {f"t{i}": ("targeted", 0.0, 1.2 + 0.1 * i) for i in range(4)}
    suites |= {f"u{i}": ("untargeted", 1.0, 0.1 * i) for i in range(4)}
    rng = np.random.default_rng(8)
    frames = []
    for suite, (category, base, shift) in suites.items():
        b = rng.normal(0, 1.5, 300)
        for model, s in (("old", 0.0), ("new", shift)):
            frames.append(rows_from(model, suite, category, (rng.random(300) < 1 / (1 + np.exp(b - base - s)))))
    doc = compare(table(frames), "old", "new", n_boot=0)
    assert doc["generalisation"]["hksj"]["p_value"] < 0.05 and not doc["gatekeeping"][2]["tested"]
    assert "that test was not made here (no control transitions were given)" in doc["summary"]


# ---------------------------------------------------------------------------------------------------- M3

def _published() -> pd.DataFrame:
    return pd.DataFrame([("old", "code", "targeted", 40.0, 164), ("new", "code", "targeted", 55.0, 164),
                         ("old", "agent", "targeted", 30.0, 200), ("new", "agent", "targeted", 45.0, 200),
                         ("old", "math", "untargeted", 80.0, 500), ("new", "math", "untargeted", 88.0, 500),
                         ("old", "fact", "untargeted", 85.0, 1000), ("new", "fact", "untargeted", 90.0, 1000)],
                        columns=["model", "suite", "category", "score", "n_items"])


def test_m3_score_mode_does_not_claim_the_logit_scale_removes_ceilings():
    """exp8: marginal logits of published accuracies are not ceiling-free (§1.3); the headline said the
    scale 'corrects for benchmarks that start near 0% or 100%' and the caveat called it primary."""
    from harness.compare import compare_scores, wording
    from harness.report.page import render_page

    doc = compare_scores(_published(), "old", "new")
    headline = " ".join(wording.headline(doc))
    assert "corrects for" not in headline
    assert "marginal log-odds scale" in headline and "does not remove" in headline
    assert "not ceiling-free" in doc["caveat"] and "scale is primary" not in doc["caveat"]
    assert "not ceiling-free" in render_page(doc, [])
    items = _partial_credit_doc()  # item mode: the primary is the mean item gain (issue 9: the conditional
    # log odds is pulled by the baseline when item gains differ, so it is no longer called ceiling-free)
    assert "mean gain of an item" in items["caveat"] and "not ceiling-free" not in items["caveat"]
    assert "as the mean gain of an item" in " ".join(wording.headline(items))



# ---------------------------------------------------------------------------------------------------- M4

def test_m4_the_per_suite_test_respects_item_clusters():
    """exp10: 30 clusters of 10 items, each cluster changing by its own N(0, 1) logits between releases,
    no change on average. The per-suite p (and so its Holm p) must hold its level; McNemar on the items
    rejected 12.8% of the time at a nominal 5%."""
    from harness.compare import Pair, suite_stats

    rng = np.random.default_rng(11)
    reps, n_clusters, size = 1000, 30, 10
    cluster = np.repeat(np.arange(n_clusters), size).astype(str)
    rejected = 0
    for _ in range(reps):
        b = rng.normal(0, 1.5, n_clusters * size)
        change = np.repeat(rng.normal(0, 1.0, n_clusters), size)
        y0 = (rng.random(b.size) < 1 / (1 + np.exp(b))).astype(float)
        y1 = (rng.random(b.size) < 1 / (1 + np.exp(b - change))).astype(float)
        ones = np.ones(b.size)
        pair = Pair("old", "new", ["code"], np.array([True]), np.zeros(b.size, np.intp), y1, y0, ones, ones,
                    cluster, None)
        row = suite_stats(pair).rows[0]
        rejected += row["mcnemar_midp"] < 0.05
    assert rejected / reps < 0.07  # binomial SE 0.7 points at 5%
    assert row["mcnemar_method"].startswith("cluster-robust test of the latent gain (")
    assert "ignores item clusters" in row["mcnemar_method"] and "mcnemar_midp_unclustered" in row
    assert row["mcnemar_midp"] == pytest.approx(row["latent_p_value"])


# ---------------------------------------------------------------------------------------------------- M5

def test_m5_the_group_ratio_is_described_as_the_average_it_is_and_keeps_ka8():
    """KA8's group ratio 3.674 is e^(mean δ_s), a geometric mean of the suites' ratios; the pooled count
    ratio would be 120/30 = 4.0. The words and the report say so, and give the raw counts."""
    from harness.report.page import estimand_rows

    frames = (gl_suite("old", "new", "code", "targeted", 90, 20, 50, 40)
              + gl_suite("old", "new", "agent", "targeted", 30, 10, 60, 50)
              + gl_suite("old", "new", "math", "untargeted", 35, 25, 200, 40)
              + gl_suite("old", "new", "fact", "untargeted", 25, 15, 120, 40))
    doc = compare(table(frames), "old", "new", n_boot=0)
    assert ("averaging over the 2 targeted benchmarks (a geometric mean of their gain/loss ratios), new newly "
            "solved 3.7 targeted items for each targeted item it newly failed") in doc["summary"]
    tg = doc["groups"]["targeted"]
    assert tg["gain_ratio"] == pytest.approx(3.674, abs=1e-3) and (tg["gains"], tg["losses"]) == (120, 30)
    assert "geometric mean" in tg["gain_ratio_method"]
    row = next(r for r in estimand_rows(doc) if r[0].startswith("Targeted: items newly solved"))
    assert "pooled" not in row[5].replace("not a pooled count ratio", "")
    assert "raw counts: 120 newly solved, 30 newly failed" in row[5]


def test_m5_a_zero_cell_gives_the_counts_not_a_ratio_of_items_that_did_not_happen():
    """exp2: G = 4, L = 0 was written 'newly solved 9.0 targeted items for each ... newly failed'."""
    doc = compare(table(gl_suite("old", "new", "code", "targeted", 4, 0, 50, 50)
                        + gl_suite("old", "new", "math", "untargeted", 10, 10, 50, 50)), "old", "new", n_boot=0)
    assert "9.0 targeted items for each" not in doc["summary"]
    assert "newly solved 4 targeted items and newly failed 0" in doc["summary"]
    assert "+0.5 correction and is indicative only" in doc["summary"]
    assert doc["groups"]["targeted"]["zero_cell_suites"] == ["code"]
    none = compare(table(gl_suite("old", "new", "code", "targeted", 0, 0, 50, 50)
                         + gl_suite("old", "new", "math", "untargeted", 0, 0, 50, 50)), "old", "new", n_boot=0)
    assert "ratio was 1.0 (0.0 to 50.4)" not in none["summary"]
    assert "newly solved no targeted item and newly failed none" in none["summary"]


# ---------------------------------------------------------------------------------------------------- L1

def test_l1_every_interval_is_labelled_at_the_level_in_force():
    """exp11: with alpha = 0.10 the summary called the 80% flatness interval '90% CI' and the report
    called the 90% A^L interval '95% CI'."""
    from harness.compare import wording
    from harness.plan import make_plan
    from harness.report.page import render_page
    from harness.report.text import citation_text, summary_markdown

    frames = (gl_suite("old", "new", "code", "targeted", 90, 20, 50, 40)
              + gl_suite("old", "new", "agent", "targeted", 30, 10, 60, 50)
              + gl_suite("old", "new", "math", "untargeted", 35, 25, 200, 40)
              + gl_suite("old", "new", "fact", "untargeted", 25, 15, 120, 40))
    doc = compare(table(frames), "old", "new", n_boot=0, alpha=0.10)
    assert doc["flatness"]["level"] == pytest.approx(0.8)
    assert "80% CI" in doc["summary"] and "90% CI" in doc["summary"]
    mean = doc["flatness"]["pooled_gain_pp"]  # equal suite weights: (3.3 + 5.0)/2 (issue 9; pooled items gave 4.0)
    assert mean == pytest.approx((100 * 10 / 300 + 100 * 10 / 200) / 2)
    assert f"mean gain +{mean:.1f} pp with equal suite weights, 80% CI" in doc["summary"]
    headline = " ".join(wording.headline(doc))
    lo, hi = doc["asymmetry"]["primary"]["ci"]
    assert "95%" not in headline and f"90% CI {lo:.2f} to {hi:.2f} for targeted minus untargeted" in headline
    assert "95%" not in wording.one_line(doc)
    for text in (render_page(doc, []), summary_markdown(doc), citation_text(doc)):
        assert "95% interval" not in text and "95% CI" not in text
        assert "90% interval" in text or "90% CI" in text
    assert "80% interval" in render_page(doc, [])
    rules = " ".join(make_plan({"a": "targeted", "b": "untargeted"}, alpha=0.10)["decision_rules"])
    assert "90% interval of the latent asymmetry" in rules and "80% interval of the pooled untargeted" in rules
    from rich.console import Console

    from harness.cli.compare import print_compare

    for width in (80, 140):
        console = Console(record=True, width=width)
        print_compare(doc, console)
        out = console.export_text()
        assert "95%" not in out
        assert "90% CI" in out and "80% [" in out


# ---------------------------------------------------------------------------------------------------- L2

@pytest.mark.parametrize("gains", [60, 62, 64, 70])
def test_l2_the_conjunction_p_is_below_alpha_exactly_when_the_conjunction_holds(gains: int):
    """exp20: the conjunction p was max(one-sided p_H1, p_TOST) = 0.038 while `holds` (which needs the
    one-sided A^L test at alpha/2) was false."""
    doc = compare(table(gl_suite("old", "new", "code", "targeted", gains, 40, 100, 100)
                        + gl_suite("old", "new", "math", "untargeted", 100, 100, 1000, 800)), "old", "new", n_boot=0)
    conj = doc["conjunction"]
    assert conj["untargeted_flat"]
    # one suite per group: the verdict cannot be checked by leaving a suite out, so the targeted component
    # cannot reject: the conjunction p is 1 (it does not hold)
    assert conj["p_value"] == 1.0 and not conj["holds"]
    p_h1 = doc["gatekeeping"][0]["p_value"]
    assert p_h1 == pytest.approx(doc["asymmetry"]["primary"]["p_one_sided"])
    # two suites per group: below alpha exactly when it holds, from the verdict's least favourable check
    # (the groups start at overlapping levels, targeted about 46-58%, untargeted 45-55%, as a verdict needs)
    doc = compare(table(gl_suite("old", "new", "code", "targeted", gains, 40, 100, 100)
                        + gl_suite("old", "new", "code2", "targeted", gains + 4, 40, 200, 100)
                        + gl_suite("old", "new", "math", "untargeted", 100, 100, 1000, 800)
                        + gl_suite("old", "new", "math2", "untargeted", 100, 100, 800, 1000)), "old", "new", n_boot=0)
    conj = doc["conjunction"]
    assert conj["untargeted_flat"] and (conj["p_value"] < 0.05) == conj["holds"]
    p_checks = doc["asymmetry"]["primary"]["p_one_sided_checks"]
    assert conj["p_value"] == pytest.approx(max(2 * p_checks, doc["flatness"]["p_value"]))


# ---------------------------------------------------------------------------------------------------- L3

def test_l3_the_reports_group_means_leave_out_what_the_layers_left_out():
    """exp14: `fact` (97% at the start, 15 changed items) is left out of the layers, but the report's
    untargeted mean averaged it in (+0.6 pp over '2 untargeted benchmarks'; the layers have math alone)."""
    from harness.compare import wording

    doc = compare(table(gl_suite("old", "new", "code", "targeted", 60, 20, 60, 60)
                        + gl_suite("old", "new", "math", "untargeted", 40, 40, 60, 60)
                        + gl_suite("old", "new", "fact", "untargeted", 10, 5, 400, 5)), "old", "new", n_boot=0)
    assert doc["groups"]["untargeted"]["suites"] == ["math"]
    mean, ci = wording.group_pp(doc, "untargeted")
    math_row = suite_row(doc, "math")
    assert mean == pytest.approx(math_row["gain_pp"]) and ci == pytest.approx(math_row["gain_pp_ci"])
    sentence = wording.sentence_changes(doc)
    assert "on the 1 untargeted benchmark" in sentence and "left out: fact (starts above 90%" in sentence


# ---------------------------------------------------------------------------------------------------- L4

def test_l4_the_exclusion_warning_gives_the_reason():
    """exp7: the warning printed the last flag ('exact interval') instead of why the suite was left out."""
    doc = compare(table(gl_suite("old", "new", "code", "targeted", 60, 20, 60, 60)
                        + gl_suite("old", "new", "math", "untargeted", 40, 30, 60, 70)
                        + gl_suite("old", "new", "fact", "untargeted", 3, 2, 190, 5)), "old", "new", n_boot=0)
    warning = next(w for w in doc["diagnostics"]["warnings"] if w.startswith("suite fact:"))
    assert warning.startswith("suite fact: excluded: starts above 90% with fewer than 30 discordant items")


# ---------------------------------------------------------------------------------------------------- L5

def test_l5_items_without_a_cluster_are_their_own_cluster_within_their_suite():
    """exp22: `code` has clusters; `math` and `fact` have none and share item ids 0..199, with exactly
    opposite changes. Fallback labels built from item_id alone merged item i of both suites into one
    cluster, so the pooled flatness SE was 0 (the interval was undefined); the truth is 420 clusters and
    a 90% half-width of about 8.2 pp."""
    from harness.stats import paired_mean

    rng = np.random.default_rng(4)
    frames = [rows_from("old", "code", "targeted", rng.random(200) < 0.4, cluster=np.arange(200) // 10),
              rows_from("new", "code", "targeted", rng.random(200) < 0.6, cluster=np.arange(200) // 10)]
    d = rng.choice([-1, 1], 200)
    for suite, sign in (("math", 1), ("fact", -1)):
        frames += [rows_from("old", suite, "untargeted", (sign * d < 0).astype(float)),
                   rows_from("new", suite, "untargeted", (sign * d > 0).astype(float))]
    doc = compare(table(frames), "old", "new", n_boot=200)
    assert doc["diagnostics"]["clusters"] == 420
    half = 100 * 1.6448536 * paired_mean(np.r_[d, -d].astype(float)).se
    lo, hi = doc["flatness"]["ci90"]
    assert (hi - lo) / 2 == pytest.approx(half, rel=1e-3)


def test_l5_a_cluster_label_reused_in_two_suites_is_two_clusters():
    frames = []
    for suite, category in (("code", "targeted"), ("math", "untargeted")):
        for model, p in (("old", 0.4), ("new", 0.6)):
            y = np.random.default_rng(zlib.crc32(f"{suite}{model}".encode())).random(60) < p
            frames.append(rows_from(model, suite, category, y, cluster=np.arange(60) // 6))  # "0".."9" in both
    doc = compare(table(frames), "old", "new", n_boot=0)
    assert doc["diagnostics"]["clusters"] == 20


# ---------------------------------------------------------------------------------------------------- L6

def test_l6_samples_are_reported_per_release_not_as_a_median_over_both():
    """exp3: one sample per item before and five after was reported as '3 samples each'."""
    from harness.report.page import render_page

    rng = np.random.default_rng(0)
    frames = []
    for suite, category, base, shift in (("code", "targeted", -0.3, 1.0), ("agent", "targeted", 0.0, 0.9),
                                         ("math", "untargeted", 1.2, 0.3), ("fact", "untargeted", 0.8, 0.3)):
        b = rng.normal(0, 1.5, 300)
        for model, s, k in (("old", 0.0, 1), ("new", shift, 5)):
            p = 1 / (1 + np.exp(b - base - s))
            frames.append(rows_from(model, suite, category, (rng.random((300, k)) < p[:, None]).astype(float)))
    with pytest.raises(UserError, match=r"different numbers of samples per item \(old: 1, new: 5\)"):
        compare(table(frames), "old", "new", n_boot=0)  # refused unless forced (issue 9)
    doc = compare(table(frames), "old", "new", n_boot=0, force=True)
    strict(doc)
    assert any(g["name"] == "unequal_samples" for g in doc["diagnostics"]["guards"])
    code = suite_row(doc, "code")
    assert (code["samples_before"], code["samples_after"], code["samples"]) == (1, 5, 1)
    assert "samples differ (1 before, 5 after)" in code["flags"]
    assert "3 samples" not in doc["summary"] and "1 sample per item for old and 5 for new" in doc["summary"]
    assert "newly solved" not in doc["summary"]  # not one sample per item in both releases: odds wording
    assert doc["power"]["design"]["samples"] == 1
    assert ">1 / 5<" in render_page(doc, []).replace("<td class=\"num\">", ">")


# ---------------------------------------------------------------------------------------------------- L7

def test_l7_the_preregistered_latent_margin_is_used(tmp_path):
    """margin_logit was written into every plan and never read."""
    from harness.plan import load_plan, make_plan, write_plan
    from harness.report.page import estimand_rows
    from harness.stats import tost

    frames = (gl_suite("old", "new", "code", "targeted", 90, 20, 50, 40)
              + gl_suite("old", "new", "math", "untargeted", 600, 590, 2000, 400))
    t = table(frames)
    docs = {}
    for margin in (0.15, 0.05):
        path = tmp_path / f"plan-{margin}.json"
        write_plan(path, make_plan({"code": "targeted", "math": "untargeted"}, margin_logit=margin))
        docs[margin] = compare(t, "old", "new", plan=load_plan(path), n_boot=0)
    untargeted = docs[0.15]["groups"]["untargeted"]
    for margin, doc in docs.items():
        flat = doc["flatness"]["latent"]
        expected = tost(untargeted["latent"], untargeted["latent_se"], margin)
        assert flat["margin_logit"] == margin and flat["p_value"] == pytest.approx(expected.p_value)
        assert flat["ci"] == pytest.approx(expected.extra["ci"])
    assert docs[0.15]["flatness"]["latent"]["equivalent"] and not docs[0.05]["flatness"]["latent"]["equivalent"]
    assert any("0.15 logit margin" in row[0] for row in estimand_rows(docs[0.15]))
    override = compare(t, "old", "new", plan=load_plan(tmp_path / "plan-0.15.json"), margin_logit=0.3, n_boot=0)
    assert any("margin_logit = 0.3 differs from the plan" in d for d in override["diagnostics"]["plan"]["deviations"])


# ---------------------------------------------------------------------------------------------------- L8

def test_l8_power_and_compare_translate_logits_to_pp_the_same_way():
    """compare's pp_at_50 is σ(δ_T) − σ(δ_U); power's mde_pp was σ(MDE) − 0.5. One convention now."""
    from harness.stats.power import asymmetry_pp

    frames = (gl_suite("old", "new", "code", "targeted", 90, 20, 50, 40)
              + gl_suite("old", "new", "agent", "targeted", 30, 10, 60, 50)
              + gl_suite("old", "new", "math", "untargeted", 35, 25, 200, 40)
              + gl_suite("old", "new", "fact", "untargeted", 25, 15, 120, 40))
    doc = compare(table(frames), "old", "new", n_boot=0)
    t_mean, u_mean = doc["groups"]["targeted"]["latent"], doc["groups"]["untargeted"]["latent"]
    lat = doc["asymmetry"]["latent"]
    assert lat["pp_at_50"] == pytest.approx(28.6 - 10.4, abs=0.1)  # KA8
    assert asymmetry_pp(lat["estimate"], (t_mean + u_mean) / 2) == pytest.approx(lat["pp_at_50"], abs=1e-9)
    power = doc["power"]
    assert power["mde_pp"] == pytest.approx(asymmetry_pp(power["mde_latent"], power["design"]["shift"]), abs=0.006)


# ---------------------------------------------------------------------------------------------------- L9

def _ka8_with_controls(n_controls: int) -> dict:
    suspect = {"code": ("targeted", 90, 20, 50, 40), "agent": ("targeted", 30, 10, 60, 50),
               "math": ("untargeted", 35, 25, 200, 40), "fact": ("untargeted", 25, 15, 120, 40)}
    frames = [f for s, (c, g, lo, b, n) in suspect.items() for f in gl_suite("old", "new", s, c, g, lo, b, n)]
    for i in range(n_controls):
        for s, (c, g, lo, b, n) in suspect.items():
            g = {"code": 30 + 2 * i, "agent": 15}.get(s, g)  # other labs: smaller, varied targeted gains
            frames += gl_suite(f"c{i}a", f"c{i}b", s, c, g, lo, b, n)
    return compare(table(frames), "old", "new", controls=[f"c{i}a:c{i}b" for i in range(n_controls)], n_boot=0)


def test_l9_fewer_than_eight_controls_do_not_open_the_gate():
    """H2 entered the gatekeeping with as few as 2 controls (df = 1) and the sentence gave no caveat; the
    design's minimum for the prediction-interval t-test is 8 (§0), and with skewed lab effects its size
    is about twice nominal whatever C (calibration N5)."""
    few = _ka8_with_controls(3)
    h2 = few["gatekeeping"][1]
    assert few["triple_difference"]["t_p_value"] < 0.025  # significant, yet not a gate with 3 controls
    assert not h2["tested"] and not h2["rejected"] and "needs at least 8 control transitions (have 3)" in h2["reason"]
    assert "With only 3 control transitions, fewer than the 8 the design requires" in few["summary"]
    from harness.compare import wording

    assert "descriptive only with fewer than 8 transitions" in wording.sentence_test(few)
    assert any("the comparison is descriptive" in line for line in wording.does_not_show(few))
    enough = _ka8_with_controls(8)
    assert enough["gatekeeping"][1]["tested"] and enough["gatekeeping"][1]["rejected"]
    assert "fewer than the 8" not in enough["summary"]


# --------------------------------------------------------------------------------------------------- L10

def test_l10_the_holm_family_is_the_suites_in_the_layers():
    """A suite left out by the ceiling rule made every other suite's Holm p larger."""
    from harness.stats import holm

    doc = compare(table(gl_suite("old", "new", "code", "targeted", 60, 20, 60, 60)
                        + gl_suite("old", "new", "agent", "targeted", 45, 30, 60, 60)
                        + gl_suite("old", "new", "math", "untargeted", 40, 30, 60, 70)
                        + gl_suite("old", "new", "fact", "untargeted", 3, 2, 190, 5)), "old", "new", n_boot=0)
    fact = suite_row(doc, "fact")
    assert any(f.startswith("excluded") for f in fact["flags"]) and fact["p_holm"] is None
    inside = [suite_row(doc, s) for s in ("agent", "code", "math")]
    expected = holm(np.array([r["mcnemar_midp"] for r in inside]))
    assert [r["p_holm"] for r in inside] == pytest.approx(expected.tolist())


# ----------------------------------------------------------------------- contamination split (as H1, within)

def test_fresh_and_old_parts_are_measured_on_one_suite_set():
    """The same class of error as H1 inside the contamination split: each part applied the ceiling rule
    on its own items, so 'old minus fresh' could compare different suites. Here every suite changes the
    same way in both parts, except that `fact` is at ceiling on the old items only."""
    def part(spec: dict, date: str, tag: str) -> list[pd.DataFrame]:
        frames = []
        for suite, (category, g, lo, both, neither) in spec.items():
            for f in gl_suite("old", "new", suite, category, g, lo, both, neither):
                frames.append(f.assign(item_id=tag + f["item_id"], release_date=date))
        return frames

    same = {"code": ("targeted", 60, 20, 60, 60), "agent": ("targeted", 60, 20, 60, 60),
            "math": ("untargeted", 40, 40, 60, 60)}
    frames = (part({**same, "fact": ("untargeted", 10, 5, 400, 5)}, "2023-01-01", "o")
              + part({**same, "fact": ("untargeted", 80, 40, 100, 100)}, "2025-06-01", "f"))
    doc = compare(table(frames), "old", "new", cutoffs={"old": "2024-01-01", "new": "2024-06-01"}, n_boot=0)
    c = doc["contamination"]
    assert c["difference"]["estimate"] == pytest.approx(0.0, abs=1e-12)  # fact in one part only: 0.35
    assert "fact" in c["note_suites"]
