"""What the attribution model reads: masked text for the n-grams, and named, interpretable style features.

Why these features. Source attribution of LLM text rests mostly on word-level distributions (Sun et al. 2025,
"Idiosyncrasies in LLMs"), so word 1-3-grams and character 3-5-grams carry most of the signal; the named
features below make the signal readable and are the markers the report highlights. Comment density is the
one code feature with cross-model evidence (Tao et al. 2024, Park et al. 2025); the rest (docstring
convention, edge-case phrasing, markdown skeleton, openers and closers, hedges) are *hypothesised* markers
that the model weighs by what it learns, never hard-coded verdicts.

Self-identification words (a model or lab name: "Claude", "Anthropic", "Qwen", "通义") are masked before
any feature is computed. A model that names itself is a different piece of evidence (the identity battery,
`harness.provenance.secondary.self_identification`), and must not let the style score pass for it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import numpy as np

#: Model and developer names, masked as "<name>" before any feature sees the text.
_NAMES = re.compile(
    r"\b(?:claude|anthropic|openai|chatgpt|gpt-?\d[\w.-]*|gpt|gemini|google|deepmind|bard|llama|meta|qwen\w*|"
    r"alibaba|tongyi|deepseek\w*|mistral\w*|grok|xai|kimi|moonshot|glm\w*|zhipu|chatglm|doubao|bytedance|"
    r"ernie|baidu|yi|phi-?\d*|microsoft)\b|通义千问|通义|千问|阿里巴巴|阿里云|深度求索|文心一言|豆包|智谱|月之暗面",
    re.IGNORECASE,
)
_FENCE = re.compile(r"```([^\n`]*)\n(.*?)(?:```|\Z)", re.DOTALL)


def mask_names(text: str) -> str:
    """Replace model and developer names with "<name>" (see the module docstring for why)."""
    return _NAMES.sub("<name>", text)


def split_code(text: str) -> tuple[str, str, list[str]]:
    """(prose, code, fence language tags). A reply without fences whose lines look like Python is code."""
    blocks = _FENCE.findall(text)
    if blocks:
        prose = _FENCE.sub("\n", text)
        return prose, "\n".join(b for _, b in blocks), [lang.strip() for lang, _ in blocks]
    lines = text.splitlines()
    codeish = sum(bool(re.match(r"\s*(def |class |import |from |return\b|if |for |while |#|@|\w+(\[[^\]]*\])?\s*[-+*/]?= )",
                                ln)) or
                  ln.startswith(("    ", "\t")) for ln in lines)
    if lines and codeish >= 0.5 * len(lines):
        return "", text, []
    return text, "", []


def strip_markdown(text: str) -> str:
    """The text without its markdown skeleton (headers, bullets, numbering, bold, italics, fences, inline
    code marks, tables): the re-score that shows a conclusion does not rest on formatting alone."""
    out = re.sub(r"```[^\n`]*\n", "\n", text)
    out = out.replace("```", "")
    out = re.sub(r"(?m)^\s{0,3}#{1,6}\s+", "", out)
    out = re.sub(r"(?m)^\s*(?:[-*+•]|\d+[.)])\s+", "", out)
    out = re.sub(r"(?m)^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$", "", out)
    out = out.replace("|", " ")
    out = re.sub(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`", "", out)
    return re.sub(r"[ \t]+", " ", out).strip()


def code_only(text: str) -> str:
    """Only the code of a reply (fenced blocks, or the whole reply when it is bare code)."""
    return split_code(text)[1]


def _count(pattern: str, text: str, flags: int = re.IGNORECASE | re.MULTILINE) -> int:
    return len(re.findall(pattern, text, flags))


_EDGE = r"\bedge cases?\b|\bcorner cases?\b|\bempty (?:list|string|input|array)\b|\bhandles? the case\b|" \
        r"\bnote that\b|\bif the input is\b|\bnon-?negative\b|\bout of range\b|\bnone\b|\boverflow\b"
_HEDGE = r"\bmight\b|\bmay\b|\bcould\b|\bperhaps\b|\blikely\b|\bprobably\b|\bi think\b|\bgenerally\b|" \
         r"\btypically\b|\busually\b|\bit seems\b|\bappears to\b"
_CAUSE = r"\bthe (?:issue|problem|error|bug|cause) (?:is|was|here)\b|\bthis (?:happens|occurs) because\b|" \
         r"\bthe root cause\b|\bfails because\b"
_FIX = r"\bto fix (?:this|it)\b|\bthe fix\b|\bcorrected (?:code|version)\b|\bfixed (?:code|version)\b"
_SUMMARY = r"^\s*(?:#+\s*|\*\*)?(?:key (?:changes|improvements|points)|explanation|summary|how it works)\b"
_OPENERS = {
    "opener_here": r"^\s*here(?:'s| is| are)\b",
    "opener_sure": r"^\s*(?:sure|certainly|of course|absolutely|great question)\b",
    "opener_i": r"^\s*i(?:'ll|'d| will| would| can|'m)\b",
    "opener_to": r"^\s*to\b",
    "opener_code": r"^\s*```",
    "opener_header": r"^\s*#",
}
_CLOSERS = {
    "closer_question": r"\?\s*$",
    "closer_offer": r"(?:let me know|feel free|would you like|happy to help|hope (?:this|that) helps)[^\n]*$",
    "closer_code": r"```\s*$",
}


def _python_code_stats(code: str) -> dict[str, float]:
    lines = [ln for ln in code.splitlines() if ln.strip()]
    n = max(len(lines), 1)
    comment_lines = sum(ln.lstrip().startswith("#") for ln in lines)
    inline = sum(bool(re.search(r"\S.*\s#\s", ln)) and not ln.lstrip().startswith("#") for ln in lines)
    defs = _count(r"^\s*def \w+\(", code)
    hinted = _count(r"^\s*def \w+\([^)]*:\s*\w[^)]*\)|->\s*[\w\[\]., ]+:", code)
    doc = _count(r'^\s*(?:"""|\'\'\')', code)
    return {
        "code_comment_lines": comment_lines / n,
        "code_inline_comments": inline / n,
        "code_docstring": float(doc > 0),
        "doc_google": float(bool(re.search(r"^\s*(?:Args|Returns|Raises):\s*$", code, re.M))),
        "doc_rest": float(bool(re.search(r":param \w+:|:returns?:", code))),
        "doc_numpy": float(bool(re.search(r"^\s*(?:Parameters|Returns)\s*\n\s*-{4,}", code, re.M))),
        "doc_doctest": float(">>>" in code),
        "code_type_hints": min(hinted / max(defs, 1), 1.0),
        "code_main_block": float("__name__" in code and "__main__" in code),
        "code_raise": _count(r"\braise \w+", code) / n,
        "code_assert": _count(r"^\s*assert\b", code) / n,
        "code_guard": _count(r"^\s*if not \w+|^\s*if \w+ is None|^\s*if len\(\w+\) [<=]=? ?[01]\b", code) / n,
        "code_print": _count(r"\bprint\(", code) / n,
        "code_snake_names": _count(r"\b[a-z]+_[a-z_]+\s*=", code) / n,
        "code_blank_ratio": (code.count("\n\n") + 1) / n,
        "code_avg_line": float(np.mean([len(ln) for ln in lines])) / 80 if lines else 0.0,
    }


