"""TFLite conversion per quantization, the builtin-ops-only check, and embedded metadata.

Quantizations (``QUANTIZATIONS``):

* ``fp32``    -- float32 weights and activations;
* ``fp16``    -- float16 weights, dequantised to float32 at load (half the size);
* ``dynamic`` -- int8 weights, activations quantised on the fly (dynamic range);
* ``int8``    -- full integer: int8 weights (per channel) and int8 activations
  calibrated on representative LR crops; input and output stay float32, so
  the on-device code is the same for every artifact.

Conversion goes through a fixed-shape SavedModel (variables frozen, static
shapes for mobile delegates) with only TFLite builtin ops allowed, and the
op list of the result is checked again: a Flex (Select TF) or custom op
fails the export, because the standalone runner and phone runtimes lack them.

>>> data = convert_savedmodel("/tmp/fixed_sm", "int8", representative=crops)  # doctest: +SKIP
>>> check_builtin_only(data, "model_int8.tflite")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.lite.tools import flatbuffer_utils

from leuko_keras.errors import LeukoInputError

QUANTIZATIONS = ("fp32", "fp16", "dynamic", "int8")
DESCRIPTIONS = {
    "fp32": "float32 weights and activations",
    "fp16": "float16 weights (dequantised to float32 at load), float32 activations",
    "dynamic": "dynamic-range: int8 weights, activations quantised at run time where kernels allow",
    "int8": "full integer: int8 per-channel weights and int8 activations calibrated on representative "
    "LR crops; float32 input and output",
}
METADATA_NAME = "leuko_keras"
_BUILTIN_CUSTOM = 32  # BuiltinOperator.CUSTOM in the TFLite schema


def parse_quantizations(text: str) -> list[str]:
    """Parse ``"fp32,int8"`` into a list, refusing unknown names.

    >>> parse_quantizations("fp32, int8")
    ['fp32', 'int8']
    """
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in QUANTIZATIONS]
    if unknown or not names:
        raise LeukoInputError(
            f"--quantize {text!r}: unknown quantization {', '.join(unknown) or '(none given)'}; "
            f"choose from {','.join(QUANTIZATIONS)}"
        )
    return list(dict.fromkeys(names))


def convert_savedmodel(
    saved_model_dir: str | os.PathLike, quantization: str, representative: np.ndarray | None = None
) -> bytes:
    """Convert a fixed-shape SavedModel to a TFLite flatbuffer with builtin ops only.

    ``representative`` is an (N, h, w, 1) float32 array of LR crops, required
    for ``int8``.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}")
    converter = tf.lite.TFLiteConverter.from_saved_model(os.fspath(saved_model_dir))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif quantization == "int8":
        if representative is None or len(representative) == 0:
            raise ValueError("int8 conversion needs representative crops")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative_fn(representative)
        # Integer kernels only (no float fallback inside), float32 at the interface.
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.float32
        converter.inference_output_type = tf.float32
    return bytes(converter.convert())


def _representative_fn(crops: np.ndarray) -> Any:
    def generate() -> Iterator[list[np.ndarray]]:
        for crop in crops:
            yield [np.asarray(crop, dtype=np.float32)[None]]

    return generate


def op_names(tflite_model: bytes) -> list[str]:
    """Names of the operators a TFLite model uses (custom ops by their custom code, e.g. ``FlexConv2D``).

    >>> op_names(data)  # doctest: +SKIP
    ['MIRROR_PAD', 'CONV_2D', 'DEPTH_TO_SPACE', ...]
    """
    from tensorflow.lite.python import schema_py_generated as schema

    codes = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite_model))
    names = []
    for op_code in model.operatorCodes:
        # Codes >= 127 live in builtinCode only; older ones in deprecatedBuiltinCode too.
        code = max(int(op_code.builtinCode), int(op_code.deprecatedBuiltinCode))
        if code == _BUILTIN_CUSTOM:
            custom = op_code.customCode
            names.append(custom.decode() if isinstance(custom, bytes) else str(custom))
        else:
            names.append(codes.get(code, f"BUILTIN_{code}"))
    return names


def check_builtin_only(tflite_model: bytes, name: str) -> list[str]:
    """Return the op list, or raise :class:`LeukoInputError` if any op is Flex (Select TF) or custom.

    >>> check_builtin_only(data, "model_fp32.tflite")  # doctest: +SKIP
    """
    ops = op_names(tflite_model)
    from tensorflow.lite.python import schema_py_generated as schema

    builtin = set(vars(schema.BuiltinOperator))
    foreign = sorted({op for op in ops if op not in builtin})
    if foreign:
        kind = "Flex (Select TF)" if any(op.startswith("Flex") for op in foreign) else "custom"
        raise LeukoInputError(
            f"{name}: uses {kind} ops {', '.join(foreign)} that phone runtimes and leuko-keras-run lack; "
            "export a model built from leuko-keras layers (TFLite builtin ops only)"
        )
    return ops


def embed_metadata(tflite_model: bytes, payload: dict[str, Any]) -> bytes:
    """Append ``payload`` as JSON under the model metadata entry ``leuko_keras``.

    Interpreters ignore unknown metadata; :mod:`leuko_keras.runtime.tflite` reads it
    to learn the scale and tile alignment without a side file.

    >>> data = embed_metadata(data, {"scale": 4})  # doctest: +SKIP
    """
    from tensorflow.lite.python import schema_py_generated as schema

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite_model))
    kept = []
    for entry in model.metadata or []:
        if _entry_name(entry) == METADATA_NAME:
            model.buffers[entry.buffer].data = None  # replaced, not duplicated
        else:
            kept.append(entry)
    model.metadata = kept
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(json.dumps(payload, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def read_metadata(tflite_model: bytes) -> dict[str, Any] | None:
    """The ``leuko_keras`` metadata embedded by :func:`embed_metadata`, or None."""
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite_model))
    for entry in model.metadata or []:
        if _entry_name(entry) == METADATA_NAME:
            return json.loads(bytes(model.buffers[entry.buffer].data).decode("utf-8"))
    return None


def _entry_name(entry: Any) -> str:
    return entry.name.decode() if isinstance(entry.name, bytes) else str(entry.name)
