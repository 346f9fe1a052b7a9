"""What a newsroom needs from a report, checked on the files: chart titles that state the finding, source
lines that name the original sources, CSVs a chart tool reads without cleaning, and the product's own
methods document, readable, escaped and cited by sections that exist."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.compare import wording
from harness.report import charts, fmt, methods, write_report
from tests.report.test_report_samples import items_doc, scores_doc

SVG = "{http://www.w3.org/2000/svg}text"

SOURCES = [
    {"model": "old-release", "suite": s, "source_name": "Old release launch blog", "evaluator": "Lab A (vendor-reported)",
     "source": "https://example.org/old"} for s in ("humaneval", "bfcl-simple", "math500", "nq-open")
] + [
    {"model": "new-release", "suite": s, "source_name": "New release model card", "evaluator": "Lab A (vendor-reported)",
     "source": "https://example.org/new"} for s in ("humaneval", "bfcl-simple", "math500", "nq-open")
]


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _svg_text(path: Path) -> str:
    """The words of an SVG chart (multi-line texts come as one element per line)."""
    return " ".join(t.text or "" for t in ET.parse(path).getroot().iter(SVG))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    doc = items_doc()
    out = tmp_path_factory.mktemp("n") / "r"
    write_report(doc, out, sources=SOURCES)
    return out, doc


def test_chart_titles_state_the_finding_and_the_asymmetry_chart_says_which_side_is_which(report) -> None:
    out, doc = report
    html = (out / "index.html").read_text()
    titles = re.findall(r'<p class="chart-title">([^<]*)</p>', html)
    # the sample document's primary is +0.91 [0.16, 1.66] but does not survive leaving out humaneval or math500
    assert "Targeted gains looked larger by 0.91 logits (95% CI 0.16 to 1.66), but the finding is fragile" in titles
    assert any(t.startswith("new-release: targeted benchmarks rose ") for t in titles)
    assert any(t.startswith("new-release&#x27;s asymmetry was larger than") for t in titles)
    text = _svg_text(out / "charts" / "asymmetry.svg")
    assert "← untargeted" in text and "targeted →" in text and "gained more" in text
    assert "Targeted gains looked larger by 0.91 logits" in text  # the file carries its title


@pytest.mark.parametrize("verdict,estimate,ci,expected", [
    ("targeted_larger", 0.9, [0.3, 1.5], "Targeted gains exceeded untargeted gains by 0.90 logits (95% CI 0.30 to 1.50)"),
    ("untargeted_larger", -0.9, [-1.5, -0.3], "Untargeted gains exceeded targeted gains by 0.90"),
    ("fragile", -0.9, [-1.5, -0.3], "Untargeted gains looked larger by 0.90 logits"),
    ("no_difference_shown", 0.1, [-0.4, 0.6], "No clear difference between targeted and untargeted gains: +0.10")])
def test_the_asymmetry_title_follows_the_verdict_and_the_primary(verdict: str, estimate: float, ci: list[float],
                                                                  expected: str) -> None:
    doc = items_doc()
    doc["asymmetry"]["primary"].update(estimate=estimate, ci=ci)
    doc["verdict"] = verdict
    assert charts.asymmetry_title(doc).startswith(expected)


def test_source_lines_name_the_original_sources_never_a_file_or_hash(report) -> None:
    out, doc = report
    for chart in ("slopes", "forest", "asymmetry", "controls"):
        words = _svg_text(out / "charts" / f"{chart}.svg")
        assert "Source: Old release launch blog (vendor-reported); New release model card (vendor-reported)" in words
        assert "sha256" not in words and "items.csv" not in words and "ab" * 6 not in words
    doc = scores_doc()  # its rows carry links but no names: the line names the sites
    assert wording.source_line(doc).startswith("Source: github.com.")
    doc["diagnostics"]["sources"] = []
    assert wording.source_line(doc).startswith(f"Source: published scores of {doc['before']} and {doc['after']}")


def test_chart_csvs_have_no_float_noise_and_no_empty_columns(tmp_path: Path) -> None:
    doc = scores_doc()
    doc["suites"][0]["gain_pp"] = 4.600000000000004
    out = write_report(doc, tmp_path / "r").path
    for path in (out / "charts").glob("*.csv"):
        rows = _csv(path)
        assert rows, path.name
        for column in rows[0]:
            assert any(r[column] != "" for r in rows), (path.name, column)  # no column empty in every row
        for value in (v for r in rows for v in r.values()):
            assert not re.search(r"\d\.\d*(0000000|9999999)\d", value), (path.name, value)
            number = re.fullmatch(r"-?\d+\.(\d+)", value)
            assert not number or len(number.group(1).lstrip("0")) <= 4, (path.name, value)  # readable digits
    slopes = _csv(out / "charts" / "slopes.csv")
    assert slopes[0]["gain_pp"] == "4.6"
    assert "capability" not in slopes[0]  # published scores carry no capability: the column is dropped


def test_tidy_csv_rounds_to_readable_digits_and_defuses_formulas() -> None:
    text = fmt.tidy_csv(["a", "b", "c"], [{"a": 4.600000000000004, "b": None, "c": "=HYPERLINK(1)"},
                                          {"a": 0.12345678901234, "b": "", "c": -0.5}])
    assert text.splitlines() == ["a,c", "4.6,'=HYPERLINK(1)", "0.1235,-0.5"]
    assert fmt.csv_number(12032.0) == 12032 and fmt.csv_number(1.2e-10) == 1.2e-10
    # review finding 14: no 12-digit cells; 3 decimals from 1 up, 4 significant digits below
    assert fmt.csv_number(-5.18358859017) == -5.184 and fmt.csv_number(0.862301333232) == 0.8623
    assert fmt.csv_number(-0.0223901218987) == -0.02239 and fmt.csv_number(92.4) == 92.4


def test_every_report_ships_the_methods_document_rendered_safely(report) -> None:
    out, _ = report
    assert (out / "methods.md").read_text() == methods.markdown()
    page = (out / "methods.html").read_text()
    assert "<script" not in page and "default-src 'none'" in page
    for number in ("2.3", "4.1", "7.2"):
        assert f'id="{methods.anchor(number)}"' in page
    assert "targeted_larger" in page and "no_difference_shown" in page


def test_raw_html_in_the_methods_source_is_escaped_not_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    methods.markdown.cache_clear()
    monkeypatch.setattr(methods, "markdown", lambda: "## 1. Hi\n\n<script>alert(1)</script> <img src=x onerror=y>")
    page = methods.html("0", "")
    assert "<script>alert" not in page and "<img" not in page and "&lt;script&gt;" in page


def test_every_cited_section_exists_and_the_report_cites_sections_not_files(report) -> None:
    titles = methods.sections()
    for key, number in methods.SECTION.items():
        assert number in titles, (key, number)
    out, _ = report
    html = (out / "index.html").read_text()
    cited = set(re.findall(r'href="methods\.html#(s[\d-]+)"', html))
    page = (out / "methods.html").read_text()
    assert cited and all(f'id="{a}"' in page for a in cited)
    for name in ("index.html", "summary.md", "citation.txt", "methods.md", "methods.html"):
        text = (out / name).read_text()
        for bad in ("STATISTICS.md", "DESIGN.md", "PROVENANCE.md", "../shared", "shared/data"):
            assert bad not in text, (name, bad)
    assert "methods §" in (out / "citation.txt").read_text()


def test_labels_are_phone_sized_in_every_chart_file(report) -> None:
    out, _ = report
    for path in (out / "charts").glob("*.svg"):
        root = ET.parse(path).getroot()
        width = float(root.get("viewBox").split()[2])
        assert width <= 4.4 * 72 + 1, path.name  # drawn for a phone, scaled up on a desktop
        sizes = [float(m) for m in re.findall(r"font-size: ([\d.]+)px", path.read_text())]
        body = [s for s in sizes if s != 8]  # the standalone file's source line is the one smaller text
        assert min(body) >= charts.LABEL, path.name


def _step(label: str, estimate: float, *, kind: str = "control", current: bool = False) -> Any:
    from harness.report.timeline import Step

    return Step(transition=label, label=label, lab=label.split()[0], kind=kind, released="2026-05-01",
                phase="after", evaluator="vendor", benchmarks={}, current=current, estimate=estimate,
                ci=(estimate - 0.5, estimate + 0.5))


@pytest.mark.parametrize(("n_controls", "says_chance"), [(5, True), (30, False)])
def test_an_extreme_rank_among_few_controls_is_called_what_chance_would_give(n_controls: int,
                                                                            says_chance: bool) -> None:
    """'larger than all 5' is a 1-in-6 event when nothing is unusual; the sentence says so instead of
    letting a reader take the rank as evidence (with enough controls it need not)."""
    from harness.report.timeline import Case

    steps = [_step("Q a -> Q b", 0.9, kind="qwen", current=True),
             *[_step(f"L{i} a -> L{i} b", 0.01 * i - 0.2) for i in range(n_controls)]]
    sentence = wording.unusual_sentence(Case(window=("2026-04-22", "2026-06-05"), steps=steps))
    assert f"is larger than all {n_controls}" in sentence
    assert (f"1 time in {n_controls + 1}" in sentence) is says_chance
    assert ("not evidence that it is unusual" in sentence) is says_chance


def test_the_report_has_one_sentence_writer() -> None:
    """Every report sentence comes from harness.compare.wording: no wording module of the report's own."""
    report_dir = Path(charts.__file__).parent
    assert not list(report_dir.glob("*wording*.py"))
    for module in report_dir.glob("*.py"):
        assert "harness.report.wording" not in module.read_text(), module
