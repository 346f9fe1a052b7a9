"""`compare`: did one release's gains over another concentrate in the targeted suites?

From an item table (DESIGN.md) to the compare JSON document (harness/compare_schema.py): the guards
(pairing by item and hash, unpaired and errored items, suite versions and decoding settings, the
pre-registration plan), then every layer of STATISTICS.md §1 through the estimators in harness.stats,
then the citable sentence. `compare_scores` does the same, weaker, from published accuracies.

Pure data in, a dict out: no printing, no files (the CLI in harness/cli/compare.py does that).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from harness import __version__
from harness.compare_schema import SCHEMA
from harness.errors import UserError
from harness.models.redact import redact_extra
from harness.plan import DEFAULTS, ERROR_RULE_TEXT, ERROR_RULES, load_plan, parse_control
from harness.records import CATEGORIES, ERROR_KINDS, INFRA_ERRORS, SCORES_OPTIONAL, SCORES_REQUIRED
from harness.stats import (
    Estimate,
    Hypothesis,
    asymmetry,
    cluster_bootstrap,
    gain_loss_table_test,
    gatekeeping,
    group_mean,
    holm,
    logit,
    mcnemar,
    meta_regression,
    newcombe_unpaired_ci,
    normalized_gain,
    paired_mean,
    pass_at_k,
    pp_equivalent,
    suite_permutation_test,
    tango_ci,
    tango_tost,
    tost,
    triple_difference,
    variance_components,
    wilson_ci,
)
from harness.stats.estimate import finite_or_none
from harness.stats.latent import EXACT_BELOW, latent_gain
from harness.stats.sentence import caveat_for, summary_for
from harness.stats.triple import MIN_CONTROLS_T
from harness.table import validate_items

#: Suites starting above 1 - EDGE or below EDGE enter layer 1 only with MIN_DISCORDANT discordant items (§1.3).
EDGE, MIN_DISCORDANT = 0.10, 30
#: A contamination split makes the fresh items primary when every suite has this many (§1.5.8).
MIN_FRESH = 150
#: Error-rate gaps between releases flagged at this absolute size, or at Fisher p below ERROR_P.
ERROR_GAP, ERROR_P = 0.05, 0.05
#: L2 is testable from 3+3 suites (the permutation floor reaches 0.05); gatekeeping tests it from 4+4.
L2_TESTABLE, L2_GATE = 3, 4
_LIST_CAP = 50  # unpaired / mismatched item ids listed per suite in the JSON


def _f(value: Any) -> float | None:
    return finite_or_none(value)


def _interval(ci: Sequence[float], scale: float = 1.0) -> list[float | None]:
    return [_f(ci[0] * scale), _f(ci[1] * scale)]


def _one_sided(est: Estimate) -> float:
    """One-sided p-value for 'greater than 0' from a two-sided Wald-type estimate."""
    if est.p_value is None or not math.isfinite(est.p_value) or not math.isfinite(est.estimate):
        return math.nan
    return est.p_value / 2 if est.estimate > 0 else 1 - est.p_value / 2


# ----------------------------------------------------------------------------------------------------
# Preparing the item table: error rule, per-item aggregation, pairing


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

    def subset(self, mask: np.ndarray) -> Pair:
        keep = sorted(set(self.code[mask].tolist()))
        remap = np.full(len(self.suites), -1)
        remap[keep] = np.arange(len(keep))

        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[mask]

        return Pair(self.before, self.after, [self.suites[i] for i in keep], self.targeted[keep],
                    remap[self.code[mask]], self.x1[mask], self.x0[mask], self.k1[mask], self.k0[mask],
                    cut(self.cluster), cut(self.release_date), self.capability, self.suite_version,
                    cut(self.item_id), cut(self.binary))

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
    for col in extra:
        if rows[col].notna().any():
            out[col] = grouped[col].first()  # the first non-null value
    return out.reset_index()


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
                        "suite_version") if c in agg]
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
                if "binary_0" in paired else None)
    return Pairing(pair, unpaired, hash_rows, warnings, versions, data_categories)


# ----------------------------------------------------------------------------------------------------
# Per-suite estimates and layer 1


@dataclass
class SuiteStats:
    rows: list[dict[str, Any]]
    latent: list[Estimate]
    pp: list[Estimate]
    normalized: list[Estimate]
    gains: np.ndarray
    losses: np.ndarray
    n_items: np.ndarray
    included: np.ndarray  # enters the layers (not a ceiling/floor suite with too few discordant items)
    single: bool  # one sample per item everywhere
    discordance: float  # one-sample discordance π_d pooled over included suites (harmonic, for power)


def _pooled_discordance(per_suite: list[float], targeted: list[bool]) -> float:
    """The one π_d that gives A^L the variance these suites give it (a harmonic mean: a near-ceiling suite
    with few discordant items costs what it weighs), for the power analysis of the actual design."""
    from harness.stats.power import pooled_discordance

    if any(targeted) and not all(targeted) and all(p > 0 for p in per_suite):
        return pooled_discordance(per_suite, targeted)
    return float(np.mean(per_suite)) if per_suite else math.nan


def suite_stats(pair: Pair, level: float = 0.95) -> SuiteStats:
    """Per-suite accuracies, pp gain, gains/losses, latent gain, McNemar mid-p and flags.

    Count-based methods (Tango, McNemar, the exact latent interval, pass@k) need binomial counts: a suite
    with partial-credit scores (strictly between 0 and 1) gets the paired pp interval with Miller's SE,
    the sign test over items and the items-as-draws latent variance instead (harness.stats.latent_gain)."""
    rows, lat, pps, ngs = [], [], [], []
    gains, losses, ns, inc = [], [], [], []
    single = bool(np.all(pair.k1 == 1) and np.all(pair.k0 == 1)) and pair.is_binary()
    disc_suite: list[float] = []  # per included suite: one-sample discordance
    disc_targeted: list[bool] = []
    for j, suite in enumerate(pair.suites):
        m = pair.code == j
        x1, x0, k1, k0 = pair.x1[m], pair.x0[m], pair.k1[m], pair.k0[m]
        cl = None if pair.cluster is None else pair.cluster[m]
        y1, y0 = x1 / k1, x0 / k0
        n = int(m.sum())
        g, lo = int(np.sum(y1 > y0)), int(np.sum(y1 < y0))
        s_binary = pair.is_binary(m)
        s_single = bool(np.all(k1 == 1) and np.all(k0 == 1)) and s_binary
        est = latent_gain(x1, x0, k1, k0, clusters=cl, level=level, binary=s_binary)
        pp = paired_mean(y1 - y0, cl, level=level)
        ng = normalized_gain(y1, y0, cl, level=level)
        acc0, acc1 = float(y0.mean()), float(y1.mean())
        if s_single and cl is None:
            gain_ci, gain_method = tango_ci(g, lo, n, level), "Tango score interval (paired)"
        else:
            gain_ci, gain_method = pp.ci, pp.method
        w0 = wilson_ci(acc0 * n, n, level)
        w1 = wilson_ci(acc1 * n, n, level)
        flags = []
        if cl is not None:
            flags.append("clustered")
        if not s_binary:
            flags.append("partial credit")
        if np.median(k0) != np.median(k1):
            flags.append(f"samples differ ({np.median(k0):g} before, {np.median(k1):g} after)")
        if acc0 > 1 - EDGE or acc0 < EDGE:
            flags.append("ceiling" if acc0 > 1 - EDGE else "floor")
        excluded = (acc0 > 1 - EDGE or acc0 < EDGE) and g + lo < MIN_DISCORDANT
        if excluded:
            flags.append(f"excluded: starts {'above 90%' if acc0 > 1 - EDGE else 'below 10%'} with fewer than "
                         f"{MIN_DISCORDANT} discordant items")
        if s_binary and min(g, lo) < EXACT_BELOW:
            flags.append("few discordant")
        if "exact" in est.method:
            flags.append("exact interval")
        if "Haldane" in est.note:
            flags.append("zero cell (Haldane)")
        row: dict[str, Any] = {
            "suite": suite, "category": "targeted" if pair.targeted[j] else "untargeted",
            "capability": pair.capability.get(suite), "suite_version": pair.suite_version.get(suite),
            # k per release: a median over both releases' k made k = 1 -> 5 read "3 samples each"
            "n_items": n, "samples": int(min(np.median(k0), np.median(k1))),
            "samples_before": float(np.median(k0)), "samples_after": float(np.median(k1)),
            "score_type": "binary" if s_binary else "partial credit",
            "before": 100 * acc0, "after": 100 * acc1,
            "before_ci": _interval((float(w0[0]), float(w0[1])), 100), "after_ci": _interval((float(w1[0]), float(w1[1])), 100),
            "gain_pp": 100 * pp.estimate, "gain_pp_ci": _interval(gain_ci, 100), "gain_pp_se": _f(100 * pp.se),
            "gain_pp_method": gain_method,
            "gains": g, "losses": lo,
            "gain_ratio": _f(math.exp(est.estimate)), "gain_ratio_ci": [_f(math.exp(c)) for c in est.ci],
            "latent_gain": _f(est.estimate), "latent_gain_ci": _interval(est.ci), "latent_gain_se": _f(est.se),
            "latent_p_value": _f(est.p_value), "latent_method": est.method, "latent_note": est.note,
            "normalized_gain": _f(ng.estimate), "normalized_gain_ci": _interval(ng.ci),
            "mcnemar_midp": mcnemar(g, lo).p_value,
            "mcnemar_method": "McNemar mid-p" if s_single else "sign test mid-p over items (mean score rose vs fell)",
            "flags": flags,
        }
        if cl is not None:
            # items in one cluster change together: McNemar and the sign test treat them as independent and
            # over-reject (12.8% at a nominal 5% with 30 clusters of 10), so the per-suite test (and its Holm
            # p) is the cluster-robust test of the latent gain; the item-level p stays, labelled
            row["mcnemar_midp_unclustered"] = row["mcnemar_midp"]
            if "cluster-robust" in est.method:
                row["mcnemar_midp"] = _f(est.p_value)
                row["mcnemar_method"] = (f"cluster-robust test of the latent gain ({est.method.split('(', 1)[1]}; "
                                         f"the item-level {row['mcnemar_method']} ignores item clusters and is in "
                                         "mcnemar_midp_unclustered")
            else:
                row["mcnemar_method"] += " (ignores item clusters: too few clusters or no gains or losses for a " \
                                         "cluster-robust test)"
        if s_binary and not s_single:
            kk = int(min(k0.min(), k1.min()))
            row["pass_at_k"] = {"k": kk, "before": 100 * float(pass_at_k(k0, x0, kk).mean()),
                                "after": 100 * float(pass_at_k(k1, x1, kk).mean()),
                                "note": "descriptive only (saturates; never used for asymmetry claims)"}
            if kk >= 2 and np.all(k0 == kk):
                row["variance_split"] = variance_components(x0, kk)
        rows.append(row)
        lat.append(est)
        pps.append(pp)
        ngs.append(ng)
        gains.append(g)
        losses.append(lo)
        ns.append(n)
        inc.append(not excluded)
        if not excluded:
            disc_suite.append(float(np.mean(y1 * (1 - y0) + y0 * (1 - y1))))
            disc_targeted.append(bool(pair.targeted[j]))
    # the Holm family (§1.9.3) is the suites that make per-suite claims: those in the layers; a suite left
    # out by the ceiling/floor rule keeps its raw p but no Holm p
    included = np.array(inc, bool)
    adj = holm(np.array([r["mcnemar_midp"] if i else np.nan for r, i in zip(rows, included, strict=True)], float))
    for r, p, i in zip(rows, adj, included, strict=True):
        r["p_holm"] = _f(p) if i else None
    return SuiteStats(rows, lat, pps, ngs, np.array(gains), np.array(losses), np.array(ns), np.array(inc, bool),
                      single, _pooled_discordance(disc_suite, disc_targeted))


def _vals(ests: Sequence[Estimate], mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([e.estimate for e, m in zip(ests, mask, strict=True) if m]),
            np.array([e.se**2 for e, m in zip(ests, mask, strict=True) if m]))


def latent_asymmetry(pair: Pair, level: float = 0.95, *, exclude: bool = True) -> tuple[Estimate, SuiteStats]:
    """A^L with its analytic variance (cluster-robust per suite when clusters exist): for controls and
    contamination subsets, where the bootstrap is not needed. `exclude=False` keeps every suite of `pair`
    (a control transition is measured on exactly the suites the suspect's A^L used: the §1.3 ceiling rule
    is the suspect's, applied once, never re-applied on a control's own data)."""
    ss = suite_stats(pair, level)
    keep = ss.included if exclude else np.ones(len(pair.suites), bool)
    y, v = _vals(ss.latent, keep)
    return asymmetry(y, v, pair.targeted[keep], level=level,
                     method="latent asymmetry A^L (Mantel-Haenszel difference-in-differences)"), ss


# ----------------------------------------------------------------------------------------------------
# The compare document


def _plan_settings(plan: Mapping[str, Any] | None, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Settings in force: the plan's, unless an argument differs from both the plan and the default
    (an explicit override, recorded as a deviation)."""
    if not plan:
        return given, []
    out, deviations = {}, []
    for key, value in given.items():
        planned = plan.get(key, DEFAULTS.get(key))
        if key == "controls":
            planned_list = list(plan.get("controls") or [])
            if value and sorted(value) != sorted(planned_list):
                deviations.append(f"controls differ from the plan (plan: {', '.join(planned_list) or 'none'}; "
                                  f"used: {', '.join(value)})")
                out[key] = list(value)
            else:
                out[key] = planned_list if not value else list(value)
            continue
        if value != DEFAULTS.get(key) and value != planned:
            deviations.append(f"{key} = {value} differs from the plan's {planned}")
            out[key] = value
        else:
            out[key] = planned
    return out, deviations


