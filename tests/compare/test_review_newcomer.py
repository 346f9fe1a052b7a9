"""The newcomer review's findings (notes/reviews/newcomer.md), each pinned against the real CLI or the real
compare document: mixed score scales, the citation's verdict, named warnings, controls that share a model
with the suspect, the power command's primary, intervals across zero."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness.compare import compare_scores, load_scores
from harness.errors import UserError

ROWS = [
    # model, suite, category, score (percent), n_items
    ("v1", "humaneval", "targeted", 40.0, 500), ("v2", "humaneval", "targeted", 50.0, 500),
    ("v1", "bfcl", "targeted", 60.0, 400), ("v2", "bfcl", "targeted", 75.0, 400),
    ("v1", "gsm8k", "untargeted", 80.0, 1319), ("v2", "gsm8k", "untargeted", 82.0, 1319),
    ("v1", "nq", "untargeted", 30.0, 3610), ("v2", "nq", "untargeted", 31.0, 3610),
]


def run_cli(*args: str, columns: int = 200) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": str(columns), "PATH": "/usr/bin:/bin"})


def write_scores(path: Path, rows: list[tuple]) -> Path:
    pd.DataFrame(rows, columns=["model", "suite", "category", "score", "n_items"]).to_csv(path, index=False)
    return path


def mixed_rows() -> list[tuple]:
    rows = list(ROWS)
    rows[6] = ("v1", "nq", "untargeted", 0.30, 3610)  # a fraction among percentages: v1 "0.3%" on nq
    return rows


# ---------------------------------------------------------------------------------------------- 1. mixed scales

def test_mixed_fraction_and_percent_scores_are_a_cli_error_naming_the_file_and_row(tmp_path):
    path = write_scores(tmp_path / "mixed.csv", mixed_rows())
    out = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path))
    assert out.returncode == 2, out.stdout + out.stderr
    err = out.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and "line 8" in err and "v1 on nq (0.3)" in err
    assert "mixed scales" in err and "multiply these by 100" in err and "--force" in err


def test_mixed_scores_forced_are_compared_with_the_named_guard(tmp_path):
    path = write_scores(tmp_path / "mixed.csv", mixed_rows())
    out_json = tmp_path / "doc.json"
    out = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path), "--force", "--json",
                  str(out_json))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out_json.read_text())
    names = [g["name"] for g in doc["diagnostics"]["guards"]]
    assert "score_fractions" in names
    assert "score_fractions" in out.stdout  # the terminal names the guard too


def test_mixed_scores_are_refused_by_the_library_too(tmp_path):
    frame = pd.DataFrame(mixed_rows(), columns=["model", "suite", "category", "score", "n_items"])
    with pytest.raises(UserError, match="mixed scales.*v1 on nq"):
        compare_scores(frame, "v1", "v2")
    with pytest.raises(UserError, match="line 8"):
        load_scores(write_scores(tmp_path / "m.csv", mixed_rows()))


def test_mixed_scores_in_a_parquet_file_with_its_own_index_are_a_one_line_error(tmp_path):
    # a parquet file keeps its index: the row numbers are positions, never the index's labels (review of 3 Dec)
    frame = pd.DataFrame(mixed_rows(), columns=["model", "suite", "category", "score", "n_items"])
    frame.index = [f"r{i}" for i in range(len(frame))]
    path = tmp_path / "mixed.parquet"
    frame.to_parquet(path)
    out = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path))
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "mixed scales" in out.stderr and "v1 on nq" in out.stderr


def test_all_fraction_scores_stay_an_error_and_percentages_pass(tmp_path):
    fractions = [(m, s, c, v / 100, n) for m, s, c, v, n in ROWS]
    with pytest.raises(UserError, match="every score is between 0 and 1.*multiply them by 100"):
        load_scores(write_scores(tmp_path / "f.csv", fractions))
    doc = compare_scores(load_scores(write_scores(tmp_path / "p.csv", ROWS)), "v1", "v2")
    assert "score_fractions" not in [g["name"] for g in doc["diagnostics"]["guards"]]


# ---------------------------------------------------------------------------------------------- 2. citation

def six_suites(gt: tuple[float, ...], gu: tuple[float, ...], n: int = 2000) -> list[tuple]:
    """Three targeted and three untargeted suites at different starting levels, with these gains (pp)."""
    out: list[tuple] = []
    for i in range(3):
        base = 50.0 + 5 * i
        out += [("v1", f"t{i}", "targeted", base, n), ("v2", f"t{i}", "targeted", base + gt[i], n),
                ("v1", f"u{i}", "untargeted", base, n), ("v2", f"u{i}", "untargeted", base + gu[i], n)]
    return out


CASES = {  # name: (targeted gains, untargeted gains, verdict, a phrase the closing must hold)
    "targeted": ((10, 12, 11), (1, 0, 2), "targeted_larger", "consistent with targeted distillation"),
    "opposite": ((1, 0, 2), (10, 12, 11), "untargeted_larger", "the opposite of the pattern targeted distillation"),
    "null": ((2, 3, 2.5), (2.5, 2, 3), "no_difference_shown", "give no support to targeted distillation"),
    "null_leaning_untargeted": ((1, 2, 1), (5, 4, 6), "no_difference_shown",
                                "lean, not clearly, towards the untargeted benchmarks"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_short_citation_follows_the_verdict_and_says_which_way_the_data_lean(tmp_path, case):
    from harness.compare import wording

    gt, gu, expected, phrase = CASES[case]
    n = 200 if case == "null_leaning_untargeted" else 2000
    doc = compare_scores(load_scores(write_scores(tmp_path / "s.csv", six_suites(gt, gu, n))), "v1", "v2")
    assert doc["verdict"] == expected
    text = wording.citation_short(doc)
    assert phrase in text
    # "consistent with targeted distillation" only where the verdict states a targeted asymmetry, in the
    # citation and in the headline's third sentence alike (review of 3 Dec: the headline kept it for every verdict)
    for said in (text, " ".join(wording.headline(doc))):
        assert ("consistent with targeted distillation" in said) is (expected == "targeted_larger"), said
    assert wording.check_wording(text) == []


def test_the_report_cli_citation_of_an_opposite_result_does_not_point_to_distillation(tmp_path):
    path = write_scores(tmp_path / "s.csv", six_suites(*CASES["opposite"][:2]))
    out = run_cli("report", "--before", "v1", "--after", "v2", "--scores", str(path), "--out", str(tmp_path / "rep"))
    assert out.returncode == 0, out.stderr
    citation = (tmp_path / "rep" / "citation.txt").read_text().split("METHOD")[0]
    assert "consistent with targeted distillation" not in citation
    assert "The untargeted benchmarks gained more" in citation


@pytest.mark.parametrize(("larger", "n", "says"), [
    (0, 6, "not larger than any of their 6"), (6, 6, "larger than all 6 of theirs"), (1, 1, "larger than theirs"),
    (0, 1, "not larger than theirs"), (2, 2, "larger than both of theirs"), (0, 2, "larger than neither of theirs"),
    (3, 6, "larger than 3 of their 6")])
def test_control_counts_read_as_english_for_none_one_and_all(larger, n, says):
    from harness.compare import wording

    text = wording.rank_words(larger, n)
    assert text == says
    assert "0 of" not in text and "all 1" not in text


# ---------------------------------------------------------------------------------------------- 3. named warnings

def records(model: str, shift: float, n: int = 120, error_every: int = 0) -> list[dict]:
    """The compare CLI tests' item records, their runs starting in 2020 (before any plan written now)."""
    from tests.compare.test_compare_cli import records as cli_records

    return cli_records(model, shift, n, error_every, started="2020-01-01T00:00:00Z")


