"""The lite models (np-lite, gp-lite), their training recipe, multi-folder data and the cosine schedule."""

from __future__ import annotations

import numpy as np
import pytest

import leuko_keras
from leuko_keras.errors import LeukoInputError
from leuko_keras.layers import BicubicUpsample
from leuko_keras.models.inference import hr_multiple, super_resolve
from leuko_keras.runs.fitconfig import FitConfig
from leuko_keras.training.precision import resolve_precision
from leuko_keras.training.progress import CosineDecay, cosine_rate

TINY = {"filters": 8, "blocks": 2}


@pytest.mark.parametrize("name", ["np-lite", "gp-lite"])
@pytest.mark.parametrize("upsampler", ["shuffle", "direct"])
def test_untrained_lite_model_is_exactly_the_in_graph_bicubic(name, upsampler):
    lr = np.random.default_rng(1).random((1, 12, 16, 1)).astype(np.float32)
    model = leuko_keras.build_model(name, scale=4, upsampler=upsampler, **TINY)
    sr = np.asarray(model(lr)["sr"])
    assert np.array_equal(sr, np.asarray(BicubicUpsample(4)(lr)))


def test_gp_lite_modulation_starts_as_identity_so_it_equals_np_lite_with_the_same_trunk():
    # Zero-initialised gamma/beta: the prior cannot disturb the trunk before it has learned anything.
    lr = np.random.default_rng(2).random((1, 8, 8, 1)).astype(np.float32)
    gp = leuko_keras.build_model("gp-lite", scale=2, **TINY)
    npl = leuko_keras.build_model("np-lite", scale=2, **TINY)
    rng = np.random.default_rng(3)
    for layer in npl.layers:
        if layer.weights:
            weights = [rng.normal(0, 0.1, w.shape).astype(np.float32) for w in layer.get_weights()]
            layer.set_weights(weights)
            gp.get_layer(layer.name).set_weights(weights)
    assert np.abs(np.asarray(npl(lr)["sr"]) - np.asarray(BicubicUpsample(2)(lr))).max() > 1e-3
    np.testing.assert_allclose(np.asarray(gp(lr)["sr"]), np.asarray(npl(lr)["sr"]), atol=1e-6)


def test_sft_blocks_and_concat_change_where_the_map_enters():
    def modulated(model):
        return sorted({layer.name.split("_")[0] for layer in model.layers if layer.name.endswith("_sft_mul")})

    assert modulated(leuko_keras.build_model("gp-lite", scale=4, **TINY)) == ["block0", "block1"]
    assert modulated(leuko_keras.build_model("gp-lite", scale=4, sft_blocks=1, **TINY)) == ["block0"]
    concat = leuko_keras.build_model("gp-lite", scale=4, condition="concat", **TINY)
    assert modulated(concat) == [] and concat.get_layer("head_cat") is not None
    with pytest.raises(LeukoInputError, match="condition"):
        leuko_keras.build_model("gp-lite", scale=4, condition="add")
    with pytest.raises(LeukoInputError, match="upsampler"):
        leuko_keras.build_model("np-lite", scale=4, upsampler="nearest")


def test_upsample_filters_narrow_only_the_upsampler_and_keep_the_bicubic_start():
    wide = leuko_keras.build_model("gp-lite", scale=4, upsample_filters=None, **TINY)
    narrow = leuko_keras.build_model("gp-lite", scale=4, upsample_filters=4, **TINY)
    # Each x2 step makes upsample_filters channels at the next size; the HR head reads them.
    assert narrow.get_layer("up0_conv").output.shape[-1] == 4 * 4
    assert narrow.get_layer("up1_shuffle").output.shape[-1] == 4
    assert wide.get_layer("up1_shuffle").output.shape[-1] == TINY["filters"]
    assert narrow.count_params() < wide.count_params()
    # The registered default is the measured 32 channels, whatever the trunk's width.
    default = leuko_keras.build_model("np-lite", scale=4, **TINY)
    assert default.get_layer("up1_shuffle").output.shape[-1] == 32
    lr = np.random.default_rng(4).random((1, 8, 12, 1)).astype(np.float32)
    assert np.array_equal(np.asarray(narrow(lr)["sr"]), np.asarray(BicubicUpsample(4)(lr)))
    with pytest.raises(LeukoInputError, match="upsample_filters"):
        leuko_keras.build_model("np-lite", scale=4, upsample_filters=0, **TINY)


@pytest.mark.parametrize("scale", [3, 8])
def test_gp_lite_size_multiple_is_at_lr_and_odd_sizes_come_back_whole(scale):
    model = leuko_keras.build_model("gp-lite", scale=scale, **TINY)
    assert hr_multiple(model) == 4 * scale
    sr, probs = super_resolve(model, np.full((7, 9), 0.5, np.float32))
    assert sr.shape == (7 * scale, 9 * scale) and probs.shape == (7 * scale, 9 * scale, 3)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)


