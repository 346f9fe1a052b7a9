"""Synthetic texts with known authorship, for tests and the text-level calibration benchmark.

Each model writes from a shared background vocabulary plus its own signature words, opener and code
habits (comment density). A release "moves toward the teacher" by borrowing the teacher's habits in a
share `lam` of its sentences and code lines, optionally only in targeted (coding) prompts, so the true
answer of every statistic is known.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pandas as pd

BACKGROUND = ("the a of to and in is it that for on with as this by be are from or an at which can will value "
              "list result number function data input output case step first then each we use return check "
              "loop item count total answer because so if when while order key error problem simple way").split()
_SIGNATURE_POOL = ("accordingly basically certainly clearly crucially essentially frankly generally honestly "
                   "indeed importantly notably naturally obviously precisely really simply specifically surely "
                   "thus truly ultimately undoubtedly usually absolutely actually alternatively arguably broadly "
                   "conversely definitely equally especially evidently finally fortunately hence however ideally "
                   "likewise meanwhile moreover nevertheless nonetheless overall particularly possibly presumably "
                   "primarily rather relatively respectively roughly similarly subsequently therefore typically").split()


@dataclass(frozen=True)
class Style:
    """One model's habits; `toward` and `lam` make it borrow another style's habits (the teacher's)."""

    index: int
    comment_rate: float = 0.2
    toward: Style | None = None
    lam: float = 0.0
    targeted_only: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def words(self) -> list[str]:
        return _SIGNATURE_POOL[(self.index * 5) % len(_SIGNATURE_POOL):][:5] or _SIGNATURE_POOL[:5]

    @property
    def opener(self) -> str:
        return ["Here is", "Sure,", "Let us see.", "Okay:", "Answer:", "Well,", "So,", "Right:", "Good question.",
                "To start,", "In short,", "Alright,"][self.index % 12]


def _sentence(rng: random.Random, style: Style) -> str:
    words = [rng.choice(BACKGROUND) for _ in range(rng.randint(7, 11))]
    for _ in range(2):
        words.insert(rng.randrange(len(words)), rng.choice(style.words))
    return " ".join(words).capitalize() + "."


def _text(rng: random.Random, style: Style, domain: str, lam: float) -> str:
    def pick() -> Style:
        return style.toward if style.toward is not None and rng.random() < lam else style

    first = pick()
    parts = [first.opener + " " + _sentence(rng, pick())]
    parts += [_sentence(rng, pick()) for _ in range(rng.randint(2, 4))]
    if domain == "coding":
        lines = ["def solve(values):"]
        for k in range(rng.randint(3, 6)):
            s = pick()
            if rng.random() < s.comment_rate:
                lines.append(f"    # {rng.choice(s.words)} {rng.choice(BACKGROUND)}")
            lines.append(f"    x{k} = values[{k}] + {rng.randint(1, 9)}")
        lines.append("    return x0")
        parts.append("```python\n" + "\n".join(lines) + "\n```")
    return "\n\n".join(parts)


def synthetic_table(styles: dict[str, Style], *, prompts: int = 120, samples: int = 2, seed: int = 0) -> pd.DataFrame:
    """Texts of every model on the same prompts (half coding, half math), `samples` per prompt."""
    rng = random.Random(seed)
    rows = []
    for p in range(prompts):
        domain = "coding" if p % 2 == 0 else "math"
        for label, style in styles.items():
            lam = style.lam if (domain == "coding" or not style.targeted_only) else 0.0
            for j in range(samples):
                rows.append({"model": label, "prompt_id": f"p{p:04d}", "domain": domain, "sample": j,
                             "text": _text(rng, style, domain, lam)})
    return pd.DataFrame(rows)


def family(teacher_lam: float = 0.0, *, controls: int = 8, targeted_only: bool = True,
           control_drift: float = 0.0) -> dict[str, Style]:
    """Teacher, two other candidates, two references, the suspect's S0 → S1 and `controls` control pairs.
    S1 borrows the teacher's habits in a share `teacher_lam` of sentences; every after-release (S1 and the
    controls' new releases) also borrows `control_drift` (the industry's common drift)."""
    teacher = Style(0, comment_rate=0.8)
    styles = {"teacher": teacher, "cand-a": Style(1, 0.4), "cand-b": Style(2, 0.1), "ref-a": Style(3, 0.3),
              "ref-b": Style(4, 0.05), "s0": Style(5, 0.2)}
    styles["s1"] = Style(5, 0.2, toward=teacher, lam=teacher_lam + control_drift, targeted_only=targeted_only)
    for c in range(controls):
        styles[f"c{c}-old"] = Style(6 + c, 0.2)
        styles[f"c{c}-new"] = Style(6 + c, 0.2, toward=teacher, lam=control_drift)
    return styles
