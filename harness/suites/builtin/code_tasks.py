"""builtin-code: generated programming tasks with hidden tests.

A task family (string transforms, list algorithms, number theory, parsing, small data structures) has a
parameter space; each item draws parameters that no earlier item used, so every item is a distinct
specification (shift by 7 vs by 11, LRU vs FIFO, base 3 vs base 29...). The family's reference
implementation computes the expected outputs for the prompt's examples and for ~12 hidden test inputs
(edge cases first). The reference never reaches the model or the item: `reference_source(task)` exists
for the project's tests, which prove in the real sandbox that every item's hidden tests pass with it and
fail without it.

Hidden tests are data: (arguments, expected) pairs the code scorer's checker calls the solution with, in
a process of its own, comparing results with exact types (a tuple is not a list, True is not 1); each call
gets a fresh copy of its arguments (they cross a pipe as plain data).
"""

from __future__ import annotations

import copy
import inspect
import random
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from harness.errors import UserError
from harness.items import Item
from harness.suites.builtin.code_families import FAMILIES, Family
from harness.suites.builtin.common import item_id, item_rng
from harness.suites.scorers.plaindata import dumps

SUITE = "builtin-code"
#: The generator's version date: bump it whenever a family's text, parameters or test inputs change.
VERSION = "2026-12-02"
N_EXAMPLES = 2


@dataclass(frozen=True)
class CodeTask:
    """A generated item plus what only the project's tests may see."""

    item: Item
    family: Family
    params: dict[str, Any]

    def reference_source(self) -> str:
        """A complete solution: the family's reference bound to this item's parameters."""
        return reference_source(self.family, self.params)


def reference_source(family: Family, params: dict[str, Any]) -> str:
    """The family's reference as source text, renamed `_reference`, behind the item's entry point with the
    item's parameters bound (a program the sandbox can run with the hidden tests appended)."""
    source = textwrap.dedent(inspect.getsource(family.solve))
    source = re.sub(r"^def \w+\(", "def _reference(", source, count=1, flags=re.M)
    names = ", ".join(name for name, _ in family.args)
    bound = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"{source}\n\ndef {family.entry}({names}):\n    return _reference({names}, {bound})\n"


# --- items --------------------------------------------------------------------------------------------


def _call(family: Family, args: tuple, params: dict[str, Any]) -> Any:
    return family.solve(*copy.deepcopy(args), **params)


def _signature(family: Family, params: dict[str, Any]) -> str:
    args = ", ".join(f"{name}: {annotation}" for name, annotation in family.args)
    returns = family.returns(params) if callable(family.returns) else family.returns
    return f"def {family.entry}({args}) -> {returns}"


def _build(family: Family, params: dict[str, Any], rng: random.Random, index: int) -> CodeTask:
    inputs: list[tuple] = []
    for args in family.inputs(rng, params):
        if args not in inputs:
            inputs.append(args)
    cases = [(args, _call(family, args, params)) for args in inputs]
    interesting = [c for c in cases[-9:] if c[1] not in ("", [], {}, None, 0)] or cases[-9:]
    examples = rng.sample(interesting, min(N_EXAMPLES, len(interesting)))
    shown = "\n".join(
        f"    {family.entry}({', '.join(map(repr, args))}) == {expected!r}" for args, expected in examples
    )
    prompt = f"Write a Python function `{_signature(family, params)}`.\n\n{family.describe(params)}\n\nExamples:\n{shown}"
    item = Item(
        id=item_id(SUITE, index),
        input={"prompt": prompt, "entry_point": family.entry},
        target={"mode": "calls", "entry_point": family.entry, "calls": dumps([[list(a), e] for a, e in cases])},
        cluster=family.name,
        release_date=VERSION,
        meta={"family": family.name, "n_tests": len(cases)},
    )
    return CodeTask(item, family, params)


def generate_tasks(seed: int, n: int) -> list[CodeTask]:
    """`n` tasks with pairwise-distinct (family, parameters); families taken in turn, skipping exhausted ones."""
    tasks: list[CodeTask] = []
    used: set[tuple[str, str]] = set()
    exhausted: set[str] = set()
    turn = 0
    for i in range(n):
        while True:
            family = FAMILIES[turn % len(FAMILIES)]
            turn += 1
            if family.name in exhausted:
                if len(exhausted) == len(FAMILIES):
                    raise UserError(f"{SUITE}: only {i} distinct tasks exist; set source.n to at most {i}")
                continue
            for attempt in range(60):
                rng = item_rng("code", seed, i, attempt)
                params = family.draw(rng)
                key = (family.name, repr(sorted(params.items())))
                if key not in used:
                    used.add(key)
                    tasks.append(_build(family, params, rng, i))
                    break
            else:
                exhausted.add(family.name)
                continue
            break
    return tasks


def generate(seed: int, n: int) -> list[Item]:
    """`n` programming tasks; `target` = {"mode": "calls", "entry_point", "calls"} for the `code` scorer."""
    return [task.item for task in generate_tasks(seed, n)]
