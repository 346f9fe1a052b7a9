"""builtin-facts: well-formed questions whose aliases the suite's scorer accepts and whose wrong answers
it rejects, graded with the spec's own settings."""

from __future__ import annotations

import asyncio
import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from harness.models.base import ChatResponse
from harness.suites.builtin import facts
from harness.suites.scorers.text import normalize_answer

SPEC = tomllib.loads((Path(__file__).resolve().parents[2] / "suites" / "builtin-facts.toml").read_text())
SETTINGS = {k: v for k, v in SPEC["scorer"].items() if k != "kind"}


@pytest.fixture(scope="module")
def items():
    return facts.generate(2026, len(facts.FACTS))


def grade(pairs):
    from harness.suites.scorers import SCORERS

    score = SCORERS[SPEC["scorer"]["kind"]]

    async def all_of():
        return [await score(item, ChatResponse(text=text), SETTINGS) for item, text in pairs]

    return asyncio.run(all_of())


def test_the_set_is_large_varied_and_well_formed(items):
    assert len(items) == len(facts.FACTS) >= 200
    questions = [it.input["question"] for it in items]
    assert len(set(questions)) == len(questions)
    assert all(q.endswith("?") and q[0].isupper() for q in questions)
    categories = Counter(it.cluster for it in items)
    assert len(categories) >= 10 and max(categories.values()) <= 0.25 * len(items)
    for item in items:
        assert item.target and all(isinstance(a, str) and normalize_answer(a) for a in item.target), item.id
        assert len({normalize_answer(a) for a in item.target}) == len(item.target), f"{item.id}: duplicate aliases"


def test_no_question_gives_its_answer_away(items):
    for item in items:
        words = f" {normalize_answer(item.input['question'])} "
        leaked = [a for a in item.target if len(normalize_answer(a)) > 2 and f" {normalize_answer(a)} " in words]
        assert not leaked, (item.id, item.input["question"], leaked)


def test_year_and_number_answers_are_digits_first(items):
    for item in items:
        if item.input["question"].startswith(("In which year", "In what year")):
            assert re.fullmatch(r"\d{4}", item.target[0]), item.id
        if item.input["question"].startswith("How many"):
            assert re.fullmatch(r"\d[\d,.]*", item.target[0]), item.id


def test_every_alias_is_accepted_as_a_bare_answer_and_in_a_short_sentence(items):
    pairs = [(item, f"Answer: {alias}") for item in items for alias in item.target]
    pairs += [(item, f"It is {item.target[0]}.") for item in items]
    outcomes = grade(pairs)
    rejected = [(item.id, text) for (item, text), o in zip(pairs, outcomes, strict=True) if not o.correct]
    assert not rejected, rejected[:5]


def test_another_questions_answer_is_rejected(items):
    """Within each category, the next question's canonical answer is wrong unless the two share an alias."""
    pairs = []
    by_category: dict[str, list] = {}
    for item in items:
        by_category.setdefault(item.cluster, []).append(item)
    for group in by_category.values():
        for item, other in zip(group, group[1:] + group[:1], strict=True):
            if not {normalize_answer(a) for a in item.target} & {normalize_answer(a) for a in other.target}:
                pairs.append((item, f"Answer: {other.target[0]}"))
    outcomes = grade(pairs)
    assert len(pairs) > 0.9 * len(items)
    accepted = [(item.id, text) for (item, text), o in zip(pairs, outcomes, strict=True) if o.correct]
    assert not accepted, accepted[:5]


def test_an_empty_or_evasive_reply_is_not_correct(items):
    outcomes = grade([(items[0], ""), (items[1], "I'm not sure, it could be several things, honestly.")])
    assert outcomes[0].error == "parse_failure" and not outcomes[0].correct
    assert not outcomes[1].correct


def test_ids_name_facts_not_positions():
    shuffled = {it.id: it.input["question"] for it in facts.generate(7, 50)}
    for item_id, question in shuffled.items():
        assert facts.FACTS[int(item_id.rsplit("/", 1)[1])][1] == question
