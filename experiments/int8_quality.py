"""Where int8 loses PSNR on a lite model, and what keeps it within 0.15 dB of fp32 (issue 10).

Converts one model (default: the shipped ``gp-lite-x4``) at the export's
fixed input (224x224 HR output, 56x56 LR at x4) in several ways and scores
every artifact exactly as ``leuko-keras evaluate -m X.tflite`` does (tiled
at the artifact's input size, PSNR on Y, border crop = scale) on the test
split of ``--data``. Prints a table: variant, PSNR against HR, its delta to
the fp32 artifact, size, median 1-thread latency (``ai_edge_litert``; CPU
time of the invoking thread and wall time), and the ops left in float32.

Variants:

* ``fp32``, ``dynamic`` -- as the export writes them;
* ``int8 full integer`` -- every op int8 (the export's int8 before issue 10),
  with the export's 100 calibration crops and with 4x as many;
* ``int8, bicubic float`` -- only the in-graph bicubic layer kept float32;
* ``int8`` -- the export's int8 now: bicubic layer and the final add float32;
* ``int16x8`` -- int16 activations, int8 weights (ops without a 16x8 kernel,
  such as ``DEPTH_TO_SPACE``, fall back to float32); not int8, shown for size
  and speed.

    python experiments/int8_quality.py                                  # gp-lite-x4, CellaVision test split
    python experiments/int8_quality.py --model runs/gp_x4 --data DIR --runs 30
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

DEFAULT_DATA = "/work/shared/data/wbc/cellavision"


def median_latency(path: Path, lr_size: int, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of one 1-thread invoke on a (1, lr_size, lr_size, 1) input (2 warm-up runs).

    With one thread the interpreter runs in the calling thread, so its CPU time is what an idle core would
    take; on a machine shared with other jobs that is the honest number, the wall time only says how busy
    the machine was.

    >>> median_latency(Path("model_int8.tflite"), 56, 20)  # doctest: +SKIP
    (0.21, 0.2)
    """
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path), num_threads=1).get_signature_runner()
    lr = np.random.default_rng(0).random((1, lr_size, lr_size, 1), dtype=np.float32)
    for _ in range(2):
        runner(lr_y=lr)
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        runner(lr_y=lr)
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return statistics.median(wall), statistics.median(cpu)


def int16x8(saved_model: Path, crops: np.ndarray) -> bytes:
    """int16 activations and int8 weights, float32 fallback for ops without a 16x8 kernel."""
    import tensorflow as tf

    from leuko_keras.deploy.tflite import _representative_fn

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = _representative_fn(crops)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8,
        tf.lite.OpsSet.TFLITE_BUILTINS,
    ]
    return bytes(converter.convert())


