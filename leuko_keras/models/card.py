"""Model cards: parameter count, FLOPs for a 224x224 HR output, what the network works on.

FLOPs are counted by TensorFlow's graph profiler on the inference graph
(multiply and add counted separately, so FLOPs = 2 x MACs), batch 1, for
an LR input of 224/s x 224/s. For GAN models the card describes the
generator (the network that runs at inference); the discriminator's
parameters are listed apart.

>>> card = model_card("srcnn", scale=4)
>>> card.params, card.flops > 2 * 57_000 * 224 * 224 * 0.9
(57281, True)
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from leuko_keras.models.registry import build_model, model_info

CARD_SIZE = 224


@dataclasses.dataclass(frozen=True)
class ModelCard:
    """One row of ``leuko-keras models``."""

    name: str
    scale: int
    params: int
    discriminator_params: int | None
    flops: int
    works_on: str
    outputs: tuple[str, ...]
    description: str


def count_flops(model: keras.Model, lr_size: int) -> int:
    """FLOPs (2 x MACs) of one forward pass of ``model`` on a (1, lr_size, lr_size, 1) input."""
    spec = tf.TensorSpec([1, lr_size, lr_size, 1], tf.float32)
    concrete = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # the v1 profiler prints a deprecation notice on every call
    try:
        profile = tf.compat.v1.profiler.profile(
            graph=concrete.graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options
        )
    finally:
        logger.setLevel(level)
    return int(profile.total_float_ops)


def model_card(name: str, scale: int = 4, size: int = CARD_SIZE, flops: bool = True) -> ModelCard:
    """Build ``name`` at ``scale`` and describe it (FLOPs for a ``size`` x ``size`` HR output; 0 if not asked)."""
    info = model_info(name)
    model = build_model(name, scale=scale)
    generator = getattr(model, "generator", model)
    discriminator = getattr(model, "discriminator", None)
    return ModelCard(
        name=name,
        scale=scale,
        params=int(generator.count_params()),
        discriminator_params=None if discriminator is None else int(discriminator.count_params()),
        flops=count_flops(generator, size // scale) if flops else 0,
        works_on=info.works_on,
        outputs=info.outputs,
        description=info.description,
    )
