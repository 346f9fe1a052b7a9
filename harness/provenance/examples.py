"""Side-by-side examples for the report: which prompts are shown, and what is highlighted in each answer.

The prompts are chosen by a rule fixed before anyone looks at the answers, never by hand: the 3 test
prompts with the largest per-prompt shift D_p, the 3 around the median, and the 3 most negative (so the
examples show the spread, including where the new release moved *away* from the teacher). Each shows the
old release's, the new release's and the teacher's first answer, each with its affinity.

Highlights are computed with the frozen model at compare time and stored as character spans, so the
report needs only the JSON: words whose unigram coefficient pushes toward the teacher ("toward") or away
from it ("away"), and the named style markers (comment lines, edge-case phrases, hedges, cause-then-fix
phrasing, opener, offer-to-continue closer, summary headers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from harness.provenance.features import _CAUSE, _CLOSERS, _EDGE, _FIX, _HEDGE, _OPENERS, _SUMMARY
from harness.provenance.model import TOKEN_PATTERN, AttributionModel

#: Characters of each answer kept in the document (the report says when an answer was cut).
MAX_CHARS = 4000
_MARKERS = {
    "comment": r"(?m)^[ \t]*#(?!#)[^\n]*$|(?<=\S)[ \t]+#[ \t][^\n]*$",
    "edge case": _EDGE,
    "hedge": _HEDGE,
    "cause/fix": f"{_CAUSE}|{_FIX}",
    "summary": _SUMMARY,
    "opener": "|".join(f"(?:{p})" for p in _OPENERS.values() if "```" not in p and "#" not in p),
    "closer": _CLOSERS["closer_offer"],
}


def choose(per_prompt: Sequence[dict[str, Any]], k: int = 3) -> list[tuple[str, str, float]]:
    """(prompt_id, rule, D_p) for the k largest, the k around the median and the k most negative shifts."""
    rows = sorted(((r["d"], r["prompt_id"]) for r in per_prompt), key=lambda x: (-x[0], x[1]))
    if len(rows) <= 3 * k:
        return [(p, "all", d) for d, p in rows]
    mid = len(rows) // 2 - k // 2
    picks = [*((p, "largest shift", d) for d, p in rows[:k]), *((p, "median shift", d) for d, p in rows[mid:mid + k]),
             *((p, "most negative shift", d) for d, p in rows[-k:])]
    return picks


def _weights(model: AttributionModel) -> dict[str, float]:
    j = model.classes.index(model.teacher)
    n = len(model.word_vocab)
    contrast = model.coef[j, :n] - np.delete(model.coef[:, :n], j, axis=0).mean(axis=0)
    return {term: float(contrast[i]) for term, i in model.word_vocab.items() if " " not in term}


def spans(text: str, weights: dict[str, float], cut: float) -> list[list[Any]]:
    """[start, end, kind] spans: style markers first, then strongly weighted words outside them."""
    out: list[list[Any]] = []
    taken = np.zeros(len(text) + 1, bool)
    for kind, pattern in _MARKERS.items():
        for m in re.finditer(pattern, text, re.IGNORECASE | re.MULTILINE):
            if m.end() > m.start() and not taken[m.start():m.end()].any():
                out.append([m.start(), m.end(), f"marker:{kind}"])
                taken[m.start():m.end()] = True
    for m in re.finditer(TOKEN_PATTERN, text):
        w = weights.get(m.group(0))
        if w is not None and abs(w) >= cut and not taken[m.start():m.end()].any():
            out.append([m.start(), m.end(), "toward" if w > 0 else "away"])
    return sorted(out)


def build_examples(table: pd.DataFrame, model: AttributionModel, per_prompt: Sequence[dict[str, Any]], *,
                   before: str, after: str, prompts: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The chosen prompts with the three answers, their affinities and highlight spans."""
    weights = _weights(model)
    values = np.abs(np.array(list(weights.values()) or [0.0]))
    cut = float(np.quantile(values, 0.98)) if values.size else 0.0
    j = model.classes.index(model.teacher)
    out = []
    for pid, rule, d in choose(per_prompt):
        answers = {}
        for role, label in (("before", before), ("after", after), ("teacher", model.teacher)):
            rows = table[(table["model"] == label) & (table["prompt_id"] == pid)].sort_values("sample")
            if rows.empty:
                continue
            text = str(rows["text"].iloc[0])
            shown = text[:MAX_CHARS]
            answers[role] = {"model": label, "text": shown, "cut": len(text) > MAX_CHARS,
                             "affinity": float(model.affinity([text])[0, j]),
                             "spans": spans(shown, weights, cut)}
        out.append({"prompt_id": pid, "rule": rule, "d": d, "domain": str(table.loc[table["prompt_id"] == pid,
                                                                                      "domain"].iloc[0]),
                    "prompt": (prompts or {}).get(pid), "answers": answers})
    return out
