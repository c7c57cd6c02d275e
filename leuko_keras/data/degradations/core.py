"""The degradation models, their parameter records, and random draws of the parameters.

Three kinds, each a function of the HR image, the scale, a seeded ``numpy.random.Generator`` and
keyword parameters (every one recorded in the run's ``config.json`` and the export metadata):

* ``bicubic``: the paper's protocol, :func:`leuko_keras.protocol.degrade.make_lr` unchanged (the default).
* ``microscope``: a low-NA widefield objective and a monochrome-per-channel camera: blur by the
  incoherent PSF (``psf="airy"`` or ``"gaussian"`` from ``na`` and ``wavelength_um`` at ``pixel_um``
  per HR pixel, or the path of a PSF image), area integration on camera pixels ``scale`` times
  coarser, Poisson-Gaussian noise (``photons_per_level``, ``read_noise_e``), quantisation to ``bits``.
* ``phone``: the same optics on a phone's Bayer sensor: blur, integration, mosaic (``bayer``), noise
  on the raw pixels, quantisation, bilinear demosaic, then JPEG at ``jpeg_quality`` (4:2:0).

A numeric parameter given as ``[low, high]`` is drawn uniformly per call (integers for ``bits`` and
``jpeg_quality``), so each training crop gets its own objective and camera (:func:`degrade_window`);
:data:`DEFAULT_RANGES` are the ranges ``--degradation-range`` fills in for every parameter the user did not set.

>>> hr = np.full((64, 64, 3), 0.6)
>>> lr = degrade(hr, 4, "phone", np.random.default_rng(0), jpeg_quality=90)
>>> lr.shape
(16, 16, 3)
>>> degradation_record("microscope", na=[0.25, 0.65])["na"]
[0.25, 0.65]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from leuko_keras.data.degradations import optics, real, sensor
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import make_lr, modcrop

KINDS = ("bicubic", "microscope", "phone", "real")

# pixel_um: the shared CellaVision cells are ~146 px across (median of 30 maps) and leukocytes ~12 um,
# so ~0.08 um per HR pixel. At x4 a camera pixel is then 0.32 um in the specimen, what a 20x/0.4
# objective gives on a 6.5 um-pixel camera: the default NA 0.4 is that objective.
_OPTICS = {"psf": "airy", "na": 0.4, "wavelength_um": 0.55, "pixel_um": 0.08}
DEFAULTS: dict[str, dict[str, Any]] = {
    "bicubic": {"bits": 8},
    # A scientific camera: about 20 e- per grey level (a ~5000 e- full well over 255 levels), 3 e- read noise.
    "microscope": {**_OPTICS, "photons_per_level": 20.0, "read_noise_e": 3.0, "bits": 8},
    # A phone sensor behind an eyepiece: small pixels (fewer electrons per level), then the ISP and JPEG.
    "phone": {
        **_OPTICS,
        "photons_per_level": 8.0,
        "read_noise_e": 2.0,
        "bits": 8,
        "bayer": "RGGB",
        "jpeg_quality": [70, 95],
    },
    # The wide family one default model is trained on: its ranges are its defaults (see .real).
    "real": real.REAL_DEFAULTS,
}
DEFAULT_RANGES: dict[str, dict[str, list[float]]] = {
    "bicubic": {},
    # 10x/0.25 to 40x/0.65 objectives; bright to dim illumination.
    "microscope": {"na": [0.25, 0.65], "photons_per_level": [5.0, 50.0], "read_noise_e": [1.0, 6.0]},
    "phone": {
        "na": [0.25, 0.65],
        "photons_per_level": [2.0, 20.0],
        "read_noise_e": [1.0, 4.0],
        "jpeg_quality": [50, 95],
    },
    "real": {},
}
INTEGER_KEYS = ("bits", "jpeg_quality")
TEXT_KEYS = ("psf", "bayer")


def degradation_record(kind: str = "bicubic", **params: Any) -> dict[str, Any]:
    """The validated, JSON-ready record ``{"kind": ..., every parameter}``: defaults filled in.

    >>> degradation_record("bicubic")
    {'kind': 'bicubic', 'bits': 8}
    """
    if kind not in KINDS:
        raise LeukoInputError(f"degradation {kind!r} is unknown; use one of {', '.join(KINDS)}")
    known = DEFAULTS[kind]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise LeukoInputError(
            f"degradation setting {unknown[0]!r} is not one of {kind}'s: {', '.join(known)}; check the spelling"
        )
    record: dict[str, Any] = {"kind": kind}
    for key, default in known.items():
        record[key] = _check_value(key, params.get(key, default))
    if kind == "real":
        real.check_real(record)
        return record
    # Fail now, not at the first image, on impossible values or a missing PSF file: both ends of every range.
    for end in (0, 1):
        draw({k: (v[end] if isinstance(v, list) else v) for k, v in record.items()}, None)
    drawn = draw(record, np.random.default_rng(0))
    if kind != "bicubic" and drawn["psf"] not in ("airy", "gaussian"):
        psf_for(drawn)
    return record


def _check_value(key: str, value: Any) -> Any:
    if key in TEXT_KEYS:
        if not isinstance(value, str) or not value:
            raise LeukoInputError(f"degradation setting {key}={value!r}: must be a name or a path")
        return value
    if isinstance(value, list | tuple):
        if len(value) != 2 or not all(_is_number(v) for v in value) or value[0] > value[1]:
            raise LeukoInputError(f"degradation setting {key}={value!r}: a range is two numbers LOW:HIGH, LOW <= HIGH")
        return [_plain(v) for v in value]
    if value is None and key == "photons_per_level":
        return None
    if not _is_number(value):
        raise LeukoInputError(f"degradation setting {key}={value!r}: must be a number or a range LOW:HIGH")
    return _plain(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value: Any) -> int | float:
    return int(value) if float(value).is_integer() and isinstance(value, int | np.integer) else float(value)


def with_default_ranges(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with :data:`DEFAULT_RANGES` of ``kind`` filled in where the user set nothing.

    >>> with_default_ranges("microscope", {"na": 0.3})["photons_per_level"]
    [5.0, 50.0]
    """
    return {**DEFAULT_RANGES.get(kind, {}), **params}


