"""The report's first screen as a reader meets it: the headline says the document's verdict in at most 35
words with one number and its interval (on every curated release step, so each verdict and each direction
is met on real published figures), the badge agrees with it, and the checks that raised a warning follow in
one plain line each, the most serious first: a journal compared although it changed leads."""

from __future__ import annotations

import re
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from harness import demo
from harness.cli import main
from harness.compare import compare_scores, wording
from tests.compare.test_compare_cli import records
from tests.report.test_report import _parse
from tests.report.test_report_samples import items_doc

#: whole points, except an end that is not zero but rounds to it: that one gets a digit ("0.3 to 50", "-0.2 to 33")
INTERVAL = re.compile(r"\(95% CI -?\d+(?:\.\d)? to -?\d+(?:\.\d)?\)")


@lru_cache(maxsize=1)
def _steps() -> dict[str, dict[str, Any]]:
    """Every curated step with both groups, compared on its own published table (as the timeline does)."""
    scores = demo.load_published_scores()
    out = {}
    for t in demo.load_transitions():
        rows = [{k: r[k] for k in demo.SCORE_COLUMNS} for r in demo.transition_rows(t, scores)]
        if {r["category"] for r in rows} == {"targeted", "untargeted"}:
            out[t.transition] = compare_scores(demo._frame(rows), t.before, t.after)
    return out


def test_every_step_gets_a_headline_of_at_most_35_words_saying_its_verdict() -> None:
    steps = _steps()
    # published scores rarely carry a verdict over every assumed spread; both leans are met on real figures
    assert {d["verdict"] for d in steps.values()} >= {"fragile", "no_difference_shown"}
    assert {wording.badge(d).rsplit(" ", 1)[-1] for d in steps.values()} >= {"targeted", "untargeted"}
    for name, doc in steps.items():
        headline, badge, v = wording.headline_sentence(doc), wording.badge(doc), doc["verdict"]
        assert len(headline.split()) <= 35, (name, headline)
        assert headline.endswith(".") and ". " not in headline, (name, headline)  # one sentence
        assert len(INTERVAL.findall(headline)) == 1, (name, headline)  # one number, with its interval
        assert "logits" not in headline and "Mantel" not in headline and "σ" not in headline
        assert not wording.check_wording(headline)
        if v in ("targeted_larger", "untargeted_larger"):
            assert " gained more on " in headline and "fragile" not in headline, (name, headline)
        elif v == "fragile":
            assert "fragile" in headline and "fragile" in badge.lower(), (name, headline, badge)
        else:
            assert headline.startswith("No clear difference") and badge.startswith("No clear difference"), name


def test_fragile_says_what_makes_it_fragile_and_the_other_direction_is_said_plainly() -> None:
    steps = _steps()
    default = steps["qwen3.7-max>qwen3.8-max"]  # fragile on the grid of assumptions: the interval spans zero
    lo, hi = default["asymmetry"]["primary"]["ci"]
    assert default["verdict"] == "fragile" and lo < 0 < hi
    headline = wording.headline_sentence(default)
    assert headline.startswith("Qwen3.8-Max's gains leaned towards coding and agentic benchmarks over knowledge "
                               "ones") and "gained more" not in headline
    assert headline.endswith("but fragile: it holds only under some assumptions.")
    assert wording.badge(default) == "Fragile, leaning targeted"
    other_way = steps["qwen3-235b>qwen3-235b-2507"]  # fragile under leave-one-out: its interval is below zero
    prim = other_way["asymmetry"]["primary"]
    assert other_way["verdict"] == "fragile" and prim["ci"][1] < 0
    assert all(r.startswith("it does not survive leaving out suite ") for r in prim["verdict_reasons"])
    assert wording.badge(other_way) == "Untargeted gains larger, but fragile"
    headline = wording.headline_sentence(other_way)
    assert headline.startswith("Qwen3-235B-A22B-Instruct-2507 gained more on maths and knowledge benchmarks "
                               "than on coding and agentic") and "but fragile: dropping " in headline
    leaning = [d for d in steps.values() if d["verdict"] == "no_difference_shown"
               and d["asymmetry"]["primary"]["estimate"] < 0]
    assert leaning  # no difference shown, the estimate below zero: the lean is still said
    for doc in leaning:
        assert wording.badge(doc) == "No clear difference, leaning untargeted"
        assert wording.headline_sentence(doc).startswith(f"No clear difference between {doc['after']}'s gains on ") \
            or wording.headline_sentence(doc).startswith(f"No clear difference for {doc['after']}: gains on "
                                                         f"{wording.group_words(doc, 'untargeted')} were larger")


