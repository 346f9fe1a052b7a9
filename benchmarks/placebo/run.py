"""Placebo: random labellings of real suites into targeted / untargeted, decided by the verdict rule (methods §4).

The labels carry no information, so the verdict sentence ("targeted gains were larger" or "untargeted
gains were larger") should fire for at most 5% of labellings (plus Monte Carlo error). The audit found
10-30% with the first design. For each data set of the reference outputs (the data folder's outputs/, found
through ASYMMETRY_SHARED_DATA; read there, never copied) and
each release pair, every balanced labelling of its suites is decided exactly as `compare` decides
(harness.stats.primary: minimum suite size, the primary asymmetry with its σ grid or σ̂, leave-one-suite-
out, sparse suites), and beside it the first design (Mantel-Haenszel with the RBG variance, samples as
units) and the Mantel-Haenszel with item-level variance.

Natural suites: LiveCodeBench generation (platform x difficulty), LiveCodeBench execution (date
terciles), MultiPL-E (8 languages, published scores). EvalPerf and EvalPlus have two natural suites each,
so their items are split at random into pseudo-suites (EvalPerf 3 of ~39 tasks, EvalPlus 4 of ~140; R
partitions, every balanced labelling of each): a pure exchangeable null on real items.

    nice -n 10 .venv/bin/python benchmarks/placebo/run.py [--partitions 40] [--json PATH]
    .venv/bin/python benchmarks/placebo/run.py --only EvalPerf --partitions 10

Also reproduces the audit's EvalPerf case (Llama-3-8B -> Llama-3.1-8B, HumanEval-derived "targeted" vs
MBPP-derived "untargeted"): first design p ≈ 1e-10, item level p ≈ 0.10.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

import placebo_data as datasets  # noqa: E402  (not `datasets`: the Hugging Face package owns that name)

from harness.stats import asymmetry  # noqa: E402
from harness.stats.guards import small_suites  # noqa: E402
from harness.stats.latent import item_level_variance, mh_estimates, mh_sums  # noqa: E402
from harness.stats.primary import decide_primary, score_table, suite_table  # noqa: E402


@dataclass
class Tally:
    """Labellings decided for one data set, and how many fired each rule."""

    dataset: str
    labellings: int = 0
    verdict: int = 0
    first_design: int = 0
    item_level_mh: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    transitions: list[str] = field(default_factory=list)

    def share(self, n: int) -> float:
        return n / self.labellings if self.labellings else math.nan

    def mc_se(self) -> float:
        p = self.share(self.verdict)
        return math.sqrt(max(p * (1 - p), 1e-12) / max(self.labellings, 1))


def balanced_labellings(n: int) -> list[np.ndarray]:
    """Every split of n suites into two groups of sizes ⌊n/2⌋ and ⌈n/2⌉ (both ways round when they differ)."""
    sizes = {n // 2, n - n // 2}
    out = []
    for size in sizes:
        for combo in itertools.combinations(range(n), size):
            t = np.zeros(n, bool)
            t[list(combo)] = True
            out.append(t)
    return out


def _item_arrays(tr: datasets.Transition, suite_of_item: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Suites kept by the minimum-size guard, their names, item codes and the kept-item mask."""
    names = sorted(set(suite_of_item.tolist()))
    code = np.array([names.index(s) for s in suite_of_item])
    sizes = np.bincount(code, minlength=len(names))
    keep = ~small_suites(sizes)
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    mask = keep[code]
    new_code = np.array([kept.index(names[c]) for c in code[mask]], np.intp)
    return kept, new_code, mask


