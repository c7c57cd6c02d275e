"""history.csv (one row per epoch) and curves.png, rewritten atomically after every epoch.

On ``--resume`` the rows of epochs that will be trained again (killed before
their backup was written) are dropped, so the table never holds an epoch twice.

>>> rows = [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.4}, {"epoch": 3, "loss": 0.3}]
>>> [row["epoch"] for row in drop_from_epoch(rows, 2)]
[1]
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import keras

from leuko_keras.core.atomic import atomic_path, write_text_atomic
from leuko_keras.training.runfolder import RunFolder

FIRST_COLUMNS = ("epoch", "seconds", "learning_rate", "loss", "val_loss")


def read_history(path: Any) -> list[dict[str, Any]]:
    """Rows of a history.csv as dicts of floats (``epoch`` as int); missing file -> []."""
    try:
        text = open(path, encoding="utf-8").read()  # noqa: SIM115 - short read
    except OSError:
        return []
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {}
        for key, value in raw.items():
            if value in ("", None):
                continue
            row[key] = int(float(value)) if key == "epoch" else float(value)
        if "epoch" in row:
            rows.append(row)
    return rows


def drop_from_epoch(rows: list[dict[str, Any]], first_epoch: int) -> list[dict[str, Any]]:
    """Rows of epochs before ``first_epoch`` (1-based epoch numbers, as in the file)."""
    return [row for row in rows if row["epoch"] < first_epoch]


def format_csv(rows: list[dict[str, Any]]) -> str:
    columns = [c for c in FIRST_COLUMNS if any(c in r for r in rows)]
    columns += sorted({k for r in rows for k in r} - set(columns))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return out.getvalue()


def plot_curves(rows: list[dict[str, Any]], path: Any) -> None:
    """Loss, PSNR and Dice per epoch (train and validation) as one PNG, written atomically."""
    # Figure + Agg canvas directly: no pyplot, so no GUI backend and no global state.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    panels = [("loss", "loss"), ("psnr", "PSNR (dB)"), ("dice", "Dice")]
    panels = [(w, t) for w, t in panels if any(w in k.lower() for r in rows for k in r)]
    fig = Figure(figsize=(4.2 * max(len(panels), 1), 3.4), dpi=100)
    FigureCanvasAgg(fig)
    epochs = [r["epoch"] for r in rows]
    for index, (word, title) in enumerate(panels, start=1):
        ax = fig.add_subplot(1, len(panels), index)
        keys = sorted({k for r in rows for k in r if word in k.lower()})
        if word == "loss" and "loss" in keys:  # the total is enough when there is one (GANs have none)
            keys = [k for k in keys if k in ("loss", "val_loss")]
        for key in keys:
            ax.plot(epochs, [r.get(key, float("nan")) for r in rows], marker="o", ms=3, label=key)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    # Fixed margins: tight_layout costs about a second per call on a small CPU, every epoch.
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.9, wspace=0.28)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


class HistoryWriter(keras.callbacks.Callback):
    """Append the epoch's logs to history.csv and redraw curves.png (chief only)."""

    def __init__(self, run: RunFolder, plot: bool = True) -> None:
        super().__init__()
        self.run = run
        self.plot = plot
        self.rows: list[dict[str, Any]] | None = None
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.rows is None:
            # First epoch of this process: on resume, forget epochs that are about to be redone.
            self.rows = drop_from_epoch(read_history(self.run.history), epoch + 1)
        self._started = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        row: dict[str, Any] = {"epoch": epoch + 1, "seconds": round(time.monotonic() - self._started, 3)}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            row["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        for key, value in (logs or {}).items():
            try:
                row[key] = float(value)
            except (TypeError, ValueError):
                continue
        assert self.rows is not None
        self.rows.append(row)
        write_text_atomic(self.run.history, format_csv(self.rows))
        if self.plot:
            plot_curves(self.rows, self.run.curves)
