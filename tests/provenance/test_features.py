"""Style features read what they say they read; names never reach the n-grams."""

from __future__ import annotations

import numpy as np

from harness.provenance.features import (
    STYLE_FEATURES,
    code_only,
    mask_names,
    split_code,
    strip_markdown,
    style_matrix,
)

REPLY = '''Here is a solution that handles the edge case of an empty list.

## Code

```python
def average(values: list[float]) -> float:
    """Return the mean.

    Args:
        values: the numbers.
    """
    # guard against empty input
    if not values:
        raise ValueError("empty")
    return sum(values) / len(values)  # plain mean
```

**Key changes:**
- Note that an empty list raises.

Let me know if you'd like tests!'''


def _features(text: str) -> dict[str, float]:
    return dict(zip(STYLE_FEATURES, style_matrix([text])[0], strict=True))


def test_features_of_a_known_reply() -> None:
    f = _features(REPLY)
    assert f["code_docstring"] == 1 and f["doc_google"] == 1 and f["doc_rest"] == 0
    assert f["code_comment_lines"] > 0 and f["code_inline_comments"] > 0
    assert f["code_type_hints"] == 1 and f["code_raise"] > 0 and f["code_guard"] > 0
    assert f["opener_here"] == 1 and f["closer_offer"] == 1 and f["opener_sure"] == 0
    assert f["md_headers"] > 0 and f["md_bullets"] > 0 and f["md_bold"] > 0 and f["summary_section"] == 1
    assert f["edge_case_phrases"] > 0 and f["fence_lang_tag"] == 1


def test_bare_reply_has_no_code_features() -> None:
    f = _features("Paris is the capital of France, as it has been for centuries.")
    assert f["code_share"] == 0 and f["code_comment_lines"] == 0 and f["code_docstring"] == 0
    assert np.isfinite(list(f.values())).all()


def test_names_are_masked_in_english_and_chinese() -> None:
    text = "I am Claude, made by Anthropic. 我是通义千问。GPT-4o and Qwen2.5 differ."
    masked = mask_names(text)
    for name in ("Claude", "Anthropic", "通义千问", "GPT-4o", "Qwen2.5"):
        assert name not in masked
    assert masked.count("<name>") == 5


def test_markdown_stripped_keeps_words_and_drops_the_skeleton() -> None:
    stripped = strip_markdown(REPLY)
    assert "##" not in stripped and "**" not in stripped and "```" not in stripped and "\n- " not in stripped
    assert "Key changes" in stripped and "def average" in stripped


def test_code_split() -> None:
    prose, code, langs = split_code(REPLY)
    assert langs == ["python"] and "def average" in code and "def average" not in prose
    assert code_only("x = 1\ny = 2\nreturn x") == "x = 1\ny = 2\nreturn x"
