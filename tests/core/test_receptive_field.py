"""Receptive fields from the layer arithmetic, checked against the gradients of real Keras models.

A pixel is in a cell's receptive field when changing it can change the cell: its gradient is non-zero for some
weights. With linear layers and random weights every such pixel does get a non-zero gradient, so the box from
the arithmetic must be exactly the bounding box of the gradient's support; with ReLU and max pooling some
gradients are zero, so the box must contain the support.
"""
import numpy as np
import pytest

from cnnviz.core.model.build import build_model
from cnnviz.core.model.presets import lecture_mnist
from cnnviz.core.model.receptive_field import (ReceptiveFieldError, dense_equivalent, field_table,
                                               receptive_box)
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.tf_runtime import import_tensorflow


def _support(model, x, layer_name, row, col):
    """(rows, cols) of the input pixels whose gradient on output cell (row, col) of ``layer_name`` is non-zero."""
    import keras
    import tensorflow as tf

    probe = keras.Model(model.inputs, model.get_layer(layer_name).output)
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        y = probe(xt)
        cell = y[0, row, col, :] if len(y.shape) == 4 else y[0, :]
    jac = tape.jacobian(cell, xt).numpy()          # (channels, 1, H, W, C_in)
    hit = np.abs(jac).reshape(jac.shape[0], *jac.shape[2:]).max(axis=(0, 3)) > 0
    return np.nonzero(hit)


def _linear_spec():
    layers = [
        LayerSpec.make("ZeroPadding2D", "pad", top=2, bottom=0, left=1, right=3),
        LayerSpec.make("Conv2D", "c1", filters=3, kernel_size=[3, 5], padding="same", strides=[2, 1],
                       activation="linear"),
        LayerSpec.make("AveragePooling2D", "p1", pool_size=[2, 2], strides=[1, 2], padding="same"),
        LayerSpec.make("Conv2D", "c2", filters=2, kernel_size=[3, 3], dilation_rate=[2, 1], padding="valid",
                       activation="linear"),
        LayerSpec.make("DepthwiseConv2D", "dw", kernel_size=[2, 3], strides=[2, 2], padding="same",
                       activation="linear"),
    ]
    return ModelSpec((21, 19, 2), layers, name="linear_fields")


@pytest.mark.parametrize("layer", ["c1", "p1", "c2", "dw"])
def test_box_is_exactly_where_the_gradient_reaches_in_a_linear_model(layer):
    import_tensorflow()
    spec = _linear_spec()
    model = build_model(spec, seed=3)
    x = np.random.default_rng(0).normal(size=(1, 21, 19, 2)).astype("float32")
    index = [lay.name for lay in spec.layers].index(layer)
    out = model.get_layer(layer).output.shape
    cells = [(0, 0), (out[1] - 1, out[2] - 1), (out[1] // 2, out[2] // 3), (1, 1)]
    seen = 0
    for row, col in cells:
        box = receptive_box(spec, index, row, col)
        rows, cols = _support(model, x, layer, row, col)
        if box.empty:   # its taps land on padding only
            assert not rows.size, f"{layer} ({row}, {col})"
            continue
        assert (rows.min(), cols.min(), rows.max(), cols.max()) == (box.top, box.left, box.bottom, box.right), \
            f"{layer} cell ({row}, {col})"
        seen += 1
    assert seen >= 2


def test_lecture_model_fields_contain_every_pixel_with_a_gradient():
    import_tensorflow()
    spec = lecture_mnist()
    model = build_model(spec, seed=1)
    x = np.random.default_rng(1).uniform(size=(1, 28, 28, 1)).astype("float32")
    names = [lay.name for lay in spec.layers]
    for name, (row, col) in [("conv_1", (0, 0)), ("pool_1", (5, 9)), ("conv_2", (13, 0)), ("pool_2", (3, 3))]:
        box = receptive_box(spec, names.index(name), row, col)
        rows, cols = _support(model, x, name, row, col)
        assert rows.size and all(box.contains(r, c) for r, c in zip(rows, cols)), name
    # the lecture's layer arithmetic: 5x5 same convs and 2x2 pools
    table = {f.name: f for f in field_table(spec)}
    assert table["conv_1"].size == (5, 5) and table["conv_1"].jump == (1, 1)
    assert table["pool_1"].size == (6, 6) and table["pool_1"].jump == (2, 2)
    assert table["conv_2"].size == (14, 14) and table["pool_2"].size == (16, 16) and table["pool_2"].jump == (4, 4)
    assert table["fc_1"].size is None   # after Flatten a unit sees the whole image
    whole = receptive_box(spec, names.index("fc_1"), 0, 0)
    assert whole.whole_image and (whole.height, whole.width) == (28, 28)


def test_padding_is_outside_the_image_and_clipped():
    spec = lecture_mnist()
    box = receptive_box(spec, 0, 0, 0)     # conv_1 5x5 same: two rows and columns of padding above and left
    assert box.unclipped == (-2, -2, 2, 2) and (box.top, box.left, box.bottom, box.right) == (0, 0, 2, 2)
    with pytest.raises(ReceptiveFieldError, match="outside"):
        receptive_box(spec, 0, 28, 0)
    with pytest.raises(ReceptiveFieldError, match="not in the model"):
        receptive_box(spec, 99, 0, 0)


def test_conv_weights_against_a_dense_layer_making_the_same_mapping():
    spec = lecture_mnist()
    conv_1 = dense_equivalent(spec, 0)
    assert conv_1.layer_params == 832                       # the lecture's number
    assert conv_1.dense_params == 28 * 28 * 1 * 28 * 28 * 32 + 28 * 28 * 32 == 19_694_080
    assert "19,694,080" in conv_1.formula
    import_tensorflow()
    import keras

    # a real Dense layer on the flattened input has exactly that many weights
    dense = keras.Sequential([keras.Input((784,)), keras.layers.Dense(28 * 28 * 32)])
    assert dense.count_params() == conv_1.dense_params


def test_effective_field_is_zero_outside_the_theoretical_box():
    from cnnviz.core.inspect.receptive import effective_field

    import_tensorflow()
    spec = lecture_mnist()
    model = build_model(spec, seed=2)
    x = np.random.default_rng(2).uniform(size=(28, 28, 1)).astype("float32")
    names = [lay.name for lay in spec.layers]
    field = effective_field(model, "conv_2", 6, 9, x)
    box = receptive_box(spec, names.index("conv_2"), 6, 9)
    inside = np.zeros((28, 28), bool)
    inside[box.top:box.bottom + 1, box.left:box.right + 1] = True
    assert field[inside].sum() > 0 and not field[~inside].any()
    with pytest.raises(ValueError, match="whole image"):
        effective_field(model, "fc_1", 0, 0, x)
