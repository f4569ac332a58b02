"""File > Open run… / Follow run…: choose a run folder and hand it to the Runs tab through its public API."""
from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from .common import make_action


class RunMenuActions(QObject):
    """``open_run_action`` / ``follow_run_action`` ask for a folder and call ``runs.add_run(path[, follow])``."""

    def __init__(self, runs, dialog_parent: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs = runs
        self.dialog_parent = dialog_parent
        self.open_run_action = make_action(self, "Open r&un…", self._on_open_run_triggered, None,
                                           "Open a run folder written by cnnviz-cli train")
        self.follow_run_action = make_action(self, "&Follow run…", self._on_follow_run_triggered, None,
                                             "Watch a run folder that another process is writing")

    @Slot()
    def _on_open_run_triggered(self) -> None:
        path = QFileDialog.getExistingDirectory(self.dialog_parent, "Open a run folder")
        if path:
            self.runs.add_run(path)

    @Slot()
    def _on_follow_run_triggered(self) -> None:
        path = QFileDialog.getExistingDirectory(self.dialog_parent, "Follow a run folder")
        if path:
            self.runs.add_run(path, follow=True)
