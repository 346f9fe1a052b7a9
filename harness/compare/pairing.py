"""Preparing the item table for a comparison: the error rule, per-item aggregation, error rates per
release, and pairing the two releases on (suite, item_id) with the item-content and suite-version checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.errors import UserError
from harness.plan import ERROR_RULES
from harness.records import CATEGORIES, ERROR_KINDS, INFRA_ERRORS
from harness.stats import (
    gain_loss_table_test,
)

#: Error-rate gaps between releases flagged at this absolute size, or at Fisher p below ERROR_P.
ERROR_GAP, ERROR_P = 0.05, 0.05



_LIST_CAP = 50  # unpaired / mismatched item ids listed per suite in the JSON


@dataclass
class Pair:
    """The paired items of one transition (before → after), one row per item, suites in report order."""

    before: str
    after: str
    suites: list[str]
    targeted: np.ndarray  # per suite
    code: np.ndarray  # per item: index into suites
    x1: np.ndarray
    x0: np.ndarray
    k1: np.ndarray
    k0: np.ndarray
    cluster: np.ndarray | None
    release_date: np.ndarray | None  # datetime64[D] per item (NaT when unknown)
    capability: dict[str, str | None] = field(default_factory=dict)
    suite_version: dict[str, str | None] = field(default_factory=dict)
    item_id: np.ndarray | None = None  # per item: its item_id (with `suites[code]`, the item's key)
    binary: np.ndarray | None = None  # per item: every sample of both releases scored exactly 0 or 1
    # per item, when the table has a `flags` column: the samples with review flags (code scorers) and the
    # score they contributed to x1 / x0 (harness.compare.flags scores them as failures in a second analysis)
    flag_k1: np.ndarray | None = None
    flag_k0: np.ndarray | None = None
    flag_x1: np.ndarray | None = None
    flag_x0: np.ndarray | None = None

    def subset(self, mask: np.ndarray) -> Pair:
        keep = sorted(set(self.code[mask].tolist()))
        remap = np.full(len(self.suites), -1)
        remap[keep] = np.arange(len(keep))

        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[mask]

        return Pair(self.before, self.after, [self.suites[i] for i in keep], self.targeted[keep],
                    remap[self.code[mask]], self.x1[mask], self.x0[mask], self.k1[mask], self.k0[mask],
                    cut(self.cluster), cut(self.release_date), self.capability, self.suite_version,
                    cut(self.item_id), cut(self.binary), cut(self.flag_k1), cut(self.flag_k0), cut(self.flag_x1),
                    cut(self.flag_x0))

    @property
    def has_flags(self) -> bool:
        """The inputs carried review flags (a `flags` column), so flagged samples can be told apart."""
        return self.flag_k1 is not None

    def keys(self) -> pd.MultiIndex:
        """(suite, item_id) of every item, in item order."""
        ids = self.item_id if self.item_id is not None else np.arange(self.code.size).astype(str)
        return pd.MultiIndex.from_arrays([np.asarray(self.suites, dtype=object)[self.code], ids])

    def is_binary(self, mask: np.ndarray | None = None) -> bool:
        """Every sample of the (masked) items scored 0 or 1, so counts of successes are binomial."""
        if self.binary is None:
            return True
        return bool(np.all(self.binary if mask is None else self.binary[mask]))


def apply_error_rule(table: pd.DataFrame, rule: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows that enter the analysis and their scores under `rule` (default | exclude | fail):
    see harness.plan.ERROR_RULE_TEXT. Unknown error kinds are treated as model errors, with a warning."""
    if rule not in ERROR_RULES:
        raise UserError(f"--errors {rule!r}: expected one of {', '.join(ERROR_RULES)}")
    err = table["error"]
    has = err.notna()
    warnings = []
    unknown = sorted(set(err[has].astype(str)) - ERROR_KINDS)
    if unknown:
        warnings.append(f"unknown error kind(s) {', '.join(unknown)}: treated as model errors (failures under "
                        "the default rule)")
    infra = has & err.isin(INFRA_ERRORS)
    if rule == "default":
        drop, fail = infra, has & ~infra
    elif rule == "exclude":
        drop, fail = has, pd.Series(False, index=table.index)
    else:
        drop, fail = pd.Series(False, index=table.index), has
    kept = table.loc[~drop].copy()
    kept.loc[fail[~drop], "score"] = 0.0
    return kept, warnings


