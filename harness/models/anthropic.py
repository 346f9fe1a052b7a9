"""Anthropic Messages wire format, translated from the project's OpenAI-style messages and tools.

Pure functions like `harness.models.openai`: the system message moves to the top-level `system` field,
assistant tool calls become `tool_use` blocks, consecutive tool results one user turn of `tool_result`
blocks, and OpenAI function tools become `{name, description, input_schema}`. The Messages API has no
seed parameter, so K samples from Anthropic differ only by sampling (recorded in the manifest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from harness.models.base import ChatRequest, ChatResponse, ModelError, ToolCall, Usage
from harness.models.spec import ModelSpec

API_VERSION = "2023-06-01"
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
           "pause_turn": "stop", "refusal": "content_filter"}


def headers(spec: ModelSpec, key: str | None) -> dict[str, str]:
    out = {"Content-Type": "application/json", "Accept": "application/json", "anthropic-version": API_VERSION}
    if key:
        out["x-api-key"] = key
    return out


def build(spec: ModelSpec, request: ChatRequest) -> tuple[str, dict[str, Any]]:
    d = request.decoding
    messages, tools = request.messages, request.tools
    if tools and spec.tool_mode == "json":
        from harness.suites.toolcalls import to_text_messages

        messages, tools = to_text_messages(messages, tools), None
    system, turns = _translate(messages)
    body: dict[str, Any] = {"model": spec.model, "max_tokens": d.max_tokens, "messages": turns,
                            "temperature": d.temperature}
    if system:
        body["system"] = system
    if d.top_p is not None:
        body["top_p"] = d.top_p
    if d.stop:
        body["stop_sequences"] = list(d.stop)
    if tools:
        body["tools"] = [_tool(t) for t in tools]
    if d.extra or spec.extra:
        body.update(d.extra)
        body.update(spec.extra)
        for key in [k for k, v in body.items() if v is None]:
            del body[key]  # an extra set to null removes a field the endpoint rejects (e.g. temperature)
    return "/messages", body


def parse(spec: ModelSpec, request: ChatRequest, data: Any) -> ChatResponse:
    if data.get("type") != "message":
        raise KeyError("type")
    texts, calls = [], []
    for block in data["content"]:
        if block["type"] == "text":
            texts.append(block["text"])
        elif block["type"] == "tool_use":
            calls.append(ToolCall(name=block["name"], arguments=block.get("input") or {}, id=block.get("id")))
    text = "".join(texts)
    finish = _FINISH.get(data.get("stop_reason"), data.get("stop_reason"))
    if finish == "content_filter":
        raise ModelError("refusal", f"{spec.label}: the endpoint reported a refusal (stop_reason refusal)",
                         response=text)
    if request.tools and spec.tool_mode == "json":
        from harness.models.openai import check_json_calls
        from harness.suites.toolcalls import ToolParseError, parse_tool_protocol

        try:
            calls = list(check_json_calls(tuple(parse_tool_protocol(text)), text))
        except ToolParseError as e:
            raise ModelError("parse_failure", f"tool-call block could not be read: {e}", response=text) from None
    usage = data.get("usage") or {}
    return ChatResponse(text=text, tool_calls=tuple(calls), finish_reason=finish,
                        usage=Usage(usage.get("input_tokens"), usage.get("output_tokens")),
                        served_model=data.get("model"))


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    function = tool.get("function", tool)
    return {"name": function["name"], "description": function.get("description", ""),
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}}}


def _translate(messages: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """(system text, Messages-API turns) from OpenAI-style messages."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if turns and turns[-1]["role"] == role:  # the API wants alternating roles: merge neighbours
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})

    for message in messages:
        role, content = message.get("role"), message.get("content")
        if role == "system":
            system.append(_text(content))
        elif role == "tool":
            add("user", [{"type": "tool_result", "tool_use_id": message.get("tool_call_id"),
                          "content": _text(content)}])
        elif role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": _text(content)}] if _text(content) else []
            for call in message.get("tool_calls") or ():
                function = call.get("function", {})
                arguments = function.get("arguments", {})
                if isinstance(arguments, str):
                    try:
                        arguments = orjson.loads(arguments) if arguments.strip() else {}
                    except orjson.JSONDecodeError:
                        arguments = {"_raw": arguments}
                blocks.append({"type": "tool_use", "id": call.get("id"), "name": function.get("name"),
                               "input": arguments})
            add("assistant", blocks)
        else:
            add("user", [{"type": "text", "text": _text(content)}])
    return "\n\n".join(s for s in system if s), turns


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return str(content)
