"""Losses and Keras metrics agree with their definitions and the NumPy reference metrics."""

from __future__ import annotations

import numpy as np
import pytest

import leuko_keras
from leuko_keras.errors import LeukoInputError
from leuko_keras.models.keras_metrics import PSNRY, MapDice
from leuko_keras.models.losses import (
    Charbonnier,
    PerceptualLoss,
    discriminator_loss,
    generator_adversarial_loss,
)
from leuko_keras.protocol.metrics import dice_iou, psnr


def test_charbonnier_is_the_mean_of_sqrt_x2_plus_eps2():
    rng = np.random.default_rng(0)
    a, b = rng.random((3, 5, 6, 1)), rng.random((3, 5, 6, 1))
    expected = np.mean(np.sqrt((a - b) ** 2 + 1e-6))
    assert float(Charbonnier()(a, b)) == pytest.approx(expected, rel=1e-5)
    assert float(Charbonnier()(a, a)) == pytest.approx(1e-3, rel=1e-4)  # eps = 1e-3
    assert Charbonnier.from_config(Charbonnier(eps=0.01).get_config()).eps == 0.01


def test_psnry_matches_the_reference_psnr_per_image_over_batches():
    rng = np.random.default_rng(1)
    hr = rng.random((5, 20, 20, 1))
    sr = np.clip(hr + rng.normal(0, 0.05, hr.shape), -0.2, 1.2)  # out of range on purpose: PSNRY clips
    metric = PSNRY(crop=4)
    metric.update_state(hr[:2], sr[:2])
    metric.update_state(hr[2:], sr[2:])
    expected = np.mean([psnr(sr[i, ..., 0], hr[i, ..., 0], crop=4) for i in range(5)])
    assert float(metric.result()) == pytest.approx(expected, abs=1e-3)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_map_dice_matches_the_reference_dice():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 3, (2, 16, 16))
    pred = np.where(rng.random(truth.shape) < 0.8, truth, rng.integers(0, 3, truth.shape))
    probs = np.eye(3)[pred] * 0.7 + 0.1
    metric = MapDice()
    metric.update_state(np.eye(3)[truth], probs)
    scores = dice_iou(pred, truth)
    assert float(metric.result()) == pytest.approx(np.mean([s["dice"] for s in scores.values()]), abs=1e-6)


def test_map_dice_ignores_classes_absent_from_both_maps():
    truth = np.zeros((1, 4, 4), int)
    truth[0, :2] = 2
    metric = MapDice()
    metric.update_state(np.eye(3)[truth], np.eye(3)[truth])
    assert float(metric.result()) == pytest.approx(1.0)


def test_perceptual_loss_compares_vgg_features_and_needs_a_real_weights_file(tmp_path):
    rng = np.random.default_rng(3)
    a, b = rng.random((2, 32, 32, 1)), rng.random((2, 32, 32, 1))
    loss = PerceptualLoss(weights_path=None, layer="block2_conv2")  # shallow layer: random features still vary
    assert float(loss(a, a)) == 0.0
    assert float(loss(a, b)) > 0.0
    with pytest.raises(LeukoInputError, match=r"vgg19_missing\.h5"):
        PerceptualLoss(weights_path=tmp_path / "vgg19_missing.h5")


def test_adversarial_losses_reward_the_right_side():
    high, low = np.full((4, 1), 5.0), np.full((4, 1), -5.0)
    assert float(generator_adversarial_loss(high)) < float(generator_adversarial_loss(low))
    assert float(discriminator_loss(high, low)) < float(discriminator_loss(low, high))


def test_compile_model_keys_losses_and_metrics_by_output_name():
    gp = leuko_keras.compile_model(leuko_keras.build_model("gp", scale=8, filters=8, unet_base=4), lambda_map=0.5)
    config = gp._compile_config.config
    assert isinstance(config["loss"]["sr"], Charbonnier) and config["loss"]["mask"].name == "map_ce"
    assert config["loss_weights"] == {"sr": 1.0, "mask": 0.5}
    assert config["metrics"]["sr"][0].crop == 8  # border crop = scale
    assert isinstance(config["metrics"]["mask"][0], MapDice)
    npm = leuko_keras.compile_model(leuko_keras.build_model("np", scale=4, filters=8))
    assert set(npm._compile_config.config["loss"]) == {"sr"}
