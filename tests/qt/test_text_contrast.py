"""No faint text (issue 15, item 8): every colour a widget's style sheet or rich text gives to text reads at
WCAG AA contrast (4.5:1) against the window's background, in every tab of the window."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit, QTextEdit, QWidget

from cnnviz.qt.main_window import TAB_TITLES, MainWindow
from cnnviz.qt.settings import AppSettings

TEXT_COLOR = re.compile(r"(?<![-\w])color\s*:\s*(#[0-9a-fA-F]{3,6})\b")
# a coloured swatch in rich text (■ or ▮ matching a plot's or a box's colour) is a key, not text to read
SWATCH = re.compile(r"<span[^>]*color\s*:\s*#[0-9a-fA-F]{3,6}[^>]*>\s*(?:&#\d+;|[^\w\s<])\s*</span>")
TEXT_WIDGETS = (QLabel, QAbstractButton, QGroupBox, QLineEdit, QTextEdit)
BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*(#[0-9a-fA-F]{3,6})\b")


def _rgb(text: str) -> tuple[float, float, float]:
    h = text.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _luminance(rgb) -> float:
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_wcag_contrast_formula_matches_known_values():
    assert contrast(_rgb("#000"), _rgb("#fff")) == pytest.approx(21.0)
    assert contrast(_rgb("#777"), _rgb("#fff")) == pytest.approx(4.48, abs=0.01)   # just below AA
    assert contrast(_rgb("#5c5c5c"), _rgb("#efefef")) > 5.5


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    yield win
    assert win.shutdown(), win.shutdown_registry.failures


def test_no_text_in_the_window_is_faint(window, qtbot):
    faint = []
    for title in TAB_TITLES:
        if title == "Inspector":
            continue   # it builds a model (TensorFlow); its colours are checked by the same rule in its own tests
        window.tabs.setCurrentIndex(TAB_TITLES.index(title))
        qtbot.wait(50)
        page = window.tabs.currentWidget()
        for w in [page, *page.findChildren(QWidget)]:
            if not isinstance(w, TEXT_WIDGETS):
                continue   # a frame's line or a plot's pen is not text
            sheet = w.styleSheet() or ""
            own_bg = BACKGROUND.search(sheet)
            bg = _rgb(own_bg.group(1)) if own_bg else w.palette().window().color().getRgbF()[:3]
            texts = TEXT_COLOR.findall(sheet)
            if isinstance(w, (QLabel, QAbstractButton)):
                texts += TEXT_COLOR.findall(SWATCH.sub("", w.text()))
            for color in texts:
                ratio = contrast(_rgb(color), bg)
                if ratio < 4.5:
                    faint.append(f"{title}: {type(w).__name__} {w.objectName() or ''} {color} ({ratio:.1f}:1)")
    assert not faint, "\n".join(faint)
