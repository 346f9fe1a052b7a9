"""The real-data validation figures of the provenance layer (the tests assert the pass bars; this prints
the numbers): MultiPL-E 4-way grouped-CV attribution and the EvalPerf shift statistic on three real
release transitions toward a stand-in teacher (Qwen2.5-72B-Instruct).

    nice -n 10 .venv/bin/python benchmarks/provenance/validate.py [--samples 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.provenance.compare import provenance_document  # noqa: E402
from harness.provenance.model import fit_model, grouped_cv_accuracy  # noqa: E402
from harness.provenance.texts import validate_texts  # noqa: E402
from tests.provenance.realdata import EVALPERF_FILES, evalperf_table, multiple_table, outputs_dir  # noqa: E402

TEACHER = "qwen2.5-72b"
TRANSITIONS = [("codeqwen1.5-7b", "qwen2.5-7b"), ("llama3-8b", "llama3.1-8b"), ("deepseek-v2.5", "deepseek-v3")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=5)
    args = ap.parse_args()
    out = outputs_dir()
    if out is None:
        sys.exit("the reference outputs folder was not found: set ASYMMETRY_SHARED_DATA to the data folder that holds outputs/")
    t0 = time.perf_counter()
    m = multiple_table(out)
    acc = grouped_cv_accuracy(m["text"], m["model"], m["prompt_id"], folds=5)
    print(f"MultiPL-E 4-way (656 texts, GroupKFold(5) by prompt, chance 0.25): full {acc['full']:.3f}, "
          f"length only {acc['length_only']:.3f}, style only {acc['style_only']:.3f}  ({time.perf_counter() - t0:.0f} s)")
    table = validate_texts(evalperf_table(out, samples=args.samples), source="evalperf")
    n_train = table.drop_duplicates("prompt_id")["split"].eq("train").sum()
    print(f"\nEvalPerf: {table['prompt_id'].nunique()} shared tasks ({n_train} train / "
          f"{table['prompt_id'].nunique() - n_train} test), {args.samples} samples, stand-in teacher {TEACHER}")
    print(f"{'transition':34s}{'shift':>8s}{'SE':>7s}{'95% CI':>18s}{'share>0':>9s}{'sign-flip p':>12s}{'acc':>7s}")
    for before, after in TRANSITIONS:
        references = [x for x in EVALPERF_FILES if x not in (TEACHER, before, after)]
        model = fit_model(table, TEACHER, [], references)
        doc = provenance_document(table, model, before=before, after=after, secondary_rows=False)
        s = doc["shift"]
        ci = f"[{s['ci'][0]:+.2f}, {s['ci'][1]:+.2f}]"
        print(f"{before + ' → ' + after:34s}{s['estimate']:+8.2f}{s['se']:7.2f}{ci:>18s}"
              f"{s['share_positive']:9.2f}{s['sign_flip_p']:12.4f}{doc['classifier']['heldout_accuracy']:7.2f}")


if __name__ == "__main__":
    main()
