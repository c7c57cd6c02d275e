"""Input-pipeline cost: one-off preparation time and per-batch overhead of ``make_dataset``.

The training benchmark allows the pipeline <= 5% of a training step (about
0.4 s for a batch of 8 at 224 px on the 2-core CI machine), i.e. <= 20 ms per
batch. Prints wall and CPU milliseconds per batch (CPU time is what competes
with training on 2 cores).

    python benchmarks/data_pipeline.py [DATA_FOLDER_OR_H5]
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from leuko_keras.data.pipeline import make_dataset

STEP_SECONDS = 0.4


def measure(label: str, source: str | None, **settings) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    ds = make_dataset(source, scale=4, batch_size=8, size=224, **settings)
    prepared = time.perf_counter() - wall
    for _ in ds:  # first pass fills the cache
        pass
    batches = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(3):
        for _ in ds:
            batches += 1
    wall_ms = 1000 * (time.perf_counter() - wall) / batches
    cpu_ms = 1000 * (time.process_time() - cpu) / batches
    share = cpu_ms / 1000 / STEP_SECONDS
    print(
        f"{label:40s} prepare {prepared:6.1f} s | per batch {wall_ms:6.1f} ms wall, {cpu_ms:6.1f} ms CPU "
        f"({100 * share:.1f}% of a {STEP_SECONDS} s step)"
    )


if __name__ == "__main__":
    source = sys.argv[1] if len(sys.argv) > 1 else None
    name = source or "synthetic (48 x 256 px)"
    measure(f"{name}, augment", source, augment=True)
    measure(f"{name}, no augment", source, augment=False)
    measure(f"{name}, augment, no map", source, augment=True, need_mask=False)
