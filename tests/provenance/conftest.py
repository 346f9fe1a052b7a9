"""Fixtures of the provenance tests: a synthetic family of models with known authorship (fitted once per
module), and the real outputs of ../shared/data/outputs when they are there."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.provenance.texts import validate_texts
from tests.provenance.realdata import outputs_dir
from tests.provenance.synth import family, synthetic_table


@pytest.fixture(scope="session")
def outputs() -> Path:
    found = outputs_dir()
    if found is None:
        pytest.skip("real model outputs not found (../shared/data/outputs beside the clone, or set "
                    "ASYMMETRY_SHARED_DATA to the data folder)")
    return found


@pytest.fixture(scope="session")
def planted() -> pd.DataFrame:
    """S1 borrows the teacher's habits in 40% of its coding sentences; 8 controls do not move."""
    return validate_texts(synthetic_table(family(0.4), prompts=120, samples=2, seed=3), source="planted")


@pytest.fixture(scope="session")
def null_table() -> pd.DataFrame:
    """Nobody moves toward the teacher."""
    return validate_texts(synthetic_table(family(0.0), prompts=120, samples=2, seed=4), source="null")
