"""Runs tab and sweeps: opening a sweep folder (cnnviz-cli sweep --out) lists its trials, named with their settings,
for comparison. The run folders here are written with the core's RunDirectory (no TensorFlow); the real sweep is in
tests/cli/test_sweep.py."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnviz.core.train.runs import RunDirectory
from cnnviz.core.train.sweep import plan, write_plan
from cnnviz.qt.runs.panel import RunsPanel
from run_dir_fixture import app_runs  # noqa: F401 (fixture)

CONFIG = {"search": "grid", "preset": "fast", "data": {"limit": 100}, "training": {"epochs": 2},
          "space": {"learning_rate": [0.001, 0.01]}}


def _sweep_folder(root, finished=(True, True)):
    """A sweep folder of two trials; a trial not ``finished`` has no run folder yet (the sweep has not got to it)."""
    sweep = plan(CONFIG)
    write_plan(root, sweep)
    for trial, done, acc in zip(sweep.trials, finished, (0.5, 0.8)):
        if not done:
            continue
        run = RunDirectory.create(root / trial.name, config={"training": trial.training, "data": trial.data},
                                  spec=trial.spec, meta={})
        for epoch in range(2):
            run.append_history({"epoch": epoch, "loss": 1.0 - acc / 2 - epoch / 10, "accuracy": acc,
                                "val_loss": 1.0, "val_accuracy": acc - 0.1 + epoch / 20, "seconds": 1.5})
        run.write_metrics({"test_accuracy": acc})
        run.write_state("completed", epochs_done=2)
        run.release()
    return root


def _rows(panel):
    return [[panel.table.item(r, c).text() for c in range(7)] for r in range(panel.table.rowCount())]


def test_opening_a_sweep_folder_lists_its_trials_with_their_settings(qtbot, tmp_path):
    folder = _sweep_folder(tmp_path / "sweep")
    panel = RunsPanel()
    qtbot.addWidget(panel)
    assert panel.open_sweep(folder) == 2
    rows = _rows(panel)
    assert [r[0] for r in rows] == ["trial_000 (learning_rate=0.001)", "trial_001 (learning_rate=0.01)"]
    assert [r[1] for r in rows] == ["completed", "completed"]
    assert [r[3] for r in rows] == ["2", "2"] and [r[6] for r in rows] == ["0.5000", "0.8000"]
    assert [r[5] for r in rows] == ["0.4500", "0.7500"]   # best validation accuracy of each trial
    xs, ys = panel._curves[(folder / "trial_001").resolve()].items["val_accuracy"].getData()
    assert list(xs) == [1, 2] and list(ys) == pytest.approx([0.7, 0.75])
    assert "Sweep “sweep”: 2 trial(s)" in panel.status.text()
    panel.resize(1000, 600)
    panel.grab().save(str(tmp_path / "runs-sweep.png"))
    panel.shutdown()


def test_a_trial_not_started_yet_is_listed_and_followed(qtbot, tmp_path):
    folder = _sweep_folder(tmp_path / "sweep", finished=(True, False))
    panel = RunsPanel(poll_ms=50)
    qtbot.addWidget(panel)
    assert panel.open_sweep(folder) == 2
    assert _rows(panel)[1][1] == "waiting for the run to start"
    assert panel.timer.isActive()
    panel.shutdown()


def test_the_open_button_opens_a_sweep_folder_as_a_sweep(qtbot, tmp_path, monkeypatch):
    folder = _sweep_folder(tmp_path / "sweep")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.open_button.click()
    assert panel.table.rowCount() == 2 and panel.table.item(0, 0).text().startswith("trial_000 (")


def test_a_folder_that_is_not_a_sweep_is_refused_with_a_message(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    assert panel.open_sweep(tmp_path) == 0
    assert panel.table.rowCount() == 0
    assert shown == [f"{tmp_path.resolve()} is not a sweep folder (it has no sweep.json)"]
