"""The no-prior (NP) ablation: the GP model's SR network without the U-Net and the mask encoder (paper Fig. 1b).

>>> build_np(scale=4).name
'np_x4'
"""

from __future__ import annotations

import keras

from leuko_keras.models.blocks import image_input
from leuko_keras.models.gp import GLOBAL_RESIDUAL_DEFAULT, sr_network
from leuko_keras.models.registry import model_name, register


@register(
    "np", "bicubic", ("sr",), "No-prior ablation: the GP SR network without parsing map (paper Fig. 1b)", display="NP"
)
def build_np(
    scale: int = 4,
    input_kind: str = "lr",
    global_residual: bool = GLOBAL_RESIDUAL_DEFAULT,
    filters: int = 64,
    slope: float = 0.2,
    lr_blocks: int = 3,
    decoder_blocks: int = 3,
) -> keras.Model:
    """NP model: input LR luminance (B, h, w, 1); output {"sr": (B, H, W, 1)}."""
    inputs, image = image_input(scale, input_kind)
    sr = sr_network(image, None, filters, slope, lr_blocks, 0, decoder_blocks, global_residual)
    return keras.Model(inputs, {"sr": sr}, name=model_name("np", scale))
