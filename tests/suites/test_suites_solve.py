"""Suites solved end to end over real HTTP: each suite's solver builds the request (prompt template, native
tools or the text protocol), a real adapter sends it to a loopback OpenAI-compatible server, and the scorer
reads the reply. Finish reasons become `truncated` / `refusal`; model errors propagate to the runner."""

from __future__ import annotations

import asyncio
import json

import pytest

from harness.models import ModelError, open_adapter, parse_model_spec, with_options
from harness.suites.build import load_suites
from tests.servers import Reply, serve


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    monkeypatch.setenv("ASYMMETRY_CACHE_DIR", str(tmp_path / "cache"))


def solve_all(suite, base_url: str, **spec_options):
    spec = parse_model_spec(f"m=openai:test-model@{base_url}")
    if spec_options:
        spec = with_options(spec, spec_options, where="test")

    async def go():
        adapter = open_adapter(spec, retries=0, timeout_s=10)
        try:
            return await asyncio.gather(*(suite.solve(item, adapter.chat) for item in suite.items))
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_gsm8k_prompts_and_scores_over_http(shared_data):
    (suite,) = load_suites(["gsm8k"], shared_data, limit=12)
    answers = {it.input["question"]: it.target for it in suite.items}

    def answer(request):
        question = request.prompt.split("\n\n", 1)[1]
        right = answers[question]
        return f"Let me think step by step.\nThe answer is {right if len(question) % 2 else int(right) + 1}."

    with serve(answer) as server:
        outcomes = solve_all(suite, server.base_url)
        body = server.generation_requests()[0].request.body
    assert body["messages"][0]["content"].startswith("Solve the following math problem step by step.")
    expected = [len(it.input["question"]) % 2 == 1 for it in suite.items]
    assert [o.correct for o in outcomes] == expected
    assert all(o.response.startswith("Let me think") for o in outcomes)


def gold_call(item):
    ((name, params),) = item.target["ground_truth"][0].items()
    arguments = {p: next(v for v in values if v != "") for p, values in params.items() if any(v != "" for v in values)}
    return name.replace(".", "_"), arguments


def test_bfcl_with_native_tool_calls_over_http(shared_data):
    (suite,) = load_suites(["bfcl_simple"], shared_data, limit=25)
    by_question = {it.input["messages"][-1]["content"]: it for it in suite.items}
    seen_tools = []

    def answer(request):
        seen_tools.append(request.body.get("tools"))
        item = by_question[request.prompt]
        name, arguments = gold_call(item)
        return Reply(text=None, tool_calls=((name, json.dumps(arguments)),), finish_reason="tool_calls")

    with serve(answer) as server:
        outcomes = solve_all(suite, server.base_url)
    assert all(o.correct for o in outcomes), [o.extracted for o in outcomes if not o.correct]
    assert all(tools and tools[0]["type"] == "function" for tools in seen_tools)
    assert all("<tool_calls>" in o.response for o in outcomes)  # native calls are kept in the record, readable


def test_bfcl_through_the_text_protocol_for_endpoints_without_tools(shared_data):
    (suite,) = load_suites(["bfcl_simple"], shared_data, limit=25)
    by_question = {it.input["messages"][-1]["content"]: it for it in suite.items}
    bodies = []

    def answer(request):
        bodies.append(request.body)
        name, arguments = gold_call(by_question[request.prompt])
        if len(request.prompt) % 3 == 0:
            return "I am not sure which tool to use."  # no call at all: simply wrong
        return f'<tool_calls>[{{"name": "{name}", "arguments": {json.dumps(arguments)}}}]</tool_calls>'

    with serve(answer) as server:
        outcomes = solve_all(suite, server.base_url, tool_mode="json")
    assert all("tools" not in body for body in bodies)
    assert all(body["messages"][0]["role"] == "system" and "<tool_calls>" in body["messages"][0]["content"] for body in bodies)
    for item, outcome in zip(suite.items, outcomes, strict=True):
        no_call = len(item.input["messages"][-1]["content"]) % 3 == 0
        assert outcome.correct is (not no_call)
        assert outcome.error is None


def test_a_malformed_text_protocol_call_reaches_the_runner_as_a_parse_failure(shared_data):
    (suite,) = load_suites(["bfcl_simple"], shared_data, limit=1)
    with serve(lambda request: '<tool_calls>[{"name": "calc", "arguments": {oops}]</tool_calls>') as server:
        with pytest.raises(ModelError) as info:
            solve_all(suite, server.base_url, tool_mode="json")
    assert info.value.kind == "parse_failure"


def test_a_reply_cut_at_the_token_limit_is_truncated_not_wrong(shared_data):
    (suite,) = load_suites(["gsm8k"], shared_data, limit=2)
    right = suite.items[0].target

    def answer(request):
        if "Janet" in request.prompt:
            return Reply(text=f"So she makes ... The answer is {right}", finish_reason="length")  # right answer stands
        return Reply(text="First, we compute the number of", finish_reason="length")

    with serve(answer) as server:
        first, second = solve_all(suite, server.base_url)
    assert first.correct and first.error is None
    assert second.error == "truncated" and not second.correct and second.score == 0.0


def test_humaneval_end_to_end_in_the_sandbox(shared_data):
    import shutil

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    from harness.sandbox import close_shared

    (suite,) = load_suites(["humaneval"], shared_data, limit=6)
    solutions = {it.input["entry_point"]: it.input["prompt"] + it.meta["canonical_solution"] for it in suite.items}

    def answer(request):
        entry = next(name for name in solutions if f"def {name}(" in request.prompt)
        return f"Here you go:\n```python\n{solutions[entry]}```"

    try:
        with serve(answer) as server:
            outcomes = solve_all(suite, server.base_url)
    finally:
        asyncio.run(close_shared())
    assert all(o.correct for o in outcomes), [o.extracted for o in outcomes]


def test_a_do_nothing_model_passes_nothing_in_any_loadable_suite(shared_data):
    """Empty replies and a bare refusal score 0 on every suite that loads here (real data + built-ins)."""
    import shutil

    from harness.models.base import ChatResponse
    from harness.suites.build import build_suite, list_specs
    from harness.suites.sources import SourceUnavailable

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    from harness.sandbox import close_shared

    checked = []
    for spec in list_specs():
        try:
            suite = build_suite(spec, shared_data, limit=15)
        except SourceUnavailable:
            continue
        for reply in ("", "I can't help with that."):

            async def generate(request, reply=reply):
                return ChatResponse(text=reply, finish_reason="stop")

            async def go(suite=suite, generate=generate):
                return await asyncio.gather(*(suite.solve(item, generate) for item in suite.items))

            outcomes = asyncio.run(go())
            assert not any(o.correct for o in outcomes), (spec.name, reply)
            assert all(o.score == 0.0 for o in outcomes), spec.name
        checked.append(spec.name)
    asyncio.run(close_shared())
    assert {"gsm8k", "math500", "aime", "nq_open", "bfcl_simple", "humaneval", "mbpp_plus"} <= set(checked)
    assert {"builtin-code", "builtin-math", "builtin-facts", "builtin-tools"} <= set(checked)
