"""The main window: tabs, menus, files (save/open/unsaved changes), settings, TensorFlow status, smoke run."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox

from cnnviz.core.model.presets import get_preset
from cnnviz.core.model.spec import ModelSpec
from cnnviz.qt.main_window import TAB_TITLES, MainWindow
from cnnviz.qt.settings import SETTINGS_VERSION, AppSettings


class Boxes:
    """Records message boxes instead of showing them; ``answer`` is what the unsaved-changes question returns."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.answer = QMessageBox.StandardButton.Discard

    def record(self, kind: str):
        def show(parent, title, text, *args, **kwargs):
            self.shown.append((kind, title, text))
            return self.answer if kind == "warning" else QMessageBox.StandardButton.Ok
        return staticmethod(show)

    def texts(self, kind: str) -> list[str]:
        return [text for k, _title, text in self.shown if k == kind]


@pytest.fixture(autouse=True)
def boxes(monkeypatch) -> Boxes:
    recorder = Boxes()
    for kind in ("warning", "critical", "question", "information", "about"):
        monkeypatch.setattr(QMessageBox, kind, recorder.record(kind))
    return recorder


@pytest.fixture
def settings(tmp_path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, settings) -> MainWindow:
    win = MainWindow(load_tensorflow=False, settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def patch_dialog(monkeypatch, name: str, path) -> None:
    monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: (str(path), "")))


def test_window_appears_without_tensorflow(window):
    assert window.isVisible()
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == list(TAB_TITLES)
    assert window.tabs.currentWidget() is window.builder
    assert "off" in window.tf_status.text()
    assert not window.tf_loader.is_ready
    assert not window.windowIcon().isNull()
    assert "3,274,634 parameters" in window.model_status.text()
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&Presets", "&View", "&Help"]
    assert window.presets_menu.actions()[0].data() == "lecture"
    assert window.import_action.isEnabled() and window.import_action.shortcut().toString() == "Ctrl+I"
    assert window.save_action.shortcut().toString() == "Ctrl+S"
    assert window.undo_action.shortcut().toString() == "Ctrl+Z"


def test_set_panel_replaces_a_placeholder(window):
    widget = QLabel("training panel")
    old = window.set_panel("Training", widget)
    assert window.panel("Training") is widget and window.tabs.tabText(1) == "Training"
    assert old is not widget and window.tabs.currentWidget() is window.builder


def test_edit_menu_undo_redo_drive_the_document(window):
    doc = window.document
    window.builder.add_layer("Dense")
    assert len(doc.spec.layers) == 9 and window.undo_action.isEnabled()
    assert "Add fc_3" in window.undo_action.text()
    window.undo_action.trigger()
    assert len(doc.spec.layers) == 8
    window.redo_action.trigger()
    assert len(doc.spec.layers) == 9


def test_save_and_reopen_a_spec(window, monkeypatch, tmp_path, boxes):
    doc = window.document
    assert not window.isWindowModified() and window.windowTitle() == "lecture_mnist_cnn[*] — cnnviz"
    doc.set_field(0, "filters", 16)
    assert doc.is_dirty and window.isWindowModified()
    target = tmp_path / "my_model"
    patch_dialog(monkeypatch, "getSaveFileName", target)
    window.save_action.trigger()  # no file yet: asks for one; ".json" is added
    saved = tmp_path / "my_model.json"
    assert saved.is_file() and not doc.is_dirty and not window.isWindowModified()
    assert window.windowTitle() == "my_model.json[*] — cnnviz"
    assert ModelSpec.load(saved).layers[0].params["filters"] == 16
    assert window.settings.recent_files[0] == str(saved.resolve())
    assert window.settings.last_folder("spec") == str(tmp_path)

    doc.set_field(0, "filters", 8)  # unsaved; reopening asks first, the answer is Discard
    assert window.files.open_spec(saved)
    assert boxes.texts("warning") and "unsaved changes" in boxes.texts("warning")[0]
    assert doc.spec.layers[0].params["filters"] == 16 and not doc.is_dirty
    assert doc.undo_stack.count() == 0

    doc.set_field(0, "filters", 4)
    window.save_action.trigger()  # has a file now: saved without asking
    assert json.loads(saved.read_text())["layers"][0]["filters"] == 4
    window.recent_menu.aboutToShow.emit()
    assert window.recent_menu.actions()[0].data() == str(saved.resolve())


def test_unsaved_changes_prompt_on_new_and_close(window, boxes):
    doc = window.document
    doc.set_field(0, "filters", 16)
    boxes.answer = QMessageBox.StandardButton.Cancel
    assert not window.files.new_model() and len(doc.spec.layers) == 8
    assert not window.close() and window.isVisible()
    boxes.answer = QMessageBox.StandardButton.Discard
    assert window.files.new_model() and doc.spec.layers == [] and window.windowTitle() == "untitled[*] — cnnviz"
    assert len(boxes.texts("warning")) == 3
    doc.add_layer("Dense")
    assert window.close()


