"""leuko-keras: super-resolution of leukocyte micrographs with a geometry prior.

Importing the package registers every custom layer, loss and metric with
Keras, so ``keras.models.load_model("model.keras")`` works with no
``custom_objects``.

>>> import leuko_keras
>>> model = leuko_keras.build_model("gp", scale=4)  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"
