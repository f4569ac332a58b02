"""A classroom: View > Zoom (Ctrl +/-/0), Presentation mode (F11), Theme (System / Light / Dark), F1 help for the
current tab, Help > Keyboard shortcuts. ``install_classroom(window)`` after the window's menus are built."""
from __future__ import annotations

from .controller import Classroom

__all__ = ["Classroom", "install_classroom"]


def install_classroom(window) -> Classroom:
    """Add the classroom controls to ``window`` (a QMainWindow whose View and Help menus exist); returns them."""
    return Classroom(window)
