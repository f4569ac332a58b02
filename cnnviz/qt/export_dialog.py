"""File > Export: choose a format and a place; the export runs off the GUI thread and is verified by reloading
the file with its own runtime. The dialog reports size, time and the largest difference from the live model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from cnnviz.core.io.export import FORMATS, ExportReport, export_model, normalise_path
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
        self.path_edit = QLineEdit(str(Path(folder or Path.home()) / name))
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
    def _on_browse_clicked(self) -> None:
        if self.format == "savedmodel":
            path = QFileDialog.getExistingDirectory(self, "Folder for the SavedModel", self.path_edit.text())
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export model", self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    @Slot()
    def start_export(self) -> None:
        """Export on the TensorFlow lane; the job's ``finished``/``failed`` update the dialog."""
        target = normalise_path(self.format, self.path_edit.text().strip())
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
            f"<b>✓ Exported and verified.</b><br>{report.path}<br>{report.size_bytes / 1024:,.0f} KB, "
            f"{report.seconds:.1f} s; largest difference from the live model on {report.images} images: "
            f"{report.max_abs_diff:.1e}")

    @Slot(str, str, str)
    def _on_export_failed(self, _key: str, message: str, _details: str) -> None:
        self.export_button.setEnabled(True)
        self.result_label.setText(f"<span style='color:#c62828'><b>✗ Export failed.</b> {message.splitlines()[0]}"
                                  "</span><br>Nothing was written; an existing file there is unchanged.")
