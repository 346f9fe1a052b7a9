"""`asymmetry demo` end to end, as a newcomer runs it: a subprocess, offline (in a network namespace
with no interfaces where the system allows it), writing a complete report whose numbers the ordinary
`asymmetry compare --scores` reproduces."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.compare.schema import validate_compare
from harness.report import wording

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _offline_prefix() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


OFFLINE = _offline_prefix()


def asymmetry(*args: str, cwd: Path, offline: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "2000", "NO_COLOR": "1", "TERM": "dumb"}
    prefix = OFFLINE if offline else []
    return subprocess.run([*prefix, sys.executable, "-m", "harness", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    cwd = tmp_path_factory.mktemp("newcomer")
    return cwd, asymmetry("demo", cwd=cwd)


def test_demo_writes_a_complete_report_offline_and_prints_path_and_headline(demo_run) -> None:
    cwd, proc = demo_run
    assert proc.returncode == 0, proc.stderr
    out = cwd / "reports" / "demo"
    for name in ("index.html", "compare.json", "summary.md", "citation.txt", "scores.csv", "sources.csv",
                 "other_qwen_steps.csv"):
        assert (out / name).is_file(), name
    for chart in ("slopes", "forest", "asymmetry", "controls"):
        for ext in ("png", "svg", "csv"):
            assert (out / "charts" / f"{chart}.{ext}").is_file(), (chart, ext)
    doc = json.loads((out / "compare.json").read_text())
    assert validate_compare(doc) == [] and doc["mode"] == "scores"
    assert doc["before"] == "Qwen2.5-72B-Instruct" and doc["after"] == "Qwen3-235B-A22B (Non-thinking)"
    stdout = proc.stdout
    assert "reports/demo/index.html" in stdout
    assert "Published scores are score-level, unpaired evidence" in stdout
    for sentence in wording.headline(doc):
        assert sentence in stdout
    steps = (out / "other_qwen_steps.csv").read_text().splitlines()
    assert len(steps) == 1 + 5 and steps[0].startswith("transition,before,after")
    assert "qwen3-235b>qwen3-235b-2507" in stdout or "Qwen3-235B-A22B-Instruct-2507" in stdout


def test_the_headline_says_what_the_published_numbers_say(demo_run) -> None:
    cwd, proc = demo_run
    doc = json.loads((cwd / "reports" / "demo" / "compare.json").read_text())
    html = (cwd / "reports" / "demo" / "index.html").read_text()
    label = {"targeted_larger": "Consistent with gains concentrated in targeted capabilities",
             "untargeted_larger": "Opposite pattern: untargeted gains were larger",
             "no_difference_shown": "No disproportionate targeted gain shown",
             "fragile": "Fragile: no disproportionate gain claimed", "not_testable": "Asymmetry not testable"}
    assert label[doc["verdict"]] in html  # the headline says the document's verdict (issue 9: the primary)
    # the published figures themselves: Qwen3 TR Table 12, as curated
    suites = {s["suite"]: s for s in doc["suites"]}
    assert suites["MATH-500"]["before"] == pytest.approx(83.6) and suites["MATH-500"]["after"] == pytest.approx(91.2)
    assert suites["BFCL v3"]["category"] == "targeted" and suites["BFCL v3"]["n_items"] == 4441
    assert "proves" not in html.lower()
    assert 'href="https://github.com/QwenLM/Qwen3/blob/' in html  # source links, as plain anchors


def test_the_printed_compare_command_reproduces_the_demo_numbers(demo_run) -> None:
    cwd, _ = demo_run
    doc = json.loads((cwd / "reports" / "demo" / "compare.json").read_text())
    args = shlex.split(doc["command"])
    assert args[:2] == ["asymmetry", "compare"] and "--scores" in args
    proc = asymmetry(*args[1:], "--json", "-", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)
    for scale in ("latent", "pp", "normalized"):
        assert again["asymmetry"][scale]["estimate"] == pytest.approx(doc["asymmetry"][scale]["estimate"])
        assert again["asymmetry"][scale]["ci"] == pytest.approx(doc["asymmetry"][scale]["ci"])
    assert again["triple_difference"] == doc["triple_difference"]
    assert again["inputs"]["sha256"] == doc["inputs"]["sha256"]


def test_a_second_demo_replaces_its_report_but_never_another_directory(demo_run, tmp_path: Path) -> None:
    cwd, _ = demo_run
    proc = asymmetry("demo", "--transition", "qwen3-235b>qwen3-235b-2507", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "replaced the earlier report at reports/demo/index.html" in proc.stdout
    doc = json.loads((cwd / "reports" / "demo" / "compare.json").read_text())
    assert doc["after"] == "Qwen3-235B-A22B-Instruct-2507"
    assert len(doc["triple_difference"]["controls"]) == 2  # the DeepSeek steps share its benchmarks
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep")
    proc = asymmetry("demo", "--out", str(tmp_path / "mine"), cwd=cwd)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "not an asymmetry report directory" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep"


def test_an_unknown_step_is_a_one_line_error_and_list_shows_the_steps(tmp_path: Path) -> None:
    proc = asymmetry("demo", "--transition", "gpt-5>gpt-6", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--transition 'gpt-5>gpt-6' is not in the demo data; choose one of qwen2.5-72b>qwen3-235b" in proc.stderr
    proc = asymmetry("demo", "--list", cwd=tmp_path)
    assert proc.returncode == 0 and "llama3.3-70b>llama4-maverick" in proc.stdout and "control" in proc.stdout
    assert not (tmp_path / "reports").exists()
