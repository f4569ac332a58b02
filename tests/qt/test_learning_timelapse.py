"""Watch it learn's probe and time-lapse, on a real tiny run: the probe's maps arrive (via the queued signal) at
the chosen batch interval, computed on the training thread, equal to a Keras sub-model's output for the final
weights; the epoch slider moves the loss marker, the kernels (equal to the conv snapshots), the probe's maps and
the projection together."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cnnviz.core.explain.gradcam_steps import gradcam_steps
from cnnviz.core.explain.probe import ProbeRecorder
from cnnviz.core.inspect.inspection import ModelInspector
from cnnviz.qt.inspector.explain_view import overlay
from cnnviz.qt.training.images import to_pixmap
from cnnviz.qt.training.learning_timelapse import CAM_ALPHA, CAM_PX
from training_panel_fixtures import no_modal_dialogs, panel  # noqa: F401 (fixtures)
from run_dir_fixture import app_runs  # noqa: F401 (fixture)
from test_learning_view import tiny_spec

pytestmark = pytest.mark.slow


def test_probe_live_and_the_scrubber_moves_every_view_together(qtbot, panel, app_runs, monkeypatch):
    import keras

    threads = []
    original = ProbeRecorder.maps

    def maps(self, model):   # where the probe's TensorFlow runs
        threads.append(threading.current_thread() is threading.main_thread())
        return original(self, model)

    monkeypatch.setattr(ProbeRecorder, "maps", maps)
    cam_threads = []
    original_cam = ModelInspector.grad_cam

    def grad_cam(self, *args, **kwargs):   # where the probe's Grad-CAM runs
        cam_threads.append(threading.current_thread() is threading.main_thread())
        return original_cam(self, *args, **kwargs)

    monkeypatch.setattr(ModelInspector, "grad_cam", grad_cam)
    view = panel.learning
    view.max_images = 60
    view.probe_every = 2
    panel.set_spec(tiny_spec())
    form = panel.form
    form.data_box.limit_spin.setValue(160)
    form.val_fraction_radio.setChecked(True)
    form.val_fraction_spin.setValue(0.2)
    form.batch_spin.setValue(16)
    form.epochs_spin.setValue(2)
    panel.plot_tabs.setCurrentWidget(view)
    probed = []
    view._relay.probed.connect(lambda: probed.append(view.probe.latest))
    with qtbot.waitSignal(panel.model_trained, timeout=90_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.shown_epoch == 2, timeout=5_000)
    probe = view.probe
    steps = -(-int(len(panel._session.data.x_train)) // 16)
    expected = [(e, b) for e in range(2) for b in range(2, steps + 1, 2)]
    assert probe.recorded == expected and probe.every == 2
    assert threads and not any(threads), "the probe ran TensorFlow on the GUI thread"
    assert probed and all(p is not None and p.batch % 2 == 0 for p in probed if p.epochs_done is None)
    # the final epoch's maps: the Keras sub-model input -> conv_1 of the trained weights on the probe image
    model = panel.trained_model
    ds = form.dataset
    np.testing.assert_allclose(probe.image, ds.x_test[0].astype(np.float32) / 255.0)
    sub = keras.Model(model.inputs[0], model.get_layer("conv_1").output)
    ref = np.asarray(sub(probe.image[None], training=False))[0]
    np.testing.assert_allclose(probe.at_epoch(2).maps, ref, rtol=1e-5, atol=1e-6)
    # the final epoch's Grad-CAM: the core gradcam_steps on the trained model, for the probe's true class
    assert len(cam_threads) == 2 and not any(cam_threads), "the probe's Grad-CAM ran on the GUI thread"
    label = int(ds.y_test[0])
    final = probe.at_epoch(2)
    assert final.cam_class == label and final.cam_true and final.cam_layer == "conv_1"
    np.testing.assert_allclose(final.cam, gradcam_steps(model, probe.image, label).heat, atol=1e-5)
    assert not np.allclose(probe.at_epoch(1).cam, final.cam, atol=1e-4)
    lapse = view.timelapse
    np.testing.assert_allclose(lapse.loss_curve.yData, panel._session.history["loss"])
    for k in (1, 2, 1):
        view.epoch_slider.setValue(k)
        assert lapse.shown_epoch == k and lapse.marker.value() == k
        snap = panel.snapshots.get(k)
        kh, kw, c_in, filters = snap.kernels.shape
        tiles = [t for t in lapse.kernel_grid.tiles if t.shape == (kh, kw)]
        assert len(tiles) == filters * c_in
        for f in range(filters):
            np.testing.assert_allclose(tiles[f * c_in], snap.kernels[:, :, 0, f], rtol=1e-6)
        rec = probe.at_epoch(k)
        assert lapse.shown_maps is rec and f"after epoch {k}" in lapse.maps_title.text()
        for c, tile in enumerate(lapse.maps_grid.tiles):
            np.testing.assert_allclose(tile, rec.maps[:, :, c], rtol=1e-6)
        assert lapse.shown_cam is rec.cam
        drawn = to_pixmap(overlay(probe.image, rec.cam, CAM_ALPHA), CAM_PX).toImage()
        assert lapse.cam_image.pixmap().toImage() == drawn   # the overlay on screen is epoch k's map
        name = ds.class_names[label]
        assert lapse.cam_title.text() == f"Middle: Grad-CAM after epoch {k} for the true class “{name}” (“conv_1”)"
        proj = next(p for p in view.recorder.projections if p.epoch == k)
        for cls, item in enumerate(view.class_items):
            idx = np.asarray(item.data["data"], dtype=int)
            np.testing.assert_allclose(item.data["x"], proj.points[idx, 0])
            np.testing.assert_allclose(item.data["y"], proj.points[idx, 1])
    assert not np.allclose(panel.snapshots.get(1).kernels, panel.snapshots.get(2).kernels)
    assert [lapse.layer_combo.itemText(i) for i in range(lapse.layer_combo.count())] == ["conv_1"]
    view.resize(1300, 660)
    view.grab().save("/tmp/learning_timelapse.png")


def test_the_probe_layer_picked_in_the_view_is_recorded_when_training_goes_on(qtbot, panel, app_runs):
    from cnnviz.core.model.spec import LayerSpec, ModelSpec

    L = LayerSpec.make
    spec = ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=2, kernel_size=3, activation="relu"),
                                   L("Conv2D", "conv_2", filters=3, kernel_size=3, activation="relu"),
                                   L("Flatten", "flatten"), L("Dense", "out", units=10, activation="softmax")],
                     name="two_convs")
    view = panel.learning
    view.max_images = 30
    view.probe_every = 3
    panel.set_spec(spec)
    panel.form.data_box.limit_spin.setValue(96)
    panel.form.batch_spin.setValue(32)
    panel.form.epochs_spin.setValue(1)
    with qtbot.waitSignal(panel.model_trained, timeout=90_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.shown_epoch == 1, timeout=5_000)
    combo = view.timelapse.layer_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["conv_1", "conv_2"]
    assert view.probe.at_epoch(1).layer_name == "conv_1"
    combo.setCurrentText("conv_2")
    panel.more_spin.setValue(1)
    with qtbot.waitSignal(panel.model_trained, timeout=90_000):
        qtbot.mouseClick(panel.more_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.shown_epoch == 2, timeout=5_000)
    rec = view.probe.at_epoch(2)
    assert rec.layer_name == "conv_2" and rec.maps.shape == (24, 24, 3) and rec.kernels.shape == (3, 3, 2, 3)
    assert view.timelapse.shown_maps is rec and "conv_2" in view.timelapse.kernel_title.text()
