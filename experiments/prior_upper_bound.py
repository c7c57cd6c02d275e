"""Upper bound of the geometry prior: the lite trunk modulated by the expert parsing map (benchmark only).

How much could a *perfect* map give? ``oracle-lite`` is np-lite's trunk with SFT in every block, its
gamma/beta computed from the ground-truth map (HR one-hot -> stride-s conv to LR -> two 3x3 convs), exactly
where gp-lite puts its own prior's features. It is trained by ``fit``'s own loop and the lite recipe (same
crops, batch, cosine schedule, best epoch on validation) for ``--minutes``, then scored on the test split of
each ``--data`` folder *given each test image's expert map*, beside bicubic and the runs named with
``--compare`` (e.g. np-lite and gp-lite trained for the same minutes): PSNR on Y under the package protocol and
paired-bootstrap 95% CIs. If the oracle's lead over np-lite is small, no predicted map can make the prior pay
more than that in this design.

``--map-at lr`` gives the oracle the expert map with its sub-pixel detail removed: one label per LR pixel (the
majority of its s x s block), repeated. The gap between the two oracles is what the map's detail *finer than an
LR pixel* is worth, which is exactly what a map predicted from the LR image has to invent.

    python experiments/prior_upper_bound.py --data ../shared/data/wbc/cellavision --data ../shared/data/wbc/tecom \\
        --scale 4 --minutes 12 --out runs/abl/oracle_x4 --compare NP-lite=runs/abl/np_x4 \\
        --compare GP-lite=runs/abl/gp_x4
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", action="append", required=True, help="Data folder with expert maps (repeatable)")
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--minutes", type=float, default=12.0, help="Training minutes (fit --time-budget)")
    p.add_argument("--steps-per-epoch", type=int, default=50)
    p.add_argument("--epochs", type=int, default=100000, help="Epoch cap: with a small cap, equal steps not minutes")
    p.add_argument("--compare", action="append", default=[], help="LABEL=RUN_DIR scored beside the oracle")
    p.add_argument("--split", default="test")
    p.add_argument("--out", default="runs/oracle")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--score-only", action="store_true", help="Score the oracle already trained in --out")
    p.add_argument(
        "--map-at", choices=("hr", "lr"), default="hr", help="Expert map as drawn (hr) or one label per LR pixel (lr)"
    )
    return p.parse_args(argv)


def build_oracle(config: Any) -> Any:
    """np-lite's trunk with SFT from the expert map: inputs {"lr": LR Y, "map": HR one-hot}, output {"sr"}."""
    import keras

    from leuko_keras.models.blocks import conv_lrelu
    from leuko_keras.models.lite import LiteSettings, lite_trunk, map_condition
    from leuko_keras.models.registry import model_name

    scale, filters = config.scale, 64
    lr = keras.Input((None, None, 1), name="lr", dtype="float32")
    expert = keras.Input((None, None, 3), name="map", dtype="float32")
    # The stride-s conv sees each LR pixel's s x s block of HR labels: the map's sub-pixel detail reaches the trunk.
    x = map_condition(expert, filters, scale, prefix="oracle_")
    cond = conv_lrelu(x, filters, "oracle_cond", 0.2, kernel=1)
    sr = lite_trunk(lr, cond, scale, LiteSettings(filters=filters))
    return keras.Model({"lr": lr, "map": expert}, {"sr": sr}, name=model_name("oracle-lite", scale))


