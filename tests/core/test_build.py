"""Keras build: names, activation sub-model, and that an invalid spec is refused with its messages."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.model.build import activation_model, build_model
from cnnviz.core.model.presets import get_preset
from cnnviz.core.model.spec import LayerSpec, ModelSpec, SpecError

pytestmark = pytest.mark.slow


def test_lecture_model_is_built_with_the_lectures_names_and_runs():
    model = build_model(get_preset("lecture"))
    assert [layer.name for layer in model.layers[1:]] == ["conv_1", "pool_1", "conv_2", "pool_2", "flatten", "fc_1",
                                                         "dropout", "fc_2"]
    assert model.count_params() == 3_274_634
    x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    probs = np.asarray(model(x, training=False))
    assert probs.shape == (2, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_activation_model_returns_every_layer_and_matches_the_model():
    model = build_model(get_preset("fast"))
    acts = activation_model(model)
    x = np.random.default_rng(1).random((1, 28, 28, 1), dtype=np.float32)
    outputs = acts(x, training=False)
    assert [tuple(o.shape[1:]) for o in outputs] == [(28, 28, 24), (14, 14, 24), (14, 14, 48), (7, 7, 48), (2352,),
                                                     (2352,), (10,)]
    np.testing.assert_allclose(np.asarray(outputs[-1]), np.asarray(model(x, training=False)), rtol=1e-5, atol=1e-6)


def test_activation_model_of_a_built_sequential():
    import keras

    seq = keras.Sequential([keras.layers.Conv2D(2, 3, name="c"), keras.layers.Flatten(name="f")])
    seq.build((None, 6, 6, 1))
    seq(np.zeros((1, 6, 6, 1), np.float32))
    acts = activation_model(seq)
    assert [tuple(o.shape[1:]) for o in acts.outputs] == [(4, 4, 2), (32,)]


def test_invalid_spec_is_refused_with_every_message():
    spec = ModelSpec((4, 4, 1), [LayerSpec.make("Conv2D", "c", kernel_size=5), LayerSpec.make("Dense", "d", units=0)])
    with pytest.raises(SpecError) as info:
        build_model(spec)
    assert "layer 1 (c): kernel 5x5 is larger than its 4x4 input" in str(info.value)
    assert "layer 2 (d): units must be at least 1, got 0" in str(info.value)
