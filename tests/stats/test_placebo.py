"""A small placebo (benchmarks/placebo): random labellings of real suites must rarely fire the verdict, and
the audit's EvalPerf case is reproduced. Reads ../shared/data/outputs (skips when it is absent); these
tests can fail: they run the production decision on real per-item outputs."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _placebo(shared_data: Path):  # the benchmark's module, reading the reference data the fixture found
    import os

    os.environ.setdefault("ASYMMETRY_SHARED_DATA", str(shared_data))
    sys.path.insert(0, str(ROOT / "benchmarks" / "placebo"))
    spec = importlib.util.spec_from_file_location("placebo_run", ROOT / "benchmarks" / "placebo" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["placebo_run"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _within_target(tally) -> bool:
    share = tally.verdict / tally.labellings
    return share <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / tally.labellings)


def test_random_labellings_of_livecodebench_suites_rarely_fire_the_verdict(shared_data):
    placebo = _placebo(shared_data)
    transitions = placebo.datasets.livecodebench_generation(placebo.datasets.LCB_GENERATION_PAIRS[:3])
    tally = placebo.run_natural(transitions, "LiveCodeBench generation")
    assert tally.labellings == 3 * 20  # 6 suites of 28-85 problems (Codeforces is below the minimum): 3 + 3
    assert _within_target(tally), tally.verdicts
    # the first design (samples as units, no spread of item gains) fired far more often on the same labellings
    assert tally.first_design > tally.verdict


def test_random_labellings_of_published_multipl_e_scores_rarely_fire_the_verdict(shared_data):
    placebo = _placebo(shared_data)
    tally = placebo.run_multipl_e()
    assert tally.labellings == 4 * 70  # 8 languages, every 4 + 4 labelling, four transitions
    assert _within_target(tally), tally.verdicts
    assert tally.first_design > tally.verdict


@pytest.mark.slow
def test_the_audits_evalperf_placebo_is_reproduced(shared_data):
    """Llama-3-8B -> Llama-3.1-8B, HumanEval-derived 'targeted' vs MBPP-derived 'untargeted': the first design
    gave p = 1e-10; with items as the unit p ≈ 0.10 (audit); the primary gives no verdict."""
    audit = _placebo(shared_data).audit_evalperf()
    assert audit["first_design_estimate"] == pytest.approx(0.573, abs=0.01)
    assert audit["first_design_p"] < 1e-9
    assert 0.08 < audit["item_level_p"] < 0.12
    assert 3.5 < audit["se_ratio"] < 4.5  # the audit: item-level SEs 4.0x larger with 100 samples per task
    assert audit["primary_p"] > 0.05 and audit["primary_verdict"] == "no_difference_shown"
    assert all(1.0 < s < 3.0 for s in audit["sigma_hat"])  # real items differ in their gains (σ ≈ 1.3-1.8)