def _style(text: str) -> dict[str, float]:
    text = mask_names(text)
    prose, code, langs = split_code(text)
    words = re.findall(r"\w+", prose)
    nw = max(len(words), 1)
    plines = [ln for ln in prose.splitlines() if ln.strip()]
    npl = max(len(plines), 1)
    out = {
        "log_chars": math.log1p(len(text)),
        "log_prose_words": math.log1p(len(words)),
        "code_share": len(code) / max(len(text), 1),
        "n_code_blocks": math.log1p(len(langs)),
        "fence_lang_tag": float(any(langs)) if langs else 0.0,
        "md_headers": _count(r"^\s{0,3}#{1,6}\s", prose) / npl,
        "md_bullets": _count(r"^\s*[-*+•]\s", prose) / npl,
        "md_numbered": _count(r"^\s*\d+[.)]\s", prose) / npl,
        "md_bold": _count(r"\*\*[^*\n]+\*\*", prose) / npl,
        "md_inline_code": _count(r"`[^`\n]+`", prose) / nw * 10,
        "md_table": float(bool(re.search(r"^\s*\|.*\|\s*$", prose, re.M))),
        "edge_case_phrases": _count(_EDGE, prose) / nw * 100,
        "hedges": _count(_HEDGE, prose) / nw * 100,
        "cause_then_fix": float(bool(re.search(_CAUSE, prose, re.I)) and bool(re.search(_FIX, prose, re.I))),
        "cause_phrases": _count(_CAUSE, prose) / nw * 100,
        "summary_section": float(bool(re.search(_SUMMARY, prose, re.I | re.M))),
        "first_person": _count(r"\bi\b|\bi'm\b|\bi'll\b|\bme\b", prose) / nw * 100,
        "second_person": _count(r"\byou\b|\byour\b", prose) / nw * 100,
        "exclamations": prose.count("!") / npl,
        "em_dashes": (prose.count("—") + prose.count(" -- ")) / nw * 100,
        "colon_lines": sum(ln.rstrip().endswith(":") for ln in plines) / npl,
        "cjk_share": len(re.findall(r"[\u4e00-\u9fff]", text)) / max(len(text), 1),
    }
    for name, pattern in _OPENERS.items():
        out[name] = float(bool(re.search(pattern, text, re.I)))
    tail = text.rstrip()[-300:]
    for name, pattern in _CLOSERS.items():
        out[name] = float(bool(re.search(pattern, tail, re.I)))
    out.update(_python_code_stats(code))
    return out


