"""Issue 15, items 4-6, driven in the real main window: one model across the tabs (and a document's file name that
follows what the document is), nothing trained lost on quit (a warning, then the next launch offers the last
session back), and epoch controls that say which does what."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnviz.core.io.autosave import Autosave
from cnnviz.core.model.presets import get_preset
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.qt.document_model import untrained_name
from cnnviz.qt.main_window import TAB_TITLES, MainWindow
from cnnviz.qt.settings import AppSettings

from run_dir_fixture import app_runs  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
L = LayerSpec.make
TIMEOUT_MS = 120_000


class Boxes:
    """Every QMessageBox static is recorded instead of shown; ``answers[kind]`` is what it returns."""

    def __init__(self, monkeypatch) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.answers = {"warning": QMessageBox.StandardButton.Discard,
                        "question": QMessageBox.StandardButton.Yes}
        for kind in ("warning", "critical", "question", "information", "about"):
            monkeypatch.setattr(QMessageBox, kind, self._record(kind))
        monkeypatch.setattr(QMessageBox, "exec", lambda box: self.shown.append(("exec", box.windowTitle(),
                                                                                box.text())) or 0)

    def _record(self, kind: str):
        def show(parent, title, text, *args, **kwargs):
            self.shown.append((kind, title, text))
            return self.answers.get(kind, QMessageBox.StandardButton.Ok)
        return staticmethod(show)

    def texts(self, kind: str) -> list[str]:
        return [text for k, _title, text in self.shown if k == kind]


@pytest.fixture
def boxes(monkeypatch) -> Boxes:
    return Boxes(monkeypatch)


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    monkeypatch.setenv("CNNVIZ_HOME", str(folder))
    return folder


def make_settings(tmp_path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def open_window(qtbot, settings, *, load_tensorflow: bool = True) -> MainWindow:
    win = MainWindow(load_tensorflow=load_tensorflow, settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def tiny_spec(name: str = "tiny_digits") -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                   L("Dense", "out", units=10, activation="softmax")], name=name)


def tabs_name_the_model(qtbot, win: MainWindow, name: str) -> None:
    """The state's current model, the Inspector, the Draw tab and the Training tab all name ``name``."""
    qtbot.waitUntil(lambda: win.state.model is not None and win.state.model.name == name, timeout=TIMEOUT_MS)
    inspector = win.inspector
    qtbot.waitUntil(lambda: f"Model: {name} —" in inspector.model_label.text(), timeout=TIMEOUT_MS)
    assert not inspector.untrained.isVisible()          # not the lecture's default CNN any more
    if name.endswith("_untrained"):
        # an untrained build's answers would be random: the Draw tab names it and keeps a model that reads digits
        qtbot.waitUntil(lambda: f"“{name}” (the Builder's model) is not trained yet" in win.draw.status_label.text(),
                        timeout=TIMEOUT_MS)
        assert win.draw.model_title() != f"“{name}”"
    else:
        qtbot.waitUntil(lambda: win.draw.model_title() == f"“{name}”", timeout=TIMEOUT_MS)
    assert f"current model (Inspector, Draw, export): “{name}”" in win.training.model_label.text()


# --- item 4: one model across the tabs; the file name follows what the document is ----------------------------
def test_open_recent_crash_restore_and_preset_give_every_tab_the_same_model(qtbot, tmp_path, home, boxes):
    settings = make_settings(tmp_path)
    spec_file = tmp_path / "fast.json"
    fast = get_preset("fast")
    fast.save(spec_file)
    settings.add_recent_file(spec_file)
    win = open_window(qtbot, settings)

    win.recent_menu.aboutToShow.emit()   # File > Open recent > fast.json
    win.recent_menu.actions()[0].trigger()
    assert win.document.path == spec_file and win.document.spec.name == fast.name
    tabs_name_the_model(qtbot, win, untrained_name(fast.name))
    assert f"Train builds “{fast.name}”" in win.training.model_label.text()
    win.tabs.setCurrentIndex(TAB_TITLES.index("Inspector"))
    win.grab().save(str(tmp_path / "inspector_after_open_recent.png"))

    crashed = tiny_spec("crashed_edits")          # a crash left an autosave behind; the user restores it
    Autosave().write(crashed, str(spec_file))
    assert win.offer_recovery()
    assert win.document.spec.name == "crashed_edits"
    tabs_name_the_model(qtbot, win, untrained_name("crashed_edits"))

    keras_io = next(a for a in win.presets_menu.actions() if a.data() == "keras_io")
    keras_io.trigger()                           # Presets > the Keras example
    tabs_name_the_model(qtbot, win, untrained_name(get_preset("keras_io").name))
    win.tabs.setCurrentIndex(TAB_TITLES.index("Training"))
    win.grab().save(str(tmp_path / "training_after_preset.png"))
    win.document.undo_stack.setClean()
    assert win.close()


