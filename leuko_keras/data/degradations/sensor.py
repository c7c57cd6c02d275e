"""The camera side of a degradation: pixel area integration, Poisson-Gaussian noise, ADC, Bayer, JPEG.

Grey levels here are floats in [0, 1] (level / 255 for an 8-bit camera).

* ``integrate``: a camera pixel ``scale`` times coarser than the HR grid collects the light of the
  ``scale x scale`` HR pixels it covers: their mean (a box, not MATLAB's bicubic).
* ``add_noise``: photon shot noise and read noise. With ``photons_per_level`` k electrons per grey
  level (of 255) and ``read_noise_e`` sigma_r electrons rms, a pixel of mean grey level g reads
  (Poisson(k g) + Normal(0, sigma_r)) / k levels: variance g / k + (sigma_r / k)^2 levels^2.
* ``quantize`` to ``bits`` (the ADC; MATLAB rounding, saturation).
* ``mosaic`` / ``demosaic``: an RGGB (or other) Bayer colour filter keeps one channel per pixel; the
  demosaic is bilinear (normalised convolution, so borders need no special case).
* ``jpeg``: Pillow's encoder at a quality (1-95), 4:2:0 chroma subsampling as phone cameras use.

>>> integrate(np.full((8, 8, 3), 0.4), 4).shape
(2, 2, 3)
"""

from __future__ import annotations

import io
import math

import numpy as np

from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.imresize import quantize as _matlab_quantize

BAYER_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")
_CHANNEL = {"R": 0, "G": 1, "B": 2}


def integrate(image: np.ndarray, scale: int) -> np.ndarray:
    """Mean over ``scale x scale`` blocks (the image must be a multiple of ``scale``; modcrop first).

    >>> integrate(np.arange(16.0).reshape(4, 4), 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    image = np.asarray(image, dtype=np.float64)
    h, w = image.shape[:2]
    if h % scale or w % scale:
        raise ValueError(f"image {w}x{h} is not a multiple of the scale {scale}; modcrop it first")
    blocks = image.reshape(h // scale, scale, w // scale, scale, *image.shape[2:])
    return blocks.mean(axis=(1, 3))


def add_noise(
    image: np.ndarray, rng: np.random.Generator, photons_per_level: float | None, read_noise_e: float
) -> np.ndarray:
    """Poisson-Gaussian sensor noise on floats in [0, 1]; ``photons_per_level=None`` turns shot noise off.

    >>> flat = np.full((200, 200), 100 / 255)
    >>> noisy = add_noise(flat, np.random.default_rng(0), photons_per_level=4.0, read_noise_e=8.0)
    >>> round(float((noisy * 255).var()))  # 100 / 4 + (8 / 4) ** 2 = 29
    29
    """
    levels = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0) * 255.0
    gain = photons_per_level if photons_per_level and math.isfinite(photons_per_level) else None
    if gain is not None:
        levels = rng.poisson(levels * gain) / gain
    if read_noise_e:
        # Electrons to grey levels: without a gain, read_noise_e is taken as grey levels directly.
        levels = levels + rng.normal(0.0, read_noise_e / (gain or 1.0), size=levels.shape)
    return levels / 255.0


def quantize(image: np.ndarray, bits: int = 8) -> np.ndarray:
    """The ADC: round half away from zero and saturate to ``bits`` bits, as floats in [0, 1].

    >>> quantize(np.array([-0.1, 0.5, 1.3]), 8)
    array([0.        , 0.50196078, 1.        ])
    """
    return _matlab_quantize(image, 2 ** int(bits) - 1)


def _pattern_channels(pattern: str) -> list[list[int]]:
    if pattern not in BAYER_PATTERNS:
        raise LeukoInputError(f"degradation setting bayer={pattern!r}: use one of {', '.join(BAYER_PATTERNS)}")
    return [[_CHANNEL[pattern[0]], _CHANNEL[pattern[1]]], [_CHANNEL[pattern[2]], _CHANNEL[pattern[3]]]]


def cfa_masks(shape: tuple[int, int], pattern: str = "RGGB") -> np.ndarray:
    """(H, W, 3) booleans: which channel each sensor pixel sees.

    >>> cfa_masks((2, 2))[..., 1].astype(int).tolist()
    [[0, 1], [1, 0]]
    """
    cells = _pattern_channels(pattern)
    h, w = shape
    channel = np.empty((h, w), dtype=np.int64)
    for dy in range(2):
        for dx in range(2):
            channel[dy::2, dx::2] = cells[dy][dx]
    return channel[..., None] == np.arange(3)


def mosaic(rgb: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """The raw sensor image (H, W): each pixel keeps only its filter's channel."""
    masks = cfa_masks(rgb.shape[:2], pattern)
    return (np.asarray(rgb, dtype=np.float64) * masks).sum(axis=-1)


def _conv3(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    padded = np.pad(image, 1)
    h, w = image.shape
    return sum(kernel[dy, dx] * padded[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3))


_BILINEAR = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])


def demosaic(raw: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """Bilinear demosaic of a raw Bayer image back to (H, W, 3).

    Each channel is the weighted mean of the pixels of that colour in the 3x3 neighbourhood (a pixel's
    own value where it saw the channel): normalised convolution, exact on flat colour fields.

    >>> rgb = np.ones((6, 6, 3)) * [0.2, 0.5, 0.8]
    >>> bool(np.allclose(demosaic(mosaic(rgb)), rgb))
    True
    """
    raw = np.asarray(raw, dtype=np.float64)
    masks = cfa_masks(raw.shape, pattern)
    out = np.empty((*raw.shape, 3))
    for c in range(3):
        seen = masks[..., c].astype(np.float64)
        interpolated = _conv3(raw * seen, _BILINEAR) / _conv3(seen, _BILINEAR)
        out[..., c] = np.where(masks[..., c], raw, interpolated)
    return out


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode with Pillow at ``quality`` (1-95), 4:2:0; 8-bit in, floats in [0, 1] out.

    >>> out = jpeg(np.full((16, 16, 3), 0.5), 90)
    >>> out.shape, float(np.abs(out - 0.5).max()) < 0.01
    ((16, 16, 3), True)
    """
    from PIL import Image

    quality = round(float(quality))
    if not 1 <= quality <= 95:
        raise LeukoInputError(f"degradation setting jpeg_quality={quality}: use 1-95 (Pillow's range)")
    pixels = (quantize(rgb, 8) * 255.0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality, subsampling=2)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"), dtype=np.float64) / 255.0
