"""The `code` scorer in the real sandbox: it agrees item by item with EvalPlus's own verdicts on released
models' outputs, passes every reference solution, and fails early exits, wrong answers and slow code with
the right error kinds. Contest (stdin / LeetCode) programs and EvalPlus differential tests included."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness.items import Item
from harness.models.base import ChatResponse
from harness.suites.build import build_suite, load_suites, parse_spec
from harness.suites.scorers.code import drop_main_guard, extract_code, score_code

SUITES = Path(__file__).resolve().parents[2] / "suites"


@pytest.fixture(scope="module", autouse=True)
def sandbox_available():
    from harness.sandbox import close_shared

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (apt-get install bubblewrap); CI installs it")
    yield
    asyncio.run(close_shared())


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    monkeypatch.setenv("ASYMMETRY_CACHE_DIR", str(tmp_path / "cache"))


def settings_of(name: str) -> dict:
    return {k: v for k, v in parse_spec(SUITES / f"{name}.toml").scorer.items() if k != "kind"}


def score_all(items, texts, settings):
    async def go():
        return await asyncio.gather(*(score_code(it, ChatResponse(text=t), settings) for it, t in zip(items, texts, strict=True)))

    return asyncio.run(go())


def score(item: Item, text: str, settings: dict | None = None):
    return asyncio.run(score_code(item, ChatResponse(text=text), settings or {}))


# --------------------------------------------------------------------------------------- real data


def test_every_humaneval_reference_solution_passes(shared_data):
    (suite,) = load_suites(["humaneval"], shared_data)
    outcomes = score_all(suite.items, [f"```python\n{it.meta['canonical_solution']}```" for it in suite.items], settings_of("humaneval"))
    failed = [it.id for it, o in zip(suite.items, outcomes, strict=True) if not o.correct]
    assert failed == []


@pytest.mark.slow
def test_every_mbpp_plus_reference_solution_passes(shared_data):
    (suite,) = load_suites(["mbpp_plus"], shared_data)
    outcomes = score_all(suite.items, [f"```python\n{it.meta['canonical_solution']}```" for it in suite.items], settings_of("mbpp_plus"))
    failed = {it.id: o.extracted for it, o in zip(suite.items, outcomes, strict=True) if not o.correct}
    # Mbpp/255's reference itself runs out of its 1 GB on an extreme input (sandbox_memory before the checker
    # process existed); it is marked for review, and fails every solution alike
    assert list(failed) == ["Mbpp/255"] and failed["Mbpp/255"]["flags"] == ["checker_error"], failed


def test_every_mbpp_reference_solution_passes_but_the_one_whose_tests_need_its_class(shared_data):
    (suite,) = load_suites(["mbpp"], shared_data)
    outcomes = score_all(suite.items, [f"```python\n{it.meta['canonical_solution']}\n```" for it in suite.items], settings_of("mbpp"))
    failed = {it.id: o.extracted["flags"] for it, o in zip(suite.items, outcomes, strict=True) if not o.correct}
    assert failed == {"367": ["checker_error"]}  # its tests build trees of the solution's Node class


@pytest.mark.parametrize("model", ["1.5b-base", "7b-base"])
def test_humaneval_verdicts_match_evalplus_on_qwen25_coder_outputs(shared_data, model):
    """Released base models' completions, scored by EvalPlus in 2024 (base tests): every verdict agrees."""
    folder = shared_data / "outputs" / "qwen2.5-coder_base_evalplus" / model / "humaneval"
    completions = {r["task_id"]: r["completion"] for r in map(json.loads, (folder / "generated.jsonl").read_text().splitlines())}
    verdicts = {k: v[0]["base_status"] == "pass" for k, v in json.loads((folder / "generated_eval_results.json").read_text())["eval"].items()}
    (suite,) = load_suites(["humaneval"], shared_data)
    settings = {**settings_of("humaneval"), "timeout_s": 3}  # a looping completion fails sooner
    outcomes = score_all(suite.items, [completions[it.id] for it in suite.items], settings)
    disagree = [it.id for it, o in zip(suite.items, outcomes, strict=True) if o.correct != verdicts[it.id]]
    assert disagree == []
    assert sum(o.correct for o in outcomes) == {"1.5b-base": 72, "7b-base": 101}[model]  # SOURCE.txt's counts


