"""`asymmetry demo` end to end, as a newcomer runs it: a subprocess, offline (in a network namespace
with no interfaces where the system allows it), writing a complete report of the 2026 case whose numbers
the ordinary `asymmetry compare --scores` reproduces."""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

from harness.compare import wording
from harness.compare.schema import validate_compare

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
                          text=True, timeout=180)


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    cwd = tmp_path_factory.mktemp("newcomer")
    return cwd, asymmetry("demo", cwd=cwd)


def test_demo_writes_a_complete_report_offline_and_prints_path_and_headline(demo_run) -> None:
    cwd, proc = demo_run
    assert proc.returncode == 0, proc.stderr
    out = cwd / "reports" / "demo"
    for name in ("index.html", "compare.json", "summary.md", "citation.txt", "methods.md", "methods.html",
                 "scores.csv", "sources.csv", "timeline.csv"):
        assert (out / name).is_file(), name
    for chart in ("slopes", "forest", "asymmetry", "controls", "timeline"):
        for ext in ("png", "svg", "csv"):
            assert (out / "charts" / f"{chart}.{ext}").is_file(), (chart, ext)
    doc = json.loads((out / "compare.json").read_text())
    assert validate_compare(doc) == [] and doc["mode"] == "scores"
    assert doc["before"] == "Qwen3.7-Max" and doc["after"] == "Qwen3.8-Max"
    stdout = proc.stdout
    assert "reports/demo/index.html" in stdout
    assert "Published scores are score-level, unpaired evidence" in stdout
    for sentence in wording.headline(doc):
        assert sentence in stdout
    assert "Qwen3.8-Max's own launch table reports no maths benchmark at all" in stdout
    assert "Did the pattern change" not in stdout or "after the window" in stdout


def test_the_default_is_the_step_after_the_window_with_every_usable_control(demo_run) -> None:
    cwd, _ = demo_run
    doc = json.loads((cwd / "reports" / "demo" / "compare.json").read_text())
    controls = {(c["before"], c["after"]) for c in doc["triple_difference"]["controls"]}
    assert controls == {("GLM-5", "GLM-5.1"), ("Kimi K2.5", "Kimi K2.6"), ("GPT-5.4", "GPT-5.5"),
                        ("Claude Opus 4.6", "Claude Opus 4.7"), ("Gemini 3 Flash", "Gemini 3.5 Flash")}
    suites = {s["suite"]: s for s in doc["suites"]}
    assert suites["Terminal-Bench 2.1"]["before"] == pytest.approx(74.5)
    assert suites["Terminal-Bench 2.1"]["after"] == pytest.approx(86.6)
    assert "Terminal-Bench 2.0" not in suites  # another version: never paired with 2.1
    assert {s["category"] for s in doc["suites"]} == {"targeted", "untargeted"}
    lat = doc["asymmetry"]["latent"]  # the marginal log-odds asymmetry on these benchmarks
    assert lat["estimate"] == pytest.approx(0.7054, abs=1e-3)
    assert lat["ci"] == pytest.approx([0.2235, 1.1872], abs=1e-3)
    # the verdict's estimate (mean item gain over the σ grid and the assumed difficulty spreads) leans the same
    # way, but its interval excludes 0 only under some of the assumptions: fragile, leaning targeted
    prim = doc["asymmetry"]["primary"]
    lo, hi = prim["ci"]
    assert prim["estimate"] > 0 and lo < 0 < hi
    assert {r["direction"] for r in prim["sigma_grid"]} == {"targeted", "none"}
    assert doc["verdict"] == "fragile" and len(prim["verdict_reasons"]) == 1
    assert prim["verdict_reasons"][0].startswith("the direction depends on the assumed spread of item gains")
    page = (cwd / "reports" / "demo" / "index.html").read_text()
    assert wording.badge(doc) == "Fragile, leaning targeted" and f"{wording.badge(doc)}</span>" in page
    assert "but fragile: it holds only under some assumptions." in wording.headline_sentence(doc)
    assert escape(wording.headline_sentence(doc)) in page


def test_the_timeline_places_every_2026_step_against_the_window(demo_run) -> None:
    cwd, _ = demo_run
    out = cwd / "reports" / "demo"
    steps = {r["transition"]: r for r in _csv(out / "timeline.csv")}
    phases = {k: r["phase"] for k, r in steps.items() if r["kind"] == "qwen"}
    assert phases == {"qwen3.5-35b>qwen3.6-35b": "before", "qwen3.5-27b>qwen3.6-27b": "before",
                      "qwen3.6-plus>qwen3.7-plus": "inside", "qwen3.6-plus>qwen3.7-max": "inside",
                      "qwen3.6-max-preview>qwen3.7-max (AA)": "inside", "qwen3.7-max>qwen3.8-max": "after",
                      "qwen3.6-27b>qwen3.8-27b": "after"}
    doc = json.loads((out / "compare.json").read_text())
    current = steps["qwen3.7-max>qwen3.8-max"]
    # the CSV rounds to 3 decimals for readers; compare.json keeps the exact value
    assert float(current["asymmetry_logits"]) == pytest.approx(doc["asymmetry"]["primary"]["estimate"], abs=5e-4)
    assert current["verdict"] == doc["verdict"]
    assert steps["glm-5.1>glm-5.2"]["not_estimable_because"].startswith("its table reports no untargeted")
    assert steps["gemma-3-27b>gemma-4-31b"]["kind"] == "context"
    html = (out / "index.html").read_text()
    assert "Did the pattern change after the window?" in html and "Is it unusual for 2026?" in html
    assert "larger than all 5" in html
    chart = _csv(out / "charts" / "timeline.csv")
    assert {r["transition"] for r in chart} == set(steps)


