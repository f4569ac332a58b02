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
    bot.waitUntil(lambda: p.model_label.text().startswith("Model: shipped digit model"), timeout=WAIT_MS)
    shipped = p.inspector
    # _model_ready clears the maps: maps now are the shipped model's
    bot.waitUntil(lambda: p.maps is not None and p.inspector is shipped, timeout=WAIT_MS)
    from cnnviz.core.model.pretrained import load_shipped_model

    assert p.inspector.model.name == load_shipped_model().name
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
    panel.grab().save("/tmp/explain_qt_occlusion.png")


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


UNIT_STEPS = 12


def test_output_gallery_fills_with_ten_classes_and_a_click_inspects_one(panel, qtbot):
    from cnnviz.core.explain.maximize import maximize

    view = panel.units
    view.steps.setValue(UNIT_STEPS)
    output = panel.inspector.layers[-1].name
    assert view.layer.currentData() == output   # the output layer is chosen first
    progress = []
    view.relay.progress.connect(lambda g, u, s, n: progress.append((u, s, n)))
    with qtbot.waitSignal(view.gallery_done, timeout=WAIT_MS):
        panel.tabs.setCurrentWidget(view)
    assert len(view.tiles) == 10 and view.shown == 10 and not view.more_button.isVisible()
    assert all(t.result is not None and t.result.layer == output for t in view.tiles)
    assert [t.result.unit for t in view.tiles] == list(range(10))
    assert progress and all(n == UNIT_STEPS for _, _, n in progress)   # the core's progress reached the view
    assert f"seed {view.seed.value()}" in view.title.text()
    # deterministic for the seed shown: the core called directly gives the same picture
    again = maximize(panel.inspector.model, output, 3, seed=view.seed.value(), steps=UNIT_STEPS)
    np.testing.assert_array_equal(view.tiles[3].result.image, again.image)
    assert "class 3: p = " in view.tiles[3].caption.text()
    panel.grab().save("/tmp/units_qt_output.png")
    with qtbot.waitSignal(panel.maps_ready, timeout=WAIT_MS):
        qtbot.mouseClick(view.tiles[3], Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(panel.image, view.tiles[3].result.image)
    np.testing.assert_array_equal(panel.maps.image, view.tiles[3].result.image)
    assert panel.tabs.currentWidget() is panel.feature_maps
    assert "What " + output in panel.image_description and "seed" in panel.image_description


def test_changing_layer_mid_computation_cancels_the_old_gallery(panel, qtbot):
    view = panel.units
    view.steps.setValue(400)   # slow on purpose: the change comes while the first pictures are being made
    conv = next(info.name for info in panel.inspector.layers if info.is_conv)
    dense = [i for i in range(view.layer.count()) if "Dense" in view.layer.itemText(i)]
    started = []
    view.relay.progress.connect(lambda g, u, s, n: started.append((g, u, s)))
    panel.tabs.setCurrentWidget(view)
    view.layer.setCurrentIndex(dense[0] if dense else view.layer.count() - 1)
    old = view.layer.currentData()
    qtbot.waitUntil(lambda: len(started) > 0, timeout=WAIT_MS)
    old_generation = view.generation
    view.steps.blockSignals(True)
    view.steps.setValue(UNIT_STEPS)
    view.steps.blockSignals(False)
    with qtbot.waitSignal(view.gallery_done, timeout=WAIT_MS):
        view.layer.setCurrentIndex(view.layer.findData(conv))
    assert view.generation > old_generation
    assert view.shown == min(16, panel.inspector.layer(conv).channels)
    assert all(t.result is not None and t.result.layer == conv for t in view.tiles)   # no stale picture
    assert all(len(t.result.objective) == UNIT_STEPS for t in view.tiles)
    assert old != conv
    # the old gallery's running job was stopped by the core's stop callback: it never reached its last step
    assert max(s for g, _, s in started if g == old_generation) < 400
    assert {u for g, u, _ in started if g == old_generation} == {0}   # and its queued units never started
    panel.grab().save("/tmp/units_qt_conv.png")
    # the more button adds the next page
    if view.more_button.isVisible():
        with qtbot.waitSignal(view.gallery_done, timeout=WAIT_MS):
            qtbot.mouseClick(view.more_button, Qt.MouseButton.LeftButton)
        assert view.shown == min(32, panel.inspector.layer(conv).channels)
        assert all(t.result.layer == conv for t in view.tiles)


def test_a_new_image_replaces_the_running_explanation(panel, qtbot):
    from cnnviz.core.explain.attribution import integrated_gradients

    view = panel.explain
    _choose_method(panel, qtbot, "integrated-gradients")
    shown = []
    panel.explanation_ready.connect(lambda: shown.append(view.result))
    view.ig_steps.setValue(768)   # slow: the new image comes while it runs
    assert view.pending and "computing integrated gradients" in view.busy.text()
    old_image = panel.maps.image
    with qtbot.waitSignal(panel.maps_ready, timeout=WAIT_MS):
        panel.chooser.index.setValue(panel.chooser.index.value() + 1)
    view.ig_steps.setValue(8)
    qtbot.waitUntil(lambda: not view.pending and view.result.options.ig_steps == 8, timeout=WAIT_MS)
    qtbot.wait(200)
    assert not np.array_equal(panel.maps.image, old_image)
    assert shown and all(r.options.ig_steps == 8 for r in shown), [r.options.ig_steps for r in shown]
    assert all(np.array_equal(r.image, panel.maps.image) for r in shown)   # never the old image's answer
    assert view.busy.text() == ""
    k = panel.maps.predicted
    ig = integrated_gradients(panel.inspector.model, panel.maps.image, k, steps=8)
    np.testing.assert_allclose(view.heat, ig.attributions.sum(axis=-1), atol=1e-5)
    panel.grab().save("/tmp/explain_qt_ig.png")


def test_leaving_the_tab_stops_the_gallery_and_coming_back_resumes_it(panel, qtbot):
    view = panel.units
    panel.tabs.setCurrentWidget(view)
    view.layer.setCurrentIndex(view.layer.count() - 1)   # the output
    steps = []
    view.relay.progress.connect(lambda g, u, s, n: steps.append((g, u, s)))
    view.steps.setValue(400)
    generation = view.generation
    qtbot.waitUntil(lambda: any(g == generation for g, _, _ in steps), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.progress.value() > 0, timeout=WAIT_MS)
    assert view.progress.isVisible() and "making picture 1 of 10" in view.status.text()
    view.grab().save("/tmp/units_qt_busy.png")
    panel.tabs.setCurrentWidget(panel.kernels)
    qtbot.waitUntil(lambda: not view.client.busy(), timeout=WAIT_MS)
    assert max(s for g, _, s in steps if g == generation) < 400   # stopped by the core's stop callback
    assert all(t.result is None for t in view.tiles)
    assert not view.progress.isVisible()
    with qtbot.waitSignal(view.gallery_done, timeout=WAIT_MS):
        view.steps.setValue(UNIT_STEPS)
        panel.tabs.setCurrentWidget(view)
    assert all(t.result is not None and len(t.result.objective) == UNIT_STEPS for t in view.tiles)


def test_one_sigmoid_output_shows_class_one_and_its_probability(panel, qtbot):
    """Runs last: it replaces the module panel's model. A single sigmoid unit's picture maximises its logit, the
    score of class 1, so that is the class it is captioned with, and p is that class's probability."""
    import keras

    inputs = keras.Input((8, 8, 1))
    init = keras.initializers.GlorotUniform
    x = keras.layers.Conv2D(2, 3, padding="same", activation="relu", kernel_initializer=init(seed=1), name="c")(inputs)
    x = keras.layers.Flatten(name="f")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", kernel_initializer=init(seed=2), name="out")(x)
    model = keras.Model(inputs, outputs, name="tiny_binary")
    with qtbot.waitSignal(panel.model_ready, timeout=WAIT_MS):
        panel.set_model(model, ["no", "yes"])
    view = panel.units
    with qtbot.waitSignal(view.gallery_done, timeout=WAIT_MS):
        panel.tabs.setCurrentWidget(view)
    assert view.layer.currentData() == "out" and len(view.tiles) == 1
    tile = view.tiles[0]
    p = float(np.asarray(panel.inspector.model(tile.result.image[None], training=False))[0, 0])
    assert tile.caption.text() == f"class yes: p = {p:.2f}" and p > 0.5
