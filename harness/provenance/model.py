"""The attribution model f: which of the candidate teachers and reference models wrote a text?

Why this model. An L2-regularised multinomial logistic regression over word 1-3-grams, character 3-5-grams
(TF-IDF, sublinear) and the named style features of `features.py` (STATISTICS §4.3 step 2's "transparent,
package-compatible default"). On the real MultiPL-E outputs it matches the measured 0.82 grouped accuracy
of the research notes; it fits 10,000 texts in seconds on 2 cores; its coefficients say which words and
markers push a text toward the teacher (the report highlights them); and `predict_proba` gives the
log-odds the affinity is built on. C = 10 and tol = 1e-3 were chosen once on MultiPL-E and are fixed, not
tuned per analysis (tuning on the suspect's data would be a garden of forking paths).

Who trains it. Only the teacher, the other candidate teachers and the reference models, on `train`
prompts. The suspect's releases and the control models never do: f must be frozen before they are scored,
or it could learn to separate S0 from S1 and manufacture a shift.

How it is kept. As plain data, never pickle: `model.json` (settings, classes, vocabularies, provenance)
and `arrays.npz` (idf weights, standardisation, coefficients; read with allow_pickle=False), in one folder.
Its sha256 is over the canonical JSON and every array's bytes, recomputed and checked at load; put it in
the plan before the suspect's outputs are scored, and `compare --model-sha256` refuses any other model.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from harness.errors import UserError
from harness.provenance.features import LENGTH_FEATURES, STYLE_FEATURES, mask_names, style_matrix
from harness.provenance.texts import IDENTITY_DOMAIN, table_sha256
from harness.stats.proportions import wilson_ci

FORMAT = "asymmetry.provenance-model/1"
TOKEN_PATTERN = r"(?u)\b\w+\b|[^\w\s]"
#: Probabilities are clipped to [EPS, 1 - EPS] before any log-odds, so one confident text cannot dominate.
EPS = 1e-6


@dataclass(frozen=True)
class Settings:
    """Fixed fitting settings (recorded in the model file)."""

    word_ngrams: tuple[int, int] = (1, 3)
    char_ngrams: tuple[int, int] = (3, 5)
    max_features: int = 100_000
    min_df: int = 2
    C: float = 10.0
    tol: float = 1e-3
    style_weight: float = 0.1  # the style block's scale next to two unit-norm TF-IDF blocks


def _vectorizers(settings: Settings, vocab: tuple[dict[str, int], dict[str, int]] | None = None) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = {"sublinear_tf": True, "lowercase": False, "dtype": np.float32}
    word = TfidfVectorizer(ngram_range=settings.word_ngrams, token_pattern=TOKEN_PATTERN,
                           min_df=settings.min_df, max_features=settings.max_features,
                           vocabulary=vocab[0] if vocab else None, **common)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=settings.char_ngrams, min_df=settings.min_df,
                           max_features=settings.max_features, vocabulary=vocab[1] if vocab else None, **common)
    return word, char


@dataclass(frozen=True, eq=False)
class AttributionModel:
    """A fitted, frozen attribution model. `log_proba` and `affinity` are all the statistics need."""

    classes: tuple[str, ...]
    priors: np.ndarray
    word_vocab: dict[str, int]
    char_vocab: dict[str, int]
    word_idf: np.ndarray
    char_idf: np.ndarray
    style_mean: np.ndarray
    style_scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    settings: Settings
    meta: dict[str, Any]
    _vec: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def teacher(self) -> str:
        return str(self.meta["teacher"])

    @property
    def sha256(self) -> str:
        return content_sha256(self)

    def _vectorizers(self) -> tuple[Any, Any]:
        if not self._vec:
            word, char = _vectorizers(self.settings, (self.word_vocab, self.char_vocab))
            word.idf_ = self.word_idf.astype(np.float64)
            char.idf_ = self.char_idf.astype(np.float64)
            self._vec.extend([word, char])
        return self._vec[0], self._vec[1]

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The feature matrix of `texts` (names masked first)."""
        masked = [mask_names(str(t)) for t in texts]
        word, char = self._vectorizers()
        style = (style_matrix(masked) - self.style_mean) / self.style_scale * self.settings.style_weight
        return sp.hstack([word.transform(masked), char.transform(masked),
                          sp.csr_matrix(style.astype(np.float32))]).tocsr()

    def log_proba(self, texts: Sequence[str]) -> np.ndarray:
        """log f(x) for each text (rows) and class (columns, in `classes` order)."""
        if len(texts) == 0:
            return np.empty((0, len(self.classes)))
        z = np.asarray(self.features(texts) @ self.coef.T, dtype=np.float64) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def affinity(self, texts: Sequence[str]) -> np.ndarray:
        """Per text and class: logit f_j(x) - logit(prior_j), the one-vs-rest log-odds above the base rate
        (STATISTICS §4.3 step 3). Zero means "as likely this class as a random training text"."""
        p = np.clip(np.exp(self.log_proba(texts)), EPS, 1 - EPS)
        prior = np.clip(self.priors, EPS, 1 - EPS)
        return np.log(p / (1 - p)) - np.log(prior / (1 - prior))

    def top_terms(self, cls: str, k: int = 25) -> list[tuple[str, float]]:
        """The n-grams with the largest coefficient toward `cls` relative to the other classes' mean."""
        j = self.classes.index(cls)
        contrast = self.coef[j] - np.delete(self.coef, j, axis=0).mean(axis=0)
        names = _feature_names(self)
        order = np.argsort(-contrast)[:k]
        return [(names[i], float(contrast[i])) for i in order]


