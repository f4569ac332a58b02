"""The tabs work together: a drawing goes to the inspector, an imported model reaches the draw and inspector
tabs."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from cnnviz.qt.main_window import TAB_TITLES, MainWindow
from cnnviz.qt.settings import AppSettings

pytestmark = pytest.mark.slow
SEVEN = [[(40, 50), (240, 50), (120, 250)]]


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok))
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_inspect_this_drawing_opens_it_in_the_inspector(qtbot, window):
    assert window._inspector is None  # not created until needed
    window.tabs.setCurrentIndex(TAB_TITLES.index("Draw"))
    for stroke in SEVEN:
        window.draw.canvas.add_stroke(stroke)
    window.draw.predict_now()
    qtbot.mouseClick(window.draw.inspect_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.inspector
    qtbot.waitUntil(lambda: window.inspector.image is not None and window.inspector.inspector is not None,
                    timeout=120_000)
    np.testing.assert_array_equal(window.inspector.image[..., 0], window.draw.result.image)
    qtbot.waitUntil(lambda: window.inspector.maps is not None, timeout=120_000)
    # the image chooser shows the drawing too, not the dataset image it loaded meanwhile
    np.testing.assert_array_equal(window.inspector.chooser.image, window.inspector.image)
    assert window.inspector.chooser.source_label.text() == "Drawing from the Draw tab"
    assert "true:" not in window.inspector.prediction.text()  # the dataset's label is not the drawing's