def test_after_save_then_preset_the_document_is_untitled_and_save_asks(qtbot, tmp_path, home, boxes,
                                                                       monkeypatch):
    win = open_window(qtbot, make_settings(tmp_path), load_tensorflow=False)
    saved = tmp_path / "mine.json"
    assert win.files.save_spec_as(saved)
    assert win.windowTitle() == "mine.json[*] — cnnviz"
    before = saved.read_text()

    fast = next(a for a in win.presets_menu.actions() if a.data() == "fast")
    fast.trigger()
    assert win.document.path is None and "mine.json" not in win.windowTitle()
    assert win.windowTitle() == f"{get_preset('fast').name}[*] — cnnviz" and win.isWindowModified()

    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: asked.append(a[1]) or ("", "")))
    win.save_action.trigger()                    # Save asks for a name instead of overwriting mine.json
    assert asked == ["Save model spec"] and saved.read_text() == before

    boxes.answers["warning"] = QMessageBox.StandardButton.Cancel
    assert not win.close()                       # the quit dialog names the preset, not the old file
    quit_text = boxes.texts("warning")[-1]
    assert get_preset("fast").name in quit_text and "mine.json" not in quit_text

    win.undo_action.trigger()                    # undo brings the saved model back, with its file
    assert win.document.path == saved and win.windowTitle() == "mine.json[*] — cnnviz"
    assert not win.document.is_dirty
    assert json.loads(saved.read_text())["name"] == win.document.spec.name
    assert win.close()


# --- item 5: trained weights never vanish on quit; the next launch offers the last session back ------------------
def quick_training(win: MainWindow, *, epochs: int = 1, limit: int = 300) -> None:
    form = win.training.form
    form.data_box.limit_spin.setValue(limit)
    form.val_fraction_radio.setChecked(True)
    form.val_fraction_spin.setValue(0.2)
    form.batch_spin.setValue(16)
    form.epochs_spin.setValue(epochs)
    form.lr_spin.setValue(0.01)


def test_quit_says_what_is_not_exported_and_the_next_launch_reopens_the_session(qtbot, tmp_path, home, boxes,
                                                                                app_runs, monkeypatch):
    import numpy as np

    settings = make_settings(tmp_path)
    spec_file = tmp_path / "tiny.json"
    tiny_spec().save(spec_file)
    win = open_window(qtbot, settings)
    assert not win.last_session.bar.isVisible()          # a fresh home: nothing to reopen
    assert win.files.open_spec(spec_file)
    qtbot.waitUntil(lambda: win.training.form.dataset is not None, timeout=TIMEOUT_MS)
    quick_training(win, limit=300)
    with qtbot.waitSignal(win.training.model_trained, timeout=TIMEOUT_MS) as trained:
        qtbot.mouseClick(win.training.train_button, Qt.MouseButton.LeftButton)
    model = trained.args[0]
    run_folder = win.training.run_folder
    assert run_folder is not None and (run_folder / "model.keras").is_file()

    quit_boxes = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: quit_boxes.append(box.text())
                        or QMessageBox.StandardButton.Cancel.value)
    win.quit_action.trigger()                            # File > Quit; Cancel: the window stays
    assert win.isVisible()
    text = quit_boxes[-1]
    assert f"The trained model “{model.name}” (1 epoch(s)" in text and "has not been exported" in text
    assert str(run_folder) in text and "next launch offers to reopen" in text

    dialog = win.models.export_model()                   # File > Export model…: once exported, nothing to warn
    win.last_session.watch_export(dialog)
    dialog.path_edit.setText(str(tmp_path / "exported"))
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=TIMEOUT_MS)
    assert win.last_session.quit_text() is None
    dialog.close()
    shown = len(quit_boxes)
    win.quit_action.trigger()
    assert not win.isVisible() and len(quit_boxes) == shown   # no quit warning any more
    record = settings.last_session
    assert record["spec_path"] == str(spec_file) and record["run_folder"] == str(run_folder)
    assert record["data"]["name"] == "mnist_sample" and record["data"]["limit"] == 300

    again = open_window(qtbot, make_settings(tmp_path))  # the next launch
    bar = again.last_session
    assert bar.bar.isVisible()
    offer = bar.bar_label.text()
    assert "tiny.json" in offer and "MNIST sample" in offer and run_folder.name in offer
    again.grab().save(str(tmp_path / "reopen_offer.png"))
    assert again.document.spec.name == "lecture_mnist_cnn"     # nothing reopened before the user says so
    with qtbot.waitSignal(bar.reopened, timeout=TIMEOUT_MS) as reopened:
        qtbot.mouseClick(bar.reopen_button, Qt.MouseButton.LeftButton)
    assert not bar.bar.isVisible()
    assert again.document.path == spec_file and again.document.spec.name == "tiny_digits"
    choice = again.training.data_choice()
    assert (choice.name, choice.limit) == ("mnist_sample", 300)
    current = reopened.args[0]
    assert current is again.state.model and current.name == model.name and current.source == str(run_folder)
    for a, b in zip(current.model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)                  # the trained weights, from the run folder
    tabs_name_the_model(qtbot, again, model.name)
    shown = len(quit_boxes)
    again.quit_action.trigger()
    assert not again.isVisible() and len(quit_boxes) == shown   # reopened from its run folder: nothing to lose


