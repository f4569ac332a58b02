"""One way to make a QAction: text, @Slot, shortcut, tip, standard icon."""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from cnnviz.qt.icons import standard_icon


def make_action(parent: QObject, text: str, slot, shortcut=None, tip: str = "", icon=None) -> QAction:
    act = QAction(text, parent)
    if icon is not None:
        act.setIcon(standard_icon(icon))
    if shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    if tip:
        act.setStatusTip(tip)
        act.setToolTip(tip)
    act.triggered.connect(slot)
    return act
