"""The code scorer against the security review of main (findings 3, 10, 11), each attack run for real: the
real scorer's programs in the real sandbox (both modes where the code path differs).

  3   per-call time limits (LiveCodeBench per case, EvalPlus per input) charge the CPU time of the
      candidate's whole process tree: the same work split across forked children is a timeout too
  10  the checker binds a module the solution imported only when its name is the module's own, the test
      reads it as a global, and it is on the checker's short list: a solution cannot make the checker
      import (and so run) an arbitrary module
  11  builtin-code's exact types hold for dict keys and set elements too (1.0 is not 1, True is not 1)
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from harness.items import Item
from harness.models.base import ChatResponse
from harness.suites.builtin import code_tasks
from harness.suites.scorers import plaindata
from harness.suites.scorers.checker_side import _ck_same
from harness.suites.scorers.code import judge, programs, score_code, support_modules
from tests.suites.code_cheats import items, split_solution


@pytest.fixture(scope="module", autouse=True)
def sandbox_available():
    from harness.sandbox import close_shared

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (apt-get install bubblewrap); CI installs it")
    yield
    asyncio.run(close_shared())


def score(item: Item, code: str, settings: dict | None = None):
    return asyncio.run(score_code(item, ChatResponse(text=f"```python\n{code}```"), settings or {}))


def run_in(mode: str, item: Item, code: str, settings: dict, timeout_s: float = 20):
    """The scorer's two programs for `code`, run in a sandbox of its own in `mode`; judge's verdict."""
    from harness.sandbox import Sandbox

    candidate, checker = programs(item, code, settings)

    async def go():
        sandbox = Sandbox(workers=1, mode=mode, modules=support_modules())
        try:
            return await sandbox.run(candidate, timeout_s=timeout_s, checker=checker)
        finally:
            await sandbox.aclose()

    return judge(asyncio.run(go()))


# ------------------------------------------------------------------ 3. the per-call limit, whole tree

#: 1 s per call; the solutions burn 2.4 s of CPU first (tests/suites/code_cheats.py's split_solution)
_LIMITED = {"timeout_s": 30, "case_timeout_s": 1}


@pytest.mark.parametrize("forked", [False, True], ids=["alone", "forked"])
@pytest.mark.parametrize("mode", ["fork", "plain"])
def test_a_contest_case_past_its_limit_is_a_timeout_however_the_work_is_split(mode, forked):
    item, settings, _ = items()["lcb_stdio"]
    passed, status, error, detail, _ = run_in(mode, item, split_solution("lcb_stdio", 2.4, forked),
                                               {**settings, **_LIMITED})
    assert (passed, status, error) == (False, "timeout", "sandbox_timeout"), detail
    assert "test case 1 exceeded its time limit of 1.00 s" in detail


@pytest.mark.parametrize("fmt", ["lcb_call", "evalplus"])
def test_calls_split_across_forks_are_timeouts(fmt):
    item, settings, _ = items()[fmt]  # (EvalPlus: max(1 s, 4 x the reference's time) per input)
    outcome = score(item, split_solution(fmt, 2.4), {**settings, **_LIMITED})
    assert outcome.error == "sandbox_timeout", outcome.extracted
    assert "exceeded its time limit of 1.00 s" in outcome.extracted["detail"]


def test_quick_forks_within_the_limit_still_pass():
    item, settings, _ = items()["lcb_stdio"]
    outcome = score(item, split_solution("lcb_stdio", 0.2), {**settings, **_LIMITED})
    assert outcome.correct and outcome.error is None, outcome.extracted


# ------------------------------------------------------------- 10. modules the checker will bind


def test_a_solution_cannot_make_the_checker_import_a_module_of_its_choosing():
    # the test reads `random.randint`, so `randint` is among its names; the solution binds that name to a
    # module object named "unittest.__main__", which the checker used to import (running unittest's main)
    item = Item(id="mbpp/rand", input={}, target={"entry_point": "add", "test": (
        "import random\nfor _ in range(3):\n    a, b = random.randint(0, 9), random.randint(0, 9)\n"
        "    assert add(a, b) == a + b\n")})
    code = "import types\nrandint = types.ModuleType('unittest.__main__')\n\ndef add(a, b):\n    return a + b\n"
    outcome = score(item, code)
    assert outcome.correct and "flags" not in outcome.extracted, outcome.extracted


def test_a_module_bound_under_another_name_is_not_bound_in_the_tests():
    # `m` is the solution's name for math; the test reads a global `m` and gets nothing from the solution
    item = Item(id="mbpp/alias", input={}, target={"entry_point": "area",
                                                   "test": "assert m.isclose(area(1.0), 3.141592653589793)\n"})
    outcome = score(item, "import math as m\ndef area(r):\n    return m.pi * r * r\n")
    assert not outcome.correct and "NameError" in outcome.extracted["detail"]


def test_the_solutions_own_imports_of_listed_modules_still_reach_the_tests():
    # MBPP 596 compares with sys.getsizeof, MBPP's math.isclose tests rely on the solution's `import math`
    item = Item(id="mbpp/596", input={}, target={"entry_point": "size", "test": (
        "assert size((1, 2)) == sys.getsizeof((1, 2))\nassert math.isclose(float(size(())), sys.getsizeof(()))\n")})
    code = "import sys, math\ndef size(t):\n    return sys.getsizeof(t)\n"
    assert score(item, code).correct


# ------------------------------------------------------------ 11. exact types of keys and elements


def _group_words_task():
    tasks = code_tasks.generate_tasks(2026, 240)
    return next(t for t in tasks if t.family.name == "group_words" and t.params["key"] == "length")


def test_dict_keys_of_another_type_are_a_wrong_answer():
    task = _group_words_task()
    body = ("def group_words(words):\n    groups = {}\n    for w in words:\n"
            "        g = groups.setdefault(KEY, [])\n"
            f"        if {not task.params['unique']} or w not in g:\n            g.append(w)\n    return groups\n")
    assert score(task.item, body.replace("KEY", "len(w)"), {"timeout_s": 10}).correct
    outcome = score(task.item, body.replace("KEY", "float(len(w))"), {"timeout_s": 10})
    assert not outcome.correct and outcome.error is None and "wrong output" in outcome.extracted["detail"]


def test_set_elements_of_another_type_are_a_wrong_answer():
    calls = plaindata.dumps([[[3], {1, 2, 3}], [[2], {frozenset({1, 2}), (1, "a")}]])
    item = Item(id="builtin/sets", input={}, target={"mode": "calls", "entry_point": "f", "calls": calls})
    right = "def f(n):\n    return set(range(1, n + 1)) if n == 3 else {frozenset({1, 2}), (1, 'a')}\n"
    assert score(item, right).correct
    for wrong in ("{1.0, 2, 3}", "{True, 2, 3}"):
        code = f"def f(n):\n    return {wrong} if n == 3 else {{frozenset({{1, 2}}), (1, 'a')}}\n"
        assert not score(item, code).correct, wrong
    nested = "def f(n):\n    return set(range(1, n + 1)) if n == 3 else {frozenset({1.0, 2}), (1, 'a')}\n"
    assert not score(item, nested).correct


@pytest.mark.parametrize(("a", "b", "same"), [
    ({1: "x"}, {1: "x"}, True), ({1: "x"}, {1.0: "x"}, False), ({1: "x"}, {True: "x"}, False),
    ({(1, 2): 0}, {(1, 2.0): 0}, False), ({"a": [1]}, {"a": [1.0]}, False), ({1, 2}, {2, 1}, True),
    ({1, 2}, {1.0, 2}, False), (frozenset({(1, True)}), frozenset({(1, 1)}), False), (set(), set(), True),
    ({frozenset({1}): {2}}, {frozenset({1}): {2}}, True),
])
def test_the_exact_types_rule(a, b, same):
    assert _ck_same(a, b) is same and _ck_same(b, a) is same
