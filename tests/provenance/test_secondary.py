"""Secondary rows: AUC, self-identification, teacher phrases and prefix agreement on known inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from harness.provenance.secondary import (
    _weighted_auc,
    claims_identity,
    identity_names,
    phrase_counts,
    phrase_markers,
    prefix_agreement,
    self_identification,
)
from harness.provenance.texts import validate_texts


def test_weighted_auc_matches_sklearn_with_ties_and_weights() -> None:
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=200), 1)  # many ties
    pos = rng.random(200) < 0.4
    w = np.ones((1, 200))
    assert _weighted_auc(scores, pos, w)[0] == pytest.approx(roc_auc_score(pos, scores))
    counts = rng.integers(0, 3, 200)
    expanded = np.repeat(np.arange(200), counts)
    got = _weighted_auc(scores, pos, counts[None, :].astype(float))[0]
    assert got == pytest.approx(roc_auc_score(pos[expanded], scores[expanded]))


@pytest.mark.parametrize(("text", "claims"), [
    ("I'm Claude, an AI assistant made by Anthropic.", True),
    ("I am an AI assistant called Claude.", True),
    ("I was created by Anthropic to be helpful.", True),
    ("我是Claude，由Anthropic开发的AI助手。", True),
    ("我是通义千问，由阿里云开发。", False),
    ("Unlike Claude, I am Qwen, created by Alibaba Cloud.", False),
    ("Claude is a model by Anthropic; I am not it.", False),
])
def test_self_identification_claims(text: str, claims: bool) -> None:
    assert claims_identity(text, identity_names("claude")) is claims


def test_self_identification_rates_and_pairing() -> None:
    rows = []
    for p in range(10):
        rows.append({"model": "s0", "prompt_id": f"id{p}", "domain": "identity", "sample": 0, "text": "I am Qwen."})
        text = "I'm Claude, made by Anthropic." if p < 4 else "I am Qwen."
        rows.append({"model": "s1", "prompt_id": f"id{p}", "domain": "identity", "sample": 0, "text": text})
    table = validate_texts(pd.DataFrame(rows), source="t")
    out = self_identification(table, "claude", ["s0", "s1"], "s0", "s1")
    assert out["by_model"]["s1"]["claims"] == 4 and out["by_model"]["s0"]["claims"] == 0
    lo, hi = out["by_model"]["s1"]["ci"]
    assert lo < 0.4 < hi
    assert out["paired"]["gains"] == 4 and out["paired"]["losses"] == 0 and out["paired"]["p_value"] < 0.1


def test_phrase_markers_find_the_planted_phrase() -> None:
    rng = np.random.default_rng(1)
    words = "the a value list of to and result is".split()
    texts, teacher = [], []
    for i in range(200):
        body = " ".join(rng.choice(words, 12))
        is_t = i % 2 == 0
        texts.append(("I aim to help. " if is_t else "") + body)
        teacher.append(is_t)
    top = phrase_markers(texts, teacher, k=5)
    planted = "i aim to help ."  # "help" ties with "aim": any n-gram of the planted phrase is right, but not
    assert top[0]["ngram"] in planted and top[0]["ngram"] != "to"  # "to", which the other texts use too
    assert all(row["ngram"] in planted for row in top[:3])
    hits, tokens = phrase_counts(["I aim to help, I aim to.", "nothing here"], ["aim to"])
    assert hits.tolist() == [2, 0] and tokens[0] == 9


def test_prefix_agreement_counts_discordant_prompts() -> None:
    rows = []
    for p in range(30):
        t = f"The answer to question {p} is below and here it is"
        rows += [{"model": "T", "prompt_id": f"q{p}", "domain": "math", "sample": 0, "text": t, "split": "test"},
                 {"model": "s0", "prompt_id": f"q{p}", "domain": "math", "sample": 0, "text": "Something else",
                  "split": "test"},
                 {"model": "s1", "prompt_id": f"q{p}", "domain": "math", "sample": 0,
                  "text": t if p < 12 else "Other", "split": "test"}]
    out = prefix_agreement(validate_texts(pd.DataFrame(rows), source="t"), "T", "s0", "s1")
    assert out["gains"] == 12 and out["losses"] == 0 and out["rate_after"] == pytest.approx(0.4)
    assert out["p_value"] < 0.001 and "first sample" in out["note"]
