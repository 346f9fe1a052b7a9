"""The `bfcl_ast` scorer: BFCL's AST-checker semantics for Python function calls, never `eval`.

Ground truth (`possible_answer`) lists, per expected call, each parameter's acceptable values; `""` in
that list marks the parameter optional. A call is right when the function name matches, every required
parameter is present, no unknown parameter appears, every value has the declared type (BFCL's
coercions: an int is accepted for a float, a tuple for a list) and is one of the acceptable values
(strings compared BFCL's way: case, spaces and `,./-_*^` ignored; lists element-wise; dicts key by key),
and every omitted parameter is optional. Several expected calls (parallel) are matched order-free; a
full bipartite matching is used where BFCL matches greedily (identical on its data, never stricter).

Function names with dots (`math.factorial`) are offered to models as `math_factorial` (OpenAI's name
rule); either spelling is accepted back.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.items import Item, Outcome
from harness.models.base import ChatResponse, ToolCall
from harness.suites.toolcalls import ToolParseError, parse_tool_protocol

#: BFCL's type names -> JSON-schema types for the tools a model is offered (unknown types -> string).
OPENAPI_TYPES = {
    "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
    "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object",
    "tuple": "array", "any": "string",
}  # fmt: skip
#: BFCL's type names -> the Python type a parsed argument must have.
PYTHON_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "boolean": bool, "array": list, "tuple": list,
    "dict": dict, "any": str,
}  # fmt: skip
_STANDARDIZE = re.compile(r"[ ,./\-_*^]")


def tool_name(name: str) -> str:
    """The name a model sees: dots become underscores (OpenAI allows only [a-zA-Z0-9_-])."""
    return name.replace(".", "_")


def to_openai_tools(functions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """BFCL function docs as OpenAI function tools (types mapped, names made legal; floats flagged in
    the description as BFCL does)."""
    tools = []
    for function in functions:
        parameters = _cast_schema(copy.deepcopy(dict(function.get("parameters", {}))))
        parameters["type"] = "object"
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": tool_name(function["name"]),
                    "description": function.get("description", ""),
                    "parameters": parameters,
                },
            }
        )
    return tools


def _cast_schema(schema: dict[str, Any]) -> dict[str, Any]:
    for prop in (schema.get("properties") or {}).values():
        kind = prop.get("type", "string")
        if kind == "float":
            prop["format"] = "float"
            prop["description"] = (prop.get("description", "") + " This is a float type value.").strip()
        prop["type"] = OPENAPI_TYPES.get(kind, "string")
        if isinstance(prop.get("items"), dict):
            prop["items"]["type"] = OPENAPI_TYPES.get(prop["items"].get("type", "string"), "string")
            _cast_schema(prop["items"])
        if isinstance(prop.get("properties"), dict):
            _cast_schema(prop)
    return schema


def standardize(text: str) -> str:
    """BFCL's string comparison form: no spaces or ,./-_*^, lower case, single quotes as double."""
    return _STANDARDIZE.sub("", text).lower().replace("'", '"')


def _std(value: Any) -> Any:
    return standardize(value) if isinstance(value, str) else value


def check_call(function: Mapping[str, Any], call: ToolCall, expected: Mapping[str, Sequence[Any]]) -> str | None:
    """None when `call` satisfies one expected call (`{param: acceptable values}`), else the reason."""
    name = function["name"]
    if call.name not in (name, tool_name(name)):
        return f"wrong function: {call.name!r}, expected {name!r}"
    arguments = call.arguments if isinstance(call.arguments, dict) else {}
    properties = function.get("parameters", {}).get("properties", {}) or {}
    for param in function.get("parameters", {}).get("required", []) or []:
        if param not in arguments:
            return f"missing required parameter {param!r}"
    for param, value in arguments.items():
        if param not in properties or param not in expected:
            return f"unexpected parameter {param!r}"
        reason = _check_value(param, value, properties[param], list(expected[param]))
        if reason:
            return reason
    for param, acceptable in expected.items():
        if param not in arguments and "" not in acceptable:
            return f"parameter {param!r} omitted but not optional"
    return None


def _check_value(param: str, value: Any, schema: Mapping[str, Any], acceptable: list[Any]) -> str | None:
    declared = schema.get("type", "string")
    expected_type = PYTHON_TYPES.get(declared, str)
    nested_type = None
    if declared in ("array", "tuple"):
        nested_type = PYTHON_TYPES.get((schema.get("items") or {}).get("type", ""), None)
    if declared == "tuple" and type(value) is tuple:
        value = list(value)
    if declared == "float" and type(value) is int:  # Python's int -> float, the one coercion BFCL allows
        value = float(value)
    answer_type = _first_type(acceptable)
    # BFCL treats a ground truth of another type than declared (a variable name as a string) as a variable.
    is_variable = answer_type is not None and answer_type is not expected_type
    if type(value) is expected_type:
        if nested_type is not None and not any(_nested_types_ok(value, option, nested_type) for option in acceptable):
            return f"parameter {param!r}: items of {value!r} are not {schema['items']['type']}"
    elif answer_type is not None and type(value) is answer_type:
        is_variable = True
    else:
        return f"parameter {param!r}: expected {declared}, got {type(value).__name__}"
    if not is_variable:
        if expected_type is dict:
            if any(_dict_ok(value, option) for option in acceptable if isinstance(option, dict)):
                return None
            return f"parameter {param!r}: {value!r} not acceptable"
        if expected_type is list and nested_type is dict:
            if _list_of_dicts_ok(value, acceptable):
                return None
            return f"parameter {param!r}: {value!r} not acceptable"
        if expected_type is str:
            if _std(value) in [_std(a) for a in acceptable if isinstance(a, str)]:
                return None
            return f"parameter {param!r}: {value!r} not among {acceptable!r}"
        if expected_type is list:
            if _std_list(value) in [_std_list(a) for a in acceptable if isinstance(a, list)]:
                return None
            return f"parameter {param!r}: {value!r} not among {acceptable!r}"
    if value in acceptable:
        return None
    return f"parameter {param!r}: {value!r} not among {acceptable!r}"


