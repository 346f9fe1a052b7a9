"""builtin-tools: a stateful tool environment (files, calendar, shop, bank) and the agent loop that drives it.

In the spirit of tau-bench and BFCL multi-turn: each item carries an initial state and a request that needs
several tool calls (look things up, then act). `make_solver(spec)` returns the suite's solver: it sends
the request with the OpenAI function schemas in `TOOLS`, executes the model's calls against a fresh
`ToolEnv` built from the item's state, answers each call with a tool message (errors included, as data
the model can react to), and stops when the model replies without calls or when the step budget runs
out (`step_limit`). The item is correct exactly when the environment's end state equals the expected end
state: reading tools never change state, and a wrong or extra write changes it.

Money is kept in integer cents; tools speak dollars. Generated ids (events, orders, transactions) are
left out of the end state, so deleting and re-creating an event is as good as moving it.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from harness.items import Item, Outcome, Solver
from harness.models.base import ChatRequest, ChatResponse, Generate, ToolCall

DEFAULT_MAX_STEPS = 12
ACCOUNTS = ("checking", "savings")
PAYMENT_METHODS = ("gift_card", "credit_card")


class ToolError(Exception):
    """A call the environment refuses (unknown id, bad argument, insufficient funds): returned as data."""


# --- schemas ------------------------------------------------------------------------------------------


def _tool(name: str, description: str, properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": list(required),
                "additionalProperties": False,
            },
        },
    }


def _s(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


_DATE = _s("A date as YYYY-MM-DD.")
_ACCOUNT = _s("One of the user's accounts.", enum=list(ACCOUNTS))

#: OpenAI function tools, sent with every request of the suite (the same list for every item).
TOOLS: list[dict[str, Any]] = [
    _tool("list_files", "List the paths of all files under a directory (recursively).",
          {"directory": _s("An absolute directory path such as /inbox, or / for every file.")}, ["directory"]),
    _tool("read_file", "Read a text file.", {"path": _s("Absolute file path.")}, ["path"]),
    _tool("search_files", "Find the files whose text contains the given words (case-insensitive).",
          {"text": _s("Text to look for.")}, ["text"]),
    _tool("write_file", "Create a text file, or replace the content of an existing one.",
          {"path": _s("Absolute file path."), "content": _s("The complete new content.")}, ["path", "content"]),
    _tool("move_file", "Move or rename a file. A destination ending in / is a folder: the file keeps its name.",
          {"source": _s("Current absolute path."), "destination": _s("New absolute path, or a folder ending in /.")},
          ["source", "destination"]),
    _tool("delete_file", "Delete a file.", {"path": _s("Absolute file path.")}, ["path"]),
    _tool("list_events", "List the calendar events on one day, in start order.", {"date": _DATE}, ["date"]),
    _tool("create_event", "Add an event to the calendar.",
          {"title": _s("Event title."), "date": _DATE, "start": _s("Start time as HH:MM (24-hour)."),
           "end": _s("End time as HH:MM (24-hour), after the start."),
           "attendees": {"type": "array", "items": {"type": "string"},
                         "description": "Names of the other people invited (may be empty)."}},
          ["title", "date", "start", "end"]),
    _tool("update_event", "Change an event's title, date, start or end time, or attendees.",
          {"event_id": _s("The event's id, from list_events."), "title": _s("New title."), "date": _DATE,
           "start": _s("New start time as HH:MM."), "end": _s("New end time as HH:MM."),
           "attendees": {"type": "array", "items": {"type": "string"}, "description": "New list of attendees."}},
          ["event_id"]),
    _tool("delete_event", "Delete (cancel) a calendar event.", {"event_id": _s("The event's id, from list_events.")},
          ["event_id"]),
    _tool("search_products", "Search the shop's catalogue by words in the product name or category.",
          {"query": _s("Words to look for, e.g. 'desk lamp'.")}, ["query"]),
    _tool("place_order", "Buy a product. The total is charged to the chosen payment method.",
          {"product_id": _s("The product's id, from search_products."),
           "quantity": {"type": "integer", "description": "How many units (1 or more)."},
           "payment_method": _s("How to pay.", enum=list(PAYMENT_METHODS))},
          ["product_id", "quantity", "payment_method"]),
    _tool("list_orders", "List all of the user's shop orders, newest first.", {}),
    _tool("cancel_order", "Cancel an order that has not been cancelled yet; a gift-card payment is refunded.",
          {"order_id": _s("The order's id, from list_orders.")}, ["order_id"]),
    _tool("get_gift_card_balance", "The remaining balance of the user's shop gift card, in dollars.", {}),
    _tool("get_balance", "The current balance of one of the user's bank accounts, in dollars.",
          {"account": _ACCOUNT}, ["account"]),
    _tool("list_transactions", "List the transactions of one bank account, newest first (amounts in dollars; "
          "money received is positive).", {"account": _ACCOUNT}, ["account"]),
    _tool("list_payees", "List the people and companies the user can send money to, with their payee ids.", {}),
    _tool("transfer", "Send money from one of the user's accounts to the other account or to a payee.",
          {"from_account": _ACCOUNT,
           "to": _s("'checking', 'savings', or a payee id from list_payees."),
           "amount": {"type": "number", "description": "Dollars, at most two decimals, more than 0."},
           "memo": _s("Optional note.")},
          ["from_account", "to", "amount"]),
]  # fmt: skip

READ_ONLY = frozenset(
    {"list_files", "read_file", "search_files", "list_events", "search_products", "list_orders",
     "get_gift_card_balance", "get_balance", "list_transactions", "list_payees"}
)  # fmt: skip
_SCHEMAS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}


def _check_arguments(name: str, arguments: Mapping[str, Any]) -> None:
    """Validate a call against its schema; the message says what to fix."""
    schema = _SCHEMAS[name]
    if not all(isinstance(key, str) for key in arguments):
        raise ToolError(f"{name}: argument names must be strings")
    unknown = sorted(set(arguments) - set(schema["properties"]))
    if unknown:
        raise ToolError(f"{name} has no argument {unknown[0]!r}; its arguments are {sorted(schema['properties'])}")
    for key in schema["required"]:
        if key not in arguments:
            raise ToolError(f"{name} needs the argument {key!r}")
    for key, value in arguments.items():
        spec = schema["properties"][key]
        kind = spec["type"]
        ok = {
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "array": isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[kind]
        if not ok:
            expected = "a list of strings" if kind == "array" else f"a {kind}"
            raise ToolError(f"{name}: {key!r} must be {expected}, not {value!r}")
        if "enum" in spec and value not in spec["enum"]:
            raise ToolError(f"{name}: {key!r} must be one of {spec['enum']}, not {value!r}")


# --- the environment ----------------------------------------------------------------------------------


def dollars(cents: int) -> float:
    """Cents as the dollar number tools return (12.5 for 1250)."""
    return cents / 100


def to_cents(amount: int | float) -> int:
    """A dollar amount from a tool call as exact cents; refuses fractions of a cent."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):  # ValueError: str() of an integer of over 4,300 digits
        raise ToolError("that is not an amount of dollars") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ToolError(f"amount {amount!r} must have at most two decimals")
    return int(value * 100)


