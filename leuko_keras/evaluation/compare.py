"""Which paired comparisons a table lists, each with its bootstrap interval.

At every scale, every model is compared with bicubic and with the next model
down the ranking (by mean PSNR), and the paper's Table 1 pair (GP over NP)
is always listed when both are present.

>>> from leuko_keras.evaluation.results import ModelResult
>>> rows = lambda v: [{"name": str(i), "psnr": p, "ssim": 1.0} for i, p in enumerate(v)]
>>> res = [ModelResult("Bicubic", 4, 30.0, 0.9, 3, rows([29, 30, 31])),
...        ModelResult("NP", 4, 31.0, 0.9, 3, rows([30, 31, 32]))]
>>> [(c.model, c.reference, c.kind, round(c.ci.mean, 2)) for c in compare(res)]
[('NP', 'Bicubic', 'over_bicubic', 1.0)]
"""

from __future__ import annotations

from collections.abc import Sequence

from leuko_keras.evaluation.bootstrap import paired_bootstrap
from leuko_keras.evaluation.results import Comparison, ModelResult

BASELINE = "Bicubic"
PAPER_PAIRS = (("GP", "NP"), ("GP-lite", "NP-lite"), ("GP-lite (pretrained)", "NP-lite (pretrained)"))


def paired_gain(model: ModelResult, reference: ModelResult, kind: str, seed: int = 0) -> Comparison:
    """Bootstrap the PSNR gain of ``model`` over ``reference`` on the images both scored."""
    a, b = model.psnr_of(), reference.psnr_of()
    names = [name for name in a if name in b]
    if not names:
        raise ValueError(f"{model.model} and {reference.model} share no images at x{model.scale}")
    ci = paired_bootstrap([a[n] for n in names], [b[n] for n in names], seed=seed)
    return Comparison(model.model, reference.model, model.scale, kind, ci)


def compare(
    results: Sequence[ModelResult], pairs: Sequence[tuple[str, str]] = PAPER_PAIRS, seed: int = 0
) -> list[Comparison]:
    """All comparisons for a table, grouped by scale, best model first."""
    out: list[Comparison] = []
    for scale in sorted({r.scale for r in results}):
        at_scale = [r for r in results if r.scale == scale]
        base = next((r for r in at_scale if r.model == BASELINE), None)
        ranked = sorted((r for r in at_scale if r is not base), key=lambda r: r.psnr, reverse=True)
        seen: set[tuple[str, str]] = set()
        for i, result in enumerate(ranked):
            if base is not None:
                out.append(paired_gain(result, base, "over_bicubic", seed))
            if i + 1 < len(ranked):
                out.append(paired_gain(result, ranked[i + 1], "over_next", seed))
                seen.add((result.model, ranked[i + 1].model))
        by_name = {r.model: r for r in ranked}
        for first, second in pairs:
            if first in by_name and second in by_name and (first, second) not in seen:
                out.append(paired_gain(by_name[first], by_name[second], "pair", seed))
    return out