def draw(record: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Concrete parameters for one image: each ``[low, high]`` drawn uniformly (integers where needed).

    >>> p = draw(degradation_record("phone", jpeg_quality=[60, 70]), np.random.default_rng(1))
    >>> 60 <= p["jpeg_quality"] <= 70, isinstance(p["jpeg_quality"], int)
    (True, True)
    """
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, list):
            low, high = value
            if key in INTEGER_KEYS:
                if math.ceil(low) > math.floor(high):
                    raise LeukoInputError(f"degradation setting {key}={low}:{high}: the range holds no whole number")
                value = int(rng.integers(math.ceil(low), math.floor(high) + 1))
            else:
                value = float(rng.uniform(low, high))
        out[key] = value
    _check_drawn(out)
    return out


def _check_drawn(p: Mapping[str, Any]) -> None:
    if p["kind"] != "bicubic":
        optics._check_optics(p["na"], p["wavelength_um"], p["pixel_um"])
        if p["read_noise_e"] < 0 or (p["photons_per_level"] is not None and p["photons_per_level"] <= 0):
            raise LeukoInputError("degradation settings photons_per_level and read_noise_e: must be positive")
    if not 1 <= p["bits"] <= 16:
        raise LeukoInputError(f"degradation setting bits={p['bits']}: use 1-16")
    if p["kind"] == "phone":
        sensor._pattern_channels(p["bayer"])
        if not 1 <= p["jpeg_quality"] <= 95:
            raise LeukoInputError(f"degradation setting jpeg_quality={p['jpeg_quality']}: use 1-95")


def psf_for(params: Mapping[str, Any]) -> np.ndarray:
    """The PSF image (sum 1) the parameters describe: Airy, Gaussian, or the named file."""
    if params["psf"] == "airy":
        return optics.airy_psf(params["na"], params["wavelength_um"], params["pixel_um"])
    if params["psf"] == "gaussian":
        return optics.gaussian_psf(params["na"], params["wavelength_um"], params["pixel_um"])
    return optics.read_psf(params["psf"])


def apply_degradation(
    hr: np.ndarray, scale: int, record: Mapping[str, Any], rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, Any]]:
    """Degrade ``hr`` (floats in [0, 1], grey or RGB) by ``record``; returns (LR, the parameters drawn).

    >>> lr, used = apply_degradation(np.full((32, 32), 0.5), 4, degradation_record("bicubic"), None)
    >>> lr.shape, used["kind"]
    ((8, 8), 'bicubic')
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    hr = modcrop(np.asarray(hr, dtype=np.float64), scale)
    if record["kind"] == "real":
        return real.degrade_real(hr, scale, record, rng)
    params = draw(record, rng)
    if params["kind"] == "bicubic":
        return make_lr(hr, scale, levels=2 ** params["bits"] - 1), params
    return _camera(optics.blur(hr, psf_for(params)), scale, params, rng), params


def degrade_window(
    hr: np.ndarray, top: int, left: int, size: int, scale: int, record: Mapping[str, Any], rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, Any]]:
    """The LR of the ``size`` x ``size`` window at (``top``, ``left``) of ``hr``, parameters drawn for it alone.

    What the training stream calls per crop: the PSF blurs the window with its real surroundings
    (the PSF's half width of context, mirrored only at the image's own border), so the window's LR
    equals the LR of the whole image there (same parameters, same noise aside). ``top``, ``left``
    and ``size`` are multiples of ``scale``.

    >>> hr = np.random.default_rng(0).random((64, 64, 3))
    >>> lr, used = degrade_window(hr, 16, 32, 32, 4, degradation_record("microscope"), np.random.default_rng(1))
    >>> lr.shape, used["na"]
    ((8, 8, 3), 0.4)
    """
    window = np.asarray(hr[top : top + size, left : left + size], dtype=np.float64)
    if record["kind"] == "real":
        used = real.draw_real(record, rng)
        if used["clean"]:
            return real.clean_lr(window, scale, record), used
        psfs = real.channel_psfs(used)
        margin = real.context_margin(psfs)
        light = real.blur_window(_context(hr, top, left, size, margin), psfs, used["linear"], margin)
        return real.camera(light, scale, used, rng), used
    params = draw(record, rng)
    if params["kind"] == "bicubic":
        return make_lr(window, scale, levels=2 ** params["bits"] - 1), params
    psf = psf_for(params)
    margin = max(psf.shape) // 2
    light = optics.blur(_context(hr, top, left, size, margin), psf)[margin : margin + size, margin : margin + size]
    return _camera(light, scale, params, rng), params


