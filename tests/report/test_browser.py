"""The report page in a real headless Chromium: hostile model output never executes, the page renders,
logs no console errors and makes no network requests (issue 5, "Safety of the page")."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.compare import resolve_compare, wording
from harness.report import write_report
from harness.report.charts import asymmetry_title
from harness.report.examples import discordant_examples
from harness.run.store import write_run
from tests.report.test_report import _parse
from tests.report.test_report_samples import items_doc

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

PAYLOADS = (
    "<script>window.__pwned = 'script'; alert('script')</script>",
    "<img src=x onerror=\"window.__pwned = 'img'; alert('img')\">",
    "<a href=\"javascript:window.__pwned = 'link'\">click me</a> javascript:alert(document.domain)",
    "</pre></details><svg onload=\"window.__pwned = 'svg'\"><iframe src=\"https://example.com/\"></iframe>",
    "<style>@import url(https://example.com/x.css); body { background: url(https://example.com/p.png) }</style>",
)


SUITES = {"humaneval<img src=x onerror=alert(1)>": ("targeted", "coding"), "bfcl-simple": ("targeted", "agentic"),
          "math500": ("untargeted", "math"), "nq-open": ("untargeted", "factual")}


def _record(model: str, suite: str, item: int, score: float, response: str) -> dict[str, Any]:
    category, capability = SUITES[suite]
    return {"run_id": f"run-{model}", "model": model, "suite": suite, "suite_version": "1.0.0",
            "category": category, "capability": capability, "item_id": f"item-{item}", "item_hash": f"h{suite}-{item}",
            "sample": 0, "score": score, "correct": score == 1.0, "error": None, "response": response,
            "extracted": None, "latency_s": 0.1, "usage": {}, "started_at": "2025-06-01T12:00:00Z"}


def _runs(tmp_path: Path, before: str, after: str) -> list[Path]:
    """Two real run directories (one per release) whose model outputs are attack payloads."""
    dirs = []
    for model, release in ((before, 0), (after, 1)):
        records = []
        for s, suite in enumerate(SUITES):
            for i in range(60):
                # items 0-9 flip one way, 10-19 the other (more gains in targeted suites), the rest alternate
                flip = (i < 10 + 8 * (s < 2)) if release else (10 + 8 * (s < 2) <= i < 30)
                score = float(flip if i < 30 else i % 2)
                records.append(_record(model, suite, i, score, f"answer {i}: {PAYLOADS[i % len(PAYLOADS)]}"))
        manifest = {"models": [{"label": model}], "created_at": "2025-06-01T12:00:00Z",
                    "decoding": {"temperature": 0.0, "max_tokens": 2048, "seed": 7}}
        dirs.append(write_run(tmp_path / f"run-{model}", manifest, records))
    return dirs


@pytest.fixture
def chromium_page(tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install the Debian package 'chromium' (.ci/run does)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 412, "height": 915})  # a phone-sized viewport
        try:
            yield context
        finally:
            context.close()


def test_hostile_model_output_is_inert_text_in_a_real_browser(tmp_path: Path, chromium_page: Any) -> None:
    from PIL import Image

    before, after = "old-release", "new-release"
    runs = _runs(tmp_path, before, after)
    examples = discordant_examples(runs, before, after, per_suite=3)
    assert {ex.kind for ex in examples} == {"gain", "loss"}
    assert any("<script>" in ex.after_output or "<script>" in ex.before_output for ex in examples)
    doc = resolve_compare(before, after, results=runs)  # the real compare, as `asymmetry report` calls it
    assert any("<img src=x" in s["suite"] for s in doc["suites"])
    out = tmp_path / "report"
    write_report(doc, out, examples=examples)
    html = (out / "index.html").read_text()
    tags = _parse(html).tags
    assert not {t for t, _ in tags} & {"script", "img", "iframe"}
    assert not [(t, k) for t, attrs in tags for k in attrs if k.lower().startswith("on")]  # no event handlers

    page = chromium_page.new_page()
    requests: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    url = (out / "index.html").as_uri()
    page.goto(url, wait_until="load")
    for summary in page.locator("details > summary").all():  # open every example, so payloads are laid out
        summary.click()
    page.wait_for_timeout(300)

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    assert page.locator("script").count() == 0
    assert page.locator("img").count() == 0 and page.locator("iframe").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    body = page.inner_text("body")
    assert "<script>window.__pwned = 'script'; alert('script')</script>" in body  # shown, as text
    assert "<img src=x onerror=" in body
    assert "humaneval<img src=x onerror=alert(1)>" in body  # a hostile suite name, in tables and charts
    assert requests == [url], requests  # the page itself, nothing else
    assert console_errors == [] and page_errors == []

    shot = page.screenshot(full_page=True)
    with Image.open(io.BytesIO(shot)) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(1 << 22) or []
        white = sum(n for n, c in colours if c == (255, 255, 255))
        assert len(colours) > 50, "the screenshot is blank"
        assert white < 0.97 * rgb.width * rgb.height
        assert rgb.height > 3 * rgb.width  # the full page was laid out
    assert page.evaluate("document.documentElement.scrollWidth") <= 412 + 1  # no sideways scroll on a phone


def test_the_page_prints(tmp_path: Path, chromium_page: Any) -> None:
    out = tmp_path / "report"
    write_report(items_doc(), out)
    page = chromium_page.new_page()
    page.goto((out / "index.html").as_uri(), wait_until="load")
    page.emulate_media(media="print")
    assert page.locator("nav").evaluate("n => getComputedStyle(n).display") == "none"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000



@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from harness.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("newsroom") / "demo").path


_LABEL_SIZES = """() => Array.from(document.querySelectorAll('figure svg.chart text')).map(t => {
    const m = t.getScreenCTM();
    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)};
})"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_the_demo_report_reads_on_a_phone_and_a_desktop(demo_report: Path, chromium_page: Any, width: int,
                                                        tmp_path: Path) -> None:
    """As a journalist opens it: no sideways scrolling on a phone, chart labels as large as body text
    allows, every chart titled by its finding, and nothing requested from the network."""
    page = chromium_page.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = (demo_report / "index.html").as_uri()
    page.goto(url, wait_until="load")
    shot = tmp_path / f"demo-{width}px.png"
    page.screenshot(path=str(shot), full_page=True)  # kept in the test's tmp output for a human look
    assert shot.stat().st_size > 50_000

    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no horizontal overflow
    sizes = page.evaluate(_LABEL_SIZES)
    assert len(sizes) > 100
    smallest = min(sizes, key=lambda s: s["px"])
    assert smallest["px"] >= 11.0, smallest  # was about 5 px on a phone before the charts were redrawn
    if width == 1280:
        assert max(s["px"] for s in sizes) <= 24  # capped on a desktop, not blown up
    doc = json.loads((demo_report / "compare.json").read_text())
    titles = page.locator("figure .chart-title").all_inner_texts()
    assert "Qwen3.8-Max leaned furthest towards targeted gains of any step shown" in titles
    assert asymmetry_title(doc) in titles and asymmetry_title(doc).startswith("Targeted gains looked larger")
    # the headline: one plain sentence of at most 35 words with one number and its interval
    headline = page.locator("p.headline").inner_text()
    assert headline == wording.headline_sentence(doc)
    assert len(headline.split()) <= 35 and headline.count(". ") == 0 and headline.endswith(".")
    assert re.search(r"about \d+ (percentage )?points more .*\(95% CI -?\d+ to -?\d+\)", headline), headline
    assert "logits" not in headline and "rank" not in headline and "Mantel" not in headline
    # the badge says what the JSON's verdict says
    badge = page.locator("span.verdict")
    assert badge.get_attribute("class") == f"verdict {doc['verdict']}" == "verdict fragile"
    assert badge.inner_text() == wording.badge(doc) == "Fragile, leaning targeted"
    box = page.locator("p.headline").bounding_box()
    assert box["y"] < 1800  # the answer is on the first screens, not below the tables
    # the checks that raised a warning follow the headline, their first line on the first screen (900 px)
    guards = page.locator("#guards li")
    assert guards.all_inner_texts() == [line for _, line in wording.guard_plain(doc)]
    assert guards.first.get_attribute("data-guard") == "fragile"
    first = guards.first.bounding_box()
    assert first["y"] + first["height"] <= 900, first
    svg_text = " ".join(s["text"] for s in sizes)
    assert "← untargeted" in svg_text and "targeted →" in svg_text and "gained more" in svg_text
    figure_width = page.locator("#chart-timeline svg").bounding_box()["width"]
    assert figure_width <= min(width, 560)
    assert requests == [url] and errors == []
    page.goto((demo_report / "methods.html").as_uri(), wait_until="load")  # the methods page reads there too
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator("#s4-1").count() == 1 and page.locator("script").count() == 0