@pytest.mark.slow
def test_mbpp_plus_verdicts_match_evalplus_on_a_sample_of_tasks(shared_data):
    """MBPP+ (base and plus inputs) on the 7B base model's outputs, for the first 60 tasks without extreme
    inputs. The only expected difference is EvalPlus's later set-equality oracle (Mbpp/2 passes with it)."""
    folder = shared_data / "outputs" / "qwen2.5-coder_base_evalplus" / "7b-base" / "mbpp"
    completions = {r["task_id"]: r["completion"] for r in map(json.loads, (folder / "generated.jsonl").read_text().splitlines())}
    results = json.loads((folder / "generated_eval_results.json").read_text())["eval"]
    verdicts = {k: v[0]["base_status"] == "pass" and v[0]["plus_status"] == "pass" for k, v in results.items()}
    (suite,) = load_suites(["mbpp_plus"], shared_data)
    extreme = {"Mbpp/599", "Mbpp/392", "Mbpp/271", "Mbpp/592", "Mbpp/589", "Mbpp/255", "Mbpp/123", "Mbpp/603"}
    items = [it for it in suite.items if it.id not in extreme][:60]
    outcomes = score_all(items, [completions[it.id] for it in items], settings_of("mbpp_plus"))
    disagree = {it.id for it, o in zip(items, outcomes, strict=True) if o.correct != verdicts[it.id]}
    assert disagree <= {"Mbpp/2"}
    assert sum(o.correct for o in outcomes) >= 30


# ------------------------------------------------------------------------------------- HumanEval style


ADD = Item(
    id="t/add",
    input={"prompt": 'import math\n\n\ndef add(a, b):\n    """Return a + b."""\n', "entry_point": "add"},
    target={"test": "def check(f):\n    assert f(1, 2) == 3\n    assert f(-1, 1) == 0\n\ncheck(add)\n", "entry_point": "add"},
)


@pytest.mark.parametrize(
    "text",
    [
        "```python\ndef add(a, b):\n    return a + b\n```",
        "Sure!\n```py\ndef add(a, b):\n    return math.fsum([a, b])\n```\nThe prompt's imports stay available.",
        "    return a + b\n",  # a base model's body completion continues the prompt
        "```python\nprint(add(1, 2))\n```\n```python\ndef add(a, b):\n    return a + b\n```\n```python\nadd(3, 4)\n```",
        "```python\ndef add(a, b):\n    return a + b\n\nif __name__ == '__main__':\n    print(add(int(input()), 2))\n```",
    ],
    ids=["fenced", "uses-prompt-import", "body-completion", "picks-defining-block", "main-guard-dropped"],
)
def test_correct_solutions_pass(text):
    outcome = score(ADD, text, {"prepend_prompt": True})
    assert outcome.correct and outcome.score == 1.0 and outcome.error is None
    assert "def add" in outcome.extracted["code"] or outcome.extracted["code"].startswith("    return")


def test_a_wrong_solution_fails_without_an_error_kind():
    outcome = score(ADD, "```python\ndef add(a, b):\n    return a - b\n```", {"prepend_prompt": True})
    assert not outcome.correct and outcome.error is None
    assert outcome.extracted["status"] == "failed" and "AssertionError" in outcome.extracted["detail"]


def test_exiting_zero_before_the_tests_is_not_a_pass():
    code = "```python\nimport sys\ndef add(a, b):\n    return 0\nsys.exit(0)\n```"
    outcome = score(ADD, code, {"prepend_prompt": True})
    assert not outcome.correct and outcome.extracted["status"] == "failed" and outcome.error is None
    assert "left_early" in outcome.extracted["flags"]
    outcome = score(ADD, "```python\nimport os\nos._exit(0)\n```", {"prepend_prompt": True})
    assert not outcome.correct and outcome.extracted["flags"] == ["ends_process", "left_early"]


def test_printing_the_token_format_does_not_help():
    code = "```python\nprint('asymmetry-pass-0000000000000000')\ndef add(a, b):\n    return 0\n```"
    assert not score(ADD, code, {"prepend_prompt": True}).correct


