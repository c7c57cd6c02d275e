"""Deterministic train/val/test splits, or a split read from a file.

Seeded split: names are sorted, shuffled with ``numpy.random.default_rng(seed)``
and cut by ``fractions`` (floats summing to 1, or counts such as the paper's
``(759, 52, 52)``). With at least three samples, val and test get at least
one each when their fraction is positive.

Split file, either JSON ``{"train": [names], "val": [...], "test": [...]}``
or text, one ``NAME SPLIT`` pair per line (whitespace, comma or tab
separated; ``#`` starts a comment). Samples the file does not name are left
out of every split; names the file gives that do not exist are an error.

>>> names = [f"cell_{i:02d}" for i in range(10)]
>>> parts = split_samples(names, seed=0)
>>> [len(parts[k]) for k in ("train", "val", "test")]
[8, 1, 1]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.errors import LeukoInputError

SPLITS = ("train", "val", "test")


def _name(item: Any) -> str:
    return item if isinstance(item, str) else item.name


def split_samples(
    samples: Sequence[Any],
    seed: int = 0,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    split_file: str | os.PathLike | None = None,
) -> dict[str, list[Any]]:
    """Split items with a ``.name`` (or plain names) into ``{"train", "val", "test"}`` lists."""
    by_name = {_name(item): item for item in samples}
    if len(by_name) != len(samples):
        raise LeukoInputError("two samples share a name; rename one so every sample name is unique")
    if split_file is not None:
        assignment = read_split_file(split_file)
        unknown = sorted(set(assignment) - set(by_name))
        if unknown:
            raise LeukoInputError(
                f"{split_file}: names {unknown[:3]} are not in the data; fix the split file or the data folder"
            )
        return {part: [by_name[n] for n in sorted(by_name) if assignment.get(n) == part] for part in SPLITS}
    counts = _counts(len(by_name), fractions)
    order = np.random.default_rng(seed).permutation(len(by_name))
    ordered = sorted(by_name)
    names = [ordered[i] for i in order]
    train, val = counts[0], counts[0] + counts[1]
    parts = {"train": names[:train], "val": names[train:val], "test": names[val:]}
    # Each split listed in name order: stable output and readable logs.
    return {part: [by_name[n] for n in sorted(parts[part])] for part in SPLITS}


def _counts(total: int, fractions: Sequence[float]) -> tuple[int, int, int]:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or sum(fractions) <= 0:
        raise LeukoInputError(
            f"split fractions {tuple(fractions)} must be three non-negative numbers (train, val, test)"
        )
    if all(float(f).is_integer() for f in fractions) and sum(fractions) > 1:
        if sum(fractions) != total:
            raise LeukoInputError(
                f"split counts {tuple(fractions)} add up to {sum(fractions)} but there are {total} samples"
            )
        return tuple(int(f) for f in fractions)  # type: ignore[return-value]
    share = np.asarray(fractions, dtype=np.float64) / float(sum(fractions))
    val, test = (round(float(total * s)) for s in share[1:])
    if total >= 3:
        val = max(val, 1) if share[1] > 0 else 0
        test = max(test, 1) if share[2] > 0 else 0
    return total - val - test, val, test


def block_split(
    names: Sequence[str], seed: int = 0, fractions: Sequence[float] = (0.8, 0.1, 0.1), block: int = 10
) -> dict[str, list[str]] | None:
    """Split generated items so item ``i`` lands in the same split whatever the item count.

    For the synthetic set, where ``generate(n)[:k] == generate(k)``: a model
    trained on 200 cells and evaluated on 48 must not meet its training cells.
    ``names`` are in generation order; each run of ``block`` names is permuted
    with a generator seeded by ``(seed, block index)`` and cut by ``fractions``.
    Returns None (use :func:`split_samples`) for fewer than ``block`` names or
    count-style fractions.

    >>> parts = block_split([f"c{i}" for i in range(20)], seed=0)
    >>> [len(parts[k]) for k in SPLITS]
    [16, 2, 2]
    >>> block_split([f"c{i}" for i in range(30)], seed=0)["test"][:2] == parts["test"]
    True
    """
    if len(names) < block or (all(float(f).is_integer() for f in fractions) and sum(fractions) > 1):
        return None
    train, val, _ = _counts(block, fractions)
    parts: dict[str, list[str]] = {part: [] for part in SPLITS}
    for start in range(0, len(names), block):
        ranks = np.random.default_rng([int(seed), start // block]).permutation(block)
        for offset, name in enumerate(names[start : start + block]):
            rank = int(ranks[offset])
            parts["train" if rank < train else "val" if rank < train + val else "test"].append(name)
    return parts


def read_split_file(path: str | os.PathLike) -> dict[str, str]:
    """Read a split file into ``{name: "train" | "val" | "test"}``."""
    path = Path(path)
    if not path.is_file():
        raise LeukoInputError(f"{path}: split file not found; check the path")
    text = path.read_text(encoding="utf-8")
    assignment: dict[str, str] = {}
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
            pairs = [(str(n), part) for part, names in data.items() for n in names]
        except (json.JSONDecodeError, AttributeError, TypeError):
            raise LeukoInputError(f'{path}: expected {{"train": [...], "val": [...], "test": [...]}}') from None
    else:
        pairs = []
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split("#", 1)[0].replace(",", " ").split()
            if not fields:
                continue
            if len(fields) != 2:
                raise LeukoInputError(f"{path}: line {number} should be 'NAME SPLIT', got {line.strip()!r}")
            pairs.append((fields[0], fields[1].lower()))
    for name, part in pairs:
        if part not in SPLITS:
            raise LeukoInputError(f"{path}: split {part!r} for {name!r} must be train, val or test")
        if assignment.setdefault(name, part) != part:
            raise LeukoInputError(f"{path}: {name!r} is in two splits; keep it in one")
    return assignment


def write_split_file(path: str | os.PathLike, parts: dict[str, list[Any]]) -> Path:
    """Record a split as a text split file (atomic), so a run can be repeated exactly."""
    from leuko_keras.core.atomic import write_text_atomic

    lines = [f"{_name(item)} {part}" for part in SPLITS for item in parts.get(part, [])]
    return write_text_atomic(path, "# NAME SPLIT\n" + "\n".join(lines) + "\n")
