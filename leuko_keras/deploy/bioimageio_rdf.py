"""The text parts of a bioimage.io package: ``rdf.yaml`` (spec 0.5) and its README.

Kept apart from the graph and file handling in :mod:`leuko_keras.deploy.bioimageio`
so the description can be read (and reviewed) on its own. No dependency on
``bioimageio.spec``: the package is plain YAML, which the tests check with the
library's own validator.

>>> print(to_yaml({"a": [1, {"b": "x: y"}], "c": None}))
a:
    - 1
    - b: "x: y"
c: null
<BLANKLINE>
"""

from __future__ import annotations

import json
from typing import Any

from leuko_keras.runs.runrecord import RunRecord

# The package's input forms: an RGB image (Y taken in-graph) or the luminance alone.
VARIANTS = ("rgb", "y")

MIN_STEPS = 4  # input sizes start at this many size steps: tiny tiles only measure the U-Net's borders

FORMAT_VERSION = "0.5.4"
# The data every shipped model is trained or tested on comes from this paper (see README, Credits).
DATA_CITATION = {
    "text": "Zheng X, Wang Y, Wang G, Liu J. Fast and robust segmentation of white blood cell images by "
    "self-supervised learning. Micron 107 (2018) 55-71 (the real leukocyte data and parsing maps).",
    "doi": "10.1016/j.micron.2018.01.010",
}
METHOD_TEXT = (
    "Super-resolution of leukocyte micrographs with a geometry prior: a U-Net predicts a parsing map "
    "(background / cytoplasm / nucleus) from the bicubic-upsampled luminance and conditions the SR network on it."
)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists, strings, numbers, booleans and None (strings JSON-quoted when needed)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}\n"
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 2)}")
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}\n")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]\n"
        lines = []
        for item in value:
            if isinstance(item, dict) and item:
                body = to_yaml(item, indent + 4)
                lines.append(f"{pad}  - {body[indent + 4 :]}")
            elif isinstance(item, list) and item:
                lines.append(f"{pad}  -\n{to_yaml(item, indent + 4)}")
            else:
                lines.append(f"{pad}  - {_scalar(item)}\n")
        return "".join(lines)
    return f"{pad}{_scalar(value)}\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    text = str(value)
    plain = text.replace("-", "").replace("_", "").replace(".", "").replace(" ", "").replace("/", "")
    if plain.isalnum() and not _looks_special(text):
        return text
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


def _looks_special(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "false", "yes", "no", "on", "off", "null", "~") or text[:1] in "-0123456789.":
        return True
    return text != text.strip()


def tensor_axes(kind: str, channels: list[str], lr_step: int, min_steps: int, scale: int) -> list[dict[str, Any]]:
    """bioimage.io axes of the input (``kind="input"``) or an output (sizes by reference x scale)."""
    if kind == "input":
        size: dict[str, Any] = {"min": lr_step * min_steps, "step": lr_step}
        space = [{"type": "space", "id": axis, "size": size, "unit": "micrometer", "scale": 1.0} for axis in "yx"]
    else:
        space = [
            {
                "type": "space",
                "id": axis,
                # spec 0.5: size = reference size * reference scale / this scale, i.e. input size x scale.
                "size": {"tensor_id": "input", "axis_id": axis},
                "unit": "micrometer",
                "scale": 1.0 / scale,
            }
            for axis in "yx"
        ]
    return [{"type": "batch"}, *space, {"type": "channel", "channel_names": channels}]


