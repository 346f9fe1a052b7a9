"""`asymmetry compare` and `asymmetry plan` as a user runs them: real subprocesses on real run
directories and files; bad input ends in one `error:` line with exit status 2."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main
from harness.compare.schema import validate_compare
from harness.records import RECORD_FIELDS
from harness.run.store import write_run

SUITES = {"code": ("targeted", 0.0, 1.0), "agent": ("targeted", 0.3, 0.8),
          "math": ("untargeted", 1.0, 0.2), "fact": ("untargeted", 0.5, 0.3)}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def records(model: str, shift: float, n: int = 120, error_every: int = 0,
            started: str = "2026-01-01T00:00:00Z") -> list[dict]:
    """Item records of one release; every `error_every`-th math item ends in a timeout (an error, not a
    wrong answer). Seeded by the model's name (not hash(), which changes with each process)."""
    rng_items, rng = np.random.default_rng(1), np.random.default_rng(sum(map(ord, model)))
    out = []
    for suite, (category, base, gain) in SUITES.items():
        b = rng_items.normal(0, 1.5, n)
        p = 1 / (1 + np.exp(b - base - gain * shift))
        for i in range(n):
            r = dict.fromkeys(RECORD_FIELDS)
            y = float(rng.random() < p[i])
            error = "timeout" if error_every and suite == "math" and i % error_every == 0 else None
            r.update(run_id=f"r-{model}", model=model, suite=suite, suite_version="1", category=category,
                     capability=None, item_id=str(i), item_hash=f"{suite}{i}", sample=0,
                     score=0.0 if error else y, correct=bool(y == 1 and not error), error=error, response="",
                     usage={}, started_at=started)
            out.append(r)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("results")
    manifest = {"created_at": "2030-01-01T00:00:00Z", "samples": 1, "decoding": {"temperature": 0.0}}
    return (write_run(root / "r-old", manifest, records("old", 0.0)),
            write_run(root / "r-new", manifest, records("new", 1.0)))


def test_compare_prints_tables_and_summary_and_writes_json_once(runs, tmp_path):
    old, new = runs
    out = tmp_path / "compare.json"
    # two run directories after one --results, as a shell glob gives them
    res = run_cli("compare", "--before", "old", "--after", "new", "--results", str(old), str(new), "--json", str(out))
    assert res.returncode == 0, res.stderr
    assert "Per suite" in res.stdout and "L1 primary (mean item gain)" in res.stdout and "Summary" in res.stdout
    doc = json.loads(out.read_text())
    assert validate_compare(doc) == []
    assert doc["inputs"]["kind"] == "results" and doc["inputs"]["sha256"][str(old)] == hashlib.sha256(
        (old / "items.jsonl").read_bytes()).hexdigest()
    assert doc["command"] == f"asymmetry compare --before old --after new --results {old} --results {new}"
    again = run_cli("compare", "--before", "old", "--after", "new", "--results", str(old), "--results", str(new),
                    "--json", str(out))
    assert again.returncode == 2 and again.stderr.strip().startswith("error:") and "already exists" in again.stderr
    assert json.loads(out.read_text())["created_at"] == doc["created_at"]  # the earlier result is untouched
    forced = run_cli("compare", "--before", "old", "--after", "new", "-r", str(old), "-r", str(new), "--json", str(out),
                     "--overwrite")
    assert forced.returncode == 0


def test_json_to_stdout_is_only_json(runs):
    old, new = runs
    res = run_cli("compare", "--before", "old", "--after", "new", "--results", str(old), str(new), "--json", "-")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["mode"] == "items" and validate_compare(doc) == []