def write_runs(root: Path, created: str = "2020-01-01T00:00:00Z", **releases: list[dict]) -> list[Path]:
    from harness.run.store import write_run

    manifest = {"created_at": created, "samples": 1, "decoding": {"temperature": 0.0}}
    return [write_run(root / f"r-{label}", manifest, recs) for label, recs in releases.items()]


def test_error_rate_difference_and_a_late_plan_are_named_and_reach_the_first_screen(tmp_path):
    runs = write_runs(tmp_path / "results", old=records("old", 0.0), new=records("new", 1.0, error_every=5))
    plan = tmp_path / "plan.json"  # written now, after runs that started in 2020
    assert run_cli("plan", "--targeted", "code,agent", "--untargeted", "math,fact", "--before", "old", "--after", "new",
                   "--samples", "1", "--external", "--out", str(plan)).returncode == 0
    inputs = ["--before", "old", "--after", "new", "--results", *map(str, runs), "--plan", str(plan)]
    out = run_cli("compare", *inputs, "--json", str(tmp_path / "doc.json"))
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "doc.json").read_text())
    names = {g["name"] for g in doc["diagnostics"]["guards"]}
    assert {"error_rates", "plan_after_runs"} <= names
    assert "warning (error_rates): suite math: error rates differ" in out.stdout.replace("\n", " ")
    assert "warning (plan_after_runs): the plan was written after the runs started" in out.stdout
    rep = run_cli("report", *inputs, "--out", str(tmp_path / "rep"))
    assert rep.returncode == 0, rep.stderr
    html = (tmp_path / "rep" / "index.html").read_text()
    first = html[html.index('id="headline"'):html.index('id="guards"') + 4000]
    assert 'data-guard="error_rates"' in first and 'data-guard="plan_after_runs"' in first
    assert "different rates on math" in first


