"""Training throughput of the GP model: images/s at 224x224, global batch 8, fp32 and bf16.

Two data sources per precision: in-memory tensors (the same batch every step)
and the real input pipeline (``leuko_keras.data.pipeline.make_dataset`` on the
synthetic set, with augmentation). The figure is 8 / median step time over
``--steps`` steps after ``--warmup`` warm-up steps; the pipeline overhead is
1 - pipeline rate / in-memory rate.

    python benchmarks/train_throughput.py                 # fp32 and bf16, both sources
    python benchmarks/train_throughput.py --precisions bf16 --steps 5

Floors on a 2-core AMX CPU (issue 4): bf16 >= 3.5 img/s, fp32 >= 0.6 img/s,
pipeline overhead <= 5%.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def measure(step, batches, warmup: int, steps: int, label: str = "") -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``next(batches)`` + ``step(batch)`` over ``steps`` calls after warm-up.

    Fetching the batch is inside the timed region: that is where a slow input pipeline shows. The
    process CPU time, divided by the core count, estimates the step time on an otherwise idle
    machine when other jobs share the cores.
    """
    walls, cpus = [], []
    for index in range(warmup + steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        step(next(batches))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        if index >= warmup:
            walls.append(elapsed)
            cpus.append(cpu)
        print(
            f"  {label} step {index + 1}/{warmup + steps}: {elapsed:.2f}s wall, {cpu:.2f}s CPU",
            file=sys.stderr,
            flush=True,
        )
    return statistics.median(walls), statistics.median(cpus)


def run(precision: str, args: argparse.Namespace) -> dict[str, float]:
    import keras
    import tensorflow as tf

    from leuko_keras.data.pipeline import make_dataset
    from leuko_keras.data.source import DataSource
    from leuko_keras.models import build_model, compile_model
    from leuko_keras.training.precision import POLICIES

    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(POLICIES[precision])
    keras.utils.set_random_seed(0)
    model = compile_model(build_model("gp", scale=4), jit_compile=args.jit)
    dataset = make_dataset(
        DataSource(synthetic_count=args.cells),
        scale=4,
        split="train",
        batch_size=args.batch,
        size=args.size,
        repeat=True,
        random_crop=True,  # as fit trains
    )
    pipeline = iter(dataset)
    fixed = next(iter(dataset))
    fixed = (tf.identity(fixed[0]), {k: tf.identity(v) for k, v in fixed[1].items()})

    def forever(item):
        while True:
            yield item

    def step(batch):
        # One compiled Keras train step (the same function model.fit runs).
        model.train_on_batch(batch[0], batch[1])

    cores = os.cpu_count() or 1
    rates = {}
    for source, batches in (("memory", forever(fixed)), ("pipeline", pipeline)):
        wall, cpu = measure(step, batches, args.warmup, args.steps, f"{precision} {source}")
        rates[source] = args.batch / wall
        rates[f"{source}_cpu"] = args.batch / (cpu / cores)
    keras.mixed_precision.set_global_policy("float32")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cells", type=int, default=16, help="synthetic cells behind the pipeline")
    parser.add_argument("--jit", default="auto", help="jit_compile of compile_model: auto, true or false")
    args = parser.parse_args()
    args.jit = {"true": True, "false": False}.get(args.jit.lower(), "auto")

    import tensorflow as tf

    print(
        f"GP x4, {args.size}x{args.size} HR, batch {args.batch}, TF {tf.__version__}, jit_compile={args.jit}, "
        f"median of {args.steps} steps after {args.warmup} warm-up, {os.cpu_count()} CPU(s)"
    )
    print(f"load average before: {os.getloadavg()[0]:.1f} (by CPU = img / (CPU s / cores), an idle-machine estimate)")
    header = ["precision", "in-memory img/s", "pipeline img/s", "overhead", "by CPU: in-memory", "pipeline", "overhead"]
    print(f"{header[0]:<10}{header[1]:>17}{header[2]:>16}{header[3]:>10}{header[4]:>19}{header[5]:>10}{header[6]:>10}")
    for precision in args.precisions.split(","):
        r = run(precision.strip(), args)
        over, over_cpu = 1.0 - r["pipeline"] / r["memory"], 1.0 - r["pipeline_cpu"] / r["memory_cpu"]
        print(
            f"{precision:<10}{r['memory']:>17.3f}{r['pipeline']:>16.3f}{over:>9.1%}"
            f"{r['memory_cpu']:>19.3f}{r['pipeline_cpu']:>10.3f}{over_cpu:>9.1%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
