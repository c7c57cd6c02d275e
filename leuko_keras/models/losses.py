"""Training losses: Charbonnier (SR), softmax cross-entropy (map), VGG19 perceptual and adversarial (GANs).

Map loss choice: the three classes (background, cytoplasm, nucleus) are
mutually exclusive, so the U-Net's pixel-wise cross-entropy is the softmax
(categorical) form on the ``"mask"`` probabilities; per-channel sigmoid BCE
would let a pixel be nucleus and background at once.

>>> import numpy as np
>>> round(float(Charbonnier()(np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 1)))), 6)
0.001
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
from keras import ops

from leuko_keras.errors import LeukoInputError

CHARBONNIER_EPS = 1e-3
# Mean BGR pixel of ImageNet, as keras.applications.vgg19.preprocess_input (caffe mode) subtracts.
_VGG_MEAN_BGR = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package="leuko_keras")
class Charbonnier(keras.losses.Loss):
    """rho(x) = sqrt(x^2 + eps^2), mean over pixels (eps = 1e-3): a smooth L1 robust to outliers."""

    def __init__(self, eps: float = CHARBONNIER_EPS, name: str = "charbonnier", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.eps = float(eps)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        diff = ops.cast(y_pred, "float32") - ops.cast(y_true, "float32")
        per_pixel = ops.sqrt(diff * diff + self.eps**2)
        return ops.mean(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "eps": self.eps}


def map_loss() -> keras.losses.Loss:
    """Softmax cross-entropy on the map probabilities (see module docstring for why not sigmoid BCE)."""
    return keras.losses.CategoricalCrossentropy(name="map_ce")


def vgg19_features(weights_path: str | None = None, layer: str = "block5_conv4") -> keras.Model:
    """VGG19 up to ``layer`` (conv5_4 before ReLU, as SRGAN's VGG54), frozen.

    ImageNet weights cannot be downloaded here: pass a local ``.h5`` /
    ``.weights.h5`` file of ``keras.applications.VGG19(include_top=False)``;
    ``None`` gives random weights (tests only).
    """
    if weights_path is not None and not Path(weights_path).is_file():
        raise LeukoInputError(
            f"{weights_path}: VGG19 weights file not found; pass a local vgg19 notop .h5 file (no downloads here)"
        )
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    if weights_path is not None:
        vgg.load_weights(str(weights_path))
    # SRGAN's phi_5,4 is taken before the activation: rebuild the last conv linear.
    target = vgg.get_layer(layer)
    features = target.output
    if target.activation is not keras.activations.linear:
        linear = keras.layers.Conv2D(target.filters, target.kernel_size, padding="same", name=f"{layer}_linear")
        features = linear(target.input)
        linear.set_weights(target.get_weights())
    model = keras.Model(vgg.input, features, name="vgg19_features")
    model.trainable = False
    return model


def y_to_vgg_input(y: Any) -> Any:
    """Grey Y in [0, 1] -> the caffe-style BGR input VGG19 expects (0..255 minus the ImageNet mean)."""
    y255 = ops.cast(y, "float32") * 255.0
    return ops.concatenate([y255 - m for m in _VGG_MEAN_BGR], axis=-1)


@keras.saving.register_keras_serializable(package="leuko_keras")
class PerceptualLoss(keras.losses.Loss):
    """MSE between VGG19 conv5_4 features of SR and HR (Y repeated to 3 channels), SRGAN's scaling 1/12.75."""

    def __init__(
        self,
        weights_path: str | None = None,
        layer: str = "block5_conv4",
        feature_scale: float = 1.0 / 12.75,
        name: str = "perceptual",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.weights_path = None if weights_path is None else str(weights_path)
        self.layer = layer
        self.feature_scale = float(feature_scale)
        self.extractor = vgg19_features(self.weights_path, layer)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        real = self.extractor(y_to_vgg_input(y_true)) * self.feature_scale
        fake = self.extractor(y_to_vgg_input(y_pred)) * self.feature_scale
        diff = ops.cast(fake, "float32") - ops.cast(real, "float32")
        return ops.mean(ops.reshape(diff * diff, (ops.shape(diff)[0], -1)), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "weights_path": self.weights_path,
            "layer": self.layer,
            "feature_scale": self.feature_scale,
        }


def generator_adversarial_loss(fake_logits: Any) -> Any:
    """-log D(G(x)) on discriminator logits (SRGAN's adversarial term, weighted 1e-3 by the caller)."""
    return ops.mean(keras.losses.binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True))


def discriminator_loss(real_logits: Any, fake_logits: Any) -> Any:
    """Standard GAN discriminator loss on logits: real -> 1, fake -> 0."""
    real = keras.losses.binary_crossentropy(ops.ones_like(real_logits), real_logits, from_logits=True)
    fake = keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True)
    return ops.mean(real) + ops.mean(fake)
