"""Result objects: an estimate carries its SE, interval, p-value and the method's name, as statsmodels'
results do, so no number leaves the statistics without what a reader needs to cite it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def finite_or_none(value: Any) -> float | None:
    """A JSON-safe number: NaN and ±inf (undefined or unbounded) become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "-inf" if value == -math.inf else "inf" if value == math.inf else "n/a"
    return f"{value:.{digits}g}"


def _fmt_p(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    if p == 0:
        return "< 1e-300"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error, confidence interval (at `level`), two-sided p-value for
    the null value 0 (unless `note` says otherwise) and the method that produced them."""

    estimate: float
    se: float
    ci: tuple[float, float]
    p_value: float
    method: str
    note: str = ""
    level: float = 0.95

    def summary(self) -> str:
        """One readable line: method, estimate, SE, interval and p-value."""
        lo, hi = self.ci
        text = (f"{self.method}: {_fmt(self.estimate)} (SE {_fmt(self.se)}), "
                f"{self.level:.0%} CI [{_fmt(lo)}, {_fmt(hi)}], p = {_fmt_p(self.p_value)}")
        return f"{text}; {self.note}" if self.note else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: non-finite numbers (an unbounded exact interval, an undefined SE) become null."""
        out: dict[str, Any] = {
            "estimate": finite_or_none(self.estimate),
            "se": finite_or_none(self.se),
            "ci": [finite_or_none(self.ci[0]), finite_or_none(self.ci[1])],
            "p_value": finite_or_none(self.p_value),
            "method": self.method,
            "note": self.note,
        }
        if self.level != 0.95:
            out["level"] = self.level
        return out


@dataclass(frozen=True)
class TestResult:
    """A hypothesis test: its statistic, p-value, method and (where one exists) degrees of freedom."""

    __test__ = False  # not a pytest test class

    statistic: float
    p_value: float
    method: str
    df: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        df = f", df = {_fmt(self.df)}" if self.df is not None else ""
        return f"{self.method}: statistic {_fmt(self.statistic)}{df}, p = {_fmt_p(self.p_value)}"

    def to_dict(self) -> dict[str, Any]:
        out = {"statistic": finite_or_none(self.statistic), "p_value": finite_or_none(self.p_value),
               "method": self.method}
        if self.df is not None:
            out["df"] = finite_or_none(self.df)
        out.update(self.extra)
        return out
