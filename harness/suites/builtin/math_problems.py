"""builtin-math: procedurally generated word problems with exact answers (GSM-Symbolic style).

Each template draws names and quantities from the item's own seeded stream, rejects draws that would
give a non-integer count, a fraction of a cent or a negative amount, and computes the answer exactly with
`Fraction`. Answers are integers or terminating decimals (money in whole cents), so the `number` scorer
compares them without tolerance. The template name is the item's cluster.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from fractions import Fraction

from harness.items import Item
from harness.suites.builtin.common import exact_number, item_id, item_rng, money, two_names

SUITE = "builtin-math"
#: The generator's version date: bump it whenever any template's text or arithmetic changes.
VERSION = "2026-11-22"

#: question, exact answer, reasoning steps
Problem = tuple[str, Fraction | int, int]


def _times(k: int) -> str:
    return {2: "twice", 3: "three times", 4: "four times", 5: "five times", 6: "six times"}[k]


def ages(rng: random.Random) -> Problem:
    older, younger = two_names(rng)
    while True:
        a, b = rng.choice([3, 4, 5, 6]), rng.choice([2, 3])
        young = rng.randint(3, 16)
        if a > b and young * (a - b) % (b - 1) == 0 and 2 <= young * (a - b) // (b - 1) <= 40:
            break
    years = young * (a - b) // (b - 1)
    old = a * young
    stem = (
        f"{older} is {_times(a)} as old as {younger}. In {years} years, {older} will be {_times(b)} as old "
        f"as {younger}."
    )
    ask = rng.choice(["older", "younger", "sum_later", "older_before"])
    if ask == "older":
        return f"{stem} How old is {older} now?", old, 3
    if ask == "younger":
        return f"{stem} How old is {younger} now?", young, 2
    if ask == "sum_later":
        return f"{stem} What will the sum of their ages be in {years} years?", old + young + 2 * years, 4
    back = rng.randint(1, min(old - 1, 25))
    return f"{stem} How old was {older} {back} years ago?", old - back, 4


_GOODS = (
    ("notebook", "notebooks", 150, 450), ("pen", "pens", 75, 250), ("folder", "folders", 100, 375),
    ("mug", "mugs", 450, 1200), ("towel", "towels", 600, 1500), ("candle", "candles", 250, 900),
    ("plant pot", "plant pots", 325, 1100), ("puzzle", "puzzles", 800, 2400), ("scarf", "scarves", 900, 2600),
    ("T-shirt", "T-shirts", 700, 1900), ("lamp", "lamps", 1500, 4500), ("cushion", "cushions", 550, 1650),
)  # fmt: skip


def _price(rng: random.Random, low: int, high: int) -> int:
    return rng.randrange(low // 25, high // 25 + 1) * 25


def shopping(rng: random.Random) -> Problem:
    buyer = rng.choice(two_names(rng))
    while True:
        goods = rng.sample(_GOODS, rng.choice([2, 3]))
        lines = [(rng.randint(2, 8), g, _price(rng, g[2], g[3])) for g in goods]
        subtotal = sum(q * p for q, _, p in lines)
        percent = rng.choice([10, 15, 20, 25, 30])
        applies = rng.random() < 0.75
        threshold = (subtotal // 1000) * 10 - rng.choice([0, 10]) if applies else (subtotal // 1000 + 1) * 10
        coupon = rng.choice([2, 3, 5, 10])
        after = subtotal * (100 - percent) // 100 if applies else subtotal
        if (
            threshold >= 10
            and (not applies or subtotal * percent % 100 == 0)
            and (not applies or subtotal > threshold * 100)
            and after > coupon * 100
        ):
            break
    items = [f"{q} {g[1]} at ${money(p)} each" for q, g, p in lines]
    listing = ", ".join(items[:-1]) + f" and {items[-1]}"
    question = (
        f"{buyer} buys {listing}. The store takes {percent}% off any purchase over ${threshold}, and {buyer} "
        f"then uses a ${coupon} coupon on the amount due. How many dollars does {buyer} pay?"
    )
    return question, Fraction(after - coupon * 100, 100), len(lines) + 3


_PRODUCTS = ("toy cars", "bottles", "bolts", "clay bowls", "wooden spoons", "candles", "keychains", "badges")


def factory(rng: random.Random) -> Problem:
    thing = rng.choice(_PRODUCTS)
    while True:
        machines, rate, hours = rng.randint(2, 8), rng.randint(12, 60), rng.randint(2, 10)
        percent, box = rng.choice([5, 10, 20, 25]), rng.choice([6, 8, 10, 12, 24])
        made = machines * rate * hours
        if made * percent % 100 == 0:
            break
    good = made - made * percent // 100
    question = (
        f"A workshop has {machines} machines, and each machine makes {rate} {thing} per hour. The machines run "
        f"for {hours} hours, and {percent}% of the {thing} made are rejected as defective. The good {thing} are "
        f"packed in boxes of {box}. How many boxes can be completely filled?"
    )
    return question, good // box, 5


def pipes(rng: random.Random) -> Problem:
    place = rng.choice(["tank", "pool", "cistern", "water tower"])
    drain = rng.random() < 0.4
    while True:
        a, b = rng.sample(range(2, 13), 2)
        c = rng.randint(2, 24) if drain else 0
        rate = Fraction(1, a) + Fraction(1, b) - (Fraction(1, c) if drain else 0)
        if rate > 0 and (60 / rate).denominator == 1 and 60 / rate <= 24 * 60:
            break
    question = f"Working alone, pipe A fills an empty {place} in {a} hours and pipe B fills it in {b} hours."
    if drain:
        question += f" A drain, open on its own, would empty the full {place} in {c} hours."
        question += f" If both pipes and the drain are opened together on the empty {place},"
    else:
        question += f" If both pipes are opened together on the empty {place},"
    question += " how many minutes does it take to fill it?"
    return question, 60 / rate, 4 if drain else 3


def recipe(rng: random.Random) -> Problem:
    cook = rng.choice(two_names(rng))
    ingredient = rng.choice(["flour", "sugar", "rice", "oats"])
    grams, batches = rng.randrange(150, 625, 25), rng.randint(3, 30)
    bag = rng.choice([Fraction(1), Fraction(2), Fraction(5, 2), Fraction(5)])
    bag_text = {Fraction(5, 2): "2.5"}.get(bag, str(bag))
    need = grams * batches
    question = f"A recipe uses {grams} grams of {ingredient} per batch, and {cook} wants to make {batches} batches."
    steps = 3
    if rng.random() < 0.5:
        home = rng.randrange(100, need, 50)
        question += f" {cook} already has {home} grams of {ingredient} at home."
        need -= home
        steps = 4
    question += (
        f" The shop sells {ingredient} only in {bag_text}-kilogram bags. What is the smallest number of bags "
        f"{cook} must buy?"
    )
    return question, math.ceil(Fraction(need, 1000) / bag), steps


def distance(rng: random.Random) -> Problem:
    traveller = rng.choice(two_names(rng))
    while True:
        fast, slow = rng.randint(12, 30), rng.randint(3, 6)
        m1, m2 = rng.randrange(10, 95, 5), rng.randrange(10, 65, 5)
        if fast * m1 % 3 == 0 and slow * m2 % 3 == 0:
            break
    question = (
        f"{traveller} cycles at {fast} km/h for {m1} minutes, then walks at {slow} km/h for {m2} minutes. "
        f"How many meters does {traveller} travel in total?"
    )
    return question, Fraction(fast * 1000 * m1, 60) + Fraction(slow * 1000 * m2, 60), 4


_GROUPS = (
    ("a chess club", "adults", "children", "members", "join"),
    ("an animal shelter", "cats", "dogs", "animals", "arrive"),
    ("a bag", "red marbles", "blue marbles", "marbles", "are added"),
    ("a choir", "sopranos", "altos", "singers", "join"),
    ("a library shelf", "novels", "atlases", "books", "are added"),
    ("an orchard", "apple trees", "pear trees", "trees", "are planted"),
)


def ratio(rng: random.Random) -> Problem:
    place, first, second, members, verb = rng.choice(_GROUPS)
    while True:
        p, q = rng.sample(range(1, 10), 2)
        if math.gcd(p, q) == 1:
            break
    total = (p + q) * rng.randint(3, 15)
    added = rng.randint(2, 30)
    n_first, n_second = total * p // (p + q), total * q // (p + q) + added
    stem = (
        f"In {place}, the ratio of {first} to {second} is {p}:{q}, and there are {total} {members} in total. "
        f"Then {added} more {second} {verb}."
    )
    if n_first == n_second or rng.random() < 0.5:
        return f"{stem} How many {second} are there now?", n_second, 3
    if n_second > n_first:
        return f"{stem} How many more {second} than {first} are there now?", n_second - n_first, 4
    return f"{stem} How many more {first} than {second} are there now?", n_first - n_second, 4


_JOBS = (("walking dogs", "snacks"), ("tutoring", "bus fares"), ("babysitting", "lunches"),
         ("mowing lawns", "phone credit"), ("delivering newspapers", "comics"))  # fmt: skip
_BIG_BUYS = (("bicycle", 90, 260), ("guitar", 70, 240), ("tablet", 120, 300), ("telescope", 80, 220))


def savings(rng: random.Random) -> Problem:
    saver = rng.choice(two_names(rng))
    job, spend_on = rng.choice(_JOBS)
    thing, low, high = rng.choice(_BIG_BUYS)
    while True:
        start, earn, spend, weeks = rng.randint(0, 80), rng.randint(15, 45), rng.randint(3, 14), rng.randint(3, 12)
        price = rng.randint(low, high)
        left = start + weeks * (earn - spend) - price
        if left >= 0:
            break
    question = (
        f"{saver} has ${start} saved. Every week {saver} earns ${earn} {job} and spends ${spend} on {spend_on}. "
        f"After {weeks} weeks, {saver} buys a {thing} for ${price}. How many dollars does {saver} have left?"
    )
    return question, left, 4


def buses(rng: random.Random) -> Problem:
    school = rng.choice(["A school", "A summer camp", "A sports club", "A youth orchestra"])
    students, seats, adults = rng.randint(40, 400), rng.choice([24, 30, 35, 40, 45, 52]), rng.randint(1, 3)
    question = (
        f"{school} is taking {students} students on a trip. Each bus has seats for {seats} students, and every "
        f"bus must also carry {adults} adult chaperone{'s' if adults > 1 else ''}, who do not use student "
        f"seats. The fewest possible buses are used. How many chaperones are needed?"
    )
    return question, math.ceil(students / seats) * adults, 3


def leftovers(rng: random.Random) -> Problem:
    farm = rng.choice(["A farm", "A bakery", "A market stall", "A co-op"])
    while True:
        eggs, cracked, carton = rng.randint(100, 900), rng.randint(3, 40), rng.choice([6, 10, 12, 15, 18, 30])
        if (eggs - cracked) % carton:
            break
    question = (
        f"{farm} collects {eggs} eggs, but {cracked} of them are cracked and thrown away. The rest are packed "
        f"into cartons of {carton}. After filling as many full cartons as possible, how many eggs are left over?"
    )
    return question, (eggs - cracked) % carton, 3


def percent_change(rng: random.Random) -> Problem:
    thing = rng.choice(["jacket", "printer", "bookcase", "pair of boots", "camera", "rug"])
    while True:
        price = rng.randrange(2000, 40000, 100)
        up, down = rng.choice([5, 10, 20, 25, 30, 40, 50]), rng.choice([10, 20, 25, 30, 40, 50])
        if price * (100 + up) * (100 - down) % 10000 == 0 and up != down:
            break
    question = (
        f"A {thing} costs ${money(price)}. Its price rises by {up}%, and then the new price is cut by {down}%. "
        f"What is the final price in dollars?"
    )
    return question, Fraction(price * (100 + up) * (100 - down), 10000 * 100), 3


def average(rng: random.Random) -> Problem:
    student = rng.choice(two_names(rng))
    while True:
        k = rng.randint(3, 6)
        scores = [rng.randint(55, 98) for _ in range(k)]
        target = rng.randint(65, 92)
        need = target * (k + 1) - sum(scores)
        if 40 <= need <= 100:
            break
    listed = ", ".join(map(str, scores[:-1])) + f" and {scores[-1]}"
    question = (
        f"{student} scored {listed} on the first {k} tests of the term. What score does {student} need on the "
        f"next test for the average of all {k + 1} tests to be exactly {target}?"
    )
    return question, need, 3


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def overtime(rng: random.Random) -> Problem:
    worker = rng.choice(two_names(rng))
    hours = [rng.randint(6, 12) for _ in _DAYS]
    wage = rng.randrange(1200, 3600, 50)
    total = sum(hours)
    pay = Fraction(wage * min(total, 40) + Fraction(3, 2) * wage * max(0, total - 40), 100)
    listed = ", ".join(f"{h} hours on {d}" for h, d in zip(hours[:-1], _DAYS, strict=False))
    question = (
        f"{worker} is paid ${money(wage)} per hour, and every hour beyond the first 40 hours in a week is paid at "
        f"1.5 times that rate. One week {worker} works {listed} and {hours[-1]} hours on Friday. How many dollars "
        f"does {worker} earn that week?"
    )
    return question, pay, 5 if total > 40 else 3


_SHARES = ((Fraction(1, 2), "half"), (Fraction(1, 3), "a third"), (Fraction(1, 4), "a quarter"),
           (Fraction(2, 3), "two thirds"), (Fraction(3, 4), "three quarters"))  # fmt: skip


def sharing(rng: random.Random) -> Problem:
    baker = rng.choice(two_names(rng))
    treat = rng.choice(["cookies", "muffins", "dumplings", "pancakes", "brownies"])
    while True:
        made, eaten, friends = rng.randint(20, 120), rng.randint(1, 9), rng.randint(2, 8)
        share, share_text = rng.choice(_SHARES)
        given = (made - eaten) * share
        rest = made - eaten - given
        if given.denominator == 1 and rest > 0 and rest % friends == 0:
            break
    question = (
        f"{baker} makes {made} {treat}, eats {eaten} of them, and gives {share_text} of the remaining {treat} "
        f"to a neighbour. The {treat} that are left are shared equally among {friends} friends. How many "
        f"{treat} does each friend get?"
    )
    return question, rest // friends, 4


#: Template name (the item's cluster) -> template.
TEMPLATES: dict[str, Callable[[random.Random], Problem]] = {
    f.__name__: f
    for f in (ages, shopping, factory, pipes, recipe, distance, ratio, savings, buses, leftovers,
              percent_change, average, overtime, sharing)  # fmt: skip
}


def generate(seed: int, n: int) -> list[Item]:
    """`n` word problems; item `i` uses template `i mod T` and its own random stream (prefix-stable)."""
    names = list(TEMPLATES)
    items: list[Item] = []
    seen: set[str] = set()
    for i in range(n):
        template = names[i % len(names)]
        for attempt in range(100):
            question, answer, steps = TEMPLATES[template](item_rng("math", seed, i, attempt))
            if question not in seen:
                break
        else:  # pragma: no cover - the templates have far more variety than this
            raise RuntimeError(f"{SUITE}: template {template} repeats itself at item {i}")
        seen.add(question)
        items.append(
            Item(
                id=item_id(SUITE, i),
                input={"question": question},
                target=exact_number(answer),
                cluster=template,
                release_date=VERSION,
                meta={"template": template, "steps": steps},
            )
        )
    return items
