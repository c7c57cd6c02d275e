"""Untrained global-residual models start exactly at the bicubic baseline."""

from __future__ import annotations

import numpy as np
import pytest

import leuko_keras
from leuko_keras.imresize import imresize


@pytest.mark.parametrize("name", ["np", "vdsr"])
def test_untrained_residual_model_outputs_matlab_bicubic(name: str) -> None:
    lr = np.random.default_rng(1).random((1, 12, 12, 1)).astype("float32")
    model = leuko_keras.build_model(name, scale=2, **({"filters": 8} if name == "np" else {}))
    sr = model.predict(lr, verbose=0)["sr"][0, ..., 0]
    np.testing.assert_allclose(sr, imresize(lr[0, ..., 0], 2.0), atol=1e-5)
