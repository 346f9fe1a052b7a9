"""Secondary (robustness) rows of the fingerprint layer (STATISTICS §4.4). None of them enters the claim;
each answers "does another lens see the same movement?".

* **AUC shift**: binary classifiers T vs S1 and T vs S0, fitted on train prompts and evaluated on test
  prompts; ΔAUC = AUC(T, S1) - AUC(T, S0), with a paired prompt-bootstrap interval. Negative means S1 is
  harder to tell apart from T. These classifiers do see S0 and S1 (that is their point); the attribution
  model f never does.
* **Exact-prefix agreement** (Nikolić et al., adapted to API models and paired prompts): the share of
  prompts on which a model's first 32 whitespace-separated tokens equal the teacher's; S1 vs S0 by McNemar
  mid-p. Meaningful only for greedy samples (temperature 0); weak across architectures by design.
* **Teacher-phrase rate**: the teacher's top n-grams by the log-odds ratio with an informative Dirichlet
  prior (Monroe, Colaresi & Quinn 2008), learnt on train prompts of the training models only and frozen;
  occurrences per 1,000 tokens; rate ratio S1/S0 from a Poisson GEE with prompt clusters (robust SE).
* **Self-identification**: the share of identity-battery answers that claim to be the teacher or made by
  its developer; S0 vs S1 by McNemar mid-p on prompts, Clopper-Pearson intervals. A positive is
  informative, a negative is not (easily trained away). A non-teacher model that claims to be the
  teacher is also an endpoint warning: the endpoint may have served the teacher.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from harness.provenance.features import mask_names
from harness.stats import clopper_pearson_ci, mcnemar
from harness.stats.estimate import finite_or_none

# ------------------------------------------------------------------------------------------ AUC shift


def _weighted_auc(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC for each row of `weights` (bootstrap replicate × text): Mann-Whitney with weights, ties = 1/2."""
    order = np.argsort(scores, kind="mergesort")
    s, pos = scores[order], positive[order]
    w = weights[:, order]
    wp, wn = w * pos, w * ~pos
    _, first, counts = np.unique(s, return_index=True, return_counts=True)
    neg_cum = np.cumsum(wn, axis=1) - wn  # negatives strictly before, within-tie corrected below
    group = np.repeat(np.arange(first.size), counts)
    tie_neg = np.add.reduceat(wn, first, axis=1)[:, group]
    below = neg_cum[:, first][:, group]
    num = (wp * (below + 0.5 * tie_neg)).sum(axis=1)
    den = wp.sum(axis=1) * wn.sum(axis=1)
    return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def auc_shift(table: pd.DataFrame, teacher: str, before: str, after: str, *, n_boot: int = 2000,
              seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """ΔAUC = AUC(T vs after) - AUC(T vs before), cross-fitted (train prompts → test prompts)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    work = table[table["domain"] != "identity"]
    results, per_prompt = {}, {}
    for label in (before, after):
        rows = work[work["model"].isin((teacher, label))]
        tr, te = rows[rows["split"] == "train"], rows[rows["split"] == "test"]
        if tr["model"].nunique() < 2 or te["model"].nunique() < 2:
            return {"estimate": None, "ci": [None, None], "note": f"too few train/test texts for {teacher} vs {label}"}
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=False, max_features=50_000,
                              token_pattern=r"(?u)\b\w+\b|[^\w\s]")
        x_tr = vec.fit_transform([mask_names(t) for t in tr["text"]])
        clf = LogisticRegression(C=10, tol=1e-3, max_iter=1000).fit(x_tr, tr["model"] == teacher)
        score = clf.decision_function(vec.transform([mask_names(t) for t in te["text"]]))
        per_prompt[label] = (te["prompt_id"].to_numpy(str), score, (te["model"] == teacher).to_numpy())
    prompts = sorted(set(per_prompt[before][0]) & set(per_prompt[after][0]))
    index = {p: i for i, p in enumerate(prompts)}
    rng = np.random.default_rng(seed)
    counts = np.vstack([np.ones(len(prompts)), rng.multinomial(len(prompts), np.full(len(prompts), 1 / len(prompts)),
                                                                size=n_boot)])
    for label, (pids, score, pos) in per_prompt.items():
        keep = np.array([p in index for p in pids])
        w = counts[:, [index[p] for p in pids[keep]]]
        results[label] = _weighted_auc(score[keep], pos[keep], w)
    diff = results[after] - results[before]
    lo, hi = np.nanquantile(diff[1:], [(1 - level) / 2, (1 + level) / 2])
    return {"auc_before": finite_or_none(results[before][0]), "auc_after": finite_or_none(results[after][0]),
            "estimate": finite_or_none(diff[0]), "ci": [finite_or_none(lo), finite_or_none(hi)],
            "n_prompts": len(prompts), "n_boot": n_boot,
            "method": "cross-fitted binary logistic regression (word 1-2-grams), paired prompt bootstrap; "
                      "negative = the new release is harder to tell from the teacher"}


# ------------------------------------------------------------------------------------- prefix agreement


def _prefix(text: str, m: int) -> str:
    return " ".join(str(text).split()[:m])


def prefix_agreement(table: pd.DataFrame, teacher: str, before: str, after: str, *, m: int = 32) -> dict[str, Any]:
    """Share of test prompts whose first-m-token prefix equals the teacher's (first sample of each), S1
    vs S0 by McNemar mid-p."""
    work = table[(table["split"] == "test") & (table["domain"] != "identity")]
    if "temperature" in work.columns and (work["temperature"] == 0).any():
        work = work[work["temperature"] == 0]
        note = "greedy (temperature 0) samples"
    else:
        note = "no temperature-0 samples marked: the first sample of each prompt was used (weak for sampled text)"
    first = work.sort_values("sample").groupby(["model", "prompt_id"], as_index=False).first()
    pref = {model: dict(zip(g["prompt_id"], g["text"].map(lambda t: _prefix(t, m)), strict=True))
            for model, g in first.groupby("model") if model in (teacher, before, after)}
    if any(x not in pref for x in (teacher, before, after)):
        return {"note": "missing texts for the teacher or a release"}
    prompts = sorted(set(pref[teacher]) & set(pref[before]) & set(pref[after]))
    b = np.array([pref[before][p] == pref[teacher][p] for p in prompts])
    a = np.array([pref[after][p] == pref[teacher][p] for p in prompts])
    gains, losses = int((a & ~b).sum()), int((b & ~a).sum())
    test = mcnemar(gains, losses)
    return {"m_tokens": m, "n_prompts": len(prompts), "rate_before": float(b.mean()) if b.size else None,
            "rate_after": float(a.mean()) if a.size else None, "gains": gains, "losses": losses,
            "p_value": finite_or_none(test.p_value), "method": "McNemar mid-p on prompts", "note": note}


# -------------------------------------------------------------------------------------- teacher phrases

_TOKEN = re.compile(r"\w+|[^\w\s]")


def _ngrams(text: str, n_max: int = 3) -> set[str]:
    toks = _TOKEN.findall(mask_names(text).lower())
    return {" ".join(toks[i:i + n]) for n in range(1, n_max + 1) for i in range(len(toks) - n + 1)}


def phrase_markers(texts: Sequence[str], is_teacher: Sequence[bool], *, k: int = 200, alpha0: float = 1000.0,
                   min_docs: int = 5) -> list[dict[str, Any]]:
    """The teacher's top-k n-grams by the log-odds ratio with an informative Dirichlet prior (Monroe et al.
    2008), document-frequency counts, background = all training texts; names are masked, so the markers
    are never self-identification."""
    from collections import Counter

    docs = [_ngrams(t) for t in texts]
    mask = np.asarray(is_teacher, bool)
    c_t, c_all = Counter(), Counter()
    for doc, t in zip(docs, mask, strict=True):
        c_all.update(doc)
        if t:
            c_t.update(doc)
    vocab = sorted(w for w, n in c_all.items() if n >= min_docs and "<name>" not in w)  # ties: same order every run
    if not vocab or not mask.any() or mask.all():
        return []
    y_t = np.array([c_t[w] for w in vocab], float)
    y_all = np.array([c_all[w] for w in vocab], float)
    y_o = y_all - y_t
    prior = alpha0 * y_all / y_all.sum()
    n_t, n_o, a0 = y_t.sum(), y_o.sum(), prior.sum()
    delta = (np.log((y_t + prior) / (n_t + a0 - y_t - prior)) - np.log((y_o + prior) / (n_o + a0 - y_o - prior)))
    z = delta / np.sqrt(1 / (y_t + prior) + 1 / (y_o + prior))
    order = np.argsort(-z, kind="stable")[:k]
    return [{"ngram": vocab[i], "z": float(z[i]), "teacher_docs": int(y_t[i]), "all_docs": int(y_all[i])}
            for i in order if z[i] > 0]


def phrase_matrix(texts: Sequence[str], markers: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(occurrences of each marker per text [texts × markers], tokens per text): exact n-gram matches on the
    lower-cased masked tokens, each text tokenized once."""
    index = {m: j for j, m in enumerate(markers)}
    lens = sorted({len(m.split()) for m in markers}) or [1]
    hits, tokens = np.zeros((len(texts), len(markers))), np.zeros(len(texts))
    for i, text in enumerate(texts):
        toks = _TOKEN.findall(mask_names(str(text)).lower())
        tokens[i] = max(len(toks), 1)
        for n in lens:
            for j in range(len(toks) - n + 1):
                k = index.get(" ".join(toks[j:j + n]))
                if k is not None:
                    hits[i, k] += 1
    return hits, tokens


