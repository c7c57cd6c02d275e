"""Where the paper GP's train step time goes: our ``gp`` x4 against a plain Keras build of the same net.

Every variant trains on the same fixed batch (HR ``--size`` px, ``--batch`` images) under ``mixed_bfloat16``;
the variants are stepped round-robin in one process (the order rotates every round), so load from other jobs
hits all of them alike. Per step: process CPU seconds (``time.process_time``, all threads; other processes do
not count) and wall seconds; medians over ``--steps`` rounds after ``--warmup`` untimed steps (the first one
traces). The rows bisect ours -> plain one difference at a time:

* ``ours``: ``build_model("gp", scale=4)`` + ``compile_model`` (Charbonnier + CE, PSNR-Y + map-Dice metrics),
  LR input, in-graph MATLAB bicubic in float32; ``train_on_batch``.
* ``bicubic bf16``: the same with ``BicubicUpsample`` computing in the policy's bf16 (the candidate fix).
* ``bicubic input``: ``build_model("gp", input_kind="bicubic")``: no bicubic layer, the upsampled image is fed.
* ``plain``: stock Keras layers only, same widths and parameter count, bicubic input, float32 only where the
  Keras guide puts it (softmax, residual add); compiled by ``compile_model`` too, so only the graph differs.
* ``plain mae``: the plain build compiled with ``"mae"`` + ``"categorical_crossentropy"``, no metrics.
* ``ours fit``: ``model.fit`` on an in-memory ``tf.data`` stream (one step per call; the step is timed by a
  callback from batch begin to batch end, so the per-call setup is not charged to it).
* ``ours pipeline``: ``train_on_batch`` fed by ``make_dataset`` on synthetic cells (as ``fit`` trains).
* ``ours xla``: ``jit_compile=True`` (only with ``--xla``: the XLA compile takes minutes on 2 cores).

    python experiments/gp_step_profile.py                          # batch 8 of 224 px, 5 rounds (~10 min, 2 cores)
    nice -n 19 python experiments/gp_step_profile.py --size 48 --steps 2 --warmup 1   # smoke test
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from tensorflow.tsl.profiler.protobuf import xplane_pb2

import leuko_keras.models.blocks as blocks
from leuko_keras.layers import BicubicUpsample
from leuko_keras.models import build_model, compile_model
from leuko_keras.runtime.imresize import imresize

SCALE = 4
# Kernels are traced as "op_name:OpType"; executor and eager events ("ExecutorState::Process") are not kernels.
KERNEL_EVENT = re.compile(r"^[\w./-]+:\w+$")
FLAGS_OF_INTEREST = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "amx_bf16", "amx_int8")


class Bf16Bicubic(BicubicUpsample):
    """The proposed change to ``leuko_keras/layers/bicubic.py``: compute in the policy dtype, not float32."""

    def __init__(self, scale: int, **kwargs: Any) -> None:
        kwargs["dtype"] = kwargs.get("dtype") or keras.mixed_precision.global_policy().name
        super().__init__(scale, **kwargs)

    def call(self, inputs: Any) -> Any:
        x = tf.cast(inputs, self.compute_dtype)
        x = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="SYMMETRIC")
        x = tf.nn.conv2d(x, tf.cast(self._kernel, self.compute_dtype), strides=1, padding="VALID")
        return tf.nn.depth_to_space(x, self.scale)


@contextlib.contextmanager
def bicubic_layer(cls: type) -> Iterator[None]:
    # image_input looks the class up in its module at call time, so swapping it there patches the builder.
    saved = blocks.BicubicUpsample
    blocks.BicubicUpsample = cls
    try:
        yield
    finally:
        blocks.BicubicUpsample = saved


def plain_gp(filters: int = 64, slope: float = 0.2, base: int = 32, depth: int = 4, blocks_: int = 3) -> keras.Model:
    """The GP net as a plain Keras user writes it: stock layers, input = the bicubic image made outside."""
    layers = keras.layers

    def conv_act(x: Any, width: int) -> Any:
        return layers.LeakyReLU(negative_slope=slope)(layers.Conv2D(width, 3, padding="same")(x))

    def res_block(x: Any) -> Any:
        return layers.Add()([x, layers.Conv2D(filters, 3, padding="same")(conv_act(x, filters))])

    def double_conv(x: Any, width: int) -> Any:
        for _ in range(2):
            x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        return x

    image = keras.Input((None, None, 1), name="bicubic")
    skips, x = [], image
    for level in range(depth):
        skips.append(double_conv(x, base * 2**level))
        x = layers.MaxPooling2D(2)(skips[-1])
    x = double_conv(x, base * 2**depth)
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(base * 2**level, 2, strides=2)(x)
        x = double_conv(layers.Concatenate()([skips[level], x]), base * 2**level)
    probs = layers.Activation("softmax", dtype="float32", name="mask")(layers.Conv2D(3, 1)(x))
    shallow = conv_act(image, filters)
    deep = shallow
    for _ in range(blocks_):
        deep = res_block(deep)
    m = conv_act(probs, filters)
    for _ in range(blocks_):
        m = res_block(m)
    x = conv_act(layers.Concatenate()([shallow, deep, m]), filters)
    for _ in range(blocks_):
        x = res_block(x)
    sr = layers.Add(name="sr", dtype="float32")([image, layers.Conv2D(1, 1)(x)])
    return keras.Model(image, {"sr": sr, "mask": probs}, name="plain_gp")


@dataclass
class Variant:
    name: str
    model: keras.Model
    step: Callable[[], float | None]  # runs one step; returns the step's own CPU/wall split if it timed itself
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


class StepTimer(keras.callbacks.Callback):
    """Times fit's steps from batch begin to batch end (the train function + its data fetch)."""

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self.start = (time.perf_counter(), time.process_time())

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.last = (time.perf_counter() - self.start[0], time.process_time() - self.start[1])


