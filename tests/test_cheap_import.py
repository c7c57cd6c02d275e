"""`import leuko_keras` and the NumPy-level modules load no TensorFlow or Keras; Keras objects still register."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

NUMPY_LEVEL = [
    "leuko_keras",
    "leuko_keras.runtime.color",
    "leuko_keras.runtime.imresize",
    "leuko_keras.protocol.degrade",
    "leuko_keras.protocol.metrics",
    "leuko_keras.runtime.imageio",
    "leuko_keras.data.masks",
    "leuko_keras.runtime.tiff",
    "leuko_keras.data.normalize",
    "leuko_keras.data.source",
    "leuko_keras.data.examples",
    "leuko_keras.data.crops",
    "leuko_keras.data.tf_transforms",
    "leuko_keras.data.pipeline",
    "leuko_keras.runs.presets",
    "leuko_keras.runtime",
    "leuko_keras.runtime.color",
    "leuko_keras.runtime.imresize",
    "leuko_keras.runtime.maps",
    "leuko_keras.runtime.tiling",
    "leuko_keras.runtime.tflite",
    "leuko_keras.runtime.run",
]


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module", NUMPY_LEVEL)
def test_numpy_level_modules_load_no_tensorflow(module: str, tmp_path: Path) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "loaded = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "sys.exit(f'loaded: {loaded}' if loaded else 0)\n"
    )
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr


def test_model_api_is_lazy_but_there(tmp_path: Path) -> None:
    code = (
        "import sys, leuko_keras\n"
        "assert 'keras' not in sys.modules\n"
        "assert callable(leuko_keras.pretrained) and callable(leuko_keras.list_pretrained)\n"
        "names = [info.name for info in leuko_keras.list_models()]\n"
        "assert 'gp' in names and 'keras' in sys.modules, names\n"
        "import keras\n"
        "assert 'leuko_keras>BicubicUpsample' in keras.saving.get_custom_objects()\n"
    )
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "imports",
    [
        "import leuko_keras; import keras",
        "import leuko_keras; import tensorflow; import keras",
        "import keras; import leuko_keras",
    ],
)
def test_load_model_needs_no_custom_objects_after_import(imports: str, tmp_path: Path) -> None:
    from leuko_keras.runs.presets import pretrained_dir

    best = pretrained_dir("gp-lite-x4") / "best.keras"
    code = (
        f"{imports}\n"
        f"model = keras.models.load_model({str(best)!r}, compile=False)\n"
        "layers = {type(layer).__name__ for layer in model.layers}\n"
        "assert 'BicubicUpsample' in layers or 'PixelShuffle' in layers, layers\n"
    )
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