@pytest.mark.parametrize("args, message", [
    (["--before", "old", "--after", "new"], "no inputs"),
    (["--before", "old", "--after", "qwen", "--results", "{old}", "{new}"], "'qwen' is not in the inputs"),
    (["--before", "old", "--after", "new", "--results", "{old}", "--cutoff", "old:2024"], "expected LABEL=YYYY-MM-DD"),
    (["--before", "old", "--after", "new", "--results", "{old}", "{new}", "--control", "x"], "expected BEFORE:AFTER"),
    (["--before", "old", "--after", "new", "--items", "{old}", "--scores", "{old}"], "mode of its own"),
    (["--before", "old", "--after", "new", "stray"], "unexpected argument 'stray'"),
    (["--before", "old", "--after", "new", "--results", "{old}", "nowhere"], "only run directories may follow"),
    (["--before", "old", "--after", "new", "--results", "{old}", "{new}", "--plan", "missing.json"], "no such plan"),
    (["--before", "old", "--after", "new", "--items", "missing.csv"], "missing.csv: no such file"),
    (["--before", "old", "--after", "new", "--results", "{old}", "{new}", "--margin-pp", "nan"], "--margin-pp nan"),
    (["--before", "old", "--after", "new", "--results", "{old}", "{new}", "--margin-pp", "-3"], "--margin-pp -3.0"),
])
def test_bad_input_is_one_error_line_with_status_2(runs, args, message, capsys):
    # in-process through the CLI's entry point (the subprocess tests above cover the process boundary)
    old, new = runs
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", *[a.format(old=old, new=new) for a in args]])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_plan_then_compare_follows_it(runs, tmp_path):
    old, new = runs
    plan = tmp_path / "plan.json"
    res = run_cli("plan", "--targeted", "code,agent", "--untargeted", "math", "--untargeted", "fact", "--before", "old",
                  "--after", "new", "--margin-pp", "2", "--external", "--samples", "1", "--out", str(plan))
    assert res.returncode == 0, res.stderr
    digest = hashlib.sha256(plan.read_bytes()).hexdigest()
    assert f"file sha256: {digest}" in res.stdout
    document = json.loads(plan.read_text())
    assert document["targeted"] == ["agent", "code"] and document["margin_pp"] == 2.0
    assert document["samples"] == 1 and document["external_suites"] == ["agent", "code", "fact", "math"]
    assert run_cli("plan", "--targeted", "a", "--untargeted", "b", "--external", "--out", str(plan)).returncode == 2
    assert hashlib.sha256(plan.read_bytes()).hexdigest() == digest  # never overwritten
    cmp = run_cli("compare", "--before", "old", "--after", "new", "--results", str(old), str(new), "--plan", str(plan),
                  "--json", "-")
    doc = json.loads(cmp.stdout)
    block = doc["diagnostics"]["plan"]
    assert block["used"] and block["sha256"] == digest and block["predates_runs"] is True
    assert doc["flatness"]["margin_pp"] == 2.0 and block["deviations"] == []
    default = tmp_path / "default.json"  # the default plan asks for 3 samples: runs with 1 are a deviation
    assert run_cli("plan", "--targeted", "code,agent", "--untargeted", "math,fact", "--external", "--out",
                   str(default)).returncode == 0
    assert json.loads(default.read_text())["samples"] == 3
    doc = json.loads(run_cli("compare", "--before", "old", "--after", "new", "--results", str(old), str(new),
                             "--plan", str(default), "--json", "-").stdout)
    assert "the plan asked for 3 sampled answers per item; the runs have 1" in doc["diagnostics"]["plan"]["deviations"]


@pytest.mark.parametrize("args, message", [
    (["--targeted", "a", "--external"], "at least one targeted and one untargeted"),
    (["--targeted", "a", "--untargeted", "b", "--external", "--errors", "ignore"], "error rule 'ignore'"),
    (["--targeted", "a", "--untargeted", "b", "--external", "--alpha", "0.7"], "alpha 0.7"),
    (["--targeted", "a", "--untargeted", "b", "--external", "--control", "ab"], "expected BEFORE:AFTER"),
    # issue 9/10: a suite in both groups, an unknown suite, a category against the spec, bad numbers
    (["--targeted", "a,b", "--untargeted", "b", "--external"], "suite(s) b are both --targeted and --untargeted"),
    (["--targeted", "humaneval_plus", "--untargeted", "gsm8kk"], "unknown suite 'gsm8kk' (did you mean 'gsm8k'?)"),
    (["--targeted", "humaneval_plus", "--untargeted", "mbpp_plus"], "suite mbpp_plus is targeted in its spec"),
    (["--targeted", "a", "--untargeted", "b", "--external", "--margin-pp", "nan"], "--margin-pp nan"),
    (["--targeted", "a", "--untargeted", "b", "--external", "--margin-pp", "-3"], "--margin-pp -3.0"),
    (["--targeted", "a", "--untargeted", "b", "--external", "--samples", "0"], "--samples 0"),
])
def test_plan_rejects_bad_settings(tmp_path, capsys, args, message):
    out = tmp_path / "never.json"
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", *args, "--out", str(out)])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert not out.exists()


def test_help_teaches_the_inputs(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--before", "--after", "--results", "--items", "--scores", "--control", "--plan", "--json",
                 "--cutoff", "--errors", "--force"):
        assert flag in text


def test_a_journal_changed_since_its_manifest_is_refused_unless_forced(runs, tmp_path, capsys):
    """issue 10 §2: compare (and report) verify each run's journal against the manifest's sha256."""
    import shutil

    old, new = runs
    edited = tmp_path / "edited"
    shutil.copytree(new, edited)
    journal = edited / "items.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:-1]))  # a deleted line
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--before", "old", "--after", "new", "--results", str(old), str(edited)])
    assert exit_info.value.code == 2
    lines_err = capsys.readouterr().err.strip().splitlines()
    assert len(lines_err) == 1 and "sha256" in lines_err[0] and "--force" in lines_err[0]
    from harness.compare import resolve_compare

    doc = resolve_compare("old", "new", results=[old, edited], force=True)
    assert doc["diagnostics"]["integrity"][0]["path"] == str(edited)
    assert any(g["name"] == "journal_integrity" for g in doc["diagnostics"]["guards"])
    from harness.compare import wording

    assert "Compared anyway (--force)" in wording.integrity_note(doc)

