"""`compare`: did one release's gains over another concentrate in the targeted suites?

The package, in the order data flows through it:

    inputs     reading inputs: run directories (journals verified against their manifests), item tables,
               published-score tables, plans; `resolve_compare` is what the CLI and the demo call
    pairing    the error rule, per-item aggregation, pairing the releases on (suite, item_id)
    guards     the checks that refuse an input or name a warning (shared items, unequal samples, few
               clusters, small suites, journal integrity, scores given as fractions)
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

from harness.compare.inputs import load_scores, resolve_compare
from harness.compare.items import compare
from harness.compare.pairing import Pair, Pairing, aggregate_items, apply_error_rule, error_rates, pair_items
from harness.compare.schema import SCHEMA, validate_compare
from harness.compare.scores import compare_scores
from harness.compare.suites import SuiteStats, latent_asymmetry, suite_stats
from harness.compare.types import CompareDoc

__all__ = ["SCHEMA", "CompareDoc", "Pair", "Pairing", "SuiteStats", "aggregate_items", "apply_error_rule", "compare",
           "compare_scores", "error_rates", "latent_asymmetry", "load_scores", "pair_items", "resolve_compare",
           "suite_stats", "validate_compare"]
