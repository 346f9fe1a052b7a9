"""Curate the demo's published-score tables from the project's reference files, reproducibly.

    python -m harness.data.curate PATH/TO/scores/

reads `published_scores.csv` (2024-2026 releases) and `published_scores_2026.csv` (the 2026 releases around
the 22 April - 5 June 2026 window) from that folder and writes, beside this module:

- `published_scores.csv`: one row per release x suite x source table, figures unchanged, each row with its
  source link, a readable source name and where its item count comes from;
- `transitions.csv`: the release pairs the demo compares (Qwen steps and other developers' steps), with
  their release date, their place relative to the window and what their tables report;
- `caveats.csv`: the known problems of these figures, as data: a row the curation leaves out (a typo, a
  failed baseline, an abstention-driven drop, a suite sharing its questions with another) or flags (a
  re-run baseline, a version change, a tier change).

tests/demo/test_demo_data.py re-runs this on the reference files and checks the committed tables match,
so the curation cannot drift silently. harness/data/README.md explains the choices.

Rules (the README repeats them for readers):
- A transition pairs two releases *within one source table* (one evaluation pipeline), never across tables.
- Only suites of the project's four capabilities are kept (coding, agentic: targeted; math, factual:
  untargeted). Ratings (Elo, Codeforces, dollars), multilingual variants, and benchmarks whose item count
  we cannot document are left out.
- When a table reports the same benchmark twice (e.g. MMLU 5-shot and MMLU CoT), the first-listed setting
  is kept, so no setting is picked for its result.
- `n_items` counts distinct problems. Where a score averages samples, languages or sub-categories of the
  same problems, the problems are counted once (conservative: wider intervals). `n_items_exact` is false
  where the count is an estimate; `n_items_basis` says where every count comes from.
- Different versions of a benchmark are different suites (Terminal-Bench 2.0 and 2.1 never pair).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCORES_CSV = HERE / "published_scores.csv"
TRANSITIONS_CSV = HERE / "transitions.csv"
CAVEATS_CSV = HERE / "caveats.csv"
SHARED_FILES = ("published_scores.csv", "published_scores_2026.csv")

SCORE_COLUMNS = ("model", "suite", "category", "capability", "score", "n_items", "n_items_exact",
                 "n_items_basis", "setting", "benchmark_raw", "source_id", "table", "source_name", "evaluator",
                 "source_url", "source", "caveats")
TRANSITION_COLUMNS = ("transition", "lab", "role", "before", "after", "source_id", "table", "released", "phase",
                      "evaluator", "reported", "caveats", "note")
CAVEAT_COLUMNS = ("caveat", "kind", "action", "transition", "source_id", "model", "benchmark_raw", "note")

#: The alleged extraction window the 2026 case is about (first and last day). A release on the first day
#: was trained before it, so it counts as "before".
WINDOW = ("2026-04-22", "2026-06-05")
#: Where the window's dates come from, said wherever the window is shown (an allegation, not a finding).
WINDOW_SOURCE = ("the dates Anthropic gave for the alleged extraction in its letter of 10 June 2026 to the "
                 "US Senate Banking Committee")


def phase(released: str) -> str:
    """before / inside / after the window, for a release date YYYY-MM-DD ('' for older or undated)."""
    if len(released) != 10 or released < "2026-01-01":
        return ""
    if released <= WINDOW[0]:
        return "before"
    return "inside" if released <= WINDOW[1] else "after"


@dataclass(frozen=True)
class SuiteInfo:
    capability: str
    n_items: int
    exact: bool
    basis: str


_LCB_RATE = ("LiveCodeBench v5 lists 279 problems for Aug 2024-Feb 2025 (about 46 a month); "
             "the source does not publish its window's count, so this is 46 x months in the window")

SUITES: dict[str, SuiteInfo] = {
    "HumanEval": SuiteInfo("coding", 164, True, "HumanEval: 164 problems (Chen et al. 2021)"),
    "HumanEval-Mul": SuiteInfo(
        "coding", 164, False,
        "HumanEval translated to 8 languages (DeepSeek-V3 report); the 164 problems are counted once"),
    "MBPP EvalPlus (base)": SuiteInfo(
        "coding", 378, False,
        "EvalPlus MBPP v0.2: 378 tasks (v0.1.0 has 399); the card does not say which"),
    "LiveCodeBench (2024.10-2025.02)": SuiteInfo("coding", 186, False, _LCB_RATE + " (4 months)"),
    "LiveCodeBench v6 (2025.02-2025.05)": SuiteInfo(
        "coding", 175, False, "LiveCodeBench v6 added 175 problems for Feb-May 2025 (release notes)"),
    "LiveCodeBench v6": SuiteInfo(
        "coding", 175, False,
        "LiveCodeBench v6: the source gives no date window; release v6 added 175 problems (1,055 in all): "
        "the smaller is used"),
    "LiveCodeBench (version not printed)": SuiteInfo(
        "coding", 175, False,
        "LiveCodeBench, version and window not printed in the table; 175 problems (the v6 increment) assumed"),
    "Aider-Edit": SuiteInfo("coding", 133, True, "Aider code-editing benchmark: 133 Python exercises (Aider leaderboard)"),
    "Aider-Polyglot": SuiteInfo("coding", 225, True, "Aider polyglot benchmark: 225 exercises (Aider leaderboard)"),
    "MultiPL-E": SuiteInfo(
        "coding", 161, False,
        "MultiPL-E HumanEval translations: 161 problems per language, counted once across languages"),
    "OJBench": SuiteInfo("coding", 232, False, "OJBench: 232 competition problems (Wang et al. 2025)"),
    "DeepSWE 1.1": SuiteInfo("coding", 113, False, "DeepSWE 1.1: 113 tasks (secondary source)"),
    "BFCL v1": SuiteInfo(
        "agentic", 2000, True,
        "BFCL v1: 2,000 question-function-answer pairs (dataset card); the score averages categories"),
    "BFCL v2": SuiteInfo(
        "agentic", 4251, False,
        "BFCL v1's 2,000 entries plus the 2,251 live entries (category sizes of the BFCL dataset); estimate"),
    "BFCL v3": SuiteInfo(
        "agentic", 4441, False,
        "BFCL v3 = non-live 1,390 + live 2,251 + multi-turn 800 (category sizes of the BFCL dataset); "
        "the overall score averages categories, so the effective sample is smaller"),
    "BFCL v4": SuiteInfo(
        "agentic", 4696, False,
        "BFCL v3's 4,441 entries plus web_search 100 and memory 155 (category sizes of the BFCL dataset); estimate"),
    "SWE-bench Verified": SuiteInfo("agentic", 500, True, "SWE-bench Verified: 500 human-validated tasks (OpenAI 2024)"),
    "SWE-bench Multilingual": SuiteInfo("agentic", 300, True, "SWE-bench Multilingual: 300 tasks in 9 languages"),
    "SWE-bench Pro": SuiteInfo(
        "agentic", 731, False,
        "SWE-bench Pro public set: 731 tasks (1,865 with the held-out sets); some vendors run a corrected "
        "task set of unstated size"),
    "Terminal-Bench": SuiteInfo("agentic", 80, False, "Terminal-Bench core v0.1: 80 tasks"),
    "Terminal-Bench 2.0": SuiteInfo("agentic", 89, True, "Terminal-Bench 2.0: 89 tasks (a full run has 89 trials)"),
    "Terminal-Bench 2.1": SuiteInfo("agentic", 89, True, "Terminal-Bench 2.1: 89 tasks (NVIDIA NeMo Gym docs)"),
    "Terminal-Bench Hard (AA)": SuiteInfo(
        "agentic", 44, False, "Artificial Analysis's Terminal-Bench Hard subset: 44 tasks (secondary source)"),
    "SkillsBench": SuiteInfo(
        "agentic", 78, False,
        "SkillsBench: 87 tasks; Qwen's tables use 78 (9 API-dependent tasks left out, Qwen3.7-Plus footnote): "
        "the smaller is used"),
    "APEX-Agents": SuiteInfo("agentic", 452, True, "APEX-Agents: 452 of the 480 public tasks (Kimi K2.6 footnote)"),
    "BrowseComp": SuiteInfo("agentic", 1266, True, "BrowseComp: 1,266 questions (Wei et al. 2025)"),
    "TAU-bench Retail": SuiteInfo("agentic", 115, True, "tau-bench retail domain: 115 tasks (Yao et al. 2024)"),
    "TAU-bench Airline": SuiteInfo("agentic", 50, True, "tau-bench airline domain: 50 tasks (Yao et al. 2024)"),
    "TAU2-Bench": SuiteInfo(
        "agentic", 278, False, "tau2-bench retail 114 + airline 50 + telecom 114 tasks; estimate"),
    "HLE with tools": SuiteInfo(
        "agentic", 2500, False, "Humanity's Last Exam with tools: the same 2,500 questions as HLE"),
    "GSM8K": SuiteInfo("math", 1319, True, "GSM8K test split: 1,319 problems (Cobbe et al. 2021)"),
    "MATH": SuiteInfo("math", 5000, False, "MATH test split: 5,000 problems (Hendrycks et al. 2021); full set assumed"),
    "MATH-500": SuiteInfo("math", 500, True, "MATH-500: 500 problems (Lightman et al. 2023)"),
    "MGSM": SuiteInfo(
        "math", 250, True, "MGSM: 250 GSM8K problems translated into 10 languages, counted once (Shi et al. 2022)"),
    "AIME 2024": SuiteInfo("math", 30, True, "AIME 2024: 30 problems (AIME I + II); avg@k scores still rest on 30"),
    "AIME 2025": SuiteInfo("math", 30, True, "AIME 2025: 30 problems (AIME I + II); avg@k scores still rest on 30"),
    "AIME 2026": SuiteInfo("math", 30, True, "AIME 2026: 30 problems (AIME I + II)"),
    "HMMT Feb 2025": SuiteInfo("math", 30, True, "HMMT February 2025: 30 answer problems (MathArena)"),
    "HMMT Nov 2025": SuiteInfo("math", 30, False, "HMMT November 2025: 30 answer problems assumed (MathArena)"),
    "HMMT Feb 2026": SuiteInfo("math", 33, True, "HMMT February 2026: 33 answer problems (MathArena)"),
    "IMO-AnswerBench": SuiteInfo("math", 400, False, "IMO-Bench AnswerBench: 400 problems (Luong et al. 2025)"),
    "MathArena Apex": SuiteInfo(
        "math", 12, False,
        "MathArena Apex 2025: 12 problems; the tables do not say whether they used it or the larger shortlist: "
        "the smaller is used"),
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
    "HLE": SuiteInfo(
        "factual", 2500, False,
        "Humanity's Last Exam: 2,500 questions (full set); some tables use the smaller text-only subset"),
    "AA-Omniscience accuracy": SuiteInfo(
        "factual", 6000, True, "AA-Omniscience: 6,000 questions in 42 topics (Artificial Analysis)"),
}

CAPABILITY_CATEGORY = {"coding": "targeted", "agentic": "targeted", "math": "untargeted", "factual": "untargeted"}


@dataclass(frozen=True)
class Source:
    """A source table: who published it, under what name readers know it, and a public link."""

    name: str
    evaluator: str
    url: str = ""  # when the reference file's `source` is not itself a public link


SOURCES: dict[str, Source] = {
    "qwen3_tr": Source("Qwen3 technical report", "Qwen (vendor-reported)"),
    "qwen3_2507_card": Source("Qwen3-235B-A22B-Instruct-2507 model card", "Qwen (vendor-reported)",
                              "https://huggingface.co/Qwen/Qwen3-235B-A22B-Instruct-2507"),
    "qwen35_397b_card": Source("Qwen3.5-397B-A17B model card", "Qwen (vendor-reported)",
                               "https://huggingface.co/Qwen/Qwen3.5-397B-A17B"),
    "qwen35_medium_card": Source("Qwen3.5-122B-A10B model card", "Qwen (vendor-reported)",
                                 "https://huggingface.co/Qwen/Qwen3.5-122B-A10B"),
    "meta_llama3_1_card": Source("Llama 3.1 model card", "Meta (vendor-reported)"),
    "meta_llama3_3_card": Source("Llama 3.3 model card", "Meta (vendor-reported)"),
    "meta_llama4_card": Source("Llama 4 model card", "Meta (vendor-reported)"),
    "deepseek_v3_readme": Source("DeepSeek-V3 README", "DeepSeek (vendor-reported)"),
    "deepseek_v32exp_readme": Source("DeepSeek-V3.2-Exp README", "DeepSeek (vendor-reported)"),
    "qwen36_35b_card": Source("Qwen3.6-35B-A3B model card", "Qwen (vendor-reported)"),
    "qwen36_27b_blog": Source("Qwen3.6-27B launch blog", "Qwen (vendor-reported)"),
    "qwen37_plus_blog": Source("Qwen3.7-Plus launch blog", "Qwen (vendor-reported)"),
    "qwen37_max_readme": Source("Qwen3.7-Max launch README", "Qwen (vendor-reported)"),
    "qwen38_max_blog": Source("Qwen3.8-Max launch blog", "Qwen (vendor-reported)"),
    "qwen38_27b_card": Source("Qwen3.8-27B model card", "Qwen (vendor-reported)"),
    "glm51_card": Source("GLM-5.1 model card", "Z.ai (vendor-reported)"),
    "glm52_readme": Source("GLM-5 README, GLM-5.2 section", "Z.ai (vendor-reported)"),
    "kimi_k26_blog": Source("Kimi K2.6 launch blog", "Moonshot AI (vendor-reported)"),
    "openai_gpt55": Source("GPT-5.5 launch post", "OpenAI (vendor-reported)"),
    "anthropic_opus47": Source("Claude Opus 4.7 launch post", "Anthropic (vendor-reported)"),
    "gemini35flash_card": Source("Gemini 3.5 Flash model card", "Google DeepMind (vendor-reported)"),
    "gemma4_card": Source("Gemma 4 31B model card", "Google (vendor-reported)"),
    "aa_officechai_qwen37max": Source("Artificial Analysis Intelligence Index v4.0, as reported by OfficeChai",
                                      "Artificial Analysis (independent evaluator)"),
}

# (source_id, table) -> {benchmark_raw: suite}. Raw names are exactly as in the reference files.
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
        "Terminal Bench 2": "Terminal-Bench 2.0", "BFCL-V4": "BFCL v4", "TAU2-Bench": "TAU2-Bench",
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
    # ---- 2026 (published_scores_2026.csv) ----
    ("qwen36_35b_card", "Qwen3.6-35B-A3B model card, language table"): {
        "SWE-bench Verified": "SWE-bench Verified", "SWE-bench Multilingual": "SWE-bench Multilingual",
        "SWE-bench Pro": "SWE-bench Pro", "Terminal-Bench 2.0": "Terminal-Bench 2.0",
        "SkillsBench Avg5": "SkillsBench", "LiveCodeBench v6": "LiveCodeBench v6", "MMLU-Pro": "MMLU-Pro",
        "MMLU-Redux": "MMLU-Redux", "SuperGPQA": "SuperGPQA", "GPQA": "GPQA Diamond", "HLE": "HLE",
        "HMMT Feb 25": "HMMT Feb 2025", "HMMT Nov 25": "HMMT Nov 2025", "HMMT Feb 26": "HMMT Feb 2026",
        "IMOAnswerBench": "IMO-AnswerBench", "AIME26": "AIME 2026",
    },
    ("qwen36_27b_blog", "Qwen3.6-27B blog 'Language' table"): {
        "SWE-bench Verified": "SWE-bench Verified", "SWE-bench Pro": "SWE-bench Pro",
        "SWE-bench Multilingual": "SWE-bench Multilingual", "Terminal-Bench 2.0": "Terminal-Bench 2.0",
        "SkillsBench Avg5": "SkillsBench", "LiveCodeBench v6": "LiveCodeBench v6", "MMLU-Pro": "MMLU-Pro",
        "MMLU-Redux": "MMLU-Redux", "SuperGPQA": "SuperGPQA", "GPQA Diamond": "GPQA Diamond", "HLE": "HLE",
        "HMMT Feb 25": "HMMT Feb 2025", "HMMT Nov 25": "HMMT Nov 2025", "HMMT Feb 26": "HMMT Feb 2026",
        "IMOAnswerBench": "IMO-AnswerBench", "AIME26": "AIME 2026",
    },
    ("qwen37_plus_blog", "Qwen3.7-Plus blog 'Text Benchmarks' table"): {
        "Terminal Bench 2.0-Terminus": "Terminal-Bench 2.0", "SWE-Verified": "SWE-bench Verified",
        "SWE-Pro": "SWE-bench Pro", "SWE-Multilingual": "SWE-bench Multilingual", "Skillsbench": "SkillsBench",
        "BFCL-V4": "BFCL v4", "LiveCodeBench": "LiveCodeBench (version not printed)", "GPQA Diamond": "GPQA Diamond",
        "HLE": "HLE", "HMMT 2026 Feb": "HMMT Feb 2026", "IMOAnswerBench": "IMO-AnswerBench", "Apex": "MathArena Apex",
        "MMLU-Pro": "MMLU-Pro", "MMLU-Redux": "MMLU-Redux", "SuperGPQA": "SuperGPQA",
    },
    ("qwen37_max_readme", "Qwen3.7-Max 'Benchmark Performance' table (README mirror of Qwen3.7 blog)"): {
        "Terminal Bench 2.0-Terminus": "Terminal-Bench 2.0", "SWE-Verified": "SWE-bench Verified",
        "SWE-Pro": "SWE-bench Pro", "SWE-Multilingual": "SWE-bench Multilingual", "SkillsBench": "SkillsBench",
        "BFCL-v4": "BFCL v4", "HLE w/ tools": "HLE with tools", "LiveCodeBench": "LiveCodeBench (version not printed)",
        "GPQA Diamond": "GPQA Diamond", "HLE": "HLE", "HMMT 2026 Feb": "HMMT Feb 2026",
        "IMOAnswerBench": "IMO-AnswerBench", "Apex": "MathArena Apex", "MMLU-Pro": "MMLU-Pro",
        "MMLU-Redux": "MMLU-Redux", "SuperGPQA": "SuperGPQA",
    },
    ("qwen38_max_blog", "Qwen3.8-Max blog text table (Table 2 of page)"): {
        "Terminal Bench 2.1": "Terminal-Bench 2.1", "SWE-bench Pro": "SWE-bench Pro", "DeepSWE 1.1": "DeepSWE 1.1",
        "SkillsBench": "SkillsBench", "HLE w/ tools": "HLE with tools", "GPQA Diamond": "GPQA Diamond", "HLE": "HLE",
    },
    ("qwen38_27b_card", "Qwen3.8-27B model card Text/VL performance"): {
        "Terminal Bench 2.1 (Terminus)": "Terminal-Bench 2.1", "SWE-bench Pro": "SWE-bench Pro",
        "DeepSWE 1.1": "DeepSWE 1.1", "LiveCodeBench v6": "LiveCodeBench v6", "GPQA Diamond": "GPQA Diamond",
        "HLE": "HLE",
    },
    ("aa_officechai_qwen37max", "AA Intelligence Index v4.0 (via OfficeChai)"): {
        "Terminal-Bench Hard": "Terminal-Bench Hard (AA)", "Humanity's Last Exam": "HLE",
        "AA-Omniscience accuracy": "AA-Omniscience accuracy",
    },
    ("glm51_card", "GLM-5.1 model card 'Benchmark' table"): {
        "HLE": "HLE", "HLE (w/ Tools)": "HLE with tools", "AIME 2026": "AIME 2026", "HMMT Nov. 2025": "HMMT Nov 2025",
        "HMMT Feb. 2026": "HMMT Feb 2026", "IMOAnswerBench": "IMO-AnswerBench", "GPQA-Diamond": "GPQA Diamond",
        "SWE-Bench Pro": "SWE-bench Pro", "Terminal-Bench 2.0 (Terminus-2)": "Terminal-Bench 2.0",
        "Terminal-Bench 2.0 (best self-reported, Claude Code)": "Terminal-Bench 2.0", "BrowseComp": "BrowseComp",
        "BrowseComp (w/ Context Manage)": "BrowseComp",
    },
    ("glm52_readme", "zai-org/GLM-5 README, GLM-5.2 section"): {
        "Terminal-Bench 2.1": "Terminal-Bench 2.1", "SWE-Bench Pro": "SWE-bench Pro",
    },
    ("kimi_k26_blog", "Kimi K2.6 tech blog 'Benchmark Table'"): {
        "HLE-Full w/ tools": "HLE with tools", "BrowseComp": "BrowseComp", "BrowseComp (agent swarm)": "BrowseComp",
        "APEX-Agents": "APEX-Agents", "Terminal-Bench 2.0 (Terminus-2)": "Terminal-Bench 2.0",
        "SWE-Bench Pro": "SWE-bench Pro", "SWE-Bench Multilingual": "SWE-bench Multilingual",
        "SWE-Bench Verified": "SWE-bench Verified", "OJBench (python)": "OJBench",
        "LiveCodeBench (v6)": "LiveCodeBench v6", "HLE-Full": "HLE", "AIME 2026": "AIME 2026",
        "HMMT 2026 (Feb)": "HMMT Feb 2026", "IMO-AnswerBench": "IMO-AnswerBench", "GPQA-Diamond": "GPQA Diamond",
    },
    ("openai_gpt55", "Introducing GPT-5.5 (launch post, headline table + evaluation appendix)"): {
        "Terminal-Bench 2.0": "Terminal-Bench 2.0", "SWE-Bench Pro (Public)": "SWE-bench Pro",
        "BrowseComp": "BrowseComp", "GPQA Diamond": "GPQA Diamond", "HLE (no tools)": "HLE",
        "HLE (with tools)": "HLE with tools",
    },
    ("anthropic_opus47", "Claude Opus 4.7 launch benchmark table"): {
        "SWE-bench Pro": "SWE-bench Pro", "SWE-bench Verified": "SWE-bench Verified",
        "Terminal-Bench 2.0": "Terminal-Bench 2.0", "HLE (no tools)": "HLE", "HLE (with tools)": "HLE with tools",
        "BrowseComp": "BrowseComp", "GPQA Diamond": "GPQA Diamond",
    },
    ("gemini35flash_card", "Gemini 3.5 Flash model card evaluation table"): {
        "Terminal-bench 2.1 (Terminus-2 harness)": "Terminal-Bench 2.1",
        "SWE-Bench Pro (Public, single attempt)": "SWE-bench Pro", "Humanity's Last Exam (full set)": "HLE",
    },
    ("gemma4_card", "Gemma 4 model card benchmark table (excerpt)"): {
        "MMLU Pro": "MMLU-Pro", "AIME 2026": "AIME 2026", "LiveCodeBench v6": "LiveCodeBench v6",
        "GPQA Diamond": "GPQA Diamond", "Tau2 (avg)": "TAU2-Bench",
    },
}


@dataclass(frozen=True)
class Transition:
    transition: str
    lab: str
    role: str  # suspect (a Qwen step) | control (another developer's step) | context (shown, never a control)
    before: str
    after: str
    source_id: str
    table: str
    released: str  # the later release's date: YYYY-MM-DD for the 2026 case, YYYY-MM before
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
    # ---- the 2026 case: Qwen steps around the window, each from one Qwen table (thinking mode) ----
    Transition("qwen3.5-35b>qwen3.6-35b", "Qwen", "suspect", "Qwen3.5-35B-A3B", "Qwen3.6-35B-A3B",
               "qwen36_35b_card", "Qwen3.6-35B-A3B model card, language table", "2026-04-16",
               "same size, open weights; the predecessor re-run in the new card"),
    Transition("qwen3.5-27b>qwen3.6-27b", "Qwen", "suspect", "Qwen3.5-27B", "Qwen3.6-27B",
               "qwen36_27b_blog", "Qwen3.6-27B blog 'Language' table", "2026-04-22",
               "same size, open weights; released on the window's first day, so trained before it"),
    Transition("qwen3.6-plus>qwen3.7-plus", "Qwen", "suspect", "Qwen3.6-Plus", "Qwen3.7-Plus",
               "qwen37_plus_blog", "Qwen3.7-Plus blog 'Text Benchmarks' table", "2026-06-01",
               "same tier (Plus), Qwen's own table, released inside the window"),
    Transition("qwen3.6-plus>qwen3.7-max", "Qwen", "suspect", "Qwen3.6-Plus", "Qwen3.7-Max",
               "qwen37_max_readme", "Qwen3.7-Max 'Benchmark Performance' table (README mirror of Qwen3.7 blog)",
               "2026-05-20", "Qwen3.7's flagship against the Plus tier it replaced"),
    Transition("qwen3.6-max-preview>qwen3.7-max (AA)", "Qwen", "suspect", "Qwen3.6 Max Preview", "Qwen3.7 Max",
               "aa_officechai_qwen37max", "AA Intelligence Index v4.0 (via OfficeChai)", "2026-05-20",
               "the only independent evaluator's before-and-after for a Qwen step around the window"),
    Transition("qwen3.7-max>qwen3.8-max", "Qwen", "suspect", "Qwen3.7-Max", "Qwen3.8-Max",
               "qwen38_max_blog", "Qwen3.8-Max blog text table (Table 2 of page)", "2026-08-03",
               "the first flagship released entirely after the window"),
    Transition("qwen3.6-27b>qwen3.8-27b", "Qwen", "suspect", "Qwen3.6-27B", "Qwen3.8-27B",
               "qwen38_27b_card", "Qwen3.8-27B model card Text/VL performance", "2026-08-13",
               "same size, open weights, after the window (Qwen3.7 had no 27B)"),
    # ---- other developers, 2024-2025 ----
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
    # ---- other developers, 2026: the same period as the Qwen steps ----
    Transition("glm-5>glm-5.1", "Z.ai", "control", "GLM-5", "GLM-5.1", "glm51_card",
               "GLM-5.1 model card 'Benchmark' table", "2026-04-07",
               "open weights, thinking mode, nearly Qwen's benchmark list"),
    Transition("glm-5.1>glm-5.2", "Z.ai", "control", "GLM-5.1", "GLM-5.2", "glm52_readme",
               "zai-org/GLM-5 README, GLM-5.2 section", "2026-06-13", "the README compares two rows only"),
    Transition("kimi-k2.5>k2.6", "Moonshot AI", "control", "Kimi K2.5", "Kimi K2.6", "kimi_k26_blog",
               "Kimi K2.6 tech blog 'Benchmark Table'", "2026-04-20", "open weights, thinking mode"),
    Transition("gpt-5.4>gpt-5.5", "OpenAI", "control", "GPT-5.4", "GPT-5.5", "openai_gpt55",
               "Introducing GPT-5.5 (launch post, headline table + evaluation appendix)", "2026-04-23", ""),
    Transition("opus-4.6>opus-4.7", "Anthropic", "control", "Claude Opus 4.6", "Claude Opus 4.7", "anthropic_opus47",
               "Claude Opus 4.7 launch benchmark table", "2026-04-16", ""),
    Transition("gemini-3-flash>3.5-flash", "Google", "control", "Gemini 3 Flash", "Gemini 3.5 Flash",
               "gemini35flash_card", "Gemini 3.5 Flash model card evaluation table", "2026-05-19", ""),
    Transition("gemma-3-27b>gemma-4-31b", "Google", "context", "Gemma 3 27B", "Gemma 4 31B", "gemma4_card",
               "Gemma 4 model card benchmark table (excerpt)", "2026-04-02",
               "shown for context only, never a control"),
)


@dataclass(frozen=True)
class Caveat:
    """A known problem of a figure or a step. `action` exclude: the row is left out; flag: kept and marked.
    Scope: a step (`transition`) or rows (`source_id`, with `model` and `benchmark_raw` narrowing it;
    an empty field matches any)."""

    caveat: str
    kind: str
    action: str
    note: str
    transition: str = ""
    source_id: str = ""
    model: str = ""
    benchmark_raw: str = ""


_QWEN_SWE_PRO = ("qwen36_35b_card", "qwen36_27b_blog", "qwen37_plus_blog", "qwen37_max_readme", "qwen38_max_blog",
                 "qwen38_27b_card")
_HLE_TOOLS = (("qwen37_max_readme", "HLE w/ tools"), ("qwen38_max_blog", "HLE w/ tools"), ("glm51_card", "HLE (w/ Tools)"),
              ("kimi_k26_blog", "HLE-Full w/ tools"), ("openai_gpt55", "HLE (with tools)"),
              ("anthropic_opus47", "HLE (with tools)"))

CAVEATS: tuple[Caveat, ...] = (
    Caveat("typo-mmlu-pro", "typo", "exclude",
           "Qwen3.6-Plus's MMLU-Pro is printed as 68.5 here but 88.5 for the same model in the Qwen3.7-Plus blog: a "
           "typo; the row is left out rather than corrected", source_id="qwen37_max_readme", model="Qwen3.6-Plus",
           benchmark_raw="MMLU-Pro"),
    Caveat("broken-baseline", "broken_baseline", "exclude",
           "Qwen3.5-35B-A3B's SkillsBench is 4.4 in this card, against 27.2 for the smaller Qwen3.5-27B in the same "
           "card: it looks like a failed baseline run, so the +24.3-point 'gain' is left out",
           source_id="qwen36_35b_card", model="Qwen3.5-35B-A3B", benchmark_raw="SkillsBench Avg5"),
    Caveat("abstention", "abstention", "exclude",
           "AA-Omniscience accuracy fell from 37.7% to 30.1% while the attempt rate fell from 67.3% to 48.0% and the "
           "hallucination rate from 44.2% to 22.9%: the model answered less often, so the drop measures abstention, "
           "not lost knowledge; left out", source_id="aa_officechai_qwen37max", benchmark_raw="AA-Omniscience accuracy"),
    *(Caveat("shared-questions", "shared_items", "exclude",
             "HLE with tools asks the same questions as HLE without tools (kept, as knowledge); two suites "
             "sharing their questions are not independent, so the with-tools row is left out",
             source_id=s, benchmark_raw=b) for s, b in _HLE_TOOLS),
    Caveat("ambiguous-item-set", "ambiguous_items", "exclude",
           "GLM-5.1's card says 'AIME 2026' where the GLM-5 paper says 'AIME 2026 I' (15 problems, not 30): the "
           "item set is unclear, so the row is left out", source_id="glm51_card", benchmark_raw="AIME 2026"),
    Caveat("baseline-rerun", "baseline_rerun", "flag",
           "Qwen re-ran Qwen3.7-Max for this table: SkillsBench 61.2 here, 59.2 in Qwen3.7-Max's own README; the "
           "gain uses this table's own figures", source_id="qwen38_max_blog", model="Qwen3.7-Max",
           benchmark_raw="SkillsBench"),
    Caveat("baseline-rerun", "baseline_rerun", "flag",
           "The Qwen3.6 cards evaluate 'full AIME 2026 (I & II)' and say the predecessor's figure may differ from "
           "Qwen3.5's own notes: a re-run", source_id="qwen36_35b_card", model="Qwen3.5-35B-A3B", benchmark_raw="AIME26"),
    Caveat("baseline-rerun", "baseline_rerun", "flag",
           "The Qwen3.6 cards evaluate 'full AIME 2026 (I & II)' and say the predecessor's figure may differ from "
           "Qwen3.5's own notes: a re-run", source_id="qwen36_27b_blog", model="Qwen3.5-27B", benchmark_raw="AIME26"),
    Caveat("version-change", "version_change", "flag",
           "Terminal-Bench 2.1 here; Qwen3.7-Max's own README reports 69.7 on version 2.0. Versions 2.0 and 2.1 are "
           "different suites and never pair", source_id="qwen38_max_blog", benchmark_raw="Terminal Bench 2.1"),
    Caveat("version-change", "version_change", "flag",
           "Terminal-Bench 2.1 here; the Qwen3.6-27B blog reports 59.3 on version 2.0. Versions 2.0 and 2.1 are "
           "different suites and never pair", source_id="qwen38_27b_card", benchmark_raw="Terminal Bench 2.1 (Terminus)"),
    Caveat("harness-change", "settings_change", "flag",
           "Terminal-Bench 2.0 ran with a 5-hour timeout on 12 CPUs for this table (3 hours on 32 CPUs in the Qwen3.6 "
           "cards): compare within this table only", source_id="qwen37_plus_blog",
           benchmark_raw="Terminal Bench 2.0-Terminus"),
    Caveat("harness-change", "settings_change", "flag",
           "Terminal-Bench 2.0 ran with a 5-hour timeout on 12 CPUs for this table (3 hours on 32 CPUs in the Qwen3.6 "
           "cards): compare within this table only", source_id="qwen37_max_readme",
           benchmark_raw="Terminal Bench 2.0-Terminus"),
    Caveat("carried-over", "carried_over", "flag",
           "53.5, identical to the Qwen3.6-27B blog's figure from Qwen's internal scaffold, although this card says "
           "every baseline was re-run with the Claude Code harness: probably carried over, so the two releases may "
           "not share a harness on this row", source_id="qwen38_27b_card", model="Qwen3.6-27B",
           benchmark_raw="SWE-bench Pro"),
    *(Caveat("corrected-task-set", "task_set_variant", "flag",
             "Qwen runs SWE-bench Pro on its own corrected task set and re-runs every baseline on it, so its figures "
             "are not the public leaderboard's and its task count is not stated", source_id=s,
             benchmark_raw=b) for s, b in (*((s, "SWE-bench Pro") for s in ("qwen36_35b_card", "qwen36_27b_blog",
                                                                            "qwen38_max_blog", "qwen38_27b_card")),
                                           ("qwen37_plus_blog", "SWE-Pro"), ("qwen37_max_readme", "SWE-Pro"))),
    Caveat("version-not-printed", "version_unstated", "flag",
           "The table prints 'LiveCodeBench' without a version or date window; kept as its own suite, never paired "
           "with a versioned LiveCodeBench", source_id="qwen37_plus_blog", benchmark_raw="LiveCodeBench"),
    Caveat("version-not-printed", "version_unstated", "flag",
           "The table prints 'LiveCodeBench' without a version or date window; kept as its own suite, never paired "
           "with a versioned LiveCodeBench", source_id="qwen37_max_readme", benchmark_raw="LiveCodeBench"),
    Caveat("release-on-first-day", "timing", "flag",
           "Qwen3.6-27B was released on 22 April 2026, the window's first day; a release that day was trained "
           "before the window, so the step counts as before it", transition="qwen3.5-27b>qwen3.6-27b"),
    Caveat("tier-change", "tier_change", "flag",
           "Plus to Max is a change of tier as well as of generation: gains mix the two",
           transition="qwen3.6-plus>qwen3.7-max"),
    Caveat("aa-secondary", "secondary_source", "flag",
           "Artificial Analysis's figures as reported by OfficeChai (Intelligence Index v4.0); AA later re-scaled to "
           "v4.1, whose values must not be mixed with these", transition="qwen3.6-max-preview>qwen3.7-max (AA)"),
    Caveat("kimi-mixed-provenance", "baseline_rerun", "flag",
           "Moonshot re-evaluated the values it marks with an asterisk and cited the rest from official reports, so "
           "the two columns did not all run through one pipeline", transition="kimi-k2.5>k2.6"),
    Caveat("gpt-row-selection", "selection", "flag",
           "OpenAI's headline table shows rows where GPT-5.5 leads (the post says so): a selected set of benchmarks",
           transition="gpt-5.4>gpt-5.5"),
    Caveat("transcribed-table", "secondary_source", "flag",
           "figures read from a third-party transcription of the vendor's table", transition="opus-4.6>opus-4.7"),
    Caveat("transcribed-table", "secondary_source", "flag",
           "figures read from a third-party transcription of the vendor's table",
           transition="gemini-3-flash>3.5-flash"),
    Caveat("mode-change", "mode_change", "flag",
           "Gemma 3 27B answered without thinking and Gemma 4 31B with it, a year apart: the step mixes a new mode "
           "with a new model, so it is shown for context and never used as a control",
           transition="gemma-3-27b>gemma-4-31b"),
)

#: Category names of the reference files, and the capability each stands for.
_RAW_CAPABILITY = {"targeted_code": "coding", "targeted_agentic": "agentic", "untargeted_math": "math",
                   "untargeted_knowledge": "factual"}


def _matches(c: Caveat, r: dict[str, str]) -> bool:
    return (not c.transition and c.source_id == r["source_id"] and c.model in ("", r["model"])
            and c.benchmark_raw in ("", r["benchmark_raw"]))


def _reported(rows: list[dict[str, str]], t: Transition) -> str:
    """How many benchmarks of each capability the step's table reports for both releases (every row, kept
    or not, as the reference file categorises it): `coding 9; agentic 11; math 0; factual 2`."""
    seen: dict[str, set[str]] = {t.before: set(), t.after: set()}
    category: dict[str, str] = {}
    for r in rows:
        if (r["source_id"], r["table"]) == (t.source_id, t.table) and r["model"] in seen:
            seen[r["model"]].add(r["benchmark_raw"])
            category[r["benchmark_raw"]] = r["category"]
    counts = defaultdict(int)
    for raw in seen[t.before] & seen[t.after]:
        cap = _RAW_CAPABILITY.get(category[raw])
        if cap:
            counts[cap] += 1
    return "; ".join(f"{cap} {counts[cap]}" for cap in ("coding", "agentic", "math", "factual"))


def curate(scores_dir: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]]:
    """The curated score rows, transition rows and caveat rows, from the reference folder's two files."""
    shared: list[dict[str, str]] = []
    for name in SHARED_FILES:
        with open(Path(scores_dir) / name, newline="", encoding="utf-8") as f:
            shared += list(csv.DictReader(f))
    row_caveats = [c for c in CAVEATS if not c.transition]
    rows: dict[tuple[str, str, str, str], dict[str, str]] = {}
    transitions = []
    for t in TRANSITIONS:
        picks = PICKS[(t.source_id, t.table)]
        source = SOURCES[t.source_id]
        found: dict[str, dict[str, dict[str, str]]] = {t.before: {}, t.after: {}}
        flags: dict[tuple[str, str], list[str]] = defaultdict(list)
        for r in shared:
            if (r["source_id"], r["table"]) != (t.source_id, t.table) or r["model"] not in found:
                continue
            suite = picks.get(r["benchmark_raw"])
            if suite is None or suite in found[r["model"]]:
                continue  # not a kept benchmark, or a later setting of one already kept (the first listed wins)
            hits = [c for c in row_caveats if _matches(c, r)]
            if any(c.action == "exclude" for c in hits):
                found[r["model"]][suite] = {}  # left out: neither this row nor a later setting stands in for it
                continue
            found[r["model"]][suite] = r
            flags[(r["model"], suite)] = [c.caveat for c in hits]
        if not found[t.before] or not found[t.after]:
            raise SystemExit(f"{t.transition}: no rows for {t.before!r} or {t.after!r} in {t.source_id}")
        for model, suites in found.items():
            for suite, r in suites.items():
                if not r or not found[t.before].get(suite) or not found[t.after].get(suite):
                    continue  # keep only suites both releases report (and keep) in this table
                info = SUITES[suite]
                rows[(model, suite, t.source_id, t.table)] = {
                    "model": model, "suite": suite, "category": CAPABILITY_CATEGORY[info.capability],
                    "capability": info.capability, "score": r["score"], "n_items": str(info.n_items),
                    "n_items_exact": "true" if info.exact else "false", "n_items_basis": info.basis,
                    "setting": r["setting"], "benchmark_raw": r["benchmark_raw"], "source_id": t.source_id,
                    "table": t.table, "source_name": source.name, "evaluator": source.evaluator,
                    "source_url": source.url or r["source"].split(" ")[0], "source": r["source"],
                    "caveats": " ".join(dict.fromkeys(flags[(model, suite)])),
                }
        step_caveats = [c.caveat for c in CAVEATS if c.transition == t.transition]
        transitions.append({
            "transition": t.transition, "lab": t.lab, "role": t.role, "before": t.before, "after": t.after,
            "source_id": t.source_id, "table": t.table, "released": t.released, "phase": phase(t.released),
            "evaluator": source.evaluator, "reported": _reported(shared, t),
            "caveats": " ".join(dict.fromkeys(step_caveats)), "note": t.note,
        })
    caveats = [{k: getattr(c, k) for k in CAVEAT_COLUMNS} for c in CAVEATS]
    return list(rows.values()), transitions, caveats


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m harness.data.curate SCORES_FOLDER  (the folder holding "
                         + " and ".join(SHARED_FILES) + ")")
    scores, transitions, caveats = curate(Path(argv[0]))
    _write(SCORES_CSV, SCORE_COLUMNS, scores)
    _write(TRANSITIONS_CSV, TRANSITION_COLUMNS, transitions)
    _write(CAVEATS_CSV, CAVEAT_COLUMNS, caveats)
    print(f"wrote {len(scores)} score rows to {SCORES_CSV}, {len(transitions)} transitions to {TRANSITIONS_CSV} "
          f"and {len(caveats)} caveats to {CAVEATS_CSV}")


if __name__ == "__main__":
    main(sys.argv[1:])
