"""The TensorFlow-free runner: one runtime (nothing duplicated), run from outside the repo with TF blocked."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from leuko_keras.protocol.metrics import psnr
from leuko_keras.runtime import color, imresize
from leuko_keras.runtime.tiling import super_resolve_tiled

REPO = Path(__file__).resolve().parents[1]
TILE = 16  # LR tile of the test artifact: 64x64 HR at x4
# Installed before anything else runs (sitecustomize): importing TensorFlow or Keras fails loudly.
BLOCKER = """
import sys
class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'):
            raise ImportError(f'blocked in this test: {name}')
        return None
sys.meta_path.insert(0, _Blocked())
"""


# --- one implementation of each runtime idea ------------------------------------------------------------


def _definitions(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                found.setdefault(node.name, []).append(str(path.relative_to(REPO)))
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.isupper():
                        found.setdefault(target.id, []).append(str(path.relative_to(REPO)))
    return found


def test_nothing_of_the_runtime_is_duplicated() -> None:
    found = _definitions(REPO / "leuko_keras")
    names = {
        "merge_chroma": "leuko_keras/runtime/rgb.py",
        "round_trip": "leuko_keras/runtime/rgb.py",
        "collect_images": "leuko_keras/runtime/inputs.py",
        "output_stem": "leuko_keras/runtime/inputs.py",
        "score_image": "leuko_keras/protocol/scoring.py",
        "mean_scores": "leuko_keras/protocol/scoring.py",
        "psnr": "leuko_keras/protocol/metrics.py",
        "parse_assignments": "leuko_keras/core/assignments.py",
        "cpu_flags": "leuko_keras/core/machine.py",
        "read_tf_config": "leuko_keras/core/tfconfig.py",
        "rgb_to_ycbcr": "leuko_keras/runtime/color.py",
        "ycbcr_to_rgb": "leuko_keras/runtime/color.py",
        "contributions": "leuko_keras/runtime/imresize.py",
        "imresize": "leuko_keras/runtime/imresize.py",
        "iter_strips": "leuko_keras/runtime/tiling.py",
        "windows": "leuko_keras/runtime/tiling.py",
        "pad_symmetric": "leuko_keras/runtime/tiling.py",
        "lr_multiple": "leuko_keras/runtime/tiling.py",
        "HR_MULTIPLE": "leuko_keras/runtime/tiling.py",
        "PAPER_COLOURS": "leuko_keras/runtime/maps.py",
        "OVERLAY_ALPHA": "leuko_keras/runtime/maps.py",
        "colorize": "leuko_keras/runtime/maps.py",
        "embedded_metadata": "leuko_keras/runtime/tflite.py",
    }
    for name, home in names.items():
        assert found.get(name) == [home], (name, found.get(name))
    # The one TFLite reader: nothing else in the package or the runner opens an interpreter.
    openers = [
        str(p.relative_to(REPO))
        for p in (REPO / "leuko_keras").rglob("*.py")
        if "Interpreter(" in p.read_text(encoding="utf-8")
    ]
    assert openers == ["leuko_keras/runtime/tflite.py"]


def test_tiling_is_exact_for_a_local_model_on_a_fixed_shape() -> None:
    # A model that only looks at each pixel must give the same result tiled or whole, tiles padded at the edges.
    class Pointwise:
        scale, fixed_lr_shape = 3, (16, 16)

        def run(self, lr):
            assert lr.shape == (16, 16) or max(lr.shape) <= 16
            up = np.kron(lr, np.ones((3, 3)))
            return up * 2.0, np.stack([up, 1 - up, up * up], axis=-1).astype(np.float32)

    lr = np.random.default_rng(1).random((37, 50)).astype(np.float32)
    sr, probs = super_resolve_tiled(Pointwise(), lr, tile=16)
    up = np.kron(lr.astype(np.float64), np.ones((3, 3)))
    np.testing.assert_allclose(sr, up * 2.0, atol=1e-6)
    np.testing.assert_allclose(probs[..., 2], up * up, atol=1e-5)


# --- the runner, installed, run from a folder outside the repository with TensorFlow blocked -----------


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


def blocked_run(command: list, cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``command`` in ``cwd`` with a sitecustomize that makes TensorFlow and Keras unimportable."""
    site = tmp_path / "blocker"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def run_command() -> list[str]:
    """The installed console script, else the module (a checkout whose install predates the entry point)."""
    from importlib.metadata import entry_points

    script = Path(sys.executable).with_name("leuko-keras-run")
    if script.is_file() and entry_points(group="console_scripts", name="leuko-keras-run"):
        return [str(script)]
    return [sys.executable, "-m", "leuko_keras.runtime.run"]


def _keras_pipeline(model, rgb: np.ndarray, scale: int = 4) -> np.ndarray:
    from leuko_keras.models.inference import super_resolve

    ycbcr = color.rgb_to_ycbcr(rgb)
    sr_y, _ = super_resolve(model, ycbcr[..., 0].astype(np.float32), scale=scale)
    chroma = imresize.imresize(ycbcr[..., 1:], float(scale))
    return np.clip(color.ycbcr_to_rgb(np.concatenate([sr_y[..., None], chroma], axis=-1)), 0, 1)


