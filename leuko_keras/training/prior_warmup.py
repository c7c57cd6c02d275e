"""``fit --prior-steps N``: train the parsing-map prior alone for N steps before the whole model.

The prior (gp-lite's LR U-Net and map head; the paper GP's U-Net) is a small part of the graph: at x8 a
prior-only step skips the trunk and its HR-size upsampling convolutions, so it costs a fraction of a full step.
Trained end to end from the start, the prior's map is still coarse when the trunk learns to read it (validation
map Dice 0.81 after 750 gp-lite steps at x8), and the modulation adapts to a map that keeps changing; warmed up
first, the trunk reads a steadier map from its first step. Measured at x8 (docs/lite.md): 1,000 prior-only steps
took 145 s and did not make gp-lite beat np-lite (+0.05 / -0.13 dB on the CellaVision / Tecom test splits).

The warm-up shares the model's layers through a sub-model from the input to the ``mask`` output, with its own
Adam and the map loss alone. Its wall time counts against ``--time-budget``, so an equal-time comparison stays
equal, and what it did is written to ``prior_warmup.json`` in the run folder.

>>> import leuko_keras
>>> sorted(prior_layers(leuko_keras.build_model("gp-lite", scale=4)))[:2]
['liteprior_bottom_a', 'liteprior_bottom_b']
>>> prior_layers(leuko_keras.build_model("np-lite", scale=4))
[]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from leuko_keras.errors import LeukoInputError


def prior_submodel(model: Any) -> Any | None:
    """The model's path from its input to its ``mask`` output (layers shared, not copied); None without a prior."""
    import keras

    outputs = model.output
    if not isinstance(outputs, dict) or "mask" not in outputs:
        return None
    return keras.Model(model.inputs, outputs["mask"], name=f"{model.name}_prior")


def prior_layers(model: Any) -> list[str]:
    """Names of the layers with weights that the warm-up trains."""
    sub = prior_submodel(model)
    return [] if sub is None else [layer.name for layer in sub.layers if layer.weights]


def warm_up_prior(
    model: Any,
    train: Any,
    steps: int,
    learning_rate: float,
    beta_1: float = 0.9,
    printer: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train the prior of ``model`` on the map loss for ``steps`` batches of ``train`` (``(lr, {"mask": ...})``).

    Call inside the distribution strategy's scope. Returns ``{"steps", "seconds", "map_dice", "map_loss"}``.

    >>> warm_up_prior(build_model("gp-lite", scale=4), dataset, steps=200, learning_rate=4e-4)  # doctest: +SKIP
    {'steps': 200, 'seconds': 41.2, 'map_dice': 0.83, 'map_loss': 0.31}
    """
    import keras

    from leuko_keras.models.keras_metrics import MapDice
    from leuko_keras.models.losses import map_loss

    sub = prior_submodel(model)
    if sub is None:
        raise LeukoInputError(
            f"--prior-steps {steps}: {model.name} has no parsing-map prior to warm up; drop the flag or use gp-lite"
        )
    sub.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1),
        loss=map_loss(),
        metrics=[MapDice()],
    )
    maps_only = train.map(lambda lr, targets: (lr, targets["mask"]))
    start = time.monotonic()
    history = sub.fit(maps_only, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False).history
    seconds = time.monotonic() - start
    result = {
        "steps": int(steps),
        "seconds": round(seconds, 3),
        "map_dice": float(history["map_dice"][-1]),
        "map_loss": float(history["loss"][-1]),
    }
    printer(
        f"prior warm-up: {steps} steps of the map alone in {seconds:.0f} s, "
        f"map Dice {result['map_dice']:.3f} (the whole model trains next)"
    )
    return result
