"""builtin-tools items: a seeded world (files, calendar, shop, bank) and a request that needs look-ups, then acts.

Each template writes three things from the same draw: the user's request, a correct plan of tool calls
(look-ups included) and the expected end state, the last computed by editing the state directly rather
than through the environment. The generator replays the plan in a `ToolEnv` and refuses to emit an item
whose replayed end state differs from the expected one, or equals the initial one (a do-nothing agent
must fail). Plans never reach the item: `generate_tasks` exposes them for the project's tests (a scripted
agent that follows them must pass every item).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.items import Item
from harness.suites.builtin.common import NAMES, item_id, item_rng
from harness.suites.builtin.tools_env import READ_ONLY, dollars, end_state, replay

SUITE = "builtin-tools"
#: The generator's version date: bump it whenever a template's world, wording or plan changes.
VERSION = "2026-11-22"

Plan = list[tuple[str, dict[str, Any]]]
State = dict[str, Any]

_SURNAMES = ("Lopez", "Okafor", "Novak", "Haddad", "Tanaka", "Silva", "Kowalski", "Mensah", "Ivanova",
             "Park", "Rossi", "Nguyen", "Schmidt", "Kaya", "Andersen", "Costa", "Ahmed", "Moreau")  # fmt: skip
_VENDORS = ("Northwind Energy", "BrightNet Internet", "City Water Services", "Summit Insurance",
            "Greenfield Property Management", "Metro Mobile", "Clearview Waste Collection")  # fmt: skip
_KINDS = ("desk lamp", "USB-C cable", "water bottle", "notebook", "backpack", "mouse pad", "phone stand",
          "tea kettle", "yoga mat", "bike light")  # fmt: skip
_BRANDS = ("Acorn", "Brightline", "Corvid", "Dune", "Everly", "Fjord", "Granite", "Halo", "Ibis", "Juniper")
_TITLES = ("Budget review", "Design sync", "Quarterly planning", "Vendor call", "Team lunch", "Code review",
           "Hiring panel", "Roadmap check-in", "Customer demo", "Board prep", "Retrospective")  # fmt: skip
_PROJECTS = ("apollo", "borealis", "cobalt", "dynamo", "ember", "falcon", "granite", "helix")
_KEYWORDS = ("budget", "deadline", "supplier", "prototype", "security audit", "launch plan", "migration")
_FILLER = ("Notes from the weekly meeting.", "Action items are listed below.", "Ask Sam about the slides.",
           "The office is closed on the holiday.", "Remember to water the plants.", "Draft, not final.",
           "Numbers to be checked again.", "Agenda: status, risks, next steps.", "Parking moved to level 2.")  # fmt: skip
_CLINICS = ("Lakeside Dental", "Riverside Physiotherapy", "Oakwood Eye Clinic", "Harbor Vet Clinic",
            "Maple Street Dermatology")  # fmt: skip
_ADJ = ("Silver", "Quiet", "Hidden", "Last", "Northern", "Burning", "Glass", "Winter", "Painted", "Distant")
_NOUN = ("Harbor", "Orchard", "Lantern", "River", "Archive", "Compass", "Garden", "Tower", "Meridian", "Island")


@dataclass(frozen=True)
class ToolTask:
    """A generated item and the correct plan (only the project's tests see the plan)."""

    item: Item
    plan: Plan


# --- helpers ------------------------------------------------------------------------------------------


def _person(rng: random.Random) -> str:
    return f"{rng.choice(NAMES)} {rng.choice(_SURNAMES)}"


def _day(date: dt.date) -> str:
    """'Tuesday 17 March 2026': how a person writes a date in a request."""
    return f"{date:%A} {date.day} {date:%B} {date.year}"


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(hm: str) -> int:
    return int(hm[:2]) * 60 + int(hm[3:])


def _ampm(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    return f"{(hour - 1) % 12 + 1}:{minute:02d} {'am' if hour < 12 else 'pm'}"


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def _next(records: list[dict[str, Any]], prefix: str) -> str:
    return f"{prefix}{len(records) + 1}"


def _event(state: State, title: str, date: dt.date, start: int, end: int, attendees: list[str]) -> dict[str, Any]:
    event = {"id": _next(state["calendar"], "ev-"), "title": title, "date": date.isoformat(), "start": _hm(start),
             "end": _hm(end), "attendees": attendees}  # fmt: skip
    state["calendar"].append(event)
    return event


def _payee(state: State, name: str) -> str:
    payees = state["bank"]["payees"]
    for payee in payees:
        if payee["name"] == name:
            return payee["id"]
    payees.append({"id": _next(payees, "py-"), "name": name})
    return payees[-1]["id"]


def _tx(state: State, account: str, cents: int, counterparty: str, date: dt.date, memo: str = "") -> None:
    rows = state["bank"]["transactions"]
    rows.append({"id": _next(rows, "tx-"), "account": account, "date": date.isoformat(), "amount": cents,
                 "counterparty": counterparty, "memo": memo})  # fmt: skip


def _product(state: State, rng: random.Random, name: str, category: str, price: int, stock: int) -> str:
    products = state["shop"]["products"]
    taken = {p["id"] for p in products}
    pid = f"P-{rng.choice([n for n in range(100, 1000) if f'P-{n}' not in taken])}"
    products.append({"id": pid, "name": name, "category": category, "price": price, "stock": stock})
    return pid


def _today(state: State) -> dt.date:
    return dt.date.fromisoformat(state["today"])


def _paid_out(expected: State, account: str, cents: int, counterparty: str) -> None:
    """Expected effect of paying someone: the account goes down, one row names who was paid."""
    expected["bank"]["accounts"][account] -= cents
    expected["bank"]["transactions"].append({"account": account, "amount": -cents, "counterparty": counterparty})


def _moved(expected: State, source: str, target: str, cents: int) -> None:
    """Expected effect of moving money between the user's own accounts: two rows, one per account."""
    expected["bank"]["accounts"][source] -= cents
    expected["bank"]["accounts"][target] += cents
    expected["bank"]["transactions"].append({"account": source, "amount": -cents, "counterparty": target})
    expected["bank"]["transactions"].append({"account": target, "amount": cents, "counterparty": source})


def _ordered(expected: State, pid: str, quantity: int, method: str) -> None:
    """Expected effect of an order: stock down, a placed order, the gift card charged if it paid."""
    product = next(p for p in expected["shop"]["products"] if p["id"] == pid)
    product["stock"] -= quantity
    if method == "gift_card":
        expected["shop"]["gift_card"] -= product["price"] * quantity
    expected["shop"]["orders"].append(
        {"product_id": pid, "quantity": quantity, "payment_method": method, "status": "placed"}
    )


# --- the world ----------------------------------------------------------------------------------------


def world(rng: random.Random) -> State:
    """A small, plausible account of someone's files, calendar, shop and bank: the background of a task."""
    today = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randint(0, 300))
    state: State = {
        "today": today.isoformat(),
        "files": {
            "/notes/groceries.txt": "\n".join(rng.sample(["eggs", "rice", "coffee", "apples", "soap", "bread", "milk"], 4)),
            "/notes/ideas.txt": " ".join(rng.sample(_FILLER, 3)),
        },
        "calendar": [],
        "shop": {"products": [], "orders": [], "gift_card": rng.randrange(1000, 12000, 25)},
        "bank": {
            "accounts": {"checking": rng.randrange(150000, 600000, 1), "savings": rng.randrange(200000, 2000000, 1)},
            "payees": [],
            "transactions": [],
        },
    }  # fmt: skip
    for _ in range(rng.randint(4, 8)):
        date = today + dt.timedelta(days=rng.randint(0, 14))
        start = rng.randrange(8 * 60, 17 * 60, 30)
        _event(state, rng.choice(_TITLES), date, start, start + rng.choice([30, 60]), [_person(rng)])
    for kind in rng.sample(_KINDS, 3):
        _product(state, rng, f"{rng.choice(_BRANDS)} {kind}", "home", rng.randrange(500, 6000, 5), rng.randint(0, 9))
    for vendor in rng.sample(_VENDORS, 2):
        _payee(state, vendor)
    for _ in range(rng.randint(3, 6)):
        who = rng.choice(_VENDORS)
        _tx(state, "checking", -rng.randrange(2000, 20000), who, today - dt.timedelta(days=rng.randint(3, 60)))
    return state


# --- templates ----------------------------------------------------------------------------------------
# Each returns (request, plan, expected end state before `end_state`), editing `state` to set the scene.

Template = Callable[[random.Random, State], tuple[str, Plan, State]]


def pay_invoice(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    vendor, other = rng.sample(_VENDORS, 2)
    paid_on = (_today(state) - dt.timedelta(days=rng.randint(20, 40))).isoformat()
    due = rng.randrange(4000, 40000)
    unpaid = f"/inbox/{_slug(vendor)}-{rng.randint(1000, 4999)}.txt"
    invoices = {  # path: (sender, cents, status)
        unpaid: (vendor, due, "Status: awaiting payment"),
        f"/inbox/{_slug(vendor)}-{rng.randint(5000, 9999)}.txt": (vendor, rng.randrange(4000, 40000), f"Status: PAID on {paid_on}"),
        f"/inbox/{_slug(other)}-{rng.randint(1000, 9999)}.txt": (other, rng.randrange(4000, 40000), "Status: awaiting payment"),
    }  # fmt: skip
    for path, (sender, cents, status) in invoices.items():
        number = path.rsplit("-", 1)[1].removesuffix(".txt")
        state["files"][path] = f"INVOICE {number}\nFrom: {sender}\nAmount due: ${dollars(cents):.2f}\n{status}\n"
    payee = _payee(state, vendor)
    _payee(state, other)
    request = (
        f"There are invoices in my /inbox folder. Pay the {vendor} invoice that is still awaiting payment, "
        f"from my checking account."
    )
    plan: Plan = [("list_files", {"directory": "/inbox"})]
    plan += [("read_file", {"path": p}) for p in sorted(invoices) if invoices[p][0] == vendor]
    plan += [("list_payees", {}), ("transfer", {"from_account": "checking", "to": payee, "amount": dollars(due)})]
    expected = copy.deepcopy(state)
    _paid_out(expected, "checking", due, vendor)
    return request, plan, expected


def sweep_savings(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    keep = rng.randrange(500, 2500, 100)
    state["bank"]["accounts"]["checking"] = keep * 100 + rng.randrange(1000, 300000)
    surplus = state["bank"]["accounts"]["checking"] - keep * 100
    request = f"Move everything in my checking account above ${keep:,} into my savings account."
    plan: Plan = [
        ("get_balance", {"account": "checking"}),
        ("transfer", {"from_account": "checking", "to": "savings", "amount": dollars(surplus)}),
    ]
    expected = copy.deepcopy(state)
    _moved(expected, "checking", "savings", surplus)
    return request, plan, expected


def repay_friend(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    friend, stranger = (f"{first} {rng.choice(_SURNAMES)}" for first in rng.sample(NAMES, 2))
    today = _today(state)
    days = sorted(rng.sample(range(2, 40), 4))
    amounts = [rng.randrange(1000, 15000, 5) for _ in days]
    who = [friend, stranger, friend, friend] if rng.random() < 0.5 else [stranger, friend, stranger, friend]
    for ago, cents, sender in zip(days, amounts, who, strict=True):
        _tx(state, "checking", cents, sender, today - dt.timedelta(days=ago))
    latest = next(c for d, c, s in zip(days, amounts, who, strict=True) if s == friend)  # days sorted: smallest = newest
    payee = _payee(state, friend)
    _payee(state, stranger)
    request = (
        f"{friend} has paid money into my checking account a few times lately. Send {friend} back exactly the "
        f"amount of the most recent of those payments, from my savings account."
    )
    plan: Plan = [
        ("list_transactions", {"account": "checking"}),
        ("list_payees", {}),
        ("transfer", {"from_account": "savings", "to": payee, "amount": dollars(latest)}),
    ]
    expected = copy.deepcopy(state)
    _paid_out(expected, "savings", latest, friend)
    return request, plan, expected


def split_bill(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    friend = _person(rng)
    others = rng.sample([n for n in NAMES if n != friend.split()[0]], rng.randint(1, 4))
    people = len(others) + 2
    share = rng.randrange(1500, 9000, 5)
    outing = rng.choice(["concert", "theatre", "football match", "cooking class", "boat trip"])
    path = f"/notes/{_slug(outing)}-tickets.txt"
    state["files"][path] = (
        f"{outing.capitalize()} tickets\nBought by: {friend}\nTotal price: ${dollars(share * people):.2f}\n"
        f"Going: me, {friend}, {', '.join(others)}\nWe split the total equally.\n"
    )
    payee = _payee(state, friend)
    _payee(state, _person(rng))
    request = (
        f"{friend} bought the {outing} tickets for all of us; the details are in {path}. Send {friend} my equal "
        f"share of the total from my checking account."
    )
    plan: Plan = [
        ("read_file", {"path": path}),
        ("list_payees", {}),
        ("transfer", {"from_account": "checking", "to": payee, "amount": dollars(share)}),
    ]
    expected = copy.deepcopy(state)
    _paid_out(expected, "checking", share, friend)
    return request, plan, expected


def _busy(state: State, date: dt.date) -> list[tuple[int, int]]:
    return [(_minutes(e["start"]), _minutes(e["end"])) for e in state["calendar"] if e["date"] == date.isoformat()]


def schedule_meeting(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    today = _today(state)
    date = today + dt.timedelta(days=rng.randint(1, 10))
    window = rng.choice([(9 * 60, 12 * 60), (13 * 60, 17 * 60), (9 * 60, 17 * 60), (10 * 60, 16 * 60)])
    length = rng.choice([30, 45, 60, 90])
    for _ in range(rng.randint(2, 4)):
        start = rng.randrange(window[0] - 60, window[1], 15)
        _event(state, rng.choice(_TITLES), date, start, start + rng.choice([30, 45, 60, 90, 120]), [_person(rng)])
    busy = _busy(state, date)
    candidates = sorted({window[0]} | {end for _, end in busy if end >= window[0]})
    slot = next(
        (t for t in candidates if t + length <= window[1] and all(not (s < t + length and t < e) for s, e in busy)),
        None,
    )
    if slot is None:
        raise _Redraw
    person, title = _person(rng), rng.choice(_TITLES)
    request = (
        f'Book a {length}-minute meeting titled "{title}" with {person} on {_day(date)}, at the earliest time '
        f"between {_hm(window[0])} and {_hm(window[1])} when my calendar is free."
    )
    plan: Plan = [
        ("list_events", {"date": date.isoformat()}),
        ("create_event", {"title": title, "date": date.isoformat(), "start": _hm(slot), "end": _hm(slot + length),
                          "attendees": [person]}),
    ]  # fmt: skip
    expected = copy.deepcopy(state)
    _event(expected, title, date, slot, slot + length, [person])
    return request, plan, expected


def cancel_meetings(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    today = _today(state)
    first = today + dt.timedelta(days=rng.randint(1, 8))
    days = [first + dt.timedelta(days=k) for k in range(3)]
    person = _person(rng)
    for _ in range(rng.randint(1, 3)):
        start = rng.randrange(8 * 60, 17 * 60, 30)
        _event(state, rng.choice(_TITLES), rng.choice(days), start, start + 30, [person] + [_person(rng)] * rng.randint(0, 1))
    outside = days[-1] + dt.timedelta(days=rng.randint(1, 3))
    _event(state, rng.choice(_TITLES), outside, 10 * 60, 11 * 60, [person])
    for _ in range(rng.randint(1, 3)):
        start = rng.randrange(8 * 60, 17 * 60, 30)
        _event(state, rng.choice(_TITLES), rng.choice(days), start, start + 60, [_person(rng)])
    doomed = [e for e in state["calendar"] if e["date"] in {d.isoformat() for d in days} and person in e["attendees"]]
    request = (
        f"Cancel every meeting that {person} is invited to from {_day(days[0])} to {_day(days[-1])} inclusive. "
        f"Leave all my other meetings alone."
    )
    plan: Plan = [("list_events", {"date": d.isoformat()}) for d in days]
    plan += [("delete_event", {"event_id": e["id"]}) for e in doomed]
    expected = copy.deepcopy(state)
    expected["calendar"] = [e for e in expected["calendar"] if e["id"] not in {d["id"] for d in doomed}]
    return request, plan, expected


def move_meeting(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    today = _today(state)
    date = today + dt.timedelta(days=rng.randint(1, 6))
    title = rng.choice(["Weekly sync", "Mentoring", "Project update", "Study group", "Budget review"])
    start = rng.randrange(9 * 60, 17 * 60, 15)
    for e in [e for e in state["calendar"] if e["title"] == title]:
        e["title"] = "Planning"  # only our two meetings carry this title
    event = _event(state, title, date, start, start + rng.choice([30, 45, 60]), [_person(rng)])
    _event(state, title, date + dt.timedelta(days=7), start, _minutes(event["end"]), list(event["attendees"]))
    target = date + dt.timedelta(days=rng.choice([1, 2, 3, -1]) if date > today + dt.timedelta(days=1) else 2)
    request = (
        f'Move my "{title}" meeting on {_day(date)} to {_day(target)}, keeping the same start and end times. '
        f"Don't change anything else."
    )
    plan: Plan = [
        ("list_events", {"date": date.isoformat()}),
        ("update_event", {"event_id": event["id"], "date": target.isoformat()}),
    ]
    expected = copy.deepcopy(state)
    next(e for e in expected["calendar"] if e["id"] == event["id"])["date"] = target.isoformat()
    return request, plan, expected


def buy_cheapest(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    kind = rng.choice([k for k in _KINDS if not any(k in p["name"] for p in state["shop"]["products"])])
    quantity = rng.randint(1, 4)
    prices = sorted(rng.sample(range(300, 6000, 5), rng.randint(4, 6)))
    brands = rng.sample(_BRANDS, len(prices))
    stocks = [rng.randint(0, 12) for _ in prices]
    if rng.random() < 0.5:
        stocks[0] = rng.randint(0, quantity - 1)  # the cheapest of all cannot fill the order
    eligible = [i for i, s in enumerate(stocks) if s >= quantity]
    if not eligible:
        raise _Redraw
    order = list(range(len(prices)))
    rng.shuffle(order)
    ids = {}
    for i in order:
        ids[i] = _product(state, rng, f"{brands[i]} {kind}", "home", prices[i], stocks[i])
    best = eligible[0]
    total = prices[best] * quantity
    state["shop"]["gift_card"] = total + rng.randrange(0, 3000, 5) if rng.random() < 0.5 else rng.randrange(0, total, 5)
    method = "gift_card" if state["shop"]["gift_card"] >= total else "credit_card"
    request = (
        f"Order {quantity} unit{'s' if quantity > 1 else ''} of the cheapest {kind} among those with at least "
        f"{quantity} in stock. Pay with my gift card if its balance covers the whole order; otherwise pay with "
        f"my credit card."
    )
    plan: Plan = [
        ("search_products", {"query": kind}),
        ("get_gift_card_balance", {}),
        ("place_order", {"product_id": ids[best], "quantity": quantity, "payment_method": method}),
    ]
    expected = copy.deepcopy(state)
    _ordered(expected, ids[best], quantity, method)
    return request, plan, expected


def cancel_order(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    today = _today(state)
    kinds = rng.sample([k for k in _KINDS if not any(k in p["name"] for p in state["shop"]["products"])], 2)
    names = [f"{rng.choice(_BRANDS)} {k}" for k in kinds]
    ids = [_product(state, rng, name, "home", rng.randrange(500, 5000, 5), rng.randint(2, 8)) for name in names]
    orders = state["shop"]["orders"]
    for ago in sorted(rng.sample(range(1, 60), 5), reverse=True):  # oldest first
        pid = rng.choice(ids)
        price = next(p["price"] for p in state["shop"]["products"] if p["id"] == pid)
        quantity = rng.randint(1, 3)
        orders.append({"id": _next(orders, "ord-"), "product_id": pid, "quantity": quantity,
                       "total": price * quantity, "payment_method": rng.choice(["gift_card", "credit_card"]),
                       "status": "cancelled" if rng.random() < 0.3 else "placed",
                       "date": (today - dt.timedelta(days=ago)).isoformat()})  # fmt: skip
    open_orders = [o for o in orders if o["product_id"] == ids[0] and o["status"] == "placed"]
    if not open_orders:
        raise _Redraw
    target = max(open_orders, key=lambda o: o["date"])
    reorder = rng.randint(1, 3) if rng.random() < 0.5 else 0
    request = f"Cancel my most recent order of the {names[0]} that has not been cancelled already."
    plan: Plan = [("list_orders", {}), ("cancel_order", {"order_id": target["id"]})]
    if reorder:
        request += f" Then order {reorder} of that same product again, paid with my credit card."
        plan.append(("place_order", {"product_id": ids[0], "quantity": reorder, "payment_method": "credit_card"}))
    expected = copy.deepcopy(state)
    order = next(o for o in expected["shop"]["orders"] if o["id"] == target["id"])
    order["status"] = "cancelled"
    next(p for p in expected["shop"]["products"] if p["id"] == ids[0])["stock"] += order["quantity"]
    if order["payment_method"] == "gift_card":
        expected["shop"]["gift_card"] += order["total"]
    if reorder:
        _ordered(expected, ids[0], reorder, "credit_card")
    return request, plan, expected


def archive_files(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    project, elsewhere = rng.sample(_PROJECTS, 2)
    keyword = rng.choice(_KEYWORDS)
    names = rng.sample(["notes.txt", "kickoff.md", "status-week-1.txt", "status-week-2.txt", "risks.md",
                        "contacts.txt", "ideas.md", "minutes.txt"], rng.randint(4, 6))  # fmt: skip
    hits = set(rng.sample(names, rng.randint(1, 3)))
    for name in names:
        text = " ".join(rng.sample(_FILLER, 3))
        if name in hits:
            mention = rng.choice([keyword, keyword.capitalize(), keyword.upper()])
            text = f"{text} The {mention} needs attention this week."
        state["files"][f"/projects/{project}/{name}"] = text
    state["files"][f"/projects/{elsewhere}/notes.txt"] = f"Check the {keyword} for {elsewhere} too."
    state["files"][f"/archive/{elsewhere}/old.txt"] = "Archived material."
    sources = sorted(f"/projects/{project}/{n}" for n in hits)
    request = (
        f'Move every file in /projects/{project} whose text mentions "{keyword}" into the folder '
        f"/archive/{project}/, keeping the file names. Leave all other files where they are."
    )
    plan: Plan = [("search_files", {"text": keyword})]
    plan += [("move_file", {"source": s, "destination": f"/archive/{project}/"}) for s in sources]
    expected = copy.deepcopy(state)
    for source in sources:
        expected["files"][f"/archive/{project}/{source.rsplit('/', 1)[1]}"] = expected["files"].pop(source)
    return request, plan, expected


def expense_total(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    month = rng.choice(["january", "february", "march", "april", "may", "june"])
    path, out = f"/data/expenses-{month}.csv", f"/data/expenses-{month}-total.txt"
    categories = ("travel", "food", "office", "software")
    rows = [(rng.choice(categories), rng.randrange(150, 25000)) for _ in range(rng.randint(4, 9))]
    only = rng.choice(categories) if rng.random() < 0.5 else None
    if only and only not in {c for c, _ in rows}:
        rows[0] = (only, rows[0][1])
    state["files"][path] = "category,amount\n" + "\n".join(f"{c},{dollars(a):.2f}" for c, a in rows) + "\n"
    total = sum(a for c, a in rows if only in (None, c))
    what = f"the amounts in the {only} rows" if only else "the amount column"
    request = (
        f"Add up {what} of {path} and write the total to {out} as a plain number with exactly two decimals "
        f"(for example 1234.50), with nothing else in the file."
    )
    text = f"{dollars(total):.2f}"
    plan: Plan = [("read_file", {"path": path}), ("write_file", {"path": out, "content": text})]
    expected = copy.deepcopy(state)
    expected["files"][out] = text
    return request, plan, expected


def book_from_list(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    titles = [f"The {a} {n}" for a, n in zip(rng.sample(_ADJ, 6), rng.sample(_NOUN, 6), strict=True)]
    listed = titles[:4]  # the last two are in the shop but not on the list
    done = rng.randint(0, 2)
    lines = [f"[{'x' if i < done else ' '}] {t} by {_person(rng)}" for i, t in enumerate(listed)]
    state["files"]["/notes/reading-list.txt"] = "Reading list ([x] = read)\n" + "\n".join(lines) + "\n"
    ids = {t: _product(state, rng, t, "books", rng.randrange(800, 3500, 5), rng.randint(1, 6)) for t in titles}
    wanted = listed[done]
    request = (
        "Buy one copy of the first book on my reading list (/notes/reading-list.txt) that I have not marked as "
        "read. Pay with my credit card."
    )
    plan: Plan = [
        ("read_file", {"path": "/notes/reading-list.txt"}),
        ("search_products", {"query": wanted}),
        ("place_order", {"product_id": ids[wanted], "quantity": 1, "payment_method": "credit_card"}),
    ]
    expected = copy.deepcopy(state)
    _ordered(expected, ids[wanted], 1, "credit_card")
    return request, plan, expected


def appointment_from_email(rng: random.Random, state: State) -> tuple[str, Plan, State]:
    today = _today(state)
    clinic = rng.choice(_CLINICS)
    date = today + dt.timedelta(days=rng.randint(2, 20))
    start = rng.randrange(8 * 60, 18 * 60, 15)
    end = start + rng.choice([15, 30, 45, 60])
    path = f"/inbox/{_slug(clinic)}-appointment.txt"
    when = f"{date:%A}, {date:%B} {date.day}, {date.year}, from {_ampm(start)} to {_ampm(end)}"
    if rng.random() < 0.5:
        old = date - dt.timedelta(days=rng.randint(1, 3))
        body = (
            f"Dear patient,\n\nYour appointment at {clinic}, first booked for {old:%A}, {old:%B} {old.day}, has "
            f"been moved. Your new appointment is on {when}.\n\nKind regards,\n{clinic}\n"
        )
    else:
        body = f"Dear patient,\n\nThis confirms your appointment at {clinic} on {when}.\n\nKind regards,\n{clinic}\n"
    state["files"][path] = body
    state["files"]["/inbox/newsletter.txt"] = f"Spring offers! {rng.choice(_FILLER)}"
    request = (
        f'My latest appointment details from {clinic} are in a file in /inbox. Add the appointment to my '
        f'calendar with the title "{clinic}" and no attendees.'
    )
    plan: Plan = [
        ("list_files", {"directory": "/inbox"}),
        ("read_file", {"path": path}),
        ("create_event", {"title": clinic, "date": date.isoformat(), "start": _hm(start), "end": _hm(end),
                          "attendees": []}),
    ]  # fmt: skip
    expected = copy.deepcopy(state)
    _event(expected, clinic, date, start, end, [])
    return request, plan, expected


class _Redraw(Exception):
    """The draw cannot make a well-posed task (no free slot, nothing in stock): try the next draw."""


#: Template name (the item's cluster) -> template.
TEMPLATES: dict[str, Template] = {
    t.__name__: t
    for t in (pay_invoice, sweep_savings, repay_friend, split_bill, schedule_meeting, cancel_meetings,
              move_meeting, buy_cheapest, cancel_order, archive_files, expense_total, book_from_list,
              appointment_from_email)  # fmt: skip
}


def _check(template: str, state: State, plan: Plan, expected: State) -> dict[str, Any]:
    target = end_state(expected)
    if end_state(replay(state, plan).state) != target:
        raise RuntimeError(f"{SUITE}: template {template}'s plan does not reach its expected end state")
    if end_state(state) == target:
        raise RuntimeError(f"{SUITE}: template {template} asks for no change")
    return target


def generate_tasks(seed: int, n: int) -> list[ToolTask]:
    """`n` tasks; item `i` uses template `i mod T` on its own seeded world (prefix-stable)."""
    names = list(TEMPLATES)
    tasks: list[ToolTask] = []
    seen: set[str] = set()
    for i in range(n):
        template = names[i % len(names)]
        for attempt in range(100):
            rng = item_rng("tools", seed, i, attempt)
            state = world(rng)
            try:
                request, plan, expected = TEMPLATES[template](rng, state)
            except _Redraw:
                continue
            if request + state["today"] not in seen:
                break
        else:  # pragma: no cover
            raise RuntimeError(f"{SUITE}: template {template} found no well-posed task at item {i}")
        seen.add(request + state["today"])
        target = _check(template, state, plan, expected)
        item = Item(
            id=item_id(SUITE, i),
            input={"today": state["today"], "request": request, "state": state},
            target=target,
            cluster=template,
            release_date=VERSION,
            meta={"template": template, "plan_calls": len(plan), "plan_writes": sum(n not in READ_ONLY for n, _ in plan)},
        )
        tasks.append(ToolTask(item, plan))
    return tasks


def generate(seed: int, n: int) -> list[Item]:
    """`n` multi-step tool-use tasks; `target` is the expected end state (see `tools_env.end_state`)."""
    return [task.item for task in generate_tasks(seed, n)]