def _feature_names(model: AttributionModel) -> list[str]:
    words = [""] * len(model.word_vocab)
    for term, i in model.word_vocab.items():
        words[i] = term
    chars = [""] * len(model.char_vocab)
    for term, i in model.char_vocab.items():
        chars[i] = f"chars:{term!r}"
    return words + chars + [f"style:{n}" for n in STYLE_FEATURES]


def _training_rows(table: pd.DataFrame, classes: Sequence[str], split: str | None = "train") -> pd.DataFrame:
    rows = table[table["model"].isin(classes) & (table["domain"] != IDENTITY_DOMAIN)]
    return rows[rows["split"] == split] if split else rows


def fit_arrays(texts: Sequence[str], labels: Sequence[str], settings: Settings = Settings(),
               progress: Callable[[str], None] | None = None) -> AttributionModel:
    """Fit f on texts and their model labels (no split logic: the caller chooses the rows)."""
    from sklearn.linear_model import LogisticRegression

    say = progress or (lambda _msg: None)
    labels = np.asarray(labels, dtype=str)
    classes = tuple(sorted(set(labels.tolist())))
    if len(classes) < 2:
        raise UserError("the attribution model needs texts from at least 2 training models (the teacher and at "
                        "least one other candidate or reference)")
    masked = [mask_names(str(t)) for t in texts]
    say("word and character n-grams")
    word, char = _vectorizers(settings)
    try:
        xw, xc = word.fit_transform(masked), char.fit_transform(masked)
    except ValueError as e:  # e.g. every n-gram below min_df
        raise UserError(f"cannot build the vocabulary from {len(masked)} training texts ({e}); more texts needed") from None
    say("style features")
    s = style_matrix(masked)
    mean, scale = s.mean(axis=0), s.std(axis=0)
    scale[scale == 0] = 1.0
    # float64 for the solver: lbfgs on a float32 matrix measured ~1.6x slower here (it converts as it goes)
    x = sp.hstack([xw, xc, sp.csr_matrix((s - mean) / scale * settings.style_weight)]).tocsr().astype(np.float64)
    say(f"logistic regression ({x.shape[0]:,} texts × {x.shape[1]:,} features, {len(classes)} classes)")
    clf = LogisticRegression(C=settings.C, tol=settings.tol, max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x, labels)
    coef, intercept = clf.coef_, clf.intercept_
    if len(classes) == 2:  # sklearn stores one row for two classes: expand to the softmax form
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    counts = np.array([(labels == c).sum() for c in classes], float)
    return AttributionModel(
        classes=classes, priors=counts / counts.sum(),
        word_vocab={str(k): int(v) for k, v in word.vocabulary_.items()},
        char_vocab={str(k): int(v) for k, v in char.vocabulary_.items()},
        word_idf=word.idf_.astype(np.float32), char_idf=char.idf_.astype(np.float32),
        style_mean=mean, style_scale=scale, coef=coef.astype(np.float32), intercept=intercept.astype(np.float64),
        settings=settings, meta={"n_train": {c: int(n) for c, n in zip(classes, counts, strict=True)}})


