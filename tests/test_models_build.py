"""Every registered model builds at x4 and x8 with the contract's inputs/outputs; parameter counts."""

from __future__ import annotations

import numpy as np
import pytest

import leuko_keras
from leuko_keras.errors import LeukoInputError
from leuko_keras.models import list_models
from leuko_keras.models.registry import model_scale
from leuko_keras.runtime.imresize import imresize

NAMES = [info.name for info in list_models()]


def test_registry_lists_the_paper_models():
    assert {"gp", "np", "srcnn", "vdsr", "srresnet", "srgan", "sftgan"} <= set(NAMES)
    for info in list_models():
        assert info.works_on in ("LR", "bicubic") and "sr" in info.outputs and info.description


@pytest.mark.parametrize("name", NAMES)
def test_model_builds_at_x4_and_x8_and_maps_lr_to_hr(name):
    lr = np.random.default_rng(0).random((1, 4, 6, 1)).astype(np.float32)
    for scale in (4, 8):
        model = leuko_keras.build_model(name, scale=scale)
        assert model_scale(model) == scale
        outputs = model(np.kron(lr, np.ones((1, 16 // scale, 16 // scale, 1), np.float32)))  # HR 64x96
        assert set(outputs) == set(next(i for i in list_models() if i.name == name).outputs)
        assert tuple(outputs["sr"].shape) == (1, 64, 96, 1) and outputs["sr"].dtype.name == "float32"
        if "mask" in outputs:
            probs = np.asarray(outputs["mask"])
            assert probs.shape == (1, 64, 96, 3) and np.allclose(probs.sum(-1), 1.0, atol=1e-5)


def test_parameter_counts_match_the_papers():
    count = {name: leuko_keras.build_model(name, scale=4).count_params() for name in ("srcnn", "vdsr", "srresnet")}
    assert count["srcnn"] == 57_281
    assert abs(count["vdsr"] - 666_000) / 666_000 < 0.01
    assert abs(count["srresnet"] - 1_550_000) / 1_550_000 < 0.02  # 1.55 M on RGB; Y in and out here


def test_gp_and_np_structure_six_residual_blocks_in_the_sr_branch():
    gp = leuko_keras.build_model("gp", scale=4)
    npm = leuko_keras.build_model("np", scale=4)

    def blocks(model, prefix):
        return {
            layer.name.split("_")[0]
            for layer in model.layers
            if layer.name.endswith("_add") and layer.name.startswith(prefix)
        }

    assert len(blocks(npm, "lrenc") | blocks(npm, "dec")) == 6
    assert len(blocks(gp, "lrenc") | blocks(gp, "dec")) == 6 and len(blocks(gp, "maskenc")) == 3
    assert gp.get_layer("fuse_cat").output.shape[-1] == 192 and npm.get_layer("fuse_cat").output.shape[-1] == 128
    # The U-Net has half the original channels and no batch norm anywhere in GP.
    widths = {layer.filters for layer in gp.layers if layer.name.startswith("prior_") and hasattr(layer, "filters")}
    assert max(widths) == 512 and 32 in widths
    assert not any("batch_normalization" in layer.__class__.__name__.lower() for layer in gp.layers)
    # NP is exactly GP without the prior network and mask encoder.
    prior = sum(layer.count_params() for layer in gp.layers if layer.name.startswith(("prior_", "mask", "maskenc")))
    fuse_extra = 64 * 9 * 64  # the fusion conv sees 64 more input channels in GP
    assert gp.count_params() - prior - fuse_extra == npm.count_params()


@pytest.mark.parametrize("name", ["gp", "srcnn"])
def test_bicubic_input_variant_equals_lr_variant(name):
    lr = np.random.default_rng(4).random((8, 12))
    from_lr = leuko_keras.build_model(name, scale=4)
    from_bicubic = leuko_keras.build_model(name, scale=4, input_kind="bicubic")
    from_bicubic.set_weights(from_lr.get_weights())
    up = imresize(lr, 4)[None, :, :, None].astype(np.float32)
    a = from_lr(lr[None, :, :, None].astype(np.float32))
    b = from_bicubic(up)
    assert from_bicubic.input.name == "bicubic"
    assert np.abs(np.asarray(a["sr"]) - np.asarray(b["sr"])).max() < 1e-5


def test_global_residual_setting_adds_the_bicubic_image():
    lr = np.random.default_rng(5).random((6, 6))
    model = leuko_keras.build_model("np", scale=2, global_residual=True)
    head = model.get_layer("sr_residual")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    sr = np.asarray(model(lr[None, :, :, None].astype(np.float32))["sr"])[0, :, :, 0]
    assert np.abs(sr - imresize(lr, 2)).max() < 1e-6
    plain = leuko_keras.build_model("np", scale=2, global_residual=False)
    assert "sr_residual" not in [layer.name for layer in plain.layers]


def test_bad_names_settings_and_scales_are_user_errors():
    with pytest.raises(LeukoInputError, match="choose one of"):
        leuko_keras.build_model("edsr")
    with pytest.raises(LeukoInputError, match="no setting bogus"):
        leuko_keras.build_model("gp", bogus=1)
    with pytest.raises(LeukoInputError, match="scale 5"):
        leuko_keras.build_model("np", scale=5)
    with pytest.raises(LeukoInputError, match="input_kind"):
        leuko_keras.build_model("vdsr", input_kind="hr")


def test_srresnet_starts_at_bicubic_unless_built_as_published():
    from leuko_keras.layers import BicubicUpsample

    lr = np.random.default_rng(4).random((1, 6, 6, 1)).astype(np.float32)
    skip = leuko_keras.build_model("srresnet", scale=4, blocks=1, filters=8)
    published = leuko_keras.build_model("srresnet", scale=4, blocks=1, filters=8, global_residual=False)
    bicubic = np.asarray(BicubicUpsample(4)(lr))
    assert np.array_equal(np.asarray(skip(lr)["sr"]), bicubic)
    assert np.abs(np.asarray(published(lr)["sr"]) - bicubic).mean() > 0.05
    assert skip.count_params() == published.count_params()
