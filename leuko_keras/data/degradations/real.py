"""The real-optics family (``--degradation real``): every training crop gets its own objective, camera and phone.

One model has to cover the microscopes and phones labs have, and clean (MATLAB bicubic) LR too, so the
family is wide and mixed rather than one specialist's ranges. Per crop, from one seeded generator:

1. with probability ``p_clean``: the paper's bicubic LR, nothing else (so sharp input is not lost);
2. a PSF, per colour channel at its own wavelength: the pupil model (NA, defocus, spherical
   aberration; :mod:`.pupil`), or with ``p_gaussian`` its Gaussian approximation, with ``p_astigmatism``
   an anisotropic Gaussian, with ``p_motion`` a motion line; all with a sub-pixel shift (``shift_px``);
3. blur in linear light (sRGB decoded first) with ``p_linear``, else on the display values;
4. sampling on camera pixels ``scale`` times coarser: box integration (``p_area``), MATLAB bicubic
   (``p_bicubic``), or naive bilinear decimation (the rest: no anti-aliasing, as cheap ISPs resample);
5. with ``p_bayer`` an RGGB mosaic; with ``p_noise`` Poisson-Gaussian noise (``photons_per_level``
   drawn log-uniform, ``read_noise_e``); white-balance gains (``wb_gain``); quantisation to ``bits``;
   bilinear demosaic; the camera's tone curve (sRGB encode in linear light, then the power ``tone_gamma``);
6. with ``p_sharpen`` an unsharp mask (``sharpen_amount``, 1 LR pixel); with ``p_jpeg`` JPEG at
   ``jpeg_quality`` with 4:2:0 chroma; 8-bit output.

What came from whom (docs/degradations.md): the random order-free mix of blur, resize kernel, noise
and JPEG, with a share of clean input, from BSRGAN (Zhang et al., ICCV 2021) and Real-ESRGAN (Wang et
al., ICCVW 2021; its second pass is not used: one pass already spans the lab optics here); the physical
chain (pupil PSF per wavelength, camera integration, Poisson-Gaussian noise in linear light) from the
microscopy SR literature, where DFCAN/BioSR (Qiao et al., Nat. Methods 2021) and CARE (Weigert et al.,
Nat. Methods 2018) train on physically simulated or acquired low-NA, noisy data.

>>> import numpy as np
>>> record = real_record()
>>> lr, used = degrade_real(np.full((64, 64, 3), 0.5), 4, record, np.random.default_rng(0))
>>> lr.shape, used["kind"]
((16, 16, 3), 'real')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from leuko_keras.data.degradations import optics, pupil, sensor
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import make_lr

# Red, green, blue centre wavelengths of a camera's filters under a halogen or LED lamp.
WAVELENGTHS_UM = (0.61, 0.53, 0.46)

REAL_DEFAULTS: dict[str, Any] = {
    "p_clean": 0.2,
    "na": [0.1, 0.9],
    "defocus_waves": [0.0, 1.0],
    "spherical_waves": [0.0, 0.3],
    "p_gaussian": 0.15,
    "p_astigmatism": 0.1,
    "p_motion": 0.05,
    "shift_px": [-0.5, 0.5],
    "p_linear": 0.5,
    "p_area": 0.5,
    "p_bicubic": 0.3,
    "p_noise": 0.8,
    "photons_per_level": [1.0, 60.0],
    "read_noise_e": [0.0, 6.0],
    "wb_gain": [0.95, 1.05],
    "tone_gamma": [0.9, 1.1],
    "p_bayer": 0.3,
    "p_sharpen": 0.25,
    "sharpen_amount": [0.2, 1.0],
    "p_jpeg": 0.5,
    "jpeg_quality": [40, 95],
    "pixel_um": 0.08,
    "bits": 8,
}
PROBABILITIES = tuple(key for key in REAL_DEFAULTS if key.startswith("p_"))
# Settings that must stay positive at both ends of their range; the rest may touch zero.
POSITIVE = ("na", "photons_per_level", "pixel_um", "wb_gain", "tone_gamma")


def real_record(**params: Any) -> dict[str, Any]:
    """The family's record (defaults filled in); core.degradation_record validates it.

    >>> real_record(p_clean=0.5)["p_clean"]
    0.5
    """
    return {"kind": "real", **REAL_DEFAULTS, **params}


def check_real(record: Mapping[str, Any]) -> None:
    """Refuse, in one line, a record any of whose draws could be impossible (both ends of every range).

    >>> try:
    ...     check_real(real_record(na=[0.1, 2.0]))
    ... except LeukoInputError as error:
    ...     print(str(error)[:51])
    degradation setting na=0.1:2: above any objective's
    """
    for key in PROBABILITIES:
        value = record[key]
        if isinstance(value, list) or not 0.0 <= value <= 1.0:
            raise LeukoInputError(f"degradation setting {key}={value!r}: a probability is one number in 0-1")
    if record["p_gaussian"] + record["p_astigmatism"] + record["p_motion"] > 1.0:
        raise LeukoInputError("degradation settings p_gaussian + p_astigmatism + p_motion: must add up to at most 1")
    if record["p_area"] + record["p_bicubic"] > 1.0:
        raise LeukoInputError("degradation settings p_area + p_bicubic: must add up to at most 1")
    low, high = _ends(record, "na")
    if high > 1.6:
        raise LeukoInputError(
            f"degradation setting na={_text(record['na'])}: above any objective's NA (1.6); use e.g. na=0.1:0.9"
        )
    for key in POSITIVE:
        if _ends(record, key)[0] <= 0:
            raise LeukoInputError(f"degradation setting {key}={_text(record[key])}: must be positive")
    for key in ("defocus_waves", "spherical_waves", "read_noise_e", "sharpen_amount"):
        if _ends(record, key)[0] < 0:
            raise LeukoInputError(f"degradation setting {key}={_text(record[key])}: must be 0 or more")
    quality = _ends(record, "jpeg_quality")
    if not 1 <= quality[0] <= quality[1] <= 95 or math.ceil(quality[0]) > math.floor(quality[1]):
        raise LeukoInputError(
            f"degradation setting jpeg_quality={_text(record['jpeg_quality'])}: use whole numbers 1-95"
        )
    if not 1 <= _ends(record, "bits")[0] <= _ends(record, "bits")[1] <= 16:
        raise LeukoInputError(f"degradation setting bits={_text(record['bits'])}: use 1-16")
    # The largest PSF the ranges allow must fit the grid (a too-low NA is refused here, not inside tf.data).
    pupil._grid_size(low, max(WAVELENGTHS_UM), _ends(record, "pixel_um")[0], *_spread_ends(record))
    if _ends(record, "pixel_um")[1] > min(WAVELENGTHS_UM) / (2.0 * high):
        raise LeukoInputError(
            f"degradation setting pixel_um={_text(record['pixel_um'])}: too coarse for na up to {high:g}; "
            "lower pixel_um"
        )


def _spread_ends(record: Mapping[str, Any]) -> tuple[float, float]:
    return _ends(record, "defocus_waves")[1], _ends(record, "spherical_waves")[1]


def _ends(record: Mapping[str, Any], key: str) -> tuple[float, float]:
    value = record[key]
    return (float(value[0]), float(value[1])) if isinstance(value, list) else (float(value), float(value))


def _text(value: Any) -> str:
    return f"{value[0]:g}:{value[1]:g}" if isinstance(value, list) else f"{value:g}"


def _uniform(rng: np.random.Generator, value: Any) -> float:
    return float(rng.uniform(value[0], value[1])) if isinstance(value, list) else float(value)


def draw_real(record: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One crop's concrete chain: every choice and number, JSON-ready (what ``apply`` uses and logs).

    >>> used = draw_real(real_record(p_clean=0.0), np.random.default_rng(3))
    >>> used["clean"], 0.1 <= used["na"] <= 0.9
    (False, True)
    """
    used: dict[str, Any] = {"kind": "real", "clean": bool(rng.random() < record["p_clean"])}
    if used["clean"]:
        return used
    choice = rng.random()
    cuts = np.cumsum([record["p_gaussian"], record["p_astigmatism"], record["p_motion"]])
    used["psf"] = ("gaussian", "astigmatism", "motion", "pupil")[int(np.searchsorted(cuts, choice, side="right"))]
    used["na"] = _uniform(rng, record["na"])
    used["defocus_waves"] = _uniform(rng, record["defocus_waves"])
    used["spherical_waves"] = _uniform(rng, record["spherical_waves"])
    used["shift_px"] = [_uniform(rng, record["shift_px"]), _uniform(rng, record["shift_px"])]
    used["anisotropy"] = float(rng.uniform(1.5, 3.0))
    used["angle"] = float(rng.uniform(0.0, math.pi))
    used["motion_px"] = float(rng.uniform(2.0, 10.0))
    used["linear"] = bool(rng.random() < record["p_linear"])
    sampling = rng.random()
    used["sampling"] = "area" if sampling < record["p_area"] else (
        "bicubic" if sampling < record["p_area"] + record["p_bicubic"] else "bilinear"
    )  # fmt: skip
    used["bayer"] = bool(rng.random() < record["p_bayer"])
    noisy = rng.random() < record["p_noise"]
    photons = record["photons_per_level"]
    low, high = photons if isinstance(photons, list) else [photons, photons]
    used["photons_per_level"] = float(math.exp(rng.uniform(math.log(low), math.log(high)))) if noisy else None
    used["read_noise_e"] = _uniform(rng, record["read_noise_e"]) if noisy else 0.0
    used["wb_gain"] = [_uniform(rng, record["wb_gain"]) for _ in range(3)]
    used["tone_gamma"] = _uniform(rng, record["tone_gamma"])
    used["sharpen"] = _uniform(rng, record["sharpen_amount"]) if rng.random() < record["p_sharpen"] else 0.0
    quality = record["jpeg_quality"]
    if rng.random() < record["p_jpeg"]:
        lo, hi = quality if isinstance(quality, list) else [quality, quality]
        used["jpeg_quality"] = int(rng.integers(math.ceil(lo), math.floor(hi) + 1))
    else:
        used["jpeg_quality"] = None
    used["pixel_um"] = _uniform(rng, record["pixel_um"])
    used["bits"] = round(_uniform(rng, record["bits"]))
    return used