#: The names of the interpretable style features, in a fixed order (the model file records them).
STYLE_FEATURES: tuple[str, ...] = tuple(_style("x").keys())
#: What each feature group means, for the markers table and the report's legend.
STYLE_HELP: dict[str, str] = {
    "code_comment_lines": "share of code lines that are comments",
    "code_inline_comments": "share of code lines with a trailing comment",
    "code_docstring": "code has a docstring",
    "doc_google": "Google-style docstring (Args:/Returns:)",
    "doc_rest": "reST docstring (:param:)",
    "doc_doctest": "doctest examples (>>>)",
    "code_type_hints": "type hints on functions",
    "code_main_block": "an `if __name__ == '__main__'` block",
    "code_raise": "raise statements per code line",
    "code_guard": "input guards (if not x / is None) per code line",
    "edge_case_phrases": "edge-case phrases per 100 prose words",
    "hedges": "hedges per 100 prose words",
    "cause_then_fix": "explains a cause, then a fix",
    "summary_section": "a 'Key changes / Explanation' section",
    "md_headers": "markdown headers per prose line",
    "md_bullets": "bullets per prose line",
    "md_bold": "bold spans per prose line",
    "opener_here": "opens with 'Here is…'",
    "opener_sure": "opens with 'Sure/Certainly…'",
    "closer_offer": "closes with an offer ('Let me know…')",
    "closer_question": "closes with a question",
    "em_dashes": "em dashes per 100 prose words",
    "exclamations": "exclamation marks per prose line",
    "log_chars": "length (log characters)",
}

#: Length only: the nuisance baseline every attribution accuracy is reported beside.
LENGTH_FEATURES: tuple[str, ...] = ("log_chars", "log_prose_words", "code_share")


def style_matrix(texts: Sequence[str], names: Sequence[str] = STYLE_FEATURES,
                 progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The named style features of each text (rows) in the order of `names`."""
    out = np.empty((len(texts), len(names)))
    for i, text in enumerate(texts):
        values = _style(str(text))
        out[i] = [values[n] for n in names]
        if progress is not None and i % 500 == 499:
            progress(500)
    if progress is not None:
        progress(len(texts) % 500)
    return out
