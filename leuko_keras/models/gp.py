"""The geometry-prior (GP) model of the paper: U-Net parsing map + map-conditioned SR network.

Graph (all at HR size, on the in-graph MATLAB bicubic of the LR input)::

    bicubic --> U-Net (32..512) --> "mask" (softmax, 3 classes)
       |                              |
       +--> conv3x3-64 + LReLU = shallow      conv3x3-64 + LReLU + 3 res blocks = mask features
       |        |                             |
       |        +--> 3 res blocks = deep      |
       |        concat(shallow, deep, mask features) = 192 channels
       |        --> conv3x3-64 + LReLU --> 3 res blocks --> conv1x1 -> 1
       +------------------------------------------------------(+)--> "sr"  (global residual)

Counting residual blocks: the image path holds 6 (3 in the LR encoder, 3 in
the decoder), which is the paper's "6 residual blocks in the SR branch"; the
mask encoder's 3 blocks belong to the prior path (the NP ablation drops them
and still has 6). The SR network takes the *predicted* soft map, so the
whole graph trains end to end.

>>> model = build_gp(scale=4)
>>> sorted(model.output.keys())
['mask', 'sr']
"""

from __future__ import annotations

from typing import Any

import keras

from leuko_keras.models.blocks import conv_lrelu, image_input, residual_block, sr_head
from leuko_keras.models.registry import model_name, register
from leuko_keras.models.unet import unet_probs

# Chosen by measurement (docs/models.md): at equal steps, learning the residual over
# the bicubic image trains faster than learning the whole image.
GLOBAL_RESIDUAL_DEFAULT = True


def sr_network(
    image: Any,
    probs: Any | None,
    filters: int = 64,
    slope: float = 0.2,
    lr_blocks: int = 3,
    mask_blocks: int = 3,
    decoder_blocks: int = 3,
    global_residual: bool = GLOBAL_RESIDUAL_DEFAULT,
) -> Any:
    """The SR branch on the bicubic ``image``, conditioned on ``probs`` (None: no-prior ablation)."""
    shallow = conv_lrelu(image, filters, "feat", slope)
    deep = shallow
    for i in range(lr_blocks):
        deep = residual_block(deep, f"lrenc{i}", filters, slope)
    parts = [shallow, deep]
    if probs is not None:
        m = conv_lrelu(probs, filters, "maskenc_in", slope)
        for i in range(mask_blocks):
            m = residual_block(m, f"maskenc{i}", filters, slope)
        parts.append(m)
    x = keras.layers.Concatenate(name="fuse_cat")(parts)
    x = conv_lrelu(x, filters, "fuse", slope)
    for i in range(decoder_blocks):
        x = residual_block(x, f"dec{i}", filters, slope)
    return sr_head(x, image if global_residual else None)


@register(
    "gp",
    "bicubic",
    ("sr", "mask"),
    "Geometry prior: U-Net parsing map + map-conditioned SR network (paper)",
    display="GP",
)
def build_gp(
    scale: int = 4,
    input_kind: str = "lr",
    global_residual: bool = GLOBAL_RESIDUAL_DEFAULT,
    filters: int = 64,
    slope: float = 0.2,
    lr_blocks: int = 3,
    mask_blocks: int = 3,
    decoder_blocks: int = 3,
    unet_base: int = 32,
    unet_depth: int = 4,
) -> keras.Model:
    """GP model: input LR luminance (B, h, w, 1); outputs {"sr": (B, H, W, 1), "mask": (B, H, W, 3)}.

    >>> build_gp(scale=8).name
    'gp_x8'
    """
    inputs, image = image_input(scale, input_kind)
    probs = unet_probs(image, base=unet_base, depth=unet_depth)
    sr = sr_network(image, probs, filters, slope, lr_blocks, mask_blocks, decoder_blocks, global_residual)
    return keras.Model(inputs, {"sr": sr, "mask": probs}, name=model_name("gp", scale))