def make_batch(size: int, batch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Smooth random HR in [0, 1], its MATLAB-bicubic LR and re-upsampled LR, and a one-hot 3-class map."""
    rng = np.random.default_rng(0)
    coarse = rng.random((batch, size // 16, size // 16))
    hr = np.stack([np.clip(imresize(c, 16), 0, 1) for c in coarse])[..., None].astype("float32")
    lr = np.stack([imresize(h[..., 0], 1 / SCALE) for h in hr])[..., None].astype("float32")
    start = time.process_time()
    up = np.stack([imresize(x[..., 0], SCALE) for x in lr])[..., None].astype("float32")
    print(f"NumPy MATLAB bicubic of one LR batch outside the graph: {time.process_time() - start:.3f} CPU s")
    onehot = np.eye(3, dtype="float32")[np.digitize(hr[..., 0], [0.4, 0.6])]
    return lr, up, hr, onehot


def build_variants(args: argparse.Namespace) -> list[Variant]:
    lr, up, hr, onehot = make_batch(args.size, args.batch)
    targets = {"sr": hr, "mask": onehot}

    def on_batch(model: keras.Model, x: np.ndarray) -> Callable[[], None]:
        def step() -> None:
            model.train_on_batch(x, targets)

        return step

    ours = compile_model(build_model("gp", scale=SCALE))
    with bicubic_layer(Bf16Bicubic):
        ours_bf16 = compile_model(build_model("gp", scale=SCALE))
    assert isinstance(ours_bf16.get_layer("bicubic"), Bf16Bicubic)
    ours_up = compile_model(build_model("gp", scale=SCALE, input_kind="bicubic"))
    plain = compile_model(plain_gp(), scale=SCALE)
    plain_mae = plain_gp()
    plain_mae.compile(optimizer=keras.optimizers.Adam(1e-4), loss={"sr": "mae", "mask": "categorical_crossentropy"})
    counts = {m.name: m.count_params() for m in (ours, ours_bf16, ours_up, plain, plain_mae)}
    print("parameters: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    assert len(set(counts.values())) == 1, counts

    variants = [
        Variant("ours (LR in, f32 bicubic in graph)", ours, on_batch(ours, lr)),
        Variant("ours, bicubic bf16 (proposed)", ours_bf16, on_batch(ours_bf16, lr)),
        Variant("ours, bicubic input (no layer)", ours_up, on_batch(ours_up, up)),
        Variant("plain Keras, same compile", plain, on_batch(plain, up)),
        Variant("plain Keras, mae + CE, no metrics", plain_mae, on_batch(plain_mae, up)),
    ]

    ours_fit = compile_model(build_model("gp", scale=SCALE))
    stream = tf.data.Dataset.from_tensors((lr, targets)).repeat()
    timer = StepTimer()

    def fit_step() -> tuple[float, float]:
        ours_fit.fit(stream, epochs=1, steps_per_epoch=1, verbose=0, callbacks=[timer], shuffle=False)
        return timer.last

    variants.append(Variant("ours, model.fit (in-memory)", ours_fit, fit_step))

    if args.pipeline:
        from leuko_keras.data.pipeline import make_dataset
        from leuko_keras.data.source import DataSource

        source = DataSource(synthetic_count=args.cells)
        # fit's training stream: (seed, epoch)-keyed, random crops, flips, 100 steps an epoch as the real runs.
        stream_args = {"random_crop": True, "first_epoch": 0, "steps_per_epoch": 100}
        data = iter(make_dataset(source, scale=SCALE, batch_size=args.batch, size=args.size, **stream_args))
        ours_pipe = compile_model(build_model("gp", scale=SCALE))

        def pipe_step() -> None:
            x, y = next(data)  # inside the timed step: a slow pipeline shows here
            ours_pipe.train_on_batch(x, y)

        variants.append(Variant("ours, real input pipeline", ours_pipe, pipe_step))
    if args.xla:
        ours_xla = compile_model(build_model("gp", scale=SCALE), jit_compile=True)
        variants.append(Variant("ours, jit_compile=True", ours_xla, on_batch(ours_xla, lr)))
    return variants


def timed(variant: Variant) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    own = variant.step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return own if own else (wall, cpu)


def op_times(variant: Variant, logdir: str) -> Counter[str]:
    """Summed host time (ms) per TF op ``name:type`` in one profiled step (ops on parallel threads overlap)."""
    tf.profiler.experimental.start(logdir)
    variant.step()
    tf.profiler.experimental.stop()
    path = max(glob.glob(f"{logdir}/plugins/profile/*/*.xplane.pb"), key=os.path.getmtime)
    space = xplane_pb2.XSpace.FromString(Path(path).read_bytes())
    totals: Counter[str] = Counter()
    for plane in (p for p in space.planes if p.name == "/host:CPU"):
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                # Function-call ops only wrap other kernels.
                if KERNEL_EVENT.match(name) and not name.endswith("PartitionedCall"):
                    totals[name] += event.duration_ps / 1e9
    return totals


def print_profile(variants: list[Variant], logdir: str, top: int) -> None:
    by_type: dict[str, Counter[str]] = {}
    for variant in variants:
        ops = op_times(variant, f"{logdir}/{len(by_type)}")
        by_type[variant.name] = Counter()
        for name, ms in ops.items():
            by_type[variant.name][name.rsplit(":", 1)[1]] += ms
        print(f"\n{variant.name}: slowest ops of one profiled step (ms)")
        for name, ms in ops.most_common(top):
            print(f"  {ms:8.1f}  {name}")
    types = sorted({t for c in by_type.values() for t in c}, key=lambda t: -max(c[t] for c in by_type.values()))
    print("\n| op type (summed ms, one step) | " + " | ".join(by_type) + " |")
    print("| --- |" + " ---: |" * len(by_type))
    for op_type in types[:top]:
        print(f"| {op_type} | " + " | ".join(f"{c[op_type]:.0f}" for c in by_type.values()) + " |")
    print("| all ops | " + " | ".join(f"{sum(c.values()):.0f}" for c in by_type.values()) + " |")


def cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            flags = next(line for line in handle if line.startswith("flags")).split(":", 1)[1].split()
    except (OSError, StopIteration):
        return []
    return [flag for flag in FLAGS_OF_INTEREST if flag in flags]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=224, help="HR side (multiple of 16)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5, help="timed rounds (one step of every variant each)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per variant; the first traces")
    parser.add_argument("--cells", type=int, default=16, help="synthetic cells behind the pipeline variant")
    parser.add_argument("--no-pipeline", dest="pipeline", action="store_false", help="skip the pipeline row")
    parser.add_argument("--xla", action="store_true", help="add a jit_compile=True row (slow to compile)")
    parser.add_argument("--profile-dir", default="/tmp/gp_profile/trace", help="op profile of ours/plain; '' skips")
    parser.add_argument("--top", type=int, default=12, help="rows of the op profile tables")
    args = parser.parse_args()
    if args.size % 16:
        parser.error("--size must be a multiple of 16 (U-Net)")

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    cores = os.cpu_count() or 1
    print(
        f"GP x{SCALE}, batch {args.batch} of {args.size} px HR, mixed_bfloat16, TF {tf.__version__}, "
        f"Keras {keras.__version__}, {platform.processor() or platform.machine()}, {cores} cores, "
        f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', '(unset: default)')}"
    )
    print(f"CPU flags: {' '.join(cpu_flags()) or 'none of ' + ', '.join(FLAGS_OF_INTEREST)}")
    variants = build_variants(args)

    for variant in variants:
        for index in range(args.warmup):
            wall, cpu = timed(variant)
            print(f"  warm-up {index + 1} {variant.name}: {wall:.2f} s wall, {cpu:.2f} CPU s", file=sys.stderr)
    for round_ in range(args.steps):
        shift = round_ % len(variants)  # rotate so no variant always follows the same one
        for variant in variants[shift:] + variants[:shift]:
            wall, cpu = timed(variant)
            variant.walls.append(wall)
            variant.cpus.append(cpu)
            print(f"  round {round_ + 1} {variant.name}: {wall:.2f} s wall, {cpu:.2f} CPU s", file=sys.stderr)
        print(f"  load average {os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)

    base_cpu = statistics.median(variants[0].cpus)
    print(f"\nmedian of {args.steps} interleaved steps after {args.warmup} warm-up; load avg {os.getloadavg()}")
    print("| variant | CPU s/step | wall s/step | img/s (wall) | img/s (CPU/cores) | CPU vs ours |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for v in variants:
        cpu, wall = statistics.median(v.cpus), statistics.median(v.walls)
        print(
            f"| {v.name} | {cpu:.2f} | {wall:.2f} | {args.batch / wall:.2f} | {args.batch * cores / cpu:.2f} "
            f"| {cpu / base_cpu:.2f}x |"
        )
    if args.profile_dir:  # after the timing, so the profiler's overhead touches no timed step
        print_profile([variants[0], variants[2], variants[3]], args.profile_dir, args.top)


if __name__ == "__main__":
    main()
