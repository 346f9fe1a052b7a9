"""builtin-tools: the environment, the agent loop and end-state scoring, driven by scripted agents.

A scripted agent that follows each item's plan must pass every item; an agent that does nothing, one
that calls random tools with plausible arguments, and plans with one wrong or one extra write must fail.
The loop is checked against the message conventions of suites/README.md, for parse failures, the step
budget, errors returned as tool results, and truncation.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import random
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.models.base import ChatRequest, ChatResponse, ModelError, ToolCall
from harness.suites.builtin import tool_tasks
from harness.suites.builtin.tools_env import (
    READ_ONLY,
    TOOLS,
    ToolEnv,
    ToolError,
    end_state,
    make_solver,
    to_cents,
)

SPEC = tomllib.loads((Path(__file__).resolve().parents[2] / "suites" / "builtin-tools.toml").read_text())
MAX_STEPS = SPEC["solver"]["max_steps"]


@pytest.fixture(scope="module")
def tasks():
    return tool_tasks.generate_tasks(2026, 208)


def run(item, agent: Callable[[ChatRequest], ChatResponse], spec=SPEC):
    """Solve one item with a scripted agent; returns (outcome, requests the agent received)."""
    seen: list[ChatRequest] = []

    async def generate(request: ChatRequest) -> ChatResponse:
        seen.append(request)
        return agent(request)

    return asyncio.run(make_solver(spec)(item, generate)), seen


def follow(plan, *, per_turn: int = 1, final: str = "Done.") -> Callable[[ChatRequest], ChatResponse]:
    """An agent that sends the plan's calls, `per_turn` at a time, then answers in text."""
    return script([plan[i : i + per_turn] for i in range(0, len(plan), per_turn)], final=final)


def script(turns, *, final: str = "Done.") -> Callable[[ChatRequest], ChatResponse]:
    """An agent that sends each turn's calls in one response, then answers in text."""
    state = {"turn": 0}

    def agent(request: ChatRequest) -> ChatResponse:
        k = state["turn"]
        state["turn"] += 1
        if k < len(turns):
            calls = tuple(ToolCall(name, copy.deepcopy(args), id=f"c{k}_{j}") for j, (name, args) in enumerate(turns[k]))
            return ChatResponse(text="", tool_calls=calls, finish_reason="tool_calls")
        return ChatResponse(text=final, finish_reason="stop")

    return agent


def test_a_scripted_agent_following_the_plan_passes_every_item(tasks):
    for task in tasks:
        outcome, seen = run(task.item, follow(task.plan))
        assert outcome.correct and outcome.score == 1.0 and outcome.error is None, (task.item.id, outcome.extracted)
        assert len(seen) == len(task.plan) + 1
        assert [c["name"] for c in outcome.extracted["calls"]] == [name for name, _ in task.plan]
        assert not any(c["refused"] for c in outcome.extracted["calls"])


def test_parallel_calls_in_one_turn_work_too(tasks):
    for task in tasks[:26]:
        outcome, seen = run(task.item, follow(task.plan, per_turn=len(task.plan)))
        assert outcome.correct, task.item.id
        assert len(seen) == 2


def test_the_loop_speaks_the_documented_message_format(tasks):
    task = tasks[0]
    _, seen = run(task.item, follow(task.plan))
    first = seen[0]
    assert first.tools == TOOLS
    assert first.messages[0] == {"role": "system", "content": SPEC["prompt"]["system"]}
    assert first.messages[1]["role"] == "user"
    assert task.item.input["request"] in first.messages[1]["content"]
    assert f"Today is {task.item.input['today']}." in first.messages[1]["content"]
    last = seen[-1].messages
    assistant = [m for m in last if m["role"] == "assistant"]
    tool = [m for m in last if m["role"] == "tool"]
    assert len(assistant) == len(tool) == len(task.plan)
    for a, t, (name, args) in zip(assistant, tool, task.plan, strict=True):
        (call,) = a["tool_calls"]
        assert call["type"] == "function" and call["function"]["name"] == name
        assert json.loads(call["function"]["arguments"]) == args  # arguments travel as a JSON string
        assert t["tool_call_id"] == call["id"]
        assert isinstance(t["content"], str) and "error" not in json.loads(t["content"])
    # requests never share mutable message lists: the first request still has only its two messages
    assert len(first.messages) == 2


def test_a_do_nothing_agent_fails_every_item(tasks):
    for task in tasks:
        outcome, _ = run(task.item, lambda request: ChatResponse(text="I have taken care of it."))
        assert not outcome.correct and outcome.score == 0.0 and outcome.error is None, task.item.id
        assert outcome.extracted["state_mismatch"]


