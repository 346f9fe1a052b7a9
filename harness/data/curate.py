"""Curate the demo's published-score table from the shared reference file, reproducibly.

    python -m harness.data.curate ../shared/data/scores/published_scores.csv

writes `harness/data/published_scores.csv` (one row per release x suite x source table) and
`harness/data/transitions.csv` (which release pairs the demo compares). Figures carry over unchanged and
every row keeps its source link; tests/demo/test_demo_data.py re-runs this on the shared file and checks the
committed tables match, so the curation cannot drift silently. harness/data/README.md explains the choices.

Rules (the README repeats them for readers):
- A transition pairs two releases *within one source table* (one evaluation pipeline), never across tables.
- Only suites of the project's four capabilities are kept (coding, agentic: targeted; math, factual:
  untargeted). Ratings (Codeforces), multilingual variants, and benchmarks whose item count we cannot
  document are left out.
- When a table reports the same benchmark twice (e.g. MMLU 5-shot and MMLU CoT), the first-listed setting
  is kept, so no setting is picked for its result.
- `n_items` counts distinct problems. Where a score averages samples, languages or sub-categories of the
  same problems, the problems are counted once (conservative: wider intervals). `n_items_exact` is false
  where the count is an estimate; `n_items_basis` says where every count comes from.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCORES_CSV = HERE / "published_scores.csv"
TRANSITIONS_CSV = HERE / "transitions.csv"

SCORE_COLUMNS = ("model", "suite", "category", "capability", "score", "n_items", "n_items_exact",
                 "n_items_basis", "setting", "benchmark_raw", "source_id", "table", "source")
TRANSITION_COLUMNS = ("transition", "lab", "role", "before", "after", "source_id", "table", "released",
                      "note")


@dataclass(frozen=True)
class SuiteInfo:
    capability: str
    n_items: int
    exact: bool
    basis: str


_LCB_RATE = ("LiveCodeBench v5 lists 279 problems for Aug 2024-Feb 2025 (about 46 a month); "
             "the source does not publish its window's count, so this is 46 x months in the window")

SUITES: dict[str, SuiteInfo] = {
    "HumanEval": SuiteInfo("coding", 164, True, "HumanEval: 164 problems (Chen et al. 2021; shared/data/humaneval)"),
    "HumanEval-Mul": SuiteInfo(
        "coding", 164, False,
        "HumanEval translated to 8 languages (DeepSeek-V3 report); the 164 problems are counted once"),
    "MBPP EvalPlus (base)": SuiteInfo(
        "coding", 378, False,
        "EvalPlus MBPP v0.2: 378 tasks (v0.1.0 has 399, shared/data/mbppplus); the card does not say which"),
    "LiveCodeBench (2024.10-2025.02)": SuiteInfo("coding", 186, False, _LCB_RATE + " (4 months)"),
    "LiveCodeBench v6 (2025.02-2025.05)": SuiteInfo(
        "coding", 175, False, "LiveCodeBench v6 added 175 problems for Feb-May 2025 (release notes)"),
    "Aider-Edit": SuiteInfo("coding", 133, True, "Aider code-editing benchmark: 133 Python exercises (Aider leaderboard)"),
    "Aider-Polyglot": SuiteInfo("coding", 225, True, "Aider polyglot benchmark: 225 exercises (Aider leaderboard)"),
    "MultiPL-E": SuiteInfo(
        "coding", 161, False,
        "MultiPL-E HumanEval translations: 161 problems per language, counted once across languages"),
    "OJBench": SuiteInfo("coding", 232, False, "OJBench: 232 competition problems (Wang et al. 2025)"),
    "BFCL v1": SuiteInfo(
        "agentic", 2000, True,
        "BFCL v1: 2,000 question-function-answer pairs (dataset card); the score averages categories"),
    "BFCL v2": SuiteInfo(
        "agentic", 4251, False,
        "BFCL v1's 2,000 entries plus the 2,251 live entries (category sizes in shared/data/bfcl); estimate"),
    "BFCL v3": SuiteInfo(
        "agentic", 4441, False,
        "BFCL v3 = non-live 1,390 + live 2,251 + multi-turn 800 (category sizes in shared/data/bfcl); "
        "the overall score averages categories, so the effective sample is smaller"),
    "BFCL v4": SuiteInfo(
        "agentic", 4696, False,
        "BFCL v3's 4,441 entries plus web_search 100 and memory 155 (shared/data/bfcl); estimate"),
    "SWE-bench Verified": SuiteInfo("agentic", 500, True, "SWE-bench Verified: 500 human-validated tasks (OpenAI 2024)"),
    "SWE-bench Multilingual": SuiteInfo("agentic", 300, True, "SWE-bench Multilingual: 300 tasks in 9 languages"),
    "Terminal-Bench": SuiteInfo("agentic", 80, False, "Terminal-Bench core v0.1: 80 tasks"),
    "Terminal-Bench 2": SuiteInfo("agentic", 89, False, "Terminal-Bench 2.0: 89 tasks"),
    "BrowseComp": SuiteInfo("agentic", 1266, True, "BrowseComp: 1,266 questions (Wei et al. 2025)"),
    "TAU-bench Retail": SuiteInfo("agentic", 115, True, "tau-bench retail domain: 115 tasks (Yao et al. 2024)"),
    "TAU-bench Airline": SuiteInfo("agentic", 50, True, "tau-bench airline domain: 50 tasks (Yao et al. 2024)"),
    "TAU2-Bench": SuiteInfo(
        "agentic", 278, False, "tau2-bench retail 114 + airline 50 + telecom 114 tasks; estimate"),
    "GSM8K": SuiteInfo("math", 1319, True, "GSM8K test split: 1,319 problems (shared/data/gsm8k)"),
    "MATH": SuiteInfo("math", 5000, False, "MATH test split: 5,000 problems (Hendrycks et al. 2021); full set assumed"),
    "MATH-500": SuiteInfo("math", 500, True, "MATH-500: 500 problems (Lightman et al. 2023; shared/data/math500)"),
    "MGSM": SuiteInfo(
        "math", 250, True, "MGSM: 250 GSM8K problems translated into 10 languages, counted once (Shi et al. 2022)"),
    "AIME 2024": SuiteInfo("math", 30, True, "AIME 2024: 30 problems (shared/data/aime); avg@k scores still rest on 30"),
    "AIME 2025": SuiteInfo("math", 30, True, "AIME 2025: 30 problems (shared/data/aime); avg@k scores still rest on 30"),
    "AIME 2026": SuiteInfo("math", 30, True, "AIME 2026: 30 problems (AIME I + II)"),
    "HMMT Feb 2025": SuiteInfo("math", 30, True, "HMMT February 2025: 30 answer problems (MathArena)"),
    "HMMT Nov 2025": SuiteInfo("math", 30, False, "HMMT November 2025: 30 answer problems assumed (MathArena)"),
    "IMO-AnswerBench": SuiteInfo("math", 400, False, "IMO-Bench AnswerBench: 400 problems (Luong et al. 2025)"),
    "MMLU": SuiteInfo("factual", 14042, True, "MMLU test split: 14,042 questions (Hendrycks et al. 2021)"),
    "MMLU (CoT)": SuiteInfo(
        "factual", 14042, True, "MMLU test split: 14,042 questions, 0-shot chain of thought (Hendrycks et al. 2021)"),
    "MMLU-Pro": SuiteInfo("factual", 12032, True, "MMLU-Pro: 12,032 questions (Wang et al. 2024)"),
    "MMLU-Redux": SuiteInfo(
        "factual", 3000, False,
        "MMLU-Redux: 3,000 re-annotated questions (Gema et al. 2024; v2.0 has 5,700); the smaller is used"),
    "GPQA": SuiteInfo("factual", 448, False, "GPQA main set: 448 questions (Rein et al. 2023); the card names no subset"),
    "GPQA Diamond": SuiteInfo("factual", 198, True, "GPQA Diamond: 198 questions (Rein et al. 2023)"),
    "SuperGPQA": SuiteInfo("factual", 26529, True, "SuperGPQA: 26,529 questions (M-A-P 2025)"),
    "SimpleQA": SuiteInfo("factual", 4326, True, "SimpleQA: 4,326 questions (Wei et al. 2024)"),
    "Chinese SimpleQA": SuiteInfo("factual", 3000, True, "Chinese SimpleQA: 3,000 questions (He et al. 2024)"),
}

CAPABILITY_CATEGORY = {"coding": "targeted", "agentic": "targeted", "math": "untargeted", "factual": "untargeted"}

# (source_id, table) -> {benchmark_raw: suite}. Raw names are exactly as in the shared file.
PICKS: dict[tuple[str, str], dict[str, str]] = {
    ("qwen3_tr", "Qwen3 TR Table 12 non-thinking"): {
        "BFCL v3": "BFCL v3", "LiveCodeBench v5": "LiveCodeBench (2024.10-2025.02)", "MATH-500": "MATH-500",
        "AIME’24": "AIME 2024", "AIME’25": "AIME 2025", "MMLU-Redux": "MMLU-Redux", "GPQA-Diamond": "GPQA Diamond",
    },
    ("qwen3_tr", "Qwen3 TR Table 14 non-thinking"): {
        "BFCL v3": "BFCL v3", "LiveCodeBench v5": "LiveCodeBench (2024.10-2025.02)", "MATH-500": "MATH-500",
        "AIME’24": "AIME 2024", "AIME’25": "AIME 2025", "MMLU-Redux": "MMLU-Redux", "GPQA-Diamond": "GPQA Diamond",
    },
    ("qwen3_tr", "Qwen3 TR Table 18 non-thinking"): {
        "BFCL v3": "BFCL v3", "LiveCodeBench v5": "LiveCodeBench (2024.10-2025.02)", "MATH-500": "MATH-500",
        "AIME’24": "AIME 2024", "AIME’25": "AIME 2025", "MMLU-Redux": "MMLU-Redux", "GPQA-Diamond": "GPQA Diamond",
    },
    ("qwen3_2507_card", ""): {
        "LiveCodeBench v6 (25.02-25.05)": "LiveCodeBench v6 (2025.02-2025.05)", "MultiPL-E": "MultiPL-E",
        "Aider-Polyglot": "Aider-Polyglot", "BFCL-v3": "BFCL v3", "TAU1-Retail": "TAU-bench Retail",
        "TAU1-Airline": "TAU-bench Airline", "AIME25": "AIME 2025", "HMMT25": "HMMT Feb 2025",
        "MMLU-Pro": "MMLU-Pro", "MMLU-Redux": "MMLU-Redux", "GPQA": "GPQA Diamond", "SuperGPQA": "SuperGPQA",
        "SimpleQA": "SimpleQA", "CSimpleQA": "Chinese SimpleQA",
    },
    ("qwen35_397b_card", ""): {
        "SWE-bench Verified": "SWE-bench Verified", "SWE-bench Multilingual": "SWE-bench Multilingual",
        "Terminal Bench 2": "Terminal-Bench 2", "BFCL-V4": "BFCL v4", "TAU2-Bench": "TAU2-Bench",
        "AIME26": "AIME 2026", "HMMT Feb 25": "HMMT Feb 2025", "HMMT Nov 25": "HMMT Nov 2025",
        "IMOAnswerBench": "IMO-AnswerBench", "MMLU-Pro": "MMLU-Pro", "MMLU-Redux": "MMLU-Redux",
        "SuperGPQA": "SuperGPQA", "GPQA": "GPQA Diamond",
    },
    ("qwen35_medium_card", ""): {
        "OJBench": "OJBench", "BFCL-V4": "BFCL v4", "TAU2-Bench": "TAU2-Bench", "HMMT Feb 25": "HMMT Feb 2025",
        "HMMT Nov 25": "HMMT Nov 2025", "MMLU-Pro": "MMLU-Pro", "MMLU-Redux": "MMLU-Redux",
        "SuperGPQA": "SuperGPQA", "GPQA Diamond": "GPQA Diamond",
    },
    ("meta_llama3_1_card", "Instruction tuned models"): {
        "HumanEval": "HumanEval", "MBPP ++ base version": "MBPP EvalPlus (base)", "BFCL": "BFCL v1",
        "GSM-8K (CoT)": "GSM8K", "MATH (CoT)": "MATH", "MMLU": "MMLU", "MMLU-Pro (CoT)": "MMLU-Pro",
        "GPQA": "GPQA",
    },
    ("meta_llama3_3_card", "Instruction tuned models"): {
        "HumanEval": "HumanEval", "MBPP EvalPlus (base)": "MBPP EvalPlus (base)", "BFCL v2": "BFCL v2",
        "MATH (CoT)": "MATH", "MGSM": "MGSM", "MMLU (CoT)": "MMLU (CoT)", "MMLU Pro (CoT)": "MMLU-Pro",
        "GPQA Diamond (CoT)": "GPQA Diamond",
    },
    ("meta_llama4_card", "Instruction tuned models"): {
        "LiveCodeBench (10/01/2024-02/01/2025)": "LiveCodeBench (2024.10-2025.02)", "MGSM": "MGSM",
        "MMLU Pro": "MMLU-Pro", "GPQA Diamond": "GPQA Diamond",
    },
    ("deepseek_v3_readme", "Chat model (Standard Benchmarks, models larger than 67B)"): {
        "HumanEval-Mul (Pass@1)": "HumanEval-Mul", "Aider-Edit (Acc.)": "Aider-Edit",
        "Aider-Polyglot (Acc.)": "Aider-Polyglot", "SWE Verified (Resolved)": "SWE-bench Verified",
        "MATH-500 (EM)": "MATH-500", "AIME 2024 (Pass@1)": "AIME 2024", "MMLU (EM)": "MMLU",
        "MMLU-Pro (EM)": "MMLU-Pro", "MMLU-Redux (EM)": "MMLU-Redux", "GPQA-Diamond (Pass@1)": "GPQA Diamond",
        "SimpleQA (Correct)": "SimpleQA", "C-SimpleQA (Correct)": "Chinese SimpleQA",
    },
    ("deepseek_v32exp_readme", "Introduction"): {
        "Aider-Polyglot": "Aider-Polyglot", "SWE Verified": "SWE-bench Verified",
        "SWE-bench Multilingual": "SWE-bench Multilingual", "Terminal-bench": "Terminal-Bench",
        "BrowseComp": "BrowseComp", "AIME 2025": "AIME 2025", "HMMT 2025": "HMMT Feb 2025",
        "MMLU-Pro": "MMLU-Pro", "GPQA-Diamond": "GPQA Diamond",
    },
}


@dataclass(frozen=True)
class Transition:
    transition: str
    lab: str
    role: str  # suspect | control
    before: str
    after: str
    source_id: str
    table: str
    released: str  # month the later release was published (YYYY-MM)
    note: str = ""


TRANSITIONS: tuple[Transition, ...] = (
    Transition("qwen2.5-72b>qwen3-235b", "Qwen", "suspect", "Qwen2.5-72B-Instruct", "Qwen3-235B-A22B (Non-thinking)",
               "qwen3_tr", "Qwen3 TR Table 12 non-thinking", "2025-04",
               "flagship to flagship, both run by Qwen in one table of the Qwen3 technical report"),
    Transition("qwen2.5-72b>qwen3-32b", "Qwen", "suspect", "Qwen2.5-72B-Instruct", "Qwen3-32B (Non-thinking)",
               "qwen3_tr", "Qwen3 TR Table 14 non-thinking", "2025-04", "dense successor, one table"),
    Transition("qwen2.5-7b>qwen3-8b", "Qwen", "suspect", "Qwen2.5-7B-Instruct", "Qwen3-8B (Non-thinking)",
               "qwen3_tr", "Qwen3 TR Table 18 non-thinking", "2025-04", "small models, one table"),
    Transition("qwen3-235b>qwen3-235b-2507", "Qwen", "suspect", "Qwen3-235B-A22B Non-thinking",
               "Qwen3-235B-A22B-Instruct-2507", "qwen3_2507_card", "", "2025-07",
               "same weights family, July 2025 update (model card table)"),
    Transition("qwen3-max>qwen3.5-397b", "Qwen", "suspect", "Qwen3-Max-Thinking", "Qwen3.5-397B-A17B",
               "qwen35_397b_card", "", "2026-02", "closed predecessor in the Qwen3.5 card's language table"),
    Transition("qwen3-235b>qwen3.5-122b", "Qwen", "suspect", "Qwen3-235B-A22B", "Qwen3.5-122B-A10B",
               "qwen35_medium_card", "", "2026-02",
               "the card's 'Qwen3-235B-A22B' column is presumably Thinking-2507; sizes differ"),
    Transition("llama3-8b>llama3.1-8b", "Meta", "control", "Llama 3 8B Instruct", "Llama 3.1 8B Instruct",
               "meta_llama3_1_card", "Instruction tuned models", "2024-07", ""),
    Transition("llama3-70b>llama3.1-70b", "Meta", "control", "Llama 3 70B Instruct", "Llama 3.1 70B Instruct",
               "meta_llama3_1_card", "Instruction tuned models", "2024-07", ""),
    Transition("llama3.1-70b>llama3.3-70b", "Meta", "control", "Llama 3.1 70B Instruct", "Llama-3.3 70B Instruct",
               "meta_llama3_3_card", "Instruction tuned models", "2024-12", ""),
    Transition("llama3.3-70b>llama4-maverick", "Meta", "control", "Llama 3.3 70B", "Llama 4 Maverick",
               "meta_llama4_card", "Instruction tuned models", "2025-04", "new architecture (MoE); no agentic suite"),
    Transition("deepseek-v2>v2.5", "DeepSeek", "control", "DeepSeek V2-0506", "DeepSeek V2.5-0905",
               "deepseek_v3_readme", "Chat model (Standard Benchmarks, models larger than 67B)", "2024-09", ""),
    Transition("deepseek-v2.5>v3", "DeepSeek", "control", "DeepSeek V2.5-0905", "DeepSeek V3",
               "deepseek_v3_readme", "Chat model (Standard Benchmarks, models larger than 67B)", "2024-12", ""),
    Transition("deepseek-v3.1>v3.2", "DeepSeek", "control", "DeepSeek-V3.1-Terminus", "DeepSeek-V3.2-Exp",
               "deepseek_v32exp_readme", "Introduction", "2025-09", "reasoning mode"),
)


def curate(shared_csv: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The curated score rows and transition rows, from the shared published-score file."""
    with open(shared_csv, newline="", encoding="utf-8") as f:
        shared = list(csv.DictReader(f))
    rows: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for t in TRANSITIONS:
        picks = PICKS[(t.source_id, t.table)]
        found: dict[str, dict[str, dict[str, str]]] = {t.before: {}, t.after: {}}
        for r in shared:
            if (r["source_id"], r["table"]) != (t.source_id, t.table) or r["model"] not in found:
                continue
            suite = picks.get(r["benchmark_raw"])
            if suite is None:
                continue
            found[r["model"]].setdefault(suite, r)  # first occurrence in the table wins
        if not found[t.before] or not found[t.after]:
            raise SystemExit(f"{t.transition}: no rows for {t.before!r} or {t.after!r} in {t.source_id}")
        for model, suites in found.items():
            for suite, r in suites.items():
                if suite not in found[t.before] or suite not in found[t.after]:
                    continue  # keep only suites both releases report in this table
                info = SUITES[suite]
                key = (model, suite, t.source_id, t.table)
                rows[key] = {
                    "model": model, "suite": suite, "category": CAPABILITY_CATEGORY[info.capability],
                    "capability": info.capability, "score": r["score"], "n_items": str(info.n_items),
                    "n_items_exact": "true" if info.exact else "false", "n_items_basis": info.basis,
                    "setting": r["setting"], "benchmark_raw": r["benchmark_raw"], "source_id": t.source_id,
                    "table": t.table, "source": r["source"],
                }
    transitions = [{k: getattr(t, k) for k in TRANSITION_COLUMNS} for t in TRANSITIONS]
    return list(rows.values()), transitions


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m harness.data.curate PATH/TO/shared/data/scores/published_scores.csv")
    scores, transitions = curate(Path(argv[0]))
    _write(SCORES_CSV, SCORE_COLUMNS, scores)
    _write(TRANSITIONS_CSV, TRANSITION_COLUMNS, transitions)
    print(f"wrote {len(scores)} score rows to {SCORES_CSV} and {len(transitions)} transitions to {TRANSITIONS_CSV}")


if __name__ == "__main__":
    main(sys.argv[1:])
