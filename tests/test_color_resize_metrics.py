"""The numeric core: MATLAB colour conversion, MATLAB imresize, quantisation, PSNR/SSIM, Dice/IoU."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leuko_keras.protocol.degrade import make_lr, modcrop
from leuko_keras.protocol.metrics import dice_iou, psnr, ssim
from leuko_keras.runtime.color import rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from leuko_keras.runtime.imresize import imresize, output_size, quantize

RNG = np.random.default_rng(1234)


# --- colour -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rgb", "expected"),
    [
        ((0, 0, 0), (16.0, 128.0, 128.0)),
        ((255, 255, 255), (235.0, 128.0, 128.0)),
        ((255, 0, 0), (16 + 65.481, 128 - 37.797, 128 + 112.0)),
        ((0, 255, 0), (16 + 128.553, 128 - 74.203, 128 - 93.786)),
        ((0, 0, 255), (16 + 24.966, 128 + 112.0, 128 - 18.214)),
    ],
)
def test_rgb_to_ycbcr_matches_matlab_formula(rgb, expected):
    # MATLAB rgb2ycbcr on uint8 input, in double: offset + M * rgb / 255.
    got = rgb_to_ycbcr(np.array(rgb, dtype=np.float64) / 255.0) * 255.0
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_ycbcr_round_trip_and_y_channel():
    rgb = RNG.random((7, 9, 3))
    ycbcr = rgb_to_ycbcr(rgb)
    np.testing.assert_allclose(ycbcr_to_rgb(ycbcr), rgb, atol=1e-12)
    np.testing.assert_allclose(rgb_to_y(rgb), ycbcr[..., 0], atol=1e-15)
    assert ycbcr[..., 0].min() >= 16 / 255 and ycbcr[..., 0].max() <= 235 / 255


def test_studio_range_differs_from_full_range():
    # The reason not to use tf.image.rgb_to_yuv: full-range Y of white is 1, studio range is 235/255.
    assert rgb_to_y(np.ones(3)) == pytest.approx(235 / 255)


# --- imresize: an independent dense-matrix re-derivation ---------------------------------


def _keys(x: float) -> float:
    x = abs(x)
    if x <= 1:
        return 1.5 * x**3 - 2.5 * x**2 + 1
    if x <= 2:
        return -0.5 * x**3 + 2.5 * x**2 - 4 * x + 2
    return 0.0


def _mirror(i: int, n: int) -> int:
    # 0-based symmetric (edge-repeating) reflection, as MATLAB's padarray 'symmetric'.
    period = 2 * n
    i %= period
    return i if i < n else period - 1 - i


def _dense_matrix(n_in: int, scale: float) -> np.ndarray:
    """Resampling matrix written straight from the algorithm description, loop by loop."""
    n_out = math.ceil(n_in * scale)
    width = 4.0 / scale if scale < 1 else 4.0
    matrix = np.zeros((n_out, n_in))
    for x in range(1, n_out + 1):
        u = x / scale + 0.5 * (1 - 1 / scale)
        left = math.floor(u - width / 2)
        taps = [left + k for k in range(math.ceil(width) + 2)]
        w = np.array([scale * _keys(scale * (u - j)) if scale < 1 else _keys(u - j) for j in taps])
        w /= w.sum()
        for j, weight in zip(taps, w, strict=True):
            matrix[x - 1, _mirror(j - 1, n_in)] += weight
    return matrix


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 1 / 8, 0.37, 2, 3, 4, 8, 1.7])
def test_imresize_equals_dense_matrix(scale):
    image = RNG.random((23, 19))
    expected = _dense_matrix(23, scale) @ image @ _dense_matrix(19, scale).T
    got = imresize(image, scale)
    assert got.shape == expected.shape == output_size(image.shape, scale)
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_imresize_colour_is_per_channel():
    image = RNG.random((16, 12, 3))
    got = imresize(image, 0.5)
    for c in range(3):
        np.testing.assert_allclose(got[..., c], imresize(image[..., c], 0.5), atol=1e-15)


@pytest.mark.parametrize("scale", [0.25, 0.5, 2, 3])
def test_imresize_keeps_constants_and_interior_ramps(scale):
    np.testing.assert_allclose(imresize(np.full((32, 32), 0.3), scale), 0.3, atol=1e-12)
    # Symmetric normalised kernels reproduce a linear ramp away from the borders.
    ramp = np.tile(np.arange(64, dtype=np.float64), (8, 1))
    out = imresize(ramp, scale)
    x = np.arange(1, out.shape[1] + 1)
    u = x / scale + 0.5 * (1 - 1 / scale) - 1  # 0-based source position
    margin = math.ceil(3 * max(scale, 1))  # kernel reach, in output pixels
    inner = slice(margin, out.shape[1] - margin)
    np.testing.assert_allclose(out[0, inner], u[inner], atol=1e-9)


def test_imresize_border_is_symmetric_padding():
    image = RNG.random((24, 24))
    padded = np.pad(image, 8, mode="symmetric")
    np.testing.assert_allclose(imresize(padded, 0.25)[2:-2, 2:-2], imresize(image, 0.25), atol=1e-12)


def test_output_size_is_ceil():
    assert output_size((101, 90), 1 / 4) == (26, 23)
    assert output_size((9, 10), 3) == (27, 30)


# --- quantisation and degradation -----------------------------------------------------------


def test_quantize_rounds_half_away_from_zero_and_saturates():
    values = np.array([0.5, 1.5, 2.5, 3.49, -4.0, 300.0]) / 255.0
    np.testing.assert_allclose(quantize(values) * 255, [1, 2, 3, 3, 0, 255])
    # np.round would give 2 for 2.5 (banker's rounding); MATLAB gives 3.
    assert np.round(2.5) == 2
    assert quantize(np.array([2.5 / 65535]), 65535)[0] * 65535 == pytest.approx(3)


def test_make_lr_modcrops_and_quantises():
    hr = RNG.random((37, 42, 3))
    lr = make_lr(hr, 4)
    assert lr.shape == (9, 10, 3)
    np.testing.assert_allclose(lr * 255, np.rint(lr * 255), atol=1e-9)
    expected = quantize(imresize(modcrop(hr, 4), 0.25))
    np.testing.assert_array_equal(lr, expected)


# --- metrics ----------------------------------------------------------------------------------


def test_psnr_known_values_and_crop():
    hr = RNG.random((20, 20))
    assert psnr(hr + 1 / 255, np.clip(hr, 0, 1 - 1 / 255) + 1 / 255, crop=0) == float("inf")
    base = np.full((20, 20), 0.5)
    assert psnr(base + 1 / 255, base) == pytest.approx(20 * math.log10(255), abs=1e-9)
    noisy = base.copy()
    noisy[:2] = 0.0  # a damaged border, cut by crop=2
    assert psnr(noisy, base, crop=2) == float("inf")
    assert psnr(noisy, base, crop=1) < 20


def test_psnr_clips_sr_to_range():
    hr = np.ones((8, 8))
    assert psnr(np.full((8, 8), 1.7), hr) == float("inf")


def test_ssim_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    hr = RNG.random((40, 36))
    sr = np.clip(hr + RNG.normal(0, 0.05, hr.shape), 0, 1)
    expected = float(
        tf.image.ssim(sr[None, ..., None], hr[None, ..., None], max_val=1.0, filter_size=11, filter_sigma=1.5)[0]
    )
    assert ssim(sr, hr) == pytest.approx(expected, abs=1e-5)
    assert ssim(hr, hr) == pytest.approx(1.0)
    assert ssim(sr, hr, crop=4) != pytest.approx(ssim(sr, hr), abs=1e-6)


def test_dice_iou_by_hand():
    truth = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    pred = np.array([[0, 1, 1, 1], [0, 2, 0, 1]])
    scores = dice_iou(pred, truth)
    # cytoplasm: truth 3 px, pred 4 px, overlap 3 -> dice 6/7, iou 3/4.
    assert scores["cytoplasm"]["dice"] == pytest.approx(6 / 7)
    assert scores["cytoplasm"]["iou"] == pytest.approx(3 / 4)
    assert scores["nucleus"]["dice"] == pytest.approx(2 / 3)
    assert scores["background"]["iou"] == pytest.approx(2 / 4)
    absent = dice_iou(np.zeros((2, 2), int), np.zeros((2, 2), int))
    assert math.isnan(absent["nucleus"]["dice"]) and absent["background"]["dice"] == 1.0
