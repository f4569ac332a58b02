"""Dropout, one training iteration at a time, exactly as ``keras.layers.Dropout(rate, seed=seed)`` draws it.

How Keras 3 (TensorFlow backend) draws the mask (keras/src/layers/regularization/dropout.py,
keras/src/random/seed_generator.py, keras/src/backend/tensorflow/random.py):

* the layer holds a ``SeedGenerator(seed)`` whose state starts at ``[seed, 0]``; every call in training mode
  takes the current state as the seed and adds ``[0, 1]`` to it, so the t-th training call (t = 0, 1, ...)
  uses the seed pair ``[seed, t]`` (cast to int32 with ``floormod(., 2**31 - 2)``);
* ``tf.nn.experimental.stateless_dropout`` then draws u = ``tf.random.stateless_uniform(shape, seed=[seed, t])``
  in [0, 1), keeps the units with u >= rate and multiplies them by 1 / (1 - rate); the others become 0;
* in inference mode (``training=False``, what ``predict`` and ``evaluate`` use) nothing is dropped or scaled;
  with rate 0 the layer returns its input (no seed is used).

:func:`dropout_step` calls the same ``stateless_uniform`` op and applies the rule itself, so the view can show
each unit's random number next to p_drop; :func:`keras_dropout_outputs` runs the real layer, for the tests (and
anyone who doubts).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INT32_SEED_MODULUS = 2**31 - 2    # keras's _cast_seed: floormod(seed, tf.int32.max - 1)


class DropoutInputError(ValueError):
    """A rate, seed or unit count the view cannot use; the message says which and why."""


@dataclass(frozen=True)
class DropoutStep:
    """One iteration: ``uniforms`` (each unit's random number; None in inference), ``kept`` (bool per unit),
    ``scale`` (1 / (1 - rate) applied to survivors; 1 in inference), ``inputs`` and ``outputs`` (float32)."""

    rate: float
    seed: int
    iteration: int
    training: bool
    inputs: np.ndarray
    uniforms: np.ndarray | None
    kept: np.ndarray
    scale: float
    outputs: np.ndarray

    @property
    def dropped(self) -> int:
        return int(np.count_nonzero(~self.kept))


def check(rate: float, seed: int, units: int) -> None:
    if not 0.0 <= float(rate) < 1.0:
        raise DropoutInputError(f"p_drop must be at least 0 and below 1, got {rate:g} (at 1 every unit is dropped "
                                "and nothing is left to scale).")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DropoutInputError(f"The seed must be a whole number of at least 0, got {seed!r}.")
    if not 1 <= int(units) <= 100_000:
        raise DropoutInputError(f"A layer has 1 to 100,000 units here, got {units}.")


def example_activations(units: int, seed: int = 0) -> np.ndarray:
    """Some non-negative float32 activations (what a ReLU layer hands a Dropout layer), for the view."""
    rng = np.random.default_rng(seed)
    return np.round(rng.gamma(2.0, 0.5, size=int(units)), 2).astype(np.float32)


def dropout_step(inputs, rate: float, seed: int, iteration: int, training: bool = True) -> DropoutStep:
    """What ``keras.layers.Dropout(rate, seed=seed)`` does to ``inputs`` (a 1D float32 vector of units) on its
    ``iteration``-th call in training mode (0-based), or in inference mode. Imports TensorFlow for the random
    numbers (the same stateless op Keras uses): call it off the GUI thread."""
    x = np.asarray(inputs, dtype=np.float32).ravel()
    check(rate, seed, x.size)
    if iteration < 0:
        raise DropoutInputError(f"The iteration counts from 0, got {iteration}.")
    if not training or rate == 0.0:
        return DropoutStep(float(rate), int(seed), int(iteration), bool(training), x, None,
                           np.ones(x.size, bool), 1.0, x.copy())
    u = uniforms(x.size, seed, iteration)
    kept = u >= np.float32(rate)
    scale = np.float32(1.0 / (1.0 - rate))    # TensorFlow: x * cast(1 / keep_prob, float32), then where(keep, ., 0)
    outputs = np.where(kept, x * scale, np.float32(0)).astype(np.float32)
    return DropoutStep(float(rate), int(seed), int(iteration), True, x, u, kept, float(scale), outputs)


def uniforms(units: int, seed: int, iteration: int) -> np.ndarray:
    """The random numbers in [0, 1) that Keras's Dropout draws for ``units`` float32 units at ``iteration``."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import tensorflow as tf

    pair = tf.constant([seed % INT32_SEED_MODULUS, iteration % INT32_SEED_MODULUS], dtype=tf.int32)
    return tf.random.stateless_uniform([int(units)], seed=pair, dtype=tf.float32).numpy()


def keras_dropout_outputs(inputs, rate: float, seed: int, iterations: int, training: bool = True) -> list[np.ndarray]:
    """Keras's own answer: one ``keras.layers.Dropout(rate, seed=seed)`` layer called ``iterations`` times on
    ``inputs`` (shape (1, units)); the outputs of each call, float32 (units,)."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    x = np.asarray(inputs, dtype=np.float32).reshape(1, -1)
    layer = keras.layers.Dropout(rate, seed=seed)
    return [np.asarray(layer(x, training=training))[0] for _ in range(int(iterations))]
