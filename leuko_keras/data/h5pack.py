"""One HDF5 file holding a prepared dataset: HR, LR per scale, maps, names, protocol.

Layout (h5py)::

    /                   attrs: format="leuko-keras-pack", version=1, scales=[2,3,4,8],
                               protocol=<JSON of leuko_keras.protocol.metrics.PROTOCOL>, source=<folder>,
                               mask_mapping, count
    /names              UTF-8 strings, one per sample (index i <-> /samples/NNNNNN)
    /samples/000000/    attrs: name, bit_depth, image_file, mask_file
        hr              original pixels, uint8 or uint16, (H, W) or (H, W, 3), NOT modcropped
        labels          uint8 (H, W) in {0, 1, 2} (absent if the image has no map)
        lr_x4           LR of modcrop(hr, 4), quantised, same dtype as hr (exact integers)

Reading rebuilds exactly the :class:`~leuko_keras.data.dataset.Example` that
:func:`leuko_keras.data.dataset.load_example` would give for the folder (the LR is
stored as the quantised integers MATLAB would produce), without re-running
the bicubic degradation.

>>> pack("../shared/data/wbc/tecom", "/tmp/tecom.h5", scales=(4,))  # doctest: +SKIP
>>> len(load("/tmp/tecom.h5", 4))  # doctest: +SKIP
300
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.core.atomic import atomic_path, disk_full_error
from leuko_keras.core.outputs import check_output_file
from leuko_keras.data.dataset import Example, discover, load_labels, require_masks
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import SUPPORTED_SCALES, check_size, make_lr, modcrop
from leuko_keras.protocol.metrics import PROTOCOL
from leuko_keras.runtime.imageio import luminance, read_image

FORMAT = "leuko-keras-pack"


def pack(
    folder: str | os.PathLike,
    out_h5: str | os.PathLike,
    scales: Sequence[int] = SUPPORTED_SCALES,
    need_mask: bool = False,
    **discover_options: Any,
) -> Path:
    """Pack every sample of ``folder`` into ``out_h5`` (written atomically); return the path.

    Every image must be large enough for the largest scale (8 x scale pixels a side).
    """
    import h5py

    out_h5 = Path(out_h5)
    if out_h5.suffix.lower() not in (".h5", ".hdf5"):
        raise LeukoInputError(f"{out_h5}: the packed file name must end in .h5")
    check_output_file(out_h5, "pack output")
    scales = sorted({int(s) for s in scales})
    if not scales or any(s < 2 for s in scales):
        raise LeukoInputError(f"scales {scales} must be whole numbers >= 2 (e.g. 2,3,4,8)")
    samples = discover(folder, **discover_options)
    if need_mask:
        require_masks(samples, folder)
    # Check everything first: a bad file fails before any output exists. Nothing
    # is kept (a paper-size set is ~2 GB as floats); the write pass reads again.
    needed = 0
    for sample in samples:
        image, _ = _read(sample, max(scales))
        needed += image.pixels.size * (image.bit_depth // 8) * (1 + sum(1 / s**2 for s in scales)) + image.pixels.size
    # HDF5 can crash the process on a full disk (no exception, a segfault): check first, uncompressed size.
    _check_free_space(out_h5, needed)
    with disk_full_error(out_h5, "packing"), atomic_path(out_h5) as tmp, h5py.File(tmp, "w") as h5:
        h5.attrs.update(
            format=FORMAT,
            version=1,
            scales=np.array(scales),
            protocol=json.dumps(PROTOCOL),
            source=str(folder),
            mask_mapping=str(discover_options.get("mask_mapping", "auto")),
            count=len(samples),
        )
        h5.create_dataset("names", data=[s.name for s in samples], dtype=h5py.string_dtype())
        group = h5.create_group("samples")
        for index, sample in enumerate(samples):
            image, labels = _read(sample, max(scales))
            levels = 255 if image.bit_depth == 8 else 65535
            dtype = np.uint8 if image.bit_depth == 8 else np.uint16
            entry = group.create_group(f"{index:06d}")
            entry.attrs.update(
                name=sample.name,
                bit_depth=image.bit_depth,
                image_file=str(sample.image_path),
                mask_file=str(sample.mask_path or ""),
            )
            entry.create_dataset("hr", data=np.rint(image.pixels * levels).astype(dtype), compression="gzip")
            if labels is not None:
                entry.create_dataset("labels", data=labels, compression="gzip")
            for scale in scales:
                lr = make_lr(image.pixels, scale, levels)
                entry.create_dataset(f"lr_x{scale}", data=np.rint(lr * levels).astype(dtype), compression="gzip")
    return out_h5


def _check_free_space(out_h5: Path, needed: float) -> None:
    folder = next((p for p in (out_h5.absolute().parent, *out_h5.absolute().parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(folder).free
    if free < needed + 16 * 2**20:
        raise LeukoInputError(
            f"{out_h5}: disk full ({free / 2**20:.0f} MB free, the pack needs up to {needed / 2**20:.0f} MB); "
            "free some space or write it elsewhere"
        )


def _read(sample: Any, largest_scale: int) -> tuple[Any, np.ndarray | None]:
    image = read_image(sample.image_path)
    check_size(image.pixels.shape, largest_scale, str(sample.image_path))
    return image, load_labels(sample, image.pixels.shape)


def _open(path: str | os.PathLike):
    import h5py

    path = Path(path)
    if not path.is_file():
        raise LeukoInputError(f"{path}: no such file; check the path or run 'leuko-keras pack' first")
    try:
        h5 = h5py.File(path, "r")
    except OSError:
        raise LeukoInputError(f"{path}: not an HDF5 file (or truncated); re-run 'leuko-keras pack'") from None
    if h5.attrs.get("format") != FORMAT:
        h5.close()
        raise LeukoInputError(f"{path}: not a leuko-keras pack; make one with 'leuko-keras pack DATA OUT.h5'")
    return h5


def read_names(path: str | os.PathLike) -> list[str]:
    """Sample names stored in a packed file, in storage order."""
    with _open(path) as h5:
        if "names" not in h5:
            raise LeukoInputError(f"{path}: pack has no sample names; the file is damaged, re-run pack")
        return [n.decode() if isinstance(n, bytes) else str(n) for n in h5["names"][()]]


def read_info(path: str | os.PathLike) -> dict[str, Any]:
    """The file-level settings (scales, protocol, source, count, mask mapping)."""
    with _open(path) as h5:
        info = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in h5.attrs.items()}
    info["protocol"] = json.loads(info["protocol"])
    return info


def load(
    path: str | os.PathLike, scale: int, names: Sequence[str] | None = None, need_mask: bool = False
) -> list[Example]:
    """Examples at ``scale`` (all, or those in ``names``, in that order) from a packed file."""
    return list(iter_examples(path, scale, names, need_mask))


def iter_examples(
    path: str | os.PathLike, scale: int, names: Sequence[str] | None = None, need_mask: bool = False
) -> Iterator[Example]:
    """Like :func:`load`, one example at a time."""
    with _open(path) as h5:
        if "scales" not in h5.attrs or "names" not in h5:
            raise LeukoInputError(f"{path}: pack has no scales or names; the file is damaged, re-run pack")
        scales = [int(s) for s in h5.attrs["scales"]]
        if scale not in scales:
            raise LeukoInputError(
                f"{path}: packed for scales {scales}, not x{scale}; re-pack with --scales including {scale}"
            )
        stored = [n.decode() if isinstance(n, bytes) else str(n) for n in h5["names"][()]]
        index = {name: i for i, name in enumerate(stored)}
        wanted = stored if names is None else list(names)
        missing = [n for n in wanted if n not in index]
        if missing:
            raise LeukoInputError(f"{path}: no samples named {missing[:3]}; check the split file")
        for name in wanted:
            key = f"samples/{index[name]:06d}"
            if key not in h5:
                raise LeukoInputError(f"{path}: sample {name} ({key}) is missing; the pack is damaged, re-run pack")
            entry = h5[key]
            if need_mask and "labels" not in entry:
                raise LeukoInputError(
                    f"{path}: sample {name} has no parsing map; pack a folder with masks or use a command without maps"
                )
            try:
                example = _example(entry, name, scale)
            except (KeyError, ValueError, TypeError, OSError) as error:
                # A hand-edited or truncated pack: one line, not h5py's traceback.
                raise LeukoInputError(
                    f"{path}: sample {name} is damaged ({type(error).__name__}: {str(error)[:80]}); re-run pack"
                ) from None
            yield example


def _example(entry: Any, name: str, scale: int) -> Example:
    bit_depth = int(entry.attrs["bit_depth"])
    if bit_depth not in (8, 16):
        raise ValueError(f"bit depth {bit_depth}")
    levels = 255.0 if bit_depth == 8 else 65535.0
    hr = modcrop(entry["hr"][()].astype(np.float64) / levels, scale)
    lr = entry[f"lr_x{scale}"][()].astype(np.float64) / levels
    labels = modcrop(entry["labels"][()], scale) if "labels" in entry else None
    if lr.shape[:2] != (hr.shape[0] // scale, hr.shape[1] // scale) or lr.ndim != hr.ndim:
        raise ValueError(f"LR {lr.shape} does not match HR {hr.shape} at x{scale}")
    if labels is not None and (labels.shape != hr.shape[:2] or labels.dtype.kind not in "ui" or labels.max() > 2):
        raise ValueError("labels must be a (H, W) map of 0, 1, 2 matching the image")
    colour = hr.ndim == 3
    return Example(
        name=name,
        hr_y=luminance(hr).astype(np.float32),
        lr_y=luminance(lr).astype(np.float32),
        labels=labels,
        hr_rgb=hr.astype(np.float32) if colour else None,
        lr_rgb=lr.astype(np.float32) if colour else None,
        bit_depth=bit_depth,
    )
