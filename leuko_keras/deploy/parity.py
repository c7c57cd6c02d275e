"""Parity gate: every TFLite artifact against the Keras model, on held-out images.

Each held-out image gives one LR crop of the artifact's fixed input size
(centre crop; an image smaller than the input is padded by symmetric
reflection at the bottom/right and only its own pixels are scored). The
float32 Keras model and the artifact (run with ``ai_edge_litert``) see the
same crops. Reported per artifact:

* PSNR of the artifact's SR against the Keras SR (both clipped to [0, 1],
  whole valid region): mean and worst image;
* PSNR / SSIM against the HR ground truth for the artifact and for Keras,
  by the protocol of :mod:`leuko_keras.protocol.metrics` (Y, border crop = scale);
* agreement of the parsing maps (share of pixels with the same class).

Gates (``GATES``): fp32 >= 60 dB to Keras and fp16 >= 45 dB (worst image);
dynamic and int8 lose at most 0.15 dB of PSNR to HR against Keras.

>>> row = {"psnr_to_keras_min": 71.0}
>>> gate("fp32", row)
(True, 'PSNR to Keras 71.00 dB >= 60 dB')
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np

from leuko_keras.data.source import DataSource, Location
from leuko_keras.protocol.metrics import psnr, ssim

GATES = {
    "fp32": ("to_keras", 60.0),
    "fp16": ("to_keras", 45.0),
    "dynamic": ("hr_loss", 0.15),
    "int8": ("hr_loss", 0.15),
}
PSNR_CAP = 200.0  # identical outputs: JSON has no infinity


@dataclasses.dataclass(frozen=True)
class Pair:
    """One held-out crop: LR input (lr, lr), HR truth (H, W) of its valid region."""

    name: str
    lr: np.ndarray
    hr: np.ndarray


def crop_pair(name: str, lr_y: np.ndarray, hr_y: np.ndarray, lr_size: int, scale: int) -> Pair:
    """Centre-crop (or pad) one example to the fixed LR input size.

    >>> p = crop_pair("a", np.zeros((10, 30)), np.zeros((40, 120)), 16, 4)
    >>> p.lr.shape, p.hr.shape
    ((16, 16), (40, 64))
    """
    h, w = lr_y.shape
    top, left = max(0, (h - lr_size) // 2), max(0, (w - lr_size) // 2)
    lr = np.asarray(lr_y, dtype=np.float32)[top : top + lr_size, left : left + lr_size]
    vh, vw = lr.shape
    hr = np.asarray(hr_y, dtype=np.float64)[top * scale : (top + vh) * scale, left * scale : (left + vw) * scale]
    while lr.shape[0] < lr_size or lr.shape[1] < lr_size:
        ph, pw = min(lr_size - lr.shape[0], lr.shape[0]), min(lr_size - lr.shape[1], lr.shape[1])
        lr = np.pad(lr, ((0, ph), (0, pw)), mode="symmetric")
    return Pair(name, lr, hr)


def heldout_pairs(source: DataSource | Location, scale: int, lr_size: int, limit: int = 8) -> tuple[list[Pair], str]:
    """Up to ``limit`` held-out crops from ``source``: the test split, else val, else train (named in the result).

    ``source`` is the run's :class:`~leuko_keras.data.source.DataSource` (its seed and synthetic set, so
    "held-out" is held out from that run), or a bare location.

    >>> pairs, split = heldout_pairs(DataSource(synthetic_count=10, synthetic_size=64), 4, 16)  # doctest: +SKIP
    """
    from leuko_keras.data.examples import load_examples

    for split in ("test", "val", "train"):
        examples = load_examples(source, scale, split=split, need_mask=False)
        if examples:
            pairs = [crop_pair(e.name, e.lr_y, e.hr_y, lr_size, scale) for e in examples[:limit]]
            return pairs, split
    return [], "none"


def run_keras(model: Any, lrs: np.ndarray, batch_size: int = 4) -> tuple[np.ndarray, np.ndarray | None]:
    """Keras outputs for (N, h, w) LR crops: SR (N, H, W) and probabilities (N, H, W, 3) or None."""
    # predict_on_batch per chunk: predict() would wrap a few crops in a whole tf.data pipeline.
    inputs = lrs[..., None].astype(np.float32)
    chunks = [model.predict_on_batch(inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)]
    sr = np.concatenate([np.asarray(c["sr"]) for c in chunks])[..., 0]
    if "mask" not in chunks[0]:
        return sr, None
    return sr, np.concatenate([np.asarray(c["mask"]) for c in chunks])


def run_tflite(
    model_path: str | os.PathLike, lrs: np.ndarray, threads: int = 2
) -> tuple[np.ndarray, np.ndarray | None]:
    """Artifact outputs for (N, h, w) LR crops, one crop at a time, through the reader ``predict`` uses.

    :class:`leuko_keras.runtime.tflite.TFLiteModel` (LiteRT, XNNPACK) reads outputs by signature name.
    """
    from leuko_keras.runtime.tflite import TFLiteModel

    model = TFLiteModel(model_path, threads=threads)
    outputs = [model.invoke(lr) for lr in lrs]
    srs = np.stack([out["sr"] for out in outputs])
    maps = [out["parsing_map"] for out in outputs if "parsing_map" in out]
    return srs, (np.stack(maps) if maps else None)


def _psnr_pair(a: np.ndarray, b: np.ndarray) -> float:
    return min(PSNR_CAP, psnr(np.clip(a, 0, 1), np.clip(b, 0, 1), crop=0))


def _ssim_or_nan(sr: np.ndarray, hr: np.ndarray, crop: int) -> float:
    if min(hr.shape) - 2 * crop < 11:
        return float("nan")
    return ssim(sr, hr, crop=crop)


def score_outputs(pairs: list[Pair], sr: np.ndarray, scale: int) -> tuple[float, float]:
    """Mean PSNR and SSIM against HR (protocol: Y, border crop = scale, per image then averaged)."""
    psnrs, ssims = [], []
    for pair, out in zip(pairs, sr, strict=True):
        valid = out[: pair.hr.shape[0], : pair.hr.shape[1]]
        psnrs.append(psnr(valid, pair.hr, crop=scale))
        ssims.append(_ssim_or_nan(valid, pair.hr, scale))
    return float(np.mean(psnrs)), float(np.nanmean(ssims)) if not np.all(np.isnan(ssims)) else float("nan")


def compare(
    pairs: list[Pair],
    keras_out: tuple[np.ndarray, np.ndarray | None],
    artifact_out: tuple[np.ndarray, np.ndarray | None],
    scale: int,
) -> dict[str, Any]:
    """One parity row: PSNR to Keras (mean, worst), PSNR/SSIM to HR for both, map agreement."""
    to_keras = []
    agree = []
    for index, pair in enumerate(pairs):
        h, w = pair.hr.shape
        to_keras.append(_psnr_pair(artifact_out[0][index, :h, :w], keras_out[0][index, :h, :w]))
        if keras_out[1] is not None and artifact_out[1] is not None:
            same = artifact_out[1][index, :h, :w].argmax(-1) == keras_out[1][index, :h, :w].argmax(-1)
            agree.append(float(same.mean()))
    artifact_psnr, artifact_ssim = score_outputs(pairs, artifact_out[0], scale)
    keras_psnr, keras_ssim = score_outputs(pairs, keras_out[0], scale)
    return {
        "psnr_to_keras_mean": float(np.mean(to_keras)),
        "psnr_to_keras_min": float(np.min(to_keras)),
        "psnr_hr": artifact_psnr,
        "ssim_hr": artifact_ssim,
        "keras_psnr_hr": keras_psnr,
        "keras_ssim_hr": keras_ssim,
        "psnr_hr_loss": keras_psnr - artifact_psnr,
        "map_agreement": float(np.mean(agree)) if agree else None,
    }


def gate(quantization: str, row: dict[str, Any]) -> tuple[bool, str]:
    """Apply the gate of ``quantization`` to a :func:`compare` row: ``(passed, one-line reason)``.

    >>> gate("int8", {"psnr_hr_loss": 0.4})
    (False, 'PSNR to HR 0.400 dB below Keras > 0.15 dB')
    """
    kind, limit = GATES[quantization]
    if kind == "to_keras":
        value = row["psnr_to_keras_min"]
        ok = value >= limit
        return ok, f"PSNR to Keras {value:.2f} dB {'>=' if ok else '<'} {limit:g} dB"
    loss = row["psnr_hr_loss"]
    ok = loss <= limit
    return ok, f"PSNR to HR {loss:.3f} dB below Keras {'<=' if ok else '>'} {limit:g} dB"