def _date(value: str) -> str:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ToolError(f"date {value!r} must be a real date written YYYY-MM-DD")


def _time(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ToolError(f"time {value!r} must be written HH:MM on a 24-hour clock")
    return f"{int(match[1]):02d}:{match[2]}"


def _next_id(records: Sequence[Mapping[str, Any]], prefix: str) -> str:
    numbers = [int(r["id"].rsplit("-", 1)[1]) for r in records if r["id"].startswith(prefix)]
    return f"{prefix}{max(numbers, default=0) + 1}"


class ToolEnv:
    """One item's world. `call(name, arguments)` returns the tool message content (JSON text)."""

    def __init__(self, state: Mapping[str, Any]) -> None:
        self.state: dict[str, Any] = copy.deepcopy(dict(state))

    def call(self, name: str, arguments: Mapping[str, Any]) -> str:
        """Run one tool call; errors come back as `{"error": ...}` for the model to read. Arguments the
        tools cannot process (a 5,000-digit amount overflows a float) are refused the same way, as an
        API answers 400: the model's call was bad, the harness did not fail."""
        try:
            if name not in _SCHEMAS:
                raise ToolError(f"there is no tool named {name!r}; available tools: {', '.join(_SCHEMAS)}")
            _check_arguments(name, arguments)
            return orjson.dumps(getattr(self, f"_{name}")(**arguments)).decode()
        except ToolError as e:
            return orjson.dumps({"error": str(e)}).decode()
        except (ValueError, TypeError, ArithmeticError, RecursionError) as e:
            return orjson.dumps({"error": f"{name}: these arguments cannot be processed ({type(e).__name__})"}).decode()

    # files
    def _file(self, path: str) -> str:
        if path not in self.state["files"]:
            raise ToolError(f"no file at {path!r}")
        return path

    def _list_files(self, directory: str) -> dict[str, Any]:
        prefix = directory.rstrip("/") + "/"
        return {"directory": directory, "files": sorted(p for p in self.state["files"] if p.startswith(prefix))}

    def _read_file(self, path: str) -> dict[str, Any]:
        return {"path": path, "content": self.state["files"][self._file(path)]}

    def _search_files(self, text: str) -> dict[str, Any]:
        if not text.strip():
            raise ToolError("search text must not be empty")
        needle = text.casefold()
        return {"matches": sorted(p for p, c in self.state["files"].items() if needle in c.casefold())}

    def _write_file(self, path: str, content: str) -> dict[str, Any]:
        if not path.startswith("/") or path.endswith("/"):
            raise ToolError(f"{path!r} is not an absolute file path")
        created = path not in self.state["files"]
        self.state["files"][path] = content
        return {"path": path, "created": created}

    def _move_file(self, source: str, destination: str) -> dict[str, Any]:
        self._file(source)
        if destination.endswith("/"):
            destination += source.rsplit("/", 1)[1]
        if not destination.startswith("/"):
            raise ToolError(f"{destination!r} is not an absolute path")
        if destination in self.state["files"]:
            raise ToolError(f"a file already exists at {destination!r}")
        self.state["files"][destination] = self.state["files"].pop(source)
        return {"moved": source, "to": destination}

    def _delete_file(self, path: str) -> dict[str, Any]:
        del self.state["files"][self._file(path)]
        return {"deleted": path}

    # calendar
    def _event(self, event_id: str) -> dict[str, Any]:
        for event in self.state["calendar"]:
            if event["id"] == event_id:
                return event
        raise ToolError(f"no event with id {event_id!r}; list_events shows the ids")

    def _list_events(self, date: str) -> dict[str, Any]:
        date = _date(date)
        events = sorted((e for e in self.state["calendar"] if e["date"] == date), key=lambda e: e["start"])
        return {"date": date, "events": events}

    def _create_event(
        self, title: str, date: str, start: str, end: str, attendees: list[str] | None = None
    ) -> dict[str, Any]:
        event = {"id": _next_id(self.state["calendar"], "ev-"), "title": title, "date": _date(date),
                 "start": _time(start), "end": _time(end), "attendees": list(attendees or [])}  # fmt: skip
        if not title.strip() or event["end"] <= event["start"]:
            raise ToolError("an event needs a title and an end time after its start time")
        self.state["calendar"].append(event)
        return {"created": event}

    def _update_event(self, event_id: str, **changes: Any) -> dict[str, Any]:
        event = self._event(event_id)
        if not changes:
            raise ToolError("update_event needs at least one field to change")
        updated = dict(event)
        for key, value in changes.items():
            updated[key] = _date(value) if key == "date" else _time(value) if key in ("start", "end") else value
        if updated["end"] <= updated["start"]:
            raise ToolError("the end time must be after the start time")
        event.update(updated)
        return {"updated": event}

    def _delete_event(self, event_id: str) -> dict[str, Any]:
        self.state["calendar"].remove(self._event(event_id))
        return {"deleted": event_id}

    # shop
    def _product(self, product_id: str) -> dict[str, Any]:
        for product in self.state["shop"]["products"]:
            if product["id"] == product_id:
                return product
        raise ToolError(f"no product with id {product_id!r}; search_products shows the ids")

    def _search_products(self, query: str) -> dict[str, Any]:
        words = query.casefold().split()
        if not words:
            raise ToolError("the query must not be empty")
        found = [
            {**p, "price": dollars(p["price"])}
            for p in self.state["shop"]["products"]
            if all(w in f"{p['name']} {p['category']}".casefold() for w in words)
        ]
        return {"products": found}

    def _place_order(self, product_id: str, quantity: int, payment_method: str) -> dict[str, Any]:
        shop = self.state["shop"]
        product = self._product(product_id)
        if quantity < 1:
            raise ToolError("quantity must be 1 or more")
        if quantity > product["stock"]:
            raise ToolError(f"only {product['stock']} of {product_id} in stock")
        total = product["price"] * quantity
        if payment_method == "gift_card":
            if total > shop["gift_card"]:
                raise ToolError(f"the gift card balance ({dollars(shop['gift_card'])}) does not cover {dollars(total)}")
            shop["gift_card"] -= total
        product["stock"] -= quantity
        order = {"id": _next_id(shop["orders"], "ord-"), "product_id": product_id, "quantity": quantity,
                 "total": total, "payment_method": payment_method, "status": "placed", "date": self.state["today"]}  # fmt: skip
        shop["orders"].append(order)
        return {"order": self._show_order(order)}

    def _show_order(self, order: Mapping[str, Any]) -> dict[str, Any]:
        return {**order, "product": self._product(order["product_id"])["name"], "total": dollars(order["total"])}

    def _list_orders(self) -> dict[str, Any]:
        orders = sorted(self.state["shop"]["orders"], key=lambda o: (o["date"], o["id"]), reverse=True)
        return {"orders": [self._show_order(o) for o in orders]}

    def _cancel_order(self, order_id: str) -> dict[str, Any]:
        shop = self.state["shop"]
        order = next((o for o in shop["orders"] if o["id"] == order_id), None)
        if order is None:
            raise ToolError(f"no order with id {order_id!r}; list_orders shows the ids")
        if order["status"] != "placed":
            raise ToolError(f"order {order_id} is already {order['status']}")
        order["status"] = "cancelled"
        self._product(order["product_id"])["stock"] += order["quantity"]
        if order["payment_method"] == "gift_card":
            shop["gift_card"] += order["total"]
        return {"cancelled": order_id}

    def _get_gift_card_balance(self) -> dict[str, Any]:
        return {"balance": dollars(self.state["shop"]["gift_card"])}

    # bank
    def _get_balance(self, account: str) -> dict[str, Any]:
        return {"account": account, "balance": dollars(self.state["bank"]["accounts"][account])}

    def _list_transactions(self, account: str) -> dict[str, Any]:
        rows = [t for t in self.state["bank"]["transactions"] if t["account"] == account]
        rows.sort(key=lambda t: (t["date"], t["id"]), reverse=True)
        return {"account": account, "transactions": [{**t, "amount": dollars(t["amount"])} for t in rows]}

    def _list_payees(self) -> dict[str, Any]:
        return {"payees": self.state["bank"]["payees"]}

    def _transfer(self, from_account: str, to: str, amount: int | float, memo: str = "") -> dict[str, Any]:
        bank = self.state["bank"]
        cents = to_cents(amount)
        if cents <= 0:
            raise ToolError("the amount must be more than 0")
        if to == from_account:
            raise ToolError("cannot transfer an account to itself")
        if to in ACCOUNTS:
            counterparty = to
        else:
            payee = next((p for p in bank["payees"] if p["id"] == to), None)
            if payee is None:
                raise ToolError(f"{to!r} is neither 'checking', 'savings' nor a payee id from list_payees")
            counterparty = payee["name"]
        if cents > bank["accounts"][from_account]:
            raise ToolError(f"insufficient funds in {from_account} ({dollars(bank['accounts'][from_account])})")
        today = self.state["today"]
        bank["accounts"][from_account] -= cents
        rows = [{"account": from_account, "amount": -cents, "counterparty": counterparty}]
        if to in ACCOUNTS:
            bank["accounts"][to] += cents
            rows.append({"account": to, "amount": cents, "counterparty": from_account})
        for row in rows:
            row.update(id=_next_id(bank["transactions"], "tx-"), date=today, memo=memo)
            bank["transactions"].append(row)
        return {"transferred": dollars(cents), "from": from_account, "to": counterparty}


def _text(content: str) -> str:
    return "\n".join(line.rstrip() for line in content.strip().splitlines())


def end_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """What is compared: everything the user could observe, without generated ids, dates and memos."""
    shop, bank = state["shop"], state["bank"]
    return {
        "files": {path: _text(content) for path, content in sorted(state["files"].items())},
        "calendar": sorted(
            [e["title"].strip().casefold(), e["date"], e["start"], e["end"], sorted(a.strip().casefold() for a in e["attendees"])]
            for e in state["calendar"]
        ),
        "stock": {p["id"]: p["stock"] for p in shop["products"]},
        "orders": sorted([o["product_id"], o["quantity"], o["payment_method"], o["status"]] for o in shop["orders"]),
        "gift_card": shop["gift_card"],
        "accounts": dict(bank["accounts"]),
        "transactions": sorted([t["account"], t["amount"], t["counterparty"]] for t in bank["transactions"]),
    }


def state_diff(got: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    """The top-level parts of the end state that differ (for the record, so a reader sees what went wrong)."""
    return [key for key in expected if got.get(key) != expected[key]]


# --- the agent loop -----------------------------------------------------------------------------------


def _assistant_message(response: ChatResponse, ids: list[str]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": response.text or None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": _arguments_json(call.arguments)},
            }
            for call, call_id in zip(response.tool_calls, ids, strict=True)
        ],
    }


