"""``--precision``: the Keras mixed-precision policy of a run.

``fp32`` is the paper's setting. ``bf16`` (``mixed_bfloat16``) computes in
bfloat16 with float32 weights; ``fp16`` (``mixed_float16``) adds loss scaling
(Keras wraps the optimizer in a ``LossScaleOptimizer`` when compiling). Model
outputs and losses stay float32 in every mode (the models end in float32
layers). ``auto`` picks bf16 where the hardware has bfloat16 matrix units (a
CPU with AMX, i.e. ``amx_bf16`` in /proc/cpuinfo, or a GPU of compute
capability 8.0 or newer, or AVX512-BF16 (``avx512_bf16``), measured 4x faster
than fp32 on our nets) and fp32 elsewhere, because without them bf16 only
adds casts and is no faster.

>>> resolve_precision("auto", cpu_flags=set(), gpu_capabilities=[])
'fp32'
>>> resolve_precision("auto", cpu_flags={"amx_bf16"}, gpu_capabilities=[])
'bf16'
>>> resolve_precision("auto", cpu_flags={"avx2", "avx512_bf16"}, gpu_capabilities=[])
'bf16'
>>> POLICIES["bf16"]
'mixed_bfloat16'
"""

from __future__ import annotations

from collections.abc import Iterable

from leuko_keras.core import machine
from leuko_keras.errors import LeukoInputError

POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


def gpu_compute_capabilities() -> list[tuple[int, int]]:
    """Compute capability of every visible GPU, e.g. ``[(8, 0)]`` for an A100."""
    import tensorflow as tf

    found = []
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability:
            found.append(tuple(capability))
    return found


def resolve_precision(
    name: str,
    cpu_flags: Iterable[str] | None = None,
    gpu_capabilities: Iterable[tuple[int, int]] | None = None,
) -> str:
    """Turn ``auto`` into ``fp32`` or ``bf16`` for this machine; other names pass through."""
    if name not in (*POLICIES, "auto"):
        raise LeukoInputError(f"--precision {name}: choose one of fp32, bf16, fp16, auto")
    if name != "auto":
        return name
    capabilities = list(gpu_capabilities) if gpu_capabilities is not None else gpu_compute_capabilities()
    if capabilities:
        return "bf16" if all(major >= 8 for major, _ in capabilities) else "fp32"
    flags = set(cpu_flags) if cpu_flags is not None else machine.cpu_flags()
    return "bf16" if flags & {"amx_bf16", "avx512_bf16"} else "fp32"


def apply_precision(name: str) -> str:
    """Set the global Keras dtype policy for ``name`` (``auto`` resolved); return the resolved name.

    Call before building the model: layers read the policy when they are created.
    """
    import keras

    resolved = resolve_precision(name)
    keras.mixed_precision.set_global_policy(POLICIES[resolved])
    return resolved