def test_open_without_saving_first_is_refused_when_save_is_cancelled(window, monkeypatch, boxes):
    window.document.set_field(0, "filters", 16)
    boxes.answer = QMessageBox.StandardButton.Save
    patch_dialog(monkeypatch, "getSaveFileName", "")  # the user cancels the save dialog
    assert not window.files.open_spec("/nonexistent.json")
    assert window.document.spec.layers[0].params["filters"] == 16
    window.document.undo_stack.setClean()


@pytest.mark.parametrize("content, expected", [
    ("{not json", "not valid JSON"),
    (json.dumps({"schema_version": 1, "input_shape": [28, 28, 1], "layers": [{"type": "Conv3D", "name": "c"}]}),
     "unknown layer type 'Conv3D'"),
    (json.dumps({"schema_version": 1, "input_shape": [28, 28], "layers": []}), "'input_shape' must be"),
])
def test_a_malformed_spec_shows_the_specific_error(window, monkeypatch, tmp_path, boxes, content, expected):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    patch_dialog(monkeypatch, "getOpenFileName", bad)
    window.open_action.trigger()
    errors = boxes.texts("critical")
    assert len(errors) == 1 and expected in errors[0] and "bad.json" in errors[0]
    assert window.document.spec.name == "lecture_mnist_cnn" and window.document.path is None


def test_settings_round_trip(qtbot, settings, tmp_path):
    first = MainWindow(load_tensorflow=False, settings=settings)
    qtbot.addWidget(first)
    first.resize(800, 520)  # fits the offscreen platform's 800x800 screen; the default would be 800x800
    first.show()
    qtbot.waitExposed(first)
    first.tabs.setCurrentIndex(2)
    size = first.size()
    assert size.height() == 520
    assert first.close()
    again = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    assert again.window_geometry is not None and again.current_tab == "Inspector"
    second = MainWindow(load_tensorflow=False, settings=again)
    qtbot.addWidget(second)
    assert second.height() == size.height() == 520  # (the width is clamped to the small offscreen screen)
    assert second.tabs.currentIndex() == 2


def test_builder_column_sizes_survive_a_restart(qtbot, settings, tmp_path):
    """The window keeps the builder's splitter sizes through the builder's public layout API."""
    first = MainWindow(load_tensorflow=False, settings=settings)
    qtbot.addWidget(first)
    first.resize(1200, 700)
    first.show()
    qtbot.waitExposed(first)
    columns = first.builder.columns
    sizes = columns.sizes()
    wanted = [sizes[0] + 60, sizes[1] - 60] + sizes[2:]
    columns.setSizes(wanted)
    kept = columns.sizes()
    assert kept != sizes
    assert first.close()
    again = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    second = MainWindow(load_tensorflow=False, settings=again)
    qtbot.addWidget(second)
    second.resize(1200, 700)
    second.show()
    qtbot.waitExposed(second)
    assert second.builder.columns.sizes() == kept
    assert second.close()


def test_settings_wrapper_types_and_version(tmp_path):
    path = str(tmp_path / "s.ini")
    s = AppSettings(QSettings(path, QSettings.Format.IniFormat))
    assert s.store.value("settings_version") == SETTINGS_VERSION
    for i in range(12):
        s.add_recent_file(tmp_path / f"m{i}.json")
    s.add_recent_file(tmp_path / "m3.json")
    assert len(s.recent_files) == 8 and s.recent_files[0].endswith("m3.json")
    s.set_last_folder("spec", tmp_path / "m3.json")  # a file: its folder is remembered
    assert s.last_folder("spec") == str(tmp_path)
    assert s.last_folder("never-used") == os.path.expanduser("~")
    s.store.setValue("main_window/current_tab", 5)  # wrong type (hand-edited): the default is used
    s.sync()
    reread = AppSettings(QSettings(path, QSettings.Format.IniFormat))
    assert reread.current_tab == "Builder" and len(reread.recent_files) == 8
    old = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    old.setValue("settings_version", SETTINGS_VERSION + 99)
    old.setValue("files/recent", ["x.json"])
    assert AppSettings(old).recent_files == []  # another version's keys are dropped


def test_tensorflow_loads_in_the_background_after_the_window_shows(qtbot, settings):
    win = MainWindow(load_tensorflow=True, settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert "not loaded" in win.tf_status.text()
    with qtbot.waitSignal(win.tf_loader.ready, timeout=120_000):
        win.start_background_work()
        assert "loading" in win.tf_status.text()
    assert "ready" in win.tf_status.text() and win.tf_loader.is_ready


def test_preset_menu_loads_an_undoable_preset(window):
    fast = next(a for a in window.presets_menu.actions() if a.data() == "fast")
    fast.trigger()
    assert window.document.spec.name == get_preset("fast").name and window.document.is_dirty
    window.undo_action.trigger()
    assert window.document.spec.name == "lecture_mnist_cnn" and not window.document.is_dirty


def test_smoke_run_exits_0():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "cnnviz", "--smoke"], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "window shown" in result.stdout