def _arguments_json(arguments: Any) -> str:
    """A call's arguments as the wire's JSON string (integers beyond 64 bits too, which orjson refuses)."""
    try:
        return orjson.dumps(arguments).decode()
    except TypeError:
        import json

        return json.dumps(arguments, default=str)


def _is_error(result: str) -> bool:
    return result.startswith('{"error"')


def _call_record(call: ToolCall, result: str | None) -> dict[str, Any]:
    """What the record keeps of a call: name, arguments as sent, and whether the tool refused it."""
    return {"name": call.name, "arguments": call.arguments, "refused": result is None or _is_error(result)}


def make_solver(spec: Mapping[str, Any]) -> Solver:
    """The `tool_env` solver for a parsed suite spec (`[prompt] system/template`, `[solver] max_steps`)."""
    from harness.suites.prompt import render_messages

    prompt = {"template": "{request}", **spec.get("prompt", {})}
    max_steps = int(spec.get("solver", {}).get("max_steps", DEFAULT_MAX_STEPS))

    async def solve(item: Item, generate: Generate) -> Outcome:
        env = ToolEnv(item.input["state"])
        messages = render_messages(prompt, item)
        calls: list[dict[str, Any]] = []

        def outcome(error: str | None, text: str) -> Outcome:
            diff = state_diff(end_state(env.state), item.target)
            if error == "truncated" and not diff:
                error = None  # the work was done; only the closing summary was cut off
            correct = error is None and not diff
            return Outcome(
                score=float(correct), correct=correct, error=error, response=text,
                extracted={"calls": calls, "state_mismatch": diff},
            )  # fmt: skip

        for step in range(max_steps):
            response = await generate(ChatRequest(messages=list(messages), tools=TOOLS))
            if not response.tool_calls:
                truncated = response.finish_reason == "length"
                return outcome("truncated" if truncated else None, response.text)
            if any(not isinstance(call.arguments, dict) for call in response.tool_calls):
                bad = next(c for c in response.tool_calls if not isinstance(c.arguments, dict))
                calls.append(_call_record(bad, None))
                return outcome("parse_failure", response.text or f"unparseable arguments for {bad.name}")
            ids = [call.id or f"call_{step}_{k}" for k, call in enumerate(response.tool_calls)]
            messages.append(_assistant_message(response, ids))
            for call, call_id in zip(response.tool_calls, ids, strict=True):
                result = env.call(call.name, call.arguments)
                calls.append(_call_record(call, result))
                messages.append({"role": "tool", "tool_call_id": call_id, "content": result})
        return outcome("step_limit", "")

    return solve


def replay(state: Mapping[str, Any], calls: Sequence[tuple[str, Mapping[str, Any]]]) -> ToolEnv:
    """Run a list of (tool, arguments) on a fresh environment (the generator uses it to check its plans)."""
    env = ToolEnv(state)
    for name, arguments in calls:
        result = env.call(name, arguments)
        if _is_error(result):
            raise ValueError(f"planned call {name}({arguments}) failed: {result}")
    return env

