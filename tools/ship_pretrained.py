"""Score a trained run on held-out test splits and package it as a shipped pretrained model with its card.

Writes ``leuko_keras/weights/NAME/``: ``best.keras`` (weights only, no
optimiser state), ``config.json`` (the run's), ``card.json`` and ``card.md``
(data, split, steps, minutes, machine, held-out PSNR/SSIM with paired
bootstrap 95% CIs against bicubic, map Dice). Scores follow the package's
protocol (``leuko_keras.protocol.metrics.PROTOCOL_TEXT``) on each data set's seeded
test split (the split ``fit`` held out when it trained on that folder).

    python tools/ship_pretrained.py --run runs/pretrained/gp-lite-x4 --name gp-lite-x4 \\
        --data ../shared/data/wbc/cellavision ../shared/data/wbc/tecom

With ``--no-write`` it only prints the card (to score any run the same way).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent

from leuko_keras.core.machine import machine  # noqa: E402  (after the TF log setting)
from leuko_keras.training.facts import base_training, training_facts  # noqa: E402


def score(run: Path, folders: list[str], scale: int, degradation: dict[str, Any] | None = None) -> dict[str, Any]:
    """PSNR/SSIM/Dice of the run and of bicubic on each folder's test split, with the paired gain CI.

    ``degradation``: the test LR made by that degradation (default parameters, one draw per image) instead
    of the paper's bicubic; the baseline is then bicubic upscaling of that same LR.
    """
    from leuko_keras.evaluation import evaluate

    out: dict[str, Any] = {}
    for folder in folders:
        ev = evaluate(["bicubic", str(run)], [scale], data=folder, split="test", degradation=degradation)
        base = next(r for r in ev.results if r.model == "Bicubic")
        mine = next(r for r in ev.results if r.model != "Bicubic")
        gain = next(c for c in ev.comparisons if c.kind == "over_bicubic" and c.model == mine.model)
        out[Path(folder).name] = {
            "split": "test (seeded 0.8/0.1/0.1, seed 0)",
            "images": mine.n_images,
            "psnr": round(mine.psnr, 3),
            "ssim": round(mine.ssim, 4),
            "bicubic_psnr": round(base.psnr, 3),
            "bicubic_ssim": round(base.ssim, 4),
            "gain_db": round(gain.ci.mean, 3),
            "gain_ci95": [round(gain.ci.low, 3), round(gain.ci.high, 3)],
            "dice": None if mine.dice is None else {k: round(v, 3) for k, v in mine.dice.items()},
        }
    return out


def card_markdown(card: dict[str, Any]) -> str:
    """The human-readable card."""
    t = card["training"]
    lines = [
        f"# {card['name']}",
        "",
        f"{card['description']}",
        "",
        f"- Architecture: `{card['model']}` at x{card['scale']}, {card['parameters']:,} parameters, "
        f"settings {json.dumps(t['model_settings']) if t['model_settings'] else 'default'}.",
        "- Input: LR luminance Y in [0, 1] (BT.601 studio range); outputs `sr`"
        + (" and `mask` (background, cytoplasm, nucleus)" if "mask" in card["outputs"] else "")
        + "; Cb/Cr bicubic.",
        f"- Trained on: {card['data']}",
        *_degradation_lines(t.get("degradation")),
        *(
            [
                f"- Routed: under this name `predict`, `evaluate` and `screen` run this network on images that look "
                f"optically blurred and the shipped `{card['router']['sharp']}` on images as sharp as clean bicubic "
                "LR (per image, `leuko_keras.runtime.blur_estimate`); the tables below score this network alone."
            ]
            if card.get("router")
            else []
        ),
        f"- Training: {t['steps']} steps ({t['epochs']} epochs, best epoch {t['best_epoch']} on validation PSNR), "
        f"{t['minutes']} min, precision {t['precision']}, recipe {json.dumps(t['recipe'])}.",
        *_fine_tuning_lines(t),
        f"- Machine: {card['machine']}.",
        "",
        "Held-out test splits (never seen in training or model selection); PSNR/SSIM on Y, protocol below; "
        "gain = paired PSNR difference to MATLAB bicubic, 95% paired-bootstrap CI:",
        "",
        "| test split | images | bicubic PSNR / SSIM | model PSNR / SSIM | gain (dB) [95% CI] | Dice cyto / nucleus |",
        "| --- | ---: | --- | --- | --- | --- |",
    ]
    for name, row in card["heldout"].items():
        dice = row["dice"] or {}
        dice_text = (
            f"{dice.get('cytoplasm', float('nan')):.3f} / {dice.get('nucleus', float('nan')):.3f}" if dice else "-"
        )
        lines.append(
            f"| {name} | {row['images']} | {row['bicubic_psnr']:.2f} / {row['bicubic_ssim']:.4f} | "
            f"{row['psnr']:.2f} / {row['ssim']:.4f} | {row['gain_db']:+.2f} [{row['gain_ci95'][0]:+.2f}, "
            f"{row['gain_ci95'][1]:+.2f}] | {dice_text} |"
        )
    lines += _degraded_lines(card.get("heldout_degraded") or {})
    lines += ["", card["protocol"], "", f"Data credit: {card['data_credit']}", ""]
    return "\n".join(lines)


def _degradation_lines(record: dict[str, Any] | None) -> list[str]:
    if not record or record.get("kind", "bicubic") == "bicubic":
        return ["- Training LR: MATLAB bicubic (the paper's protocol)."]
    from leuko_keras.data.degradations import describe

    return [f"- Training LR, drawn per training crop: {describe(record)}."]


def _degraded_lines(degraded: dict[str, Any]) -> list[str]:
    if not degraded:
        return []
    lines = [
        "",
        "The same test splits with their LR made by a real-optics degradation at its default parameters "
        "(one draw per image; docs/degradations.md); gain over bicubic upscaling of that same LR:",
        "",
        "| test LR | test split | bicubic PSNR | model PSNR | gain (dB) [95% CI] | Dice cyto / nucleus |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind, entry in degraded.items():
        for name, row in entry["splits"].items():
            dice = row["dice"] or {}
            dice_text = f"{dice.get('cytoplasm', float('nan')):.3f} / {dice.get('nucleus', float('nan')):.3f}"
            lines.append(
                f"| {kind} | {name} | {row['bicubic_psnr']:.2f} | {row['psnr']:.2f} | {row['gain_db']:+.2f} "
                f"[{row['gain_ci95'][0]:+.2f}, {row['gain_ci95'][1]:+.2f}] | {dice_text if dice else '-'} |"
            )
    return [*lines, "", "Test LR: " + "; ".join(f"{k}: {e['describe']}" for k, e in degraded.items())]


def score_degraded(run: Path, folders: list[str], scale: int, kinds: list[str]) -> dict[str, Any]:
    """:func:`score` under each degradation kind (default parameters), keyed by kind."""
    from leuko_keras.data.degradations import degradation_record, describe

    out = {}
    for kind in kinds:
        record = degradation_record(kind)
        out[kind] = {"describe": describe(record), "splits": score(run, folders, scale, record)}
    return out


def _fine_tuning_lines(t: dict[str, Any]) -> list[str]:
    base = t.get("base")
    if not base:
        return []
    from leuko_keras.runs.presets import all_training

    steps, minutes = all_training(t)
    fresh = t.get("init_fresh_layers") or []
    return [
        f"- Fine-tuned (`fit --init`) from {base['from']} ({base.get('steps', '?')} steps, "
        f"{base.get('minutes', '?')} min): {steps} steps and {minutes:.1f} min of training in all."
        + (f" Layers that changed width and started untrained: {', '.join(fresh)}." if fresh else "")
    ]


DATA_CREDIT = (
    "CellaVision (70 images) and Tecom (300 images) leukocyte sets with expert parsing maps, from Zheng, Wang, "
    "Wang, Liu, 'Fast and Robust Segmentation of White Blood Cell Images by Self-supervised Learning', Micron 107 "
    "(2018); acknowledge Jiangxi Tecom Science Corporation and the CellaVision blog. The images are not shipped."
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, type=Path, help="Run folder made by leuko-keras fit")
    p.add_argument("--name", required=True, help="Pretrained name, e.g. gp-lite-x4")
    p.add_argument("--data", nargs="+", required=True, help="Folders whose test splits are scored")
    p.add_argument("--no-write", action="store_true", help="Print the card only")
    p.add_argument(
        "--degraded", nargs="*", default=[], help="Also score the test LR made by these degradations (microscope phone)"
    )
    p.add_argument(
        "--route-sharp",
        default=None,
        help="Write router.json: images as sharp as clean bicubic LR go to this shipped model (e.g. gp-lite-x4)",
    )
    args = p.parse_args(argv)

    import keras

    import leuko_keras
    from leuko_keras.core.atomic import atomic_dir
    from leuko_keras.models import model_info
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT
    from leuko_keras.runs.model_io import load_model_any

    model, config = load_model_any(args.run, compile=False)
    facts = training_facts(args.run)
    facts["base"] = base_training(facts["init"])  # read before the folder of that name is replaced
    info = model_info(config["model"])
    card = {
        "name": args.name,
        "model": config["model"],
        "scale": int(config["scale"]),
        "outputs": list(info.outputs),
        "description": info.description,
        "parameters": int(model.count_params()),
        "data": "train splits (seeded 0.8/0.1/0.1, seed 0; validation split for the best epoch) of "
        + " + ".join(Path(d).name for d in (facts["data"] if isinstance(facts["data"], list) else [facts["data"]])),
        "training": facts,
        "machine": machine(),
        "heldout": score(args.run, args.data, int(config["scale"])),
        "heldout_degraded": score_degraded(args.run, args.data, int(config["scale"]), args.degraded),
        "router": {"sharp": args.route_sharp} if args.route_sharp else None,
        "protocol": PROTOCOL_TEXT,
        "data_credit": DATA_CREDIT,
        "leuko_keras": leuko_keras.__version__,
    }
    text = card_markdown(card)
    print(text)
    if args.no_write:
        return 0
    target = HERE.parent / "leuko_keras" / "weights" / args.name
    with atomic_dir(target) as tmp:
        keras.saving.save_model(model, tmp / "best.keras")
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        (tmp / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        (tmp / "card.md").write_text(text, encoding="utf-8")
        if args.route_sharp:
            from leuko_keras.runs.runrecord import ROUTER
            from leuko_keras.runtime.blur_estimate import SHARP_LIMIT

            router = {"sharp": args.route_sharp, "limit": SHARP_LIMIT, "measure": "runtime.blur_estimate"}
            (tmp / ROUTER).write_text(json.dumps(router, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target} ({sum(f.stat().st_size for f in target.iterdir()) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
