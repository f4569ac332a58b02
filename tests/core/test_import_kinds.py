"""Importing .keras files written by plain Keras code: a MobileNet-style chain becomes an editable spec; settings
the builder cannot hold make the file read-only with the reason, never a spec that silently differs."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.model.build import build_model
from cnnviz.core.model.codegen import keras_code
from cnnviz.core.model.model_io import load_model_file
from cnnviz.core.model.shapes import infer_shapes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keras():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _mobilenet_style(keras):
    """The first blocks of MobileNet v1/v2 as one Sequential chain, with every kind the import knows."""
    L = keras.layers
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        L.Rescaling(1 / 127.5, offset=-1, name="rescale"),
        L.ZeroPadding2D(((0, 1), (0, 1)), name="pad"),
        L.Conv2D(16, 3, strides=2, padding="valid", use_bias=False, name="conv1"),
        L.BatchNormalization(name="conv1_bn"),
        L.ReLU(name="conv1_relu"),
        L.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw1"),
        L.BatchNormalization(name="dw1_bn"),
        L.Activation("relu", name="dw1_relu"),
        L.Conv2D(32, 1, use_bias=False, name="pw1"),
        L.BatchNormalization(name="pw1_bn"),
        L.LeakyReLU(0.1, name="pw1_leaky"),
        L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same", name="dw2"),
        L.SeparableConv2D(48, 3, dilation_rate=2, padding="same", activation="relu", name="sep"),
        L.Conv2D(48, 3, dilation_rate=(2, 1), padding="same", activation="swish", name="dilated"),
        L.GlobalAveragePooling2D(name="gap"),
        L.Dropout(0.2, name="drop"),
        L.Dense(10, activation="softmax", name="predictions"),
    ], name="mobilenet_style")


def _saved(model, tmp_path, keras):
    x = np.random.default_rng(0).random((4, *model.inputs[0].shape[1:]), dtype=np.float32)
    model(x)
    for layer in model.layers:  # BatchNorm statistics that are not 0 and 1, so that the test sees them
        if isinstance(layer, keras.layers.BatchNormalization):
            rng = np.random.default_rng(len(layer.name))
            layer.set_weights([rng.random(w.shape).astype("float32") + 0.5 for w in layer.get_weights()])
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    return path, x


def test_a_mobilenet_style_chain_becomes_an_editable_spec(keras, tmp_path):
    model = _mobilenet_style(keras)
    path, x = _saved(model, tmp_path, keras)
    imported = load_model_file(path)
    assert imported.read_only_reason == "" and imported.spec is not None
    spec = imported.spec
    assert [layer.kind for layer in spec.layers] == [
        "Rescaling", "ZeroPadding2D", "Conv2D", "BatchNormalization", "ReLU", "DepthwiseConv2D",
        "BatchNormalization", "Activation", "Conv2D", "BatchNormalization", "LeakyReLU", "DepthwiseConv2D",
        "SeparableConv2D", "Conv2D", "GlobalAveragePooling2D", "Dropout", "Dense"]
    assert spec.layers[1].params == dict(top=0, bottom=1, left=0, right=1)
    assert spec.layers[4].params == dict(max_value=None, negative_slope=0.0, threshold=0.0)  # a plain ReLU()
    assert spec.layers[12].params["dilation_rate"] == [2, 2] and spec.layers[13].params["dilation_rate"] == [2, 1]
    report = infer_shapes(spec)
    assert report.ok and report.total_params == model.count_params()
    assert report.trainable_params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    # the builder's model and the generated code compute what the file computes
    rebuilt = build_model(spec)
    rebuilt.set_weights(imported.model.get_weights())
    expected = np.asarray(imported.model(x, training=False))
    np.testing.assert_allclose(np.asarray(rebuilt(x, training=False)), expected, rtol=1e-5, atol=1e-6)
    namespace: dict = {}
    exec(compile(keras_code(spec, summary=False), "<mobilenet>", "exec"), namespace)  # noqa: S102
    namespace["model"].set_weights(imported.model.get_weights())
    np.testing.assert_allclose(np.asarray(namespace["model"](x, training=False)), expected, rtol=1e-5, atol=1e-6)


def _mobilenet_v1(keras):
    """MobileNet v1's stem and two depthwise-separable blocks as plain Keras writes them: Conv2D / DepthwiseConv2D
    without bias, each followed by BatchNormalization and ReLU(6.) (relu6)."""
    L = keras.layers
    layers = [keras.Input((32, 32, 3)),
              L.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="conv1"),
              L.BatchNormalization(name="conv1_bn"), L.ReLU(6.0, name="conv1_relu")]
    for block, (filters, stride) in enumerate(((16, 1), (24, 2)), start=1):
        layers += [L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"conv_dw_{block}"),
                   L.BatchNormalization(name=f"conv_dw_{block}_bn"), L.ReLU(6.0, name=f"conv_dw_{block}_relu"),
                   L.Conv2D(filters, 1, padding="same", use_bias=False, name=f"conv_pw_{block}"),
                   L.BatchNormalization(name=f"conv_pw_{block}_bn"), L.ReLU(6.0, name=f"conv_pw_{block}_relu")]
    layers += [L.GlobalAveragePooling2D(name="global_average_pooling"), L.Dropout(1e-3, name="dropout"),
               L.Dense(10, activation="softmax", name="predictions")]
    return keras.Sequential(layers, name="mobilenet_v1_style")


def test_a_mobilenet_v1_chain_with_relu6_is_editable_and_computes_what_the_file_computes(keras, tmp_path):
    model = _mobilenet_v1(keras)
    rng = np.random.default_rng(2)
    for layer in model.layers:  # kernels of unit scale: every block's values reach past 6, so the caps matter
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            layer.set_weights([rng.normal(0.0, 1.0, w.shape).astype("float32") for w in layer.get_weights()])
    path, _ = _saved(model, tmp_path, keras)
    imported = load_model_file(path)
    assert imported.read_only_reason == "" and imported.spec is not None
    spec = imported.spec
    block = ["DepthwiseConv2D", "BatchNormalization", "ReLU", "Conv2D", "BatchNormalization", "ReLU"]
    assert [layer.kind for layer in spec.layers] == [
        "Conv2D", "BatchNormalization", "ReLU", *block, *block, "GlobalAveragePooling2D", "Dropout", "Dense"]
    relus = [layer for layer in spec.layers if layer.kind == "ReLU"]
    assert len(relus) == 5
    assert all(r.params == dict(max_value=6.0, negative_slope=0.0, threshold=0.0) for r in relus)
    assert all(r.describe() == "ReLU max 6" for r in relus)
    report = infer_shapes(spec)
    assert report.ok and report.total_params == model.count_params()
    assert report.trainable_params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)

    # inputs large enough that every ReLU(6) caps some values and passes others: the cap is seen, not assumed
    x = np.random.default_rng(1).normal(0.0, 4.0, (4, 32, 32, 3)).astype(np.float32)
    file_model = imported.model
    for r in relus:
        out = np.asarray(keras.Model(file_model.inputs[0], file_model.get_layer(r.name).output)(x, training=False))
        assert (out == 6.0).any() and ((out > 0.0) & (out < 6.0)).any() and out.max() == 6.0, r.name
    expected = np.asarray(file_model(x, training=False))

    rebuilt = build_model(spec)
    assert [type(la).__name__ for la in rebuilt.layers if la.name.endswith("_relu")] == ["ReLU"] * 5
    assert all(rebuilt.get_layer(r.name).max_value == 6.0 for r in relus)
    rebuilt.set_weights(file_model.get_weights())
    np.testing.assert_allclose(np.asarray(rebuilt(x, training=False)), expected, rtol=1e-5, atol=1e-6)

    code = keras_code(spec, summary=False)
    assert code.count("layers.ReLU(max_value=6.0, name=") == 5
    namespace: dict = {}
    exec(compile(code, "<mobilenet_v1>", "exec"), namespace)  # noqa: S102 - our own generated code
    namespace["model"].set_weights(file_model.get_weights())
    np.testing.assert_allclose(np.asarray(namespace["model"](x, training=False)), expected, rtol=1e-5, atol=1e-6)

    # the spec survives its own file format: saved as JSON and read back, the same spec
    from cnnviz.core.model.spec import ModelSpec

    assert ModelSpec.from_json(spec.to_json()).to_dict() == spec.to_dict()


@pytest.mark.parametrize("layer, reason", [
    (lambda L: L.PReLU(), "is a PReLU, which the builder does not support"),  # a ReLU with learned slopes
    (lambda L: L.Activation("hard_silu"), "activation 'hard_silu' is not one the builder supports"),
    (lambda L: L.Conv2D(4, 3, groups=2), "Conv2D with groups=2 is not supported"),
    (lambda L: L.LayerNormalization(), "is a LayerNormalization, which the builder does not support"),
    (lambda L: L.BatchNormalization(center=False), "BatchNormalization with center=False is not supported"),
])
def test_settings_the_builder_cannot_hold_make_the_file_read_only(keras, tmp_path, layer, reason):
    model = keras.Sequential([keras.Input((8, 8, 4)), layer(keras.layers), keras.layers.Flatten(),
                              keras.layers.Dense(2)], name="odd")
    path, _ = _saved(model, tmp_path, keras)
    imported = load_model_file(path)
    assert imported.spec is None
    assert reason in imported.read_only_reason