def test_runner_outside_the_repo_without_tensorflow_matches_keras(
    fp32_artifact, synth_dir: Path, tmp_path: Path
) -> None:
    from PIL import Image

    from leuko_keras.runtime.imageio import read_image, write_image

    model, artifact = fp32_artifact
    source = np.asarray(Image.open(sorted(synth_dir.glob("cell_*[0-9].png"))[0]).convert("RGB"))
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(source[:37, :45]).save(folder / "cell.png")  # sizes not multiples of the tile or the scale
    Image.fromarray(source[:20, :30, 1]).save(folder / "grey.png")
    # 16-bit colour, as PNG and as TIFF: read at 16 bits, as the library reads them, with no TensorFlow.
    write_image(folder / "deep.png", source[:21, :19] / 255.0, bit_depth=16)
    write_image(folder / "deep16.tif", source[:21, :19] / 255.0, bit_depth=16)
    away = tmp_path / "elsewhere"
    away.mkdir()
    probe = blocked_run([sys.executable, "-c", "import tensorflow"], away, tmp_path)
    assert probe.returncode != 0 and "blocked in this test" in probe.stderr  # the blocker works
    done = blocked_run([*run_command(), artifact, folder, "--out", "out"], away, tmp_path)
    assert done.returncode == 0, done.stderr
    out = away / "out"
    sr = np.asarray(Image.open(out / "cell_sr.png"), dtype=np.float64) / 255
    assert sr.shape == (37 * 4, 45 * 4, 3)
    expected = np.floor(_keras_pipeline(model, source[:37, :45] / 255.0) * 255 + 0.5) / 255
    assert psnr(sr, expected) >= 50
    colours = np.asarray(Image.open(out / "cell_map.png")).reshape(-1, 3)
    assert {tuple(c) for c in np.unique(colours, axis=0)} <= {(0, 0, 0), (255, 0, 0), (0, 0, 255)}
    assert np.asarray(Image.open(out / "cell_overlay.png")).shape == sr.shape
    assert np.asarray(Image.open(out / "grey_sr.png")).shape == (80, 120)  # grey in, grey out
    for name in ("deep_sr.png", "deep16_sr.png"):
        deep = read_image(out / name)
        assert deep.bit_depth == 16 and deep.pixels.shape == (84, 76, 3)
    # `python -m leuko_keras.runtime.run` is the same runner as the console command.
    shim = blocked_run(
        [sys.executable, "-m", "leuko_keras.runtime.run", artifact, folder / "grey.png", "--out", tmp_path / "o2"],
        REPO,
        tmp_path,
    )
    assert shim.returncode == 0, shim.stderr
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "o2" / "grey_sr.png")), np.asarray(Image.open(out / "grey_sr.png"))
    )


def test_runner_bad_inputs_exit_2(fp32_artifact, tmp_path: Path) -> None:
    import keras
    import tensorflow as tf
    from PIL import Image

    _, artifact = fp32_artifact
    image = tmp_path / "cell.png"
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(image)
    not_model = tmp_path / "notes.tflite"
    not_model.write_text("not a model")
    inputs = keras.Input((8, 8, 3), batch_size=1)
    foreign = keras.Model(inputs, keras.layers.Conv2D(2, 3, padding="same")(inputs))
    foreign_path = tmp_path / "foreign.tflite"
    foreign_path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(foreign).convert())
    float_tif = tmp_path / "float.tif"
    Image.fromarray(np.zeros((9, 7), np.float32)).save(float_tif)
    cases = [
        ([tmp_path / "missing.tflite", image], "no such model"),
        ([not_model, image], "not a TFLite model"),
        ([foreign_path, image], "not a leuko-keras model"),
        ([artifact, tmp_path / "missing.png"], "no such image"),
        ([artifact, float_tif], "floating-point"),
    ]
    for args, fragment in cases:
        done = blocked_run([*run_command(), *args, "--out", tmp_path / "out"], tmp_path, tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and fragment in errors[0] and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_parity_gate_and_predict_run_the_same_reader(fp32_artifact) -> None:
    from leuko_keras.deploy import parity
    from leuko_keras.predict.backends import load_backend
    from leuko_keras.runtime.tflite import TFLiteModel

    _, artifact = fp32_artifact
    backend = load_backend(str(artifact))
    assert isinstance(backend, TFLiteModel) and backend.scale == 4 and backend.has_map
    assert backend.fixed_lr_shape == (TILE, TILE) and backend.tile_alignment == 4
    lrs = np.random.default_rng(3).random((2, TILE, TILE)).astype(np.float32)
    sr, maps = parity.run_tflite(artifact, lrs)
    for index, lr in enumerate(lrs):
        mine, probs = backend.run(lr)
        np.testing.assert_array_equal(sr[index], mine.astype(np.float32))
        np.testing.assert_array_equal(maps[index], probs)
