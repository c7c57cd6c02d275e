"""Reproduce the paper's Tables 1 and 2 on real leukocytes, on this CPU, under two budgets.

Trains NP, GP, SRCNN, VDSR, SRResNet-16 and the lite models (np-lite,
gp-lite, with their own CPU recipe; SRGAN and SFTGAN with --gan) at every
scale on the train splits of every ``--data`` folder together, evaluates
them on each folder's held-out split on its own against MATLAB bicubic
with paired bootstrap intervals, and writes for each budget and test set a
Markdown table and a JSON file, then ``report.md`` beside the paper's numbers:

* ``epochs``: the same number of epochs for every model (the paper's protocol);
* ``time``:   the same wall-clock minutes for every model (``fit --time-budget``),
  which is what a CPU user gets: a U-Net prior doubles the step cost.

Runs already complete in ``--out`` are reused (the script can be stopped and
re-run); pass --retrain to start over. One process per scale, each pinned to
its own core, gives every model the same CPU:

    TF_NUM_INTRAOP_THREADS=1 taskset -c 0 python benchmarks/reproduce_paper.py \
        --data ../shared/data/wbc/cellavision ../shared/data/wbc/tecom --scales 4 \
        --out runs/table2/x4 --budgets time --minutes 12
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PAPER = {  # PSNR (dB) on Y, the paper's Table 2
    4: {"Bicubic": 36.68, "SRCNN": 37.88, "VDSR": 36.68, "SRResNet": 38.44, "NP": 39.53, "GP": 39.93},
    8: {"Bicubic": 31.11, "SRCNN": 31.43, "VDSR": 31.11, "SRResNet": 33.79, "NP": 34.40, "GP": 34.94},
}
MODELS = ("np", "gp", "srcnn", "vdsr", "srresnet")
# The LR-space models train with their own CPU recipe (crop 192, batch 16, 4e-4 cosine, bf16 where fast).
LITE = ("np-lite", "gp-lite")
GANS = ("srgan", "sftgan")
# SRResNet-16: sixteen residual blocks (the registry's setting name, if it has one).
SETTINGS = {"srresnet": {"blocks": 16}}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data",
        required=True,
        nargs="+",
        help="Image folder(s) with parsing maps, trained on together; each test split is scored on its own",
    )
    p.add_argument("--scales", type=int, nargs="+", default=[4, 8])
    p.add_argument("--out", default="runs/reproduce", help="Folder for runs and reports")
    p.add_argument(
        "--models",
        nargs="+",
        default=list(MODELS + LITE),
        help=f"Subset of {', '.join(MODELS + LITE)} (lite: own recipe)",
    )
    p.add_argument("--gan", action="store_true", help="Also train the GAN models (SRGAN, SFTGAN)")
    p.add_argument("--budgets", nargs="+", default=["epochs", "time"], choices=["epochs", "time"])
    p.add_argument("--epochs", type=int, default=30, help="Epochs per model under the equal-epochs budget")
    p.add_argument("--minutes", type=float, default=25.0, help="Minutes per model under the equal-time budget")
    p.add_argument("--size", type=int, default=96, help="Training HR crop side (multiple of 16 and of every scale)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--steps-per-epoch", type=int, default=None, help="Default: one pass over the training split")
    p.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate (the paper's 1e-4)")
    p.add_argument("--precision", default="auto", help="fp32, bf16 or auto (bf16 where the CPU has AMX)")
    p.add_argument("--xla", action="store_true", help="XLA-compiled train steps (fit --xla; faster on CPU)")
    p.add_argument(
        "--xla-budgets",
        nargs="+",
        default=["epochs", "time"],
        choices=["epochs", "time"],
        help="Budgets that use --xla (default both)",
    )
    p.add_argument("--split", default="test", help="Held-out split to evaluate on")
    p.add_argument("--retrain", action="store_true", help="Retrain runs that already exist")
    return p.parse_args(argv)


def _uses_xla(args: argparse.Namespace, budget: str) -> bool:
    return args.xla and budget in args.xla_budgets


def _run_done(run_dir: Path) -> bool:
    return (run_dir / "best.keras").is_file() and (run_dir / "summary.json").is_file()


def _facts(run_dir: Path) -> dict:
    """What a run got (``leuko_keras.training.facts.training_facts``); zeros before its first epoch."""
    from leuko_keras.training.facts import training_facts

    return training_facts(run_dir, missing_ok=True)


def train_all(args: argparse.Namespace, budget: str, models: list[str]) -> dict[tuple[str, int], Path]:
    """Train (or reuse) every model at every scale under ``budget``; return the run folders."""
    import keras

    from leuko_keras.training import FitConfig, fit

    runs: dict[tuple[str, int], Path] = {}
    for scale in args.scales:
        for name in models:
            run_dir = Path(args.out) / budget / f"{name}_x{scale}"
            runs[(name, scale)] = run_dir
            if _run_done(run_dir) and not args.retrain:
                print(f"[{budget}] {name} x{scale}: reusing {run_dir}", flush=True)
                continue
            paper_recipe = {} if name in LITE else {"size": args.size, "batch_size": args.batch_size}
            paper_recipe |= {} if name in LITE else {"learning_rate": args.lr, "steps_per_epoch": args.steps_per_epoch}
            config = FitConfig.for_model(
                name,
                out=str(run_dir),
                scale=scale,
                data=list(args.data) if len(args.data) > 1 else args.data[0],
                epochs=args.epochs if budget == "epochs" else 100000,
                time_budget_minutes=args.minutes if budget == "time" else None,
                precision=args.precision,
                xla=_uses_xla(args, budget) and name not in LITE,
                **paper_recipe,
                model_settings=dict(SETTINGS.get(name, {})),
                overwrite=True,
                tensorboard=False,
                verbose=0,
            )
            start = time.perf_counter()
            print(f"[{budget}] training {name} x{scale} -> {run_dir}", flush=True)
            result = fit(config, printer=lambda line: print(f"    {line}", flush=True))
            print(f"[{budget}] {name} x{scale}: {result.status} after {time.perf_counter() - start:.0f} s", flush=True)
            keras.utils.clear_session()  # each run builds a fresh graph; free the last one
    return runs


def training_table(runs: dict[tuple[str, int], Path]) -> str:
    """What each model actually got: steps (batch x HR crop), epochs and wall-clock minutes."""
    from leuko_keras.predict.backends import pretty_name

    lines = ["| Model | Scale | Steps | Batch x HR crop | Epochs | Training minutes |", "|---|---|---|---|---|---|"]
    for (name, scale), run_dir in runs.items():
        facts = _facts(run_dir)
        recipe = facts["recipe"]  # all None for a run that never wrote its config
        crop = f"{recipe['batch_size'] or '?'} x {recipe['size'] or '?'} px"
        steps = "-" if facts["steps"] is None else facts["steps"]  # one-pass runs before 0.5 did not record it
        lines.append(
            f"| {pretty_name(name)} | x{scale} | {steps} | {crop} | {facts['epochs']} | {facts['seconds'] / 60:.1f} |"
        )
    return "\n".join(lines)


def paper_table(scales: list[int]) -> str:
    """The paper's Table 2 PSNR numbers, for side-by-side reading."""
    names = list(PAPER[4])
    header = "| Model | " + " | ".join(f"x{s} PSNR (paper)" for s in scales if s in PAPER) + " |"
    lines = [header, "|---" * (1 + sum(s in PAPER for s in scales)) + "|"]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{PAPER[s][name]:.2f}" for s in scales if s in PAPER) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from leuko_keras.evaluation import evaluate, render, write_json, write_markdown

    models = list(args.models) + (list(GANS) if args.gan else [])
    out = Path(args.out)
    sections = [
        "# Reproduction of the paper's Tables 1-2 on this machine",
        "",
        f"Command: `python benchmarks/reproduce_paper.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        "Paper (trained on GPU for many more iterations):",
        "",
        paper_table(args.scales),
        "",
    ]
    for budget in args.budgets:
        runs = train_all(args, budget, models)
        specs = ["bicubic", *(str(p) for p in runs.values() if (p / "best.keras").is_file())]
        what = f"{args.epochs} epochs each" if budget == "epochs" else f"{args.minutes:g} wall-clock minutes each"
        xla = ", XLA" if _uses_xla(args, budget) else ""
        recipe = f"paper models: {args.size} px crops, batch {args.batch_size}; lite models: their recipe"
        facts = {f"{n}_x{s}": _facts(p) for (n, s), p in runs.items()}
        extra = {"budget": budget, "training": {k: (f["epochs"], f["seconds"]) for k, f in facts.items()}}
        for folder in args.data:
            ev = evaluate(specs, args.scales, data=folder, split=args.split, log=lambda m: print(m, flush=True))
            test_set = Path(folder).name
            title = f"Budget: {what} ({recipe}, precision {args.precision}{xla}); {test_set} {args.split} split"
            text = render(ev.results, ev.comparisons, ev.protocol, title=title)
            stem = f"table_{budget}" if len(args.data) == 1 else f"table_{budget}_{test_set}"
            write_markdown(out / f"{stem}.md", text)
            write_json(out / f"{stem}.json", ev.results, ev.comparisons, ev.protocol, extra=extra)
            sections += [text, ""]
            print(text, flush=True)
        sections += ["What each model got:", "", training_table(runs), ""]
    write_markdown(out / "report.md", "\n".join(sections) + "\n")
    print(f"wrote {out / 'report.md'}")
    (out / "args.json").write_text(json.dumps(vars(args), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
