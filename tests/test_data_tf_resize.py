"""The TensorFlow MATLAB-bicubic equals the NumPy reference on real shared images."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from leuko_keras.imageio import read_image  # noqa: E402
from leuko_keras.imresize import imresize  # noqa: E402
from leuko_keras.tf_resize import imresize_tf  # noqa: E402


@pytest.fixture(scope="module")
def real_images(wbc_dir):
    # A 300x300 CellaVision image and tecom images whose sides do not divide by 8.
    paths = [wbc_dir / "cellavision" / "012.bmp"]
    for path in sorted((wbc_dir / "tecom").glob("*.bmp")):
        shape = read_image(path).pixels.shape
        if shape[0] % 8 and shape[1] % 8 and shape[0] != shape[1]:
            paths.append(path)
            break
    return [read_image(p).pixels for p in paths]


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_tf_bicubic_matches_numpy_down_and_up(real_images, scale):
    for image in real_images:
        down_np = imresize(image, 1 / scale)
        up_np = imresize(down_np, scale)
        for method in ("auto", "resize", "matmul"):
            down_tf = imresize_tf(image, 1 / scale, method=method).numpy()
            assert down_tf.shape == down_np.shape
            assert np.abs(down_tf - down_np).max() * 255 <= 1e-3, method
            if method == "resize" and scale == 3:
                continue  # float32 positions with 1/3: see the module docstring
            up_tf = imresize_tf(down_np, scale, method=method).numpy()
            assert up_tf.shape == up_np.shape
            assert np.abs(up_tf - up_np).max() * 255 <= 1e-3, method


def test_batch_and_grey_ranks(real_images):
    image = real_images[0][:64, :64]
    batch = np.stack([image, image[::-1]])
    out = imresize_tf(batch, 0.5).numpy()
    np.testing.assert_allclose(out[1], imresize(image[::-1], 0.5), atol=1e-5)
    grey = imresize_tf(image[..., 0], 0.5).numpy()
    assert grey.shape == (32, 32)
    np.testing.assert_allclose(grey, imresize(image[..., 0], 0.5), atol=1e-5)


def test_plain_tf_resize_differs_only_at_the_borders(real_images):
    # Why the symmetric padding exists: same kernel, but TensorFlow drops the
    # taps outside the image instead of mirroring it.
    image = real_images[0]  # 300x300: plain resize uses the same grid
    plain = tf.image.resize(image[None], (75, 75), "bicubic", antialias=True)[0].numpy()
    error = np.abs(plain - imresize(image, 0.25)) * 255
    assert error[3:-3, 3:-3].max() <= 1e-3
    assert error.max() > 0.5
