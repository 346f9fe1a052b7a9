"""The attribution model: trained only on the training models, frozen as plain data, hash-checked."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.errors import UserError
from harness.provenance.compare import provenance_document
from harness.provenance.model import fit_model, heldout, load_model, save_model

TRAINERS = {"teacher": "teacher", "candidates": ["cand-a", "cand-b"], "references": ["ref-a", "ref-b"]}


@pytest.fixture(scope="module")
def fitted(planted: pd.DataFrame):
    return fit_model(planted, TRAINERS["teacher"], TRAINERS["candidates"], TRAINERS["references"])


def test_trained_on_train_prompts_of_the_training_models_only(fitted, planted: pd.DataFrame) -> None:
    assert set(fitted.classes) == {"teacher", "cand-a", "cand-b", "ref-a", "ref-b"}
    train = planted[(planted["split"] == "train") & planted["model"].isin(fitted.classes)]
    assert fitted.meta["train_texts"] == len(train)
    assert fitted.meta["train_prompts"] == train["prompt_id"].nunique()
    assert sum(fitted.meta["n_train"].values()) == len(train)


def test_heldout_accuracy_beats_length_and_chance(fitted, planted: pd.DataFrame) -> None:
    acc = heldout(fitted, planted)
    assert acc["n_classes"] == 5 and acc["n_test_prompts"] == planted.query("split == 'test'")["prompt_id"].nunique()
    assert acc["heldout_accuracy"] > 0.9
    assert acc["baselines"]["length_only"] < acc["heldout_accuracy"]
    assert set(acc["per_class_recall"]) == set(fitted.classes)


def test_affinity_is_log_odds_above_the_base_rate(fitted, planted: pd.DataFrame) -> None:
    texts = planted.query("model == 'teacher' and split == 'test'")["text"].head(20).tolist()
    others = planted.query("model == 'ref-b' and split == 'test'")["text"].head(20).tolist()
    j = fitted.classes.index("teacher")
    assert fitted.affinity(texts)[:, j].mean() > 2 > -2 > fitted.affinity(others)[:, j].mean()
    lp = fitted.log_proba(texts)
    assert np.allclose(np.exp(lp).sum(axis=1), 1.0)


def test_save_load_round_trip_is_exact_and_plain_data(fitted, planted: pd.DataFrame, tmp_path: Path) -> None:
    digest = save_model(fitted, tmp_path / "m")
    assert len(digest) == 64 and digest == fitted.sha256
    with zipfile.ZipFile(tmp_path / "m" / "arrays.npz") as z:  # every member is a plain .npy array
        for name in z.namelist():
            header = z.read(name)[:128]
            assert b"'descr': '|O'" not in header and b"'descr': 'O'" not in header
    loaded = load_model(tmp_path / "m", digest[:12])
    texts = planted["text"].head(50).tolist()
    assert np.array_equal(loaded.log_proba(texts), fitted.log_proba(texts))
    assert loaded.sha256 == digest and loaded.teacher == "teacher"


def test_edited_model_and_wrong_hash_are_refused(fitted, tmp_path: Path) -> None:
    digest = save_model(fitted, tmp_path / "m")
    with pytest.raises(UserError, match="is not the pre-registered"):
        load_model(tmp_path / "m", "0" * 12)
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    doc["meta"]["teacher"] = "cand-a"  # a quiet edit after the hash went into the plan
    (tmp_path / "m" / "model.json").write_text(json.dumps(doc))
    with pytest.raises(UserError, match="does not match the recorded"):
        load_model(tmp_path / "m", digest)
    with pytest.raises(UserError, match="not a saved provenance model"):
        load_model(tmp_path / "nothing")


def test_a_release_that_trained_the_model_cannot_be_scored(planted: pd.DataFrame) -> None:
    model = fit_model(planted, "teacher", [], ["ref-a", "s0"])
    with pytest.raises(UserError, match="s0 trained the attribution model and cannot also be scored"):
        provenance_document(planted, model, before="s0", after="s1")


def test_needs_two_training_models(planted: pd.DataFrame) -> None:
    with pytest.raises(UserError, match="at least 2 training models"):
        fit_model(planted, "teacher")
