"""The prompt bank provenance-v1: stored as the builder makes it, split by prompt, disjoint from the
capability suites, with real tracebacks."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from harness.provenance.bank import BANK_FILE, DOMAINS, NAME, bank_version, build_bank, load_bank, run_program
from harness.provenance.texts import split_of
from harness.suites.builtin import GENERATORS


@pytest.fixture(scope="module")
def bank() -> list[dict]:
    return load_bank()


def test_manifest_records_the_stored_version_and_counts(bank: list[dict]) -> None:
    manifest = json.loads((BANK_FILE.parent / f"{NAME}.manifest.json").read_text())
    assert manifest["version"] == bank_version(bank) and manifest["n_prompts"] == len(bank)
    counts = Counter((r["domain"], r["split"]) for r in bank)
    for domain, c in manifest["counts"].items():
        assert counts[(domain, "train")] == c["train"] and counts[(domain, "test")] == c["test"]


def test_domains_kinds_and_identity_languages(bank: list[dict]) -> None:
    assert {r["domain"] for r in bank} == set(DOMAINS)
    kinds = {r["kind"] for r in bank}
    assert {"implement", "explain_error", "review", "write_tests", "tool_plan", "transcript"} <= kinds
    ident = [r for r in bank if r["domain"] == "identity"]
    assert {r["language"] for r in ident} == {"en", "zh"} and all(r["split"] == "test" for r in ident)
    assert len({r["prompt_id"] for r in bank}) == len(bank) and len({r["text"] for r in bank}) == len(bank)


def test_split_is_by_prompt_and_reproducible(bank: list[dict]) -> None:
    for r in bank:
        if r["domain"] != "identity":
            assert r["split"] == split_of(r["prompt_id"])
    for domain in DOMAINS[:-1]:
        rows = [r for r in bank if r["domain"] == domain]
        assert 0.3 < sum(r["split"] == "train" for r in rows) / len(rows) < 0.5


def test_disjoint_from_the_builtin_capability_suites(bank: list[dict]) -> None:
    texts = {r["text"] for r in bank}
    for name, n in {"math": 300, "code": 240, "tools": 208, "facts": 303}.items():  # the shipped specs' sizes
        for item in GENERATORS[name](2026, n):
            for value in item.input.values():
                assert not (isinstance(value, str) and len(value) > 30 and value in texts), name


def test_tracebacks_are_what_the_programs_raise(bank: list[dict]) -> None:
    errors = [r for r in bank if r["kind"] == "explain_error"]
    assert len(errors) > 200
    families = Counter(r["template"].split("-")[1] for r in errors)
    assert len(families) >= 10
    for r in errors[::23]:  # re-run a spread of them: same exception line on any Python version
        assert run_program(r["program"]).strip().splitlines()[-1] == r["traceback"].strip().splitlines()[-1]
        assert r["traceback"] in r["text"] and r["program"] in r["text"]
        assert re.match(r"Traceback \(most recent call last\):\n  File \"program.py\"", r["traceback"])


@pytest.mark.slow
def test_stored_bank_is_what_the_builder_makes(bank: list[dict]) -> None:
    built = build_bank()
    assert len(built) == len(bank)
    for a, b in zip(built, bank, strict=True):
        if "traceback" in a:  # the caret lines may differ between Python versions; the error may not
            assert a["traceback"].strip().splitlines()[-1] == b["traceback"].strip().splitlines()[-1]
            continue
        assert a == b
