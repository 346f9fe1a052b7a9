"""Hostile model output never crashes a scorer (review finding 5): a crash is journaled as a harness error,
which is excluded from scoring and asked again, so a reply crafted to crash the scorer would turn a wrong
answer into no answer. Every scorer, on every hostile reply, returns an Outcome instead."""

from __future__ import annotations

import asyncio

import pytest

from harness.items import Item
from harness.models.base import ChatResponse, ToolCall
from harness.suites.scorers import SCORERS
from harness.suites.scorers.mathexpr import equivalent_fast, shutdown

BIG = "1" * 5000  # past Python's 4,300-digit limit on str -> int
TEXTS = [
    "", "\x00" * 10, "<think>" * 1000, "The answer is " + "9" * 5000, "answer: 1/" + "0" * 10, "\\boxed{" * 5000,
    "\\boxed{1/0}", "\\boxed{\\frac{1}{0}}", "\\boxed{" + BIG + "}", "\\boxed{0." + BIG + "}",
    "\\boxed{1,000,000,000" + ",000" * 2000 + "}", "\\boxed{-" + "9" * 4400 + "}", "answer is ." + "5" * 5000,
    "final answer is " + "(" * 10000, "$" * 10000, "\\boxed{\\left\\right}", "####" * 3000,
    "\\boxed{" + "1" * 400 + "/3}", "#### " + "3" * 1000 + "/7", "\\boxed{\\frac{" + "1" * 400 + "}{3}}",
]
TARGETS = {"exact": "42", "number": "42", "math": "42", "short_answer": ["42"]}


@pytest.fixture(scope="module", autouse=True)
def _stop_math_worker():
    yield
    shutdown()  # the math checker's worker process; later tests count this process's children


# math takes 10-12 s: each hostile reply goes through math-verify's parser in its worker, up to its timeout
@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.slow) if k == "math" else k for k in sorted(TARGETS)])
def test_every_text_scorer_survives_every_hostile_reply(kind):
    async def score_all():
        outcomes = []
        for text in TEXTS:
            item = Item(id="x", input={"question": "q"}, target=TARGETS[kind])
            outcomes.append(await asyncio.wait_for(SCORERS[kind](item, ChatResponse(text=text), {}), 60))
        return outcomes

    for text, outcome in zip(TEXTS, asyncio.run(score_all()), strict=True):
        assert outcome.score == 0.0 and not outcome.correct, text[:40]
        assert outcome.error in (None, "parse_failure"), text[:40]


def test_a_5000_digit_answer_is_compared_exactly_not_refused():
    assert equivalent_fast(BIG, BIG) is True
    assert equivalent_fast("42", BIG) is False
    assert equivalent_fast("0." + BIG, "0." + BIG + "0") is True


FUNCTIONS = [{"name": "f", "description": "", "parameters": {
    "type": "dict", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}]
BFCL_ITEM = Item(id="b", input={"question": "q"}, target={"functions": FUNCTIONS, "ground_truth": [{"f": {"a": [1]}}]})


@pytest.mark.parametrize("arguments", [{"a": 10**30}, {"a": "x" * 100_000}, {"a": [[[[[]]]]]}, {"a": None},
                                       {"a": 1, "zz": {"deep": [1, 2, {"k": float("nan")}]}}, "not json {", {}])
def test_the_function_call_scorer_survives_odd_arguments(arguments):
    response = ChatResponse(text="", tool_calls=(ToolCall("f", arguments, "c1"),))
    outcome = asyncio.run(SCORERS["bfcl_ast"](BFCL_ITEM, response, {}))
    assert outcome.score == 0.0 and outcome.error in (None, "parse_failure")
