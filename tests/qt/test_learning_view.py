"""Watch it learn in the Training tab: a real tiny run fills the projection after every epoch; colours follow the
labels; a click on a dot sends that test image to the Inspector; a layer's histogram counts all its weights."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from cnnviz.core.data.datasets import MNIST_CLASSES
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.qt.training.learning_view import class_color
from training_panel_fixtures import no_modal_dialogs, panel  # noqa: F401 (fixtures)
from run_dir_fixture import app_runs  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
L = LayerSpec.make


def tiny_spec() -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                   L("Dense", "hidden", units=8, activation="relu"),
                                   L("Dense", "out", units=10, activation="softmax")], name="tiny")


def test_projection_fills_each_epoch_and_a_click_inspects_the_image(qtbot, panel, app_runs):
    view = panel.learning
    view.max_images = 200
    panel.set_spec(tiny_spec())
    form = panel.form
    form.data_box.limit_spin.setValue(300)
    form.val_fraction_radio.setChecked(True)
    form.val_fraction_spin.setValue(0.2)
    form.batch_spin.setValue(16)
    form.epochs_spin.setValue(2)
    panel.plot_tabs.setCurrentWidget(view)
    seen = []
    view._relay.recorded.connect(lambda e: seen.append((e, sum(len(it.data) for it in view.class_items))))
    with qtbot.waitSignal(panel.model_trained, timeout=90_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5_000)
    assert seen == [(1, 200), (2, 200)]   # every epoch: all 200 test images drawn
    assert [p.epoch for p in view.recorder.projections] == [1, 2] and view.shown_epoch == 2
    ds = form.dataset
    labels = np.asarray(ds.y_test[:200])
    proj = view.recorder.latest
    assert proj.layer_name == "hidden"
    # the colours follow the labels: the items of class k hold exactly the class-k images, in class k's colour
    assert len(view.class_items) == 10
    for k, item in enumerate(view.class_items):
        idx = np.asarray(item.data["data"], dtype=int)
        np.testing.assert_array_equal(idx, np.flatnonzero(labels == k))
        np.testing.assert_allclose(item.data["x"], proj.points[idx, 0])
        np.testing.assert_allclose(item.data["y"], proj.points[idx, 1])
        brush = item.opts["brush"]
        assert brush.color().name() == pg.mkColor(class_color(k)).name()
    for k, name in enumerate(MNIST_CLASSES):   # the legend: each class's colour and name
        assert f"color:{class_color(k)}'>&#9679;</span>&nbsp;{name}" in view.legend.text()
    # click a dot with the mouse (the one farthest from any other on screen): the Inspector gets that test image
    vb = view.scatter_plot.getViewBox()
    screen = np.array([[p.x(), p.y()] for p in (view.scatter_widget.mapFromScene(vb.mapViewToScene(
        QPointF(float(x), float(y)))) for x, y in proj.points)], dtype=float)
    gaps = np.linalg.norm(screen[:, None] - screen[None], axis=2) + np.eye(len(screen)) * 1e9
    j = int(np.argmax(gaps.min(axis=1)))
    assert gaps[j].min() > 8, "no dot stands alone on screen"
    pos = view.scatter_widget.mapFromScene(vb.mapViewToScene(QPointF(*map(float, proj.points[j]))))
    with qtbot.waitSignal(panel.inspect_requested, timeout=5_000) as blocker:
        qtbot.mouseClick(view.scatter_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    image, text = blocker.args
    np.testing.assert_allclose(image, ds.x_test[j].astype(np.float32) / 255.0)
    assert text == (f"Test image #{j} of the training run: true class {MNIST_CLASSES[labels[j]]} "
                    "(a dot of the projection after epoch 2)")
    # the histogram of the chosen layer counts every one of its weights, on bins fixed since epoch 1
    model = panel.trained_model
    for name in ("conv_1", "hidden", "out"):
        view.layer_combo.setCurrentText(name)
        h = view.histograms.get(name, 2)
        assert int(h.counts.sum()) == model.get_layer(name).count_params()
        np.testing.assert_array_equal(view.hist_now.yData, h.counts)
        np.testing.assert_array_equal(view.hist_start.xData, h.edges)
        assert name in view.hist_plot.titleLabel.text
    view.grab().save("/tmp/learning_view.png")
    panel.grab().save("/tmp/learning_panel.png")


def test_unticked_records_nothing(qtbot, panel, app_runs):
    view = panel.learning
    view.max_images = 50
    view.live_check.setChecked(False)
    panel.set_spec(tiny_spec())
    panel.form.data_box.limit_spin.setValue(100)
    panel.form.batch_spin.setValue(32)
    panel.form.epochs_spin.setValue(1)
    with qtbot.waitSignal(panel.model_trained, timeout=90_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert view.recorder.projections == () and not view.class_items
    assert panel.snapshots.epochs == [0, 1]   # the conv snapshots still run: the hook chains them
