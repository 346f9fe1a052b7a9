"""Layer 3, the triple difference against the industry trend (STATISTICS.md §1.7): is the suspect's
asymmetry A0 larger than other labs' release transitions of the same period?

Few treated units, several controls (Conley & Taber 2011): the controls' dispersion, which contains
lab-to-lab heterogeneity as well as sampling error, is the null distribution. A naive z-test using only
sampling SEs ignores that heterogeneity and over-rejects (11-15% at a nominal 2.5% in the pilot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from harness.stats.estimate import Estimate, finite_or_none

#: Below this many controls the t-test is not recommended (§0 table); the rank test's floor is 1/(C + 1).
MIN_CONTROLS_T = 8


@dataclass(frozen=True)
class TripleDifference:
    """The excess asymmetry E = A0 - mean(A_c) with the prediction-interval t-test and the placebo rank
    test (both one-sided: is the suspect's asymmetry above the controls'?)."""

    excess: Estimate  # A0 - Ā_c ± t_df·sqrt(v0 + s_c²/C), df by Welch-Satterthwaite (v0 known)
    suspect: float
    control_mean: float
    control_sd: float
    t_stat: float
    df: int
    t_p_value: float
    rank_p_value: float
    n_controls: int
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "excess": finite_or_none(self.excess.estimate), "excess_se": finite_or_none(self.excess.se),
            "ci": [finite_or_none(c) for c in self.excess.ci],
            "t_p_value": finite_or_none(self.t_p_value), "rank_p_value": finite_or_none(self.rank_p_value),
            "suspect_asymmetry": finite_or_none(self.suspect), "control_mean": finite_or_none(self.control_mean),
            "control_sd": finite_or_none(self.control_sd), "t_stat": finite_or_none(self.t_stat),
            "df": self.df, "n_controls": self.n_controls, "method": self.excess.method, "note": self.note,
        }


def placebo_rank_p(a0: float, controls: np.ndarray) -> float:
    """Exact placebo rank p = (1 + #{A_c ≥ A0})/(C + 1); its floor is 1/(C + 1)."""
    c = np.asarray(controls, float)
    return float((1 + np.sum(c >= a0)) / (c.size + 1))


def triple_difference(a0: float, controls: np.ndarray, *, v0: float | None = None,
                      v_controls: np.ndarray | None = None, level: float = 0.95) -> TripleDifference:
    """Prediction-interval t-test t = (A0 - Ā_c)/(s_c·sqrt(1 + 1/C)), df = C - 1, and the placebo rank test.

    When the suspect's sampling variance v0 differs from the controls' mean v̄_c by more than a factor of
    2, s_c² is replaced by s_c² + (v0 - v̄_c) (never below v0, the suspect's own sampling variance).
    """
    c = np.asarray(controls, float)
    n = c.size
    notes = []
    if n < 2:
        nan = math.nan
        est = Estimate(nan, nan, (nan, nan), nan, "triple difference", "needs at least 2 controls")
        return TripleDifference(est, a0, float(c.mean()) if n else nan, nan, nan, 0, nan,
                                placebo_rank_p(a0, c) if n else nan, n, "needs at least 2 control transitions")
    mean, s2 = float(c.mean()), float(c.var(ddof=1))
    if v0 is not None and v_controls is not None:
        vbar = float(np.mean(v_controls))
        if vbar > 0 and not 0.5 <= v0 / vbar <= 2:
            s2 = max(s2 + v0 - vbar, v0)
            notes.append("suspect's sampling variance differs from the controls': s_c² adjusted by v0 - v̄_c")
    s = math.sqrt(s2)
    if s > 0:
        t = (a0 - mean) / (s * math.sqrt(1 + 1 / n))
    else:  # controls without any dispersion: no excess is t = 0 (p = 0.5), never a sign-of-zero infinity
        t = 0.0 if a0 == mean else math.copysign(math.inf, a0 - mean)
    df = n - 1
    t_p = float(stats.t.sf(t, df))
    excess = a0 - mean
    # §1.7 prints t_{C-1} for the excess interval, but only s_c²/C is estimated with C - 1 df; v0 is the
    # suspect's known sampling variance. Welch-Satterthwaite df keep the interval at its level (with
    # t_{C-1} the calibration measured 98.4% / 97.2% / 96.2% coverage at C = 8 / 12 / 19).
    var_excess = (v0 or 0.0) + s2 / n
    df_excess = var_excess**2 / ((s2 / n) ** 2 / df) if s2 > 0 else math.inf
    half = float(stats.t.ppf(0.5 + level / 2, df_excess)) * math.sqrt(var_excess)
    if v0 is None:
        notes.append("suspect's sampling variance not given: the excess interval omits it")
    if n < MIN_CONTROLS_T:
        notes.append(f"only {n} controls: the t-test is unreliable below {MIN_CONTROLS_T}; "
                     f"the rank test cannot go below p = {1 / (n + 1):.3g}")
    est = Estimate(excess, math.sqrt(var_excess), (excess - half, excess + half),
                   float(2 * stats.t.sf(abs(t), df)), "triple difference (prediction-interval t, Conley-Taber)",
                   "; ".join(notes), level)
    return TripleDifference(est, float(a0), mean, s, float(t), df, t_p, placebo_rank_p(a0, c), n, "; ".join(notes))
