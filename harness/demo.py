"""`asymmetry demo`: the whole pipeline, offline, on real published scores (harness/data/).

The suspect is a Qwen release step; the controls are Llama and DeepSeek steps of the same period. Each
transition's two releases come from one source table. A control enters the triple difference only if
it shares at least one targeted and one untargeted suite with the suspect (compare measures every
transition's asymmetry on the suspect's suites), so which controls are usable depends on the step.

The demo writes the exact score table it used into the report (`scores.csv`), so its compare.json can be
reproduced with the ordinary `asymmetry compare --scores …` command printed at the end.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from harness.errors import UserError

DEFAULT_TRANSITION = "qwen2.5-72b>qwen3-235b"
DEFAULT_OUT = Path("reports/demo")
SCORE_COLUMNS = ("model", "suite", "category", "capability", "score", "n_items", "n_items_exact", "n_items_basis",
                 "setting", "source", "table")


@dataclass(frozen=True)
class Transition:
    transition: str
    lab: str
    role: str
    before: str
    after: str
    source_id: str
    table: str
    released: str
    note: str

    @property
    def label(self) -> str:
        return f"{self.before} -> {self.after}"


@dataclass
class DemoInputs:
    suspect: Transition
    controls: list[Transition]
    skipped: list[tuple[Transition, str]]
    rows: list[dict[str, str]]  # the score table handed to compare, one row per (model, suite)


@dataclass
class DemoResult:
    path: Path
    doc: dict[str, Any]
    inputs: DemoInputs
    replaced: bool
    other_steps: list[dict[str, Any]] = field(default_factory=list)


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("harness.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def load_transitions() -> list[Transition]:
    """The curated release pairs (harness/data/transitions.csv)."""
    return [Transition(**row) for row in _read("transitions.csv")]


def load_published_scores() -> list[dict[str, str]]:
    """The curated published-score rows (harness/data/published_scores.csv)."""
    return _read("published_scores.csv")


def transition_rows(t: Transition, scores: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Both releases' rows from the transition's own source table, on the suites both report there."""
    mine = [r for r in scores if (r["source_id"], r["table"]) == (t.source_id, t.table) and r["model"] in (t.before, t.after)]
    before = {r["suite"] for r in mine if r["model"] == t.before}
    after = {r["suite"] for r in mine if r["model"] == t.after}
    return [r for r in mine if r["suite"] in before & after]


def _shares(suspect_rows: Sequence[dict[str, str]], rows: Sequence[dict[str, str]]) -> str | None:
    """None if `rows` share a targeted and an untargeted suite with the suspect, else the reason not."""
    suspect = {(r["suite"], r["category"]) for r in suspect_rows}
    shared = {(r["suite"], r["category"]) for r in rows} & suspect
    missing = [c for c in ("targeted", "untargeted") if not any(cat == c for _, cat in shared)]
    if not missing:
        return None
    return f"shares no {' or '.join(missing)} suite with the suspect (its tables report other benchmarks or versions)"


def demo_inputs(transition: str = DEFAULT_TRANSITION) -> DemoInputs:
    """The suspect transition, its usable controls (and the skipped ones, with reasons), and the table."""
    all_t = load_transitions()
    by_id = {t.transition: t for t in all_t}
    if transition not in by_id:
        known = ", ".join(t.transition for t in all_t if t.role == "suspect")
        raise UserError(f"--transition {transition!r} is not in the demo data; choose one of {known} "
                        "(asymmetry demo --list shows them all)")
    suspect = by_id[transition]
    scores = load_published_scores()
    suspect_rows = transition_rows(suspect, scores)
    controls, skipped = [], []
    rows = list(suspect_rows)
    for t in all_t:
        if t.role != "control" or t.lab == suspect.lab:
            continue
        t_rows = transition_rows(t, scores)
        reason = _shares(suspect_rows, t_rows)
        if reason:
            skipped.append((t, reason))
        else:
            controls.append(t)
            rows += t_rows
    table: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        key = (r["model"], r["suite"])
        if key in table and table[key]["score"] != r["score"]:
            raise UserError(f"demo data: {r['model']} has two different {r['suite']} scores; re-run the curation")
        table.setdefault(key, r)
    return DemoInputs(suspect, controls, skipped, [{k: r[k] for k in SCORE_COLUMNS} for r in table.values()])


def _frame(rows: Sequence[dict[str, str]]) -> Any:
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(SCORE_COLUMNS))
    return frame.assign(score=frame["score"].astype(float), n_items=frame["n_items"].astype(int))