def channel_psfs(used: Mapping[str, Any]) -> list[np.ndarray]:
    """The R, G, B PSFs of one drawn chain (each at its own wavelength).

    >>> used = draw_real(real_record(p_clean=0.0), np.random.default_rng(3))
    >>> len(channel_psfs(used))
    3
    """
    shift = tuple(used["shift_px"])
    psfs = []
    for wavelength in WAVELENGTHS_UM:
        sigma = optics.psf_sigma_px(used["na"], wavelength, used["pixel_um"])
        if used["psf"] == "pupil":
            psfs.append(
                pupil.pupil_psf(
                    used["na"], wavelength, used["pixel_um"], used["defocus_waves"], used["spherical_waves"], shift
                )
            )
        elif used["psf"] == "gaussian":
            # Defocus widens the Gaussian as the geometric blur adds in quadrature.
            spread = used["defocus_waves"] * wavelength / used["na"] / used["pixel_um"]
            wide = math.hypot(sigma, spread)
            psfs.append(pupil.gaussian_kernel(wide, wide, 0.0, shift))
        elif used["psf"] == "astigmatism":
            psfs.append(pupil.gaussian_kernel(sigma * used["anisotropy"], sigma, used["angle"], shift))
        else:
            psfs.append(pupil.motion_kernel(used["motion_px"], used["angle"], sigma, shift))
    return psfs


