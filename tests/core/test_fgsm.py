"""FGSM on the shipped MNIST model: the smallest flipping epsilon is bracketed, the perturbation is epsilon * sign."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.data.datasets import load_dataset
from cnnviz.core.explain.fgsm import FGSM, fgsm, smallest_flip
from cnnviz.core.explain.scores import ExplainError
from cnnviz.core.model.pretrained import load_shipped_model


@pytest.fixture(scope="module")
def model():
    return load_shipped_model()


@pytest.fixture(scope="module")
def images():
    ds = load_dataset("mnist_sample")
    return ds.x_test[:3].astype(np.float32) / 255.0, ds.y_test[:3]


def _predict(model, image):
    return int(np.argmax(np.asarray(model(image[None], training=False))[0]))


def test_smallest_flip_is_bracketed(model, images):
    for image, label in zip(*images):
        result = smallest_flip(model, image)
        assert result.found
        assert result.original_class == _predict(model, image) == label
        assert 0 < result.lower < result.epsilon <= result.lower + 0.01
        # independently of the search's own bookkeeping: apply the perturbation by hand and ask the model
        f = FGSM(model, image)
        at = np.clip(image + result.epsilon * f.sign, 0, 1)
        below = np.clip(image + result.lower * f.sign, 0, 1)
        assert _predict(model, at) != label
        assert _predict(model, below) == label
        assert result.flipped.predicted == _predict(model, result.flipped.image)
        np.testing.assert_allclose(result.flipped.image, at, atol=1e-6)


def test_perturbation_is_epsilon_times_the_gradient_sign(model, images):
    import tensorflow as tf

    image = images[0][0]
    eps = 0.07
    p = fgsm(model, image, eps)
    assert float(np.max(np.abs(p.perturbation))) == pytest.approx(eps, rel=1e-6)
    magnitudes = np.abs(p.perturbation[p.perturbation != 0])
    np.testing.assert_allclose(magnitudes, eps, rtol=1e-6)   # every moved pixel moves by exactly epsilon
    # the sign is that of the gradient of the predicted class's cross-entropy (it raises the loss)
    x = tf.constant(image[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        prob = model(x, training=False)[0, _predict(model, image)]
        loss = -tf.math.log(prob)
    grad = np.asarray(tape.gradient(loss, x))[0]
    strong = np.abs(grad) > 1e-6 * np.abs(grad).max()
    np.testing.assert_array_equal(np.sign(p.perturbation[strong]), np.sign(grad[strong]))
    np.testing.assert_allclose(p.image, np.clip(image + p.perturbation, 0, 1), atol=1e-7)
    assert p.image.min() >= 0 and p.image.max() <= 1
    np.testing.assert_allclose(p.change, p.image - image, atol=1e-7)


def test_epsilon_zero_is_the_plain_prediction(model, images):
    image = images[0][0]
    p = fgsm(model, image, 0.0)
    np.testing.assert_array_equal(p.image, image)
    np.testing.assert_allclose(p.probabilities, np.asarray(model(image[None], training=False))[0], atol=1e-6)


def test_bad_inputs(model, images):
    with pytest.raises(ExplainError, match="0..1"):
        FGSM(model, images[0][0] * 255)
    with pytest.raises(ExplainError, match="epsilon"):
        fgsm(model, images[0][0], -0.1)
    with pytest.raises(ExplainError, match="expects"):
        FGSM(model, np.zeros((32, 32, 3), np.float32))