def phrase_counts(texts: Sequence[str], markers: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(marker occurrences, tokens) per text, all markers together."""
    hits, tokens = phrase_matrix(texts, markers)
    return hits.sum(axis=1), tokens


def phrase_rate_ratio(table: pd.DataFrame, markers: Sequence[str], before: str, after: str,
                      *, level: float = 0.95) -> dict[str, Any]:
    """Teacher-phrase occurrences per 1,000 tokens in S0 and S1 (test prompts), and the rate ratio S1/S0 from
    a Poisson GEE with prompt clusters and log-token offset (exchangeable working correlation)."""
    import statsmodels.api as sm

    work = table[(table["split"] == "test") & (table["domain"] != "identity") & table["model"].isin((before, after))]
    if not markers or work["model"].nunique() < 2:
        return {"note": "no teacher phrases or no texts"}
    hits, tokens = phrase_counts(work["text"].tolist(), markers)
    is_after = (work["model"] == after).to_numpy(float)
    rate = {lab: float(1000 * hits[work["model"].to_numpy() == lab].sum() / tokens[work["model"].to_numpy() == lab].sum())
            for lab in (before, after)}
    out = {"rate_per_1000_before": rate[before], "rate_per_1000_after": rate[after], "n_markers": len(markers)}
    try:
        groups = pd.factorize(work["prompt_id"])[0]
        with warnings.catch_warnings():  # convergence notes would land in the user's terminal
            warnings.simplefilter("ignore")
            fit = sm.GEE(hits, sm.add_constant(is_after), groups=groups, family=sm.families.Poisson(),
                         offset=np.log(tokens), cov_struct=sm.cov_struct.Exchangeable()).fit()
        b, se = float(fit.params[1]), float(fit.bse[1])
        z = float(np.abs(b) / se) if se > 0 else math.inf
        from scipy import stats

        q = float(stats.norm.ppf(0.5 + level / 2))
        out.update({"rate_ratio": math.exp(b), "ci": [math.exp(b - q * se), math.exp(b + q * se)],
                    "p_value": float(2 * stats.norm.sf(z)),
                    "method": "Poisson GEE, prompt clusters, offset log tokens, robust SE"})
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as e:
        out["note"] = f"GEE failed ({e}); rates only"
    return out


# ------------------------------------------------------------------------------------ self-identification

#: Names a model may claim, keyed by a substring of the teacher's label.
IDENTITIES: dict[str, tuple[str, ...]] = {
    "claude": ("Claude", "Anthropic"), "anthropic": ("Claude", "Anthropic"),
    "gpt": ("ChatGPT", "GPT-4", "GPT", "OpenAI"), "openai": ("ChatGPT", "GPT", "OpenAI"),
    "gemini": ("Gemini", "Google", "DeepMind"), "qwen": ("Qwen", "Tongyi", "Alibaba", "通义千问", "通义", "阿里"),
    "llama": ("Llama", "LLaMA", "Meta"), "deepseek": ("DeepSeek", "深度求索"), "grok": ("Grok", "xAI"),
    "mistral": ("Mistral",), "kimi": ("Kimi", "Moonshot", "月之暗面"), "glm": ("GLM", "ChatGLM", "Zhipu", "智谱"),
}


def identity_names(teacher: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The names that count as claiming to be `teacher` (its label, known aliases, and `extra`)."""
    names = [teacher, *extra]
    for key, values in IDENTITIES.items():
        if key in teacher.lower():
            names.extend(values)
    return tuple(dict.fromkeys(n for n in names if n))


def claims_identity(text: str, names: Sequence[str]) -> bool:
    """A first-person claim to be one of `names` or made by it (EN and ZH), e.g. "I'm Claude", "I was
    created by Anthropic", "我是通义千问", "由Anthropic开发"; a mere mention ("unlike Claude") is not."""
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    en = (rf"\b(?:i am|i'm|i’m|my name is|this is|call me)\s+(?:an? |the )?(?:ai |large language model |language "
          rf"model |assistant |chatbot |model )*(?:called |named |known as )?(?:{alt})\b|"
          rf"\b(?:created|developed|built|trained|made|designed)\s+by\s+(?:the )?(?:{alt})\b|"
          rf"\b(?:{alt})\s+(?:created|developed|built|trained|made)\s+me\b")
    zh = rf"(?:我是|我叫|我的名字是)\s*(?:由)?[^。，,\n]{{0,12}}(?:{alt})|由\s*(?:{alt})[^。\n]{{0,12}}(?:开发|创建|训练|打造|研发)"
    return bool(re.search(en, text, re.IGNORECASE) or re.search(zh, text))


def self_identification(table: pd.DataFrame, teacher: str, models: Sequence[str], before: str, after: str,
                        names: Sequence[str] = (), *, level: float = 0.95) -> dict[str, Any]:
    """Rates of claiming to be the teacher on the identity battery (per model, Clopper-Pearson), S0 vs S1
    by McNemar mid-p on prompts (a prompt counts when any sample claims)."""
    names = identity_names(teacher, names)
    ident = table[(table["domain"] == "identity") & table["model"].isin(models)]
    out: dict[str, Any] = {"names": list(names), "by_model": {}}
    if ident.empty:
        return out | {"note": "no identity-battery texts (domain 'identity') in the table"}
    claims = ident["text"].map(lambda t: claims_identity(str(t), names))
    for model, flags in claims.groupby(ident["model"]):
        lo, hi = clopper_pearson_ci(int(flags.sum()), len(flags), level)
        out["by_model"][model] = {"claims": int(flags.sum()), "n": len(flags), "rate": float(flags.mean()),
                                  "ci": [float(lo), float(hi)]}
    per_prompt = claims.groupby([ident["model"], ident["prompt_id"]]).any()
    if before in per_prompt.index.get_level_values(0) and after in per_prompt.index.get_level_values(0):
        b, a = per_prompt[before], per_prompt[after]
        common = b.index.intersection(a.index)
        gains, losses = int((a[common] & ~b[common]).sum()), int((b[common] & ~a[common]).sum())
        out["paired"] = {"gains": gains, "losses": losses, "n_prompts": len(common),
                         "p_value": finite_or_none(mcnemar(gains, losses).p_value), "method": "McNemar mid-p"}
    return out


def impostors(table: pd.DataFrame, teacher: str, names: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Non-teacher models with answers (any domain) that claim to be the teacher: an endpoint-integrity
    warning (the endpoint may have served the teacher) as much as evidence about training."""
    names = identity_names(teacher, names)
    rows = []
    for model, group in table[table["model"] != teacher].groupby("model"):
        flags = group["text"].map(lambda t: claims_identity(str(t), names))
        if flags.any():
            example = group["text"][flags].iloc[0]
            rows.append({"model": model, "claims": int(flags.sum()), "n_texts": len(group),
                         "example": str(example)[:300]})
    return rows
