"""Usage errors of every registered command, through the real console entry in a subprocess: a short
message (what was wrong, then where the right spelling is), exit status 2, never a traceback.

The commands are enumerated from the Typer app, so a command added later (another engineer's
`asymmetry provenance …`, `merge`, `export`) is covered without editing this file."""

from __future__ import annotations

import os
import subprocess
import sys
import types
import typing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import typer

from harness.cli import _register_commands, app

CONTRACT = {("demo",), ("run",), ("compare",), ("report",), ("plan",), ("power",), ("import", "lm-eval"),
            ("import", "inspect"), ("suites", "list"), ("suites", "show"), ("models", "check")}


def _tree() -> Any:
    _register_commands()
    return typer.main.get_command(app)


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    children = getattr(command, "commands", None)
    if children:
        yield path, command
        for name, child in sorted(children.items()):
            yield from _walk(child, (*path, name))
    elif path:
        yield path, command


ROOT = _tree()
LEAVES = {path: cmd for path, cmd in _walk(ROOT) if not getattr(cmd, "commands", None)}
GROUPS = [path for path, cmd in _walk(ROOT) if getattr(cmd, "commands", None)]


def _passthrough(cmd: Any) -> bool:
    """`asymmetry lm-eval …` hands every argument to lm-eval's own parser."""
    return bool((cmd.context_settings or {}).get("ignore_unknown_options"))


def _is_number(param: Any) -> bool:
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if annotation is None:  # an older typer: click's own parameter types
        return getattr(getattr(param, "type", None), "name", "") in ("integer", "float")
    kinds = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or \
        typing.get_origin(annotation) is typing.Union else (annotation,)
    return any(k in (int, float) for k in kinds)


def _options(cmd: Any) -> list[Any]:
    return [p for p in cmd.params if p.param_type_name == "option" and not p.is_flag and not p.hidden
            and not p.is_eager]


def bad_inputs(path: tuple[str, ...], cmd: Any) -> list[list[str]]:
    """Mistakes a person makes with this command, read off its parameters."""
    words = list(path)
    cases = [[*words, "--no-such-option"]]
    if _passthrough(cmd):
        return cases
    if any(p.required for p in cmd.params):
        cases.append(words)  # a required option or argument left out
    numbers = [p for p in _options(cmd) if _is_number(p)]
    if numbers:
        cases.append([*words, max(numbers[0].opts, key=len), "not-a-number"])
    options = _options(cmd)
    if options:
        cases.append([*words, max(options[-1].opts, key=len)])  # an option without its value
    return cases


def asymmetry(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120, check=False)


def assert_usage_error(argv: list[str], proc: subprocess.CompletedProcess[str]) -> None:
    shown = f"asymmetry {' '.join(argv)}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert "Traceback" not in proc.stdout + proc.stderr, shown
    assert proc.returncode == 2, shown
    lines = proc.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, shown
    assert "error:" in lines[-1] or lines[0].startswith("error: "), shown
    assert proc.stdout.strip() == "", shown


