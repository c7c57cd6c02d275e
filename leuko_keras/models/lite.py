"""The lite models: the paper's idea with the SR trunk at LR size (``np-lite``, ``gp-lite``).

The paper's GP runs every layer at HR size (96.5 GFLOPs per 224x224
output), so a CPU gets through few steps. Here the trunk works on the LR
luminance and upsamples once at the end::

    LR Y --> conv3x3-64 --> 8 x [SFT? -> conv-LReLU(0.2)-conv (+)] --> conv (+ long skip)
                             ^ gamma, beta (1x1 convs, zero-init)
    LR Y --> prior: U-Net 32-64-128 at LR --> features --+--> conv 3*s^2 -> depth_to_space(s) -> softmax = "mask"
    trunk --> [conv 32*r^2 -> depth_to_space(r) -> LReLU] per x2 step --> conv3x3 -> 1 (zero-init)
    LR Y --> MATLAB bicubic (in-graph) ------------------------------------------(+)--> "sr"

The modulation is the spatial feature transform of SFTGAN, x * (1 + gamma) + beta,
with gamma and beta from 1x1 convolutions of the prior's features. Those convs
start at zero, so an untrained gp-lite is exactly np-lite (and both are exactly
bicubic): the prior first learns the map from its own loss and the modulation
grows only as far as it helps the image. ``condition="concat"`` instead
concatenates the prior's features to the trunk's input once, as the paper
feeds its map; ``sft_blocks`` limits SFT to the first N blocks (ablations).

>>> model = build_gp_lite(scale=4)
>>> sorted(model.output.keys())
['mask', 'sr']
>>> build_np_lite(scale=8).name
'np-lite_x8'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras

from leuko_keras.errors import LeukoInputError
from leuko_keras.layers import BicubicUpsample, PixelShuffle, StopGradient
from leuko_keras.models.blocks import conv, conv_lrelu, sr_head
from leuko_keras.models.registry import model_name, register

# Layers of the lite prior start with this; inference reads the size multiple from its pooling layers.
LITE_PREFIX = "liteprior_"
CONDITIONS = ("sft", "concat")
UPSAMPLERS = ("shuffle", "direct")
MAP_RESOLUTIONS = ("hr", "lr")
# What the trunk is conditioned on: the prior's features, or its predicted HR map (as the oracle's expert map).
COND_SOURCES = ("features", "map")
# Which losses train the prior: both (end to end, the paper) or the map's alone (the image loss stops at the prior).
PRIOR_GRADIENTS = ("joint", "map")

# The CPU training recipe (measured: docs/lite.md), used by `fit --model np-lite|gp-lite` unless overridden.
LITE_RECIPE: dict[str, Any] = {
    "size": 192,
    "batch_size": 16,
    "learning_rate": 4e-4,
    "schedule": "cosine",
    "epochs": 60,
    "steps_per_epoch": 100,
    "precision": "auto",
}
# LR crop multiple of both lite models: gp-lite's U-Net needs 2**prior_depth, and np-lite takes the same
# crops so the pair differs only in the prior (np-lite alone would crop Tecom's cells larger and sample
# them less often).
LITE_CROP_LR_MULTIPLE = 4
# Channels after each pixel shuffle in the registered models: the convs at 2x and 4x LR size cost in
# proportion, and 32 trains better in equal time than the trunk's 64 (docs/lite.md, "Upsampler width").
UPSAMPLE_FILTERS = 32


def upsample_steps(scale: int) -> list[int]:
    """Pixel-shuffle factors for ``scale``: x2 steps for powers of two, one x3 step at x3.

    >>> upsample_steps(8), upsample_steps(3)
    ([2, 2, 2], [3])
    """
    if scale == 3:
        return [3]
    if scale > 1 and scale & (scale - 1) == 0:
        return [2] * (scale.bit_length() - 1)
    raise LeukoInputError(f"scale {scale} is not supported by the lite models; use 2, 3, 4 or 8")


def lite_prior(lr: Any, base: int = 32, depth: int = 2) -> Any:
    """Small U-Net on the LR luminance (channels base * 2**k, k = 0..depth); returns its top features."""
    skips = []
    x = lr
    for level in range(depth):
        x = conv_lrelu(x, base * 2**level, f"{LITE_PREFIX}down{level}a")
        x = conv_lrelu(x, base * 2**level, f"{LITE_PREFIX}down{level}b")
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"{LITE_PREFIX}pool{level}")(x)
    x = conv_lrelu(x, base * 2**depth, f"{LITE_PREFIX}bottom_a")
    x = conv_lrelu(x, base * 2**depth, f"{LITE_PREFIX}bottom_b")
    for level in reversed(range(depth)):
        filters = base * 2**level
        x = keras.layers.Conv2DTranspose(filters, 2, strides=2, name=f"{LITE_PREFIX}up{level}")(x)
        x = keras.layers.Concatenate(name=f"{LITE_PREFIX}cat{level}")([skips[level], x])
        x = conv_lrelu(x, filters, f"{LITE_PREFIX}dec{level}a")
        x = conv_lrelu(x, filters, f"{LITE_PREFIX}dec{level}b")
    return x


def map_head(features: Any, scale: int, classes: int = 3, at: str = "hr") -> Any:
    """HR parsing map from LR features (float32 softmax).

    ``at="hr"``: conv to classes*s^2 and depth_to_space(s), so every HR pixel has its own logits;
    ``at="lr"``: one logit per LR pixel, repeated over its s x s block (the map is learned at LR resolution;
    nearest, because Keras' bilinear resize needs static sizes inside a traced train step).
    """
    if at == "lr":
        logits = keras.layers.Conv2D(classes, 3, padding="same", name=f"{LITE_PREFIX}map_conv")(features)
        logits = keras.layers.UpSampling2D(scale, name=f"{LITE_PREFIX}map_up", dtype="float32")(logits)
    else:
        logits = keras.layers.Conv2D(classes * scale * scale, 3, padding="same", name=f"{LITE_PREFIX}map_conv")(
            features
        )
        logits = PixelShuffle(scale, name=f"{LITE_PREFIX}map_shuffle", dtype="float32")(logits)
    return keras.layers.Softmax(axis=-1, name="mask", dtype="float32")(logits)


def map_condition(hr_map: Any, filters: int, scale: int, slope: float = 0.2, prefix: str = LITE_PREFIX + "map_") -> Any:
    """LR features of an HR map: a stride-s conv sees each LR pixel's s x s block, then two 3x3 convs.

    ``experiments/prior_upper_bound.py`` gives the expert map the same path, so the two differ only in the map.
    """
    x = keras.layers.Conv2D(filters, scale, strides=scale, name=f"{prefix}in")(hr_map)
    x = keras.layers.LeakyReLU(negative_slope=slope, name=f"{prefix}in_lrelu")(x)
    x = conv_lrelu(x, filters, f"{prefix}a", slope)
    return conv_lrelu(x, filters, f"{prefix}b", slope)


def sft(x: Any, condition: Any, filters: int, name: str) -> Any:
    """x * (1 + gamma) + beta with gamma, beta = zero-initialised 1x1 convs of ``condition``."""
    gamma = conv(condition, filters, f"{name}_gamma", kernel=1, kernel_initializer="zeros")
    beta = conv(condition, filters, f"{name}_beta", kernel=1, kernel_initializer="zeros")
    scaled = keras.layers.Multiply(name=f"{name}_mul")([x, gamma])
    return keras.layers.Add(name=f"{name}_add")([x, scaled, beta])


@dataclass(frozen=True)
class LiteSettings:
    """Every choice of a lite model's graph, checked once (the builders' keyword settings, by name).

    >>> LiteSettings(blocks=4).blocks, LiteSettings().upsample_channels
    (4, 64)
    >>> LiteSettings(upsampler="bilinear")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    leuko_keras.errors.LeukoInputError: upsampler='bilinear' is not known; use one of shuffle, direct
    """

    filters: int = 64
    blocks: int = 8
    slope: float = 0.2
    prior_base: int = 32
    prior_depth: int = 2
    condition: str = "sft"
    sft_blocks: int | None = None
    upsampler: str = "shuffle"
    map_at: str = "hr"
    cond_from: str = "features"
    prior_grad: str = "joint"
    upsample_filters: int | None = None

    def __post_init__(self) -> None:
        choices = {
            "condition": CONDITIONS,
            "upsampler": UPSAMPLERS,
            "map_at": MAP_RESOLUTIONS,
            "cond_from": COND_SOURCES,
            "prior_grad": PRIOR_GRADIENTS,
        }
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise LeukoInputError(f"{key}={getattr(self, key)!r} is not known; use one of {', '.join(allowed)}")
        if self.upsample_channels < 1:
            raise LeukoInputError(f"upsample_filters={self.upsample_filters} must be a positive channel count")

    @property
    def upsample_channels(self) -> int:
        """Channels after each pixel shuffle (the trunk's width when ``upsample_filters`` is None)."""
        return self.filters if self.upsample_filters is None else int(self.upsample_filters)


def lite_network(scale: int, with_prior: bool, settings: LiteSettings, name: str = "lite") -> keras.Model:
    """Build a lite model (see the module docstring); ``with_prior=False`` is the no-prior ablation.

    ``upsampler="shuffle"``: a conv to upsample_filters*r^2 and depth_to_space(r) per x2 step, then a
    3x3 head at HR (EDSR); ``"direct"``: one zero-initialised conv to s^2 channels at LR and
    depth_to_space(s) (ESPCN, IMDN), which skips the HR-size convolutions. ``upsample_filters`` is the
    channel count after each shuffle (None: ``filters``; the registered models default to
    ``UPSAMPLE_FILTERS``): the convs at 2x and 4x LR size cost in proportion to it.

    >>> lite_network(4, False, LiteSettings(filters=8, blocks=1)).output["sr"].shape
    (None, None, None, 1)
    """
    lr = keras.Input((None, None, 1), name="lr", dtype="float32")
    outputs: dict[str, Any] = {}
    cond = None
    if with_prior:
        features = lite_prior(lr, settings.prior_base, settings.prior_depth)
        outputs["mask"] = map_head(features, scale, at=settings.map_at)
        source = features if settings.cond_from == "features" else outputs["mask"]
        if settings.prior_grad == "map":
            source = StopGradient(name=f"{LITE_PREFIX}stop_gradient")(source)
        if settings.cond_from == "map":
            source = map_condition(source, settings.filters, scale, settings.slope)
        cond = conv_lrelu(source, settings.filters, f"{LITE_PREFIX}cond", settings.slope, kernel=1)
    outputs["sr"] = lite_trunk(lr, cond, scale, settings)
    return keras.Model(lr, outputs, name=model_name(name, scale))


def lite_trunk(lr: Any, cond: Any, scale: int, settings: LiteSettings) -> Any:
    """The SR output of the LR trunk on ``lr``, modulated by ``cond`` (LR features, or None for no prior).

    Separate from :func:`lite_network` so a benchmark can condition the same trunk on another map
    (the ground-truth upper bound in ``experiments/prior_upper_bound.py``).
    """
    filters, slope = settings.filters, settings.slope
    bicubic = BicubicUpsample(scale, name="bicubic")(lr)
    head_input = lr
    if cond is not None and settings.condition == "concat":
        head_input = keras.layers.Concatenate(name="head_cat")([lr, cond])
    head = conv(head_input, filters, "head")
    x = head
    blocks = settings.blocks
    modulated = blocks if settings.sft_blocks is None else min(int(settings.sft_blocks), blocks)
    for i in range(blocks):
        y = x
        if cond is not None and settings.condition == "sft" and i < modulated:
            y = sft(y, cond, filters, f"block{i}_sft")
        y = conv_lrelu(y, filters, f"block{i}_conv1", slope)
        y = conv(y, filters, f"block{i}_conv2")
        x = keras.layers.Add(name=f"block{i}_add")([x, y])
    x = conv(x, filters, "body_conv")
    x = keras.layers.Add(name="long_skip")([head, x])
    if settings.upsampler == "direct":
        # Zero-initialised like sr_head: the untrained model is exactly bicubic.
        x = keras.layers.Conv2D(
            scale * scale, 3, padding="same", name="up_conv", dtype="float32", kernel_initializer="zeros"
        )(x)
        residual = PixelShuffle(scale, name="up_shuffle", dtype="float32")(x)
        return keras.layers.Add(name="sr", dtype="float32")([bicubic, residual])
    for i, r in enumerate(upsample_steps(scale)):
        x = conv(x, settings.upsample_channels * r * r, f"up{i}_conv")
        x = PixelShuffle(r, name=f"up{i}_shuffle")(x)
        x = keras.layers.LeakyReLU(negative_slope=slope, name=f"up{i}_lrelu")(x)
    return sr_head(x, bicubic, kernel=3)


@register(
    "np-lite",
    "LR",
    ("sr",),
    "Lite no-prior: LR residual trunk, pixel shuffle, bicubic skip",
    recipe=LITE_RECIPE,
    display="NP-lite",
    crop_lr_multiple=LITE_CROP_LR_MULTIPLE,
)
def build_np_lite(
    scale: int = 4,
    filters: int = 64,
    blocks: int = 8,
    slope: float = 0.2,
    upsampler: str = "shuffle",
    upsample_filters: int | None = UPSAMPLE_FILTERS,
) -> keras.Model:
    """np-lite: input LR luminance (B, h, w, 1); output {"sr": (B, s*h, s*w, 1)}."""
    settings = LiteSettings(filters, blocks, slope, upsampler=upsampler, upsample_filters=upsample_filters)
    return lite_network(scale, False, settings, name="np-lite")


@register(
    "gp-lite",
    "LR",
    ("sr", "mask"),
    "Lite geometry prior: LR U-Net map + SFT-modulated LR trunk, pixel shuffle, bicubic skip",
    recipe=LITE_RECIPE,
    display="GP-lite",
    crop_lr_multiple=LITE_CROP_LR_MULTIPLE,
)
def build_gp_lite(
    scale: int = 4,
    filters: int = 64,
    blocks: int = 8,
    slope: float = 0.2,
    prior_base: int = 32,
    prior_depth: int = 2,
    condition: str = "sft",
    sft_blocks: int | None = None,
    upsampler: str = "shuffle",
    map_at: str = "hr",
    cond_from: str = "features",
    prior_grad: str = "joint",
    upsample_filters: int | None = UPSAMPLE_FILTERS,
) -> keras.Model:
    """gp-lite: input LR luminance (B, h, w, 1); outputs {"sr": (B, sH, sW, 1), "mask": (B, sH, sW, 3)}.

    LR sides must be multiples of ``2**prior_depth`` (``super_resolve`` pads for you).
    """
    settings = dict(locals())
    del settings["scale"]
    return lite_network(scale, True, LiteSettings(**settings), name="gp-lite")
