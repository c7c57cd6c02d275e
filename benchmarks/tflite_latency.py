"""Latency and quality of each exported TFLite artifact beside Keras ``predict`` (2-core CPU, XNNPACK).

Prints, for a fixed 224x224 HR output (LR 56x56 at x4): the median latency
of each artifact with 1 and 2 threads, the Keras model's, and PSNR/SSIM
against HR on held-out crops (protocol of ``leuko_keras.protocol.metrics``), with the
PSNR loss against Keras. Floors on this machine: fp32 <= 0.40 s and int8 <=
0.15 s with <= 0.1 dB PSNR loss.

    python benchmarks/tflite_latency.py --export exports/gp_x4          # an existing export
    python benchmarks/tflite_latency.py --model runs/gp_x4 --data DIR    # export first (temp folder)
    python benchmarks/tflite_latency.py --fit-steps 300 --data DIR       # briefly train a GP first

Without ``--model`` / ``--export`` a GP is built (random weights, or trained
for ``--fit-steps`` on ``--data``); the output says which.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def median_latency(fn, runs: int, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` in seconds over ``runs`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tflite_latency(path: Path, lr: np.ndarray, threads: int, runs: int) -> float:
    """Median latency of one artifact on one (1, h, w, 1) input."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    runner = interpreter.get_signature_runner()
    return median_latency(lambda: runner(lr_y=lr), runs)


def briefly_trained_gp(data: str | None, steps: int, scale: int, size: int = 96, seed: int = 0):
    """A GP trained for ``steps`` batches of 8 ``size`` crops with the package's losses; random if steps == 0."""
    import keras

    import leuko_keras  # noqa: F401
    from leuko_keras.models.compile import compile_model
    from leuko_keras.models.registry import build_model

    keras.utils.set_random_seed(seed)
    model = build_model("gp", scale=scale)
    if steps <= 0:
        return model, "GP with random weights (untrained)"
    from leuko_keras.data.pipeline import make_dataset

    keras.config.set_dtype_policy("mixed_bfloat16")  # ~4.6x faster here; weights stay float32
    trained = build_model("gp", scale=scale)
    keras.config.set_dtype_policy("float32")
    compile_model(trained, learning_rate=2e-4)
    dataset = make_dataset(data, scale=scale, split="train", batch_size=8, size=size, repeat=True)
    start = time.perf_counter()
    trained.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=2)
    model.set_weights(trained.get_weights())
    seconds = time.perf_counter() - start
    where = data or "the synthetic set"
    return model, f"GP trained briefly: {steps} steps of 8 {size}x{size} crops on {where} ({seconds:.0f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export", help="existing export folder (leuko-keras export --tflite)")
    parser.add_argument("--model", help="run folder or .keras to export first")
    parser.add_argument("--data", default=None, help="folder or .h5 for held-out crops (and training)")
    parser.add_argument("--fit-steps", type=int, default=0, help="train a fresh GP this many steps first")
    parser.add_argument("--fit-size", type=int, default=96, help="HR crop size for --fit-steps")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--images", type=int, default=8, help="held-out crops for PSNR")
    parser.add_argument("--calibration", type=int, default=100, help="int8 calibration crops (export default 100)")
    parser.add_argument("--json", default=None, help="also write the table as JSON here")
    args = parser.parse_args(argv)

    import keras

    from leuko_keras.deploy import export_model, parity
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT
    from leuko_keras.runs.model_io import load_model_any

    work = Path(tempfile.mkdtemp(prefix="leuko_bench_"))
    if args.export:
        export_dir = Path(args.export)
        source = json.loads((export_dir / "metadata.json").read_text())["source"]
        what = f"existing export {export_dir} of {source}"
    else:
        if args.model:
            source, what = args.model, f"model {args.model}"
        else:
            model, what = briefly_trained_gp(args.data, args.fit_steps, args.scale, args.fit_size)
            source = work / "gp.keras"
            model.save(source)
        export_dir = work / "export"
        started = time.perf_counter()
        result = export_model(
            source,
            export_dir,
            input_size=args.input_size,
            data=args.data,
            force=True,
            calibration_count=args.calibration,
            log=lambda message: print(f"  {message}", file=sys.stderr, flush=True),
        )
        what += f"; exported in {time.perf_counter() - started:.0f} s ({args.calibration} int8 calibration crops)"
        if result.failed:
            what += f"; gates failed: {result.failed}"
    meta = json.loads((export_dir / "metadata.json").read_text())
    scale, lr_size = meta["scale"], meta["input"]["shape"][1]
    model, _ = load_model_any(source, compile=False)

    pairs, split = parity.heldout_pairs(args.data, scale, lr_size, args.images)
    lrs = np.stack([p.lr for p in pairs])
    keras_out = parity.run_keras(model, lrs)
    keras_psnr, keras_ssim = parity.score_outputs(pairs, keras_out[0], scale)
    one = lrs[:1, :, :, None].astype(np.float32)
    keras_s = median_latency(lambda: model.predict_on_batch(one), args.runs)

    rows = [
        {
            "artifact": "keras (float32)",
            "t1": None,
            "t2": keras_s,
            "psnr": keras_psnr,
            "ssim": keras_ssim,
            "loss": 0.0,
            "mb": None,
        }
    ]
    for name in ("fp32", "fp16", "dynamic", "int8"):
        path = export_dir / f"model_{name}.tflite"
        if not path.is_file():
            continue
        sr, _ = parity.run_tflite(path, lrs)
        psnr_hr, ssim_hr = parity.score_outputs(pairs, sr, scale)
        rows.append(
            {
                "artifact": name,
                "t1": tflite_latency(path, one, 1, args.runs),
                "t2": tflite_latency(path, one, 2, args.runs),
                "psnr": psnr_hr,
                "ssim": ssim_hr,
                "loss": keras_psnr - psnr_hr,
                "mb": path.stat().st_size / 1e6,
            }
        )

    print(f"# TFLite latency, {lr_size}x{lr_size} LR -> {lr_size * scale}x{lr_size * scale} HR, x{scale}")
    print(f"# {what}; keras {keras.__version__}; {os.cpu_count()} CPUs")
    print(f"# held-out: {len(pairs)} centre crops ({split} split of {args.data or 'synthetic set'})")
    print("| artifact | 1 thread (s) | 2 threads (s) | PSNR (dB) | SSIM | PSNR loss (dB) | size (MB) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        t1 = "" if r["t1"] is None else f"{r['t1']:.3f}"
        mb = "" if r["mb"] is None else f"{r['mb']:.1f}"
        print(
            f"| {r['artifact']} | {t1} | {r['t2']:.3f} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['loss']:+.3f} | {mb} |"
        )
    print("Keras: predict_on_batch, TensorFlow's own 2-thread CPU pool (median).")
    print(PROTOCOL_TEXT)
    if args.json:
        Path(args.json).write_text(json.dumps({"what": what, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