def context_margin(psfs: list[np.ndarray]) -> int:
    """HR pixels of real surroundings a window needs so its blur equals the whole image's there."""
    return max(max(p.shape) for p in psfs) // 2


def degrade_real(
    hr: np.ndarray, scale: int, record: Mapping[str, Any], rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, Any]]:
    """The LR of a whole modcropped HR image (grey or RGB, floats in [0, 1]) under one draw of the family."""
    used = draw_real(record, rng)
    if used["clean"]:
        return clean_lr(hr, scale, record), used
    psfs = channel_psfs(used)
    return camera(blur_rgb(hr, psfs, used["linear"]), scale, used, rng), used


def clean_lr(hr: np.ndarray, scale: int, record: Mapping[str, Any]) -> np.ndarray:
    """The paper's LR (MATLAB bicubic, quantised): the family's share of sharp input."""
    return make_lr(hr, scale, levels=2 ** int(_ends(record, "bits")[0]) - 1)


def blur_rgb(hr: np.ndarray, psfs: list[np.ndarray], linear: bool) -> np.ndarray:
    """Each channel by its own PSF (a grey image by the green one), in linear light when ``linear``.

    >>> flat = np.full((16, 16, 3), 0.4)
    >>> bool(np.allclose(blur_rgb(flat, [np.ones((3, 3)) / 9] * 3, True), srgb_to_linear(0.4)))
    True
    """
    hr = np.asarray(hr, dtype=np.float64)
    light = srgb_to_linear(hr) if linear else hr
    # The display encoding comes back in the camera (its tone curve), after the noise.
    if hr.ndim == 2:
        return optics.blur(light, psfs[1])
    return np.stack([optics.blur(light[..., c], psfs[c]) for c in range(3)], axis=-1)


