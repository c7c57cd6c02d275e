"""`leuko-keras export`: SavedModel + parity-gated TFLite artifacts (thin wrapper over leuko_keras.deploy)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors

EXIT_GATE_FAILED = 1


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("export")(export)


@user_errors
def export(
    model: Annotated[
        Path, typer.Argument(help="Run folder (best.keras + config.json), a .keras file or a pretrained name.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Export folder (replaced atomically when complete).")
    ] = None,
    tflite: Annotated[bool, typer.Option("--tflite", help="Also write parity-gated TFLite artifacts.")] = False,
    quantize: Annotated[
        str | None, typer.Option(help="TFLite quantizations, comma-separated (with --tflite; default all four).")
    ] = None,
    input_size: Annotated[int, typer.Option(help="Fixed HR output size; LR input = size / scale.")] = 224,
    representative: Annotated[
        Path | None, typer.Option(help="Folder of LR images for int8 calibration (default: training data).")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Folder or .h5 for held-out parity images (default: the run's data).")
    ] = None,
    parity_images: Annotated[int, typer.Option(help="Held-out images for the parity gate.")] = 8,
    force: Annotated[bool, typer.Option(help="Keep artifacts that fail their parity gate (with a warning).")] = False,
    bioimageio: Annotated[
        Path | None, typer.Option("--bioimageio", help="Also (or only) write a bioimage.io model-zoo package (.zip).")
    ] = None,
    bioimageio_input: Annotated[
        str, typer.Option("--bioimageio-input", help="rgb (colour in, colour out; Fiji) or y (luminance graph).")
    ] = "rgb",
    normalize: Annotated[
        str | None,
        typer.Option("--normalize", help="bits=N: the input's significant bits, recorded in the metadata and RDF."),
    ] = None,
) -> None:
    """Export a trained model: SavedModel, TFLite (fp32/fp16/dynamic/int8), metadata.json, parity.json.

    Example: leuko-keras export runs/gp_x4 --out exports/gp_x4 --tflite --quantize fp32,int8
    Example: leuko-keras export runs/gp_x4 --bioimageio gp_x4.bioimageio.zip
    """
    from leuko_keras.deploy import export_model
    from leuko_keras.deploy.request import plan_export

    # Every flag and both output paths checked before the first file is written.
    plan = plan_export(model, out, bioimageio, tflite, quantize, normalize, bioimageio_input, representative, data)
    if plan.package is not None:
        from leuko_keras.deploy.bioimageio import export_bioimageio_run

        package = export_bioimageio_run(
            model, plan.package, normalize=plan.rule, variant=bioimageio_input, log=lambda m: print(m, file=sys.stderr)
        )
        print(f"wrote {package.path}: bioimage.io package, test tensors vs Keras PSNR {package.psnr_db:.2f} dB")
    if out is None:
        return
    result = export_model(
        model,
        out,
        quantizations=plan.quantizations,
        tflite=tflite,
        input_size=input_size,
        representative=representative,
        data=data,
        force=force,
        parity_images=parity_images,
        log=lambda message: print(message, file=sys.stderr),
        normalize=plan.rule,
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