def test_guard_lines_are_plain_and_the_most_serious_comes_first() -> None:
    doc = items_doc()
    doc["diagnostics"]["guards"] = [
        {"name": "one_sample", "message": "one sample per item: …"},
        {"name": "a_new_check", "message": "something the writer has no plain line for"},
        {"name": "fragile", "message": "the primary interval excludes 0 only under some checks: …"},
        {"name": "score_fractions", "message": "score(s) below 1% that look like fractions …"},
        {"name": "unequal_samples", "message": "different numbers of samples per item (old: 1, new: 5) …"},
    ]
    doc["diagnostics"]["integrity"] = [{"path": "results/r-new", "problem": "results/r-new/items.jsonl: changed"}]
    lines = wording.guard_plain(doc)
    assert [n for n, _ in lines] == ["journal_integrity", "unequal_samples", "score_fractions", "fragile",
                                     "one_sample", "a_new_check"]
    assert lines[0][1].startswith("The saved answers of run r-new changed after the run recorded them")
    assert lines[-1][1] == "something the writer has no plain line for"  # an unknown check is still shown
    for _, line in lines[1:-1]:
        assert len(line.split()) <= 35 and "σ" not in line and not wording.check_wording(line)


def test_a_report_forced_past_a_changed_journal_says_so_first(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """issue 10 §2 and 12: `report --force` on a run whose journal lost a line after it was signed."""
    from harness.run.store import write_run

    manifest = {"created_at": "2030-01-01T00:00:00Z", "samples": 1, "decoding": {"temperature": 0.0}}
    old = write_run(tmp_path / "r-old", manifest, records("old", 0.0))
    edited = write_run(tmp_path / "r-edited", manifest, records("new", 1.0))
    journal = edited / "items.jsonl"
    journal.write_bytes(b"".join(journal.read_bytes().splitlines(keepends=True)[:-1]))
    out = tmp_path / "report"
    args = ["report", "--before", "old", "--after", "new", "--results", str(old), str(edited), "--out", str(out)]
    with pytest.raises(SystemExit) as refused:
        main(args)
    assert refused.value.code == 2 and "--force" in capsys.readouterr().err and not out.exists()
    with pytest.raises(SystemExit) as done:
        main([*args, "--force"])
    assert done.value.code == 0
    printed = capsys.readouterr().out
    assert printed.index("check: The saved answers of run r-edited") < printed.index("check: Each question was asked once")
    html = (out / "index.html").read_text()
    guards = html[html.index('id="guards"'):]
    guards = guards[:guards.index("</div>")]
    names = [attrs["data-guard"] for tag, attrs in _parse(guards).tags if tag == "li"]
    assert names[0] == "journal_integrity" and "one_sample" in names  # one sample per item: a thinner warning
    assert "The saved answers of run r-edited changed after the run recorded them" in guards
    # on the first screen: right under the headline, before the detail and every chart
    assert html.index('class="headline"') < html.index('id="guards"') < html.index('class="detail"')
    assert html.index('id="guards"') < html.index("<figure")
    summary = (out / "summary.md").read_text()
    assert summary.index("**Before you cite this:**") < summary.index("## Estimates")
    assert "- The saved answers of run r-edited" in summary.split("**Before you cite this:**")[1].split("\n\n")[1]
    diagnostics = html[html.index('id="diagnostics"'):]
    assert f"{edited}: {edited / 'items.jsonl'}" in diagnostics  # the full message, for whoever checks
    shutil.rmtree(out)