def decide_items(tr: datasets.Transition, suite_of_item: np.ndarray, tally: Tally) -> None:
    """Fit once, then decide every balanced labelling of the kept suites."""
    names, code, m = _item_arrays(tr, suite_of_item)
    if len(names) < 2:
        return
    x1, x0, k1, k0 = tr.x1[m], tr.x0[m], tr.k1[m], tr.k0[m]
    table = suite_table(x1, x0, k1, k0, code, names)
    n_s = len(names)
    d_item, v_item, _ = item_level_variance(x1, x0, k1, k0, code, n_s)
    d_rbg, v_rbg, _ = mh_estimates(mh_sums(x1, x0, k1, k0, group=code, n_groups=n_s))
    for t in balanced_labellings(n_s):
        prim = decide_primary(table, t)
        tally.labellings += 1
        tally.verdict += prim.decision.fires()
        tally.verdicts[prim.verdict] = tally.verdicts.get(prim.verdict, 0) + 1
        tally.first_design += asymmetry(d_rbg, v_rbg, t).ci[0] > 0 or asymmetry(d_rbg, v_rbg, t).ci[1] < 0
        a = asymmetry(d_item, v_item, t)
        tally.item_level_mh += a.ci[0] > 0 or a.ci[1] < 0


def run_natural(transitions: list[datasets.Transition], name: str) -> Tally:
    tally = Tally(name)
    for tr in transitions:
        decide_items(tr, tr.suite, tally)
        tally.transitions.append(f"{tr.before} -> {tr.after}")
    return tally


def run_partitions(transitions: list[datasets.Transition], name: str, partitions: int, n_suites: int = 4,
                   seed: int = 0) -> Tally:
    """Random partitions of each transition's items into `n_suites` pseudo-suites (seeded)."""
    tally = Tally(name)
    rng = np.random.default_rng(seed)
    for tr in transitions:
        for _ in range(partitions):
            labels = np.array([f"part{j}" for j in rng.permutation(np.arange(tr.x1.size) % n_suites)])
            decide_items(tr, labels, tally)
        tally.transitions.append(f"{tr.before} -> {tr.after} ({partitions} random partitions into {n_suites})")
    return tally


MULTIPL_E_PAIRS = (("llama3", "llama3_70B"), ("qwen2", "qwen2_72B"), ("llama3", "qwen2"), ("llama3_70B", "qwen2_72B"))


def run_multipl_e() -> Tally:
    """Score mode: published per-language accuracies with their item counts."""
    scores = datasets.multipl_e()
    tally = Tally("MultiPL-E (published scores)")
    for b, a in MULTIPL_E_PAIRS:
        langs = [lang for lang in datasets.MULTIPL_E_LANGUAGES if lang in scores[b] and lang in scores[a]]
        n = np.array([datasets.MULTIPL_E_ITEMS[lang] for lang in langs], float)
        p0 = np.array([scores[b][lang] for lang in langs]) / 100
        p1 = np.array([scores[a][lang] for lang in langs]) / 100
        table = score_table(p0, n, p1, n, langs)
        lat0, lat1 = np.log(p0 / (1 - p0)), np.log(p1 / (1 - p1))
        d, v = lat1 - lat0, 1 / (n * p0 * (1 - p0)) + 1 / (n * p1 * (1 - p1))
        for t in balanced_labellings(len(langs)):
            prim = decide_primary(table, t)
            tally.labellings += 1
            tally.verdict += prim.decision.fires()
            tally.verdicts[prim.verdict] = tally.verdicts.get(prim.verdict, 0) + 1
            a_l = asymmetry(d, v, t)
            tally.first_design += a_l.ci[0] > 0 or a_l.ci[1] < 0
        tally.transitions.append(f"{b} -> {a}")
    return tally


