"""builtin-tools under hostile tool calls (review finding 5): arguments of odd types or sizes are refused
to the model as tool errors, never a crash of the solver (which would be journaled as a harness error)."""

from __future__ import annotations

import json

import pytest

from harness.models.base import ChatResponse, ToolCall
from harness.suites.builtin.tools_env import ToolEnv
from tests.suites.test_builtin_tools import run, script


@pytest.fixture(scope="module")
def tasks():
    from harness.suites.builtin import tool_tasks

    return tool_tasks.generate_tasks(2026, 8)


@pytest.mark.parametrize("name, arguments", [
    ("list_files", {1: "x", "zz": "y"}),  # a Python-literal call: non-string keys
    ("transfer", {"from_account": "checking", "to": "savings", "amount": 10**5000}),  # no str() of it
    ("transfer", {"from_account": "checking", "to": "savings", "amount": 10**400}),  # overflows a float
    ("place_order", {"product_id": "p-1", "quantity": 10**30, "payment_method": "gift_card"}),
])
def test_odd_arguments_come_back_as_a_tool_error(tasks, name, arguments):
    env = ToolEnv(tasks[0].item.input["state"])
    result = json.loads(env.call(name, arguments))
    assert "error" in result


def test_an_agent_sending_odd_arguments_is_scored_not_crashed(tasks):
    turns = [[("list_files", {1: "x", "zz": "y"})],
             [("transfer", {"from_account": "checking", "to": "savings", "amount": 10**30})]]
    outcome, seen = run(tasks[0].item, script(turns))
    assert outcome.error is None and outcome.score == 0.0 and not outcome.correct
    assert [c["refused"] for c in outcome.extracted["calls"]] == [True, True]
    assert len(seen) == 3  # both errors went back to the model, which then answered


def test_huge_arguments_still_reach_the_next_request_as_json(tasks):
    big = 10**30

    def agent(request):
        if len(request.messages) > 2:
            return ChatResponse(text="done", finish_reason="stop")
        return ChatResponse(text="", tool_calls=(ToolCall("get_balance", {"account": "checking", "x": big}, "c"),))

    outcome, seen = run(tasks[0].item, agent)
    sent = seen[-1].messages[-2]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(sent)["x"] == big and outcome.error is None
