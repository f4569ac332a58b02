"""Occlusion, integrated gradients and the deletion curve (cnnviz.core.explain.attribution), against answers known
by construction and on the shipped digit model (issue 17, "Why this prediction")."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.explain import attribution as A
from cnnviz.core.explain.scores import ClassScores, ExplainError

# class 1's weights on a 4x4 image: positive weights mark the pixels that raise class 1, negative ones lower it
W1 = np.array([[2.0, -1.0, 0.5, -2.0],
               [-0.5, 1.5, -1.5, 1.0],
               [1.0, -2.0, 2.0, -0.5],
               [-1.0, 0.5, -1.0, 1.5]], np.float32)


@pytest.fixture(scope="module")
def known_model():
    """Flatten -> Dense(2, softmax) with fixed weights: class 0's logit is 0, class 1's is sum(W1 * x)."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    inp = keras.Input((4, 4, 1))
    out = keras.layers.Dense(2, activation="softmax", name="head")(keras.layers.Flatten()(inp))
    model = keras.Model(inp, out)
    kernel = np.zeros((16, 2), np.float32)
    kernel[:, 1] = W1.ravel() * 0.3   # small logits: no probability saturates
    model.get_layer("head").set_weights([kernel, np.zeros(2, np.float32)])
    return model


@pytest.fixture(scope="module")
def known_image():
    return np.random.default_rng(3).uniform(0.2, 1.0, (4, 4, 1)).astype(np.float32)


@pytest.fixture(scope="module")
def small_conv_model():
    """A small real CNN (conv, ReLU, pooling, dense softmax), weights drawn with a fixed seed."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(5)
    inp = keras.Input((12, 12, 1))
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inp)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Dense(6, activation="relu", name="hidden")(keras.layers.Flatten()(h))
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="out")(h))


@pytest.fixture(scope="module")
def shipped():
    from cnnviz.core.model.pretrained import load_shipped_model

    return ClassScores(load_shipped_model())


@pytest.fixture(scope="module")
def digits():
    from cnnviz.resources import resource_path

    d = np.load(resource_path("data", "mnist_sample.npz"))
    return d["x_test"][:4, ..., None].astype(np.float32) / 255.0, d["y_test"][:4].astype(int)


def test_saliency_occlusion_and_integrated_gradients_agree_in_sign_with_the_known_answer(known_model, known_image):
    from cnnviz.core.inspect.inspection import ModelInspector

    expected = np.sign(W1)
    grad = A.gradient(known_model, known_image, 1)[..., 0]
    assert np.array_equal(np.sign(grad), expected)
    np.testing.assert_allclose(grad, W1 * 0.3, rtol=1e-5)            # the class score is the logit, not p
    # the inspector's saliency is |gradient| scaled to 0..1: the same gradient
    sal = ModelInspector(known_model).saliency(known_image, 1)
    np.testing.assert_allclose(sal, np.abs(W1) / np.abs(W1).max(), rtol=1e-5)
    occ = A.occlusion(known_model, known_image, 1, patch=1, stride=1, baseline=0.0)
    assert occ.shape == (4, 4)
    assert np.array_equal(np.sign(occ), expected)                     # hiding a positive pixel lowers p(1)
    ig = A.integrated_gradients(known_model, known_image, 1, steps=16)
    assert ig.attributions.shape == known_image.shape
    assert np.array_equal(np.sign(ig.attributions[..., 0]), expected)
    # a linear score: integrated gradients is exactly x * w
    np.testing.assert_allclose(ig.attributions[..., 0], known_image[..., 0] * W1 * 0.3, rtol=1e-4)
    # and class 0 sees the opposite occlusion sign (p0 = 1 - p1)
    assert np.array_equal(np.sign(A.occlusion(known_model, known_image, 0, patch=1, stride=1)), -expected)


def test_occlusion_covers_every_pixel_with_larger_patches(known_model, known_image):
    occ = A.occlusion(known_model, known_image, 1, patch=3, stride=2)
    assert occ.shape == (4, 4) and np.all(np.isfinite(occ))
    # one 4x4 patch hides everything: every pixel gets p1(x) - p1(black)
    whole = A.occlusion(known_model, known_image, 1, patch=4, stride=1)
    drop = A.probability(known_model, known_image, 1) - A.probability(known_model, np.zeros((4, 4, 1)), 1)
    np.testing.assert_allclose(whole, np.full((4, 4), drop), rtol=1e-5, atol=1e-7)


def test_integrated_gradients_satisfy_completeness_on_a_small_real_model(small_conv_model):
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(3):
        x = rng.uniform(0.0, 1.0, (12, 12, 1)).astype(np.float32)
        for k in range(3):
            ig = A.integrated_gradients(small_conv_model, x, k, steps=64)
            assert ig.attributions.shape == x.shape
            assert abs(ig.score - ig.baseline_score) > 1e-3
            total = float(ig.attributions.sum())
            assert abs(total - (ig.score - ig.baseline_score)) <= 0.01 * abs(ig.score - ig.baseline_score)
            assert ig.completeness_gap <= 0.01
            checked += 1
    assert checked == 9


def test_completeness_holds_on_a_bias_free_relu_model_whose_black_image_sits_on_every_kink():
    """f(a x) = a f(x) along the path; TensorFlow's ReLU derivative at exactly 0 (the black image) is 0, so a
    trapezoid that takes the gradient at the baseline itself misses half of its first interval (0.5/steps)."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(9)
    inp = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(4, 3, activation="relu", use_bias=False)(inp)
    h = keras.layers.Dense(4, activation="relu", use_bias=False)(keras.layers.Flatten()(h))
    model = keras.Model(inp, keras.layers.Dense(2, activation="softmax", use_bias=False)(h))
    x = np.random.default_rng(1).uniform(0.0, 1.0, (8, 8, 1)).astype(np.float32)
    k = int(np.argmax(np.asarray(ClassScores(model).logits(x[None]))[0]))
    ig = A.integrated_gradients(model, x, k, steps=32)
    assert ig.baseline_score == 0.0 and ig.score > 0.0
    assert ig.completeness_gap <= 0.01, ig.completeness_gap


