"""File menu: import a .keras model, export it (verified), export a run config; autosave and crash recovery."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from cnnviz.core.model.build import build_model
from cnnviz.core.model.presets import get_preset
from cnnviz.core.train.runs import read_run_config
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.qt.main_window import MainWindow
from cnnviz.qt.settings import AppSettings

pytestmark = pytest.mark.slow


@pytest.fixture
def shown(monkeypatch):
    seen = []
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(lambda parent, title, text, *a, _k=kind, **k:
                                                            seen.append((_k, text)) or QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    monkeypatch.setattr(QMessageBox, "open", lambda self: seen.append(("open", self.text())))
    return seen


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    yield win
    assert win.shutdown(), win.shutdown_registry.failures


def test_import_a_keras_model_fills_the_builder_and_announces_the_model(qtbot, window, tmp_path, shown):
    spec = get_preset("keras_io")
    path = tmp_path / "someone_elses.keras"
    build_model(spec).save(path)
    with qtbot.waitSignal(window.state.model_changed, timeout=60_000) as blocker:
        window.models.import_model(path)
    model, names = blocker.args[0].model, blocker.args[0].class_names
    assert model.count_params() == 34_826 and names == tuple("0123456789")
    assert window.document.spec.layer_names() == spec.layer_names()
    assert window.document.report.total_params == 34_826
    assert not [s for s in shown if s[0] == "critical"]


def test_import_a_broken_file_shows_why(qtbot, window, tmp_path, shown):
    path = tmp_path / "notes.keras"
    path.write_text("my notes")
    with qtbot.waitSignal(window.models.import_failed, timeout=30_000):
        window.models.import_model(path)
    qtbot.waitUntil(lambda: any(k == "critical" for k, _ in shown), timeout=5000)
    text = [t for k, t in shown if k == "critical"][0]
    assert "a .keras file is a zip archive, this is a text file" in text


def test_export_dialog_writes_and_verifies(qtbot, window, tmp_path, shown):
    spec = ModelSpec((8, 8, 1), [LayerSpec.make("Flatten", "f"), LayerSpec.make("Dense", "d", units=3,
                                                                                   activation="softmax")])
    window.models.set_model(build_model(spec), ("a", "b", "c"))
    dialog = window.models.export_model()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("tflite"))
    dialog.path_edit.setText(str(tmp_path / "exported"))
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=60_000)
    assert (tmp_path / "exported.tflite").is_file()
    assert "Exported and verified" in dialog.result_label.text()
    dialog.path_edit.setText(str(tmp_path / "no-such-folder" / "m"))
    dialog.start_export()
    qtbot.waitUntil(lambda: "Export failed" in dialog.result_label.text(), timeout=30_000)
    assert "does not exist" in dialog.result_label.text()
    dialog.close()


def test_export_without_a_model_explains(window, shown):
    assert window.models.export_model() is None
    assert "no trained model yet" in shown[-1][1]


def test_export_run_config_gives_the_command(window, tmp_path, shown):
    window.document.load_preset("fast")
    command = window.models.export_run_config(tmp_path / "exp.run.json")
    assert command.startswith(f"cnnviz-cli train --config {tmp_path / 'exp.run.json'}")
    saved = read_run_config(tmp_path / "exp.run.json")
    assert ModelSpec.from_dict(saved["spec"]) == get_preset("fast")
    assert saved["data"]["name"] == "mnist_sample"


def test_autosave_survives_kill_9_and_is_offered_back(qtbot, tmp_path, project_root, shown, monkeypatch):
    home = tmp_path / "home"
    code = textwrap.dedent(f"""
        import os, sys, time
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["CNNVIZ_HOME"] = {str(home)!r}
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from cnnviz.qt.main_window import MainWindow
        from cnnviz.qt.settings import AppSettings
        win = MainWindow(load_tensorflow=False,
                         settings=AppSettings(QSettings({str(tmp_path / 'child.ini')!r}, QSettings.Format.IniFormat)))
        win.show()
        win.document.load_preset("lenet5")
        win.document.set_field(0, "filters", 7)
        deadline = time.time() + 20
        while not win.autosave.autosave.path.exists() and time.time() < deadline:
            app.processEvents(); time.sleep(0.05)
        print("autosaved", flush=True)
        while True:
            app.processEvents(); time.sleep(0.05)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=project_root)
    try:
        assert proc.stdout.readline().strip() == "autosaved"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    monkeypatch.setenv("CNNVIZ_HOME", str(home))
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    assert win.offer_recovery() is True
    assert win.document.spec.name == "lenet5" and win.document.spec.layers[0].params["filters"] == 7
    assert win.document.is_dirty
    win.document.save(tmp_path / "recovered.json")  # saving clears the autosave
    assert not win.autosave.autosave.path.exists()
    assert win.offer_recovery() is False
