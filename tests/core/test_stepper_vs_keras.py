"""The stepper never lies: for every convolution kind Keras has in 2D (Conv2D with dilation and strides, valid and
same, non-square kernels; DepthwiseConv2D with multipliers; SeparableConv2D) and for pooling, the value the stepper
computes at EVERY output cell of EVERY channel equals the Keras layer's own output, and its grid is the layer's
output shape. Models are written by plain Keras code, saved as .keras and loaded back, as a foreign file would be.
Layers it cannot reproduce exactly return the reason, never numbers.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from cnnviz.core.inspect.inspection import InspectionError, ModelInspector
from cnnviz.core.inspect.layer_steps import STEP_BUILDERS, recipe_for

ATOL = 1e-4


@pytest.fixture(scope="module")
def keras():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _randomise(model, seed: int) -> None:
    """Random kernels AND biases (Keras initialises biases to zero, which would hide a missing bias)."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.assign(rng.normal(0.0, 0.7, size=tuple(w.shape)).astype("float32"))


def _saved_and_loaded(keras, model, tmp_path, name="m.keras"):
    path = tmp_path / name
    model.save(path)
    return keras.models.load_model(path)


def _check_every_cell(ins: ModelInspector, image: np.ndarray, expected_kinds: dict[str, str]) -> None:
    """Every listed layer is supported, of the expected kind; every cell of every channel equals Keras."""
    maps = ins.feature_maps(image)
    stepped = {}
    for info in ins.steppable_layers():
        recipe = ins.step_recipe(info.index)
        assert recipe.supported, recipe.message
        out = maps.outputs[info.index]
        for ch in range(out.shape[2]):
            stepper = ins.stepper(maps, info.index, ch)
            assert tuple(stepper.output_shape) == out.shape[:2], (info.name, stepper.output_shape, out.shape)
            assert len(stepper) == out.shape[0] * out.shape[1]
            got = np.full(out.shape[:2], np.nan)
            for step in stepper:
                got[step.index] = step.value
            np.testing.assert_allclose(got, out[..., ch], atol=ATOL, rtol=0, err_msg=f"{info.name} channel {ch}")
        stepped[info.name] = recipe.kind
    assert stepped == expected_kinds


# (kernel_size, strides, dilation_rate, padding): Keras refuses strides > 1 together with dilation > 1 for Conv2D
CONV2D_CASES = [(k, s, d, p) for p in ("valid", "same") for k in (3, (2, 3), (3, 1))
                for s, d in ((1, 1), (2, 1), (3, 1), (1, 2), (1, 3), ((1, 2), 1), (1, (2, 3)))]


def test_conv2d_every_dilation_stride_padding_and_kernel_shape(keras, tmp_path):
    """One model, one Conv2D branch per case, all on a non-square 3-channel input."""
    inp = keras.Input((12, 13, 3))
    outs, kinds = [], {}
    for n, (k, s, d, p) in enumerate(CONV2D_CASES):
        name = f"conv_{n}"
        outs.append(keras.layers.Conv2D(2, k, strides=s, dilation_rate=d, padding=p, activation="tanh",
                                        name=name)(inp))
        kinds[name] = "conv"
    model = keras.Model(inp, outs)
    _randomise(model, 1)
    loaded = _saved_and_loaded(keras, model, tmp_path)
    ins = ModelInspector(loaded)
    image = np.random.default_rng(2).random((12, 13, 3)).astype(np.float32)
    _check_every_cell(ins, image, kinds)
    # the bug that started this: a dilated 3x3 on 28x28 gives 24x24, not 26x26
    assert ins.layer("conv_3").output_shape[:2] == (12 - 4, 13 - 4)