def test_integrated_gradients_satisfy_completeness_on_the_shipped_model(shipped, digits):
    xs, ys = digits
    for x, y in zip(xs[:2], ys[:2]):
        ig = A.integrated_gradients(shipped, x, int(y), steps=48)
        assert ig.score > ig.baseline_score + 1.0             # the digit raises its class score
        assert ig.completeness_gap <= 0.01


def test_completeness_gap_measures_the_relative_error():
    assert A.completeness_gap(np.array([1.0, 1.0]), 3.0, 1.0) == 0.0
    assert A.completeness_gap(np.array([1.0, 1.1]), 3.0, 1.0) == pytest.approx(0.05)


def test_deletion_curve_falls_faster_in_saliency_order_than_in_random_order(shipped, digits):
    from cnnviz.core.inspect.inspection import ModelInspector

    inspector = ModelInspector(shipped.model, copy=False)
    xs, ys = digits
    for x, y in zip(xs, ys):
        sal = inspector.saliency(x, int(y))
        curve = A.deletion_curve(shipped, x, int(y), sal, steps=16)
        assert curve.probabilities.shape == (17,) and curve.fractions[0] == 0 and curve.fractions[-1] == 1
        assert curve.probabilities[0] == pytest.approx(A.probability(shipped, x, int(y)), abs=1e-6)
        randoms = [A.random_deletion_curve(shipped, x, int(y), steps=16, seed=s).auc for s in range(3)]
        assert curve.auc < min(randoms) - 0.05, (int(y), curve.auc, randoms)


def test_random_deletion_is_reproducible_for_a_seed(shipped, digits):
    x, y = digits[0][0], int(digits[1][0])
    a = A.random_deletion_curve(shipped, x, y, steps=8, seed=4)
    b = A.random_deletion_curve(shipped, x, y, steps=8, seed=4)
    c = A.random_deletion_curve(shipped, x, y, steps=8, seed=5)
    assert np.array_equal(a.probabilities, b.probabilities)
    assert not np.array_equal(a.probabilities, c.probabilities)
    # everything erased: the black image's probability whatever the order
    assert a.probabilities[-1] == pytest.approx(A.probability(shipped, np.zeros_like(x), y), abs=1e-6)
    assert A.area_under_curve(np.array([0.0, 0.5, 1.0]), np.array([1.0, 0.5, 0.0])) == pytest.approx(0.5)


def test_bad_arguments_say_what_is_wrong(known_model, known_image):
    with pytest.raises(ExplainError, match="class 2 is out of range"):
        A.occlusion(known_model, known_image, 2)
    with pytest.raises(ExplainError, match="patch must be 1..4"):
        A.occlusion(known_model, known_image, 1, patch=5)
    with pytest.raises(ExplainError, match=r"expects \(4, 4, 1\)"):
        A.integrated_gradients(known_model, np.zeros((5, 5, 1)), 1)
    with pytest.raises(ExplainError, match="at least 1 step"):
        A.integrated_gradients(known_model, known_image, 1, steps=0)
    with pytest.raises(ExplainError, match="attribution is"):
        A.deletion_curve(known_model, known_image, 1, np.zeros((3, 3)), steps=4)
    with pytest.raises(ExplainError, match="needs 1..16 steps"):
        A.deletion_curve(known_model, known_image, 1, np.zeros((4, 4)), steps=20)
