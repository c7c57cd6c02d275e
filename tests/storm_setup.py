"""The run of test_fit_kill_storm.py: the tiny model on the library's own training stream (imported by its driver)."""

from __future__ import annotations

from pathlib import Path

from helpers import hooks, tiny_config

from leuko_keras.training import fit, resume_config

EPOCHS = 6


def run(out: str | Path, resume: bool = False):
    """Train (or resume) the storm run in ``out``: random crops, shuffles and flips from the real pipeline."""
    # make_dataset=None: the library's pipeline (its (seed, epoch)-keyed stream) instead of the fixed tiny data.
    chosen = hooks(make_dataset=None)
    if resume:
        return fit(resume_config(out), chosen)
    config = tiny_config(out, epochs=EPOCHS, steps_per_epoch=2, batch_size=3, synthetic_count=5, seed=3)
    return fit(config, chosen)
