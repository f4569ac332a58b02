"""The Training tab driven like a user: real widgets, real (tiny) training on the bundled MNIST sample."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QThread, Qt
from PySide6.QtWidgets import QFileDialog

from cnnviz.core.data.dataset import DatasetError
from cnnviz.core.data.datasets import MNIST_CLASSES
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.prepared import PreparedData
from cnnviz.qt.training import TrainingPanel
from training_panel_fixtures import no_modal_dialogs, panel  # noqa: F401 (fixtures)
from run_dir_fixture import app_runs  # noqa: F401 (fixture)
from cnnviz.qt.training.export import read_history_csv
from cnnviz.qt.training.live_plots import BatchLossTracker
from cnnviz.core.train.events import BatchProgress

pytestmark = pytest.mark.slow
L = LayerSpec.make
RUN_TIMEOUT_MS = 90_000


def tiny_spec(units: int = 10) -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                   L("Dense", "out", units=units, activation="softmax")], name="tiny")


def linear_spec() -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Flatten", "flatten"), L("Dense", "out", units=10, activation="softmax")])


def quick_settings(panel: TrainingPanel, *, epochs: int = 2, limit: int = 300) -> None:
    form = panel.form
    form.data_box.limit_spin.setValue(limit)
    form.val_fraction_radio.setChecked(True)
    form.val_fraction_spin.setValue(0.2)
    form.batch_spin.setValue(16)
    form.epochs_spin.setValue(epochs)
    form.lr_spin.setValue(0.01)


def train(qtbot, panel: TrainingPanel, button=None):
    with qtbot.waitSignal(panel.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(button or panel.train_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_train_shows_curves_test_accuracy_confusion_matrix_and_inspects_an_image(qtbot, panel):
    panel.set_spec(tiny_spec())
    quick_settings(panel, epochs=2)
    assert panel.train_button.isEnabled()
    with qtbot.waitSignals([panel.busy_changed, panel.runner.epoch_finished], timeout=RUN_TIMEOUT_MS):
        model = train(qtbot, panel)
    assert not panel.is_busy and panel.train_button.isEnabled() and panel.more_button.isEnabled()
    assert model is panel.trained_model and panel.class_names == MNIST_CLASSES
    assert model.outputs[0].shape[-1] == 10
    # curves: two epochs of training and validation loss/accuracy, and the per-batch loss
    panel.plots.flush()
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        x, y = panel.plots.curves[key].getData()
        assert list(x) == [1, 2] and np.all(np.isfinite(y))
    assert len(panel.plots.ema_curve.getData()[0]) >= 2
    assert panel.session.epochs_done == 2
    # epoch-end snapshots of conv_1 for the inspector: before training and after each epoch
    assert panel.snapshots.epochs == [0, 1, 2] and panel.snapshots.layer_name == "conv_1"
    assert panel.snapshots.latest.kernels.shape == (3, 3, 1, 4)
    assert panel.snapshots.latest.feature_maps.shape == (26, 26, 4)
    # results
    ev = panel.results.evaluation
    assert panel.results.accuracy_label.text() == f"Test Acc.: {100 * ev.accuracy:.2f}%"
    assert ev.confusion.sum() == 1000 and panel.results.confusion_model.rowCount() == 10
    assert panel.results.confusion_model.columnCount() == 11   # + per-class accuracy
    assert "Test accuracy" in panel.message.text()
    # click the fullest cell: its images are listed, most confident first
    r, c = np.unravel_index(np.argmax(ev.confusion), ev.confusion.shape)
    table = panel.results.table
    rect = table.visualRect(panel.results.confusion_model.index(int(r), int(c)))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    listed = panel.results.cell_list
    assert listed.count() == min(500, ev.confusion[r, c]) > 0
    conf = [ev.confidence[listed.item(i).data(Qt.ItemDataRole.UserRole)] for i in range(listed.count())]
    assert conf == sorted(conf, reverse=True)
    item_rect = listed.visualItemRect(listed.item(0))
    with qtbot.waitSignal(panel.inspect_requested, timeout=5000) as blocker:
        qtbot.mouseClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=item_rect.center())
    image, description = blocker.args
    first = listed.item(0).data(Qt.ItemDataRole.UserRole)
    assert image.dtype == np.float32 and image.shape == (28, 28, 1)
    # the Inspector is told which test image it is, its true class and the model's answer (not "index 0")
    names = panel.form.dataset.class_names
    assert description.startswith(f"Test image #{first} of the training run: true class "
                                   f"{names[panel.form.dataset.y_test[first]]}, the model said "
                                   f"{names[ev.predicted[first]]}")
    np.testing.assert_array_equal(image, panel.form.dataset.x_test[first].astype(np.float32) / 255)
    assert panel.results.grid.wrong_count() == int(np.sum(ev.predicted[:12] != panel.form.dataset.y_test[:12]))


def test_stop_keeps_history_then_train_more_continues_and_csv_round_trips(qtbot, panel, tmp_path, monkeypatch):
    panel.set_spec(tiny_spec())
    quick_settings(panel, epochs=500)
    with qtbot.waitSignal(panel.runner.epoch_finished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert panel.stop_button.isEnabled() and not panel.train_button.isEnabled()
    assert not panel.form.data_box.isEnabled()          # settings are locked while training
    with qtbot.waitSignal(panel.model_trained, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    done = panel.session.epochs_done
    assert 1 <= done < 500 and "stopped" in panel.message.text().lower()
    assert panel.form.data_box.isEnabled()
    panel.more_spin.setValue(1)
    train(qtbot, panel, panel.more_button)
    assert panel.session.epochs_done == done + 1
    panel.plots.flush()
    assert len(panel.plots.curves["loss"].getData()[0]) == done + 1
    x = panel.plots.tracker.x
    assert all(b >= a for a, b in zip(x, x[1:]))        # the batch curve never runs backwards after a stop
    assert panel.snapshots.epochs == list(range(done + 2))
    from cnnviz.core.train.runs import read_history   # the run folder recorded every epoch, stop and more alike

    records = read_history(panel.run_folder / "history.jsonl")
    assert [r["loss"] for r in records] == panel.session.history["loss"]
    path = tmp_path / "history.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "")))
    qtbot.mouseClick(panel.csv_button, Qt.MouseButton.LeftButton)
    back = read_history_csv(path)
    for key, values in panel.session.history.items():
        np.testing.assert_array_equal(back[key], values)
    assert path.read_text().splitlines()[0] == "epoch,loss,accuracy,val_loss,val_accuracy,seconds"
    png = tmp_path / "plots.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(png), "")))
    qtbot.mouseClick(panel.png_button, Qt.MouseButton.LeftButton)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "Saved" in panel.message.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "plots.png"]  # no temp files left


def test_nan_loss_stops_with_a_clear_message_and_the_panel_stays_usable(qtbot, panel, monkeypatch):
    import cnnviz.core.train.run as training   # the Run splits the data with prepare_data

    real = training.prepare_data

    def poisoned(dataset, config):
        data = real(dataset, config)
        x = data.x_train.copy()
        x[:] = np.inf      # a linear model turns this into inf - inf = NaN logits
        return PreparedData(x, data.y_train, data.x_val, data.y_val, data.num_classes)

    monkeypatch.setattr(training, "prepare_data", poisoned)
    panel.set_spec(linear_spec())
    quick_settings(panel, epochs=3)
    train(qtbot, panel)
    text = panel.message.text()
    assert "Training diverged" in text and "the loss became nan in epoch 1" in text and "learning rate" in text
    assert panel.session.epochs_done == 0 and panel.train_button.isEnabled()


def test_worker_exception_becomes_a_message_and_the_panel_stays_usable(qtbot, panel, monkeypatch):
    import cnnviz.core.model.build as build

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory while building")

    monkeypatch.setattr(build, "build_model", broken)
    panel.set_spec(tiny_spec())
    quick_settings(panel)
    with qtbot.waitSignal(panel.runner.run_failed, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert "Training failed" in panel.message.text() and "out of memory while building" in panel.message.text()
    assert "Traceback" in panel.message.toolTip()
    assert not panel.is_busy and panel.train_button.isEnabled() and panel.form.data_box.isEnabled()


def test_incompatible_dataset_is_refused_before_training(qtbot, panel):
    panel.set_spec(tiny_spec(units=5))
    busy = []
    panel.busy_changed.connect(busy.append)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert "Cannot train" in panel.message.text()
    assert "last layer has 5 outputs but the dataset has 10 classes" in panel.message.text()
    colour = ModelSpec((28, 28, 3), tiny_spec().layers)
    panel.set_spec(colour)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert "expects 28x28x3 images but the dataset's are 28x28x1" in panel.message.text()
    assert busy == [] and panel.runner.session is None    # no thread was even started


def test_model_spec_problems_disable_train_with_the_reason(panel):
    assert not panel.train_button.isEnabled()          # no model yet
    assert "Builder" in panel.message.text()
    no_head = ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3)])
    panel.set_spec(no_head)
    assert not panel.train_button.isEnabled()
    assert "a classifier ends with a vector" in panel.message.text()
    assert "a classifier ends with a vector" in panel.train_button.toolTip()
    panel.set_spec(tiny_spec())
    assert panel.train_button.isEnabled() and not panel.message.isVisible()


def test_failed_dataset_load_shows_the_message_and_offers_the_sample(qtbot, panel, monkeypatch):
    import cnnviz.qt.training.data_box as data_box

    real = data_box.load_dataset

    def offline(name, **kwargs):
        if name == "mnist":
            raise DatasetError("MNIST could not be loaded: no local copy was found", suggest_sample=True)
        return real(name, **kwargs)

    monkeypatch.setattr(data_box, "load_dataset", offline)
    panel.set_spec(tiny_spec())
    box = panel.form.data_box
    box.select("mnist")
    qtbot.waitUntil(lambda: box.error.isVisible(), timeout=10_000)
    assert "no local copy was found" in box.error.text() and box.sample_button.isVisible()
    assert panel.form.dataset is None and not panel.train_button.isEnabled()
    qtbot.mouseClick(box.sample_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.form.dataset is not None, timeout=10_000)
    assert box.name == "mnist_sample" and not box.error.isVisible() and panel.train_button.isEnabled()
    assert box.preview.item_count() == 16


def test_augmentation_preview_is_computed_off_the_gui_thread(qtbot, panel):
    assert panel.form.augment_preview.item_count() == 0
    panel.form.rotation_spin.setValue(30)
    panel.form.flip_check.setChecked(True)
    qtbot.waitUntil(lambda: panel.form.augment_preview.item_count() == 16, timeout=60_000)
    assert panel.form.config().augment.rotation_degrees == 30 and panel.form.config().augment.flip_horizontal


def test_shutdown_during_training_stops_the_thread(qtbot, panel):
    panel.set_spec(tiny_spec())
    quick_settings(panel, epochs=500)
    with qtbot.waitSignal(panel.runner.batch_progressed, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert panel.shutdown(20_000)
    assert not panel.is_busy and not [t for t in panel.findChildren(QThread) if t.isRunning()]


def test_batch_loss_tracker_recovers_interval_means_from_running_means():
    t = BatchLossTracker(smoothing=0.5)

    def ev(epoch, batch, loss):
        return BatchProgress(epoch, batch, 4, loss, 0.5, 100.0, 1.0, 1.0)

    # per-batch losses 4, 2, 3, 1 -> running means 4, 3, 3, 2.5; reported at batches 1, 3, 4
    for e in (ev(0, 1, 4.0), ev(0, 3, 3.0), ev(0, 4, 2.5)):
        t.add(e)
    assert t.loss == pytest.approx([4.0, 2.5, 1.0]) and t.x == pytest.approx([0.25, 0.75, 1.0])
    t.add(ev(1, 2, 1.0))              # next epoch: its mean so far
    assert t.loss[-1] == pytest.approx(1.0) and t.x[-1] == pytest.approx(1.5)
    t.new_run()                       # stopped mid-epoch 1, "train more" repeats epoch index 1
    t.add(ev(1, 1, 0.5))
    assert t.x[-1] == pytest.approx(1.75)
    assert t.ema[0] == pytest.approx(4.0)  # bias-corrected start


def test_stop_pressed_while_the_run_is_prepared_is_honoured_before_any_batch(qtbot, panel):
    panel.set_spec(tiny_spec())
    quick_settings(panel, epochs=50)
    batches = []
    panel.runner.batch_progressed.connect(batches.append)
    with qtbot.waitSignal(panel.runner.run_done, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)   # the worker is still building the run
    finished = blocker.args[0].finished
    assert (finished.reason, finished.epochs_done) == ("stopped", 0) and batches == []
    assert "stopped before the run began" in finished.message
    import json

    state = json.loads((panel.run_folder / "state.json").read_text())
    assert state["status"] == "interrupted" and state["epochs_done"] == 0
    panel.more_spin.setValue(1)                       # a new request clears the stop: it trains
    train(qtbot, panel, panel.more_button)
    assert panel.session.epochs_done == 1


def test_a_folder_dataset_choice_carries_how_the_folder_was_read(qtbot, panel, tmp_path):
    from PIL import Image

    from cnnviz.core.data.choice import DataChoice

    rng = np.random.default_rng(0)
    for cls in ("circle", "square"):
        (tmp_path / "shapes" / cls).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(tmp_path / "shapes" / cls /
                                                                                    f"{i}.png")
    colour = ModelSpec((16, 16, 3), [L("Flatten", "flatten"), L("Dense", "out", units=2, activation="softmax")])
    panel.set_spec(colour)
    box = panel.form.data_box
    box.select("folder")
    box.set_folder(str(tmp_path / "shapes"))
    qtbot.waitUntil(lambda: panel.form.dataset is not None, timeout=30_000)
    box.limit_spin.setValue(6)
    choice = panel.data_choice()
    assert (choice.name, choice.path, choice.image_size, choice.color_mode, choice.limit) == (
        "folder", str(tmp_path / "shapes"), (16, 16), "rgb", 6)
    again = DataChoice.from_dict(choice.to_dict()).load(seed=panel.form.config().seed)   # what the CLI reads
    assert again.input_shape == panel.form.dataset.input_shape == (16, 16, 3)
    np.testing.assert_array_equal(again.x_test, panel.form.dataset.x_test)
    assert len(again.x_train) == 6


def test_training_runs_on_the_app_states_training_lane_and_keeps_the_interactive_lane_free(qtbot):
    """Given the app state, the panel trains on ITS training lane (one pattern, one registry of things to stop),
    and the interactive TensorFlow lane stays free to take jobs while a run is going on."""
    from cnnviz.qt.state import AppState

    state = AppState()
    p = TrainingPanel(state=state)
    qtbot.addWidget(p)
    p.show()
    try:
        _train_on_the_lane(qtbot, p, state)
    finally:
        assert p.shutdown(20_000)
        assert state.background.shutdown(20_000)
    assert not state.background.training.is_running()


def _train_on_the_lane(qtbot, p, state) -> None:
    import threading

    qtbot.waitUntil(lambda: p.form.dataset is not None, timeout=10_000)
    p.set_spec(tiny_spec())
    quick_settings(p, epochs=3, limit=2000)   # long enough that the probe below answers mid-run
    lane_busy: list[bool] = []
    state.background.training.busy_changed.connect(lane_busy.append)
    with qtbot.waitSignal(p.runner.batch_progressed, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(p.train_button, Qt.MouseButton.LeftButton)
    assert p.is_busy and state.background.training.busy()
    client = state.background.tf.client()
    with qtbot.waitSignal(client.finished, timeout=10_000) as interactive:
        client.submit("probe", lambda: threading.current_thread().name)
    assert p.is_busy, "the interactive lane answered while the run went on"
    assert interactive.args[1] != threading.current_thread().name
    p.runner.stop()
    qtbot.waitUntil(lambda: not p.is_busy, timeout=RUN_TIMEOUT_MS)
    # the panel is free once the run's result arrives, from inside the lane's job; the lane says it is idle a moment
    # later, when that job has returned (a queued signal): wait for it rather than assume the order
    qtbot.waitUntil(lambda: bool(lane_busy) and lane_busy[-1] is False, timeout=10_000)
    assert lane_busy[:1] == [True] and lane_busy[-1] is False
