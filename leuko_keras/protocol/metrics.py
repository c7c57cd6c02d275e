"""Literature-comparable image metrics and parsing-map scores (NumPy).

The evaluation protocol (``PROTOCOL``) is printed beside every table:
PSNR and SSIM on the luminance Y (ITU-R BT.601 studio range, as MATLAB
``rgb2ycbcr``), in float (not rounded), ``scale`` pixels cut from every
border, peak 255, computed per image then averaged. SSIM uses an 11x11
Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03 and the valid window
(``tf.image.ssim`` on float Y gives the same). SR outputs are clipped to the
valid range before measuring. Arrays are in [0, 1] (grey level / 255), which
gives the same PSNR and SSIM as peak 255 on [0, 255].

>>> import numpy as np
>>> hr = np.full((32, 32), 0.5)
>>> round(psnr(hr + 1 / 255, hr, crop=4), 2)
48.13
"""

from __future__ import annotations

import numpy as np

CLASS_NAMES = ("background", "cytoplasm", "nucleus")

PROTOCOL = {
    "channel": "Y of YCbCr, ITU-R BT.601 studio range (MATLAB rgb2ycbcr), float, not rounded",
    "border_crop": "scale pixels from every border",
    "peak": 255,
    "averaging": "per image, then mean over images",
    "ssim": "Gaussian 11x11, sigma 1.5, K1 0.01, K2 0.03, valid window",
    "degradation": "modcrop to a multiple of scale; MATLAB-exact bicubic imresize "
    "(antialiased, symmetric borders) in RGB; LR quantised to 8 bits as MATLAB does for uint8",
    "bicubic_baseline": "MATLAB-exact bicubic upscale of the LR luminance, float, clipped",
    "clipping": "SR luminance clipped to [0, 255] before measuring",
}

PROTOCOL_TEXT = (
    "Protocol: PSNR/SSIM on Y (BT.601 studio range, MATLAB rgb2ycbcr), float; "
    "border crop = scale px; peak 255; per image then averaged; SSIM Gaussian 11x11, "
    "sigma 1.5, K1 0.01, K2 0.03, valid window; LR = MATLAB bicubic imresize of the "
    "modcropped HR, quantised to 8 bits; SR clipped to [0, 255]."
)


def shave(image: np.ndarray, crop: int) -> np.ndarray:
    """Cut ``crop`` pixels from every border."""
    return image[crop : image.shape[0] - crop, crop : image.shape[1] - crop] if crop > 0 else image


def _prepare(sr: np.ndarray, hr: np.ndarray, crop: int) -> tuple[np.ndarray, np.ndarray]:
    sr = np.clip(np.asarray(sr, dtype=np.float64), 0.0, 1.0)
    hr = np.asarray(hr, dtype=np.float64)
    if sr.shape != hr.shape:
        raise ValueError(f"SR shape {sr.shape} differs from HR shape {hr.shape}")
    return np.squeeze(shave(sr, crop)), np.squeeze(shave(hr, crop))


def psnr(sr: np.ndarray, hr: np.ndarray, crop: int = 0) -> float:
    """PSNR in dB of ``sr`` against ``hr`` (both Y in [0, 1]) with ``crop`` border pixels cut.

    >>> psnr(np.zeros((8, 8)), np.zeros((8, 8)))
    inf
    """
    sr, hr = _prepare(sr, hr, crop)
    mse = float(np.mean((sr - hr) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(1.0 / mse))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    return g / g.sum()


def _filter_valid(image: np.ndarray, taps: np.ndarray) -> np.ndarray:
    # Separable valid-mode correlation: a sum of shifted slices is much faster
    # than a generic convolution for an 11-tap window.
    n = taps.size
    rows = sum(taps[k] * image[k : image.shape[0] - n + 1 + k] for k in range(n))
    return sum(taps[k] * rows[:, k : rows.shape[1] - n + 1 + k] for k in range(n))


def ssim(sr: np.ndarray, hr: np.ndarray, crop: int = 0) -> float:
    """Mean SSIM (Wang et al. 2004) of ``sr`` against ``hr`` (Y in [0, 1]).

    >>> ssim(np.full((16, 16), 0.3), np.full((16, 16), 0.3))
    1.0
    """
    sr, hr = _prepare(sr, hr, crop)
    if min(sr.shape) < 11:
        raise ValueError(f"SSIM needs at least 11x11 pixels after the border crop, got {sr.shape}")
    taps = _gaussian_window()
    c1, c2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2
    mu_x, mu_y = _filter_valid(sr, taps), _filter_valid(hr, taps)
    sigma_x = _filter_valid(sr * sr, taps) - mu_x**2
    sigma_y = _filter_valid(hr * hr, taps) - mu_y**2
    sigma_xy = _filter_valid(sr * hr, taps) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sigma_x + sigma_y + c2))
    return float(np.mean(ssim_map))


def dice_iou(pred: np.ndarray, truth: np.ndarray, num_classes: int = 3) -> dict[str, dict[str, float]]:
    """Per-class Dice and IoU of two integer label maps.

    A class absent from both maps scores NaN (it says nothing), not 1.

    >>> scores = dice_iou(np.array([[0, 1], [2, 2]]), np.array([[0, 1], [2, 1]]))
    >>> round(scores["nucleus"]["dice"], 3), round(scores["cytoplasm"]["iou"], 3)
    (0.667, 0.5)
    """
    pred = np.asarray(pred)
    truth = np.asarray(truth)
    if pred.shape != truth.shape:
        raise ValueError(f"label map shapes differ: {pred.shape} vs {truth.shape}")
    scores: dict[str, dict[str, float]] = {}
    for index, name in enumerate(CLASS_NAMES[:num_classes]):
        p, t = pred == index, truth == index
        inter = float(np.logical_and(p, t).sum())
        total = float(p.sum() + t.sum())
        union = float(np.logical_or(p, t).sum())
        scores[name] = {
            "dice": 2 * inter / total if total else float("nan"),
            "iou": inter / union if union else float("nan"),
        }
    return scores
