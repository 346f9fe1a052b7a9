"""Adapters against real loopback servers: wire formats, tool calls, retries, faults, limits, replicas."""

from __future__ import annotations

import asyncio
import socket
import time

import orjson
import pytest

from harness.errors import UserError
from harness.models import ChatRequest, Decoding, ModelError, open_adapter, parse_model_spec, with_options
from harness.models.limits import AdaptiveLimit, RateBudget
from tests.servers import Faults, Reply, serve

ASK = [{"role": "user", "content": "What is 6*7?"}]
ADD_TOOL = [{"type": "function", "function": {"name": "add", "description": "Add two numbers",
                                              "parameters": {"type": "object", "properties": {"a": {"type": "number"}}}}}]


def _spec(url: str, provider: str = "vllm", model: str = "test-model", **options):
    spec = parse_model_spec(f"m={provider}:{model}@{url}")
    return with_options(spec, options, where="test") if options else spec


QUESTION = ChatRequest(messages=ASK)


async def _ask(spec, request=QUESTION, **options):
    adapter = open_adapter(spec, **options)
    try:
        return await adapter.chat(request)
    finally:
        await adapter.aclose()


def _ask_sync(spec, request=QUESTION, **options):
    return asyncio.run(_ask(spec, request, **options))


# -- model specs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, provider, model, urls", [
    ("q=ollama:qwen3:8b", "ollama", "qwen3:8b", ("http://127.0.0.1:11434/v1",)),
    ("qwen3-8b=openai:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1", "openai", "Qwen/Qwen3-8B", ("http://127.0.0.1:8000/v1",)),
    ("r=vllm:Qwen/Qwen3-8B@http://a:8000/v1@http://b:8000/v1/", "vllm", "Qwen/Qwen3-8B",
     ("http://a:8000/v1", "http://b:8000/v1")),
    ("qwen3-max=dashscope:qwen3-max", "dashscope", "qwen3-max",
     ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1",)),
    ("old=replay:qwen3-8b@results/run-1", "replay", "qwen3-8b", ("results/run-1",)),
])
def test_model_specs_parse_as_design_says(text, provider, model, urls):
    spec = parse_model_spec(text)
    assert (spec.provider, spec.model, spec.base_urls) == (provider, model, urls)


@pytest.mark.parametrize("text, message", [
    ("qwen3", "expected LABEL=PROVIDER:MODEL"),
    ("q=nosuch:model", "unknown provider 'nosuch'"),
    ("q=vllm:", "no model name"),
    ("bad label=vllm:x", "label 'bad label'"),
    ("q=vllm:x@localhost:8000", "must start with http"),
    ("q=replay:results/x", "replay needs LABEL=replay:MODEL@RUN_DIR"),
])
def test_bad_model_specs_get_one_line_errors(text, message):
    with pytest.raises(UserError, match=message) as info:
        parse_model_spec(text)
    assert "\n" not in str(info.value)


def test_hosted_preset_without_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    with pytest.raises(UserError, match="set DASHSCOPE_API_KEY"):
        open_adapter(parse_model_spec("q=dashscope:qwen3-max"))
    open_adapter(parse_model_spec("q=openai:x@http://127.0.0.1:9/v1"))  # a local URL needs no key


def test_spec_string_and_record_hide_credentials_in_urls():
    spec = parse_model_spec("q=vllm:x@http://user:hunter2@host:8000/v1?token=abc")
    assert "hunter2" not in str(spec) and "abc" not in str(spec)
    assert spec.describe()["base_urls"] == ["http://host:8000/v1"]


# -- OpenAI-compatible ------------------------------------------------------------------------------

def test_chat_sends_decoding_and_extras_and_reads_served_model(monkeypatch):
    monkeypatch.setenv("VLLM_API_KEY", "sk-fake-123")
    decoding = Decoding(temperature=0.6, top_p=0.95, max_tokens=77, seed=10, stop=("###",)).for_sample(2)
    with serve(answer=lambda r: Reply("42", model="Qwen/Qwen3-8B-AWQ")) as srv:
        spec = _spec(srv.base_url, extra={"chat_template_kwargs": {"enable_thinking": False}})
        response = _ask_sync(spec, ChatRequest(messages=ASK, decoding=decoding, sample=2))
    assert response.text == "42" and response.served_model == "Qwen/Qwen3-8B-AWQ"
    assert response.finish_reason == "stop" and response.usage.completion_tokens and response.latency_s > 0
    sent = srv.log[0].request
    assert sent.body == {"model": "test-model", "messages": ASK, "max_tokens": 77, "temperature": 0.6,
                         "top_p": 0.95, "seed": 12, "stop": ["###"],
                         "chat_template_kwargs": {"enable_thinking": False}}
    assert sent.headers["authorization"] == "Bearer sk-fake-123"
    assert b"sk-fake-123" not in sent.raw


