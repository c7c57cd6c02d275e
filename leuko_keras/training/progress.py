"""Run-level progress: an ETA line per epoch, the time budget, the step and cosine learning-rate decays.

>>> format_seconds(3725)
'1h 02m'
>>> step_decay(1e-4, every=10, factor=0.5)(25, 0.0)
2.5e-05
>>> cosine_rate(4e-4, step=50, total=100)
0.0002
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable

import keras


def format_seconds(seconds: float) -> str:
    """Short human duration: ``42s``, ``3m 05s``, ``1h 02m``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def step_decay(base: float, every: int = 10, factor: float = 0.5) -> Callable[[int, float], float]:
    """Learning rate for a 0-based epoch: ``base`` times ``factor`` once per ``every`` epochs (the paper's halving)."""

    def schedule(epoch: int, _current: float) -> float:
        return float(base * factor ** (epoch // every))

    return schedule


class StepDecay(keras.callbacks.Callback):
    """At each epoch start, set every optimiser of the model to its own starting rate times the step decay.

    Keras's ``LearningRateScheduler`` only sees ``model.optimizer``; a GAN also has a discriminator
    optimiser (``d_optimizer``), which must halve with the generator's. Starting rates come from the
    settings, not from the optimisers, so a resumed run (whose optimisers already hold a decayed rate)
    is not decayed twice.
    """

    def __init__(self, base: float, every: int = 10, factor: float = 0.5) -> None:
        super().__init__()
        self.schedule = step_decay(base, every, factor)
        self.base = float(base)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        set_rates(self.model, self.base, self.schedule(epoch, 0.0) / self.base)


def set_rates(model: keras.Model, base: float, fraction: float) -> None:
    """Set the model's optimiser to ``base * fraction`` and a GAN's discriminator to its own starting rate
    times the same fraction (its starting rate from the compile settings, else ``base``)."""
    model.optimizer.learning_rate = base * fraction
    d_optimizer = getattr(model, "d_optimizer", None)
    if d_optimizer is not None and d_optimizer is not model.optimizer:
        d_base = getattr(model, "_compile_kwargs", {}).get("d_learning_rate") or base
        d_optimizer.learning_rate = float(d_base) * fraction


def cosine_fraction(progress: float, floor: float = 0.0) -> float:
    """Share of the starting rate left at ``progress`` in [0, 1] of a cosine decay to ``floor``."""
    progress = min(max(progress, 0.0), 1.0)
    return float(floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def cosine_rate(base: float, step: int, total: int, floor: float = 0.0) -> float:
    """Cosine decay from ``base`` at step 0 to ``floor * base`` at ``total`` (held there after)."""
    return base * cosine_fraction(step / max(total, 1), floor)


class CosineDecay(keras.callbacks.Callback):
    """Set the learning rate before every batch: cosine from ``base`` to 0 over the run.

    Progress is the global step over ``epochs * steps_per_epoch`` (both from Keras, so a resumed run
    continues the curve where it stopped), or, with a time budget, the share of the budget spent in
    this process if that is further along: a budgeted run on a CPU of unknown speed still ends at a
    rate near 0 (and is then not bit-reproducible, as any time-bounded run). A GAN's discriminator
    follows the same curve from its own starting rate.
    """

    def __init__(
        self,
        base: float,
        epochs: int,
        steps_per_epoch: int | None = None,
        budget_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.base = float(base)
        self.epochs = int(epochs)
        self.steps_per_epoch = steps_per_epoch
        self.budget = budget_seconds
        self.clock = clock
        self._epoch = 0
        self._start = 0.0

    def _steps(self) -> int:
        return int(self.steps_per_epoch or (self.params or {}).get("steps") or 1)

    def progress(self, batch: int) -> float:
        """Share of the run done before ``batch`` of the current epoch, in [0, 1]."""
        steps = self._steps()
        done = (self._epoch * steps + batch) / max(self.epochs * steps, 1)
        if self.budget:
            done = max(done, (self.clock() - self._start) / self.budget)
        return min(done, 1.0)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._start = self.clock()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        set_rates(self.model, self.base, cosine_fraction(self.progress(batch)))


class EtaLine(keras.callbacks.Callback):
    """After each epoch print one line: epoch time, the monitored validation PSNR, ETA for the whole run."""

    def __init__(self, epochs: int, budget_seconds: float | None = None, printer: Callable[[str], None] = print):
        super().__init__()
        self.epochs = epochs
        self.budget = budget_seconds
        self.printer = printer
        self._start = 0.0
        self._epoch_start = 0.0
        self._done = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._start = time.monotonic()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._done += 1
        now = time.monotonic()
        per_epoch = (now - self._start) / self._done
        remaining = per_epoch * (self.epochs - epoch - 1)
        if self.budget is not None:
            remaining = min(remaining, max(0.0, self.budget - (now - self._start)))
        finish = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=remaining)
        psnr = next(
            (f" val PSNR {float(v):.2f} dB," for k, v in (logs or {}).items() if k.startswith("val_") and "psnr" in k),
            "",
        )
        self.printer(
            f"epoch {epoch + 1}/{self.epochs}: {now - self._epoch_start:.1f}s,{psnr} "
            f"ETA {format_seconds(remaining)} (ends ~{finish:%H:%M} UTC)"
        )


class TimeBudget(keras.callbacks.Callback):
    """Stop training cleanly once ``minutes`` of wall time have passed in this process.

    Checked after every batch: the current epoch ends early, is validated and saved as usual (best
    model kept), and the run can be continued with ``--resume``.
    """

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.seconds = float(minutes) * 60.0
        self.clock = clock
        self.stopped_at_epoch: int | None = None
        self._start = 0.0
        self._epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._start = self.clock()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def expired(self) -> bool:
        return self.clock() - self._start >= self.seconds

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.stopped_at_epoch is None and self.expired():
            self.stopped_at_epoch = self._epoch
            self.model.stop_training = True
