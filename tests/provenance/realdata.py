"""Texts tables built from the real outputs in ../shared/data/outputs (read in place, never copied).

MultiPL-E: four chat models' raw answers (prose and fenced code) to the 164 HumanEval prompts, one greedy
sample each. EvalPerf: up to 20 correct solutions per task at temperature 1.0 from seven models (three real
release transitions); only the tasks every model solved are kept, and the first `samples` solutions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

MULTIPLE_MODELS = ("qwen2", "qwen2_72B", "llama3", "llama3_70B")
EVALPERF_FILES = {
    "codeqwen1.5-7b": "Qwen--CodeQwen1.5-7B-Chat",
    "qwen2.5-7b": "Qwen--Qwen2.5-7B-Instruct",
    "qwen2.5-72b": "Qwen--Qwen2.5-72B-Instruct",
    "deepseek-v2.5": "deepseek-chat-v2.5",
    "deepseek-v3": "deepseek-chat-v3",
    "llama3-8b": "meta-llama--Meta-Llama-3-8B-Instruct",
    "llama3.1-8b": "meta-llama--Llama-3.1-8B-Instruct",
}


def outputs_dir() -> Path | None:
    """../shared/data/outputs beside the clone (or beside the worktrees' parent), or $ASYMMETRY_SHARED_DATA."""
    root = Path(__file__).resolve().parents[2]
    for base in (os.environ.get("ASYMMETRY_SHARED_DATA"), root.parent / "shared" / "data",
                 root.parent.parent / "shared" / "data"):
        if base and (Path(base) / "outputs").is_dir():
            return Path(base) / "outputs"
    return None


def multiple_table(outputs: Path) -> pd.DataFrame:
    rows = []
    for model in MULTIPLE_MODELS:
        with open(outputs / "qwencoder_multipl_e_chat" / model / "generations_python.jsonl") as f:
            for line in f:
                r = json.loads(line)
                rows.append({"model": model, "prompt_id": r["task_id"], "domain": "coding", "sample": 0,
                             "text": r["generation"]})
    return pd.DataFrame(rows)


def evalperf_table(outputs: Path, samples: int = 5) -> pd.DataFrame:
    per = {}
    for label, stem in EVALPERF_FILES.items():
        path = next((outputs / "evalperf").glob(f"{stem}_*brief.json"))
        per[label] = json.loads(path.read_text())["eval"]
    shared = set.intersection(*({t for t, v in e.items() if v.get("profiled")} for e in per.values()))
    rows = []
    for label, ev in per.items():
        for task in sorted(shared):
            for j, sol in enumerate(ev[task]["profiled"][:samples]):
                rows.append({"model": label, "prompt_id": task, "domain": "coding", "sample": j,
                             "text": sol["solution"]})
    return pd.DataFrame(rows)
