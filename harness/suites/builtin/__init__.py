"""The project's own offline suites: fresh items, generated deterministically from a seed, no network.

`GENERATORS` maps a spec's `[source] generator` name to `generator(seed, n) -> list[Item]`. Items are
prefix-stable (the first 100 of 300 are the 100), their ids stable (`builtin-math/0042`), their hash from
content, their `release_date` the generator's version date (fresh by construction) and their cluster the
template or task family.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.items import Item
from harness.provenance.bank import bank_items
from harness.suites.builtin import code_tasks, facts, math_problems, tool_tasks

GENERATORS: dict[str, Callable[[int, int], list[Item]]] = {
    "math": math_problems.generate,
    "code": code_tasks.generate,
    "tools": tool_tasks.generate,
    "facts": facts.generate,
    "provenance": bank_items,  # the stored provenance bank (record-only; harness/provenance/bank.py)
}

__all__ = ["GENERATORS"]
