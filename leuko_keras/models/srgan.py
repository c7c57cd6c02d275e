"""SRGAN (Ledig et al. 2017): SRResNet generator + VGG-style discriminator, VGG54 + 1e-3 adversarial loss.

Discriminator: 8 conv 3x3 (64, 64, 128, 128, 256, 256, 512, 512; stride 2
on every second), LeakyReLU 0.2, batch norm on all but the first, dense
1024, LeakyReLU, dense 1 (a logit). The original flattens a fixed 96x96
crop into the dense layer; we global-average-pool first so any crop size
trains (and the dense layer has 0.5 M instead of 18.9 M weights).

>>> model = build_srgan(scale=4)
>>> model.generator.count_params()
1534145
"""

from __future__ import annotations

import keras

from leuko_keras.models.gan import GANModel
from leuko_keras.models.registry import model_name, register
from leuko_keras.models.srresnet import srresnet_generator


def srgan_discriminator(filters: int = 64, name: str = "discriminator") -> keras.Model:
    """Image (B, H, W, 1) -> real/fake logit (B, 1) float32."""
    image = keras.Input((None, None, 1), name="image", dtype="float32")
    x = image
    widths = [filters, filters, 2 * filters, 2 * filters, 4 * filters, 4 * filters, 8 * filters, 8 * filters]
    for i, width in enumerate(widths):
        x = keras.layers.Conv2D(width, 3, strides=1 + i % 2, padding="same", name=f"d_conv{i}")(x)
        if i > 0:
            x = keras.layers.BatchNormalization(momentum=0.9, name=f"d_bn{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2, name=f"d_lrelu{i}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="d_pool")(x)
    x = keras.layers.Dense(16 * filters, name="d_dense")(x)
    x = keras.layers.LeakyReLU(negative_slope=0.2, name="d_dense_lrelu")(x)
    logit = keras.layers.Dense(1, name="d_logit", dtype="float32")(x)
    return keras.Model(image, logit, name=name)


@register(
    "srgan",
    "LR",
    ("sr",),
    "SRGAN (Ledig et al.): SRResNet generator + discriminator, VGG54 loss",
    gan=True,
    display="SRGAN",
)
def build_srgan(
    scale: int = 4,
    blocks: int = 16,
    vgg_weights: str | None = None,
    adversarial_weight: float = 1e-3,
    pixel_weight: float = 0.0,
    content: str = "vgg",
    d_filters: int = 64,
) -> GANModel:
    """SRGAN wrapper; ``vgg_weights``: local VGG19 notop weights file (None = random, for tests only).

    ``content="charbonnier"`` swaps the VGG54 feature loss for the pixel loss (no VGG needed);
    ``d_filters`` is the discriminator's first width (64 in the paper).
    """
    return GANModel(
        generator=srresnet_generator(scale, blocks, name="srgan_generator"),
        discriminator=srgan_discriminator(d_filters),
        vgg_weights=vgg_weights,
        adversarial_weight=adversarial_weight,
        pixel_weight=pixel_weight,
        content=content,
        name=model_name("srgan", scale),
    )
