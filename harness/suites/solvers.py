"""Solvers: how a suite asks the model about an item. `SOLVERS[name](spec) -> Solver`, where `spec` is
the parsed TOML spec and a Solver is `async (item, generate) -> Outcome`.

`single_turn` sends one request (the spec's system prompt and template, or the item's own messages,
plus the item's tools if any) and scores the reply with the spec's scorer. `tool_env` (multi-step tool
use with stateful tools) is the built-in environment's solver, `harness.suites.builtin.tools_env.make_solver`.
A `ModelError` from `generate` propagates to the runner, which journals its kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from harness.errors import UserError
from harness.items import Item, Outcome, Solver
from harness.models.base import ChatRequest, ChatResponse, Generate
from harness.suites.prompt import item_tools, render_messages
from harness.suites.toolcalls import format_tool_calls

#: finish reasons that mean the endpoint filtered or refused the reply
_REFUSAL_REASONS = frozenset({"content_filter", "refusal", "safety"})
#: finish reasons that mean generation hit its token limit
_LENGTH_REASONS = frozenset({"length", "max_tokens"})


def response_text(response: ChatResponse) -> str:
    """What the record keeps as the response: the text, plus native tool calls in the text protocol."""
    if response.tool_calls:
        return f"{response.text}\n{format_tool_calls(response.tool_calls)}".strip()
    return response.text


def settle(outcome: Outcome, response: ChatResponse) -> Outcome:
    """Attach the response, and name why an unscored answer failed when the endpoint said so: a
    refusal (content filter) or a reply cut at the token limit (truncated). A right answer stands."""
    error = outcome.error
    if not outcome.correct and error in (None, "parse_failure"):
        reason = (response.finish_reason or "").lower()
        if reason in _REFUSAL_REASONS:
            error = "refusal"
        elif reason in _LENGTH_REASONS:
            error = "truncated"
    score = 0.0 if error else outcome.score
    return replace(outcome, error=error, score=score, response=response_text(response))


def single_turn(spec: Mapping[str, Any]) -> Solver:
    """One request, one scored reply."""
    from harness.suites.scorers import SCORERS

    prompt = dict(spec.get("prompt", {}))
    scorer_table = dict(spec.get("scorer", {}))
    scorer = SCORERS[scorer_table.pop("kind")]
    settings = scorer_table

    async def solve(item: Item, generate: Generate) -> Outcome:
        request = ChatRequest(messages=render_messages(prompt, item), tools=item_tools(item))
        response = await generate(request)
        return settle(await scorer(item, response, settings), response)

    return solve


def _tool_env(spec: Mapping[str, Any]) -> Solver:
    """The built-in multi-step tool environment's solver (BUILTIN's harness.suites.builtin.tools_env)."""
    try:
        from harness.suites.builtin.tools_env import make_solver
    except ImportError as e:
        raise UserError(f"suite {spec.get('name')!r}: the built-in tool environment is not available ({e})") from None
    return make_solver(spec)


#: Solver factories by name (a spec's `solver.kind`).
SOLVERS: dict[str, Callable[[Mapping[str, Any]], Solver]] = {
    "single_turn": single_turn,
    "tool_env": _tool_env,
}
