"""The verdict rule (harness.stats.verdict) and the guards (harness.stats.guards), as pure functions."""

from __future__ import annotations

import numpy as np

from harness.stats.guards import cluster_policy, shared_items, small_suites, unequal_samples
from harness.stats.verdict import VERDICTS, decide, direction


def test_direction_reads_the_interval():
    assert direction((0.1, 0.9)) == "targeted"
    assert direction((-0.9, -0.1)) == "untargeted"
    assert direction((-0.1, 0.9)) == "none"
    assert direction((None, None)) == "none"
    assert direction((float("nan"), 1.0)) == "none"


def test_the_five_contract_names():
    assert VERDICTS == ("targeted_larger", "untargeted_larger", "no_difference_shown", "fragile", "not_testable")


def test_decide_every_outcome():
    assert decide(["targeted"]).verdict == "targeted_larger"
    assert decide(["untargeted"] * 5).verdict == "untargeted_larger"
    assert decide(["none"] * 5).verdict == "no_difference_shown"
    mixed = decide(["targeted", "targeted", "none", "none", "none"])
    assert mixed.verdict == "fragile" and "σ" in mixed.reasons[0]
    # a mixed-direction verdict still names every caveat (review of 3 Dec: they were dropped there)
    caveat = "the groups started at different levels (…)"
    assert decide(["targeted", "none"], caveats=[caveat]).reasons[1:] == [caveat]
    assert decide([], testable=False).verdict == "not_testable"
    assert decide(["targeted"], testable=False, not_testable_reason="why").reasons == ["why"]


def test_decide_leave_one_out_and_sparse_suites():
    loo = {"a": ["targeted"], "b": ["none"]}
    d = decide(["targeted"], loo)
    assert d.verdict == "fragile" and d.reasons == ["it does not survive leaving out suite b"]
    assert decide(["targeted"], {"a": ["targeted"], "b": ["targeted"]}).verdict == "targeted_larger"
    # a verdict resting on a sparse suite whose removal empties a group is fragile
    assert decide(["targeted"], {}, None, sparse=["s"]).verdict == "fragile"
    assert decide(["targeted"], {}, ["none"], sparse=["s"]).verdict == "fragile"
    assert decide(["targeted"], {}, ["targeted"], sparse=["s"]).verdict == "targeted_larger"
    # no difference is never upgraded by the checks
    assert decide(["none"], {"a": ["targeted"]}).verdict == "no_difference_shown"


def test_shared_items_by_hash_or_source_id():
    suites = ["he-base", "he-plus", "mbpp", "he-base"]
    keys = ["h1", "h1", "h2", None]
    assert shared_items(suites, keys) == {"h1": ["he-base", "he-plus"]}
    assert shared_items(["a", "a", "b"], ["x", "x", float("nan")]) == {}


def test_unequal_samples_and_small_suites():
    assert unequal_samples(np.ones(5), np.full(5, 5.0)) == (1.0, 5.0)
    assert unequal_samples(np.full(5, 3.0), np.array([3, 3, 2, 3, 3.0])) is None
    assert small_suites(np.array([29, 30, 500])).tolist() == [True, False, False]


def test_cluster_policy_needs_twenty_clusters_per_suite():
    suite = np.repeat([0, 1], [200, 200])
    clusters = np.r_[np.arange(200) // 10, np.arange(200) // 50]  # 20 clusters, then 4
    use, counts = cluster_policy(suite, clusters, 2)
    assert counts.tolist() == [20, 4]
    assert use.tolist() == [True, False]
