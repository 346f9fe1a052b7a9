"""The four built-in suites as users get them: through `load_suites(["builtin"])`, and through the real
`asymmetry run` CLI against a loopback model server, with native tool calls and the JSON text protocol.

The server plays three models: `oracle` answers every item correctly (the reference program, the plan's
tool calls, the answer), `dunce` answers "I do not know." to everything; `c` is the oracle again but
configured with `tool_mode = "json"`, so its tool calls travel as `<tool_calls>` text and the tool
results come back as `<tool_results>` user messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.models.base import ChatRequest, ChatResponse, ToolCall
from harness.run.store import iter_records, read_manifest
from harness.suites.build import load_suites
from harness.suites.builtin import GENERATORS, code_tasks, tool_tasks
from tests.servers import Incoming, Reply, serve

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("builtin-code", "builtin-facts", "builtin-math", "builtin-tools")


@pytest.fixture(scope="module")
def suites():
    return {s.name: s for s in load_suites(["builtin"])}


def test_builtin_names_the_four_offline_suites(suites):
    assert sorted(suites) == list(NAMES)
    kinds = {name: (s.category, s.capability) for name, s in suites.items()}
    assert kinds == {
        "builtin-code": ("targeted", "coding"),
        "builtin-tools": ("targeted", "agentic"),
        "builtin-math": ("untargeted", "math"),
        "builtin-facts": ("untargeted", "factual"),
    }
    for suite in suites.values():
        assert suite.offline and len(suite.items) >= 200
        assert suite.source.startswith("builtin:")


def test_versions_are_stable_across_loads_and_unchanged_by_limit(suites):
    again = {s.name: s for s in load_suites(["builtin"], limit=10)}
    for name in NAMES:
        assert again[name].version == suites[name].version
        assert [it.id for it in again[name].items] == [it.id for it in suites[name].items[:10]]


def test_the_suites_load_by_name_too(suites):
    (tools,) = load_suites(["builtin-tools"])
    assert tools.version == suites["builtin-tools"].version


def _solve(suite, item, reply):
    async def generate(request: ChatRequest) -> ChatResponse:
        return reply(request)

    return asyncio.run(suite.solve(item, generate))


def test_each_suite_solves_with_its_own_prompt_and_scorer(suites):
    math_item = suites["builtin-math"].items[0]
    right = _solve(suites["builtin-math"], math_item, lambda r: ChatResponse(text=f"...\nThe answer is {math_item.target}"))
    wrong = _solve(suites["builtin-math"], math_item, lambda r: ChatResponse(text="The answer is 0.5"))
    assert right.correct and not wrong.correct

    facts_item = suites["builtin-facts"].items[0]
    assert _solve(suites["builtin-facts"], facts_item, lambda r: ChatResponse(text=facts_item.target[-1])).correct

    task = code_tasks.generate_tasks(2026, 1)[0]
    code_item = suites["builtin-code"].items[0]
    assert code_item.hash == task.item.hash

    async def code_run():
        from harness.sandbox import close_shared

        try:
            good = await suites["builtin-code"].solve(
                code_item, _async(ChatResponse(text=f"```python\n{task.reference_source()}```"))
            )
            bad = await suites["builtin-code"].solve(code_item, _async(ChatResponse(text="```python\nx = 1\n```")))
            return good, bad
        finally:
            await close_shared()

    good, bad = asyncio.run(code_run())
    assert good.correct and not bad.correct

    plan = tool_tasks.generate_tasks(2026, 1)[0].plan
    steps = iter([ChatResponse(text="", tool_calls=(ToolCall(n, a, id=str(k)),)) for k, (n, a) in enumerate(plan)])
    tools_item = suites["builtin-tools"].items[0]
    outcome = _solve(suites["builtin-tools"], tools_item, lambda r: next(steps, ChatResponse(text="Paid.")))
    assert outcome.correct


def _async(response: ChatResponse):
    async def generate(request: ChatRequest) -> ChatResponse:
        return response

    return generate


# --- the real CLI against a loopback server -----------------------------------------------------------


def oracle():
    """The loopback server's answer function: right answers for `oracle`/`c`, none for `dunce`."""
    math = {it.input["question"]: it.target for it in GENERATORS["math"](2026, 300)}
    code = {t.item.input["prompt"]: t.reference_source() for t in code_tasks.generate_tasks(2026, 240)}
    facts = {it.input["question"]: it.target[0] for it in GENERATORS["facts"](2026, 303)}
    plans = {(t.item.input["today"], t.item.input["request"]): t.plan for t in tool_tasks.generate_tasks(2026, 208)}

    def answer(request: Incoming) -> str | Reply:
        body = request.body
        if body["model"] == "dunce":
            return "I do not know."
        messages = body["messages"]
        first = next(m["content"] for m in messages if m["role"] == "user")
        if first.startswith("Today is "):
            today, task = re.match(r"Today is (\S+)\.\n\n(.*)", first, re.S).groups()
            plan = plans[(today, task)]
            done = sum(m["role"] == "tool" for m in messages)
            done += sum(m["role"] == "user" and "<tool_results>" in str(m["content"]) for m in messages)
            if done == len(plan):
                return "All done."
            name, arguments = plan[done]
            if "tools" in body:
                return Reply(text="", tool_calls=((name, arguments),), finish_reason="tool_calls")
            return f"Next step.\n<tool_calls>\n{json.dumps([{'name': name, 'arguments': arguments}])}\n</tool_calls>"
        if first.startswith("Solve the following math problem"):
            question = first.split("\n\n", 1)[1]
            return f"Let me think.\nThe answer is {math[question]}"
        if "Question: " in first:
            return facts[re.search(r"Question: (.*)\nAnswer:", first)[1]]
        prompt = first.rsplit("\n\nReply with the complete solution", 1)[0]
        return f"Here it is.\n```python\n{code[prompt]}```"

    return answer


