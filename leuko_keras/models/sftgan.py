"""SFTGAN (Wang et al. 2018) conditioned on our prior network's parsing map.

Generator: the in-graph bicubic image goes through the GP model's U-Net
(layers ``prior_*``) to a 3-class soft map (output ``"mask"``); a condition
network (conv s x s stride s to LR size, then three 1x1 convs, LeakyReLU
0.1) turns it into 32 shared condition channels. The LR image passes a 3x3
conv, 16 residual blocks whose features are modulated by Spatial Feature
Transform layers (x * (1 + gamma) + beta, gamma and beta from the condition
by two 1x1 convs each), an SFT + conv with long skip, nearest x2 upsampling
stages with conv + ReLU (one x3 stage at x3), conv + ReLU and a 3x3 conv to
one channel. Discriminator: the SRGAN one (the original's extra
segmentation head is left out). Pass ``prior_from`` (a trained GP ``.keras``)
to copy and freeze its U-Net, as the original uses a pretrained
segmentation network; otherwise the map is trained with the GAN through the
map loss.

>>> gan = build_sftgan(scale=4, blocks=2)
>>> sorted(gan.generator.output.keys())
['mask', 'sr']
"""

from __future__ import annotations

from typing import Any

import keras

from leuko_keras.errors import LeukoInputError
from leuko_keras.models.blocks import image_input
from leuko_keras.models.gan import GANModel
from leuko_keras.models.registry import model_name, register
from leuko_keras.models.srgan import srgan_discriminator
from leuko_keras.models.unet import PREFIX, unet_probs


def _lrelu(x: Any, name: str) -> Any:
    return keras.layers.LeakyReLU(negative_slope=0.1, name=name)(x)


def condition_network(probs: Any, scale: int, width: int = 128, out: int = 32) -> Any:
    """HR map probabilities -> LR-size condition features (SFTGAN's CondNet)."""
    x = _lrelu(keras.layers.Conv2D(width, scale, strides=scale, name="cond_conv0")(probs), "cond_lrelu0")
    x = _lrelu(keras.layers.Conv2D(width, 1, name="cond_conv1")(x), "cond_lrelu1")
    x = _lrelu(keras.layers.Conv2D(width, 1, name="cond_conv2")(x), "cond_lrelu2")
    return keras.layers.Conv2D(out, 1, name="cond_conv3")(x)


def sft(x: Any, cond: Any, name: str, filters: int = 64, hidden: int = 32) -> Any:
    """Spatial Feature Transform: x * (1 + gamma(cond)) + beta(cond)."""

    def branch(kind: str) -> Any:
        h = _lrelu(keras.layers.Conv2D(hidden, 1, name=f"{name}_{kind}0")(cond), f"{name}_{kind}_lrelu")
        return keras.layers.Conv2D(filters, 1, name=f"{name}_{kind}1")(h)

    gamma, beta = branch("scale"), branch("shift")
    scaled = keras.layers.Multiply(name=f"{name}_mul")([x, gamma])
    return keras.layers.Add(name=f"{name}_add")([x, scaled, beta])


def _upsample(x: Any, scale: int, filters: int) -> Any:
    factors = [3] if scale == 3 else [2] * (scale.bit_length() - 1)
    for i, r in enumerate(factors):
        x = keras.layers.UpSampling2D(r, interpolation="nearest", name=f"up{i}")(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"up{i}_conv")(x)
    return x


def sftgan_generator(scale: int, blocks: int = 16, filters: int = 64, unet_base: int = 32) -> keras.Model:
    """Input "lr" (B, h, w, 1) -> {"sr": (B, H, W, 1), "mask": (B, H, W, 3)}, both float32."""
    lr, image = image_input(scale, "lr")
    probs = unet_probs(image, base=unet_base)
    cond = condition_network(probs, scale)
    head = keras.layers.Conv2D(filters, 3, padding="same", name="head_conv")(lr)
    x = head
    for i in range(blocks):
        y = sft(x, cond, f"res{i}_sft1", filters)
        y = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"res{i}_conv1")(y)
        y = sft(y, cond, f"res{i}_sft2", filters)
        y = keras.layers.Conv2D(filters, 3, padding="same", name=f"res{i}_conv2")(y)
        x = keras.layers.Add(name=f"res{i}_add")([x, y])
    x = sft(x, cond, "body_sft", filters)
    x = keras.layers.Conv2D(filters, 3, padding="same", name="body_conv")(x)
    x = keras.layers.Add(name="long_skip")([head, x])
    x = _upsample(x, scale, filters)
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name="hr_conv")(x)
    sr = keras.layers.Conv2D(1, 3, padding="same", name="sr", dtype="float32")(x)
    return keras.Model(lr, {"sr": sr, "mask": probs}, name="sftgan_generator")


def copy_prior(target: keras.Model, source_path: str, freeze: bool = True) -> int:
    """Copy the U-Net (``prior_*`` layers) of a saved GP model into ``target``; returns the layer count."""
    try:
        source = keras.models.load_model(source_path, compile=False)
    except (ValueError, OSError) as error:
        raise LeukoInputError(
            f"{source_path}: cannot load the prior model ({error}); pass a trained GP .keras"
        ) from error
    copied = 0
    for layer in target.layers:
        if layer.name.startswith(PREFIX) and layer.weights:
            try:
                layer.set_weights(source.get_layer(layer.name).get_weights())
            except ValueError as error:
                raise LeukoInputError(
                    f"{source_path}: has no matching U-Net layer {layer.name}; pass a GP model"
                ) from error
            layer.trainable = not freeze
            copied += 1
    return copied


@register(
    "sftgan",
    "LR",
    ("sr", "mask"),
    "SFTGAN (Wang et al.) modulated by our U-Net parsing map",
    gan=True,
    display="SFTGAN",
)
def build_sftgan(
    scale: int = 4,
    blocks: int = 16,
    vgg_weights: str | None = None,
    adversarial_weight: float = 1e-3,
    pixel_weight: float = 0.0,
    content: str = "vgg",
    d_filters: int = 64,
    prior_from: str | None = None,
    freeze_prior: bool = True,
    unet_base: int = 32,
) -> GANModel:
    """SFTGAN wrapper; ``prior_from``: a trained GP ``.keras`` whose U-Net is copied (and frozen)."""
    generator = sftgan_generator(scale, blocks, unet_base=unet_base)
    if prior_from is not None:
        copy_prior(generator, prior_from, freeze_prior)
    return GANModel(
        generator=generator,
        discriminator=srgan_discriminator(d_filters),
        vgg_weights=vgg_weights,
        adversarial_weight=adversarial_weight,
        pixel_weight=pixel_weight,
        content=content,
        name=model_name("sftgan", scale),
    )
