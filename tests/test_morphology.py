"""Morphology on hand-made maps: areas, N:C ratios, lobe counts, solidity, the labeller and touching cells."""

from __future__ import annotations

import numpy as np
import pytest

from leuko_keras.runtime.morphology import (
    count_lobes,
    hull_area,
    label_components,
    measure_cell,
    measure_cells,
    split_cells,
)


def disc(shape: tuple[int, int], cy: float, cx: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def lobed_nucleus(n_lobes: int, shape=(80, 120)) -> np.ndarray:
    """``n_lobes`` discs of radius 9 in a row, 22 px apart, joined by a 2-px filament (a segmented neutrophil)."""
    mask = np.zeros(shape, bool)
    centres = [20 + 22 * k for k in range(n_lobes)]
    for cx in centres:
        mask |= disc(shape, 40, cx, 9)
    mask[39:41, centres[0] : centres[-1]] = True
    return mask


def flood_count(mask: np.ndarray) -> int:
    """Reference labeller (8-connected flood fill) for the vectorised one."""
    seen = np.zeros_like(mask, bool)
    count = 0
    for start in zip(*np.nonzero(mask), strict=True):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        seen[start] = True
        while stack:
            y, x = stack.pop()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
    return count


def test_square_cell_areas_and_nc_ratio():
    labels = np.zeros((40, 40), np.uint8)
    labels[5:25, 5:25] = 1  # 400 px cell
    labels[10:20, 10:20] = 2  # 100 px nucleus: N:C = 100 / 300
    cell = measure_cells(labels, pixel_size=0.25)[0]
    assert (cell.cell_area, cell.nucleus_area) == (400, 100)
    assert cell.nc_ratio == pytest.approx(1 / 3)
    assert cell.cell_area_um2 == pytest.approx(25.0) and cell.nucleus_area_um2 == pytest.approx(6.25)
    assert cell.nucleus_solidity == pytest.approx(1.0)
    assert cell.box == (5, 5, 25, 25) and cell.centre == (14.5, 14.5)
    assert not cell.touches_border


def test_no_pixel_size_no_um2_and_no_cytoplasm_no_ratio():
    labels = np.full((6, 6), 2, np.uint8)
    cell = measure_cell(labels, labels > 0)
    assert cell.cell_area_um2 is None and cell.nc_ratio is None and cell.touches_border


@pytest.mark.parametrize("n_lobes", [1, 2, 3])
def test_lobe_count(n_lobes):
    assert count_lobes(lobed_nucleus(n_lobes)) == n_lobes


def test_round_and_kidney_nuclei_are_one_lobe():
    shape = (60, 60)
    assert count_lobes(disc(shape, 30, 30, 20)) == 1
    kidney = disc(shape, 30, 30, 20) & ~disc(shape, 30, 52, 12)  # a monocyte's indented nucleus
    assert count_lobes(kidney) == 1


def test_solidity_of_square_disc_and_l_shape():
    square = np.zeros((20, 20), bool)
    square[2:12, 2:12] = True
    assert hull_area(square) == 100.0
    assert measure_cell(square.astype(np.uint8) * 2, square).nucleus_solidity == 1.0
    round_ = disc((60, 60), 30, 30, 20)
    assert 0.95 < round_.sum() / hull_area(round_) <= 1.0
    ell = np.zeros((20, 20), bool)
    ell[0:10, 0:2] = True
    ell[8:10, 0:10] = True  # area 36, hull = the triangle-ish polygon (0,0),(2,0),(10,8),(10,10),(0,10) = 68
    assert ell.sum() / hull_area(ell) == pytest.approx(36 / 68)


def test_labeller_matches_flood_fill_on_random_masks():
    rng = np.random.default_rng(0)
    for density in (0.2, 0.45, 0.6):
        mask = rng.random((37, 53)) < density
        labels, n = label_components(mask)
        assert n == flood_count(mask)
        assert set(np.unique(labels[mask])) == set(range(1, n + 1)) and not labels[~mask].any()
        # Every component is one 8-connected piece: relabelling a single component finds one.
        for k in (1, n):
            assert label_components(labels == k)[1] == 1


def test_touching_cells_split_by_nucleus_but_lobes_stay_one_cell():
    shape = (60, 110)
    labels = np.zeros(shape, np.uint8)
    labels[disc(shape, 30, 30, 22) | disc(shape, 30, 72, 22)] = 1  # two cells that touch
    labels[disc(shape, 30, 30, 8)] = 2
    labels[disc(shape, 30, 72, 8)] = 2
    cells = split_cells(labels)
    assert len(cells) == 2 and not (cells[0] & cells[1]).any()
    assert (cells[0] | cells[1]).sum() == (labels > 0).sum()
    bilobed = np.zeros(shape, np.uint8)
    bilobed[disc(shape, 30, 50, 25)] = 1
    bilobed[disc(shape, 30, 42, 6) | disc(shape, 30, 56, 6)] = 2  # two lobes 2 px apart: one cell
    assert len(split_cells(bilobed, join=2)) == 1


def test_cell_cut_by_the_border_is_flagged_and_small_specks_dropped():
    labels = np.zeros((30, 30), np.uint8)
    labels[0:10, 5:15] = 1
    labels[2:6, 8:12] = 2
    labels[20, 20] = 1  # one-pixel speck
    cells = measure_cells(labels, min_area=5)
    assert len(cells) == 1 and cells[0].touches_border


def test_agreement_of_identical_maps_is_perfect_and_a_lost_lobe_is_counted():
    from leuko_keras.protocol.morphometry import mean_morphology, morphology_row

    shape = (80, 120)
    truth = np.zeros(shape, np.uint8)
    truth[disc(shape, 40, 42, 38) | disc(shape, 40, 78, 38)] = 1
    truth[lobed_nucleus(3, shape)] = 2
    same = mean_morphology([morphology_row(truth, truth)])
    assert same == {"nc_mae": 0.0, "nucleus_area_err_pct": 0.0, "lobe_agreement": 1.0, "n_images": 1}
    blurred = truth.copy()
    blurred[33:47, 20:64] = 2  # the map fills the gaps: one blob where the expert drew three lobes
    row = morphology_row(blurred, truth)
    assert row["lobes_true"] == 3 and row["lobes_pred"] < 3 and not row["lobes_agree"]
    assert row["nucleus_area_err_pct"] > 0 and row["nc_abs_err"] > 0


def test_evaluate_reports_the_agreement_in_its_table_and_json(synth_dir):
    from leuko_keras.evaluation.evaluate import evaluate
    from leuko_keras.evaluation.table import render

    ev = evaluate(["gp-lite-x4"], [4], data=synth_dir, split="all")
    mapped = [r for r in ev.results if r.dice]
    assert mapped and mapped[0].morphology["n_images"] == 12
    assert mapped[0].morphology["nc_mae"] >= 0 and 0 <= mapped[0].morphology["lobe_agreement"] <= 1
    assert "N:C MAE" in render(ev.results, ev.comparisons, ev.protocol)
    assert "morphology" in ev.as_dict()["results"][1] and "morphology" in mapped[0].per_image[0]