def test_an_endless_loop_is_a_sandbox_timeout():
    outcome = score(ADD, "```python\ndef add(a, b):\n    while True:\n        pass\n```", {"prepend_prompt": True, "timeout_s": 1.5})
    assert not outcome.correct and outcome.error == "sandbox_timeout" and outcome.score == 0.0


def test_no_code_is_a_parse_failure():
    outcome = score(ADD, "I am not able to write this function.")
    assert outcome.error == "parse_failure" and outcome.extracted is None and not outcome.correct


# ---------------------------------------------------------------------------------------- extraction


def test_extraction_prefers_python_blocks_that_define_the_entry_point():
    text = "```text\ndef add(): pass\n```\n```python\ndef helper():\n    pass\n```\n```python\ndef add(a, b):\n    return 1\n```\n```python\nadd(1, 2)\n```"
    assert extract_code(text, "add") == "def add(a, b):\n    return 1\n"
    assert extract_code(text, None) == "add(1, 2)\n"
    assert extract_code("```python\ndef add(a, b):\n    return a + b", "add") == "def add(a, b):\n    return a + b\n"  # unterminated
    assert extract_code("<think>```python\ndef add(): return 0\n```</think>\nNo code here.", "add") is None
    assert extract_code("The answer is to add the numbers.", "add") is None


def test_main_guard_removal_keeps_the_rest():
    code = "def f():\n    return 1\nif __name__ == \"__main__\":\n    f()\n    input()\nX = 2\n"
    assert drop_main_guard(code) == "def f():\n    return 1\nX = 2\n"


# ------------------------------------------------------------------------- EvalPlus differential tests


def evalplus_item(tmp_path: Path, row: dict) -> Item:
    (tmp_path / "humanevalplus").mkdir(exist_ok=True)
    with gzip.open(tmp_path / "humanevalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz", "wt") as f:
        f.write(json.dumps(row) + "\n")
    (item,) = build_suite(replace(parse_spec(SUITES / "humaneval_plus.toml"), n_items=None), tmp_path).items
    return item


def test_differential_testing_against_the_canonical_solution(tmp_path):
    item = evalplus_item(tmp_path, {
        "task_id": "HumanEval/900", "entry_point": "mean", "prompt": "def mean(xs):\n    \"\"\"Mean.\"\"\"\n",
        "canonical_solution": "    return sum(xs) / len(xs)\n", "atol": 0,
        "base_input": [[[1, 2, 3]]], "plus_input": [[[0.1, 0.2]], [[10**6, 1]]],
    })
    good = "```python\ndef mean(xs):\n    total = 0.0\n    for x in xs:\n        total += x\n    print('debug', total)\n    return total / len(xs)\n```"
    assert score(item, good, settings_of("humaneval_plus")).correct  # float noise within 1e-6; prints discarded
    wrong = "```python\ndef mean(xs):\n    return sum(xs) // len(xs)\n```"
    outcome = score(item, wrong, settings_of("humaneval_plus"))
    assert not outcome.correct and "wrong output on test input 2 of 3" in outcome.extracted["detail"]


def test_find_zero_uses_evalplus_polynomial_oracle(tmp_path):
    prompt = "import math\n\ndef poly(xs, x):\n    return sum(c * math.pow(x, i) for i, c in enumerate(xs))\n\ndef find_zero(xs):\n    \"\"\"A zero.\"\"\"\n"
    canonical = "    lo, hi = -1e3, 1e3\n    for _ in range(200):\n        mid = (lo + hi) / 2\n        if poly(xs, lo) * poly(xs, mid) <= 0:\n            hi = mid\n        else:\n            lo = mid\n    return lo\n"
    item = evalplus_item(tmp_path, {"task_id": "HumanEval/32", "entry_point": "find_zero", "prompt": prompt,
                                    "canonical_solution": canonical, "atol": 1e-4, "base_input": [[[-6, 11, -6, 1]]], "plus_input": [[[2, -3]]]})
    # a different root than the canonical one is still right: only poly(xs, x) ~ 0 is checked
    other_root = "```python\ndef find_zero(xs):\n    for guess in (3.0, 1.5, 0.6666666666666666):\n        if abs(poly(xs, guess)) < 1e-9:\n            return guess\n    return 0.0\n```"
    assert score(item, other_root, settings_of("humaneval_plus")).correct


