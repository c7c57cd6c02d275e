"""The real-optics family (``--degradation real``): each step deterministic and doing what it says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from leuko_keras.data.degradations import degradation_record, record_from_settings
from leuko_keras.data.degradations import real as family
from leuko_keras.data.degradations.core import apply_degradation, degrade_window
from leuko_keras.data.degradations.pupil import energy_radius, gaussian_kernel, motion_kernel, pupil_psf
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import make_lr
from leuko_keras.runtime.blur_estimate import high_band_ratio, looks_blurred


def _cell(size: int = 96, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    disc = ((yy - 0.5) ** 2 + (xx - 0.45) ** 2) < 0.09
    base = np.where(disc[..., None], [0.45, 0.3, 0.6], [0.85, 0.8, 0.82])
    return np.clip(base + 0.05 * rng.standard_normal((size, size, 3)), 0, 1)


def _fixed(**changes):
    # Every choice of the family pinned, so one step at a time can be compared.
    base = dict(
        p_clean=0.0, na=0.4, defocus_waves=0.0, spherical_waves=0.0, p_gaussian=0.0, p_astigmatism=0.0,
        p_motion=0.0, shift_px=0.0, p_linear=0.0, p_area=1.0, p_bicubic=0.0, p_noise=0.0, wb_gain=1.0,
        tone_gamma=1.0, p_bayer=0.0, p_sharpen=0.0, p_jpeg=0.0,
    )  # fmt: skip
    return degradation_record("real", **{**base, **changes})


def test_same_seed_same_lr_and_another_seed_another_draw():
    hr = _cell(98)
    record = degradation_record("real")
    a, used_a = apply_degradation(hr, 4, record, np.random.default_rng(3))
    b, used_b = apply_degradation(hr, 4, record, np.random.default_rng(3))
    assert a.shape == (24, 24, 3) and np.array_equal(a, b) and used_a == used_b
    draws = [family.draw_real(record, np.random.default_rng(s)) for s in range(200)]
    clean = sum(d["clean"] for d in draws)
    assert 20 <= clean <= 60  # p_clean 0.2 of 200
    kinds = {d["psf"] for d in draws if not d["clean"]}
    assert kinds == {"pupil", "gaussian", "astigmatism", "motion"}
    json.dumps(draws)  # every draw is JSON-ready (it is logged and recorded)


def test_clean_share_is_the_paper_lr_exactly():
    hr = _cell(96)
    lr, used = apply_degradation(hr, 4, degradation_record("real", p_clean=1.0), np.random.default_rng(0))
    assert used["clean"] and np.array_equal(lr, make_lr(hr, 4))


@pytest.mark.parametrize("na", [0.2, 0.5, 0.9])
def test_defocus_grows_the_psf_energy_radius(na):
    radii = [energy_radius(pupil_psf(na, 0.53, 0.08, defocus=d)) for d in (0.0, 0.5, 1.0)]
    assert radii[0] < radii[1] < radii[2]


def test_in_focus_pupil_psf_is_the_airy_disc():
    # |FFT(circular pupil)|^2 is (2 J1(v) / v)^2: the profile of the closed-form Airy PSF, dark ring at
    # r0 = 0.61 lambda / NA (16.8 px here).
    from leuko_keras.data.degradations.optics import airy_psf

    mine, closed = pupil_psf(0.4, 0.55, 0.05), airy_psf(0.4, 0.55, 0.05)
    a = mine[mine.shape[0] // 2, mine.shape[0] // 2 :][:20]
    b = closed[closed.shape[0] // 2, closed.shape[0] // 2 :][:20]
    np.testing.assert_allclose(a / a[0], b / b[0], atol=0.01)
    assert int(np.argmin(a)) in (16, 17)


def test_lower_na_and_longer_wavelength_blur_more():
    assert energy_radius(pupil_psf(0.2, 0.53, 0.08)) > energy_radius(pupil_psf(0.6, 0.53, 0.08))
    red, green, blue = (energy_radius(pupil_psf(0.3, w, 0.08)) for w in family.WAVELENGTHS_UM)
    assert red > green > blue


def test_sub_pixel_shift_moves_the_psf_centroid():
    psf = pupil_psf(0.5, 0.53, 0.08, shift=(0.0, 0.4))
    yy, xx = np.indices(psf.shape)
    centre = (psf.shape[0] - 1) / 2
    assert float((psf * xx).sum()) - centre == pytest.approx(0.4, abs=0.05)
    assert float((psf * yy).sum()) - centre == pytest.approx(0.0, abs=0.05)


def test_astigmatic_and_motion_kernels_are_longer_along_their_angle():
    wide = gaussian_kernel(4.0, 1.0, angle=0.0)
    assert (wide.sum(axis=0) > 0.01).sum() > (wide.sum(axis=1) > 0.01).sum()
    streak = motion_kernel(10.0, np.pi / 2, 0.5)  # vertical motion
    assert (streak.sum(axis=1) > 0.01).sum() > (streak.sum(axis=0) > 0.01).sum()


def test_linear_light_blur_of_an_edge_matches_the_hand_computation():
    # A black/white edge blurred by a two-pixel box: on display values the boundary pixel is the mean
    # of 0 and 1 (0.5); in linear light it is the mean of the linear values, 0.5, encoded back to
    # sRGB: 1.055 * 0.5 ** (1 / 2.4) - 0.055 = 0.7354.
    edge = np.zeros((8, 8))
    edge[:, 4:] = 1.0
    psf = np.zeros((3, 3))
    psf[1, 1:] = 0.5  # a convolution: each pixel becomes the mean of itself and its left neighbour
    display = family.blur_rgb(edge, [psf] * 3, linear=False)
    linear = family.linear_to_srgb(family.blur_rgb(edge, [psf] * 3, linear=True))
    assert display[4, 4] == pytest.approx(0.5)
    assert linear[4, 4] == pytest.approx(1.055 * 0.5 ** (1 / 2.4) - 0.055, abs=1e-9)
    assert abs(display[4, 0]) < 1e-9 and abs(linear[4, 0]) < 1e-6 and display[4, 6] == pytest.approx(1.0)


def test_sampling_kernels_differ_and_area_is_the_block_mean():
    hr = _cell(64)[..., 0]
    area = family.sample(hr, 4, "area")
    assert area[2, 3] == pytest.approx(hr[8:12, 12:16].mean())
    assert family.sample(hr, 4, "bicubic").shape == area.shape == family.sample(hr, 4, "bilinear").shape
    assert not np.allclose(area, family.sample(hr, 4, "bicubic"))
    assert family.sample(hr, 4, "bilinear")[1, 1] == pytest.approx(hr[5:7, 5:7].mean())


def test_noise_and_jpeg_change_a_flat_field_as_documented():
    flat = np.full((128, 128, 3), 0.5)
    quiet, _ = apply_degradation(flat, 4, _fixed(bits=16), np.random.default_rng(0))
    assert np.allclose(quiet, 0.5, atol=1e-4)
    noisy, _ = apply_degradation(
        flat, 4, _fixed(p_noise=1.0, photons_per_level=4.0, read_noise_e=0.0, bits=16), np.random.default_rng(0)
    )
    # Shot noise alone: variance g / k grey levels^2 with g = 127.5 levels, k = 4 e- per level.
    assert float((noisy * 255).var()) == pytest.approx(127.5 / 4, rel=0.15)
    hr = _cell(128)
    plain, _ = apply_degradation(hr, 4, _fixed(), np.random.default_rng(0))
    coded, used = apply_degradation(hr, 4, _fixed(p_jpeg=1.0, jpeg_quality=40), np.random.default_rng(0))
    assert used["jpeg_quality"] == 40
    error = np.abs(coded - plain) * 255
    assert 0.5 < float(error.mean()) < 8.0  # quality 40 changes the image, and only by a few levels


def test_sharpening_raises_contrast_at_edges_and_wb_gain_scales_channels():
    hr = _cell(128)
    plain, _ = apply_degradation(hr, 4, _fixed(bits=16), np.random.default_rng(0))
    sharp, _ = apply_degradation(hr, 4, _fixed(p_sharpen=1.0, sharpen_amount=1.0, bits=16), np.random.default_rng(0))
    assert np.abs(np.diff(sharp, axis=1)).mean() > 1.1 * np.abs(np.diff(plain, axis=1)).mean()
    warm, _ = apply_degradation(hr, 4, _fixed(wb_gain=1.05, bits=16), np.random.default_rng(0))
    assert float(warm.mean()) > float(plain.mean())


def test_a_window_degraded_alone_equals_the_whole_image_there():
    hr = np.random.default_rng(0).random((160, 160, 3))
    record = _fixed(na=0.3, defocus_waves=0.5, bits=16, p_linear=1.0)
    whole, _ = apply_degradation(hr, 4, record, np.random.default_rng(0))
    window, _ = degrade_window(hr, 64, 32, 64, 4, record, np.random.default_rng(0))
    np.testing.assert_allclose(window, whole[16:32, 8:24], atol=1e-4)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["na=0.1:2.0"], "above any objective"),
        (["read_noise_e=-1:5"], "0 or more"),
        (["p_clean=1.5"], "probability"),
        (["p_jpeg=0.2:0.4"], "probability"),
        (["jpeg_quality=30:99"], "1-95"),
        (["na=0.01:0.5"], "grid"),
        (["p_gaussian=0.6", "p_astigmatism=0.6"], "at most 1"),
        (["photons_per_level=0:10"], "positive"),
    ],
)
def test_every_range_is_checked_at_both_ends(settings, message):
    with pytest.raises(LeukoInputError, match=message):
        record_from_settings("real", settings)


def test_other_kinds_check_both_ends_of_a_range_too():
    # One random draw used to decide; now both ends are checked, so these never reach tf.data.
    with pytest.raises(LeukoInputError, match="NA"):
        record_from_settings("microscope", ["na=0.1:2.0"])
    with pytest.raises(LeukoInputError, match="positive"):
        record_from_settings("microscope", ["read_noise_e=-1:5"])


def test_blur_estimate_separates_clean_from_optically_blurred_lr():
    hr = np.stack([_cell(256, seed=s) for s in range(3)])
    for image in hr:
        clean = make_lr(image, 4)
        blurred, _ = apply_degradation(image, 4, _fixed(na=0.25, defocus_waves=0.5), np.random.default_rng(0))
        y_clean, y_blurred = clean.mean(axis=-1), blurred.mean(axis=-1)
        assert high_band_ratio(y_blurred) < high_band_ratio(y_clean)
        assert looks_blurred(y_blurred) and not looks_blurred(y_clean)


def test_fit_with_the_real_family_trains_and_records_every_range(tmp_path):
    from typer.testing import CliRunner

    from leuko_keras.cli import app

    run = tmp_path / "run"
    args = ["fit", "--model", "np-lite", "--setting", "filters=8", "--setting", "blocks=1", "--epochs", "1"]
    args += ["--steps-per-epoch", "2", "--size", "32", "--batch-size", "2", "--synthetic-count", "10"]
    args += ["--no-tensorboard", "--quiet", "--out", str(run), "--degradation", "real"]
    args += ["--degradation-setting", "na=0.2:0.8", "--degradation-setting", "p_jpeg=0.9"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stdout + (result.stderr or "")
    record = json.loads((run / "config.json").read_text())["degradation"]
    assert record["kind"] == "real" and record["na"] == [0.2, 0.8] and record["p_jpeg"] == 0.9
    # Every parameter of the family is recorded, the ones not given at their defaults.
    assert set(record) == {"kind", *family.REAL_DEFAULTS}
    assert record["defocus_waves"] == family.REAL_DEFAULTS["defocus_waves"]
    assert (run / "best.keras").is_file()
