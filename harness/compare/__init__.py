"""`compare`: did one release's gains over another concentrate in the targeted suites?

The package, in the order data flows through it:

    inputs     reading inputs: run directories (journals verified against their manifests), item tables,
               published-score tables, plans; `resolve_compare` is what the CLI and the demo call
    pairing    the error rule, per-item aggregation, pairing the releases on (suite, item_id)
    guards     the checks that refuse an input or name a warning (shared items, unequal samples, few
               clusters, small suites, journal integrity, scores given as fractions)
    flags      review flags of code records: counts per suite and release, and the flagged_code rule
    suites     per-suite statistics (accuracies, gains and losses, latent gain with item-level variance)
    layers     the layers of STATISTICS.md §1 (primary asymmetry and verdict, L2, flatness, L3, power)
    document   the one document builder both modes use, and the plan's settings
    items      `compare`: item mode          scores   `compare_scores`: published scores (weaker)
    schema     the JSON contract and its validator (`validate_compare`)
    types      the document as TypedDicts, for its readers
    wording    the one writer of sentences (the citable summary, the caveat, the headline)
    fmt        the one number formatter (p-values, intervals, percents, logits)

Pure data in, a dict out (no printing): the CLI in harness/cli/compare.py prints and writes files.
"""

from importlib import import_module
from typing import Any

#: The public names and the submodule each lives in, imported on first use: `from harness.compare import
#: fmt` or the CLI's option parsing stays cheap (no pandas or scipy until a comparison runs).
_HOMES = {"load_scores": "inputs", "resolve_compare": "inputs", "compare": "items", "Pair": "pairing",
          "Pairing": "pairing", "aggregate_items": "pairing", "apply_error_rule": "pairing", "error_rates": "pairing",
          "pair_items": "pairing", "SCHEMA": "schema", "validate_compare": "schema", "compare_scores": "scores",
          "SuiteStats": "suites", "latent_asymmetry": "suites", "suite_stats": "suites", "CompareDoc": "types"}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"harness.compare.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'harness.compare' has no attribute {name!r}")