def test_not_now_keeps_the_last_run_offered_at_the_next_launch(qtbot, tmp_path, home, boxes, app_runs):
    run_folder = app_runs / "20261202-060000-tiny_digits"
    (run_folder / "checkpoints").mkdir(parents=True)
    (run_folder / "model.keras").write_bytes(b"PK")      # only its presence is read before Reopen
    settings = make_settings(tmp_path)
    settings.last_session = {"spec_path": None, "spec": tiny_spec().to_dict(), "data": {"name": "mnist_sample"},
                             "run_folder": str(run_folder), "model_name": "tiny_digits", "epochs": 3}
    win = open_window(qtbot, settings, load_tensorflow=False)
    assert win.last_session.bar.isVisible()
    assert "model “tiny_digits” (3 epoch(s)) from run 20261202-060000-tiny_digits" in win.last_session.bar_label.text()
    qtbot.mouseClick(win.last_session.dismiss_button, Qt.MouseButton.LeftButton)
    assert not win.last_session.bar.isVisible() and win.document.spec.name == "lecture_mnist_cnn"
    assert win.close()
    assert settings.last_session["run_folder"] == str(run_folder)   # offered again next time
    again = open_window(qtbot, make_settings(tmp_path), load_tensorflow=False)
    assert again.last_session.bar.isVisible() and run_folder.name in again.last_session.bar_label.text()
    assert again.close()


# --- item 6: two epoch counts, each labelled with what it does -----------------------------------------------------
def test_train_trains_the_epochs_its_label_says_and_train_more_adds_its_own(qtbot, tmp_path, home, boxes,
                                                                            app_runs, monkeypatch):
    win = open_window(qtbot, make_settings(tmp_path), load_tensorflow=False)
    training = win.training
    win.document.replace_spec(tiny_spec())
    qtbot.waitUntil(lambda: training.form.dataset is not None, timeout=TIMEOUT_MS)
    quick_training(win, epochs=2, limit=200)
    training.more_spin.setValue(3)
    assert training.train_button.text() == "Train 2 epochs"
    assert training.more_button.text() == "Train more: +3" and training.more_spin.text() == "+3 epochs"
    assert "Epochs in the set-up on the left" in training.train_button.toolTip()
    assert "Train (a fresh model) uses Epochs" in training.more_spin.toolTip()
    label = training.form._train_form.labelForField(training.form.epochs_spin)
    assert label.text() == "Epochs (Train)" and "Train button says it" in training.form.epochs_spin.toolTip()
    win.tabs.setCurrentIndex(TAB_TITLES.index("Training"))
    win.resize(1280, 720)
    win.grab().save(str(tmp_path / "epoch_controls.png"))

    with qtbot.waitSignal(training.model_trained, timeout=TIMEOUT_MS):
        qtbot.mouseClick(training.train_button, Qt.MouseButton.LeftButton)
    assert training.session.epochs_done == 2             # what "Train 2 epochs" said, not the +3 box
    assert training.more_button.isEnabled()
    with qtbot.waitSignal(training.model_trained, timeout=TIMEOUT_MS):
        qtbot.mouseClick(training.more_button, Qt.MouseButton.LeftButton)
    assert training.session.epochs_done == 2 + 3         # "Train more: +3" added three
    training.form.epochs_spin.setValue(1)
    assert training.train_button.text() == "Train 1 epoch"
    win.document.undo_stack.setClean()
    asked = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text())
                        or QMessageBox.StandardButton.Discard.value)   # the quit dialog's "Quit"
    win.quit_action.trigger()
    assert not win.isVisible() and "(5 epoch(s)" in asked[-1] and "has not been exported" in asked[-1]
