"""The multi-worker cluster description (``TF_CONFIG``), read from the environment without TensorFlow.

Both the fit configuration (which refuses settings a multi-worker run cannot honour) and the device
layer (which picks ``MultiWorkerMirroredStrategy``) read it, so it lives below both.

>>> read_tf_config({}) is None
True
"""

from __future__ import annotations

import json
import os
from typing import Any

from leuko_keras.errors import LeukoInputError


def read_tf_config(environ: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The parsed ``TF_CONFIG`` cluster description, or None when unset; malformed JSON is a user error."""
    raw = (environ if environ is not None else os.environ).get("TF_CONFIG", "").strip()
    if not raw:
        return None
    try:
        tf_config = json.loads(raw)
        tf_config["cluster"]["worker"]
        tf_config["task"]["type"], tf_config["task"]["index"]
    except (ValueError, KeyError, TypeError):
        raise LeukoInputError(
            "TF_CONFIG: not a cluster description; expected "
            '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": 0}}'
        ) from None
    return tf_config
