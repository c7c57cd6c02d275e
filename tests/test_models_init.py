"""Untrained global-residual models start exactly at the bicubic baseline."""

from __future__ import annotations

import numpy as np
import pytest

import leuko_keras
from leuko_keras.runtime.imresize import imresize


@pytest.mark.parametrize("name", ["np", "vdsr"])
def test_untrained_residual_model_outputs_matlab_bicubic(name: str) -> None:
    lr = np.random.default_rng(1).random((1, 12, 12, 1)).astype("float32")
    model = leuko_keras.build_model(name, scale=2, **({"filters": 8} if name == "np" else {}))
    sr = model.predict(lr, verbose=0)["sr"][0, ..., 0]
    np.testing.assert_allclose(sr, imresize(lr[0, ..., 0], 2.0), atol=1e-5)


def test_vdsr_signal_survives_its_depth() -> None:
    import keras

    keras.utils.set_random_seed(0)
    model = leuko_keras.build_model("vdsr", scale=2)
    first, last = model.get_layer("conv0").output, model.get_layer("conv18").output
    probe = keras.Model(model.inputs, [first, last])
    lr = np.random.default_rng(2).random((1, 24, 24, 1)).astype("float32")
    a, b = (np.asarray(t) for t in probe.predict(lr, verbose=0))
    # Glorot init (Keras's default) leaves ~1/360 of the first layer's scale after 18 more ReLU layers: no learning.
    ratio = float(np.sqrt(np.mean(b**2)) / np.sqrt(np.mean(a**2)))
    assert 0.1 < ratio < 10, ratio