def fit_model(table: pd.DataFrame, teacher: str, candidates: Sequence[str] = (), references: Sequence[str] = (),
              settings: Settings = Settings(), progress: Callable[[str], None] | None = None) -> AttributionModel:
    """Fit f on the `train` prompts of the teacher, the other candidates and the references only."""
    classes = list(dict.fromkeys([teacher, *candidates, *references]))
    rows = _training_rows(table, classes)
    missing = [c for c in classes if c not in set(rows["model"])]
    if missing:
        raise UserError(f"no training texts (train split, non-identity prompts) for {', '.join(missing)}; "
                        "the attribution model needs each candidate and reference on train prompts")
    model = fit_arrays(rows["text"].tolist(), rows["model"].tolist(), settings, progress)
    model.meta.update({
        "format": FORMAT, "teacher": teacher, "candidates": [c for c in candidates if c != teacher],
        "references": [r for r in references if r not in (teacher, *candidates)],
        "train_prompts": int(rows["prompt_id"].nunique()), "train_texts": len(rows),
        "train_table_sha256": table_sha256(rows),
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.__dict__.items()},
        "sklearn": _sklearn_version(),
    })
    return model


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


# ---------------------------------------------------------------------------------------------- accuracy


def _lr_accuracy(x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray, y_te: np.ndarray) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x_tr)
    clf = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(x_tr), y_tr)
    return float((clf.predict(scaler.transform(x_te)) == y_te).mean())


def heldout(model: AttributionModel, table: pd.DataFrame) -> dict[str, Any]:
    """Accuracy of f on the `test` prompts of its own training models (a sanity check: f must tell the
    candidates apart before its scores mean anything), per-class recall, and the length-only and
    style-only baselines fitted on the same train rows and scored on the same test rows."""
    classes = list(model.classes)
    test = _training_rows(table, classes, "test")
    train = _training_rows(table, classes, "train")
    out: dict[str, Any] = {"n_classes": len(classes), "chance": 1 / len(classes), "n_test_texts": len(test),
                           "n_test_prompts": int(test["prompt_id"].nunique()), "method":
                           "multinomial logistic regression on word 1-3-grams, char 3-5-grams and style "
                           "features; accuracy on held-out test prompts (split by prompt)"}
    if test.empty:
        out.update({"heldout_accuracy": None, "note": "no test-split texts from the training models"})
        return out
    pred = np.asarray(classes)[model.log_proba(test["text"].tolist()).argmax(axis=1)]
    truth = test["model"].to_numpy(str)
    out["heldout_accuracy"] = float((pred == truth).mean())
    out.update(chance_check(out["heldout_accuracy"], out["n_test_prompts"], out["chance"]))
    out["per_class_recall"] = {c: float((pred[truth == c] == c).mean()) for c in classes if (truth == c).any()}
    s_tr, s_te = style_matrix(train["text"].tolist()), style_matrix(test["text"].tolist())
    y_tr = train["model"].to_numpy(str)
    length_cols = [STYLE_FEATURES.index(n) for n in LENGTH_FEATURES[:1]]
    out["baselines"] = {
        "length_only": _lr_accuracy(s_tr[:, length_cols], y_tr, s_te[:, length_cols], truth),
        "style_only": _lr_accuracy(s_tr, y_tr, s_te, truth),
    }
    return out


def chance_check(accuracy: float, n_prompts: int, chance: float, level: float = 0.95) -> dict[str, Any]:
    """The held-out accuracy's interval and whether it includes chance. A model at chance cannot tell the
    sources apart, so no shift it scores may be read as convergence toward the teacher. Conservative: the
    Wilson interval counts each test prompt once (a prompt's texts are not independent draws)."""
    n = max(int(n_prompts), 1)
    lo, hi = wilson_ci(accuracy * n, n, level)
    return {"heldout_ci": [float(lo), float(hi)], "heldout_ci_method":
            f"Wilson {round(100 * level)}% interval with the {n} test prompts as the sample size",
            "at_chance": bool(float(lo) <= chance)}


