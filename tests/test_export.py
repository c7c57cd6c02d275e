"""`leuko-keras export`: artifacts, parity gate, metadata, Flex-op check, atomic failure on bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import tiny_gp

from leuko_keras.deploy import export_model
from leuko_keras.deploy import parity as parity_mod
from leuko_keras.deploy.metadata import sha256_file
from leuko_keras.deploy.tflite import check_builtin_only, embed_metadata, op_names, read_metadata
from leuko_keras.errors import LeukoInputError

SIZE = 32  # HR input size of the test artifacts: LR 8x8 at x4, one 16-multiple.
QUANTS = ["fp32", "fp16", "dynamic", "int8"]


@pytest.fixture(scope="module")
def tiny_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import numpy as np

    path = tmp_path_factory.mktemp("model") / "gp_x4.keras"
    model = tiny_gp()
    # Untrained, the zero-initialised tail makes the net exactly its bicubic skip, which int8 now keeps in float:
    # small random tail weights give it a learned residual for quantisation to act on, as a trained model has.
    rng = np.random.default_rng(0)
    for weight in model.weights:
        if not np.any(weight.numpy()):
            weight.assign(rng.normal(0.0, 0.02, weight.shape).astype("float32"))
    model.save(path)
    return path


@pytest.fixture(scope="module")
def exported(tiny_model_file: Path, synth_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("exp") / "gp_export"
    result = export_model(tiny_model_file, out, quantizations=QUANTS, input_size=SIZE, data=synth_dir, force=True)
    return result


def test_export_writes_every_artifact_with_checksums(exported) -> None:
    out = exported.out_dir
    for quant in QUANTS:
        assert (out / f"model_{quant}.tflite").is_file()
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["scale"] == 4
    assert meta["input"]["shape"] == [1, SIZE // 4, SIZE // 4, 1]
    assert meta["outputs"]["sr"]["shape"] == [1, SIZE, SIZE, 1]
    classes = meta["outputs"]["parsing_map"]["classes"]
    assert [c["name"] for c in classes] == ["background", "cytoplasm", "nucleus"]
    assert [c["colour"] for c in classes] == [[0, 0, 0], [255, 0, 0], [0, 0, 255]]
    assert "BT.601" in meta["input"]["convention"]
    assert meta["normalize"]["spec"] == "container"  # the intensity rule the model expects (issue 11)
    assert meta["versions"]["tensorflow"]
    # Every file but metadata.json itself is hashed, and the hashes are right.
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"metadata.json"}
    assert set(meta["sha256"]) == files
    for name, digest in meta["sha256"].items():
        assert sha256_file(out / name) == digest
    # No temporary folders left beside the export.
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_exported_tflite_is_named_without_keras(exported) -> None:
    # predict on a .tflite must not load Keras just to print the model's name: metadata.json carries it.
    path = exported.out_dir / "model_fp32.tflite"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from leuko_keras.predict.backends import load_backend\n"
        f"backend = load_backend({str(path)!r})\n"
        "assert 'keras' not in sys.modules, 'keras loaded'\n"
        "print(backend.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "GP (TFLite)"


def test_artifacts_are_builtin_only_and_carry_metadata(exported) -> None:
    from tensorflow.lite.python import schema_py_generated as schema

    builtin = set(vars(schema.BuiltinOperator))
    for quant in QUANTS:
        data = (exported.out_dir / f"model_{quant}.tflite").read_bytes()
        ops = op_names(data)
        assert ops and set(ops) <= builtin
        embedded = read_metadata(data)
        assert embedded["scale"] == 4 and embedded["quantization"] == quant
    int8_ops = op_names((exported.out_dir / "model_int8.tflite").read_bytes())
    assert "QUANTIZE" in int8_ops and "DEQUANTIZE" in int8_ops  # float I/O around integer internals


def test_parity_json_holds_measurements_and_fp32_gate(exported) -> None:
    report = json.loads((exported.out_dir / "parity.json").read_text())
    assert report["heldout"]["images"]
    rows = report["artifacts"]
    assert set(rows) == set(QUANTS)
    assert rows["fp32"]["psnr_to_keras_min"] >= 60 and rows["fp32"]["passed"]
    assert rows["fp16"]["psnr_to_keras_min"] >= 45
    # Quantizing weights changes the output: int8 must differ from Keras, fp32 hardly.
    assert rows["int8"]["psnr_to_keras_mean"] < rows["fp32"]["psnr_to_keras_mean"]
    for quant, row in rows.items():
        ok, _ = parity_mod.gate(quant, row)
        assert row["passed"] == ok
        assert abs(row["psnr_hr_loss"] - (row["keras_psnr_hr"] - row["psnr_hr"])) < 1e-9
        assert 0 <= row["map_agreement"] <= 1


def test_savedmodel_signature_has_named_outputs(exported, tiny_model_file: Path) -> None:
    import tensorflow as tf

    from leuko_keras.runs.model_io import load_model_any

    loaded = tf.saved_model.load(str(exported.out_dir / "saved_model"))
    serve = loaded.signatures["serving_default"]
    lr = np.random.default_rng(0).random((1, 12, 16, 1)).astype("float32")  # any size: 48x64 HR
    out = serve(lr_y=tf.constant(lr))
    assert set(out) == {"sr", "parsing_map"}
    model, _ = load_model_any(tiny_model_file, compile=False)
    reference = model.predict(lr, verbose=0)
    np.testing.assert_allclose(out["sr"].numpy(), reference["sr"], atol=1e-5)
    np.testing.assert_allclose(out["parsing_map"].numpy(), reference["mask"], atol=1e-5)


def test_tflite_fp32_matches_keras_on_new_input(exported, tiny_model_file: Path) -> None:
    from leuko_keras.runs.model_io import load_model_any

    lrs = np.random.default_rng(1).random((2, SIZE // 4, SIZE // 4)).astype("float32")
    sr, probs = parity_mod.run_tflite(exported.out_dir / "model_fp32.tflite", lrs)
    model, _ = load_model_any(tiny_model_file, compile=False)
    ref_sr, ref_probs = parity_mod.run_keras(model, lrs)
    np.testing.assert_allclose(sr, ref_sr, atol=1e-4)
    np.testing.assert_allclose(probs, ref_probs, atol=1e-4)


def test_flex_or_custom_op_fails_the_check(exported) -> None:
    from tensorflow.lite.tools import flatbuffer_utils

    data = (exported.out_dir / "model_fp32.tflite").read_bytes()
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    model.operatorCodes[0].builtinCode = 32  # CUSTOM
    model.operatorCodes[0].deprecatedBuiltinCode = 32
    model.operatorCodes[0].customCode = "FlexConv2D"
    flex = bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    assert "FlexConv2D" in op_names(flex)
    with pytest.raises(LeukoInputError, match=r"Flex \(Select TF\) ops FlexConv2D"):
        check_builtin_only(flex, "model_fp32.tflite")
    assert check_builtin_only(data, "model_fp32.tflite")  # the real one passes
    assert read_metadata(embed_metadata(data, {"k": 1}))["k"] == 1


def test_float32_model_unmixes_a_bfloat16_model() -> None:
    import keras

    from leuko_keras.deploy.savedmodel import float32_model

    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        mixed = tiny_gp()
    finally:
        keras.config.set_dtype_policy("float32")
    assert any(layer.dtype_policy.name == "mixed_bfloat16" for layer in mixed.layers)
    clean = float32_model(mixed)
    assert all(layer.dtype_policy.name == "float32" for layer in clean.layers)
    for a, b in zip(mixed.get_weights(), clean.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    lr = np.random.default_rng(2).random((1, 8, 8, 1)).astype("float32")
    out_mixed, out_clean = mixed.predict(lr, verbose=0)["sr"], clean.predict(lr, verbose=0)["sr"]
    assert np.abs(out_mixed - out_clean).max() < 0.05  # same weights, only rounding differs


# --- the command line: gate failure, bad input ---------------------------------------------------------


def _cli(args: list[str]):
    from typer.testing import CliRunner

    from leuko_keras.cli import app

    return CliRunner().invoke(app, ["export", *[str(a) for a in args]])


def test_failing_gate_drops_artifact_and_exits_nonzero(
    tiny_model_file: Path, synth_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_gate = parity_mod.gate

    def strict_fp16(quant, row):
        return (False, "forced failure for the test") if quant == "fp16" else real_gate(quant, row)

    monkeypatch.setattr(parity_mod, "gate", strict_fp16)
    out = tmp_path / "exp"
    args = [tiny_model_file, "--out", out, "--tflite", "--quantize", "fp32,fp16", "--input-size", SIZE]
    result = _cli([*args, "--data", synth_dir, "--parity-images", 2])
    assert result.exit_code == 1
    assert (out / "model_fp32.tflite").is_file() and not (out / "model_fp16.tflite").exists()
    report = json.loads((out / "parity.json").read_text())
    assert report["artifacts"]["fp16"]["passed"] is False and report["artifacts"]["fp32"]["passed"] is True
    meta = json.loads((out / "metadata.json").read_text())
    assert set(meta["artifacts"]) == {"fp32"}
    assert "fp16 failed its parity gate" in result.output


@pytest.fixture()
def existing_export(tmp_path: Path) -> Path:
    # An earlier export (its metadata lists every file): the only kind of non-empty folder export replaces.
    out = tmp_path / "exp"
    out.mkdir()
    (out / "keep.txt").write_text("old export")
    (out / "metadata.json").write_text(json.dumps({"sha256": {"keep.txt": "0"}}))
    return out


def _assert_untouched(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "metadata.json"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def _assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def test_run_folder_without_model(tmp_path: Path, existing_export: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    _assert_one_line_error(_cli([run, "--out", existing_export, "--tflite"]), str(run), "best.keras")
    _assert_untouched(existing_export)


def test_model_that_is_not_ours(tmp_path: Path, existing_export: Path) -> None:
    import keras

    inputs = keras.Input((None, None, 3))
    foreign = keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same")(inputs))
    path = tmp_path / "foreign.keras"
    foreign.save(path)
    _assert_one_line_error(_cli([path, "--out", existing_export, "--tflite"]), str(path), "leuko-keras")
    _assert_untouched(existing_export)


@pytest.mark.parametrize("size", [30, 40])
def test_bad_input_size(tiny_model_file: Path, existing_export: Path, size: int) -> None:
    # 30: not divisible by the scale 4; 40: divisible by 4 but not by the U-Net's 16.
    result = _cli([tiny_model_file, "--out", existing_export, "--tflite", "--input-size", size])
    _assert_one_line_error(result, f"--input-size {size}", "16")
    _assert_untouched(existing_export)


def test_empty_representative_folder(tiny_model_file: Path, tmp_path: Path, existing_export: Path) -> None:
    empty = tmp_path / "frames"
    empty.mkdir()
    result = _cli(
        [tiny_model_file, "--out", existing_export, "--tflite", "--quantize", "int8", "--representative", empty]
    )
    _assert_one_line_error(result, str(empty), "no images")
    _assert_untouched(existing_export)


def test_too_few_representative_crops(
    tiny_model_file: Path, tmp_path: Path, existing_export: Path, synth_dir: Path
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for source in sorted(synth_dir.glob("cell_*[0-9].png"))[:2]:
        shutil.copy(source, frames / source.name)
    args = [tiny_model_file, "--out", existing_export, "--tflite", "--quantize", "int8", "--representative", frames]
    result = _cli([*args, "--input-size", 192])  # LR crops of 48: 2 x 2 per 96x96 image -> 8 < 16
    _assert_one_line_error(result, str(frames), "only 8 distinct")
    _assert_untouched(existing_export)


def test_unknown_quantization(tiny_model_file: Path, existing_export: Path) -> None:
    result = _cli([tiny_model_file, "--out", existing_export, "--tflite", "--quantize", "fp32,int4"])
    _assert_one_line_error(result, "int4")
    _assert_untouched(existing_export)


def test_draw_crops_counts_and_refuses_too_few() -> None:
    from leuko_keras.deploy.representative import draw_crops

    rng = np.random.default_rng(0)
    images = [rng.random((40, 40)), rng.random((5, 7))]  # 4 + 1 (padded) distinct 16x16 crops
    with pytest.raises(LeukoInputError, match="only 5 distinct"):
        draw_crops(images, 16, origin="frames")
    crops = draw_crops([rng.random((64, 64))] * 2, 16, count=100)
    assert crops.shape == (100, 16, 16, 1) and crops.dtype == np.float32
    assert len({c.tobytes() for c in crops}) > 50  # random positions, not one crop repeated