def test_a_plan_written_before_the_runs_raises_no_plan_guard(tmp_path):
    runs = write_runs(tmp_path / "results", created="2030-01-01T00:00:00Z", old=records("old", 0.0),
                      new=records("new", 1.0))
    plan = tmp_path / "plan.json"
    assert run_cli("plan", "--targeted", "code,agent", "--untargeted", "math,fact", "--before", "old", "--after", "new",
                   "--samples", "1", "--external", "--out", str(plan)).returncode == 0
    out = run_cli("compare", "--before", "old", "--after", "new", "--results", *map(str, runs), "--plan", str(plan),
                  "--json", str(tmp_path / "doc.json"))
    assert out.returncode == 0, out.stderr
    names = {g["name"] for g in json.loads((tmp_path / "doc.json").read_text())["diagnostics"]["guards"]}
    assert not names & {"error_rates", "plan_after_runs", "plan_deviation"}


# ---------------------------------------------------------------------------------------------- 4. controls

def with_controls() -> list[tuple]:
    rows = list(ROWS)
    for label, shift in (("v1x", 1.0), ("l1", 0.0), ("l2", 3.0)):  # v1x: a sibling of v2 from the same v1
        rows += [(label, s, c, v + (shift if c == "targeted" else 0.5), n) for m, s, c, v, n in ROWS if m == "v1"]
    return rows


@pytest.mark.parametrize("control", ["v1:v2", "l1:v2", "v2:l2"])
def test_a_control_containing_the_release_under_test_is_a_cli_error(tmp_path, control):
    path = write_scores(tmp_path / "s.csv", with_controls())
    out = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path), "--control", control)
    assert out.returncode == 2, out.stdout + out.stderr
    err = out.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"--control {control} contains the release under test (v2)" in err


def test_a_control_sharing_the_predecessor_is_a_named_warning(tmp_path):
    path = write_scores(tmp_path / "s.csv", with_controls())
    out = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path), "--control", "v1:v1x",
                  "--control", "l1:l2", "--json", str(tmp_path / "doc.json"))
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "doc.json").read_text())
    guard = [g for g in doc["diagnostics"]["guards"] if g["name"] == "control_shares_model"]
    assert len(guard) == 1 and "v1:v1x" in guard[0]["message"] and "l1:l2" not in guard[0]["message"]
    assert "warning (control_shares_model)" in out.stdout
    clean = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path), "--control", "l1:l2",
                    "--json", str(tmp_path / "clean.json"))
    assert clean.returncode == 0, clean.stderr
    names = [g["name"] for g in json.loads((tmp_path / "clean.json").read_text())["diagnostics"]["guards"]]
    assert "control_shares_model" not in names


# ---------------------------------------------------------------------------------------------- 5. power's primary

