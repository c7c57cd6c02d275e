"""`leuko-keras models` prints the model cards; bad names exit 2 with one line."""

from __future__ import annotations

from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.models.card import model_card


def test_models_command_prints_params_flops_and_input_kind():
    result = CliRunner().invoke(app, ["models", "--name", "srcnn", "--name", "srresnet", "--scale", "4"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.startswith(("srcnn", "srresnet"))}
    assert "57,281" in rows["srcnn"] and "bicubic (in-graph from LR)" in rows["srcnn"]
    # SRCNN: 2 FLOPs per conv weight per HR pixel at 224x224 (+ bias adds and the small bicubic conv).
    macs = (81 * 64 + 64 * 25 * 32 + 32 * 25) * 224 * 224
    gflops = float(rows["srcnn"].split()[3])
    assert 2 * macs / 1e9 <= gflops <= 1.01 * 2 * macs / 1e9
    assert "1,534,145" in rows["srresnet"] and " LR " in rows["srresnet"]


def test_model_card_counts_generator_and_discriminator_apart():
    card = model_card("srgan", scale=4, flops=False)
    assert card.params == 1_534_145 and card.discriminator_params > 1_000_000 and card.flops == 0


def test_unknown_model_is_a_one_line_user_error():
    result = CliRunner().invoke(app, ["models", "--name", "edsr"])
    assert result.exit_code == 2
    assert "edsr" in result.output and "Traceback" not in result.output