def readme(facts: dict[str, Any]) -> str:
    """The package's documentation (``README.md``): what goes in, what comes out, numbers, provenance."""
    rows = [f"| {key} | {value} |" for key, value in facts["metrics_rows"]]
    metrics = "\n".join(["| held-out metric | value |", "| --- | --- |", *rows]) if rows else "not recorded"
    return f"""# {facts["title"]}

{METHOD_TEXT}

Exported by leuko-keras {facts["version"]} from `{facts["source"]}` (model `{facts["model"]}`, x{facts["scale"]}).

## Input
`input`: {facts["input_text"]}
Pre-processing in this package: {facts["pre_text"]}
Spatial sides must be multiples of {facts["lr_step"]} pixels (at least {facts["lr_min"]}); tile larger images with an
overlap of about {facts["halo"]} pixels (the U-Net prior sees far).

## Output
{facts["output_text"]}

## Validation
The test tensors in this package were computed with the packaged TensorFlow SavedModel; against the Keras model
run through leuko-keras (Y through the network, Cb/Cr MATLAB bicubic, merge) the image channels reach PSNR
{facts["psnr_text"]} (peak 255){facts["map_text"]}. leuko-keras's tests build such a package and pass it through
`bioimageio.spec` validation and `bioimageio.core.test_model` (test-tensor reproduction).

## Training data
{facts["training_text"]}

{metrics}

## Use
Fiji (deepImageJ): Plugins > DeepImageJ > DeepImageJ Install Model > from a local zip, pick this file; open an
RGB micrograph; Plugins > DeepImageJ > DeepImageJ Run. napari: the bioimage.io plugin, or
`bioimageio.core.predict(model=..., inputs=...)` in Python. QuPath: run it in Fiji or Python and import the
`NAME_labels` image (see the leuko-keras README, "Use in Fiji / napari / QuPath").

## Citation
{DATA_CITATION["text"]} doi:{DATA_CITATION["doi"]}
"""


def _training_text(config: dict[str, Any]) -> str:
    settings = RunRecord.from_config(config).training
    data = settings.get("h5") or settings.get("data")
    where = f"`{data}`" if data else "the embedded synthetic leukocytes (leuko-keras synth)"
    steps = ", ".join(
        f"{key} {settings[key]}" for key in ("epochs", "steps_per_epoch", "size", "batch") if key in settings
    )
    return (
        f"Trained with leuko-keras fit on {where}"
        + (f" ({steps})" if steps else "")
        + "; seeded split, protocol in config."
    )


def describe(facts: dict[str, Any], sha: dict[str, str]) -> dict[str, Any]:
    """``rdf.yaml`` as a dict, from the exporter's facts and the files' sha256."""
    import tensorflow as tf

    scale, step, peak, variant = facts["scale"], facts["step"], facts["peak"], facts["variant"]
    channels = ["R", "G", "B"] if variant == "rgb" else ["Y"]
    preprocessing = [{"id": "scale_linear", "kwargs": {"gain": 1.0 / peak, "offset": 0.0}}]
    classes = ["background", "cytoplasm", "nucleus"] if facts["has_map"] else []
    gains = [peak] * len(channels) + [1.0] * len(classes)
    output = {
        "id": "sr_and_map" if classes else "sr",
        "description": f"x{scale} SR image ({', '.join(channels)}, input units)"
        + (", then P(background, cytoplasm, nucleus)" if classes else ""),
        "axes": tensor_axes("output", channels + classes, step, MIN_STEPS, scale),
        "test_tensor": {"source": "test_output.npy", "sha256": sha["test_output.npy"]},
        "sample_tensor": {"source": "sample_output.tif", "sha256": sha["sample_output.tif"]},
        "postprocessing": [{"id": "scale_linear", "kwargs": {"axis": "channel", "gain": gains, "offset": 0.0}}],
    }
    summary = facts["summary"]
    return {
        "type": "model",
        "format_version": FORMAT_VERSION,
        "name": f"leuko-keras {facts['name'].upper()} x{scale} leukocyte super-resolution",
        "description": f"x{scale} super-resolution of stained white-blood-cell micrographs"
        + (" with a parsing map (background / cytoplasm / nucleus)" if facts["has_map"] else ""),
        "authors": [{"name": author} for author in facts["authors"]],
        "cite": [DATA_CITATION],
        "license": "MIT",
        "covers": ["cover.png"],
        "tags": ["super-resolution", "leukocytes", "white-blood-cells", "hematology", "2d", "tensorflow"]
        + (["semantic-segmentation"] if facts["has_map"] else []),
        "version": facts["version"],
        "inputs": [
            {
                "id": "input",
                "description": f"{'RGB' if variant == 'rgb' else 'luminance (Y)'} micrograph in its own units "
                f"(0..{peak:g}); low resolution",
                "axes": tensor_axes("input", channels, step, MIN_STEPS, scale),
                "test_tensor": {"source": "test_input.npy", "sha256": sha["test_input.npy"]},
                "sample_tensor": {"source": "sample_input.png", "sha256": sha["sample_input.png"]},
                "preprocessing": preprocessing,
            }
        ],
        "outputs": [output],
        "weights": {
            "tensorflow_saved_model_bundle": {
                "source": "saved_model.zip",
                "sha256": sha["saved_model.zip"],
                "tensorflow_version": tf.__version__.split("-")[0],
            }
        },
        "config": {
            "leuko_keras": {
                "model": facts["name"],
                "scale": scale,
                "variant": variant,
                "normalize": facts["rule"].to_dict(),
                "psnr_test_tensor_vs_keras_db": round(facts["psnr_db"], 3),
                "parsing_map_max_abs_diff_vs_keras": facts["map_diff"],
                "heldout_metrics": {k: summary[k] for k in ("images", "model", "bicubic") if k in summary},
                "training": RunRecord.from_config(facts["config"]).training,
                "source": facts["source"],
            }
        },
    }


