"""Scorers: turn a model's response to an item into an `Outcome`, the same way for every release.

A scorer is `async (item, response, settings) -> Outcome`; `settings` are the other keys of the spec's
`[scorer]` table. Every scorer fills `Outcome.extracted` with what it read from the response (the
number, the boxed expression, the program, the calls), so a report can show discordant examples.
A response the suite's protocol cannot read is `error="parse_failure"`; sandbox failures carry their
own kinds (`sandbox_timeout`, ...). Heavy work (sympy, sandboxed code) happens outside the event loop.

Registered names: exact, number, math, short_answer, code, bfcl_ast, and none (record-only, no score).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from harness.items import Item, Outcome
from harness.models.base import ChatResponse
from harness.suites.scorers.bfcl import score_bfcl_ast
from harness.suites.scorers.code import score_code
from harness.suites.scorers.mathexpr import score_math
from harness.suites.scorers.numeric import score_number
from harness.suites.scorers.record import score_none
from harness.suites.scorers.text import score_exact, score_short_answer

Scorer = Callable[[Item, ChatResponse, Mapping[str, Any]], Awaitable[Outcome]]

#: Scorers by name (a spec's `scorer.kind`).
SCORERS: dict[str, Scorer] = {
    "exact": score_exact,
    "number": score_number,
    "math": score_math,
    "short_answer": score_short_answer,
    "code": score_code,
    "bfcl_ast": score_bfcl_ast,
    "none": score_none,
}

#: The settings each scorer understands (a spec's other `[scorer]` keys); anything else is a typo.
SCORER_SETTINGS: dict[str, frozenset[str]] = {
    "exact": frozenset(),
    "number": frozenset({"tolerance"}),
    "math": frozenset({"timeout_s"}),
    "short_answer": frozenset({"contains", "max_tokens"}),
    "code": frozenset({"timeout_s", "prepend_prompt", "case_timeout_s"}),
    "bfcl_ast": frozenset(),
    "none": frozenset(),
}

__all__ = ["SCORERS", "SCORER_SETTINGS", "Scorer"]
