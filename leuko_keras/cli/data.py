"""`leuko-keras` commands: data (``pack``, ``synth``); thin wrappers over the library.

>>> from typer.testing import CliRunner
>>> from leuko_keras.cli import app
>>> CliRunner().invoke(app, ["pack", "--help"]).exit_code
0
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors
from leuko_keras.errors import LeukoInputError

# leuko_keras.data.masks.DEFAULT_TOLERANCE, written out so that --help need not import NumPy and Pillow
# (tests/test_cli_quiet.py keeps the two equal).
MASK_TOLERANCE = 50


def _scales(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise LeukoInputError(f"--scales {text!r}: give whole numbers separated by commas, e.g. 2,3,4,8") from None


def _labelme_labels(text: str) -> dict[str, int] | None:
    if not text.strip():
        return None
    try:
        pairs = [pair.split("=") for pair in text.split(",")]
        return {name.strip(): int(cls) for name, cls in pairs}
    except ValueError:
        raise LeukoInputError(
            f"--labelme-labels {text!r}: give label=class pairs, e.g. cytoplasm=1,nucleus=2"
        ) from None


def pack(
    data: Annotated[Path, typer.Argument(help="Data folder (images with or without parsing maps).")],
    out: Annotated[Path, typer.Argument(help="Output .h5 file (written atomically).")],
    scales: Annotated[str, typer.Option(help="Scales to precompute LR images for, comma separated.")] = "2,3,4,8",
    layout: Annotated[str, typer.Option(help="auto, images_masks, suffix, stem, labelme or none.")] = "auto",
    mask_mapping: Annotated[
        str, typer.Option(help="grey (0/128/255), paper (black/red/blue), auto or V=C pairs.")
    ] = "auto",
    mask_tolerance: Annotated[
        float, typer.Option(help="Snap mask values this close (grey levels) to a class value.")
    ] = MASK_TOLERANCE,
    mask_suffix: Annotated[str, typer.Option(help="Suffix of NAME_mask.png parsing maps.")] = "_mask",
    need_masks: Annotated[bool, typer.Option(help="Refuse images without a parsing map.")] = False,
    labelme_labels: Annotated[
        str, typer.Option(help="LabelMe label=class pairs, e.g. kern=2,plasma=1 (default names).")
    ] = "",
) -> None:
    """Pack a data folder into one HDF5 file: HR, LR per scale, maps, names, protocol."""
    from leuko_keras.data.h5pack import pack as pack_folder
    from leuko_keras.data.h5pack import read_info
    from leuko_keras.data.masks import parse_mapping

    written = pack_folder(
        data,
        out,
        scales=_scales(scales),
        need_mask=need_masks,
        layout=layout,
        mask_mapping=parse_mapping(mask_mapping),
        tolerance=mask_tolerance,
        mask_suffix=mask_suffix,
        labelme_labels=_labelme_labels(labelme_labels),
    )
    info = read_info(written)
    typer.echo(f"{written}: {info['count']} samples, scales {info['scales']}")


def synth(
    out: Annotated[Path, typer.Argument(help="Output folder (new or empty).")],
    count: Annotated[int, typer.Option(help="Number of cells.")] = 48,
    size: Annotated[int, typer.Option(help="Side of each square crop in pixels.")] = 256,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same cells).")] = 0,
) -> None:
    """Draw synthetic leukocytes with exact parsing maps (cell_NNNN.png + cell_NNNN_mask.png)."""
    from leuko_keras.synth import write_dataset

    folder = write_dataset(out, count, size, seed)
    typer.echo(f"{folder}: {count} synthetic cells of {size}x{size} (seed {seed})")


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("pack")(user_errors(pack))
    app.command("synth")(user_errors(synth))
