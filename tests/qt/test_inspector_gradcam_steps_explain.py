""""Grad-CAM step by step" in the Inspector's "Why this prediction", on the shipped digit model through a real
InspectorPanel: the stages arrive with the Grad-CAM explanation from the background lane, are the core's
(cnnviz.core.explain.gradcam_steps) for the same image, class and layer, and are drawn (six panels with captions,
the largest channel weights listed); another method hides them."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.qt.inspector import InspectorPanel

WAIT_MS = 90_000


@pytest.fixture(scope="module")
def panel(qapp):
    from pytestqt.qtbot import QtBot

    p = InspectorPanel()
    p.resize(1400, 1100)
    p.show()
    bot = QtBot(None)
    bot.waitUntil(lambda: p.inspector is not None or bool(p.error_label.text()), timeout=WAIT_MS)
    assert not p.error_label.text(), p.error_label.text()
    p._on_shipped_clicked()   # what the "Use the shipped trained digit model" button does
    bot.waitUntil(lambda: p.model_label.text().startswith("Model: shipped digit model"), timeout=WAIT_MS)
    shipped = p.inspector
    bot.waitUntil(lambda: p.maps is not None and p.inspector is shipped, timeout=WAIT_MS)
    yield p
    assert p.shutdown()
    p.deleteLater()


def _show(panel, qtbot, method: str) -> None:
    view = panel.explain
    view.deletion_steps.setValue(5)   # the steps view does not depend on it; keeps the check quick
    with qtbot.waitSignal(panel.explanation_ready, timeout=WAIT_MS):
        if panel.tabs.currentWidget() is not view:
            panel.tabs.setCurrentWidget(view)
        if view.method.currentData() != method:
            view.method.setCurrentIndex(view.method.findData(method))
        else:
            view.request()
    # settled: no request out and no job left (an earlier request's answer would replace the one read here)
    qtbot.waitUntil(lambda: not view.pending and not panel.controller.busy and view.result is not None
                    and view.result.method == method, timeout=WAIT_MS)


def test_grad_cam_steps_are_the_cores_and_are_drawn(panel, qtbot):
    from cnnviz.core.explain.gradcam_steps import STAGES, gradcam_steps

    view = panel.explain
    _show(panel, qtbot, "gradcam")
    steps = view.result.gradcam_steps
    assert steps is not None and view.steps_view.isVisible()
    k, layer = view.result.class_index, view.result.layer
    reference = gradcam_steps(panel.inspector, panel.maps.image, k, layer)
    assert steps.layer == reference.layer == layer
    for stage in ("activations", "gradients", "alpha", "weighted", "relu", "upsampled"):
        np.testing.assert_allclose(getattr(steps, stage), getattr(reference, stage), atol=1e-5)
    np.testing.assert_allclose(steps.heat, view.heat, atol=1e-5)     # the big Grad-CAM pane's map
    shown = view.steps_view
    for stage in STAGES:
        if stage != "alpha":
            assert not shown.panes[stage].pixmap().isNull(), stage
        assert shown.captions[stage].text()
    heights = shown.alpha_bars.opts["height"]
    np.testing.assert_allclose(heights, steps.alpha)
    top_channel, top_alpha = steps.top_channels(1)[0]
    assert f"channel {top_channel}: α = {top_alpha:+.4f}" in shown.top_label.text()
    assert f"channel {top_channel}" in shown.captions["activations"].text()
    assert layer in shown.title.text()
    view.grab().save("/tmp/explain_gradcam_steps.png")


def test_another_method_hides_the_steps_and_another_class_updates_them(panel, qtbot):
    view = panel.explain
    _show(panel, qtbot, "saliency")
    assert view.result.gradcam_steps is None and not view.steps_view.isVisible()
    _show(panel, qtbot, "gradcam")
    first = view.result.gradcam_steps
    other = (view.result.class_index + 1) % 10
    with qtbot.waitSignal(panel.explanation_ready, timeout=WAIT_MS):
        view.target.setCurrentIndex(view.target.findData(other))
    qtbot.waitUntil(lambda: not view.pending and view.result.class_index == other, timeout=WAIT_MS)
    steps = view.result.gradcam_steps
    assert steps.class_index == other and view.steps_view.steps is steps
    assert not np.allclose(steps.alpha, first.alpha)
    assert view.steps_view.isVisible()
