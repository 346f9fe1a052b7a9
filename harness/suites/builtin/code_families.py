"""The task families of builtin-code: what each asks, its parameter space, its test inputs, its reference.

A family is a parametrised specification. `draw` picks the parameters that make one item's specification
distinct (shift by 7 vs by 11, LRU vs FIFO, base 3 vs base 29); `describe` states it precisely; `inputs`
yields argument tuples, edge cases first; `solve(*args, **params)` is the reference implementation.
References are self-contained functions (their imports and helpers inside them) because the project's
tests run their source text, bound to an item's parameters, in the sandbox.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Family:
    """A parametrised task: `solve(*args, **params)` is the reference implementation."""

    name: str
    entry: str
    args: tuple[tuple[str, str], ...]  # (name, annotation)
    returns: str | Callable[[dict[str, Any]], str]  # the annotation, or a function of the parameters
    draw: Callable[[random.Random], dict[str, Any]]
    describe: Callable[[dict[str, Any]], str]
    inputs: Callable[[random.Random, dict[str, Any]], list[tuple]]
    solve: Callable[..., Any]


# --- random inputs ------------------------------------------------------------------------------------

_WORDS = (
    "apple river stone cloud lamp tiger quiet orbit maple delta cedar ember frost globe harbor ivory "
    "jungle kettle lemon meadow noble opal pepper quartz raven silver tundra umber velvet willow yonder "
    "zephyr arc bay cab den elm fig gap hut ink jam kit log mud nap oak pin rug sun top urn van web "
    "a an to of is it by we"
).split()


def _text(rng: random.Random, low: int = 0, high: int = 24, alphabet: str | None = None) -> str:
    alphabet = alphabet or string.ascii_letters + string.digits + " .,!?-"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def _sentence(rng: random.Random, low: int = 1, high: int = 9) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high)))


def _ints(rng: random.Random, low: int = 0, high: int = 12, lo: int = -20, hi: int = 40) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(rng.randint(low, high))]


def _ordinal(k: int) -> str:
    return {1: "", 2: "second ", 3: "third ", 4: "fourth ", 5: "fifth "}[k]


# --- string transforms --------------------------------------------------------------------------------


def _shift_letters(text, k, lower_only):
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(chr((ord(ch) - 97 + k) % 26 + 97))
        elif "A" <= ch <= "Z" and not lower_only:
            out.append(chr((ord(ch) - 65 + k) % 26 + 65))
        else:
            out.append(ch)
    return "".join(out)


def _places(k):
    return "1 place" if k == 1 else f"{k} places"


def _describe_shift(p):
    if p["lower_only"]:
        return (
            f"Shift every lowercase letter a-z forward by {_places(p['k'])} in the alphabet, wrapping around "
            f"from z to a. Every other character, uppercase letters included, stays unchanged."
        )
    return (
        f"Shift every English letter forward by {_places(p['k'])} in the alphabet, wrapping around from z to a "
        f"(and from Z to A), and keep each letter's case. Every other character stays unchanged."
    )


def _run_length(text, count_first, min_run):
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] == text[i]:
            j += 1
        run = j - i
        if run >= min_run:
            out.append(f"{run}{text[i]}" if count_first else f"{text[i]}{run}")
        else:
            out.append(text[i] * run)
        i = j
    return "".join(out)


def _describe_run_length(p):
    order = "its length followed by the letter" if p["count_first"] else "the letter followed by its length"
    example = "4a" if p["count_first"] else "a4"
    rule = (
        "Every run is encoded, including runs of length 1."
        if p["min_run"] == 1
        else f"Runs shorter than {p['min_run']} are copied unchanged."
    )
    return (
        f"The input contains only lowercase letters. Compress it run by run (a run is a maximal block of the "
        f"same letter): a run of length {p['min_run']} or more is written as {order} (so 'aaaa' becomes "
        f"'{example}'). {rule} The empty string gives the empty string."
    )


def _mask(text, keep, side, mask):
    if len(text) <= keep:
        return text
    if side == "last":
        return mask * (len(text) - keep) + text[len(text) - keep :]
    return text[:keep] + mask * (len(text) - keep)


def _describe_mask(p):
    return (
        f"Return the string with every character except the {p['side']} {p['keep']} replaced by "
        f"{p['mask']!r}. A string of length {p['keep']} or less is returned unchanged."
    )


def _word_rule(text, min_len, op):
    out = []
    for word in text.split(" ") if text else []:
        if len(word) < min_len:
            out.append(word)
        elif op == "reverse":
            out.append(word[::-1])
        elif op == "upper":
            out.append(word.upper())
        elif op == "length":
            out.append(str(len(word)))
    return " ".join(out)


_WORD_OPS = {
    "reverse": "reverse it",
    "upper": "write it in uppercase",
    "length": "replace it by its length written in decimal digits",
    "drop": "remove it",
}


def _describe_word_rule(p):
    return (
        f"The input is lowercase words separated by single spaces (or the empty string). For every word with "
        f"at least {p['min_len']} letters, {_WORD_OPS[p['op']]}; keep the other words as they are, in order. "
        f"Return the remaining words joined by single spaces."
    )


def _count_in_set(text, letters, ignore_case):
    if ignore_case:
        text = text.lower()
    return sum(1 for ch in text if ch in letters)


def _describe_count_in_set(p):
    listed = ", ".join(repr(c) for c in p["letters"])
    case = (
        " Uppercase letters count as their lowercase form."
        if p["ignore_case"]
        else " The check is case-sensitive: uppercase letters never count."
    )
    return f"Return how many characters of the string are one of the letters {listed}.{case}"


def _chunk_reverse(text, size, which):
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    out = []
    for index, chunk in enumerate(chunks):
        flip = which == "all" or (which == "odd" and index % 2 == 0) or (which == "even" and index % 2 == 1)
        out.append(chunk[::-1] if flip else chunk)
    return "".join(out)


def _describe_chunk_reverse(p):
    which = {
        "all": "every chunk",
        "odd": "the 1st, 3rd, 5th... chunks (counting from 1) and leave the others as they are",
        "even": "the 2nd, 4th, 6th... chunks (counting from 1) and leave the others as they are",
    }[p["which"]]
    return (
        f"Cut the string into consecutive chunks of {p['size']} characters (the last chunk may be shorter), "
        f"reverse {which}, and return the chunks joined back together."
    )


# --- list algorithms ----------------------------------------------------------------------------------


def _rotate(items, k, direction):
    if not items:
        return []
    shift = k % len(items)
    if direction == "right":
        shift = (len(items) - shift) % len(items)
    return items[shift:] + items[:shift]


def _describe_rotate(p):
    example = "[2, 3, 1]" if p["direction"] == "left" else "[3, 1, 2]"
    return (
        f"Return a new list: the input list rotated to the {p['direction']} by {p['k']} position"
        f"{'s' if p['k'] > 1 else ''} (rotating [1, 2, 3] to the {p['direction']} by 1 gives {example}). "
        f"Rotating by the list's length gives the same list; an empty list gives an empty list."
    )


def _windows(items, size, mode, op):
    if mode == "sliding":
        groups = [items[i : i + size] for i in range(len(items) - size + 1)]
    else:
        groups = [items[i : i + size] for i in range(0, len(items), size)]
        if mode == "drop" and groups and len(groups[-1]) < size:
            groups.pop()
    return [sum(g) if op == "sum" else max(g) for g in groups]


def _describe_windows(p):
    what = "sum" if p["op"] == "sum" else "maximum"
    if p["mode"] == "sliding":
        return (
            f"Return a list with the {what} of every window of {p['size']} consecutive elements, from left to "
            f"right (windows overlap). A list shorter than {p['size']} gives []."
        )
    tail = (
        "a last, shorter chunk is included"
        if p["mode"] == "keep"
        else "a last chunk with fewer than the full number of elements is ignored"
    )
    return (
        f"Cut the list into consecutive, non-overlapping chunks of {p['size']} elements from the left; "
        f"{tail}. Return a list with the {what} of each chunk, in order."
    )


def _kth_distinct(items, k, largest):
    values = sorted(set(items), reverse=largest)
    return values[k - 1] if len(values) >= k else None


def _describe_kth_distinct(p):
    which = "largest" if p["largest"] else "smallest"
    return (
        f"Return the {_ordinal(p['k'])}{which} distinct value in the list (repeated values count once), or "
        f"None if the list has fewer than {p['k']} distinct value{'s' if p['k'] > 1 else ''}."
    )


def _longest_run(items, relation, want):
    def ok(a, b):
        return {"gt": b > a, "ge": b >= a, "lt": b < a, "eq": b == a}[relation]

    best_start, best_len, start = 0, 0, 0
    for i in range(len(items)):
        if i > 0 and not ok(items[i - 1], items[i]):
            start = i
        if i - start + 1 > best_len:
            best_start, best_len = start, i - start + 1
    return best_len if want == "length" else items[best_start : best_start + best_len]


_RELATIONS = {
    "gt": "strictly greater than",
    "ge": "greater than or equal to",
    "lt": "strictly less than",
    "eq": "equal to",
}


def _describe_longest_run(p):
    run = (
        f"a run is a block of consecutive positions where every element is {_RELATIONS[p['relation']]} the "
        f"element just before it; a single element is a run of length 1"
    )
    if p["want"] == "length":
        return f"Return the length of the longest run in the list ({run}). An empty list gives 0."
    return (
        f"Return the longest run in the list as a new list ({run}). If several runs are equally long, return "
        f"the leftmost. An empty list gives []."
    )


def _select_scale(items, modulus, remainder, factor):
    return [x * factor for x in items if x % modulus == remainder]


def _describe_select_scale(p):
    scale = "" if p["factor"] == 1 else f", multiplied by {p['factor']}"
    return (
        f"Return a list of the elements x whose remainder x % {p['modulus']} (Python's % operator, which is "
        f"never negative here) equals {p['remainder']}, in their original order{scale}."
    )


def _count_pairs(items, rule, value):
    count = 0
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if rule == "sum" and (items[i] + items[j]) % value == 0:
                count += 1
            elif rule == "diff" and abs(items[i] - items[j]) == value:
                count += 1
    return count


def _describe_count_pairs(p):
    cond = (
        f"items[i] + items[j] is divisible by {p['value']}"
        if p["rule"] == "sum"
        else f"the absolute difference between items[i] and items[j] is exactly {p['value']}"
    )
    return f"Return the number of index pairs (i, j) with i < j such that {cond}."


def _merge_intervals(intervals, touching, want):
    merged = []
    for start, end in sorted(intervals):
        if merged and (start < merged[-1][1] or (touching and start == merged[-1][1])):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged if want == "merged" else sum(end - start for start, end in merged)


def _describe_merge_intervals(p):
    touch = (
        "Intervals that overlap or merely touch (like [1, 3] and [3, 5]) merge into one."
        if p["touching"]
        else "Intervals that overlap merge into one; intervals that merely touch (like [1, 3] and [3, 5]) stay separate."
    )
    want = (
        "Return the merged intervals as a list of [start, end] lists sorted by start."
        if p["want"] == "merged"
        else "Return the total length covered by the merged intervals (the sum of end - start)."
    )
    return f"The input is a list of [start, end] integer pairs with start <= end, in any order. {touch} {want}"


# --- number theory ------------------------------------------------------------------------------------


def _digit_stat(n, base, stat):
    digits = []
    while True:
        n, d = divmod(n, base)
        digits.append(d)
        if n == 0:
            break
    if stat == "sum":
        return sum(digits)
    if stat == "nonzero":
        return sum(1 for d in digits if d)
    return max(digits)


def _describe_digit_stat(p):
    what = {
        "sum": "the sum of its digits",
        "nonzero": "how many of its digits are not zero",
        "max": "its largest digit",
    }[p["stat"]]
    return (
        f"Write the non-negative integer n in base {p['base']} and return {what}, each digit being a number "
        f"from 0 to {p['base'] - 1}. The number 0 is written as the single digit 0."
    )


def _count_divisible(n, a, b, rule):
    total = 0
    for x in range(1, n + 1):
        da, db = x % a == 0, x % b == 0
        if (rule == "or" and (da or db)) or (rule == "and" and da and db) or (rule == "only" and da and not db):
            total += 1
    return total


def _describe_count_divisible(p):
    cond = {
        "or": f"divisible by {p['a']} or by {p['b']} (or both)",
        "and": f"divisible by both {p['a']} and {p['b']}",
        "only": f"divisible by {p['a']} but not by {p['b']}",
    }[p["rule"]]
    return f"Return how many integers x with 1 <= x <= n are {cond}. For n < 1 the answer is 0."


def _reduce_steps(n, divisor, fallback):
    steps = 0
    while n != 1:
        n = n // divisor if n % divisor == 0 else n + fallback
        steps += 1
    return steps


def _describe_reduce_steps(p):
    other = "add 1 to it" if p["fallback"] == 1 else "subtract 1 from it"
    return (
        f"Start from the integer n >= 1 and repeat until n equals 1: if n is divisible by {p['divisor']}, divide "
        f"it by {p['divisor']}; otherwise {other}. Return the number of operations performed (0 for n = 1)."
    )


def _prime_filter(n, rule, value):
    def is_prime(x):
        if x < 2:
            return False
        f = 2
        while f * f <= x:
            if x % f == 0:
                return False
            f += 1
        return True

    out = []
    for p in range(2, n + 1):
        if is_prime(p) and (is_prime(p + value) if rule == "gap" else p % 10 in value):
            out.append(p)
    return out


def _describe_prime_filter(p):
    if p["rule"] == "gap":
        cond = f"p + {p['value']} is also prime"
    else:
        cond = "the last decimal digit of p is " + " or ".join(map(str, p["value"]))
    return f"Return the ascending list of all primes p <= n such that {cond}. For n < 2 return []."


def _coprime_count(n, m):
    def gcd(a, b):
        while b:
            a, b = b, a % b
        return a

    return sum(1 for x in range(1, n + 1) if gcd(x, m) == 1)


def _describe_coprime_count(p):
    return (
        f"Return how many integers x with 1 <= x <= n have no common divisor greater than 1 with {p['m']}. "
        f"For n < 1 the answer is 0."
    )


def _to_base(n, base, upper):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if upper:
        digits = digits.upper()
    out = ""
    while True:
        n, d = divmod(n, base)
        out = digits[d] + out
        if n == 0:
            return out


def _describe_to_base(p):
    case = "uppercase" if p["upper"] else "lowercase"
    a, b = ("A", "B") if p["upper"] else ("a", "b")
    letters = f", then the {case} letters {a}, {b}, ... for the digit values 10, 11, ..." if p["base"] > 10 else ""
    return (
        f"Return the base-{p['base']} representation of the non-negative integer n as a string, using the "
        f"digits 0-9{letters}, with no prefix and no leading zeros (0 gives '0')."
    )


# --- parsing ------------------------------------------------------------------------------------------


def _parse_pairs(text, sep, delim, keep):
    out = {}
    for part in text.split(delim) if text else []:
        key, value = part.split(sep, 1)
        if value.lstrip("-").isdigit() and value.count("-") <= int(value.startswith("-")):
            value = int(value)
        if keep == "last" or key not in out:
            out[key] = value
    return out


def _describe_parse_pairs(p):
    return (
        f"Parse text such as 'a{p['sep']}1{p['delim']}name{p['sep']}bob' into a dict. Pairs are separated by "
        f"{p['delim']!r} and each pair is key{p['sep']}value (keys and values never contain {p['delim']!r}, "
        f"keys never contain {p['sep']!r}). A value made only of decimal digits, optionally after one leading "
        f"'-', becomes an int; other values stay strings. If a key repeats, the {p['keep']} occurrence wins. "
        f"The empty string gives {{}}."
    )


_UNIT_NAMES = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def _duration(text, units, out_unit):
    sizes = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    total, number = 0, ""
    for ch in text:
        if ch.isdigit():
            number += ch
        else:
            total += int(number) * sizes[ch]
            number = ""
    return total // sizes[out_unit]


def _describe_duration(p):
    parts = ", ".join(f"{u} ({_UNIT_NAMES[u]})" for u in p["units"])
    rounding = "" if p["out_unit"] == p["units"][-1] else ", rounded down"
    return (
        f"Parse a duration such as '{''.join(str(i + 1) + u for i, u in enumerate(p['units']))}' and return "
        f"its length in whole {_UNIT_NAMES[p['out_unit']]}{rounding}. The units are {parts}; each unit appears "
        f"at most once, in that order, always after a non-negative integer. The empty string is 0."
    )


def _rpn(expr, ops, division):
    stack = []
    for token in expr.split():
        if len(token) == 1 and token in ops:
            b, a = stack.pop(), stack.pop()
            if token == "+":
                stack.append(a + b)
            elif token == "-":
                stack.append(a - b)
            elif token == "*":
                stack.append(a * b)
            elif token == "^":
                stack.append(a**b)
            elif division == "floor":
                stack.append(a // b)
            else:
                q = abs(a) // abs(b)
                stack.append(q if (a >= 0) == (b >= 0) else -q)
        else:
            stack.append(int(token))
    return stack[0]


def _describe_rpn(p):
    ops = ", ".join(repr(o) for o in p["ops"])
    text = (
        f"Evaluate an integer expression in reverse Polish notation and return its value. Tokens are separated "
        f"by single spaces; a token is an integer (possibly negative, like '-3') or one of the operators {ops}, "
        f"which pops b, then a, and pushes a op b. The expression is always valid."
    )
    if "/" in p["ops"]:
        rule = (
            "rounds down toward negative infinity (like Python's //)"
            if p["division"] == "floor"
            else "truncates toward zero (7 / -2 is -3)"
        )
        text += f" '/' is integer division that {rule}; the divisor is never 0."
    if "^" in p["ops"]:
        text += " '^' is exponentiation (a to the power b, with b >= 0)."
    return text


def _roman(value, direction, subtractive):
    pairs = [(1000, "M"), (500, "D"), (100, "C"), (50, "L"), (10, "X"), (5, "V"), (1, "I")]
    if subtractive:
        pairs = [
            (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
        ]  # fmt: skip
    if direction == "to":
        out = ""
        for size, letters in pairs:
            while value >= size:
                out += letters
                value -= size
        return out
    sizes = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, ch in enumerate(value):
        if subtractive and i + 1 < len(value) and sizes[value[i + 1]] > sizes[ch]:
            total -= sizes[ch]
        else:
            total += sizes[ch]
    return total


def _describe_roman(p):
    style = (
        "standard subtractive form (4 is IV, 9 is IX, 40 is XL, 90 is XC, 400 is CD, 900 is CM)"
        if p["subtractive"]
        else "purely additive form, with no subtraction (4 is IIII, 9 is VIIII, 40 is XXXX, 900 is DCCCC)"
    )
    if p["direction"] == "to":
        return f"Convert an integer 1 <= value <= 3999 to a Roman numeral string in {style}."
    return f"Convert a valid Roman numeral string written in {style} to its integer value."


def _version_order(a, b, sep, want):
    def key(v):
        parts = [int(x) for x in v.split(sep)]
        while parts and parts[-1] == 0:
            parts.pop()
        return parts

    if want == "compare":
        return (key(a) > key(b)) - (key(a) < key(b))
    return sorted(a, key=key)


def _describe_version_order(p):
    rule = (
        f"Versions are non-negative integers separated by {p['sep']!r} and compare component by component as "
        f"numbers, with missing components counting as 0 (so '1{p['sep']}2' equals '1{p['sep']}2{p['sep']}0' "
        f"and '1{p['sep']}10' is greater than '1{p['sep']}9')."
    )
    if p["want"] == "compare":
        return f"{rule} Return -1 if version a is lower than version b, 0 if they are equal and 1 if it is higher."
    return f"{rule} Return a new list of the versions sorted from lowest to highest; equal versions keep their order."


def _tally(text, delim, want):
    totals = {}
    for line in text.split("\n"):
        if line.strip():
            name, points = line.split(delim)
            totals[name] = totals.get(name, 0) + int(points)
    if want == "totals":
        return totals
    if not totals:
        return None
    best = max(totals.values())
    return min(name for name, value in totals.items() if value == best)


def _describe_tally(p):
    base = (
        f"The input has one record per line: a name, then {p['delim']!r}, then an integer number of points "
        f"(which may be negative). Blank lines are ignored."
    )
    if p["want"] == "totals":
        return f"{base} Return a dict mapping each name to the sum of its points."
    return (
        f"{base} Return the name with the highest total number of points; on a tie return the alphabetically "
        f"first of the tied names. Return None if there are no records."
    )


# --- small data structures ----------------------------------------------------------------------------


def _stack_machine(commands, ops, on_error):
    stack = []
    for command in commands:
        op, *arg = command.split()
        need = {"push": 0, "pop": 1, "dup": 1, "add": 2, "mul": 2, "swap": 2, "sub": 2}[op]
        if len(stack) < need:
            if on_error == "fail":
                return None
            continue
        if op == "push":
            stack.append(int(arg[0]))
        elif op == "pop":
            stack.pop()
        elif op == "dup":
            stack.append(stack[-1])
        elif op == "swap":
            stack[-1], stack[-2] = stack[-2], stack[-1]
        else:
            b, a = stack.pop(), stack.pop()
            stack.append(a + b if op == "add" else a * b if op == "mul" else a - b)
    return stack


_STACK_OPS = {
    "pop": "'pop' removes the top value",
    "dup": "'dup' pushes a copy of the top value",
    "add": "'add' pops b then a and pushes a + b",
    "mul": "'mul' pops b then a and pushes a * b",
    "sub": "'sub' pops b then a and pushes a - b",
    "swap": "'swap' exchanges the top two values",
}


def _describe_stack_machine(p):
    ops = "; ".join(["'push X' pushes the integer X"] + [_STACK_OPS[o] for o in p["ops"]])
    error = (
        "If a command needs more values than the stack holds, return None immediately."
        if p["on_error"] == "fail"
        else "A command that needs more values than the stack holds is skipped (ignored)."
    )
    return (
        f"Run a list of commands on an initially empty stack of integers and return the final stack as a list "
        f"(bottom first). The commands are: {ops}. {error}"
    )


def _brackets(text, pairs, want):
    opening = {pair[0]: pair[1] for pair in pairs}
    closing = {pair[1] for pair in pairs}
    stack, depth = [], 0
    for ch in text:
        if ch in opening:
            stack.append(opening[ch])
            depth = max(depth, len(stack))
        elif ch in closing:
            if not stack or stack.pop() != ch:
                return False if want == "balanced" else -1
    if want == "balanced":
        return not stack
    return depth if not stack else -1


def _describe_brackets(p):
    kinds = " ".join(p["pairs"])
    base = (
        f"Only the bracket pairs {kinds} matter; every other character is ignored. The brackets are balanced "
        f"when every opening bracket is closed by its own kind in the right (nested) order."
    )
    if p["want"] == "balanced":
        return f"{base} Return True if the string's brackets are balanced, otherwise False."
    return (
        f"{base} If they are balanced return the maximum nesting depth (0 when there are no brackets), "
        f"otherwise return -1."
    )


def _cache(accesses, capacity, policy, want):
    cache, hits = [], 0
    for key in accesses:
        if key in cache:
            hits += 1
            if policy == "lru":
                cache.remove(key)
                cache.append(key)
            continue
        if len(cache) == capacity:
            cache.pop(0)
        cache.append(key)
    return hits if want == "hits" else len(accesses) - hits


def _describe_cache(p):
    evict = (
        "the least recently used key (a hit counts as a use)"
        if p["policy"] == "lru"
        else "the key that entered the cache earliest (hits do not change the order)"
    )
    return (
        f"Simulate a cache that holds at most {p['capacity']} key{'s' if p['capacity'] > 1 else ''}, starting "
        f"empty, over a sequence of key accesses. An access to a key in the cache is a hit; otherwise it is a "
        f"miss and the key is added, first evicting {evict} if the cache is full. Return the number of "
        f"{p['want']}."
    )


def _grid(grid, op):
    if not grid:
        return []
    if op == "cw":
        return [list(row) for row in zip(*grid[::-1], strict=True)]
    if op == "ccw":
        return [list(row) for row in zip(*grid, strict=True)][::-1]
    if op == "half":
        return [row[::-1] for row in grid[::-1]]
    if op == "transpose":
        return [list(row) for row in zip(*grid, strict=True)]
    if op == "mirror":
        return [row[::-1] for row in grid]
    if op == "flip":
        return [list(row) for row in grid[::-1]]
    out, rows = [], [list(row) for row in grid]
    while rows:
        out += rows.pop(0)
        rows = [list(row) for row in zip(*rows, strict=True)][::-1]
    return out


_GRID_OPS = {
    "cw": "the grid rotated 90 degrees clockwise, as a new list of lists",
    "ccw": "the grid rotated 90 degrees counterclockwise, as a new list of lists",
    "half": "the grid rotated 180 degrees, as a new list of lists",
    "transpose": "the transpose of the grid (rows become columns), as a new list of lists",
    "mirror": "the grid with every row reversed (a left-right mirror image), as a new list of lists",
    "flip": "the grid with the order of its rows reversed (an upside-down image), as a new list of lists",
    "spiral": (
        "a flat list of the grid's values in clockwise spiral order, starting at the top-left corner and going "
        "right along the first row"
    ),
}


def _describe_grid(p):
    return (
        f"The input is a rectangular grid given as a list of rows (lists of integers), possibly empty ([]). "
        f"Return {_GRID_OPS[p['op']]}. An empty grid gives []."
    )


def _top_words(text, k, ignore_case):
    counts = {}
    for word in text.split():
        word = word.lower() if ignore_case else word
        counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))[:k]


def _describe_top_words(p):
    case = (
        "Words are compared case-insensitively and returned in lowercase."
        if p["ignore_case"]
        else "Words are case-sensitive ('Oak' and 'oak' are different words)."
    )
    if p["k"] == 1:
        return (
            f"Words are separated by whitespace. Return a list holding the single most frequent word; if several "
            f"words are equally frequent, take the alphabetically first (by Python string comparison). {case} "
            f"Text with no words gives []."
        )
    return (
        f"Words are separated by whitespace. Return a list of the {p['k']} most frequent words, most frequent "
        f"first; words with equal counts are ordered alphabetically (by Python string comparison). {case} If "
        f"there are fewer than {p['k']} distinct words, return them all."
    )


def _group_words(words, key, unique):
    groups = {}
    for word in words:
        k = word[0] if key == "first" else word[-1] if key == "last" else len(word)
        group = groups.setdefault(k, [])
        if not unique or word not in group:
            group.append(word)
    return groups


def _describe_group_words(p):
    key = {"first": "its first letter", "last": "its last letter", "length": "its length (an int)"}[p["key"]]
    dup = (
        " A word that repeats appears only once in its group."
        if p["unique"]
        else " Repeated words appear as often as they occur."
    )
    return (
        f"The input is a list of non-empty lowercase words. Return a dict that maps each key to the list of "
        f"words with that key, in their original order, where a word's key is {key}.{dup}"
    )


# --- task inputs --------------------------------------------------------------------------------------


def _lower_runs(rng):
    return "".join(rng.choice("abcz") * rng.choice([1, 1, 2, 3, 4, 5, 7]) for _ in range(rng.randint(1, 7)))


def _rpn_expr(rng, ops, division):
    def build(depth):
        if depth == 0 or rng.random() < 0.3:
            return [str(rng.randint(-9, 20))]
        op = rng.choice(ops)
        if op == "^":
            return build(depth - 1) + [str(rng.randint(0, 3))] + ["^"]
        right = build(depth - 1)
        if op == "/" and _rpn(" ".join(right), ops, division) == 0:
            right = [str(rng.choice([-3, -2, 2, 3, 5]))]
        return build(depth - 1) + right + [op]

    return " ".join(build(rng.randint(1, 3)))


def _versions(rng, sep):
    return sep.join(str(rng.choice([0, 0, 1, 2, 3, 9, 10, 12])) for _ in range(rng.randint(1, 4)))


def _roman_inputs(rng, p):
    values = [1, 4, 9, 14, 40, 90, 400, 1994, 3999] + [rng.randint(1, 3999) for _ in range(5)]
    if p["direction"] == "to":
        return [(v,) for v in values]
    return [(_roman(v, "to", p["subtractive"]),) for v in values]


def _pairs_text(rng, p):
    keys = rng.sample(["a", "b", "id", "name", "x", "size", "mode", "k2"], rng.randint(1, 5))
    keys += [rng.choice(keys) for _ in range(rng.randint(0, 2))]
    values = [rng.choice([str(rng.randint(-50, 999)), rng.choice(_WORDS), "-", "007", "1-2"]) for _ in keys]
    return p["delim"].join(f"{k}{p['sep']}{v}" for k, v in zip(keys, values, strict=True))


def _duration_text(rng, p):
    chosen = [u for u in p["units"] if rng.random() < 0.7]
    return "".join(f"{rng.randint(0, 59)}{u}" for u in chosen)


def _tally_text(rng, p):
    names = rng.sample(["ana", "ben", "cy", "dev", "eli", "fay"], rng.randint(1, 4))
    lines = [f"{rng.choice(names)}{p['delim']}{rng.randint(-5, 30)}" for _ in range(rng.randint(1, 8))]
    if rng.random() < 0.4:
        lines.insert(rng.randint(0, len(lines)), "")
    return "\n".join(lines)


def _commands(rng, p):
    """Half the sequences never run short of values (so 'fail' variants do not always give None)."""
    need = {"push": 0, "pop": 1, "dup": 1, "add": 2, "mul": 2, "sub": 2, "swap": 2}
    effect = {"push": 1, "pop": -1, "dup": 1, "add": -1, "mul": -1, "sub": -1, "swap": 0}
    safe, depth, out = rng.random() < 0.5, 0, []
    for _ in range(rng.randint(1, 9)):
        op = rng.choice(["push", "push"] + [o for o in p["ops"] if not safe or need[o] <= depth])
        out.append(f"push {rng.randint(-9, 9)}" if op == "push" else op)
        if need[op] <= depth:
            depth += effect[op]
    return out


def _bracket_text(rng, p, damaged):
    """A balanced string with 1-5 bracket pairs; `damaged` removes one bracket, which always unbalances it."""
    out = ""
    for _ in range(rng.randint(1, 5)):
        pair = rng.choice(p["pairs"])
        out = rng.choice([pair[0] + out + pair[1], out + pair, rng.choice("ab ") + out + pair])
    if damaged:
        spots = [i for i, ch in enumerate(out) if ch not in "ab "]
        cut = rng.choice(spots)
        out = out[:cut] + out[cut + 1 :]
    return out


def _interval_inputs(rng, p):
    fixed = [([],), ([[1, 3], [3, 5]],), ([[4, 4]],)]
    return fixed + [([sorted([rng.randint(0, 20), rng.randint(0, 20)]) for _ in range(rng.randint(1, 6))],) for _ in range(9)]


def _grid_value(rng):
    rows, cols = rng.randint(1, 4), rng.randint(1, 4)
    return [[rng.randint(0, 9) for _ in range(cols)] for _ in range(rows)]


# --- the families -------------------------------------------------------------------------------------

_S = (("text", "str"),)
_L = (("items", "list[int]"),)
_N = (("n", "int"),)

FAMILIES: tuple[Family, ...] = (
    Family(
        "shift_letters", "shift_letters", _S, "str",
        lambda r: {"k": r.randint(1, 25), "lower_only": r.random() < 0.5},
        _describe_shift,
        lambda r, p: [("",), ("xyz XYZ",)] + [(_text(r, 1, 30),) for _ in range(10)],
        _shift_letters,
    ),
    Family(
        "run_length", "compress_runs", _S, "str",
        lambda r: {"count_first": r.random() < 0.5, "min_run": r.randint(1, 4)},
        _describe_run_length,
        lambda r, p: [("",), ("a",), ("abc",)] + [(_lower_runs(r),) for _ in range(9)],
        _run_length,
    ),
    Family(
        "mask", "mask_string", _S, "str",
        lambda r: {"keep": r.randint(1, 6), "side": r.choice(["first", "last"]), "mask": r.choice("*#x-")},
        _describe_mask,
        lambda r, p: [("",), ("a" * p["keep"],)] + [(_text(r, 1, 18),) for _ in range(10)],
        _mask,
    ),
    Family(
        "word_rule", "transform_words", _S, "str",
        lambda r: {"min_len": r.randint(2, 7), "op": r.choice(list(_WORD_OPS))},
        _describe_word_rule,
        lambda r, p: [("",), ("a",)] + [(_sentence(r),) for _ in range(10)],
        _word_rule,
    ),
    Family(
        "count_in_set", "count_letters", _S, "int",
        lambda r: {"letters": "".join(sorted(r.sample(string.ascii_lowercase, r.randint(2, 6)))),
                   "ignore_case": r.random() < 0.5},
        _describe_count_in_set,
        lambda r, p: [("",), (p["letters"].upper() + p["letters"],)]
        + [(_text(r, 1, 30, (p["letters"] + p["letters"].upper()) * 3 + string.ascii_letters + " "),) for _ in range(10)],
        _count_in_set,
    ),
    Family(
        "chunk_reverse", "reverse_chunks", _S, "str",
        lambda r: {"size": r.randint(2, 8), "which": r.choice(["all", "odd", "even"])},
        _describe_chunk_reverse,
        lambda r, p: [("",), ("abcdefghijklmnopq",)] + [(_text(r, 1, 26, string.ascii_lowercase),) for _ in range(10)],
        _chunk_reverse,
    ),
    Family(
        "rotate", "rotate", _L, "list[int]",
        lambda r: {"k": r.randint(1, 9), "direction": r.choice(["left", "right"])},
        _describe_rotate,
        lambda r, p: [([],), ([5],), (list(range(p["k"])),)] + [(_ints(r, 1, 12),) for _ in range(9)],
        _rotate,
    ),
    Family(
        "windows", "window_values", _L, "list[int]",
        lambda r: {"size": r.randint(2, 6), "mode": r.choice(["sliding", "keep", "drop"]),
                   "op": r.choice(["sum", "max"])},
        _describe_windows,
        lambda r, p: [([],), ([7] * (p["size"] - 1),), (list(range(p["size"] * 2 + 1)),)]
        + [(_ints(r, 1, 14),) for _ in range(9)],
        _windows,
    ),
    Family(
        "kth_distinct", "kth_distinct", _L, "int | None",
        lambda r: {"k": r.randint(1, 5), "largest": r.random() < 0.5},
        _describe_kth_distinct,
        lambda r, p: [([],), ([3] * 6,), (list(range(p["k"], 0, -1)) * 2,)]
        + [(_ints(r, 1, 12, -5, 8),) for _ in range(9)],
        _kth_distinct,
    ),
    Family(
        "longest_run_length", "longest_run_length", _L, "int",
        lambda r: {"relation": r.choice(list(_RELATIONS)), "want": "length"},
        _describe_longest_run,
        lambda r, p: [([],), ([4],), ([1, 1, 2, 3, 3, 2, 1, 0, 0, 5],)] + [(_ints(r, 1, 14, 0, 6),) for _ in range(9)],
        _longest_run,
    ),
    Family(
        "longest_run", "longest_run", _L, "list[int]",
        lambda r: {"relation": r.choice(list(_RELATIONS)), "want": "run"},
        _describe_longest_run,
        lambda r, p: [([],), ([4],), ([1, 1, 2, 3, 3, 2, 1, 0, 0, 5],)] + [(_ints(r, 1, 14, 0, 6),) for _ in range(9)],
        _longest_run,
    ),
    Family(
        "select_scale", "select_scale", _L, "list[int]",
        lambda r: (lambda m: {"modulus": m, "remainder": r.randrange(m), "factor": r.randint(1, 5)})(r.randint(2, 7)),
        _describe_select_scale,
        lambda r, p: [([],), (list(range(-p["modulus"], p["modulus"] + 1)),)] + [(_ints(r, 1, 14),) for _ in range(10)],
        _select_scale,
    ),
    Family(
        "count_pairs", "count_pairs", _L, "int",
        lambda r: (lambda rule: {"rule": rule, "value": r.randint(2, 9) if rule == "sum" else r.randint(0, 9)})(
            r.choice(["sum", "diff"])
        ),
        _describe_count_pairs,
        lambda r, p: [([],), ([1],), ([2, 2, 2, 2],)] + [(_ints(r, 2, 12, -10, 12),) for _ in range(9)],
        _count_pairs,
    ),
    Family(
        "merge_intervals", "merge_intervals", (("intervals", "list[list[int]]"),), "list[list[int]]",
        lambda r: {"touching": r.random() < 0.5, "want": "merged"},
        _describe_merge_intervals,
        _interval_inputs,
        _merge_intervals,
    ),
    Family(
        "covered_length", "covered_length", (("intervals", "list[list[int]]"),), "int",
        lambda r: {"touching": r.random() < 0.5, "want": "length"},
        _describe_merge_intervals,
        _interval_inputs,
        _merge_intervals,
    ),
    Family(
        "digit_stat", "digit_stat", _N, "int",
        lambda r: {"base": r.randint(2, 16), "stat": r.choice(["sum", "nonzero", "max"])},
        _describe_digit_stat,
        lambda r, p: [(0,), (1,), (p["base"],), (p["base"] ** 3 - 1,)]
        + [(r.randint(2, p["base"] ** r.randint(1, 6)),) for _ in range(8)],
        _digit_stat,
    ),
    Family(
        "count_divisible", "count_divisible", _N, "int",
        lambda r: (lambda a, b: {"a": a, "b": b, "rule": r.choice(["or", "and", "only"])})(*r.sample(range(2, 13), 2)),
        _describe_count_divisible,
        lambda r, p: [(0,), (1,), (p["a"] * p["b"],)] + [(r.randint(2, 5000),) for _ in range(9)],
        _count_divisible,
    ),
    Family(
        "reduce_steps", "reduce_steps", _N, "int",
        lambda r: {"divisor": r.randint(2, 9), "fallback": r.choice([1, -1])},
        _describe_reduce_steps,
        lambda r, p: [(1,), (2,), (p["divisor"],)] + [(r.randint(3, 10**5),) for _ in range(9)],
        _reduce_steps,
    ),
    Family(
        "prime_filter", "primes_where", _N, "list[int]",
        lambda r: {"rule": "gap", "value": r.choice([2, 4, 6, 8, 10, 12, 14])}
        if r.random() < 0.4
        else {"rule": "digit", "value": sorted(r.sample([1, 3, 7, 9], r.randint(1, 3)))},
        _describe_prime_filter,
        lambda r, p: [(0,), (2,), (10,)] + [(r.randint(3, 400),) for _ in range(9)],
        _prime_filter,
    ),
    Family(
        "coprime_count", "count_coprime", _N, "int",
        lambda r: {"m": r.randint(2, 90)},
        _describe_coprime_count,
        lambda r, p: [(0,), (1,), (p["m"],)] + [(r.randint(2, 3000),) for _ in range(9)],
        _coprime_count,
    ),
    Family(
        "to_base", "to_base", _N, "str",
        lambda r: {"base": r.choice([b for b in range(2, 37) if b != 10]), "upper": r.random() < 0.5},
        _describe_to_base,
        lambda r, p: [(0,), (p["base"] - 1,), (p["base"],)] + [(r.randint(1, 10**7),) for _ in range(9)],
        _to_base,
    ),
    Family(
        "parse_pairs", "parse_pairs", _S, "dict",
        lambda r: {"sep": r.choice("=:"), "delim": r.choice(";,&|"), "keep": r.choice(["first", "last"])},
        _describe_parse_pairs,
        lambda r, p: [("",)] + [(_pairs_text(r, p),) for _ in range(11)],
        _parse_pairs,
    ),
    Family(
        "duration", "parse_duration", _S, "int",
        lambda r: (lambda units: {"units": units, "out_unit": r.choice(units[-2:])})(
            r.choice(["dhms", "hms", "wdhm", "dhm", "wd"])
        ),
        _describe_duration,
        lambda r, p: [("",)] + [(_duration_text(r, p),) for _ in range(11)],
        _duration,
    ),
    Family(
        "rpn", "eval_rpn", (("expr", "str"),), "int",
        lambda r: {"ops": r.choice(["+-*", "+-*/", "+-*^", "+-*/^", "+*/"]), "division": r.choice(["floor", "trunc"])},
        _describe_rpn,
        lambda r, p: [("7",), (f"-3 4 {p['ops'][0]}",)] + [(_rpn_expr(r, p["ops"], p["division"]),) for _ in range(10)],
        _rpn,
    ),
    Family(
        "to_roman", "to_roman", (("value", "int"),), "str",
        lambda r: {"direction": "to", "subtractive": r.random() < 0.5},
        _describe_roman,
        _roman_inputs,
        _roman,
    ),
    Family(
        "from_roman", "from_roman", (("numeral", "str"),), "int",
        lambda r: {"direction": "from", "subtractive": r.random() < 0.5},
        _describe_roman,
        _roman_inputs,
        _roman,
    ),
    Family(
        "version_compare", "compare_versions", (("a", "str"), ("b", "str")), "int",
        lambda r: {"sep": r.choice(".-_"), "want": "compare"},
        _describe_version_order,
        lambda r, p: [("1", "1" + p["sep"] + "0"), ("1" + p["sep"] + "10", "1" + p["sep"] + "9")]
        + [(_versions(r, p["sep"]), _versions(r, p["sep"])) for _ in range(10)],
        _version_order,
    ),
    Family(
        "version_sort", "sort_versions", (("versions", "list[str]"),), "list[str]",
        lambda r: {"sep": r.choice(".-_"), "b": None, "want": "sort"},
        _describe_version_order,
        lambda r, p: [([],), (["2", "10", "1" + p["sep"] + "0", "1"],)]
        + [([_versions(r, p["sep"]) for _ in range(r.randint(1, 6))],) for _ in range(10)],
        _version_order,
    ),
    Family(
        "tally_totals", "tally_points", _S, "dict[str, int]",
        lambda r: {"delim": r.choice([",", ";", ":", "\t"]), "want": "totals"},
        _describe_tally,
        lambda r, p: [("",)] + [(_tally_text(r, p),) for _ in range(11)],
        _tally,
    ),
    Family(
        "tally_winner", "top_scorer", _S, "str | None",
        lambda r: {"delim": r.choice([",", ";", ":", "\t"]), "want": "winner"},
        _describe_tally,
        lambda r, p: [("",)] + [(_tally_text(r, p),) for _ in range(11)],
        _tally,
    ),
    Family(
        "stack_machine", "run_stack", (("commands", "list[str]"),), "list[int] | None",
        lambda r: {"ops": tuple(sorted(r.sample(list(_STACK_OPS), r.randint(2, 4)))),
                   "on_error": r.choice(["fail", "skip"])},
        _describe_stack_machine,
        lambda r, p: [([],), ([p["ops"][0]],)] + [(_commands(r, p),) for _ in range(10)],
        _stack_machine,
    ),
    Family(
        "brackets_balanced", "is_balanced", _S, "bool",
        lambda r: {"pairs": tuple(sorted(r.sample(["()", "[]", "{}", "<>"], r.randint(1, 4)))), "want": "balanced"},
        _describe_brackets,
        lambda r, p: [("",), ("a b",), (p["pairs"][0][1] + p["pairs"][0][0],)] + [(_bracket_text(r, p, k % 2 == 1),) for k in range(10)],
        _brackets,
    ),
    Family(
        "brackets_depth", "bracket_depth", _S, "int",
        lambda r: {"pairs": tuple(sorted(r.sample(["()", "[]", "{}", "<>"], r.randint(1, 4)))), "want": "depth"},
        _describe_brackets,
        lambda r, p: [("",), ("a b",), (p["pairs"][0][1] + p["pairs"][0][0],)] + [(_bracket_text(r, p, k % 2 == 1),) for k in range(10)],
        _brackets,
    ),
    Family(
        "cache", "simulate_cache", (("accesses", "list[str]"),), "int",
        lambda r: {"capacity": r.randint(1, 6), "policy": r.choice(["lru", "fifo"]), "want": r.choice(["hits", "misses"])},
        _describe_cache,
        lambda r, p: [([],), (["a"] * 4,), (list("abcabcabdd"),)]
        + [([r.choice("abcdefg"[: r.randint(2, 7)]) for _ in range(r.randint(1, 16))],) for _ in range(9)],
        _cache,
    ),
    Family(
        "grid", "transform_grid", (("grid", "list[list[int]]"),),
        lambda p: "list[int]" if p["op"] == "spiral" else "list[list[int]]",
        lambda r: {"op": r.choice(list(_GRID_OPS))},
        _describe_grid,
        lambda r, p: [([],), ([[1, 2, 3]],), ([[1], [2]],)] + [(_grid_value(r),) for _ in range(9)],
        _grid,
    ),
    Family(
        "top_words", "top_words", _S, "list[str]",
        lambda r: {"k": r.randint(1, 5), "ignore_case": r.random() < 0.5},
        _describe_top_words,
        lambda r, p: [("",), ("b a c b a",)]
        + [(" ".join(w.capitalize() if r.random() < 0.3 else w for w in _sentence(r, 1, 12).split()),) for _ in range(10)],
        _top_words,
    ),
    Family(
        "group_words", "group_words", (("words", "list[str]"),), "dict",
        lambda r: {"key": r.choice(["first", "last", "length"]), "unique": r.random() < 0.5},
        _describe_group_words,
        lambda r, p: [([],), (["ab", "ab", "ba"],)] + [(_sentence(r, 1, 10).split(),) for _ in range(10)],
        _group_words,
    ),
)  # fmt: skip
