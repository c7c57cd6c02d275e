"""Degradation sweep: gain over bicubic upscaling of the same LR across NA x defocus x noise x JPEG.

Each cell of the sweep is one physical chain of the real-optics family (``--degradation real``) with
every choice fixed: the pupil PSF per colour channel at NA and defocus, in linear light, box
integration on camera pixels, Poisson-Gaussian noise (none; moderate = 20 e-/level and 3 e- read
noise; dim = 3 e-/level and 5 e- read), then JPEG (none or quality 60, 4:2:0). Every model is scored on
the same LR images (one draw of the noise per image, seeded by the image's name), so the differences
between rows are paired. The worst cell of each model is named, and cells outside the ranges a model
was trained on are marked.

    python benchmarks/robustness.py --sweep --test-data ../shared/data/wbc/cellavision \\
        --test-data ../shared/data/wbc/tecom --scales 4 \\
        --run real=gp-lite-real-x4 --run bicubic=gp-lite-x4 --out runs/sweep

Writes ``OUT/sweep.json``, ``OUT/sweep.md`` and ``OUT/sweep_SCALE.png`` (heat maps). The benchmark script
``benchmarks/robustness.py --sweep`` runs :func:`main`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAS = (0.1, 0.2, 0.3, 0.45, 0.6, 0.9)
DEFOCUS = (0.0, 0.5, 1.0)
NOISE = {"none": None, "moderate": (20.0, 3.0), "dim": (3.0, 5.0)}
JPEG = {"none": None, "q60": 60}


def cell_record(na: float, defocus: float, noise: str, jpeg: str) -> dict[str, Any]:
    """The real-family record of one sweep cell: every probability 0 or 1, every value fixed.

    >>> cell_record(0.3, 0.5, "dim", "q60")["photons_per_level"]
    3.0
    """
    from leuko_keras.data.degradations import degradation_record

    photons, read = NOISE[noise] or (1.0, 0.0)
    quality = JPEG[jpeg]
    return degradation_record(
        "real",
        p_clean=0.0,
        na=na,
        defocus_waves=defocus,
        spherical_waves=0.0,
        p_gaussian=0.0,
        p_astigmatism=0.0,
        p_motion=0.0,
        shift_px=0.0,
        p_linear=1.0,
        p_area=1.0,
        p_bicubic=0.0,
        p_noise=0.0 if NOISE[noise] is None else 1.0,
        photons_per_level=photons,
        read_noise_e=read,
        wb_gain=1.0,
        tone_gamma=1.0,
        p_bayer=0.0,
        p_sharpen=0.0,
        p_jpeg=0.0 if quality is None else 1.0,
        jpeg_quality=quality or 95,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sweep", action="store_true", help="(accepted so robustness.py can pass its argv on)")
    p.add_argument("--test-data", action="append", required=True, help="Test folder (repeatable)")
    p.add_argument("--scales", type=int, nargs="+", default=[4])
    p.add_argument("--run", action="append", required=True, help="LABEL=MODEL (run folder or pretrained name)")
    p.add_argument("--split", default="test")
    p.add_argument("--nas", type=float, nargs="+", default=list(NAS))
    p.add_argument("--defocus", type=float, nargs="+", default=list(DEFOCUS))
    p.add_argument("--noise", nargs="+", default=list(NOISE), choices=list(NOISE))
    p.add_argument("--jpeg", nargs="+", default=list(JPEG), choices=list(JPEG))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/sweep")
    return p.parse_args(argv)


def run_sweep(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One row per (test folder, scale, cell, model): PSNR, bicubic PSNR, paired gain CI, map Dice."""
    from leuko_keras.data.source import DataSource
    from leuko_keras.evaluation.compare import paired_gain
    from leuko_keras.evaluation.evaluate import load_eval_examples, score
    from leuko_keras.predict.backends import BicubicBackend, load_backend, split_label

    backends = {}
    for spec in args.run:
        label, path = split_label(spec)
        backends[label or path] = load_backend(path)
    rows = []
    for folder in args.test_data:
        for scale in args.scales:
            mine = {k: b for k, b in backends.items() if b.scale == scale}
            for na in args.nas:
                for defocus in args.defocus:
                    for noise in args.noise:
                        for jpeg in args.jpeg:
                            cell = {"na": na, "defocus": defocus, "noise": noise, "jpeg": jpeg}
                            source = DataSource.of(folder, degradation=cell_record(na, defocus, noise, jpeg))
                            examples = load_eval_examples(source, scale, args.split)
                            bicubic = score(BicubicBackend(scale), examples, scale)
                            for label, backend in mine.items():
                                result = score(backend, examples, scale)
                                gain = paired_gain(result, bicubic, "over_bicubic", seed=args.seed).ci
                                rows.append(
                                    {
                                        "test_data": Path(folder).name,
                                        "scale": scale,
                                        **cell,
                                        "model": label,
                                        "trained_on": _trained_on(backend),
                                        "psnr": result.psnr,
                                        "bicubic_psnr": bicubic.psnr,
                                        "gain": gain.as_dict(),
                                        "dice": result.dice,
                                        "n_images": result.n_images,
                                    }
                                )
                            print(f"{Path(folder).name} x{scale} {cell}: bicubic {bicubic.psnr:.2f}", flush=True)
    return rows


