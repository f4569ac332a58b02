"""Grad-CAM on a model whose answer is known: weights set by hand so that class 0's evidence is a horizontal bar
(top left of the image) and class 1's a vertical bar (bottom right). The map must be, pixel for pixel, the ReLU of
the gradient-weighted feature maps computed here with numpy, and must light up the right bar for each class."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.inspect.inspection import ModelInspector

pytestmark = pytest.mark.slow

HORIZONTAL = np.array([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]], np.float32)
VERTICAL = HORIZONTAL.T.copy()
OTHER = -0.5   # each class counts the other class's detector against itself


def _image() -> np.ndarray:
    x = np.zeros((8, 8, 1), np.float32)
    x[1, 0:4, 0] = 1.0      # a horizontal bar, top left
    x[4:8, 6, 0] = 1.0      # a vertical bar, bottom right
    return x


def _model():
    import keras

    model = keras.Sequential([keras.Input((8, 8, 1)),
                              keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="detect"),
                              keras.layers.Flatten(name="flatten"),
                              keras.layers.Dense(2, activation="softmax", name="out")], name="bars")
    kernel = np.stack([HORIZONTAL, VERTICAL], axis=-1)[:, :, None, :]          # (3, 3, 1, 2)
    model.get_layer("detect").set_weights([kernel, np.zeros(2, np.float32)])
    dense = np.zeros((8 * 8 * 2, 2), np.float32)  # flatten index = (row * 8 + col) * 2 + channel
    dense[0::2, 0], dense[1::2, 0] = 1.0, OTHER   # logit 0 = sum(horizontal map) - 0.5 sum(vertical map)
    dense[1::2, 1], dense[0::2, 1] = 1.0, OTHER   # logit 1 = sum(vertical map) - 0.5 sum(horizontal map)
    model.get_layer("out").set_weights([dense, np.zeros(2, np.float32)])
    return model


def _feature_maps(image: np.ndarray) -> np.ndarray:
    """The detector layer by hand: zero 'same' padding, cross-correlation, ReLU -> (8, 8, 2)."""
    padded = np.pad(image[..., 0], 1)
    maps = np.zeros((8, 8, 2), np.float32)
    for c, k in enumerate((HORIZONTAL, VERTICAL)):
        for i in range(8):
            for j in range(8):
                maps[i, j, c] = np.sum(padded[i:i + 3, j:j + 3] * k)
    return np.maximum(maps, 0.0)


@pytest.fixture(scope="module")
def inspector():
    return ModelInspector(_model(), ["horizontal", "vertical"])


@pytest.mark.parametrize("cls", [0, 1])
def test_grad_cam_is_the_relu_of_the_gradient_weighted_maps(inspector, cls):
    maps = _feature_maps(_image())
    # d logit_c / d map_k is the same at every cell: 1 for its own detector, -0.5 for the other one
    alpha = np.array([1.0, OTHER] if cls == 0 else [OTHER, 1.0], np.float32)
    expected = np.maximum((maps * alpha).sum(axis=-1), 0.0)
    expected /= expected.max()
    cam = inspector.grad_cam(_image(), cls)
    np.testing.assert_allclose(cam, expected, atol=1e-5)


def test_grad_cam_lights_the_bar_that_is_the_classs_evidence(inspector):
    image = _image()
    horizontal, vertical = inspector.grad_cam(image, 0), inspector.grad_cam(image, 1)
    assert horizontal[1, 0:4].min() > 0.5 and vertical[4:8, 6].min() > 0.5   # each class's own bar is lit
    assert np.all(horizontal[4:8, 6] == 0) and np.all(vertical[1, 0:4] == 0)  # the other bar counts against it
    assert np.unravel_index(np.argmax(horizontal), (8, 8))[0] == 1        # on the bar's row
    assert np.unravel_index(np.argmax(vertical), (8, 8))[1] == 6          # on the bar's column
