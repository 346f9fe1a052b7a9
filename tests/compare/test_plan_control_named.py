"""A control that only the plan names, and that the user never ran: compare refuses and says the plan is
where the control comes from (it said only that a model was missing, so the cause was a riddle)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main

SUITES = (("code", "targeted"), ("tools", "targeted"), ("math", "untargeted"), ("facts", "untargeted"))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    return int(done.value.code or 0), capsys.readouterr().err


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    rows = [{"model": m, "suite": s, "category": c, "item_id": f"{s}-{i}", "score": float((i * 7 + k) % 10 < 5 + k)}
            for k, m in enumerate(("old", "new")) for s, c in SUITES for i in range(40)]
    pd.DataFrame(rows).to_csv("items.csv", index=False)
    scores = [{"model": m, "suite": s, "category": c, "score": 50.0 + 5 * k, "n_items": 200}
              for k, m in enumerate(("old", "new")) for s, c in SUITES]
    pd.DataFrame(scores).to_csv("scores.csv", index=False)
    return tmp_path


@pytest.mark.parametrize("control_flag", [[], ["--control", "llama3-8b:llama3.1-8b"]])
@pytest.mark.parametrize("source", ["--items", "--scores"])
def test_a_planned_control_that_was_never_run_is_refused_naming_the_plan(inputs, capsys, control_flag, source):
    code, _ = cli(capsys, "plan", "--targeted", "code,tools", "--untargeted", "math,facts", "--before", "old",
                  "--after", "new", "--control", "llama3-8b:llama3.1-8b", "--external", "--out", "plan.json")
    assert code == 0
    data = "items.csv" if source == "--items" else "scores.csv"
    code, err = cli(capsys, "compare", "--before", "old", "--after", "new", source, data, "--plan", "plan.json",
                    *control_flag)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "control llama3-8b:llama3.1-8b comes from the plan plan.json (pre-registered)" in err
    assert "'llama3-8b' is not in the inputs (they hold new, old)" in err and "--control" in err


def test_a_control_given_only_on_the_command_line_keeps_the_plain_message(inputs, capsys):
    code, err = cli(capsys, "compare", "--before", "old", "--after", "new", "--items", "items.csv", "--control",
                    "a:b")
    assert code == 2 and err.strip() == "error: model 'a' is not in the inputs; they hold new, old"