def _plan_block(plan: Mapping[str, Any] | None, suites_seen: Mapping[str, str], deviations: list[str],
                run_times: Sequence[str]) -> dict[str, Any]:
    if not plan:
        return {"used": False, "note": "no pre-registration plan: the suites and categories may have been chosen "
                                       "after the results existed (write one with `asymmetry plan` before the runs)"}
    planned = plan.get("suites", {})
    for suite, category in sorted(suites_seen.items()):
        if suite not in planned:
            deviations.append(f"suite {suite} is in the results but not in the plan: left out of the analysis")
        elif planned[suite] != category:
            deviations.append(f"suite {suite} is {category} in the results but {planned[suite]} in the plan "
                              "(the plan's category is used)")
    for suite in sorted(set(planned) - set(suites_seen)):
        deviations.append(f"planned suite {suite} has no paired items in the results")
    created = plan.get("created_at")
    predates = None
    if created and run_times:
        try:
            predates = bool(_parse_time(created) <= min(_parse_time(t) for t in run_times))
        except ValueError:
            predates = None
    if not plan.get("content_ok", True):
        deviations.append("the plan file was edited after `asymmetry plan` wrote it (content hash mismatch)")
    return {"used": True, "path": plan.get("path"), "sha256": plan.get("file_sha256"),
            "content_sha256": plan.get("content_sha256"), "content_ok": plan.get("content_ok", True),
            "created_at": created, "predates_runs": predates,
            "earliest_run": min(run_times) if run_times else None, "deviations": deviations}


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.now().astimezone().tzinfo)


