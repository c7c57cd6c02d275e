"""Cost of drawing the degradation per training crop instead of once per image (issue 14).

Trains np-lite on the shared CellaVision data with the lite recipe (192 px crops, batch 16) from
the (seed, epoch) training stream that ``fit`` uses, three ways: bicubic LR, a degradation drawn
once per image (``per_crop_degradation=False``), and drawn again for every crop (what ``fit`` does).
Reports the median step time (wall, and process CPU / cores, an idle-machine estimate when other
jobs share the cores) and the input pipeline alone (batches/s, no model).

    nice -n 19 python experiments/degradation_cost.py --data ../shared/data/wbc/cellavision --steps 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _timed(step, batches, warmup: int, steps: int) -> tuple[float, float]:
    walls, cpus = [], []
    for index in range(warmup + steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        step(next(batches))
        if index >= warmup:
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), statistics.median(cpus) / (os.cpu_count() or 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/wbc/cellavision")
    parser.add_argument("--kind", default="microscope", help="microscope or phone (with --degradation-range)")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()

    import keras

    from leuko_keras.data.degradations import record_from_settings
    from leuko_keras.data.pipeline import make_dataset
    from leuko_keras.data.source import DataSource
    from leuko_keras.models import build_model, compile_model, model_info

    recipe = model_info("np-lite").recipe
    size, batch = recipe["size"], recipe["batch_size"]
    record = record_from_settings(args.kind, [], ranges=True)
    keras.utils.set_random_seed(0)
    model = compile_model(build_model("np-lite", scale=args.scale))
    load = os.getloadavg()[0]
    print(f"np-lite x{args.scale}, {size} px, batch {batch}, {args.data}, {os.cpu_count()} CPUs, load {load:.1f}")
    print(f"{'LR':<32}{'pipeline batch/s':>18}{'step s (wall)':>15}{'step s (CPU)':>14}")
    for label, degradation, per_crop in (
        ("bicubic", None, True),
        (f"{args.kind} drawn per image", record, False),
        (f"{args.kind} drawn per crop", record, True),
    ):
        ds = make_dataset(
            DataSource.of(args.data, degradation=degradation), args.scale, "train", batch_size=batch, size=size,
            random_crop=True, need_mask=False, first_epoch=0, steps_per_epoch=100, per_crop_degradation=per_crop,
        )  # fmt: skip
        batches = iter(ds)
        pipe_wall, _ = _timed(lambda b: None, batches, args.warmup, args.steps * 2)
        wall, cpu = _timed(lambda b: model.train_on_batch(b[0], b[1]), batches, args.warmup, args.steps)
        print(f"{label:<32}{1 / pipe_wall:>18.2f}{wall:>15.2f}{cpu:>14.2f}", flush=True)


if __name__ == "__main__":
    main()
