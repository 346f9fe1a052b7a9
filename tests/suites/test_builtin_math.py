"""builtin-math: every answer re-derived from the question text alone, by a second, independent solver.

The generator computes answers from its own draws; these solvers read only the words a model reads
(numbers found by regular expressions) and solve each template another way (brute force where there is
an equation). A question whose text disagrees with its answer, or that two readings could answer
differently, fails here.
"""

from __future__ import annotations

import asyncio
import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest

from harness.models.base import ChatResponse
from harness.suites.builtin import math_problems

TIMES = {"twice": 2, "three times": 3, "four times": 4, "five times": 5, "six times": 6}
SHARES = {"half": Fraction(1, 2), "a third": Fraction(1, 3), "a quarter": Fraction(1, 4),
          "two thirds": Fraction(2, 3), "three quarters": Fraction(3, 4)}  # fmt: skip


def nums(text: str) -> list[Fraction]:
    return [Fraction(Decimal(n)) for n in re.findall(r"\d+(?:\.\d+)?", text.replace(",", ""))]


def solve_ages(q: str) -> Fraction:
    m = re.match(r"(\w+) is (.+?) as old as (\w+)\. In (\d+) years, \1 will be (.+?) as old as \3\. (.*)", q)
    older, a, younger, years, b, ask = m[1], TIMES[m[2]], m[3], int(m[4]), TIMES[m[5]], m[6]
    (young,) = [y for y in range(1, 500) if a * y + years == b * (y + years)]
    old = a * young
    if ask == f"How old is {older} now?":
        return Fraction(old)
    if ask == f"How old is {younger} now?":
        return Fraction(young)
    if ask.startswith("What will the sum"):
        return Fraction(old + young + 2 * years)
    back = int(re.fullmatch(rf"How old was {older} (\d+) years ago\?", ask)[1])
    return Fraction(old - back)


def solve_shopping(q: str) -> Fraction:
    lines = re.findall(r"(\d+) [A-Za-z -]+? at \$([\d.]+) each", q)
    subtotal = sum(int(n) * Decimal(p) for n, p in lines)
    percent, threshold = re.search(r"takes (\d+)% off any purchase over \$(\d+)", q).groups()
    coupon = Decimal(re.search(r"uses a \$(\d+) coupon", q)[1])
    if subtotal > Decimal(threshold):
        subtotal = subtotal * (100 - int(percent)) / 100
    return Fraction(subtotal - coupon)