def run_all(cases: list[list[str]], cwd: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:  # interpreter start-up dominates: overlap it
        results = list(pool.map(lambda argv: asymmetry(argv, cwd), cases))
    for argv, proc in zip(cases, results, strict=True):
        assert_usage_error(argv, proc)


def test_every_command_of_the_design_is_registered_and_enumerated() -> None:
    assert CONTRACT <= set(LEAVES), sorted(CONTRACT - set(LEAVES))


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_bad_input_to_every_command_is_a_short_error_with_status_2(path: tuple[str, ...], tmp_path: Path) -> None:
    cases = bad_inputs(path, LEAVES[path])
    run_all(cases, tmp_path)
    assert not any(tmp_path.iterdir()), "a usage error wrote files"


def test_unknown_commands_and_options_at_every_level(tmp_path: Path) -> None:
    cases = [["frobnicate"], ["--no-such-option"]] + [[*group, "frobnicate"] for group in GROUPS if group]
    run_all(cases, tmp_path)


#: the mistakes the newcomer review found (issue 14): each argv, then what its two lines must say
REVIEWED = {
    ("models", "check", "a=openai:x", "b=openai:y"):
        ("error: Got unexpected extra argument(s) (b=openai:y)", "asymmetry models check --help"),
    ("report", "--before", "a", "--after", "b", "--out", "r", "--examples", "-1"):
        ("error: Invalid value for '--examples'", "asymmetry report --help"),
    ("run", "-m", "q=openai:x", "--samples", "three"): ("error: Invalid value for '--samples'", "asymmetry run --help"),
    ("run", "--suites", "builtin"): ("error: Missing option '--model'", "asymmetry run --help"),
    ("suites", "list", "--data-dir"): ("error: Option '--data-dir' requires an argument", "asymmetry suites list --help"),
    ("frobnicate",): ("error: No such command 'frobnicate'", "Try 'asymmetry --help'"),
    ("compare", "--befor", "a"): ("error: No such option: --befor", "asymmetry compare --help"),
}


def test_the_reviewed_mistakes_say_what_was_wrong_then_which_help_to_read(tmp_path: Path) -> None:
    argvs = [list(argv) for argv in REVIEWED]
    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = list(pool.map(lambda argv: asymmetry(argv, tmp_path), argvs))
    for argv, proc in zip(argvs, procs, strict=True):
        assert_usage_error(argv, proc)
        first, second = proc.stderr.strip().splitlines()
        what, hint = REVIEWED[tuple(argv)]
        assert first.startswith(what) and hint in second, proc.stderr


def test_a_bare_command_or_group_prints_its_help_not_an_error(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = list(pool.map(lambda a: asymmetry(a, tmp_path), [[], ["models"], ["--version"]]))
    bare, group, version = procs
    assert bare.returncode == 0 and "run" in bare.stdout and "compare" in bare.stdout and "Traceback" not in bare.stderr
    assert group.returncode == 0 and "check" in group.stdout and "presets" in group.stdout
    assert version.returncode == 0 and version.stdout.startswith("asymmetry ")


def test_a_missing_input_file_is_one_line_naming_the_path(tmp_path: Path) -> None:
    proc = asymmetry(["run", "-m", "q=openai:x@http://127.0.0.1:9/v1", "--suites", "builtin", "--model-config",
                      "nope.toml"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: --model-config nope.toml: no such file"]


def test_lm_eval_help_explains_model_asymmetry_before_lm_evals_own_help(tmp_path: Path) -> None:
    proc = asymmetry(["lm-eval", "run", "--help"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    ours, _, theirs = proc.stdout.partition("lm-eval's own help follows.")
    assert "--model asymmetry" in ours and "spec=LABEL=PROVIDER:MODEL" in ours and "max_gen_toks=2048" in ours
    assert "usage: lm-eval run" in theirs


def test_commands_are_registered_once_however_often_main_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """main() added a full copy of every command on each call, so each in-process call got slower (the
    reason a `power` test took 151 s late in a full run)."""
    from harness.cli import main

    counts = []
    for _ in range(3):
        with pytest.raises(SystemExit):
            main(["power", "--json"])
        counts.append((len(app.registered_commands), len(app.registered_groups)))
    capsys.readouterr()
    assert counts[0] == counts[1] == counts[2]
    assert counts[0][0] == len([c for c in app.registered_commands if c.name]) == len(
        {c.name for c in app.registered_commands})


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_help_cites_nothing_a_user_does_not_have(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    """Users have neither ../shared nor the design documents; --help must not send them there."""
    from harness.cli import main

    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    text = capsys.readouterr().out
    assert done.value.code == 0 and text.strip()
    for foreign in ("../shared", "shared/data", "STATISTICS.md", "DESIGN.md", "PROVENANCE.md"):
        assert foreign not in text, foreign
