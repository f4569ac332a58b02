"""Runs tab: open and compare run folders, and follow a CLI run in a subprocess while it trains."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from cnnviz.qt.runs.panel import RunsPanel
from run_dir_fixture import app_runs  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def _cli_train(out, *extra, wait=True):
    args = [sys.executable, "-m", "cnnviz.cli", "train", "--preset", "fast", "--batch-size", "32", "--out", str(out),
            *extra]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if wait:
        result = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        return None
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def test_open_and_compare_two_runs(qtbot, tmp_path):
    _cli_train(tmp_path / "a", "--limit", "400", "--epochs", "2")
    _cli_train(tmp_path / "b", "--limit", "400", "--epochs", "1", "--preset", "keras_io")
    panel = RunsPanel()
    qtbot.addWidget(panel)
    assert panel.add_run(tmp_path / "a") and panel.add_run(tmp_path / "b")
    assert panel.table.rowCount() == 2
    rows = {panel.table.item(r, 0).text(): [panel.table.item(r, c).text() for c in range(7)] for r in range(2)}
    assert rows["a"][1:4] == ["completed", "53,002", "2"]
    assert rows["b"][1:4] == ["completed", "34,826", "1"]
    assert rows["a"][6] != "–"
    xs, _ = panel._curves[(tmp_path / "a").resolve()].items["val_accuracy"].getData()
    assert list(xs) == [1, 2]
    with qtbot.waitSignal(panel.model_requested, timeout=1000) as blocker:
        panel.table.selectRow(1)
        panel.load_model_button.click()
    assert blocker.args == [str((tmp_path / "b").resolve())]


def test_a_folder_that_is_not_a_run_is_refused(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    assert not panel.add_run(tmp_path)
    assert "is not a cnnviz run folder" in shown[0]


def test_follow_a_cli_run_while_it_trains(qtbot, tmp_path):
    out = tmp_path / "live"
    out.mkdir()
    panel = RunsPanel(poll_ms=100)
    qtbot.addWidget(panel)
    assert panel.add_run(out, follow=True)  # before the other process has written anything
    proc = _cli_train(out, "--limit", "1500", "--epochs", "3", wait=False)
    try:
        curve = panel._curves[out.resolve()].items["loss"]
        qtbot.waitUntil(lambda: len(curve.getData()[0] or []) >= 1, timeout=120_000)
        first = len(curve.getData()[0])
        qtbot.waitUntil(lambda: len(curve.getData()[0]) == 3, timeout=120_000)
        assert first < 3  # points arrived while the run was still going
        qtbot.waitUntil(lambda: not panel.timer.isActive(), timeout=60_000)  # stops polling once completed
        assert "completed" in panel.status.text()
    finally:
        proc.wait(120)
        panel.shutdown()
