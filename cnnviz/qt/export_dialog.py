"""File > Export: choose a format and a place; the export runs off the GUI thread and is verified by reloading
the file with its own runtime. The dialog reports size, time and the largest difference from the live model.

The suggested name comes from the model's name, made a plain file name (no folders, no ``..``), so the target
always lies in the folder shown; a relative path typed in is taken inside that folder, never the process's
working folder. What the export would replace is checked before it starts (core/io/files: a previous export
goes to the trash, a folder cnnviz did not write is refused)."""
from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from cnnviz.core.io.export import FORMATS, ExportError, ExportReport, check_target, export_model, normalise_path
from cnnviz.core.io.files import TargetRefused, path_inside, safe_file_name
from cnnviz.qt.concurrency import JobClient, SerialWorker


class ExportDialog(QDialog):
    def __init__(self, model, *, x_check: np.ndarray | None = None, folder: str = "", name: str = "model",
                 worker: SerialWorker | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export model")
        self.model = model
        self.x_check = x_check
        self.report: ExportReport | None = None
        # The export runs on the app's TensorFlow lane (a worker of the dialog's own when none is given).
        self._own = worker is None
        self._jobs = JobClient(SerialWorker("export", self) if worker is None else worker, self)
        self._jobs.finished.connect(self._on_export_finished)
        self._jobs.failed.connect(self._on_export_failed)
        self.format_box = QComboBox()
        for key, (_suffix, text) in FORMATS.items():
            self.format_box.addItem(text, key)
        self.folder = Path(folder or Path.home()).expanduser()
        self.path_edit = QLineEdit(str(path_inside(self.folder, safe_file_name(name))))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format", self.format_box)
        form.addRow("Save to", row)
        self.result_label = QLabel("Every export is loaded back and its predictions compared with the live model.")
        self.result_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.start_export)
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed()
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.resize(620, 200)

    @property
    def format(self) -> str:
        return self.format_box.currentData()

    @Slot()
    def _on_format_changed(self, *_) -> None:
        """The file name follows the format: its suffix replaces another format's (model.keras -> model.tflite,
        never model.keras.tflite); a SavedModel is a folder, so it has none."""
        text = self.path_edit.text().rstrip()
        if not text:
            return
        stem = text
        for suffix in sorted((sfx for sfx, _ in FORMATS.values() if sfx), key=len, reverse=True):
            if stem.endswith(suffix) and len(stem) > len(suffix):
                stem = stem[:-len(suffix)]
                break
        self.path_edit.setText(stem + FORMATS[self.format][0])

    @Slot()
    def _on_browse_clicked(self) -> None:
        if self.format == "savedmodel":
            path = QFileDialog.getExistingDirectory(self, "Folder for the SavedModel", self.path_edit.text())
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export model", self.path_edit.text())
        if path:
            self.folder = Path(path) if self.format == "savedmodel" else Path(path).parent
            self.path_edit.setText(path)

    def target(self) -> Path:
        """The path the export will write: the text typed (a relative path inside the dialog's folder) with the
        format's suffix. Raises ExportError for a path that names no file or cannot take the export."""
        text = self.path_edit.text().strip()
        if not text:
            raise ExportError("give a file name to export to")
        path = Path(text).expanduser()
        if not path.is_absolute():   # typed relative: inside the folder shown, never above it
            path = self.folder / path
            folder = os.path.abspath(self.folder)
            if os.path.commonpath([folder, os.path.abspath(path)]) != folder or os.path.abspath(path) == folder:
                raise ExportError(f"{text!r} would lie outside {self.folder}; give a file name in that folder")
        try:
            path = path_inside(path.parent, path.name)
        except TargetRefused as exc:
            raise ExportError(str(exc)) from None
        path = normalise_path(self.format, path)
        check_target(self.format, path)
        return path

    @Slot()
    def start_export(self) -> None:
        """Export on the TensorFlow lane; the job's ``finished``/``failed`` update the dialog."""
        try:
            target = self.target()
        except ExportError as exc:
            self._show_failure(str(exc), written=False)
            return
        self.export_button.setEnabled(False)
        self.result_label.setText(f"Exporting to {target} and verifying…")
        self._jobs.submit("export", export_model, self.model, self.format, target, x_check=self.x_check)

    def busy(self) -> bool:
        return self._jobs.busy()

    def shutdown(self, timeout_ms: int = 60000) -> bool:
        """Stop the dialog's own worker (an app lane is stopped by the window's registry)."""
        return self._jobs.executor.shutdown(timeout_ms) if self._own else True

    @Slot(str, object)
    def _on_export_finished(self, _key: str, report: ExportReport) -> None:
        self.report = report
        self.export_button.setEnabled(True)
        self.result_label.setText(
            f"<b>✓ Exported and verified.</b><br>{html.escape(str(report.path))}<br>"
            f"{report.size_bytes / 1024:,.0f} KB, "
            f"{report.seconds:.1f} s; largest difference from the live model on {report.images} images: "
            f"{report.max_abs_diff:.1e}" + (f"<br>{html.escape(report.previous)}." if report.previous else ""))

    @Slot(str, str, str)
    def _on_export_failed(self, _key: str, message: str, _details: str) -> None:
        self._show_failure(message, written="was written but" in message)

    def _show_failure(self, message: str, *, written: bool) -> None:
        self.export_button.setEnabled(True)
        lines = message.splitlines() or ["unknown error"]
        after = "" if written else "<br>Nothing was written; an existing file there is unchanged."
        self.result_label.setText(f"<span style='color:#c62828'><b>✗ Export failed.</b> {html.escape(lines[0])}"
                                  f"</span>{after}")
