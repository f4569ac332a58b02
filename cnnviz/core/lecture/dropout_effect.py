"""The effect of dropout: the same small model trained twice on a small MNIST subset, without and with a Dropout
layer, so a student sees the gap between training and validation accuracy.

Both runs start from the same weights (the Dense layers are built with the same seed, and Dropout has none),
see the same images in the same order, and differ only by the Dropout layer. Tiny on purpose: a few hundred
training images overfit within a few epochs, which is what dropout is for. Imports TensorFlow: run it off the GUI
thread (the app uses its training lane).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class EffectRun:
    """One run: ``rate`` 0 means no Dropout layer; per-epoch ``accuracy`` and ``val_accuracy``."""

    rate: float
    accuracy: tuple[float, ...]
    val_accuracy: tuple[float, ...]

    @property
    def gap(self) -> float:
        """Training minus validation accuracy at the last epoch."""
        return self.accuracy[-1] - self.val_accuracy[-1]


def build_model(input_shape, classes: int, rate: float, hidden: int = 256, seed: int = 0):
    """Flatten -> Dense(hidden, relu) -> [Dropout(rate)] -> Dense(classes, softmax), the lecture's fc_1/fc_2 shape."""
    import keras

    layers = [keras.Input(tuple(input_shape)), keras.layers.Flatten(),
              keras.layers.Dense(hidden, activation="relu", name="fc_1",
                                 kernel_initializer=keras.initializers.GlorotUniform(seed))]
    if rate > 0:
        layers.append(keras.layers.Dropout(rate, seed=seed + 1, name="dropout"))
    layers.append(keras.layers.Dense(classes, activation="softmax", name="fc_2",
                                     kernel_initializer=keras.initializers.GlorotUniform(seed + 2)))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_with_and_without(x_train, y_train, x_val, y_val, *, rate: float = 0.5, epochs: int = 15,
                           batch_size: int = 32, seed: int = 0,
                           on_epoch: Callable[[float, int, dict], None] | None = None,
                           should_stop: Callable[[], bool] | None = None) -> tuple[EffectRun, EffectRun]:
    """Train without dropout, then with ``rate``; images float32 NHWC 0..1, labels int. ``on_epoch(rate, epoch,
    logs)`` after each epoch; ``should_stop()`` is checked after each batch (then the runs end early)."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    if not 0.0 < rate < 1.0:
        raise ValueError(f"The dropout rate must be between 0 and 1 (exclusive), got {rate:g}.")
    classes = int(max(np.max(y_train), np.max(y_val))) + 1

    class _Report(keras.callbacks.Callback):
        def __init__(self, r: float) -> None:
            super().__init__()
            self.r = r

        def on_train_batch_end(self, batch, logs=None):
            if should_stop is not None and should_stop():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if on_epoch is not None:
                on_epoch(self.r, epoch, dict(logs or {}))

    runs = []
    for r in (0.0, float(rate)):
        keras.utils.set_random_seed(seed)         # the same shuffling for both runs
        model = build_model(x_train.shape[1:], classes, r, seed=seed)
        hist = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
                         shuffle=True, verbose=0, callbacks=[_Report(r)]).history
        runs.append(EffectRun(r, tuple(float(a) for a in hist.get("accuracy", ())),
                              tuple(float(a) for a in hist.get("val_accuracy", ()))))
        if should_stop is not None and should_stop():
            break
    if len(runs) < 2:
        runs.append(EffectRun(float(rate), (), ()))
    return runs[0], runs[1]


def mnist_subset(train: int = 500, val: int = 1000, seed: int = 0):
    """A small stratified subset of the bundled MNIST sample: (x_train, y_train, x_val, y_val), float32 0..1."""
    from cnnviz.core.data.datasets import load_mnist_sample

    data = load_mnist_sample()
    rng = np.random.default_rng(seed)
    tr = rng.permutation(len(data.x_train))[:train]
    va = rng.permutation(len(data.x_test))[:val]
    return (data.x_train[tr].astype(np.float32) / 255.0, data.y_train[tr],
            data.x_test[va].astype(np.float32) / 255.0, data.y_test[va])
