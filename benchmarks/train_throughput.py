"""Training throughput of the GP model: images/s at 224x224, global batch 8, fp32 and bf16.

Two data sources per precision: in-memory tensors (the same batch every step)
and the real input pipeline (``leuko_keras.pipeline.make_dataset`` on the
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


def measure(step, batches, warmup: int, steps: int, label: str = "") -> float:
    """Median seconds of ``next(batches)`` + ``step(batch)`` over ``steps`` calls after ``warmup`` calls.

    Fetching the batch is inside the timed region: that is where a slow input pipeline shows.
    """
    times = []
    for index in range(warmup + steps):
        start = time.perf_counter()
        step(next(batches))
        elapsed = time.perf_counter() - start
        if index >= warmup:
            times.append(elapsed)
        print(f"  {label} step {index + 1}/{warmup + steps}: {elapsed:.2f}s", file=sys.stderr, flush=True)
    return statistics.median(times)


def run(precision: str, args: argparse.Namespace) -> dict[str, float]:
    import keras
    import tensorflow as tf

    from leuko_keras.models import build_model, compile_model
    from leuko_keras.pipeline import make_dataset
    from leuko_keras.training.precision import POLICIES

    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(POLICIES[precision])
    keras.utils.set_random_seed(0)
    model = compile_model(build_model("gp", scale=4), jit_compile=args.jit)
    dataset = make_dataset(
        None, scale=4, split="train", batch_size=args.batch, size=args.size, synthetic_count=args.cells, repeat=True
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

    memory = measure(step, forever(fixed), args.warmup, args.steps, f"{precision} in-memory")
    piped = measure(step, pipeline, args.warmup, args.steps, f"{precision} pipeline")
    keras.mixed_precision.set_global_policy("float32")
    return {"memory": args.batch / memory, "pipeline": args.batch / piped}


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
    print(f"{'precision':<10}{'in-memory img/s':>17}{'pipeline img/s':>16}{'overhead':>10}")
    for precision in args.precisions.split(","):
        rates = run(precision.strip(), args)
        overhead = 1.0 - rates["pipeline"] / rates["memory"]
        print(f"{precision:<10}{rates['memory']:>17.2f}{rates['pipeline']:>16.2f}{overhead:>9.1%}", flush=True)


if __name__ == "__main__":
    main()
