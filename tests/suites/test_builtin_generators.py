"""The built-in generators' contract: registry names, sizes, determinism, prefix stability, ids, hashes."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.items import canonical_json
from harness.suites.builtin import GENERATORS, code_tasks, facts, math_problems, tool_tasks

ROOT = Path(__file__).resolve().parents[2]
SPEC_N = {"math": 300, "code": 240, "tools": 208, "facts": 303}
SUITE_OF = {"math": "builtin-math", "code": "builtin-code", "tools": "builtin-tools", "facts": "builtin-facts"}
VERSION_OF = {"math": math_problems.VERSION, "code": code_tasks.VERSION, "tools": tool_tasks.VERSION,
              "facts": facts.VERSION}  # fmt: skip


def digest(items) -> str:
    """One hash over everything that makes the items what they are (ids, content, clusters, dates)."""
    rows = [[it.id, it.hash, it.cluster, it.release_date] for it in items]
    return hashlib.sha256(canonical_json(rows)).hexdigest()


@pytest.fixture(scope="module")
def full() -> dict[str, list]:
    return {name: GENERATORS[name](2026, n) for name, n in SPEC_N.items()}


def test_registry_has_one_generator_per_capability():
    # plus the stored provenance bank (record-only; tested in tests/provenance/test_bank.py)
    assert set(GENERATORS) == {"math", "code", "tools", "facts", "provenance"}


@pytest.mark.parametrize("name", sorted(SPEC_N))
def test_each_suite_has_at_least_200_distinct_items(full, name):
    items = full[name]
    assert len(items) == SPEC_N[name] >= 200
    assert len({it.id for it in items}) == len(items)
    assert len({it.hash for it in items}) == len(items), "two items with the same content"
    asked = {it.input.get("question") or it.input.get("prompt") or (it.input["request"], it.input["today"]) for it in items}
    assert len(asked) == len(items), "two items ask the same thing"


@pytest.mark.parametrize("name", sorted(SPEC_N))
def test_items_carry_ids_dates_clusters_and_content_hashes(full, name):
    for index, item in enumerate(full[name]):
        assert re.fullmatch(rf"{SUITE_OF[name]}/\d{{4}}", item.id)
        if name != "facts":  # facts ids name the fact, not the position
            assert item.id == f"{SUITE_OF[name]}/{index:04d}"
        assert item.release_date == VERSION_OF[name]
        assert item.cluster and isinstance(item.cluster, str)
        assert len(item.hash) == 64
    clusters = {it.cluster for it in full[name]}
    assert len(clusters) >= 8, f"{name} has only {len(clusters)} clusters"


@pytest.mark.parametrize("name", sorted(SPEC_N))
def test_same_seed_same_items_and_other_seed_other_items(full, name):
    again = GENERATORS[name](2026, SPEC_N[name])
    assert digest(again) == digest(full[name])
    other = GENERATORS[name](7, SPEC_N[name])
    if name == "facts":  # the same facts, in another order
        assert [it.id for it in other] != [it.id for it in full[name]]
        assert sorted(it.hash for it in other) == sorted(it.hash for it in full[name])
    else:  # a small template (two pipes, whole minutes) may repeat a question across seeds, rarely
        assert len({it.hash for it in other} & {it.hash for it in full[name]}) <= len(other) // 50


@pytest.mark.parametrize("name", sorted(SPEC_N))
def test_a_smaller_n_is_a_prefix(full, name):
    """--limit and smaller specs see exactly the first items, never a different draw."""
    prefix = GENERATORS[name](2026, 57)
    assert digest(prefix) == digest(full[name][:57])


def test_items_are_identical_in_a_fresh_interpreter_with_another_hash_seed(full):
    """Nothing depends on set ordering or hash randomisation: a new process rebuilds the same items."""
    script = (
        "import hashlib, sys\n"
        "from harness.suites.builtin import GENERATORS\n"
        "from harness.items import canonical_json\n"
        "for name, n in [('math', 300), ('code', 240), ('tools', 208), ('facts', 303)]:\n"
        "    items = GENERATORS[name](2026, n)\n"
        "    rows = [[it.id, it.hash, it.cluster, it.release_date] for it in items]\n"
        "    print(name, hashlib.sha256(canonical_json(rows)).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120, check=True).stdout  # fmt: skip
    assert dict(line.split() for line in out.splitlines()) == {name: digest(full[name]) for name in SPEC_N}


# The suites are versioned by content: these digests pin the items each generator emits for the specs'
# seed. If a change here is intended, bump the generator's VERSION date (a new suite version, which never
# pairs with runs of the old one) and update the digest; if it is not intended, the change is a bug.
PINNED = {
    "math": "24fd309ca0f423031c7eeb60dbb6934b149f41472d057351f3363bd2eb15b931",
    "code": "068382b10787dd4dad77e188e47c89a8a4a6c98ee59c48f811c56bea31562250",
    "tools": "90e30b3af5062d7b5cb02ebfb070b93ddb4a2d6f681a9c20939578a63d71d911",
    "facts": "a31d676e34c7e78aa23451fc58d3b324f2f2da1e983cc752cc99fba1737668bd",
}


@pytest.mark.parametrize("name", sorted(SPEC_N))
def test_items_have_not_drifted_from_the_pinned_version(full, name):
    assert digest(full[name]) == PINNED[name], (
        f"{name} items changed: bump {SUITE_OF[name]}'s VERSION date and update PINNED if this is intended"
    )


def test_asking_for_more_facts_than_exist_is_a_user_error():
    with pytest.raises(UserError, match=r"builtin-facts has \d+ facts; set source.n"):
        GENERATORS["facts"](2026, len(facts.FACTS) + 1)


def test_code_tasks_are_pairwise_distinct_specifications():
    tasks = code_tasks.generate_tasks(2026, 240)
    keys = {(t.family.name, repr(sorted(t.params.items()))) for t in tasks}
    assert len(keys) == len(tasks)
    assert len({t.item.input["prompt"] for t in tasks}) == len(tasks)
