"""The Draw tab: real mouse strokes on the canvas, live prediction with the shipped model, undo/eraser/clear,
"Inspect this drawing", models from the app (digit and non-digit), and pictures opened from files."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt

from cnnviz.qt.canvas import CANVAS_SIZE, DrawingCanvas, DrawPanel

MODEL_TIMEOUT = 90_000  # ms: the first panel imports TensorFlow (seconds on a shared 2-core machine)

ONE = [[(150, 35), (146, 120), (138, 245)]]
SEVEN = [[(70, 50), (140, 46), (205, 48), (170, 130), (128, 245)]]
ZERO = [[(140 + 62 * math.sin(t), 140 - 95 * math.cos(t)) for t in np.linspace(0, 2 * math.pi, 48)]]


@pytest.fixture
def panel(qtbot):
    widget = DrawPanel()
    qtbot.addWidget(widget)
    widget.resize(1100, 620)
    widget.show()
    qtbot.waitExposed(widget)
    if not widget.model_ready():
        with qtbot.waitSignal(widget.model_changed, timeout=MODEL_TIMEOUT):
            pass
    yield widget
    assert widget.wait_for_loader(MODEL_TIMEOUT), "a model was still being prepared"
    assert widget.shutdown(MODEL_TIMEOUT), "a model-loading thread was left running"


def _widget_point(canvas: DrawingCanvas, x: float, y: float) -> QPoint:
    """Canvas units (0..280) -> the canvas widget's pixel coordinates."""
    sheet = canvas._sheet()
    s = sheet.width() / CANVAS_SIZE
    return QPointF(sheet.left() + x * s, sheet.top() + y * s).toPoint()


def _drag(qtbot, canvas: DrawingCanvas, points, steps: int = 8) -> None:
    """Press, move through ``points`` (canvas units, interpolated) and release, with real mouse events.

    On Qt 6.12 QTest's mouseMove carries the pressed button; on some older Qt 6 releases it did not. The canvas
    does not depend on it: a stroke lasts from press to release, so plain qtbot moves work on every version.
    """
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=_widget_point(canvas, *points[0]))
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for k in range(1, steps + 1):
            t = k / steps
            qtbot.mouseMove(canvas, _widget_point(canvas, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=_widget_point(canvas, *points[-1]))


def _draw(canvas: DrawingCanvas, strokes) -> None:
    canvas.clear()
    for stroke in strokes:
        canvas.add_stroke(stroke)


def test_mouse_strokes_update_the_prediction_live(qtbot, panel):
    canvas = panel.canvas
    assert panel.probabilities is None and panel.predicted_class() is None  # empty canvas: no prediction
    with qtbot.waitSignal(panel.prediction_changed, timeout=2000,
                          check_params_cb=lambda p: p is not None) as blocker:
        _drag(qtbot, canvas, ONE[0])
    assert len(canvas.strokes) == 1 and len(canvas.strokes[0].points) > 10
    qtbot.wait(100)  # the live update after the last move
    probs = blocker.args[0]
    assert probs.shape == (10,) and abs(float(probs.sum()) - 1.0) < 1e-3
    assert panel.predicted_class() == "1", panel.probabilities
    assert panel.top_view.digit.text() == "1"
    assert "ms" in panel.timing_label.text()


def test_the_prediction_updates_during_a_stroke(qtbot, panel):
    """Predictions arrive while the button is still down (throttled by the timer, not held back until release)."""
    canvas = panel.canvas
    seen = []
    panel.prediction_changed.connect(seen.append)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=_widget_point(canvas, 140, 40))
    for k in range(1, 21):
        qtbot.mouseMove(canvas, _widget_point(canvas, 140, 40 + 10 * k))
        qtbot.wait(10)
    assert any(p is not None for p in seen), "no live prediction while drawing"
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=_widget_point(canvas, 140, 240))


