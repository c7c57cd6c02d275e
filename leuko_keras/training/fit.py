"""``fit(config) -> FitResult``: one training run, start to summary.

Order: preflight of the run folder (fail before any TensorFlow work), the
strategy (must exist before other ops), precision and seeds, model under
the strategy's scope, datasets, free-space check; only then does an
``--overwrite`` set the old run aside (:mod:`leuko_keras.training.replace`:
restored on any failure before the first epoch ends), config.json, then
``model.fit`` (or the custom loop under MultiWorkerMirroredStrategy), and
finally the validation table of best.keras against bicubic.

>>> from leuko_keras.training import FitConfig, fit
>>> result = fit(FitConfig(out="runs/gp_x4", epochs=2, steps_per_epoch=4, size=64))  # doctest: +SKIP
>>> result.status, result.run_dir.joinpath("best.keras").is_file()  # doctest: +SKIP
('completed', True)
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leuko_keras.errors import LeukoInputError
from leuko_keras.runs.fitconfig import FitConfig
from leuko_keras.training.devices import DevicePlan, choose_strategy, is_chief, read_tf_config
from leuko_keras.training.epoch_loop import run_epochs
from leuko_keras.training.runconfig import count_params, run_config
from leuko_keras.training.runfolder import RunFolder

RESUMABLE = ("epochs", "time_budget_minutes", "devices", "verbose", "tensorboard")


@dataclass
class FitHooks:
    """What ``fit`` builds and reads; the defaults are the library's (tests swap in tiny ones)."""

    build_model: Callable[[FitConfig], Any] | None = None
    compile_model: Callable[[Any, FitConfig], Any] | None = None
    make_dataset: Callable[[FitConfig, str, bool], Any] | None = None
    load_examples: Callable[[FitConfig, str], list] | None = None
    load_model: Callable[[Path], Any] | None = None


@dataclass
class FitResult:
    """Outcome of a run: status ``completed``, ``time_budget`` or ``diverged``."""

    run_dir: Path
    status: str
    epochs_completed: int
    best_epoch: int | None
    best_value: float | None
    monitor: str | None
    message: str = ""
    summary: dict[str, Any] | None = field(default=None)


# -- defaults: the library's model registry and data pipeline ------------------------------------
def _build(config: FitConfig) -> Any:
    from leuko_keras.models import build_model

    return build_model(config.model, scale=config.scale, **config.model_settings)


def _warm_start(model: Any, config: FitConfig) -> list[str] | None:
    """``fit --init``: the source's weights into ``model``; the layers left untrained (None: no warm start)."""
    if not config.init or config.resume:  # a resumed run restores its own weights from the backup
        return None
    from leuko_keras.training.warmstart import warm_start

    return warm_start(model, config.init)


def _compile(model: Any, config: FitConfig) -> Any:
    from leuko_keras.models import compile_model

    return compile_model(
        model,
        learning_rate=config.learning_rate,
        lambda_map=config.lambda_map,
        beta_1=config.beta_1,
        scale=config.scale,
        # Measured on this 2-core AVX2 CPU at 96 px, batch 8: 22% (NP) and 15% (GP) less CPU per step.
        jit_compile=True if config.xla else "auto",
    )


def _dataset(config: FitConfig, split: str, need_mask: bool, size_step: int = 1) -> Any:
    from leuko_keras.data.pipeline import make_dataset
    from leuko_keras.training.resume import resumed_epoch

    training = split == "train"
    # Training is an endless stream keyed on (seed, epoch), started where the backup says training resumes
    # (a new run starts at 0: an --overwrite's old backup is still in the folder while the data is checked).
    backup = worker_folder(config.out, read_tf_config()).backup
    first = (resumed_epoch(backup) if config.resume else 0) if training else None
    return make_dataset(
        config.data_source(),
        scale=config.scale,
        split=split,
        batch_size=config.batch_size,
        size=config.size,
        augment=config.augment and training,
        random_crop=training,
        need_mask=need_mask,
        shuffle=training,
        first_epoch=first,
        steps_per_epoch=config.steps_per_epoch if training else None,
        size_step=size_step,
    )


def _size_step(model: Any, config: FitConfig) -> int:
    # Crops of several sources must stay multiples of what the model's U-Net needs, and of the LR multiple
    # its family trains on (np-lite crops as gp-lite does).
    from leuko_keras.models.registry import model_info

    try:
        info_multiple = model_info(config.model).crop_lr_multiple * config.scale
    except LeukoInputError:  # a model name the registry does not know (a test's stand-in): no family constraint
        info_multiple = 1
    try:
        from leuko_keras.models.inference import hr_multiple

        return math.lcm(int(hr_multiple(model)), info_multiple)
    except Exception:  # a test's stand-in model without layers: no constraint
        return info_multiple