def test_conv2d_with_relu6_is_stepped_and_capped_as_keras_caps_it(keras, tmp_path):
    """MobileNet's activation, inside the layer: every cell equals Keras, and the cap is reached (values at 6,
    below it, and at 0), so a wrong cap cannot pass unseen."""
    inp = keras.Input((10, 11, 3))
    outs = [keras.layers.Conv2D(3, 3, strides=s, padding=p, activation="relu6", name=f"relu6_{p}_{s}")(inp)
            for p in ("valid", "same") for s in (1, 2)]
    model = keras.Model(inp, outs)
    _randomise(model, 12)
    ins = ModelInspector(_saved_and_loaded(keras, model, tmp_path))
    image = (np.random.default_rng(13).random((10, 11, 3)) * 4 - 1).astype(np.float32)
    _check_every_cell(ins, image, {f"relu6_{p}_{s}": "conv" for p in ("valid", "same") for s in (1, 2)})
    out = ins.feature_maps(image).outputs[ins.layer("relu6_same_1").index]
    assert out.max() == 6.0 and (out == 6.0).sum() >= 5 and (out == 0.0).any() and ((out > 0) & (out < 6)).any()
    assert ins.step_recipe("relu6_same_1").settings["activation"] == "relu6"


DEPTHWISE_CASES = [(m, k, s, d, p) for p in ("valid", "same") for m in (1, 2)
                   for k, s, d in ((3, 1, 1), (3, 2, 1), ((2, 3), 1, 2), (3, 1, (3, 2)), (3, 2, 2), (2, 3, 1))]


def test_depthwise_conv2d_multipliers_dilation_strides(keras, tmp_path):
    inp = keras.Input((11, 14, 3))
    outs, kinds = [], {}
    for n, (m, k, s, d, p) in enumerate(DEPTHWISE_CASES):
        name = f"dw_{n}"
        outs.append(keras.layers.DepthwiseConv2D(k, strides=s, dilation_rate=d, padding=p, depth_multiplier=m,
                                                 activation="relu", name=name)(inp))
        kinds[name] = "depthwise"
    model = keras.Model(inp, outs)
    _randomise(model, 3)
    ins = ModelInspector(_saved_and_loaded(keras, model, tmp_path))
    _check_every_cell(ins, np.random.default_rng(4).random((11, 14, 3)).astype(np.float32), kinds)
    # output channel c*m + j reads input channel c only
    maps = ins.feature_maps(np.zeros((11, 14, 3), np.float32))
    st = ins.stepper(maps, "dw_6", 5)  # valid, multiplier 2
    assert (st.in_channel, st.multiplier) == (2, 1)


SEPARABLE_CASES = [(m, k, s, d, p) for p in ("valid", "same") for m in (1, 2)
                   for k, s, d in ((3, 1, 1), ((3, 2), 2, 1), (3, 1, 2))]


def test_separable_conv2d_both_stages(keras, tmp_path):
    inp = keras.Input((10, 12, 3))
    outs, kinds = [], {}
    for n, (m, k, s, d, p) in enumerate(SEPARABLE_CASES):
        name = f"sep_{n}"
        outs.append(keras.layers.SeparableConv2D(4, k, strides=s, dilation_rate=d, padding=p, depth_multiplier=m,
                                                 activation="swish", name=name)(inp))
        kinds[name] = "separable"
    model = keras.Model(inp, outs)
    _randomise(model, 5)
    ins = ModelInspector(_saved_and_loaded(keras, model, tmp_path))
    image = np.random.default_rng(6).random((10, 12, 3)).astype(np.float32)
    _check_every_cell(ins, image, kinds)
    # stage 1 alone equals a DepthwiseConv2D with the same depthwise kernel and no bias
    sep = ins.model.get_layer("sep_3")
    dw = keras.layers.DepthwiseConv2D(sep.kernel_size, strides=sep.strides, dilation_rate=sep.dilation_rate,
                                      padding=sep.padding, depth_multiplier=sep.depth_multiplier, use_bias=False)
    dw.build((None, 10, 12, 3))
    dw.set_weights([sep.get_weights()[0]])
    stage1 = np.asarray(dw(image[None]))[0]
    maps = ins.feature_maps(image)
    step = ins.stepper(maps, "sep_3", 1).step_at(2, 3)
    np.testing.assert_allclose(step.depthwise_values, stage1[2, 3], atol=ATOL)
    assert step.depthwise_values.shape == (3 * 2,) and step.source_channel(5) == 2


