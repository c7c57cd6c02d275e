"""A GP built with ``unet_depth=5`` (HR sides a multiple of 32, not 16) fits, predicts odd sizes and exports.

The depth is a model setting (``fit --model gp --setting unet_depth=5``); every size rule downstream
(``inference.hr_multiple``, the predict padding, the export's input size) must follow it, not assume 16.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leuko_keras.training import FitConfig, fit

# The real GP graph, shrunk so two steps and an export take seconds; only the U-Net is one level deeper.
SETTINGS = {"filters": 8, "lr_blocks": 1, "mask_blocks": 1, "decoder_blocks": 1, "unet_base": 4, "unet_depth": 5}


@pytest.fixture(scope="module")
def deep_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deep") / "gp_depth5"
    config = FitConfig(
        out=str(out),
        model="gp",
        scale=4,
        size=32,  # the smallest crop a depth-5 U-Net takes at x4 (2**5) that the pipeline allows (8 x scale)
        batch_size=2,
        epochs=1,
        steps_per_epoch=2,
        synthetic_count=10,
        model_settings=SETTINGS,
        precision="fp32",
        tensorboard=False,
        summary=False,
        verbose=0,
    )
    result = fit(config)
    assert result.status == "completed", result
    return out


def test_depth_five_fits_and_predicts_an_odd_size(deep_run: Path) -> None:
    from leuko_keras.models.inference import hr_multiple, super_resolve
    from leuko_keras.runs.model_io import load_model_any

    model, _ = load_model_any(deep_run, compile=False)
    assert hr_multiple(model) == 32
    lr = np.random.default_rng(0).random((37, 53)).astype(np.float32)
    sr, probs = super_resolve(model, lr)
    assert sr.shape == (148, 212) and np.all(np.isfinite(sr))
    assert probs is not None and probs.shape == (148, 212, 3)
    assert np.allclose(probs.sum(axis=-1), 1.0, atol=1e-4)


def test_depth_five_exports_fp32_tflite(deep_run: Path, tmp_path: Path) -> None:
    from leuko_keras.deploy import export_model

    # 64 px HR: divisible by the scale and by the depth-5 U-Net's 32 (48 would be refused).
    result = export_model(deep_run, tmp_path / "export", quantizations=["fp32"], input_size=64, force=True)
    assert not result.failed, result.failed
    assert "model_fp32.tflite" in result.files
    assert (result.out_dir / "model_fp32.tflite").stat().st_size > 0
