"""Speed of the synthetic-leukocyte generator (the embedded default data).

Prints the median wall and CPU time to draw 48 crops of 256 px over a few
repeats; the demo and the tests rely on this staying a few seconds.

Usage::

    python benchmarks/synth_speed.py [--count 48] [--size 256] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from leuko_keras.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    generate(1, 64)  # warm-up: first call pays for imports and caches
    walls, cpus = [], []
    for repeat in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        generate(args.count, args.size, seed=repeat)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    per_crop_ms = 1000 * statistics.median(cpus) / args.count
    print("| crops | size | median wall (s) | median CPU (s) | CPU per crop (ms) |")
    print("|---|---|---|---|---|")
    print(
        f"| {args.count} | {args.size} | {statistics.median(walls):.2f} | "
        f"{statistics.median(cpus):.2f} | {per_crop_ms:.0f} |"
    )


if __name__ == "__main__":
    main()