_SLOPE_LABELS = """() => {
    const box = el => el.getBoundingClientRect();
    return Array.from(document.querySelectorAll('#chart-slopes g[id^="slopes-label-"]')).map(g => {
        const k = g.id.split('-').pop();
        const label = box(g), leader = box(document.getElementById('slopes-leader-' + k));
        return {k: Number(k), top: label.top, bottom: label.bottom, left: label.left, right: label.right,
                mid: (label.top + label.bottom) / 2, leader_top: leader.top, leader_bottom: leader.bottom};
    });
}"""


@pytest.mark.slow
def test_slope_labels_stay_matchable_to_their_lines_with_many_benchmarks(chromium_page: Any, tmp_path: Path) -> None:
    """Qwen3.5-35B-A3B -> Qwen3.6-35B-A3B has 10 untargeted benchmarks ending within 15 points of each other:
    every label keeps its own box, sits at the end of its own leader line, and the labels keep the lines'
    order, so no two leaders cross."""
    from harness.demo import run_demo

    out = run_demo(tmp_path / "demo", "qwen3.5-35b>qwen3.6-35b").path
    rows = list(csv.DictReader(open(out / "charts" / "slopes.csv", encoding="utf-8")))
    assert sum(r["category"] == "untargeted" for r in rows) >= 8
    page = chromium_page.new_page()
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto((out / "index.html").as_uri(), wait_until="load")
    page.locator("#chart-slopes").screenshot(path=str(tmp_path / "slopes-390px.png"))
    labels = page.evaluate(_SLOPE_LABELS)
    assert sorted(label["k"] for label in labels) == list(range(len(rows)))
    for a in labels:
        assert a["leader_top"] - 1 <= a["mid"] <= a["leader_bottom"] + 1, a  # the label ends its own leader
        for b in labels:
            if a["k"] < b["k"]:
                assert a["bottom"] <= b["top"] + 0.5 or b["bottom"] <= a["top"] + 0.5, (a, b)  # no overlap
    for category in ("targeted", "untargeted"):
        members = [k for k, r in enumerate(rows) if r["category"] == category]
        by_label = sorted(members, key=lambda k: next(label["mid"] for label in labels if label["k"] == k))
        by_value = sorted(members, key=lambda k: -float(rows[k]["after_pct"]))
        assert by_label == by_value, category  # top to bottom in the order the lines end
