"""Robustness table: models trained on one degradation, tested on each (a 3x3 matrix per model and scale).

For every scale, model (GP-lite, NP-lite) and training degradation (bicubic, microscope, phone) a run is
trained for ``--minutes`` (``fit --degradation KIND``; microscope and phone with ``--degradation-range``
unless ``--fixed``, so one model covers a range of objectives and cameras). Each run is then scored on
the held-out images degraded by each degradation at its default parameters (the centre of the ranges'
typical use), beside bicubic upscaling of the same LR input: PSNR / SSIM on Y under the package protocol,
the paired-bootstrap 95% CI of the gain over bicubic, and the Dice of GP-lite's parsing map per
degradation (does the prior still find nucleus and cytoplasm in a blurred, noisy input?).

The finding to confirm or refute: a model trained on bicubic LR fails on optically blurred, noisy LR
(its gain over bicubic shrinks or turns negative off the diagonal), and one trained on the matched
degradation recovers much of the gap. Runs already complete in ``--out`` are reused.

    python benchmarks/robustness.py --data ../shared/data/wbc/cellavision --scales 4 8 --minutes 10 \\
        --out runs/robustness
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("gp-lite", "np-lite")
KINDS = ("bicubic", "microscope", "phone")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", action="append", default=None, help="Data folder (repeatable); default: synthetic")
    p.add_argument("--scales", type=int, nargs="+", default=[4, 8])
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--degradations", nargs="+", default=list(KINDS), choices=KINDS, help="Test degradations")
    p.add_argument("--train-on", nargs="+", default=None, choices=KINDS, help="Default: the test degradations")
    p.add_argument("--minutes", type=float, default=10.0, help="Training minutes per run (fit --time-budget)")
    p.add_argument("--epochs", type=int, default=100000, help="Epoch cap (the budget normally ends a run first)")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="Default: the model's recipe")
    p.add_argument("--size", type=int, default=None, help="Training HR crop (default: the model's recipe)")
    p.add_argument("--batch-size", type=int, default=None, help="Default: the model's recipe")
    p.add_argument("--setting", action="append", default=[], help="Model setting KEY=VALUE (as fit --setting)")
    p.add_argument("--fixed", action="store_true", help="Train at the default parameters, not drawn from ranges")
    p.add_argument("--synthetic-count", type=int, default=48, help="Synthetic cells when no --data")
    p.add_argument("--split", default="test")
    p.add_argument("--precision", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/robustness")
    p.add_argument("--retrain", action="store_true", help="Retrain runs that already exist")
    return p.parse_args(argv)


def _record(kind: str, ranges: bool) -> dict[str, Any]:
    from leuko_keras.data.degradations import record_from_settings

    return record_from_settings(kind, None, ranges=ranges and kind != "bicubic")


def _source(args: argparse.Namespace) -> Any:
    if not args.data:
        return None
    return args.data[0] if len(args.data) == 1 else list(args.data)


def train(args: argparse.Namespace, model: str, kind: str, scale: int) -> Path:
    """Train (or reuse) ``model`` on LR made by ``kind`` at ``scale``; return the run folder."""
    import keras

    from leuko_keras.cli.fit import _settings
    from leuko_keras.training import FitConfig, fit

    run_dir = Path(args.out) / "runs" / f"{model}_{kind}_x{scale}"
    if (run_dir / "best.keras").is_file() and not args.retrain:
        print(f"{model} trained on {kind} x{scale}: reusing {run_dir}", flush=True)
        return run_dir
    source = _source(args)
    config = FitConfig.for_model(
        model,
        out=str(run_dir),
        scale=scale,
        data=source,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        size=args.size,
        batch_size=args.batch_size,
        time_budget_minutes=args.minutes,
        precision=args.precision,
        seed=args.seed,
        synthetic_count=args.synthetic_count,
        degradation=_record(kind, not args.fixed),
        model_settings=_settings(args.setting),
        overwrite=True,
        tensorboard=False,
        summary=False,  # scored below on every degradation instead
        verbose=0,
    )
    start = time.perf_counter()
    print(f"training {model} on {kind} x{scale} -> {run_dir}", flush=True)
    result = fit(config, printer=lambda line: print(f"    {line}", flush=True))
    print(f"  {result.status} after {time.perf_counter() - start:.0f} s", flush=True)
    keras.utils.clear_session()
    return run_dir


def score_matrix(args: argparse.Namespace, runs: dict[tuple[str, str, int], Path]) -> list[dict[str, Any]]:
    """One row per (scale, test degradation, model or bicubic, training degradation)."""
    from leuko_keras.evaluation.compare import paired_gain
    from leuko_keras.evaluation.evaluate import load_eval_examples, score
    from leuko_keras.predict.backends import BicubicBackend, load_backend

    rows: list[dict[str, Any]] = []
    # Each run is loaded once, not once per test degradation.
    backends = {key: load_backend(str(run_dir)) for key, run_dir in runs.items()}
    for scale in args.scales:
        for test_kind in args.degradations:
            examples = load_eval_examples(
                _source(args), scale, args.split, args.synthetic_count, degradation=_record(test_kind, False)
            )
            bicubic = score(BicubicBackend(scale), examples, scale)
            rows.append(_row(scale, test_kind, "bicubic", None, bicubic, None))
            for (model, train_kind, run_scale), backend in backends.items():
                if run_scale != scale:
                    continue
                result = score(backend, examples, scale)
                gain = paired_gain(result, bicubic, "over_bicubic", seed=args.seed).ci
                rows.append(_row(scale, test_kind, model, train_kind, result, gain))
                print(
                    f"x{scale} {model} trained on {train_kind}, tested on {test_kind}: {result.psnr:.2f} dB", flush=True
                )
    return rows


def _row(scale: int, test: str, model: str, trained: str | None, result: Any, gain: Any) -> dict[str, Any]:
    return {
        "scale": scale,
        "tested_on": test,
        "model": model,
        "trained_on": trained,
        "psnr": result.psnr,
        "ssim": result.ssim,
        "n_images": result.n_images,
        "gain_over_bicubic": gain.as_dict() if gain is not None else None,
        "dice": result.dice,
        "per_image": result.per_image,
    }


def render(rows: list[dict[str, Any]], kinds: list[str]) -> str:
    """Per scale and model: trained-on x tested-on matrix of PSNR / SSIM (gain over bicubic [95% CI]), then Dice."""
    from leuko_keras.evaluation.bootstrap import GainCI

    lines: list[str] = []
    cell = {(r["scale"], r["model"], r["trained_on"], r["tested_on"]): r for r in rows}
    header = "| trained on \\ tested on | " + " | ".join(kinds) + " |"
    rule = "|---" * (len(kinds) + 1) + "|"
    for scale in sorted({r["scale"] for r in rows}):
        models = sorted({r["model"] for r in rows if r["scale"] == scale and r["model"] != "bicubic"})
        for model in models:
            lines += [f"### x{scale} {model}: PSNR (dB) / SSIM, gain over bicubic [95% CI]", "", header, rule]
            base = [cell.get((scale, "bicubic", None, k)) for k in kinds]
            lines.append("| bicubic upscaling | " + " | ".join(_ps(b) for b in base) + " |")
            for trained in kinds:
                found = [cell.get((scale, model, trained, k)) for k in kinds]
                if not any(found):
                    continue
                text = [_ps(r) + (f" ({GainCI(**r['gain_over_bicubic']).text()})" if r else "") for r in found]
                lines.append(f"| {trained} | " + " | ".join(text) + " |")
            lines.append("")
            dice_rows = [(t, [cell.get((scale, model, t, k)) for k in kinds]) for t in kinds]
            if any(r and r["dice"] for _, found in dice_rows for r in found):
                lines += [f"Map Dice, cytoplasm / nucleus (x{scale} {model}):", "", header, rule]
                for trained, found in dice_rows:
                    if any(found):
                        lines.append(f"| {trained} | " + " | ".join(_dice(r) for r in found) + " |")
                lines.append("")
    return "\n".join(lines)


def _ps(row: dict[str, Any] | None) -> str:
    return "-" if row is None else f"{row['psnr']:.2f} / {row['ssim']:.4f}"


def _dice(row: dict[str, Any] | None) -> str:
    if not row or not row["dice"]:
        return "-"
    return f"{row['dice']['cytoplasm']:.2f} / {row['dice']['nucleus']:.2f}"


def training_table(runs: dict[tuple[str, str, int], Path]) -> str:
    """What each run got: epochs and training minutes (from its history.csv)."""
    import csv

    lines = ["| run | epochs | training minutes |", "|---|---|---|"]
    for (model, kind, scale), run_dir in runs.items():
        path = run_dir / "history.csv"
        rows = list(csv.DictReader(path.open(encoding="utf-8"))) if path.is_file() else []
        minutes = sum(float(r.get("seconds") or 0.0) for r in rows) / 60
        lines.append(f"| {model} on {kind} x{scale} | {len(rows)} | {minutes:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from leuko_keras.atomic import write_json_atomic, write_text_atomic
    from leuko_keras.data.degradations import describe
    from leuko_keras.metrics import PROTOCOL_TEXT

    runs = {
        (model, kind, scale): train(args, model, kind, scale)
        for scale in args.scales
        for model in args.models
        for kind in args.train_on or args.degradations
    }
    rows = score_matrix(args, runs)
    command = " ".join(sys.argv[1:] if argv is None else argv)
    tested = "\n".join(f"- {describe(_record(k, False))}" for k in args.degradations)
    trained = "\n".join(f"- {describe(_record(k, not args.fixed))}" for k in args.train_on or args.degradations)
    text = "\n".join(
        [
            "# Robustness: trained on one degradation, tested on each",
            "",
            f"Command: `python benchmarks/robustness.py {command}`",
            "",
            render(rows, list(args.degradations)),
            f"Test LR (default parameters):\n{tested}\n\nTraining LR (drawn per image):\n{trained}\n",
            PROTOCOL_TEXT.replace(
                "LR = MATLAB bicubic imresize of the modcropped HR, quantised to 8 bits", "LR as listed"
            ),
            f"Data: {_source(args) or 'synthetic'}, split {args.split!r}; budget {args.minutes:g} minutes per run:",
            "",
            training_table(runs),
        ]
    )
    out = Path(args.out)
    write_text_atomic(out / "robustness.md", text + "\n")
    write_json_atomic(out / "robustness.json", {"args": vars(args), "rows": rows})
    print(text)
    print(f"wrote {out / 'robustness.md'} and {out / 'robustness.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