def test_the_page_says_first_what_the_new_table_stopped_reporting(demo_run) -> None:
    cwd, _ = demo_run
    html = (cwd / "reports" / "demo" / "index.html").read_text()
    churn = html.index("reports no maths benchmark at all")
    assert churn < html.index('class="verdict') and churn < html.index('id="timeline"')
    assert "maths</td><td class=\"n\">0</td><td>not reported: no statement" in html
    assert "Known problems of these figures" in html and "Qwen re-ran Qwen3.7-Max for this table" in html


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


def test_older_steps_stay_available_and_a_second_demo_replaces_only_its_report(demo_run, tmp_path: Path) -> None:
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
    assert proc.returncode == 0 and "qwen3.7-max>qwen3.8-max" in proc.stdout and "control" in proc.stdout
    assert not (tmp_path / "reports").exists()


def test_no_user_facing_file_points_outside_the_project(demo_run) -> None:
    cwd, _ = demo_run
    out = cwd / "reports" / "demo"
    for path in out.rglob("*"):
        if path.suffix in (".html", ".md", ".txt", ".csv", ".json", ".svg"):
            text = path.read_text()
            for bad in ("STATISTICS.md", "DESIGN.md", "PROVENANCE.md", "shared/data", "../shared", "GitHub-index"):
                assert bad not in text, (path.name, bad)
    citation = (out / "citation.txt").read_text()
    assert "methods §" in citation


def test_the_readme_quotes_what_the_default_demo_prints(tmp_path: Path) -> None:
    """The README's demo section copies the default demo's headline, primary estimate and timeline: a change
    to the data or the statistics that moves them fails here until the README is updated."""
    cwd = tmp_path  # its own run: another test here replaces demo_run's report with an older step's
    proc = asymmetry("demo", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((cwd / "reports" / "demo" / "compare.json").read_text())
    readme = " ".join((ROOT / "README.md").read_text().split())
    quoted = readme.split("**What the default demo prints**", 1)[1].split("- **Verdict", 1)[0]
    quoted = " ".join(line.lstrip("> ").strip() for line in quoted.split(" > "))
    assert wording.headline_sentence(doc) in quoted
    assert f"Headline ({wording.badge(doc)})" in quoted
    primary = doc["asymmetry"]["primary"]
    assert f"**Verdict `{doc['verdict']}`**" in readme
    assert f"is {primary['estimate']:+.2f} logits" in readme
    assert f"from {primary['ci'][0]:.2f} to {primary['ci'][1]:.2f}" in readme
    rows = list(csv.DictReader((cwd / "reports" / "demo" / "timeline.csv").open()))
    for row in rows:
        if row["kind"] == "qwen" and row["phase"] and row["asymmetry_logits"]:
            assert f"| {float(row['asymmetry_logits']):+.2f} (".replace("-", "−") in readme, row["step"]


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The default demo in a folder of its own (demo_run's report is replaced by an older step's here)."""
    cwd = tmp_path_factory.mktemp("default-demo")
    return cwd, asymmetry("demo", cwd=cwd)


def test_the_window_is_shown_with_its_source(default_demo) -> None:
    """Review finding 6: the window's dates are an allegation; wherever they are shown, so is their source."""
    cwd, proc = default_demo
    source = "letter of 10 June 2026 to the US Senate Banking Committee"
    html = (cwd / "reports" / "demo" / "index.html").read_text()
    assert f"The window of 22 April to 5 June 2026: the dates Anthropic gave for the alleged extraction in its {source}" \
        in html
    assert source in " ".join(proc.stdout.split())
    assert source in " ".join(asymmetry("demo", "--help", cwd=cwd).stdout.split())


def test_gpqa_and_hle_are_knowledge_not_factual_recall(default_demo) -> None:
    """Review finding 7: GPQA and HLE are expert-level knowledge and reasoning questions, not recall."""
    cwd, proc = default_demo
    html = (cwd / "reports" / "demo" / "index.html").read_text()
    for suite in ("GPQA Diamond", "HLE"):
        assert f"<td>{suite}</td><td>untargeted</td><td>knowledge</td>" in html
    for text in (html, proc.stdout):
        assert "factual recall" not in text.lower() and "factual-recall" not in text.lower()
