"""The cheat matrix: hostile solutions (tests/suites/code_cheats.py) scored by the real `code` scorer in
the real sandbox, technique x suite format. A cell reads `passed` (the cheat worked: a wrong solution
scored correct), `passed+flagged` (it worked but the record carries flags), `flagged` (scored incorrect,
with flags) or `failed` (scored incorrect, no flag). The first row checks that a correct solution passes
in every format, so a `failed` cell means the cheat failed, not the format.

    .venv/bin/python benchmarks/sandbox/cheat_matrix.py [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.models.base import ChatResponse  # noqa: E402
from harness.sandbox import close_shared  # noqa: E402
from harness.suites.scorers.code import score_code  # noqa: E402
from tests.suites.code_cheats import FORMATS, TECHNIQUES, items, solution  # noqa: E402


def cell(outcome) -> str:
    flags = (outcome.extracted or {}).get("flags") or []
    if outcome.correct:
        return "passed+flagged" if flags else "passed"
    return "flagged" if flags else "failed"


async def matrix() -> dict[str, dict[str, dict]]:
    cases = items()
    jobs = []
    for fmt in FORMATS:
        item, settings, correct = cases[fmt]
        jobs.append(("correct solution", fmt, item, settings, f"```python\n{correct}```"))
        for technique in TECHNIQUES:
            jobs.append((technique, fmt, item, settings, solution(technique, fmt, item)))
    try:
        outcomes = await asyncio.gather(*(score_code(item, ChatResponse(text=text), settings)
                                          for _, _, item, settings, text in jobs))
    finally:
        await close_shared()
    rows: dict[str, dict[str, dict]] = {}
    for (technique, fmt, *_), outcome in zip(jobs, outcomes, strict=True):
        extracted = outcome.extracted or {}
        rows.setdefault(technique, {})[fmt] = {
            "cell": cell(outcome), "status": extracted.get("status"), "error": outcome.error,
            "flags": extracted.get("flags") or [], "detail": (extracted.get("detail") or "")[:160],
        }
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the matrix here")
    args = parser.parse_args()
    rows = asyncio.run(matrix())
    width = max(len(t) for t in rows) + 2
    print(f"{'technique':{width}s}" + "".join(f"{f:>16s}" for f in FORMATS))
    for technique, cells in rows.items():
        print(f"{technique:{width}s}" + "".join(f"{cells[f]['cell']:>16s}" for f in FORMATS))
    cheats = [c for t, cells in rows.items() if t != "correct solution" for c in cells.values()]
    worked = sum(c["cell"].startswith("passed") for c in cheats)
    print(f"\ncheats that passed: {worked} of {len(cheats)} "
          f"({sum(c['cell'] == 'passed' for c in cheats)} without a flag)")
    bad = [f for f, c in rows["correct solution"].items() if c["cell"] not in ("passed", "passed+flagged")]
    if bad:
        print(f"WARNING: the correct solution did not pass in: {', '.join(bad)}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
