"""Imports TensorFlow on a worker thread and reports when it is ready (or failed)."""
from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot


class _ImportWorker(QObject):
    finished = Signal(float)
    failed = Signal(str)

    @Slot()
    def run(self) -> None:
        try:
            from cnnviz.core.tf_runtime import import_tensorflow

            seconds = import_tensorflow()
        except Exception as exc:  # noqa: BLE001 - shown to the user, never swallowed
            self.failed.emit(f"TensorFlow could not be loaded: {exc}\n\n{traceback.format_exc()}")
        else:
            self.finished.emit(seconds)


class TensorFlowLoader(QObject):
    """Owns the import thread. ``ready(seconds)`` or ``failed(message)`` is emitted once, in the GUI thread."""

    ready = Signal(float)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _ImportWorker | None = None
        self.is_ready = False

    def start(self) -> None:
        if self._thread is not None or self.is_ready:
            return
        self._thread = QThread(self)
        self._thread.setObjectName("tensorflow-import")
        self._worker = _ImportWorker()
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(self._on_worker_failed)
        self._thread.start()

    @Slot(float)
    def _on_worker_finished(self, seconds: float) -> None:
        self.is_ready = True
        self._stop_thread()
        self.ready.emit(seconds)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._stop_thread()
        self.failed.emit(message)

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None
            self._worker = None

    def wait(self, msecs: int = 60000) -> bool:
        """Block until the import finished (for shutdown and tests)."""
        if self._thread is None:
            return True
        return self._thread.wait(msecs)
