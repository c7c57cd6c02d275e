"""Stain colours as optical densities (Beer-Lambert), with per-smear variation.

Each component (red cells, nucleus, each cytoplasm, each granule kind) has an
optical-density vector; a pixel's colour is ``light * exp(-sum(density * od))``.
Mixing in OD space is what makes overlaps and thin regions look like real
stained material instead of alpha-blended paint.

>>> import numpy as np
>>> stain = sample_stain(np.random.default_rng(0))
>>> sorted(stain.od)[:3]
['cyto_basophil', 'cyto_eosinophil', 'cyto_lymphocyte']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Reference colours (8-bit RGB) measured by eye and by class means on the CellaVision crops,
# under a pale cream illumination. Full-density colour of each component.
_REFERENCE_LIGHT = np.array([252, 238, 218], np.float32)
_REFERENCE_RGB = {
    "rbc": (218, 156, 158),
    "platelet": (140, 90, 165),
    "nucleus": (104, 50, 146),
    "cyto_neutrophil": (226, 200, 208),
    "cyto_eosinophil": (230, 196, 184),
    "cyto_basophil": (205, 178, 208),
    "cyto_lymphocyte": (186, 188, 216),
    "cyto_monocyte": (192, 180, 210),
    "granule_neutrophil": (190, 140, 185),
    "granule_eosinophil": (208, 128, 108),
    "granule_basophil": (62, 28, 92),
    "membrane": (150, 120, 170),
}
# Components taken up by the basic dye (haematoxylin / methylene blue) versus the acidic one (eosin).
_BASIC = {"platelet", "nucleus", "cyto_lymphocyte", "cyto_monocyte", "cyto_basophil", "granule_basophil", "membrane"}


@dataclass
class Stain:
    """One smear's look: illumination colour, OD vectors, optics and sensor noise."""

    light: np.ndarray  # (3,) float32 in [0, 1]
    od: dict[str, np.ndarray]  # component -> (3,) optical density at full concentration
    blur_um: float  # optical point-spread sigma in micrometres
    noise_gain: float  # shot-noise gain (grey levels^2 per grey level)
    noise_floor: float  # read-noise sigma in grey levels
    style: float  # 0 = sharp CellaVision-like, 1 = soft yellow Tecom-like
    shading: float  # relative amplitude of uneven illumination


def od_from_rgb(rgb: tuple[int, int, int], light: np.ndarray = _REFERENCE_LIGHT) -> np.ndarray:
    """Optical density of an 8-bit colour seen under ``light`` (8-bit), clipped at 0.

    >>> od_from_rgb((252, 238, 218)).tolist()
    [0.0, 0.0, 0.0]
    """
    rgb_arr = np.asarray(rgb, np.float32)
    return np.maximum(-np.log(np.maximum(rgb_arr, 1.0) / light), 0.0).astype(np.float32)


def sample_stain(rng: np.random.Generator) -> Stain:
    """Draw a stain: dye strengths, hue drift, illumination, blur and noise vary smear to smear."""
    # Most smears look like the sharp CellaVision crops; some like the soft, yellow Tecom ones.
    style = float(rng.uniform(0.65, 1.0)) if rng.random() < 0.25 else float(rng.uniform(0.0, 0.25))
    cream = np.array([252, 238, 218], np.float32)
    yellow = np.array([246, 242, 172], np.float32)
    light = (1 - style) * cream + style * yellow + rng.normal(0, 3.0, 3)
    light = np.clip(light, 150, 255) / 255.0
    basic = float(np.exp(rng.normal(0, 0.12)))
    acid = float(np.exp(rng.normal(0, 0.12)))
    od = {}
    for name, rgb in _REFERENCE_RGB.items():
        vec = od_from_rgb(rgb) * (basic if name in _BASIC else acid)
        vec = vec * np.exp(rng.normal(0, 0.06, 3)).astype(np.float32)  # hue drift per component
        if style > 0.5 and name in _BASIC:
            vec = vec * np.array([0.85, 1.0, 1.25], np.float32)  # rapid stains: bluer dye, browner look
        if style > 0.5 and name == "rbc":
            vec = vec * 0.5  # red cells look like pale ghosts in rapid-stain (Tecom) smears
        od[name] = vec.astype(np.float32)
    blur_um = float(rng.uniform(0.04, 0.11) + style * rng.uniform(0.04, 0.1))
    return Stain(
        light=light.astype(np.float32),
        od=od,
        blur_um=blur_um,
        noise_gain=float(rng.uniform(0.0, 0.03)),
        noise_floor=float(rng.uniform(0.3, 1.2)),
        style=style,
        shading=float(rng.uniform(0.0, 0.03)),
    )