POOL_CASES = [(size, s, p) for p in ("valid", "same") for size, s in ((2, None), (3, 2), ((2, 3), 1), (3, (1, 2)))]


def test_pooling_strides_and_padding(keras, tmp_path):
    inp = keras.Input((9, 11, 2))
    outs, kinds = [], {}
    for n, (size, s, p) in enumerate(POOL_CASES):
        for cls in (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D):
            name = f"{cls.__name__}_{n}"
            outs.append(cls(size, strides=s, padding=p, name=name)(inp))
            kinds[name] = "pool"
    model = keras.Model(inp, outs)
    ins = ModelInspector(_saved_and_loaded(keras, model, tmp_path))
    _check_every_cell(ins, np.random.default_rng(7).random((9, 11, 2)).astype(np.float32) - 0.5, kinds)


def test_a_plain_keras_mobilenet_style_sequential_saved_and_loaded(keras, tmp_path):
    """What a student's own script writes: keras.Sequential([...]).save(...), then load_model."""
    model = keras.Sequential([
        keras.Input((20, 18, 3)),
        keras.layers.Conv2D(4, 3, dilation_rate=2, padding="same", activation="relu", name="dilated"),
        keras.layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same", activation="hard_silu"),
        keras.layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same", activation="relu6",
                                     name="dw"),
        keras.layers.SeparableConv2D(5, 3, dilation_rate=2, padding="same", activation="elu", name="sep"),
        keras.layers.MaxPooling2D(3, strides=2, padding="same", name="max"),
        keras.layers.Conv2D(3, (1, 2), strides=(1, 2), padding="valid", name="pointwise"),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    _randomise(model, 8)
    path = tmp_path / "student.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    ins = ModelInspector(loaded, ["a", "b", "c"])
    hard = ins.step_recipe(1)  # MobileNet v3's activation: a real Keras one the stepper does not compute
    assert not hard.supported and "hard_silu" in hard.reason
    maps = ins.feature_maps(np.random.default_rng(9).random((20, 18, 3)).astype(np.float32))
    with pytest.raises(InspectionError, match="cannot reproduce .* because its activation 'hard_silu'"):
        ins.stepper(maps, 1)
    assert ins.step_recipe("dw").supported and ins.step_recipe("dw").settings["activation"] == "relu6"
    # the rest: every cell of every channel equals Keras
    for info in ins.steppable_layers():
        if info.index == 1:
            continue
        out = maps.outputs[info.index]
        for ch in range(out.shape[2]):
            st = ins.stepper(maps, info.index, ch)
            assert tuple(st.output_shape) == out.shape[:2]
            got = np.array([s.value for s in st]).reshape(out.shape[:2])
            np.testing.assert_allclose(got, out[..., ch], atol=ATOL, err_msg=f"{info.name} {ch}")
    assert [i.name for i in ins.steppable_layers()] == ["dilated", loaded.layers[1].name, "dw", "sep", "max",
                                                        "pointwise"]


# ------------------------------------------------------------------------------------- cannot reproduce
def _built(keras, layer, shape=(8, 8, 4)):
    keras.Sequential([keras.Input(shape), layer])
    return layer


def test_unsupported_layers_say_why_not_numbers(keras):
    class MyConv(keras.layers.Conv2D):
        pass

    class Blur(keras.layers.Layer):
        def call(self, x):
            return x * 0.5

    cases = [
        (keras.layers.Conv2D(4, 3, groups=2), "groups=2"),
        (keras.layers.Conv2D(2, 3, activation="hard_silu"), "activation 'hard_silu'"),
        (keras.layers.Conv2D(2, 3, activation="softmax"), "softmax"),
        (MyConv(2, 3), "custom layer class .*subclass of Conv2D"),
        (Blur(), "custom layer"),
        (keras.layers.Conv2DTranspose(2, 3), "transposed convolution"),
    ]
    for layer, why in cases:
        recipe = recipe_for(_built(keras, layer))
        assert recipe is not None and not recipe.supported, layer
        assert recipe.message.startswith(f"The stepper cannot reproduce {layer.name}")
        assert " because " in recipe.message
        assert re.search(why, recipe.reason), (why, recipe.reason)
        with pytest.raises(ValueError, match="cannot reproduce"):
            recipe.stepper(np.zeros((8, 8, 4)), 0)
    conv1d = keras.layers.Conv1D(2, 3)
    keras.Sequential([keras.Input((10, 4)), conv1d])
    assert "1D layer" in recipe_for(conv1d).reason
    conv3d = keras.layers.Conv3D(2, 3)
    keras.Sequential([keras.Input((5, 6, 6, 1)), conv3d])
    assert "3D layer" in recipe_for(conv3d).reason
    first = keras.layers.Conv2D(2, 3, data_format="channels_first")
    keras.Sequential([keras.Input((4, 8, 8)), first])
    assert "channels_first" in recipe_for(first).reason
    assert recipe_for(_built(keras, keras.layers.Flatten())) is None  # not a window: not listed at all
    assert recipe_for(_built(keras, keras.layers.Dense(3), (5,))) is None


def test_the_inspector_lists_unsupported_layers_with_the_reason(keras):
    inp = keras.Input((8, 8, 4))
    x = keras.layers.Conv2D(4, 3, groups=2, padding="same", name="grouped")(inp)
    x = keras.layers.Conv2D(2, 3, name="plain")(x)
    model = keras.Model(inp, keras.layers.Dense(2, name="dense")(keras.layers.Flatten()(x)))
    ins = ModelInspector(model)
    assert [i.name for i in ins.steppable_layers()] == ["grouped", "plain"]
    maps = ins.feature_maps(np.zeros((8, 8, 4), np.float32))
    with pytest.raises(InspectionError, match="cannot reproduce grouped .*because it has groups=2"):
        ins.conv_stepper(maps, "grouped")
    assert ins.step_recipe("plain").supported and ins.step_recipe("dense") is None


def test_the_table_is_a_lookup_with_a_maker_per_kind():
    from cnnviz.core.inspect.layer_steps import STEP_MAKERS

    assert set(STEP_BUILDERS) >= {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D",
                                  "AveragePooling2D"}
    assert {b.kind for b in STEP_BUILDERS.values()} == set(STEP_MAKERS)


def test_mixed_precision_layers_carry_a_caveat(keras):
    layer = _built(keras, keras.layers.Conv2D(2, 3, dtype="mixed_bfloat16"))
    recipe = recipe_for(layer)
    assert recipe.supported and "bfloat16" in recipe.note and recipe.rtol > 0


def test_a_bfloat16_layer_agrees_within_its_stated_tolerance(keras):
    model = keras.Sequential([keras.Input((12, 12, 2)),
                              keras.layers.Conv2D(4, 5, padding="same", activation="relu", dtype="mixed_bfloat16",
                                                  name="c"),
                              keras.layers.Flatten(), keras.layers.Dense(2, dtype="float32")])
    _randomise(model, 10)
    ins = ModelInspector(model)
    maps = ins.feature_maps(np.random.default_rng(11).random((12, 12, 2)).astype(np.float32))
    recipe, out = ins.step_recipe("c"), maps.outputs[0].astype(np.float64)
    assert "bfloat16" in recipe.note
    for ch in range(4):
        for step in ins.stepper(maps, "c", ch):
            assert recipe.agrees(step.value, float(out[step.index][ch])), (ch, step.index)
