"""Self-check of the evaluation protocol against the literature's bicubic numbers on Set5.

The classic Set5 colour images are not shipped (licence) and cannot be
downloaded in CI; point ``--set5`` at a folder holding baby, bird, butterfly,
head and woman (PNG). The literature's bicubic figures (e.g. Kim et al. 2016,
Lim et al. 2017): x2 33.66 dB, x3 30.39 dB, x4 28.42 dB / 0.8104, x8 24.40 dB.

Route (what produced those numbers): HR uint8 RGB, modcrop; LR = MATLAB
``imresize(HR, 1/s)`` on uint8 (rounded); bicubic = ``imresize(LR, s)`` on
uint8 (rounded); Y of both in float; ``s`` border pixels cut; PSNR peak 255.

Usage::

    python tools/set5_selfcheck.py --set5 ~/data/Set5
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
from PIL import Image

from leuko_keras.protocol.degrade import make_lr, modcrop
from leuko_keras.protocol.metrics import PROTOCOL_TEXT, psnr, ssim
from leuko_keras.runtime.color import rgb_to_y
from leuko_keras.runtime.imresize import imresize, quantize

LITERATURE = {2: (33.66, 0.9299), 3: (30.39, 0.8682), 4: (28.42, 0.8104), 8: (24.40, 0.6580)}


def bicubic_scores(path: Path, scale: int) -> tuple[float, float]:
    """PSNR and SSIM of MATLAB bicubic on one image, on the literature's route."""
    hr = modcrop(np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0, scale)
    lr = make_lr(hr, scale)
    up = quantize(imresize(lr, float(scale)))
    return psnr(rgb_to_y(up), rgb_to_y(hr), crop=scale), ssim(rgb_to_y(up), rgb_to_y(hr), crop=scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set5", type=Path, required=True, help="folder with the five Set5 PNG images")
    parser.add_argument("--scales", type=int, nargs="+", default=[2, 3, 4, 8])
    args = parser.parse_args()
    images = sorted(args.set5.glob("*.png")) + sorted(args.set5.glob("*.bmp"))
    if not images:
        raise SystemExit(f"error: {args.set5}: no PNG or BMP images; point --set5 at the Set5 folder")
    print("| scale | PSNR (ours) | PSNR (literature) | SSIM (ours) | SSIM (literature) |")
    print("|---|---|---|---|---|")
    for scale in args.scales:
        scores = [bicubic_scores(path, scale) for path in images]
        ours_psnr = statistics.fmean(s[0] for s in scores)
        ours_ssim = statistics.fmean(s[1] for s in scores)
        lit_psnr, lit_ssim = LITERATURE.get(scale, (float("nan"), float("nan")))
        print(f"| x{scale} | {ours_psnr:.2f} | {lit_psnr:.2f} | {ours_ssim:.4f} | {lit_ssim:.4f} |")
    print(f"\n{PROTOCOL_TEXT}")


if __name__ == "__main__":
    main()
