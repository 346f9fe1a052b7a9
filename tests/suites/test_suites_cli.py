"""`asymmetry suites list | show`: the real command line, its JSON contract and its one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    monkeypatch.setenv("ASYMMETRY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ASYMMETRY_DATA_DIR", raising=False)
    monkeypatch.setenv("COLUMNS", "160")


def cli(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "ASYMMETRY_OFFLINE": "1", "COLUMNS": "160"}
    done = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    return done.returncode, done.stdout, done.stderr


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_list_json_is_the_documented_contract(shared_data):
    code, out, err = cli("suites", "list", "--json", "--data-dir", str(shared_data))
    assert code == 0, err
    rows = json.loads(out)
    by_name = {r["name"]: r for r in rows}
    for row in rows:
        assert {"name", "category", "capability", "n_items", "offline"} <= set(row)
    assert by_name["gsm8k"] == {**by_name["gsm8k"], "category": "untargeted", "capability": "math", "n_items": 1319, "offline": True}
    assert by_name["triviaqa"]["offline"] is False and by_name["triviaqa"]["n_items"] == 2000
    assert by_name["livecodebench"]["n_items"] is None  # unknown until loaded (the window is applied on load)
    assert by_name["builtin-math"]["offline"] is True


def test_list_check_loads_reachable_suites_for_real_counts_and_versions(capsys, shared_data):
    code, out, _ = run_main(capsys, "suites", "list", "--json", "--check", "--data-dir", str(shared_data))
    assert code == 0
    by_name = {r["name"]: r for r in json.loads(out)}
    assert by_name["aime"]["n_items"] == 60 and len(by_name["aime"]["version"]) == 16
    assert by_name["triviaqa"]["version"] is None and "offline mode" in by_name["triviaqa"]["error"]


def test_list_table_marks_the_default_set(capsys, shared_data):
    code, out, _ = run_main(capsys, "suites", "list", "--data-dir", str(shared_data))
    assert code == 0
    assert "* gsm8k" in out and "  humaneval " in out and "1,319" in out
    assert "targeted + " in out


def test_show_renders_a_prompt_and_explains_scoring(capsys, shared_data):
    code, out, _ = run_main(capsys, "suites", "show", "gsm8k", "--data-dir", str(shared_data))
    assert code == 0
    assert "Janet’s ducks lay 16 eggs" in out and "The answer is N" in out
    assert "scorer: number" in out and "exact rational comparison" in out and "version:" in out


def test_show_for_tools_prints_the_text_protocol(capsys, shared_data):
    code, out, _ = run_main(capsys, "suites", "show", "bfcl_simple", "--data-dir", str(shared_data), "--item", "simple_python_3")
    assert code == 0
    assert "algebra_quadratic_roots" in out and "<tool_calls>" in out and "tool_mode" in out


def test_show_without_local_data_still_explains_the_suite(capsys):
    code, out, _ = run_main(capsys, "suites", "show", "triviaqa")
    assert code == 0
    assert "not available here" in out and "Question: {question}" in out and "scorer: short_answer" in out


def test_model_and_dataset_text_is_not_read_as_markup(capsys, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "rows.jsonl").write_text(json.dumps({"question": "[bold red]boom[/] [link=x]y", "answer": ["z"]}) + "\n")
    spec = tmp_path / "markup.toml"
    spec.write_text('name = "markup"\ncategory = "untargeted"\ncapability = "factual"\n[source]\nkind = "file"\n'
                    'local = "t/rows.jsonl"\nloader = "nq_open"\n[prompt]\ntemplate = "{question}"\n[scorer]\nkind = "short_answer"\n')
    code, out, _ = run_main(capsys, "suites", "show", str(spec), "--data-dir", str(tmp_path))
    assert code == 0 and "[bold red]boom[/] [link=x]y" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("suites", "show", "gsm9k"), "error: unknown suite 'gsm9k' (did you mean 'gsm8k'?)"),
        (("suites", "show", "gsm8k", "--data-dir", "/nonexistent"), "error: --data-dir /nonexistent is not a folder"),
        (("suites", "show", "aime", "--item", "nope"), "error: no item 'nope' in this suite"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, shared_data, args, message):
    if "aime" in args:
        args = (*args, "--data-dir", str(shared_data))
    code, _out, err = run_main(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message)


def test_help_teaches_with_examples():
    code, out, _ = cli("suites", "list", "--help")
    assert code == 0 and "asymmetry suites list --data-dir" in out and "--check" in out