def lr_blocks(onehot: Any, scale: int) -> Any:
    """One-hot HR maps (B, H, W, C) -> each s x s block set to its majority class (ties: lowest index).

    >>> import numpy as np
    >>> m = np.eye(3, dtype=np.float32)[np.array([[[0, 2], [2, 1]]])]
    >>> lr_blocks(m, 2)[0].argmax(-1).tolist()
    [[2, 2], [2, 2]]
    """
    import numpy as np

    b, h, w, c = onehot.shape
    counts = np.asarray(onehot, np.float32).reshape(b, h // scale, scale, w // scale, scale, c).sum(axis=(2, 4))
    majority = np.eye(c, dtype=np.float32)[counts.argmax(-1)]
    return majority.repeat(scale, axis=1).repeat(scale, axis=2)


def _tf_lr_blocks(onehot: Any, scale: int) -> Any:
    import tensorflow as tf

    counts = tf.nn.avg_pool2d(onehot, scale, scale, "VALID")
    majority = tf.one_hot(tf.argmax(counts, axis=-1), tf.shape(onehot)[-1], dtype=onehot.dtype)
    return tf.repeat(tf.repeat(majority, scale, axis=1), scale, axis=2)


def oracle_dataset(config: Any, split: str, need_mask: bool, map_at: str = "hr") -> Any:
    """fit's own stream on the lite pair's crops, the expert map moved from the targets to the inputs
    (``map_at="lr"``: blocky)."""
    from leuko_keras.models.lite import LITE_CROP_LR_MULTIPLE
    from leuko_keras.training.fit import _dataset

    stream = _dataset(config, split, True, LITE_CROP_LR_MULTIPLE * config.scale)

    def given(expert: Any) -> Any:
        return _tf_lr_blocks(expert, config.scale) if map_at == "lr" else expert

    return stream.map(lambda lr, target: ({"lr": lr, "map": given(target["mask"])}, {"sr": target["sr"]}))


def train(args: argparse.Namespace) -> Path:
    from leuko_keras.training import FitConfig, FitHooks, fit

    config = FitConfig.for_model(
        "np-lite",  # its recipe; the model itself comes from the hook
        out=args.out,
        scale=args.scale,
        data=args.data if len(args.data) > 1 else args.data[0],
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        time_budget_minutes=args.minutes,
        seed=args.seed,
        overwrite=True,
        tensorboard=False,
        summary=False,
        verbose=0,
    )
    start = time.perf_counter()
    make_dataset = functools.partial(oracle_dataset, map_at=args.map_at)
    result = fit(config, hooks=FitHooks(build_model=build_oracle, make_dataset=make_dataset))
    print(
        f"oracle-lite x{args.scale}: {result.status}, {result.epochs_completed} epochs in "
        f"{(time.perf_counter() - start) / 60:.1f} min",
        flush=True,
    )
    return Path(args.out)


def oracle_label(map_at: str) -> str:
    return "Oracle-lite (expert map)" if map_at == "hr" else "Oracle-lite (expert map, one label per LR pixel)"


def score_oracle(model: Any, examples: list[Any], scale: int, map_at: str = "hr") -> Any:
    """Per-image PSNR/SSIM of the oracle given each image's expert map (a ModelResult, as ``score`` returns)."""
    import numpy as np

    from leuko_keras.evaluation.results import ModelResult
    from leuko_keras.protocol.metrics import psnr, ssim

    rows = []
    for ex in examples:
        if ex.labels is None:
            raise SystemExit(f"{ex.name}: no expert map; the upper bound needs maps for every test image")
        onehot = np.eye(3, dtype=np.float32)[np.asarray(ex.labels)]
        if map_at == "lr":
            onehot = lr_blocks(onehot[None], scale)[0]
        lr = np.asarray(ex.lr_y, dtype=np.float32)[None, ..., None]
        sr = model.predict_on_batch({"lr": lr, "map": onehot[None]})["sr"]
        sr = np.clip(np.asarray(sr, dtype=np.float64)[0, ..., 0], 0.0, 1.0)
        hr = np.asarray(ex.hr_y, dtype=np.float64)
        rows.append({"name": ex.name, "psnr": psnr(sr, hr, crop=scale), "ssim": ssim(sr, hr, crop=scale)})
    return ModelResult(
        oracle_label(map_at),
        scale,
        float(np.mean([r["psnr"] for r in rows])),
        float(np.mean([r["ssim"] for r in rows])),
        len(rows),
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import keras

    from leuko_keras.core.atomic import write_json_atomic
    from leuko_keras.evaluation.compare import paired_gain
    from leuko_keras.evaluation.evaluate import load_eval_examples, score
    from leuko_keras.predict.backends import BicubicBackend, load_backend
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT

    out = train(args) if not args.score_only else Path(args.out)
    oracle = keras.models.load_model(out / "best.keras", compile=False)
    others = [(spec.partition("=")[0], load_backend(spec.partition("=")[2])) for spec in args.compare]
    report: dict[str, Any] = {"args": vars(args), "folders": {}}
    lines = [f"x{args.scale}, split {args.split!r}, oracle trained {args.minutes:g} min / {args.epochs} epochs", ""]
    for folder in args.data:
        examples = load_eval_examples(folder, args.scale, args.split)
        bicubic = score(BicubicBackend(args.scale), examples, args.scale)
        results = [score_oracle(oracle, examples, args.scale, args.map_at)]
        results += [score(backend, examples, args.scale) for _, backend in others]
        labels = [oracle_label(args.map_at), *[label for label, _ in others]]
        lines += [f"{Path(folder).name} ({len(examples)} test images): bicubic {bicubic.psnr:.2f} dB", ""]
        lines += [
            "| model | PSNR / SSIM | gain over bicubic [95% CI] | oracle minus model [95% CI] |",
            "|---|---|---|---|",
        ]
        for label, result in zip(labels, results, strict=True):
            gain = paired_gain(result, bicubic, "over_bicubic", args.seed).ci
            lead = "-" if result is results[0] else paired_gain(results[0], result, "pair", args.seed).ci.text()
            lines.append(f"| {label} | {result.psnr:.2f} / {result.ssim:.4f} | {gain.text()} | {lead} |")
        lines.append("")
        report["folders"][folder] = {
            "bicubic": bicubic.as_dict(),
            "models": dict(zip(labels, [r.as_dict() for r in results], strict=True)),
        }
    lines.append(PROTOCOL_TEXT)
    text = "\n".join(lines)
    print(text)
    write_json_atomic(out / "upper_bound.json", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
