"""Training loop for MultiWorkerMirroredStrategy, where Keras 3 ``model.fit`` fails (keras#20585).

It is ``fit`` reduced to what a run needs: ``strategy.run(model.train_step)``
inside one ``tf.function`` over ``experimental_distribute_dataset`` (so GAN
models with their own ``train_step`` work unchanged), the same Keras
callbacks as ``fit`` (backup/resume, best/last, history, NaN stop), then a
distributed validation pass with ``model.test_step``. Every worker runs the
same number of steps (the datasets repeat; counts are fixed up front), and a
time-budget stop is agreed by all workers (a MAX all-reduce) so none waits
forever in a collective.

>>> from leuko_keras.training.custom_loop import CustomLoop  # doctest: +SKIP
>>> CustomLoop(model, plan.strategy).fit(train_ds, val_ds, epochs=2, steps=10, val_steps=2,
...                                      callbacks=cbs)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


def _shard_by_data(dataset: tf.data.Dataset) -> tf.data.Dataset:
    # In-memory datasets have no files to shard: give each worker every n-th batch element.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _to_python(logs: dict[str, Any]) -> dict[str, float]:
    return {key: float(value) for key, value in logs.items()}


class CustomLoop:
    """Distributed train/validate loop driving Keras callbacks like ``model.fit`` does."""

    def __init__(self, model: keras.Model, strategy: tf.distribute.Strategy) -> None:
        self.model = model
        self.strategy = strategy
        self._train_fn = tf.function(self._train_step)
        self._test_fn = tf.function(self._test_step)
        self._any_fn = tf.function(self._any_worker)

    # Each of these runs on every replica and returns cross-replica means, identical on all workers.
    def _train_step(self, iterator: Any) -> dict[str, tf.Tensor]:
        per_replica = self.strategy.run(self.model.train_step, args=(next(iterator),))
        return {k: self.strategy.reduce("MEAN", v, axis=None) for k, v in per_replica.items()}

    def _test_step(self, iterator: Any) -> dict[str, tf.Tensor]:
        per_replica = self.strategy.run(self.model.test_step, args=(next(iterator),))
        return {k: self.strategy.reduce("MEAN", v, axis=None) for k, v in per_replica.items()}

    def _any_worker(self, flag: tf.Tensor) -> tf.Tensor:
        per_replica = self.strategy.run(lambda value: tf.identity(value), args=(flag,))
        return self.strategy.reduce("MAX", per_replica, axis=None)

    def build(self, batch: Any) -> None:
        """Create loss/metric/optimizer variables from one local batch, as ``fit`` does before training."""
        with self.strategy.scope():
            self.model._symbolic_build(data_batch=batch)
            if self.model.optimizer is not None and not self.model.optimizer.built:
                self.model.optimizer.build(self.model.trainable_variables)

    def fit(
        self,
        train: tf.data.Dataset,
        validation: tf.data.Dataset | None,
        epochs: int,
        steps: int,
        val_steps: int,
        callbacks: list[keras.callbacks.Callback],
        verbose: int = 1,
        sync_stop: bool = False,
    ) -> dict[str, float]:
        """Train ``epochs`` epochs of ``steps`` steps (from the restored epoch on); return the last epoch's logs."""
        model = self.model
        self.build(next(iter(train)))
        train_iter = iter(self.strategy.experimental_distribute_dataset(_shard_by_data(train.repeat())))
        val_iter = None
        if validation is not None:
            val_iter = iter(self.strategy.experimental_distribute_dataset(_shard_by_data(validation.repeat())))
        callback_list = keras.callbacks.CallbackList(
            callbacks,
            add_history=False,
            add_progbar=verbose != 0,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
            model=model,
        )
        model.stop_training = False
        callback_list.on_train_begin()
        epoch_logs: dict[str, float] = {}
        for epoch in range(model._initial_epoch or 0, epochs):
            model.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            logs: dict[str, float] = {}
            for step in range(steps):
                callback_list.on_train_batch_begin(step)
                logs = _to_python(self._train_fn(train_iter))
                callback_list.on_train_batch_end(step, logs)
                if sync_stop:
                    # A time budget expires at slightly different moments on each worker.
                    model.stop_training = bool(self._any_fn(tf.constant(float(model.stop_training))) > 0)
                if model.stop_training:
                    break
            epoch_logs = dict(logs)
            if val_iter is not None:
                model.reset_metrics()
                val_logs: dict[str, float] = {}
                for _ in range(val_steps):
                    val_logs = _to_python(self._test_fn(val_iter))
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if model.stop_training:
                break
        callback_list.on_train_end(epoch_logs)
        return epoch_logs
