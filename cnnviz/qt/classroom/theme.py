"""View > Theme: System (follows the desktop's light or dark setting, Qt 6.5+), Light or Dark.

Dark is a palette for Qt's Fusion style (the same on every platform); the plots follow through
cnnviz.qt.classroom.plots. Light is the style's own standard palette. "System" asks Qt's style hints
(``QStyleHints.colorScheme``) and follows them when the desktop switches.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")
DEFAULT_THEME = "system"

_original: dict = {}


def _remember_original() -> None:
    app = QApplication.instance()
    if not _original:
        _original["palette"] = QPalette(app.palette())
        _original["style"] = app.style().name()


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def resolve(theme: str) -> bool:
    """Whether ``theme`` ("system", "light", "dark") means dark right now."""
    return theme == "dark" or (theme == "system" and system_is_dark())


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, alt, text = QColor("#2b2d30"), QColor("#1e1f22"), QColor("#313338"), QColor("#e6e6e6")
    disabled = QColor("#8a8d93")
    highlight = QColor("#3d7bd9")
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: alt,
        QPalette.ColorRole.ToolTipBase: QColor("#3c3f41"), QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: disabled, QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#3c3f41"), QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"), QPalette.ColorRole.Light: QColor("#4a4d52"),
        QPalette.ColorRole.Midlight: QColor("#3c3f41"), QPalette.ColorRole.Mid: QColor("#2f3134"),
        QPalette.ColorRole.Dark: QColor("#18191b"), QPalette.ColorRole.Shadow: QColor("#000000"),
        QPalette.ColorRole.Highlight: highlight, QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#7aa7ff"), QPalette.ColorRole.LinkVisited: QColor("#b38cff"),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def apply_theme(theme: str) -> bool:
    """Apply ``theme`` to the application; returns whether it is dark."""
    _remember_original()
    app = QApplication.instance()
    dark = resolve(theme)
    if dark:
        if app.style().name().lower() not in ("fusion",):
            app.setStyle("Fusion")   # native styles (Windows Vista, macOS) ignore most of a palette
        app.setPalette(dark_palette())
    else:
        if app.style().name() != _original["style"]:
            app.setStyle(_original["style"])
        palette = app.style().standardPalette() if theme == "light" and system_is_dark() else _original["palette"]
        if app.palette() != palette:   # setting the same palette again would still repaint every widget
            app.setPalette(palette)
    return dark
