"""Helpers shared by several test modules (so no test module imports another).

``hooks()`` and ``tiny_config()`` stand in for the registry model and the data pipeline, so ``fit``'s machinery
(run folder, resume, NaN, seeds, budget) runs in seconds; the subprocess drivers of test_fit_kill.py and
test_distributed.py import them too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from leuko_keras.training import FitConfig, FitHooks

SCALE = 2
SIZE = 16


def tiny_model(config):
    import keras

    lr = keras.Input((None, None, 1), name="lr")
    up = keras.layers.UpSampling2D(config.scale, interpolation="bilinear", name="up")(lr)
    h = keras.layers.Conv2D(4, 3, padding="same", activation="tanh", name="body")(up)
    sr = keras.layers.Add(name="sr", dtype="float32")([up, keras.layers.Conv2D(1, 3, padding="same", name="res")(h)])
    mask = keras.layers.Conv2D(3, 1, activation="softmax", name="mask", dtype="float32")(h)
    return keras.Model(lr, {"sr": sr, "mask": mask}, name=f"tiny_x{config.scale}")


def tiny_compile(model, config, eager=True):
    import keras

    from leuko_keras.models.keras_metrics import PSNRY

    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1),
        loss={"sr": "mae", "mask": "categorical_crossentropy"},
        loss_weights={"sr": 1.0, "mask": config.lambda_map},
        metrics={"sr": [PSNRY(crop=config.scale)]},
        run_eagerly=eager,  # tracing, not arithmetic, would dominate these tiny runs
    )
    return model


def _pairs(count: int, size: int, scale: int, seed: int, nan_from: int | None = None):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    hr = np.stack(
        [0.5 + 0.3 * np.sin(6 * xx * rng.uniform(0.5, 2) + rng.uniform(0, 6)) * np.cos(5 * yy) for _ in range(count)]
    ).astype("float32")[..., None]
    lr = hr.reshape(count, size // scale, scale, size // scale, scale, 1).mean(axis=(2, 4))
    labels = (hr[..., 0] > 0.5).astype("int64") + (hr[..., 0] > 0.7)
    if nan_from is not None:
        lr[nan_from:] = np.nan
    return lr, hr, np.eye(3, dtype="float32")[labels]


def tiny_dataset(config, split, need_mask, nan_from=None, count=None):
    import tensorflow as tf

    count = count or (8 if split == "train" else 4)
    lr, hr, onehot = _pairs(count, config.size, config.scale, seed=0 if split == "train" else 1, nan_from=nan_from)
    ds = tf.data.Dataset.from_tensor_slices((lr, {"sr": hr, "mask": onehot})).batch(config.batch_size)
    return ds.repeat() if split == "train" and config.steps_per_epoch else ds


def tiny_examples(config, split):
    lr, hr, onehot = _pairs(2, 32, config.scale, seed=5)
    return [
        SimpleNamespace(hr_y=h[..., 0], lr_y=x[..., 0], labels=o.argmax(-1))
        for x, h, o in zip(lr, hr, onehot, strict=True)
    ]


def graph_compile(model, config):
    return tiny_compile(model, config, eager=False)


def hooks(**changes) -> FitHooks:
    import keras

    base = {
        "build_model": tiny_model,
        "compile_model": tiny_compile,
        "make_dataset": tiny_dataset,
        "load_examples": tiny_examples,
        "load_model": lambda path: keras.models.load_model(path),
    }
    base.update(changes)
    return FitHooks(**base)


def tiny_config(out, **changes) -> FitConfig:
    settings = {
        "out": str(out),
        "model": "tiny",
        "scale": SCALE,
        "size": SIZE,
        "batch_size": 4,
        "epochs": 2,
        "steps_per_epoch": 2,
        "learning_rate": 1e-3,
        "verbose": 0,
        "tensorboard": False,
    }
    settings.update(changes)
    return FitConfig(**settings)


def weights_of(path):
    import keras

    return [np.asarray(w) for w in keras.models.load_model(path, compile=False).get_weights()]


def md5_tree(folder: Path) -> dict[str, str]:
    """md5 of every file under ``folder`` (and the file itself when it is one)."""
    if folder.is_file():
        return {folder.name: hashlib.md5(folder.read_bytes()).hexdigest()}
    return {
        p.relative_to(folder).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def tiny_gp(scale: int = 4):
    """The real GP graph, shrunk so an export takes seconds."""
    import keras

    from leuko_keras.models.registry import build_model

    keras.utils.set_random_seed(0)
    small = dict(filters=8, lr_blocks=1, mask_blocks=1, decoder_blocks=1, unet_base=4)
    return build_model("gp", scale=scale, **small)


def make_run_dir(root: Path) -> Path:
    """A run folder as fit leaves it (a tiny GP as best.keras and last.keras, history, backup)."""
    run = root / "gp_x4"
    run.mkdir()
    tiny_gp().save(run / "best.keras")
    shutil.copy(run / "best.keras", run / "last.keras")
    (run / "config.json").write_text(json.dumps({"model": "gp", "scale": 4, "settings": {"scale": 4}}))
    (run / "history.csv").write_text("epoch,loss\n1,0.5\n")
    (run / "backup").mkdir()
    (run / "backup" / "training_metadata.json").write_text('{"epoch": 1}')
    return run


def parse_command(args: list[str]) -> str | None:
    """Parse ``args`` as the CLI would (group, then command) without running anything; the error or None."""
    from typer.main import get_command

    from leuko_keras.cli import app

    group = get_command(app)
    try:
        with group.make_context("leuko-keras", list(args)) as ctx:
            name, command, rest = group.resolve_command(ctx, ctx._protected_args + ctx.args)
            if command is None:
                return f"no command {name!r}"
            with command.make_context(name, rest, parent=ctx):
                return None
    except Exception as error:  # typer's UsageError and friends: the message is the point
        if type(error).__name__ == "Exit" and getattr(error, "exit_code", 1) == 0:
            return None  # --help
        return f"{type(error).__name__}: {getattr(error, 'message', None) or error}"


# --- screen: synthetic low-power fields ------------------------------------------------------------------
SCREEN_SCALE = 4
CELL = 320  # HR side of a synthetic crop: a leukocyte of ~130 HR px, the size of one in a BCCD field
PLASMA = (0.93, 0.9, 0.86)


def synthetic_field(places: list[tuple[int, int]], shape=(640, 960), seed: int = 1) -> tuple[np.ndarray, list]:
    """An LR field (HR shrunk x4 by MATLAB bicubic) with one synthetic crop per HR (top, left) place; returns
    the field and each cell's nucleus centre in LR pixels. A place may run off the field (a cut cell)."""
    from leuko_keras.protocol.degrade import make_lr
    from leuko_keras.synth import generate

    field = np.empty((*shape, 3))
    field[:] = PLASMA
    centres = []
    for cell, (top, left) in zip(generate(len(places), size=CELL, seed=seed), places, strict=True):
        ys, xs = slice(max(0, top), min(shape[0], top + CELL)), slice(max(0, left), min(shape[1], left + CELL))
        field[ys, xs] = cell.rgb[ys.start - top : ys.stop - top, xs.start - left : xs.stop - left] / 255.0
        ny, nx = np.nonzero(cell.labels == 2)
        centres.append(((left + nx.mean()) / SCREEN_SCALE, (top + ny.mean()) / SCREEN_SCALE))
    return make_lr(field, SCREEN_SCALE), centres