def _decoding_check(manifests: Mapping[str, Sequence[Mapping[str, Any]]] | None, before: str, after: str,
                    force: bool) -> tuple[dict[str, Any], list[str], list[str]]:
    """Decoding settings (minus the seed) and suite content hashes from the run manifests of each release;
    differences are refused unless `force`. Returns (decoding block, warnings, run creation times)."""
    if not manifests:
        return ({"checked": False, "note": "inputs carry no run manifests: decoding settings not checked"}, [], [])
    out: dict[str, Any] = {"checked": True}
    warnings: list[str] = []
    times: list[str] = []
    contents: dict[str, dict[str, set[str]]] = {}
    for label, key in ((before, "before"), (after, "after")):
        settings = []
        for m in manifests.get(label, []):
            dec = dict(m.get("decoding") or {})
            dec.pop("seed", None)
            if isinstance(dec.get("extra"), Mapping):  # runs recorded before extras were redacted at the source
                dec["extra"] = redact_extra(dec["extra"])
            if m.get("samples") is not None:
                dec["samples"] = m.get("samples")
            settings.append(dec)
            if m.get("created_at"):
                times.append(str(m["created_at"]))
            for s in m.get("suites") or []:
                if isinstance(s, dict) and s.get("content_sha256"):
                    contents.setdefault(str(s.get("name")), {}).setdefault(key, set()).add(str(s["content_sha256"]))
        unique = [dict(t) for t in {tuple(sorted((k, repr(v)) for k, v in d.items())) for d in settings}]
        out[key] = settings[0] if len(settings) == 1 else (settings or None)
        if len(unique) > 1:
            _refuse(f"release {label} was run with different decoding settings in different runs", force, warnings)
    b, a = out.get("before"), out.get("after")
    if isinstance(b, dict) and isinstance(a, dict) and b != a:
        diff = sorted(k for k in set(b) | set(a) if b.get(k) != a.get(k))
        _refuse(f"decoding settings differ between {before} and {after} ({', '.join(diff)}); re-run with the same "
                "settings", force, warnings)
    for suite, by in sorted(contents.items()):
        if by.get("before") and by.get("after") and by["before"] != by["after"]:
            _refuse(f"suite {suite}: the item sets differ between the two releases' runs (content hashes differ); "
                    "re-run both on the same suite version", force, warnings)
    return out, warnings, times


def _refuse(message: str, force: bool, warnings: list[str]) -> None:
    if not force:
        raise UserError(f"{message}, or pass --force to compare anyway")
    warnings.append(f"{message} (compared anyway: --force)")


def _check_labels(models: Sequence[str], *labels: str) -> None:
    known = sorted(set(models))
    for label in labels:
        if label not in known:
            raise UserError(f"model {label!r} is not in the inputs; they hold {', '.join(known) or 'no models'}")


def _layer2(y: np.ndarray, v: np.ndarray, t: np.ndarray, level: float, seed: int) -> dict[str, Any]:
    st, su = int(t.sum()), int((~t).sum())
    block: dict[str, Any] = {"n_targeted": st, "n_untargeted": su, "testable": st >= L2_TESTABLE and su >= L2_TESTABLE,
                             "hksj": None, "hksj_modified": None, "permutation": None}
    if st >= 2 and su >= 2:
        hk = meta_regression(y, v, t, level=level)
        mod = meta_regression(y, v, t, modified=True, level=level)
        perm = suite_permutation_test(y, t, seed=seed)
        block["hksj"] = hk.to_dict()
        block["hksj_modified"] = mod.to_dict()
        block["permutation"] = {"p_value": perm.p_value, "p_one_sided": perm.extra["p_one_sided"],
                                "n_labelings": perm.extra["n_labelings"], "exact": perm.extra["exact"],
                                "min_p_one_sided": perm.extra["min_p_one_sided"], "method": perm.method}
    n = st + su
    if not block["testable"]:
        block["note"] = (f"No inference beyond these {n} benchmarks is statistically supported: generalisation "
                         f"needs at least {L2_TESTABLE} + {L2_TESTABLE} suites (4 + 4 to enter the gatekeeping "
                         f"sequence); this design has {st} + {su}.")
    elif st < L2_GATE or su < L2_GATE:
        block["note"] = (f"Generalisation is testable but weak with {st} + {su} suites (the permutation floor is "
                         f"{block['permutation']['min_p_one_sided']:.3g}); the gatekeeping sequence tests it only "
                         "from 4 + 4.")
    else:
        block["note"] = "Suites treated as draws from their domains; the effective sample size is the number of suites."
    return block


def _flatness(pair: Pair, ss: SuiteStats, margin_pp: float, alpha: float) -> dict[str, Any]:
    u = ~pair.targeted & ss.included
    mask = u[pair.code]
    margin = margin_pp / 100
    if not mask.any():
        return {"margin_pp": margin_pp, "ci90": [None, None], "equivalent": False,
                "note": "no untargeted suite in the layers"}
    def counts(m: np.ndarray) -> bool:  # binomial 0/1 outcomes, one sample, no clusters: Tango's TOST applies
        return bool(pair.cluster is None and np.all(pair.k1[m] == 1) and np.all(pair.k0[m] == 1)
                    and pair.is_binary(m))

    d = pair.x1[mask] / pair.k1[mask] - pair.x0[mask] / pair.k0[mask]
    if counts(mask):
        g, lo = int(np.sum(d > 0)), int(np.sum(d < 0))
        res = tango_tost(g, lo, d.size, margin, alpha=alpha)
        pooled = (g - lo) / d.size
    else:
        cl = None if pair.cluster is None else pair.cluster[mask]
        pm = paired_mean(d, cl)
        res = tost(pm.estimate, pm.se, margin, alpha=alpha)
        res.extra["method_note"] = pm.method
        pooled = pm.estimate
    per_suite = []
    for j in np.flatnonzero(u):
        m = pair.code == j
        dj = pair.x1[m] / pair.k1[m] - pair.x0[m] / pair.k0[m]
        if counts(m):
            r = tango_tost(int(np.sum(dj > 0)), int(np.sum(dj < 0)), dj.size, margin, alpha=alpha)
        else:
            pm = paired_mean(dj, None if pair.cluster is None else pair.cluster[m])
            r = tost(pm.estimate, pm.se, margin, alpha=alpha)
        per_suite.append({"suite": pair.suites[j], "ci90": _interval(r.extra["ci"], 100), "p_value": _f(r.p_value)})
    adj = holm(np.array([r["p_value"] if r["p_value"] is not None else np.nan for r in per_suite]))
    for r, p in zip(per_suite, adj, strict=True):
        r["p_holm"] = _f(p)
        r["equivalent"] = bool(r["p_holm"] is not None and r["p_holm"] < alpha)
    level = 1 - 2 * alpha
    return {"margin_pp": margin_pp, "ci90": _interval(res.extra["ci"], 100), "equivalent": bool(res.extra["equivalent"]),
            "pooled_gain_pp": 100 * pooled, "p_value": _f(res.p_value), "n_items": int(d.size),
            "level": level, "method": f"TOST on the pooled untargeted paired gain ({res.method}), "
                                      f"{level:.0%} interval within ±{margin_pp:g} pp",
            "per_suite": per_suite}


def _latent_flatness(untargeted: Mapping[str, Any], margin_logit: float, alpha: float) -> dict[str, Any]:
    """The pre-registered latent-scale margin (§1.8: ±0.15 logits): TOST on the untargeted group's mean
    latent gain. Secondary: the conjunction and the sentence use the pp-scale test, as §1.8 specifies."""
    est, se = untargeted.get("latent"), untargeted.get("latent_se")
    res = tost(math.nan if est is None else est, math.nan if se is None else se, margin_logit, alpha=alpha)
    return {"margin_logit": margin_logit, "estimate": est, "ci": _interval(res.extra["ci"]),
            "p_value": _f(res.p_value), "equivalent": bool(res.extra["equivalent"]), "level": 1 - 2 * alpha,
            "method": f"TOST on the untargeted suites' mean latent gain ({res.method}), {1 - 2 * alpha:.0%} "
                      f"interval within ±{margin_logit:g} logits; secondary to the pp-scale test"}