def _examples(config: FitConfig, split: str) -> list:
    from leuko_keras.data.examples import load_examples

    # Maps are read where they exist; np models train on data (or pairs) without any.
    return load_examples(config.data_source(), config.scale, split, need_mask=False)


def _load(path: Path) -> Any:
    from leuko_keras.runs.model_io import load_model_any

    return load_model_any(path)[0]


# -- resume ------------------------------------------------------------------------------------
def worker_folder(out: str | os.PathLike, tf_config: dict | None) -> RunFolder:
    """The run folder this process writes: RUN_DIR on the chief, a hidden sibling on other workers."""
    root = Path(out).expanduser()
    if tf_config is None or is_chief(tf_config):
        return RunFolder(root)
    return RunFolder(root.parent / f".{root.name}.worker-{int(tf_config['task']['index'])}")


def resume_config(out: str | os.PathLike, **overrides: Any) -> FitConfig:
    """The stored configuration of the run in ``out``, with the resumable settings (epochs, time budget,
    devices, verbosity) changed where given (None = keep).

    Any other setting given (not None) must equal the stored one: a resume trains the stored run, so a
    conflicting ``--scale`` or ``--lr`` is refused in one line naming both values, never silently ignored.

    >>> resume_config("/nonexistent/run")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    leuko_keras.errors.LeukoInputError: /nonexistent/run: no run to resume ...
    """
    from leuko_keras.training.resume import check_no_conflicts, load_stored_config

    run = worker_folder(out, read_tf_config())
    stored = load_stored_config(run)
    check_no_conflicts(stored, overrides, run.config, RESUMABLE)
    changes = {k: v for k, v in overrides.items() if v is not None and k in RESUMABLE}
    return stored.replace(out=str(out), resume=True, overwrite=False, **changes)


# -- the run -----------------------------------------------------------------------------------
def _output_names(model: Any, config: FitConfig) -> list[str]:
    # The registry knows what a model predicts, GAN wrappers included; other models tell by their outputs.
    try:
        from leuko_keras.models import model_info

        return list(model_info(config.model).outputs)
    except (ImportError, LeukoInputError):
        pass
    try:
        return list(model.output) if isinstance(model.output, dict) else list(getattr(model, "output_names", []))
    except (AttributeError, ValueError):
        return []


def _seed(config: FitConfig) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(config.seed)
    # Set per run, both ways: the switch is process-wide and outlives the run that set it.
    if config.deterministic and not config.xla:
        # Same seed twice -> identical weights on CPU; costs little there (tf.data is deterministic anyway).
        tf.config.experimental.enable_op_determinism()
    else:
        # Keras silently drops jit_compile=True while op determinism is on (it asks this same module);
        # TensorFlow exports only the switch-on, so the switch-off comes from its config module.
        from tensorflow.python.framework import config as tf_framework_config

        tf_framework_config.disable_op_determinism()


def fit(config: FitConfig, hooks: FitHooks | None = None, printer: Callable[[str], None] = print) -> FitResult:
    """Train ``config.model`` into the run folder ``config.out``; see the module docstring for the order.

    User problems raise :class:`LeukoInputError` before training starts; a NaN/Inf loss returns
    status ``diverged`` with the last good model kept. A second run on the same folder at the same
    time is refused (its holder's pid named); a lock left by a killed run is taken over.
    """
    hooks = hooks or FitHooks()
    config.validate()
    tf_config = read_tf_config()
    run = worker_folder(config.out, tf_config)
    # Held from before the preflight (which may clear the folder) to the end: two runs never share a folder.
    with run.locked() as lock:
        if lock.took_over:
            printer(f"note: {run.root}: took over the lock of a run that is gone ({lock.took_over}, killed?)")
        return _fit_locked(config, hooks, printer, tf_config, run)


