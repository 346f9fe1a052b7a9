"""The context a report can place around its one comparison: other release steps of the same period on a
timeline (before / inside / after a window), what the new release's own table stopped reporting, and the
known problems of the figures. The demo builds it from its curated data (harness/demo.py); the page, the
timeline chart and timeline.csv render it.

The words here answer two questions a reader has, from the numbers alone: did the pattern change after the
window, and is it unusual for the period? They describe separate tables side by side; they are not a test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.report import fmt

CAPABILITIES = ("coding", "agentic", "math", "factual")
CAPABILITY_WORD = {"coding": "coding", "agentic": "agentic", "math": "maths", "factual": "factual-recall"}
#: A capability with fewer benchmarks than this gets no statement of its own.
MIN_BENCHMARKS = 2
PHASES = ("before", "inside", "after")


@dataclass(frozen=True)
class Step:
    """One release step's latent asymmetry measured on its own source table (or why it could not be)."""

    transition: str
    label: str
    lab: str
    kind: str  # qwen (a step of the suspect's family) | control | context (shown, never a control)
    released: str
    phase: str  # before | inside | after the window, '' outside it
    evaluator: str
    benchmarks: Mapping[str, int]  # capability -> benchmarks measured
    current: bool = False  # the step the report is about
    estimate: float | None = None
    ci: tuple[float | None, float | None] = (None, None)
    p_value: float | None = None
    verdict: str = ""  # the step's own verdict (targeted_larger, fragile, ...)
    reason: str = ""  # why there is no estimate

    @property
    def estimable(self) -> bool:
        return fmt.is_num(self.estimate)

    @property
    def after(self) -> str:
        return self.label.split(" -> ")[-1]

    @property
    def excludes_zero(self) -> bool:
        lo, hi = self.ci
        return fmt.is_num(lo) and fmt.is_num(hi) and (lo > 0 or hi < 0)


@dataclass(frozen=True)
class Churn:
    """A capability the predecessor's own table reported and the new release's table does not."""

    capability: str
    before: int
    now: int
    release: str
    predecessor: str
    predecessor_table: str

    def sentence(self) -> str:
        word = CAPABILITY_WORD[self.capability]
        return (f"{self.release}'s own launch table reports no {word} benchmark at all; {self.predecessor}'s own "
                f"launch table reported {self.before}. So nothing here speaks to {word}, and no statement about it "
                "is made.")


@dataclass
class Case:
    """Everything around the one comparison (all optional)."""

    title: str = ""
    window: tuple[str, str] | None = None
    steps: list[Step] = field(default_factory=list)
    churn: list[Churn] = field(default_factory=list)
    caveats: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    current: str = ""
    capability: dict[str, str] = field(default_factory=dict)  # suite -> capability, for the comparison's suites

    def current_step(self) -> Step | None:
        return next((s for s in self.steps if s.current), None)


def _date(iso: str) -> str:
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
    year, month, *day = iso.split("-")
    return f"{int(day[0])} {months[int(month) - 1]} {year}" if day else f"{months[int(month) - 1]} {year}"


def window_phrase(case: Case) -> str:
    """'the window of 22 April to 5 June 2026'."""
    if not case.window:
        return ""
    start, end = (_date(d) for d in case.window)
    return f"the window of {start.rsplit(' ', 1)[0]} to {end}"


def _list(values: Sequence[str]) -> str:
    if len(values) <= 2:
        return " and ".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


def _values(steps: Sequence[Step]) -> str:
    return _list([fmt.signed(s.estimate) for s in steps])


def _phase_steps(case: Case, phase: str) -> list[Step]:
    return sorted((s for s in case.steps if s.kind == "qwen" and s.phase == phase and s.estimable),
                  key=lambda s: s.released)


