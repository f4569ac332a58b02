"""The Inspector panel driven like a user: images, feature maps, the convolution stepper vs Keras, the 1D
explorer vs numpy.convolve, files, saliency, ablation and the training replay."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QEventLoop, Qt, QTimer

from cnnviz.qt.inspector import InspectorPanel

WAIT_MS = 90_000


def _wait(signal, ms: int = WAIT_MS) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(ms)
    loop.exec()
    signal.disconnect(loop.quit)


@pytest.fixture(scope="module")
def panel(qapp):
    """One panel for the module: it builds the lecture CNN (untrained) and shows MNIST sample test image 0."""
    p = InspectorPanel()
    p.resize(1400, 900)
    p.show()
    while p.maps is None and not p.error_label.text():
        _wait(p.maps_ready)
    assert not p.error_label.text(), p.error_label.text()
    yield p
    assert p.shutdown()
    assert not p.controller.worker.is_running()
    p.deleteLater()


def _keras_layer_output(panel, name: str) -> np.ndarray:
    import keras

    model = panel.inspector.model
    sub = keras.Model(model.inputs[0], model.get_layer(name).output)
    return np.asarray(sub(panel.maps.image[None], training=False))[0]


def _shown_value(label_text: str) -> float:
    return float(re.search(r"=\s*(-?[\d.]+(?:e[-+]?\d+)?)", label_text).group(1))


def test_untrained_default_is_said_on_screen(panel):
    assert panel.untrained.isVisible() and "Untrained weights" in panel.untrained.text()
    assert "3,274,634 parameters" in panel.model_label.text()
    assert panel.image.shape == (28, 28, 1)


def test_choosing_an_image_updates_every_layers_tiles(panel, qtbot):
    with qtbot.waitSignal(panel.maps_ready, timeout=WAIT_MS):
        panel.chooser.class_filter.setCurrentIndex(panel.chooser.class_filter.findData(3))
    assert "true class 3" in panel.chooser.description
    assert panel.chooser.label == 3
    grids = panel.feature_maps.grids
    for info in panel.inspector.layers:
        if info.is_spatial:
            assert len(grids[info.index].tiles) == info.channels  # one tile per channel
    pixels = panel.pixels.grid.values
    np.testing.assert_allclose(pixels, np.round(panel.image[..., 0] * 255))  # images as numbers
    assert panel.prediction.text().startswith("Prediction:")


def test_clicking_a_tile_enlarges_it(panel, qtbot):
    panel.tabs.setCurrentWidget(panel.feature_maps)
    conv2 = panel.inspector.layer("conv_2").index
    grid = panel.feature_maps.grids[conv2]
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.tile_center(5))
    assert panel.feature_maps.enlarged_at == (conv2, 5)
    assert "conv_2, channel 5" in panel.feature_maps.enlarged_title.text()
    np.testing.assert_array_equal(panel.feature_maps.enlarged.values, panel.maps.outputs[conv2][..., 5])
    plane = panel.maps.outputs[conv2][..., 5]
    hover = grid.hover_text(5, 2, 3)  # the tooltip: channel statistics
    assert "channel 5" in hover and f"max {plane.max():.4g}" in hover and f"mean {plane.mean():.4g}" in hover


def test_kernels_of_every_conv_layer(panel, qtbot):
    panel.tabs.setCurrentWidget(panel.kernels)
    conv2 = panel.inspector.layer("conv_2").index
    grid = panel.kernels.grids[conv2]
    assert len(grid.tiles) == 64 * (32 + 1)  # one row per filter: 32 input channels, then the bias
    kernel, bias = panel.inspector.weights(conv2)
    assert f"{kernel[1, 2, 3, 4]:.5g}" in grid.hover_text(4 * 33 + 3, 1, 2)
    assert "bias" in grid.hover_text(4 * 33 + 32, 0, 0)
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.tile_center(4 * 33 + 3))
    np.testing.assert_array_equal(panel.kernels.detail.values, kernel[:, :, 3, 4])
    assert "filter 4, input channel 3" in panel.kernels.detail_title.text()


def test_convolution_steps_show_the_keras_output(panel, qtbot):
    view = panel.stepper
    panel.tabs.setCurrentWidget(view)
    view.select("conv_2", 7)
    keras_out = _keras_layer_output(panel, "conv_2")
    for _ in range(3):
        qtbot.mouseClick(view.step_button, Qt.MouseButton.LeftButton)
    assert view.step.index == (0, 3)
    assert _shown_value(view.result_label.text()) == pytest.approx(float(keras_out[0, 3, 7]), abs=1e-4)
    assert "✓" in view.check_label.text()
    # jump by clicking an output cell
    qtbot.mouseClick(view.output_grid, Qt.MouseButton.LeftButton, pos=view.output_grid.cell_center(9, 6))
    assert view.step.index == (9, 6)
    assert _shown_value(view.result_label.text()) == pytest.approx(float(keras_out[9, 6, 7]), abs=1e-4)
    assert view.output_grid.filled[9, 5] and not view.output_grid.filled[9, 7]  # the output fills in
    # the window sits on the padded input at the stride: 'same' padding of 2 for a 5x5 kernel
    assert view.input_grid.highlight == (9, 6, 5, 5)
    assert "⌊(14 + 2 + 2 − 5) / 1⌋ + 1 = 14" in view.formula.text()
    assert view.sums_box.isVisible() and view.step.channel_sums.shape == (32,)


def test_first_layer_steps_over_the_image_with_zero_padding(panel, qtbot):
    view = panel.stepper
    view.select("conv_1", 3)
    view.go_to(0, 0)
    assert view.input_grid.padding[0, 0] and view.input_grid.padding.sum() == 32 * 32 - 28 * 28
    keras_out = _keras_layer_output(panel, "conv_1")
    view.go_to(14, 13)
    assert _shown_value(view.result_label.text()) == pytest.approx(float(keras_out[14, 13, 3]), abs=1e-4)


def test_textbook_switch_shows_the_rotated_kernel_whose_true_convolution_is_keras_output(panel, qtbot):
    from cnnviz.core.inspect.textbook import conv2d as lecture_conv2d

    view = panel.stepper
    view.select("conv_1", 3)
    view.go_to(10, 12)
    w = view.kernel_grid.values.copy()
    value, products = view.step.value, view.products_grid.values.copy()
    assert not view.textbook.isChecked() and view.textbook.isVisible()
    view.textbook.setChecked(True)
    try:
        v = view.kernel_grid.values.copy()
        np.testing.assert_array_equal(v, np.rot90(w, 2))
        assert not np.array_equal(v, w)   # a learned-looking 5x5 kernel is not symmetric under a half turn
        assert "V = W rotated 180°" in view.kernel_box.title()
        assert "As the lecture writes it" in view.computation.text() and "X<sub>p</sub>[10 + 4 − k1" in \
            view.computation.text()
        # nothing computed changes: the same products, the same cell
        assert view.step.value == value
        np.testing.assert_array_equal(view.products_grid.values, products)
        # the claim itself: the lecture's convolution (the kernel rotated once more inside the sum) with V on the
        # image gives Keras's conv_1, channel 3, everywhere
        layer = panel.inspector.model.get_layer("conv_1")
        bias = float(layer.get_weights()[1][3])
        y = np.maximum(lecture_conv2d(panel.maps.image[..., 0], v, "same", 1, flip=True) + bias, 0.0)
        np.testing.assert_allclose(y, _keras_layer_output(panel, "conv_1")[..., 3], atol=1e-4)
        view.select("pool_1", 0)
        assert not view.textbook.isVisible()   # pooling has no kernel to rotate
    finally:
        view.textbook.setChecked(False)


def test_pooling_steps_reuse_the_widget(panel, qtbot):
    view = panel.stepper
    view.select("pool_2", 10)
    assert not view.kernel_box.isVisible()
    keras_out = _keras_layer_output(panel, "pool_2")
    qtbot.mouseClick(view.step_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.output_grid, Qt.MouseButton.LeftButton, pos=view.output_grid.cell_center(4, 2))
    assert view.step.index == (4, 2)
    assert _shown_value(view.result_label.text()) == pytest.approx(float(keras_out[4, 2, 10]), abs=1e-4)
    assert view.input_grid.highlight == (8, 4, 2, 2)  # stride 2
    assert "max(" in view.computation.text()


@pytest.mark.parametrize("x, w", [("1, 3, 2, 4, 5, 6, 1, 3", "1, 0, 3, 1, 2"), ("3 -1 0.5 2", "2, 1"),
                                  ("1, 2, 3, 4, 5, 6", "0.5, -1, 2, 1")])
def test_1d_explorer_agrees_with_numpy_convolve(panel, qtbot, x, w):
    view = panel.conv1d
    view.x_edit.setText(x)
    view.w_edit.setText(w)
    view.s_spin.setValue(1)
    view.flip.setChecked(True)
    xs = np.array([float(v) for v in re.split(r"[,\s]+", x)])
    ws = np.array([float(v) for v in re.split(r"[,\s]+", w)])
    for mode in ("full", "same", "valid"):
        view.mode.setCurrentIndex(view.mode.findData(mode))
        view._on_inputs_changed()
        np.testing.assert_allclose(view.output, np.convolve(xs, ws, mode), err_msg=mode)
        assert "✓" in view.numpy_label.text()
        qtbot.mouseClick(view.step_button, Qt.MouseButton.LeftButton)
        assert view.current == 1 and f"= {view.steps[1].total:g}"[:4] in view.sum_label.text().replace("<b>", "")
    view.flip.setChecked(False)  # cross-correlation, what Conv layers compute
    view.mode.setCurrentIndex(view.mode.findData("valid"))
    np.testing.assert_allclose(view.output, np.correlate(xs, ws, "valid"))


def test_1d_explorer_padding_stride_and_bad_input(panel):
    view = panel.conv1d
    view.x_edit.setText("1, 2, 3, 4, 5, 6, 7")
    view.w_edit.setText("1, 1, 1")
    view.mode.setCurrentIndex(view.mode.findData("custom"))
    view.p_spin.setValue(1)
    view.s_spin.setValue(2)
    view._on_inputs_changed()
    assert "floor((7 + 2*1 - 3)/2) + 1 = 4" in view.formula.text()
    np.testing.assert_allclose(view.output, [3, 9, 15, 13])
    view.x_edit.setText("1, two, 3")
    view._on_inputs_changed()
    assert "'two' is not a number" in view.error.text()
    view.x_edit.setText("1, 2, 3, 4")
    view._on_inputs_changed()
    assert view.error.text() == ""


def test_image_file_loading_and_a_bad_file(panel, qtbot, tmp_path):
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(photo).ellipse([100, 40, 200, 160], outline="black", width=14)
    photo.save(tmp_path / "zero.jpg")
    with qtbot.waitSignal(panel.maps_ready, timeout=WAIT_MS):
        assert panel.chooser.load_file(str(tmp_path / "zero.jpg"))
    assert panel.image.shape == (28, 28, 1) and "inverted" in panel.chooser.description
    assert not panel.chooser.error_label.isVisible()
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert not panel.chooser.load_file(str(tmp_path / "broken.png"))
    assert panel.chooser.error_label.isVisible()
    assert "Could not use this file" in panel.chooser.error_label.text()


def test_why_this_prediction(panel, qtbot):
    with qtbot.waitSignal(panel.explanation_ready, timeout=WAIT_MS):
        panel.tabs.setCurrentWidget(panel.explain)
    assert panel.explain.heat.shape == (28, 28)
    assert "Grad-CAM on conv_2" in panel.explain.title.text()
    with qtbot.waitSignal(panel.explanation_ready, timeout=WAIT_MS):
        panel.explain.method.setCurrentIndex(panel.explain.method.findData("saliency"))
    assert "Saliency" in panel.explain.title.text()


def test_filter_ablation_changes_the_prediction(panel, qtbot):
    view = panel.ablation
    with qtbot.waitSignal(panel.ablation_ready, timeout=WAIT_MS):
        panel.tabs.setCurrentWidget(view)
    np.testing.assert_allclose(view.bars.values, panel.maps.probabilities, atol=1e-6)  # nothing off
    with qtbot.waitSignal(panel.ablation_ready, timeout=WAIT_MS):
        qtbot.mouseClick(view.grid, Qt.MouseButton.LeftButton, pos=view.grid.tile_center(2))
    assert view.off() == (2,)
    expected = panel.inspector.ablate(panel.maps.image, "conv_1", [2])
    np.testing.assert_allclose(view.bars.values, expected, atol=1e-6)
    assert "→" in view.result.text()
    with qtbot.waitSignal(panel.ablation_ready, timeout=WAIT_MS):
        qtbot.mouseClick(view.reset_button, Qt.MouseButton.LeftButton)
    assert view.off() == ()


def test_training_replay_shows_snapshots(panel, qtbot):
    from cnnviz.core.train.snapshots import SnapshotStore

    store = SnapshotStore(panel.image)
    panel.set_snapshots(store)
    panel.tabs.setCurrentWidget(panel.replay)
    assert not panel.replay.slider.isEnabled() and "No training snapshots" in panel.replay.title.text()
    store.record_initial(panel.inspector.model)  # what the Training tab does before the first epoch
    panel.replay.refresh()
    assert panel.replay.slider.isEnabled()
    assert len(panel.replay.kernels.tiles) == 32 * 2  # 32 filters x (1 input channel + bias)
    assert len(panel.replay.maps.tiles) == 32
    panel.tabs.setCurrentWidget(panel.feature_maps)  # a hidden replay stops polling its store
    assert not panel.replay.timer.isActive()


def test_set_model_and_set_image(panel, qtbot):
    """Another model (RGB input) replaces the default; images are converted to its input."""
    import keras

    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="c")(inputs)
    x = keras.layers.AveragePooling2D(2, name="p")(x)
    x = keras.layers.Flatten(name="f")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="out")(x)
    model = keras.Model(inputs, outputs, name="tiny_rgb")
    with qtbot.waitSignal(panel.maps_ready, timeout=WAIT_MS):
        panel.set_model(model, ["cat", "dog", "bird"])
    assert not panel.untrained.isVisible()
    assert panel.image.shape == (16, 16, 3)
    assert len(panel.feature_maps.grids[0].tiles) == 4
    assert "tiny_rgb" in panel.model_label.text()
    with qtbot.waitSignal(panel.maps_ready, timeout=WAIT_MS):
        panel.set_image(np.random.default_rng(0).random((40, 40, 1)).astype(np.float32))
    assert panel.maps.image.shape == (16, 16, 3)
    panel.tabs.setCurrentWidget(panel.stepper)
    panel.stepper.select("c", 2)
    panel.stepper.go_to(3, 5)  # stride 2, 'same' padding
    ref = np.asarray(keras.Model(model.inputs[0], model.get_layer("c").output)(panel.maps.image[None]))[0]
    assert panel.stepper.step.value == pytest.approx(float(ref[3, 5, 2]), abs=1e-4)
    panel.stepper.select("p", 1)
    ref = np.asarray(keras.Model(model.inputs[0], model.get_layer("p").output)(panel.maps.image[None]))[0]
    panel.stepper.go_to(1, 1)
    assert panel.stepper.step.value == pytest.approx(float(ref[1, 1, 1]), abs=1e-5)


def test_shipped_trained_model_button(panel, qtbot):
    from cnnviz.core.model.pretrained import load_shipped_model

    panel.shipped_button.show()
    before_maps, before_inspector = panel.maps, panel.inspector
    with qtbot.waitSignal(panel.model_ready, timeout=WAIT_MS):
        qtbot.mouseClick(panel.shipped_button, Qt.MouseButton.LeftButton)
    assert "shipped digit model" in panel.model_label.text()
    assert not panel.untrained.isVisible()
    assert panel.inspector is not before_inspector
    # new maps, made by the shipped model (the earlier model's maps are there from the start when run alone)
    qtbot.waitUntil(lambda: panel.maps is not None and panel.maps is not before_maps, timeout=WAIT_MS)
    assert panel.maps.image.shape == (28, 28, 1)
    probabilities = np.asarray(load_shipped_model()(panel.maps.image[None], training=False))[0]
    np.testing.assert_allclose(panel.maps.probabilities, probabilities, atol=1e-5)
    assert panel.prediction.text().startswith(f"Prediction: {int(np.argmax(probabilities))} ")
