"""The callback list of a run, in the order that keeps ``--resume`` exact.

At the end of an epoch: NaN guard first (a bad epoch writes nothing), then
history.csv/curves.png, best/last models and state.json, the ETA line and
TensorBoard, and the backup last: an epoch counts as completed only once all
its files are on disk. The learning-rate decay is set at the start of each
epoch from the epoch number, so it is right after a resume too.

>>> from leuko_keras.runs.fitconfig import FitConfig
>>> from leuko_keras.training.runfolder import RunFolder
>>> names = [type(c).__name__ for c in make_callbacks(RunFolder("/tmp/r"), FitConfig(out="/tmp/r")).all]
>>> names[0], names[-1]
('NanGuard', 'AtomicBackupAndRestore')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import keras

from leuko_keras.runs.fitconfig import FitConfig
from leuko_keras.training.checkpoints import AtomicBackupAndRestore, BestAndLast, NanGuard
from leuko_keras.training.history import HistoryWriter
from leuko_keras.training.progress import CosineDecay, EtaLine, StepDecay, TimeBudget
from leuko_keras.training.runfolder import RunFolder


def tensorboard_available() -> bool:
    """tf.summary writes event files only when the tensorboard package is installed."""
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


@dataclass
class RunCallbacks:
    """The callbacks of a run, with handles on the ones ``fit`` reads afterwards."""

    guard: NanGuard
    checkpoint: BestAndLast
    backup: AtomicBackupAndRestore
    budget: TimeBudget | None
    all: list[keras.callbacks.Callback] = field(default_factory=list)


def make_callbacks(
    run: RunFolder, config: FitConfig, chief: bool = True, printer: Callable[[str], None] = print
) -> RunCallbacks:
    """Build the callbacks of ``config`` writing into ``run`` (non-chief workers print and plot nothing)."""
    guard = NanGuard()
    checkpoint = BestAndLast(run)
    backup = AtomicBackupAndRestore(run.backup)
    budget = TimeBudget(config.time_budget_minutes) if config.time_budget_minutes else None
    budget_seconds = config.time_budget_minutes * 60.0 if config.time_budget_minutes else None
    items: list[keras.callbacks.Callback] = [guard]
    if config.lr_schedule == "step":
        items.append(StepDecay(config.learning_rate, config.lr_decay_every, config.lr_decay_factor))
    elif config.lr_schedule == "cosine":
        items.append(CosineDecay(config.learning_rate, config.epochs, config.steps_per_epoch, budget_seconds))
    items += [HistoryWriter(run, plot=chief), checkpoint]
    if budget is not None:
        items.append(budget)
    if chief:
        # Our own progress bar here, so the ETA line comes after the epoch's Keras line, not before.
        items.append(keras.callbacks.ProgbarLogger())
        items.append(EtaLine(config.epochs, budget_seconds, printer=printer))
    if chief and config.tensorboard:
        if tensorboard_available():
            items.append(keras.callbacks.TensorBoard(log_dir=str(run.logs), write_graph=False, update_freq="epoch"))
        else:
            printer("note: TensorBoard logs skipped (pip install tensorboard to get RUN_DIR/logs)")
    items.append(backup)
    return RunCallbacks(guard, checkpoint, backup, budget, items)
