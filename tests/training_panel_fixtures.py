"""Fixtures shared by the Training-tab tests (imported by name into tests/qt/test_training_*.py)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnviz.qt.training import TrainingPanel


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """Any modal dialog a test did not expect fails the test instead of blocking it."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected modal dialog: {args[1:3]}")

    for name in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse))
    for name in ("getSaveFileName", "getOpenFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse))


@pytest.fixture
def panel(qtbot):
    """A shown TrainingPanel with its dataset loaded; at the end every worker thread must have stopped."""
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    qtbot.waitUntil(lambda: p.form.dataset is not None, timeout=10_000)
    yield p
    assert p.shutdown(20_000), "a worker thread did not stop"
    running = [t.objectName() for t in p.findChildren(QThread) if t.isRunning()]
    assert not running, f"threads left running: {running}"
