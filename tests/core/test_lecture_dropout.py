"""The dropout the Lecture tab shows (cnnviz.core.lecture.dropout) is keras.layers.Dropout's: the same units kept,
the same 1/(1 - p) scale, at every training iteration, for the same seed; nothing dropped at inference."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.lecture.dropout import (DropoutInputError, dropout_step, example_activations,
                                         keras_dropout_outputs)


@pytest.mark.parametrize("rate,seed,units", [(0.5, 1, 64), (0.25, 123, 30), (0.8, 7, 100), (0.5, 2**31 + 5, 16),
                                              (0.1, 0, 10)])
def test_kept_units_and_scale_equal_keras_dropout_in_training_mode(rate, seed, units):
    x = example_activations(units, seed=3) + np.float32(0.01)     # no zero input: kept <=> Keras output != 0
    keras = keras_dropout_outputs(x, rate, seed, iterations=6, training=True)
    masks = []
    for t, out in enumerate(keras):
        step = dropout_step(x, rate, seed, t, training=True)
        np.testing.assert_array_equal(step.kept, out != 0)
        np.testing.assert_array_equal(step.outputs, out)               # bit for bit
        assert step.scale == pytest.approx(1 / (1 - rate), rel=1e-7)
        np.testing.assert_array_equal(out[step.kept], x[step.kept] * np.float32(step.scale))
        assert np.all(step.uniforms[step.kept] >= rate) and np.all(step.uniforms[~step.kept] < rate)
        masks.append(step.kept)
    assert len({m.tobytes() for m in masks}) > 1          # a new mask at each iteration


def test_the_same_masks_inside_a_compiled_function_as_fit_uses():
    import keras
    import tensorflow as tf

    x = np.ones((1, 40), np.float32)
    layer = keras.layers.Dropout(0.5, seed=11)
    fn = tf.function(lambda v: layer(v, training=True))
    for t in range(4):
        np.testing.assert_array_equal(np.asarray(fn(x))[0], dropout_step(x[0], 0.5, 11, t).outputs)


def test_inference_drops_nothing_like_keras():
    x = example_activations(20)
    (keras,) = keras_dropout_outputs(x, 0.5, 5, iterations=1, training=False)
    step = dropout_step(x, 0.5, 5, 3, training=False)
    np.testing.assert_array_equal(step.outputs, keras)
    np.testing.assert_array_equal(step.outputs, x)
    assert step.kept.all() and step.scale == 1.0 and step.dropped == 0


def test_about_p_of_the_units_are_dropped():
    x = np.ones(4000, np.float32)
    step = dropout_step(x, 0.3, 2, 0)
    assert 0.27 < step.dropped / x.size < 0.33


def test_bad_settings_get_a_clear_message():
    with pytest.raises(DropoutInputError, match="below 1"):
        dropout_step(np.ones(3), 1.0, 1, 0)
    with pytest.raises(DropoutInputError, match="seed"):
        dropout_step(np.ones(3), 0.5, -1, 0)
    with pytest.raises(DropoutInputError, match="iteration"):
        dropout_step(np.ones(3), 0.5, 1, -2)


def test_with_and_without_dropout_are_two_real_runs_that_differ_only_by_the_dropout_layer():
    import keras

    from cnnviz.core.lecture.dropout_effect import build_model, mnist_subset, train_with_and_without

    plain, dropped = build_model((28, 28, 1), 10, 0.0), build_model((28, 28, 1), 10, 0.4)
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in plain.layers)
    (drop,) = [layer for layer in dropped.layers if isinstance(layer, keras.layers.Dropout)]
    assert drop.rate == 0.4
    for a, b in zip(plain.get_weights(), dropped.get_weights()):    # the same initial weights
        np.testing.assert_array_equal(a, b)

    data = mnist_subset(200, 300)
    assert data[0].shape == (200, 28, 28, 1) and data[2].shape == (300, 28, 28, 1) and data[0].max() <= 1.0
    epochs = []
    without, with_ = train_with_and_without(*data, rate=0.4, epochs=3, on_epoch=lambda r, e, logs: epochs.append(
        (r, e, logs["accuracy"], logs["val_accuracy"])))
    assert (without.rate, with_.rate) == (0.0, 0.4)
    assert [(r, e) for r, e, *_ in epochs] == [(0.0, 0), (0.0, 1), (0.0, 2), (0.4, 0), (0.4, 1), (0.4, 2)]
    assert without.accuracy == pytest.approx([a for r, _, a, _ in epochs if r == 0.0])
    assert with_.val_accuracy == pytest.approx([v for r, *_, v in epochs if r == 0.4])
    assert without.accuracy != with_.accuracy            # dropout changed the training
    assert without.accuracy[-1] > 0.5 and without.gap == pytest.approx(without.accuracy[-1] - without.val_accuracy[-1])
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_with_and_without(*data, rate=0.0, epochs=1)
