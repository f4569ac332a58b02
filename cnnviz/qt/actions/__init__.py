"""The window's menu actions, beside the window (cnnviz.qt.main_window keeps the window, tabs and menus)."""
from .common import make_action
from .files import SPEC_FILTER, DocumentActions
from .runs import RunMenuActions

__all__ = ["SPEC_FILTER", "DocumentActions", "RunMenuActions", "make_action"]
