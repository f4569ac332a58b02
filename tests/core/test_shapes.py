"""Shape arithmetic: the lecture's numbers, the formulas shown to users, and the errors at the right layer."""
from __future__ import annotations

import pytest

from cnnviz.core.model.presets import get_preset
from cnnviz.core.model.shapes import classifier_problems, infer_shapes, summary_table, window_output
from cnnviz.core.model.spec import LayerSpec, ModelSpec

L = LayerSpec.make


def test_lecture_preset_matches_the_lecture():
    report = infer_shapes(get_preset("lecture"))
    assert report.ok
    assert [layer.name for layer in report.layers] == ["conv_1", "pool_1", "conv_2", "pool_2", "flatten", "fc_1",
                                                       "dropout", "fc_2"]
    assert [list(layer.output) for layer in report.layers] == [
        [28, 28, 32], [14, 14, 32], [14, 14, 64], [7, 7, 64], [3136], [1024], [1024], [10]]
    assert [layer.params for layer in report.layers if layer.params] == [832, 51_264, 3_212_288, 10_250]
    assert report.total_params == 3_274_634
    assert report.trainable_params == 3_274_634 and report.non_trainable_params == 0


@pytest.mark.parametrize("key, total", [("keras_io", 34_826), ("lenet5", 61_706), ("tiny_vgg", 19_920)])
def test_published_parameter_counts(key, total):
    assert infer_shapes(get_preset(key)).total_params == total


def test_formulas_carry_the_numbers():
    report = infer_shapes(get_preset("lecture"))
    conv1 = report.layers[0]
    assert "ceil(28/1) = 28" in conv1.shape_formula
    assert conv1.param_formula == "(k_h*k_w*C_in + 1)*filters = (5*5*1 + 1)*32 = 832"
    keras_io = infer_shapes(get_preset("keras_io"))
    assert "floor((28 + 0 - 3)/1) + 1 = 26" in keras_io.layers[0].shape_formula
    assert "floor((26 + 0 - 2)/2) + 1 = 13" in keras_io.layers[1].shape_formula


@pytest.mark.parametrize("n, k, s, padding, expected", [
    (28, 5, 1, "same", 28), (28, 5, 2, "same", 14), (7, 2, 2, "same", 4), (28, 5, 1, "valid", 24),
    (28, 5, 2, "valid", 12), (5, 5, 3, "valid", 1), (7, 2, 2, "valid", 3)])
def test_window_output(n, k, s, padding, expected):
    assert window_output(n, k, s, padding)[0] == expected


def test_kernel_too_large_is_reported_at_its_layer_with_the_issue_wording():
    spec = ModelSpec((16, 16, 1), [
        L("Conv2D", "conv_1", filters=4, kernel_size=3, padding="valid"),   # 14
        L("MaxPooling2D", "pool_1", pool_size=3),                           # 4
        L("Conv2D", "conv_2", filters=8, kernel_size=5, padding="valid"),   # impossible
        L("Flatten", "flatten"),
    ])
    report = infer_shapes(spec)
    assert [p.layer for p in report.problems] == [2]
    assert report.problems[0].message.startswith(
        "layer 3 (conv_2): kernel 5x5 is larger than its 4x4 input with padding 'valid'")
    assert report.layers[2].output is None and report.layers[3].output is None
    assert report.layers[1].output == (4, 4, 4)


def test_spatial_layer_after_flatten_is_refused():
    spec = ModelSpec((8, 8, 1), [L("Flatten", "f"), L("MaxPooling2D", "p")])
    report = infer_shapes(spec)
    assert "needs a 3-D input" in report.problems[0].message
    assert report.problems[0].layer == 1


def test_batch_norm_counts_moving_statistics_as_non_trainable():
    spec = ModelSpec((8, 8, 3), [L("Conv2D", "c", filters=4, kernel_size=3, use_bias=False),
                                 L("BatchNormalization", "bn")])
    report = infer_shapes(spec)
    assert report.layers[0].params == 3 * 3 * 3 * 4
    assert (report.layers[1].params, report.layers[1].trainable) == (16, 8)
    assert report.non_trainable_params == 8


def test_classifier_problems():
    assert classifier_problems(get_preset("lecture")) == []
    no_flatten = ModelSpec((8, 8, 1), [L("Conv2D", "c", filters=2), L("Dense", "d", units=3)])
    problems = classifier_problems(no_flatten)
    assert len(problems) == 1 and "6x6x3" in problems[0].message and "Flatten" in problems[0].message
    assert "no layers" in classifier_problems(ModelSpec((8, 8, 1), []))[0].message


@pytest.mark.parametrize("head, verdict", [
    ([L("Dense", "d", units=10, activation="softmax")], None),
    ([L("Dense", "d", units=10, activation="linear"), L("Activation", "a", activation="softmax")], None),
    ([L("Dense", "d", units=1, activation="sigmoid")], None),
    ([L("Dense", "d", units=128, activation="relu")], "not class probabilities"),
    ([L("Dense", "d", units=10, activation="relu")], "set this layer's activation to softmax"),
    ([L("Dense", "d", units=1, activation="softmax")], "always 1: use sigmoid"),
    ([L("Dense", "d", units=1, activation="linear")], "Dense(1, sigmoid)"),
    ([L("Dense", "d", units=10, activation="softmax"), L("Dropout", "drop")], "Dense(number of classes, softmax)"),
])
def test_a_classifier_ends_with_probabilities(head, verdict):
    spec = ModelSpec((8, 8, 1), [L("Flatten", "f"), *head])
    problems = classifier_problems(spec)
    if verdict is None:
        assert problems == []
    else:
        assert len(problems) == 1 and verdict in problems[0].message and problems[0].incomplete
        assert problems[0].layer == len(spec.layers) - 1 and spec.layers[-1].name in problems[0].message


