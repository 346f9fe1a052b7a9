"""Real per-item outputs of released models, read from the reference data's outputs/ folder (never copied), as
paired item arrays per suite: what the placebo labels at random (methods §4).

Each loader returns `Transition`s: one release pair on one set of suites with per-item success counts.

* LiveCodeBench code generation (2024-02-26 snapshot): 349 problems, pass@1 over 10 samples per problem
  (k = 10); suites = platform x difficulty (AtCoder, LeetCode; easy/medium/hard; Codeforces has 9 problems
  and stays below the minimum suite size).
* LiveCodeBench code execution: 479 test inputs of 92 problems, 10 samples each; the item is the problem
  (its inputs pooled: k = 10 x inputs), suites = three terciles of the problems' publication dates (a
  month holds 10-16 problems, below the minimum suite size).
* EvalPerf: 118 tasks (HumanEval- and MBPP-derived), pass@1 over 100 samples (k = 100).
* EvalPlus (Qwen2.5-Coder 1.5B -> 7B base): greedy pass/fail on HumanEval+ (164) and MBPP+ (399), k = 1.
* MultiPL-E (published per-language pass@1 of four chat models): score-level only, 8 languages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def data_root() -> Path:
    """The reference data folder: ASYMMETRY_SHARED_DATA, else the data folder kept beside the checkout."""
    return Path(os.environ.get("ASYMMETRY_SHARED_DATA") or ROOT.parent / "shared" / "data")


@dataclass(frozen=True)
class Transition:
    """Paired per-item counts of one release pair; `suite` holds suite names per item."""

    dataset: str
    before: str
    after: str
    suite: np.ndarray
    item: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    k0: np.ndarray
    k1: np.ndarray

    @property
    def suites(self) -> list[str]:
        return sorted(set(self.suite.tolist()))


def _read(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


LCB_GENERATION_PAIRS = (("GPT-4-0613", "GPT-4-Turbo-1106"), ("GPT-3.5-Turbo-0301", "GPT-4-0613"),
                        ("Claude-Instant-1", "Claude-2"), ("DSCoder-6.7b-Ins", "DSCoder-33b-Ins"),
                        ("Cllama-7b-Ins", "Cllama-34b-Ins"), ("MagiCoderS-CL-7B", "MagiCoderS-DS-6.7B"))


def livecodebench_generation(pairs: tuple[tuple[str, str], ...] = LCB_GENERATION_PAIRS) -> list[Transition]:
    data = _read(data_root() / "outputs" / "livecodebench_site" / "2024_02_26.json")
    rows = data["performances"]
    by_model: dict[str, dict[str, tuple[str, float]]] = {}
    for r in rows:
        suite = f"{r['platform']}-{r['difficulty']}"
        by_model.setdefault(r["model"], {})[str(r["question_id"])] = (suite, float(r["pass@1"]) / 10)
    out = []
    for b, a in pairs:
        if b not in by_model or a not in by_model:
            continue
        ids = sorted(set(by_model[b]) & set(by_model[a]))
        suite = np.array([by_model[b][i][0] for i in ids])
        x0 = np.array([round(by_model[b][i][1]) for i in ids], float)
        x1 = np.array([round(by_model[a][i][1]) for i in ids], float)
        k = np.full(len(ids), 10.0)
        out.append(Transition("LiveCodeBench generation", b, a, suite, np.array(ids), x0, x1, k, k))
    return out


LCB_EXECUTION_PAIRS = (("GPT-4-0613", "GPT-4-Turbo-1106"), ("GPT-4-Turbo-1106", "GPT-4-Turbo-2024-04-09"),
                       ("GPT-4-Turbo-2024-04-09", "GPT-4O-2024-05-13"), ("Claude-3-Sonnet", "Claude-3-Opus"),
                       ("Gemini-Pro", "Gemini-Pro-1.5-May"), ("LLama3-8b-Ins", "LLama3-70b-Ins"))


def livecodebench_execution(pairs: tuple[tuple[str, str], ...] = LCB_EXECUTION_PAIRS) -> list[Transition]:
    data = _read(data_root() / "outputs" / "livecodebench_site" / "performances_execution.json")
    per: dict[str, dict[str, list[float]]] = {}
    month: dict[str, str] = {}
    for r in data["performances"]:
        q = str(r["question_id"])
        per.setdefault(r["model"], {}).setdefault(q, []).append(float(r["Pass@1"]) / 10)
        month[q] = dt.datetime.fromtimestamp(r["date"] / 1000, tz=dt.UTC).strftime("%Y-%m")
    out = []
    for b, a in pairs:
        if b not in per or a not in per:
            continue
        ids = sorted(q for q in set(per[b]) & set(per[a]) if len(per[b][q]) == len(per[a][q]))
        x0 = np.array([round(sum(per[b][q])) for q in ids], float)
        x1 = np.array([round(sum(per[a][q])) for q in ids], float)
        k = np.array([10.0 * len(per[b][q]) for q in ids])
        # 92 problems over 7 months is 10-16 a month, below the minimum suite size: three equal date terciles
        order = np.argsort([month[q] + q.zfill(8) for q in ids], kind="stable")
        tercile = np.empty(len(ids), object)
        tercile[order] = [f"dates-{1 + 3 * r // len(ids)}of3" for r in range(len(ids))]
        out.append(Transition("LiveCodeBench execution", b, a, tercile.astype(str), np.array(ids), x0, x1, k, k.copy()))
    return out


EVALPERF_PAIRS = (("meta-llama--Meta-Llama-3-8B-Instruct", "meta-llama--Llama-3.1-8B-Instruct"),
                  ("deepseek-chat-v2.5", "deepseek-chat-v3"), ("Qwen--CodeQwen1.5-7B-Chat", "Qwen--Qwen2.5-7B-Instruct"))


def evalperf(pairs: tuple[tuple[str, str], ...] = EVALPERF_PAIRS) -> list[Transition]:
    folder = data_root() / "outputs" / "evalperf"
    files = {p.name.split("_")[0]: p for p in folder.glob("*_evalperf_results.brief.json")}
    out = []
    for b, a in pairs:
        eb, ea = _read(files[b])["eval"], _read(files[a])["eval"]
        ids = sorted(set(eb) & set(ea))
        suite = np.array(["HumanEval-derived" if i.startswith("HumanEval") else "MBPP-derived" for i in ids])
        x0 = np.array([round(eb[i]["pass@1"]) for i in ids], float)
        x1 = np.array([round(ea[i]["pass@1"]) for i in ids], float)
        k = np.full(len(ids), 100.0)
        out.append(Transition("EvalPerf", b.split("--")[-1], a.split("--")[-1], suite, np.array(ids), x0, x1, k, k))
    return out


def evalplus() -> list[Transition]:
    folder = data_root() / "outputs" / "qwen2.5-coder_base_evalplus"
    suites, ids, x0, x1 = [], [], [], []
    for bench, name in (("humaneval", "HumanEval+"), ("mbpp", "MBPP+")):
        small = _read(folder / "1.5b-base" / bench / "generated_eval_results.json")["eval"]
        big = _read(folder / "7b-base" / bench / "generated_eval_results.json")["eval"]
        for task in sorted(set(small) & set(big)):
            suites.append(name)
            ids.append(task)
            x0.append(float(small[task][0]["plus_status"] == "pass"))
            x1.append(float(big[task][0]["plus_status"] == "pass"))
    k = np.ones(len(ids))
    return [Transition("EvalPlus", "Qwen2.5-Coder-1.5B", "Qwen2.5-Coder-7B", np.array(suites), np.array(ids),
                       np.array(x0), np.array(x1), k, k.copy())]


MULTIPL_E_LANGUAGES = ("python", "cpp", "cs", "java", "js", "php", "sh", "ts")
#: Problems per language in MultiPL-E's HumanEval translation (161 of 164 translate to most languages).
MULTIPL_E_ITEMS = {"python": 164, "cpp": 161, "cs": 158, "java": 158, "js": 161, "php": 161, "sh": 158, "ts": 159}


def multipl_e() -> dict[str, dict[str, float]]:
    """Published pass@1 (%) per language for each of the four chat models (score level only)."""
    folder = data_root() / "outputs" / "qwencoder_multipl_e_chat"
    out: dict[str, dict[str, float]] = {}
    for model_dir in ("llama3", "llama3_70B", "qwen2", "qwen2_72B"):
        out[model_dir] = {lang: 100 * float(_read(folder / model_dir / f"results_{lang}.jsonl")["pass@1"])
                          for lang in MULTIPL_E_LANGUAGES if (folder / model_dir / f"results_{lang}.jsonl").is_file()}
    return out
