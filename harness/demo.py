"""`asymmetry demo`: the whole pipeline, offline, on real published scores (harness/data/).

The default is the 2026 case: Qwen3.7-Max -> Qwen3.8-Max, the first flagship step made entirely after the
alleged extraction window (22 April - 5 June 2026: the dates Anthropic gave in its letter of 10 June 2026
to the US Senate Banking Committee), against every usable step of other developers in the
same period. A control enters the triple difference only if it was released within CONTROL_MONTHS of the
suspect and shares at least one targeted and one untargeted suite with it (compare measures every
transition's asymmetry on the suspect's suites), so which controls are usable depends on the step.

Around that one comparison the report places the 2026 timeline (every Qwen step before, inside and after
the window, and other developers' steps, each on its own table) and says first what the new release's
table stopped reporting. Older steps stay available with `--transition`.

The demo writes the exact score table it used into the report (`scores.csv`), so its compare.json can be
reproduced with the ordinary `asymmetry compare --scores ...` command printed at the end.
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
from harness.report.timeline import CAPABILITIES, Case, Churn, Step

DEFAULT_TRANSITION = "qwen3.7-max>qwen3.8-max"
DEFAULT_OUT = Path("reports/demo")
#: Controls must be released within this many months of the suspect ("the same period").
CONTROL_MONTHS = 12
#: The columns of the score table handed to compare (and shipped as scores.csv).
SCORE_COLUMNS = ("model", "suite", "category", "capability", "score", "n_items", "n_items_exact", "n_items_basis",
                 "setting", "source_name", "evaluator", "source_url", "caveats")


@dataclass(frozen=True)
class Transition:
    transition: str
    lab: str
    role: str  # suspect | control | context
    before: str
    after: str
    source_id: str
    table: str
    released: str
    phase: str  # before | inside | after the window ('' outside the 2026 case)
    evaluator: str
    reported: str  # benchmarks per capability in the step's table: "coding 9; agentic 11; math 0; factual 2"
    caveats: str  # caveat ids, space-separated
    note: str

    @property
    def label(self) -> str:
        return f"{self.before} -> {self.after}"

    def reported_counts(self) -> dict[str, int]:
        out = {}
        for part in self.reported.split(";"):
            if part.strip():
                cap, n = part.split()
                out[cap] = int(n)
        return out


@dataclass(frozen=True)
class Caveat:
    caveat: str
    kind: str
    action: str  # exclude | flag
    transition: str
    source_id: str
    model: str
    benchmark_raw: str
    note: str


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
    case: Case
    steps: list[Step] = field(default_factory=list)


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("harness.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def load_transitions() -> list[Transition]:
    """The curated release pairs (harness/data/transitions.csv)."""
    return [Transition(**row) for row in _read("transitions.csv")]


def load_published_scores() -> list[dict[str, str]]:
    """The curated published-score rows (harness/data/published_scores.csv)."""
    return _read("published_scores.csv")


def load_caveats() -> list[Caveat]:
    """The known problems of the curated figures, as data (harness/data/caveats.csv)."""
    return [Caveat(**row) for row in _read("caveats.csv")]


def transition_rows(t: Transition, scores: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Both releases' rows from the transition's own source table, on the suites both report there."""
    mine = [r for r in scores if (r["source_id"], r["table"]) == (t.source_id, t.table) and r["model"] in (t.before, t.after)]
    before = {r["suite"] for r in mine if r["model"] == t.before}
    after = {r["suite"] for r in mine if r["model"] == t.after}
    return [r for r in mine if r["suite"] in before & after]


def _months(released: str) -> int:
    year, month = released[:7].split("-")
    return 12 * int(year) + int(month)


def _usable(suspect: Transition, suspect_rows: Sequence[dict[str, str]], t: Transition,
            rows: Sequence[dict[str, str]]) -> str | None:
    """None if `t` can be a layer-3 control for `suspect`, else the reason it cannot."""
    if t.role == "context":
        return "shown for context only, never a control (" + (t.note or "see its caveats") + ")"
    gap = abs(_months(t.released) - _months(suspect.released))
    if gap > CONTROL_MONTHS:
        return f"released {t.released[:7]}, more than {CONTROL_MONTHS} months from the suspect ({suspect.released[:7]})"
    suspect_suites = {(r["suite"], r["category"]) for r in suspect_rows}
    shared = {(r["suite"], r["category"]) for r in rows} & suspect_suites
    missing = [c for c in ("targeted", "untargeted") if not any(cat == c for _, cat in shared)]
    if not missing:
        return None
    return f"shares no {' or '.join(missing)} suite with the suspect (its table reports other benchmarks or versions)"


