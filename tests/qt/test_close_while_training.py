"""Closing the window while a model trains: the app exits within 5 s, no crash, the history so far is kept."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from cnnviz.qt.training.export import read_history_csv

pytestmark = pytest.mark.slow


def test_closing_mid_training_exits_quickly_and_keeps_the_history(tmp_path, project_root):
    home = tmp_path / "home"
    code = textwrap.dedent(f"""
        import os, sys, time
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["CNNVIZ_HOME"] = {str(home)!r}
        from PySide6.QtCore import QSettings, QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from cnnviz.core.model.spec import LayerSpec, ModelSpec
        from cnnviz.qt.main_window import MainWindow
        from cnnviz.qt.settings import AppSettings
        L = LayerSpec.make
        win = MainWindow(load_tensorflow=False,
                         settings=AppSettings(QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat)))
        win.show()
        win.document.new(ModelSpec((28, 28, 1), [L("Conv2D", "c", filters=4, kernel_size=3), L("Flatten", "f"),
                                                  L("Dense", "out", units=10, activation="softmax")]))
        panel = win.training
        deadline = time.time() + 30
        while panel.form.dataset is None and time.time() < deadline:
            app.processEvents(); time.sleep(0.02)
        panel.form.epochs_spin.setValue(500)
        panel.form.batch_spin.setValue(8)
        closing = {{}}
        def on_epoch(*args):
            if not closing:
                closing["t"] = time.perf_counter()
                print("closing", flush=True)
                win.close()
        panel.runner.epoch_finished.connect(on_epoch)
        panel.train_button.click()
        while not closing and time.time() < deadline + 120:
            app.processEvents(); time.sleep(0.02)
        app.processEvents()
        print(f"closed_in={{time.perf_counter() - closing['t']:.2f}} visible={{win.isVisible()}}", flush=True)
    """)
    t0 = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=project_root, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("closed_in=")][0]
    closed_in = float(line.split()[0].split("=")[1])
    assert closed_in < 5.0, line
    assert "visible=False" in line
    saved = list((home / "history").glob("training-*.csv"))
    assert len(saved) == 1, result.stdout
    history = read_history_csv(saved[0])
    assert len(history["loss"]) >= 1
    assert time.monotonic() - t0 < 300
