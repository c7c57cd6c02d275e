"""The in-graph bicubic layer equals the NumPy MATLAB imresize and exports to TFLite builtins only."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import leuko_keras
from leuko_keras.layers import BicubicUpsample
from leuko_keras.layers.bicubic import phase_taps
from leuko_keras.protocol.degrade import make_lr
from leuko_keras.runtime.color import rgb_to_y
from leuko_keras.runtime.imresize import imresize

GREY_TOLERANCE = 1e-3 / 255  # 1e-3 grey levels, in [0, 1] units


def _real_lr(path, scale):
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
    return rgb_to_y(make_lr(rgb, scale))


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_bicubic_layer_equals_numpy_imresize_on_real_images(wbc_dir, scale):
    # tecom sides are not multiples of 4 or 8; cellavision images are sharp with strong edges.
    for path in (wbc_dir / "tecom" / "007.bmp", wbc_dir / "cellavision" / "012.bmp"):
        lr = _real_lr(path, scale)
        expected = imresize(lr, scale)
        got = np.asarray(BicubicUpsample(scale)(lr[None, :, :, None].astype(np.float32)))[0, :, :, 0]
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= GREY_TOLERANCE


def test_bicubic_layer_handles_channels_and_odd_tiny_sizes():
    x = np.random.default_rng(1).random((2, 3, 5, 3))
    got = np.asarray(BicubicUpsample(3)(x.astype(np.float32)))
    for b in range(2):
        assert np.abs(got[b] - imresize(x[b], 3)).max() <= GREY_TOLERANCE


def test_phase_taps_are_partitions_of_unity_and_refuse_bad_scales():
    for scale in (2, 3, 4, 8):
        assert np.allclose(phase_taps(scale).sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        BicubicUpsample(2.5)


def test_bicubic_layer_stays_float32_under_mixed_precision():
    import keras

    lr = np.random.default_rng(2).random((9, 7))
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = BicubicUpsample(4)
        out = layer(lr[None, :, :, None].astype(np.float32))
        model = leuko_keras.build_model("np", scale=4, filters=8)
        outputs = model(lr[None, :, :, None].astype(np.float32))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert out.dtype.name == "float32" and outputs["sr"].dtype.name == "float32"
    assert np.abs(np.asarray(out)[0, :, :, 0] - imresize(lr, 4)).max() <= GREY_TOLERANCE


def test_gp_converts_to_tflite_builtins_only_and_matches_keras():
    """Every op kind of GP (tiny widths, same graph kinds) converts with TFLITE_BUILTINS only: no Flex."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    model = leuko_keras.build_model(
        "gp", scale=4, filters=4, unet_base=2, unet_depth=2, lr_blocks=1, mask_blocks=1, decoder_blocks=1
    )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # conversion fails if Flex is needed
    flat = converter.convert()
    interpreter = Interpreter(
        model_content=flat, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    lr = np.random.default_rng(3).random((1, 8, 12, 1)).astype(np.float32)
    interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], lr.shape)
    interpreter.allocate_tensors()
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert {"MIRROR_PAD", "DEPTH_TO_SPACE", "SOFTMAX", "TRANSPOSE_CONV"} <= ops
    assert not any("FLEX" in op.upper() or op == "CUSTOM" for op in ops)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], lr)
    interpreter.invoke()
    outputs = {tuple(d["shape"])[-1]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}
    expected = model(lr)
    assert np.abs(outputs[1] - np.asarray(expected["sr"])).max() < 1e-4
    assert np.abs(outputs[3] - np.asarray(expected["mask"])).max() < 1e-4
