"""Shared test fixtures: the real shared data and a small synthetic set."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_WBC = REPO.parent / "shared" / "data" / "wbc"


@pytest.fixture(scope="session")
def wbc_dir() -> Path:
    """The real leukocyte data (read only, never copied into the repo)."""
    if not (SHARED_WBC / "cellavision").is_dir():
        pytest.skip(f"real data not found at {SHARED_WBC}")
    return SHARED_WBC


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve synthetic leukocytes of 96x96 with exact parsing maps."""
    from leuko_keras.synth import write_dataset

    return write_dataset(tmp_path_factory.mktemp("synth") / "cells", count=12, size=96, seed=3)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder as fit leaves it (a tiny GP as best.keras and last.keras, history, backup)."""
    from helpers import make_run_dir

    return make_run_dir(tmp_path_factory.mktemp("runs"))