def scores_csv(rows: Sequence[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(SCORE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def compare_demo(inputs: DemoInputs, *, scores_path: Path, scores_bytes: bytes) -> dict[str, Any]:
    """The compare document of the demo, through the same `compare_scores` as `asymmetry compare --scores`."""
    from harness.compare import compare_scores
    from harness.compare.inputs import compare_command

    controls = [f"{t.before}:{t.after}" for t in inputs.controls]
    command = compare_command(inputs.suspect.before, inputs.suspect.after, [], None, scores_path, controls, None,
                              False, 3.0, 10_000, 0, {}, "default")
    sha = hashlib.sha256(scores_bytes).hexdigest()
    return compare_scores(_frame(inputs.rows), inputs.suspect.before, inputs.suspect.after, controls=controls,
                          inputs={"kind": "scores", "paths": [str(scores_path)], "sha256": {str(scores_path): sha}},
                          command=command)


def other_steps(exclude: str) -> list[dict[str, Any]]:
    """The latent asymmetry of every other Qwen step, each on its own table (no controls): a quick look
    at whether the headline step is typical of the family."""
    from harness.compare import compare_scores

    scores = load_published_scores()
    out = []
    for t in load_transitions():
        if t.role != "suspect" or t.transition == exclude:
            continue
        rows = [{k: r[k] for k in SCORE_COLUMNS} for r in transition_rows(t, scores)]
        doc = compare_scores(_frame(rows), t.before, t.after)
        lat = doc["asymmetry"]["latent"]
        out.append({"transition": t.transition, "before": t.before, "after": t.after,
                    "n_targeted": len(doc["groups"]["targeted"]["suites"]),
                    "n_untargeted": len(doc["groups"]["untargeted"]["suites"]),
                    "estimate": lat["estimate"], "ci": lat["ci"], "p_value": lat["p_value"]})
    return out


#: Files only a demo report has, beside every report's own (index.html, compare.json).
DEMO_MARKERS = ("scores.csv", "other_qwen_steps.csv")


def check_demo_target(out: Path) -> None:
    """`out` may be new, empty, or an earlier *demo* report (replaced without asking, as the demo is
    re-run freely); any other directory, a report of real runs included, is refused before any work."""
    from harness.report import check_target

    check_target(out, overwrite=True)  # refuses what is not a report at all (and a file)
    if out.is_dir() and any(out.iterdir()) and not all((out / m).is_file() for m in DEMO_MARKERS):
        raise UserError(f"{out}: is an asymmetry report, but not one the demo wrote (no {' and '.join(DEMO_MARKERS)}); "
                        "the demo never replaces it: choose another --out")


def run_demo(out: Path = DEFAULT_OUT, transition: str = DEFAULT_TRANSITION) -> DemoResult:
    """Compare the chosen Qwen step with its usable controls and write the full report to `out`.

    An earlier demo report at `out` is replaced (built beside it and swapped in); any other existing
    directory, including a report of real runs, is refused."""
    from harness.report import write_report

    out = Path(out)
    check_demo_target(out)  # an earlier demo report may go; anything else is refused before the work
    inputs = demo_inputs(transition)
    data = scores_csv(inputs.rows)
    doc = compare_demo(inputs, scores_path=out / "scores.csv", scores_bytes=data)
    replaced = out.exists()
    sources = [{"model": r["model"], "suite": r["suite"], "score": r["score"], "n_items": r["n_items"],
                "n_items_basis": r["n_items_basis"], "setting": r["setting"], "source": r["source"]}
               for r in inputs.rows]
    steps = other_steps(transition)
    write_report(doc, out, overwrite=True, sources=sources,
                 extra_files={"scores.csv": data, "other_qwen_steps.csv": steps_csv(steps)})
    return DemoResult(path=out, doc=doc, inputs=inputs, replaced=replaced, other_steps=steps)


def steps_csv(steps: Sequence[dict[str, Any]]) -> bytes:
    """The other Qwen steps' latent asymmetries as CSV (logits, 95% interval, two-sided p)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["transition", "before", "after", "n_targeted", "n_untargeted", "latent_asymmetry_logits",
                     "ci_low", "ci_high", "p_value"])
    for s in steps:
        writer.writerow([s["transition"], s["before"], s["after"], s["n_targeted"], s["n_untargeted"], s["estimate"],
                         s["ci"][0], s["ci"][1], s["p_value"]])
    return buf.getvalue().encode()
