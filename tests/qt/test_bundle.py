"""File > Export reproducibility bundle after training in the Training tab: every file, and the code runs."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.qt.main_window import MainWindow
from cnnviz.qt.settings import AppSettings

pytestmark = pytest.mark.slow
L = LayerSpec.make


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    shown = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: shown.append(a[2])))
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    win.shown = shown
    qtbot.addWidget(win)
    win.show()
    return win


def test_bundle_needs_a_trained_model(window, tmp_path):
    assert window.models.export_bundle(tmp_path / "b") is None
    assert "Train a model" in window.shown[-1]
    assert not (tmp_path / "b").exists()


def test_bundle_after_training_has_every_file_and_its_code_builds_the_model(qtbot, window, tmp_path):
    spec = ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                   L("Dense", "out", units=10, activation="softmax")], name="tiny")
    window.document.new(spec)
    panel = window.training
    qtbot.waitUntil(lambda: panel.form.dataset is not None, timeout=30_000)
    panel.form.data_box.limit_spin.setValue(300)
    panel.form.epochs_spin.setValue(2)
    panel.form.batch_spin.setValue(32)
    with qtbot.waitSignal(panel.model_trained, timeout=120_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    panel.more_spin.setValue(1)   # Train more: the bundle must describe 2 + 1 epochs, not the form's 2
    with qtbot.waitSignal(panel.model_trained, timeout=120_000):
        qtbot.mouseClick(panel.more_button, Qt.MouseButton.LeftButton)
    folder = window.models.export_bundle(tmp_path / "bundle")
    assert folder == tmp_path / "bundle"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [".cnnviz-output.json", "README.txt", "data.json", "history.csv", "metrics.json",
                     "model.keras", "model_code.py", "run.json", "spec.json", "training.json",
                     "versions.json"]   # the marker: cnnviz wrote it
    assert ModelSpec.load(folder / "spec.json").layer_names() == spec.layer_names()
    assert len((folder / "history.csv").read_text().splitlines()) == 4  # header + 3 epochs
    training = json.loads((folder / "training.json").read_text())
    assert training["epochs"] == 3 and training["seed"] == panel.form.config().seed
    readme = (folder / "README.txt").read_text()
    assert "Trained 3 epochs in all" in readme and "cnnviz-cli train --config run.json" in readme
    # the run config re-runs what was trained; model.keras holds the weights the run ended with
    from cnnviz.core.train.runs import read_run_config

    rerun = read_run_config(folder / "run.json")
    assert rerun["training"]["epochs"] == 3 and rerun["data"]["limit"] == 300
    assert ModelSpec.from_dict(rerun["spec"]).layer_names() == spec.layer_names()
    import keras
    import numpy as np

    saved = keras.saving.load_model(folder / "model.keras")
    for a, b in zip(saved.get_weights(), window.training.trained_model.get_weights()):
        np.testing.assert_array_equal(a, b)
    data = json.loads((folder / "data.json").read_text())
    assert data["name"] == "mnist_sample" and data["limit"] == 300
    metrics = json.loads((folder / "metrics.json").read_text())
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and len(metrics["confusion"]) == 10
    assert set(json.loads((folder / "versions.json").read_text())) >= {"tensorflow", "keras", "numpy", "cnnviz"}
    code = (folder / "model_code.py").read_text() + "\nprint(model.count_params())\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == str(window.training.trained_model.count_params())