def test_completions_mode_sends_a_plain_prompt_for_base_models():
    with serve(answer=lambda r: " 42") as srv:
        spec = _spec(srv.base_url, api="completions")
        messages = [{"role": "system", "content": "Answer."}, *ASK]
        response = _ask_sync(spec, ChatRequest(messages=messages))
    assert response.text == " 42"
    assert srv.log[0].request.path == "/v1/completions"
    assert srv.log[0].request.body["prompt"] == "Answer.\n\nWhat is 6*7?"


def test_native_tool_calls_round_trip():
    reply = Reply(text=None, tool_calls=(("add", {"a": 1}), ("add", '{"a": oops}')))
    with serve(answer=lambda r: reply) as srv:
        response = _ask_sync(_spec(srv.base_url), ChatRequest(messages=ASK, tools=ADD_TOOL))
    assert srv.log[0].request.body["tools"] == ADD_TOOL
    assert response.finish_reason == "tool_calls" and response.text == ""
    assert [(c.name, c.arguments) for c in response.tool_calls] == [("add", {"a": 1}), ("add", '{"a": oops}')]
    assert response.tool_calls[0].id == "call_1_0"


def test_json_tool_mode_renders_tools_into_the_prompt_and_parses_the_reply():
    def answer(request):
        return '<tool_calls>[{"name": "add", "arguments": {"a": 2}}]</tool_calls>' if request.n == 1 else "<tool_calls>[{"

    with serve(answer=answer) as srv:
        spec = _spec(srv.base_url, tool_mode="json")
        response = _ask_sync(spec, ChatRequest(messages=ASK, tools=ADD_TOOL))
        with pytest.raises(ModelError) as info:
            _ask_sync(spec, ChatRequest(messages=ASK, tools=ADD_TOOL))
    body = srv.log[0].request.body
    assert "tools" not in body and "<tool_calls>" in body["messages"][0]["content"]
    assert [(c.name, c.arguments) for c in response.tool_calls] == [("add", {"a": 2})]
    assert info.value.kind == "parse_failure" and info.value.response == "<tool_calls>[{"


def test_content_filter_is_a_refusal_not_a_wrong_answer():
    with serve(answer=lambda r: Reply("I can't", finish_reason="content_filter")) as srv:
        with pytest.raises(ModelError) as info:
            _ask_sync(_spec(srv.base_url))
    assert info.value.kind == "refusal" and info.value.response == "I can't"


# -- Anthropic ------------------------------------------------------------------------------------------

def test_anthropic_messages_translate_system_tools_and_tool_results(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake")
    conversation = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Add 1."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}]},
        {"role": "tool", "tool_call_id": "t1", "content": "2"},
    ]
    with serve(answer=lambda r: Reply("done", tool_calls=(("add", {"a": 3}),))) as srv:
        spec = _spec(srv.base_url, provider="anthropic", model="claude-test")
        response = _ask_sync(parse_model_spec(f"c=anthropic:test-model@{srv.base_url}"),
                             ChatRequest(messages=conversation, tools=ADD_TOOL, decoding=Decoding(max_tokens=50)))
    assert spec.api == "messages"
    sent = srv.log[0].request
    assert sent.path == "/v1/messages" and sent.headers["x-api-key"] == "sk-ant-fake"
    assert sent.headers["anthropic-version"] and "authorization" not in sent.headers
    assert sent.body["system"] == "Be brief." and sent.body["max_tokens"] == 50 and "seed" not in sent.body
    assert sent.body["tools"][0]["input_schema"]["properties"] == {"a": {"type": "number"}}
    assert sent.body["messages"][1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 1}}]}
    assert sent.body["messages"][2]["content"] == [{"type": "tool_result", "tool_use_id": "t1", "content": "2"}]
    assert response.text == "done" and response.finish_reason == "tool_calls"
    assert response.tool_calls[0].arguments == {"a": 3} and response.served_model == "test-model"


# -- faults and retries -------------------------------------------------------------------------------

FAST = {"backoff_s": 0.01, "max_backoff_s": 0.05}


@pytest.mark.parametrize("fault, kind", [("500", "http_5xx"), ("503", "http_5xx"), ("drop", "connection"),
                                         ("malformed", "malformed_response"), ("429", "http_429")])
def test_transient_faults_are_retried_then_succeed(fault, kind):
    with serve(faults=Faults(at={1: fault, 2: fault})) as srv:
        adapter = open_adapter(_spec(srv.base_url), retries=3, **FAST)

        async def go():
            try:
                return await adapter.chat(ChatRequest(messages=ASK))
            finally:
                await adapter.aclose()

        response = asyncio.run(go())
    assert response.text == "What is 6*7?" and len(srv.generation_requests()) == 3
    assert adapter.retried == {kind: 2}


