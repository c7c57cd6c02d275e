"""Paired bootstrap confidence intervals for PSNR gains.

Two models scored on the same images give paired per-image PSNRs; the gain is
the mean of the per-image differences. Resampling images (not pixels) with
replacement and taking the 2.5 and 97.5 percentiles of the resampled means
gives a 95 % interval that respects the pairing: an image that is hard for
both models does not widen it. The paper reports point values only.

>>> ci = paired_bootstrap([30.0, 31.0, 32.0], [29.0, 30.0, 31.0])
>>> ci.mean, ci.low, ci.high
(1.0, 1.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class GainCI:
    """Mean paired difference ``a - b`` with its bootstrap interval."""

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    def as_dict(self) -> dict[str, float]:
        """Plain dict for JSON."""
        return asdict(self)

    def text(self, digits: int = 2) -> str:
        """``+0.41 [+0.22, +0.60]``: the form tables print.

        >>> GainCI(0.4, 0.2, 0.6, 10).text()
        '+0.40 [+0.20, +0.60]'
        """
        return f"{self.mean:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    n_resamples: int = 10000,
    confidence: float = 0.95,
    seed: int = 0,
) -> GainCI:
    """Percentile bootstrap interval of ``mean(a - b)`` over paired samples.

    Non-finite differences (a perfect reconstruction has infinite PSNR) are
    dropped, since they would make every resampled mean infinite.

    >>> ci = paired_bootstrap([1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0], seed=1)
    >>> ci.low <= 2.5 <= ci.high
    True
    """
    a_arr = np.asarray(a, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    if a_arr.shape != b_arr.shape or a_arr.ndim != 1:
        raise ValueError(f"paired samples must be two 1-D arrays of equal length, got {a_arr.shape} and {b_arr.shape}")
    diff = a_arr - b_arr
    diff = diff[np.isfinite(diff)]
    if diff.size == 0:
        nan = float("nan")
        return GainCI(nan, nan, nan, 0, confidence)
    rng = np.random.default_rng(seed)
    # Resample in chunks so 10 000 x thousands of images stays small in memory.
    means = np.empty(n_resamples, dtype=np.float64)
    chunk = max(1, 2_000_000 // diff.size)
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        idx = rng.integers(0, diff.size, size=(stop - start, diff.size))
        means[start:stop] = diff[idx].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return GainCI(float(diff.mean()), float(low), float(high), int(diff.size), confidence)


def normal_interval(diff: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Large-sample normal interval of the mean, used by tests to cross-check the bootstrap.

    >>> [round(x, 3) for x in normal_interval([0.0, 2.0])]
    [-0.386, 2.386]
    """
    d = np.asarray(diff, dtype=np.float64)
    z = _normal_quantile(0.5 + confidence / 2.0)
    half = z * d.std(ddof=0) / math.sqrt(d.size)
    return float(d.mean() - half), float(d.mean() + half)


def _normal_quantile(p: float) -> float:
    # Bisection on erf: exact enough and needs no SciPy.
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0