def _vocabulary(state) -> dict[str, list]:
    """Plausible argument values drawn from an item's own world, so random calls often succeed."""
    return {
        "paths": list(state["files"]) + ["/inbox", "/notes", "/archive/", "/projects"],
        "events": [e["id"] for e in state["calendar"]] + ["ev-999"],
        "products": [p["id"] for p in state["shop"]["products"]],
        "orders": [o["id"] for o in state["shop"]["orders"]] + ["ord-1"],
        "payees": [p["id"] for p in state["bank"]["payees"]] + ["checking", "savings"],
        "dates": sorted({e["date"] for e in state["calendar"]}) + [state["today"]],
        "words": [w for e in state["calendar"] for w in e["title"].split()] + ["budget", "lamp", "invoice"],
    }


def _random_arguments(rng: random.Random, tool: dict, vocab: dict) -> dict:
    params = tool["function"]["parameters"]
    args = {}
    for key, spec in params["properties"].items():
        if key not in params["required"] and rng.random() < 0.5:
            continue
        if "enum" in spec:
            args[key] = rng.choice(spec["enum"])
        elif spec["type"] == "integer":
            args[key] = rng.randint(1, 4)
        elif spec["type"] == "number":
            args[key] = rng.choice([1, 5, 20, 50, 100, 250.5])
        elif spec["type"] == "array":
            args[key] = rng.sample(["Priya Novak", "Sam", "Wei Mensah"], rng.randint(0, 2))
        elif key in ("path", "source", "directory", "destination"):
            args[key] = rng.choice(vocab["paths"])
        elif key == "event_id":
            args[key] = rng.choice(vocab["events"])
        elif key == "product_id":
            args[key] = rng.choice(vocab["products"])
        elif key == "order_id":
            args[key] = rng.choice(vocab["orders"])
        elif key == "to":
            args[key] = rng.choice(vocab["payees"])
        elif key == "date":
            args[key] = rng.choice(vocab["dates"])
        elif key in ("start", "end"):
            args[key] = f"{rng.randint(8, 17):02d}:{rng.choice(['00', '30'])}"
        else:
            args[key] = rng.choice(vocab["words"])
    return args


def test_a_random_call_agent_fails_every_item_even_when_its_writes_go_through(tasks):
    accepted_writes = 0
    for n, task in enumerate(tasks):
        rng = random.Random(n)
        vocab = _vocabulary(task.item.input["state"])

        def agent(request, rng=rng, vocab=vocab, left=[10]):  # noqa: B006 - per-item counter
            left[0] -= 1
            if left[0] < 0:
                return ChatResponse(text="All done.")
            tool = rng.choice(TOOLS)
            call = ToolCall(tool["function"]["name"], _random_arguments(rng, tool, vocab), id=None)
            return ChatResponse(text="", tool_calls=(call,))

        outcome, _ = run(task.item, agent)
        assert not outcome.correct, (task.item.id, outcome.extracted["calls"])
        accepted_writes += sum(1 for c in outcome.extracted["calls"] if not c["refused"] and c["name"] not in READ_ONLY)
    assert accepted_writes > len(tasks)  # the random agent really changed things, and still never passed


