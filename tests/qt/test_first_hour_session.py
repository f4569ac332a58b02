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
    assert not inspector.untrained.isVisible() or "lecture" not in inspector.untrained.text()
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