def _find(transition: str, all_t: Sequence[Transition]) -> Transition:
    by_id = {t.transition: t for t in all_t}
    if transition not in by_id:
        known = ", ".join(t.transition for t in all_t if t.role == "suspect")
        raise UserError(f"--transition {transition!r} is not in the demo data; choose one of {known} "
                        "(asymmetry demo --list shows them all)")
    return by_id[transition]


def demo_inputs(transition: str = DEFAULT_TRANSITION) -> DemoInputs:
    """The suspect transition, its usable controls (and the skipped ones, with reasons), and the table."""
    all_t = load_transitions()
    suspect = _find(transition, all_t)
    scores = load_published_scores()
    suspect_rows = transition_rows(suspect, scores)
    controls, skipped = [], []
    rows = list(suspect_rows)
    for t in all_t:
        if t.role == "suspect" or t.lab == suspect.lab:
            continue
        t_rows = transition_rows(t, scores)
        reason = _usable(suspect, suspect_rows, t, t_rows)
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
    """The demo's score table as CSV, without columns that are empty in every row."""
    from harness.report.fmt import tidy_csv

    return tidy_csv(list(SCORE_COLUMNS), rows).encode()


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


def _kind(t: Transition) -> str:
    return {"suspect": "qwen", "control": "control"}.get(t.role, "context")


def step_of(t: Transition, scores: Sequence[dict[str, str]], current: str = "") -> Step:
    """One step's latent asymmetry on its own table (no controls), or why it cannot be estimated."""
    from harness.compare import compare_scores, wording

    rows = [{k: r[k] for k in SCORE_COLUMNS} for r in transition_rows(t, scores)]
    cats = {r["category"] for r in rows}
    caps = {cap: len({r["suite"] for r in rows if r["capability"] == cap}) for cap in CAPABILITIES}
    base = {"transition": t.transition, "label": t.label, "lab": t.lab, "kind": _kind(t), "released": t.released,
            "phase": t.phase, "evaluator": t.evaluator, "benchmarks": caps, "current": t.transition == current}
    if cats != {"targeted", "untargeted"}:
        missing = ({"targeted", "untargeted"} - cats).pop()
        return Step(**base, reason=f"its table reports no {missing} benchmark with a documented item count")
    doc = compare_scores(_frame(rows), t.before, t.after)
    est = wording.primary(doc)  # the estimate the verdict rests on, as in the report's headline
    return Step(**base, estimate=est.get("estimate"), ci=tuple(est.get("ci") or (None, None)),
                p_value=est.get("p_value"), verdict=wording.verdict(doc))


def timeline_steps(current: str = "", *, case_only: bool = False) -> list[Step]:
    """Every Qwen step and every other developer's step (or only the 2026 case's), each measured on its own
    source table."""
    scores = load_published_scores()
    return [step_of(t, scores, current) for t in load_transitions() if t.phase or not case_only]


def churn(suspect: Transition, all_t: Sequence[Transition] | None = None) -> list[Churn]:
    """What the new release's own table stopped reporting, against the predecessor's own launch table (the
    step whose newer release is this step's older one, from the same developer)."""
    all_t = load_transitions() if all_t is None else all_t
    previous = [t for t in all_t if t.after == suspect.before and t.lab == suspect.lab]
    if not previous:
        return []
    prev = previous[0]
    before, now = prev.reported_counts(), suspect.reported_counts()
    return [Churn(capability=cap, before=before.get(cap, 0), now=now.get(cap, 0), release=suspect.after,
                  predecessor=suspect.before, predecessor_table=prev.table)
            for cap in CAPABILITIES if before.get(cap, 0) > 0 and now.get(cap, 0) == 0]