def machine() -> str:
    """CPU model, SIMD flags that matter to XNNPACK, and the load average (other jobs slow the timings)."""
    model, flags = platform.processor() or "CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} CPUs ({' '.join(simd)}); load average {load}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gp-lite-x4", help="pretrained name, run folder or .keras")
    parser.add_argument("--data", default=DEFAULT_DATA, help="folder whose test split is scored")
    parser.add_argument("--calibration-data", default=None, help="calibration source (default: the run's data)")
    parser.add_argument("--input-size", type=int, default=224, help="HR output side of the artifacts")
    parser.add_argument("--runs", type=int, default=20, help="latency runs (median)")
    parser.add_argument("--keep", default=None, help="keep the artifacts in this folder")
    args = parser.parse_args(argv)

    from leuko_keras.deploy.export import _facts
    from leuko_keras.deploy.representative import DEFAULT_COUNT, representative_crops
    from leuko_keras.deploy.savedmodel import float32_model, write_savedmodel
    from leuko_keras.deploy.tflite import check_builtin_only, convert_savedmodel, float_island, float_ops
    from leuko_keras.evaluation.evaluate import load_eval_examples, score
    from leuko_keras.predict.backends import load_backend
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT
    from leuko_keras.runs.model_io import load_run

    model, record = load_run(args.model, compile=False)
    model = float32_model(model)
    facts = _facts(model, record, args.calibration_data)
    lr_size = args.input_size // facts.scale
    work = Path(args.keep or tempfile.mkdtemp(prefix="leuko_int8_"))
    work.mkdir(parents=True, exist_ok=True)
    saved_model = work / "fixed_savedmodel"
    write_savedmodel(model, saved_model, (1, lr_size, lr_size, 1))

    def crops(count: int) -> np.ndarray:
        return representative_crops(None, facts.source, facts.scale, lr_size, count)

    base = crops(DEFAULT_COUNT)
    many = crops(4 * DEFAULT_COUNT)
    full: list[str] = []
    # The export's float island minus the final add: does the bicubic layer alone explain the loss?
    bicubic_only = [name for name in float_island(convert_savedmodel(saved_model, "fp32")) if "bicubic" in name]
    variants: list[tuple[str, Any]] = [
        ("fp32", lambda: convert_savedmodel(saved_model, "fp32")),
        ("dynamic", lambda: convert_savedmodel(saved_model, "dynamic")),
        (f"int8 full integer, {DEFAULT_COUNT} crops", lambda: convert_savedmodel(saved_model, "int8", base, full)),
        (f"int8 full integer, {4 * DEFAULT_COUNT} crops", lambda: convert_savedmodel(saved_model, "int8", many, full)),
        ("int8, bicubic float", lambda: convert_savedmodel(saved_model, "int8", base, bicubic_only)),
        ("int8 (export default: bicubic + final add float)", lambda: convert_savedmodel(saved_model, "int8", base)),
        ("int16x8 (int16 activations)", lambda: int16x8(saved_model, base)),
    ]
    examples = load_eval_examples(args.data, facts.scale, "test")
    keras_psnr = score(load_backend(args.model), examples, facts.scale).psnr
    rows = []
    for index, (name, convert) in enumerate(variants):
        print(f"  converting {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            data = convert()
        except Exception as error:  # a variant the converter refuses is a row, not the end of the table
            rows.append({"variant": name, "error": f"{type(error).__name__}: {str(error).splitlines()[0]}"})
            continue
        seconds = time.perf_counter() - started
        check_builtin_only(data, name)
        path = work / f"variant{index}.tflite"
        path.write_bytes(data)
        result = score(load_backend(str(path)), examples, facts.scale)
        floats = sorted(set(float_ops(data)))
        rows.append(
            {
                "variant": name,
                "psnr": result.psnr,
                "kb": len(data) / 1024,
                "latency": median_latency(path, lr_size, args.runs),
                "float": "all" if name in ("fp32", "dynamic") else ", ".join(floats) or "none",
                "convert_s": seconds,
            }
        )
    fp32 = next(row["psnr"] for row in rows if row["variant"] == "fp32")

    side = lr_size * facts.scale
    print(f"# int8 quality: {args.model}, x{facts.scale}, {lr_size}x{lr_size} LR -> {side}x{side} HR")
    print(f"# scored on: {args.data} test split, {len(examples)} images, as `leuko-keras evaluate -m X.tflite`")
    source = "built-in synthetic set" if facts.source.synthetic else facts.source.label
    print(f"# calibration: {source} (training split); Keras float32 {keras_psnr:.3f} dB")
    print(f"# machine: {machine()}; latency = median of {args.runs} runs, ai_edge_litert 1 thread")
    print(
        "| variant | PSNR vs HR (dB) | delta vs fp32 (dB) | size (KB) | 1 thread: CPU (s) | 1 thread: wall (s) "
        "| ops in float32 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        if "error" in row:
            print(f"| {row['variant']} | conversion failed: {row['error']} | | | | | |")
            continue
        print(
            f"| {row['variant']} | {row['psnr']:.3f} | {row['psnr'] - fp32:+.3f} | {row['kb']:.0f} | "
            f"{row['latency'][1]:.3f} | {row['latency'][0]:.3f} | {row['float']} |"
        )
    print(PROTOCOL_TEXT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
