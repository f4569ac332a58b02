"""The Step by step and Kernels views on a model with dilated, depthwise and separable convolutions, and on
layers the stepper cannot reproduce: holes of a dilation, the one channel a depthwise output reads, both stages
of a separable convolution, and the reason instead of numbers."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt


@pytest.fixture(scope="module")
def inspector(qapp):
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    from cnnviz.core.inspect.inspection import ModelInspector

    model = keras.Sequential([
        keras.Input((14, 13, 1)),
        keras.layers.Conv2D(3, 3, dilation_rate=2, activation="relu", name="dilated"),
        keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="tanh", name="depthwise"),
        keras.layers.SeparableConv2D(4, 3, padding="same", dilation_rate=2, depth_multiplier=2, name="separable"),
        keras.layers.Conv2D(2, 3, activation="hard_silu", name="hard_silu_conv"),
        keras.layers.Conv2D(2, 1, groups=2, name="grouped"),
        keras.layers.MaxPooling2D(2, name="pool"),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(0, 0.5, size=tuple(w.shape)).astype("float32"))
    ins = ModelInspector(model)
    return ins, ins.feature_maps(rng.random((14, 13, 1)).astype(np.float32))


@pytest.fixture()
def view(inspector, qtbot):
    from cnnviz.qt.inspector.conv_stepper import StepperView

    ins, maps = inspector
    v = StepperView()
    qtbot.addWidget(v)
    v.resize(1300, 900)
    v.set_inspector(ins)
    v.set_maps(maps)
    v.show()
    return v


def _keras(view) -> float:
    return view.keras_value()


def test_the_layer_list_names_what_cannot_be_stepped(view):
    items = [view.layer_choice.itemText(k) for k in range(view.layer_choice.count())]
    assert items == ["dilated (Conv2D)", "depthwise (DepthwiseConv2D)", "separable (SeparableConv2D)",
                     "hard_silu_conv (Conv2D) — cannot step", "grouped (Conv2D) — cannot step", "pool (MaxPooling2D)"]


def test_dilated_window_shows_its_taps_and_holes(view):
    view.select("dilated", 1)
    assert view.stepper.output_shape == (10, 9)  # (14 - 5 + 1, 13 - 5 + 1), not 12 x 11
    view.go_to(4, 5)
    assert view.input_grid.highlight == (4, 5, 5, 5)  # the span, holes included
    assert view.input_grid.taps == [(4 + 2 * a, 5 + 2 * b) for a in range(3) for b in range(3)]
    assert "(k − 1)·d + 1 = 5×5" in view.formula.text() and "⌊(14 + 0 + 0 − 5) / 1⌋ + 1 = 10" in view.formula.text()
    assert "rows 4, 6, 8" in view.window_box.title()
    assert view.step.value == pytest.approx(_keras(view), abs=1e-4) and "✓" in view.check_label.text()
    for i, j in [(0, 0), (9, 8), (3, 7)]:
        view.go_to(i, j)
        assert "✓" in view.check_label.text()


def test_depthwise_reads_one_input_channel(view):
    view.select("depthwise", 5)  # = input channel 2, kernel 1 (multiplier 2)
    view.go_to(6, 3)
    assert not view.in_channel.isVisibleTo(view) and not view.sums_box.isVisibleTo(view)
    assert "channel 2 (the only channel output channel 5 reads)" in view.input_box.title()
    np.testing.assert_array_equal(view.input_grid.values, view.stepper.padded[..., 2])
    np.testing.assert_array_equal(view.kernel_grid.values, view.inspector.kernels("depthwise")["kernel"][:, :, 2, 1])
    assert "5 = 2·2 + 1" in view.formula.text()
    assert view.step.value == pytest.approx(_keras(view), abs=1e-4) and "✓" in view.check_label.text()


def test_separable_shows_both_stages(view, qtbot):
    view.select("separable", 3)
    view.go_to(2, 4)
    assert view.in_channel.maximum() == 11 and view.sums_box.isVisibleTo(view)  # 6 channels x 2 depthwise
    s = view.step
    np.testing.assert_allclose(view.sums_grid.values, np.stack([s.depthwise_values, s.pointwise,
                                                                s.pointwise_products]))
    qtbot.mouseClick(view.sums_grid, Qt.MouseButton.LeftButton, pos=view.sums_grid.cell_center(0, 5))
    assert view.in_channel.value() == 5
    np.testing.assert_array_equal(view.kernel_grid.values, s.depthwise_kernel[..., 5])
    assert "input channel 2" in view.kernel_box.title() and "Stage 2 (pointwise)" in view.computation.text()
    assert s.value == pytest.approx(_keras(view), abs=1e-4) and "✓" in view.check_label.text()


@pytest.mark.parametrize("layer, why", [("hard_silu_conv", "activation 'hard_silu'"), ("grouped", "groups=2")])
def test_a_layer_it_cannot_reproduce_shows_the_reason_not_numbers(view, qtbot, layer, why):
    view.select("dilated", 0)
    view.select(layer, 0)
    assert view.stepper is None and view.step is None
    assert view.refusal.isVisibleTo(view) and not view.body.isVisibleTo(view)
    assert "cannot reproduce" in view.refusal.text() and "because" in view.refusal.text() and why in view.refusal.text()
    assert not view.step_button.isEnabled() and not view.play_button.isEnabled()
    view.go_to(0, 0)  # nothing to jump to: no crash, still no numbers
    assert view.step is None
    view.select("pool", 1)
    assert view.body.isVisibleTo(view) and not view.refusal.isVisibleTo(view) and view.step_button.isEnabled()


def test_painting_a_dilated_window_and_a_refusal(view):
    view.select("dilated", 1)
    view.go_to(4, 5)
    assert not view.grab().isNull()  # paints the taps and the greyed holes
    view.select("grouped", 0)
    assert not view.grab().isNull()


def test_kernels_view_shows_depthwise_and_separable_kernels(inspector, qtbot):
    from cnnviz.qt.inspector.kernels_view import KernelsView

    ins, _ = inspector
    k = KernelsView()
    qtbot.addWidget(k)
    k.set_inspector(ins)
    dw, sep = ins.layer("depthwise").index, ins.layer("separable").index
    assert len(k.grids[dw].tiles) == 3 * 2 * 2  # 3 input channels x 2 kernels, each with its bias
    assert len(k.grids[sep].tiles) == 12  # 6 x 2 depthwise kernels; stage 1 has no bias
    pw = ins.kernels("separable")
    np.testing.assert_array_equal(k.pointwise[sep].values[:12], pw["pointwise_kernel"][0, 0])
    np.testing.assert_array_equal(k.pointwise[sep].values[12], pw["bias"])
    assert "input channel 2, kernel 1" in k.grids[dw].hover_text(5 * 2, 0, 0)
    qtbot.mouseClick(k.grids[dw], Qt.MouseButton.LeftButton, pos=k.grids[dw].tile_center(5 * 2))
    np.testing.assert_array_equal(k.detail.values, ins.kernels("depthwise")["kernel"][:, :, 2, 1])
    assert "output channel 5 = input channel 2, kernel 1" in k.detail_title.text()