def test_an_input_slower_than_four_times_the_reference_is_a_timeout(tmp_path):
    item = evalplus_item(tmp_path, {
        "task_id": "HumanEval/901", "entry_point": "double", "prompt": "def double(x):\n    \"\"\"2x.\"\"\"\n",
        "canonical_solution": "    return 2 * x\n", "atol": 0, "base_input": [[1]], "plus_input": [[2]],
    })
    slow = "```python\nimport time\ndef double(x):\n    time.sleep(1.5)\n    return 2 * x\n```"
    outcome = score(item, slow, settings_of("humaneval_plus"))
    assert outcome.error == "sandbox_timeout" and "test input 1 exceeded its time limit of 1.00 s" in outcome.extracted["detail"]


def test_mbpp_plus_tuple_arguments_are_restored(shared_data):
    (suite,) = load_suites(["mbpp_plus"], shared_data)
    item = next(it for it in suite.items if it.id == "Mbpp/2")  # similar_elements takes tuples (EvalPlus restores them)
    needs_tuples = "```python\ndef similar_elements(a, b):\n    assert isinstance(a, tuple) and isinstance(b, tuple)\n    return tuple(set(a) & set(b))\n```"
    assert score(item, needs_tuples, settings_of("mbpp_plus")).correct


# ------------------------------------------------------------------------------------ contest programs


STDIO = Item(id="lcb/1", input={}, target={
    "mode": "stdio", "entry_point": None,
    "cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "10 -4\n", "output": "6"}, {"input": "0.5 0.25\n", "output": "0.75\n"}],
})


@pytest.mark.parametrize(
    "program",
    [
        "a, b = map(float, input().split())\ns = a + b\nprint(int(s) if s == int(s) else s)",
        "import sys\na, b = map(float, sys.stdin.buffer.read().split())\ns = a + b\nsys.stdout.write(f'{s:g}\\n')",
        "a, b = map(float, open(0).read().split())\ns = a + b\nprint(f'{s:g}')\nexit()",
    ],
    ids=["input", "stdin-buffer", "open-0-and-exit"],
)
def test_stdin_programs_pass_whichever_way_they_read(program):
    assert score(STDIO, f"```python\n{program}\n```").correct


def test_stdin_numbers_compare_as_decimals_and_wrong_output_fails():
    assert score(STDIO, "```python\na, b = map(float, input().split())\nprint(f'{a + b:.4f}')\n```").correct
    wrong = score(STDIO, "```python\nprint(3)\n```")
    assert not wrong.correct and "wrong output on test case 2 of 3" in wrong.extracted["detail"]


def test_a_slow_test_case_is_a_timeout():
    outcome = score(STDIO, "```python\nwhile True:\n    pass\n```", {"case_timeout_s": 0.5, "timeout_s": 20})
    assert outcome.error == "sandbox_timeout" and "test case 1" in outcome.extracted["detail"]


FUNCTIONAL = Item(id="lcb/2", input={}, target={
    "mode": "functional", "func_name": "twoSum", "entry_point": "Solution",
    "cases": [{"input": "[2,7,11,15]\n9", "output": "[0, 1]"}, {"input": "[3,3]\n6", "output": "[0,1]"}],
})


def test_leetcode_style_solutions_are_called_with_json_arguments():
    good = ("```python\nclass Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
            "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
            "                return (seen[target - x], i)\n            seen[x] = i\n```")
    assert score(FUNCTIONAL, good).correct  # `List` comes from the contest prelude; a tuple equals a list
    missing = score(FUNCTIONAL, "```python\ndef twoSum(nums, target):\n    return [0, 1]\n```")
    assert not missing.correct and "class Solution" in missing.extracted["detail"]


# ------------------------------------------------------------------- the candidate and the checker apart


