"""core/shapes.py agrees exactly with Keras: random specs are built by Keras and compared layer by layer.

For every spec drawn (from every registered layer kind, settings drawn from each kind's fields): if shapes.py
accepts it, Keras builds it with the same output shape per layer and the same (trainable) parameter counts; if
shapes.py refuses it, Keras refuses it too (Conv2D strides with dilation, windows larger than their input).
"""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnviz.core.model.build import build_model
from cnnviz.core.model.shapes import infer_shapes
from cnnviz.core.model.spec import LAYER_KINDS, FieldDef, LayerSpec, ModelSpec

pytestmark = pytest.mark.slow

# Small ranges for the sizes, so that windows both fit and do not; every other field is drawn from its FieldDef.
SMALL = {"filters": (1, 6), "kernel_size": (1, 6), "strides": (1, 3), "dilation_rate": (1, 3), "pool_size": (1, 4),
         "depth_multiplier": (1, 3), "units": (1, 12), "top": (0, 3), "bottom": (0, 3), "left": (0, 3),
         "right": (0, 3)}


def field_values(fdef: FieldDef):
    """A strategy for any field of any kind, so that a new kind is drawn here without a line of this test."""
    if fdef.kind in ("int", "pair", "optional_pair"):
        low, high = SMALL.get(fdef.name, (int(fdef.minimum or 0), int(fdef.minimum or 0) + 5))
        one = st.integers(low, high)
        if fdef.kind == "int":
            return one
        pair = st.tuples(one, one).map(list)
        if fdef.name == "dilation_rate":  # half undilated: dilation with strides is refused, the rest must build
            pair = st.just([1, 1]) | pair
        return st.none() | pair if fdef.kind == "optional_pair" else pair
    if fdef.kind in ("float", "optional_float"):
        low = -3.0 if fdef.minimum is None else fdef.minimum
        high = low + 6.0 if fdef.maximum is None else fdef.maximum - (1e-3 if fdef.max_exclusive else 0.0)
        number = st.floats(low, min(high, low + 6.0), allow_nan=False)
        return st.none() | number if fdef.kind == "optional_float" else number
    if fdef.kind == "choice":
        return st.sampled_from(fdef.choices)
    if fdef.kind == "bool":
        return st.booleans()
    raise AssertionError(f"no strategy for {fdef.kind} fields")


@st.composite
def layer_params(draw, kind: str) -> dict:
    params = {f.name: draw(field_values(f)) for f in LAYER_KINDS[kind].fields}
    if kind in ("DepthwiseConv2D", "SeparableConv2D"):
        # cnnviz refuses two different strides here (TensorFlow's depthwise kernel cannot run them on most CPUs,
        # tests/core/test_layer_registry.py), while Keras's build accepts them: that refusal is not a shape rule
        params["strides"] = [params["strides"][0]] * 2
    return params


KINDS = ["Conv2D", *LAYER_KINDS]  # every registered kind; convolutions twice as often

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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
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
