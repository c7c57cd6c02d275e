"""The main job on the embedded default, end to end, in minutes on a laptop CPU.

``leuko-keras demo`` synthesises a small set of leukocytes with exact
parsing maps, trains the lite no-prior and geometry-prior networks
(``np-lite``, ``gp-lite``, with their CPU recipe) briefly at x4, scores both
and the shipped pretrained ``gp-lite-x4`` against bicubic on the held-out
split (with bootstrap intervals), exports the trained GP-lite to TFLite,
super-resolves a few held-out cells (their LR versions) with the TFLite
file, and draws the paper's figures. Every step is the public library call a
user would make; nothing here is demo-only logic.

The freshly trained numbers are from about a minute of training on synthetic
cells: they show the pipeline works. The pretrained row shows a model
trained for an hour on real cells (CellaVision + Tecom), scored here on the
synthetic cells it never saw; its card has its real held-out numbers.

>>> result = run_demo("leuko_demo", quick=True)  # doctest: +SKIP
>>> print(result.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leuko_keras.core.atomic import write_json_atomic
from leuko_keras.core.outputs import check_output_folder, foreign_file
from leuko_keras.errors import LeukoInputError


@dataclass(frozen=True)
class DemoPlan:
    """Sizes and budgets of one demo run."""

    cells: int
    cell_size: int
    crop: int
    batch_size: int
    epochs: int
    steps_per_epoch: int
    minutes_per_model: float
    export_size: int
    predict_count: int
    scale: int = 4
    small_models: bool = False  # tiny widths and depths: seconds to build, trace and convert


FULL = DemoPlan(
    cells=40, cell_size=128, crop=64, batch_size=8, epochs=20, steps_per_epoch=25,
    minutes_per_model=1.25, export_size=128, predict_count=3,
)  # fmt: skip
QUICK = DemoPlan(
    cells=10, cell_size=64, crop=32, batch_size=2, epochs=1, steps_per_epoch=2,
    minutes_per_model=0.5, export_size=32, predict_count=1, small_models=True,
)  # fmt: skip
SMALL_SETTINGS = {
    "np": {"filters": 8, "lr_blocks": 1, "decoder_blocks": 1},
    "gp": {"filters": 8, "lr_blocks": 1, "mask_blocks": 1, "decoder_blocks": 1, "unet_base": 4, "unet_depth": 2},
    "np-lite": {"filters": 8, "blocks": 1},
    "gp-lite": {"filters": 8, "blocks": 1, "prior_base": 4},
}
PRETRAINED_MODEL = "gp-lite-x4"


@dataclass
class DemoResult:
    """Where everything went, and the table to print."""

    out: Path
    table: str
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """The table, then one line per output."""
        lines = [self.table, f"demo finished in {self.seconds / 60:.1f} min; outputs in {self.out}:"]
        lines += [f"  {key:<12} {path}" for key, path in self.paths.items()]
        return "\n".join(lines)


def run_demo(
    out: str | os.PathLike = "leuko_demo",
    quick: bool = False,
    log: Callable[[str], None] = print,
    models: tuple[str, ...] = ("np-lite", "gp-lite"),
) -> DemoResult:
    """Run the whole demo into ``out`` (replacing an earlier demo there) and return where things are."""
    from leuko_keras.evaluation import write_figures
    from leuko_keras.synth import write_dataset

    plan = QUICK if quick else FULL
    start = time.perf_counter()

    def say(message: str) -> None:
        log(f"{time.perf_counter() - start:6.1f}s {message}")

    out = _prepare_out(Path(out))
    say(f"[1/6] synthesising {plan.cells} leukocytes of {plan.cell_size} px with parsing maps")
    data = write_dataset(out / "data", count=plan.cells, size=plan.cell_size, seed=0)
    paths: dict[str, Path] = {"data": data}
    runs = {name: _train(name, i, len(models), plan, data, out, say) for i, name in enumerate(models)}
    paths.update({f"run {name}": run for name, run in runs.items()})
    ev, table = _evaluate(runs, plan, data, quick, out, paths, say)
    tflite = _export(runs, models[-1], plan, out, say)
    paths["tflite"] = tflite
    _predict(ev, tflite, plan, out, paths, say)
    say("[6/6] drawing figures")
    write_figures(ev, out / "figures")
    paths["figures"] = out / "figures"
    _finish_out(out)
    return DemoResult(out, table, paths, time.perf_counter() - start)


def _train(name: str, index: int, count: int, plan: Any, data: Path, out: Path, say: Callable[[str], None]) -> Path:
    from leuko_keras.training import FitConfig, fit

    limit = f"{plan.epochs * plan.steps_per_epoch} steps, <= {plan.minutes_per_model:g} min"
    say(f"[2/6] training {name.upper()} x{plan.scale} ({index + 1}/{count}): {limit}")
    # The model's own training recipe (lite: lr 4e-4, cosine, bf16 where the CPU has it), demo-sized.
    config = FitConfig.for_model(
        name,
        out=str(out / "runs" / f"{name}_x{plan.scale}"),
        scale=plan.scale,
        data=str(data),
        epochs=plan.epochs,
        steps_per_epoch=plan.steps_per_epoch,
        model_settings=dict(SMALL_SETTINGS.get(name, {})) if plan.small_models else {},
        size=plan.crop,
        batch_size=plan.batch_size,
        # Brief training: the paper's 1e-4 barely moves in a minute; 1e-3 can overshoot in the first steps.
        learning_rate=5e-4,
        time_budget_minutes=plan.minutes_per_model,
        precision="auto",
        overwrite=True,
        tensorboard=False,
        verbose=0,
    )
    result = fit(config, printer=lambda _line: None)
    if not (result.run_dir / "best.keras").is_file():
        raise LeukoInputError(f"{result.run_dir}: training produced no model ({result.status}: {result.message})")
    return result.run_dir


def _evaluate(
    runs: dict[str, Path], plan: Any, data: Path, quick: bool, out: Path, paths: dict, say: Callable[[str], None]
) -> tuple[Any, str]:
    from leuko_keras.evaluation import evaluate, render, write_json, write_markdown
    from leuko_keras.runs.presets import list_pretrained

    shipped = [PRETRAINED_MODEL] if PRETRAINED_MODEL in list_pretrained() and plan.scale == 4 else []
    say(f"[3/6] evaluating {', '.join([*runs, *shipped])} against bicubic on the held-out split")
    ev = evaluate(["bicubic", *(str(p) for p in runs.values()), *shipped], [plan.scale], data=data, split="test")
    title = f"Demo: x{plan.scale} on synthetic leukocytes, {'quick ' if quick else ''}training" + (
        _pretrained_note() if shipped else ""
    )
    table = render(ev.results, ev.comparisons, ev.protocol, title=title)
    paths["table"] = write_markdown(out / "results.md", table)
    paths["json"] = write_json(out / "results.json", ev.results, ev.comparisons, ev.protocol)
    return ev, table


def _pretrained_note() -> str:
    from leuko_keras.runs.presets import all_training, model_card

    card = model_card(PRETRAINED_MODEL)
    real = "; ".join(
        f"{name} {row['images']} images {row['gain_db']:+.2f} dB [{low:+.2f}, {high:+.2f}]"
        for name, row in card["heldout"].items()
        for low, high in [row["gain_ci95"]]
    )
    return (
        f". GP-lite (pretrained) = the shipped {PRETRAINED_MODEL}, trained on real cells ({card['data']}; "
        f"{all_training(card['training'])[1]:g} min), never on these synthetic ones; "
        f"its gain over bicubic on the real held-out test splits: {real}"
    )


def _export(runs: dict[str, Path], exported: str, plan: Any, out: Path, say: Callable[[str], None]) -> Path:
    from leuko_keras.deploy import export_model

    say(f"[4/6] exporting {exported.upper()} to TFLite (fp32)")
    export = export_model(
        runs[exported],
        out / "export" / f"{exported}_x{plan.scale}",
        quantizations=["fp32"],
        tflite=True,
        input_size=plan.export_size,
        parity_images=2,
        force=True,
        log=lambda _line: None,
    )
    tflite = sorted(Path(export.out_dir).glob("*.tflite"))
    if not tflite:
        raise LeukoInputError(f"{export.out_dir}: the export wrote no .tflite file; see leuko-keras export --help")
    return tflite[0]


def _predict(ev: Any, tflite: Path, plan: Any, out: Path, paths: dict, say: Callable[[str], None]) -> None:
    from leuko_keras.predict import load_backend, predict_paths
    from leuko_keras.runtime.imageio import write_image

    say(f"[5/6] super-resolving {plan.predict_count} held-out LR cells with {tflite.name}")
    # The LR versions of held-out cells: their SR output can be set beside the originals in data/.
    lr_dir = out / "lr_inputs"
    for ex in ev.examples[plan.scale][: plan.predict_count]:
        write_image(lr_dir / f"{ex.name}.png", ex.lr_rgb if ex.lr_rgb is not None else ex.lr_y)
    report = predict_paths([lr_dir], load_backend(tflite), out / "predictions", progress=False)
    if report.failed:
        raise LeukoInputError(f"prediction failed: {report.failed[0][1]}")
    paths["lr inputs"] = lr_dir
    paths["predictions"] = out / "predictions"


MARKER = ".leuko_demo"
# What a demo writes at the top of its folder; an interrupted demo left no manifest, so these names stand in.
DEMO_ENTRIES = ("data", "runs", "results.md", "results.json", "export", "lr_inputs", "predictions", "figures")


def demo_owned(out: Path) -> str | None:
    """None when ``out`` holds only what an earlier demo wrote, else the first file it did not write.

    A finished demo lists every file it wrote in the marker; an interrupted one left only the marker.
    """
    try:
        manifest = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if not (out / MARKER).is_file():
            return foreign_file(out, ()) or MARKER
        manifest = None
    if isinstance(manifest, dict) and isinstance(manifest.get("files"), list):
        return foreign_file(out, [MARKER, *map(str, manifest["files"])])
    for entry in sorted(out.iterdir()):
        if entry.name not in (MARKER, *DEMO_ENTRIES):
            return entry.name
    return None


def _prepare_out(out: Path) -> Path:
    # Re-running the demo replaces only what an earlier demo wrote; anything else is the user's.
    out = check_output_folder(out, "--out", owned=demo_owned, what="an earlier demo output")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("written by leuko-keras demo (interrupted: no file list yet)\n", encoding="utf-8")
    return out


def _finish_out(out: Path) -> None:
    # The file list lets the next demo in this folder tell its own files from a user's.
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir() and p.name != MARKER)
    write_json_atomic(out / MARKER, {"written_by": "leuko-keras demo", "files": files})