@pytest.mark.parametrize("body", [
    "class Three:\n    def __eq__(self, other):\n        return True\n\ndef add(a, b):\n    return Three()\n",
    "def add(a, b):\n    yield a + b\n",
    "def add(a, b):\n    return lambda: a + b\n",
], ids=["own-eq", "generator", "function"])
def test_a_return_value_that_is_not_plain_data_is_a_wrong_answer_and_flagged(body):
    outcome = score(ADD, f"```python\n{body}```", {"prepend_prompt": True})
    assert not outcome.correct and outcome.error is None and outcome.extracted["flags"] == ["non_data_return"]
    assert "not plain data" in outcome.extracted["detail"]


def test_exceptions_cross_as_exceptions_of_the_same_builtin_type():
    item = replace(ADD, target={"entry_point": "add", "test": (
        "def check(f):\n    assert f(1, 2) == 3\n    try:\n        f(-1, 0)\n    except ValueError as e:\n"
        "        assert str(e) == 'negative'\n    else:\n        raise AssertionError('no ValueError')\n\ncheck(add)\n")})
    good = "```python\ndef add(a, b):\n    if a < 0:\n        raise ValueError('negative')\n    return a + b\n```"
    assert score(item, good, {"prepend_prompt": True}).correct
    crashes = score(ADD, "```python\ndef add(a, b):\n    return {}[a]\n```", {"prepend_prompt": True})
    assert not crashes.correct and crashes.extracted["detail"].startswith("KeyError")


def test_tests_that_use_the_solutions_imports_still_find_them():
    # MBPP tests call math.isclose on the result without importing math: the solution's import is mirrored
    item = Item(id="mbpp/x", input={}, target={"entry_point": "area",
                                                "test": "assert math.isclose(area(1.0), 3.141592653589793)\n"})
    assert score(item, "```python\nimport math\ndef area(r):\n    return math.pi * r * r\n```").correct


def test_a_test_that_needs_a_class_of_the_solution_says_it_cannot_run():
    item = Item(id="mbpp/367", input={}, target={"entry_point": "depth", "test": "assert depth(Node(1)) == 1\n"})
    code = "```python\nclass Node:\n    def __init__(self, v):\n        self.v = v\ndef depth(node):\n    return 1\n```"
    outcome = score(item, code)
    assert not outcome.correct and outcome.extracted["flags"] == ["checker_error"]


def test_stdin_programs_keep_their_main_guard_as_livecodebench_runs_it():
    code = "```python\ndef main():\n    a, b = map(float, input().split())\n    s = a + b\n    print(f'{s:g}')\n\nif __name__ == '__main__':\n    main()\n```"
    assert score(STDIO, code).correct


def test_output_that_names_the_harness_is_flagged():
    code = "```python\nimport sys\nprint('looking for asym' + 'metry internals', file=sys.stderr)\ndef add(a, b):\n    return a + b\n```"
    outcome = score(ADD, code, {"prepend_prompt": True})
    assert outcome.correct and outcome.extracted["flags"] == ["output_names_harness"]


def test_in_fork_mode_the_solution_cannot_reach_its_checker():
    # it signals everything it can (SIGSTOP, then SIGKILL) before answering: the checker is not among them
    code = ("```python\nimport os, signal\nfor sig in (signal.SIGSTOP, signal.SIGKILL):\n    try:\n"
            "        os.kill(-1, sig)\n    except OSError:\n        pass\n\ndef add(a, b):\n    return a + b\n```")
    outcome = score(ADD, code, {"prepend_prompt": True})
    assert outcome.correct and outcome.extracted["flags"] == ["ends_process"]


def test_in_plain_mode_a_solution_that_kills_its_checker_is_wrong_and_flagged():
    from harness.sandbox import Sandbox
    from harness.suites.scorers.code import judge, programs, support_modules

    code = "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n\ndef add(a, b):\n    return a + b\n"
    candidate, checker = programs(ADD, code, {"prepend_prompt": True})

    async def go():
        sandbox = Sandbox(workers=1, mode="plain", modules=support_modules())
        try:
            return await sandbox.run(candidate, timeout_s=10, checker=checker)
        finally:
            await sandbox.aclose()

    passed, status, error, _, run_flags = judge(asyncio.run(go()))
    # it took the checker down, and with it (plain mode shares one pid namespace) its worker: no verdict
    assert not passed and (status, error) in {("failed", None), ("crash", "sandbox_crash")}
    assert status == "crash" or run_flags == ["checker_disturbed"], (status, run_flags)
