"""Helpers shared by the built-in generators: per-item seeded randomness, ids, exact number formatting.

Every generator builds item `i` from its own random stream, seeded by (generator, seed, i) as a string
(Python seeds `random.Random` from a string through SHA-512, identically on every platform and run). So
`generator(seed, 100)` is exactly the first 100 items of `generator(seed, 300)`, and `--limit` never
changes which questions a prefix contains.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

NAMES = (
    "Aisha", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jonas", "Keiko", "Leila",
    "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Ximena",
    "Yusuf", "Zara", "Amara", "Bilal", "Carmen", "Diego", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jamal",
    "Kofi", "Lucia", "Marek", "Nora", "Oskar", "Paula", "Rahul", "Sofia", "Tomas", "Valeria", "Wei", "Yara",
)  # fmt: skip


def item_rng(generator: str, seed: int, index: int, attempt: int = 0) -> random.Random:
    """The random stream for one item: independent of every other item, identical on every machine."""
    return random.Random(f"asymmetry-builtin/{generator}/{seed}/{index}/{attempt}")


def item_id(suite: str, index: int) -> str:
    """Stable item ids: `builtin-math/0042`."""
    return f"{suite}/{index:04d}"


def two_names(rng: random.Random) -> tuple[str, str]:
    """Two different first names."""
    first, second = rng.sample(NAMES, 2)
    return first, second


def exact_number(value: Fraction | int) -> int | str:
    """An exact answer as an int, or as a terminating decimal string ("12.75"); refuses anything else."""
    value = Fraction(value)
    if value.denominator == 1:
        return int(value)
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        raise ValueError(f"{value} has no exact decimal form")
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(cents: int) -> str:
    """Cents as a price without trailing zeros noise: 1250 -> "12.50", 1200 -> "12"."""
    if cents % 100 == 0:
        return str(cents // 100)
    return f"{cents // 100}.{cents % 100:02d}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """"1 apple", "3 apples", "2 boxes" (the plural form is given when it is not singular + s)."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"
