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
    """The first blocks of MobileNet v1/v2 as one Sequential chain (plain ReLU: relu6 is not in the builder)."""
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
        "Rescaling", "ZeroPadding2D", "Conv2D", "BatchNormalization", "Activation", "DepthwiseConv2D",
        "BatchNormalization", "Activation", "Conv2D", "BatchNormalization", "LeakyReLU", "DepthwiseConv2D",
        "SeparableConv2D", "Conv2D", "GlobalAveragePooling2D", "Dropout", "Dense"]
    assert spec.layers[1].params == dict(top=0, bottom=1, left=0, right=1)
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


@pytest.mark.parametrize("layer, reason", [
    (lambda L: L.ReLU(6.0), "ReLU with max_value=6.0 is not supported"),
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