@pytest.mark.parametrize("fault, kind", [("502", "http_5xx"), ("drop", "connection"), ("hang", "timeout"),
                                         ("malformed", "malformed_response"), ("429", "http_429")])
def test_persistent_faults_end_in_a_model_error_of_the_right_kind(fault, kind):
    with serve(faults=Faults(rate={fault: 1.0}, hang_s=3)) as srv:
        with pytest.raises(ModelError) as info:
            _ask_sync(_spec(srv.base_url), retries=2, timeout_s=0.3, **FAST)
        assert len(srv.generation_requests()) == 3
    assert info.value.kind == kind and "after 3 attempt(s)" in str(info.value)


def test_client_errors_fail_at_once_with_a_hint_and_no_key(monkeypatch):
    monkeypatch.setenv("VLLM_API_KEY", "sk-wrong-456")
    with serve(api_key="sk-right") as srv:
        with pytest.raises(ModelError) as info:
            _ask_sync(_spec(srv.base_url), retries=3, **FAST)
        assert len(srv.log) == 1
    assert info.value.kind == "http_4xx" and "VLLM_API_KEY" in str(info.value)
    assert "sk-wrong-456" not in str(info.value)
    with serve() as srv, pytest.raises(ModelError, match="is model 'nope' served there"):
        _ask_sync(_spec(srv.base_url, model="nope"))


def test_retry_after_is_honoured():
    with serve(faults=Faults(at={1: "429"}, retry_after="0.4")) as srv:
        _ask_sync(_spec(srv.base_url), **FAST)
        first, second = srv.log
    assert second.at - first.at >= 0.38


def test_429s_halve_concurrency_and_it_recovers():
    with serve(faults=Faults(at={n: "429" for n in range(1, 9)}), latency_s=0.005) as srv:
        adapter = open_adapter(_spec(srv.base_url), concurrency=8, **FAST)

        async def go():
            try:
                return await asyncio.gather(*(adapter.chat(ChatRequest(messages=ASK)) for _ in range(200)))
            finally:
                await adapter.aclose()

        responses = asyncio.run(go())
    assert len(responses) == 200 and adapter.limit.cuts >= 1
    assert adapter.limit.limit == 8  # recovered to the ceiling after the burst of 429s


def test_adaptive_limit_never_exceeds_its_limit_and_survives_cancellation():
    async def go():
        limit = AdaptiveLimit(3)
        peak = 0

        async def hold():
            nonlocal peak
            await limit.acquire()
            peak = max(peak, limit.inflight)
            await asyncio.sleep(0.001)
            limit.release()

        tasks = [asyncio.create_task(hold()) for _ in range(30)]
        await asyncio.sleep(0)
        tasks[-1].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return peak, limit.inflight

    assert asyncio.run(go()) == (3, 0)


def test_rate_budget_spaces_requests_beyond_its_burst():
    async def go():
        budget = RateBudget(per_minute=1200)  # 20/s, burst of 100
        start = time.monotonic()
        for _ in range(110):
            await budget.take(1)
        return time.monotonic() - start

    assert asyncio.run(go()) >= 0.4


# -- replicas ------------------------------------------------------------------------------------------

def test_replicas_share_the_load_and_a_dead_one_is_avoided():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"  # bound, not listening: connection refused
    with serve(latency_s=0.002) as a, serve(latency_s=0.002) as b:
        spec = parse_model_spec(f"m=vllm:test-model@{a.base_url}@{b.base_url}@{dead}")
        adapter = open_adapter(spec, concurrency=8, retries=4, **FAST)

        async def go():
            try:
                return await asyncio.gather(*(adapter.chat(ChatRequest(messages=ASK)) for _ in range(100)))
            finally:
                await adapter.aclose()

        responses = asyncio.run(go())
        counts = len(a.generation_requests()), len(b.generation_requests())
    assert len(responses) == 100 and sum(counts) == 100
    assert min(counts) >= 25, counts
    assert adapter.retried["connection"] <= 4  # the dead replica is set aside after its first failures


def test_request_bodies_are_json_the_server_can_read():
    with serve() as srv:
        _ask_sync(_spec(srv.base_url), ChatRequest(messages=[{"role": "user", "content": "héllo ✓"}]))
    assert orjson.loads(srv.log[0].request.raw)["messages"][0]["content"] == "héllo ✓"


def test_a_null_extra_removes_a_field_the_endpoint_rejects():
    with serve() as srv:
        _ask_sync(_spec(srv.base_url, extra={"temperature": None, "seed": None, "reasoning_effort": "low"}))
    body = srv.log[0].request.body
    assert "temperature" not in body and "seed" not in body and body["reasoning_effort"] == "low"
