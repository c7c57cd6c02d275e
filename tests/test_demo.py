"""`leuko-keras demo --quick`: the README's first command, end to end on tiny sizes."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from leuko_keras.cli import app


def test_quick_demo_runs_every_step_and_reports_where_things_are(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--quick"])
    assert result.exit_code == 0, result.output + str(result.exception)

    # The table printed at the end is the one written to results.md, bicubic first.
    table = (out / "results.md").read_text()
    assert table.splitlines()[0] in result.stdout
    rows = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")][1:5]
    assert rows[0] == "Bicubic" and set(rows[1:]) == {"NP-lite", "GP-lite", "GP-lite (pretrained)"}
    # The shipped model is labelled with what it was trained on and scored on.
    assert "trained on real cells" in table and "never on these synthetic ones" in table
    # All its training minutes, a fine-tuned model's base run included.
    from leuko_keras.runs.presets import all_training, model_card
    from leuko_keras.workflows.demo import PRETRAINED_MODEL

    minutes = all_training(model_card(PRETRAINED_MODEL)["training"])[1]
    assert f"; {minutes:g} min), never on these synthetic ones" in table

    payload = json.loads((out / "results.json").read_text())
    models = {"Bicubic", "NP-lite", "GP-lite", "GP-lite (pretrained)"}
    assert {(r["model"], r["scale"]) for r in payload["results"]} == {(m, 4) for m in models}
    assert all(r["n_images"] >= 1 and len(r["per_image"]) == r["n_images"] for r in payload["results"])
    assert "dice" in next(r for r in payload["results"] if r["model"] == "GP-lite")
    kinds = {(c["model"], c["reference"]) for c in payload["comparisons"]}
    assert {("GP-lite", "Bicubic"), ("NP-lite", "Bicubic"), ("GP-lite (pretrained)", "Bicubic")} <= kinds
    assert {("GP-lite", "NP-lite"), ("NP-lite", "GP-lite")} & kinds

    for name in ("np-lite_x4", "gp-lite_x4"):
        assert (out / "runs" / name / "best.keras").is_file()
    tflite = next((out / "export" / "gp-lite_x4").glob("*.tflite"))
    assert str(tflite) in result.stdout

    # Predictions came from the TFLite file: SR image 4x larger, plus map and overlay.
    srs = sorted((out / "predictions").glob("*_sr.png"))
    assert srs
    stem = srs[0].name[: -len("_sr.png")]
    source = Image.open(out / "lr_inputs" / f"{stem}.png")
    assert Image.open(srs[0]).size == (source.width * 4, source.height * 4)
    assert (out / "predictions" / f"{stem}_map.png").is_file()
    assert (out / "predictions" / f"{stem}_overlay.png").is_file()

    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {"fig3_maps.png", "fig4_x4.png", "fig6_x4.png"} <= figures


def test_demo_refuses_to_overwrite_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--quick"])
    assert result.exit_code == 2
    assert "--out" in result.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"
