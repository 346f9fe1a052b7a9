"""No fake passes (issue 10): hostile solutions of every cheating kind, in every code-suite format, score
incorrect; the correct solution of each format passes. The cheats (tests/suites/code_cheats.py) are real
programs that worked when the solution and its tests shared an interpreter: reading the pass token from
the interpreter's frames, redefining the builtins the checks call, returning an object equal to
everything, reading the expected value from the test's frames or from the test data in memory, and
leaving with status 0 before the tests. benchmarks/sandbox/cheat_matrix.py prints the same matrix."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from harness.models.base import ChatResponse
from harness.suites.scorers.code import score_code
from tests.suites.code_cheats import FORMATS, TECHNIQUES, items, solution

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")


@pytest.fixture(scope="module")
def outcomes():
    """Every cell of the matrix, scored at once by the real scorer in the real sandbox."""
    from harness.sandbox import close_shared

    cases = items()
    jobs = [(fmt, "correct", cases[fmt][0], cases[fmt][1], f"```python\n{cases[fmt][2]}```") for fmt in FORMATS]
    jobs += [(fmt, t, cases[fmt][0], cases[fmt][1], solution(t, fmt, cases[fmt][0])) for fmt in FORMATS for t in TECHNIQUES]

    async def go():
        try:
            return await asyncio.gather(*(score_code(item, ChatResponse(text=text), settings)
                                          for _, _, item, settings, text in jobs))
        finally:
            await close_shared()

    return {(fmt, technique): outcome for (fmt, technique, *_), outcome in zip(jobs, asyncio.run(go()), strict=True)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_correct_solution_passes_in_every_format(outcomes, fmt):
    outcome = outcomes[(fmt, "correct")]
    assert outcome.correct and outcome.error is None and "flags" not in outcome.extracted, outcome


@pytest.mark.parametrize("technique", TECHNIQUES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_cheat_scores_incorrect(outcomes, fmt, technique):
    outcome = outcomes[(fmt, technique)]
    assert not outcome.correct and outcome.score == 0.0, (fmt, technique, outcome.extracted)


@pytest.mark.parametrize("fmt", ["humaneval", "mbpp", "evalplus", "builtin", "lcb_call"])
def test_an_object_equal_to_everything_is_not_data_and_is_flagged(outcomes, fmt):
    outcome = outcomes[(fmt, "always_equal")]
    assert outcome.error is None and "non_data_return" in outcome.extracted["flags"], outcome.extracted


@pytest.mark.parametrize("fmt", FORMATS)
def test_leaving_before_the_tests_is_flagged(outcomes, fmt):
    outcome = outcomes[(fmt, "exit_before_tests")]
    assert "left_early" in outcome.extracted["flags"] and outcome.error is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_cheats_find_no_expected_value_and_no_token(outcomes, fmt):
    # they ran to the end and answered with their fallback: nothing to steal in the candidate's process
    for technique in ("token_from_frames", "redefine_builtins", "expected_from_frame", "expected_from_test_data"):
        outcome = outcomes[(fmt, technique)]
        assert outcome.extracted["status"] == "failed" and outcome.error is None, (technique, outcome.extracted)
        assert "wrong output" in outcome.extracted["detail"] or "AssertionError" in outcome.extracted["detail"]
