"""Super-resolve users' files: ``NAME_sr``, ``NAME_labels``, ``NAME_map`` and ``NAME_overlay`` (PNG or TIFF).

Inputs are files or folders (images found one level deep), grey or RGB, 8-
or 16-bit; the SR image keeps the input's bit depth and colour. The network
super-resolves the luminance; colour images get their chroma from MATLAB
bicubic upscaling, the standard for Y-only SR. Outputs are streamed strip by
strip (see :mod:`leuko_keras.runtime.tiling`), so any size fits in bounded
memory. A file that fails is reported and skipped; the others are still done.

>>> report = predict_paths(["cells/"], load_backend("runs/gp_x4"), "out/")  # doctest: +SKIP
>>> report.ok, report.failed  # doctest: +SKIP
(12, [])
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from leuko_keras.core.outputs import check_planned_outputs
from leuko_keras.data.normalize import Normalization
from leuko_keras.errors import LeukoInputError
from leuko_keras.predict.backends import Backend, load_backend  # noqa: F401  (load_backend: doc example)
from leuko_keras.predict.outputs import open_rows, output_format, output_path
from leuko_keras.predict.progress import Progress
from leuko_keras.runtime.color import rgb_to_ycbcr
from leuko_keras.runtime.imageio import LoadedImage, image_names, read_images
from leuko_keras.runtime.inputs import collect_images, output_stem
from leuko_keras.runtime.maps import colorize, overlay
from leuko_keras.runtime.rgb import merge_chroma
from leuko_keras.runtime.tiling import DEFAULT_HALO, DEFAULT_OVERLAP, iter_strips

CHUNK_ROWS = 64


@dataclass
class PredictReport:
    """What happened: written outputs per input, and failures as (input, one-line reason)."""

    written: dict[str, list[Path]] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)  # one line each: e.g. a blurred image for a clean-LR model

    @property
    def ok(self) -> int:
        """Number of inputs fully done."""
        return len(self.written)


def predict_file(
    path: str | os.PathLike,
    backend: Backend,
    out_dir: str | os.PathLike,
    tile: int | None = None,
    halo: int = DEFAULT_HALO,
    overlap: int = DEFAULT_OVERLAP,
    fmt: str | None = None,
    normalize: Normalization | None = None,
    on_tile: Callable[[str, int, int], None] | None = None,
    on_lr: Callable[[str, np.ndarray], None] | None = None,
) -> list[Path]:
    """Super-resolve every image (page) of one file into ``out_dir``; return the files written.

    ``fmt``: ``png``, ``tif`` or ``ome-tif`` (default: the input's family); ``normalize``: see
    :mod:`leuko_keras.data.normalize`; ``on_tile(image_name, done, total)`` reports tiles;
    ``on_lr(where, lr_y)`` sees each image's network input (``predict`` looks at its blur there).
    """
    path, out_dir = Path(path), Path(out_dir)
    fmt = output_format(path, fmt)
    written: list[Path] = []
    for name, image in read_images(path):
        tile_hook = None if on_tile is None else functools.partial(on_tile, name)
        written += _predict_image(
            name, image, backend, out_dir, fmt, normalize or Normalization(), tile, halo, overlap, tile_hook, on_lr
        )
    return written


def _predict_image(
    name: str,
    image: LoadedImage,
    backend: Backend,
    out_dir: Path,
    fmt: str,
    rule: Normalization,
    tile: int | None,
    halo: int,
    overlap: int,
    on_tile: Callable[[int, int], None] | None,
    on_lr: Callable[[str, np.ndarray], None] | None = None,
) -> list[Path]:
    path, bit_depth, pixels = image.path, image.bit_depth, image.pixels
    s = backend.scale
    pixel_size = None if image.pixel_size is None else (image.pixel_size[0] / s, image.pixel_size[1] / s)
    unit = image.unit
    del image  # the float64 pixels are the biggest array; keep one reference only
    h, w = pixels.shape[:2]
    if min(h, w) < 3:
        raise LeukoInputError(f"{path}: {w}x{h} pixels is too small to super-resolve; it needs at least 3x3")
    where = f"{path} [{name}]" if name != output_stem(path) else str(path)
    norm = rule.fit(pixels, bit_depth, name=where)
    pixels = norm.forward(pixels)
    colour = pixels.ndim == 3
    ycbcr = _ycbcr32(pixels) if colour else None
    lr_y = ycbcr[..., 0] if colour else pixels.astype(np.float32)
    del pixels
    if on_lr is not None:
        on_lr(where, lr_y)
    if hasattr(backend, "for_image"):
        backend = backend.for_image(lr_y)  # a routed preset picks its network once for the whole image
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = {kind: output_path(out_dir, name, kind, fmt) for kind in output_kinds(backend)}
    with contextlib.ExitStack() as stack:
        opener = functools.partial(
            open_rows, stack, fmt=fmt, width=w * s, height=h * s, pixel_size=pixel_size, unit=unit
        )
        write_sr = opener(targets["sr"], channels=3 if colour else 1, bit_depth=bit_depth)
        if backend.has_map:
            write_labels = opener(targets["labels"], channels=1, bit_depth=8)
            write_map = opener(targets["map"], channels=3, bit_depth=8)
            write_overlay = opener(targets["overlay"], channels=3, bit_depth=8)
        for strip in iter_strips(backend, lr_y, tile=tile, halo=halo, overlap=overlap, on_tile=on_tile):
            # Colour conversion in short row chunks: its float64 temporaries would otherwise be
            # several times the strip (hundreds of MB for a 16k-pixel-wide output).
            for r in range(0, strip.sr.shape[0], CHUNK_ROWS):
                y = norm.network(strip.sr[r : r + CHUNK_ROWS])
                # Not clipped here: the normaliser's inverse clips to what the output file can hold.
                rgb = merge_chroma(y, ycbcr, s, strip.row + r) if colour else None
                write_sr(norm.inverse(rgb if colour else y))
                if backend.has_map and strip.probs is not None:
                    labels = np.argmax(strip.probs[r : r + CHUNK_ROWS], axis=-1)
                    # Label values as grey levels: 0, 1, 2 in an 8-bit image (napari Labels, CellProfiler).
                    write_labels(labels.astype(np.float64) / 255.0)
                    write_map(colorize(labels).astype(np.float32) / 255.0)
                    # The overlay is for eyes: the network's view of the image, whatever the file's range.
                    write_overlay(overlay(rgb if colour else y, labels))
    return list(targets.values())


def output_kinds(backend: Backend) -> list[str]:
    """What predict writes per image: the SR image, and with a map model its labels, map and overlay."""
    return ["sr", "labels", "map", "overlay"] if backend.has_map else ["sr"]


def plan_outputs(
    files: Sequence[Path], backend: Backend, out_dir: Path, fmt: str | None
) -> tuple[dict[Path, list[Path]], list[tuple[Path, str]]]:
    """Every file each input will write (read from headers only), and the inputs whose header is unreadable.

    Refused in one line before any write: an output that is one of the inputs, or one written by two inputs.
    """
    plan: dict[Path, list[Path]] = {}
    unreadable: list[tuple[Path, str]] = []
    for path in files:
        try:
            names, kind = image_names(path), output_format(path, fmt)
        except LeukoInputError as error:  # this file fails on its own, as it would when read
            unreadable.append((path, str(error)))
            continue
        plan[path] = [output_path(out_dir, name, what, kind) for name in names for what in output_kinds(backend)]
    check_planned_outputs(plan)
    return plan, unreadable


def _ycbcr32(rgb: np.ndarray, rows: int = 256) -> np.ndarray:
    # In row chunks: a float64 YCbCr copy of a 4096 x 4096 field alone would take 400 MB.
    out = np.empty(rgb.shape, np.float32)
    for r in range(0, rgb.shape[0], rows):
        out[r : r + rows] = rgb_to_ycbcr(rgb[r : r + rows])
    return out


def predict_paths(
    inputs: Sequence[str | os.PathLike],
    backend: Backend,
    out_dir: str | os.PathLike,
    tile: int | None = None,
    halo: int = DEFAULT_HALO,
    overlap: int = DEFAULT_OVERLAP,
    progress: bool = True,
    on_error: Callable[[str, str], None] | None = None,
    fmt: str | None = None,
    normalize: Normalization | None = None,
) -> PredictReport:
    """Predict every input file; a failing file is recorded (and passed to ``on_error``) and skipped."""
    out = Path(out_dir)
    files = collect_images(inputs, exclude=out)
    if fmt is not None:
        output_format(files[0], fmt)  # a bad --format is the user's, not each file's, error
    report = PredictReport()
    plan, unreadable = plan_outputs(files, backend, out, fmt)
    for path, message in unreadable:
        _record(report, path, message, on_error)
    status = Progress(len(plan)) if progress else None
    advise = functools.partial(_advise, report, backend)
    for path in plan:
        if status is not None:
            status.start_file(path.name)
        try:
            report.written[str(path)] = predict_file(
                path, backend, out, tile, halo, overlap, fmt, normalize, status.tile if status else None, advise
            )
        except LeukoInputError as error:
            _record(report, path, str(error), on_error)
        except Exception as error:
            # One bad file (or a runtime error on it, e.g. out of memory) must not cost the user the others.
            _record(report, path, f"{path}: {type(error).__name__}: {error}".splitlines()[0], on_error)
        if status is not None:
            status.end_file("done" if str(path) in report.written else "failed")
    return report


def _advise(report: PredictReport, backend: Backend, where: str, lr_y: np.ndarray) -> None:
    from leuko_keras.predict.advice import blur_hint

    if hasattr(backend, "for_image"):
        return  # a routed preset already runs the network the image's look asks for

    hint = blur_hint(where, lr_y, backend)
    if hint is not None:
        report.hints.append(hint)


def _record(report: PredictReport, path: Path, message: str, on_error: Callable[[str, str], None] | None) -> None:
    report.failed.append((str(path), message))
    if on_error is not None:
        on_error(str(path), message)
