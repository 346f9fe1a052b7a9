"""The `math` scorer: `\\boxed{}` extraction and symbolic equivalence with math-verify, bounded in time.

Equivalence runs in a separate worker process: sympy on untrusted LaTeX can take unbounded time
(`\\boxed{9^{9^{9^9}}}`), so math-verify's own timeout applies inside the worker and a hard outer
timeout kills and replaces the worker. Plain numbers and identical normalised strings are decided in
process without sympy (most AIME and many MATH answers).
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import re
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from decimal import Decimal
from fractions import Fraction
from typing import Any

from harness.items import Item, Outcome
from harness.models.base import ChatResponse
from harness.suites.scorers.boxed import last_boxed
from harness.suites.scorers.text import read_reply, visible_text

_ANSWER_LINE = re.compile(r"(?:final answer|answer)\s*(?:is|:)\s*(.+)", re.IGNORECASE)
_SPACING = re.compile(r"\\[,;:! ]|\\left|\\right|\\displaystyle|\s+")
_DEGREES = re.compile(r"\^\s*\{?\\circ\}?")
_PLAIN_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def extract_math_answer(text: str) -> str | None:
    """The last `\\boxed{...}`; else what follows the last 'final answer is' / 'Answer:' on its line
    (dollar signs and a trailing period removed); else None."""
    text = visible_text(text)
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed.strip()
    lines = list(_ANSWER_LINE.finditer(text))
    if lines:
        answer = lines[-1].group(1).strip().rstrip(".").strip().strip("$").strip()
        return answer or None
    return None


def normalize_latex(expr: str) -> str:
    """A light canonical form for the no-sympy fast path: spacing commands, \\left/\\right, $ and
    trailing periods removed; \\dfrac/\\tfrac -> \\frac; degree marks dropped."""
    expr = expr.strip().strip("$").rstrip(".")
    expr = _DEGREES.sub("", expr)
    expr = expr.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    return _SPACING.sub("", expr)


def _as_number(expr: str) -> Fraction | None:
    text = normalize_latex(expr).replace("{,}", ",")
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    # through Decimal: Fraction("1" * 5000) hits Python's 4,300-digit limit on str -> int, and a model can
    # write such an answer; it must be a wrong answer, not a crash of the scorer
    return Fraction(Decimal(text))


def equivalent_fast(gold: str, pred: str) -> bool | None:
    """True/False when decidable without sympy (both plain numbers, or identical normalised text);
    None when a symbolic check is needed."""
    a, b = _as_number(gold), _as_number(pred)
    if a is not None and b is not None:
        return a == b
    if normalize_latex(gold) == normalize_latex(pred):
        return True
    return None


def _verify_worker(gold: str, pred: str, timeout_s: int) -> bool:
    """Runs in the worker process (main thread, so math-verify's signal-based timeout works)."""
    from math_verify import parse, verify

    gold_parsed = parse(f"\\boxed{{{gold}}}", parsing_timeout=timeout_s)
    pred_parsed = parse(f"\\boxed{{{pred}}}", parsing_timeout=timeout_s)
    if not gold_parsed or not pred_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=timeout_s))


#: Address-space cap of the checker process: sympy on a huge power would otherwise eat the machine's memory.
WORKER_MEMORY_BYTES = 2 * 1024**3


def _limit_worker() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_limit_worker
            )
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    """Kill a pool whose worker is stuck, so the next check starts a fresh one."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the worker (atexit; tests may call it)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown)


async def equivalent(gold: str, pred: str, *, timeout_s: float = 10.0) -> bool:
    """Whether `pred` equals `gold` mathematically; False (not an error) when the check times out or
    the checker cannot handle the model's expression."""
    fast = equivalent_fast(gold, pred)
    if fast is not None:
        return fast
    pool = _executor()
    inner = max(1, int(timeout_s / 2))
    try:
        future = asyncio.get_running_loop().run_in_executor(pool, _verify_worker, gold, pred, inner)
        return await asyncio.wait_for(future, timeout=timeout_s)
    except (TimeoutError, BrokenProcessPool, MemoryError):
        _discard(pool)
        return False
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        return False  # sympy choked on the model's expression: not shown equivalent


async def score_math(item: Item, response: ChatResponse, settings: Mapping[str, Any]) -> Outcome:
    """Competition math (MATH-500, AIME). The answer is the last `\\boxed{...}` (nested braces handled),
    else what follows 'final answer is' / 'Answer:'; none is a parse failure. Equivalence: plain
    numbers compared exactly, identical normalised LaTeX accepted, otherwise math-verify (sympy) in a
    worker process with a timeout; a check that times out counts as not equivalent. Never `eval`.

    Settings: `timeout_s` (default 10) for the symbolic check.
    """
    answer = await read_reply(extract_math_answer, response.text)
    if answer is None:
        return Outcome(score=0.0, correct=False, error="parse_failure", extracted=None)
    correct = await equivalent(str(item.target), answer, timeout_s=float(settings.get("timeout_s", 10.0)))
    return Outcome(score=1.0 if correct else 0.0, correct=correct, extracted=answer)
