"""Activation maximization (cnnviz.core.explain.maximize): the image of an output class drives the shipped digit
model to that class, the same seed gives the same image, and every kind of unit can be visualised (issue 17)."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.explain.attribution import probability
from cnnviz.core.explain.maximize import maximize, target_layers, to_uint8, unit_count
from cnnviz.core.explain.scores import ExplainError

STEPS = 64


@pytest.fixture(scope="module")
def shipped():
    from cnnviz.core.model.pretrained import load_shipped_model

    return load_shipped_model()


@pytest.fixture(scope="module")
def tiny():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(2)
    inp = keras.Input((10, 10, 1))
    h = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inp)
    h = keras.layers.Dense(5, activation="relu", name="hidden")(keras.layers.Flatten(name="flatten")(h))
    return keras.Model(inp, keras.layers.Dense(2, activation="softmax", name="out")(h))


@pytest.mark.parametrize("k", [0, 3, 7])
def test_the_image_of_class_k_is_classified_as_k_by_the_shipped_model(shipped, k):
    result = maximize(shipped, "output", k, seed=0, steps=STEPS)
    assert result.kind == "class" and result.pre_activation       # the softmax head's logit was maximised
    assert result.image.shape == (28, 28, 1) and result.image.dtype == np.float32
    assert result.image.min() >= 0.0 and result.image.max() <= 1.0
    assert probability(shipped, result.image, k) > 0.9
    assert result.objective[-1] > result.objective[0] + 5.0
    # and fed back through the 8-bit PNG values, it still is
    assert probability(shipped, result.to_uint8().astype(np.float32) / 255.0, k) > 0.9


def test_the_same_seed_gives_the_same_image(shipped):
    a = maximize(shipped, "output", 5, seed=7, steps=24)
    b = maximize(shipped, "output", 5, seed=7, steps=24)
    c = maximize(shipped, "output", 5, seed=8, steps=24)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.objective, b.objective)
    assert not np.array_equal(a.image, c.image)


def test_conv_filters_and_dense_units_can_be_visualised(tiny):
    assert [ly.name for ly in target_layers(tiny)] == ["conv", "flatten", "hidden", "out"]
    assert unit_count(tiny, "conv") == 3 and unit_count(tiny, "hidden") == 5
    f = maximize(tiny, "conv", 1, seed=0, steps=32)
    assert f.kind == "filter" and f.image.shape == (10, 10, 1)
    assert f.objective[-1] > f.objective[0]
    u = maximize(tiny, "hidden", 4, seed=0, steps=32)
    assert u.kind == "unit" and u.objective[-1] > u.objective[0]


def test_the_input_range_is_respected(tiny):
    r = maximize(tiny, "out", 1, seed=1, steps=16, value_range=(-1.0, 1.0))
    assert r.image.min() >= -1.0 and r.image.max() <= 1.0 and r.image.min() < 0.0
    png = r.to_uint8(scale=3)
    assert png.shape == (30, 30, 1) and png.dtype == np.uint8
    np.testing.assert_allclose(png[::3, ::3].astype(np.float32) / 255.0 * 2.0 - 1.0, r.image, atol=1.0 / 255 + 1e-6)


def test_progress_is_reported_and_a_stop_request_ends_early(tiny):
    seen = []
    r = maximize(tiny, "out", 0, seed=0, steps=50, progress=lambda s, n, v: seen.append((s, n)),
                 should_stop=lambda: len(seen) >= 5)
    assert seen == [(i, 50) for i in range(1, 6)] and len(r.objective) == 5


def test_bad_targets_say_what_is_wrong(tiny):
    with pytest.raises(ExplainError, match="no layer called 'nope'"):
        maximize(tiny, "nope", 0)
    with pytest.raises(ExplainError, match=r"unit 5 is out of range: layer hidden has 5 units \(0..4\)"):
        maximize(tiny, "hidden", 5)
    with pytest.raises(ExplainError, match="out of range"):
        maximize(tiny, "conv", -1)
    with pytest.raises(ExplainError, match="steps must be"):
        maximize(tiny, "conv", 0, steps=0)
    with pytest.raises(ExplainError, match="upscale"):
        to_uint8(np.zeros((2, 2, 1)), scale=0)
