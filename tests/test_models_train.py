"""Each model trains a few steps on synthetic tensors with its loss going down (tiny widths, eager steps)."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

import leuko_keras
from leuko_keras.runtime.imresize import imresize

# Same graphs as the defaults, narrower and shallower, so a step costs milliseconds.
TINY = {
    "gp": {"filters": 8, "unet_base": 4},
    "np": {"filters": 8},
    "srcnn": {},
    "vdsr": {"depth": 5, "filters": 16},
    # The published form: with its bicubic skip (the default) it starts at bicubic, which on these smooth
    # images leaves too little to learn in six steps for the loss to fall measurably.
    "srresnet": {"blocks": 2, "filters": 16, "global_residual": False},
    "srgan": {"blocks": 1, "d_filters": 8, "content": "charbonnier"},
    "sftgan": {"blocks": 1, "d_filters": 8, "content": "charbonnier", "unet_base": 4},
}
# VDSR starts exactly at bicubic (zero-initialised residual head), where 1e-3 makes its plain conv stack
# overshoot for the first steps; its paper trains with a small rate too.
LEARNING_RATE = {"vdsr": 1e-4}


def synthetic_batch(scale, count=2, hr=32, seed=0):
    """Smooth HR luminance (learnable), its MATLAB LR, and a 3-class map thresholded from it."""
    rng = np.random.default_rng(seed)
    hrs = np.stack([np.clip(imresize(rng.random((4, 4)), hr / 4), 0, 1) for _ in range(count)])
    lrs = np.stack([imresize(h, 1 / scale) for h in hrs])
    labels = np.digitize(hrs, [0.4, 0.6])
    onehot = np.eye(3, dtype=np.float32)[labels]
    return lrs[..., None].astype(np.float32), {"sr": hrs[..., None].astype(np.float32), "mask": onehot}


@pytest.mark.parametrize("name", list(TINY))
def test_model_loss_goes_down_in_a_few_steps(name):
    scale = 4
    keras.utils.set_random_seed(0)  # same initial weights every run: the check must not depend on luck
    x, y = synthetic_batch(scale)
    model = leuko_keras.build_model(name, scale=scale, **TINY[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        leuko_keras.compile_model(model, learning_rate=LEARNING_RATE.get(name, 1e-3))
    model.run_eagerly = True  # graph tracing costs more than these few steps
    outputs = set(model.output.keys()) if hasattr(model, "output") and isinstance(model.output, dict) else {"sr"}
    targets = {key: y[key] for key in ("sr", "mask") if key in outputs or getattr(model, "is_gan", False)}
    history = model.fit(x, targets, epochs=6, batch_size=2, verbose=0, shuffle=False).history
    key = "content_loss" if getattr(model, "is_gan", False) else "loss"
    losses = history[key]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0], f"{name}: {key} went {losses}"


def test_gp_map_loss_and_metrics_are_reported():
    x, y = synthetic_batch(4, seed=1)
    model = leuko_keras.compile_model(leuko_keras.build_model("gp", scale=4, **TINY["gp"]), lambda_map=2.0)
    model.run_eagerly = True
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {"sr_loss", "mask_loss", "sr_psnr_y", "mask_map_dice"} <= set(logs)
    # Total = Charbonnier + lambda * cross-entropy.
    assert logs["loss"] == pytest.approx(logs["sr_loss"] + 2.0 * logs["mask_loss"], rel=1e-4)
    assert 0.0 <= logs["mask_map_dice"] <= 1.0
