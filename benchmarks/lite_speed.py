"""Lite models vs the paper's nets in one run: training throughput (HR pixels/s) and TFLite latency.

For each model (default: gp, np, gp-lite, np-lite at x4), in this one process:

* **training**: median wall and CPU seconds of one ``train_on_batch`` on
  ``--batch`` random crops of ``--size`` HR pixels, under ``--precision``
  (``auto``: bf16 where the CPU has AVX512-BF16 or AMX); HR pixels/s =
  batch x size^2 / wall seconds. The CPU seconds tell the cost when other
  jobs share the cores.
* **inference**: median latency of the fp32 TFLite graph for a 224x224 HR
  output (56x56 LR at x4), ``ai_edge_litert`` with ``--threads`` threads
  (XNNPACK); random weights (latency does not depend on them).

A model may carry settings after a colon, e.g. ``gp-lite:upsample_filters=32``
(a narrower upsampler), and is then compared with the paper's net of its kind.
Ratios (paper GP / lite) are printed at the end; the issue's floors are
>= 10x training throughput and <= 1/10 TFLite latency. Say which CPU
(``lscpu`` flags) beside any figure: compare ratios, not absolute times.

    python benchmarks/lite_speed.py --scale 4 --steps 5
    python benchmarks/lite_speed.py --models gp gp-lite gp-lite:upsample_filters=32 --scale 4
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """A registry name and its settings from ``name[:key=value,...]``, values read as ``fit --setting`` reads them.

    >>> parse_spec("gp-lite:upsample_filters=32")
    ('gp-lite', {'upsample_filters': 32})
    """
    from leuko_keras.core.assignments import parse_assignments

    name, _, rest = spec.partition(":")
    return name, parse_assignments([item for item in rest.split(",") if item], "--setting")


def train_speed(spec: str, scale: int, size: int, batch: int, steps: int, precision: str) -> tuple[float, float]:
    """(median wall s, median CPU s) per training step of the model ``spec`` names."""
    import keras

    import leuko_keras
    from leuko_keras.models import compile_model
    from leuko_keras.training.precision import apply_precision

    apply_precision(precision)
    name, settings = parse_spec(spec)
    model = compile_model(leuko_keras.build_model(name, scale=scale, **settings), learning_rate=1e-4, scale=scale)
    rng = np.random.default_rng(0)
    lr = rng.random((batch, size // scale, size // scale, 1)).astype(np.float32)
    targets = {"sr": rng.random((batch, size, size, 1)).astype(np.float32)}
    if "mask" in model.output:
        targets["mask"] = np.eye(3, dtype=np.float32)[rng.integers(0, 3, (batch, size, size))]
    walls, cpus = [], []
    for index in range(steps + 1):  # the first step traces the graph
        start, start_cpu = time.perf_counter(), time.process_time()
        model.train_on_batch(lr, targets)
        if index:
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - start_cpu)
    keras.mixed_precision.set_global_policy("float32")
    keras.utils.clear_session()
    return statistics.median(walls), statistics.median(cpus)


def tflite_latency(spec: str, scale: int, out_size: int, threads: int, runs: int) -> tuple[float, float]:
    """(median seconds, MB) of the fp32 TFLite graph of the model ``spec`` names for an ``out_size`` HR output."""
    from ai_edge_litert.interpreter import Interpreter

    import leuko_keras
    from leuko_keras.deploy.savedmodel import write_savedmodel
    from leuko_keras.deploy.tflite import check_builtin_only, convert_savedmodel

    lr_size = out_size // scale
    name, settings = parse_spec(spec)
    model = leuko_keras.build_model(name, scale=scale, **settings)
    with tempfile.TemporaryDirectory() as folder:
        write_savedmodel(model, Path(folder) / "sm", (1, lr_size, lr_size, 1))
        data = convert_savedmodel(Path(folder) / "sm", "fp32", None)
    check_builtin_only(data, name)
    interpreter = Interpreter(model_content=data, num_threads=threads)
    runner = interpreter.get_signature_runner()
    lr = np.random.default_rng(0).random((1, lr_size, lr_size, 1)).astype(np.float32)
    for _ in range(2):
        runner(lr_y=lr)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        runner(lr_y=lr)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(data) / 1e6


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["gp", "np", "gp-lite", "np-lite"])
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--size", type=int, default=192, help="Training HR crop side")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--precision", default="auto")
    p.add_argument("--out-size", type=int, default=224, help="TFLite HR output side")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args(argv)

    from leuko_keras.training.precision import resolve_precision

    precision = resolve_precision(args.precision)
    rows = {}
    for name in args.models:
        wall, cpu = train_speed(name, args.scale, args.size, args.batch, args.steps, precision)
        latency, megabytes = tflite_latency(name, args.scale, args.out_size, args.threads, args.runs)
        rows[name] = (args.batch * args.size**2 / wall, wall, cpu, latency, megabytes)
        print(f"{name}: {rows[name][0] / 1e6:.3f} MPx/s, TFLite {latency:.3f} s", file=sys.stderr, flush=True)
    print(
        f"x{args.scale}; training: batch {args.batch} of {args.size}x{args.size} HR, {precision}, median of "
        f"{args.steps} steps; TFLite fp32 {args.out_size}x{args.out_size} output, {args.threads} thread(s), "
        f"median of {args.runs}"
    )
    print("| model | train HR Mpx/s | s/step (wall) | s/step (CPU) | TFLite fp32 (s) | TFLite MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (rate, wall, cpu, latency, megabytes) in rows.items():
        print(f"| {name} | {rate / 1e6:.3f} | {wall:.2f} | {cpu:.2f} | {latency:.3f} | {megabytes:.1f} |")
    for lite in rows:
        paper = {"gp-lite": "gp", "np-lite": "np"}.get(parse_spec(lite)[0])
        if paper in rows:
            print(
                f"{lite} vs {paper}: training {rows[lite][0] / rows[paper][0]:.1f}x the HR pixels/s "
                f"(CPU {rows[paper][2] / rows[lite][2]:.1f}x), TFLite latency {rows[lite][3] / rows[paper][3]:.3f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
