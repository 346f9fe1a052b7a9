"""Estimators for capability asymmetry (STATISTICS.md §1), as plain functions over numpy arrays.

Every estimate is an `Estimate` (estimate, se, ci, p_value, method, note) or a `TestResult`. The inner
functions take arrays, not DataFrames, so the calibration simulation can call them thousands of times;
`harness.compare` builds the compare JSON from them.

Per suite
    latent_gain           MH latent gain δ (RBG variance; exact Clopper-Pearson-logit when G or L < 5)
    mh_sums, mh_estimates  the same, for many suites at once (np.bincount)
    mcnemar               mid-p (primary), exact, asymptotic, continuity-corrected
    wilson_ci, clopper_pearson_ci, tango_ci, newcombe_paired_ci, paired_wald, newcombe_unpaired_ci
    paired_mean           Miller's paired pp gain with clustered SE;  normalized_gain (Hake)
    pp_equivalent         latent shift → percentage points at a reference level
Layer 1:  asymmetry, group_mean, cluster_bootstrap, gain_loss_odds_ratio, gain_loss_table_test
Layer 2:  meta_regression (HKSJ / modified), random_effects_mean, tau2_pm, tau2_dl, suite_permutation_test
Layer 3:  triple_difference, placebo_rank_p
Claims:   tost, tango_tost, intersection_union, holm, benjamini_hochberg, gatekeeping
Samples:  pass_at_k, variance_components, variance_ratio
Other:    green_list_z (watermark radioactivity, §4.4)
Power (CALIBRATION): harness.stats.power;  documented-invalid procedures: harness.stats.robustness.
"""

from harness.stats.asymmetry import asymmetry, group_mean
from harness.stats.bootstrap import BootstrapResult, cluster_bootstrap
from harness.stats.equivalence import intersection_union, tango_tost, tost
from harness.stats.estimate import Estimate, TestResult
from harness.stats.latent import (
    exact_latent_ci,
    expit,
    gain_loss_odds_ratio,
    gain_loss_table_test,
    latent_gain,
    logit,
    mh_estimates,
    mh_sums,
    pp_equivalent,
)
from harness.stats.meta import meta_regression, random_effects_mean, suite_permutation_test, tau2_dl, tau2_pm
from harness.stats.multiplicity import Hypothesis, benjamini_hochberg, gatekeeping, holm
from harness.stats.paired import normalized_gain, paired_mean
from harness.stats.proportions import (
    clopper_pearson_ci,
    mcnemar,
    newcombe_paired_ci,
    newcombe_unpaired_ci,
    paired_wald,
    tango_ci,
    tango_score,
    wilson_ci,
)
from harness.stats.samples import pass_at_k, variance_components, variance_ratio
from harness.stats.triple import TripleDifference, placebo_rank_p, triple_difference
from harness.stats.watermark import green_list_z

__all__ = [
    "BootstrapResult", "Estimate", "Hypothesis", "TestResult", "TripleDifference",
    "asymmetry", "benjamini_hochberg", "clopper_pearson_ci", "cluster_bootstrap", "exact_latent_ci", "expit",
    "gain_loss_odds_ratio", "gain_loss_table_test", "gatekeeping", "green_list_z", "group_mean", "holm",
    "intersection_union", "latent_gain", "logit", "mcnemar", "meta_regression", "mh_estimates", "mh_sums",
    "newcombe_paired_ci", "newcombe_unpaired_ci", "normalized_gain", "paired_mean", "paired_wald",
    "pass_at_k", "placebo_rank_p", "pp_equivalent", "random_effects_mean", "suite_permutation_test",
    "tango_ci", "tango_score", "tango_tost", "tau2_dl", "tau2_pm", "tost", "triple_difference",
    "variance_components", "variance_ratio", "wilson_ci",
]
