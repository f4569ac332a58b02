"""Icons: the app icon (resources/icons/cnnviz.svg) and the style's standard icons for common actions."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from cnnviz.resources import resource_path


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    """cnnviz's icon (an empty QIcon if the file is missing from a broken install: the app still runs)."""
    try:
        return QIcon(str(resource_path("icons", "cnnviz.svg")))
    except FileNotFoundError:
        return QIcon()


def standard_icon(pixmap: QStyle.StandardPixmap) -> QIcon:
    """One of the current style's icons (open, save, trash, arrows, ...)."""
    return QApplication.style().standardIcon(pixmap)
