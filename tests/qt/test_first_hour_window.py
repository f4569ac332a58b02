"""The window fits a 1280x720 screen: visiting every tab and every Inspector sub-tab (with the model built and an
image shown, so the step-by-step grids and the 1D strip have their real size) never raises the window's minimum
size nor grows it; wide pages scroll inside their tab instead. Checked at scale 1 in this process and at
QT_SCALE_FACTOR=1.5 (1920x1080 physical = 1280x720 logical) in a subprocess.

Run as a script (``python tests/qt/test_first_hour_window.py``) it prints the same measurements as JSON.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SCREEN = (1280, 720)   # logical pixels: 1280x720 at scale 1, and 1920x1080 at scale 1.5


def _pump(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def visit_every_tab(window, app, wait_until) -> list[dict]:
    """Show each main tab and each Inspector sub-tab; one record per visit: the window's size, minimumSize,
    minimumSizeHint, and the shown page's size against its own minimum (a page smaller than its minimum would be
    clipped, not scrolled)."""
    window.resize(*SCREEN)
    records = []

    def record(where: str, page) -> None:
        app.processEvents()
        hint, minimum = window.minimumSizeHint(), window.minimumSize()
        outer = getattr(window.tabs, "scroll_area", lambda _i: None)(window.tabs.currentIndex())
        scroll = [outer.horizontalScrollBar().maximum(), outer.verticalScrollBar().maximum()] if outer else [0, 0]
        records.append({"where": where, "size": [window.width(), window.height()],
                        "minimum_size": [minimum.width(), minimum.height()],
                        "minimum_size_hint": [hint.width(), hint.height()],
                        "page": [page.width(), page.height()],
                        "page_minimum": [page.minimumSizeHint().width(), page.minimumSizeHint().height()],
                        "panel_scroll": scroll})

    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        title = window.tabs.tabText(i)
        if title == "Inspector":
            inspector = window.inspector
            wait_until(lambda: inspector.maps is not None or bool(inspector.error_label.text()))
            assert not inspector.error_label.text(), inspector.error_label.text()
            for j in range(inspector.tabs.count()):
                inspector.tabs.setCurrentIndex(j)
                _pump(app, 0.3)
                record(f"Inspector/{inspector.tabs.tabText(j)}", inspector.tabs.currentWidget())
        _pump(app, 0.2)
        record(title, window.tabs.currentWidget())
    return records


def _check(records: list[dict]) -> None:
    w, h = SCREEN
    where = [r["where"] for r in records]
    assert {"Builder", "Training", "Inspector", "Draw", "Augment", "Runs"} <= set(where), where
    assert sum(w.startswith("Inspector/") for w in where) == 9, where   # incl. "What units look for"
    for r in records:
        for key in ("size", "minimum_size", "minimum_size_hint"):
            rw, rh = r[key]
            assert rw <= w and rh <= h, f"{r['where']}: window {key} {rw}x{rh} exceeds the {w}x{h} screen"
        assert r["size"] == [w, h], f"{r['where']}: the window grew to {r['size']}"
        pw, ph = r["page"]
        mw, mh = r["page_minimum"]
        assert pw >= mw and ph >= mh, f"{r['where']}: page {pw}x{ph} is squeezed below its minimum {mw}x{mh}"
        # The Inspector itself fits: only its wide views scroll, never the image chooser and the prediction.
        if r["where"].startswith("Inspector"):
            assert r["panel_scroll"] == [0, 0], f"{r['where']}: the whole panel scrolls by {r['panel_scroll']}"


def test_every_tab_fits_1280x720(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from cnnviz.qt.main_window import MainWindow
    from cnnviz.qt.settings import AppSettings

    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    records = visit_every_tab(win, QApplication.instance(), lambda ok: qtbot.waitUntil(ok, timeout=120_000))
    _check(records)
    # The wide step-by-step page really scrolls in its tab (it is wider than the space left beside the image).
    stepper = next(r for r in records if r["where"] == "Inspector/Step by step")
    area = win.inspector.tabs.scroll_area(win.inspector.tabs.indexOf(win.inspector.stepper))
    assert area is not None and area.widget() is win.inspector.stepper
    if stepper["page_minimum"][0] > area.viewport().width():
        assert area.horizontalScrollBar().maximum() > 0
    # Any panel, even one far bigger than the screen, scrolls in its tab instead of growing the window.
    from PySide6.QtWidgets import QLabel

    huge = QLabel("a panel bigger than any screen")
    huge.setMinimumSize(3000, 2000)
    old = win.set_panel("Runs", huge)
    win.tabs.setCurrentWidget(huge)
    qtbot.wait(50)
    hint = win.minimumSizeHint()
    assert hint.width() <= SCREEN[0] and hint.height() <= SCREEN[1], hint
    assert (win.width(), win.height()) == SCREEN and huge.width() >= 3000
    win.set_panel("Runs", old)
    win.close()


def test_every_tab_fits_1920x1080_at_150_percent(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="1.5", CNNVIZ_HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, str(Path(__file__)), str(tmp_path / "s.ini")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["device_pixel_ratio"] == 1.5   # the scale factor took effect
    _check(result["records"])
    # In physical pixels the window is 1920x1080 at most.
    assert all(r["minimum_size_hint"][0] * 1.5 <= 1920 and r["minimum_size_hint"][1] * 1.5 <= 1080
               for r in result["records"])


def _main(settings_path: str) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from cnnviz.qt.main_window import MainWindow
    from cnnviz.qt.settings import AppSettings

    win = MainWindow(load_tensorflow=False, settings=AppSettings(QSettings(settings_path, QSettings.Format.IniFormat)))
    win.show()

    def wait_until(ok, timeout_s: float = 120.0) -> None:
        end = time.monotonic() + timeout_s
        while not ok():
            assert time.monotonic() < end, "timed out"
            _pump(app, 0.05)

    records = visit_every_tab(win, app, wait_until)
    ratio = win.devicePixelRatio()
    win.shutdown()
    print(json.dumps({"device_pixel_ratio": ratio, "records": records}))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cnnviz-window-probe.ini"))
