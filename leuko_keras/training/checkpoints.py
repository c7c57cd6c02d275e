"""Callbacks that keep the run safe: atomic backups, best/last models, NaN stop.

Order matters at the end of an epoch (see ``callbacks.make_callbacks``): the
NaN guard runs first (a bad epoch writes nothing), then history and models,
and the backup last, so an epoch counts as completed for ``--resume`` only
once everything it produced is on disk.

>>> find_metric({"loss": 1.0, "val_sr_psnr": 30.0, "sr_psnr": 29.0}, "psnr", validation=True)
'val_sr_psnr'
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import keras

from leuko_keras.core.atomic import atomic_path, write_json_atomic
from leuko_keras.training.runfolder import RunFolder


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or Inf; the run folder still holds the last good model."""

    def __init__(self, epoch: int, batch: int | None, key: str, value: float) -> None:
        where = f"epoch {epoch + 1}" + (f", batch {batch + 1}" if batch is not None else "")
        super().__init__(f"{key} became {value} at {where}")
        self.epoch, self.batch, self.key, self.value = epoch, batch, key, value


def find_metric(logs: dict[str, Any], word: str, validation: bool = True) -> str | None:
    """The first log key holding ``word`` (``val_`` keys when ``validation``), or None."""
    for key in sorted(logs):
        if word in key.lower() and key.startswith("val_") == validation:
            return key
    return None


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True  # not a number (e.g. a string): nothing to judge


class NanGuard(keras.callbacks.Callback):
    """Stop at the first NaN/Inf loss by raising :class:`TrainingDivergedError` (nothing later runs on bad weights)."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    @staticmethod
    def _check(logs: dict | None, epoch: int, batch: int | None) -> None:
        # Every loss entry: GAN models report g_loss/d_loss, not loss.
        for key, value in (logs or {}).items():
            if "loss" in key and not _finite(value):
                raise TrainingDivergedError(epoch, batch, key, float(value))

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._check(logs, self.epoch, batch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._check(logs, epoch, None)


class BestAndLast(keras.callbacks.Callback):
    """Save ``last.keras`` every epoch and ``best.keras`` when validation PSNR improves (atomic writes).

    The monitored key is the first ``val_*psnr*`` log entry; a model reporting no PSNR is judged on
    ``-val_loss``. ``state.json`` remembers the best so far so a resumed run keeps comparing against it.
    """

    def __init__(self, run: RunFolder) -> None:
        super().__init__()
        self.run = run
        self.best_value = -math.inf
        self.best_epoch: int | None = None
        self.monitor: str | None = None
        self.last_epoch: int | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        state = self.run.read_json(self.run.state) or {}
        if state.get("best_value") is not None and self.run.best.is_file():
            self.best_value = float(state["best_value"])
            self.best_epoch = state.get("best_epoch")
            self.monitor = state.get("monitor")
            self.last_epoch = state.get("last_epoch")

    def _score(self, logs: dict[str, Any]) -> tuple[str, float]:
        key = self.monitor if self.monitor in logs else find_metric(logs, "psnr") or find_metric(logs, "psnr", False)
        if key is not None:
            return key, float(logs[key])
        for key in ("val_loss", "loss"):
            if key in logs:
                return f"-{key}", -float(logs[key])
        return "epoch", float((self.last_epoch or 0) + 1)  # nothing to judge: the latest epoch wins

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        self.monitor, value = self._score(logs)
        self.run.save_model(self.model, self.run.last)
        self.last_epoch = epoch + 1
        if value > self.best_value:
            # best.keras becomes a hard link to this epoch's last.keras: one write per epoch, not two.
            self.run.copy_model(self.run.last, self.run.best)
            self.best_value, self.best_epoch = value, epoch + 1
        self.run.write_json(
            self.run.state,
            {
                "last_epoch": self.last_epoch,
                "best_epoch": self.best_epoch,
                "best_value": self.best_value,
                "monitor": self.monitor,
            },
        )


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras ``BackupAndRestore`` whose state survives ``kill -9`` at any moment.

    Keras writes ``latest.weights.h5`` in place and then the epoch; a kill in between leaves a torn
    pair. Here each epoch's weights (model + optimizer) go to a new file written atomically, then
    ``training_metadata.json`` is switched to it atomically, then older files are removed: the
    metadata always names a complete file.
    """

    def __init__(self, backup_dir: str | Path) -> None:
        super().__init__(str(backup_dir), save_freq="epoch", delete_checkpoint=False)
        self.restored_epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._load_model()

    def _load_model(self) -> None:
        metadata_path = Path(self._training_metadata_path)
        if not metadata_path.is_file():
            return
        import json

        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        weights = Path(self.backup_dir) / metadata.get("weights", "latest.weights.h5")
        if self.model.optimizer is not None and not self.model.optimizer.built:
            # The optimizer's slots must exist before its state can be loaded into them.
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(str(weights))
        self.restored_epoch = int(metadata["epoch"])
        self.model._initial_epoch = self.restored_epoch

    def _save_model(self) -> None:
        backup = Path(self.backup_dir)
        backup.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{self._current_epoch:04d}.weights.h5"
        with atomic_path(backup / name, suffix=".weights.h5") as tmp:
            self.model.save_weights(str(tmp), overwrite=True)
        write_json_atomic(self._training_metadata_path, {"epoch": self._current_epoch, "batch": 0, "weights": name})
        for old in backup.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink(missing_ok=True)

    def on_train_end(self, logs: dict | None = None) -> None:
        # Kept on purpose: a run stopped by --time-budget can be continued with --resume.
        pass