def audit_evalperf() -> dict[str, float]:
    """Llama-3-8B -> Llama-3.1-8B on EvalPerf, HumanEval-derived as 'targeted', MBPP-derived as 'untargeted'."""
    tr = datasets.evalperf(datasets.EVALPERF_PAIRS[:1])[0]
    names = ["HumanEval-derived", "MBPP-derived"]
    code = np.array([names.index(s) for s in tr.suite], np.intp)
    t = np.array([True, False])
    d_rbg, v_rbg, _ = mh_estimates(mh_sums(tr.x1, tr.x0, tr.k1, tr.k0, group=code, n_groups=2))
    first = asymmetry(d_rbg, v_rbg, t)
    d_item, v_item, _ = item_level_variance(tr.x1, tr.x0, tr.k1, tr.k0, code, 2)
    item = asymmetry(d_item, v_item, t)
    prim = decide_primary(suite_table(tr.x1, tr.x0, tr.k1, tr.k0, code, names), t)
    row = prim.summary_row
    return {"first_design_estimate": first.estimate, "first_design_se": first.se, "first_design_p": first.p_value,
            "item_level_estimate": item.estimate, "item_level_se": item.se, "item_level_p": item.p_value,
            "se_ratio": item.se / first.se, "primary_estimate": row.estimate, "primary_se": row.se,
            "primary_p": row.p_value, "primary_verdict": prim.verdict,
            "sigma_hat": [g.sigma for g in prim.gains[0]]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--partitions", type=int, default=40, help="random partitions per EvalPerf/EvalPlus pair")
    ap.add_argument("--only", default="", help="comma-separated data set name prefixes")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if not (datasets.data_root() / "outputs").is_dir():
        print(f"reference data not found at {datasets.data_root()}; set ASYMMETRY_SHARED_DATA", file=sys.stderr)
        return 2
    jobs = [
        ("LiveCodeBench generation", lambda: run_natural(datasets.livecodebench_generation(), "LiveCodeBench generation")),
        ("LiveCodeBench execution", lambda: run_natural(datasets.livecodebench_execution(), "LiveCodeBench execution")),
        # 118 tasks: 3 pseudo-suites of 39-40 (4 would leave suites below the 30-item minimum)
        ("EvalPerf", lambda: run_partitions(datasets.evalperf(), "EvalPerf (random 3-way partitions)", args.partitions,
                                            n_suites=3)),
        ("EvalPlus", lambda: run_partitions(datasets.evalplus(), "EvalPlus (random 4-way partitions)", args.partitions)),
        ("MultiPL-E", run_multipl_e),
    ]
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    tallies, timings = [], {}
    for name, job in jobs:
        if only and not any(name.startswith(p) for p in only):
            continue
        start = time.perf_counter()
        tallies.append(job())
        timings[name] = time.perf_counter() - start
        t = tallies[-1]
        print(f"  {t.dataset:<40} {t.labellings:5d} labellings  verdict {t.share(t.verdict):6.1%}  "
              f"({timings[name]:.0f} s)", file=sys.stderr, flush=True)
    audit = audit_evalperf() if not only or any("EvalPerf".startswith(p) or p.startswith("audit") for p in only) else None
    lines = ["| Data set | Labellings | Verdict fires | MC SE | First design (MH, RBG) | MH, item-level | Verdicts |",
             "|---|---|---|---|---|---|---|"]
    for t in tallies:
        vs = " ".join(f"{k}:{v}" for k, v in sorted(t.verdicts.items()))
        lines.append(f"| {t.dataset} | {t.labellings} | {t.share(t.verdict):.1%} | {t.mc_se():.1%} | "
                     f"{t.share(t.first_design):.1%} | {t.share(t.item_level_mh):.1%} | {vs} |")
    print("\n".join(lines))
    for t in tallies:
        print(f"\n{t.dataset}: " + "; ".join(t.transitions))
    if audit:
        print("\nAudit case, EvalPerf Llama-3-8B -> Llama-3.1-8B, HumanEval-derived vs MBPP-derived:")
        print(f"  first design (MH, RBG, samples as units): A = {audit['first_design_estimate']:.3f}, "
              f"SE {audit['first_design_se']:.3f}, p = {audit['first_design_p']:.2g}")
        print(f"  MH with item-level variance:             A = {audit['item_level_estimate']:.3f}, "
              f"SE {audit['item_level_se']:.3f} ({audit['se_ratio']:.1f}x), p = {audit['item_level_p']:.2f}")
        print(f"  primary (mean item gain, σ̂ {', '.join(f'{s:.2f}' for s in audit['sigma_hat'])}): "
              f"A = {audit['primary_estimate']:.3f}, SE {audit['primary_se']:.3f}, p = {audit['primary_p']:.2f}, "
              f"verdict {audit['primary_verdict']}")
    if args.json:
        args.json.write_text(json.dumps({"tallies": [t.__dict__ for t in tallies], "audit": audit,
                                         "timings_s": timings}, indent=2, default=float))
    bad = [t for t in tallies if t.share(t.verdict) > 0.05 + 2 * t.mc_se()]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

