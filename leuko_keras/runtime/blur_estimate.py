"""A cheap look at an LR image: does it look like clean (MATLAB bicubic) LR, or optically blurred?

``predict`` uses it to warn when a model trained on clean LR meets an image that a real objective or a
phone has blurred, where such a model gains almost nothing (docs/robustness.md). NumPy only, so the
device runner can use it too.

The measure is the image's own spectrum: log10 of the mean power at 0.30-0.50 cycles per pixel over the
mean power at 0.08-0.16 (Hann window). Bicubic shrinking keeps real energy up to the LR Nyquist
frequency; a low-NA PSF on camera pixels removes it, and sensor noise at camera levels does not bring
it back. :data:`SHARP_LIMIT` was chosen on the validation splits of the shared CellaVision and Tecom
sets (clean vs ``microscope`` and ``phone`` LR at x4: 111 images, all right) and scores 107 of the 111
test-split images right (1 clean image flagged, 3 degraded ones missed); ``benchmarks/robustness.py
--estimate`` measures it again.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> looks_blurred(rng.random((64, 64)))
False
"""

from __future__ import annotations

import numpy as np

SHARP_LIMIT = -2.4
# The look is taken on the central window of at most this side: a field of 8192 px would otherwise cost a
# full-size complex FFT (1 GB) per image, and the threshold was chosen on cells of 75-300 LR pixels anyway.
WINDOW = 512
_HIGH = (0.30, 0.50)
_MID = (0.08, 0.16)


def high_band_ratio(y: np.ndarray) -> float:
    """log10(power near the Nyquist frequency / power at mid frequencies) of a grey image in [0, 1].

    >>> flat = np.full((32, 32), 0.5)
    >>> high_band_ratio(flat)
    0.0
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or min(y.shape) < 16:
        return 0.0
    h, w = y.shape
    top, left = max(0, (h - WINDOW) // 2), max(0, (w - WINDOW) // 2)
    y = y[top : top + WINDOW, left : left + WINDOW]
    h, w = y.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fft2((y - y.mean()) * window)) ** 2
    radius = np.hypot(np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :])
    high = power[(radius > _HIGH[0]) & (radius <= _HIGH[1])].mean()
    mid = power[(radius > _MID[0]) & (radius <= _MID[1])].mean()
    if mid <= 1e-20:
        return 0.0
    return float(np.log10(max(high, 1e-30) / mid))


def looks_blurred(y: np.ndarray) -> bool:
    """True when the LR luminance has less fine detail than clean bicubic LR of leukocytes shows.

    >>> smooth = 0.5 + 0.2 * np.sin(np.arange(64) / 5.0)[None, :] * np.cos(np.arange(64) / 7.0)[:, None]
    >>> looks_blurred(smooth)
    True
    """
    return high_band_ratio(y) < SHARP_LIMIT
