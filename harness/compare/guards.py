"""The checks that refuse an input (one-line UserError) or name a warning, never silently (STATISTICS.md
§1.4b items 4-7; issue 10 §2; issue 14). The statistics of each check are pure functions in
harness.stats.guards; here they meet the compare document: an error names the suites and what to do, a
warning is recorded under its name in `diagnostics.guards` (and its message in `diagnostics.warnings`),
printed by the CLI and shown by the report.

Names (stable, for readers of the JSON): shared_items, unequal_samples, few_clusters, small_suite,
sparse_suite, one_sample, nonconverged, fragile, journal_integrity, score_fractions, partial_credit, flagged_code
(harness.compare.flags), error_rates, plan_after_runs, plan_deviation, control_shares_model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.compare.pairing import Pair
from harness.errors import UserError
from harness.stats import guards as sg
from harness.stats.primary import MIN_CLUSTERS, MIN_SUITE_ITEMS


@dataclass
class Notes:
    """Named warnings collected while a document is built."""

    guards: list[dict[str, str]] = field(default_factory=list)

    def add(self, name: str, message: str, warnings: list[str] | None = None) -> None:
        self.guards.append({"name": name, "message": message})
        if warnings is not None:
            warnings.append(message)


def shared_items(agg: pd.DataFrame, models: Sequence[str], suites: Sequence[str]) -> None:
    """Suites must hold disjoint items: the same item hash (or source id) in two suites is an error
    (counting the base and plus tests of the same problems as separate suites moved p from 0.11 to 0.003).
    `agg`: one row per (model, suite, item) with the item's attributes (harness.compare.pairing)."""
    rows = agg[agg["model"].isin(list(models)) & agg["suite"].isin(list(suites))]
    for column, what in (("item_hash", "item hash"), ("source_id", "source id")):
        if column not in rows:
            continue
        found = sg.shared_items(rows["suite"].astype(str).tolist(), rows[column].tolist())
        if found:
            pairs: dict[tuple[str, ...], int] = {}
            for names in found.values():
                pairs[tuple(names)] = pairs.get(tuple(names), 0) + 1
            names, n = max(pairs.items(), key=lambda kv: kv[1])
            raise UserError(f"suites {' and '.join(names)} share {n} item(s) (same {what}); suites must hold "
                            "disjoint items (they are treated as independent): merge them into one suite, or leave "
                            "one out with a plan (asymmetry plan)")


def unequal_samples(pair: Pair, before: str, after: str, force: bool, notes: Notes, warnings: list[str]) -> None:
    """Both releases must be sampled alike (with 1 vs 5 samples, McNemar on samples rejected 100% under the
    null). Refused unless forced; forced, every statistic uses items as the unit (per-item means for the pp
    and sign tests, each release's own sample count in the item-gain model) and the warning says so."""
    found = sg.unequal_samples(pair.k0, pair.k1)
    if found is None:
        return
    k0, k1 = found
    message = (f"different numbers of samples per item ({before}: {k0:g}, {after}: {k1:g}); releases must be sampled "
               "alike")
    if not force:
        raise UserError(f"{message}: re-run with the same --samples, or pass --force to analyse per-item means")
    notes.add("unequal_samples", f"{message} (compared anyway: --force): items are the unit throughout (per-item "
                                 "means; each release's own sample count in the item-gain model)", warnings)


def cluster_suites(pair: Pair, included: np.ndarray, notes: Notes, warnings: list[str]) -> np.ndarray | None:
    """Per suite of `pair`: whether its item clusters are used (at least MIN_CLUSTERS clusters). Suites
    with fewer get the item-level variance and a named warning (1 cluster gave SE 1e-16 and a verdict)."""
    if pair.cluster is None:
        return None
    use, counts = sg.cluster_policy(pair.code, pair.cluster, len(pair.suites), MIN_CLUSTERS)
    few = [f"{s} ({c})" for s, c, u, i in zip(pair.suites, counts, use, included, strict=True) if i and not u]
    if few:
        notes.add("few_clusters", f"suite(s) {', '.join(few)} have fewer than {MIN_CLUSTERS} item clusters: a "
                                  "cluster-robust variance or bootstrap is unreliable there, so their variance treats "
                                  "items as independent (too narrow if items of a cluster move together); the cluster "
                                  "bootstrap is not used, and an asymmetry verdict is at most fragile", warnings)
    return use


