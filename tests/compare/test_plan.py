"""Pre-registration files: what they fix, that they are never overwritten, and that edits are caught."""

from __future__ import annotations

import hashlib
import json

import pytest

from harness.errors import UserError
from harness.plan import content_hash, load_plan, make_plan, write_plan

SUITES = {"humaneval": "targeted", "bfcl": "targeted", "gsm8k": "untargeted", "nq-open": "untargeted"}


def test_plan_fixes_suites_settings_and_hashes_its_content(tmp_path):
    plan = make_plan(SUITES, before="qwen3-8b", after="qwen3.5-9b", controls=["llama3:llama3.1"], margin_pp=2.0,
                     alpha=0.05, error_rule="exclude", p_ref=0.6)
    assert plan["targeted"] == ["bfcl", "humaneval"] and plan["untargeted"] == ["gsm8k", "nq-open"]
    assert plan["scale"] == "logit" and plan["error_rule"] == "exclude" and "dropped" in plan["error_rule_text"]
    assert plan["content_sha256"] == content_hash(plan)
    path = tmp_path / "plan.json"
    digest = write_plan(path, plan)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    loaded = load_plan(path)
    assert loaded["content_ok"] and loaded["file_sha256"] == digest and loaded["margin_pp"] == 2.0
    assert loaded["created_at"].endswith("Z")


def test_plans_are_never_overwritten(tmp_path):
    path = tmp_path / "plan.json"
    write_plan(path, make_plan(SUITES))
    before = path.read_bytes()
    with pytest.raises(UserError, match="already exists; a pre-registration is never overwritten"):
        write_plan(path, make_plan(SUITES, margin_pp=9.0))
    assert path.read_bytes() == before


def test_an_edited_plan_is_detected(tmp_path):
    path = tmp_path / "plan.json"
    write_plan(path, make_plan(SUITES))
    doc = json.loads(path.read_text())
    doc["suites"]["gsm8k"] = "targeted"
    path.write_text(json.dumps(doc))
    assert load_plan(path)["content_ok"] is False


@pytest.mark.parametrize("kwargs, message", [
    ({"suites": {}}, "a plan needs suites"),
    ({"suites": {"a": "targeted"}}, "at least one targeted and one untargeted"),
    ({"suites": {"a": "coding", "b": "untargeted"}}, "suite 'a': category 'coding'"),
    ({"suites": SUITES, "scale": "pp"}, "primary scale is 'logit'"),
    ({"suites": SUITES, "error_rule": "skip"}, "error rule 'skip'"),
    ({"suites": SUITES, "p_ref": 1.5}, "reference level 1.5"),
    ({"suites": SUITES, "margin_pp": 0}, "margins must be positive"),
])
def test_bad_plans_are_refused(kwargs, message):
    suites = kwargs.pop("suites")
    with pytest.raises(UserError, match=message):
        make_plan(suites, **kwargs)


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"schema": "other"}', "not an asymmetry plan"),
    ('{"schema": "asymmetry.plan/1", "suites": []}', "field 'suites' must map"),
    ('{"schema": "asymmetry.plan/1", "suites": {"a": "math"}}', "suites.a: 'math' is not one of"),
    ('{"schema": "asymmetry.plan/1", "suites": {"a": "targeted"}, "alpha": "0.05"}', "field 'alpha' must be a number"),
])
def test_bad_plan_files_get_one_line_errors(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(UserError, match=message) as info:
        load_plan(path)
    assert str(path) in str(info.value)