def _contamination(pair: Pair, cutoffs: Mapping[str, str] | None, level: float) -> tuple[dict | None, np.ndarray | None,
                                                                                         list[str]]:
    """Fresh (released after both models' cutoffs) vs old items. Returns the block, the fresh mask when the
    fresh items become primary (every suite has MIN_FRESH of them), and warnings."""
    if not cutoffs:
        return None, None, []
    warnings: list[str] = []
    missing = [m for m in (pair.before, pair.after) if m not in cutoffs]
    if missing:
        return None, None, [f"no --cutoff for {', '.join(missing)}: contamination split skipped"]
    if pair.release_date is None:
        return None, None, ["--cutoff given but the items carry no release_date: contamination split skipped"]
    try:
        cut = max(np.datetime64(_as_date(cutoffs[m]), "D") for m in (pair.before, pair.after))
    except ValueError as e:
        raise UserError(f"--cutoff: {e}") from None
    known = ~np.isnat(pair.release_date)
    fresh = known & (pair.release_date > cut)
    old = known & ~fresh
    if (~known).any():
        warnings.append(f"{int((~known).sum())} item(s) have no release date: left out of the contamination split")
    block: dict[str, Any] = {"cutoff": str(cut), "rule": "fresh = released after both models' training cutoffs"}
    # fresh and old are measured on one suite set: the ceiling rule applied to each part, and a suite kept
    # only if both parts keep it, so "old minus fresh" never compares different suites
    subs = {name: pair.subset(mask) for name, mask in (("fresh", fresh), ("old", old)) if mask.any()}
    kept = None
    for sub in subs.values():
        ss_part = suite_stats(sub, level)
        inside = {s for s, i in zip(sub.suites, ss_part.included, strict=True) if i}
        kept = inside if kept is None else kept & inside
    dropped = sorted(set(pair.suites) - (kept or set()))
    if dropped and len(subs) == 2:
        block["note_suites"] = (f"suite(s) {', '.join(dropped)} left out of both parts: the ceiling/floor rule "
                                "(§1.3) excludes them in the fresh or the old items")
    parts = {}
    for name in ("fresh", "old"):
        if name not in subs:
            block[name] = None
            continue
        sub = subs[name]
        sub = sub.subset(np.isin(np.asarray(sub.suites)[sub.code], sorted(kept or ())))
        if sub.code.size == 0 or sub.targeted.all() or not sub.targeted.any():
            block[name] = None
            continue
        est, _ = latent_asymmetry(sub, level, exclude=False)
        parts[name] = est
        block[name] = {**est.to_dict(), "n_items": int(sub.code.size)}
    if "fresh" in parts and "old" in parts and all(math.isfinite(p.se) for p in parts.values()):
        diff = parts["old"].estimate - parts["fresh"].estimate
        se = math.sqrt(parts["old"].se ** 2 + parts["fresh"].se ** 2)
        z = float(sps.norm.ppf(0.5 + level / 2))
        block["difference"] = Estimate(diff, se, (diff - z * se, diff + z * se), float(2 * sps.norm.sf(abs(diff) / se)),
                                       "old minus fresh A^L (independent item sets)",
                                       "positive: the asymmetry is larger on items the models may have seen").to_dict()
    else:
        block["difference"] = None
    per_suite_fresh = np.bincount(pair.code[fresh], minlength=len(pair.suites))
    block["fresh_per_suite"] = dict(zip(pair.suites, per_suite_fresh.tolist(), strict=True))
    primary = bool(per_suite_fresh.min() >= MIN_FRESH)
    block["primary"] = "fresh" if primary else "all"
    block["note"] = (f"every suite has at least {MIN_FRESH} fresh items, so the primary analysis uses fresh items only"
                     if primary else f"fewer than {MIN_FRESH} fresh items in some suite: the primary analysis uses all items")
    return block, (fresh if primary else None), warnings


def _as_date(text: str) -> str:
    return date.fromisoformat(str(text).strip()[:10]).isoformat()


def _power(n_items: np.ndarray, samples: int, st: int, su: int, discordance: float, shift: float, controls: int,
           alpha: float, margin_pp: float, warnings: list[str]) -> dict[str, Any] | None:
    try:
        from harness.stats.power import Design, detectable
    except ImportError:
        return None
    try:
        design = Design(n_items=max(int(np.median(n_items)), 10), samples=max(samples, 1), n_targeted=max(st, 1),
                        n_untargeted=max(su, 1), discordance=float(np.clip(discordance, 0.01, 0.49)),
                        controls=controls, alpha=alpha, shift=float(np.clip(abs(shift), 0.0, 3.0)),
                        margin_pp=margin_pp)
        out = detectable(design)
    except Exception as e:  # noqa: BLE001 - the power block is auxiliary: it must never cost the comparison
        warnings.append(f"power for this design not computed ({type(e).__name__}: {e})")
        return None
    out["note"] = ("what this design could detect at 80% power (median items per suite, observed one-sample "
                   "discordance and common latent gain)")
    return out


