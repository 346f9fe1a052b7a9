"""`provenance markers`: what the attribution model can see, per model, in plain numbers.

Descriptive only. The style means come from the same named features the model uses; the teacher's phrases
are learnt on train prompts (log-odds ratio with an informative Dirichlet prior, teacher against every other
model in the table) and counted on test prompts, so a phrase is never both chosen and measured on the same
answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.provenance.features import STYLE_FEATURES, STYLE_HELP, style_matrix
from harness.provenance.secondary import phrase_markers, phrase_matrix
from harness.provenance.texts import IDENTITY_DOMAIN


def markers_document(table: pd.DataFrame, teacher: str, *, top: int = 20) -> dict[str, Any]:
    """{models, style: {feature: {model: mean}}, phrases: [{ngram, z, rates: {model: per 1,000 tokens}}]}."""
    work = table[table["domain"] != IDENTITY_DOMAIN]
    models = [teacher, *sorted(m for m in work["model"].unique() if m != teacher)]
    shown = [n for n in STYLE_FEATURES if n in STYLE_HELP]
    values = pd.DataFrame(style_matrix(work["text"].tolist(), shown), columns=shown, index=work.index)
    means = values.groupby(work["model"]).mean()
    style = {n: {m: float(means.loc[m, n]) for m in models} for n in shown}
    train = work[work["split"] == "train"]
    test = work[work["split"] == "test"]
    found = phrase_markers(train["text"].tolist(), (train["model"] == teacher).tolist(), k=top)
    phrases = [dict(row, rates={}) for row in found]
    for m in models:
        hits, tokens = phrase_matrix(test.loc[test["model"] == m, "text"].tolist(), [r["ngram"] for r in found])
        for j, row in enumerate(phrases):
            row["rates"][m] = float(1000 * hits[:, j].sum() / max(tokens.sum(), 1)) if len(tokens) else 0.0
    return {"teacher": teacher, "models": models, "style": style, "phrases": phrases,
            "n_texts": {m: int(np.sum(work["model"] == m)) for m in models},
            "n_test_texts": {m: int(np.sum(test["model"] == m)) for m in models},
            "method": "style: mean of each named feature over all non-identity answers; phrases: top log-odds "
                      "ratio (informative Dirichlet prior, alpha0 = 1000, document frequency) of the teacher "
                      "against all other models on train prompts, rates on test prompts"}