@pytest.mark.slow
def test_asymmetry_run_over_the_builtin_suites_with_native_and_json_tool_calls(tmp_path, suites):
    config = tmp_path / "models.toml"
    config.write_text('[c]\ntool_mode = "json"\n')
    with serve(answer=oracle(), models=("oracle", "dunce")) as srv:
        argv = [sys.executable, "-m", "harness", "run", "--model", f"oracle=vllm:oracle@{srv.base_url}",
                "--model", f"dunce=vllm:dunce@{srv.base_url}", "--model", f"c=vllm:oracle@{srv.base_url}",
                "--model-config", str(config), "--suites", "builtin", "--limit", "26", "--out", str(tmp_path),
                "--run-id", "r", "--quiet"]  # fmt: skip
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    records = list(iter_records(tmp_path / "r"))
    assert len(records) == 3 * 4 * 26
    by = {}
    for record in records:
        by.setdefault((record["model"], record["suite"]), []).append(record)
    for name in NAMES:
        assert all(r["correct"] and r["error"] is None for r in by[("oracle", name)]), name
        assert all(r["correct"] for r in by[("c", name)]), (name, [r["error"] for r in by[("c", name)]])
        assert not any(r["correct"] for r in by[("dunce", name)]), name
        assert {r["suite_version"] for r in by[("oracle", name)]} == {suites[name].version}
    # the do-nothing answer to a tool task is a wrong answer, not an error; to a code task, no code at all
    assert {r["error"] for r in by[("dunce", "builtin-tools")]} == {None}
    assert {r["error"] for r in by[("dunce", "builtin-code")]} == {"parse_failure"}
    tool_record = next(r for r in by[("c", "builtin-tools")] if r["item_id"] == "builtin-tools/0000")
    plan = tool_tasks.generate_tasks(2026, 1)[0].plan
    assert [c["name"] for c in tool_record["extracted"]["calls"]] == [n for n, _ in plan]
    manifest = read_manifest(tmp_path / "r")
    assert set(NAMES) <= {s["name"] for s in manifest["suites"]}