def _decisions(a_l: Estimate, flatness: Mapping[str, Any], generalisation: Mapping[str, Any],
               triple: Mapping[str, Any] | None, st: int, su: int,
               alpha: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The §1.8 conjunction (intersection-union) and the §1.9 gatekeeping sequence H1 → H2 → H3, shared by
    item and score modes so both decide by the same rules."""
    p_h1 = _one_sided(a_l)
    # the A^L component is one-sided at alpha/2 (lower bound of the (1 - alpha) interval above 0) and the TOST
    # is at alpha, so on the alpha scale the A^L component's p is 2·p_H1: the conjunction p is below alpha
    # exactly when `holds`
    conj_p = (max(min(1.0, 2 * p_h1), flatness["p_value"]) if flatness.get("p_value") is not None
              else math.nan)
    conjunction = {"targeted_disproportionate": bool(a_l.ci[0] > 0), "untargeted_flat": flatness["equivalent"],
                   "holds": bool(a_l.ci[0] > 0 and flatness["equivalent"]), "p_value": _f(conj_p),
                   "method": "intersection-union (Berger 1982): both component nulls rejected, no adjustment; "
                             "p = max(2 × the one-sided A^L p, since that rule is one-sided at alpha/2, and the "
                             "TOST p), so it is below alpha exactly when the conjunction holds"}
    hk = generalisation.get("hksj")
    h3_p = math.nan
    if hk and hk.get("p_value") is not None and hk.get("estimate") is not None:
        h3_p = hk["p_value"] / 2 if hk["estimate"] > 0 else 1 - hk["p_value"] / 2
    n_controls = len(triple.get("controls") or []) if triple else 0
    if not triple:
        h2_reason = "no control transitions given"
    elif n_controls < MIN_CONTROLS_T:
        h2_reason = (f"needs at least {MIN_CONTROLS_T} control transitions (have {n_controls}): the prediction-interval "
                     "t-test rests on normal lab-to-lab differences, which fewer controls cannot check; the triple "
                     "difference is reported as descriptive")
    else:
        h2_reason = ""
    gates = gatekeeping([
        Hypothesis("H1: layer-1 latent asymmetry A^L > 0", p_h1),
        Hypothesis("H2: excess over control transitions (triple difference) > 0",
                   triple["t_p_value"] if triple and triple.get("t_p_value") is not None else math.nan,
                   bool(triple and triple.get("t_p_value") is not None and n_controls >= MIN_CONTROLS_T), h2_reason),
        Hypothesis("H3: generalisation over benchmarks (HKSJ meta-regression) > 0", h3_p,
                   st >= L2_GATE and su >= L2_GATE, f"needs at least {L2_GATE} + {L2_GATE} suites (have {st} + {su})"),
    ], alpha=alpha / 2)
    return conjunction, gates


def compare(table: pd.DataFrame, before: str, after: str, *, controls: Sequence[str] = (),
            plan: Mapping[str, Any] | Path | str | None = None, force: bool = False, margin_pp: float = 3.0,
            margin_logit: float = 0.15,
            n_boot: int = 10_000, seed: int = 0, cutoffs: Mapping[str, str] | None = None,
            error_rule: str = "default", p_ref: float = 0.5, alpha: float = 0.05,
            manifests: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
            inputs: Mapping[str, Any] | None = None, command: str | None = None) -> dict[str, Any]:
    """The compare JSON document for `before` → `after` from an item table (DESIGN.md columns).

    `controls`: other labs' transitions as "BEFORE:AFTER" labels in the same table (layer 3). `plan`: a
    plan file or a loaded plan (harness.plan.load_plan); its settings are used, and an argument that
    differs from both the plan and the default is applied and recorded as a deviation. `margin_pp` is the
    flatness margin (primary, pp); `margin_logit` the pre-registered latent-scale one (secondary). `cutoffs`: model label → ISO date
    of its training cutoff, for the fresh-vs-old split. `manifests`: model label → the run manifests its
    rows came from (decoding and suite-content checks). `inputs`, `command`: provenance copied into the
    document. Bad input raises UserError with a one-line message.
    """
    if before == after:
        raise UserError("--before and --after name the same model; compare two different releases")
    table = validate_items(table, source="item table")  # a caller's raw DataFrame gets the same checks
    if isinstance(plan, str | Path):
        plan = load_plan(Path(plan))
    settings, deviations = _plan_settings(plan, {
        "controls": list(controls), "margin_pp": margin_pp, "margin_logit": margin_logit, "n_boot": n_boot,
        "seed": seed,
        "error_rule": error_rule, "p_ref": p_ref, "alpha": alpha})
    alpha, margin_pp, p_ref = float(settings["alpha"]), float(settings["margin_pp"]), float(settings["p_ref"])
    level = 1 - alpha
    control_pairs = [parse_control(c) for c in settings["controls"]]
    _check_labels(table["model"].unique(), before, after, *[m for c in control_pairs for m in c])
    if plan and plan.get("before") and plan.get("after") and (plan["before"], plan["after"]) != (before, after):
        deviations.append(f"the plan names {plan['before']} → {plan['after']}; compared {before} → {after}")

    decoding, warnings, run_times = _decoding_check(manifests, before, after, force)
    if "item_hash" not in table or table["item_hash"].isna().all():
        warnings.append("the items carry no content hash: releases are paired by item_id alone, so a changed "
                        "question cannot be detected")
    rows, rule_warnings = apply_error_rule(table, settings["error_rule"])
    warnings += rule_warnings
    rates, rate_warnings = error_rates(table, before, after)
    warnings += rate_warnings
    agg = aggregate_items(rows)
    categories = dict(plan["suites"]) if plan else None
    pairing = pair_items(agg, table, before, after, categories=categories, force=force)
    warnings += pairing.warnings
    pair = pairing.pair
    if pair is None:
        raise UserError(f"no item is paired between {before} and {after}: they share no (suite, item_id) with the "
                        "same content hash and a usable sample; check that both ran the same suites")
    if not pair.targeted.any() or pair.targeted.all():
        have = "targeted" if pair.targeted.all() else "untargeted"
        raise UserError(f"only {have} suites are paired ({', '.join(pair.suites)}); the comparison needs at least "
                        "one targeted (coding, agentic) and one untargeted (math, factual) suite")
    k_before = np.median(pair.k0)
    k_after = np.median(pair.k1)
    if k_before != k_after:
        warnings.append(f"different numbers of samples per item ({before}: {k_before:g}, {after}: {k_after:g}); "
                        "releases should be sampled alike")

    contamination, fresh_mask, cont_warnings = _contamination(pair, cutoffs, level)
    warnings += cont_warnings
    if fresh_mask is not None:
        pair = pair.subset(fresh_mask)

    ss = suite_stats(pair, level)
    for row in ss.rows:
        mism = next((h for h in pairing.hash_mismatch if h["suite"] == row["suite"]), None)
        if mism:
            row["flags"].append("hash mismatch")
        rate = next((r for r in rates if r["suite"] == row["suite"]), None)
        row["error_rate_before"] = rate["before"]["rate"] if rate and rate["before"] else None
        row["error_rate_after"] = rate["after"]["rate"] if rate and rate["after"] else None
        reason = next((f for f in row["flags"] if f.startswith("excluded")), None)
        if reason:
            warnings.append(f"suite {row['suite']}: {reason} — reported but left out of the layers (§1.3)")
    inc = ss.included
    t_inc = pair.targeted[inc]
    if not t_inc.any() or t_inc.all():
        raise UserError("after leaving out ceiling/floor suites with too few discordant items, one category has no "
                        "suite; see the suite flags (add items or samples to those suites)")

    # layer 1
    y_l, v_l = _vals(ss.latent, inc)
    y_p, v_p = _vals(ss.pp, inc)
    y_n, v_n = _vals(ss.normalized, inc)
    a_l = asymmetry(y_l, v_l, t_inc, level=level, method="latent asymmetry A^L (Mantel-Haenszel "
                    + ("difference-in-differences, cluster-robust suite variances)" if pair.cluster is not None
                       else "difference-in-differences, RBG variance)"))
    a_p = asymmetry(y_p * 100, v_p * 1e4, t_inc, level=level, method="pp asymmetry A^P (Miller paired differences)",
                    note="ceiling-sensitive: biased toward an asymmetry when targeted suites start lower")
    a_n = asymmetry(y_n, v_n, t_inc, level=level, method="normalised-gain asymmetry A^N (Hake)",
                    note="ceiling-sensitive; matches neither the latent nor the pp null")
    asym: dict[str, Any] = {}
    boot = None
    n_boot_used = int(settings["n_boot"])
    if pair.cluster is not None and n_boot_used > 0:
        sub = pair.subset(inc[pair.code])
        boot = cluster_bootstrap(sub.x1, sub.x0, sub.k1, sub.k0, sub.code, sub.cluster, sub.targeted,
                                 n_boot=n_boot_used, seed=int(settings["seed"]), level=level)
        asym["latent_analytic"] = a_l.to_dict()
        a_l = boot.latent
        a_p = _scaled(boot.pp, 100, a_p.note)
        a_n = boot.normalized
    asym["latent"] = a_l.to_dict()
    asym["pp"] = a_p.to_dict()
    asym["normalized"] = a_n.to_dict()
    t_mean, u_mean = float(y_l[t_inc].mean()), float(y_l[~t_inc].mean())
    asym["latent"]["pp_at_50"] = 100 * float(pp_equivalent(t_mean, 0.5) - pp_equivalent(u_mean, 0.5))
    if p_ref != 0.5:
        asym["latent"]["pp_at_ref"] = 100 * float(pp_equivalent(t_mean, p_ref) - pp_equivalent(u_mean, p_ref))
    asym["latent"]["p_ref"] = p_ref
    sparse = [r["suite"] for r, i in zip(ss.rows, inc, strict=True) if i and "few discordant" in r["flags"]]
    partial = [r["suite"] for r in ss.rows if r["score_type"] != "binary"]
    if partial:
        warnings.append(f"suite(s) {', '.join(partial)} have partial-credit scores (between 0 and 1): their latent "
                        "gains treat scores as fractional successes (an approximation) with items-as-draws "
                        "variances, and their pp intervals use Miller's paired SE; no count-based test (Tango, "
                        "McNemar, exact) applies to them")
    if sparse and pair.is_binary(inc[pair.code]):  # the exact test counts binomial gains and losses
        gt, lt = int(ss.gains[inc][t_inc].sum()), int(ss.losses[inc][t_inc].sum())
        gu, lu = int(ss.gains[inc][~t_inc].sum()), int(ss.losses[inc][~t_inc].sum())
        asym["latent_exact"] = {
            "p_value": gain_loss_table_test(gt, lt, gu, lu, "fisher"),
            "table": {"targeted": [gt, lt], "untargeted": [gu, lu]},
            "method": "Fisher exact test of pooled gain/loss odds, targeted vs untargeted (exact conditional)",
            "note": f"few gains or losses in {', '.join(sparse)}: read A^L's interval as approximate beside this "
                    "exact test (which pools items across suites)"}
        asym["latent"]["note"] = (asym["latent"].get("note", "") + "; " if asym["latent"].get("note") else "") + \
            f"few discordant items in {', '.join(sparse)} (see latent_exact)"

    groups = {}
    for name, mask in (("targeted", t_inc), ("untargeted", ~t_inc)):
        gm = group_mean(y_l[mask], v_l[mask], level=level)
        names = [s for s, i, t in zip(pair.suites, inc, pair.targeted, strict=True) if i and t == (name == "targeted")]
        in_group = inc & (pair.targeted == (name == "targeted"))
        counted = [r for r, i in zip(ss.rows, in_group, strict=True) if i]
        groups[name] = {"suites": names, "gain_ratio": _f(math.exp(gm.estimate)),
                        "gain_ratio_ci": [_f(math.exp(c)) for c in gm.ci],
                        "gain_ratio_method": "geometric mean of the group's per-suite gain/loss ratios (e^ of the "
                                             "mean latent gain, equal suite weights), not a pooled count ratio",
                        "gains": int(ss.gains[in_group].sum()), "losses": int(ss.losses[in_group].sum()),
                        "zero_cell_suites": [r["suite"] for r in counted if "zero cell (Haldane)" in r["flags"]],
                        "latent": _f(gm.estimate),
                        "latent_ci": _interval(gm.ci), "latent_se": _f(gm.se),
                        "gain_pp": _f(float(np.mean(y_p[mask])) * 100),
                        "pp_at_50": 100 * float(pp_equivalent(gm.estimate, 0.5)),
                        "before": float(np.mean([r["before"] for r, i in zip(ss.rows, inc, strict=True) if i and r["category"] == name])),
                        "after": float(np.mean([r["after"] for r, i in zip(ss.rows, inc, strict=True) if i and r["category"] == name]))}

    generalisation = _layer2(y_l, v_l, t_inc, level, int(settings["seed"]))

    # layer 3: every control on the suspect's analysed suites and items (after the ceiling rule and any
    # fresh-item restriction), so suspect and controls estimate the same quantity
    triple = None
    if control_pairs:
        analysed = pair.subset(inc[pair.code])
        scope = {s: ("targeted" if t else "untargeted") for s, t in zip(analysed.suites, analysed.targeted, strict=True)}
        triple, ctrl_warnings = _triple(table, agg, control_pairs, scope, analysed.keys(), force, a_l, level,
                                        fresh=fresh_mask is not None)
        warnings += ctrl_warnings

    flatness = _flatness(pair, ss, margin_pp, alpha)
    flatness["latent"] = _latent_flatness(groups["untargeted"], float(settings["margin_logit"]), alpha)
    st, su = int(t_inc.sum()), int((~t_inc).sum())
    conjunction, gates = _decisions(a_l, flatness, generalisation, triple, st, su, alpha)

    power = _power(ss.n_items[inc], int(min(np.median(pair.k0), np.median(pair.k1))), st, su, ss.discordance,
                   (t_mean + u_mean) / 2,
                   len(control_pairs), alpha, margin_pp, warnings)

    plan_block = _plan_block(plan, pairing.categories, deviations, run_times)
    if not plan:
        warnings.append(plan_block["note"])
    elif plan_block.get("predates_runs") is False:
        warnings.append("the plan was written after the runs started: categories may have been chosen after the "
                        "results existed")
    for d in plan_block.get("deviations", []):
        warnings.append(f"deviation from the plan: {d}")

    doc: dict[str, Any] = {
        "schema": SCHEMA, "harness_version": __version__, "alpha": alpha,
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "before": before, "after": after, "mode": "items", "scale": "logit",
        "evidence": "item-level, paired",
        "suites": ss.rows, "asymmetry": asym, "groups": groups, "generalisation": generalisation,
        "flatness": flatness, "conjunction": conjunction, "gatekeeping": gates, "triple_difference": triple,
        "contamination": contamination,
        "diagnostics": {
            "warnings": warnings, "unpaired": pairing.unpaired, "hash_mismatch": pairing.hash_mismatch,
            "error_rates": rates, "decoding": decoding, "suite_versions": pairing.suite_versions,
            "plan": plan_block, "error_rule": {"rule": settings["error_rule"],
                                               "text": ERROR_RULE_TEXT[settings["error_rule"]]},
            "samples_per_item": {"before": float(k_before), "after": float(k_after)},
            "clusters": None if pair.cluster is None else int(len(set(pair.cluster.tolist()))),
            "bootstrap": None if boot is None else {"n_boot": boot.n_boot, "seed": boot.seed,
                                                    "interval": "BCa (within-suite cluster resampling)"},
            "discordance": _f(ss.discordance),
        },
    }
    if power is not None:
        doc["power"] = power
    return _finish(doc, inputs, command)


def _finish(doc: dict[str, Any], inputs: Mapping[str, Any] | None, command: str | None) -> dict[str, Any]:
    """Provenance, then the citable sentence and its caveat, written last from the finished numbers."""
    if inputs is not None:
        doc["inputs"] = dict(inputs)
    if command is not None:
        doc["command"] = command
    doc["summary"] = summary_for(doc)
    doc["caveat"] = caveat_for(doc)
    return doc


def _scaled(est: Estimate, factor: float, note: str) -> Estimate:
    return Estimate(est.estimate * factor, est.se * factor, (est.ci[0] * factor, est.ci[1] * factor), est.p_value,
                    est.method, note or est.note, est.level)


def _triple(table: pd.DataFrame, agg: pd.DataFrame, controls: Sequence[tuple[str, str]],
            scope: Mapping[str, str], items: pd.MultiIndex, force: bool, suspect: Estimate, level: float,
            *, fresh: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Each control transition's A^L, then the triple difference (§1.7).

    A control is measured on the suspect's analysed scope: the suites that entered the suspect's A^L, with
    the suspect's categories (`scope`), and only the suspect's analysed (suite, item_id) pairs (`items`:
    after the ceiling rule and, when fresh items are primary, the fresh items only). The ceiling rule is not
    re-applied on a control's own data: A_0 - Ā_c must compare one estimand measured on one set of items.
    """
    rows, warnings, values, variances = [], [], [], []
    n_scope = len(items)
    for b, a in controls:
        pairing = pair_items(agg, table, b, a, categories=scope, force=force)
        if pairing.pair is None:
            raise UserError(f"control {b}:{a}: no paired items; check that both ran the suspect's suites")
        cp = pairing.pair
        cp = cp.subset(np.asarray(cp.keys().isin(items)))
        if cp.code.size == 0:
            raise UserError(f"control {b}:{a}: none of the suspect's analysed items is paired in this control")
        missing = sorted(set(scope) - set(cp.suites))
        if missing:
            warnings.append(f"control {b}:{a} lacks suite(s) {', '.join(missing)}: its asymmetry uses the others, "
                            "so it is not measured on the same suites as the suspect's")
        if cp.code.size < n_scope:
            warnings.append(f"control {b}:{a}: {cp.code.size} of the suspect's {n_scope} analysed items are paired "
                            "in this control; its asymmetry uses those")
        est, _ = latent_asymmetry(cp, level, exclude=False)
        if not math.isfinite(est.estimate):
            raise UserError(f"control {b}:{a}: needs paired items in at least one targeted and one untargeted suite")
        rows.append({"before": b, "after": a, "asymmetry": est.estimate, "se": _f(est.se), "ci": _interval(est.ci),
                     "n_items": int(cp.code.size), "suites": list(cp.suites)})
        values.append(est.estimate)
        variances.append(est.se**2)
    scope_note = ("controls measured on the suspect's analysed suites and items"
                  + (" (the fresh items: released after the suspect's two training cutoffs, which may precede a "
                     "control's)" if fresh else "") + "; the ceiling rule is the suspect's, not re-applied per control")
    if len(values) < 2:
        return ({"controls": rows, "excess": None, "ci": [None, None], "t_p_value": None,
                 "rank_p_value": (1 + sum(v >= suspect.estimate for v in values)) / (len(values) + 1),
                 "note": "the prediction-interval t-test needs at least 2 control transitions",
                 "control_scope": scope_note}, warnings)
    res = triple_difference(suspect.estimate, np.array(values), v0=suspect.se**2, v_controls=np.array(variances),
                            level=level)
    out = res.to_dict()
    out["controls"] = rows
    out["n_above"] = int(sum(suspect.estimate > v for v in values))
    out["control_scope"] = scope_note
    return out, warnings


# ----------------------------------------------------------------------------------------------------
# Score-level mode


def load_scores(path: Path) -> pd.DataFrame:
    """A published-score table (DESIGN.md): model, suite, category, score (percent), n_items; optional
    source, setting, capability. One row per (model, suite); bad rows get one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"model": str, "suite": str, "category": str})
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise UserError(f"{path}: cannot read the score table ({str(e).splitlines()[0]})") from None
    missing = [c for c in SCORES_REQUIRED if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}; a score table needs "
                        f"{', '.join(SCORES_REQUIRED)} (optional: {', '.join(SCORES_OPTIONAL)})")
    for col in ("model", "suite", "category"):
        if frame[col].isna().any():
            raise UserError(f"{path}: line {int(np.flatnonzero(frame[col].isna())[0]) + 2}: empty {col!r}")
    bad = ~frame["category"].isin(CATEGORIES)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise UserError(f"{path}: line {i + 2}: category {frame['category'].iloc[i]!r} is not one of "
                        f"{', '.join(CATEGORIES)}")
    score = pd.to_numeric(frame["score"], errors="coerce")
    n = pd.to_numeric(frame["n_items"], errors="coerce")
    for name, values, ok in (("score", score, (score >= 0) & (score <= 100)), ("n_items", n, (n >= 1) & (n % 1 == 0))):
        if (~ok | values.isna()).any():
            i = int(np.flatnonzero(~ok | values.isna())[0])
            what = "a percentage in [0, 100]" if name == "score" else "a whole number of items >= 1"
            raise UserError(f"{path}: line {i + 2}: {name} {str(frame[name].iloc[i])!r} is not {what}")
    frame = frame.assign(score=score.astype(float), n_items=n.astype(int))
    # the same score reported in two source tables is one score; two different scores are a conflict
    key = ["model", "suite"]
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        values = frame[dup].groupby(key)[["score", "n_items", "category"]].nunique()
        conflict = values[(values > 1).any(axis=1)]
        if not conflict.empty:
            model, suite = conflict.index[0]
            lines = [str(i + 2) for i in np.flatnonzero((frame["model"] == model) & (frame["suite"] == suite))]
            raise UserError(f"{path}: lines {', '.join(lines)}: different scores for model {model!r}, suite "
                            f"{suite!r}; keep one row per (model, suite) (one setting, one source)")
        frame = frame.drop_duplicates(key, keep="first").reset_index(drop=True)
    return frame


def _binomial_logit(p: float, n: int) -> tuple[float, float, bool]:
    """Logit of a published accuracy and its binomial variance, with +0.5 counts at 0% or 100%."""
    x = p * n
    corrected = x < 0.5 or n - x < 0.5
    if corrected:
        x, n = x + 0.5, n + 1
    q = x / n
    return float(logit(q)), 1.0 / (n * q * (1 - q)), corrected


def compare_scores(scores: pd.DataFrame, before: str, after: str, *, controls: Sequence[str] = (),
                   margin_pp: float = 3.0, margin_logit: float = 0.15, alpha: float = 0.05, p_ref: float = 0.5,
                   plan: Mapping[str, Any] | Path | str | None = None, inputs: Mapping[str, Any] | None = None,
                   command: str | None = None, seed: int = 0) -> dict[str, Any]:
    """Score-level mode: published accuracies with item counts, unpaired binomial on the logit scale per
    suite (marginal, not conditional, log odds), the same layers where they apply. Weaker evidence: no
    pairing, no item-level checks, no McNemar, no clusters; labelled so in the document."""
    if before == after:
        raise UserError("--before and --after name the same model; compare two different releases")
    if isinstance(plan, str | Path):
        plan = load_plan(Path(plan))
    settings, deviations = _plan_settings(plan, {"controls": list(controls), "margin_pp": margin_pp,
                                                 "margin_logit": margin_logit,
                                                 "alpha": alpha, "p_ref": p_ref})
    alpha, margin_pp, p_ref = float(settings["alpha"]), float(settings["margin_pp"]), float(settings["p_ref"])
    level = 1 - alpha
    control_pairs = [parse_control(c) for c in settings["controls"]]
    _check_labels(scores["model"].unique(), before, after, *[m for c in control_pairs for m in c])
    categories = dict(plan["suites"]) if plan else None
    warnings: list[str] = []

    def transition(b: str, a: str) -> pd.DataFrame:
        sb = scores[scores["model"] == b].set_index("suite")
        sa = scores[scores["model"] == a].set_index("suite")
        common = sorted(set(sb.index) & set(sa.index))
        frame = pd.DataFrame({"p0": sb.loc[common, "score"] / 100, "n0": sb.loc[common, "n_items"],
                              "p1": sa.loc[common, "score"] / 100, "n1": sa.loc[common, "n_items"],
                              "category": sb.loc[common, "category"]}, index=common)
        if categories is not None:
            frame = frame[frame.index.isin(list(categories))]
            frame["category"] = [categories[s] for s in frame.index]
        order = sorted(frame.index, key=lambda s: (CATEGORIES.index(frame.loc[s, "category"]), s))
        return frame.loc[order]

    frame = transition(before, after)
    only = sorted(set(scores.loc[scores["model"].isin([before, after]), "suite"]) - set(frame.index))
    if only:
        warnings.append(f"suite(s) {', '.join(only)} have a score for one release only: left out")
    if frame.empty or (frame["category"] == "targeted").all() or (frame["category"] == "untargeted").all():
        raise UserError(f"{before} and {after} need scores on at least one targeted and one untargeted common suite")
    rows, lat, lat_v, pps, pp_v = [], [], [], [], []
    z = float(sps.norm.ppf(0.5 + level / 2))
    for suite, r in frame.iterrows():
        l0, v0, c0 = _binomial_logit(r.p0, int(r.n0))
        l1, v1, c1 = _binomial_logit(r.p1, int(r.n1))
        d, v = l1 - l0, v0 + v1
        se = math.sqrt(v)
        gain = r.p1 - r.p0
        gain_ci = newcombe_unpaired_ci(r.p1 * r.n1, r.n1, r.p0 * r.n0, r.n0, level)
        pp_se = math.sqrt(r.p1 * (1 - r.p1) / r.n1 + r.p0 * (1 - r.p0) / r.n0)
        w0, w1 = wilson_ci(r.p0 * r.n0, r.n0, level), wilson_ci(r.p1 * r.n1, r.n1, level)
        flags = ["unpaired (published scores)"]
        if c0 or c1:
            flags.append("0% or 100%: +0.5 correction")
        if r.p0 > 1 - EDGE or r.p0 < EDGE:
            flags.append("ceiling" if r.p0 > 1 - EDGE else "floor")
        if r.n0 != r.n1:
            flags.append("item counts differ between releases")
        rows.append({
            "suite": suite, "category": r.category, "n_items": int(min(r.n0, r.n1)),
            "n_items_before": int(r.n0), "n_items_after": int(r.n1),
            "before": 100 * r.p0, "after": 100 * r.p1,
            "before_ci": _interval((float(w0[0]), float(w0[1])), 100), "after_ci": _interval((float(w1[0]), float(w1[1])), 100),
            "gain_pp": 100 * gain, "gain_pp_ci": _interval(gain_ci, 100), "gain_pp_se": 100 * pp_se,
            "gain_pp_method": "Newcombe hybrid score interval (unpaired)",
            "gains": None, "losses": None, "gain_ratio": None, "gain_ratio_ci": None,
            "latent_gain": d, "latent_gain_ci": [d - z * se, d + z * se], "latent_gain_se": se,
            "latent_p_value": float(2 * sps.norm.sf(abs(d) / se)),
            "latent_method": "marginal logit difference, unpaired binomial variance",
            "mcnemar_midp": None, "p_holm": None, "flags": flags,
        })
        lat.append(d)
        lat_v.append(v)
        pps.append(100 * gain)
        pp_v.append(1e4 * pp_se**2)
    if "capability" in scores.columns:  # optional column: what each suite measures (coding, agentic, math, factual)
        caps = scores[scores["model"] == before].set_index("suite")["capability"]
        for row in rows:
            cap = caps.get(row["suite"])
            if isinstance(cap, str) and cap:
                row["capability"] = cap
    t = (frame["category"] == "targeted").to_numpy()
    lat_a, lat_v = np.array(lat), np.array(lat_v)
    a_l = asymmetry(lat_a, lat_v, t, level=level,
                    method="latent asymmetry from published scores (marginal logit, unpaired binomial)",
                    note="weaker evidence: no pairing, no item-level checks; marginal logits are not ceiling-free")
    a_p = asymmetry(np.array(pps), np.array(pp_v), t, level=level, method="pp asymmetry from published scores",
                    note="ceiling-sensitive; unpaired")
    p0, p1 = frame["p0"].to_numpy(), frame["p1"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ng = (p1 - p0) / (1 - p0)
        ng_v = (p1 * (1 - p1) / frame["n1"].to_numpy() + (1 - p1) ** 2 * p0 * (1 - p0) / frame["n0"].to_numpy()
                / (1 - p0) ** 2) / (1 - p0) ** 2
    a_n = asymmetry(ng, ng_v, t, level=level, method="normalised-gain asymmetry from published scores",
                    note="ceiling-sensitive; unpaired")
    asym = {"latent": a_l.to_dict(), "pp": a_p.to_dict(), "normalized": a_n.to_dict()}
    tm, um = float(lat_a[t].mean()), float(lat_a[~t].mean())
    asym["latent"]["pp_at_50"] = 100 * float(pp_equivalent(tm) - pp_equivalent(um))
    asym["latent"]["p_ref"] = p_ref
    if p_ref != 0.5:
        asym["latent"]["pp_at_ref"] = 100 * float(pp_equivalent(tm, p_ref) - pp_equivalent(um, p_ref))
    groups = {}
    for name, mask in (("targeted", t), ("untargeted", ~t)):
        gm = group_mean(lat_a[mask], lat_v[mask], level=level)
        groups[name] = {"suites": list(frame.index[mask]), "gain_ratio": None, "gain_ratio_ci": None,
                        "latent": gm.estimate, "latent_ci": _interval(gm.ci), "latent_se": gm.se,
                        "gain_pp": float(np.mean(np.array(pps)[mask])),
                        "pp_at_50": 100 * float(pp_equivalent(gm.estimate)),
                        "before": float(100 * p0[mask].mean()), "after": float(100 * p1[mask].mean())}
    generalisation = _layer2(lat_a, lat_v, t, level, seed)

    triple = None
    if control_pairs:
        ctrl_rows, values, variances = [], [], []
        for b, a in control_pairs:
            cf = transition(b, a)
            cf = cf[cf.index.isin(frame.index)]
            ct = (cf["category"] == "targeted").to_numpy()
            if cf.empty or ct.all() or not ct.any():
                raise UserError(f"control {b}:{a}: needs scores on at least one targeted and one untargeted suite "
                                f"shared with {before} → {after}")
            ls = [(_binomial_logit(r.p1, int(r.n1)), _binomial_logit(r.p0, int(r.n0))) for _, r in cf.iterrows()]
            est = asymmetry(np.array([x[0][0] - x[1][0] for x in ls]), np.array([x[0][1] + x[1][1] for x in ls]), ct)
            ctrl_rows.append({"before": b, "after": a, "asymmetry": est.estimate, "se": est.se,
                              "ci": _interval(est.ci), "suites": list(cf.index)})
            values.append(est.estimate)
            variances.append(est.se**2)
        if len(values) >= 2:
            res = triple_difference(a_l.estimate, np.array(values), v0=a_l.se**2, v_controls=np.array(variances),
                                    level=level)
            triple = {**res.to_dict(), "controls": ctrl_rows, "n_above": int(sum(a_l.estimate > v for v in values))}
        else:
            triple = {"controls": ctrl_rows, "excess": None, "ci": [None, None], "t_p_value": None,
                      "rank_p_value": (1 + sum(v >= a_l.estimate for v in values)) / (len(values) + 1),
                      "note": "the prediction-interval t-test needs at least 2 control transitions"}

    # flatness: pooled untargeted gain (item-weighted), unpaired SE
    u = ~t
    n_u = frame["n1"].to_numpy()[u]
    w = n_u / n_u.sum()
    pooled = float(np.sum(w * (p1[u] - p0[u])))
    se_pooled = float(np.sqrt(np.sum(w**2 * (p1[u] * (1 - p1[u]) / frame["n1"].to_numpy()[u]
                                             + p0[u] * (1 - p0[u]) / frame["n0"].to_numpy()[u]))))
    res = tost(pooled, se_pooled, margin_pp / 100, alpha=alpha)
    flatness = {"margin_pp": margin_pp, "ci90": _interval(res.extra["ci"], 100), "equivalent": bool(res.extra["equivalent"]),
                "pooled_gain_pp": 100 * pooled, "p_value": _f(res.p_value), "n_items": int(n_u.sum()),
                "level": 1 - 2 * alpha,
                "method": f"TOST on the pooled untargeted gain (unpaired binomial SE), within ±{margin_pp:g} pp"}
    flatness["latent"] = _latent_flatness(groups["untargeted"], float(settings["margin_logit"]), alpha)
    st, su = int(t.sum()), int(u.sum())
    conjunction, gates = _decisions(a_l, flatness, generalisation, triple, st, su, alpha)
    plan_block = _plan_block(plan, dict(zip(frame.index, frame["category"], strict=True)), deviations, [])
    if not plan:
        warnings.append(plan_block["note"])
    warnings.append("score-level mode: published accuracies only; no pairing, no item-level checks (hashes, errors, "
                    "decoding), so this is weaker evidence than an item-level comparison")
    doc: dict[str, Any] = {
        "schema": SCHEMA, "harness_version": __version__, "alpha": alpha,
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "before": before, "after": after, "mode": "scores", "scale": "logit",
        "evidence": "published scores, unpaired (weaker evidence: no pairing, no item-level checks)",
        "suites": rows, "asymmetry": asym, "groups": groups, "generalisation": generalisation,
        "flatness": flatness, "conjunction": conjunction, "gatekeeping": gates, "triple_difference": triple,
        "contamination": None,
        "diagnostics": {"warnings": warnings, "unpaired": [], "hash_mismatch": [], "error_rates": [],
                        "decoding": {"checked": False, "note": "published scores carry no decoding settings"},
                        "suite_versions": {}, "plan": plan_block,
                        "error_rule": {"rule": "n/a", "text": "published scores: error handling is the publisher's"},
                        "sources": _sources(scores, [before, after, *[m for c in control_pairs for m in c]])},
    }
    return _finish(doc, inputs, command)


def _sources(scores: pd.DataFrame, models: Sequence[str]) -> list[dict[str, Any]]:
    cols = [c for c in ("model", "suite", "source", "setting", "source_name", "evaluator") if c in scores.columns]
    if "source" not in cols:
        return []
    sub = scores[scores["model"].isin(models)][cols]
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in sub.to_dict("records")]

