"""The cheat matrix: hostile solutions (tests/suites/code_cheats.py) scored by the real `code` scorer in
the real sandbox, technique x suite format. A cell reads `passed` (the cheat worked: a wrong solution
scored correct), `passed+flagged` (it worked but the record carries flags), `flagged` (scored incorrect,
with flags) or `failed` (scored incorrect, no flag). The first row checks that a correct solution passes
in every format, so a `failed` cell means the cheat failed, not the format.

A second table tries the per-call time limits (EvalPlus per input, LiveCodeBench per case, here 1 s):
a correct solution that needs 2.4 s of CPU first, in its own process ("alone", the control) or split
across 4 forked children while its main process waits for a CPU ("forked"). A cell reads `passed` (it
got past its limit: the cheat worked) or the status it got (`timeout`).

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
from tests.suites.code_cheats import (  # noqa: E402
    FORMATS,
    SPLIT_FORMATS,
    TECHNIQUES,
    items,
    solution,
    split_solution,
)

SPLIT_SETTINGS = {"timeout_s": 30, "case_timeout_s": 1}  # 1 s per call (EvalPlus: max(1 s, 4 x reference))
SPLIT_CPU_S = 2.4


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
    for fmt in SPLIT_FORMATS:
        item, settings, _ = cases[fmt]
        for how in ("alone", "forked"):
            text = f"```python\n{split_solution(fmt, SPLIT_CPU_S, how == 'forked')}```"
            jobs.append((f"time limit, work {how}", fmt, item, {**settings, **SPLIT_SETTINGS}, text))
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
    timing = {t: rows.pop(t) for t in list(rows) if t.startswith("time limit")}
    width = max(len(t) for t in rows) + 2
    print(f"{'technique':{width}s}" + "".join(f"{f:>16s}" for f in FORMATS))
    for technique, cells in rows.items():
        print(f"{technique:{width}s}" + "".join(f"{cells[f]['cell']:>16s}" for f in FORMATS))
    print(f"\n{'per-call limit 1 s, ' + str(SPLIT_CPU_S) + ' s of CPU':{width}s}" + "".join(f"{f:>16s}" for f in SPLIT_FORMATS))
    for technique, cells in timing.items():
        print(f"{technique:{width}s}" + "".join(
            f"{'passed' if cells[f]['cell'].startswith('passed') else cells[f]['status']:>16s}" for f in SPLIT_FORMATS))
    cheats = [c for t, cells in rows.items() if t != "correct solution" for c in cells.values()]
    worked = sum(c["cell"].startswith("passed") for c in cheats)
    print(f"\ncheats that passed: {worked} of {len(cheats)} "
          f"({sum(c['cell'] == 'passed' for c in cheats)} without a flag)")
    bad = [f for f, c in rows["correct solution"].items() if c["cell"] not in ("passed", "passed+flagged")]
    if bad:
        print(f"WARNING: the correct solution did not pass in: {', '.join(bad)}")
    dodged = [f for f, c in timing["time limit, work forked"].items() if c["cell"].startswith("passed")]
    print(f"work split across forks got past its per-call limit in: {', '.join(dodged) or 'none'}")
    if args.json:
        args.json.write_text(json.dumps({**rows, **timing}, indent=2))


if __name__ == "__main__":
    main()
