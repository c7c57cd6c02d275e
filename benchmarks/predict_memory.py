"""Peak memory and time of `predict` on a large wide-field image (target: 4096 x 4096 in <= 2 GiB).

Writes a synthetic RGB field of --size pixels, super-resolves it with
--model (default bicubic, which exercises the reading, tiling, chroma,
streamed PNG writing; a network adds its per-tile activations, bounded by
the 512 px HR tile), and prints the peak resident memory of the process.

    python benchmarks/predict_memory.py --size 4096 --scale 4
    python benchmarks/predict_memory.py --size 1024 --model runs/gp_x4
    python benchmarks/predict_memory.py --size 2048 --format ome-tif     # streamed (OME-)TIFF writer
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=4096, help="Side of the square input field (LR pixels)")
    p.add_argument("--scale", type=int, default=4, help="Scale for bicubic (a model uses its own)")
    p.add_argument("--model", default="bicubic", help="bicubic, run folder, .keras or .tflite")
    p.add_argument("--tile", type=int, default=None, help="LR tile side (default: 512 HR px)")
    p.add_argument("--format", default="png", choices=["png", "tif", "ome-tif"], help="Output format")
    args = p.parse_args(argv)

    import numpy as np
    from PIL import Image

    from leuko_keras.predict import load_backend, predict_paths

    with tempfile.TemporaryDirectory() as tmp:
        field = Path(tmp) / "field.png"
        rng = np.random.default_rng(0)
        # uint8 all the way, so the set-up does not set the peak this script measures.
        coarse = rng.integers(0, 256, (args.size // 32 + 1, args.size // 32 + 1, 3), dtype=np.uint8)
        pixels = np.repeat(np.repeat(coarse, 32, axis=0), 32, axis=1)[: args.size, : args.size]
        Image.fromarray(np.ascontiguousarray(pixels)).save(field)
        del pixels, coarse
        backend = load_backend(args.model, scale=args.scale if args.model == "bicubic" else None)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        out_dir = Path(tmp) / "out"
        report = predict_paths([field], backend, out_dir, tile=args.tile, progress=False, fmt=args.format)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        outs = list(out_dir.glob("field_sr.*"))
        size_mb = outs[0].stat().st_size / 2**20 if outs else 0.0
    print(f"model {backend.name} x{backend.scale}, field {args.size}x{args.size} -> {args.size * backend.scale} px")
    print(f"peak RSS before predict {before:.0f} MiB, after {peak:.0f} MiB (target <= 2048 MiB)")
    print(f"time {seconds:.1f} s, output {args.format} {size_mb:.0f} MiB, failed: {report.failed or 'none'}")
    return 0 if peak <= 2048 and not report.failed else 1


if __name__ == "__main__":
    sys.exit(main())
