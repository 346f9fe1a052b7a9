"""OpenAI-compatible wire format (chat completions, and plain completions for base models).

Pure functions: a `ChatRequest` becomes a path and a JSON body; a decoded body becomes a `ChatResponse`.
The one HTTP code path (`harness.models.http`) sends them, so vLLM, SGLang, Ollama, llama.cpp, LM Studio,
DashScope, OpenRouter, Together and OpenAI all go through the same transport, retries and limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from harness.models.base import ChatRequest, ChatResponse, ModelError, ToolCall, Usage, is_json_data
from harness.models.spec import ModelSpec


def headers(spec: ModelSpec, key: str | None) -> dict[str, str]:
    out = {"Content-Type": "application/json", "Accept": "application/json"}
    if key:
        out["Authorization"] = f"Bearer {key}"
    return out


def build(spec: ModelSpec, request: ChatRequest) -> tuple[str, dict[str, Any]]:
    """(path, body) for a chat or completions call; tools are sent natively unless the spec says json."""
    d = request.decoding
    body: dict[str, Any] = {"model": spec.model}
    messages = request.messages
    tools = request.tools
    if tools and (spec.tool_mode == "json" or spec.api == "completions"):
        from harness.suites.toolcalls import to_text_messages

        messages, tools = to_text_messages(messages, tools), None
    if spec.api == "completions":
        path = "/completions"
        body["prompt"] = plain_prompt(messages)
        body["max_tokens"] = d.max_tokens
    else:
        path = "/chat/completions"
        body["messages"] = list(messages)
        # OpenAI's own API wants max_completion_tokens (reasoning models refuse max_tokens); the
        # compatible servers all read max_tokens.
        body["max_completion_tokens" if spec.provider == "openai" and spec.base_urls[0].startswith(
            "https://api.openai.com") else "max_tokens"] = d.max_tokens
        if tools:
            body["tools"] = list(tools)
    body["temperature"] = d.temperature
    if d.top_p is not None:
        body["top_p"] = d.top_p
    if d.seed is not None:
        body["seed"] = d.seed
    if d.stop:
        body["stop"] = list(d.stop)
    if d.extra or spec.extra:
        body.update(d.extra)
        body.update(spec.extra)
        for key in [k for k, v in body.items() if v is None]:
            del body[key]  # an extra set to null removes a field the endpoint rejects (e.g. temperature)
    return path, body


def plain_prompt(messages: Any) -> str:
    """A base model's prompt: the messages' texts in order, separated by blank lines, no chat template."""
    parts = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
        if content:
            parts.append(str(content))
    return "\n\n".join(parts)


def parse(spec: ModelSpec, request: ChatRequest, data: Any) -> ChatResponse:
    """A `ChatResponse` from a decoded body. Raises KeyError/TypeError/IndexError when the body is not
    the protocol's shape (the caller files that as `malformed_response`), `ModelError("refusal")` on a
    content filter."""
    choice = data["choices"][0]
    finish = choice.get("finish_reason")
    usage = data.get("usage") or {}
    served = data.get("model")
    if spec.api == "completions":
        text = choice["text"]
        calls: tuple[ToolCall, ...] = ()
    else:
        message = choice["message"]
        text = message.get("content") or ""
        calls = tuple(_tool_call(c) for c in message.get("tool_calls") or ())
    if not isinstance(text, str):
        raise TypeError("content is not a string")
    if finish == "content_filter":
        raise ModelError("refusal", f"{spec.label}: the endpoint filtered the response (finish_reason content_filter)",
                         response=text)
    if request.tools and (spec.tool_mode == "json" or spec.api == "completions"):
        calls = _json_mode_calls(text)
    return ChatResponse(text=text, tool_calls=calls, finish_reason=finish,
                        usage=Usage(usage.get("prompt_tokens"), usage.get("completion_tokens")),
                        served_model=served)


def _tool_call(call: Mapping[str, Any]) -> ToolCall:
    function = call["function"]
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            parsed = orjson.loads(arguments) if arguments.strip() else {}
            arguments = parsed if isinstance(parsed, dict) else arguments
        except orjson.JSONDecodeError:
            pass  # kept as the raw string: the suite decides whether that is a parse failure
    return ToolCall(name=function["name"], arguments=arguments if arguments is not None else {}, id=call.get("id"))


def _json_mode_calls(text: str) -> tuple[ToolCall, ...]:
    from harness.suites.toolcalls import ToolParseError, parse_tool_protocol

    try:
        calls = tuple(parse_tool_protocol(text))
    except ToolParseError as e:
        raise ModelError("parse_failure", f"tool-call block could not be read: {e}", response=text) from None
    return check_json_calls(calls, text)


def check_json_calls(calls: tuple[ToolCall, ...], text: str) -> tuple[ToolCall, ...]:
    """`calls` if every call's arguments are plain JSON data, else a parse failure (a Python-literal
    block like `{1: "x"}` parses, but is no JSON object of arguments)."""
    for call in calls:
        if not is_json_data(call.arguments):
            raise ModelError("parse_failure", f"tool call {call.name[:80]!r}: arguments are not a JSON object "
                             "(non-string keys or non-JSON values)", response=text)
    return calls