def test_power_does_not_call_mantel_haenszel_the_primary():
    out = run_cli("power", "--items", "300", columns=160)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "(primary)" not in text and "L1 latent asymmetry (Mantel-Haenszel)" in text
    assert "The verdict's primary estimate is the mean item gain fitted per suite" in text
    doc = json.loads(run_cli("power", "--items", "300", "--json").stdout)
    assert "mean item gain" in doc["primary_note"] and "optimistic" in doc["primary_note"]


# ---------------------------------------------------------------------------------------------- 6. zero crossing

@pytest.mark.parametrize(("ci", "digits", "text"), [
    ((-0.2, 33.4), 0, "-0.2 to 33"), ((-0.004, 0.5), 2, "-0.004 to 0.50"), ((-12.0, 0.03), 0, "-12 to 0.03"),
    ((0.0, 3.0), 0, "0 to 3"), ((1.2, 3.0), 0, "1 to 3"), ((0.4, 2.6), 0, "0.4 to 3"),
    ((-2.5e-7, 3.0), 0, "-0 to 3"), ((-1e-9, 33.0), 2, "-0.00 to 33.00")])  # tinier: the sign, no run of zeros
def test_an_interval_end_that_is_not_zero_never_reads_as_zero(ci, digits, text):
    from harness.compare import fmt

    assert fmt.interval(ci, digits) == text
    assert fmt.bracket(ci, digits) == "[" + text.replace(" to ", ", ") + "]"


def test_the_headline_shows_the_sign_of_a_lower_end_just_below_zero(tmp_path):
    from harness.compare import wording

    doc = compare_scores(load_scores(write_scores(tmp_path / "s.csv", six_suites(*CASES["targeted"][:2]))), "v1", "v2")
    prim = doc["asymmetry"]["primary"]
    prim["ci"] = [-0.008, prim["ci"][1]]  # about -0.2 points at a 50% start
    doc["verdict"] = prim["verdict"] = "no_difference_shown"
    _, (lo, _) = wording.points_at_50(doc)
    assert -0.5 < lo < 0
    headline = wording.headline_sentence(doc)
    assert f"CI {lo:.1f} to " in headline and "CI 0 to" not in headline


# ---------------------------------------------------------------------------------------------- 7. 80 columns

def _intervals_whole(text: str, doc: dict) -> None:
    """Every suite's latent interval is printed whole on one line (never split across lines)."""
    from harness.compare import fmt

    for s in doc["suites"]:
        assert fmt.bracket(s["latent_gain_ci"]) in text, s["suite"]


def test_compare_tables_fit_80_columns_without_splitting_numbers(tmp_path):
    path = write_scores(tmp_path / "s.csv", six_suites(*CASES["targeted"][:2]))
    out = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path), "--json",
                  str(tmp_path / "doc.json"), columns=80)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines if not line.startswith("wrote ")) <= 80
    doc = json.loads((tmp_path / "doc.json").read_text())
    _intervals_whole(out.stdout, doc)
    prim = doc["asymmetry"]["primary"]
    from harness.compare import fmt

    assert any(fmt.bracket(prim["ci"]) in line for line in lines)  # the primary's interval on one line
    assert "layer · method" in out.stdout and "(publishe │" not in out.stdout  # no word cut in a cell


@pytest.mark.slow
def test_the_demo_reads_in_80_columns(tmp_path):
    out = run_cli("demo", "--out", str(tmp_path / "rep"), columns=80)
    assert out.returncode == 0, out.stderr
    lines = [line.rstrip() for line in out.stdout.splitlines()]
    table = [line for line in lines if line.startswith(("│", "┃", "┏", "└", "├", "┡"))]
    assert table and max(len(line) for line in table) <= 80
    assert not any("…" in line for line in table)  # step names fold, never cut short
    rows = [line for line in table if "[" in line and "]" in line]
    assert rows and all(line.count("[") == line.count("]") for line in rows)  # intervals never split
    prose = [line for line in lines if line and not line.startswith(("reproduce", "wrote", "replaced"))
             and line not in table]
    assert max(len(line) for line in prose) <= 80
