"""Tests written to kill the mutants that survived `make mutate` on shapes.py, layers/window.py and
inspect/convolution.py, each one a number or a message a student sees: the builder table's rows after an error,
non-square kernels, strides and dilations, the formulas' texts, the summary table, 1-D convolution's checks.
Expected values are written out by hand (the arithmetic is in the comments)."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.inspect import convolution as conv
from cnnviz.core.model.layers.window import window_fault_fields
from cnnviz.core.model.shapes import classifier_problems, infer_shapes, summary_table
from cnnviz.core.model.spec import LayerSpec, ModelSpec

L = LayerSpec.make


def _one(layer, shape=(9, 9, 1)):
    report = infer_shapes(ModelSpec(shape, [layer]))
    return report, report.layers[0]


# ------------------------------------------------------------------------------- the builder table's rows
def test_rows_after_a_shape_error_keep_their_index_name_kind_and_no_shape():
    spec = ModelSpec((8, 8, 1), [L("Conv2D", "c", filters=2, kernel_size=3), L("Conv2D", "big", filters=2,
                                 kernel_size=9), L("Flatten", "f"), L("Dense", "d", units=3)], name="bad")
    report = infer_shapes(spec)
    assert report.input_shape == (8, 8, 1)
    rows = [(r.index, r.name, r.kind, r.input, r.output, r.error) for r in report.layers]
    message = ("layer 2 (big): kernel 9x9 is larger than its 6x6 input with padding 'valid' (use padding 'same' or "
               "a smaller kernel)")
    assert rows == [(0, "c", "Conv2D", (8, 8, 1), (6, 6, 2), None),          # 8 - 3 + 1 = 6
                    (1, "big", "Conv2D", (6, 6, 2), None, message),
                    (2, "f", "Flatten", None, None, None),
                    (3, "d", "Dense", None, None, None)]
    assert [p.message for p in report.problems_for(1)] == [message]
    assert report.problems_for(0) == [] and report.problems_for(2) == []


def test_a_row_with_invalid_settings_says_so_and_later_rows_have_no_shape():
    spec = ModelSpec((8, 8, 1), [L("Conv2D", "c", filters=2, kernel_size=3), L("Conv2D", "zero", filters=0,
                                 kernel_size=3), L("Flatten", "f"), L("Dense", "d", units=3)])
    report = infer_shapes(spec)
    rows = [(r.index, r.name, r.kind, r.input, r.output, r.error) for r in report.layers]
    assert rows == [(0, "c", "Conv2D", (8, 8, 1), (6, 6, 2), None),
                    (1, "zero", "Conv2D", (6, 6, 2), None, "invalid settings"),
                    (2, "f", "Flatten", None, None, None),
                    (3, "d", "Dense", None, None, None)]
    assert [(p.layer, p.field, p.message) for p in report.problems_for(1)] == [
        (1, "filters", "layer 2 (zero): filters must be at least 1, got 0")]


def test_classifier_problems_point_at_the_last_layer_with_the_exact_advice():
    spec = ModelSpec((8, 8, 1), [L("Conv2D", "c", filters=2, kernel_size=3), L("Conv2D", "c2", filters=2,
                                 kernel_size=3)])
    assert [(p.layer, p.field, p.message) for p in classifier_problems(spec)] == [
        (1, None, "the model's output is 4x4x2; a classifier ends with a vector of class scores: add Flatten "
                  "(or GlobalAveragePooling2D) and a Dense layer")]
    assert [(p.layer, p.message) for p in classifier_problems(ModelSpec((8, 8, 1), []))] == [
        (None, "the model has no layers; add some (or load a preset)")]


# ------------------------------------------------------------------------------- the summary table, exactly
def test_summary_table_text():
    spec = ModelSpec((8, 8, 1), [L("Conv2D", "c", filters=2, kernel_size=3), L("Flatten", "f"),
                                 L("Dense", "d", units=3)], name="tiny")
    assert summary_table(spec) == "\n".join([
        'Model: "tiny"',
        "======================================",
        "Layer (type)  Output Shape     Param #",
        "======================================",
        "c (Conv2D)    (None, 6, 6, 2)       20",   # (3*3*1 + 1) * 2
        "f (Flatten)   (None, 72)             0",   # 6 * 6 * 2
        "d (Dense)     (None, 3)            219",   # (72 + 1) * 3
        "======================================",
        "Total params: 239",
        "Trainable params: 239",
        "Non-trainable params: 0"])


def test_summary_table_of_a_spec_with_an_error():
    spec = ModelSpec((8, 8, 1), [L("Conv2D", "c", filters=2, kernel_size=3), L("Conv2D", "big", filters=2,
                                 kernel_size=9), L("Flatten", "f")], name="bad")
    assert summary_table(spec).splitlines()[4:] == [
        "c (Conv2D)    (None, 6, 6, 2)       20",
        "big (Conv2D)  ?                      0",
        "f (Flatten)   ?                      0",
        "======================================",
        "Total params: 20",
        "Trainable params: 20",
        "Non-trainable params: 0",
        "",
        "error: layer 2 (big): kernel 9x9 is larger than its 6x6 input with padding 'valid' (use padding 'same' "
        "or a smaller kernel)"]


# ------------------------------------------------------------------------------- non-square windows
@pytest.mark.parametrize("settings, output", [
    (dict(kernel_size=(2, 4)), (8, 6, 1)),                 # 9 - 2 + 1, 9 - 4 + 1
    (dict(kernel_size=(4, 2)), (6, 8, 1)),
    (dict(kernel_size=1, strides=(2, 3)), (5, 3, 1)),       # floor(8/2) + 1, floor(8/3) + 1
    (dict(kernel_size=1, strides=(3, 2)), (3, 5, 1)),
    (dict(kernel_size=3, dilation_rate=(2, 1)), (5, 7, 1)),  # k' = 3 + 2*1 = 5: 9 - 5 + 1; 9 - 3 + 1
    (dict(kernel_size=3, dilation_rate=(1, 2)), (7, 5, 1)),
])
def test_non_square_kernels_strides_and_dilations(settings, output):
    _, row = _one(L("Conv2D", "c", filters=1, **settings))
    assert row.output == output


def test_conv_and_pool_formulas_are_the_ones_shown():
    _, row = _one(L("Conv2D", "d", filters=1, kernel_size=3, dilation_rate=(2, 1)))
    assert row.shape_formula == ("padding 'valid' (p = 0)\n"
                                 "height: k' = k + (k-1)(d-1) = 3 + (3-1)*(2-1) = 5; floor((n + 2p - k')/s) + 1 = "
                                 "floor((9 + 0 - 5)/1) + 1 = 5\n"
                                 "width: floor((n + 2p - k)/s) + 1 = floor((9 + 0 - 3)/1) + 1 = 7\n"
                                 "channels: filters = 1")
    _, row = _one(L("Conv2D", "s", filters=1, kernel_size=3, padding="same", strides=2))
    assert row.shape_formula == ("padding 'same' (zeros added so that o = ceil(n/s))\n"
                                 "height: ceil(n/s) = ceil(9/2) = 5\nwidth: ceil(n/s) = ceil(9/2) = 5\n"
                                 "channels: filters = 1")
    _, row = _one(L("MaxPooling2D", "p", pool_size=(2, 3)))
    assert row.output == (4, 3, 1)                         # strides default to the pool size
    assert row.shape_formula == ("padding 'valid' (p = 0)\n"
                                 "height: floor((n + 2p - k)/s) + 1 = floor((9 + 0 - 2)/2) + 1 = 4\n"
                                 "width: floor((n + 2p - k)/s) + 1 = floor((9 + 0 - 3)/3) + 1 = 3")
    assert row.param_formula == "pooling has no parameters" and row.params == 0


def test_window_errors_name_the_window_its_dilated_span_and_the_layer_kind():
    report, _ = _one(L("Conv2D", "e", filters=1, kernel_size=3, dilation_rate=(4, 1)), shape=(6, 9, 1))
    assert [p.message for p in report.problems] == [
        "layer 1 (e): kernel 3x3 with dilation 4x1 (covering 9x3) is larger than its 6x9 input with padding "
        "'valid' (use padding 'same' or a smaller kernel)"]            # 3 + (3-1)*(4-1) = 9 rows
    report, _ = _one(L("Conv2D", "e", filters=1, kernel_size=(2, 3), dilation_rate=(1, 4)), shape=(9, 6, 1))
    assert "kernel 2x3 with dilation 1x4 (covering 2x9)" in report.problems[0].message
    report, _ = _one(L("MaxPooling2D", "q", pool_size=(10, 2)))
    assert [p.message for p in report.problems] == [
        "layer 1 (q): pool window 10x2 is larger than its 9x9 input with padding 'valid' (use padding 'same' or "
        "a smaller pool window)"]
    report = infer_shapes(ModelSpec((9, 9, 1), [L("Flatten", "f"), L("MaxPooling2D", "r")]))
    assert [p.message for p in report.problems] == [
        "layer 2 (r): MaxPooling2D needs a 3-D input (height x width x channels), got 81 (is there a Flatten or "
        "Dense before it?)"]
    report = infer_shapes(ModelSpec((9, 9, 1), [L("Flatten", "f"), L("Conv2D", "c", filters=1)]))
    assert report.problems[0].message.startswith("layer 2 (c): Conv2D needs a 3-D input")


def test_window_fault_fields_name_the_settings_to_change():
    assert window_fault_fields({"kernel_size": [10, 3], "padding": "valid"}, (9, 9, 1), "kernel_size",
                               False) == {"kernel_size", "padding"}
    assert window_fault_fields({"kernel_size": [3, 3], "padding": "valid", "dilation_rate": [5, 1]}, (9, 9, 1),
                               "kernel_size", True) == {"kernel_size", "padding", "dilation_rate"}
    assert window_fault_fields({"kernel_size": [3, 3], "padding": "valid", "dilation_rate": [5, 1]}, (9, 9, 1),
                               "kernel_size", False) == set()           # undilated (pooling): 3x3 fits
    assert window_fault_fields({"kernel_size": [3, 3], "padding": "same"}, (2, 2, 1), "kernel_size", False) == set()
    assert window_fault_fields({"kernel_size": [3, 3], "padding": "valid"}, (81,), "kernel_size", False) == set()


# ------------------------------------------------------------------------------- 1-D convolution's checks
def test_conv1d_output_size_defaults_and_messages():
    assert conv.conv1d_output_size(5, 3) == 3                      # p = 0, s = 1: 5 - 3 + 1
    assert conv.conv1d_output_formula(5, 3) == "o = floor((n + 2p - m)/s) + 1 = floor((5 + 2*0 - 3)/1) + 1 = 3"
    assert conv.conv1d_output_size(5, 3, (1, 2)) == 6             # 5 + 1 + 2 - 3 + 1
    for args, message in [((0, 3), "input length n must be a positive integer, got 0"),
                          ((5, 0), "kernel length m must be a positive integer, got 0"),
                          ((5, 3, 0, 0), "stride s must be a positive integer, got 0"),
                          ((2, 5, (1, 1)), "the kernel (m = 5) is longer than the padded input (n + padding = 4): "
                                           "no output; pad more or use a shorter kernel")]:
        with pytest.raises(ValueError) as info:
            conv.conv1d_output_size(*args)
        assert str(info.value) == message
    with pytest.raises(ValueError, match=r"^kernel length m must be a positive integer, got 0$"):
        conv.conv1d_mode_padding(0, "full")


@pytest.mark.parametrize("p", [-1, True, (1, -2), (True, 0), (1, 2, 3), "1"])
def test_bad_1d_padding_is_refused_with_one_message(p):
    with pytest.raises(ValueError) as info:
        conv.conv1d_output_size(5, 3, p)
    assert str(info.value) == f"padding p must be a non-negative integer (or a (left, right) pair), got {p!r}"


def test_1d_arrays_of_the_wrong_shape_are_named():
    for call, message in [(lambda: conv.conv1d([[1, 2]], [1]), "x must have 1 axes (a vector), got shape (1, 2)"),
                          (lambda: conv.conv1d([1, 2], [[1]]), "kernel w must have 1 axes (a vector), got shape (1, 1)"),
                          (lambda: conv.pad1d([[1]], 1), "x must have 1 axes (a vector), got shape (1, 1)"),
                          (lambda: conv.conv1d_mode([1, 2], [[1]]),
                           "kernel w must have 1 axes (a vector), got shape (1, 1)")]:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message


def test_conv1d_mode_defaults_to_full_like_numpy():
    np.testing.assert_allclose(conv.conv1d_mode([1, 2, 3], [1, 1]), np.convolve([1, 2, 3], [1, 1]))  # 1 3 5 3


def test_depthwise_names_are_reachable_from_convolution_and_others_are_not():
    from cnnviz.core.inspect import depthwise

    assert conv.depthwise_conv2d is depthwise.depthwise_conv2d
    with pytest.raises(AttributeError, match=r"^module 'cnnviz.core.inspect.convolution' has no attribute 'x'$"):
        conv.x  # noqa: B018


def test_window_fault_fields_at_the_boundary_and_on_non_square_inputs():
    fits = {"kernel_size": [9, 9], "padding": "valid"}
    assert window_fault_fields(fits, (9, 9, 1), "kernel_size", False) == set()          # exactly fits: no fault
    assert window_fault_fields(fits, (9, 9, 1), "kernel_size", True) == set()           # no dilation given: 1x1
    assert window_fault_fields({"kernel_size": [5, 3], "padding": "valid"}, (4, 9, 1), "kernel_size",
                               False) == {"kernel_size", "padding"}                     # 5 rows > 4
    assert window_fault_fields({"kernel_size": [3, 5], "padding": "valid"}, (9, 4, 1), "kernel_size",
                               False) == {"kernel_size", "padding"}                     # 5 columns > 4


def test_window_output_says_the_formula_that_gave_no_output():
    from cnnviz.core.model.layers.base import ShapeError
    from cnnviz.core.model.layers.window import window_output

    with pytest.raises(ShapeError) as info:
        window_output(4, 5, 1, "valid", 1)
    assert str(info.value) == "floor((n + 2p - k)/s) + 1 = floor((4 + 0 - 5)/1) + 1 = 0"


def test_a_model_too_big_for_this_computer_is_refused_with_its_figures(monkeypatch):
    from cnnviz.core.model import shapes

    spec = ModelSpec((1, 1, 9), [L("Flatten", "f"), L("Dense", "d", units=100)])   # (9 + 1) * 100 = 1,000
    assert shapes.memory_needed(1000) == (4000, 16000)     # float32 weights; + gradients + Adam's two moments
    try:
        monkeypatch.setenv("CNNVIZ_MEMORY_BYTES", "16000")
        shapes.physical_memory.cache_clear()
        assert infer_shapes(spec).problems == []            # training needs exactly what there is: fits
        monkeypatch.setenv("CNNVIZ_MEMORY_BYTES", "15000")
        shapes.physical_memory.cache_clear()
        assert [(p.layer, p.field, p.message) for p in infer_shapes(spec).problems] == [
            (None, "params", "the model has 1,000 parameters: 4.0 KB of weights, about 16.0 KB to train them "
                             "(weights, gradients and Adam's two moments in float32); this computer has 15.0 KB of "
                             "memory. Use fewer filters or units, or pool before Flatten")]
    finally:
        monkeypatch.delenv("CNNVIZ_MEMORY_BYTES")
        shapes.physical_memory.cache_clear()


@pytest.mark.parametrize("n, text", [(0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 KB"), (1_500_000, "1.5 MB"),
                                     (2.5e9, "2.5 GB"), (1e12, "1.0 TB"), (4.5e15, "4.5 PB"), (1e18, "1.0 EB"),
                                     (5e21, "5,000.0 EB")])
def test_memory_figures_are_written_in_decimal_units(n, text):
    from cnnviz.core.model.shapes import _bytes_text

    assert _bytes_text(n) == text


# ------------------------------------------------------------------------- spec.py: the Builder's refusals
def _problems(spec):
    from cnnviz.core.model.spec import validate_values

    return [(p.layer, p.field, p.message) for p in validate_values(spec)]


def _field(kind, name):
    from cnnviz.core.model.spec import LAYER_KINDS

    return next(f for f in LAYER_KINDS[kind].fields if f.name == name)


def test_input_size_limits_are_4096_by_4096_by_64_inclusive():
    too_large = "is too large for this app (at most 4096x4096x64)"
    assert _problems(ModelSpec((4096, 4096, 64), [])) == []
    assert _problems(ModelSpec((4097, 1, 1), [])) == [(None, "input_shape", f"input 4097x1x1 {too_large}")]
    assert _problems(ModelSpec((1, 4097, 1), [])) == [(None, "input_shape", f"input 1x4097x1 {too_large}")]
    assert _problems(ModelSpec((8, 8, 65), [])) == [(None, "input_shape", f"input 8x8x65 {too_large}")]
    assert _problems(ModelSpec((8, 0, 1), [])) == [(None, "input_shape", "input width must be at least 1, got 0")]


def test_a_model_of_1000_layers_is_accepted_and_1001_refused():
    from cnnviz.core.model.spec import MAX_LAYERS

    assert MAX_LAYERS == 1000
    assert _problems(ModelSpec((8, 8, 1), [L("Flatten", f"f{i}") for i in range(1000)])) == []
    assert _problems(ModelSpec((8, 8, 1), [L("Flatten", f"f{i}") for i in range(1001)])) == [
        (None, "layers", "the model has 1,001 layers; cnnviz builds models of at most 1,000 layers")]


def test_field_limits_inclusive_exclusive_and_non_finite():
    from cnnviz.core.model.spec import field_problems

    rate, filters = _field("Dropout", "rate"), _field("Conv2D", "filters")
    assert field_problems(rate, 0.999) is None and field_problems(rate, 1.0) == "must be below 1, got 1"
    assert field_problems(filters, 4096) is None
    assert field_problems(filters, 4097) == "must be at most 4096, got 4097"
    assert field_problems(rate, float("nan")) == "must be a finite number, got nan"
    assert field_problems(rate, float("inf")) == "must be a finite number, got inf"
    max_value = _field("ReLU", "max_value")        # optional: None is fine, a NaN is not
    assert field_problems(max_value, None) is None and field_problems(max_value, 6.0) is None
    assert field_problems(max_value, float("nan")) == "must be a finite number, got nan"
    kernel = _field("Conv2D", "kernel_size")       # a pair: either number out of range, said once for both
    assert field_problems(kernel, (0, 3)) == "must be at least 1 in each direction, got 0x3"
    assert field_problems(kernel, (3, 256)) == "must be at most 255 in each direction, got 3x256"
    assert _problems(ModelSpec((8, 8, 1), [L("Dropout", "d", rate=1.0)])) == [
        (0, "rate", "layer 1 (d): rate must be below 1, got 1")]


# ------------------------------------------------------------------------------- spec: names and typed values
def test_new_layers_get_the_first_free_number_and_keep_their_settings():
    """The Builder's names for new layers (a number a student sees): conv_1 first, then the first free one."""
    spec = ModelSpec((28, 28, 1), [])
    assert spec.unique_name("conv") == "conv_1"
    spec = ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=2, kernel_size=3),
                                   L("Conv2D", "conv_3", filters=2, kernel_size=3)])
    assert spec.unique_name("conv") == "conv_2"
    spec.layers.insert(1, L("Conv2D", "conv_2", filters=2, kernel_size=3))
    assert spec.unique_name("conv") == "conv_4"
    layer = spec.new_layer("Conv2D", filters=7, kernel_size=5)
    assert layer.name == "conv_4"
    assert layer.params["filters"] == 7 and list(layer.params["kernel_size"]) == [5, 5]


@pytest.mark.parametrize("value", [True, "0.5", [0.5]])
def test_a_float_setting_refuses_a_bool_a_string_and_a_list(value):
    from cnnviz.core.model.spec import SpecError

    with pytest.raises(SpecError, match=r"momentum must be a number, got") as error:
        L("BatchNormalization", "bn", momentum=value)
    assert "or null" not in str(error.value)


def test_an_optional_float_takes_none_and_says_or_null_when_refusing():
    from cnnviz.core.model.spec import SpecError

    assert L("ReLU", "r", max_value=None).params["max_value"] is None
    assert L("ReLU", "r", max_value=6).params["max_value"] == 6
    with pytest.raises(SpecError, match=r"max_value must be a number or null, got True"):
        L("ReLU", "r", max_value=True)


@pytest.mark.parametrize("value", [[1, 2, 3], [3], "ab", [3, "3"], [3, 2.5]])
def test_a_pair_setting_refuses_anything_but_one_or_two_whole_numbers(value):
    from cnnviz.core.model.spec import SpecError

    with pytest.raises(SpecError, match=r"kernel_size must be a whole number or a pair \[height, width\]"):
        L("Conv2D", "c", filters=2, kernel_size=value)