def test_unet_depth_sets_the_gp_multiple():
    assert hr_multiple(leuko_keras.build_model("gp", scale=4, unet_base=4, unet_depth=5)) == 32
    assert hr_multiple(leuko_keras.build_model("np", scale=4)) == 1


def test_lite_recipe_applies_unless_a_flag_is_given():
    lite = FitConfig.for_model("gp-lite", out="r", learning_rate=1e-3, size=96)
    assert (lite.learning_rate, lite.size, lite.batch_size, lite.lr_schedule) == (1e-3, 96, 16, "cosine")
    paper = FitConfig.for_model("gp", out="r")
    assert (paper.learning_rate, paper.size, paper.lr_schedule, paper.precision) == (1e-4, 224, "constant", "fp32")
    assert FitConfig.for_model("np-lite", out="r", lr_decay=True).lr_schedule == "step"
    with pytest.raises(LeukoInputError, match="schedule"):
        FitConfig(out="r", schedule="linear").validate()


def test_auto_precision_takes_bf16_on_avx512_bf16_and_amx_only():
    assert resolve_precision("auto", cpu_flags={"avx2", "avx512f"}, gpu_capabilities=[]) == "fp32"
    assert resolve_precision("auto", cpu_flags={"avx512f", "avx512_bf16"}, gpu_capabilities=[]) == "bf16"


def test_cosine_rate_and_its_time_budget():
    assert cosine_rate(1.0, 0, 10) == 1.0 and cosine_rate(1.0, 10, 10) == 0.0 and cosine_rate(1.0, 20, 10) == 0.0
    assert cosine_rate(2.0, 5, 10) == pytest.approx(1.0)
    now = [0.0]
    schedule = CosineDecay(1.0, epochs=100, steps_per_epoch=10, budget_seconds=60.0, clock=lambda: now[0])
    schedule.on_train_begin()
    schedule.on_epoch_begin(0)
    assert schedule.progress(0) == 0.0
    now[0] = 30.0  # half the budget gone after 5 of 1000 steps: time decides
    assert schedule.progress(5) == pytest.approx(0.5)
    schedule.on_epoch_begin(99)  # a resumed run far along in steps: steps decide
    assert schedule.progress(9) == pytest.approx(0.999)
    now[0] = 90.0
    assert schedule.progress(0) == 1.0


def _write_cells(folder, count, size, seed):
    from leuko_keras.synth import write_dataset

    return write_dataset(folder, count=count, size=size, seed=seed)


def test_several_folders_each_split_alone_and_cropped_to_fit(tmp_path):
    from leuko_keras.data.crops import source_crop_size
    from leuko_keras.data.examples import load_examples
    from leuko_keras.data.pipeline import make_dataset

    big = _write_cells(tmp_path / "big", 10, 96, 1)
    small = _write_cells(tmp_path / "small", 10, 40, 2)
    both = load_examples([str(big), str(small)], 4, split="test", need_mask=True)
    alone = load_examples(str(small), 4, split="test", need_mask=True)
    assert [e.name for e in both if e.name.startswith("small/")] == [f"small/{e.name}" for e in alone]
    assert source_crop_size([40, 44], 64, 16) == 32 and source_crop_size([96], 64, 16) == 64
    ds = make_dataset([str(big), str(small)], 4, "train", batch_size=2, size=64, random_crop=True, size_step=16)
    shapes = {tuple(targets["sr"].shape[1:3]) for _, targets in ds.take(12)}
    assert shapes == {(64, 64), (32, 32)}
    for lr, targets in ds.take(3):
        assert lr.shape[1] * 4 == targets["sr"].shape[1] and targets["mask"].shape[-1] == 3


