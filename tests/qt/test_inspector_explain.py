"""Issue 17 in the Inspector: occlusion, integrated gradients and the deletion check in "Why this prediction",
and the "What units look for" gallery (activation maximization), on the shipped trained digit model, driven
through a real InspectorPanel. Step counts are small for speed; the results are compared with the core functions
(cnnviz.core.explain) called directly on the same image."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cnnviz.qt.inspector import InspectorPanel

WAIT_MS = 90_000


@pytest.fixture(scope="module")
def panel(qapp):
    """One panel for the module, switched to the shipped trained model (MNIST sample test image 0 shown)."""
    from pytestqt.qtbot import QtBot

    p = InspectorPanel()
    p.resize(1400, 950)
    p.show()
    bot = QtBot(None)
    bot.waitUntil(lambda: p.inspector is not None or bool(p.error_label.text()), timeout=WAIT_MS)
    assert not p.error_label.text(), p.error_label.text()
    p._on_shipped_clicked()   # what the "Use the shipped trained digit model" button does
    bot.waitUntil(lambda: "shipped digit model" in p.model_label.text() and p.maps is not None
                  and p.maps.image.shape == (28, 28, 1) and p.inspector.model.name != "lecture", timeout=WAIT_MS)
    bot.waitUntil(lambda: p.maps is not None and p.chooser.label is not None, timeout=WAIT_MS)
    yield p
    assert p.shutdown()
    p.deleteLater()


def _choose_method(panel, qtbot, method: str) -> None:
    view = panel.explain
    with qtbot.waitSignal(panel.explanation_ready, timeout=WAIT_MS):
        if panel.tabs.currentWidget() is not view:
            panel.tabs.setCurrentWidget(view)
            if view.method.currentData() == method:
                return
        view.method.setCurrentIndex(view.method.findData(method))
    qtbot.waitUntil(lambda: not view.pending and view.result.method == method, timeout=WAIT_MS)


def test_occlusion_heat_map_is_the_core_occlusion(panel, qtbot):
    from cnnviz.core.explain.attribution import occlusion

    view = panel.explain
    view.patch.setValue(8)
    view.stride.setValue(4)
    _choose_method(panel, qtbot, "occlusion")
    k = panel.maps.predicted
    expected = occlusion(panel.inspector.model, panel.maps.image, k, patch=8, stride=4)
    assert view.result.method == "occlusion" and view.result.class_index == k
    np.testing.assert_allclose(view.heat, expected, atol=1e-5)
    assert float(expected.max()) > 1e-5 and float(expected.std()) > 0   # a real map, not a flat one (p(7) ~ 1)
    assert "Occlusion for class" in view.title.text()
    assert "black patch slides" in view.note.text()
    assert view.panes[1].pixmap() is not None and not view.panes[1].pixmap().isNull()


def test_integrated_gradients_heat_map_is_the_core_one(panel, qtbot):
    from cnnviz.core.explain.attribution import integrated_gradients

    view = panel.explain
    view.ig_steps.setValue(16)
    _choose_method(panel, qtbot, "integrated-gradients")
    k = panel.maps.predicted
    ig = integrated_gradients(panel.inspector.model, panel.maps.image, k, steps=16)
    np.testing.assert_allclose(view.result.attributions, ig.attributions, atol=1e-5)
    np.testing.assert_allclose(view.heat, ig.attributions.sum(axis=-1), atol=1e-5)
    assert view.result.completeness_gap == pytest.approx(ig.completeness_gap, abs=1e-6)
    assert "add up to score(image)" in view.title.text()


def test_deletion_curve_saliency_falls_faster_than_random(panel, qtbot):
    from cnnviz.core.explain.attribution import deletion_curve, random_deletion_curve

    view = panel.explain
    view.deletion_steps.setValue(10)
    view.seed.setValue(3)
    _choose_method(panel, qtbot, "saliency")
    qtbot.waitUntil(lambda: view.result.options.deletion_steps == 10 and view.result.options.seed == 3,
                    timeout=WAIT_MS)
    d, r = view.result.deletion, view.result.random
    assert d.auc < r.auc - 0.05, (d.auc, r.auc)
    k = panel.maps.predicted
    model, image = panel.inspector.model, panel.maps.image
    np.testing.assert_allclose(d.probabilities, deletion_curve(model, image, k, view.heat, steps=10).probabilities,
                               atol=1e-5)
    np.testing.assert_allclose(r.probabilities,
                               random_deletion_curve(model, image, k, steps=10, seed=3).probabilities, atol=1e-5)
    x, y = view.deletion_curve.getData()
    np.testing.assert_allclose(y, d.probabilities)   # the plot shows the curve
    assert len(x) == 11 and x[0] == 0 and x[-1] == 1
    assert f"AUC {d.auc:.3f}" in view.auc.text() and f"AUC {r.auc:.3f}" in view.auc.text()
    assert "seed 3" in view.auc.text()
    assert "probability of the class" in view.deletion_plot.toolTip()
    panel.grab().save("/tmp/explain_qt_saliency.png")
