"""Wide-field screening on the BCCD smear fields: detection against the expert boxes, SR crops, time, memory.

Each 640 x 480 field is shrunk (MATLAB bicubic, or ``--degradation microscope|phone``, one seeded draw
per field) to play the low-power objective, screened with the model loaded once
(:func:`leuko_keras.runtime.screen.screen_image`, what ``leuko-keras screen`` runs, without the file
writes), and scored:

- recall / precision of leukocytes: a detection matches an expert WBC box at IoU >= 0.5 (the box scaled to
  the LR field, i.e. the detection scaled up by ``s``), one box to one detection, greedily by IoU;
- false detections on red cells / platelets: unmatched detections with IoU >= 0.5 to an RBC or platelet box,
  and the share of fields with at least one;
- each cell crop's SR luminance vs the original field's crop (PSNR/SSIM on Y, border = scale) against
  bicubic of the same LR crop, with paired bootstrap 95 % CIs;
- time per field (median, after one warm-up field) and the process's peak RSS.

    python benchmarks/screen.py --scale 4 --scale 8 --degradation bicubic
    python benchmarks/screen.py --scale 4 --detector gp-lite-x8 --limit 50
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from leuko_keras.core.machine import machine
from leuko_keras.evaluation.bootstrap import paired_bootstrap
from leuko_keras.predict import load_backend
from leuko_keras.protocol.degrade import bicubic_upscale, make_lr, modcrop
from leuko_keras.protocol.metrics import psnr, ssim
from leuko_keras.runtime.color import rgb_to_y
from leuko_keras.runtime.imageio import LoadedImage, read_image
from leuko_keras.runtime.screen import screen_image, screen_options

BCCD = Path(__file__).resolve().parents[2] / "shared" / "data" / "bccd"
OTHER = ("RBC", "Platelets")


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes (ends exclusive).

    >>> iou((0, 0, 2, 2), (1, 0, 3, 2))
    0.3333333333333333
    """
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match(found: list[tuple], truth: list[tuple], threshold: float = 0.5) -> set[int]:
    """Indices of ``found`` matched one to one to ``truth`` at IoU >= ``threshold`` (greedy, best first).

    >>> sorted(match([(0, 0, 10, 10), (0, 0, 9, 10)], [(0, 0, 10, 10)]))
    [0]
    """
    pairs = sorted(((iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)), reverse=True)
    used_f, used_t = set(), set()
    for value, i, j in pairs:
        if value >= threshold and i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    return used_f