def readme_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """The values :func:`readme` fills in."""
    summary, peak, variant = facts["summary"], facts["peak"], facts["variant"]
    rows = []
    for who in ("model", "bicubic"):
        for metric in ("psnr", "ssim"):
            value = (summary.get(who) or {}).get(metric)
            if value is not None:
                rows.append((f"{who} {metric.upper()} (Y, {summary.get('images', '?')} images)", f"{value:.4g}"))
    return {
        "title": f"leuko-keras {facts['name'].upper()} x{facts['scale']}",
        "version": facts["version"],
        "source": facts["source"],
        "model": facts["name"],
        "scale": facts["scale"],
        "input_text": "RGB, axes batch, y, x, channel (R, G, B)"
        if variant == "rgb"
        else "luminance Y (MATLAB rgb2ycbcr, BT.601 studio range; a grey image is its own Y), axes b, y, x, c",
        "pre_text": f"`scale_linear` gain 1/{peak:g} (values 0..{peak:g}, i.e. {facts['rule'].spec}); the output "
        f"`sr` is scaled back by {peak:g}. "
        + (
            "Colour: the network works on Y; Cb/Cr are upscaled by MATLAB bicubic inside the graph."
            if variant == "rgb"
            else "Colour images: compute Y yourself; Cb/Cr bicubic and the merge are up to the caller."
        ),
        "lr_step": facts["step"],
        "lr_min": facts["step"] * MIN_STEPS,
        "halo": 16,
        "output_text": _output_text(facts),
        "psnr_text": f"{facts['psnr_db']:.2f} dB",
        "map_text": "" if facts["map_diff"] is None else f"; probabilities differ by at most {facts['map_diff']:.1e}",
        "training_text": _training_text(facts["config"]),
        "metrics_rows": rows,
    }


def _output_text(facts: dict[str, Any]) -> str:
    image = "R, G, B" if facts["variant"] == "rgb" else "Y"
    text = f"x{facts['scale']} super-resolved image, channels {image}, in the input's units (0..{facts['peak']:g})"
    if not facts["has_map"]:
        return f"`sr`: {text}."
    return (
        f"`sr_and_map`: first the {text}; then the softmax probabilities of background, cytoplasm and nucleus. "
        "The label image is the argmax over the last three channels (0 background, 1 cytoplasm, 2 nucleus). "
        "One tensor rather than two because bioimageio.core pairs a TensorFlow model's outputs by position and "
        "TensorFlow returns them in a random order per process; in Fiji split it with Image > Color > Split Channels."
    )
