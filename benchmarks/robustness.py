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

Runs trained elsewhere (e.g. with ``leuko-keras fit`` on several folders) are scored instead of training
when given as ``--run MODEL:KIND:SCALE=RUN_DIR`` (repeatable; the scales are then the runs' own), and
``--test-data FOLDER`` (repeatable, default ``--data``) scores on each folder separately, one matrix per
folder, model and scale. Each run's training data and budget are read from its own ``config.json`` and
``history.csv``.

    python benchmarks/robustness.py --data ../shared/data/wbc/cellavision --scales 4 8 --minutes 10 \\
        --out runs/robustness
    python benchmarks/robustness.py --run gp-lite:bicubic:4=runs/gp_bic_x4 --run gp-lite:microscope:4=runs/gp_mic_x4 \\
        --test-data ../shared/data/wbc/cellavision --test-data ../shared/data/wbc/tecom --out runs/robustness
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
KINDS = ("bicubic", "microscope", "phone", "real")
# The matrix of issue 14; `real` (the wide family, one draw per test image) is a choice, not a default.
DEFAULT_KINDS = ("bicubic", "microscope", "phone")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", action="append", default=None, help="Data folder (repeatable); default: synthetic")
    p.add_argument("--scales", type=int, nargs="+", default=[4, 8])
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--degradations", nargs="+", default=list(DEFAULT_KINDS), choices=KINDS, help="Test degradations")
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
    p.add_argument(
        "--run", action="append", default=[], metavar="MODEL:KIND:SCALE=RUN_DIR",
        help="Score this run folder (trained on KIND) instead of training (repeatable)",
    )  # fmt: skip
    p.add_argument("--test-data", action="append", default=None, help="Test folder (repeatable); default: --data")
    return p.parse_args(argv)


def given_runs(specs: list[str]) -> dict[tuple[str, str, int], Path]:
    """``MODEL:KIND:SCALE=RUN_DIR`` specs as the run table; a bad spec or folder is one line (exit 2).

    >>> given_runs([])
    {}
    """
    import json

    from leuko_keras.errors import LeukoInputError

    runs: dict[tuple[str, str, int], Path] = {}
    for spec in specs:
        key, sep, folder = spec.partition("=")
        parts = key.split(":")
        if not sep or len(parts) != 3 or not parts[2].isdigit() or parts[1] not in KINDS:
            raise LeukoInputError(
                f"--run {spec}: write MODEL:KIND:SCALE=RUN_DIR with KIND one of {', '.join(KINDS)}, "
                "e.g. --run gp-lite:microscope:4=runs/gp-lite_micro"
            )
        model, kind, scale, run_dir = parts[0], parts[1], int(parts[2]), Path(folder)
        config_path = run_dir / "config.json"
        if not (run_dir / "best.keras").is_file() or not config_path.is_file():
            raise LeukoInputError(f"{run_dir}: not a finished run (best.keras + config.json); check --run {spec}")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise LeukoInputError(f"{config_path}: unreadable run configuration; check --run {spec}") from None
        recorded = ((config.get("degradation") or {}).get("kind")) or "bicubic"
        if int(config.get("scale", scale)) != scale or recorded != kind:
            raise LeukoInputError(
                f"{config_path}: the run is x{config.get('scale')} trained on {recorded}, not x{scale} on {kind}; "
                f"fix --run {spec}"
            )
        if (model, kind, scale) in runs:
            raise LeukoInputError(f"--run {spec}: {model}:{kind}:{scale} is given twice; give each once")
        runs[(model, kind, scale)] = run_dir
    return runs


def _record(kind: str, ranges: bool) -> dict[str, Any]:
    from leuko_keras.data.degradations import record_from_settings

    return record_from_settings(kind, None, ranges=ranges and kind != "bicubic")


def _source(args: argparse.Namespace) -> Any:
    if not args.data:
        return None
    return args.data[0] if len(args.data) == 1 else list(args.data)


def _test_sources(args: argparse.Namespace) -> list[Any]:
    # Each --test-data folder is its own matrix; without it, --data as training used it (one source).
    return list(args.test_data) if getattr(args, "test_data", None) else [_source(args)]


def _label(source: Any) -> str:
    if source is None:
        return "synthetic"
    return " + ".join(str(s) for s in source) if isinstance(source, list | tuple) else str(source)


def train(args: argparse.Namespace, model: str, kind: str, scale: int) -> Path:
    """Train (or reuse) ``model`` on LR made by ``kind`` at ``scale``; return the run folder."""
    import keras

    from leuko_keras.core.assignments import parse_assignments
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
        model_settings=parse_assignments(args.setting, "--setting"),
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
    from leuko_keras.data.source import DataSource
    from leuko_keras.evaluation.compare import paired_gain
    from leuko_keras.evaluation.evaluate import load_eval_examples, score
    from leuko_keras.predict.backends import BicubicBackend, load_backend

    rows: list[dict[str, Any]] = []
    # Each run is loaded once, not once per test degradation.
    backends = {key: load_backend(str(run_dir)) for key, run_dir in runs.items()}
    for source in _test_sources(args):
        for scale in args.scales:
            for test_kind in args.degradations:
                test_data = DataSource.of(
                    source, synthetic_count=args.synthetic_count, degradation=_record(test_kind, False)
                )
                examples = load_eval_examples(test_data, scale, args.split)
                bicubic = score(BicubicBackend(scale), examples, scale)
                rows.append(_row(scale, test_kind, "bicubic", None, bicubic, None, source))
                for (model, train_kind, run_scale), backend in backends.items():
                    if run_scale != scale:
                        continue
                    result = score(backend, examples, scale)
                    gain = paired_gain(result, bicubic, "over_bicubic", seed=args.seed).ci
                    rows.append(_row(scale, test_kind, model, train_kind, result, gain, source))
                    where = f" ({_label(source)})" if len(_test_sources(args)) > 1 else ""
                    print(
                        f"x{scale} {model} trained on {train_kind}, tested on {test_kind}{where}: {result.psnr:.2f} dB",
                        flush=True,
                    )
    return rows


def _row(
    scale: int, test: str, model: str, trained: str | None, result: Any, gain: Any, source: Any = None
) -> dict[str, Any]:
    return {
        "test_data": _label(source),
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

    lines: list[str] = []
    sources = list(dict.fromkeys(r.get("test_data", "") for r in rows))
    for source in sources:
        if len(sources) > 1:
            lines += [f"## Tested on {source}", ""]
        lines += _render_one([r for r in rows if r.get("test_data", "") == source], kinds)
    return "\n".join(lines)


def _render_one(rows: list[dict[str, Any]], kinds: list[str]) -> list[str]:
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
    return lines


def _ps(row: dict[str, Any] | None) -> str:
    return "-" if row is None else f"{row['psnr']:.2f} / {row['ssim']:.4f}"


def _dice(row: dict[str, Any] | None) -> str:
    if not row or not row["dice"]:
        return "-"
    return f"{row['dice']['cytoplasm']:.2f} / {row['dice']['nucleus']:.2f}"


def training_table(runs: dict[tuple[str, str, int], Path]) -> str:
    """What each run got, read from the run itself: its training data (config.json), budget, epochs and minutes.

    The budget is the run's own ``time_budget_minutes``, epochs and minutes come from its ``history.csv``
    (both through ``leuko_keras.training.facts.training_facts``), so runs trained outside this script (``--run``) are
    described as they really were trained.
    """
    from leuko_keras.training.facts import training_facts

    lines = [
        "| run | training data | LR | budget (min) | epochs | training minutes | steps/epoch x batch x crop |",
        "|---|---|---|---|---|---|---|",
    ]
    for (model, kind, scale), run_dir in runs.items():
        facts = training_facts(run_dir, missing_ok=True)  # a run that never trained is a row of zeros
        recipe, budget = facts["recipe"], facts["time_budget_minutes"]
        shape = f"{recipe['steps_per_epoch'] or 'one pass'} x {recipe['batch_size'] or '?'} x "
        shape += f"{recipe['size'] or '?'} px"
        ranges = any(isinstance(v, list) for v in (facts["degradation"] or {}).values())
        lr = f"{kind}{' (ranges)' if ranges else ''}"
        lines.append(
            f"| {model} on {kind} x{scale} | {_label(facts['source'])} | {lr} | "
            f"{'-' if budget is None else f'{budget:g}'} | {facts['epochs']} | {facts['minutes']:.1f} | {shape} |"
        )
    return "\n".join(lines)


def _trained_record(args: argparse.Namespace, runs: dict[tuple[str, str, int], Path], kind: str) -> dict[str, Any]:
    # The record a run of this kind used (its config.json), else what this script trains with.
    import json

    for (_, run_kind, _), run_dir in runs.items():
        try:
            record = json.loads((run_dir / "config.json").read_text(encoding="utf-8")).get("degradation")
        except (OSError, ValueError):
            record = None
        if run_kind == kind and record:
            return record
    return _record(kind, not args.fixed)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--sweep" in argv:
        # The sweep (NA x defocus x noise x JPEG) has its own options.
        from leuko_keras.evaluation.sweep import main as sweep_main

        return sweep_main(argv)
    args = parse_args(argv)
    from leuko_keras.core.atomic import write_json_atomic, write_text_atomic
    from leuko_keras.data.degradations import describe
    from leuko_keras.errors import LeukoInputError
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT

    try:
        runs = given_runs(args.run)
    except LeukoInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if runs:
        # Runs trained elsewhere: scored at their own scales, nothing trained here.
        args.scales = sorted({scale for _, _, scale in runs})
    else:
        runs = {
            (model, kind, scale): train(args, model, kind, scale)
            for scale in args.scales
            for model in args.models
            for kind in args.train_on or args.degradations
        }
    rows = score_matrix(args, runs)
    command = " ".join(sys.argv[1:] if argv is None else argv)
    tested = "\n".join(f"- {describe(_record(k, False))}" for k in args.degradations)
    trained = "\n".join(f"- {describe(_trained_record(args, runs, k))}" for k in sorted({k for _, k, _ in runs}))
    text = "\n".join(
        [
            "# Robustness: trained on one degradation, tested on each",
            "",
            f"Command: `python benchmarks/robustness.py {command}`",
            "",
            render(rows, list(args.degradations)),
            f"Test LR (default parameters, one draw per image):\n{tested}\n\n"
            f"Training LR (ranges drawn per training crop):\n{trained}\n",
            PROTOCOL_TEXT.replace(
                "LR = MATLAB bicubic imresize of the modcropped HR, quantised to 8 bits", "LR as listed"
            ),
            f"Test data: {'; '.join(_label(t) for t in _test_sources(args))}, split {args.split!r}. "
            "Each run's training (from its config.json and history.csv):",
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