def test_a_pen_tablet_draws_strokes(qtbot):
    """Tablet events (pen tip down, moves, up) make a stroke like the mouse does."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.show()
    pen = QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                          QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3)

    def send(kind, x, y, buttons):
        event = QTabletEvent(kind, pen, QPointF(x, y), QPointF(x, y), 0.6, 0, 0, 0, 0, 0,
                             Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton, buttons)
        QApplication.sendEvent(canvas, event)
        assert event.isAccepted()  # accepted: Qt will not also synthesise mouse events

    send(QEvent.Type.TabletPress, 150, 40, Qt.MouseButton.LeftButton)
    for k in range(1, 11):
        send(QEvent.Type.TabletMove, 150, 40 + 20 * k, Qt.MouseButton.LeftButton)
    send(QEvent.Type.TabletRelease, 150, 240, Qt.MouseButton.NoButton)
    assert len(canvas.strokes) == 1 and len(canvas.strokes[0].points) == 11
    assert canvas.to_gray_array().min() == 0


@pytest.mark.parametrize("strokes, digit", [(ONE, "1"), (ZERO, "0"), (SEVEN, "7")], ids=["one", "zero", "seven"])
def test_drawn_digits_are_recognised_by_the_shipped_model(panel, strokes, digit):
    _draw(panel.canvas, strokes)
    result = panel.predict_now()
    assert not result.empty
    assert panel.predicted_class() == digit, np.round(panel.probabilities, 3)


def test_undo_eraser_and_clear(qtbot, panel):
    canvas = panel.canvas
    _draw(canvas, SEVEN)
    canvas.add_stroke([(100, 140), (180, 140)])              # a cross bar: a continental 7
    assert len(canvas.strokes) == 2
    panel.undo_button.click()
    assert len(canvas.strokes) == 1
    with_ink = canvas.to_gray_array()
    assert with_ink.shape == (CANVAS_SIZE, CANVAS_SIZE) and with_ink.dtype == np.uint8
    assert with_ink.min() == 0 and with_ink.max() == 255
    assert ((with_ink > 0) & (with_ink < 255)).any(), "strokes should be anti-aliased"

    panel.eraser_button.click()
    panel.brush_slider.setValue(48)
    assert canvas.eraser() and canvas.brush_size() == 48
    _drag(qtbot, canvas, [(60, 50), (215, 50)])               # rub out the top bar
    assert canvas.strokes[-1].eraser
    assert canvas.to_gray_array()[40:60, 80:200].min() == 255
    panel.pen_button.click()
    assert not canvas.eraser()

    before = canvas.to_gray_array()
    panel.clear_button.click()
    result = panel.predict_now()
    assert canvas.is_empty() and result.empty and result.message == "nothing drawn"
    assert panel.probabilities is None and not panel.inspect_button.isEnabled()
    assert panel.top_view.caption.text() == "nothing drawn"
    assert not panel.clear_button.isEnabled()               # nothing left to clear
    panel.undo_button.click()                              # Clear is taken back: the whole drawing returns
    assert len(canvas.strokes) == 2 and np.array_equal(canvas.to_gray_array(), before)
    panel.undo_button.click()                              # then stroke by stroke
    panel.undo_button.click()
    assert canvas.is_empty()
    assert not panel.undo_button.isEnabled() and not panel.clear_button.isEnabled()
    assert not canvas.undo()


def test_undo_brings_back_the_drawing_a_loaded_picture_replaced(qtbot, panel):
    canvas = panel.canvas
    canvas.clear()
    _draw(canvas, SEVEN)
    drawn = canvas.to_gray_array()
    canvas.set_background(np.full((28, 28), 0.5, np.float32))
    assert canvas.strokes == [] and panel.undo_button.isEnabled()
    panel.undo_button.click()
    assert np.array_equal(canvas.to_gray_array(), drawn)


def test_inspect_this_drawing_emits_the_preprocessed_image(qtbot, panel):
    _draw(panel.canvas, SEVEN)
    panel.predict_now()
    with qtbot.waitSignal(panel.inspect_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.inspect_button, Qt.MouseButton.LeftButton)
    image = blocker.args[0]
    assert isinstance(image, np.ndarray) and image.shape == (28, 28) and image.dtype == np.float32
    assert image.max() == pytest.approx(1.0) and image.min() == 0.0
    np.testing.assert_array_equal(image, panel.result.image)


def test_a_single_dot_and_a_drawing_touching_the_edges(panel):
    canvas = panel.canvas
    canvas.clear()
    canvas.add_stroke([(140, 140)])                          # one click: a dot
    result = panel.predict_now()
    assert not result.empty and panel.predicted_class() is not None
    _draw(canvas, [[(0, 0), (280, 280)], [(280, 0), (0, 280)], [(0, 140), (280, 140)]])
    result = panel.predict_now()
    assert not result.empty and result.image.shape == (28, 28)
    assert panel.predicted_class() is not None


def test_strip_shows_every_step(panel):
    _draw(panel.canvas, ZERO)
    result = panel.predict_now()
    names = [name for name, _ in result.steps]
    assert len(names) == 6 and names[0] == "input" and names[-1] == "scaled to 0..1"
    visible = [cell for cell, _, _ in panel.strip._cells if not cell.isHidden()]
    assert len(visible) == 6
    assert panel.strip._cells[5][1].pixmap() is not None


def test_a_digit_model_from_the_app_is_used(qtbot, panel):
    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.presets import fast_mnist

    model = build_model(fast_mnist(), seed=3)
    with qtbot.waitSignal(panel.model_changed, timeout=MODEL_TIMEOUT) as blocker:
        panel.set_model(model, [str(d) for d in range(10)], title="my model")
    assert "my model" in blocker.args[0] and not panel._active.shipped
    _draw(panel.canvas, ONE)
    panel.predict_now()
    assert panel.probabilities is not None
    with qtbot.waitSignal(panel.model_changed, timeout=1000):
        panel.set_model(None)                                  # back to the shipped model (already loaded)
    assert panel._active.shipped


def test_a_model_that_is_not_for_digits_keeps_the_shipped_one(qtbot, panel):
    import keras

    model = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Flatten(), keras.layers.Dense(1)], name="faces")
    panel.set_model(model, ["female", "male"])
    text = panel.status_label.text()
    assert "reads handwritten digits" in text and "64×64×3" in text and "shipped digit model" in text
    assert panel._active.shipped
    ten_letters = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    panel.set_model(ten_letters, list("abcdefghij"))
    assert "not the digits 0–9" in panel.status_label.text() and panel._active.shipped


def test_an_image_file_goes_through_the_same_path(panel, tmp_path, mnist_npz_path):
    with np.load(mnist_npz_path) as data:
        digit, label = data["x_test"][0], int(data["y_test"][0])
    path = tmp_path / "digit.png"
    Image.fromarray(255 - digit).resize((200, 200), Image.Resampling.BILINEAR).save(path)  # dark on light
    assert panel.load_image_file(path)
    assert panel.result.inverted and panel.predicted_class() == str(label)

    bad = tmp_path / "empty.png"
    bad.write_bytes(b"")
    assert not panel.load_image_file(bad)
    assert "empty" in panel.status_label.text()


def test_canvas_works_while_the_model_loads(qtbot):
    """Without a model the canvas still draws and the strip still shows the steps ("loading model…")."""
    widget = DrawPanel(load_shipped=False)
    qtbot.addWidget(widget)
    widget.resize(900, 520)
    widget.show()
    qtbot.waitExposed(widget)
    _drag(qtbot, widget.canvas, SEVEN[0])
    result = widget.predict_now()
    assert not result.empty and widget.probabilities is None
    assert widget.top_view.caption.text() == "loading model…"
