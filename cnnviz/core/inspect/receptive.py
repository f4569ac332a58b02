"""The effective receptive field of one cell: how much each input pixel moves it (Luo et al., 2016).

The theoretical field (:mod:`cnnviz.core.model.receptive_field`) says which pixels *can* reach a cell; the
gradient ``|d sum_c y[i, j, c] / d x|`` says how much each one does for this model and this image. It is zero
outside the theoretical box and usually concentrated in its middle. TensorFlow is imported lazily; no Qt.
"""
from __future__ import annotations

import numpy as np

from cnnviz.core.tf_runtime import import_tensorflow


def effective_field(model, layer_name: str, row: int, col: int, image: np.ndarray) -> np.ndarray:
    """(H, W) ``|gradient|`` of output cell (row, col) of ``layer_name`` (summed over its channels) with respect
    to the input image (summed over the image's channels), for a batch of one ``image`` (H, W, C)."""
    import_tensorflow()
    import keras
    import tensorflow as tf

    layer = model.get_layer(layer_name)
    probe = keras.Model(model.inputs, layer.output)
    x = tf.constant(np.asarray(image, np.float32)[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = probe(x, training=False)
        if len(y.shape) != 4:
            raise ValueError(f"{layer_name} has no feature maps (output {tuple(y.shape[1:])}): every unit sees "
                             "the whole image")
        if not (0 <= row < y.shape[1] and 0 <= col < y.shape[2]):
            raise ValueError(f"cell ({row}, {col}) is outside {layer_name}'s {y.shape[1]}x{y.shape[2]} maps")
        cell = tf.reduce_sum(y[0, row, col, :])
    grad = tape.gradient(cell, x)
    return np.abs(grad.numpy()[0]).sum(axis=-1)
