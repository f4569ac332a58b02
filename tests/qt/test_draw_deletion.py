"""The Draw tab's deletion check (cnnviz.qt.canvas.deletion_view) on a real DrawPanel with the shipped model: a
real MNIST test digit put on the canvas gets a saliency deletion curve below the random one (smaller area), the
curves drawn are the core's (cnnviz.core.explain.attribution) for the drawing's model input, and a stroke drawn
with the mouse gets its curves too, by occlusion and by the Inspector's Grad-CAM."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from cnnviz.qt.canvas import CANVAS_SIZE, DrawPanel
from cnnviz.qt.canvas.deletion_view import SEED, STEPS

MODEL_TIMEOUT = 90_000
JOB_TIMEOUT = 90_000
SEVEN = [(70, 50), (140, 46), (205, 48), (170, 130), (128, 245)]


def _mnist_test_digits(n: int):
    import os

    path = os.path.join(os.environ.get("CNNVIZ_DATA_DIR", "/work/shared/datasets"), "mnist.npz")
    if os.path.exists(path):
        with np.load(path) as data:
            return data["x_test"][:n], data["y_test"][:n]
    from cnnviz.core.data.datasets import load_dataset   # the project's bundled sample (0..1 floats)

    ds = load_dataset("mnist_sample")
    return (ds.x_test[:n, ..., 0] * 255).astype(np.uint8), ds.y_test[:n]


@pytest.fixture
def panel(qtbot):
    widget = DrawPanel()
    qtbot.addWidget(widget)
    widget.resize(1100, 1000)
    widget.show()
    qtbot.waitExposed(widget)
    if not widget.model_ready():
        with qtbot.waitSignal(widget.model_changed, timeout=MODEL_TIMEOUT):
            pass
    yield widget
    assert widget.wait_for_loader(MODEL_TIMEOUT)
    assert widget.deletion.wait(JOB_TIMEOUT) and widget.fragility.wait(JOB_TIMEOUT)
    assert widget.shutdown(MODEL_TIMEOUT)


def _settle(panel) -> None:
    # view.wait sleeps between event rounds (qtbot.waitUntil starved the worker of the GIL: test_draw_fragility)
    assert panel.deletion.wait(JOB_TIMEOUT)
    assert panel.deletion.result is not None, panel.deletion.verdict.text()


def test_a_real_digit_saliency_curve_falls_below_random(panel):
    from cnnviz.core.explain import attribution as attr
    from cnnviz.core.explain.scores import ClassScores

    digits, labels = _mnist_test_digits(3)
    view = panel.deletion
    scores = ClassScores(panel._active.model)
    for digit, label in zip(digits, labels):
        panel.canvas.set_background(1.0 - digit.astype(np.float32) / 255.0)   # black ink on white paper
        panel.predict_now()
        _settle(panel)
        r = view.result
        assert r.method == "saliency" and r.class_index == int(label) == int(np.argmax(panel.probabilities))
        np.testing.assert_array_equal(r.image, panel.result.model_input()[0])
        assert len(r.deletion.probabilities) == len(r.random.probabilities) == STEPS + 1
        assert r.deletion.auc < r.random.auc - 0.05, (r.deletion.auc, r.random.auc)
        # the core's curves for the same drawing
        heat = np.abs(attr.gradient(scores, r.image, r.class_index)).max(axis=-1)
        np.testing.assert_allclose(r.deletion.probabilities,
                                   attr.deletion_curve(scores, r.image, r.class_index, heat, steps=STEPS)
                                   .probabilities, atol=1e-5)
        np.testing.assert_allclose(r.random.probabilities,
                                   attr.random_deletion_curve(scores, r.image, r.class_index, steps=STEPS,
                                                              seed=SEED).probabilities, atol=1e-5)
        x, y = view.plot.deletion_curve.getData()
        np.testing.assert_allclose(y, r.deletion.probabilities)
        assert len(view.plot.random_curve.getData()[1]) == STEPS + 1
        assert f"Saliency (solid): {r.deletion.auc:.3f}" in view.auc.text()
        assert f"random (dashed): {r.random.auc:.3f}" in view.auc.text() and f"seed is {SEED}" in view.verdict.toolTip()
        assert "faster than random: faithful" in view.verdict.text() and "falls faster" in view.verdict.toolTip()
    panel.grab().save("/tmp/draw_deletion.png")


def _widget_point(canvas, x: float, y: float) -> QPoint:
    sheet = canvas._sheet()
    s = sheet.width() / CANVAS_SIZE
    return QPointF(sheet.left() + x * s, sheet.top() + y * s).toPoint()


def test_a_drawn_stroke_and_another_method_get_their_curves(panel, qtbot):
    view = panel.deletion
    assert view.result is None and "Draw a digit" in view.verdict.text()
    canvas = panel.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=_widget_point(canvas, *SEVEN[0]))
    for (x0, y0), (x1, y1) in zip(SEVEN, SEVEN[1:]):
        for k in range(1, 9):
            qtbot.mouseMove(canvas, _widget_point(canvas, x0 + (x1 - x0) * k / 8, y0 + (y1 - y0) * k / 8))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=_widget_point(canvas, *SEVEN[-1]))
    panel.predict_now()
    _settle(panel)
    assert view.result.class_index == int(np.argmax(panel.probabilities))
    assert len(view.plot.deletion_curve.getData()[0]) == STEPS + 1
    view.method.setCurrentIndex(view.method.findData("occlusion"))
    assert view.result is None                       # the old method's curves are not shown meanwhile
    _settle(panel)
    assert view.result.method == "occlusion" and "Occlusion (solid)" in view.auc.text()
    assert len(view.plot.deletion_curve.getData()[1]) == STEPS + 1
    # Grad-CAM ranks the pixels by the Inspector's own Grad-CAM map of the predicted class
    from cnnviz.core.explain import attribution as attr
    from cnnviz.core.explain.scores import ClassScores
    from cnnviz.core.inspect.inspection import ModelInspector

    view.method.setCurrentIndex(view.method.findData("gradcam"))
    assert view.result is None
    _settle(panel)
    r = view.result
    assert r.method == "gradcam" and "Grad-CAM (solid)" in view.auc.text()
    model = panel._active.model
    heat = ModelInspector(model, copy=False).grad_cam(r.image, r.class_index)
    np.testing.assert_allclose(r.heat, heat, atol=1e-5)
    assert r.heat.shape == r.image.shape[:2] and r.heat.min() >= 0 and r.heat.max() == pytest.approx(1.0)
    np.testing.assert_allclose(r.deletion.probabilities,
                               attr.deletion_curve(ClassScores(model), r.image, r.class_index, heat, steps=STEPS)
                               .probabilities, atol=1e-5)
    canvas.clear()
    panel.predict_now()
    assert view.result is None and "Draw a digit" in view.verdict.text()
