"""What ``leuko-keras export`` was asked to do, every flag checked before the first file is written.

``--out`` is replaced as a whole folder (the rules of :mod:`leuko_keras.core.outputs`); ``--bioimageio`` is one
``.zip`` file, which may replace only a package an earlier export wrote: a user's file of that name, a
folder, a path under a regular file, one of the inputs (or inside one), or a path inside ``--out`` (which
the export replaces) is refused in one line. ``--quantize`` means something only with ``--tflite``.

>>> plan_export("runs/gp_x4", out=None, bioimageio=None)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
leuko_keras.errors.LeukoInputError: export: nothing to write; give --out FOLDER and/or --bioimageio PACKAGE.zip
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leuko_keras.core.outputs import check_output_file, check_output_folder, resolved
from leuko_keras.errors import LeukoInputError

# Every file export_bioimageio puts in a package: a zip holding only these (and our rdf.yaml) is ours to replace.
PACKAGE_FILES = frozenset(
    {
        "rdf.yaml",
        "README.md",
        "cover.png",
        "saved_model.zip",
        "test_input.npy",
        "test_output.npy",
        "sample_input.png",
        "sample_output.tif",
    }
)
# rdf.yaml of our packages carries this block (bioimageio_rdf.describe: config.leuko_keras).
_OUR_RDF_MARK = "\nconfig:\n  leuko_keras:\n"


@dataclass(frozen=True)
class ExportPlan:
    """The checked request: the normalisation rule (None: the run's), the TFLite quantizations, the two outputs."""

    rule: Any
    quantizations: list[str]
    out: Path | None
    package: Path | None


def package_is_ours(path: str | os.PathLike) -> bool:
    """True when ``path`` is a bioimage.io zip an export of ours wrote (only our files, our rdf.yaml).

    >>> package_is_ours("/nonexistent.zip")
    False
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "rdf.yaml" not in names or not names <= PACKAGE_FILES:
                return False
            return _OUR_RDF_MARK in archive.read("rdf.yaml").decode("utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return False


def check_package_path(
    package: str | os.PathLike, inputs: tuple[Any, ...] = (), out: str | os.PathLike | None = None
) -> Path:
    """Refuse a ``--bioimageio`` path we may not write; return it.

    >>> check_package_path("/tmp/leuko_new/gp.zip").name
    'gp.zip'
    """
    path = Path(package).expanduser()
    flag = "--bioimageio"
    if path.suffix.lower() != ".zip":
        raise LeukoInputError(f"{path}: a bioimage.io package is a .zip file; name it e.g. {path.stem}.zip")
    check_output_file(path, flag)
    target = resolved(path)
    # --out counts even before it exists: the export creates it, then replaces it as a whole.
    keep_off = [("the input", item) for item in inputs if item is not None and Path(item).expanduser().exists()]
    keep_off += [("--out", out)] if out is not None else []
    for what, item in keep_off:
        source = resolved(item)
        if target == source or source in target.parents:
            why = "the export replaces that folder" if what == "--out" else "writing there would destroy it"
            relation = "is" if target == source else "lies inside"
            raise LeukoInputError(f"{flag} {path}: {relation} {what} {item}; {why}; write the package elsewhere")
    if path.exists() and not package_is_ours(path):
        raise LeukoInputError(
            f"{flag} {path}: file exists and is not a package an earlier export wrote; "
            "choose a new file name (or move that file away)"
        )
    return path


def plan_export(
    source: str | os.PathLike,
    out: str | os.PathLike | None,
    bioimageio: str | os.PathLike | None,
    tflite: bool = False,
    quantize: str | None = None,
    normalize: str | None = None,
    variant: str = "rgb",
    representative: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
) -> ExportPlan:
    """Check every flag of one ``export`` (nothing is loaded or written); the plan to carry out."""
    from leuko_keras.data.normalize import parse_normalize
    from leuko_keras.deploy.bioimageio_rdf import VARIANTS
    from leuko_keras.deploy.export import export_owned
    from leuko_keras.deploy.tflite import QUANTIZATIONS, parse_quantizations
    from leuko_keras.runs.presets import resolve_model_path

    if out is None and bioimageio is None:
        raise LeukoInputError("export: nothing to write; give --out FOLDER and/or --bioimageio PACKAGE.zip")
    rule = parse_normalize(normalize) if normalize is not None else None
    if quantize is not None and not tflite:
        raise LeukoInputError(f"--quantize {quantize}: only used with --tflite; add --tflite or drop --quantize")
    quantizations = parse_quantizations(quantize or ",".join(QUANTIZATIONS)) if tflite else []
    if out is None and tflite:
        raise LeukoInputError("--tflite: the TFLite artifacts go into --out; give --out FOLDER")
    inputs = (resolve_model_path(source), representative, data, *_run_data(source, data))
    out_dir = None
    if out is not None:
        out_dir = check_output_folder(out, "--out", owned=export_owned, inputs=inputs, what="an earlier export")
    package = None
    if bioimageio is not None:
        if variant not in VARIANTS:
            raise LeukoInputError(f"bioimage.io variant {variant!r}: use one of {', '.join(VARIANTS)}")
        if rule is not None and rule.kind == "percentile":
            raise LeukoInputError(
                "bioimage.io export with --normalize percentile: its inverse cannot be stated in the RDF's "
                "post-processing; export with bits=N or the default"
            )
        package = check_package_path(bioimageio, inputs, out)
    return ExportPlan(rule, quantizations, out_dir, package)


def _run_data(source: str | os.PathLike, data: str | os.PathLike | None) -> tuple[Any, ...]:
    # The held-out images come from the run's own data unless --data says otherwise: outputs stay off them too.
    if data is not None:
        return ()
    from leuko_keras.runs.runrecord import read_run

    location = read_run(source, need_model=False).data_source
    return tuple(location) if isinstance(location, list | tuple) else (location,)
