"""File > New / Open / Save / Save as / Open recent for the model being edited (the app state's document)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QStyle, QWidget

from cnnviz.core.model.spec import SpecError

from .common import make_action

SPEC_FILTER = "cnnviz model spec (*.json);;All files (*)"


class DocumentActions(QObject):
    """The spec file actions. ``message(text, ms)`` is a line for the status bar. ``dialog_parent`` only
    parents the dialogs; nothing else of the window is used."""

    message = Signal(str, int)

    def __init__(self, document, settings, dialog_parent: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.settings = settings
        self.dialog_parent = dialog_parent
        sk, sp = QKeySequence.StandardKey, QStyle.StandardPixmap
        self.new_action = make_action(self, "&New", self.new_model, sk.New, "Start an empty model", sp.SP_FileIcon)
        self.open_action = make_action(self, "&Open model spec…", self.open_spec, sk.Open,
                                       "Open a model spec (.json)", sp.SP_DialogOpenButton)
        self.save_action = make_action(self, "&Save model spec", self.save_spec, sk.Save, "Save the model spec",
                                       sp.SP_DialogSaveButton)
        self.save_as_action = make_action(self, "Save &as…", self.save_spec_as, sk.SaveAs,
                                          "Save the model spec under a new name")
        self.recent_menu = QMenu("Open &recent", dialog_parent)
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        self._on_recent_menu_about_to_show()

    def maybe_save(self, doing: str = "continue") -> bool:
        """Ask what to do with unsaved changes. True when it is fine to go on (saved or discarded)."""
        if not self.document.is_dirty:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.warning(
            self.dialog_parent, "Unsaved changes",
            f"The model “{self.document.display_name}” has unsaved changes.\nSave them before you {doing}?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save_spec()
        return answer == buttons.Discard

    @Slot()
    def new_model(self) -> bool:
        if not self.maybe_save("start a new model"):
            return False
        self.document.new()
        return True

    @Slot()
    def open_spec(self, path: str | Path | None = None) -> bool:
        """Open a spec file (asks for one if ``path`` is None). False if cancelled or it failed (message shown)."""
        if not self.maybe_save("open another model"):
            return False
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Open model spec",
                                                  self.settings.last_folder("spec"), SPEC_FILTER)
            if not path:
                return False
        try:
            self.document.open(path)
        except SpecError as exc:
            QMessageBox.critical(self.dialog_parent, "Open model spec",
                                 f"This model spec could not be opened.\n\n{exc}")
            if not Path(path).exists():
                self.settings.remove_recent_file(path)
            return False
        self._remember_file(Path(path))
        self.message.emit(f"Opened {path}", 5000)
        return True

    @Slot()
    def save_spec(self) -> bool:
        if self.document.path is None:
            return self.save_spec_as()
        return self._write(self.document.path)

    @Slot()
    def save_spec_as(self, path: str | Path | None = None) -> bool:
        if not path:
            suggested = str(Path(self.settings.last_folder("spec")) / f"{self.document.spec.name}.json")
            path, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Save model spec", suggested, SPEC_FILTER)
            if not path:
                return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".json")
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except OSError as exc:
            QMessageBox.critical(self.dialog_parent, "Save model spec",
                                 f"The model spec could not be saved to\n{path}\n\n{exc.strerror or exc}")
            return False
        self._remember_file(path)
        self.message.emit(f"Saved {path}", 5000)
        return True

    def _remember_file(self, path: Path) -> None:
        self.settings.add_recent_file(path)
        self.settings.set_last_folder("spec", path.parent)

    @Slot()
    def _on_recent_menu_about_to_show(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files:
            act = self.recent_menu.addAction(Path(path).name)
            act.setData(path)
            act.setStatusTip(path)
            act.triggered.connect(self._on_recent_action_triggered)
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list").triggered.connect(self._on_clear_recent_triggered)

    @Slot()
    def _on_recent_action_triggered(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.open_spec(act.data())

    @Slot()
    def _on_clear_recent_triggered(self) -> None:
        self.settings.recent_files = []
