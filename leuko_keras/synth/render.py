"""Compose one stained smear crop: background, white cell, stain, optics and sensor noise.

>>> import numpy as np
>>> rgb, labels = render_cell("monocyte", 96, np.random.default_rng(0))
>>> rgb.shape, rgb.dtype.name, sorted(np.unique(labels).tolist())
((96, 96, 3), 'uint8', [0, 1, 2])
"""

from __future__ import annotations

import numpy as np

from leuko_keras.synth.background import RBC_DIAMETER_UM, smear_background
from leuko_keras.synth.cells import Leukocyte, draw_leukocyte
from leuko_keras.synth.shapes import coverage, fractal_noise, gaussian_blur
from leuko_keras.synth.stain import Stain, sample_stain
from leuko_keras.synth.texture import chromatin, granules, speckle

# A red cell spans about a quarter of the crop, as in the CellaVision crops (75 px of 300).
RBC_FRACTION_OF_CROP = 0.245


def render_cell(cell_type: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw one crop with a ``cell_type`` leukocyte; return ``(rgb uint8 (S,S,3), labels uint8 (S,S))``."""
    stain = sample_stain(rng)
    px_per_um = size * RBC_FRACTION_OF_CROP / RBC_DIAMETER_UM * rng.uniform(0.85, 1.12)
    cell = draw_leukocyte(cell_type, size, px_per_um, rng)
    rbc, platelets = smear_background(size, px_per_um, cell.centre, cell.radius, rng)
    od = _optical_density(cell, stain, rbc, platelets, px_per_um, rng)
    light = stain.light * 255.0
    # Uneven illumination (a few percent, slowly varying), as in real bright-field frames.
    shading = 1.0 + stain.shading * fractal_noise(size, rng, size * 0.8, octaves=1)
    img = light[None, None, :] * shading[..., None] * np.exp(-od)
    img = gaussian_blur(img, stain.blur_um * px_per_um)
    img = _camera_noise(img, stain, rng)
    rgb = np.clip(np.round(img), 0, 255).astype(np.uint8)
    labels = np.zeros((size, size), np.uint8)
    labels[cell.outline > 0] = 1
    labels[cell.nucleus > 0] = 2
    return rgb, labels


def _optical_density(
    cell: Leukocyte, stain: Stain, rbc: np.ndarray, platelets: np.ndarray, ppu: float, rng: np.random.Generator
) -> np.ndarray:
    size = rbc.shape[0]
    kind = cell.cell_type
    cell_cov = coverage(cell.outline)
    nuc_cov = coverage(cell.nucleus)
    inside = cell.outline > 0
    cyto_region = inside & (cell.nucleus < -0.3 * ppu)
    # (density map, stain component) pairs; summed in OD space in one matrix product at the end.
    layers: list[tuple[np.ndarray, str]] = []
    # Red cells under the white cell's edge are mostly hidden by it (it lies on top, thicker).
    layers.append((rbc * (1.0 - 0.8 * cell_cov), "rbc"))
    layers.append((platelets * (1.0 - cell_cov), "platelet"))

    # Cytoplasm: ground-glass texture, a denser membrane rim, paler halo next to the nucleus.
    edge = np.exp(-((np.maximum(cell.outline, 0.0) / (0.5 * ppu)) ** 2)) * cell_cov
    halo = np.exp(-((np.maximum(-cell.nucleus, 0.0) / (1.2 * ppu)) ** 2)) * (1.0 - nuc_cov)
    grain = speckle(size, rng, max(1.2, 0.3 * ppu))
    smooth = fractal_noise(size, rng, 3.0 * ppu, octaves=2)
    cyto = 1.0 + 0.12 * grain + 0.1 * smooth
    rim_weight = {"lymphocyte": 0.5, "monocyte": 0.3}.get(kind, 0.2)
    cyto = cyto + rim_weight * edge - (0.35 if kind == "lymphocyte" else 0.15) * halo
    if kind == "monocyte":
        cyto = cyto * (1.0 - _vacuoles(size, rng, cyto_region, ppu))
    layers.append((cell_cov * np.maximum(cyto, 0.05), f"cyto_{kind}"))

    # Nucleus: chromatin clumps, condensed along the nuclear membrane.
    chrom = chromatin(size, rng, ppu, kind)
    membrane = np.exp(-((np.maximum(cell.nucleus, 0.0) / (0.35 * ppu)) ** 2))
    chrom = chrom * (1.0 + 0.25 * membrane)
    nucleus_strength = 0.55 if kind == "basophil" else 1.0
    layers.append((nuc_cov * chrom * nucleus_strength, "nucleus"))

    gran = _granules(kind, size, rng, inside, cyto_region, ppu)
    if gran is not None:
        layers.append((gran[1], gran[0]))
    densities = np.stack([d for d, _ in layers], axis=-1)
    return densities @ np.stack([stain.od[name] for _, name in layers])


def _granules(kind, size, rng, inside, cyto_region, ppu) -> tuple[str, np.ndarray] | None:
    """Granule layer of each type; granule sizes from atlas values (um)."""
    area_cyto = float(cyto_region.sum())
    area_cell = float(inside.sum())
    if kind == "eosinophil":
        # Large, nearly uniform granules packed edge to edge; their stain uptake varies granule to granule.
        r = rng.uniform(0.28, 0.36) * ppu
        n = int(rng.uniform(0.6, 0.95) * area_cyto / (0.866 * (2.15 * r) ** 2))
        dens = granules(size, rng, cyto_region, n, r, size_spread=0.12, packed=True, weight_range=(0.45, 1.15))
        return "granule_eosinophil", dens
    if kind == "basophil":
        # Coarse granules of uneven size over nucleus and cytoplasm: that is what hides the nucleus.
        r = rng.uniform(0.32, 0.45) * ppu
        n = int(rng.uniform(0.45, 0.8) * area_cell / (np.pi * r * r))
        return "granule_basophil", granules(size, rng, inside, n, r, size_spread=0.35) * 1.2
    if kind == "neutrophil":
        r = max(0.6, 0.14 * ppu)
        n = int(0.35 * area_cyto / (np.pi * r * r))
        return "granule_neutrophil", granules(size, rng, cyto_region, n, r, size_spread=0.3) * 0.3
    if kind == "lymphocyte" and rng.random() < 0.35:  # a few azurophilic granules
        r = max(0.6, 0.2 * ppu)
        return "granule_neutrophil", granules(size, rng, cyto_region, int(rng.integers(3, 12)), r) * 0.9
    if kind == "monocyte":
        r = max(0.6, 0.12 * ppu)
        n = int(0.2 * area_cyto / (np.pi * r * r))
        return "granule_neutrophil", granules(size, rng, cyto_region, n, r, size_spread=0.3) * 0.25
    return None


def _vacuoles(size: int, rng: np.random.Generator, region: np.ndarray, ppu: float) -> np.ndarray:
    """Pale round vacuoles (0..~0.8 loss of density) in monocyte cytoplasm."""
    n = int(rng.integers(0, 9))
    return 0.8 * granules(size, rng, region, n, rng.uniform(0.25, 0.5) * ppu, size_spread=0.3)


def _camera_noise(img: np.ndarray, stain: Stain, rng: np.random.Generator) -> np.ndarray:
    """Signal-dependent (shot) plus constant (read) Gaussian noise, in grey levels."""
    sigma = np.sqrt(stain.noise_gain * np.maximum(img, 0.0) + stain.noise_floor**2)
    return img + sigma * rng.standard_normal(img.shape, dtype=np.float32)
