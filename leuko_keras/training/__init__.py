"""Training: ``leuko-keras fit`` as a library call.

>>> from leuko_keras.training import FitConfig, fit
>>> result = fit(FitConfig(out="runs/gp_x4", model="gp", scale=4))  # doctest: +SKIP
"""

from __future__ import annotations

from leuko_keras.runs.fitconfig import FitConfig
from leuko_keras.training.fit import FitHooks, FitResult, fit, resume_config

__all__ = ["FitConfig", "FitHooks", "FitResult", "fit", "resume_config"]
