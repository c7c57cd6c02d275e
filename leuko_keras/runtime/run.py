"""``leuko-keras-run``: upscale micrographs with an exported TFLite model, without TensorFlow.

    leuko-keras-run MODEL.tflite IN... --out DIR [--threads N] [--halo N] [--overlap N]
    leuko-keras-run MODEL.tflite --screen FIELDS... --out DIR [--pixel-size UM] [--min-area PX] [--margin PX]

For each input (grey or RGB, 8- or 16-bit, any size; a folder means every
image in it; a TIFF stack gives one result per page): YCbCr (MATLAB BT.601),
Y through the model in tiles with blended seams (:mod:`.tiling`), CbCr by
MATLAB's bicubic, merged. Writes ``NAME_sr.png`` (the input's bit depth),
``NAME_map.png`` (paper colours) and ``NAME_overlay.png``. Images are read by
:func:`leuko_keras.runtime.imageio.read_images`, exactly as the library reads them.
With ``--screen`` the inputs are low-power fields: every leukocyte is found, super-resolved and measured
into ``DIR/cells.csv`` and the rest of ``leuko-keras screen``'s files (:mod:`.screen`, the same code).
Bad input: one line on stderr naming the file and the fix, exit code 2; a field that fails on its own in
``--screen`` is reported and skipped (exit 1).
Everything imported here is NumPy, Pillow, tifffile and ai-edge-litert.

>>> outputs = upscale(TFLiteModel("model_fp32.tflite"), Path("cell.png"), Path("out"))  # doctest: +SKIP
>>> main(["model_fp32.tflite", "cells/", "--out", "sr/"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from leuko_keras.core.atomic import clean_stale_temps, disk_full_error
from leuko_keras.core.outputs import check_planned_outputs
from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.imageio import image_names, read_images, write_image
from leuko_keras.runtime.inputs import collect_images
from leuko_keras.runtime.maps import colorize, overlay
from leuko_keras.runtime.rgb import round_trip
from leuko_keras.runtime.screen import screen_options
from leuko_keras.runtime.screen_files import screen_paths
from leuko_keras.runtime.tflite import TFLiteModel
from leuko_keras.runtime.tiling import DEFAULT_HALO, DEFAULT_OVERLAP, default_tile, super_resolve_tiled

EXIT_USER_ERROR = 2
SUFFIXES = ("sr", "map", "overlay")  # NAME_sr.png, and with a map model NAME_map.png and NAME_overlay.png
# Our own outputs are not inputs when a folder is run twice into itself.


def super_resolve_image(
    model: TFLiteModel, pixels: np.ndarray, halo: int = DEFAULT_HALO, overlap: int = DEFAULT_OVERLAP
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``(sr pixels in [0, 1] (H, W[, 3]), labels (H, W) uint8 or None)`` for grey or RGB pixels."""
    sr, probs = round_trip(
        pixels, lambda lr_y: super_resolve_tiled(model, lr_y, default_tile(model.scale), halo, overlap), model.scale
    )
    labels = None if probs is None else probs.argmax(axis=-1).astype(np.uint8)
    return sr, labels


def upscale(
    model: TFLiteModel, path: Path, out_dir: Path, halo: int = DEFAULT_HALO, overlap: int = DEFAULT_OVERLAP
) -> list[Path]:
    """Upscale every image (page) of one file into ``out_dir``; return the files written."""
    written: list[Path] = []
    for name, image in read_images(path):
        h, w = image.pixels.shape[:2]
        if min(h, w) < 3:
            raise LeukoInputError(f"{path}: {w}x{h} pixels is too small to super-resolve; it needs at least 3x3")
        sr, labels = super_resolve_image(model, image.pixels, halo, overlap)
        outputs = {f"{name}_{SUFFIXES[0]}.png": (sr, image.bit_depth)}
        if labels is not None:
            outputs[f"{name}_{SUFFIXES[1]}.png"] = (colorize(labels) / 255.0, 8)
            outputs[f"{name}_{SUFFIXES[2]}.png"] = (overlay(sr, labels), 8)
        for file_name, (pixels, depth) in outputs.items():
            target = out_dir / file_name
            with disk_full_error(target, "writing"):
                written.append(write_image(target, pixels, bit_depth=depth))
    return written


def plan_outputs(model: TFLiteModel, paths: list[Path], out_dir: Path) -> dict[Path, list[Path]]:
    """Every file each input will write (from headers only); refused before any write when an output is
    one of the inputs or is written by two inputs (:func:`leuko_keras.core.outputs.check_planned_outputs`)."""
    kinds = SUFFIXES if getattr(model, "has_map", False) else SUFFIXES[:1]
    plan = {path: [out_dir / f"{name}_{kind}.png" for name in image_names(path) for kind in kinds] for path in paths}
    check_planned_outputs(plan)
    return plan


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leuko-keras-run", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("model", help="model_*.tflite written by `leuko-keras export --tflite`")
    parser.add_argument("inputs", nargs="+", help="images or folders of images")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    parser.add_argument("--halo", type=int, default=DEFAULT_HALO, help="LR pixels of context around each tile")
    parser.add_argument("--overlap", type=int, default=DEFAULT_OVERLAP, help="LR pixels over which tiles cross-fade")
    parser.add_argument("--screen", action="store_true", help="find, super-resolve and measure every leukocyte")
    parser.add_argument("--pixel-size", type=float, default=None, help="--screen: micrometres per input pixel")
    parser.add_argument("--min-area", type=float, default=None, help="--screen: smallest nucleus, input pixels")
    parser.add_argument("--margin", type=int, default=None, help="--screen: context pixels around each crop")
    return parser


def screen_main(model: TFLiteModel, args: argparse.Namespace) -> int:
    """``--screen``: the library's screen pipeline with this TFLite model; 1 when a field failed."""
    if not getattr(model, "has_map", False):
        raise LeukoInputError(f"{args.model}: this model has no parsing map and cannot find cells; export a gp model")
    options = screen_options(model.scale, args.pixel_size, args.min_area, args.margin)
    options = dataclasses.replace(options, halo=args.halo, overlap=args.overlap)
    info = {"model": Path(args.model).name, "scale": model.scale, "rules": dataclasses.asdict(options.rules)}
    report = screen_paths(model, args.inputs, args.out, options, info)
    for _, message in report.failed:
        print(f"failed: {message}", file=sys.stderr)
    print(f"{len(report.fields)} fields, {report.cells} cells, {len(report.failed)} failed -> {args.out}")
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.halo < 0 or args.overlap < 0:
            raise LeukoInputError(f"--halo {args.halo} / --overlap {args.overlap}: must be 0 or more LR pixels")
        out_dir = Path(args.out)
        # Checked before the first image, so a bad --out is one line, not one failure per image.
        blocker = next((p for p in (out_dir, *out_dir.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise LeukoInputError(f"--out {out_dir}: {blocker} is a file, not a folder; choose another --out")
        model = TFLiteModel(args.model, threads=args.threads)
        if args.screen:
            return screen_main(model, args)
        paths = list(plan_outputs(model, collect_images(args.inputs), out_dir))
        clean_stale_temps(out_dir)
        for path in paths:
            written = upscale(model, path, out_dir, args.halo, args.overlap)
            print(f"{path} -> {', '.join(p.name for p in written)}")
    except (LeukoInputError, ValueError) as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as error:  # e.g. no permission to write --out: the user's to fix, not a crash
        where = error.filename or args.out
        print(f"error: {where}: {error.strerror or error}; check the path and its permissions", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def entry_point() -> None:
    """Console script ``leuko-keras-run``."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
