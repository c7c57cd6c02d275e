"""Where a command may write: the rules that keep user files safe.

A command that replaces a whole folder (``export --out``, ``demo --out``)
may replace only a folder it wrote itself, or an empty one: any other
non-empty folder, a file, or a folder that is (or holds, or lies inside) one
of the command's inputs is refused with one line, before any work, and left
untouched. Output *files* (``--json``, ``--markdown``, a pack) must not be a
folder nor lie under a regular file.

>>> from pathlib import Path
>>> check_output_file(Path("/tmp"), "--json")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
leuko_keras.errors.LeukoInputError: --json /tmp: is a folder; give a file path such as /tmp/results.json
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from leuko_keras.errors import LeukoInputError


def resolved(path: str | os.PathLike) -> Path:
    """The absolute path with ``..``, ``.`` and symlinks resolved (``Path(".").name`` is empty)."""
    return Path(path).expanduser().resolve()


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_not_under_file(path: Path, flag: str) -> None:
    """Refuse a path whose parent chain runs through a regular file (nothing could be created there)."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise LeukoInputError(f"{flag} {path}: {parent} is a file, not a folder; choose another path")
            return


def check_apart_from_inputs(
    path: str | os.PathLike, flag: str, inputs: Iterable[str | os.PathLike | None] = ()
) -> None:
    """Refuse an output path that is one of the command's ``inputs`` or lies inside an input folder.

    A result written into the data would replace an input, or be read as one the next time.

    >>> check_apart_from_inputs("/tmp/results.json", "--json", ["/tmp"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: --json /tmp/results.json: lies inside the input /tmp; ...
    """
    target = resolved(path)
    for item in inputs:
        if item is None or not Path(item).expanduser().exists():
            continue  # a missing input gets its own "no such file" line from the reader
        source = resolved(item)
        if _inside(target, source):
            relation = "is" if target == source else "lies inside"
            raise LeukoInputError(
                f"{flag} {path}: {relation} the input {item}; writing there would replace or add to what is "
                "read; choose a path outside the inputs"
            )


def check_output_file(path: str | os.PathLike, flag: str, inputs: Iterable[str | os.PathLike | None] = ()) -> Path:
    """Refuse an output file path that is a folder, lies under a regular file, or is (inside) an input; return it.

    >>> check_output_file("/tmp/leuko_x/results.json", "--json").name
    'results.json'
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise LeukoInputError(f"{flag} {path}: is a folder; give a file path such as {path / 'results.json'}")
    check_not_under_file(path.absolute(), flag)
    check_apart_from_inputs(path, flag, inputs)
    return path


def check_output_dir(path: str | os.PathLike, flag: str, inputs: Iterable[str | os.PathLike | None] = ()) -> Path:
    """Refuse a folder to write files into that is a file, lies under one, or is (inside) an input; return it.

    >>> check_output_dir("/tmp/leuko_new_outputs", "--out").name
    'leuko_new_outputs'
    """
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise LeukoInputError(f"{flag} {path}: is a file, not a folder; choose a folder path")
    check_not_under_file(path.absolute(), flag)
    check_apart_from_inputs(path, flag, inputs)
    return path


def check_output_folder(
    out: str | os.PathLike,
    flag: str,
    owned: Callable[[Path], str | None],
    inputs: Iterable[str | os.PathLike | None] = (),
    what: str = "an earlier output of this command",
) -> Path:
    """Refuse a folder that a replace would lose user data in; return its resolved path.

    ``owned(folder)`` returns None when ``folder`` holds only files this
    command wrote, else the first file it did not write (named in the error).
    ``inputs`` are the command's input files and folders: ``out`` may be none
    of them, nor lie inside one, nor hold one.

    >>> check_output_folder("/nonexistent/new_export", "--out", owned=lambda f: None).name
    'new_export'
    """
    target = resolved(out)
    for item in inputs:
        if item is None or not Path(item).expanduser().exists():
            continue  # a missing input gets its own "no such file" line from the reader
        source = resolved(item)
        if _inside(target, source) or _inside(source, target):
            relation = "is" if target == source else ("lies inside" if _inside(target, source) else "holds")
            raise LeukoInputError(
                f"{flag} {out}: {relation} the input {item}; writing there would destroy it; choose another folder"
            )
    check_not_under_file(target, flag)
    if target.exists() and not target.is_dir():
        raise LeukoInputError(f"{flag} {out}: is a file, not a folder; choose a folder path")
    if target.is_dir() and any(target.iterdir()):
        foreign = owned(target)
        if foreign is not None:
            raise LeukoInputError(
                f"{flag} {out}: folder is not empty and not {what} (it holds {foreign}); choose a new or empty folder"
            )
    return target


def foreign_file(folder: Path, ours: Iterable[str]) -> str | None:
    """The first file or folder under ``folder`` whose relative POSIX path is not in ``ours`` (or None).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_text("x")
    >>> foreign_file(d, ["a.txt"]) is None, foreign_file(d, [])
    (True, 'a.txt')
    """
    known = set(ours)
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue  # folders are judged by what they hold
        if name not in known:
            return name
    return None


def check_planned_outputs(plan: Mapping[Path, Sequence[Path]], flag: str = "--out") -> None:
    """Refuse a plan (input -> the files it will write) in which an output is an input or is written twice.

    Called before the first write: a command that writes over one of its inputs, or two inputs' results
    onto one file (a TIFF stack's ``stack_p1_sr`` beside a ``stack_p1.png``), would lose a file with exit 0.

    >>> plan = {Path("d/x.png"): [Path("d/x_sr.png")], Path("d/x_sr.png"): [Path("d/x_sr_sr.png")]}
    >>> check_planned_outputs(plan)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: d/x_sr.png: the output of d/x.png would overwrite this input; ...
    """
    inputs = {resolved(source): source for source in plan}
    writer: dict[Path, Path] = {}
    for source, outputs in plan.items():
        for output in outputs:
            key = resolved(output)
            if key in inputs:
                raise LeukoInputError(
                    f"{inputs[key]}: the output of {source} would overwrite this input; "
                    f"move earlier results out of the inputs, or choose another {flag}"
                )
            if key in writer and writer[key] != source:
                raise LeukoInputError(
                    f"{output}: both {writer[key]} and {source} would write this file and one result would be lost; "
                    f"rename one of them, or run them into separate {flag} folders"
                )
            writer[key] = source
