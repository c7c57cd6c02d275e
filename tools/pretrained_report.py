"""The README's results table: every shipped pretrained model against bicubic on held-out test splits.

For each data folder and scale: bicubic and the shipped models of that scale
are scored on the folder's seeded test split (the split the models never saw:
``fit`` held it out when it trained on that folder) by the package's protocol,
with paired-bootstrap 95% CIs of the gain over bicubic and of GP-lite over
NP-lite (trained for the same minutes, side by side). Prints Markdown.

    python tools/pretrained_report.py --data ../shared/data/wbc/cellavision ../shared/data/wbc/tecom
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _ci(comparison) -> str:
    return f"{comparison.ci.mean:+.2f} [{comparison.ci.low:+.2f}, {comparison.ci.high:+.2f}]"


def trained_text(card: dict | None) -> str:
    """Steps and minutes of a card's training, each run it was fine-tuned from first (fit --init)."""
    if not card:
        return "-"
    from leuko_keras.runs.presets import training_chain

    chain = training_chain(card["training"])
    steps = "+".join(str(s) for s, _ in chain)
    minutes = "+".join(f"{m:g}" for _, m in chain)
    return f"{steps} steps, {minutes} min" + (" (fine-tuned)" if len(chain) > 1 else "")


def minutes(card: dict | None) -> float:
    """All training minutes behind a card (a fine-tuned model counts its base run too)."""
    from leuko_keras.runs.presets import all_training

    return all_training(card["training"])[1] if card else 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", required=True, help="Folders whose test splits are scored")
    p.add_argument("--scales", type=int, nargs="+", default=[4, 8])
    args = p.parse_args(argv)

    from leuko_keras.evaluation import evaluate
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT
    from leuko_keras.runs.presets import list_pretrained, model_card

    lines = [
        "| test split | scale | model | trained | PSNR / SSIM | gain over bicubic [95% CI] | Dice cyto / nucleus |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    pairs = []
    for folder in args.data:
        for scale in args.scales:
            names = [n for n in list_pretrained() if model_card(n)["scale"] == scale]
            if not names:
                continue
            ev = evaluate(["bicubic", *names], [scale], data=folder, split="test")
            label = f"{Path(folder).name} ({ev.results[0].n_images})"
            for result in ev.results:
                card = next((model_card(n) for n in names if result.source.rstrip("/").endswith(n)), None)
                trained = trained_text(card)
                gain = next(
                    (_ci(c) for c in ev.comparisons if c.model == result.model and c.kind == "over_bicubic"), "-"
                )
                dice = result.dice or {}
                dice_text = f"{dice['cytoplasm']:.3f} / {dice['nucleus']:.3f}" if "nucleus" in dice else "-"
                lines.append(
                    f"| {label} | x{scale} | {result.model} | {trained} | {result.psnr:.2f} / {result.ssim:.4f} | "
                    f"{gain} | {dice_text} |"
                )
            budgets = {model_card(n)["model"]: minutes(model_card(n)) for n in names}
            gp, np_ = budgets.get("gp-lite", 0.0), budgets.get("np-lite", 0.0)
            equal = "" if abs(gp - np_) <= 0.1 * max(gp, np_, 1.0) else f" (not equal time: {gp:.0f} vs {np_:.0f} min)"
            for c in ev.comparisons:
                if c.model.startswith("GP-lite") and c.reference.startswith("NP-lite"):
                    pairs.append(f"- {label} x{scale}: GP-lite minus NP-lite {_ci(c)} dB{equal}")
                elif c.model.startswith("NP-lite") and c.reference.startswith("GP-lite"):
                    pairs.append(f"- {label} x{scale}: GP-lite minus NP-lite {-c.ci.mean:+.2f} [{-c.ci.high:+.2f}, "
                                 f"{-c.ci.low:+.2f}] dB{equal}")  # fmt: skip
    print("\n".join(lines))
    print("")
    print("\n".join(dict.fromkeys(pairs)))  # a pair can be listed twice (over-next and Table 1 pair)
    print("")
    print(PROTOCOL_TEXT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
