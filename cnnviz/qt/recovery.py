"""Keeps an autosave of the model being edited and offers it back after a crash (see core/autosave.py)."""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from cnnviz.core.io.autosave import Autosave


class AutosaveController(QObject):
    """Writes the document's spec one second after the last change while it has unsaved edits."""

    failed = Signal(str)

    def __init__(self, document, autosave: Autosave | None = None, delay_ms: int = 1000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.autosave = autosave or Autosave()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self._on_timer_timeout)
        document.spec_changed.connect(self._on_document_spec_changed)
        document.dirty_changed.connect(self._on_document_dirty_changed)
        self._warned = False

    @Slot()
    def _on_document_spec_changed(self) -> None:
        if self.document.is_dirty:
            self.timer.start()

    @Slot(bool)
    def _on_document_dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            self.timer.stop()
            self.autosave.clear()  # saved (or discarded): nothing to recover

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.save_now()

    def save_now(self) -> None:
        path = self.document.path
        try:
            self.autosave.write(self.document.spec, str(path) if path else None)
        except OSError as exc:
            if not self._warned:  # say it once, not at every edit
                self._warned = True
                self.failed.emit(f"Autosave failed ({exc.strerror or exc}); save your model with Ctrl+S.")

    def shutdown(self) -> None:
        """Clean exit: the autosave is no longer needed."""
        self.timer.stop()
        self.autosave.clear()


def offer_recovery(parent: QWidget, document, autosave: Autosave) -> bool:
    """If a crashed session left an autosave, ask whether to restore it. True when it was restored."""
    recovered = autosave.recoverable()
    if recovered is None:
        return False
    where = f" (from {recovered.source_path})" if recovered.source_path else ""
    answer = QMessageBox.question(
        parent, "Recover unsaved model",
        f"cnnviz did not close normally last time. An autosaved model “{recovered.spec.name}” with "
        f"{len(recovered.spec.layers)} layers{where}, saved at {recovered.saved_at}, can be restored.\n\n"
        "Restore it?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes)
    if answer != QMessageBox.StandardButton.Yes:
        autosave.clear()
        return False
    document.new(recovered.spec)
    document.replace_spec(recovered.spec.copy(), "Recovered model")  # dirty: the user still has to save it
    return True
