"""`leuko-keras export`: SavedModel + parity-gated TFLite artifacts (thin wrapper over leuko_keras.deploy)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from leuko_keras.cli.common import user_errors

EXIT_GATE_FAILED = 1


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("export")(export)


@user_errors
def export(
    model: Path = typer.Argument(..., help="Run folder (best.keras + config.json) or a .keras file."),
    out: Path = typer.Option(..., "--out", help="Export folder (replaced atomically when complete)."),
    tflite: bool = typer.Option(False, "--tflite", help="Also write parity-gated TFLite artifacts."),
    quantize: str = typer.Option("fp32,fp16,dynamic,int8", "--quantize", help="TFLite quantizations, comma-separated."),
    input_size: int = typer.Option(224, "--input-size", help="Fixed HR output size; LR input = size / scale."),
    representative: Path | None = typer.Option(
        None, "--representative", help="Folder of LR images for int8 calibration (default: training data)."
    ),
    data: Path | None = typer.Option(
        None, "--data", help="Folder or .h5 for held-out parity images (default: the run's data)."
    ),
    parity_images: int = typer.Option(8, "--parity-images", help="Held-out images for the parity gate."),
    force: bool = typer.Option(False, "--force", help="Keep artifacts that fail their parity gate (with a warning)."),
) -> None:
    """Export a trained model for deployment: SavedModel, TFLite (fp32/fp16/dynamic/int8), metadata.json, parity.json.

    Example: leuko-keras export runs/gp_x4 --out exports/gp_x4 --tflite --quantize fp32,int8
    """
    from leuko_keras.deploy import export_model, parse_quantizations

    quantizations = parse_quantizations(quantize) if tflite else []
    result = export_model(
        model,
        out,
        quantizations=quantizations,
        tflite=tflite,
        input_size=input_size,
        representative=representative,
        data=data,
        force=force,
        parity_images=parity_images,
        log=lambda message: print(message, file=sys.stderr),
    )
    for quantization, row in result.parity.items():
        print(
            f"{quantization:8s} PSNR to Keras {row['psnr_to_keras_min']:6.2f} dB (worst)  "
            f"PSNR/SSIM to HR {row['psnr_hr']:.2f}/{row['ssim_hr']:.4f} (Keras {row['keras_psnr_hr']:.2f})  "
            f"{'pass' if row['passed'] else 'FAIL'}"
        )
    print(f"wrote {result.out_dir}: {', '.join(f for f in result.files if '/' not in f)}")
    if result.failed:
        kept = "kept (--force)" if force else "not written"
        for quantization, reason in result.failed.items():
            print(f"warning: {quantization} failed its parity gate ({reason}); {kept}", file=sys.stderr)
        raise typer.Exit(EXIT_GATE_FAILED)
