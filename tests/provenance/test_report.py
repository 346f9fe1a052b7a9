"""The provenance report: built from the document alone, model text escaped, examples chosen by the fixed
rule, the shift chart's data beside it; standalone or beside the capability report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main
from harness.provenance.compare import provenance_document
from harness.provenance.examples import choose
from harness.provenance.model import fit_model
from harness.provenance.report import highlighted, write_standalone
from harness.provenance.texts import validate_texts

HOSTILE = "<script>window.__pwned=1</script><img src=x onerror=alert(1)> & \"quotes\""


@pytest.fixture(scope="module")
def doc(planted: pd.DataFrame) -> dict:
    table = planted.copy()
    hit = (table["model"] == "s1") & (table["split"] == "test")
    table.loc[hit, "text"] = table.loc[hit, "text"] + "\n" + HOSTILE
    table = validate_texts(table, source="hostile")
    model = fit_model(table, "teacher", ["cand-a", "cand-b"], ["ref-a", "ref-b"])
    return provenance_document(table, model, before="s0", after="s1",
                               controls=[(f"c{c}-old", f"c{c}-new") for c in range(8)], secondary_rows=False)


def test_examples_follow_the_fixed_rule(doc: dict) -> None:
    d = sorted(r["d"] for r in doc["prompts"]["per_prompt"])
    picked = doc["examples"]
    assert [x["rule"] for x in picked] == ["largest shift"] * 3 + ["median shift"] * 3 + ["most negative shift"] * 3
    assert [x["d"] for x in picked[:3]] == sorted(d[-3:], reverse=True)
    assert sorted(x["d"] for x in picked[-3:]) == d[:3]
    assert all(set(x["answers"]) == {"before", "after", "teacher"} for x in picked)
    assert choose([{"prompt_id": "a", "d": 1.0}]) == [("a", "all", 1.0)]


def test_highlighting_escapes_every_slice() -> None:
    text = "# note <b>x</b>\nplain & done"
    html = highlighted(text, [[0, 15, "marker:comment"], [22, 23, "toward"]])
    assert html.startswith('<mark class="marker" title="marker:comment"># note &lt;b&gt;x&lt;/b&gt;</mark>')
    assert '<mark class="toward" title="toward">&amp;</mark>' in html


def test_standalone_report_escapes_model_text(doc: dict, tmp_path: Path) -> None:
    out = write_standalone(doc, tmp_path / "prov")
    html = (out / "index.html").read_text()
    assert "<script>window.__pwned" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert doc["summary"].split(" (")[0].replace("'", "&#x27;") in html
    assert "Content-Security-Policy" in html and "http://" not in html.split("</head>")[0]
    chart = pd.read_csv(out / "charts" / "provenance_shift.csv")
    assert list(chart["role"]) == ["suspect"] + ["control"] * 8
    assert json.loads((out / "provenance.json").read_text())["schema"] == "asymmetry.provenance/1"
    with pytest.raises(Exception, match="already exists"):
        write_standalone(doc, out)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(e.value.code or 0), out, err


@pytest.mark.slow
def test_report_cli_standalone_and_beside_the_capability_report(doc: dict, tmp_path: Path, capsys) -> None:
    from tests.report.test_browser import _runs

    path = tmp_path / "prov.json"
    path.write_text(json.dumps(doc))
    code, out, err = _cli(capsys, "report", "--before", "s0", "--after", "s1", "--provenance", str(path),
                          "--out", str(tmp_path / "alone"))
    assert code == 0, err
    assert (tmp_path / "alone" / "index.html").is_file() and "consistent with" in out
    code, _, err = _cli(capsys, "report", "--before", "s0", "--after", "s9", "--provenance", str(path),
                        "--out", str(tmp_path / "x"))
    assert code == 2 and "it compares s0 → s1, not s0 → s9" in err
    runs = _runs(tmp_path, "s0", "s1")
    code, out, err = _cli(capsys, "report", "--before", "s0", "--after", "s1", "--results", *map(str, runs),
                          "--provenance", str(path), "--out", str(tmp_path / "both"))
    assert code == 0, err
    both = tmp_path / "both"
    assert (both / "compare.json").is_file() and (both / "provenance.html").is_file()
    assert 'href="provenance.html"' in (both / "index.html").read_text()  # listed among the report's files


@pytest.mark.slow
def test_hostile_answers_stay_inert_text_in_a_real_browser(doc: dict, tmp_path: Path) -> None:
    from tests.report.test_browser import CHROMIUM, FLAGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install the Debian package 'chromium'")
    playwright = pytest.importorskip("playwright.sync_api")
    out = write_standalone(doc, tmp_path / "prov")
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                       headless=True, args=FLAGS, viewport={"width": 412, "height": 915})
        try:
            page = context.new_page()
            page.goto((out / "index.html").as_uri())
            assert page.evaluate("window.__pwned") is None
            assert page.locator("img").count() == 0 and page.locator("script").count() == 0
            assert page.locator("text=window.__pwned=1").count() >= 1  # shown as text
            assert page.locator("#provenance svg").count() == 1
        finally:
            context.close()
