"""Speed of the attribution model: fit on 10,000 texts and score 10,000 texts (issue 13: well under a
minute on 2 cores), with a baseline measured in the same run on the same texts.

  ours       harness.provenance.model.fit_arrays (word 1-3-grams + char 3-5-grams + style features,
             multinomial logistic regression, tol 1e-3) and AttributionModel.affinity on every text
  baseline   the same features and classifier with scikit-learn's default tolerance (1e-4), scored
             through predict_proba: what one gets without the tolerance choice documented in model.py
  features   the style features alone (pure Python regexes), for where the time goes

Texts: the real EvalPerf solutions in the reference data's outputs/ folder when present (7 models, up to 20 samples per
task), else synthetic texts (tests/provenance/synth.py). Each figure is the best of --repeat.

    nice -n 10 .venv/bin/python benchmarks/provenance/speed.py [--texts 10000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.provenance.features import style_matrix  # noqa: E402
from harness.provenance.model import Settings, _vectorizers, fit_arrays  # noqa: E402
from tests.provenance.realdata import evalperf_table, outputs_dir  # noqa: E402
from tests.provenance.synth import family, synthetic_table  # noqa: E402


def texts(n: int) -> tuple[list[str], list[str], str]:
    out = outputs_dir()
    if out is not None:
        t = evalperf_table(out, samples=20)
        t = t.sample(frac=1.0, random_state=0).head(n)
        return t["text"].tolist(), t["model"].tolist(), "EvalPerf solutions (real)"
    t = synthetic_table(family(0.2), prompts=n // 44 + 1, samples=2).head(n)
    return t["text"].tolist(), t["model"].tolist(), "synthetic"


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def baseline(x_texts: list[str], labels: list[str]) -> np.ndarray:
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    word, char = _vectorizers(Settings())
    s = style_matrix(x_texts)
    scaler = StandardScaler().fit(s)
    x = sp.hstack([word.fit_transform(x_texts), char.fit_transform(x_texts),
                   sp.csr_matrix(scaler.transform(s) * 0.1)]).tocsr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LogisticRegression(C=10.0, max_iter=1000).fit(x, labels)
    return clf.predict_proba(x)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    corpus, labels, source = texts(args.texts)
    print(f"{len(corpus):,} texts ({source}), {len(set(labels))} models, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    t_style, _ = best(lambda: style_matrix(corpus), args.repeat)
    t_fit, model = best(lambda: fit_arrays(corpus, labels), args.repeat)
    t_score, aff = best(lambda: model.affinity(corpus), args.repeat)
    ours = t_fit + t_score
    t_base, _ = best(lambda: baseline(corpus, labels), 1)
    print(f"style features only          {t_style:7.2f} s")
    print(f"ours: fit                    {t_fit:7.2f} s   ({model.coef.shape[1]:,} features)")
    print(f"ours: score (affinity)       {t_score:7.2f} s   ({len(corpus) / t_score:,.0f} texts/s)")
    print(f"ours: fit + score            {ours:7.2f} s")
    print(f"baseline: default tolerance  {t_base:7.2f} s   (fit + predict_proba, one run)")
    print(f"ratio baseline / ours        {t_base / ours:7.2f}x")
    assert np.isfinite(aff).all()


if __name__ == "__main__":
    main()
