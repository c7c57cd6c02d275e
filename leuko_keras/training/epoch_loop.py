"""The epochs of a fit: Keras ``fit`` on one device or under ``MirroredStrategy``, the custom loop under
``MultiWorkerMirroredStrategy`` (Keras 3 ``fit`` fails there, keras-team/keras#20585), and how the run ended.
"""

from __future__ import annotations

import sys
from typing import Any

from leuko_keras.runs.fitconfig import FitConfig
from leuko_keras.training.devices import DevicePlan
from leuko_keras.training.runfolder import RunFolder


def run_epochs(
    model: Any, train: Any, val: Any, config: FitConfig, plan: DevicePlan, callbacks: Any, chief: bool,
    train_steps: int | None, run: RunFolder,
) -> tuple[str, str]:  # fmt: skip
    """Run the epochs (Keras ``fit``, or the custom loop under multi-worker); returns (status, message)."""
    from leuko_keras.training.checkpoints import TrainingDivergedError

    verbose = config.verbose if (config.verbose != 1 or sys.stdout.isatty()) else 2
    try:
        if plan.custom_loop:
            from leuko_keras.training.custom_loop import CustomLoop

            CustomLoop(model, plan.strategy).fit(
                train,
                val,
                epochs=config.epochs,
                steps=_steps(train, train_steps),
                val_steps=_steps(val, config.validation_steps),
                callbacks=callbacks.all,
                verbose=verbose if chief else 0,
                sync_stop=callbacks.budget is not None,
            )
        else:
            model.fit(
                train,
                validation_data=val,
                epochs=config.epochs,
                steps_per_epoch=train_steps,
                validation_steps=config.validation_steps,
                callbacks=callbacks.all,
                verbose=verbose,
                shuffle=False,  # the pipeline shuffles; Keras would only warn
            )
    except TrainingDivergedError as error:
        return "diverged", _diverged_message(error, run, callbacks.checkpoint)
    if callbacks.budget is not None and callbacks.budget.stopped_at_epoch is not None:
        return "time_budget", (
            f"time budget of {config.time_budget_minutes:g} min reached in epoch "
            f"{callbacks.budget.stopped_at_epoch + 1}; continue with: leuko-keras fit --resume {run.root}"
        )
    return "completed", ""


def _steps(dataset: Any, given: int | None) -> int:
    if given:
        return int(given)
    count = int(dataset.cardinality())
    if count < 0:  # unknown or infinite: count one pass
        count = sum(1 for _ in dataset)
    return max(count, 1)


def _diverged_message(error: Any, run: RunFolder, checkpoint: Any) -> str:
    kept = (
        f"kept the last good model {run.last} (epoch {checkpoint.last_epoch})"
        if checkpoint.last_epoch
        else "no epoch had completed, so no model was saved"
    )
    return f"training stopped: {error}; {kept}; lower --lr or use --precision fp32 and start again"
