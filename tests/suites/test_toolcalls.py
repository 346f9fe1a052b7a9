"""The plain-text tool-call protocol: what models are told, and how their replies are read."""

from __future__ import annotations

import json

import pytest

from harness.models.base import ToolCall
from harness.suites.toolcalls import (
    ToolParseError,
    format_tool_calls,
    parse_tool_protocol,
    render_tool_protocol,
    to_text_messages,
)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}


def test_rendered_protocol_lists_each_tool_schema_and_the_exact_reply_format():
    text = render_tool_protocol([WEATHER])
    assert '"name": "get_weather"' in text
    assert '"required": ["city"]' in text
    assert "<tool_calls>" in text and "</tool_calls>" in text
    assert "<tool_results>" in text


def test_a_block_with_one_call_is_parsed():
    calls = parse_tool_protocol('Sure.\n<tool_calls>\n[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n</tool_calls>')
    assert calls == [ToolCall("get_weather", {"city": "Paris"}, "call_0")]


def test_parallel_calls_keep_their_order_and_get_distinct_ids():
    text = (
        '<tool_calls>[{"name": "f", "arguments": {"x": 1}}, {"name": "g", "arguments": {"y": [1, 2]}}]</tool_calls>'
    )
    calls = parse_tool_protocol(text)
    assert [(c.name, c.arguments, c.id) for c in calls] == [("f", {"x": 1}, "call_0"), ("g", {"y": [1, 2]}, "call_1")]


def test_a_plain_answer_has_no_calls():
    assert parse_tool_protocol("The capital of France is Paris.") == []
    assert parse_tool_protocol("") == []
    assert parse_tool_protocol("[citation needed] is a tag") == []


def test_a_malformed_block_is_a_parse_error_not_a_silent_no_call():
    with pytest.raises(ToolParseError, match="neither JSON nor a Python literal"):
        parse_tool_protocol('<tool_calls>[{"name": "f", "arguments": {"x": 1}</tool_calls>')
    with pytest.raises(ToolParseError, match="no string 'name'"):
        parse_tool_protocol('<tool_calls>[{"arguments": {}}]</tool_calls>')
    with pytest.raises(ToolParseError, match="expected an object"):
        parse_tool_protocol('<tool_calls>[{"name": "f", "arguments": [1, 2]}]</tool_calls>')
    with pytest.raises(ToolParseError, match="empty"):
        parse_tool_protocol("<tool_calls></tool_calls>")


def test_python_literals_are_read_without_evaluating_code():
    calls = parse_tool_protocol("<tool_calls>[{'name': 'f', 'arguments': {'flag': True, 'v': None}}]</tool_calls>")
    assert calls[0].arguments == {"flag": True, "v": None}
    # An expression that would run code is rejected, not executed.
    with pytest.raises(ToolParseError):
        parse_tool_protocol("<tool_calls>[{'name': 'f', 'arguments': {'x': __import__('os').getcwd()}}]</tool_calls>")


def test_fenced_json_inside_a_block_and_a_missing_closing_tag_are_tolerated():
    text = '<tool_calls>\n```json\n{"name": "f", "arguments": {"a": "b"}}\n```\n'
    assert parse_tool_protocol(text) == [ToolCall("f", {"a": "b"}, "call_0")]


def test_arguments_as_a_json_string_and_parameters_synonym():
    calls = parse_tool_protocol(
        '<tool_calls>[{"name": "f", "arguments": "{\\"a\\": 1}"}, {"name": "g", "parameters": {"b": 2}}]</tool_calls>'
    )
    assert [c.arguments for c in calls] == [{"a": 1}, {"b": 2}]
    with pytest.raises(ToolParseError, match="not JSON"):
        parse_tool_protocol('<tool_calls>[{"name": "f", "arguments": "{a: 1"}]</tool_calls>')


def test_reasoning_is_ignored_so_examples_in_thoughts_are_not_calls():
    text = '<think>I could write <tool_calls>[{"name": "bad", "arguments": {}}]</tool_calls></think>No tool needed: 4.'
    assert parse_tool_protocol(text) == []


def test_a_reply_that_is_only_a_call_object_is_read_as_a_call():
    assert parse_tool_protocol('```json\n{"name": "f", "arguments": {"x": 2}}\n```') == [ToolCall("f", {"x": 2}, "call_0")]
    # JSON that is not call-shaped stays a plain answer.
    assert parse_tool_protocol('{"name": "Ada", "born": 1815}') == []


def test_oversized_blocks_are_refused():
    with pytest.raises(ToolParseError, match="limit"):
        parse_tool_protocol("<tool_calls>[" + "1," * 150_000 + "1]</tool_calls>")


def test_deeply_nested_input_is_a_parse_error_not_a_crash():
    with pytest.raises(ToolParseError):
        parse_tool_protocol("<tool_calls>" + "[" * 50_000 + "</tool_calls>")


def test_format_then_parse_round_trips():
    calls = [ToolCall("f", {"x": [1, {"y": "z"}]}, "call_0"), ToolCall("g", {}, "call_1")]
    assert parse_tool_protocol(format_tool_calls(calls)) == calls


def test_a_tool_conversation_is_rewritten_for_a_text_only_endpoint():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
                {"id": "a2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}},
            ],
        },
        {"role": "tool", "tool_call_id": "a1", "content": "18C"},
        {"role": "tool", "tool_call_id": "a2", "content": "24C"},
    ]
    out = to_text_messages(messages, [WEATHER])
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user"]
    assert out[0]["content"].startswith("Be brief.") and "get_weather" in out[0]["content"]
    assert parse_tool_protocol(out[2]["content"]) == [
        ToolCall("get_weather", {"city": "Paris"}, "call_0"),
        ToolCall("get_weather", {"city": "Rome"}, "call_1"),
    ]
    results = json.loads(out[3]["content"].split("\n")[1])
    assert results == [
        {"id": "a1", "name": "get_weather", "content": "18C"},
        {"id": "a2", "name": "get_weather", "content": "24C"},
    ]
    # Without a system message one carrying the protocol is added; without tools nothing is added.
    assert to_text_messages(messages[1:2], [WEATHER])[0]["role"] == "system"
    assert to_text_messages(messages[1:2], None) == [{"role": "user", "content": "Weather in Paris and Rome?"}]
