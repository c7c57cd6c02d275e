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
    scale: int = typer.Option(4, help="Scale to build the models at (2, 3, 4 or 8)."),
    name: Annotated[
        list[str] | None, typer.Option("--name", help="Only these models (repeatable); default all.")
    ] = None,
    flops: bool = typer.Option(True, help="Count FLOPs at 224x224 HR (slower: builds each graph)."),
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
    typer.echo(f"Model cards at x{scale}; FLOPs = 2 x MACs for one {CARD_SIZE}x{CARD_SIZE} HR output; input: LR Y")
    typer.echo(header)
    typer.echo("-" * len(header))
    for each in names:
        card = model_card(each, scale=scale, flops=flops)
        works = "bicubic (in-graph from LR)" if card.works_on == "bicubic" else "LR"
        disc = f"{card.discriminator_params:,}" if card.discriminator_params else "-"
        gflops = f"{card.flops / 1e9:8.2f}" if flops else f"{'-':>8}"
        typer.echo(
            f"{card.name:<9} {card.params:>11,} {disc:>11} {gflops}  {works:<27} {'+'.join(card.outputs):<8} "
            f"{card.description}"
        )


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("models")(user_errors(models))
