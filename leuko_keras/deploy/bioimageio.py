"""bioimage.io model-zoo package (spec 0.5): the model as Fiji (deepImageJ), ilastik, QuPath and napari run it.

The package is a zip of ``rdf.yaml``, a TensorFlow SavedModel bundle
(``saved_model.zip``), test input/output tensors (``.npy``), cover images and a
README. Its graph takes **RGB** by default (``variant="rgb"``): the MATLAB
BT.601 luminance, the network, the MATLAB-bicubic Cb/Cr and the merge back to
RGB all run inside it, so a Fiji user opens a colour micrograph and gets a
colour result with no colour-space step of their own (Fiji has no MATLAB
studio-range YCbCr). ``variant="y"`` keeps the raw luminance graph for grey
data. Intensities are in the file's units; ``scale_linear`` pre/post-processing
in the RDF does the division by 255 (or 2**N - 1 with ``bits=N``) and back.

**One output tensor.** bioimage.io's TensorFlow 2 runner (bioimageio.core
0.11 ``KerasModelAdapter``) loads the bundle with ``keras.layers.TFSMLayer``
and pairs the returned dict's values with the RDF's outputs *by position*. A
SavedModel's dict outputs come back in the iteration order of a protobuf map
(``DictValue.fields``, decoded by TensorFlow's ``nested_structure_coder``),
which the upb runtime randomises per process (``parsing_map`` came first in 15
of 18 processes, ``sr`` in 3): no fixed RDF order passes every run. So
a model with a parsing map serves one tensor ``sr_and_map`` whose channels are
the image (R, G, B or Y) followed by the probabilities of background,
cytoplasm and nucleus; a one-key dict has only one order. Per-channel
``scale_linear`` post-processing rescales the image channels only.

>>> import leuko_keras
>>> model = leuko_keras.build_model("np", scale=4, filters=8, lr_blocks=1, decoder_blocks=1)  # doctest: +SKIP
>>> export_bioimageio(model, "np_x4.bioimageio.zip", scale=4, model_name="np").psnr_db  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.core.atomic import atomic_path
from leuko_keras.data.normalize import Normalization
from leuko_keras.deploy import bioimageio_rdf as rdf
from leuko_keras.deploy.bioimageio_rdf import VARIANTS
from leuko_keras.deploy.metadata import sha256_file
from leuko_keras.deploy.request import check_package_path
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.metrics import psnr
from leuko_keras.runs.runrecord import RunRecord

TEST_LR_SIDE = 64
MIN_STEPS = rdf.MIN_STEPS


@dataclasses.dataclass
class BioimageioResult:
    """The written zip, PSNR of its ``sr`` test tensor against the Keras pipeline, and the RDF as a dict."""

    path: Path
    psnr_db: float
    map_max_abs: float | None
    rdf: dict[str, Any]


def serving_graph(model: Any, scale: int, variant: str = "rgb") -> Callable[[Any], dict[str, Any]]:
    """The function the package serves: ``rgb`` (B, h, w, 3) or ``y`` (B, h, w, 1) in [0, 1] -> one output.

    >>> serve = serving_graph(leuko_keras.build_model("gp", scale=4), 4)  # doctest: +SKIP
    >>> serve(tf.zeros((1, 16, 16, 3)))["sr_and_map"].shape  # doctest: +SKIP
    TensorShape([1, 64, 64, 6])
    """
    import tensorflow as tf

    from leuko_keras.layers.bicubic import BicubicUpsample
    from leuko_keras.runtime.color import _M, _OFFSET

    forward = tf.constant(_M.T / 255.0, tf.float32)
    inverse = tf.constant(np.linalg.inv(_M.T / 255.0), tf.float32)
    offset = tf.constant(_OFFSET, tf.float32)
    chroma_up = BicubicUpsample(scale)

    def serve(image: Any) -> dict[str, Any]:
        if variant == "rgb":
            ycbcr = tf.tensordot(image, forward, axes=1) + offset
            luma = ycbcr[..., :1]
        else:
            luma = image
        outputs = model(luma, training=False)
        # Clipped before the colour merge, as leuko-keras predict does.
        sr = tf.clip_by_value(tf.cast(outputs["sr"], tf.float32), 0.0, 1.0)
        if variant == "rgb":
            merged = tf.concat([sr, chroma_up(ycbcr[..., 1:])], axis=-1)
            sr = tf.clip_by_value(tf.tensordot(merged - offset, inverse, axes=1), 0.0, 1.0)
        if "mask" not in outputs:
            return {"sr": sr}
        # One tensor, not two: see the module docstring (output order in bioimageio.core).
        return {"sr_and_map": tf.concat([sr, tf.cast(outputs["mask"], tf.float32)], axis=-1)}

    return serve


def write_bundle(model: Any, scale: int, variant: str, out_dir: Path) -> Path:
    """SavedModel with endpoint ``serve`` (also ``serving_default``), input ``input``, one named output.

    >>> write_bundle(model, 4, "rgb", Path("/tmp/bundle"))  # doctest: +SKIP
    """
    import keras
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(model)
    channels = 3 if variant == "rgb" else 1
    archive.add_endpoint(
        name="serve",
        fn=serving_graph(model, scale, variant),
        input_signature=[tf.TensorSpec((None, None, None, channels), tf.float32, name="input")],
    )
    archive.write_out(os.fspath(out_dir), verbose=False)
    return out_dir


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def sample_lr_image(scale: int, lr_side: int, seed: int = 7) -> np.ndarray:
    """An LR RGB test image in [0, 1]: a synthetic leukocyte degraded by the paper's protocol.

    >>> sample_lr_image(4, 16).shape
    (16, 16, 3)
    """
    from leuko_keras.protocol.degrade import make_lr
    from leuko_keras.synth import generate

    cell = generate(1, size=lr_side * scale, seed=seed)[0]
    return make_lr(cell.rgb.astype(np.float64) / 255.0, scale)


def keras_reference(model: Any, lr: np.ndarray, scale: int, variant: str) -> tuple[np.ndarray, Any]:
    """What leuko-keras itself gives for ``lr`` (RGB, or Y (h, w, 1) for ``variant="y"``): SR in [0, 1], probs.

    >>> sr, probs = keras_reference(model, sample_lr_image(4, 16), 4, "rgb")  # doctest: +SKIP
    >>> sr.shape, probs.shape  # doctest: +SKIP
    ((64, 64, 3), (64, 64, 3))
    """
    from leuko_keras.models.inference import super_resolve
    from leuko_keras.runtime.rgb import round_trip

    def run_y(lr_y: np.ndarray) -> tuple[np.ndarray, Any]:
        return super_resolve(model, lr_y.astype(np.float32), scale)

    if variant == "y":
        sr_y, probs = run_y(lr[..., 0])
        return np.clip(sr_y.astype(np.float64), 0.0, 1.0)[..., None], probs
    return round_trip(lr, run_y, scale)


def export_bioimageio(
    model: Any,
    out: str | os.PathLike,
    scale: int | None = None,
    model_name: str | None = None,
    config: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
    normalize: Normalization | None = None,
    variant: str = "rgb",
    source: str = "",
    lr_side: int = TEST_LR_SIDE,
    authors: list[str] | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> BioimageioResult:
    """Write a bioimage.io package for a loaded leuko-keras ``model`` to ``out`` (a ``.zip``), atomically.

    ``config``/``summary`` are a run folder's ``config.json``/``summary.json`` (training data, held-out
    metrics), optional; ``normalize`` defaults to the run's recorded rule.
    """
    from leuko_keras import __version__

    out, model, plan = _plan(model, out, scale, model_name, config, normalize, variant, source, lr_side)
    scale, name, rule, peak, step, side, config = (
        plan[k] for k in ("scale", "name", "rule", "peak", "step", "side", "config")
    )
    has_map = "mask" in model.output

    lr = sample_lr_image(scale, side)
    if variant == "y":
        from leuko_keras.runtime.color import rgb_to_ycbcr

        lr = rgb_to_ycbcr(lr)[..., :1]
    reference, ref_probs = keras_reference(model, lr, scale, variant)
    with tempfile.TemporaryDirectory(prefix="leuko_bioimageio_") as tmp_name:
        tmp = Path(tmp_name)
        log("writing the SavedModel bundle")
        bundle = write_bundle(model, scale, variant, tmp / "saved_model")
        _zip_folder(bundle, tmp / "saved_model.zip")
        served = _run_bundle(bundle, lr.astype(np.float32))
        shutil.rmtree(bundle)
        files = _write_tensors(tmp, lr, served, peak)
        image_channels = lr.shape[-1]
        sr_out, probs_out = served[..., :image_channels], served[..., image_channels:]
        psnr_db = psnr(sr_out, reference)
        map_diff = None if ref_probs is None else float(np.max(np.abs(probs_out - ref_probs)))
        log(f"package vs Keras: sr PSNR {psnr_db:.2f} dB" + ("" if map_diff is None else f", map {map_diff:.2e}"))
        _write_cover(tmp, lr, sr_out, probs_out if has_map else None, scale)
        facts = {
            "name": name,
            "scale": scale,
            "variant": variant,
            "step": step,
            "peak": peak,
            "rule": rule,
            "has_map": has_map,
            "psnr_db": psnr_db,
            "map_diff": map_diff,
            "version": __version__,
            "source": source or name,
            "config": config,
            "summary": summary or {},
            "authors": authors or ["leuko-keras contributors"],
        }
        description = rdf.describe(facts, files)
        (tmp / "README.md").write_text(rdf.readme(rdf.readme_facts(facts)), encoding="utf-8")
        description["documentation"] = "README.md"
        (tmp / "rdf.yaml").write_text(rdf.to_yaml(description), encoding="utf-8")
        with atomic_path(out) as target, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(tmp.iterdir()):
                archive.write(path, path.name)
    return BioimageioResult(out, psnr_db, map_diff, description)


def _plan(
    model: Any, out: Any, scale: int | None, model_name: str | None, config: dict | None, normalize: Any,
    variant: str, source: str, lr_side: int,
) -> tuple[Path, Any, dict[str, Any]]:  # fmt: skip
    """Every check and derived value of a package, before any work (never over a user's file or the model)."""
    from leuko_keras.data.normalize import from_config
    from leuko_keras.deploy.savedmodel import check_ours, float32_model
    from leuko_keras.models.inference import hr_multiple
    from leuko_keras.models.registry import model_scale

    out = check_package_path(out, (source,) if source else ())
    if variant not in VARIANTS:
        raise LeukoInputError(f"bioimage.io variant {variant!r}: use one of {', '.join(VARIANTS)}")
    check_ours(model, source or "model")
    model = float32_model(model)
    record = RunRecord.from_config(config, source)
    scale = int(scale or record.scale or model_scale(model) or 0)
    if not scale:
        raise LeukoInputError(f"{source or 'model'}: cannot tell its scale; export a leuko-keras run folder")
    rule = normalize if normalize is not None else from_config(record.config or {})
    if rule.kind == "percentile":
        raise LeukoInputError(
            "bioimage.io export with --normalize percentile: its inverse cannot be stated in the RDF's "
            "post-processing; export with bits=N or the default"
        )
    step = hr_multiple(model) // math.gcd(hr_multiple(model), scale)
    return (
        out,
        model,
        {
            "scale": scale,
            "name": str(model_name or record.model or model.name.rsplit("_x", 1)[0]),
            "rule": rule,
            "peak": float(2 ** (rule.bits or 8) - 1),
            "step": step,
            "side": max(step * MIN_STEPS, lr_side // step * step),
            "config": record.config or {},
        },
    )


def export_bioimageio_run(
    source: str | os.PathLike,
    out: str | os.PathLike,
    normalize: Normalization | None = None,
    variant: str = "rgb",
    log: Callable[[str], None] = lambda message: None,
) -> BioimageioResult:
    """Package a run folder (``best.keras`` + ``config.json`` + ``summary.json``) or a ``.keras`` file.

    >>> export_bioimageio_run("runs/gp_x4", "gp_x4.bioimageio.zip").psnr_db  # doctest: +SKIP
    """
    import json

    from leuko_keras.runs.model_io import load_run

    model, record = load_run(source, compile=False)
    config = record.config if record.root is not None else None
    summary = None
    summary_file, card_file = record.path("summary.json"), record.card
    if summary_file is not None:
        try:
            summary = json.loads(summary_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise LeukoInputError(f"{summary_file}: not valid JSON ({error}); fix or delete it") from error
    elif card_file is not None:
        # A shipped pretrained model: its card holds the held-out scores (first test split listed).
        split, row = next(iter(json.loads(card_file.read_text(encoding="utf-8"))["heldout"].items()))
        summary = {
            "images": row["images"],
            "split": f"{split} test",
            "model": {"psnr": row["psnr"], "ssim": row["ssim"]},
            "bicubic": {"psnr": row["bicubic_psnr"], "ssim": row["bicubic_ssim"]},
        }
    return export_bioimageio(
        model, out, config=config, summary=summary, normalize=normalize, variant=variant, source=os.fspath(source),
        log=log,
    )  # fmt: skip


def _run_bundle(bundle: Path, lr: np.ndarray) -> np.ndarray:
    """The bundle's one output for one image, (H, W, C), run by TensorFlow as a consumer would."""
    import tensorflow as tf

    loaded = tf.saved_model.load(os.fspath(bundle))
    (value,) = loaded.serve(tf.constant(lr[None])).values()
    return np.asarray(value, np.float32)[0]


def _write_tensors(tmp: Path, lr: np.ndarray, served: np.ndarray, peak: float) -> dict[str, str]:
    # Test tensors are in the file's units: the RDF's scale_linear steps do the rest.
    import tifffile
    from PIL import Image

    image_channels = lr.shape[-1]
    output = served.copy()
    output[..., :image_channels] *= peak
    np.save(tmp / "test_input.npy", (lr[None] * peak).astype(np.float32))
    np.save(tmp / "test_output.npy", output[None].astype(np.float32))
    # Sample tensors are for people: an 8-bit picture in, the float output as a TIFF out.
    picture = np.rint(np.clip(lr[..., 0] if image_channels == 1 else lr, 0, 1) * 255).astype(np.uint8)
    Image.fromarray(picture).save(tmp / "sample_input.png")
    tifffile.imwrite(tmp / "sample_output.tif", output.astype(np.float32), photometric="minisblack")
    names = ["test_input.npy", "test_output.npy", "sample_input.png", "sample_output.tif", "saved_model.zip"]
    return {name: sha256_file(tmp / name) for name in names}


def _write_cover(tmp: Path, lr: np.ndarray, sr: np.ndarray, probs: np.ndarray | None, scale: int) -> None:
    # 2:1 as the model zoo recommends: the LR input (pixels enlarged) beside the SR output (map tinted in).
    from PIL import Image

    from leuko_keras.data.masks import colorize

    left = np.kron(lr, np.ones((scale, scale, 1)))
    right = sr
    if probs is not None:
        colours = colorize(np.argmax(probs, axis=-1)).astype(np.float64) / 255.0
        right = 0.65 * (sr if sr.shape[-1] == 3 else np.repeat(sr, 3, -1)) + 0.35 * colours
    panels = [p if p.shape[-1] == 3 else np.repeat(p, 3, -1) for p in (left, right)]
    cover = np.concatenate(panels, axis=1)
    Image.fromarray(np.rint(np.clip(cover, 0, 1) * 255).astype(np.uint8)).save(tmp / "cover.png")
