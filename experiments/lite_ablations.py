"""The lite ablation table: each row a trained run with its budget, scored on the held-out test splits.

Every run given as ``LABEL=RUN_DIR`` (trained beforehand with ``leuko-keras fit``, e.g. ``--setting
sft_blocks=2``) is scored with bicubic on the test split of each ``--data`` folder, under the package
protocol. A row says the run's settings, its steps and training minutes (from its ``config.json`` and
``history.csv``), its gain over bicubic and its difference from the ``--reference`` run, both as
paired-bootstrap 95% CIs over the test images.

    python experiments/lite_ablations.py --scale 4 --reference NP-lite \\
        --data ../shared/data/wbc/cellavision --data ../shared/data/wbc/tecom \\
        --run NP-lite=runs/abl/np_x4 --run GP-lite=runs/abl/gp_x4 --run "SFT in 2 blocks=runs/abl/gp_sft2_x4"
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", action="append", required=True, help="LABEL=RUN_DIR (repeatable)")
    p.add_argument("--data", action="append", required=True, help="Test data folder (repeatable)")
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--reference", default=None, help="LABEL every row is compared with (default: the first run)")
    p.add_argument("--split", default="test")
    p.add_argument("--json", default=None, help="Also write the rows here")
    return p.parse_args(argv)


def budget(run_dir: Path) -> dict[str, Any]:
    """Steps, minutes and settings of a run, read from its own files as a model card reads them."""
    from leuko_keras.training.facts import training_facts

    facts = training_facts(run_dir)
    return {**facts, "degradation": (facts["degradation"] or {}).get("kind", "bicubic")}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from leuko_keras.evaluation.compare import paired_gain
    from leuko_keras.evaluation.evaluate import load_eval_examples, score
    from leuko_keras.predict.backends import BicubicBackend, load_backend
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT

    runs = [(spec.partition("=")[0], Path(spec.partition("=")[2])) for spec in args.run]
    reference = args.reference or runs[0][0]
    if reference not in [label for label, _ in runs]:
        raise SystemExit(f"--reference {reference}: not one of the --run labels")
    budgets = {label: budget(run_dir) for label, run_dir in runs}
    backends = {label: load_backend(str(run_dir)) for label, run_dir in runs}
    scored: dict[str, dict[str, Any]] = {label: {} for label, _ in runs}
    for folder in args.data:
        examples = load_eval_examples(folder, args.scale, args.split)
        bicubic = score(BicubicBackend(args.scale), examples, args.scale)
        results = {label: score(backends[label], examples, args.scale) for label, _ in runs}
        for label, result in results.items():
            gain = paired_gain(result, bicubic, "over_bicubic").ci
            delta = None if label == reference else paired_gain(result, results[reference], "pair").ci
            scored[label][folder] = {"psnr": result.psnr, "gain": gain, "delta": delta, "n": result.n_images}
    names = [Path(f).name for f in args.data]
    head = "| run | settings | steps | minutes | " + " | ".join(
        f"{n}: gain over bicubic | {n}: minus {reference}" for n in names
    )
    lines = [head + " |", "|---" * (4 + 2 * len(names)) + "|"]
    rows_json = []
    for label, _ in runs:
        b = budgets[label]
        settings = ", ".join(f"{k}={v}" for k, v in b["model_settings"].items()) or "defaults"
        cells = []
        for folder in args.data:
            s = scored[label][folder]
            cells += [s["gain"].text(), "-" if s["delta"] is None else s["delta"].text()]
        lines.append(
            f"| {label} | {b['model']} {settings} | {b['steps']} | {b['minutes']:.1f} | " + " | ".join(cells) + " |"
        )
        rows_json.append(
            {
                "label": label,
                **b,
                "scores": {
                    f: {
                        "psnr": s["psnr"],
                        "n": s["n"],
                        "gain": s["gain"].as_dict(),
                        "delta": None if s["delta"] is None else s["delta"].as_dict(),
                    }
                    for f, s in scored[label].items()
                },
            }
        )
    counts = ", ".join(f"{n} {scored[runs[0][0]][f]['n']} images" for n, f in zip(names, args.data, strict=True))
    text = "\n".join([*lines, "", f"x{args.scale}, split {args.split!r} ({counts}); {PROTOCOL_TEXT}"])
    print(text)
    if args.json:
        from leuko_keras.core.atomic import write_json_atomic

        write_json_atomic(Path(args.json), {"args": vars(args), "rows": rows_json})
    return 0


if __name__ == "__main__":
    sys.exit(main())
