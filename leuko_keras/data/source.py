"""Where a run's examples come from and how they are made: one :class:`DataSource` value.

The loaders (:mod:`leuko_keras.data.examples`), the ``tf.data`` builder
(:mod:`leuko_keras.data.pipeline`), evaluation and export all take this one
value, so the split seed, the synthetic set's size, the degradation and the
intensity rule travel together and cannot drift apart between training,
validation and the held-out images an export is checked on.

>>> DataSource.of(None).synthetic, DataSource.of("cells/").location
(True, 'cells/')
>>> DataSource.of(["a", "b"], seed=3).location, DataSource.of(["a", "b"], seed=3).seed
(('a', 'b'), 3)
>>> source_fingerprint(DataSource(synthetic_count=6, synthetic_size=64, seed=1))
'synthetic:count=6:size=64:seed=1'

This module reads file names and sizes only; it imports neither TensorFlow nor the image readers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from leuko_keras.errors import LeukoInputError

__all__ = ["DataSource", "Location", "source_fingerprint"]

# A data folder, a ``.h5`` pack, a folder of real lr/ + hr/ pairs, several folders, or None (synthetic).
Location: TypeAlias = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


@dataclass(frozen=True)
class DataSource:
    """The examples of a run: their location and every setting that decides which images and which LR.

    ``location`` is None (the built-in synthetic set, generated in memory: ``synthetic_count`` cells of
    ``synthetic_size`` px, deterministic by ``seed``), a data folder (:mod:`leuko_keras.data.dataset`),
    a ``.h5`` pack (``leuko-keras pack``), a folder of real pairs (:mod:`leuko_keras.data.pairs`), or a
    tuple of folders (each split on its own). ``seed`` and ``fractions`` (or ``split_file``) decide the
    train/val/test split; ``degradation`` (a :mod:`leuko_keras.data.degradations` record; None or
    bicubic = the paper's) how LR images are made; ``normalize`` (a :mod:`leuko_keras.data.normalize`
    rule, spec or record; None = the container's range) the intensity units before degrading.

    >>> source = DataSource.of("runs/../cells", seed=2)
    >>> source.seed, source.fractions, source.synthetic
    (2, (0.8, 0.1, 0.1), False)
    >>> source.replace(location=None).synthetic
    True
    """

    location: Any = None  # Location; a list is stored as a tuple so the value stays immutable
    synthetic_count: int = 48
    synthetic_size: int = 256
    seed: int = 0
    fractions: tuple[float, ...] = (0.8, 0.1, 0.1)
    split_file: str | os.PathLike[str] | None = None
    # Records and rules are dicts or rule objects: compared, but left out of the hash.
    degradation: dict[str, Any] | None = field(default=None, hash=False)
    normalize: Any = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.location, list | tuple):
            object.__setattr__(self, "location", tuple(self.location))
        object.__setattr__(self, "fractions", tuple(self.fractions))

    @classmethod
    def of(cls, source: DataSource | Location = None, **settings: Any) -> DataSource:
        """``source`` as a DataSource: an existing one (``settings`` replaced), else a location with ``settings``.

        >>> DataSource.of(DataSource(seed=4)).seed, DataSource.of(DataSource(seed=4), seed=5).seed
        (4, 5)
        """
        if isinstance(source, DataSource):
            return source.replace(**settings) if settings else source
        return cls(location=source, **settings)

    def replace(self, **changes: Any) -> DataSource:
        """A copy with ``changes`` (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    @property
    def synthetic(self) -> bool:
        """True for the built-in synthetic set (no location)."""
        return self.location is None

    @property
    def several(self) -> bool:
        """True when the location is several folders, each split on its own."""
        return isinstance(self.location, tuple)

    @property
    def label(self) -> str:
        """The location as messages name it (the synthetic set when there is none)."""
        if self.location is None:
            return "synthetic set"
        return str(list(self.location)) if self.several else str(self.location)


def source_fingerprint(source: DataSource | Location) -> str:
    """A short id of the data a run used (names, sizes and times of the files; or the synthetic settings).

    Only the location and the synthetic settings count: the degradation and the intensity rule are
    recorded in ``config.json`` on their own.

    >>> source_fingerprint(None)
    'synthetic:count=48:size=256:seed=0'
    """
    source = DataSource.of(source)
    if source.synthetic:
        return f"synthetic:count={source.synthetic_count}:size={source.synthetic_size}:seed={source.seed}"
    if source.several:
        return "+".join(source_fingerprint(source.replace(location=folder)) for folder in source.location)
    path = Path(source.location)
    if not path.exists():
        raise LeukoInputError(f"{path}: no such file or folder; check the path")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        stat = file.stat()
        digest.update(f"{file.relative_to(path.parent)}:{stat.st_size}:{int(stat.st_mtime)}\n".encode())
    return f"{path.name}:{len(files)}files:sha256={digest.hexdigest()[:16]}"
