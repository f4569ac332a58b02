"""The main window: one tab per panel, a menu bar and a status bar saying what TensorFlow is doing."""
from __future__ import annotations

import sys
import traceback

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from cnnviz.qt.tf_loader import TensorFlowLoader


def _placeholder(text: str) -> QWidget:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class MainWindow(QMainWindow):
    def __init__(self, *, load_tensorflow: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("cnnviz")
        self.resize(1200, 800)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for title, text in (("Builder", "Model builder"), ("Training", "Training"),
                            ("Inspector", "Inspector"), ("Draw", "Draw a digit")):
            self.tabs.addTab(_placeholder(text), title)
        self.setCentralWidget(self.tabs)
        self.tf_status = QLabel("TensorFlow: not loaded")
        self.statusBar().addPermanentWidget(self.tf_status)
        self.tf_loader = TensorFlowLoader(self)
        self.tf_loader.ready.connect(self._on_tf_loader_ready)
        self.tf_loader.failed.connect(self._on_tf_loader_failed)
        self._load_tensorflow = load_tensorflow

    @Slot()
    def start_background_work(self) -> None:
        if self._load_tensorflow:
            self.tf_status.setText("TensorFlow: loading…")
            self.tf_loader.start()

    @Slot(float)
    def _on_tf_loader_ready(self, seconds: float) -> None:
        self.tf_status.setText("TensorFlow: ready")
        self.statusBar().showMessage(f"TensorFlow loaded in {seconds:.1f} s", 5000)

    @Slot(str)
    def _on_tf_loader_failed(self, message: str) -> None:
        self.tf_status.setText("TensorFlow: failed to load")
        QMessageBox.critical(self, "cnnviz", message.split("\n\n")[0])

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.tf_loader.wait()
        super().closeEvent(event)


def install_excepthook(window: QWidget) -> None:
    """Show unexpected errors in a dialog instead of dying silently (the traceback also goes to stderr)."""
    def hook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        print(text, file=sys.stderr)
        box = QMessageBox(QMessageBox.Icon.Critical, "cnnviz: unexpected error",
                          f"{exc_type.__name__}: {exc}", parent=window)
        box.setDetailedText(text)
        box.exec()

    sys.excepthook = hook