def caveat_rows(inputs: DemoInputs) -> list[dict[str, str]]:
    """The caveats that touch the suspect or a control: left-out rows first, then flags (one row each)."""
    used = [inputs.suspect, *inputs.controls]
    tables = {(t.source_id, t.table) for t in used}
    source_ids = {s for s, _ in tables}
    out, seen = [], set()
    for c in load_caveats():
        step = next((t for t in used if t.transition == c.transition), None)
        if c.transition and not step:
            continue
        if not c.transition and c.source_id not in source_ids:
            continue
        if not c.transition:
            step = next(t for t in used if t.source_id == c.source_id)
            if c.model and c.model not in (step.before, step.after):
                continue
        key = (c.caveat, c.source_id, c.model, c.benchmark_raw, c.transition)
        if key in seen:
            continue
        seen.add(key)
        out.append({"step": step.label if step else "", "what": c.benchmark_raw or "the whole step",
                    "action": "left out" if c.action == "exclude" else "kept, flagged", "kind": c.kind,
                    "note": c.note, "caveat": c.caveat})
    return sorted(out, key=lambda r: r["action"] != "left out")


def build_case(inputs: DemoInputs, steps: Sequence[Step]) -> Case:
    """What the report says around the one comparison: the timeline (for the 2026 case), the churn
    notes, the caveats and the controls left out."""
    from harness.data.curate import WINDOW, WINDOW_SOURCE

    in_case = bool(inputs.suspect.phase)
    return Case(
        title="The 2026 case: Qwen's steps around the alleged extraction window" if in_case else "",
        window=WINDOW if in_case else None,
        window_source=WINDOW_SOURCE if in_case else "",
        steps=[s for s in steps if s.phase] if in_case else [s for s in steps if s.kind == "qwen"],
        churn=churn(inputs.suspect),
        caveats=caveat_rows(inputs),
        skipped=[{"step": t.label, "released": t.released, "reason": reason} for t, reason in inputs.skipped
                 if t.phase or not in_case],  # for the 2026 case, the steps of 2026 only
        current=inputs.suspect.transition,
        capability={r["suite"]: r["capability"] for r in inputs.rows},
    )


#: Files only a demo report has, beside every report's own (index.html, compare.json). Reports written by
#: earlier versions of the demo carried other_qwen_steps.csv instead of timeline.csv.
DEMO_MARKERS = ("scores.csv", "timeline.csv")
_OLD_DEMO_MARKERS = ("scores.csv", "other_qwen_steps.csv")


def check_demo_target(out: Path) -> None:
    """`out` may be new, empty, or an earlier *demo* report (replaced without asking, as the demo is
    re-run freely); any other directory, a report of real runs included, is refused before any work."""
    from harness.report import check_target

    check_target(out, overwrite=True)  # refuses what is not a report at all (and a file)
    if out.is_dir() and any(out.iterdir()) and not any(all((out / m).is_file() for m in markers)
                                                       for markers in (DEMO_MARKERS, _OLD_DEMO_MARKERS)):
        raise UserError(f"{out}: is an asymmetry report, but not one the demo wrote (no {' and '.join(DEMO_MARKERS)}); "
                        "the demo never replaces it: choose another --out")


def run_demo(out: Path = DEFAULT_OUT, transition: str = DEFAULT_TRANSITION) -> DemoResult:
    """Compare the chosen Qwen step with its usable controls and write the full report to `out`.

    An earlier demo report at `out` is replaced (built beside it and swapped in); any other existing
    directory, including a report of real runs, is refused."""
    from harness.report import write_report
    from harness.report.timeline import steps_csv

    out = Path(out)
    check_demo_target(out)  # an earlier demo report may go; anything else is refused before the work
    inputs = demo_inputs(transition)
    data = scores_csv(inputs.rows)
    doc = compare_demo(inputs, scores_path=out / "scores.csv", scores_bytes=data)
    replaced = out.exists()
    sources = [{"model": r["model"], "suite": r["suite"], "score": r["score"], "n_items": r["n_items"],
                "n_items_basis": r["n_items_basis"], "setting": r["setting"], "source_name": r["source_name"],
                "evaluator": r["evaluator"], "source": r["source_url"], "caveats": r["caveats"]}
               for r in inputs.rows]
    steps = timeline_steps(inputs.suspect.transition, case_only=bool(inputs.suspect.phase))
    case = build_case(inputs, steps)
    write_report(doc, out, overwrite=True, sources=sources, case=case,
                 extra_files={"scores.csv": data, "timeline.csv": steps_csv(steps).encode()})
    return DemoResult(path=out, doc=doc, inputs=inputs, replaced=replaced, case=case, steps=steps)
