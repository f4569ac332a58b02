"""keras_code(spec) runs and builds the same model as build_model(spec), for every preset."""
from __future__ import annotations

import pytest

from cnnviz.core.model.codegen import keras_code
from cnnviz.core.model.presets import PRESETS, get_preset
from cnnviz.core.model.spec import LayerSpec, ModelSpec, SpecError


def test_lecture_code_reads_like_the_lecture():
    code = keras_code(get_preset("lecture"))
    assert "model = tf.keras.Sequential(name='lecture_mnist_cnn')" in code
    assert ("model.add(tf.keras.layers.Conv2D(filters=32, kernel_size=(5, 5), strides=(1, 1), padding='same', "
            "name='conv_1', activation='relu'))") in code
    assert "model.add(tf.keras.layers.MaxPooling2D(pool_size=(2, 2), name='pool_1'))" in code
    assert "model.add(tf.keras.layers.Dense(units=10, name='fc_2', activation='softmax'))" in code
    assert "model.add(tf.keras.layers.Dropout(rate=0.5, name='dropout'))" in code
    assert code.rstrip().endswith("model.build(input_shape=(None, 28, 28, 1))\nmodel.summary()")
    assert "3,274,634 parameters" in code
    assert "model.summary()" not in keras_code(get_preset("lecture"), summary=False)


def test_invalid_spec_still_gives_valid_python_with_a_warning():
    spec = get_preset("lecture")
    spec.layers[2] = LayerSpec.make("Conv2D", "conv_2", filters=64, kernel_size=50)
    code = keras_code(spec)
    compile(code, "<generated>", "exec")
    assert "WARNING" in code and "conv_2" in code.split("import tensorflow")[0]


def test_non_default_options_are_written():
    spec = get_preset("lecture")
    spec.layers[0].params["use_bias"] = False
    spec.layers[1].params["strides"] = [1, 1]
    spec.layers[1].params["padding"] = "same"
    code = keras_code(spec)
    assert "use_bias=False" in code
    assert "MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding='same', name='pool_1')" in code


@pytest.fixture(scope="module")
def keras_mod():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _extra_specs():
    """Layer types the presets do not use, so every kind's code is executed at least once."""
    spec = get_preset("fast")
    spec.name = "all kinds / extra"
    spec.layers[1:1] = [
        LayerSpec.make("BatchNormalization", "bn", momentum=0.9, epsilon=1e-4),
        LayerSpec.make("SpatialDropout2D", "sdrop", rate=0.2),
        LayerSpec.make("Activation", "act", activation="tanh"),
        LayerSpec.make("AveragePooling2D", "avg", pool_size=3, strides=1, padding="same"),
        LayerSpec.make("Conv2D", "conv_nb", filters=8, kernel_size=[3, 1], strides=[2, 1], use_bias=False),
        LayerSpec.make("ZeroPadding2D", "pad", top=0, bottom=1, left=0, right=1),
        LayerSpec.make("DepthwiseConv2D", "dw", depth_multiplier=2, dilation_rate=2, padding="same"),
        LayerSpec.make("SeparableConv2D", "sep", filters=12, strides=2, use_bias=False, activation="linear"),
        LayerSpec.make("LeakyReLU", "leaky", negative_slope=0.1),
        LayerSpec.make("Conv2D", "conv_dil", filters=24, kernel_size=3, dilation_rate=[2, 1], padding="same"),
    ]
    spec.layers.insert(0, LayerSpec.make("Rescaling", "rescale", scale=2.0, offset=-1.0))
    return spec


def test_new_kinds_write_every_setting_that_differs_from_keras():
    code = keras_code(_extra_specs())
    assert "tf.keras.layers.Rescaling(scale=2.0, offset=-1.0, name='rescale')" in code
    assert "tf.keras.layers.ZeroPadding2D(padding=((0, 1), (0, 1)), name='pad')" in code
    assert ("tf.keras.layers.DepthwiseConv2D(kernel_size=(3, 3), strides=(1, 1), padding='same', name='dw', "
            "depth_multiplier=2, activation='relu', dilation_rate=(2, 2))") in code
    assert ("tf.keras.layers.SeparableConv2D(filters=12, kernel_size=(3, 3), strides=(2, 2), padding='valid', "
            "name='sep', depth_multiplier=1, activation='linear', use_bias=False)") in code
    assert "tf.keras.layers.LeakyReLU(negative_slope=0.1, name='leaky')" in code
    assert "dilation_rate=(2, 1))" in code
    assert "Rescaling(name=" not in keras_code(ModelSpec((4, 4, 1), [LayerSpec.make("Rescaling", "r")]))


def test_a_layer_of_an_unknown_kind_is_refused_not_written_without_settings():
    layer = LayerSpec("Conv3D", "c", {"filters": 3})
    with pytest.raises(SpecError, match="Conv3D"):
        keras_code(ModelSpec((4, 4, 1), [layer]))


@pytest.mark.parametrize("key", [*PRESETS, "extra"])
def test_generated_code_builds_the_same_model(keras_mod, key):
    from cnnviz.core.model.build import build_model

    spec = _extra_specs() if key == "extra" else get_preset(key)
    namespace: dict = {}
    exec(compile(keras_code(spec, summary=False), f"<{key}>", "exec"), namespace)  # noqa: S102 - our own code
    model = namespace["model"]
    reference = build_model(spec)
    ref_layers = [la for la in reference.layers if not isinstance(la, keras_mod.layers.InputLayer)]
    assert [la.name for la in model.layers] == [la.name for la in ref_layers]
    assert [tuple(la.output.shape) for la in model.layers] == [tuple(la.output.shape) for la in ref_layers]
    assert [la.count_params() for la in model.layers] == [la.count_params() for la in ref_layers]
    assert model.count_params() == reference.count_params()
    if key == "lecture":
        assert model.count_params() == 3_274_634
