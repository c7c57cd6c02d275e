"""Agreement of cell measures between the map predicted from LR and the expert map on HR.

Per image (a single-cell crop, as in the CellaVision and Tecom sets): the cell is every labelled pixel
(1 or 2) of each map, measured by :func:`leuko_keras.runtime.morphology.measure_cell`: N:C ratio, nucleus
area, nucleus lobes. Over images: the mean absolute error of the N:C ratio, the mean absolute error of
the nucleus area in % of the expert's, and the share of images whose lobe counts agree (images where a
measure is undefined in either map, e.g. no cytoplasm, are left out of that measure only).

>>> import numpy as np
>>> truth = np.zeros((20, 20), np.uint8); truth[2:18, 2:18] = 1; truth[6:14, 6:14] = 2
>>> pred = truth.copy(); pred[6:14, 14] = 2
>>> row = morphology_row(pred, truth)
>>> round(row["nc_pred"] - row["nc_true"], 3), round(row["nucleus_area_err_pct"], 1), row["lobes_agree"]
(0.058, 12.5, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from leuko_keras.runtime.morphology import measure_cell

AGREEMENT_TEXT = (
    "Cell measures: the map predicted from LR (argmax, HR size) vs the expert map, one cell per image "
    "(all labelled pixels); N:C = nucleus / cytoplasm area, MAE over images; nucleus area error = "
    "|predicted - expert| / expert, mean in %; lobes = components of the nucleus eroded by a quarter of "
    "its equivalent radius (runtime.morphology.count_lobes), share of images where the counts agree."
)


def morphology_row(pred_labels: np.ndarray, true_labels: np.ndarray) -> dict[str, Any]:
    """One image's measures from both maps, and their errors (None where undefined)."""
    pred_labels, true_labels = np.asarray(pred_labels), np.asarray(true_labels)
    pred = measure_cell(pred_labels, pred_labels > 0) if (pred_labels > 0).any() else None
    true = measure_cell(true_labels, true_labels > 0) if (true_labels > 0).any() else None
    nc_pred = None if pred is None else pred.nc_ratio
    nc_true = None if true is None else true.nc_ratio
    n_pred = 0 if pred is None else pred.nucleus_area
    n_true = 0 if true is None else true.nucleus_area
    return {
        "nc_pred": nc_pred,
        "nc_true": nc_true,
        "nc_abs_err": None if nc_pred is None or nc_true is None else abs(nc_pred - nc_true),
        "nucleus_area_err_pct": (100.0 * abs(n_pred - n_true) / n_true) if n_true else None,
        "lobes_pred": 0 if pred is None else pred.nucleus_lobes,
        "lobes_true": 0 if true is None else true.nucleus_lobes,
        "lobes_agree": None
        if true is None or not n_true
        else (pred is not None and pred.nucleus_lobes == true.nucleus_lobes),
    }


def mean_morphology(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """``{"nc_mae", "nucleus_area_err_pct", "lobe_agreement", "n_images"}`` over :func:`morphology_row` rows.

    >>> mean_morphology([{"nc_abs_err": 0.1, "nucleus_area_err_pct": 5.0, "lobes_agree": True},
    ...                  {"nc_abs_err": 0.3, "nucleus_area_err_pct": None, "lobes_agree": False}])
    {'nc_mae': 0.2, 'nucleus_area_err_pct': 5.0, 'lobe_agreement': 0.5, 'n_images': 2}
    """
    if not rows:
        return None

    def mean(key: str) -> float | None:
        values = [float(r[key]) for r in rows if r.get(key) is not None]
        return round(float(np.mean(values)), 6) if values else None

    return {
        "nc_mae": mean("nc_abs_err"),
        "nucleus_area_err_pct": mean("nucleus_area_err_pct"),
        "lobe_agreement": mean("lobes_agree"),
        "n_images": len(rows),
    }
