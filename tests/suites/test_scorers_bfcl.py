"""`bfcl_ast`: BFCL's AST-checker semantics on the real BFCL v4 simple_python items. The ground-truth call
passes (natively and through the text protocol), a do-nothing agent never passes, every single mutation of a
right call fails, parallel calls match in any order, and malformed calls are parse failures."""

from __future__ import annotations

import asyncio
import copy
import random

import pytest

from harness.items import Item
from harness.models.base import ChatResponse, ToolCall
from harness.suites.build import load_suites
from harness.suites.scorers.bfcl import check_calls, score_bfcl_ast, standardize, to_openai_tools
from harness.suites.toolcalls import format_tool_calls


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    monkeypatch.setenv("ASYMMETRY_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def bfcl_items():
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    (suite,) = load_suites(["bfcl_simple"], SHARED_DATA)
    return suite.items


def gold_calls(item: Item, *, dotted: bool = False) -> list[ToolCall]:
    """The ground truth as calls: each parameter's first acceptable value other than "" (parameters whose
    only option is "", i.e. optional and unset, are left out)."""
    calls = []
    for k, expected in enumerate(item.target["ground_truth"]):
        ((name, params),) = expected.items()
        arguments = {p: _first(next(v for v in values if v != "")) for p, values in params.items() if any(v != "" for v in values)}
        calls.append(ToolCall(name if dotted else name.replace(".", "_"), arguments, f"call_{k}"))
    return calls


def _first(value):
    """A concrete value from a ground-truth option: dict options hold lists of acceptable values per key."""
    if isinstance(value, dict):
        return {k: _first(next(x for x in v if x != "")) for k, v in value.items() if any(x != "" for x in v)}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_first(v) for v in value]
    return value


def score(item: Item, response: ChatResponse):
    return asyncio.run(score_bfcl_ast(item, response, {}))


def test_the_ground_truth_call_passes_on_every_real_item_natively_and_in_text(bfcl_items):
    assert len(bfcl_items) == 400
    for item in bfcl_items:
        native = score(item, ChatResponse(text="", tool_calls=tuple(gold_calls(item))))
        assert native.correct and native.extracted["check"] == "ok", (item.id, native.extracted)
        text = score(item, ChatResponse(text="Let me call it.\n" + format_tool_calls(gold_calls(item, dotted=True))))
        assert text.correct, (item.id, text.extracted)


def test_a_do_nothing_agent_passes_nothing(bfcl_items):
    for reply in ("", "I would call the function with the given parameters.", "<tool_calls>[]</tool_calls>"):
        outcomes = [score(item, ChatResponse(text=reply)) for item in bfcl_items]
        assert not any(o.correct for o in outcomes)
        assert all(o.score == 0.0 for o in outcomes)


def mutations(item: Item) -> list[tuple[str, list[ToolCall]]]:
    """Single mutations of the right call that BFCL's checker rejects."""
    (call,) = gold_calls(item)
    ((_name, params),) = item.target["ground_truth"][0].items()
    function = item.target["functions"][0]
    out = [("wrong name", [ToolCall(call.name + "_v2", call.arguments)]),
           ("unexpected parameter", [ToolCall(call.name, {**call.arguments, "zz_extra": 1})]),
           ("called twice", [call, call])]
    for param in function["parameters"].get("required", []):
        if param in call.arguments:
            out.append((f"missing {param}", [ToolCall(call.name, {k: v for k, v in call.arguments.items() if k != param})]))
    for param, value in call.arguments.items():
        acceptable = params[param]
        bad: object
        if isinstance(value, bool):
            bad = not value
        elif isinstance(value, (int, float)):
            bad = value + 7919
        elif isinstance(value, str):
            bad = value + " zzz"
        elif isinstance(value, list):
            bad = [*value, value[0]] if value else ["zzz"]
        else:
            continue
        if bad not in acceptable:
            out.append((f"wrong {param}", [ToolCall(call.name, {**call.arguments, param: bad})]))
    return out


def test_every_single_mutation_of_a_right_call_fails(bfcl_items):
    checked = 0
    for item in bfcl_items:
        for label, calls in mutations(item):
            outcome = score(item, ChatResponse(text="", tool_calls=tuple(calls)))
            assert not outcome.correct, (item.id, label, outcome.extracted)
            checked += 1
    assert checked > 1500


def test_bfcl_type_rules(bfcl_items):
    item = next(it for it in bfcl_items if any(
        p.get("type") == "float" for p in it.target["functions"][0]["parameters"]["properties"].values()))
    (call,) = gold_calls(item)
    function = item.target["functions"][0]
    float_param = next(p for p, spec in function["parameters"]["properties"].items()
                       if spec["type"] == "float" and p in call.arguments and float(call.arguments[p]).is_integer())
    as_int = {**call.arguments, float_param: int(call.arguments[float_param])}
    assert score(item, ChatResponse(text="", tool_calls=(ToolCall(call.name, as_int),))).correct  # int -> float allowed
    as_str = {**call.arguments, float_param: str(call.arguments[float_param])}
    assert not score(item, ChatResponse(text="", tool_calls=(ToolCall(call.name, as_str),))).correct


WEATHER = {"name": "weather.get", "description": "Weather.", "parameters": {"type": "dict", "properties": {
    "city": {"type": "string", "description": "City."},
    "unit": {"type": "string", "description": "Unit.", "enum": ["c", "f"]},
    "days": {"type": "integer", "description": "Days."},
    "coords": {"type": "tuple", "items": {"type": "float"}, "description": "Lat/lon."},
    "opts": {"type": "dict", "description": "Options.", "properties": {"lang": {"type": "string"}}}},
    "required": ["city"]}}


