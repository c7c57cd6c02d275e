"""`leuko-keras models`: the model cards table (thin wrapper over :mod:`leuko_keras.models.card`).

>>> from typer.testing import CliRunner
>>> from leuko_keras.cli import app
>>> CliRunner().invoke(app, ["models", "--help"]).exit_code
0
"""

from __future__ import annotations

from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors


def models(
    scale: Annotated[int, typer.Option(help="Scale to build the models at (2, 3, 4 or 8).")] = 4,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="Only these models (repeatable); default all.")
    ] = None,
    flops: Annotated[bool, typer.Option(help="Count FLOPs at 224x224 HR (slower: builds each graph).")] = True,
) -> None:
    """List every registered model: parameters, FLOPs at 224x224 (HR), input kind, outputs."""
    from leuko_keras.models import list_models
    from leuko_keras.models.card import CARD_SIZE, model_card
    from leuko_keras.models.registry import model_info

    names = list(name) if name else [info.name for info in list_models()]
    for each in names:
        model_info(each)  # unknown names fail before any slow build
    header = (
        f"{'model':<9} {'params':>11} {'discrim.':>11} {'GFLOPs':>8}  {'network works on':<27} {'outputs':<8} about"
    )
    width = max(len(each) for each in names)
    header = header.replace(f"{'model':<9}", f"{'model':<{max(width, 9)}}", 1)
    typer.echo(f"Model cards at x{scale}; FLOPs = 2 x MACs for one {CARD_SIZE}x{CARD_SIZE} HR output; input: LR Y")
    typer.echo(header)
    typer.echo("-" * len(header))
    for each in names:
        card = model_card(each, scale=scale, flops=flops)
        works = "bicubic (in-graph from LR)" if card.works_on == "bicubic" else "LR"
        disc = f"{card.discriminator_params:,}" if card.discriminator_params else "-"
        gflops = f"{card.flops / 1e9:8.2f}" if flops else f"{'-':>8}"
        typer.echo(
            f"{card.name:<{max(width, 9)}} {card.params:>11,} {disc:>11} {gflops}  {works:<27} "
            f"{'+'.join(card.outputs):<8} {card.description}"
        )
    if not name:
        _pretrained_table()


def _pretrained_table() -> None:
    from leuko_keras.runs.presets import DEFAULT_MODEL, list_pretrained, model_card, purpose

    shipped = list_pretrained()
    if not shipped:
        return
    typer.echo("")
    typer.echo(
        "Pretrained (shipped; use the name wherever a model is asked for, e.g. predict --model gp-lite-x8; "
        f"default {DEFAULT_MODEL}). Gain over bicubic on held-out test splits, dB [95% paired-bootstrap CI]:"
    )
    for each in shipped:
        card = model_card(each)
        scores = "   ".join(
            f"{split} ({row['images']}) {row['psnr']:.2f} dB {row['gain_db']:+.2f} "
            f"[{row['gain_ci95'][0]:+.2f}, {row['gain_ci95'][1]:+.2f}]"
            for split, row in card["heldout"].items()
        )
        typer.echo(f"  {each:<15} {card['parameters']:>10,} params  {scores}")
        typer.echo(f"  {'':<15} for {purpose(each)}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("models")(user_errors(models))
