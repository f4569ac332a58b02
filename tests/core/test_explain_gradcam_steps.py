"""Grad-CAM step by step (cnnviz.core.explain.gradcam_steps): every stage checked against an independent
computation. On the shipped digit model: the final map is the inspector's grad_cam, alpha is the mean gradient
from a tf.GradientTape reference built here, the ReLU stage has no negatives. On a hand-built model whose answer
is known (class 0's evidence a horizontal bar, class 1's a vertical bar), the map is high on the class's own bar."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.explain.gradcam_steps import CAPTIONS, STAGES, gradcam_steps
from cnnviz.core.explain.scores import ExplainError
from cnnviz.core.inspect.inspection import ModelInspector

HORIZONTAL = np.array([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]], np.float32)
VERTICAL = HORIZONTAL.T.copy()


def _bars_image() -> np.ndarray:
    x = np.zeros((8, 8, 1), np.float32)
    x[1, 0:4, 0] = 1.0      # a horizontal bar, top left
    x[4:8, 6, 0] = 1.0      # a vertical bar, bottom right
    return x


def _bars_model():
    import keras

    model = keras.Sequential([keras.Input((8, 8, 1)),
                              keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="detect"),
                              keras.layers.Flatten(name="flatten"),
                              keras.layers.Dense(2, activation="softmax", name="out")], name="bars")
    kernel = np.stack([HORIZONTAL, VERTICAL], axis=-1)[:, :, None, :]
    model.get_layer("detect").set_weights([kernel, np.zeros(2, np.float32)])
    dense = np.zeros((8 * 8 * 2, 2), np.float32)
    dense[0::2, 0], dense[1::2, 0] = 1.0, -0.5   # logit 0 = sum(horizontal map) - 0.5 sum(vertical map)
    dense[1::2, 1], dense[0::2, 1] = 1.0, -0.5   # logit 1 = sum(vertical map) - 0.5 sum(horizontal map)
    model.get_layer("out").set_weights([dense, np.zeros(2, np.float32)])
    return model


@pytest.fixture(scope="module")
def shipped():
    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.model.pretrained import load_shipped_model

    model = load_shipped_model()
    ds = load_dataset("mnist_sample")
    return model, ModelInspector(model, copy=False), ds.x_test[:3].astype(np.float32), ds.y_test[:3]


def _tape_reference(model, layer_name: str, image: np.ndarray, k: int):
    """A, dy/dA by a functional model of (conv output, logits) and tf.GradientTape, written independently."""
    import keras
    import tensorflow as tf

    conv = model.get_layer(layer_name)
    head = model.layers[-1]
    feed = keras.Model(model.inputs[0], [conv.output, head.input])
    x = tf.constant(image[None])
    with tf.GradientTape() as tape:
        a, penultimate = feed(x, training=False)
        logits = tf.matmul(penultimate, head.kernel) + head.bias      # the score before softmax
        y = logits[0, k]
    return np.array(a[0]), np.array(tape.gradient(y, a)[0])


def test_every_stage_on_the_shipped_model(shipped):
    model, inspector, images, labels = shipped
    for image, label in zip(images, labels):
        for k in (int(label), (int(label) + 3) % 10):
            steps = gradcam_steps(inspector, image, k)
            assert steps.layer == inspector.last_conv_layer().name
            h, w, c = steps.activations.shape
            assert steps.gradients.shape == (h, w, c) and steps.alpha.shape == (c,)
            assert steps.weighted.shape == steps.relu.shape == (h, w)
            assert steps.upsampled.shape == image.shape[:2]
            np.testing.assert_allclose(steps.heat, inspector.grad_cam(image, k), atol=1e-5)
            a, g = _tape_reference(model, steps.layer, image, k)
            np.testing.assert_allclose(steps.activations, a, atol=1e-5)
            np.testing.assert_allclose(steps.alpha, g.mean(axis=(0, 1)), rtol=1e-4, atol=1e-7)
            np.testing.assert_allclose(steps.weighted, (a * g.mean(axis=(0, 1))).sum(axis=-1), rtol=1e-4,
                                       atol=1e-5)
            assert steps.relu.min() >= 0.0
            assert steps.weighted.min() < 0 or np.array_equal(steps.relu, steps.weighted)
            np.testing.assert_array_equal(steps.relu, np.maximum(steps.weighted, 0))
            top = steps.top_channels(3)
            assert [a_ for _, a_ in top] == sorted(steps.alpha, reverse=True)[:3]


def test_a_keras_model_and_a_named_layer_are_accepted(shipped):
    model, inspector, images, _ = shipped
    first = inspector.conv_layers()[0].name
    steps = gradcam_steps(model, images[0], 7, first)
    assert steps.layer == first
    np.testing.assert_allclose(steps.heat, inspector.grad_cam(images[0], 7, first), atol=1e-5)


def test_the_map_is_high_where_the_evidence_is():
    image = _bars_image()
    inspector = ModelInspector(_bars_model(), ["horizontal", "vertical"])
    horizontal, vertical = gradcam_steps(inspector, image, 0), gradcam_steps(inspector, image, 1)
    # d logit / d map is the same everywhere: 1 for the class's own detector, -0.5 for the other one
    np.testing.assert_allclose(horizontal.alpha, [1.0, -0.5], atol=1e-6)
    np.testing.assert_allclose(vertical.alpha, [-0.5, 1.0], atol=1e-6)
    assert horizontal.top_channels(1) == [(0, pytest.approx(1.0))]
    assert horizontal.heat[1, 0:4].min() > 0.5 and vertical.heat[4:8, 6].min() > 0.5   # its own bar is lit
    assert np.all(horizontal.heat[4:8, 6] == 0) and np.all(vertical.heat[1, 0:4] == 0)  # the other bar is cut
    assert horizontal.weighted[4:8, 6].max() < 0      # ... by the ReLU: negative before it
    np.testing.assert_allclose(horizontal.heat, inspector.grad_cam(image, 0), atol=1e-5)


def test_bad_inputs_get_one_clear_message(shipped):
    _, inspector, images, _ = shipped
    with pytest.raises(ExplainError, match="out of range"):
        gradcam_steps(inspector, images[0], 10)
    dense = [i for i in inspector.layers if not i.is_spatial][-1].name
    with pytest.raises(ExplainError, match="spatial"):
        gradcam_steps(inspector, images[0], 0, dense)
    assert set(CAPTIONS) == set(STAGES)
