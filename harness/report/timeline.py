"""The context a report can place around its one comparison: other release steps of the same period on a
timeline (before / inside / after a window), what the new release's own table stopped reporting, and the
known problems of the figures. The demo builds it from its curated data (harness/demo.py); the page, the
timeline chart and timeline.csv render it.

The words that answer a reader's two questions (did the pattern change after the window, and is it unusual
for the period?) come from the one sentence writer, harness.compare.wording, like every other sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.compare import wording
from harness.report import fmt

CAPABILITIES = tuple(wording.CAPABILITY_WORDS)


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
        return wording.churn_sentence(self)


@dataclass
class Case:
    """Everything around the one comparison (all optional)."""

    title: str = ""
    window: tuple[str, str] | None = None
    window_source: str = ""  # where the window's dates come from; shown with the window
    steps: list[Step] = field(default_factory=list)
    churn: list[Churn] = field(default_factory=list)
    caveats: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    current: str = ""
    capability: dict[str, str] = field(default_factory=dict)  # suite -> capability, for the comparison's suites

    def current_step(self) -> Step | None:
        return next((s for s in self.steps if s.current), None)


def benchmark_rows(case: Case, doc: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """Per capability: benchmarks in this comparison and what may be said about it (no statement below
    wording.MIN_CAPABILITY_BENCHMARKS)."""
    current = case.current_step()
    if current is None:
        return []
    by_cap: dict[str, list[float]] = {c: [] for c in CAPABILITIES}
    for s in doc.get("suites") or []:
        cap = case.capability.get(s.get("suite")) or s.get("capability")
        if cap in by_cap and fmt.is_num(s.get("gain_pp")):
            by_cap[cap].append(s["gain_pp"])
    return [(wording.CAPABILITY_WORDS[cap], current.benchmarks.get(cap, 0),
             wording.capability_statement(current.benchmarks.get(cap, 0), by_cap[cap])) for cap in CAPABILITIES]


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