def test_a_shape_error_is_not_an_unfinished_model():
    spec = ModelSpec((4, 4, 1), [L("MaxPooling2D", "p", pool_size=8), L("Flatten", "f"),
                                 L("Dense", "d", units=3, activation="softmax")])
    problems = classifier_problems(spec)
    assert problems and not problems[0].incomplete and problems[0].layer == 0


def test_invalid_input_shape_stops_every_layer():
    report = infer_shapes(ModelSpec((0, 28, 1), [L("Flatten", "f")]))
    assert report.problems[0].message == "input height must be at least 1, got 0"
    assert report.layers[0].output is None


def test_summary_table_like_keras():
    text = summary_table(get_preset("lecture"))
    assert "conv_1 (Conv2D)" in text and "(None, 28, 28, 32)" in text and "3,212,288" in text
    assert "Total params: 3,274,634" in text


# --- the kinds added with the layer registry ------------------------------------------------------------------
def test_dilated_kernel_formula_shows_the_effective_kernel():
    spec = ModelSpec((24, 24, 3), [L("Conv2D", "c", filters=8, kernel_size=3, dilation_rate=2, padding="valid")])
    layer = infer_shapes(spec).layers[0]
    assert layer.output == (20, 20, 8)
    assert "k' = k + (k-1)(d-1) = 3 + (3-1)*(2-1) = 5" in layer.shape_formula
    assert "floor((24 + 0 - 5)/1) + 1 = 20" in layer.shape_formula
    assert "channels: filters = 8" in layer.shape_formula
    assert layer.params == (3 * 3 * 3 + 1) * 8  # dilation spreads the taps, it adds no weights
    assert window_output(24, 3, 1, "valid", 2)[0] == 20 and window_output(24, 3, 1, "valid")[0] == 22


def test_dilated_kernel_too_large_for_its_input_says_so():
    spec = ModelSpec((4, 4, 1), [L("Conv2D", "c", kernel_size=3, dilation_rate=2)])
    report = infer_shapes(spec)
    assert [p.message for p in report.problems] == [
        "layer 1 (c): kernel 3x3 with dilation 2x2 (covering 5x5) is larger than its 4x4 input with padding "
        "'valid' (use padding 'same' or a smaller kernel)"]


def test_conv2d_strides_with_dilation_is_reported_at_the_dilation_field():
    spec = ModelSpec((16, 16, 1), [L("Conv2D", "c", kernel_size=3, strides=[2, 1], dilation_rate=[1, 2])])
    report = infer_shapes(spec)
    assert [(p.layer, p.field) for p in report.problems] == [(0, "dilation_rate")]
    assert "cannot be combined with strides 2x1" in report.problems[0].message
    assert report.layers[0].output is None
    # depthwise and separable convolutions accept both in Keras, and so does the spec
    for kind in ("DepthwiseConv2D", "SeparableConv2D"):
        ok = ModelSpec((16, 16, 1), [L(kind, "c", kernel_size=3, strides=2, dilation_rate=2)])
        assert infer_shapes(ok).layers[0].output[:2] == (6, 6)


def test_depthwise_and_separable_parameter_formulas():
    spec = ModelSpec((32, 32, 16), [
        L("DepthwiseConv2D", "dw", kernel_size=3, depth_multiplier=2, padding="same"),
        L("SeparableConv2D", "sep", filters=64, kernel_size=3, padding="same"),
        L("Conv2D", "conv", filters=64, kernel_size=3, padding="same"),
    ])
    dw, sep, conv = infer_shapes(spec).layers
    assert dw.output == (32, 32, 32) and dw.params == 3 * 3 * 16 * 2 + 32
    assert dw.param_formula == "k_h*k_w*C_in*m + C_in*m = 3*3*16*2 + 16*2 = 320 (m = depth multiplier)"
    assert "channels: C_in*depth_multiplier = 16*2 = 32" in dw.shape_formula
    assert sep.params == 3 * 3 * 32 + 32 * 64 + 64
    assert sep.param_formula.startswith("k_h*k_w*C_in*m + C_in*m*filters + filters = 3*3*32*1 + 32*1*64 + 64 = 2,400")
    assert conv.params == (3 * 3 * 64 + 1) * 64 > 10 * sep.params  # why MobileNet uses them


def test_zero_padding_leaky_relu_and_rescaling_shapes():
    spec = ModelSpec((5, 7, 3), [
        L("Rescaling", "r", scale=1 / 127.5, offset=-1.0),
        L("ZeroPadding2D", "pad", top=0, bottom=1, left=2, right=3),
        L("LeakyReLU", "leaky", negative_slope=0.1),
    ])
    report = infer_shapes(spec)
    assert [layer.output for layer in report.layers] == [(5, 7, 3), (6, 12, 3), (6, 12, 3)]
    assert report.layers[1].shape_formula == ("height: n + top + bottom = 5 + 0 + 1 = 6\n"
                                              "width: n + left + right = 7 + 2 + 3 = 12")
    assert report.total_params == 0
    flat = ModelSpec((5, 5, 1), [L("Flatten", "f"), L("ZeroPadding2D", "pad")])
    assert "ZeroPadding2D needs a 3-D input" in infer_shapes(flat).problems[0].message