def _context(hr: np.ndarray, top: int, left: int, size: int, margin: int) -> np.ndarray:
    """The window with ``margin`` pixels of its real surroundings, mirrored only past the image's border."""
    height, width = hr.shape[:2]
    y0, y1 = max(0, top - margin), min(height, top + size + margin)
    x0, x1 = max(0, left - margin), min(width, left + size + margin)
    pads = [(y0 - (top - margin), top + size + margin - y1), (x0 - (left - margin), left + size + margin - x1)]
    # Mirrored where the context runs past the image, as blur() mirrors the whole image's border.
    return np.pad(np.asarray(hr[y0:y1, x0:x1], dtype=np.float64), pads + [(0, 0)] * (hr.ndim - 2), "symmetric")


def _camera(blurred: np.ndarray, scale: int, params: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Everything after the optics: area integration, then the microscope's or the phone's sensor."""
    grey = blurred.ndim == 2
    light = sensor.integrate(blurred, scale)
    if params["kind"] == "microscope":
        return sensor.quantize(
            sensor.add_noise(light, rng, params["photons_per_level"], params["read_noise_e"]), params["bits"]
        )
    rgb = np.repeat(light[..., None], 3, axis=-1) if grey else light
    raw = sensor.mosaic(rgb, params["bayer"])
    raw = sensor.quantize(
        sensor.add_noise(raw, rng, params["photons_per_level"], params["read_noise_e"]), params["bits"]
    )
    lr = sensor.jpeg(sensor.demosaic(raw, params["bayer"]), params["jpeg_quality"])
    # A grey source stays grey: its luminance is its own value elsewhere in the package.
    return lr.mean(axis=-1) if grey else lr


def degrade(
    hr_rgb: np.ndarray, scale: int, kind: str = "bicubic", rng: np.random.Generator | None = None, **params: Any
) -> np.ndarray:
    """The LR image of ``hr_rgb`` under degradation ``kind`` (see the module docstring), floats in [0, 1].

    The HR image is modcropped to a multiple of ``scale`` first; the LR is ``scale`` times smaller.
    ``rng`` seeds the noise and the draws (``None``: seed 0).

    >>> degrade(np.full((40, 40, 3), 0.5), 4).shape
    (10, 10, 3)
    """
    return apply_degradation(hr_rgb, scale, degradation_record(kind, **params), rng)[0]


def describe(record: Mapping[str, Any]) -> str:
    """One line for tables and protocols.

    >>> describe(degradation_record("microscope"))
    'microscope: airy PSF, NA 0.4, 0.55 um, HR pixel 0.08 um; box integration; 20 e-/level, read 3 e-; 8 bits'
    """
    if record["kind"] == "bicubic":
        return "bicubic: MATLAB imresize 1/scale, quantised to 8 bits"
    if record["kind"] == "real":
        r = record
        return (
            f"real: {_pct(r['p_clean'])} clean bicubic; else pupil PSF per channel, NA {_fmt(r['na'])}, defocus "
            f"{_fmt(r['defocus_waves'])} waves, spherical {_fmt(r['spherical_waves'])} "
            f"(Gaussian {_pct(r['p_gaussian'])}, "
            f"astigmatic {_pct(r['p_astigmatism'])}, motion {_pct(r['p_motion'])}), shift {_fmt(r['shift_px'])} px, "
            f"HR pixel {_fmt(r['pixel_um'])} um; linear light {_pct(r['p_linear'])}; area {_pct(r['p_area'])} / "
            f"bicubic {_pct(r['p_bicubic'])} / naive bilinear sampling; Bayer {_pct(r['p_bayer'])}; noise "
            f"{_pct(r['p_noise'])} ({_fmt(r['photons_per_level'])} e-/level, read {_fmt(r['read_noise_e'])} e-); "
            f"WB {_fmt(r['wb_gain'])}, tone {_fmt(r['tone_gamma'])}; sharpen {_pct(r['p_sharpen'])}; "
            f"JPEG {_pct(r['p_jpeg'])} (q {_fmt(r['jpeg_quality'])}, 4:2:0); {_fmt(r['bits'])} bits"
        )
    text = (
        f"{record['kind']}: {record['psf']} PSF, NA {_fmt(record['na'])}, {_fmt(record['wavelength_um'])} um, "
        f"HR pixel {_fmt(record['pixel_um'])} um; box integration; "
        f"{_fmt(record['photons_per_level'])} e-/level, read {_fmt(record['read_noise_e'])} e-; "
        f"{_fmt(record['bits'])} bits"
    )
    if record["kind"] == "phone":
        text += f"; Bayer {record['bayer']}, bilinear demosaic; JPEG q {_fmt(record['jpeg_quality'])}"
    return text


def _pct(value: float) -> str:
    return f"{100 * value:g} %"


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return f"{value[0]:g}-{value[1]:g}"
    return "off" if value is None else f"{value:g}"
