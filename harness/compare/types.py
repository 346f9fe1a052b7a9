"""The compare document as TypedDicts (DESIGN.md "Compare JSON" keys; harness.compare.schema documents
every key and validates a document). Readers (wording, report, CLI) annotate with these instead of
reading a bare dict, so a key they use and the contract cannot silently drift apart; type checkers see
a misspelt key. `total=False`: keys added by the project may be absent from older documents."""

from __future__ import annotations

from typing import Literal, TypedDict

Interval = list[float | None]
Verdict = Literal["targeted_larger", "untargeted_larger", "no_difference_shown", "fragile", "not_testable"]


class EstimateDoc(TypedDict, total=False):
    estimate: float | None
    se: float | None
    ci: Interval
    p_value: float | None
    method: str
    note: str
    level: float


class LatentDoc(EstimateDoc, total=False):
    pp_at_50: float
    p_ref: float
    pp_at_ref: float


class SigmaRow(TypedDict, total=False):
    sigma: float | None
    estimate: float | None
    se: float | None
    ci: Interval
    p_value: float | None
    direction: str


class GuardWarning(TypedDict):
    name: str
    message: str


class PrimaryDoc(EstimateDoc, total=False):
    verdict: Verdict
    verdict_reasons: list[str]
    sigma: float | None
    sigma_by_suite: dict[str, float | None]
    sigma_grid: list[SigmaRow]
    sigma_max: float
    estimate_at_sigma: float | None
    leave_one_out: list[dict[str, object]]
    without_sparse: dict[str, object] | None
    sparse_suites: list[str]
    suites: list[dict[str, object]]
    pp_at_50: float
    baseline_adjusted: EstimateDoc | None


class AsymmetryDoc(TypedDict, total=False):
    latent: LatentDoc
    pp: EstimateDoc
    normalized: EstimateDoc
    primary: PrimaryDoc
    latent_analytic: EstimateDoc
    latent_exact: dict[str, object]


class SuiteDoc(TypedDict, total=False):
    suite: str
    category: str
    n_items: int
    before: float
    after: float
    gain_pp: float
    gain_pp_ci: Interval
    gains: int | None
    losses: int | None
    latent_gain: float | None
    latent_gain_ci: Interval
    latent_gain_se: float | None
    latent_p_value: float | None
    latent_method: str
    mcnemar_midp: float | None
    p_holm: float | None
    gain_ratio: float | None
    gain_ratio_ci: Interval | None
    samples: int
    samples_before: float
    samples_after: float
    score_type: str
    flags: list[str]
    primary_gain: float | None
    primary_gain_ci: Interval
    primary_sigma: float | None


class GroupDoc(TypedDict, total=False):
    suites: list[str]
    gain_ratio: float | None
    gain_ratio_ci: Interval | None
    gains: int
    losses: int
    zero_cell_suites: list[str]
    latent: float | None
    latent_ci: Interval
    latent_se: float | None
    gain_pp: float | None
    pp_at_50: float
    before: float
    after: float


class FlatnessDoc(TypedDict, total=False):
    margin_pp: float
    ci90: Interval
    equivalent: bool
    pooled_gain_pp: float
    p_value: float | None
    n_items: int
    level: float
    method: str
    weights: str
    per_suite: list[dict[str, object]]
    latent: dict[str, object]


class DiagnosticsDoc(TypedDict, total=False):
    warnings: list[str]
    guards: list[GuardWarning]
    excluded_suites: list[dict[str, str]]
    unpaired: list[dict[str, object]]
    hash_mismatch: list[dict[str, object]]
    error_rates: list[dict[str, object]]
    decoding: dict[str, object]
    suite_versions: dict[str, object]
    plan: dict[str, object]
    error_rule: dict[str, str]
    samples_per_item: dict[str, float]
    clusters: int | None
    bootstrap: dict[str, object] | None
    discordance: float | None
    integrity: list[dict[str, object]]
    sources: list[dict[str, object]]


class FlagCountDoc(TypedDict):
    """One release on one suite: its records, how many carry a review flag, and each flag's count."""

    suite: str
    category: str
    release: Literal["before", "after"]
    model: str
    records: int
    flagged: int
    by_flag: dict[str, int]


class FlagCarriedDoc(TypedDict):
    """One analysed suite's items that changed, and how many of them carry the moving release's flags."""

    suite: str
    category: str
    gained: int
    gained_flagged: int
    lost: int
    lost_flagged: int


class RescoredDoc(TypedDict):
    """The primary asymmetry with every flagged record scored as a failure."""

    verdict: Verdict
    estimate: float | None
    ci: Interval
    p_value: float | None
    method: str


class CodeFlagsDoc(TypedDict):
    """Review flags of code records (harness.compare.flags): counts, and the rule that holds them against a gain."""

    checked: bool
    rule: str
    note: str
    by_suite: list[FlagCountDoc]
    flagged_records: dict[str, int]
    carried: list[FlagCarriedDoc]
    rescored: RescoredDoc | None
    blocked: bool


class CompareDoc(TypedDict, total=False):
    """The whole document (`asymmetry compare --json`)."""

    schema: str
    harness_version: str
    alpha: float
    created_at: str
    before: str
    after: str
    mode: Literal["items", "scores"]
    scale: Literal["logit"]
    evidence: str
    suites: list[SuiteDoc]
    asymmetry: AsymmetryDoc
    groups: dict[str, GroupDoc]
    generalisation: dict[str, object]
    flatness: FlatnessDoc
    conjunction: dict[str, object]
    gatekeeping: list[dict[str, object]]
    triple_difference: dict[str, object] | None
    contamination: dict[str, object] | None
    power: dict[str, object]
    code_flags: CodeFlagsDoc
    diagnostics: DiagnosticsDoc
    inputs: dict[str, object]
    command: str
    verdict: Verdict
    summary: str
    caveat: str
