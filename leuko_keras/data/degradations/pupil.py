"""PSFs for the real-optics family: a pupil model with defocus and spherical aberration, and kernels
that approximate what a pupil does not cover (anisotropic Gaussian for astigmatism, a line for motion).

The pupil model (Goodman, *Introduction to Fourier Optics*, ch. 6): the coherent transfer function is
the circular pupil of radius NA / lambda in spatial frequency, with the wavefront error
W(rho) = defocus * rho^2 + spherical * rho^4 (Seidel W020 and W040, in waves, rho the normalised pupil
radius); the incoherent PSF is |FFT(pupil)|^2. Defocus of W020 waves spreads a point over a geometric
radius of about 2 W020 lambda / NA, so the grid is sized from that and the Airy radius, and the PSF is
cut where 97 % of its energy lies (the Airy tail beyond is too faint to shape
the LR). Each colour channel gets its own wavelength.

All kernels take a sub-pixel shift (``shift``, HR pixels), odd square, sum 1.

>>> psf = pupil_psf(na=0.5, wavelength_um=0.53, pixel_um=0.08)
>>> psf.shape[0] % 2, round(float(psf.sum()), 6)
(1, 1.0)
"""

from __future__ import annotations

import math

import numpy as np

from leuko_keras.errors import LeukoInputError

ENERGY_KEPT = 0.97
# Beyond this the PSF grid (and the FFT blur) costs more than a training crop is worth: about NA 0.03.
MAX_GRID = 1024


def _grid_size(na: float, wavelength_um: float, pixel_um: float, defocus: float, spherical: float) -> int:
    airy = 0.61 * wavelength_um / na / pixel_um
    # Geometric blur radius: the transverse ray error (1 / NA) dW/drho at the pupil's edge.
    spread = (2.0 * abs(defocus) + 4.0 * abs(spherical)) * wavelength_um / na / pixel_um
    half = 2.5 * airy + 1.2 * spread + 4.0
    size = 2 ** math.ceil(math.log2(2.0 * half))
    if size > MAX_GRID:
        raise LeukoInputError(
            f"degradation setting na={na:g}: its PSF would need a {size}^2 grid at {pixel_um:g} um per pixel; "
            "use na >= 0.05 or a larger pixel_um"
        )
    return max(32, size)


def pupil_psf(
    na: float,
    wavelength_um: float,
    pixel_um: float,
    defocus: float = 0.0,
    spherical: float = 0.0,
    shift: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Incoherent PSF of a circular pupil with defocus and spherical aberration (waves), sum 1.

    >>> sharp = pupil_psf(0.4, 0.55, 0.08)
    >>> blurred = pupil_psf(0.4, 0.55, 0.08, defocus=1.0)
    >>> energy_radius(blurred) > energy_radius(sharp)
    True
    """
    # The pupil (radius NA / lambda in frequency) must fit inside the grid's Nyquist band.
    if pixel_um > wavelength_um / (2.0 * na):
        raise LeukoInputError(
            f"degradation setting na={na:g}: the HR pixel ({pixel_um:g} um) undersamples its PSF; lower na or pixel_um"
        )
    size = _grid_size(na, wavelength_um, pixel_um, defocus, spherical)
    freq = np.fft.fftfreq(size, d=pixel_um)  # cycles per um
    fy, fx = np.meshgrid(freq, freq, indexing="ij")
    rho = np.hypot(fy, fx) / (na / wavelength_um)
    inside = rho <= 1.0
    phase = 2.0 * np.pi * (defocus * rho**2 + spherical * rho**4)
    # A shift of the PSF is a linear phase in the pupil (HR pixels, so fx * pixel_um is cycles per pixel).
    phase = phase - 2.0 * np.pi * (fy * shift[0] + fx * shift[1]) * pixel_um
    pupil = np.where(inside, np.exp(1j * phase), 0.0)
    psf = np.fft.fftshift(np.abs(np.fft.ifft2(pupil)) ** 2)
    return _cut(psf)


def _cut(psf: np.ndarray) -> np.ndarray:
    """The odd square around the centre that holds :data:`ENERGY_KEPT` of the energy, normalised."""
    psf = np.clip(psf, 0.0, None)
    centre = psf.shape[0] // 2
    total = psf.sum()
    radius = 1
    while radius < centre:
        window = psf[centre - radius : centre + radius + 1, centre - radius : centre + radius + 1]
        if window.sum() >= ENERGY_KEPT * total:
            break
        radius = math.ceil(radius * 1.25)
    radius = min(radius, centre - 1) if centre > 1 else radius
    window = psf[centre - radius : centre + radius + 1, centre - radius : centre + radius + 1]
    return window / window.sum()


def gaussian_kernel(
    sigma_major: float, sigma_minor: float, angle: float = 0.0, shift: tuple[float, float] = (0.0, 0.0)
) -> np.ndarray:
    """An anisotropic Gaussian (sigmas in HR pixels, ``angle`` in radians), cut at 4 sigma, sum 1.

    >>> k = gaussian_kernel(3.0, 1.0, 0.0)
    >>> int((k.sum(axis=0) > 0.01).sum()) > int((k.sum(axis=1) > 0.01).sum())  # wide along x
    True
    """
    sigma_major, sigma_minor = max(sigma_major, 0.2), max(sigma_minor, 0.2)
    half = max(1, math.ceil(4.0 * sigma_major + max(abs(shift[0]), abs(shift[1]))))
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    yy, xx = yy - shift[0], xx - shift[1]
    cos, sin = math.cos(angle), math.sin(angle)
    along, across = xx * cos + yy * sin, -xx * sin + yy * cos
    kernel = np.exp(-0.5 * ((along / sigma_major) ** 2 + (across / sigma_minor) ** 2))
    return kernel / kernel.sum()


def motion_kernel(length: float, angle: float, sigma: float, shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """A straight motion of ``length`` HR pixels at ``angle`` over an in-focus Gaussian of ``sigma``, sum 1.

    >>> motion_kernel(8.0, 0.0, 0.5).shape[0] >= 9
    True
    """
    sigma = max(sigma, 0.3)
    half = max(1, math.ceil(length / 2.0 + 4.0 * sigma + max(abs(shift[0]), abs(shift[1]))))
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    kernel = np.zeros_like(yy)
    for t in np.linspace(-0.5, 0.5, max(2, math.ceil(length) * 2 + 1)):
        cy, cx = shift[0] + t * length * math.sin(angle), shift[1] + t * length * math.cos(angle)
        kernel += np.exp(-0.5 * (((yy - cy) ** 2 + (xx - cx) ** 2) / sigma**2))
    return kernel / kernel.sum()


def energy_radius(psf: np.ndarray, fraction: float = 0.8) -> float:
    """Radius (pixels, from the centre) of the disc that holds ``fraction`` of the PSF's energy.

    >>> energy_radius(np.pad(np.ones((1, 1)), 3)) == 0.0
    True
    """
    centre = (np.array(psf.shape) - 1) / 2.0
    yy, xx = np.indices(psf.shape)
    radius = np.hypot(yy - centre[0], xx - centre[1]).ravel()
    order = np.argsort(radius, kind="stable")
    cumulative = np.cumsum(psf.ravel()[order]) / psf.sum()
    return float(radius[order][np.searchsorted(cumulative, fraction - 1e-12)])