def error_rates(table: pd.DataFrame, before: str, after: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Per suite and release: the share of samples with an error (infrastructure and model), and a
    warning where the releases differ (Fisher exact p < 0.05 or a gap of 5 points or more)."""
    sub = table[table["model"].isin([before, after])]
    has = sub["error"].notna()
    infra = has & sub["error"].isin(INFRA_ERRORS)
    frame = pd.DataFrame({"model": sub["model"], "suite": sub["suite"], "n": 1, "errors": has.astype(int),
                          "infra": infra.astype(int)})
    counts = frame.groupby(["suite", "model"], sort=True)[["n", "errors", "infra"]].sum()
    rows, warnings = [], []
    for suite in sorted(sub["suite"].unique()):
        row: dict[str, Any] = {"suite": suite}
        for label, key in ((before, "before"), (after, "after")):
            if (suite, label) in counts.index:
                c = counts.loc[(suite, label)]
                row[key] = {"samples": int(c["n"]), "errors": int(c["errors"]), "infra": int(c["infra"]),
                            "rate": float(c["errors"] / c["n"])}
            else:
                row[key] = None
        if row["before"] and row["after"]:
            b, a = row["before"], row["after"]
            p = gain_loss_table_test(b["errors"], b["samples"] - b["errors"], a["errors"], a["samples"] - a["errors"])
            gap = a["rate"] - b["rate"]
            row["fisher_p"] = p
            row["flagged"] = bool((p < ERROR_P and gap != 0) or abs(gap) >= ERROR_GAP)
            if row["flagged"]:
                warnings.append(f"suite {suite}: error rates differ between releases ({before} {b['rate']:.1%}, "
                                f"{after} {a['rate']:.1%}; Fisher p = {p:.2g}); an error is not a wrong answer, "
                                "see diagnostics.error_rates and error_rule")
        rows.append(row)
    return rows, warnings


def _first(series: pd.Series) -> Any:
    s = series.dropna()
    return s.iloc[0] if len(s) else None


def aggregate_items(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, suite, item): x = summed score, k = samples, and the item's attributes."""
    extra = [c for c in ("item_hash", "cluster", "release_date", "capability", "suite_version") if c in rows]
    keys = ["model", "suite", "item_id"]
    grouped = rows.groupby(keys, sort=False)
    out = grouped["score"].agg(x="sum", k="size")
    # partial credit (a score strictly between 0 and 1) makes x a sum of fractions, not a binomial count
    out["binary"] = rows["score"].isin((0.0, 1.0)).groupby([rows[k] for k in keys], sort=False).all()
    out["category"] = grouped["category"].first()
    if "flags" in rows:  # review flags (code scorers): how many samples carry one, and the score they add
        flagged = rows["flags"].fillna("").astype(str) != ""
        by = [rows[k] for k in keys]
        out["flagged_k"] = flagged.groupby(by, sort=False).sum()
        out["flagged_x"] = rows["score"].where(flagged, 0.0).groupby(by, sort=False).sum()
    for col in extra:
        if rows[col].notna().any():
            out[col] = grouped[col].first()  # the first non-null value
    return out.reset_index()


def _flag_arrays(paired: pd.DataFrame) -> tuple[np.ndarray | None, ...]:
    """(flag_k1, flag_k0, flag_x1, flag_x0) of the paired rows, or Nones when the table has no flags."""
    if "flagged_k_0" not in paired:
        return None, None, None, None
    return tuple(paired[c].fillna(0).to_numpy(float) for c in ("flagged_k_1", "flagged_k_0", "flagged_x_1",
                                                               "flagged_x_0"))


@dataclass
class Pairing:
    pair: Pair | None
    unpaired: list[dict[str, Any]]
    hash_mismatch: list[dict[str, Any]]
    warnings: list[str]
    suite_versions: dict[str, Any]
    categories: dict[str, str] = field(default_factory=dict)  # as the results label them (before a plan)


def pair_items(agg: pd.DataFrame, all_items: pd.DataFrame, before: str, after: str, *,
               categories: Mapping[str, str] | None = None, force: bool = False) -> Pairing:
    """Pair the two releases on (suite, item_id): items with differing hashes are not paired; items in
    one release only (or left without samples by the error rule) are reported; suite versions that
    differ are refused unless `force`."""
    cols = [c for c in ("x", "k", "binary", "category", "item_hash", "cluster", "release_date", "capability",
                        "suite_version", "flagged_k", "flagged_x") if c in agg]
    b = agg[agg["model"] == before].set_index(["suite", "item_id"])[cols]
    a = agg[agg["model"] == after].set_index(["suite", "item_id"])[cols]
    joined = b.add_suffix("_0").join(a.add_suffix("_1"), how="outer")
    in0, in1 = joined["x_0"].notna(), joined["x_1"].notna()
    mismatch = pd.Series(False, index=joined.index)
    if "item_hash_0" in joined:
        h0, h1 = joined["item_hash_0"], joined["item_hash_1"]
        mismatch = in0 & in1 & h0.notna() & h1.notna() & (h0.astype(str) != h1.astype(str))
    warnings: list[str] = []

    # unpaired: why each item could not be paired
    unpaired = []
    lone = joined.index[(in0 ^ in1)]
    present: set[tuple[Any, Any, Any]] = set()
    if len(lone):
        rows = all_items.loc[all_items["model"].isin([before, after]), ["suite", "item_id", "model"]].drop_duplicates()
        present = set(zip(rows["suite"], rows["item_id"], rows["model"], strict=True))
    by_suite: dict[str, dict[str, list[str]]] = {}
    for suite, item in lone:
        if bool(in0.get((suite, item))):
            reason = "errors only in after" if (suite, item, after) in present else "before only"
        else:
            reason = "errors only in before" if (suite, item, before) in present else "after only"
        by_suite.setdefault(suite, {}).setdefault(reason, []).append(str(item))
    for suite, reasons in sorted(by_suite.items()):
        for reason, items in sorted(reasons.items()):
            unpaired.append({"suite": suite, "reason": reason, "n_items": len(items), "items": items[:_LIST_CAP]})
            warnings.append(f"suite {suite}: {len(items)} item(s) not paired ({reason}); they are left out")
    hash_rows = []
    for suite, group in joined[mismatch].groupby(level=0):
        ids = [str(i) for i in group.index.get_level_values(1)]
        hash_rows.append({"suite": suite, "n_items": len(ids), "items": ids[:_LIST_CAP]})
        warnings.append(f"suite {suite}: {len(ids)} item(s) have different content hashes in the two releases and "
                        "are not paired (the question or answer changed)")

    paired = joined[in0 & in1 & ~mismatch]
    # suite versions: refuse a comparison across versions unless forced
    versions: dict[str, Any] = {}
    if "suite_version_0" in joined:
        for suite, group in joined.groupby(level=0):
            v0 = sorted({str(v) for v in group["suite_version_0"].dropna()})
            v1 = sorted({str(v) for v in group["suite_version_1"].dropna()})
            versions[suite] = {"before": v0, "after": v1}
            if v0 and v1 and (v0 != v1 or len(v0) > 1):
                message = (f"suite {suite}: versions differ ({before}: {', '.join(v0)}; {after}: {', '.join(v1)}); "
                           "re-run both releases on one version, or pass --force to compare anyway")
                if not force:
                    raise UserError(message)
                warnings.append(f"suite {suite}: versions differ ({before}: {', '.join(v0)}; {after}: "
                                f"{', '.join(v1)}) (compared anyway: --force)")
    if paired.empty:
        return Pairing(None, unpaired, hash_rows, warnings, versions)

    suites_idx = paired.index.get_level_values(0)
    cat0 = paired["category_0"].groupby(level=0).agg(lambda s: sorted(set(s)))
    cat1 = paired["category_1"].groupby(level=0).agg(lambda s: sorted(set(s)))
    suite_category: dict[str, str] = {}
    data_categories: dict[str, str] = {}
    for suite in cat0.index:
        found = sorted(set(cat0[suite]) | set(cat1[suite]))
        data_categories[suite] = "/".join(found)
        if categories is not None and suite in categories:
            suite_category[suite] = categories[suite]
        elif len(found) != 1:
            raise UserError(f"suite {suite}: rows disagree on its category ({', '.join(found)}); fix the table or "
                            "fix the categories with --plan")
        else:
            suite_category[suite] = found[0]
    if categories is not None:
        suite_category = {s: c for s, c in suite_category.items() if s in categories}
    order = sorted(suite_category, key=lambda s: (CATEGORIES.index(suite_category[s]), s))
    if not order:
        return Pairing(None, unpaired, hash_rows, warnings, versions, data_categories)
    keep = suites_idx.isin(order)
    paired = paired[keep]
    code = pd.Categorical(paired.index.get_level_values(0), categories=order).codes.astype(np.intp)
    cluster = None
    if "cluster_0" in paired and paired["cluster_0"].notna().any():
        c = paired["cluster_0"].where(paired["cluster_0"].notna(), paired["cluster_1"])
        # items without a cluster are their own cluster; every label lives inside its suite (suites hold
        # disjoint items and are independent, §1.4), so "repo1" in two suites, or item "7" of two suites
        # without clusters, never becomes one cluster in a pooled (flatness) or bootstrap computation
        suite_of = paired.index.get_level_values(0).astype(str)
        fill = pd.Series([f"\x00item:{i}" for i in paired.index.get_level_values(1)], index=paired.index)
        label = c.where(c.notna(), fill).astype(str)
        cluster = (pd.Series(suite_of, index=paired.index) + "\x00" + label).to_numpy()
    release = None
    if "release_date_0" in paired and paired["release_date_0"].notna().any():
        raw = paired["release_date_0"].where(paired["release_date_0"].notna(), paired["release_date_1"])
        release = pd.to_datetime(raw, errors="coerce").to_numpy().astype("datetime64[D]")
    capability = {}
    if "capability_0" in paired:
        capability = {s: _first(g) for s, g in paired["capability_0"].groupby(level=0)}
    pair = Pair(before, after, order, np.array([suite_category[s] == "targeted" for s in order]), code,
                paired["x_1"].to_numpy(float), paired["x_0"].to_numpy(float), paired["k_1"].to_numpy(float),
                paired["k_0"].to_numpy(float), cluster, release, capability,
                {s: (versions.get(s, {}).get("before") or [None])[0] for s in order},
                paired.index.get_level_values(1).to_numpy(dtype=object).astype(str),
                (paired["binary_0"].astype(bool) & paired["binary_1"].astype(bool)).to_numpy()
                if "binary_0" in paired else None, *_flag_arrays(paired))
    return Pairing(pair, unpaired, hash_rows, warnings, versions, data_categories)

