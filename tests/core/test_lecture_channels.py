"""The lecture's RGB convolution and pooling examples against TensorFlow and Keras's own layers."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.lecture.channels import (CHANNEL_EXAMPLES, POOL_EXAMPLES, RGB_BIAS, RGB_IMAGE, RGB_KERNEL,
                                          channel_formula, pool_formula, pool_stepper, rgb_stepper)


@pytest.mark.parametrize("key", list(CHANNEL_EXAMPLES))
def test_rgb_example_equals_tf_conv2d_and_its_channel_sums_each_channel_alone(key):
    import tensorflow as tf

    ex = CHANNEL_EXAMPLES[key]
    st = rgb_stepper(stride=ex.stride, padding=ex.padding)
    ours = np.array([s.value for s in st]).reshape(st.output_shape)
    x = tf.constant(RGB_IMAGE[None], tf.float64)
    ref = tf.nn.conv2d(x, tf.constant(RGB_KERNEL), ex.stride, ex.padding.upper())[0, ..., 0].numpy() + RGB_BIAS
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    # each channel's sum is that channel convolved alone with its kernel slice (what the view writes per colour)
    for c in range(3):
        alone = tf.nn.conv2d(x[..., c:c + 1], tf.constant(RGB_KERNEL[:, :, c:c + 1]), ex.stride,
                             ex.padding.upper())[0, ..., 0].numpy()
        sums = np.array([s.channel_sums[c] for s in st]).reshape(st.output_shape)
        np.testing.assert_allclose(sums, alone, atol=1e-12)


def test_rgb_output_size_follows_the_formula():
    assert rgb_stepper(stride=1, padding="valid").output_shape == (3, 3)
    assert rgb_stepper(stride=1, padding="same").output_shape == (5, 5)
    assert rgb_stepper(stride=2, padding="same").output_shape == (3, 3)


def test_channel_formula_adds_up():
    step = rgb_stepper().step_at(1, 1)
    text = channel_formula(step)
    r, g, b = step.channel_sums
    assert text == f"R {r:g} + G {g:g} + B {b:g} + bias 1 = {r + g + b + 1:g}"


@pytest.mark.parametrize("key", list(POOL_EXAMPLES))
def test_pool_examples_equal_keras_pooling_layers(key):
    import keras

    ex = POOL_EXAMPLES[key]
    layer = (keras.layers.MaxPooling2D if ex.mode == "max" else keras.layers.AveragePooling2D)(
        pool_size=ex.size, strides=ex.stride, padding=ex.padding)
    ref = np.asarray(layer(ex.x[None, ..., None].astype(np.float32)))[0, ..., 0]
    st = pool_stepper(ex)
    ours = np.array([s.value for s in st]).reshape(st.output_shape)
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


def test_pool_formula_names_every_real_cell():
    step = pool_stepper(POOL_EXAMPLES["max"]).step_at(0, 0)
    assert pool_formula(step) == "max(1, 3, 5, 6) = 6"
    step = pool_stepper(POOL_EXAMPLES["average"]).step_at(1, 1)
    assert pool_formula(step) == "(0 + 4 + 3 + 1) / 4 = 2"
    corner = pool_stepper(POOL_EXAMPLES["average_same"]).step_at(2, 2)   # 5x5, same: one real cell
    assert corner.count == 1 and pool_formula(corner) == "(2) / 1 = 2"
