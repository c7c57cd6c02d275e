"""Upscale micrographs with an exported leuko-keras TFLite model. Needs only ai-edge-litert, numpy, pillow.

    python -m export.run MODEL.tflite IN... --out DIR [--threads 2] [--overlap N]

For each input (RGB or grey, any size; a folder means every image in it):
split into YCbCr (MATLAB BT.601), run Y through the model in overlapping
tiles of its fixed input size with blended seams, upscale CbCr with
MATLAB's bicubic, merge. Writes ``NAME_sr.png`` (same bit depth for grey,
8-bit RGB for colour), ``NAME_map.png`` (parsing map in the paper's colours:
background black, cytoplasm red, nucleus blue) and ``NAME_overlay.png``.
Bad input: one line on stderr, exit code 2.

>>> from export.run import upscale  # doctest: +SKIP
>>> outputs = upscale(TFLiteModel("model_fp32.tflite"), "cell.png", Path("out"))  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import stat
import sys
from pathlib import Path

import numpy as np

from export._imresize import imresize
from export._io import clean_stale_temps, colorize, overlay, read_image, save_png, to_uint
from export._model import RunnerError, TFLiteModel
from export._tiles import default_overlap, run_tiled
from export._ycbcr import rgb_to_ycbcr, ycbcr_to_rgb

EXIT_USER_ERROR = 2
IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg")


def super_resolve_image(
    model: TFLiteModel, pixels: np.ndarray, overlap: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``(sr pixels in [0, 1] (H, W[, 3]), labels (H, W) uint8 or None)`` for grey or RGB pixels."""
    overlap = default_overlap(model.tile, model.align) if overlap is None else overlap
    if pixels.ndim == 2:
        sr_y, probs = run_tiled(model, pixels, model.tile, model.scale, overlap, model.align)
        sr = np.clip(sr_y, 0.0, 1.0)
    else:
        ycbcr = rgb_to_ycbcr(pixels)
        sr_y, probs = run_tiled(model, ycbcr[..., 0], model.tile, model.scale, overlap, model.align)
        chroma = imresize(ycbcr[..., 1:], float(model.scale))
        sr = np.clip(ycbcr_to_rgb(np.concatenate([sr_y[..., None], chroma], axis=-1)), 0.0, 1.0)
    labels = None if probs is None else probs.argmax(axis=-1).astype(np.uint8)
    return sr, labels


def upscale(model: TFLiteModel, path: Path, out_dir: Path, overlap: int | None = None) -> list[Path]:
    """Upscale one image file into ``out_dir``; return the files written."""
    pixels, bit_depth = read_image(path)
    if min(pixels.shape[:2]) < 3:
        raise RunnerError(f"{path}: {pixels.shape[1]}x{pixels.shape[0]} pixels is too small (needs 3x3 or more)")
    sr, labels = super_resolve_image(model, pixels, overlap)
    depth = bit_depth if sr.ndim == 2 else 8  # Pillow writes 16-bit PNGs for grey only
    written = [save_png(out_dir / f"{path.stem}_sr.png", to_uint(sr, depth))]
    if labels is not None:
        written.append(save_png(out_dir / f"{path.stem}_map.png", colorize(labels)))
        written.append(save_png(out_dir / f"{path.stem}_overlay.png", overlay(to_uint(sr, 8), labels)))
    return written


def expand_inputs(inputs: list[str], warn=lambda message: print(message, file=sys.stderr)) -> list[Path]:
    """Input paths, with folders replaced by the images in them (sorted).

    In a folder, entries that are not regular files (a folder named ``x.png``, a dangling or looping
    link, a FIFO) are skipped with a warning, as ``leuko-keras predict`` does; the batch goes on.
    """
    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = []
            for entry in sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
                if _regular_file(entry):
                    found.append(entry)
                else:
                    warn(f"warning: {entry}: not a regular image file (a folder, a broken link or a pipe); skipped")
            if not found:
                raise RunnerError(f"{path}: folder holds no images (PNG, BMP, TIFF, JPEG); check the path")
            paths.extend(found)
        elif _regular_file(path):
            paths.append(path)
        else:
            raise RunnerError(f"{path}: no such image or folder; check the path")
    return paths


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, RuntimeError):  # dangling link, link loop, no permission
        return False


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m export.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="model_*.tflite written by `leuko-keras export --tflite`")
    parser.add_argument("inputs", nargs="+", help="images or folders of images")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (XNNPACK)")
    parser.add_argument("--overlap", type=int, default=None, help="tile overlap in LR pixels (default: tile/4)")
    args = parser.parse_args(argv)
    try:
        out_dir = Path(args.out)
        # Checked before the first image, so a bad --out is one line, not one failure per image.
        blocker = next((p for p in (out_dir, *out_dir.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise RunnerError(f"--out {out_dir}: {blocker} is a file, not a folder; choose another --out")
        model = TFLiteModel(args.model, threads=args.threads)
        paths = expand_inputs(args.inputs)
        clean_stale_temps(out_dir)
        for path in paths:
            written = upscale(model, path, out_dir, args.overlap)
            print(f"{path} -> {', '.join(p.name for p in written)}")
    except (RunnerError, ValueError) as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