def test_fit_on_two_folders_with_the_lite_recipe_records_both_and_resumes(tmp_path):
    import json

    from typer.testing import CliRunner

    from leuko_keras.cli import app

    big = _write_cells(tmp_path / "big", 10, 64, 1)
    small = _write_cells(tmp_path / "small", 10, 40, 2)
    run = tmp_path / "run"
    tiny = ["--setting", "filters=8", "--setting", "blocks=1", "--setting", "prior_base=4"]
    args = ["fit", "--model", "gp-lite", "--data", str(big), "--data", str(small), "--out", str(run)]
    args += [*tiny, "--epochs", "1", "--steps-per-epoch", "2", "--size", "32", "--batch-size", "2", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--no-tensorboard"])
    assert result.exit_code == 0, result.output
    settings = json.loads((run / "config.json").read_text())["settings"]
    assert settings["data"] == [str(big), str(small)]
    assert (settings["schedule"], settings["learning_rate"], settings["model"]) == ("cosine", 4e-4, "gp-lite")
    more = CliRunner().invoke(app, ["fit", "--resume", "--out", str(run), "--epochs", "2", "--quiet"])
    assert more.exit_code == 0, more.output
    history = (run / "history.csv").read_text().strip().splitlines()
    assert len(history) == 3  # header + two epochs


def test_a_folder_of_images_too_small_for_the_scale_is_one_line_naming_the_file(tmp_path):
    from leuko_keras.data.pipeline import make_dataset

    big = _write_cells(tmp_path / "big", 10, 64, 1)
    tiny = _write_cells(tmp_path / "tiny", 10, 32, 2)
    with pytest.raises(LeukoInputError, match=r"tiny/cell_\d+\.png: 32x32 pixels is too small for x8"):
        make_dataset([str(big), str(tiny)], 8, "train", batch_size=2, size=64, random_crop=True, size_step=32)


def test_map_learned_at_lr_still_comes_out_at_hr_and_an_unknown_place_is_refused():
    model = leuko_keras.build_model("gp-lite", scale=4, map_at="lr")
    out = model.predict(np.zeros((1, 8, 12, 1), np.float32), verbose=0)
    assert out["mask"].shape == (1, 32, 48, 3)
    np.testing.assert_allclose(out["mask"].sum(axis=-1), 1.0, atol=1e-5)
    # One logit per LR pixel: 3 output channels in the map conv, not 3 * 16.
    assert model.get_layer("liteprior_map_conv").filters == 3
    # Training traces the step on crops of unknown size: the head must not need static sizes.
    import tensorflow as tf

    spec = tf.TensorSpec((None, None, None, 1), tf.float32)
    traced = tf.function(lambda lr: model(lr)["mask"], input_signature=[spec])
    assert tuple(traced(np.zeros((2, 8, 8, 1), np.float32)).shape) == (2, 32, 32, 3)
    with pytest.raises(LeukoInputError, match="map_at='mid'"):
        leuko_keras.build_model("gp-lite", scale=4, map_at="mid")


def test_np_lite_trains_on_the_crops_gp_lite_trains_on():
    # Without the family multiple np-lite would crop Tecom's ~100 px cells at 88 px at x8 (gp-lite: 64) and
    # draw them less often, so the pair would differ in data as well as in the prior.
    from types import SimpleNamespace

    from leuko_keras.training.fit import _size_step

    for scale in (4, 8):
        steps = {
            name: _size_step(
                leuko_keras.build_model(name, scale=scale, **TINY), SimpleNamespace(model=name, scale=scale)
            )
            for name in ("np-lite", "gp-lite")
        }
        assert steps == {"np-lite": 4 * scale, "gp-lite": 4 * scale}
    # The paper's models keep their own multiples.
    assert _size_step(leuko_keras.build_model("np", scale=4), SimpleNamespace(model="np", scale=4)) == 4


def _gradient_reaches_prior(model) -> bool:
    import tensorflow as tf

    lr = tf.constant(np.random.default_rng(4).random((1, 8, 8, 1)), tf.float32)
    # Zero-initialised modulation and head would block every path from the image loss into the prior.
    for weight in model.weights:
        if not np.any(weight.numpy()):
            weight.assign(np.full(weight.shape, 0.1, np.float32))
    prior = [w for layer in model.layers if layer.name.startswith("liteprior_down0a") for w in layer.trainable_weights]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(lr)["sr"])
    grads = tape.gradient(loss, prior)
    return any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


def test_prior_trained_by_the_map_alone_gets_no_image_gradient():
    assert _gradient_reaches_prior(leuko_keras.build_model("gp-lite", scale=2, **TINY))
    assert not _gradient_reaches_prior(leuko_keras.build_model("gp-lite", scale=2, prior_grad="map", **TINY))
    with pytest.raises(LeukoInputError, match="prior_grad='none'"):
        leuko_keras.build_model("gp-lite", scale=2, prior_grad="none")


def test_trunk_conditioned_on_the_predicted_map_starts_at_bicubic_and_reads_the_map():
    model = leuko_keras.build_model("gp-lite", scale=4, cond_from="map", **TINY)
    lr = np.random.default_rng(5).random((1, 8, 8, 1)).astype(np.float32)
    assert np.array_equal(np.asarray(model(lr)["sr"]), np.asarray(BicubicUpsample(4)(lr)))
    # A stride-s conv reads the HR map (3 channels) back at LR.
    map_in = model.get_layer("liteprior_map_in")
    assert map_in.strides == (4, 4) and map_in.kernel.shape[2] == 3
    with pytest.raises(LeukoInputError, match="cond_from='image'"):
        leuko_keras.build_model("gp-lite", scale=4, cond_from="image")
