"""`write_report`: every file and section, charts whose data match the JSON, no external requests, the
§1.13 wording rules, and a report directory that is never replaced silently."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from harness.errors import UserError
from harness.report import write_report
from tests.report.test_report_samples import items_doc, scores_doc, with_changes

CHARTS = ("slopes", "forest", "asymmetry", "controls", "power")


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text content."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def items_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    doc = items_doc()
    out = tmp_path_factory.mktemp("r") / "items"
    write_report(doc, out)
    return out, doc


def test_report_has_every_file_and_section(items_report: tuple[Path, dict[str, Any]]) -> None:
    out, doc = items_report
    for name in ("index.html", "compare.json", "summary.md", "citation.txt"):
        assert (out / name).is_file(), name
    for chart in CHARTS:
        for ext in ("png", "svg", "csv"):
            assert (out / "charts" / f"{chart}.{ext}").stat().st_size > 0, (chart, ext)
    assert json.loads((out / "compare.json").read_text()) == doc
    html = (out / "index.html").read_text()
    for anchor in ('id="headline"', 'id="policy"', 'id="research"', 'id="files"'):
        assert anchor in html
    for heading in ("Headline", "For policy", "For researchers", "What this shows", "What this does not show",
                    "Estimates, each with its interval and scale", "Citation", "Pre-registration", "Methods",
                    "Per-suite results", "Diagnostics", "Error rates per release (% of samples)", "Unpaired items",
                    "Discordance counts", "Suite versions", "Decoding settings", "Data hashes (sha256)", "Reproduce",
                    "Examples of discordant items"):
        assert f">{heading}<" in html, heading
    assert html.count("<svg") == len(CHARTS)
    text = " ".join(_parse(html).text)
    prim = doc["asymmetry"]["primary"]  # the primary estimate with its interval (issue 9: mean item gain)
    assert f"{prim['estimate']:+.2f}" in text and f"{prim['ci'][0]:.2f} to {prim['ci'][1]:.2f}" in text
    assert "+0.88" in text and "0.28 to 1.47" in text  # the Mantel-Haenszel row on these items (KA8)
    assert "asymmetry compare --before old-release" in text  # the reproduction command
    assert "ab" * 32 in text  # data hashes
    assert "Not pre-registered" in text


def at_csv_precision(expected: Any) -> Any:
    """The JSON figure as a chart CSV prints it: 3 decimals from 1 up, 4 significant digits below."""
    return pytest.approx(expected, rel=1e-3, abs=5e-4)


def test_chart_csvs_carry_the_json_figures(items_report: tuple[Path, dict[str, Any]]) -> None:
    out, doc = items_report
    slopes = {r["suite"]: r for r in _csv(out / "charts" / "slopes.csv")}
    forest = {r["row"]: r for r in _csv(out / "charts" / "forest.csv")}
    for s in doc["suites"]:
        row = slopes[s["suite"]]
        assert float(row["before_pct"]) == at_csv_precision(s["before"])
        assert float(row["after_pct"]) == at_csv_precision(s["after"])
        assert float(row["gain_pp_ci_low"]) == at_csv_precision(s["gain_pp_ci"][0])
        assert float(forest[s["suite"]]["latent_gain_logits"]) == at_csv_precision(s["latent_gain"])
        assert float(forest[s["suite"]]["ci_high"]) == at_csv_precision(s["latent_gain_ci"][1])
    assert float(forest["targeted mean"]["latent_gain_logits"]) == at_csv_precision(doc["groups"]["targeted"]["latent"])
    scales = {r["scale"]: r for r in _csv(out / "charts" / "asymmetry.csv")}
    for key in ("latent", "pp", "normalized"):
        assert float(scales[key]["estimate"]) == at_csv_precision(doc["asymmetry"][key]["estimate"])
        assert float(scales[key]["ci_low"]) == at_csv_precision(doc["asymmetry"][key]["ci"][0])
    assert scales["latent"]["unit"] == "logits" and scales["pp"]["unit"] == "pp"
    controls = _csv(out / "charts" / "controls.csv")
    suspect = [r for r in controls if r["role"] == "suspect"]
    # the excess is on the primary scale at its least favourable σ row (review finding 1); at σ = 0 that is KA8
    td = doc["triple_difference"]
    assert len(suspect) == 1 and float(suspect[0]["asymmetry_logits"]) == at_csv_precision(td["suspect_asymmetry"])
    grid = {r["sigma"]: r["estimate"] for r in doc["asymmetry"]["primary"]["sigma_grid"]}
    assert grid[0.0] == pytest.approx(0.877696, abs=1e-6) and td["suspect_asymmetry"] == grid[td["row"]["sigma"]]
    assert sorted(float(r["asymmetry_logits"]) for r in controls if r["role"] == "control") == at_csv_precision(sorted(
        c["asymmetry"] for c in doc["triple_difference"]["controls"]))
    power = _csv(out / "charts" / "power.csv")
    assert [float(r["power_pct"]) for r in power] == at_csv_precision([100 * p["power"] for p in doc["power"]["curve"]])


def test_charts_are_real_images_with_labelled_axes_and_a_source_line(items_report: tuple[Path, Any]) -> None:
    from PIL import Image

    out, _ = items_report
    for chart in CHARTS:
        with Image.open(out / "charts" / f"{chart}.png") as im:
            assert im.format == "PNG" and im.width >= 900
            assert len(im.convert("RGB").getcolors(1 << 20) or []) > 20  # something was drawn
        root = ET.parse(out / "charts" / f"{chart}.svg").getroot()
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert "Source: item-level runs" in texts, chart
        assert "Chart: asymmetry " in texts
    svg = (out / "charts" / "forest.svg").read_text()
    assert "logits" in svg and "humaneval" in svg
    assert "Accuracy (%)" in (out / "charts" / "slopes.svg").read_text()
    assert "Power to detect it (%)" in (out / "charts" / "power.svg").read_text()


SOURCES = [
    {"model": "Qwen2.5-72B-Instruct", "suite": "LiveCodeBench", "score": "30.7", "n_items": 186,
     "source": "https://github.com/QwenLM/Qwen3/blob/7a2f61f/Qwen3_Technical_Report.pdf (Table 12)"},
    {"model": "Qwen3-235B-A22B", "suite": "LiveCodeBench", "score": "35.3", "n_items": 186,
     "source": "javascript:alert(1)"},
    {"model": "Qwen3-235B-A22B", "suite": "MATH-500", "score": "91.2", "n_items": 500,
     "source": "HF model card Qwen/Qwen3 (copy in the GitHub index)"},
]


@pytest.fixture(scope="module")
def scores_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("s") / "scores"
    write_report(scores_doc(), out, sources=SOURCES)
    return out


def test_page_requests_nothing_and_links_only_to_sources(scores_report: Path) -> None:
    url = "https://github.com/QwenLM/Qwen3/blob/7a2f61f/Qwen3_Technical_Report.pdf"
    html = (scores_report / "index.html").read_text()
    tags = _parse(html).tags
    names = {t for t, _ in tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "base", "form", "audio", "video"}
    assert not any(a.get("src") for _, a in tags)
    hrefs = [a["href"] for t, a in tags if t == "a" and a.get("href")]
    external = [h for h in hrefs if not (h.startswith("#") or re.fullmatch(r"[\w./-]+(#[\w-]+)?", h))]
    assert external == [url]
    assert not any(h.lower().startswith("javascript:") for h in hrefs)
    assert "javascript:alert(1)" in html  # shown as text, not a link
    assert not re.search(r"url\((?!#)", html)  # only in-page references (SVG clip paths)
    assert "@import" not in html and "@font-face" not in html
    # outside the one source anchor (its href and its text), no URL of any kind appears in the page
    assert re.findall(r"https?://[^\s\"'<>]+", html) == [url, url]
    csp = [a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    assert _csv(scores_report / "sources.csv")[1]["source"] == "javascript:alert(1)"


def _texts(doc: dict[str, Any]) -> list[str]:
    """index.html (without charts), summary.md and citation.txt for a document: the words only."""
    from harness.report.page import render_page
    from harness.report.text import citation_text, summary_markdown

    return [render_page(doc, []), summary_markdown(doc), citation_text(doc)]


@pytest.mark.parametrize("latent", [(0.9, [0.3, 1.5]), (-0.9, [-1.5, -0.3]), (0.1, [-0.4, 0.6])])
def test_wording_follows_the_data_and_never_says_proves(latent: tuple[float, list[float]]) -> None:
    doc = items_doc()
    # the headline follows the primary and its verdict (issue 9), not the Mantel-Haenszel row
    doc["asymmetry"]["primary"].update(estimate=latent[0], ci=latent[1], verdict_reasons=[])
    doc["verdict"] = ("targeted_larger" if latent[1][0] > 0 else "untargeted_larger" if latent[1][1] < 0
                      else "no_difference_shown")
    doc["triple_difference"]["suspect_asymmetry"] = latent[0]
    outputs = _texts(doc)
    for text in outputs:
        assert "proves" not in text.lower() and "statistically significant" not in text.lower()
    html = outputs[0]
    if latent[1][0] > 0:
        assert '<span class="verdict targeted_larger">Targeted gains were larger</span>' in html
        assert "exceeded untargeted gains by 0.90 logits" in html
    elif latent[1][1] < 0:
        assert '<span class="verdict untargeted_larger">Untargeted gains were larger</span>' in html
        assert "fell short of untargeted gains by 0.90 logits" in html
    else:  # the badge says which way the data lean, and no more
        assert '<span class="verdict no_difference_shown">No clear difference, leaning targeted</span>' in html
        assert "not evidence of equal gains" in html


def test_flat_is_said_only_after_a_passed_equivalence_test() -> None:
    for text in _texts(items_doc()):
        assert not re.search(r"\bflat\b", text, re.I)
    flat = items_doc()
    flat["flatness"].update(ci90=[-1.0, 1.5], equivalent=True)
    summary = _texts(flat)[1]
    assert "stayed flat on the 2 untargeted benchmarks" in summary
    assert "inside the ±3.0 pp equivalence margin" in summary


def test_a_single_control_allows_only_a_rank_comparison_and_the_words_say_so() -> None:
    doc = items_doc()
    td = doc["triple_difference"]
    doc["triple_difference"] = {"controls": td["controls"][:1], "excess": None, "ci": [None, None], "t_p_value": None,
                                "rank_p_value": 0.5, "note": "the prediction-interval t-test needs at least 2 controls"}
    summary = _texts(doc)[1]
    assert ("only a rank comparison is possible: this asymmetry was larger than that transition's (placebo rank "
            "p = 0.50)") in summary
    assert "industry-wide trend is not controlled for" in summary


def test_changes_are_percentage_points_never_bare_percent(items_report: tuple[Path, Any]) -> None:
    out, _ = items_report
    summary = (out / "summary.md").read_text()
    headline = summary.split("## Estimates")[0]
    assert "+9.0 pp" in headline  # (14 + 4) / 2
    assert not re.search(r"[+-]\d+(\.\d+)?%", headline)  # a signed percent would read as a relative change


def test_absent_controls_and_power_are_said_plainly_not_drawn(scores_report: Path) -> None:
    out = scores_report
    assert not (out / "charts" / "controls.png").exists() and not (out / "charts" / "power.csv").exists()
    html = (out / "index.html").read_text()
    assert "Chart not drawn (this step among other developers&#x27; steps): no control transitions" in html
    assert "Chart not drawn (what this design could detect): the document has no power analysis" in html
    assert "Published scores are score-level, unpaired evidence" in html
    assert "No examples: published scores have no item-level outputs" in html
    citation = (out / "citation.txt").read_text()
    assert "From published scores only (unpaired; weaker evidence)" in citation


def test_citation_txt_has_numbers_method_version_hashes_and_command(items_report: tuple[Path, Any]) -> None:
    out, doc = items_report
    text = (out / "citation.txt").read_text()
    assert "+0.88 logits (0.28 to 1.47; p = 0.004). Method: latent asymmetry A^L on these items" in text
    prim = doc["asymmetry"]["primary"]
    assert f"{prim['estimate']:+.2f} logits ({prim['ci'][0]:.2f} to {prim['ci'][1]:.2f}; p = " in text
    assert "Method: mean item gain per suite from a binomial model" in text
    assert "(; p" not in text  # a row without an interval never prints an empty one (issue 9)
    assert f"asymmetry {doc['harness_version']} (compare schema asymmetry.compare/1)" in text
    assert f"items.csv sha256 {'ab' * 32}" in text
    assert doc["summary"] in text  # compare's own citable paragraph, verbatim
    assert doc["command"] in text
    assert "does not identify the source" in text


def test_an_existing_report_is_refused_without_overwrite_and_swapped_with_it(tmp_path: Path) -> None:
    out = tmp_path / "r"
    write_report(items_doc(), out)
    before = (out / "index.html").read_text()
    with pytest.raises(UserError, match="already exists; pass --overwrite"):
        write_report(scores_doc(), out)
    assert (out / "index.html").read_text() == before
    write_report(scores_doc(), out, overwrite=True)
    assert "score-level" in (out / "index.html").read_text()
    assert not (out / "charts" / "controls.png").exists()  # nothing left over from the old report
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no temporary directories left behind


def test_a_directory_that_is_not_a_report_is_never_replaced(tmp_path: Path) -> None:
    precious = tmp_path / "project"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not an asymmetry report directory"):
        write_report(items_doc(), precious, overwrite=True)
    assert (precious / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a directory"):
        write_report(items_doc(), tmp_path / "file", overwrite=True)


def test_a_document_off_the_contract_is_a_one_line_error(tmp_path: Path) -> None:
    doc = with_changes(items_doc(), scale="pp")
    with pytest.raises(UserError, match="does not follow the contract: scale"):
        write_report(doc, tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_same_document_gives_the_same_charts_and_words() -> None:
    from harness.report.charts import render

    doc = items_doc()
    assert _texts(doc) == _texts(items_doc())
    first, second = render(doc, "forest", source="s"), render(doc, "forest", source="s")
    assert first.svg == second.svg and first.png == second.png


def test_a_pre_registered_analysis_says_so_with_its_hash_and_deviations(tmp_path: Path) -> None:
    from harness.compare import compare
    from harness.plan import load_plan, make_plan, write_plan
    from tests.report.test_report_samples import SUITES, item_table

    path = tmp_path / "plan.json"
    write_plan(path, make_plan({s: c for s, (c, _) in SUITES.items()}, before="old-release", after="new-release",
                               margin_pp=2.0))
    plan = load_plan(path)
    doc = compare(item_table(), "old-release", "new-release", plan=plan, margin_pp=4.0, n_boot=0)
    summary = _texts(doc)[1]
    assert f"Pre-registered (plan file {path}; sha256 {plan['file_sha256'][:16]}…" in summary
    assert "Deviations from the plan: margin_pp = 4.0 differs from the plan's 2.0" in summary
    assert "Not pre-registered" not in summary


def test_summary_markdown_keeps_hostile_names_inert(tmp_path: Path) -> None:
    import pandas as pd

    from harness.compare import compare_scores

    hostile = "HumanEval <img src=x onerror=alert(1)> | ="
    rows = [("old <script>x</script>", hostile, "targeted", 50.0, 164), ("new", hostile, "targeted", 60.0, 164),
            ("old <script>x</script>", "GSM8K", "untargeted", 80.0, 1319), ("new", "GSM8K", "untargeted", 82.0, 1319)]
    doc = compare_scores(pd.DataFrame(rows, columns=["model", "suite", "category", "score", "n_items"]),
                         "old <script>x</script>", "new", command="asymmetry compare --scores s.csv ```; rm -rf ~")
    md = (write_report(doc, tmp_path / "r").path / "summary.md").read_text()
    assert "<img" not in md and "<script" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    suite_rows = [line for line in md.splitlines() if line.startswith("| HumanEval")]
    assert suite_rows and all(line.count("|") - line.count("\\|") == 8 for line in suite_rows)  # 7 cells, intact
    fence = next(line for line in md.splitlines() if line.startswith("````"))
    assert md.count(fence.rstrip("sh")) == 2  # the command cannot close its own code block


def test_chart_captions_and_control_intervals_follow_alpha(tmp_path: Path) -> None:
    doc = items_doc()
    doc["alpha"] = 0.10
    html = (write_report(doc, tmp_path / "r").path / "index.html").read_text()
    assert "with 90% intervals" in html and "with 95% intervals" not in html
    control = _csv(tmp_path / "r" / "charts" / "controls.csv")[0]
    half = float(control["ci_high"]) - float(control["asymmetry_logits"])
    assert half == pytest.approx(1.6449 * float(control["se"]), rel=1e-3)


def test_summary_markdown_renders_no_link_or_image_from_names(tmp_path: Path) -> None:
    # security review finding 7: a suite named like this rendered a remote image and a javascript: link
    # in summary.md's title, headline, table and citation; rendered here by a real Markdown renderer
    # (markdown-it, GitHub-flavoured: tables, strikethrough and bare-address links on)
    import pandas as pd
    from markdown_it import MarkdownIt

    from harness.compare import compare_scores

    suite = "![t](http://evil.example/pixel.png) [click](javascript:alert(1)) *x* `y` www.evil.example a@evil.example"
    before, after = "[b](http://evil.example/b)", "<http://evil.example/a>"
    rows = [(before, suite, "targeted", 50.0, 164), (after, suite, "targeted", 60.0, 164),
            (before, "GSM8K", "untargeted", 80.0, 1319), (after, "GSM8K", "untargeted", 82.0, 1319)]
    doc = compare_scores(pd.DataFrame(rows, columns=["model", "suite", "category", "score", "n_items"]), before, after)
    md = (write_report(doc, tmp_path / "r").path / "summary.md").read_text()
    pytest.importorskip("linkify_it", reason="markdown-it's bare-address links need linkify-it-py")
    renderer = MarkdownIt("gfm-like")
    tokens = renderer.parse(md)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or ()}
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "code_inline"}, kinds  # (italics: our caveat)
    rendered = renderer.render(md)
    assert "<a " not in rendered and "<img" not in rendered
    text = re.sub(r"<[^>]+>", "", rendered)  # what a reader sees: the names as they were written
    assert "![t](http://evil.example/pixel.png) [click](javascript:alert(1)) *x* `y` www.evil.example" in text
    assert "[b](http://evil.example/b)" in text