def grouped_cv_accuracy(texts: Sequence[str], labels: Sequence[str], groups: Sequence[str], *, folds: int = 5,
                        settings: Settings = Settings()) -> dict[str, float]:
    """Grouped K-fold accuracy (no prompt in both train and test) of the full model and of the length-only
    and style-only baselines: the validation on real outputs (e.g. MultiPL-E's 4-way attribution)."""
    from sklearn.model_selection import GroupKFold

    texts = [str(t) for t in texts]
    y, g = np.asarray(labels, str), np.asarray(groups, str)
    s = style_matrix([mask_names(t) for t in texts])
    length_cols = [STYLE_FEATURES.index(n) for n in LENGTH_FEATURES[:1]]
    hits = {"full": 0, "length_only": 0, "style_only": 0}
    for tr, te in GroupKFold(folds).split(texts, y, g):
        model = fit_arrays([texts[i] for i in tr], y[tr], settings)
        pred = np.asarray(model.classes)[model.log_proba([texts[i] for i in te]).argmax(axis=1)]
        hits["full"] += int((pred == y[te]).sum())
        hits["length_only"] += round(_lr_accuracy(s[tr][:, length_cols], y[tr], s[te][:, length_cols], y[te]) * len(te))
        hits["style_only"] += round(_lr_accuracy(s[tr], y[tr], s[te], y[te]) * len(te))
    return {k: v / len(texts) for k, v in hits.items()} | {"n": len(texts), "folds": folds,
                                                          "chance": 1 / len(set(y.tolist()))}


# ---------------------------------------------------------------------------------------------- storage

_ARRAYS = ("priors", "word_idf", "char_idf", "style_mean", "style_scale", "coef", "intercept")


def _document(model: AttributionModel) -> dict[str, Any]:
    return {"format": FORMAT, "classes": list(model.classes), "style_features": list(STYLE_FEATURES),
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in model.settings.__dict__.items()},
            "meta": {k: v for k, v in model.meta.items() if k != "sha256"},
            "word_vocab": model.word_vocab, "char_vocab": model.char_vocab}


def content_sha256(model: AttributionModel) -> str:
    """sha256 over the canonical JSON document and every array (name, dtype, shape, bytes)."""
    h = hashlib.sha256(json.dumps(_document(model), sort_keys=True, ensure_ascii=False).encode())
    for name in _ARRAYS:
        a = np.ascontiguousarray(getattr(model, name))
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save_model(model: AttributionModel, folder: Path) -> str:
    """Write `model.json` and `arrays.npz` into `folder`; returns the content sha256."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digest = content_sha256(model)
    doc = _document(model) | {"sha256": digest}
    (folder / "model.json").write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True))
    np.savez_compressed(folder / "arrays.npz", **{n: np.asarray(getattr(model, n)) for n in _ARRAYS})
    return digest


def load_model(folder: Path, expect_sha256: str | None = None) -> AttributionModel:
    """Read a saved model (plain JSON and NPZ, allow_pickle=False) and check its content hash."""
    folder = Path(folder)
    if folder.is_file() and folder.name in ("model.json", "arrays.npz"):
        folder = folder.parent
    doc_path, arr_path = folder / "model.json", folder / "arrays.npz"
    if not doc_path.is_file() or not arr_path.is_file():
        raise UserError(f"{folder}: not a saved provenance model (needs model.json and arrays.npz; write one with "
                        "`asymmetry provenance fit --out DIR`)")
    try:
        doc = json.loads(doc_path.read_text())
        with np.load(arr_path, allow_pickle=False) as npz:
            arrays = {n: npz[n] for n in _ARRAYS}
    except (ValueError, KeyError, OSError) as e:
        raise UserError(f"{folder}: cannot read the saved model ({str(e).splitlines()[0]})") from None
    if doc.get("format") != FORMAT:
        raise UserError(f"{doc_path}: format {doc.get('format')!r} is not {FORMAT!r}")
    if list(doc.get("style_features", [])) != list(STYLE_FEATURES):
        raise UserError(f"{doc_path}: fitted with other style features than this version computes; refit it")
    settings = doc["settings"]
    model = AttributionModel(
        classes=tuple(doc["classes"]), word_vocab=doc["word_vocab"], char_vocab=doc["char_vocab"],
        settings=Settings(**{k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}),
        meta=dict(doc["meta"]), **arrays)
    digest = content_sha256(model)
    if digest != doc.get("sha256"):
        raise UserError(f"{folder}: content sha256 {digest[:16]}… does not match the recorded "
                        f"{str(doc.get('sha256'))[:16]}…; the model was edited after it was saved")
    if expect_sha256 and not digest.startswith(expect_sha256.lower()):
        raise UserError(f"{folder}: sha256 {digest[:16]}… is not the pre-registered {expect_sha256[:16]}…; "
                        "score with the model named in the plan")
    return model