def _mutations(name: str, args: dict, state: dict) -> list[dict]:
    """Each way to get one write slightly wrong."""
    out = []
    payees = [p["id"] for p in state["bank"]["payees"]]
    for key, value in args.items():
        if key in ("amount",):
            out.append({**args, key: round(value + 0.01, 2)})
        elif key == "quantity":
            out.append({**args, key: value + 1})
        elif key == "date":
            out.append({**args, key: (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()})
        elif key in ("start", "end"):
            out.append({**args, key: f"{(int(value[:2]) + 1) % 24:02d}{value[2:]}" if key == "end" else f"{int(value[:2]) - 1:02d}{value[2:]}"})
        elif key == "payment_method":
            out.append({**args, key: "credit_card" if value == "gift_card" else "gift_card"})
        elif key == "to":
            out.append({**args, key: "savings" if value != "savings" else "checking"})
            out += [{**args, key: other} for other in payees if value in payees and other != value][:1]
        elif key == "content":
            out.append({**args, key: value + "0"})
        elif key == "destination":
            out.append({**args, key: value.rstrip("/") + "-old/"})
        elif key == "attendees":
            out.append({**args, key: value + ["Sam Park"]})
        elif key == "title":
            out.append({**args, key: value + " (moved)"})
    return out


def test_one_wrong_write_fails_and_one_extra_write_fails(tasks):
    checked = 0
    for task in tasks:
        writes = [k for k, (name, _) in enumerate(task.plan) if name not in READ_ONLY]
        for k in writes:
            name, args = task.plan[k]
            for wrong in _mutations(name, args, task.item.input["state"]):
                plan = [*task.plan[:k], (name, wrong), *task.plan[k + 1 :]]
                outcome, _ = run(task.item, follow(plan))
                assert not outcome.correct, (task.item.id, name, wrong)
                checked += 1
        extra = [*task.plan, ("write_file", {"path": "/notes/todo.txt", "content": "call the bank"})]
        outcome, _ = run(task.item, follow(extra))
        assert not outcome.correct and outcome.extracted["state_mismatch"] == ["files"], task.item.id
    assert checked > 2 * len(tasks)


def test_reading_tools_never_change_state(tasks):
    for task in tasks[:60]:
        state = task.item.input["state"]
        env = ToolEnv(state)
        before = copy.deepcopy(env.state)
        vocab = _vocabulary(state)
        rng = random.Random(task.item.id)
        for tool in TOOLS:
            if tool["function"]["name"] in READ_ONLY:
                for _ in range(3):
                    env.call(tool["function"]["name"], _random_arguments(rng, tool, vocab))
        for name, args in task.plan:
            if name in READ_ONLY:
                env.call(name, args)
        assert env.state == before, task.item.id


def test_malformed_arguments_are_a_parse_failure_not_a_no_call(tasks):
    task = tasks[0]

    def agent(request):
        return ChatResponse(text="", tool_calls=(ToolCall("transfer", '{"from_account": "checking", "amount": 5', id="x"),))

    outcome, seen = run(task.item, agent)
    assert outcome.error == "parse_failure" and outcome.score == 0.0 and not outcome.correct
    assert len(seen) == 1 and outcome.extracted["calls"][0]["refused"]


def test_the_step_budget_ends_an_agent_that_never_stops(tasks):
    task = tasks[1]

    def agent(request):
        return ChatResponse(text="", tool_calls=(ToolCall("get_balance", {"account": "checking"}),))

    outcome, seen = run(task.item, agent)
    assert outcome.error == "step_limit" and not outcome.correct
    assert len(seen) == MAX_STEPS
    small, seen = run(task.item, agent, spec={**SPEC, "solver": {"kind": "tool_env", "max_steps": 3}})
    assert small.error == "step_limit" and len(seen) == 3


def test_the_step_budget_counts_even_when_the_work_is_done(tasks):
    """Finishing means saying so: an agent that does the work but never stops calling tools runs out."""
    task = tasks[1]
    plan = task.plan + [("get_balance", {"account": "checking"})] * MAX_STEPS
    outcome, _ = run(task.item, follow(plan))
    assert outcome.error == "step_limit" and not outcome.correct


def test_tool_errors_come_back_as_tool_results_and_the_agent_can_recover(tasks):
    task = next(t for t in tasks if t.item.cluster == "pay_invoice")
    mistakes = [
        ("pay_bills", {}),  # no such tool
        ("transfer", {"from_account": "checking", "amount": 10}),  # missing "to"
        ("transfer", {"from_account": "checking", "to": "py-1", "amount": "ten"}),  # wrong type
        ("transfer", {"from_account": "checking", "to": "Northwind Energy", "amount": 10}),  # a name, not an id
        ("transfer", {"from_account": "checking", "to": "checking", "amount": 10}),
        ("transfer", {"from_account": "checking", "to": "savings", "amount": 10.005}),  # fraction of a cent
        ("read_file", {"path": "/inbox/missing.txt"}),
        ("read_file", {"path": "/inbox/x.txt", "mode": "r"}),  # unknown argument
    ]
    outcome, seen = run(task.item, script([mistakes] + [[call] for call in task.plan]))
    assert outcome.correct, outcome.extracted
    results = [m for m in seen[1].messages if m["role"] == "tool"]
    assert len(results) == len(mistakes)
    assert all("error" in json.loads(m["content"]) for m in results)
    assert [c["refused"] for c in outcome.extracted["calls"][: len(mistakes)]] == [True] * len(mistakes)


def test_missing_call_ids_are_filled_in_and_matched(tasks):
    task = tasks[2]
    plan_agent = follow(task.plan)

    def agent(request):
        response = plan_agent(request)
        calls = tuple(ToolCall(c.name, c.arguments, id=None) for c in response.tool_calls)
        return ChatResponse(text=response.text, tool_calls=calls)

    outcome, seen = run(task.item, agent)
    assert outcome.correct
    messages = seen[-1].messages
    ids = [m["tool_calls"][0]["id"] for m in messages if m["role"] == "assistant"]
    assert ids and all(ids) and ids == [m["tool_call_id"] for m in messages if m["role"] == "tool"]


def test_truncation_counts_only_when_the_work_is_not_done(tasks):
    task = tasks[3]
    done_then_cut = follow(task.plan, final="Done. I moved the mon")

    def cut(request):
        response = done_then_cut(request)
        return response if response.tool_calls else ChatResponse(text=response.text, finish_reason="length")

    outcome, _ = run(task.item, cut)
    assert outcome.correct and outcome.error is None
    outcome, _ = run(task.item, lambda r: ChatResponse(text="Let me start by", finish_reason="length"))
    assert outcome.error == "truncated" and not outcome.correct


def test_a_model_error_propagates_to_the_runner(tasks):
    def agent(request):
        raise ModelError("http_5xx", "server error after retries")

    with pytest.raises(ModelError) as caught:
        run(tasks[0].item, agent)
    assert caught.value.kind == "http_5xx"


def test_tool_schemas_are_valid_openai_function_tools():
    names = [t["function"]["name"] for t in TOOLS]
    assert len(names) == len(set(names)) == 19
    for tool in TOOLS:
        assert tool["type"] == "function"
        fn = tool["function"]
        assert fn["description"] and fn["parameters"]["type"] == "object"
        assert set(fn["parameters"]["required"]) <= set(fn["parameters"]["properties"])
        for spec in fn["parameters"]["properties"].values():
            assert spec["type"] in ("string", "integer", "number", "array") and spec.get("description")
    json.dumps(TOOLS)
    assert READ_ONLY < set(names)


def test_environment_rules():
    state = tool_tasks.world(random.Random(1))
    env = ToolEnv(state)
    assert to_cents(12.5) == 1250 and to_cents(0.1) == 10 and to_cents(3) == 300
    with pytest.raises(ToolError):
        to_cents(1.005)
    balance = state["bank"]["accounts"]["checking"]
    assert "insufficient funds" in env.call("transfer", {"from_account": "checking", "to": "savings", "amount": balance / 100 + 1})
    assert "must be a real date" in env.call("list_events", {"date": "2026-02-30"})
    assert "after" in env.call("create_event", {"title": "x", "date": state["today"], "start": "10:00", "end": "09:00"})
    env.call("write_file", {"path": "/a/b.txt", "content": "hello"})
    assert "already exists" in env.call("move_file", {"source": "/a/b.txt", "destination": "/a/b.txt"})
    assert json.loads(env.call("search_files", {"text": "HELLO"}))["matches"] == ["/a/b.txt"]
    # deleting and re-creating an event is the same end state as moving it (generated ids are not compared)
    event = state["calendar"][0]
    moved = ToolEnv(state)
    moved.call("update_event", {"event_id": event["id"], "date": "2026-12-31"})
    again = ToolEnv(state)
    again.call("delete_event", {"event_id": event["id"]})
    again.call("create_event", {**{k: event[k] for k in ("title", "start", "end", "attendees")}, "date": "2026-12-31"})
    assert end_state(moved.state) == end_state(again.state) != end_state(state)


def test_orders_and_cancellations_keep_stock_and_gift_card_consistent():
    state = tool_tasks.world(random.Random(2))
    product = next(p for p in state["shop"]["products"] if p["stock"] >= 2)
    state["shop"]["gift_card"] = product["price"] * 2
    env = ToolEnv(state)
    placed = json.loads(env.call("place_order", {"product_id": product["id"], "quantity": 2, "payment_method": "gift_card"}))
    assert env.state["shop"]["gift_card"] == 0
    assert "does not cover" in env.call("place_order", {"product_id": product["id"], "quantity": 1, "payment_method": "gift_card"})
    env.call("cancel_order", {"order_id": placed["order"]["id"]})
    assert env.state["shop"]["gift_card"] == product["price"] * 2
    assert next(p for p in env.state["shop"]["products"] if p["id"] == product["id"])["stock"] == product["stock"]
    assert "already cancelled" in env.call("cancel_order", {"order_id": placed["order"]["id"]})


def test_every_task_needs_a_lookup_before_it_acts(tasks):
    for task in tasks:
        names = [name for name, _ in task.plan]
        first_write = next(k for k, name in enumerate(names) if name not in READ_ONLY)
        assert first_write >= 1, task.item.id
        assert end_state(task.item.input["state"]) != task.item.target
