"""Image formation of a widefield objective: incoherent PSF, blur, and camera-pixel area integration.

The HR image stands for the specimen: its own optics (a high-NA objective) are far sharper than the
low-NA objective modelled here, so the low-NA PSF is applied to it directly. Lengths are in HR pixels
once ``pixel_um`` (the HR pixel pitch in the specimen plane) has converted them.

* Airy PSF of a circular pupil, incoherent: I(v) = (2 J1(v) / v)^2, v = 2 pi NA r / lambda; first dark
  ring at r0 = 0.61 lambda / NA, FWHM 0.514 lambda / NA. Cut after the third dark ring (v = 10.17),
  which holds 99 % of the energy, and sampled at HR pixel centres.
* Gaussian approximation (Zhang, Zerubia, Olivo-Marin, Appl. Opt. 46, 2007, paraxial widefield):
  sigma = 0.21 lambda / NA; cut at 4 sigma.
* A user PSF image (grey, sampled at the HR pitch, centred on its middle pixel).

Each PSF is normalised to sum 1, so blur keeps the mean grey level.

>>> psf = gaussian_psf(na=0.4, wavelength_um=0.55, pixel_um=0.1)
>>> psf.shape, round(float(psf.sum()), 6)
((25, 25), 1.0)
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from leuko_keras.errors import LeukoInputError

AIRY_FIRST_ZERO = 0.61  # r0 = 0.61 lambda / NA
AIRY_CUT_V = 10.1735  # third zero of J1: the PSF is cut there
GAUSS_SIGMA = 0.21  # sigma = 0.21 lambda / NA


def bessel_j1(x: np.ndarray) -> np.ndarray:
    """Bessel J1 from its integral (1/2pi) int cos(t - x sin t) dt, by the trapezoid rule over one period.

    On a periodic analytic integrand the trapezoid rule converges geometrically: 128 nodes are exact to
    1e-12 for |x| < 60, far past the PSF's cut. NumPy has no J1 and SciPy is not a dependency.

    >>> round(float(bessel_j1(np.array(1.0))), 6)
    0.440051
    """
    x = np.asarray(x, dtype=np.float64)
    t = np.linspace(0.0, 2.0 * np.pi, 128, endpoint=False)
    return np.cos(t - x[..., None] * np.sin(t)).mean(axis=-1)


def _radius_grid(half: int) -> np.ndarray:
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    return np.hypot(yy, xx)


def airy_psf(na: float, wavelength_um: float, pixel_um: float) -> np.ndarray:
    """Incoherent Airy PSF sampled on the HR grid, odd square, sum 1.

    >>> psf = airy_psf(na=0.4, wavelength_um=0.55, pixel_um=0.1)
    >>> psf.shape, bool(psf[23, 23] == psf.max())
    ((47, 47), True)
    """
    _check_optics(na, wavelength_um, pixel_um)
    # Radius in HR pixels per unit of v.
    per_v = wavelength_um / (2.0 * math.pi * na * pixel_um)
    half = max(1, math.ceil(AIRY_CUT_V * per_v))
    v = _radius_grid(half) / per_v
    with np.errstate(invalid="ignore", divide="ignore"):
        amplitude = np.where(v > 0, 2.0 * bessel_j1(v) / np.where(v > 0, v, 1.0), 1.0)
    psf = np.where(v <= AIRY_CUT_V, amplitude**2, 0.0)
    return psf / psf.sum()


def gaussian_psf(na: float, wavelength_um: float, pixel_um: float) -> np.ndarray:
    """Gaussian approximation of the widefield PSF (sigma = 0.21 lambda / NA), odd square, sum 1.

    >>> round(psf_sigma_px(0.4, 0.55, 0.1), 4)
    2.8875
    """
    _check_optics(na, wavelength_um, pixel_um)
    sigma = psf_sigma_px(na, wavelength_um, pixel_um)
    half = max(1, math.ceil(4.0 * sigma))
    psf = np.exp(-0.5 * (_radius_grid(half) / sigma) ** 2)
    return psf / psf.sum()


def psf_sigma_px(na: float, wavelength_um: float, pixel_um: float) -> float:
    """Standard deviation of the Gaussian PSF in HR pixels."""
    return GAUSS_SIGMA * wavelength_um / na / pixel_um


def airy_radius_px(na: float, wavelength_um: float, pixel_um: float) -> float:
    """Radius of the Airy disc's first dark ring in HR pixels (0.61 lambda / NA)."""
    return AIRY_FIRST_ZERO * wavelength_um / na / pixel_um


def _check_optics(na: float, wavelength_um: float, pixel_um: float) -> None:
    for name, value in (("na", na), ("wavelength_um", wavelength_um), ("pixel_um", pixel_um)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise LeukoInputError(f"degradation setting {name}={value!r}: must be a positive number")
    if na > 1.6:
        raise LeukoInputError(f"degradation setting na={na}: above any objective's NA (1.6); use e.g. na=0.25")


def read_psf(source: str | os.PathLike | np.ndarray) -> np.ndarray:
    """A user PSF (image file or array, grey or RGB taken as its mean), non-negative, normalised to sum 1.

    >>> read_psf(np.ones((3, 3))).sum()
    np.float64(1.0)
    """
    if isinstance(source, np.ndarray):
        psf, name = np.asarray(source, dtype=np.float64), "PSF array"
    else:
        from leuko_keras.runtime.imageio import read_image

        psf, name = read_image(Path(source)).pixels, str(source)
    if psf.ndim == 3:
        psf = psf.mean(axis=-1)
    if psf.ndim != 2 or not np.all(np.isfinite(psf)) or np.any(psf < 0) or psf.sum() <= 0:
        raise LeukoInputError(
            f"{name}: a PSF must be a grey image with non-negative values and some light; "
            "save the measured bead image as a grey PNG"
        )
    return psf / psf.sum()


def blur(image: np.ndarray, psf: np.ndarray) -> np.ndarray:
    """Convolve an (H, W) or (H, W, C) image with ``psf`` (FFT, mirror borders), same size out.

    Mirror (symmetric) borders, MATLAB's rule elsewhere in this package, avoid dark frames at the edge.

    >>> flat = np.full((20, 20), 0.3)
    >>> bool(np.allclose(blur(flat, gaussian_psf(0.5, 0.55, 0.2)), 0.3))
    True
    """
    image = np.asarray(image, dtype=np.float64)
    psf = np.asarray(psf, dtype=np.float64)
    kh, kw = psf.shape
    # Padding (k-1-c before, c after) for centre c = k // 2 lines the PSF's centre up with each pixel;
    # NumPy mirrors again and again when the PSF is larger than the image.
    pads = [(kh - 1 - kh // 2, kh // 2), (kw - 1 - kw // 2, kw // 2)] + [(0, 0)] * (image.ndim - 2)
    padded = np.pad(image, pads, mode="symmetric")
    shape = padded.shape[:2]
    kernel = np.fft.rfft2(psf, s=shape)
    if image.ndim == 3:
        kernel = kernel[..., None]
    full = np.fft.irfft2(np.fft.rfft2(padded, axes=(0, 1)) * kernel, s=shape, axes=(0, 1))
    # Circular wrap-around only reaches the first k-1 rows/columns, which are dropped.
    return full[kh - 1 : kh - 1 + image.shape[0], kw - 1 : kw - 1 + image.shape[1]]