def change_sentence(case: Case) -> str:
    """Did the pattern change after the window? From the Qwen steps' own-table asymmetries."""
    before, inside, after = (_phase_steps(case, p) for p in PHASES)
    if not after or not (before or inside):
        return ""
    earlier = before + inside
    if min(s.estimate for s in after) > max(s.estimate for s in earlier):
        verdict = "leaned further towards targeted gains than any earlier 2026 step"
    elif max(s.estimate for s in after) < min(s.estimate for s in earlier):
        verdict = "leaned less towards targeted gains than every earlier 2026 step"
    else:
        verdict = "fall within the range of the earlier 2026 steps"
    parts = [f"after it, {_values(after)} logits"]
    if before:
        parts.append(f"before it, {_values(before)}")
    if inside:
        parts.append(f"inside it, {_values(inside)}")
    clear = [s for s in after if s.excludes_zero]
    clear_earlier = [s for s in earlier if s.excludes_zero]
    if clear and not clear_earlier:
        tail = " Only the after-window steps have intervals that exclude zero."
    elif not clear:
        tail = " Every interval after the window includes zero."
    else:
        tail = ""
    dropped = sorted({CAPABILITY_WORD[c] for s in after for c in CAPABILITIES
                      if not s.benchmarks.get(c) and any(e.benchmarks.get(c) for e in earlier)})
    if dropped:
        tail += (f" But the after-window tables report no {_list(dropped)} benchmarks, so they rest on fewer and "
                 "different benchmarks.")
    return (f"Qwen's steps after {window_phrase(case)} {verdict}: {'; '.join(parts)} "
            f"(targeted minus untargeted gain, each on its own table).{tail}")


def unusual_sentence(case: Case) -> str:
    """Is the current step unusual for the period? Against other developers' steps on their own tables."""
    current = case.current_step()
    controls = [s for s in case.steps if s.kind == "control" and s.estimable]
    if current is None or not current.estimable:
        return ""
    if not controls:
        return "No other developer's step of the period could be measured, so whether this is unusual is unknown."
    values = sorted(s.estimate for s in controls)
    larger = sum(current.estimate > v for v in values)
    n = len(values)
    if larger == n:
        rank = f"larger than all {n}"
    elif larger == 0:
        rank = f"smaller than all {n}"
    else:
        rank = f"larger than {larger} of {n}"
    return (f"Other developers' {n} measurable steps of the period leaned between {fmt.signed(values[0])} and "
            f"{fmt.signed(values[-1])} logits; {current.after}'s {fmt.signed(current.estimate)} is {rank}.")


def title(case: Case) -> str:
    """The timeline chart's title: the finding, in words."""
    current = case.current_step()
    others = [s for s in case.steps if s.estimable and not s.current and s.kind != "context"]
    if current is None or not current.estimable or not others:
        return "Each step's lean towards targeted gains, on its own table"
    if current.estimate > max(s.estimate for s in others):
        return f"{current.after} leaned furthest towards targeted gains of any step shown"
    if current.estimate < min(s.estimate for s in others):
        return f"{current.after} leaned least towards targeted gains of any step shown"
    return f"{current.after}'s lean towards targeted gains is within the range of the other steps"


def benchmark_rows(case: Case, doc: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """Per capability: benchmarks in this comparison and what may be said about it (no statement below
    MIN_BENCHMARKS)."""
    current = case.current_step()
    if current is None:
        return []
    by_cap: dict[str, list[float]] = {c: [] for c in CAPABILITIES}
    for s in doc.get("suites") or []:
        cap = case.capability.get(s.get("suite")) or s.get("capability")
        if cap in by_cap and fmt.is_num(s.get("gain_pp")):
            by_cap[cap].append(s["gain_pp"])
    rows = []
    for cap in CAPABILITIES:
        n = current.benchmarks.get(cap, 0)
        gains = by_cap[cap]
        if n == 0:
            said = "not reported: no statement"
        elif n < MIN_BENCHMARKS or not gains:
            said = f"only {n} benchmark: too few for a statement of its own"
        else:
            said = f"mean change {fmt.pp(sum(gains) / len(gains))} (descriptive)"
        rows.append((CAPABILITY_WORD[cap], n, said))
    return rows


def steps_csv(steps: Sequence[Step]) -> str:
    """Every step's own-table asymmetry as CSV for chart tools (logits; interval at 95%; empty columns
    dropped, numbers without float noise)."""
    columns = ["transition", "step", "lab", "kind", "released", "phase", "evaluator", "asymmetry_logits",
               "ci_low", "ci_high", "p_value", "verdict", *[f"n_{c}" for c in CAPABILITIES], "not_estimable_because"]
    rows = [{"transition": s.transition, "step": s.label, "lab": s.lab, "kind": s.kind, "released": s.released,
             "phase": s.phase, "evaluator": s.evaluator, "asymmetry_logits": s.estimate, "ci_low": s.ci[0],
             "ci_high": s.ci[1], "p_value": s.p_value, "verdict": s.verdict,
             **{f"n_{c}": s.benchmarks.get(c, 0) for c in CAPABILITIES},
             "not_estimable_because": s.reason} for s in steps]
    return fmt.tidy_csv(columns, rows)