def _trained_on(backend: Any) -> dict[str, Any]:
    return dict(getattr(backend, "degradation", None) or {"kind": "bicubic"})


def inside_training(row: dict[str, Any]) -> bool:
    """Whether a sweep cell lies inside the ranges the row's model was trained on (real family only).

    >>> inside_training({"trained_on": {"kind": "bicubic"}, "na": 0.3, "defocus": 0.0, "noise": "none", "jpeg": "none"})
    False
    """
    trained = row["trained_on"]
    if trained.get("kind") != "real":
        return False

    def within(key: str, value: float) -> bool:
        bound = trained[key]
        low, high = bound if isinstance(bound, list) else (bound, bound)
        return low - 1e-9 <= value <= high + 1e-9

    noise_ok = row["noise"] == "none" or (
        trained["p_noise"] > 0 and within("photons_per_level", NOISE[row["noise"]][0])
    )  # fmt: skip
    jpeg_ok = row["jpeg"] == "none" or (trained["p_jpeg"] > 0 and within("jpeg_quality", JPEG[row["jpeg"]]))
    return within("na", row["na"]) and within("defocus_waves", row["defocus"]) and noise_ok and jpeg_ok


def render(rows: list[dict[str, Any]]) -> str:
    """Per test folder, scale and model: a table of gains, NA down, defocus x noise x JPEG across."""
    lines: list[str] = []
    for folder in dict.fromkeys(r["test_data"] for r in rows):
        for scale in sorted({r["scale"] for r in rows if r["test_data"] == folder}):
            for model in dict.fromkeys(r["model"] for r in rows if r["test_data"] == folder and r["scale"] == scale):
                mine = [r for r in rows if (r["test_data"], r["scale"], r["model"]) == (folder, scale, model)]
                lines += _table(folder, scale, model, mine)
    return "\n".join(lines)


