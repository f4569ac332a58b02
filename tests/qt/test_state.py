"""App state passed in: one AppState holds the document, the current model (once) and the last run; panels
subscribe to it; the menu's model actions work without a window; the window's close stops one registry."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QSettings, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from cnnviz.qt.concurrency import Background
from cnnviz.qt.main_window import MainWindow
from cnnviz.qt.models import ModelActions
from cnnviz.qt.settings import AppSettings
from cnnviz.qt.state import AppState, CurrentModel, LastRun


class Seen(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.models: list = []
        self.runs: list = []

    @Slot(object)
    def on_model(self, current) -> None:
        self.models.append(current)

    @Slot(object)
    def on_run(self, run) -> None:
        self.runs.append(run)


def test_the_state_holds_the_current_model_once_and_tells_subscribers(qapp):
    state = AppState()
    seen = Seen()
    state.model_changed.connect(seen.on_model)
    state.last_run_changed.connect(seen.on_run)
    model = object()
    current = state.set_model(model, range(3), "a file", "my model")
    assert state.model is current and seen.models == [current]
    assert current == CurrentModel(model, ("0", "1", "2"), "a file", "my model") and current.name == "my model"
    state.set_model(None)
    assert state.model is None and seen.models[-1] is None
    run = LastRun(model, None, None, None, ("a", "b"))
    state.set_last_run(run)
    assert state.last_run is run and seen.runs == [run]
    assert state.owns_background and state.shutdown_own_background()


def test_a_state_given_lanes_does_not_stop_them(qapp):
    background = Background()
    state = AppState(background=background)
    assert not state.owns_background and state.shutdown_own_background()
    assert not background.tf.closed
    assert background.shutdown()


def test_model_actions_need_no_window(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: shown.append(a[2])))
    state = AppState()
    settings = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    parent = QWidget()
    actions = ModelActions(state, settings, parent)
    assert actions.model is None and actions.export_model() is None and "no trained model yet" in shown[-1]
    actions.set_model("a keras model", ("x", "y"), "test")
    assert state.model.model == "a keras model" and actions.model == "a keras model"
    assert not hasattr(actions, "window")
    assert state.shutdown_own_background()


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    yield win
    assert win.shutdown(), win.shutdown_registry.failures


def test_panels_share_the_windows_state_and_lanes(window):
    state = window.state
    assert state.document is window.document
    assert window.draw.state is state and window.augment.state is state
    assert window.inspector.state is state
    assert window.draw.loader.worker is state.background.tf
    assert window.inspector.controller.worker is state.background.tf
    assert window.tf_loader.worker is state.background.tf


def test_the_current_model_reaches_draw_and_inspector_through_the_state(window, monkeypatch):
    inspected, drawn = [], []
    monkeypatch.setattr(window.inspector, "set_model", lambda m, names=None: inspected.append((m, names)))
    monkeypatch.setattr(window.draw, "set_model", lambda m, names=None, title=None: drawn.append((m, names)))
    window.models.set_model("model", ("a", "b"), "somewhere")
    assert inspected == [("model", ("a", "b"))] and drawn == [("model", ("a", "b"))]


def test_one_registry_stops_everything_at_close(window):
    names = window.shutdown_registry.names
    assert names == ["training", "inspector", "draw", "augment", "runs", "model actions", "autosave",
                     "background lanes"]
    assert window.shutdown()
    assert window.background.tf.closed and window.background.training.closed and window.background.io.closed
    assert window.shutdown()   # idempotent