def blur_window(context: np.ndarray, psfs: list[np.ndarray], linear: bool, margin: int) -> np.ndarray:
    """The blur of a window given with ``margin`` pixels of real context: the window alone comes back.

    Equal to :func:`blur_rgb` of the whole image cut to the window, at a fraction of the cost: the FFT
    spans the context only (no mirror padding), and circular wrap-around cannot reach the window because
    every PSF is at most ``2 * margin + 1`` wide.

    >>> ctx = np.random.default_rng(0).random((40, 40, 3))
    >>> psfs = [np.ones((5, 5)) / 25] * 3
    >>> bool(np.allclose(blur_window(ctx, psfs, False, 8), blur_rgb(ctx, psfs, False)[8:32, 8:32]))
    True
    """
    light = srgb_to_linear(context) if linear else np.asarray(context, dtype=np.float64)
    grey = light.ndim == 2
    planes = light[..., None] if grey else light
    kernels = [psfs[1]] if grey else psfs
    height, width = planes.shape[:2]
    shape = (_smooth(height), _smooth(width))
    spectrum = np.fft.rfft2(planes, s=shape, axes=(0, 1))
    out = np.empty((height - 2 * margin, width - 2 * margin, planes.shape[-1]))
    for c, psf in enumerate(kernels):
        kh, kw = psf.shape
        # The kernel's centre at the origin, so output pixel i is the sum around input pixel i.
        full = np.fft.irfft2(spectrum[..., c] * np.fft.rfft2(psf, s=shape), s=shape)
        full = np.roll(full, (-(kh // 2), -(kw // 2)), axis=(0, 1))
        out[..., c] = full[margin : height - margin, margin : width - margin]
    return out[..., 0] if grey else out


def _smooth(n: int) -> int:
    """The next size >= n whose only prime factors are 2, 3 and 5 (fast for NumPy's FFT)."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def camera(light: np.ndarray, scale: int, used: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Sampling, sensor, ISP and codec of one drawn chain; grey in, grey out."""
    grey = light.ndim == 2
    rgb = np.repeat(light[..., None], 3, axis=-1) if grey else light
    rgb = sample(rgb, scale, used["sampling"])
    if used["bayer"]:
        rgb = sensor.mosaic(rgb, "RGGB")
    rgb = sensor.add_noise(rgb, rng, used["photons_per_level"], used["read_noise_e"])
    if used["bayer"]:
        rgb = sensor.demosaic(sensor.quantize(rgb, used["bits"]), "RGGB")
    rgb = np.clip(rgb * np.asarray(used["wb_gain"]), 0.0, 1.0)
    if used["linear"]:
        rgb = linear_to_srgb(rgb)
    rgb = np.clip(rgb, 0.0, 1.0) ** used["tone_gamma"]
    if used["sharpen"]:
        rgb = unsharp(rgb, used["sharpen"])
    rgb = sensor.quantize(rgb, used["bits"])
    if used["jpeg_quality"] is not None:
        rgb = sensor.jpeg(rgb, used["jpeg_quality"])
    return rgb.mean(axis=-1) if grey else rgb


def sample(image: np.ndarray, scale: int, how: str) -> np.ndarray:
    """Camera pixels ``scale`` times coarser: ``area`` (box mean), ``bicubic`` (MATLAB), ``bilinear`` (naive).

    >>> ramp = np.arange(64.0).reshape(8, 8)
    >>> sample(ramp, 4, "area").tolist() == sample(ramp, 4, "bilinear").tolist()
    True
    """
    if how == "area":
        return sensor.integrate(image, scale)
    if how == "bicubic":
        from leuko_keras.runtime.imresize import imresize

        return imresize(image, 1.0 / scale)
    # Bilinear at each block's centre with no prefilter: the 2x2 pixels around it (aliases, as cheap ISPs do).
    lo = (scale - 1) // 2
    hi = scale // 2
    h, w = image.shape[0] // scale * scale, image.shape[1] // scale * scale
    rows = [image[lo:h:scale], image[hi:h:scale]]
    quads = [r[:, lo:w:scale] for r in rows] + [r[:, hi:w:scale] for r in rows]
    return sum(quads) / 4.0


def unsharp(rgb: np.ndarray, amount: float) -> np.ndarray:
    """Phone-style sharpening: ``rgb + amount * (rgb - gaussian(rgb, 1 px))``."""
    blurred = np.stack(
        [optics.blur(rgb[..., c], pupil.gaussian_kernel(1.0, 1.0)) for c in range(rgb.shape[-1])], axis=-1
    )
    return rgb + amount * (rgb - blurred)


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """The sRGB decoding (IEC 61966-2-1): display values to linear light.

    >>> float(srgb_to_linear(np.array(0.5)).round(4))
    0.214
    """
    values = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """The sRGB encoding, inverse of :func:`srgb_to_linear`.

    >>> float(linear_to_srgb(srgb_to_linear(np.array(0.7))).round(6))
    0.7
    """
    values = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    return np.where(values <= 0.0031308, values * 12.92, 1.055 * values ** (1 / 2.4) - 0.055)
