"""Review flags of code records (issue 10 §1): counted per suite and release, and held against a gain.

The code scorers mark a record a reviewer should look at (harness.suites.scorers.code names the flags: a
solution that reaches for interpreter frames, redefines builtins, ends its process, names the harness,
returns something that is not data, ...). A flag never changes a score: the two-process sandbox already
scores every known cheat as a failure. But a flagged solution that passed is one whose pass a reviewer
should not take on trust, so compare does two things with the item table's `flags` column:

* counts (`code_flags.by_suite`): per release and per suite (the coding suites, and any suite with a flag),
  the records, how many carry a flag, and how many carry each flag;
* the rule (guard `flagged_code`): the verdict must also hold when every flagged record of the two releases
  is scored as a failure. This is one more check of the intersection-union kind the verdict already uses
  (each suite left out in turn, the sparse suites left out): a verdict that states an asymmetry and does not
  survive the re-scoring becomes `fragile`, and the guard says how many flagged items carry the change. The
  guard is raised, without changing a verdict that survives, whenever an item the after release newly
  solved in an analysed suite carries a flagged record of that release, or an item it newly lost carries a
  flagged record of the before release (a flagged pass of the before release hides a loss the same way).

Re-scoring only removes evidence, so it can block a stated asymmetry but never create one: a verdict of
no_difference_shown stays as it is whatever the re-scored analysis says. Control transitions (layer 3) are
not re-scored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from harness.compare import fmt
from harness.compare.guards import Notes
from harness.compare.layers import fit_primary
from harness.compare.pairing import Pair
from harness.compare.suites import interval, num
from harness.records import split_flags
from harness.stats.primary import Primary

#: The verdicts that state an asymmetry, the ones a flagged gain can block.
_FIRING = ("targeted_larger", "untargeted_larger")
RULE = ("the verdict must also hold with every flagged code record of the two releases scored as a failure; "
        "a stated asymmetry that does not becomes fragile (guard flagged_code)")


def counts(table: pd.DataFrame, before: str, after: str) -> dict[str, Any]:
    """The `code_flags` block without the re-scored analysis: per suite and release, records and flags."""
    if "flags" not in table:
        return not_checked("the item table has no flags column: review flags of code records were not checked")
    rows = table[table["model"].isin([before, after])]
    coding = set(rows.loc[rows["capability"] == "coding", "suite"]) if "capability" in rows else set()
    flagged = rows["flags"].astype(str) != ""
    shown = sorted(coding | set(rows.loc[flagged, "suite"]))
    by_suite, totals = [], {"before": 0, "after": 0}
    for suite in shown:
        for label, release in ((before, "before"), (after, "after")):
            mine = rows[(rows["suite"] == suite) & (rows["model"] == label)]
            if mine.empty:
                continue
            names: dict[str, int] = {}
            for cell in mine["flags"]:
                for name in split_flags(cell):
                    names[name] = names.get(name, 0) + 1
            n_flagged = int((mine["flags"].astype(str) != "").sum())
            totals[release] += n_flagged
            by_suite.append({"suite": suite, "category": str(mine["category"].iloc[0]), "release": release,
                             "model": label, "records": int(len(mine)), "flagged": n_flagged,
                             "by_flag": dict(sorted(names.items()))})
    return {"checked": True, "rule": RULE, "by_suite": by_suite, "flagged_records": totals,
            "note": "flags come from the harness's code scorers (imported records carry none); a flag marks a "
                    "record for review and never changes its score"}


def not_checked(note: str) -> dict[str, Any]:
    """The `code_flags` block of inputs that carry no flags (published scores, a table without the column)."""
    return {"checked": False, "rule": RULE, "by_suite": [], "flagged_records": {"before": 0, "after": 0},
            "note": note, "carried": [], "rescored": None, "blocked": False}


def carried(pair: Pair) -> list[dict[str, Any]]:
    """Per suite of `pair`: the items each release moved and how many of them carry its flagged records."""
    if not pair.has_flags:
        return []
    d = pair.x1 / pair.k1 - pair.x0 / pair.k0
    out = []
    for j, suite in enumerate(pair.suites):
        m = pair.code == j
        gained, lost = m & (d > 0), m & (d < 0)
        row = {"suite": suite, "category": "targeted" if pair.targeted[j] else "untargeted",
               "gained": int(gained.sum()), "gained_flagged": int((gained & (pair.flag_k1 > 0)).sum()),
               "lost": int(lost.sum()), "lost_flagged": int((lost & (pair.flag_k0 > 0)).sum())}
        if row["gained_flagged"] or row["lost_flagged"]:
            out.append(row)
    return out


def rescored(pair: Pair) -> Pair:
    """The pair with every flagged sample of both releases scored as a failure."""
    return replace(pair, x1=pair.x1 - pair.flag_x1, x0=pair.x0 - pair.flag_x0)


def check(pair: Pair, included: np.ndarray, level: float, cluster_use: np.ndarray | None, prim: Primary,
          notes: Notes, warnings: list[str]) -> tuple[str, list[str], dict[str, Any]]:
    """The rule above, on the suites in the layers: (verdict, reasons to add, the block's analysis part)."""
    verdict = prim.verdict
    sub = pair.subset(included[pair.code])
    if not sub.has_flags or not (sub.flag_k1.sum() + sub.flag_k0.sum()):
        return verdict, [], {"carried": [], "rescored": None, "blocked": False}
    moved = carried(sub)
    again = fit_primary(rescored(pair), included, level, cluster_use)
    head = again.summary_row
    # a verdict made fragile by another check (e.g. a group of one suite) is checked as the verdict its
    # intervals point to, so flagged records that carry the change are still named
    base = prim.decision.intended or verdict
    then_ = again.decision.intended or again.verdict
    block = {"carried": moved, "blocked": base in _FIRING and then_ != base,
             "rescored": {"verdict": again.verdict, "estimate": num(head.estimate),
                          "ci": interval(again.ci()), "p_value": num(head.p_value),
                          "method": "the primary asymmetry with every flagged code record scored as a failure"}}
    if not moved and not block["blocked"]:
        return verdict, [], block
    n_items = sum(r["gained_flagged"] + r["lost_flagged"] for r in moved)
    where = "; ".join(_where(r) for r in moved) or "no changed item carries one"
    then = (f"with every flagged record scored as a failure, the primary asymmetry is {fmt.signed(head.estimate)} "
            f"logits ({fmt.interval(again.ci())}) and the verdict {again.verdict}")
    reasons: list[str] = []
    if block["blocked"]:
        reason = (f"it does not survive scoring the flagged code records as failures ({n_items} flagged item(s) "
                  f"carry the change; then: {again.verdict})")
        reasons.append(reason)
        message = f"flagged code records carry the change ({where}); {then}: the verdict is fragile, not {base}"
        verdict = "fragile"
    else:
        message = f"flagged code records among the changed items ({where}); {then}, so the verdict does not rest on them"
    notes.add("flagged_code", message, warnings)
    return verdict, reasons, block


def _where(row: dict[str, Any]) -> str:
    parts = []
    if row["gained_flagged"]:
        parts.append(f"{row['gained_flagged']} of the {row['gained']} item(s) the after release newly solved")
    if row["lost_flagged"]:
        parts.append(f"{row['lost_flagged']} of the {row['lost']} item(s) it newly lost (flagged before)")
    return f"suite {row['suite']}: " + " and ".join(parts)

