"""harness.compare on real item tables and real run directories: guards, error rule, plan, clusters,
controls, contamination split, generalisation and the document's honesty rules."""

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
from harness.plan import load_plan, make_plan, write_plan
from harness.records import RECORD_FIELDS
from harness.run.store import write_run
from harness.table import load_item_table, validate_items
from tests.compare.test_compare_ka import long_table

#: (category, ability before, shift): the groups' starting levels overlap (targeted about 46-65%, untargeted
#: 47-70%), as a directional verdict needs
SUITES = {"code": ("targeted", -0.3, 1.0), "agent": ("targeted", 0.8, 0.9),
          "math": ("untargeted", 1.2, 0.3), "fact": ("untargeted", -0.2, 0.3)}


def rasch_rows(model: str, suites: dict, n: int, seed: int, shift_scale: float = 1.0, k: int = 1,
               cluster_size: int = 0, cluster_sd: float = 0.0) -> list[dict]:
    """Rows for one model: Rasch items per suite (difficulties fixed by `seed`, outcomes by the model).
    With clusters, each cluster also gets its own change between releases (SD `cluster_sd`): the
    cluster-by-release effect that makes item-independent variances too small."""
    out = []
    item_rng = np.random.default_rng(seed)
    out_rng = np.random.default_rng([zlib.crc32(model.encode()), seed])  # str hash() is salted per process
    for suite, (category, base, shift) in suites.items():
        b = item_rng.normal(0, 1.5, n)
        theta = base + shift * shift_scale
        if cluster_size:
            change = np.repeat(item_rng.normal(0, cluster_sd, n // cluster_size + 1), cluster_size)[:n]
            theta = theta + change * shift_scale
        p = 1 / (1 + np.exp(b - theta))
        y = out_rng.random((n, k)) < p[:, None]
        for i in range(n):
            for j in range(k):
                row = {"model": model, "suite": suite, "category": category, "item_id": str(i), "sample": j,
                       "score": float(y[i, j])}
                if cluster_size:
                    row["cluster"] = f"{suite}-repo{i // cluster_size}"
                out.append(row)
    return out


def table_of(*row_lists: list[dict]) -> pd.DataFrame:
    return validate_items(pd.DataFrame([r for rows in row_lists for r in rows]), source="test")


@pytest.fixture(scope="module")
def basic() -> pd.DataFrame:
    # three samples per item, the planned default: with one, the spread of item gains is not identified and
    # a verdict must hold over the whole σ grid (issue 9), which 2 + 2 suites of 300 items cannot reach
    return table_of(rasch_rows("old", SUITES, 300, 1, 0.0, k=3), rasch_rows("new", SUITES, 300, 1, 1.0, k=3))


def strict_json(doc: dict) -> str:
    """The document must be strict JSON: no NaN or infinity anywhere."""
    return json.dumps(doc, allow_nan=False)


def test_basic_document_conforms_and_detects_the_planted_asymmetry(basic):
    doc = compare(basic, "old", "new")
    assert validate_compare(doc) == []
    strict_json(doc)
    lat = doc["asymmetry"]["latent"]
    assert lat["ci"][0] > 0 and doc["conjunction"]["targeted_disproportionate"]
    assert [s["suite"] for s in doc["suites"]] == ["agent", "code", "fact", "math"]  # targeted first
    assert doc["generalisation"]["testable"] is False
    assert "No inference beyond these 4 benchmarks" in doc["summary"]
    assert doc["gatekeeping"][0]["rejected"] and doc["gatekeeping"][1]["reason"] == "no control transitions given"
    assert doc["power"]["mde_latent"] > 0 and doc["power"]["design"]["n_items"] == 300
    assert "proves" not in doc["summary"].lower() and doc["caveat"] in doc["summary"]
    assert any("no pre-registration plan" in w for w in doc["diagnostics"]["warnings"])


def test_no_asymmetry_when_the_shift_is_common():
    common = {s: (c, b, 0.6) for s, (c, b, _) in SUITES.items()}
    doc = compare(table_of(rasch_rows("old", common, 400, 2, 0.0), rasch_rows("new", common, 400, 2, 1.0)),
                  "old", "new")
    lat = doc["asymmetry"]["latent"]
    assert lat["ci"][0] < 0 < lat["ci"][1]
    assert "do not show a disproportionate targeted gain" in doc["summary"]
    assert "flat" not in doc["summary"].replace("flatness", "") or doc["flatness"]["equivalent"]


def test_flat_is_said_only_after_a_passed_tost():
    # untargeted suites with almost no change and many items: TOST passes
    # (two targeted suites: a group of one suite carries no verdict, and the conjunction needs the verdict; the
    # groups start at overlapping levels, as a directional verdict needs: targeted 85.5% and 86.2%, untargeted
    # 85.8% and 85.9% (math, at 90.9%, is above the ceiling and does not enter the primary))
    suites = {"code": ("targeted", 30, 5, 850, 115), "agent": ("targeted", 30, 5, 857, 108),
              "math": ("untargeted", 10, 9, 900, 81),
              "fact": ("untargeted", 8, 9, 850, 133), "trivia": ("untargeted", 9, 8, 850, 133)}
    doc = compare(long_table(suites), "old", "new", margin_pp=2.0)
    assert doc["flatness"]["equivalent"] and doc["flatness"]["margin_pp"] == 2.0
    assert "Untargeted gains were flat within ±2 percentage points" in doc["summary"]
    lo, hi = doc["flatness"]["ci90"]
    assert -2 < lo < hi < 2
    assert doc["conjunction"]["holds"]


def test_hash_mismatch_and_one_release_only_items_are_reported_not_paired(basic):
    t = basic.copy()
    t["item_hash"] = "h" + t["suite"] + t["item_id"]  # a content hash differs between suites (disjoint items)
    changed = (t.model == "new") & (t.suite == "code") & t.item_id.isin(["0", "1", "2"])
    t.loc[changed, "item_hash"] = "edited"
    t = t[~((t.model == "new") & (t.suite == "math") & (t.item_id == "7"))]
    t = t[~((t.model == "old") & (t.suite == "fact") & (t.item_id == "8"))]
    doc = compare(t, "old", "new")
    assert doc["diagnostics"]["hash_mismatch"] == [{"suite": "code", "n_items": 3, "items": ["0", "1", "2"]}]
    code = next(s for s in doc["suites"] if s["suite"] == "code")
    assert code["n_items"] == 297 and "hash mismatch" in code["flags"]
    unpaired = {(u["suite"], u["reason"]): u["items"] for u in doc["diagnostics"]["unpaired"]}
    assert unpaired == {("math", "before only"): ["7"], ("fact", "after only"): ["8"]}
    assert any("different content hashes" in w for w in doc["diagnostics"]["warnings"])


def test_error_rule_default_exclude_fail(basic):
    t = basic.copy()
    new_code = (t.model == "new") & (t.suite == "code")
    infra = new_code & t.item_id.isin([str(i) for i in range(0, 10)])
    model_err = new_code & t.item_id.isin([str(i) for i in range(10, 40)])
    t.loc[infra, "error"], t.loc[infra, "score"] = "timeout", np.nan
    t.loc[model_err, "error"], t.loc[model_err, "score"] = "parse_failure", np.nan
    t = validate_items(t, source="t")

    def code_row(rule: str) -> dict:
        doc = compare(t, "old", "new", error_rule=rule)
        assert doc["diagnostics"]["error_rule"]["rule"] == rule
        return next(s for s in doc["suites"] if s["suite"] == "code"), doc

    default, doc = code_row("default")
    assert default["n_items"] == 290  # infra errors unpaired
    assert {"suite": "code", "reason": "errors only in after", "n_items": 10,
            "items": [str(i) for i in range(10)]} in doc["diagnostics"]["unpaired"]
    assert default["error_rate_after"] == pytest.approx(40 / 300) and default["error_rate_before"] == 0
    assert any("error rates differ" in w for w in doc["diagnostics"]["warnings"])
    excluded, _ = code_row("exclude")
    assert excluded["n_items"] == 260
    failed, _ = code_row("fail")
    assert failed["n_items"] == 300
    # model errors count as failures: more losses than when they are excluded
    assert failed["losses"] >= default["losses"] >= excluded["losses"]
    assert failed["after"] < excluded["after"]
    with pytest.raises(UserError, match="--errors 'ignore'"):
        compare(t, "old", "new", error_rule="ignore")


def test_suite_versions_differ_refused_unless_forced(basic):
    t = basic.assign(suite_version=np.where(basic.model == "old", "v1", "v2"))
    with pytest.raises(UserError, match="versions differ .* --force"):
        compare(t, "old", "new")
    doc = compare(t, "old", "new", force=True)
    assert any("versions differ" in w and "--force" in w for w in doc["diagnostics"]["warnings"])


def _records(rows: list[dict], run_id: str) -> list[dict]:
    out = []
    for r in rows:
        rec = dict.fromkeys(RECORD_FIELDS)
        rec.update(run_id=run_id, suite_version="1", capability=None, item_hash=f"{r['suite']}-{r['item_id']}",
                   correct=r["score"] == 1, response="", usage={}, started_at="2026-01-01T00:00:00Z", **r)
        out.append(rec)
    return out


def test_decoding_settings_from_run_manifests_refused_unless_forced(tmp_path):
    old = write_run(tmp_path / "r-old", {"created_at": "2026-01-02T00:00:00Z", "samples": 1,
                                         "decoding": {"temperature": 0.0, "max_tokens": 2048, "seed": 1}},
                    _records(rasch_rows("old", SUITES, 60, 3, 0.0), "r-old"))
    new = write_run(tmp_path / "r-new", {"created_at": "2026-01-03T00:00:00Z", "samples": 1,
                                         "decoding": {"temperature": 0.7, "max_tokens": 2048, "seed": 2}},
                    _records(rasch_rows("new", SUITES, 60, 3, 1.0), "r-new"))
    from harness.compare import resolve_compare

    with pytest.raises(UserError, match=r"decoding settings differ between old and new \(temperature\)"):
        resolve_compare("old", "new", results=[old, new])
    doc = resolve_compare("old", "new", results=[old, new], force=True)
    assert doc["diagnostics"]["decoding"]["before"]["temperature"] == 0.0
    assert any("decoding settings differ" in w for w in doc["diagnostics"]["warnings"])
    assert set(doc["inputs"]["sha256"]) == {str(old), str(new)}
    assert doc["command"].startswith("asymmetry compare --before old --after new --results")
    # a different seed alone is not a different setting
    same = write_run(tmp_path / "r-new2", {"created_at": "2026-01-03T00:00:00Z", "samples": 1,
                                           "decoding": {"temperature": 0.0, "max_tokens": 2048, "seed": 9}},
                     _records(rasch_rows("new", SUITES, 60, 3, 1.0), "r-new2"))
    assert resolve_compare("old", "new", results=[old, same])["diagnostics"]["decoding"]["checked"]


def test_plan_categories_deviations_and_timing(tmp_path, basic):
    path = tmp_path / "plan.json"
    # the plan calls 'agent' untargeted and leaves 'fact' out: compare follows the plan and says so
    write_plan(path, make_plan({"code": "targeted", "agent": "untargeted", "math": "untargeted",
                                "extra": "targeted"}, margin_pp=2.5))
    plan = load_plan(path)
    doc = compare(basic, "old", "new", plan=plan)
    cats = {s["suite"]: s["category"] for s in doc["suites"]}
    assert cats == {"code": "targeted", "agent": "untargeted", "math": "untargeted"}
    block = doc["diagnostics"]["plan"]
    assert block["used"] and block["content_ok"] and block["sha256"] == plan["file_sha256"]
    assert any("agent is targeted in the results but untargeted in the plan" in d for d in block["deviations"])
    assert any("planned suite extra has no paired items" in d for d in block["deviations"])
    assert any("suite fact is in the results but not in the plan: left out" in w for w in doc["diagnostics"]["warnings"])
    assert doc["flatness"]["margin_pp"] == 2.5  # the plan's margin
    override = compare(basic, "old", "new", plan=plan, margin_pp=4.0)
    assert override["flatness"]["margin_pp"] == 4.0
    assert any("margin_pp = 4.0 differs from the plan's 2.5" in d for d in override["diagnostics"]["plan"]["deviations"])
    # an edited plan is caught
    edited = json.loads(path.read_text())
    edited["suites"]["agent"] = "targeted"
    path2 = tmp_path / "edited.json"
    path2.write_text(json.dumps(edited))
    doc2 = compare(basic, "old", "new", plan=load_plan(path2))
    assert doc2["diagnostics"]["plan"]["content_ok"] is False
    assert any("edited after" in d for d in doc2["diagnostics"]["plan"]["deviations"])


def test_plan_written_after_the_runs_is_flagged(tmp_path):
    plan_path = tmp_path / "plan.json"
    write_plan(plan_path, make_plan({s: c for s, (c, _, _) in SUITES.items()}))
    old = write_run(tmp_path / "r-old", {"created_at": "2020-01-01T00:00:00Z", "decoding": {}},
                    _records(rasch_rows("old", SUITES, 40, 4, 0.0), "r-old"))
    new = write_run(tmp_path / "r-new", {"created_at": "2020-01-02T00:00:00Z", "decoding": {}},
                    _records(rasch_rows("new", SUITES, 40, 4, 1.0), "r-new"))
    from harness.compare import resolve_compare

    doc = resolve_compare("old", "new", results=[old, new], plan=plan_path)
    assert doc["diagnostics"]["plan"]["predates_runs"] is False
    assert any("plan was written after the runs" in w for w in doc["diagnostics"]["warnings"])


def test_clusters_switch_on_the_seeded_bootstrap_and_widen_the_interval():
    t = table_of(rasch_rows("old", SUITES, 300, 6, 0.0, cluster_size=10, cluster_sd=1.0),
                 rasch_rows("new", SUITES, 300, 6, 1.0, cluster_size=10, cluster_sd=1.0))
    doc = compare(t, "old", "new", n_boot=2000, seed=7)
    assert validate_compare(doc) == []
    assert doc["diagnostics"]["bootstrap"] == {"n_boot": 2000, "seed": 7,
                                               "interval": "BCa (within-suite cluster resampling)"}
    assert doc["diagnostics"]["clusters"] == 120
    lat, analytic = doc["asymmetry"]["latent"], doc["asymmetry"]["latent_analytic"]
    assert "bootstrap" in lat["method"] and lat["estimate"] == pytest.approx(analytic["estimate"])
    assert all("clustered" in s["flags"] for s in doc["suites"])
    again = compare(t, "old", "new", n_boot=2000, seed=7)
    assert again["asymmetry"]["latent"]["ci"] == lat["ci"]
    unclustered = compare(t.drop(columns="cluster"), "old", "new")
    width = lat["ci"][1] - lat["ci"][0]
    assert width > unclustered["asymmetry"]["latent"]["ci"][1] - unclustered["asymmetry"]["latent"]["ci"][0]


def test_controls_give_the_triple_difference(basic):
    rows = [basic]
    controls = []
    for c in range(5):
        common = {s: (cat, base, 0.5 + 0.1 * c) for s, (cat, base, _) in SUITES.items()}
        rows += [table_of(rasch_rows(f"lab{c}-a", common, 300, 1, 0.0, k=3),
                          rasch_rows(f"lab{c}-b", common, 300, 1, 1.0, k=3))]
        controls.append(f"lab{c}-a:lab{c}-b")
    t = validate_items(pd.concat(rows, ignore_index=True), source="t")
    doc = compare(t, "old", "new", controls=controls)
    assert validate_compare(doc) == []
    td = doc["triple_difference"]
    assert len(td["controls"]) == 5 and td["df"] == 4
    # on the primary scale (review finding 1: the Mantel-Haenszel A^L is pulled by starting levels), each
    # control's primary on the suspect's items, the MH value kept beside it
    assert td["suspect_asymmetry"] == pytest.approx(doc["asymmetry"]["primary"]["estimate"])
    assert all(c["asymmetry_mh"] is not None for c in td["controls"]) and td["by_row"][0]["sigma"] is None
    assert td["rank_p_value"] == pytest.approx((1 + sum(c["asymmetry"] >= td["suspect_asymmetry"]
                                                        for c in td["controls"])) / 6)
    assert "release transitions by other developers" in doc["summary"]
    # five controls: reported, but below the 8 the design requires the t-test is not a gate (review L9)
    assert not doc["gatekeeping"][1]["tested"]
    assert doc["gatekeeping"][1]["reason"].startswith("needs at least 8 control transitions (have 5)")
    assert "this comparison is descriptive" in doc["summary"]
    with pytest.raises(UserError, match="expected BEFORE:AFTER"):
        compare(t, "old", "new", controls=["lab0-a"])
    with pytest.raises(UserError, match="'nobody' is not in the inputs"):
        compare(t, "old", "new", controls=["nobody:lab0-b"])


def test_four_plus_four_suites_make_generalisation_testable():
    suites = {f"t{i}": ("targeted", 0.0, 1.0 + 0.1 * i) for i in range(4)}
    suites |= {f"u{i}": ("untargeted", 1.0, 0.2 + 0.1 * i) for i in range(4)}
    doc = compare(table_of(rasch_rows("old", suites, 200, 8, 0.0), rasch_rows("new", suites, 200, 8, 1.0)),
                  "old", "new")
    gen = doc["generalisation"]
    assert gen["testable"] and gen["permutation"]["n_labelings"] == 70
    assert gen["hksj"]["p_value"] is not None and gen["hksj_modified"]["se"] >= gen["hksj"]["se"] - 1e-12
    h3 = doc["gatekeeping"][2]
    assert h3["reason"] != "needs at least 4 + 4 suites (have 4 + 4)"


def test_generalisation_is_claimed_only_when_the_gatekeeping_sequence_reaches_it():
    suites = {f"t{i}": ("targeted", 0.0, 1.2 + 0.1 * i) for i in range(4)}
    suites |= {f"u{i}": ("untargeted", 1.0, 0.1 * i) for i in range(4)}
    suspect = [rasch_rows("old", suites, 300, 8, 0.0), rasch_rows("new", suites, 300, 8, 1.0)]
    alone = compare(table_of(*suspect), "old", "new", n_boot=200)
    assert alone["generalisation"]["hksj"]["p_value"] < 0.05  # significant, but H2 had no controls to pass
    assert not alone["gatekeeping"][2]["tested"]
    assert "exploratory" in alone["summary"] and "holds beyond them" not in alone["summary"]

    rows, controls = list(suspect), []
    for c in range(9):  # other labs' transitions with an even gain everywhere: the suspect's excess is clear
        even = {s: (cat, base, 0.5 + 0.05 * c) for s, (cat, base, _) in suites.items()}
        rows += [rasch_rows(f"lab{c}-a", even, 300, 20 + c, 0.0), rasch_rows(f"lab{c}-b", even, 300, 20 + c, 1.0)]
        controls.append(f"lab{c}-a:lab{c}-b")
    gated = compare(table_of(*rows), "old", "new", controls=controls, n_boot=200)
    assert [g["rejected"] for g in gated["gatekeeping"]] == [True, True, True]
    assert "consistent with one that holds beyond them" in gated["summary"] and "exploratory" not in gated["summary"]


def test_contamination_split_and_fresh_primary():
    rows_old = rasch_rows("old", SUITES, 400, 9, 0.0)
    rows_new = rasch_rows("new", SUITES, 400, 9, 1.0)
    for r in rows_old + rows_new:
        r["release_date"] = "2024-01-01" if int(r["item_id"]) < 200 else "2025-09-01"
    t = table_of(rows_old, rows_new)
    doc = compare(t, "old", "new", cutoffs={"old": "2024-06-30", "new": "2025-03-31"})
    c = doc["contamination"]
    assert c["fresh"]["n_items"] == 800 and c["old"]["n_items"] == 800
    assert c["primary"] == "fresh" and c["fresh_per_suite"] == {"agent": 200, "code": 200, "fact": 200, "math": 200}
    assert all(s["n_items"] == 200 for s in doc["suites"])  # the layers use fresh items only
    assert "items published after both models' training cutoffs" in doc["summary"]
    assert c["difference"]["estimate"] == pytest.approx(c["old"]["estimate"] - c["fresh"]["estimate"])
    few = compare(t[t.item_id.astype(int) < 300], "old", "new", cutoffs={"old": "2024-06-30", "new": "2025-03-31"})
    assert few["contamination"]["primary"] == "all" and few["suites"][0]["n_items"] == 300
    missing = compare(t, "old", "new", cutoffs={"old": "2024-06-30"})
    assert missing["contamination"] is None
    assert any("no --cutoff for new" in w for w in missing["diagnostics"]["warnings"])


def test_ceiling_suite_with_few_discordant_items_is_left_out_of_the_layers():
    doc = compare(long_table({"code": ("targeted", 40, 10, 100, 50), "agent": ("targeted", 30, 12, 100, 58),
                              "easy": ("untargeted", 3, 2, 190, 5), "math": ("untargeted", 20, 15, 100, 65)}), "old", "new")
    easy = next(s for s in doc["suites"] if s["suite"] == "easy")
    assert "ceiling" in easy["flags"] and any(f.startswith("excluded") for f in easy["flags"])
    assert "exact interval" in easy["flags"] and easy["latent_gain_ci"][1] is not None
    assert doc["groups"]["untargeted"]["suites"] == ["math"]
    assert any("left out of the layers" in w for w in doc["diagnostics"]["warnings"])


def test_sparse_suites_get_the_exact_pooled_test():
    doc = compare(long_table({"code": ("targeted", 9, 1, 60, 30), "math": ("untargeted", 4, 3, 60, 33)}), "old", "new")
    exact = doc["asymmetry"]["latent_exact"]
    assert exact["table"] == {"targeted": [9, 1], "untargeted": [4, 3]}
    from scipy.stats import fisher_exact
    assert exact["p_value"] == pytest.approx(fisher_exact([[9, 1], [4, 3]]).pvalue)
    assert "few discordant items in code, math" in doc["asymmetry"]["latent"]["note"]
    strict_json(doc)


def test_bad_inputs_get_one_line_errors(basic):
    with pytest.raises(UserError, match="'qwen' is not in the inputs; they hold new, old"):
        compare(basic, "qwen", "new")
    with pytest.raises(UserError, match="same model"):
        compare(basic, "old", "old")
    only_t = basic[basic.category == "targeted"]
    with pytest.raises(UserError, match="only targeted suites are paired"):
        compare(only_t, "old", "new")
    disjoint = basic.assign(item_id=np.where(basic.model == "new", "n" + basic.item_id, basic.item_id))
    with pytest.raises(UserError, match="no item is paired"):
        compare(disjoint, "old", "new")
    mixed = basic.copy()
    mixed.loc[(mixed.model == "new") & (mixed.suite == "code"), "category"] = "untargeted"
    with pytest.raises(UserError, match="suite code: rows disagree on its category"):
        compare(mixed, "old", "new")


def test_item_table_from_runs_keeps_clusters_and_dates(tmp_path):
    rows = rasch_rows("old", {"code": ("targeted", 0.0, 0.0)}, 20, 1, 0.0, cluster_size=5)
    for r in rows:
        r["release_date"] = "2025-01-02"
    run = write_run(tmp_path / "r", {"decoding": {}}, _records(rows, "r"))
    table = load_item_table(results=[run])
    assert table["cluster"].iloc[0] == "code-repo0" and table["release_date"].iloc[0] == "2025-01-02"
    bad = pd.DataFrame({"model": ["a"], "suite": ["s"], "category": ["targeted"], "item_id": ["1"], "score": [1],
                        "release_date": ["yesterday"]})
    with pytest.raises(UserError, match="row 1: release_date 'yesterday' is not a date"):
        validate_items(bad, source="t.csv")


def test_no_nan_reaches_the_document_even_when_a_scale_is_undefined():
    # an untargeted suite already at 100%: the normalised gain is undefined there
    doc = compare(long_table({"code": ("targeted", 40, 10, 100, 50), "agent": ("targeted", 35, 12, 100, 53),
                              "full": ("untargeted", 0, 35, 165, 0), "math": ("untargeted", 20, 15, 100, 65)}), "old", "new")
    strict_json(doc)
    full = next(s for s in doc["suites"] if s["suite"] == "full")
    assert full["normalized_gain"] is None and "zero cell (Haldane)" in full["flags"]
    assert doc["asymmetry"]["normalized"]["estimate"] is None
    assert math.isfinite(doc["asymmetry"]["latent"]["estimate"])


def test_alpha_sets_every_interval_and_the_sentence(basic):
    doc = compare(basic, "old", "new", alpha=0.10)
    base = compare(basic, "old", "new")
    assert doc["alpha"] == 0.10 and "90% CI" in doc["summary"] and "95% CI" not in doc["summary"]
    w90 = doc["asymmetry"]["latent"]["ci"][1] - doc["asymmetry"]["latent"]["ci"][0]
    w95 = base["asymmetry"]["latent"]["ci"][1] - base["asymmetry"]["latent"]["ci"][0]
    assert w90 == pytest.approx(w95 * 1.644854 / 1.959964, rel=1e-6)
    assert doc["flatness"]["level"] == pytest.approx(0.8)
    assert any("no content hash" in w for w in base["diagnostics"]["warnings"])


def test_secrets_in_old_manifests_never_reach_the_compare_document(basic):
    secret = "sk-" + "old-manifest-" + "7" * 16
    manifest = {"decoding": {"temperature": 0.0, "extra": {"api_key": secret, "top_k": 20}}, "samples": 1,
                "created_at": "2026-01-01T00:00:00Z"}
    doc = compare(basic, "old", "new", manifests={"old": [manifest], "new": [manifest]}, n_boot=200)
    text = json.dumps(doc)
    assert secret not in text and "<redacted sha256:" in text and '"top_k": 20' in text
