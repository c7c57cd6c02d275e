"""Degradation models: determinism, and each step changes the image the documented way."""

from __future__ import annotations

import numpy as np
import pytest

from leuko_keras.data.degradations import (
    DEFAULT_RANGES,
    apply_degradation,
    degradation_record,
    degrade,
    degrade_example,
    draw,
    optics,
    parse_settings,
    record_from_settings,
    sensor,
)
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import make_lr


def _cell(size: int = 96, seed: int = 0, texture: float = 0.05) -> np.ndarray:
    # A stained-cell-like scene: a dark disc with texture on a bright background.
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    disc = ((yy - 0.5) ** 2 + (xx - 0.45) ** 2) < 0.09
    base = np.where(disc[..., None], [0.45, 0.3, 0.6], [0.85, 0.8, 0.82])
    return np.clip(base + texture * rng.standard_normal((size, size, 3)), 0, 1)


@pytest.mark.parametrize("kind", ["bicubic", "microscope", "phone"])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_deterministic_for_a_seed_and_lr_size(kind, scale):
    hr = _cell(98)  # not a multiple of 3 or 4: modcropped first
    a = degrade(hr, scale, kind, np.random.default_rng(7))
    b = degrade(hr, scale, kind, np.random.default_rng(7))
    assert a.shape == (98 // scale, 98 // scale, 3)
    assert np.array_equal(a, b)
    assert a.min() >= 0 and a.max() <= 1
    if kind != "bicubic":
        assert not np.array_equal(a, degrade(hr, scale, kind, np.random.default_rng(8)))


def test_bicubic_is_the_paper_protocol_unchanged():
    hr = _cell(64)
    assert np.array_equal(degrade(hr, 4, "bicubic", np.random.default_rng(0)), make_lr(hr, 4))


def test_input_is_not_modified():
    hr = _cell(64)
    before = hr.copy()
    degrade(hr, 4, "phone", np.random.default_rng(0))
    assert np.array_equal(hr, before)


def _point_response(psf: np.ndarray, size: int = 121) -> np.ndarray:
    point = np.zeros((size, size))
    point[size // 2, size // 2] = 1.0
    return optics.blur(point, psf)


@pytest.mark.parametrize(("na", "wavelength", "pixel"), [(0.4, 0.55, 0.1), (0.25, 0.5, 0.08), (0.9, 0.6, 0.05)])
def test_gaussian_psf_blur_of_a_point_has_the_configured_width(na, wavelength, pixel):
    out = _point_response(optics.gaussian_psf(na, wavelength, pixel))
    c = out.shape[0] // 2
    yy, xx = np.mgrid[: out.shape[0], : out.shape[1]] - c
    assert out.sum() == pytest.approx(1.0)
    assert np.unravel_index(out.argmax(), out.shape) == (c, c)  # not shifted
    sigma = 0.21 * wavelength / na / pixel
    assert np.sqrt((out * xx**2).sum()) == pytest.approx(sigma, rel=0.01)
    assert np.sqrt((out * yy**2).sum()) == pytest.approx(sigma, rel=0.01)


@pytest.mark.parametrize(("na", "wavelength", "pixel"), [(0.4, 0.55, 0.1), (0.25, 0.5, 0.08)])
def test_airy_psf_blur_of_a_point_has_its_dark_ring_and_fwhm(na, wavelength, pixel):
    out = _point_response(optics.airy_psf(na, wavelength, pixel), size=161)
    c = out.shape[0] // 2
    profile = out[c, c:]
    r0 = 0.61 * wavelength / na / pixel
    first_minimum = int(np.argmin(profile[: int(1.5 * r0)]))
    assert abs(first_minimum - r0) <= 1.0
    # FWHM of the Airy disc: 0.514 lambda / NA, from a linear interpolation of the profile.
    half = profile[0] / 2
    i = int(np.argmax(profile < half))
    radius = i - 1 + (profile[i - 1] - half) / (profile[i - 1] - profile[i])
    assert 2 * radius == pytest.approx(0.514 * wavelength / na / pixel, rel=0.05)


def test_smaller_na_blurs_more_in_the_lr_image():
    hr = _cell(256, texture=0.0)
    sharp = degrade(hr, 4, "microscope", None, na=0.9, photons_per_level=None, read_noise_e=0)
    blurry = degrade(hr, 4, "microscope", None, na=0.2, photons_per_level=None, read_noise_e=0)
    steepest = lambda im: np.abs(np.diff(im.mean(axis=-1), axis=1)).max()  # noqa: E731 - the disc's edge
    assert steepest(blurry) < 0.5 * steepest(sharp)


def test_user_psf_image(tmp_path):
    from leuko_keras.runtime.imageio import write_image

    psf = np.zeros((5, 5))
    psf[2, 1:4] = 1.0  # a horizontal line: blurs along x only
    path = write_image(tmp_path / "psf.png", psf)
    hr = np.zeros((40, 40))
    hr[20, 20] = 1.0
    lr = degrade(hr, 1, "microscope", None, psf=str(path), photons_per_level=None, read_noise_e=0, bits=16)
    assert lr[20, 19:22] == pytest.approx([1 / 3] * 3, abs=1e-4)
    assert lr[19, 20] == 0 and lr[21, 20] == 0
    with pytest.raises(LeukoInputError, match=r"nope\.png"):
        degradation_record("microscope", psf=str(tmp_path / "nope.png"))
    with pytest.raises(LeukoInputError, match="PSF"):
        optics.read_psf(np.zeros((3, 3)))


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_area_integration_of_a_constant_is_the_constant(scale):
    flat = np.full((8 * scale, 16 * scale, 3), 0.37)
    assert np.allclose(sensor.integrate(flat, scale), 0.37)
    lr = degrade(flat, scale, "microscope", None, photons_per_level=None, read_noise_e=0, bits=16)
    assert lr.shape == (8, 16, 3)
    assert np.allclose(lr, 0.37, atol=1 / 65535)


def test_integration_is_the_block_mean():
    image = np.random.default_rng(0).random((12, 8))
    out = sensor.integrate(image, 4)
    assert out[1, 0] == pytest.approx(image[4:8, 0:4].mean())


@pytest.mark.parametrize(("grey", "gain", "read_e"), [(100, 4.0, 8.0), (200, 4.0, 8.0), (100, 20.0, 3.0)])
def test_noise_variance_follows_the_poisson_gaussian_model_on_a_flat_field(grey, gain, read_e):
    flat = np.full((512, 512, 3), grey / 255)
    lr = degrade(flat, 4, "microscope", np.random.default_rng(1), photons_per_level=gain, read_noise_e=read_e)
    levels = lr * 255
    expected = grey / gain + (read_e / gain) ** 2 + 1 / 12  # shot + read + 8-bit rounding
    assert levels.mean() == pytest.approx(grey, abs=0.1)
    assert levels.var() == pytest.approx(expected, rel=0.05)


def test_noise_off_leaves_a_flat_field_flat():
    lr = degrade(np.full((64, 64), 0.5), 4, "microscope", None, photons_per_level=None, read_noise_e=0)
    assert np.ptp(lr) == 0


def test_quantisation_to_bits():
    lr = degrade(_cell(64), 4, "microscope", np.random.default_rng(0), bits=6)
    assert np.allclose(lr * 63, np.round(lr * 63))
    assert len(np.unique(lr)) <= 64


def test_bayer_mosaic_and_bilinear_demosaic():
    rgb = np.random.default_rng(0).random((8, 10, 3))
    raw = sensor.mosaic(rgb, "RGGB")
    assert raw[0, 0] == rgb[0, 0, 0] and raw[0, 1] == rgb[0, 1, 1] and raw[1, 1] == rgb[1, 1, 2]
    back = sensor.demosaic(raw, "RGGB")
    assert back[0, 0, 0] == rgb[0, 0, 0]  # measured values are kept
    assert back[1, 1, 0] == pytest.approx(np.mean([rgb[y, x, 0] for y in (0, 2) for x in (0, 2)]))
    flat = np.ones((6, 6, 3)) * [0.2, 0.5, 0.8]
    for pattern in ("RGGB", "BGGR", "GRBG", "GBRG"):
        assert np.allclose(sensor.demosaic(sensor.mosaic(flat, pattern), pattern), flat)


def test_jpeg_quality_bounds_hold():
    record = degradation_record("phone", jpeg_quality=[40, 60])
    rng = np.random.default_rng(0)
    drawn = {draw(record, rng)["jpeg_quality"] for _ in range(300)}
    assert drawn == set(range(40, 61))  # every integer in the range, nothing outside
    # The phone output is a JPEG at the drawn quality of the demosaiced, quantised raw image.
    hr = _cell(64)
    quiet = degradation_record("phone", jpeg_quality=[40, 60], photons_per_level=None, read_noise_e=0)
    lr, used = apply_degradation(hr, 2, quiet, np.random.default_rng(3))
    assert 40 <= used["jpeg_quality"] <= 60
    light = sensor.integrate(optics.blur(hr, optics.airy_psf(0.4, 0.55, 0.08)), 2)
    raw = sensor.quantize(sensor.mosaic(light, "RGGB"), 8)
    assert np.array_equal(lr, sensor.jpeg(sensor.demosaic(raw, "RGGB"), used["jpeg_quality"]))
    # Lower quality, larger error (quality is what the range bounds).
    smooth = np.clip(sensor.integrate(hr, 2), 0, 1)
    err = [np.abs(sensor.jpeg(smooth, q) - smooth).mean() for q in (10, 50, 95)]
    assert err[0] > err[1] > err[2]
    with pytest.raises(LeukoInputError, match="jpeg_quality"):
        degradation_record("phone", jpeg_quality=100)


def test_phone_adds_colour_and_block_artefacts_on_top_of_the_microscope():
    hr = _cell(128)
    optics_only = dict(photons_per_level=None, read_noise_e=0)
    micro = degrade(hr, 2, "microscope", None, **optics_only)
    phone = degrade(hr, 2, "phone", None, jpeg_quality=95, **optics_only)
    worse = degrade(hr, 2, "phone", None, jpeg_quality=20, **optics_only)
    assert 0 < np.abs(phone - micro).mean() < np.abs(worse - micro).mean()


def test_grey_input_stays_grey():
    grey = _cell(64).mean(axis=-1)
    for kind in ("bicubic", "microscope", "phone"):
        assert degrade(grey, 4, kind, np.random.default_rng(0)).shape == (16, 16)


def test_records_ranges_and_settings():
    record = record_from_settings("microscope", ["na=0.3:0.5", "psf=gaussian", "photons_per_level=none"])
    assert record["na"] == [0.3, 0.5] and record["psf"] == "gaussian" and record["photons_per_level"] is None
    import json

    assert json.loads(json.dumps(record)) == record  # goes into config.json as is
    ranged = record_from_settings("phone", ["na=0.5"], ranges=True)
    assert ranged["na"] == 0.5 and ranged["jpeg_quality"] == DEFAULT_RANGES["phone"]["jpeg_quality"]
    rng = np.random.default_rng(0)
    nas = [draw(record, rng)["na"] for _ in range(200)]
    assert min(nas) >= 0.3 and max(nas) <= 0.5 and np.ptp(nas) > 0.15
    assert parse_settings(["bits=12"]) == {"bits": 12}
    for bad, message in [
        ({"kind": "fog"}, "unknown"),
        ({"kind": "microscope", "nq": 0.3}, "nq"),
        ({"kind": "microscope", "na": [0.5, 0.3]}, "LOW <= HIGH"),
        ({"kind": "microscope", "na": -1}, "positive"),
        ({"kind": "microscope", "na": 2.0}, "1.6"),
        ({"kind": "phone", "bayer": "RGBG"}, "RGGB"),
        ({"kind": "phone", "jpeg_quality": [70.2, 70.8]}, "no whole number"),
    ]:
        with pytest.raises(LeukoInputError, match=message):
            degradation_record(**bad)
    with pytest.raises(LeukoInputError, match="KEY=VALUE"):
        parse_settings(["na"])


def test_degrade_example_draws_per_image_and_keeps_hr():
    from leuko_keras.data.dataset import make_example

    record = degradation_record("microscope", na=[0.25, 0.65])
    a = make_example("a", _cell(64, 1), np.zeros((64, 64), np.uint8), 4)
    b = make_example("b", _cell(64, 1), np.zeros((64, 64), np.uint8), 4)
    da, db = degrade_example(a, 4, record, seed=0), degrade_example(b, 4, record, seed=0)
    assert np.array_equal(da.hr_y, a.hr_y) and da.labels is a.labels
    assert da.lr_y.shape == a.lr_y.shape and da.lr_rgb.shape == a.lr_rgb.shape
    assert not np.array_equal(da.lr_y, a.lr_y)
    assert not np.array_equal(da.lr_y, db.lr_y)  # same picture, another name: another draw
    assert np.array_equal(degrade_example(a, 4, record, seed=0).lr_y, da.lr_y)
    assert degrade_example(a, 4, degradation_record("bicubic")) is a
