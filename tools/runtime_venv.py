"""Prove the on-device runner needs no TensorFlow: a fresh venv, runtime requirements only, run outside the repo.

What it does, printing each step and its time:

1. exports a model to fp32 TFLite with this interpreter (which has TensorFlow), unless ``--tflite`` is given;
2. ``python -m venv`` a new environment outside the repository;
3. ``pip install -r requirements-runtime.txt`` (numpy, pillow, tifffile, ai-edge-litert) and
   ``pip install --no-deps`` this package (a regular install, not editable: the repo is not on the path);
4. checks that TensorFlow and Keras cannot be imported there;
5. runs ``leuko-keras-run MODEL.tflite cells/ --out sr/`` from a folder outside the repo and lists what it wrote.

    python tools/runtime_venv.py                         # export gp-lite-x4 (fp32) first
    python tools/runtime_venv.py --tflite exports/gp_x4/model_int8.tflite --keep

Needs pip to reach a package index (or a configured mirror). Exit code 0 when the runner ran.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def step(title: str, command: list[str], cwd: Path | None = None) -> float:
    """Run ``command``; print its title, wall time and, on failure, its output; return the time."""
    start = time.perf_counter()
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    print(f"[{seconds:7.1f} s] {title}")
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
        raise SystemExit(f"failed: {' '.join(str(c) for c in command)}")
    return seconds


def export_fp32(model: str, work: Path) -> Path:
    """Export ``model`` (pretrained name, run folder, .keras) to fp32 TFLite at the default input size."""
    from leuko_keras.deploy.export import export_model
    from leuko_keras.synth import write_dataset

    data = write_dataset(work / "heldout", 8, size=256, seed=1)
    result = export_model(model, work / "export", quantizations=["fp32"], data=data, parity_images=2)
    return Path(result.out_dir) / "model_fp32.tflite"


def main(argv: list[str] | None = None) -> int:
    """Build the TensorFlow-free venv, run the runner in it, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gp-lite-x4", help="what to export when --tflite is not given")
    parser.add_argument("--tflite", type=Path, default=None, help="an exported model_*.tflite to run")
    parser.add_argument("--images", type=int, default=3, help="synthetic cells (256x256 RGB) to upscale")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (printed)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="leuko_runtime_venv_"))
    assert REPO not in work.parents, "the work folder must be outside the repository"
    print(f"work folder: {work}")
    try:
        if args.tflite is None:
            start = time.perf_counter()
            model = export_fp32(args.model, work)
            print(f"[{time.perf_counter() - start:7.1f} s] exported {args.model} -> {model.name} (with TensorFlow)")
        else:
            model = args.tflite.resolve()
        venv = work / "venv"
        python = venv / "bin" / "python"
        total = step("python -m venv", [sys.executable, "-m", "venv", venv])
        total += step(
            "pip install -r requirements-runtime.txt",
            [python, "-m", "pip", "install", "-q", "-r", REPO / "requirements-runtime.txt"],
        )
        total += step(
            "pip install --no-deps leuko-keras (from this checkout)",
            [python, "-m", "pip", "install", "-q", "--no-deps", REPO],
        )
        check = (
            "import importlib.util as u, sys\n"
            "found = [m for m in ('tensorflow', 'keras') if u.find_spec(m)]\n"
            "sys.exit(f'installed: {found}' if found else 0)\n"
        )
        step("TensorFlow and Keras are not importable in the venv", [python, "-c", check])
        sizes = subprocess.run([python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True)
        print("venv packages: " + ", ".join(sizes.stdout.split()))
        outside = work / "device"
        cells = outside / "cells"
        cells.mkdir(parents=True)
        from leuko_keras.synth import write_dataset

        for path in write_dataset(work / "cells_src", args.images, size=256, seed=0).glob("cell_*[0-9].png"):
            shutil.copy(path, cells / path.name)
        runner = venv / "bin" / "leuko-keras-run"
        seconds = step(
            f"leuko-keras-run {model.name} cells/ --out sr/ (cwd {outside})",
            [runner, model, "cells", "--out", "sr"],
            cwd=outside,
        )
        written = sorted(p.name for p in (outside / "sr").iterdir())
        print(f"wrote {len(written)} files: {', '.join(written)}")
        print(f"runner: {seconds / max(1, args.images):.2f} s per 256x256 image (incl. start-up); setup {total:.1f} s")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