def small_suite_flag(n_items: int) -> str | None:
    """The exclusion flag of a suite below the pre-registered minimum size, else None."""
    if n_items < MIN_SUITE_ITEMS:
        return f"excluded: fewer than {MIN_SUITE_ITEMS} items (the pre-registered minimum suite size)"
    return None


def score_fractions(frame: pd.DataFrame, source: object, force: bool = False,
                    lines: bool = False) -> tuple[str | None, str | None]:
    """Published scores are percentages (issue 14). Returns (error, warning): an error when every score
    lies in [0, 1] (0.868 for 86.8% would be read as 0.868%, a near-zero accuracy), and an error naming the
    rows when some scores are fractions below 1 beside others above 1 (a table mixing the two scales: the
    fraction rows would be read as near-zero accuracies and drive a directional verdict). A score really
    below 1% is possible, so `force` turns the mixed case into the named warning instead. `lines`: the
    frame's index is the file's row order (line = index + 2, after the header)."""
    frame = frame.reset_index(drop=True)  # positions, whatever index a parquet file carried
    score = pd.to_numeric(frame["score"], errors="coerce").dropna()
    if score.empty:
        return None, None
    if bool((score <= 1).all()) and bool((score > 0).any()):
        return (f"{source}: every score is between 0 and 1 (e.g. {score.iloc[0]:g}): scores are percentages in this "
                "table (86.8, not 0.868); multiply them by 100"), None
    odd = (score > 0) & (score < 1) & (score % 1 != 0)
    if not (odd.any() and bool((score > 1).any())):
        return None, None
    rows = frame.loc[odd[odd].index]
    where = [f"line {int(i) + 2}: " if lines else "" for i in rows.index]
    which = ", ".join(f"{w}{m} on {s} ({v:g})" for w, m, s, v in zip(where, rows["model"], rows["suite"], score[odd],
                                                                     strict=True))
    head = (f"{source}: mixed scales: score(s) below 1 that look like fractions beside percentages above 1 "
            f"({which})")
    if not force:
        return (f"{head}; scores are percentages (86.8, not 0.868): multiply these by 100, or pass --force if they "
                "really are accuracies below 1%"), None
    return None, (f"{head}; compared as percentages below 1% (--force): if they are fractions, the verdict is wrong; "
                  "scores are percentages (86.8, not 0.868)")


def plan_notes(plan: Mapping[str, Any] | None, block: Mapping[str, Any], notes: Notes, warnings: list[str]) -> None:
    """What the plan block says a reader must know. No plan: a plain warning (the pre-registration section
    says it). A plan written after the runs started (plan_after_runs) and each deviation from it
    (plan_deviation) are named, so the report's first screen shows them."""
    if not plan:
        warnings.append(str(block["note"]))
    elif block.get("predates_runs") is False:
        notes.add("plan_after_runs", f"the plan was written after the runs started ({block.get('created_at')}; "
                                     f"earliest run {block.get('earliest_run')}): categories may have been chosen "
                                     "after the results existed", warnings)
    for d in block.get("deviations", []) if plan else []:
        notes.add("plan_deviation", f"deviation from the plan: {d}", warnings)


def control_overlap(control_pairs: Sequence[tuple[str, str]], before: str, after: str, notes: Notes,
                    warnings: list[str]) -> None:
    """A control transition is another developer's step, the yardstick for the suspect's. One that contains
    the suspect release (`after`) measures the suspect against itself: an error. One that shares only the
    predecessor (`before`: e.g. a sibling release from the same base) may be legitimate, but its gains are
    not independent of the suspect's, so it is the named warning control_shares_model."""
    for b, a in control_pairs:
        if after in (b, a):
            raise UserError(f"--control {b}:{a} contains the release under test ({after}); a control must be "
                            "another developer's transition that shares no model with --before/--after: drop it "
                            "or name a different pair")
    shared = [f"{b}:{a}" for b, a in control_pairs if before in (b, a)]
    if shared:
        notes.add("control_shares_model", f"control(s) {', '.join(shared)} share the model {before} with the "
                                          f"transition under test ({before} → {after}): their gains are not "
                                          "independent of its gains, so the comparison with controls is weaker "
                                          "than with other developers' transitions", warnings)
