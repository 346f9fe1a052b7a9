"""How reading an answer out of a reply grows with the reply's length, on hostile replies (security review
finding 4): a reply of whitespace lines, 20k unclosed `<think>` tags, unclosed fences and boxes, and so on,
each read by every extraction step the scorers run. For each (step, reply) the time at size n and at 16n:
a linear step grows about 16x, a quadratic one about 256x. Beside it, ms per 100 kB at 16n, and that time
as a ratio to the same step on ordinary prose of the same length (the baseline, in the same run).

    .venv/bin/python benchmarks/scorers/hostile.py [--size 600] [--json PATH]

`--size` is n in repeats of each reply's unit (16n = 9,600 by default: the reviewer's replies were 40,000
lines of ' \\n' and 20,000 `<think>`, past which the scorers' cap, MAX_SCORED_CHARS of
harness.suites.scorers.text, stops the time from growing). A step is flagged QUADRATIC when its growth is
over 64x (the geometric middle of 16x and 256x: a loaded machine's noise stays far from it).

A second table: how long the event loop (which serves every other request of a run) is held while one
reply as long as the cap is read: the longest gap of a 1 ms ticker, with the step called inline and
through `read_reply` (a worker thread for long replies; regex calls keep the GIL, so a thread shortens the
gaps only between the step's calls).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.suites.scorers.boxed import last_boxed  # noqa: E402
from harness.suites.scorers.code import extract_code, flags  # noqa: E402
from harness.suites.scorers.mathexpr import extract_math_answer  # noqa: E402
from harness.suites.scorers.numeric import extract_number  # noqa: E402
from harness.suites.scorers.text import (  # noqa: E402
    MAX_SCORED_CHARS,
    extract_short_answer,
    read_reply,
    visible_text,
)
from harness.suites.toolcalls import ToolParseError, parse_tool_protocol  # noqa: E402


def _tools(text: str) -> object:
    try:
        return parse_tool_protocol(text)
    except ToolParseError:
        return None


STEPS: dict[str, Callable[[str], object]] = {
    "visible_text": visible_text,
    "extract_code": lambda t: extract_code(t, "solve"),
    "code flags": lambda t: flags(extract_code(t, "solve") or ""),
    "extract_number": extract_number,
    "extract_math_answer": extract_math_answer,
    "extract_short_answer": extract_short_answer,
    "last_boxed": last_boxed,
    "tool calls": _tools,
}

#: Hostile replies: name -> (unit repeated n times, head, tail).
REPLIES: dict[str, tuple[str, str, str]] = {
    "whitespace lines": (" \n", "I could not solve it.\n", "Sorry."),
    "fence of whitespace lines": (" \n", "```python\n", "```"),
    "fence without its end": ("x = 1\n \n", "```python\n", ""),
    "unclosed <think>": ("<think>", "", "answer: 3"),
    "unclosed \\boxed{": ("\\boxed{", "", ""),
    "backticks": ("```", "", ""),
    "imports on one line": ("import ", "```python\n", "\n```"),
    "tool fence of whitespace": (" \n", "```json\n", "```"),
}
GROWTH = 16
PROSE = "The answer follows from the second line of the working, as shown above. "


def timed(step: Callable[[str], object], text: str, floor_s: float = 0.05) -> float:
    """Seconds per call (best of repeated calls, at least `floor_s` of calls in all)."""
    best, spent = float("inf"), 0.0
    while spent < floor_s or best == float("inf"):
        started = time.perf_counter()
        step(text)
        took = time.perf_counter() - started
        best, spent = min(best, took), spent + took
        if took > 2:
            break
    return best


def measure(size: int) -> list[dict]:
    rows = []
    for reply, (unit, head, tail) in REPLIES.items():
        small, big = head + unit * size + tail, head + unit * GROWTH * size + tail
        prose = PROSE * (len(big) // len(PROSE) + 1)
        for name, step in STEPS.items():
            t_small, t_big, t_prose = timed(step, small), timed(step, big), timed(step, prose)
            rows.append({
                "reply": reply, "step": name, "chars": len(big), "growth": t_big / max(t_small, 1e-9),
                "ms_per_100kB": 1e3 * t_big * 1e5 / len(big), "vs_prose": t_big / max(t_prose, 1e-9),
            })
    return rows


async def _longest_gap(read) -> float:
    """Seconds of the longest gap of a 1 ms ticker while `read()` (a coroutine) runs."""
    gaps = [0.0]
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    await read()
    done.set()
    await ticker
    return max(gaps)


def stalls() -> list[dict]:
    """The longest event-loop gap per (reply, step) at the cap's length, inline and through read_reply."""
    rows = []
    for reply, (unit, head, tail) in REPLIES.items():
        text = head + unit * (MAX_SCORED_CHARS // len(unit)) + tail
        for name, step in STEPS.items():

            async def inline(step=step, text=text) -> None:
                step(text)

            async def offloaded(step=step, text=text) -> None:
                await read_reply(step, text)

            rows.append({"reply": reply, "step": name, "inline_ms": 1e3 * asyncio.run(_longest_gap(inline)),
                         "read_reply_ms": 1e3 * asyncio.run(_longest_gap(offloaded))})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=600, help="repeats of each reply's unit (n)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    rows = measure(args.size)
    print(f"{'reply':28s}{'step':22s}{'chars (16n)':>12s}{'growth n->16n':>15s}{'ms/100kB':>10s}{'vs prose':>10s}")
    for r in rows:
        mark = "  QUADRATIC" if r["growth"] > 64 else ""
        print(f"{r['reply']:28s}{r['step']:22s}{r['chars']:>12d}{r['growth']:>14.1f}x{r['ms_per_100kB']:>10.2f}"
              f"{r['vs_prose']:>9.1f}x{mark}")
    worst = max(rows, key=lambda r: r["growth"])
    print(f"\nworst growth n->16n: {worst['growth']:.1f}x ({worst['step']} on {worst['reply']}); "
          f"slowest: {max(r['ms_per_100kB'] for r in rows):.2f} ms per 100 kB")
    held = stalls()
    print(f"\n{'reply (' + format(MAX_SCORED_CHARS, ',') + ' chars)':28s}{'step':22s}{'loop held, inline':>19s}"
          f"{'via read_reply':>16s}")
    for r in held:
        print(f"{r['reply']:28s}{r['step']:22s}{r['inline_ms']:>16.1f} ms{r['read_reply_ms']:>13.1f} ms")
    print(f"\nlongest hold of the event loop: {max(r['inline_ms'] for r in held):.1f} ms inline, "
          f"{max(r['read_reply_ms'] for r in held):.1f} ms via read_reply")
    if args.json:
        args.json.write_text(json.dumps({"growth": rows, "event_loop": held}, indent=2))


if __name__ == "__main__":
    main()
