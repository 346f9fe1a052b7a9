"""Examples of discordant items (one release right, the other wrong), with both releases' outputs.

They let a reader see what changed, not just how much. Outputs are untrusted model text: they are only
ever placed in the page through `html.escape` (harness/report/page.py), and truncated here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.run.store import iter_records

MAX_CHARS = 1500


@dataclass(frozen=True)
class Example:
    suite: str
    item_id: str
    kind: str  # "gain" (newly solved) or "loss" (newly failed)
    before_score: float
    after_score: float
    before_output: str
    after_output: str


def _text(record: dict[str, Any]) -> str:
    value = record.get("response")
    if value is None or value == "":
        value = record.get("extracted")
    if value is None:
        return f"(no output; error: {record.get('error')})" if record.get("error") else "(no output)"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + f"\n… ({len(text) - MAX_CHARS:,} more characters in the journal)"


def discordant_examples(run_dirs: Iterable[Path], before: str, after: str, *, per_suite: int = 2) -> list[Example]:
    """Up to `per_suite` gains and `per_suite` losses per suite, chosen by item id (not by how they read).

    An item's score is its mean over samples; the output shown is sample 0's (or the first available)."""
    records: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for run_dir in run_dirs:
        for r in iter_records(Path(run_dir)):
            if r.get("model") in (before, after):
                records[(r["model"], str(r.get("suite")), str(r.get("item_id")))].append(r)
    out: list[Example] = []
    suites = sorted({s for (_, s, _) in records})
    for suite in suites:
        items = sorted({i for (m, s, i) in records if s == suite and m == before}
                       & {i for (m, s, i) in records if s == suite and m == after})
        picked = {"gain": 0, "loss": 0}
        for item in items:
            b, a = records[(before, suite, item)], records[(after, suite, item)]
            b_score = sum(float(r.get("score") or 0) for r in b) / len(b)
            a_score = sum(float(r.get("score") or 0) for r in a) / len(a)
            kind = "gain" if a_score > b_score else "loss" if a_score < b_score else None
            if kind is None or picked[kind] >= per_suite:
                continue
            picked[kind] += 1
            first = min(b, key=lambda r: r.get("sample") or 0), min(a, key=lambda r: r.get("sample") or 0)
            out.append(Example(suite=suite, item_id=item, kind=kind, before_score=b_score, after_score=a_score,
                               before_output=_text(first[0]), after_output=_text(first[1])))
            if all(n >= per_suite for n in picked.values()):
                break
    return out
