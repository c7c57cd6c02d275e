"""The training stream is a function of (seed, epoch): starting at epoch k gives what epoch k was anyway."""

from __future__ import annotations

import numpy as np
import pytest

from leuko_keras.data.epochs import epoch_dataset, steps_for


def _arrays(sizes: list[int], scale: int = 2) -> list[tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(0)
    out = []
    for side in sizes:
        hr = rng.random((side, side, 1)).astype("float32")
        lr = hr.reshape(side // scale, scale, side // scale, scale, 1).mean(axis=(1, 3))
        out.append((lr, hr, (hr[..., 0] * 3).astype("uint8")))
    return out


def _batches(ds, count: int) -> list[np.ndarray]:
    return [np.asarray(lr) for lr, _ in ds.take(count)]


@pytest.mark.parametrize("sizes", [[32] * 5, [32, 40, 48, 36, 44]])
def test_stream_from_epoch_k_equals_epoch_k_of_the_unbroken_stream(sizes) -> None:
    arrays = _arrays(sizes)
    options = dict(steps_per_epoch=2, batch_size=3, seed=4, scale=2, crop_size=16)
    whole = _batches(epoch_dataset(arrays, 0, **options), 6)
    resumed = epoch_dataset(arrays, 2, **options)
    assert resumed.steps_per_epoch == 2
    for got, want in zip(_batches(resumed, 2), whole[4:], strict=True):
        np.testing.assert_array_equal(got, want)
    # Epochs differ from each other (no replay of epoch 1), and batches have the crop size.
    assert not np.array_equal(whole[0], whole[2]) and whole[0].shape == (3, 8, 8, 1)


def test_one_pass_rounds_up_to_full_batches() -> None:
    assert steps_for(5, 3, None) == 2 and steps_for(5, 3, 4) == 4
    ds = epoch_dataset(_arrays([32] * 5), 0, None, batch_size=3, seed=0, scale=2, crop_size=16, augment=False)
    assert ds.steps_per_epoch == 2