def read_boxes(root: Path) -> dict[str, list[tuple[str, tuple[int, int, int, int]]]]:
    """Expert boxes per field: (class, (x0, y0, x1, y1)) with ends made exclusive (the CSV's are inclusive)."""
    boxes: dict[str, list] = defaultdict(list)
    with open(root / "boxes.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            box = (int(row["xmin"]), int(row["ymin"]), int(row["xmax"]) + 1, int(row["ymax"]) + 1)
            boxes[row["field"]].append((row["class"], box))
    return boxes


def shrink(hr: np.ndarray, scale: int, kind: str, seed: int) -> np.ndarray:
    """The low-power field: MATLAB bicubic, or a seeded draw of a real-optics degradation."""
    if kind == "bicubic":
        return make_lr(hr, scale)
    from leuko_keras.data.degradations import degrade

    return degrade(hr, scale, kind, np.random.default_rng(seed))


def run(scale: int, kind: str, model: str | None, detector: str | None, limit: int | None) -> dict:
    """Screen every field at ``scale`` under ``kind``; returns the table row."""
    backend = load_backend(model or f"gp-lite-x{scale}")
    found_by = None if detector is None else load_backend(detector)
    options = screen_options(backend.scale, detector=found_by)
    boxes = read_boxes(BCCD)
    fields = sorted((BCCD / "fields").glob("*.jpg"))[:limit]
    tp = fp = fn = other = 0
    other_fields, seconds, sr_psnr, bic_psnr, sr_ssim, bic_ssim = 0, [], [], [], [], []
    for index, path in enumerate(fields):
        hr = modcrop(read_image(path).pixels, scale)
        lr = shrink(hr, scale, kind, index)
        start = time.perf_counter()
        cells = screen_image(backend, LoadedImage(lr, 8, path), path.stem, options)
        seconds.append(time.perf_counter() - start)
        found = [tuple(v * scale for v in (c.row["x0"], c.row["y0"], c.row["x1"], c.row["y1"])) for c in cells]
        wbc = [b for cls, b in boxes[path.stem] if cls == "WBC"]
        hit = match(found, wbc)
        tp, fp, fn = tp + len(hit), fp + len(found) - len(hit), fn + len(wbc) - len(hit)
        strays = [f for i, f in enumerate(found) if i not in hit]
        wrong = sum(any(iou(f, b) >= 0.5 for cls, b in boxes[path.stem] if cls in OTHER) for f in strays)
        other, other_fields = other + wrong, other_fields + bool(wrong)
        for cell in cells:
            x0, y0 = cell.origin
            h, w = cell.lr.shape[:2]
            truth = rgb_to_y(hr[y0 * scale : (y0 + h) * scale, x0 * scale : (x0 + w) * scale])
            bicubic = np.clip(bicubic_upscale(rgb_to_y(cell.lr), scale), 0, 1)
            sr = rgb_to_y(cell.sr)
            sr_psnr.append(psnr(sr, truth, crop=scale))
            bic_psnr.append(psnr(bicubic, truth, crop=scale))
            sr_ssim.append(ssim(sr, truth, crop=scale))
            bic_ssim.append(ssim(bicubic, truth, crop=scale))
        print(f"\r{kind} x{scale}: field {index + 1}/{len(fields)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    gain = paired_bootstrap(sr_psnr, bic_psnr)
    ssim_gain = paired_bootstrap(sr_ssim, bic_ssim)
    return {
        "setting": f"x{scale} {kind}" + (f" (detector {detector})" if detector else ""),
        "fields": len(fields),
        "recall": tp / max(1, tp + fn),
        "precision": tp / max(1, tp + fp),
        "tp/fp/fn": f"{tp}/{fp}/{fn}",
        "rbc/plt": f"{other} ({100 * other_fields / max(1, len(fields)):.1f}% fields)",
        "cells": len(sr_psnr),
        "sr_psnr": float(np.mean(sr_psnr)) if sr_psnr else float("nan"),
        "bicubic_psnr": float(np.mean(bic_psnr)) if bic_psnr else float("nan"),
        "gain": gain.text(),
        "ssim_gain": ssim_gain.text(4),
        "s_per_field": statistics.median(seconds[1:] or seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="4 and/or 8 (repeat; default 4 and 8)")
    parser.add_argument("--degradation", action="append", help="bicubic, microscope, phone (repeat; default bicubic)")
    parser.add_argument("--model", default=None, help="screening model (default: gp-lite-xS)")
    parser.add_argument("--detector", default=None, help="a detector model (e.g. gp-lite-x8 for x4 fields)")
    parser.add_argument("--limit", type=int, default=None, help="first N fields only (a quick look)")
    args = parser.parse_args()
    rows = [
        run(scale, kind, args.model, args.detector, args.limit)
        for kind in args.degradation or ["bicubic"]
        for scale in args.scale or [4, 8]
    ]
    header = ["setting", "fields", "recall", "precision", "tp/fp/fn", "rbc/plt", "cells", "sr_psnr", "bicubic_psnr"]
    header += ["gain", "ssim_gain", "s_per_field"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        cells = [f"{row[k]:.3f}" if isinstance(row[k], float) else str(row[k]) for k in header]
        print("| " + " | ".join(cells) + " |")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak RSS {peak_mb:.0f} MB (the process: TensorFlow, the models and the fields). Machine: {machine()}")


if __name__ == "__main__":
    main()