def _table(folder: str, scale: int, model: str, rows: list[dict[str, Any]]) -> list[str]:
    columns = list(dict.fromkeys((r["defocus"], r["noise"], r["jpeg"]) for r in rows))
    head = " | ".join(f"df {d:g} / {n} / {j}" for d, n, j in columns)
    lines = [f"### {folder} x{scale}, {model}: gain over bicubic of the same LR (dB)", "", f"| NA | {head} |"]
    lines.append("|---" * (len(columns) + 1) + "|")
    for na in dict.fromkeys(r["na"] for r in rows):
        cells = []
        for column in columns:
            row = next(r for r in rows if r["na"] == na and (r["defocus"], r["noise"], r["jpeg"]) == column)
            mark = "" if inside_training(row) or row["trained_on"].get("kind") != "real" else " (out)"
            below = " **below**" if row["gain"]["high"] < 0 else ""
            cells.append(f"{row['gain']['mean']:+.2f}{mark}{below}")
        lines.append(f"| {na:g} | " + " | ".join(cells) + " |")
    worst = min(rows, key=lambda r: r["gain"]["mean"])
    inside = [r for r in rows if inside_training(r)]
    below_inside = [r for r in inside if r["gain"]["high"] < 0]
    lines += [
        "",
        f"Worst cell: NA {worst['na']:g}, defocus {worst['defocus']:g}, noise {worst['noise']}, JPEG {worst['jpeg']}: "
        f"{worst['gain']['mean']:+.2f} [{worst['gain']['low']:+.2f}, {worst['gain']['high']:+.2f}] dB. "
        f"Mean over cells {sum(r['gain']['mean'] for r in rows) / len(rows):+.2f} dB."
        + (
            f" Inside its training ranges: {len(inside)} cells, {len(below_inside)} with the CI below bicubic."
            if inside
            else ""
        ),
        "",
    ]
    return lines


def heatmap(rows: list[dict[str, Any]], scale: int, path: Path) -> None:
    """One panel per model and noise x JPEG pair: NA down, defocus across, colour = gain (dB)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = [r for r in rows if r["scale"] == scale]
    models = list(dict.fromkeys(r["model"] for r in rows))
    combos = list(dict.fromkeys((r["noise"], r["jpeg"]) for r in rows))
    nas = sorted({r["na"] for r in rows})
    defocus = sorted({r["defocus"] for r in rows})
    fig, axes = plt.subplots(len(models), len(combos), figsize=(2.1 * len(combos), 2.3 * len(models)), squeeze=False)
    for i, model in enumerate(models):
        for j, (noise, jpeg) in enumerate(combos):
            grid = np.full((len(nas), len(defocus)), np.nan)
            values = {}
            for r in rows:
                if (r["model"], r["noise"], r["jpeg"]) == (model, noise, jpeg):
                    values.setdefault((r["na"], r["defocus"]), []).append(r["gain"]["mean"])
            for (na, d), gains in values.items():
                grid[nas.index(na), defocus.index(d)] = float(np.mean(gains))
            ax = axes[i][j]
            ax.imshow(grid, cmap="RdYlGn", vmin=-2, vmax=5, aspect="auto")
            for (a, b), value in np.ndenumerate(grid):
                ax.text(b, a, f"{value:+.1f}", ha="center", va="center", fontsize=7)
            ax.set_xticks(range(len(defocus)), [f"{d:g}" for d in defocus], fontsize=7)
            ax.set_yticks(range(len(nas)), [f"{n:g}" for n in nas], fontsize=7)
            ax.set_title(f"{model}\nnoise {noise}, JPEG {jpeg}", fontsize=7)
            if j == 0:
                ax.set_ylabel("NA", fontsize=7)
            if i == len(models) - 1:
                ax.set_xlabel("defocus (waves)", fontsize=7)
    fig.suptitle(f"x{scale}: gain over bicubic of the same LR (dB), mean of the test folders", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from leuko_keras.core.atomic import write_json_atomic, write_text_atomic
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT

    rows = run_sweep(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "sweep.json", rows)
    protocol = PROTOCOL_TEXT.replace("LR = MATLAB bicubic imresize of the modcropped HR, quantised to 8 bits; ", "")
    text = render(rows) + "\n" + (__doc__ or "").split("\n\n")[1].replace("\n", " ") + "\n\n" + protocol + "\n"
    write_text_atomic(out / "sweep.md", text)
    for scale in args.scales:
        heatmap(rows, scale, out / f"sweep_{scale}.png")
    print(text)
    return 0
