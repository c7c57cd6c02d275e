"""benchmarks/reproduce_paper.py at a tiny size: trains on two folders together, scores each test split alone."""

from __future__ import annotations

import json

from benchmarks import reproduce_paper


def test_two_data_folders_train_one_model_and_give_a_table_per_test_split(tmp_path, capsys):
    from leuko_keras.synth import write_dataset

    first = write_dataset(tmp_path / "first", count=10, size=48, seed=1)
    second = write_dataset(tmp_path / "second", count=10, size=48, seed=2)
    out = tmp_path / "table2"
    args = ["--data", str(first), str(second), "--scales", "2", "--models", "srcnn", "--budgets", "epochs"]
    args += ["--epochs", "1", "--size", "32", "--batch-size", "2", "--precision", "fp32"]  # an epoch: one pass
    assert reproduce_paper.main([*args, "--out", str(out)]) == 0
    config = json.loads((out / "epochs" / "srcnn_x2" / "config.json").read_text())
    assert config["data"]["source"] == [str(first), str(second)]
    # One pass over both train splits, recorded as trained, so the table can say how many steps a run got.
    one_pass = config["train_steps_per_epoch"]
    assert one_pass >= 2 and config["settings"]["steps_per_epoch"] is None
    tables = {name: json.loads((out / f"table_epochs_{name}.json").read_text()) for name in ("first", "second")}
    for name, table in tables.items():
        assert table["protocol"]["data"] == str(tmp_path / name)
    # Each split is scored on its own images, so bicubic differs between them.
    psnr = {
        name: next(r["psnr"] for r in table["results"] if r["model"] == "Bicubic") for name, table in tables.items()
    }
    assert psnr["first"] != psnr["second"]
    report = (out / "report.md").read_text()
    assert "first test split" in report and "second test split" in report
    assert f"| SRCNN | x2 | {one_pass} | 2 x 32 px | 1 |" in report
    capsys.readouterr()
    assert reproduce_paper.main([*args, "--out", str(out)]) == 0
    assert "reusing" in capsys.readouterr().out
