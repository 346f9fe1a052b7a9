"""builtin-code: every item's hidden tests are passable (the reference passes in the real sandbox, through
the suite's own `code` scorer) and discriminating (no code, constants, the identity, a lookup table of
the prompt's examples, and an object that claims equality with everything all fail)."""

from __future__ import annotations

import ast
import asyncio
import json
from collections import Counter

import pytest

from harness.models.base import ChatResponse
from harness.suites.builtin import code_tasks
from harness.suites.scorers.code import CHECKER_MODULE, support_modules
from harness.suites.scorers.plaindata import loads

SETTINGS = {"timeout_s": 10}


@pytest.fixture(scope="module")
def tasks():
    return code_tasks.generate_tasks(2026, 240)


def fenced(code: str) -> ChatResponse:
    return ChatResponse(text=f"Here is my solution.\n\n```python\n{code}```\n")


def shown_examples(prompt: str, entry: str) -> list[tuple[tuple, object]]:
    """The (args, expected) pairs the prompt shows, read back with `ast.literal_eval` (never eval)."""
    pairs = []
    for line in prompt.split("Examples:\n", 1)[1].splitlines():
        call, expected = line.strip().split(" == ", 1)
        args = ast.literal_eval("(" + call.removeprefix(f"{entry}(")[:-1] + ",)")
        pairs.append((args, ast.literal_eval(expected)))
    return pairs


def hidden_cases(task) -> list[tuple[tuple, object]]:
    return [(tuple(args), expected) for args, expected in loads(task.item.target["calls"])]


def wrong_solutions(task) -> dict[str, str]:
    """Programs that must not pass: no code, constants, the identity, a lookup table of the prompt's
    examples, and an object that claims to equal anything."""
    entry = task.item.target["entry_point"]
    table = {repr(args): expected for args, expected in shown_examples(task.item.input["prompt"], entry)}
    wrong = {"no_function": "pass\n", "identity": f"def {entry}(*args):\n    return args[0]\n"}
    for value in (None, 0, -1, 1, True, False, "", [], {}):
        wrong[f"constant_{value!r}"] = f"def {entry}(*args):\n    return {value!r}\n"
    wrong["copies_examples"] = (
        f"import copy\n_TABLE = {table!r}\n\ndef {entry}(*args):\n    return copy.deepcopy(_TABLE.get(repr(args)))\n"
    )
    wrong["equal_to_everything"] = (
        "class _Any:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n"
        f"        return False\n\ndef {entry}(*args):\n    return _Any()\n"
    )
    return wrong


def battery(task) -> str:
    """One sandboxed program that runs the item's hidden tests against every wrong solution in turn, each
    in a fresh namespace, and prints which got through (one process per item rather than per solution).
    It judges as the scorer's checker does, with the checker's own code: each return value must cross as
    plain data (plaindata's encode and decode) and equal the expected value with exact types."""
    return (
        "import json\n"
        f"ck = {{}}\nexec({support_modules()[CHECKER_MODULE]!r}, ck)\n"
        f"CALLS = ck['loads']({task.item.target['calls']!r})\n"
        f"ENTRY = {task.item.target['entry_point']!r}\n"
        f"WRONG = {wrong_solutions(task)!r}\n"
        "verdicts = {}\n"
        "for kind, source in WRONG.items():\n"
        "    try:\n"
        "        ns = {'__name__': '__main__'}\n"
        "        exec(compile(source, kind, 'exec'), ns)\n"
        "        for args, expected in CALLS:\n"
        "            got = ck['decode'](ck['encode'](ns[ENTRY](*args)))\n"
        "            assert ck['_ck_same'](got, expected)\n"
        "        verdicts[kind] = 'passed'\n"
        "    except Exception as e:\n"
        "        verdicts[kind] = type(e).__name__\n"
        "print(json.dumps(verdicts))\n"
    )


async def run_all(references, batteries, spot_checks):
    from harness.sandbox import close_shared, shared_sandbox
    from harness.suites.scorers import SCORERS

    score = SCORERS["code"]
    try:
        sandbox = await shared_sandbox()
        return await asyncio.gather(
            asyncio.gather(*(score(item, response, SETTINGS) for item, response in references)),
            asyncio.gather(*(sandbox.run(program, timeout_s=20) for program in batteries)),
            asyncio.gather(*(score(item, response, SETTINGS) for item, response in spot_checks)),
        )
    finally:
        await close_shared()


@pytest.mark.slow
def test_every_reference_passes_and_every_wrong_solution_fails_in_the_sandbox(tasks):
    references = [(t.item, fenced(t.reference_source())) for t in tasks]
    batteries = [battery(t) for t in tasks]
    one_per_family = {t.family.name: t for t in tasks}.values()
    spot_checks = [(t.item, fenced(wrong_solutions(t)["constant_None"])) for t in one_per_family]
    passed, verdicts, spots = asyncio.run(run_all(references, batteries, spot_checks))

    failed = [(t.item.id, o.error, o.extracted) for t, o in zip(tasks, passed, strict=True) if not o.correct]
    assert not failed, failed[:3]
    for task, result in zip(tasks, verdicts, strict=True):
        assert result.status == "ok", (task.item.id, result.stderr[-500:])
        verdict = json.loads(result.stdout)
        assert len(verdict) == len(wrong_solutions(task))
        got_through = [kind for kind, outcome in verdict.items() if outcome == "passed"]
        assert not got_through, (task.item.id, got_through)
    # through the suite's scorer, a wrong answer is a wrong answer (score 0), not a sandbox error
    assert spots and all(not o.correct and o.error is None for o in spots)


def test_hidden_outputs_vary_enough_that_no_constant_does_well(tasks):
    for task in tasks:
        cases = hidden_cases(task)
        counts = Counter(repr(expected) for _, expected in cases)
        assert len(cases) >= 8, task.item.id
        assert counts.most_common(1)[0][1] <= 0.6 * len(cases), (task.item.id, counts.most_common(2))


def test_prompts_state_the_signature_and_show_true_examples(tasks):
    for task in tasks:
        prompt, entry = task.item.input["prompt"], task.item.input["entry_point"]
        assert prompt.startswith(f"Write a Python function `def {entry}(")
        examples = shown_examples(prompt, entry)
        assert len(examples) == code_tasks.N_EXAMPLES
        for args, expected in examples:
            assert task.family.solve(*args, **task.params) == expected, (task.item.id, args)
        assert task.item.target["entry_point"] == entry
        assert "_reference" not in task.item.target["calls"]  # the reference never reaches the item


def test_reference_source_is_self_contained_and_bound_to_the_item(tasks):
    task = next(t for t in tasks if t.family.name == "shift_letters")
    source = task.reference_source()
    namespace: dict = {}
    exec(compile(source, "<reference>", "exec"), namespace)  # the project's own code, not model output
    assert namespace[task.item.input["entry_point"]]("abc") == task.family.solve("abc", **task.params)
    assert f"k={task.params['k']}" in source


def test_every_family_appears_and_families_are_spread_evenly(tasks):
    counts = Counter(task.family.name for task in tasks)
    assert set(counts) == {f.name for f in code_tasks.FAMILIES}
    assert max(counts.values()) <= 2 * (len(tasks) // len(code_tasks.FAMILIES) + 1)
