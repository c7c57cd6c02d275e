"""Super-resolve an RGB micrograph with a saved leuko-keras model.

Y goes through the network; Cb and Cr are upscaled with the MATLAB bicubic,
then the three are merged back to RGB (the usual protocol of the SR
literature, and of the paper).

    python examples/predict_rgb.py model.keras cell_lr.bmp cell_sr.png [--map cell_map.png]

``model.keras`` is any saved registered model (or a run folder holding
best.keras); the scale is read from the model.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from PIL import Image

import leuko_keras  # noqa: F401  (registers the custom layers so load works)
from leuko_keras.errors import LeukoInputError
from leuko_keras.models import model_scale
from leuko_keras.models.inference import super_resolve
from leuko_keras.runs.model_io import load_model_any
from leuko_keras.runtime.rgb import round_trip

# Paper colours for the parsing map: background black, cytoplasm red, nucleus blue.
MAP_COLOURS = np.array([[0, 0, 0], [255, 0, 0], [0, 0, 255]], dtype=np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help=".keras file or run folder")
    parser.add_argument("image", help="low-resolution RGB image")
    parser.add_argument("out", help="output RGB image (.png)")
    parser.add_argument("--map", help="also write the predicted parsing map here (GP models)")
    args = parser.parse_args()

    model, _ = load_model_any(args.model, compile=False)
    scale = model_scale(model)
    rgb = np.asarray(Image.open(args.image).convert("RGB"), dtype=np.float64) / 255.0
    # Y through the network (any size: super_resolve pads and crops for the U-Net); Cb, Cr MATLAB bicubic.
    sr_rgb, probs = round_trip(rgb, lambda y: super_resolve(model, y.astype(np.float32)), scale)
    Image.fromarray((np.clip(sr_rgb, 0, 1) * 255 + 0.5).astype(np.uint8)).save(args.out)
    print(f"{args.out}: {sr_rgb.shape[1]}x{sr_rgb.shape[0]} (x{scale} with {model.name})")
    if args.map and probs is not None:
        Image.fromarray(MAP_COLOURS[probs.argmax(-1)]).save(args.map)
        print(f"{args.map}: parsing map (black background, red cytoplasm, blue nucleus)")


if __name__ == "__main__":
    try:
        main()
    except LeukoInputError as error:
        raise SystemExit(f"error: {error}") from None
