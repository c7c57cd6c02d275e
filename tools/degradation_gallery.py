"""One synthetic cell under each degradation (docs/degradations.png).

Columns: the HR cell, then its LR image under ``bicubic``, ``microscope`` and ``phone`` at the default
parameters (phone at JPEG quality 80), shown with nearest-neighbour enlargement so the LR pixels are
visible; one row per scale. Seeded: the same command writes the same picture.

    python tools/degradation_gallery.py --out docs/degradations.png
    python tools/degradation_gallery.py --real 12 --out docs/degradations_real.png   # draws of --degradation real

With ``--real N``: N draws of the real-optics family (``--degradation real``) on one cell at x4, each
labelled with its chain (PSF kind, NA, defocus, sampling, noise, JPEG).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

KINDS = ("bicubic", "microscope", "phone")
SETTINGS = {"phone": {"jpeg_quality": 80}}
LABEL_HEIGHT = 18


def panels(size: int, scales: list[int], seed: int) -> list[list[tuple[str, np.ndarray]]]:
    """Rows of (label, RGB image in [0, 1] at ``size`` x ``size``), one row per scale."""
    from leuko_keras.data.degradations import degrade
    from leuko_keras.synth import generate

    hr = generate(1, size=size, seed=seed)[0].rgb / 255.0
    rows = []
    for scale in scales:
        row = [("HR", hr)]
        for kind in KINDS:
            lr = degrade(hr, scale, kind, np.random.default_rng(seed), **SETTINGS.get(kind, {}))
            row.append((f"{kind} x{scale}", np.kron(lr, np.ones((scale, scale, 1)))))
        rows.append(row)
    return rows


def real_panels(size: int, count: int, seed: int, per_row: int = 6) -> list[list[tuple[str, np.ndarray]]]:
    """Rows of draws of the real-optics family at x4, the HR cell first."""
    from leuko_keras.data.degradations import apply_degradation, degradation_record
    from leuko_keras.synth import generate

    hr = generate(1, size=size, seed=seed)[0].rgb / 255.0
    record = degradation_record("real")
    cells = [("HR", hr)]
    for i in range(count):
        lr, used = apply_degradation(hr, 4, record, np.random.default_rng([seed, i]))
        cells.append((_chain_label(used), np.kron(lr, np.ones((4, 4, 1)))))
    return [cells[i : i + per_row] for i in range(0, len(cells), per_row)]


def _chain_label(used: dict) -> str:
    if used["clean"]:
        return "clean bicubic"
    noise = "no noise" if used["photons_per_level"] is None else f"{used['photons_per_level']:.0f}e"
    jpeg = f" q{used['jpeg_quality']}" if used["jpeg_quality"] else ""
    return f"{used['psf'][:5]} NA{used['na']:.2f} df{used['defocus_waves']:.1f} {noise}{jpeg}"


def compose(rows: list[list[tuple[str, np.ndarray]]], gap: int = 4) -> Image.Image:
    """The panels on a white sheet, each with its label above."""
    side = rows[0][0][1].shape[0]
    width = len(rows[0]) * (side + gap) + gap
    height = len(rows) * (side + LABEL_HEIGHT + gap) + gap
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(rows):
        top = gap + r * (side + LABEL_HEIGHT + gap)
        for c, (label, image) in enumerate(row):
            left = gap + c * (side + gap)
            draw.text((left + 2, top + 3), label, fill="black")
            pixels = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
            sheet.paste(Image.fromarray(pixels), (left, top + LABEL_HEIGHT))
    return sheet


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/degradations.png")
    p.add_argument("--size", type=int, default=192, help="HR side (a multiple of every scale)")
    p.add_argument("--scales", type=int, nargs="+", default=[4, 8])
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--real", type=int, default=0, help="Draws of the real-optics family instead (x4)")
    args = p.parse_args(argv)
    from leuko_keras.core.atomic import atomic_path

    rows = real_panels(args.size, args.real, args.seed) if args.real else panels(args.size, args.scales, args.seed)
    sheet = compose(rows)
    with atomic_path(Path(args.out)) as tmp:
        sheet.save(tmp, format="PNG", optimize=True)
    print(f"wrote {args.out} ({sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
