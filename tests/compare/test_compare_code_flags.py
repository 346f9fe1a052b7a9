"""Review flags of code records reach compare (issue 10 §1): counted per suite and release in the compare
JSON and the terminal, and a targeted gain carried by flagged records does not reach the verdict.

The real path end to end: a loopback model server plays three releases over builtin-code and
builtin-math, `asymmetry run` scores them in the real sandbox (bubblewrap), `asymmetry compare --json`
reads the run directory. The cheating solutions are tests/suites/code_cheats.py's:

  before  honest: right on code items 0-9 and math items 0-19, honest wrong answers elsewhere
  after   code items 0-4: the cheats as they are (the sandbox scores them wrong, and flags them);
          code items 5-39: a hedged cheat, the cheat's kit with a correct solution as its fallback, which
          passes and is flagged; math right on items 5-24
  clean   the same right and wrong items as `after`, with plain honest code (the control: no flag)

So `after` and `clean` make the same gains (30 code items newly solved, 5 lost; math 5 gained, 5 lost),
and only `after`'s are carried by flagged records.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.compare import compare
from harness.compare.schema import validate_compare
from harness.run.store import iter_records
from harness.suites.builtin import GENERATORS, code_tasks
from harness.table import items_from_file, items_from_runs
from tests.servers import Incoming, serve
from tests.suites.code_cheats import KITS, TECHNIQUES, solution

ROOT = Path(__file__).resolve().parents[2]
N = 40  # items per suite (the minimum suite size is 30)
HEDGES = [t for t in TECHNIQUES if t != "exit_before_tests"]  # that one leaves before its fallback could run


def answers():
    """The server's answer function for the three releases (see the module docstring)."""
    tasks = code_tasks.generate_tasks(2026, N)
    code = {t.item.input["prompt"]: (i, t) for i, t in enumerate(tasks)}
    math = {it.input["question"]: (i, it.target) for i, it in enumerate(GENERATORS["math"](2026, N))}

    def answer(request: Incoming) -> str:
        model = request.body["model"]
        first = next(m["content"] for m in request.body["messages"] if m["role"] == "user")
        if first.startswith("Solve the following math problem"):
            i, target = math[first.split("\n\n", 1)[1]]
            right = i < 20 if model == "before" else 5 <= i < 25
            return f"Let me think.\nThe answer is {target if right else -987654.321}"
        i, task = code[first.rsplit("\n\nReply with the complete solution", 1)[0]]
        entry = task.item.target["entry_point"]
        wrong = f"```python\ndef {entry}(*args):\n    return None\n```"
        right = f"```python\n{task.reference_source()}```"
        if model == "before":
            return right if i < 10 else wrong
        if model == "clean":
            return right if i >= 5 else wrong
        if i < 5:
            return solution(TECHNIQUES[(i + 1) % len(TECHNIQUES)], "builtin", task.item)  # all but the first
        return f"```python\n{KITS[HEDGES[i % len(HEDGES)]]}\n{task.reference_source()}```"

    return answer


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "250"})


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed: the code suites need the sandbox")
    out = tmp_path_factory.mktemp("results")
    with serve(answer=answers(), models=("before", "after", "clean")) as srv:
        done = cli("run", *[a for m in ("before", "after", "clean") for a in ("--model", f"{m}=vllm:{m}@{srv.base_url}")],
                   "--suites", "builtin-code,builtin-math", "--limit", str(N), "--out", str(out), "--run-id", "r",
                   "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    return out / "r"


def compared(run_dir: Path, after: str, tmp_path: Path) -> tuple[dict, str]:
    path = tmp_path / f"{after}.json"
    done = cli("compare", "--before", "before", "--after", after, "--results", str(run_dir), "--json", str(path))
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(path.read_text())
    assert validate_compare(doc) == []
    return doc, done.stdout


def test_the_runs_are_what_the_scenario_says(run_dir):
    records = [r for r in iter_records(run_dir) if r["suite"] == "builtin-code"]
    by = {(r["model"], int(r["item_id"].rsplit("/", 1)[1])): r for r in records}
    flagged = {m: sum(bool((r["extracted"] or {}).get("flags")) for (mm, _), r in by.items() if mm == m)
               for m in ("before", "after", "clean")}
    assert flagged == {"before": 0, "after": N, "clean": 0}
    # the cheats failed; the hedged cheats passed on their honest fallback; the clean release passed the same items
    assert [by[("after", i)]["correct"] for i in range(N)] == [i >= 5 for i in range(N)]
    assert [by[("clean", i)]["correct"] for i in range(N)] == [i >= 5 for i in range(N)]
    assert [by[("before", i)]["correct"] for i in range(N)] == [i < 10 for i in range(N)]
    table = items_from_runs([run_dir])
    assert "flags" in table
    after_code = table[(table["model"] == "after") & (table["suite"] == "builtin-code")]
    assert (after_code["flags"] != "").all() and after_code["flags"].str.contains("redefines_builtins").all()
    assert (table.loc[table["model"] != "after", "flags"] == "").all()


def test_a_targeted_gain_carried_by_flagged_code_is_counted_and_does_not_reach_the_verdict(run_dir, tmp_path):
    doc, terminal = compared(run_dir, "after", tmp_path)
    flags = doc["code_flags"]
    assert flags["checked"] and flags["flagged_records"] == {"before": 0, "after": N}
    rows = {(r["suite"], r["release"]): r for r in flags["by_suite"]}
    assert set(rows) == {("builtin-code", "before"), ("builtin-code", "after")}  # math has no code, no flag
    after = rows[("builtin-code", "after")]
    assert (after["records"], after["flagged"], after["model"]) == (N, N, "after")
    assert after["by_flag"]["redefines_builtins"] == N  # every kit imports builtins
    assert after["by_flag"]["left_early"] == 1  # the one plain exit_before_tests answer (items 0-4 rotate kits)
    assert after["by_flag"]["non_data_return"] == 1  # the one plain always_equal answer
    assert rows[("builtin-code", "before")]["flagged"] == 0 and rows[("builtin-code", "before")]["by_flag"] == {}

    # the change is carried by flagged records: the 30 newly solved code items all carry one
    assert flags["carried"] == [{"suite": "builtin-code", "category": "targeted", "gained": 30, "gained_flagged": 30,
                                 "lost": 5, "lost_flagged": 0}]
    assert flags["blocked"] and flags["rescored"]["verdict"] != "targeted_larger"
    assert doc["verdict"] == "fragile" and doc["asymmetry"]["primary"]["verdict"] == "fragile"
    assert any("flagged code records as failures" in r for r in doc["asymmetry"]["primary"]["verdict_reasons"])
    guard = next(g for g in doc["diagnostics"]["guards"] if g["name"] == "flagged_code")
    assert "30 of the 30 item(s) the after release newly solved" in guard["message"]
    assert "consistent with gains concentrated" not in doc["summary"] and "fragile" in doc["summary"]
    # the terminal says it too: the counts line, the named guard, the verdict
    assert "code flags (flagged/records): before builtin-code 0/40; after builtin-code 40/40" in terminal
    assert "warning (flagged_code)" in terminal
    assert re.search(r"verdict:\s*fragile", terminal)


def test_the_same_gain_without_flags_is_not_blocked(run_dir, tmp_path):
    doc, terminal = compared(run_dir, "clean", tmp_path)
    flags = doc["code_flags"]
    assert flags["checked"] and flags["flagged_records"] == {"before": 0, "after": 0}
    assert [(r["release"], r["records"], r["flagged"]) for r in flags["by_suite"]] == [("before", N, 0), ("after", N, 0)]
    assert flags["carried"] == [] and flags["rescored"] is None and not flags["blocked"]
    assert "flagged_code" not in {g["name"] for g in doc["diagnostics"]["guards"]}
    # one suite per group (and few item clusters): the intervals point to a targeted gain, but leave-one-out
    # cannot check a group of one suite, so the verdict is fragile for that, not for the flags
    assert doc["verdict"] == "fragile"
    reasons = doc["asymmetry"]["primary"]["verdict_reasons"]
    assert any("has one suite" in r for r in reasons) and not any("flagged" in r for r in reasons), reasons
    assert "code flags (flagged/records): before builtin-code 0/40; clean builtin-code 0/40" in terminal


def test_an_exported_table_keeps_the_flags_and_one_without_them_still_compares(run_dir, tmp_path):
    table = items_from_runs([run_dir])
    with_flags, without = tmp_path / "with.csv", tmp_path / "without.csv"
    table.to_csv(with_flags, index=False)
    table.drop(columns=["flags"]).to_csv(without, index=False)
    again = compare(items_from_file(with_flags), "before", "after", n_boot=0)
    assert again["verdict"] == "fragile" and again["code_flags"]["flagged_records"] == {"before": 0, "after": N}
    plain = compare(items_from_file(without), "before", "after", n_boot=0)
    assert not plain["code_flags"]["checked"] and "no flags column" in plain["code_flags"]["note"]
    # without the flags nothing can be held against the gain (fragile only for the one suite per group)
    assert plain["verdict"] == "fragile" and not plain["code_flags"]["checked"]
    assert validate_compare(plain) == []
