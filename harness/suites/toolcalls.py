"""A plain-text protocol for tool calls, for endpoints without native (OpenAI-style) tool calling.

With `tool_mode="json"` an adapter does not send `tools` in the request; it puts the text of
`render_tool_protocol(tools)` into the system prompt and reads the model's calls back with
`parse_tool_protocol(text)`. `to_text_messages` converts a whole OpenAI-style conversation (assistant
tool calls, tool results) into plain messages, so multi-step tool suites work the same way.

The protocol (what the model is told, word for word in `render_tool_protocol`):

    To call tools, end your reply with one block, a JSON list of calls:
    <tool_calls>
    [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}]
    </tool_calls>

- Several calls go in the one list; they are independent and may run in any order.
- A reply without a `<tool_calls>` block is a plain answer (no call).
- Tool results come back in a user message as
  `<tool_results>[{"id": "call_0", "name": "get_weather", "content": "..."}]</tool_results>`.

Parsing rules (identical for every model, so two releases are read the same way):
- `<think>…</think>` reasoning is ignored; every `<tool_calls>` block is read (a missing closing tag
  means "to the end of the reply"), and a ```json fence inside a block is allowed.
- A block holds a JSON list of calls (or one call object). JSON is tried first, then a Python literal
  (`ast.literal_eval`: single quotes, True/False/None), never `eval`.
- Each call is an object with a string `name` and an object `arguments` (`parameters` is accepted as a
  synonym; `arguments` may also be a JSON string of an object, as in OpenAI's wire format).
- Without any block, a reply that is *entirely* one JSON call object or list of call objects (each with
  `name` and `arguments`, optionally in a code fence) is read as calls too; any other reply is a plain
  answer, `[]`.
- A block that cannot be read raises `ToolParseError`: a malformed attempt is a parse failure, never a
  silent "no call".
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.models.base import ToolCall

OPEN_TAG = "<tool_calls>"
CLOSE_TAG = "</tool_calls>"
RESULTS_OPEN = "<tool_results>"
RESULTS_CLOSE = "</tool_results>"

#: Replies longer than this are not parsed as tool calls (a guard for the literal parser).
MAX_BLOCK_CHARS = 200_000

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_BLOCK = re.compile(re.escape(OPEN_TAG) + r"(.*?)(?:" + re.escape(CLOSE_TAG) + r"|\Z)", re.DOTALL)
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


class ToolParseError(ValueError):
    """The reply attempted a tool call in the text protocol but it could not be read."""


def render_tool_protocol(tools: Sequence[Mapping[str, Any]]) -> str:
    """The instruction text that describes `tools` (OpenAI function tools) and the exact reply format."""
    specs = []
    for tool in tools:
        function = tool.get("function", tool)
        specs.append(
            {
                "name": function.get("name"),
                "description": function.get("description", ""),
                "parameters": function.get("parameters", {"type": "object", "properties": {}}),
            }
        )
    listing = "\n".join(json.dumps(spec, ensure_ascii=False) for spec in specs)
    return (
        "You can call the following tools. Each is described by a JSON schema of its parameters:\n"
        f"{listing}\n\n"
        "To call tools, end your reply with one block, a JSON list of calls:\n"
        f"{OPEN_TAG}\n"
        '[{"name": "<tool name>", "arguments": {"<parameter>": <value>}}]\n'
        f"{CLOSE_TAG}\n"
        "Use double-quoted JSON. Several calls go in the one list; they are independent and may run in "
        "any order. Only include the parameters you want to set. "
        f"If you do not need a tool, answer in plain text without a {OPEN_TAG} block. "
        f"Tool results will come back in a user message inside {RESULTS_OPEN}…{RESULTS_CLOSE}."
    )


def parse_tool_protocol(text: str) -> list[ToolCall]:
    """The calls in a reply written in the text protocol; `[]` for a plain answer.

    Raises `ToolParseError` when a `<tool_calls>` block (or an all-JSON reply that looks like calls)
    cannot be read as a list of `{"name", "arguments"}` objects.
    """
    visible = _THINK.sub("", text or "")
    blocks = _BLOCK.findall(visible)
    if blocks:
        calls: list[ToolCall] = []
        for block in blocks:
            calls.extend(_calls_from(_literal(_unfence(block)), start=len(calls)))
        return calls
    bare = _unfence(visible)
    if bare[:1] in ("{", "[") and len(bare) <= MAX_BLOCK_CHARS:
        try:
            value = _literal(bare)
        except ToolParseError:
            return []  # prose that happens to start with a bracket: a plain answer
        if _looks_like_calls(value):
            return _calls_from(value, start=0)
    return []


def format_tool_calls(calls: Sequence[ToolCall]) -> str:
    """Calls written in the protocol (how a record shows native tool calls, and how an assistant turn
    with tool calls is replayed to a text-only endpoint)."""
    payload = [{"name": c.name, "arguments": c.arguments} for c in calls]
    return f"{OPEN_TAG}\n{json.dumps(payload, ensure_ascii=False)}\n{CLOSE_TAG}"


def to_text_messages(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    """An OpenAI-style conversation rewritten for an endpoint without native tools.

    The protocol text joins the system message (one is created if absent); assistant tool calls become a
    `<tool_calls>` block; consecutive tool results become one user message with a `<tool_results>` block.
    """
    out: list[dict[str, Any]] = []
    protocol = render_tool_protocol(tools) if tools else ""
    if protocol and not (messages and messages[0].get("role") == "system"):
        out.append({"role": "system", "content": protocol})
    pending: list[dict[str, Any]] = []
    names: dict[str, str] = {}

    def flush() -> None:
        if pending:
            body = json.dumps(pending, ensure_ascii=False)
            out.append({"role": "user", "content": f"{RESULTS_OPEN}\n{body}\n{RESULTS_CLOSE}"})
            pending.clear()

    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            pending.append({"id": call_id, "name": names.get(call_id or ""), "content": _text(message.get("content"))})
            continue
        flush()
        if role == "system" and i == 0 and protocol:
            out.append({"role": "system", "content": f"{_text(message.get('content'))}\n\n{protocol}".strip()})
        elif role == "assistant" and message.get("tool_calls"):
            calls = []
            for call in message["tool_calls"]:
                function = call.get("function", {})
                arguments = function.get("arguments", {})
                if isinstance(arguments, str):
                    try:
                        arguments = json.loads(arguments)
                    except ValueError:
                        pass
                calls.append(ToolCall(function.get("name", ""), arguments, call.get("id")))
                if call.get("id"):
                    names[call["id"]] = function.get("name", "")
            text = _text(message.get("content"))
            out.append({"role": "assistant", "content": f"{text}\n{format_tool_calls(calls)}".strip()})
        else:
            out.append({"role": role, "content": _text(message.get("content"))})
    flush()
    return out


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return str(content)


def _unfence(text: str) -> str:
    text = text.strip()
    match = _FENCE.match(text)
    return match.group(1).strip() if match else text


def _literal(text: str) -> Any:
    """A JSON value, else a Python literal; never evaluated as code."""
    if len(text) > MAX_BLOCK_CHARS:
        raise ToolParseError(f"tool-call block is {len(text)} characters, over the {MAX_BLOCK_CHARS} limit")
    if not text:
        raise ToolParseError("empty <tool_calls> block")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
        raise ToolParseError(f"tool-call block is neither JSON nor a Python literal: {_short(text)}") from e


def _looks_like_calls(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(
        isinstance(v, dict) and isinstance(v.get("name"), str) and ("arguments" in v or "parameters" in v)
        for v in items
    )


def _calls_from(value: Any, *, start: int) -> list[ToolCall]:
    items = value if isinstance(value, list) else [value]
    calls = []
    for k, entry in enumerate(items):
        if not isinstance(entry, dict):
            raise ToolParseError(f"tool call #{k + 1} is {type(entry).__name__}, expected an object with name/arguments")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ToolParseError(f"tool call #{k + 1} has no string 'name'")
        arguments = entry.get("arguments", entry.get("parameters", {}))
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError as e:
                raise ToolParseError(f"tool call {name!r}: 'arguments' is a string that is not JSON") from e
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ToolParseError(f"tool call {name!r}: 'arguments' is {type(arguments).__name__}, expected an object")
        calls.append(ToolCall(name=name, arguments=arguments, id=str(entry.get("id") or f"call_{start + k}")))
    return calls


def _short(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