def _fit_locked(
    config: FitConfig, hooks: FitHooks, printer: Callable[[str], None], tf_config: dict | None, run: RunFolder
) -> FitResult:
    import keras

    from leuko_keras.training.callbacks import make_callbacks
    from leuko_keras.training.precision import apply_precision
    from leuko_keras.training.replace import PreviousRun

    chief = is_chief(tf_config)
    run.preflight(resume=config.resume, overwrite=config.overwrite or not chief)
    plan = choose_strategy(config.devices)
    say = printer if chief else (lambda _line: None)

    previous_policy = keras.mixed_precision.global_policy()
    previous = PreviousRun(run)
    try:
        precision = apply_precision(config.precision)
        _seed(config)
        with plan.strategy.scope():
            model = (hooks.build_model or _build)(config)
            fresh_layers = _warm_start(model, config)
            (hooks.compile_model or _compile)(model, config)
        need_mask = "mask" in _output_names(model, config)
        make = hooks.make_dataset or functools.partial(_dataset, size_step=_size_step(model, config))
        train = make(config, "train", need_mask)
        val = make(config, "val", need_mask)
        # An endless (seed, epoch)-keyed training stream states its epoch length; a finite dataset is one pass.
        train_steps = config.steps_per_epoch or getattr(train, "steps_per_epoch", None)
        params = count_params(model)
        run.check_free_space(3 * 16 * params)  # best, last, backup: weights + Adam slots, with slack
        payload = run_config(config, plan, precision, run, model, train_steps, fresh_layers)
        if config.overwrite or not chief:
            previous.set_aside()  # every check has passed: from here the old run only waits for the new one
        run.write_json(run.config, payload)
        _announce(say, config, plan, precision, params, run, payload["init_fresh_layers"])
        if config.prior_steps:
            config = _warm_up_prior(config, model, train, run, plan, say)
        callbacks = make_callbacks(run, config, chief=chief, printer=say)
        callbacks.all.append(previous.callback())  # after the backup: the epoch is complete on disk
        status, message = run_epochs(model, train, val, config, plan, callbacks, chief, train_steps, run)
        ckpt = callbacks.checkpoint
        if previous.pending:  # diverged in the first epoch: the new run never started for real
            previous.restore()
            message = "; ".join(filter(None, [message, f"the previous run in {run.root} is back in place"]))
        result = FitResult(
            run.root,
            status,
            ckpt.last_epoch or 0,
            ckpt.best_epoch,
            None if ckpt.best_epoch is None or not math.isfinite(ckpt.best_value) else ckpt.best_value,
            ckpt.monitor,
            message,
        )
        if message:
            say(message)
        if chief and config.summary and run.best.is_file():
            result.summary = _summarize(run, config, hooks, result, say)
        return result
    except BaseException:
        previous.restore()  # a failure (or Ctrl-C) before the first epoch ended: the old run comes back
        raise
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def _announce(
    say: Callable[[str], None], config: FitConfig, plan: DevicePlan, precision: str, params: int, run: RunFolder,
    fresh_layers: list[str],
) -> None:  # fmt: skip
    say(
        f"leuko-keras fit: {config.model} x{config.scale} ({params:,} parameters), {plan.describe()}, "
        f"precision {precision}, global batch {config.batch_size}, run folder {run.root}"
        + (", XLA" if config.xla and not plan.custom_loop else "")
    )
    if fresh_layers:
        say(
            f"note: --init {config.init}: {', '.join(fresh_layers)} differ in width and "
            "start untrained; every other layer starts from its weights"
        )
    if config.xla and plan.custom_loop:
        say("note: --xla is not used by the multi-worker loop (strategy.run cannot sit inside an XLA cluster)")


def _warm_up_prior(
    config: FitConfig, model: Any, train: Any, run: RunFolder, plan: DevicePlan, say: Callable
) -> FitConfig:
    """Run the prior warm-up once (a resumed run has it in its weights); the rest of the budget is the model's.

    ``FitConfig.validate`` has already refused a model without a map and the multi-worker loop.
    """
    from leuko_keras.training.prior_warmup import warm_up_prior
    from leuko_keras.training.resume import resumed_epoch

    if resumed_epoch(run.backup) or run.prior_warmup.is_file():
        return config
    with plan.strategy.scope():
        done = warm_up_prior(model, train, config.prior_steps, config.learning_rate, config.beta_1, say)
    run.write_json(run.prior_warmup, done)
    if not config.time_budget_minutes:
        return config
    return config.replace(time_budget_minutes=max(config.time_budget_minutes - done["seconds"] / 60.0, 1e-3))


def _summarize(run: RunFolder, config: FitConfig, hooks: FitHooks, result: FitResult, say: Callable) -> dict:
    from leuko_keras.training.summary import evaluate_examples, format_table, protocol

    model = (hooks.load_model or _load)(run.best)
    examples = (hooks.load_examples or _examples)(config, "val")
    summary = evaluate_examples(model, examples, config.scale)
    summary["model"].update({"name": config.model, "file": run.best.name, "epoch": result.best_epoch})
    summary.update(
        {
            "split": "val",
            "status": result.status,
            "epochs_completed": result.epochs_completed,
            "monitor": result.monitor,
            "monitor_best": result.best_value,
            "protocol": protocol(config.degradation),
        }
    )
    run.write_json(run.summary, summary)
    say(format_table(summary))
    return summary
