"""Choose the tf.distribute strategy from ``--devices`` and ``TF_CONFIG``.

``auto`` (the default): ``TF_CONFIG`` set -> MultiWorkerMirroredStrategy (one
process per machine, trained with the custom loop because Keras 3
``model.fit`` fails there, keras#20585); two or more GPUs -> MirroredStrategy
over all of them (the global batch is split, the learning rate unchanged);
otherwise the default single-device strategy.

Explicit choices: ``cpu`` (ignore GPUs), ``gpu`` (all GPUs), ``gpu:0,1`` or
``0,1`` (those GPUs), ``2`` (the first two GPUs), ``cpu:2`` (split the CPU into
two logical devices under MirroredStrategy, a way to test multi-replica
training without GPUs; must be chosen before TensorFlow starts).

>>> parse_devices("gpu:0,2")
DeviceSpec(kind='gpu', ids=(0, 2), count=None)
>>> parse_devices("cpu:2")
DeviceSpec(kind='cpu', ids=(), count=2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from leuko_keras.core.tfconfig import read_tf_config
from leuko_keras.errors import LeukoInputError


class DeviceSpec(NamedTuple):
    """Parsed ``--devices``: kind ``auto|cpu|gpu``, GPU ids, or a count (GPUs, or logical CPUs for ``cpu:N``)."""

    kind: str
    ids: tuple[int, ...]
    count: int | None


@dataclass
class DevicePlan:
    """The strategy to train under and how to drive it."""

    strategy: Any
    kind: str  # "single" | "one_device" | "mirrored" | "multi_worker"
    devices: tuple[str, ...]
    is_chief: bool = True
    worker_index: int = 0

    @property
    def num_replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    @property
    def custom_loop(self) -> bool:
        """Keras 3 ``fit`` fails under MultiWorkerMirroredStrategy; the custom loop takes over there."""
        return self.kind == "multi_worker"

    def describe(self) -> str:
        return f"{self.kind} strategy, {self.num_replicas} replica(s): {', '.join(self.devices) or 'default device'}"


def parse_devices(spec: str | None) -> DeviceSpec:
    """Parse a ``--devices`` value (see the module docstring); bad values raise :class:`LeukoInputError`."""
    text = (spec or "auto").strip().lower()
    bad = LeukoInputError(f"--devices {spec!r}: not understood; use auto, cpu, cpu:N, gpu, gpu:0,1 or a GPU count")
    if text in ("auto", ""):
        return DeviceSpec("auto", (), None)
    if text == "cpu":
        return DeviceSpec("cpu", (), None)
    if text in ("gpu", "gpus", "all"):
        return DeviceSpec("gpu", (), None)
    if text.startswith("cpu:"):
        count = text[4:]
        if not count.isdigit() or int(count) < 1:
            raise bad
        return DeviceSpec("cpu", (), int(count))
    if text.isdigit():
        return DeviceSpec("gpu", (), int(text))
    ids_text = text[4:] if text.startswith("gpu:") else text
    try:
        ids = tuple(int(part) for part in ids_text.split(",") if part.strip())
    except ValueError:
        raise bad from None
    if not ids or min(ids) < 0 or len(set(ids)) != len(ids):
        raise bad
    return DeviceSpec("gpu", ids, None)


def is_chief(tf_config: dict[str, Any] | None) -> bool:
    """True for the worker that writes the run folder: the ``chief`` task, else worker 0."""
    if not tf_config:
        return True
    task = tf_config["task"]
    if "chief" in tf_config["cluster"]:
        return task["type"] == "chief"
    return task["type"] == "worker" and int(task["index"]) == 0


def choose_strategy(spec: str | None = "auto", environ: dict[str, str] | None = None) -> DevicePlan:
    """Build the strategy for ``--devices spec``; call before any other TensorFlow work.

    >>> plan = choose_strategy("cpu")  # doctest: +SKIP
    >>> plan.kind, plan.num_replicas  # doctest: +SKIP
    ('one_device', 1)
    """
    import tensorflow as tf

    parsed = parse_devices(spec)
    tf_config = read_tf_config(environ)
    if tf_config is not None:
        # One process per machine; every process builds the same strategy and the collective
        # ops line them up. Created first, before any op, as TensorFlow requires.
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        task = tf_config["task"]
        return DevicePlan(
            strategy,
            "multi_worker",
            tuple(tf_config["cluster"]["worker"]),
            is_chief=is_chief(tf_config),
            worker_index=int(task["index"]),
        )

    if parsed.kind == "cpu":
        if parsed.count and parsed.count > 1:
            _split_cpu(parsed.count)
            names = tuple(f"/cpu:{i}" for i in range(parsed.count))
            return DevicePlan(tf.distribute.MirroredStrategy(list(names)), "mirrored", names)
        return DevicePlan(tf.distribute.OneDeviceStrategy("/cpu:0"), "one_device", ("/cpu:0",))

    gpus = tf.config.list_physical_devices("GPU")
    if parsed.kind == "auto":
        if len(gpus) >= 2:
            names = tuple(f"/gpu:{i}" for i in range(len(gpus)))
            return DevicePlan(tf.distribute.MirroredStrategy(list(names)), "mirrored", names)
        device = "/gpu:0" if gpus else "/cpu:0"
        return DevicePlan(tf.distribute.get_strategy(), "single", (device,))

    ids = parsed.ids or tuple(range(parsed.count if parsed.count else len(gpus)))
    if not gpus or max(ids, default=0) >= len(gpus) or not ids:
        raise LeukoInputError(
            f"--devices {spec}: only {len(gpus)} GPU(s) visible to TensorFlow; use --devices cpu or check the driver"
        )
    names = tuple(f"/gpu:{i}" for i in ids)
    if len(names) == 1:
        return DevicePlan(tf.distribute.OneDeviceStrategy(names[0]), "one_device", names)
    return DevicePlan(tf.distribute.MirroredStrategy(list(names)), "mirrored", names)


def _split_cpu(count: int) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:
        # Already initialised with this many logical devices (a second fit in one process) is fine.
        if len(tf.config.list_logical_devices("CPU")) != count:
            raise LeukoInputError(
                f"--devices cpu:{count}: TensorFlow already started with another device layout; "
                "choose the devices in a fresh process"
            ) from None
