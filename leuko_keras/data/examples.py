"""The prepared :class:`~leuko_keras.data.dataset.Example` list of one split of a :class:`DataSource`.

Every image is read, modcropped and degraded with the MATLAB-exact path
(:func:`leuko_keras.protocol.degrade.make_lr` on RGB, LR quantised to 8 bits as
MATLAB does for uint8 input, then Y). The source's ``degradation`` (a record
of :mod:`leuko_keras.data.degradations`) makes the LR images by that model
instead of bicubic, once per image at the source's seed; its ``normalize``
rule puts each image in network units first. A folder of real pairs
(``lr/`` + ``hr/``, see :mod:`leuko_keras.data.pairs`) is not re-degraded.

NumPy only: TensorFlow is not imported here (:mod:`leuko_keras.data.pipeline` builds the ``tf.data`` side).

>>> examples = load_examples(DataSource(synthetic_count=3, synthetic_size=64), scale=4, split="all")  # doctest: +SKIP
>>> [e.name for e in examples]  # doctest: +SKIP
['cell_0000', 'cell_0001', 'cell_0002']
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.data.dataset import Example, discover, load_example, make_example, require_masks, split_samples
from leuko_keras.data.pairs import is_pairs_folder
from leuko_keras.data.source import DataSource, Location
from leuko_keras.data.split import block_split
from leuko_keras.errors import LeukoInputError

__all__ = ["SPLITS", "iter_examples", "load_examples"]

SPLITS = ("train", "val", "test", "all")
_SYNTH_CACHE: dict[tuple[int, int, int], list[Any]] = {}


def _synthetic_cells(count: int, size: int, seed: int) -> list[Any]:
    # Generating is the slow part of the default set; train and val calls share it.
    key = (int(count), int(size), int(seed))
    if key not in _SYNTH_CACHE:
        from leuko_keras.synth import generate

        _SYNTH_CACHE.clear()
        _SYNTH_CACHE[key] = generate(count, size=size, seed=seed)
    return _SYNTH_CACHE[key]


def _check_discover_options(options: dict[str, Any]) -> None:
    # Before DataSource these were keywords of the loaders; passed the old way they would land here and,
    # for the synthetic set, be ignored without a word (another seed, the same crops).
    known = set(inspect.signature(discover).parameters) - {"folder"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"unexpected keyword {', '.join(unknown)}: source settings belong in the DataSource, "
            f"e.g. DataSource.of(location, {unknown[0]}=...); folder options are {', '.join(sorted(known))}"
        )


def _is_h5(location: Any) -> bool:
    return location is not None and Path(location).suffix.lower() in (".h5", ".hdf5")


def load_examples(
    source: DataSource | Location = None,
    scale: int = 4,
    split: str = "test",
    need_mask: bool = False,
    **discover_options: Any,
) -> list[Example]:
    """Prepared examples of one split (``"all"`` for every sample) of ``source`` (a DataSource or a location).

    ``discover_options`` (``layout``, ``mask_suffix``, ...) go to :func:`leuko_keras.data.dataset.discover`.

    >>> examples = load_examples(DataSource(synthetic_count=3, synthetic_size=64), 4, split="all")  # doctest: +SKIP
    >>> len(examples), examples[0].hr_y.shape  # doctest: +SKIP
    (3, (64, 64))
    """
    return list(iter_examples(source, scale, split, need_mask, **discover_options))


def iter_examples(
    source: DataSource | Location = None,
    scale: int = 4,
    split: str = "test",
    need_mask: bool = False,
    **discover_options: Any,
) -> Iterator[Example]:
    """Like :func:`load_examples`, one example at a time (full-size RGB copies are not all held at once).

    >>> next(iter_examples(DataSource(synthetic_count=3, synthetic_size=64), 4, "all")).name  # doctest: +SKIP
    'cell_0000'
    """
    _check_discover_options(discover_options)
    source = DataSource.of(source)
    if split not in SPLITS:
        raise LeukoInputError(f"split {split!r} is unknown; use train, val, test or all")
    degradation = source.degradation
    if degradation and degradation.get("kind", "bicubic") != "bicubic":
        from leuko_keras.data.degradations import degrade_examples

        plain = iter_examples(source.replace(degradation=None), scale, split, need_mask, **discover_options)
        yield from degrade_examples(plain, scale, degradation, source.seed, source.location)
        return
    from leuko_keras.data.normalize import as_rule, normalize_example

    rule = as_rule(source.normalize)
    if rule.kind != "container":
        real = not source.several and is_pairs_folder(source.location)
        # Read in the container's range below, then put in network units once, here.
        inner = source.replace(normalize=None)
        for example in iter_examples(inner, scale, split, need_mask, **discover_options):
            yield normalize_example(example, rule, scale, real_lr=real)
        return
    if source.several:
        # Each folder split on its own, so a folder's test images are the same as when it is used alone.
        for folder in source.location:
            for example in iter_examples(source.replace(location=folder), scale, split, need_mask, **discover_options):
                yield dataclasses.replace(example, name=f"{Path(folder).name}/{example.name}")
        return
    yield from _iter_one(source, scale, split, need_mask, discover_options)


def _iter_one(
    source: DataSource, scale: int, split: str, need_mask: bool, discover_options: dict[str, Any]
) -> Iterator[Example]:
    location, seed, fractions, split_file = source.location, source.seed, source.fractions, source.split_file

    def pick(items: list[Any], generated: bool = False) -> list[Any]:
        if split == "all":
            return sorted(items, key=lambda item: item if isinstance(item, str) else item.name)
        # Generated cells: a split that does not depend on how many were made.
        parts = block_split(items, seed, fractions) if generated and split_file is None else None
        return (parts or split_samples(items, seed=seed, fractions=fractions, split_file=split_file))[split]

    if location is None:
        cells = _synthetic_cells(source.synthetic_count, source.synthetic_size, seed)
        width = max(4, len(str(source.synthetic_count - 1)))
        names = {f"cell_{i:0{width}d}": cell for i, cell in enumerate(cells)}
        for name in pick(list(names), generated=True):
            yield make_example(name, names[name].rgb.astype(np.float64) / 255.0, names[name].labels, scale)
        return
    if is_pairs_folder(location):
        from leuko_keras.data import pairs

        yield from pairs.iter_pair_examples(location, scale, pick(pairs.pair_names(location)), need_mask)
        return
    if _is_h5(location):
        from leuko_keras.data import h5pack

        chosen = pick(h5pack.read_names(location))
        yield from h5pack.iter_examples(location, scale, names=chosen, need_mask=need_mask)
        return
    samples = pick(discover(location, **discover_options))
    if need_mask:
        require_masks(samples, location)
    for sample in samples:
        yield load_example(sample, scale, need_mask)
