"""The verdict: one machine-readable word for what the citable sentence says (STATISTICS.md §1.4b).

    targeted_larger      the primary asymmetry's interval lies above 0, over the whole σ grid when σ is
                         not identified (one sample per item), after dropping any one suite, and after
                         dropping the sparse suites (few items gained or lost)
    untargeted_larger    the same, below 0
    no_difference_shown  every interval includes 0 (which does not show that there is no difference)
    fragile              some analyses exclude 0 and others do not: the finding depends on the assumed
                         spread of item gains, on one suite, on a sparse suite or on a suite whose fit did
                         not converge; or the intervals exclude 0 but cannot be trusted to (a group of one
                         suite, which leave-one-out cannot check; item clusters too few for a cluster
                         variance, so the item-level variance is too narrow)
    not_testable         no primary asymmetry: a group has no suite that passed the guards

A verdict in one direction is given only when every check agrees. This is an intersection-union rule:
each check is a level-α test, and requiring all of them never raises the rate at which a null fires the
verdict above α (it lowers it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

VERDICTS = ("targeted_larger", "untargeted_larger", "no_difference_shown", "fragile", "not_testable")
#: Direction of one analysis: its interval above 0, below 0, or containing 0.
TARGETED, UNTARGETED, NONE = "targeted", "untargeted", "none"


def direction(ci: Sequence[float | None]) -> str:
    """"targeted" when the interval lies above 0, "untargeted" below 0, else "none" (also for no interval)."""
    lo, hi = (ci[0], ci[1]) if ci and len(ci) == 2 else (None, None)
    if lo is not None and math.isfinite(lo) and lo > 0:
        return TARGETED
    if hi is not None and math.isfinite(hi) and hi < 0:
        return UNTARGETED
    return NONE


@dataclass(frozen=True)
class Decision:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    #: the verdict every interval points to before the checks that made it fragile (else "")
    intended: str = ""

    def fires(self) -> bool:
        """True when the sentence states an asymmetry (either direction)."""
        return self.verdict in ("targeted_larger", "untargeted_larger")


def decide(full: Sequence[str], leave_one_out: Mapping[str, Sequence[str]] | None = None,
           without_sparse: Sequence[str] | None = None, *, testable: bool = True,
           sparse: Sequence[str] = (), not_testable_reason: str = "",
           without_nonconverged: Sequence[str] | None = None, nonconverged: Sequence[str] = (),
           caveats: Sequence[str] = ()) -> Decision:
    """The verdict from the directions of the primary analysis.

    `full`: one direction per σ of the grid (or a single one when σ is estimated). `leave_one_out`:
    suite name → its directions with that suite dropped (suites whose group would be left empty are not
    dropped). `without_sparse`: the directions with every sparse suite dropped (None when there is none
    or when dropping them empties a group; `sparse` names them either way). `without_nonconverged` and
    `nonconverged`: the same for suites whose item-gain fit did not converge. `caveats`: reasons why an
    interval that excludes 0 cannot carry a verdict at all (each makes a firing verdict fragile).
    """
    if not testable or not full:
        return Decision("not_testable", [not_testable_reason or "no primary asymmetry could be computed"])
    kinds = set(full)
    if kinds == {NONE}:
        return Decision("no_difference_shown", ["the primary interval includes 0"
                                                + (" at every σ of the grid" if len(full) > 1 else "")])
    if len(kinds) > 1:
        # and every caveat too: a fragile report names all that stands in the way (starting levels, one suite...)
        return Decision("fragile", ["the direction depends on the assumed spread of item gains (σ, and from "
                                    "published scores of item difficulty): the interval excludes 0 under some "
                                    "assumptions of the pre-registered grid and not under others", *(caveats or [])])
    (want,) = kinds
    verdict = "targeted_larger" if want == TARGETED else "untargeted_larger"
    reasons = []
    for suite, dirs in (leave_one_out or {}).items():
        if set(dirs) != {want}:
            reasons.append(f"it does not survive leaving out suite {suite}")
    if sparse:
        if without_sparse is None:
            reasons.append(f"it rests on sparse suite(s) {', '.join(sparse)} (fewer than 5 items gained or lost), "
                           "without which a group has no suite")
        elif set(without_sparse) != {want}:
            reasons.append(f"it does not survive leaving out the sparse suite(s) {', '.join(sparse)} (fewer than "
                           "5 items gained or lost)")
    if nonconverged:
        names = ", ".join(nonconverged)
        if without_nonconverged is None:
            reasons.append(f"it rests on suite(s) {names} whose item-gain fit did not converge, without which a "
                           "group has no suite")
        elif set(without_nonconverged) != {want}:
            reasons.append(f"it does not survive leaving out suite(s) {names}, whose item-gain fit did not converge")
    reasons.extend(caveats)
    if reasons:
        return Decision("fragile", reasons, verdict)
    return Decision(verdict, [])
