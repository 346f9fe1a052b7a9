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


# ------------------------------------------------ replies that took quadratic time (security review 4)
# 'I could not solve it.' + 40,000 lines of ' \n' held the event loop ~37 s per item in the code scorer
# (^\s* with MULTILINE runs on over every blank line from each line start); 20,000 unclosed <think> took
# 9 s in visible_text, which every scorer calls. benchmarks/scorers/hostile.py measures every extraction
# step on these and more (growth with size, and how long the event loop is held).
REVIEWER_BLANK = "I could not solve it.\n" + " \n" * 40_000 + "Sorry."
REVIEWER_THINK = "<think>" * 20_000 + "Answer: 3"


def test_the_reviewers_replies_are_read_as_before():
    from harness.suites.scorers.code import extract_code
    from harness.suites.scorers.text import extract_short_answer, visible_text

    assert extract_code(REVIEWER_BLANK, "solve") is None
    assert extract_code("```python\n" + "x = 1\n \n" * 20_000 + "```", "solve").startswith("x = 1\n")
    assert visible_text(REVIEWER_THINK) == REVIEWER_THINK  # an unclosed tag stays, as it always did
    assert extract_short_answer(REVIEWER_THINK) == "3"
    assert visible_text("a<think>x</think>b<THINK>y</Think>c<think>z") == "abc<think>z"
    assert visible_text("reasoning left by the server</think>answer") == "answer"


def test_the_reviewers_code_reply_is_a_parse_failure_through_the_scorer():
    item = Item(id="c", input={}, target={"entry_point": "solve", "test": "assert solve() == 1\n"})
    outcome = asyncio.run(SCORERS["code"](item, ChatResponse(text=REVIEWER_BLANK), {}))
    assert outcome.error == "parse_failure"


def _growth(step, make, small: int, factor: int = 16) -> float:
    """Time of `step` on make(factor * small) over its time on make(small): ~factor if linear, ~factor**2
    if quadratic (best of 3 each; a ratio in one process, not a time limit)."""
    import time

    def best(text):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            step(text)
            times.append(time.perf_counter() - started)
        return min(times)

    return best(make(factor * small)) / max(best(make(small)), 1e-6)


@pytest.mark.parametrize("reply", ["blank lines", "fenced blank lines", "unclosed think", "backticks",
                                   "unclosed boxed", "imports"])
def test_reading_a_hostile_reply_grows_linearly_with_its_length(reply):
    from harness.suites.scorers.code import extract_code, flags
    from harness.suites.scorers.mathexpr import extract_math_answer
    from harness.suites.scorers.numeric import extract_number
    from harness.suites.scorers.text import extract_short_answer

    make = {"blank lines": lambda n: "I could not solve it.\n" + " \n" * n + "Sorry.",
            "fenced blank lines": lambda n: "```python\n" + " \n" * n + "```",
            "unclosed think": lambda n: "<think>" * n + "Answer: 3",
            "backticks": lambda n: "```" * n,
            "unclosed boxed": lambda n: "\\boxed{" * n,
            "imports": lambda n: "```python\n" + "import " * n + "\n```"}[reply]
    for step in (lambda t: flags(extract_code(t, "solve") or ""), extract_number, extract_math_answer, extract_short_answer):
        # 16x the length: linear ~16x, quadratic ~256x (2,000 -> 32,000 units, under the scorers' cap)
        assert _growth(step, make, 2_000) < 64, (reply, step)


def test_only_the_last_max_scored_chars_of_a_reply_are_read():
    from harness.suites.scorers.numeric import extract_number
    from harness.suites.scorers.text import MAX_SCORED_CHARS, visible_text

    tail = "Answer: 42"
    reply = "Answer: 7\n" + "x" * MAX_SCORED_CHARS + tail
    assert len(visible_text(reply)) == MAX_SCORED_CHARS and visible_text(reply).endswith(tail)
    assert extract_number(reply)[0] == 42
    # reasoning is dropped before the cap: a long <think> block does not push the answer out
    assert extract_number("<think>" + "y" * 3 * MAX_SCORED_CHARS + "</think>Answer: 5")[0] == 5


def test_long_replies_are_read_in_a_worker_thread_not_on_the_event_loop():
    import threading

    from harness.suites.scorers.text import OFF_LOOP_CHARS, read_reply

    async def where(text):
        return await read_reply(lambda _t: threading.get_ident(), text)

    assert asyncio.run(where("x" * (OFF_LOOP_CHARS + 1))) != threading.get_ident()
    assert asyncio.run(where("short reply")) == threading.get_ident()