def test_string_values_are_compared_the_bfcl_way():
    truth = [{"weather.get": {"city": ["San Francisco, CA"], "unit": ["c", ""], "days": [""], "coords": [""], "opts": [""]}}]
    assert check_calls([WEATHER], [ToolCall("weather_get", {"city": "san francisco ca"})], truth) is None
    assert check_calls([WEATHER], [ToolCall("weather.get", {"city": "San Francisco", "unit": "C"})], truth) is not None
    assert standardize("April 1, 2024") == standardize("april 1 2024")


def test_nested_values_lists_tuples_and_dicts():
    truth = [{"weather.get": {"city": ["Paris"], "unit": [""], "days": [""], "coords": [[48.8, 2.3]],
                              "opts": [{"lang": ["fr", "FR-fr"]}, ""]}}]
    ok = ToolCall("weather_get", {"city": "Paris", "coords": [48.8, 2.3], "opts": {"lang": "fr-fr"}})
    assert check_calls([WEATHER], [ok], truth) is None
    assert check_calls([WEATHER], [ToolCall("weather_get", {"city": "Paris", "coords": [2.3, 48.8]})], truth)
    assert check_calls([WEATHER], [ToolCall("weather_get", {"city": "Paris", "coords": [48.8, 2.3], "opts": {"lang": "de"}})], truth)
    # BFCL checks list items' types one level deep: ints are not floats inside a float tuple
    assert check_calls([WEATHER], [ToolCall("weather_get", {"city": "Paris", "coords": [48, 2]})],
                       [{"weather.get": {**truth[0]["weather.get"], "coords": [[48.0, 2.0]]}}])


def test_parallel_calls_match_in_any_order_one_to_one():
    truth = [{"weather.get": {"city": ["Paris"], "unit": [""], "days": [""], "coords": [""], "opts": [""]}},
             {"weather.get": {"city": ["Rome"], "unit": [""], "days": [""], "coords": [""], "opts": [""]}}]
    paris, rome = ToolCall("weather_get", {"city": "Paris"}), ToolCall("weather_get", {"city": "Rome"})
    assert check_calls([WEATHER], [rome, paris], truth) is None
    assert check_calls([WEATHER], [paris, paris], truth) is not None
    assert check_calls([WEATHER], [paris], truth) == "expected 2 call(s), got 1"


def test_matching_is_a_full_assignment_where_greedy_first_match_would_fail():
    truth = [{"weather.get": {"city": ["Paris", "Rome"], "unit": [""], "days": [""], "coords": [""], "opts": [""]}},
             {"weather.get": {"city": ["Paris"], "unit": [""], "days": [""], "coords": [""], "opts": [""]}}]
    calls = [ToolCall("weather_get", {"city": "Paris"}), ToolCall("weather_get", {"city": "Rome"})]
    assert check_calls([WEATHER], calls, truth) is None


def test_multiple_functions_offered_one_right_call():
    clock = {"name": "clock", "description": "Time.", "parameters": {"type": "dict", "properties": {
        "tz": {"type": "string", "description": "Zone."}}, "required": ["tz"]}}
    truth = [{"clock": {"tz": ["Europe/Paris"]}}]
    assert check_calls([WEATHER, clock], [ToolCall("clock", {"tz": "europe/paris"})], truth) is None
    assert check_calls([WEATHER, clock], [ToolCall("weather_get", {"city": "Paris"})], truth).startswith("wrong function")


def test_malformed_calls_are_parse_failures_not_no_calls(bfcl_items):
    item = bfcl_items[0]
    broken = score(item, ChatResponse(text='<tool_calls>[{"name": "calculate_triangle_area", "arguments": {"base": 10,</tool_calls>'))
    assert broken.error == "parse_failure" and not broken.correct and broken.score == 0.0
    raw = score(item, ChatResponse(text="", tool_calls=(ToolCall("calculate_triangle_area", '{"base": 10, "height"'),)))
    assert raw.error == "parse_failure"


def test_tools_offered_are_valid_openai_function_tools():
    (tool,) = to_openai_tools([WEATHER])
    fn = tool["function"]
    assert tool["type"] == "function" and fn["name"] == "weather_get"
    props = fn["parameters"]["properties"]
    assert fn["parameters"]["type"] == "object"
    assert props["coords"] == {"type": "array", "items": {"type": "number"}, "description": "Lat/lon."}
    assert props["opts"]["type"] == "object" and props["city"]["type"] == "string"
    assert WEATHER["parameters"]["type"] == "dict"  # the checker keeps BFCL's own schema


def test_random_argument_noise_never_passes(bfcl_items):
    rng = random.Random(7)
    for item in rng.sample(list(bfcl_items), 80):
        (call,) = gold_calls(item)
        if not call.arguments:
            continue
        noisy = copy.deepcopy(call.arguments)
        key = rng.choice(sorted(noisy))
        noisy[key] = rng.choice([None, {"x": 1}, [[]], "∅"])
        acceptable = next(iter(item.target["ground_truth"][0].values()))[key]
        if noisy[key] in acceptable:
            continue
        assert not score(item, ChatResponse(text="", tool_calls=(ToolCall(call.name, noisy),))).correct
