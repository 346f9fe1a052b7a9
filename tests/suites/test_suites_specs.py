"""Suite specs: the shipped fixed set parses and is balanced; malformed specs get one-line errors naming the
file and field; `load_suites` resolves names, lists every unreachable suite at once, limits
deterministically and versions by content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.records import CAPABILITY_CATEGORY
from harness.suites.build import list_specs, load_suites, parse_spec
from harness.suites.spec import SUITES_DIR


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    monkeypatch.setenv("ASYMMETRY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ASYMMETRY_DATA_DIR", raising=False)
    monkeypatch.delenv("ASYMMETRY_SUITES_DIR", raising=False)


GOOD = '''
name = "{name}"
category = "untargeted"
capability = "math"
description = "a test suite"
n_items = 3

[source]
kind = "file"
local = "nums/data.jsonl"
loader = "gsm8k"

[prompt]
template = "Q: {{question}}"

[scorer]
kind = "number"
'''


def write_suite(folder: Path, name: str = "tiny", text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text if text is not None else GOOD.format(name=name))
    return path


def write_data(data_dir: Path, rows: list[dict]) -> None:
    (data_dir / "nums").mkdir(parents=True, exist_ok=True)
    (data_dir / "nums" / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


ROWS = [{"question": f"What is {i} + 1?", "answer": f"work\n#### {i + 1}"} for i in range(3)]


def test_every_shipped_spec_parses_with_a_consistent_category():
    specs = list_specs()
    assert {s.path.parent for s in specs} == {SUITES_DIR}
    for spec in specs:
        if spec.record_only:  # the provenance bank: answers kept, never scored or compared
            continue
        assert spec.category == CAPABILITY_CATEGORY[spec.capability], spec.name
        assert spec.description, spec.name


def test_the_fixed_set_has_at_least_four_targeted_and_four_untargeted_suites_per_category():
    default = [s for s in list_specs() if s.default]
    names = {s.name for s in default}
    for name in ("humaneval_plus", "mbpp_plus", "livecodebench", "bfcl_simple", "bfcl_multiple", "bfcl_parallel",
                 "gsm8k", "math500", "aime", "nq_open", "triviaqa", "simpleqa"):  # fmt: skip
        assert name in names
    by_category = {c: [s for s in default if s.category == c] for c in ("targeted", "untargeted")}
    assert len(by_category["targeted"]) >= 4 and len(by_category["untargeted"]) >= 4
    assert {s.capability for s in by_category["targeted"]} == {"coding", "agentic"}
    assert {s.capability for s in by_category["untargeted"]} == {"math", "factual"}


def test_remote_sources_are_pinned_to_a_commit_revision_or_release():
    for spec in list_specs():
        if spec.kind == "datasets":
            assert len(spec.source["revision"]) == 40, spec.name
        if spec.kind == "url":
            urls = spec.source["url"] if isinstance(spec.source["url"], list) else [spec.source["url"]]
            for url in urls:
                assert any(part in url for part in ("/releases/download/v",)) or any(
                    len(seg) == 40 and all(c in "0123456789abcdef" for c in seg) for seg in url.split("/")
                ), url


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t.replace('category = "untargeted"', 'category = "targeted"'), "'category'"),
        (lambda t: t.replace('capability = "math"', 'capability = "poetry"'), "'capability'"),
        (lambda t: "surprise = 1\n" + t, "'surprise'"),
        (lambda t: t + "\ntimout_s = 3\n", "'scorer.timout_s'"),
        (lambda t: t.replace("[prompt]\n", "[prompt]\nsytem = 'x'\n"), "'prompt.sytem'"),
        (lambda t: t + "\n[solver]\nkind = 'single_turn'\nmax_steps = 3\n", "'solver.max_steps'"),
        (lambda t: t.replace('loader = "gsm8k"', 'loader = "nope"'), "'source.loader'"),
        (lambda t: t.replace('loader = "gsm8k"\n', ""), "'source.loader'"),
        (lambda t: t.replace('kind = "file"', 'kind = "ftp"'), "'source.kind'"),
        (lambda t: t.replace('kind = "number"', 'kind = "vibes"'), "'scorer.kind'"),
        (lambda t: t.replace('name = "tiny"', 'name = "other"'), "'name'"),
        (lambda t: t.replace("n_items = 3", "n_items = -3"), "'n_items'"),
        (lambda t: t.replace('local = "nums/data.jsonl"', 'local = "x"\nwindow_start = "soon"'), "'source.window_start'"),
    ],
)
def test_a_malformed_spec_is_one_error_naming_the_file_and_field(tmp_path, edit, field):
    path = write_suite(tmp_path, text=edit(GOOD.format(name="tiny")))
    with pytest.raises(UserError) as info:
        parse_spec(path)
    message = str(info.value)
    assert str(path) in message and field in message and "\n" not in message


def test_invalid_toml_names_the_file(tmp_path):
    path = write_suite(tmp_path, text='name = "tiny"\ncategory = [unclosed\n')
    with pytest.raises(UserError, match=r"tiny\.toml: not valid TOML"):
        parse_spec(path)


def test_a_template_field_the_items_lack_is_named_at_load_time(tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    write_suite(folder, text=GOOD.format(name="tiny").replace("{question}", "{problem}"))
    write_data(tmp_path, ROWS)
    monkeypatch.setenv("ASYMMETRY_SUITES_DIR", str(folder))
    with pytest.raises(UserError, match=r"tiny\.toml: field 'prompt.template' uses \{problem\} but items have fields question"):
        load_suites(["tiny"], tmp_path)


def test_load_limit_and_version(tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    write_suite(folder)
    write_data(tmp_path, ROWS)
    monkeypatch.setenv("ASYMMETRY_SUITES_DIR", str(folder))
    (full,) = load_suites(["tiny"], tmp_path)
    assert [it.id for it in full.items] == ["0", "1", "2"] and full.items[2].target == "3"
    assert full.category == "untargeted" and full.offline
    assert full.provenance["files"][0]["sha256"]
    (limited,) = load_suites(["tiny"], tmp_path, limit=2)
    assert [it.id for it in limited.items] == ["0", "1"]
    assert limited.version == full.version  # the version is the full suite's: a --limit run pairs on items
    (again,) = load_suites(["tiny"], tmp_path)
    assert again.version == full.version and len(full.version) == 16
    with pytest.raises(UserError, match="--limit"):
        load_suites(["tiny"], tmp_path, limit=0)


@pytest.mark.parametrize(
    "change",
    [
        lambda spec, rows: (spec.replace("Q: {question}", "Question: {question}"), rows),
        lambda spec, rows: (spec.replace('kind = "number"', 'kind = "number"\ntolerance = 0.5'), rows),
        lambda spec, rows: (spec, [*rows[:2], {**rows[2], "answer": "#### 4"}]),
    ],
    ids=["prompt", "scorer-setting", "item"],
)
def test_the_version_changes_with_prompt_scorer_settings_and_items(tmp_path, monkeypatch, change):
    folder = tmp_path / "specs"
    write_suite(folder)
    write_data(tmp_path, ROWS)
    monkeypatch.setenv("ASYMMETRY_SUITES_DIR", str(folder))
    (before,) = load_suites(["tiny"], tmp_path)
    spec, rows = change(GOOD.format(name="tiny"), ROWS)
    write_suite(folder, text=spec)
    write_data(tmp_path, rows)
    (after,) = load_suites(["tiny"], tmp_path)
    assert after.version != before.version


def test_a_copy_with_another_item_count_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    write_suite(folder)
    write_data(tmp_path, ROWS[:2])
    monkeypatch.setenv("ASYMMETRY_SUITES_DIR", str(folder))
    with pytest.raises(UserError, match=r"n_items = 3 but .* gave 2 items"):
        load_suites(["tiny"], tmp_path)


def test_duplicate_item_ids_are_refused(tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    spec = GOOD.format(name="tiny").replace('loader = "gsm8k"', 'loader = "math500"').replace("{question}", "{problem}")
    write_suite(folder, text=spec.replace('kind = "number"', 'kind = "math"'))
    write_data(tmp_path, [{"problem": "1+1", "answer": "2", "unique_id": "same"}] * 3)
    monkeypatch.setenv("ASYMMETRY_SUITES_DIR", str(folder))
    with pytest.raises(UserError, match=r"tiny\.toml: item id 'same' appears twice"):
        load_suites(["tiny"], tmp_path)


def test_unknown_names_get_a_suggestion(tmp_path):
    with pytest.raises(UserError, match=r"unknown suite 'gsm8' \(did you mean 'gsm8k'\?\)"):
        load_suites(["gsm8"])


def test_every_unreachable_suite_is_listed_in_one_error_with_what_to_pass(tmp_path):
    with pytest.raises(UserError) as info:
        load_suites(["gsm8k", "nq_open", "triviaqa"], tmp_path)
    message = str(info.value)
    assert message.startswith("3 suite(s) cannot be loaded here")
    for name in ("gsm8k (no gsm8k/test.jsonl", "nq_open (no nq_open/", "triviaqa ("):
        assert name in message
    assert "--data-dir" in message and "--suites builtin" in message and "\n" not in message


def test_reachable_suites_are_suggested_when_others_are_not(shared_data):
    with pytest.raises(UserError, match=r"the reachable ones are: --suites gsm8k,aime$"):
        load_suites(["gsm8k,triviaqa", "aime"], shared_data)


def test_names_expand_and_deduplicate(shared_data):
    suites = load_suites(["gsm8k", "gsm8k,aime", " aime "], shared_data, limit=1)
    assert [s.name for s in suites] == ["gsm8k", "aime"]
    builtin = load_suites(["builtin"], limit=2)
    assert builtin and all(s.name.startswith("builtin-") and len(s.items) == 2 for s in builtin)


def test_a_spec_file_path_can_be_named_directly(tmp_path):
    path = write_suite(tmp_path / "mine")
    write_data(tmp_path, ROWS)
    (suite,) = load_suites([str(path)], tmp_path)
    assert suite.name == "tiny" and len(suite.items) == 3


def test_data_dir_must_be_a_folder(tmp_path):
    with pytest.raises(UserError, match="is not a folder"):
        load_suites(["gsm8k"], tmp_path / "missing")


def test_data_dir_comes_from_the_environment(shared_data, monkeypatch):
    monkeypatch.setenv("ASYMMETRY_DATA_DIR", str(shared_data))
    (suite,) = load_suites(["aime"])
    assert len(suite.items) == 60


def test_lm_eval_entries_are_delegated():
    # the suites layer hands `PREFIX:REST` entries to the source its caller gives for PREFIX (the run command
    # gives harness.lmeval.tasks.SUITE_SOURCES); without one the entry is refused, see tests/interop
    from harness.items import Item, Suite

    seen = {}

    def source(task, data_dir):
        seen["task"], seen["data_dir"] = task, data_dir
        items = tuple(Item(f"i{n}", "q", "a") for n in range(3))
        return Suite("lm-eval:x", "v", "untargeted", "math", items=items, solve=None)  # type: ignore[arg-type]

    (suite,) = load_suites(["lm-eval:gsm8k:math"], external={"lm-eval": source})
    assert seen == {"task": "gsm8k:math", "data_dir": None} and suite.name == "lm-eval:x" and len(suite.items) == 3
    (cut,) = load_suites(["lm-eval:gsm8k"], limit=2, external={"lm-eval": source})
    assert seen["task"] == "gsm8k" and [it.id for it in cut.items] == ["i0", "i1"]