def solve_factory(q: str) -> Fraction:
    machines, rate, hours, percent, box = (int(x) for x in nums(q))
    made = machines * rate * hours
    return Fraction((made - made * percent // 100) // box)


def solve_pipes(q: str) -> Fraction:
    values = [int(x) for x in nums(q)]
    rate = Fraction(1, values[0]) + Fraction(1, values[1]) - (Fraction(1, values[2]) if "drain" in q else 0)
    return 60 / rate


def solve_recipe(q: str) -> Fraction:
    grams, batches = int(nums(q)[0]), int(nums(q)[1])
    home = re.search(r"already has (\d+) grams", q)
    bag = Fraction(Decimal(re.search(r"([\d.]+)-kilogram bags", q)[1])) * 1000
    need = grams * batches - (int(home[1]) if home else 0)
    return Fraction(math.ceil(need / bag))


def solve_distance(q: str) -> Fraction:
    fast, m1, slow, m2 = nums(q)
    return fast * 1000 * m1 / 60 + slow * 1000 * m2 / 60


def solve_ratio(q: str) -> Fraction:
    m = re.search(r"the ratio of (.+?) to (.+?) is (\d+):(\d+), and there are (\d+) .+? in total\. Then (\d+) more", q)
    first, second, p, r, total, added = m[1], m[2], int(m[3]), int(m[4]), int(m[5]), int(m[6])
    (unit,) = [u for u in range(1, total + 1) if u * (p + r) == total]
    n_first, n_second = unit * p, unit * r + added
    if q.endswith(f"How many {second} are there now?"):
        return Fraction(n_second)
    if q.endswith(f"How many more {second} than {first} are there now?"):
        return Fraction(n_second - n_first)
    assert q.endswith(f"How many more {first} than {second} are there now?")
    return Fraction(n_first - n_second)


def solve_savings(q: str) -> Fraction:
    start, earn, spend, weeks, price = nums(q)
    return start + weeks * (earn - spend) - price


def solve_buses(q: str) -> Fraction:
    students, seats, adults = (int(x) for x in nums(q))
    buses = next(b for b in range(1, 1000) if b * seats >= students)
    return Fraction(buses * adults)


def solve_leftovers(q: str) -> Fraction:
    eggs, cracked, carton = (int(x) for x in nums(q))
    left = eggs - cracked
    while left >= carton:
        left -= carton
    return Fraction(left)


def solve_percent_change(q: str) -> Fraction:
    price, up, down = nums(q)
    return price * (1 + up / 100) * (1 - down / 100)


def solve_average(q: str) -> Fraction:
    values = nums(q)
    target = values[-1]
    count = int(values[-2])  # "all K tests"
    scores = values[: count - 1]
    assert len(scores) == int(values[count - 1])  # "the first K-1 tests"
    (need,) = [x for x in range(0, 101) if (sum(scores) + x) == target * count]
    return Fraction(need)


def solve_overtime(q: str) -> Fraction:
    values = nums(q)
    wage, hours = values[0], values[-5:]
    assert values[1:3] == [40, Fraction(3, 2)]
    total = sum(hours)
    return wage * min(total, 40) + wage * Fraction(3, 2) * max(total - 40, 0)


def solve_sharing(q: str) -> Fraction:
    made, eaten = (int(x) for x in nums(q)[:2])
    friends = int(nums(q)[-1])
    share = SHARES[re.search(r"gives (.+?) of the remaining", q)[1]]
    rest = (made - eaten) * (1 - share)
    return rest / friends


SOLVERS = {name.removeprefix("solve_"): fn for name, fn in globals().items() if name.startswith("solve_")}


@pytest.fixture(scope="module")
def items():
    return math_problems.generate(2026, 300)


def test_every_template_has_an_independent_solver():
    assert set(SOLVERS) == set(math_problems.TEMPLATES)


def test_every_answer_follows_from_the_question_text(items):
    wrong = []
    for item in items:
        got = SOLVERS[item.cluster](item.input["question"])
        if got != Fraction(Decimal(str(item.target))):
            wrong.append((item.id, item.input["question"], item.target, got))
    assert not wrong, wrong[:3]


def test_answers_are_exact_non_negative_numbers_with_2_to_6_steps(items):
    for item in items:
        assert isinstance(item.target, int) or re.fullmatch(r"\d+\.\d{1,2}", item.target), item.target
        assert Fraction(Decimal(str(item.target))) >= 0
        assert 2 <= item.meta["steps"] <= 6
        assert "{" not in item.input["question"] and "  " not in item.input["question"]
    decimals = [it for it in items if isinstance(it.target, str)]
    assert 20 <= len(decimals) < len(items) // 2  # money answers exist, most answers are whole numbers


def test_templates_are_balanced(items):
    counts = {}
    for item in items:
        counts[item.cluster] = counts.get(item.cluster, 0) + 1
    assert len(counts) == len(math_problems.TEMPLATES) >= 10
    assert max(counts.values()) - min(counts.values()) <= 1


def test_the_number_scorer_accepts_the_answer_and_rejects_a_near_miss(items):
    """The suite's scorer reads the final line the prompt asks for; a cent or one unit off is wrong."""
    from harness.suites.scorers import SCORERS

    score = SCORERS["number"]

    async def check():
        for item in items[:60]:
            right = ChatResponse(text=f"Step by step...\nThe answer is {item.target}")
            off = Fraction(Decimal(str(item.target))) + (Fraction(1, 100) if isinstance(item.target, str) else 1)
            wrong = ChatResponse(text=f"Working...\nThe answer is {float(off) if off.denominator > 1 else int(off)}")
            assert (await score(item, right, {})).correct, item
            assert not (await score(item, wrong, {})).correct, item

    asyncio.run(check())