def _first_type(acceptable: Sequence[Any]) -> type | None:
    return next((type(a) for a in acceptable if a != ""), None)


def _nested_types_ok(value: list[Any], option: Any, nested_type: type) -> bool:
    """BFCL's one-level item type check against one acceptable option (non-list options pass)."""
    if not isinstance(option, list):
        return True
    option_type = _first_type(option)
    return all(type(v) is nested_type or (option_type is not None and type(v) is option_type) for v in value)


def _std_list(values: list[Any]) -> list[Any]:
    return [_std(v) for v in values]


def _dict_ok(value: Mapping[str, Any], expected: Mapping[str, Sequence[Any]]) -> bool:
    for key, item in value.items():
        if key not in expected or _std(item) not in [_std(a) for a in expected[key]]:
            return False
    return all(key in value or "" in acceptable for key, acceptable in expected.items())


def _list_of_dicts_ok(value: list[Any], acceptable: list[Any]) -> bool:
    for option in acceptable:
        if isinstance(option, list) and len(option) == len(value):
            if all(isinstance(v, dict) and isinstance(o, dict) and _dict_ok(v, o) for v, o in zip(value, option, strict=True)):
                return True
    return False


def check_calls(
    functions: Sequence[Mapping[str, Any]], calls: Sequence[ToolCall], ground_truth: Sequence[Mapping[str, Any]]
) -> str | None:
    """None when the calls match the ground truth one-to-one (any order), else the first reason."""
    if len(calls) != len(ground_truth):
        return f"expected {len(ground_truth)} call(s), got {len(calls)}"
    by_name = {f["name"]: f for f in functions}
    fits: list[list[int]] = []
    reasons: list[str] = []
    for expected in ground_truth:
        (name, params), = expected.items()
        function = by_name.get(name) or (functions[0] if len(functions) == 1 else None)
        if function is None:
            return f"ground truth names unknown function {name!r}"
        ok = []
        for j, call in enumerate(calls):
            reason = check_call(function, call, params)
            if reason is None:
                ok.append(j)
            else:
                reasons.append(reason)
        fits.append(ok)
    if _perfect_matching(fits, len(calls)):
        return None
    return reasons[0] if len(ground_truth) == 1 and reasons else "no one-to-one match between calls and expected calls" + (
        f" (e.g. {reasons[0]})" if reasons else ""
    )


def _perfect_matching(fits: list[list[int]], n: int) -> bool:
    """Kuhn's augmenting paths: can every expected call take a distinct fitting model call?"""
    owner = [-1] * n

    def place(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j not in seen:
                seen.add(j)
                if owner[j] == -1 or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(place(i, set()) for i in range(len(fits)))


def response_calls(response: ChatResponse) -> list[ToolCall]:
    """The calls in a response: native tool calls if any, else the text protocol. Raises
    ToolParseError for malformed calls (including native calls whose arguments are not JSON)."""
    if response.tool_calls:
        for call in response.tool_calls:
            if not isinstance(call.arguments, dict):
                raise ToolParseError(f"tool call {call.name!r} has arguments that are not a JSON object")
        return list(response.tool_calls)
    from harness.suites.scorers.text import visible_text

    return parse_tool_protocol(visible_text(response.text))


async def score_bfcl_ast(item: Item, response: ChatResponse, settings: Mapping[str, Any]) -> Outcome:
    """BFCL function calling (simple, multiple, parallel), checked like BFCL's AST checker: right
    function, required parameters present, no unknown ones, declared types (int accepted for float),
    each value among the acceptable ones (strings compared case- and punctuation-insensitively), parallel
    calls matched in any order. Calls are read from native tool calls, else from the text protocol
    (`asymmetry suites show` prints it); a malformed call is a parse failure; no call is simply wrong.
    """
    try:
        from harness.suites.scorers.text import read_reply

        calls = await read_reply(lambda _text: response_calls(response), response.text or "")
    except ToolParseError as e:
        return Outcome(score=0.0, correct=False, error="parse_failure", extracted={"calls": None, "check": str(e)})
    target = item.target
    reason = check_calls(target["functions"], calls, target["ground_truth"])
    extracted = {"calls": [{"name": c.name, "arguments": c.arguments} for c in calls], "check": reason or "ok"}
    return Outcome(score=0.0 if reason else 1.0, correct=reason is None, extracted=extracted)
