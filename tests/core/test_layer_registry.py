"""Every registered layer kind, through every hook, against Keras.

For each kind there are sample settings (several per kind: dilation, strides, padding variants). Each sample is a
model input -> layer, and must agree with Keras on: the output shape, count_params() and the trainable count
(shapes hook); the class and config of the built layer, compared with the Keras layer written by hand here (build
hook); the generated code, executed, building the same layer config and the same outputs on the same weights
(codegen hook); and the import of the Keras layer back to the same settings (from_keras hook). A kind added to
the registry without samples here, or without one of its hooks, fails.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cnnviz.core.model import layers as registry
from cnnviz.core.model.codegen import keras_code
from cnnviz.core.model.layers.base import HOOKS, LayerKind
from cnnviz.core.model.shapes import infer_shapes
from cnnviz.core.model.spec import LayerSpec, ModelSpec, SpecError

# kind -> [(input shape, settings, the same layer written with Keras directly)]
CASES: dict[str, list] = {
    "Conv2D": [
        ((9, 9, 3), dict(filters=4, kernel_size=3, padding="valid", activation="relu"),
         lambda L: L.Conv2D(4, (3, 3), padding="valid", activation="relu")),
        ((12, 10, 2), dict(filters=5, kernel_size=[3, 2], dilation_rate=[2, 3], padding="same", activation="tanh",
                           use_bias=False),
         lambda L: L.Conv2D(5, (3, 2), dilation_rate=(2, 3), padding="same", activation="tanh", use_bias=False)),
        ((11, 11, 1), dict(filters=3, kernel_size=3, dilation_rate=2, activation="linear"),
         lambda L: L.Conv2D(3, 3, dilation_rate=2)),
        ((13, 9, 2), dict(filters=6, kernel_size=[5, 3], strides=[2, 3], padding="same", activation="elu"),
         lambda L: L.Conv2D(6, (5, 3), strides=(2, 3), padding="same", activation="elu")),
        ((8, 8, 2), dict(filters=2, kernel_size=2, activation="swish"),
         lambda L: L.Conv2D(2, 2, activation="swish")),
        ((8, 8, 3), dict(filters=4, kernel_size=3, strides=2, padding="same", activation="relu6"),
         lambda L: L.Conv2D(4, 3, strides=2, padding="same", activation="relu6")),
    ],
    "DepthwiseConv2D": [
        ((9, 9, 3), dict(kernel_size=3), lambda L: L.DepthwiseConv2D(3, activation="relu")),
        ((10, 12, 2), dict(kernel_size=3, depth_multiplier=2, dilation_rate=2, padding="same", activation="linear",
                           use_bias=False),
         lambda L: L.DepthwiseConv2D(3, depth_multiplier=2, dilation_rate=2, padding="same", use_bias=False)),
        ((11, 11, 3), dict(kernel_size=[3, 2], strides=2, dilation_rate=[2, 1], activation="linear"),
         lambda L: L.DepthwiseConv2D((3, 2), strides=2, dilation_rate=(2, 1))),  # Keras allows both here
        ((8, 8, 4), dict(kernel_size=2, strides=[2, 2], depth_multiplier=3, activation="sigmoid"),
         lambda L: L.DepthwiseConv2D(2, strides=(2, 2), depth_multiplier=3, activation="sigmoid")),
    ],
    "SeparableConv2D": [
        ((9, 9, 3), dict(filters=4, kernel_size=3), lambda L: L.SeparableConv2D(4, 3, activation="relu")),
        ((12, 12, 2), dict(filters=5, kernel_size=3, depth_multiplier=2, dilation_rate=2, padding="same",
                           activation="gelu"),
         lambda L: L.SeparableConv2D(5, 3, depth_multiplier=2, dilation_rate=2, padding="same", activation="gelu")),
        ((11, 9, 3), dict(filters=2, kernel_size=[3, 1], strides=2, use_bias=False, activation="linear"),
         lambda L: L.SeparableConv2D(2, (3, 1), strides=2, use_bias=False)),
    ],
    "MaxPooling2D": [
        ((8, 8, 2), dict(pool_size=2), lambda L: L.MaxPooling2D(2)),
        ((9, 7, 3), dict(pool_size=[3, 2], strides=[2, 1], padding="same"),
         lambda L: L.MaxPooling2D((3, 2), strides=(2, 1), padding="same")),
    ],
    "AveragePooling2D": [
        ((8, 8, 2), dict(pool_size=2), lambda L: L.AveragePooling2D(2)),
        ((7, 7, 1), dict(pool_size=3, strides=1, padding="same"),
         lambda L: L.AveragePooling2D(3, strides=1, padding="same")),
    ],
    "GlobalAveragePooling2D": [((5, 6, 3), {}, lambda L: L.GlobalAveragePooling2D())],
    "ZeroPadding2D": [
        ((5, 5, 2), {}, lambda L: L.ZeroPadding2D(1)),
        ((4, 6, 3), dict(top=0, bottom=1, left=2, right=3), lambda L: L.ZeroPadding2D(((0, 1), (2, 3)))),
    ],
    "Flatten": [((3, 4, 2), {}, lambda L: L.Flatten())],
    "Dense": [
        ((2, 3, 4), dict(units=5), lambda L: L.Dense(5, activation="relu")),
        ((1, 1, 7), dict(units=3, activation="softmax", use_bias=False),
         lambda L: L.Dense(3, activation="softmax", use_bias=False)),
    ],
    "Dropout": [((4, 4, 2), dict(rate=0.3), lambda L: L.Dropout(0.3))],
    "SpatialDropout2D": [((4, 4, 2), dict(rate=0.25), lambda L: L.SpatialDropout2D(0.25))],
    "BatchNormalization": [
        ((4, 4, 3), {}, lambda L: L.BatchNormalization()),
        ((4, 4, 5), dict(momentum=0.9, epsilon=1e-4), lambda L: L.BatchNormalization(momentum=0.9, epsilon=1e-4)),
    ],
    "Activation": [
        ((3, 3, 2), dict(activation="tanh"), lambda L: L.Activation("tanh")),
        ((3, 3, 2), dict(activation="leaky_relu"), lambda L: L.Activation("leaky_relu")),
        ((3, 3, 2), dict(activation="relu6"), lambda L: L.Activation("relu6")),
    ],
    "ReLU": [  # inputs in [-2, 2): the cap of 1.5, the slope and the threshold all change some values
        ((3, 3, 2), {}, lambda L: L.ReLU()),
        ((3, 3, 2), dict(max_value=6.0), lambda L: L.ReLU(6.0)),
        ((4, 4, 3), dict(max_value=1.5, negative_slope=0.1, threshold=0.5),
         lambda L: L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5)),
        ((3, 3, 2), dict(negative_slope=0.2), lambda L: L.ReLU(negative_slope=0.2)),
    ],
    "LeakyReLU": [
        ((3, 3, 2), dict(negative_slope=0.2), lambda L: L.LeakyReLU(0.2)),
        ((3, 3, 2), {}, lambda L: L.LeakyReLU()),
    ],
    "Rescaling": [
        ((3, 3, 3), {}, lambda L: L.Rescaling(1 / 255)),
        ((3, 3, 3), dict(scale=1 / 127.5, offset=-1.0), lambda L: L.Rescaling(1 / 127.5, offset=-1.0)),
    ],
}
SAMPLES = [pytest.param(kind, i, id=f"{kind}-{i}") for kind, cases in CASES.items() for i in range(len(cases))]


def _spec(kind: str, i: int) -> ModelSpec:
    shape, params, _ = CASES[kind][i]
    return ModelSpec(shape, [LayerSpec.make(kind, "layer", **params)], name=f"one_{kind}")


def _config(layer) -> dict:
    return {k: v for k, v in layer.get_config().items() if k != "name"}


@pytest.fixture(scope="module")
def keras():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


# --- the registry itself (no TensorFlow) ---------------------------------------------------------------------
def test_every_kind_is_one_module_and_every_module_one_kind():
    package = Path(registry.__file__).parent
    files = {p.stem for p in package.glob("*.py")} - {"__init__", "base", "window"}
    assert files == set(registry.MODULES)
    assert [kind.__module__.rsplit(".", 1)[1] for kind in registry.KINDS.values()] == list(registry.MODULES)
    assert len(registry.KINDS) == len(registry.MODULES)


@pytest.mark.parametrize("name", list(registry.KINDS))
def test_every_kind_implements_every_hook(name):
    kind = registry.KINDS[name]
    assert registry.missing_hooks(kind) == []
    assert kind.family in registry.FAMILIES and kind.role in registry.ROLES
    assert kind.summary and kind.prefix and kind.keras_class
    assert name in CASES, f"add sample settings for {name} to CASES"
    assert registry.get(name) is kind
    for cls in kind.imported_from():
        assert registry.for_keras_class(cls) is kind
    for fdef in kind.fields:  # defaults are valid values, so a new layer starts without problems
        spec = ModelSpec((16, 16, 3), [LayerSpec.make(name, "x")])
        assert not [p for p in infer_shapes(spec).problems if p.field == fdef.name]
    assert LayerSpec.make(name, "x").describe().startswith(name)


def _other_value(fdef):
    """A valid value of ``fdef`` other than its default."""
    d = fdef.default
    if fdef.kind == "int":
        return d + 1
    if fdef.kind == "pair":
        return [d[0] + 1, d[1]]
    if fdef.kind == "optional_pair":
        return [1, 1] if d is None else None
    if fdef.kind == "float":
        return d / 2 if d else 0.25
    if fdef.kind == "optional_float":
        return fdef.typical if d is None else None
    if fdef.kind == "choice":
        return next(c for c in fdef.choices if c != d)
    if fdef.kind == "bool":
        return not d
    raise AssertionError(fdef.kind)


@pytest.mark.parametrize("name", list(registry.KINDS))
def test_every_field_reaches_the_keras_layer_and_the_code(name):
    """No setting is dropped: changing any one field changes the Keras arguments and the generated code."""
    kind = registry.KINDS[name]
    base = kind.defaults()
    for fdef in kind.fields:
        changed = dict(base, **{fdef.name: _other_value(fdef)})
        assert kind.keras_args(changed) != kind.keras_args(base), fdef.name
        assert kind.code_args(changed, "x") != kind.code_args(base, "x"), fdef.name
        assert [k for k, _ in kind.code_args(changed, "x")].count("name") == 1


def test_a_kind_missing_a_hook_is_refused():
    class Half(LayerKind):
        name, keras_class, summary, prefix, family, role = "Half", "Half", "half", "half", "conv", "conv"

        def describe(self, params):
            return "Half"

    assert registry.missing_hooks(Half()) == ["output", "keras_args", "from_keras", "reach"]
    with pytest.raises(RuntimeError, match="Half"):
        registry.check_kind(Half())


def test_unknown_kinds_fail_loudly():
    with pytest.raises(SpecError, match="unknown layer type 'Conv3D'"):
        registry.get("Conv3D")
    with pytest.raises(SpecError, match="Conv3D"):
        registry.for_keras_class("Conv3D")
    with pytest.raises(KeyError):
        registry.with_role("bogus")
    assert registry.with_role("conv") == ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")


# --- every kind, every hook, against Keras -------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("kind, i", SAMPLES)
def test_kind_agrees_with_keras_in_every_hook(keras, kind, i):
    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.model_io import layer_to_spec, spec_from_model

    spec = _spec(kind, i)
    shape, _, by_hand = CASES[kind][i]
    report = infer_shapes(spec)
    assert report.ok, report.problems
    ours = report.layers[0]

    # build: the layer Keras would build from the same settings written by hand
    model = build_model(spec, seed=1)
    built = model.layers[1]
    expected = by_hand(keras.layers)
    assert type(built).__name__ == type(expected).__name__ == registry.KINDS[kind].keras_class
    assert _config(built) == _config(expected)

    # shapes: output shape, parameters, trainable parameters
    assert tuple(built.output.shape[1:]) == ours.output
    assert built.count_params() == ours.params == model.count_params()
    assert sum(int(np.prod(w.shape)) for w in built.trainable_weights) == ours.trainable
    reference = keras.Sequential([keras.Input(shape), expected])
    assert reference.count_params() == ours.params
    assert tuple(reference.outputs[0].shape[1:]) == ours.output

    # codegen: the generated code, executed, builds the same layer and the same outputs on the same weights
    namespace: dict = {}
    exec(compile(keras_code(spec, summary=False), f"<{kind}>", "exec"), namespace)  # noqa: S102 - our own code
    generated = namespace["model"]
    assert [la.name for la in generated.layers] == ["layer"]
    assert generated.layers[0].get_config() == built.get_config()
    generated.set_weights(model.get_weights())
    x = np.random.default_rng(i).random((2, *shape), dtype=np.float32) * 4 - 2
    np.testing.assert_allclose(np.asarray(generated(x, training=False)), np.asarray(model(x, training=False)),
                               rtol=1e-5, atol=1e-6)

    # import: the Keras layer back to the same settings, and the whole model back to the same spec
    back = layer_to_spec(built)
    assert (back.kind, back.name, back.params) == (kind, "layer", spec.layers[0].params)
    assert _config(registry.KINDS[kind].build(back.params, "again")) == _config(built)
    assert spec_from_model(model).to_dict()["layers"] == spec.to_dict()["layers"]
    assert layer_to_spec(expected).params == spec.layers[0].params


def test_every_kind_has_samples_that_vary_its_windows():
    for kind, cases in CASES.items():
        if registry.KINDS[kind].role == "conv":
            settings = [params for _, params, _ in cases]
            assert any(p.get("dilation_rate", 1) not in (1, [1, 1]) for p in settings), kind
            assert any(p.get("strides", 1) not in (1, [1, 1]) for p in settings), kind
            assert {p.get("padding", "valid") for p in settings} == {"valid", "same"}, kind


@pytest.mark.parametrize("params, text, points", [
    ({}, "f(x) = max(x, 0)", {-2.0: 0.0, 3.0: 3.0, 9.0: 9.0}),
    (dict(max_value=6.0), "f(x) = min(max(x, 0), 6)", {-2.0: 0.0, 3.0: 3.0, 6.0: 6.0, 9.0: 6.0}),
    (dict(negative_slope=0.2), "f(x) = 0.2*x below 0, x above", {-2.0: -0.4, 3.0: 3.0}),
    (dict(max_value=1.5, negative_slope=0.1, threshold=0.5), "f(x) = 0.1*(x - 0.5) below 0.5, x up to 1.5, 1.5 above",
     {-1.0: -0.15, 0.2: -0.03, 1.0: 1.0, 3.0: 1.5}),
    (dict(threshold=1.0), "f(x) = 0 below 1, x above", {0.5: 0.0, 3.0: 3.0}),
])
def test_relu_states_the_function_keras_computes(keras, params, text, points):
    """The ReLU kind's formula (builder tooltip, CLI --formulas) is the function Keras's ReLU layer computes."""
    kind = registry.KINDS["ReLU"]
    settings = dict(kind.defaults(), **params)
    assert kind.output(settings, (2, 2, 1)).shape_formula == f"same shape as its input; each value: {text}"
    layer = kind.build(settings, "relu")
    got = np.asarray(layer(np.array(list(points), dtype=np.float32)))
    np.testing.assert_allclose(got, list(points.values()), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind, extra", [("DepthwiseConv2D", {}), ("SeparableConv2D", {"filters": 4})])
def test_depthwise_kinds_refuse_two_strides_most_tensorflow_builds_cannot_run(kind, extra):
    """TensorFlow's depthwise kernel: 'Current implementation only supports equal length strides' (on this AMD
    CPU the model failed at its first call; oneDNN builds on Intel accept it), so the builder says so up front."""
    from cnnviz.core.model.shapes import infer_shapes

    spec = ModelSpec((8, 8, 2), [LayerSpec.make(kind, "d", kernel_size=2, strides=[2, 1], **extra)])
    problems = infer_shapes(spec).problems
    assert [(p.layer, p.field) for p in problems] == [(0, "strides")]
    assert "same stride for rows and columns (got 2x1)" in problems[0].message
    ok = ModelSpec((8, 8, 2), [LayerSpec.make(kind, "d", kernel_size=2, strides=[2, 2], **extra)])
    assert infer_shapes(ok).problems == []
