"""The Draw tab's "How fragile is it?" (FGSM) and "Quantized (int8) vs float32" boxes, on a real DrawPanel with
the shipped model: the slider at 0 is the plain prediction, the smallest flip found flips it (and a hair less does
not), and the int8 prediction on the drawing is the core's int8 model's."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from PySide6.QtCore import QPoint, QPointF

from cnnviz.qt.canvas import CANVAS_SIZE, DrawPanel

MODEL_TIMEOUT = 90_000
SEVEN = [[(70, 50), (140, 46), (205, 48), (170, 130), (128, 245)]]


def _widget_point(canvas, x: float, y: float) -> QPoint:
    sheet = canvas._sheet()
    s = sheet.width() / CANVAS_SIZE
    return QPointF(sheet.left() + x * s, sheet.top() + y * s).toPoint()


def _drag(qtbot, canvas, points, steps: int = 8) -> None:
    """A real mouse stroke through ``points`` (canvas units), as tests/qt/test_canvas.py draws."""
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=_widget_point(canvas, *points[0]))
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for k in range(1, steps + 1):
            t = k / steps
            qtbot.mouseMove(canvas, _widget_point(canvas, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=_widget_point(canvas, *points[-1]))


def _draw(canvas, strokes) -> None:
    canvas.clear()
    for stroke in strokes:
        canvas.add_stroke(stroke)

JOB_TIMEOUT = 90_000
SHOTS = "/tmp"


@pytest.fixture
def panel(qtbot):
    widget = DrawPanel()
    qtbot.addWidget(widget)
    widget.resize(1100, 820)
    widget.show()
    qtbot.waitExposed(widget)
    if not widget.model_ready():
        with qtbot.waitSignal(widget.model_changed, timeout=MODEL_TIMEOUT):
            pass
    yield widget
    assert widget.wait_for_loader(MODEL_TIMEOUT)
    assert widget.fragility.wait(JOB_TIMEOUT), "a fragility job was still running"
    assert widget.shutdown(MODEL_TIMEOUT)


@pytest.fixture(scope="module")
def core_int8():
    """The core's int8 model of the shipped model, calibrated as the view does (converted once per module)."""
    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.explain.quantize import quantize
    from cnnviz.qt.canvas.fragility_view import CALIBRATION_IMAGES
    from cnnviz.core.model.pretrained import load_shipped_model

    # its own copy of the shipped model: the panel's is the app's shared one, used on the TensorFlow lane
    return quantize(load_shipped_model(), load_dataset("mnist_sample").x_train[:CALIBRATION_IMAGES])


def _sign_ready(qtbot, view):
    # view.wait sleeps between event rounds; qtbot.waitUntil here starved the worker thread of the GIL on
    # PySide6 (its result was not delivered until the widget was gone)
    assert view.wait(JOB_TIMEOUT)
    assert view._fgsm is not None and view.flip_button.isEnabled()


def test_the_epsilon_slider_and_the_smallest_flip(qtbot, panel):
    view = panel.fragility
    assert not view.flip_button.isEnabled()                   # nothing drawn
    _drag(qtbot, panel.canvas, SEVEN[0])
    qtbot.wait(100)
    plain = panel.predicted_class()
    assert plain == "7"
    _sign_ready(qtbot, view)
    assert view.epsilon_slider.value() == 0
    # slider at 0: the perturbed drawing is the drawing, its answer the plain one
    np.testing.assert_allclose(view.perturbed_probabilities, panel.probabilities, atol=1e-6)
    assert "still 7" in view.fragility_label.text()

    view.epsilon_slider.setValue(20)                          # a small change does not flip a clear 7
    assert view.epsilon == pytest.approx(0.02)
    assert int(np.argmax(view.perturbed_probabilities)) == 7
    assert view.perturbed_image.pixmap() is not None and not view.perturbed_image.pixmap().isNull()

    with qtbot.waitSignal(view.flip_found, timeout=JOB_TIMEOUT) as found:
        qtbot.mouseClick(view.flip_button, Qt.MouseButton.LeftButton)
    eps = found.args[0]
    assert view.epsilon == eps and 0 < eps < 1
    flipped = int(np.argmax(view.perturbed_probabilities))
    assert flipped != 7 and "flipped" in view.fragility_label.text() and "Smallest flip" in view.fragility_label.text()
    # check by hand, with the model itself: the drawing plus eps * sign(gradient) reads another digit
    image = panel.result.model_input()[0]
    sign = view._fgsm.sign
    model = panel._active.model

    def reads(e):
        return int(np.argmax(np.asarray(model(np.clip(image + e * sign, 0, 1)[None], training=False))[0]))

    assert reads(eps) == flipped
    again = view._fgsm.smallest_flip()                         # the core's search on the same drawing
    assert again.epsilon == pytest.approx(eps) and reads(again.lower) == 7 and eps - again.lower < 0.01
    view.set_epsilon(0.0)
    assert int(np.argmax(view.perturbed_probabilities)) == 7
    view.set_epsilon(eps)
    panel.grab().save(f"{SHOTS}/draw_fragility.png")


def test_the_int8_model_beside_float32(qtbot, panel, core_int8):
    view = panel.fragility
    _draw(panel.canvas, SEVEN)
    panel.predict_now()
    assert view.int8_probabilities is None
    progress = []
    with qtbot.waitSignal(view.quantized_ready, timeout=JOB_TIMEOUT):
        qtbot.mouseClick(view.quantize_button, Qt.MouseButton.LeftButton)
        while view._quant is None:     # the progress text, as the user sees it
            progress.append(view.quant_status.text())
            qtbot.wait(20)
    assert any("Quantizing to int8" in p for p in progress), sorted(set(progress))
    assert "full integer" in view.quant_status.text()
    assert "int8 reads <b>7</b>" in view.int8_label.text() and "float32 reads <b>7</b>" in view.float_label.text()
    stats = view.stats_label.text()
    assert "smaller" in stats and "latency" in stats
    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.explain.quantize import compare

    ds = load_dataset("mnist_sample")
    real = compare(core_int8, ds.x_test[:1000], ds.y_test[:1000], repeats=2)   # the core's own evaluation
    assert (f"Test accuracy (1,000 digits): float32 {real.float_accuracy:.2%}, int8 {real.int8_accuracy:.2%}"
            in stats), stats
    assert "conv_1" in stats and "output" in stats              # the per-layer errors
    assert "Smallest" not in view.fragility_label.text()

    x = panel.result.model_input()
    np.testing.assert_allclose(view.int8_probabilities, core_int8.predict_int8(x)[0], atol=1e-6)
    np.testing.assert_allclose(view.float_probabilities, panel.probabilities, atol=1e-5)
    panel.grab().save(f"{SHOTS}/draw_quantized.png")

    # live: a new drawing gets both predictions at once, the int8 one still the core's
    _draw(panel.canvas, [[(150, 35), (146, 120), (138, 245)]])
    panel.predict_now()
    x = panel.result.model_input()
    assert int(np.argmax(view.int8_probabilities)) == 1
    np.testing.assert_allclose(view.int8_probabilities, core_int8.predict_int8(x)[0], atol=1e-6)
