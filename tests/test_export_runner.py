"""export/: the TensorFlow-free runner (copies in sync, tiling exact, output equals the Keras pipeline)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
# export/ is a top-level folder run as `python -m export.run` from the repo, not an installed package.
sys.path.insert(0, str(REPO))

from export import _imresize, _io, _tiles, _ycbcr  # noqa: E402
from leuko_keras import color, imresize, masks  # noqa: E402
from leuko_keras.metrics import psnr  # noqa: E402

TILE = 16  # LR tile of the test artifact: 64x64 HR at x4


# --- the numpy copies cannot drift ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rgb_to_ycbcr", "rgb_to_y", "ycbcr_to_rgb", "_check_channels"])
def test_ycbcr_copy_is_verbatim(name: str) -> None:
    assert inspect.getsource(getattr(_ycbcr, name)) == inspect.getsource(getattr(color, name))
    for constant in ("_M", "_OFFSET", "_M_INV"):
        np.testing.assert_array_equal(getattr(_ycbcr, constant), getattr(color, constant))


@pytest.mark.parametrize("name", ["cubic", "contributions", "output_size", "imresize", "_resize_axis", "quantize"])
def test_imresize_copy_is_verbatim(name: str) -> None:
    assert inspect.getsource(getattr(_imresize, name)) == inspect.getsource(getattr(imresize, name))


def test_copies_give_identical_results() -> None:
    rng = np.random.default_rng(0)
    rgb = rng.random((13, 17, 3))
    np.testing.assert_array_equal(_ycbcr.rgb_to_ycbcr(rgb), color.rgb_to_ycbcr(rgb))
    np.testing.assert_array_equal(_ycbcr.ycbcr_to_rgb(rgb), color.ycbcr_to_rgb(rgb))
    np.testing.assert_array_equal(_ycbcr.rgb_to_y(rgb), color.rgb_to_y(rgb))
    for scale in (4.0, 3.0, 0.25):
        np.testing.assert_array_equal(_imresize.imresize(rgb, scale), imresize.imresize(rgb, scale))
    labels = rng.integers(0, 3, (5, 6)).astype(np.uint8)
    np.testing.assert_array_equal(_io.colorize(labels), masks.colorize(labels))


# --- tiling ----------------------------------------------------------------------------------------------


def test_ramp_weights_are_complementary() -> None:
    size, overlap = 64, 16
    left = _tiles.ramp_weights(size, overlap, first=True, last=False)
    right = _tiles.ramp_weights(size, overlap, first=False, last=True)
    np.testing.assert_allclose(left[size - overlap :] + right[:overlap], 1.0)
    assert left[-1] == 0 and right[0] == 0  # the pixel at a tile edge (it saw padding) is not used


def test_tiling_is_exact_for_a_local_model() -> None:
    # A model that only looks at each pixel must give the same result tiled or whole.
    def pointwise(lr):
        up = np.kron(lr, np.ones((3, 3)))
        return up * 2.0, np.stack([up, 1 - up, up * up], axis=-1)

    lr = np.random.default_rng(1).random((37, 50)).astype(np.float32)
    sr, probs = _tiles.run_tiled(pointwise, lr, tile=16, scale=3, overlap=4, align=2)
    whole_sr, whole_probs = pointwise(lr)
    np.testing.assert_allclose(sr, whole_sr, atol=1e-12)
    np.testing.assert_allclose(probs, whole_probs, atol=1e-12)
    with pytest.raises(ValueError, match="multiple of 4"):
        _tiles.run_tiled(pointwise, lr, tile=16, scale=3, overlap=2, align=4)


# --- the runner against the Keras pipeline, with TensorFlow unavailable ---------------------------------


@pytest.fixture(scope="module")
def fp32_artifact(tmp_path_factory: pytest.TempPathFactory):
    """A small GP (random weights) and its fp32 TFLite file at a 64x64 HR input."""
    import keras

    from leuko_keras.deploy.savedmodel import write_savedmodel
    from leuko_keras.deploy.tflite import convert_savedmodel, embed_metadata
    from leuko_keras.models.registry import build_model

    keras.utils.set_random_seed(0)
    model = build_model("gp", scale=4, filters=8, lr_blocks=1, mask_blocks=1, decoder_blocks=1, unet_base=4)
    folder = tmp_path_factory.mktemp("artifact")
    write_savedmodel(model, folder / "sm", (1, TILE, TILE, 1))
    data = convert_savedmodel(folder / "sm", "fp32")
    path = folder / "model_fp32.tflite"
    path.write_bytes(embed_metadata(data, {"scale": 4, "hr_multiple": 16, "tile_alignment_lr": 4}))
    return model, path


def _blocked_run(args: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess:
    # TensorFlow, Keras and leuko_keras are made unimportable before the runner starts.
    code = (
        "import sys, runpy\n"
        "for name in ('tensorflow', 'keras', 'leuko_keras'): sys.modules[name] = None\n"
        "try:\n    import tensorflow\nexcept ImportError:\n    pass\nelse:\n    sys.exit('tensorflow importable')\n"
        f"sys.argv = ['export.run', *{[str(a) for a in args]!r}]\n"
        "runpy.run_module('export.run', run_name='__main__')\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300)


def _keras_pipeline(model, rgb: np.ndarray, scale: int = 4) -> np.ndarray:
    from leuko_keras.inference import super_resolve

    ycbcr = color.rgb_to_ycbcr(rgb)
    sr_y, _ = super_resolve(model, ycbcr[..., 0].astype(np.float32), scale=scale)
    chroma = imresize.imresize(ycbcr[..., 1:], float(scale))
    return np.clip(color.ycbcr_to_rgb(np.concatenate([sr_y[..., None], chroma], axis=-1)), 0, 1)


def test_runner_without_tensorflow_matches_keras(fp32_artifact, synth_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    model, artifact = fp32_artifact
    source = np.asarray(Image.open(sorted(synth_dir.glob("cell_*[0-9].png"))[0]).convert("RGB"))
    rgb_path = tmp_path / "in" / "cell.png"
    rgb_path.parent.mkdir()
    Image.fromarray(source[:37, :45]).save(rgb_path)  # sizes not multiples of the tile or the scale
    grey_path = tmp_path / "in" / "grey.png"
    Image.fromarray(source[:20, :30, 1]).save(grey_path)
    out = tmp_path / "out"
    done = _blocked_run([artifact, rgb_path.parent, "--out", out])
    assert done.returncode == 0, done.stderr
    sr = np.asarray(Image.open(out / "cell_sr.png"), dtype=np.float64) / 255
    assert sr.shape == (37 * 4, 45 * 4, 3)
    expected = np.floor(_keras_pipeline(model, source[:37, :45] / 255.0) * 255 + 0.5) / 255
    assert psnr(sr, expected) >= 50
    colours = np.asarray(Image.open(out / "cell_map.png")).reshape(-1, 3)
    assert {tuple(c) for c in np.unique(colours, axis=0)} <= {(0, 0, 0), (255, 0, 0), (0, 0, 255)}
    assert np.asarray(Image.open(out / "cell_overlay.png")).shape == sr.shape
    grey = np.asarray(Image.open(out / "grey_sr.png"))
    assert grey.shape == (80, 120)  # grey in, grey out


def test_runner_bad_inputs_exit_2(fp32_artifact, tmp_path: Path) -> None:
    import keras
    import tensorflow as tf

    _, artifact = fp32_artifact
    image = tmp_path / "cell.png"
    from PIL import Image

    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(image)
    not_model = tmp_path / "notes.tflite"
    not_model.write_text("not a model")
    inputs = keras.Input((8, 8, 3), batch_size=1)
    foreign = keras.Model(inputs, keras.layers.Conv2D(2, 3, padding="same")(inputs))
    foreign_path = tmp_path / "foreign.tflite"
    foreign_path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(foreign).convert())
    cases = [
        ([tmp_path / "missing.tflite", image], "no such model"),
        ([not_model, image], "not a TFLite model"),
        ([foreign_path, image], "not a leuko-keras model"),
        ([artifact, tmp_path / "missing.png"], "no such image"),
    ]
    for args, fragment in cases:
        done = _blocked_run([*args, "--out", tmp_path / "out"])
        assert done.returncode == 2, (args, done.stderr)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and fragment in errors[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
