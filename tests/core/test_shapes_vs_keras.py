"""core/shapes.py agrees exactly with Keras: random specs are built by Keras and compared layer by layer.

For every spec drawn: if shapes.py accepts it, Keras builds it with the same output shape per layer and the
same (trainable) parameter counts; if shapes.py refuses it, Keras refuses it too.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnviz.core.model.build import build_model
from cnnviz.core.model.shapes import infer_shapes
from cnnviz.core.model.spec import ACTIVATIONS, LayerSpec, ModelSpec

pytestmark = pytest.mark.slow

pair = st.tuples(st.integers(1, 6), st.integers(1, 6)).map(list)
padding = st.sampled_from(["valid", "same"])


@st.composite
def layer_params(draw, kind: str) -> dict:
    if kind == "Conv2D":
        return dict(filters=draw(st.integers(1, 6)), kernel_size=draw(pair), strides=draw(st.tuples(
            st.integers(1, 3), st.integers(1, 3)).map(list)), padding=draw(padding),
            activation=draw(st.sampled_from(ACTIVATIONS)), use_bias=draw(st.booleans()))
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return dict(pool_size=draw(st.tuples(st.integers(1, 4), st.integers(1, 4)).map(list)),
                    strides=draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)).map(list)),
                    padding=draw(padding))
    if kind in ("Dropout", "SpatialDropout2D"):
        return dict(rate=draw(st.floats(0.0, 0.9)))
    if kind == "Dense":
        return dict(units=draw(st.integers(1, 12)), use_bias=draw(st.booleans()))
    if kind == "Activation":
        return dict(activation=draw(st.sampled_from(ACTIVATIONS)))
    return {}


KINDS = ["Conv2D", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Dropout", "SpatialDropout2D",
         "BatchNormalization", "Flatten", "GlobalAveragePooling2D", "Dense", "Activation"]


@st.composite
def specs(draw) -> ModelSpec:
    shape = (draw(st.integers(1, 24)), draw(st.integers(1, 24)), draw(st.integers(1, 3)))
    n = draw(st.integers(1, 5))
    layers = []
    for i in range(n):
        kind = draw(st.sampled_from(KINDS))
        layers.append(LayerSpec.make(kind, f"l{i}_{kind.lower()}", **draw(layer_params(kind))))
    return ModelSpec(shape, layers, name="random")


def _weights_size(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(specs())
def test_shapes_agree_with_keras(spec):
    report = infer_shapes(spec)
    if report.problems:
        with pytest.raises(ValueError):
            build_model(spec, check=False)
        return
    model = build_model(spec, check=False)
    keras_layers = model.layers[1:]  # skip the InputLayer
    assert [layer.name for layer in keras_layers] == spec.layer_names()
    for ours, theirs in zip(report.layers, keras_layers):
        assert tuple(theirs.output.shape[1:]) == ours.output, ours.name
        assert theirs.count_params() == ours.params, ours.name
        assert _weights_size(theirs.trainable_weights) == ours.trainable, ours.name
    assert model.count_params() == report.total_params


def test_every_preset_matches_keras():
    from cnnviz.core.model.presets import PRESETS

    for key, preset in PRESETS.items():
        spec = preset.build()
        report = infer_shapes(spec)
        model = build_model(spec)
        assert model.count_params() == report.total_params, key
        assert tuple(model.output.shape[1:]) == report.output_shape, key
