"""GAN wrapper: a Keras 3 ``Model`` subclass holding a functional generator and discriminator.

``model(lr)`` and ``model.predict(lr)`` run the generator (dict with
``"sr"``, plus ``"mask"`` for SFTGAN), so GAN models are used like every
other registered model. ``fit`` runs the custom :meth:`GANModel.train_step`:
generator loss (logged as ``loss``) = content (VGG19 conv5_4 features, or Charbonnier) +
``adversarial_weight`` x adversarial (+ ``pixel_weight`` x Charbonnier,
+ ``lambda_map`` x map cross-entropy when the generator predicts a map and the
data carries one); discriminator loss = real/fake cross-entropy on logits.

>>> import leuko_keras
>>> gan = leuko_keras.build_model("srgan", scale=4, blocks=1)
>>> gan.is_gan
True
"""

from __future__ import annotations

import warnings
from typing import Any

import keras
import tensorflow as tf

from leuko_keras.errors import LeukoInputError
from leuko_keras.models.keras_metrics import PSNRY
from leuko_keras.models.losses import (
    Charbonnier,
    PerceptualLoss,
    discriminator_loss,
    generator_adversarial_loss,
    map_loss,
)
from leuko_keras.models.registry import model_scale

CONTENT_LOSSES = ("vgg", "charbonnier")


class _Untracked:
    """Holds objects Keras must not track (the VGG19 loss network is not part of the saved model)."""

    def __init__(self, value: Any) -> None:
        self.value = value


@keras.saving.register_keras_serializable(package="leuko_keras")
class GANModel(keras.Model):
    """Generator + discriminator trained adversarially; calling it runs the generator."""

    is_gan = True

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        vgg_weights: str | None = None,
        adversarial_weight: float = 1e-3,
        pixel_weight: float = 0.0,
        content: str = "vgg",
        lambda_map: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if content not in CONTENT_LOSSES:
            raise LeukoInputError(f"content={content!r} is not known; use one of {', '.join(CONTENT_LOSSES)}")
        self.generator = generator
        self.discriminator = discriminator
        self.vgg_weights = None if vgg_weights is None else str(vgg_weights)
        self.adversarial_weight = float(adversarial_weight)
        self.pixel_weight = float(pixel_weight)
        self.content = content
        self.lambda_map = float(lambda_map)
        # "loss" (generator total) and "sr_psnr_y" match the names compiled models log, for callbacks.
        self.g_loss_tracker = keras.metrics.Mean(name="loss")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.content_tracker = keras.metrics.Mean(name="content_loss")
        self.adv_tracker = keras.metrics.Mean(name="adv_loss")
        self.psnr_tracker = PSNRY(crop=model_scale(self) or 4, name="sr_psnr_y")
        self._aux = _Untracked({})
        self._compile_kwargs: dict[str, Any] = {}
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        return self.generator(inputs, training=training)

    # ----------------------------------------------------------------- compile
    def compile(  # type: ignore[override]
        self,
        learning_rate: float = 1e-4,
        beta_1: float = 0.9,
        lambda_map: float | None = None,
        d_learning_rate: float | None = None,
        run_eagerly: bool = False,
        _quiet: bool = False,
    ) -> None:
        """Adam for both networks (the paper's settings: lr 1e-4, beta_1 0.9); builds the content loss."""
        if lambda_map is not None:
            self.lambda_map = float(lambda_map)
        self.g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1)
        self.d_optimizer = keras.optimizers.Adam(d_learning_rate or learning_rate, beta_1=beta_1)
        if self.content == "vgg":
            if self.vgg_weights is None and not _quiet:
                warnings.warn(
                    "VGG19 perceptual loss with random weights (vgg_weights=None): fine for tests, "
                    "meaningless for real training; pass a local VGG19 notop weights file",
                    stacklevel=2,
                )
            self._aux.value["content"] = PerceptualLoss(self.vgg_weights)
        else:
            self._aux.value["content"] = Charbonnier()
        self._aux.value["pixel"] = Charbonnier()
        self._aux.value["map"] = map_loss()
        self._compile_kwargs = {
            "learning_rate": learning_rate,
            "beta_1": beta_1,
            "lambda_map": self.lambda_map,
            "d_learning_rate": d_learning_rate,
        }
        # Built now so a saved GAN restores both optimisers' state on load.
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        super().compile(optimizer=self.g_optimizer, jit_compile=False, run_eagerly=run_eagerly)

    def get_compile_config(self) -> dict[str, Any]:
        return dict(self._compile_kwargs)

    def compile_from_config(self, config: dict[str, Any]) -> None:
        try:
            self.compile(**config, _quiet=True)
        except Exception as error:  # a missing VGG file must not stop inference use of a saved GAN
            warnings.warn(f"GAN model loaded uncompiled ({error}); call compile() before training", stacklevel=2)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.g_loss_tracker, self.d_loss_tracker, self.content_tracker, self.adv_tracker, self.psnr_tracker]

    # -------------------------------------------------------------- training
    def _targets(self, y: Any) -> tuple[Any, Any]:
        if isinstance(y, dict):
            return y["sr"], y.get("mask")
        return y, None

    def train_step(self, data: Any) -> dict[str, Any]:
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        hr, mask_true = self._targets(y)
        losses = self._aux.value
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            out = self.generator(x, training=True)
            sr = out["sr"]
            real_logits = self.discriminator(hr, training=True)
            fake_logits = self.discriminator(sr, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
            content = losses["content"](hr, sr)
            adv = generator_adversarial_loss(fake_logits)
            g_loss = content + self.adversarial_weight * adv
            if self.pixel_weight:
                g_loss = g_loss + self.pixel_weight * losses["pixel"](hr, sr)
            if mask_true is not None and "mask" in out and self.lambda_map:
                g_loss = g_loss + self.lambda_map * losses["map"](mask_true, out["mask"])
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars, strict=True))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
        self.g_loss_tracker.update_state(g_loss)
        self.d_loss_tracker.update_state(d_loss)
        self.content_tracker.update_state(content)
        self.adv_tracker.update_state(adv)
        self.psnr_tracker.update_state(hr, sr)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data: Any) -> dict[str, Any]:
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        hr, _ = self._targets(y)
        sr = self.generator(x, training=False)["sr"]
        content = self._aux.value["content"](hr, sr)
        # Validation "loss" is the content loss: the adversarial term says nothing about a fixed image.
        self.g_loss_tracker.update_state(content)
        self.content_tracker.update_state(content)
        self.psnr_tracker.update_state(hr, sr)
        return {m.name: m.result() for m in (self.g_loss_tracker, self.content_tracker, self.psnr_tracker)}

    # ------------------------------------------------------------- saving
    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "vgg_weights": self.vgg_weights,
            "adversarial_weight": self.adversarial_weight,
            "pixel_weight": self.pixel_weight,
            "content": self.content,
            "lambda_map": self.lambda_map,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GANModel:
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop("discriminator"))
        return cls(generator=generator, discriminator=discriminator, **config)
