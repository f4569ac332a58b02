"""Imports TensorFlow on the interactive TensorFlow lane (cnnviz.qt.concurrency) and reports when it is ready.

Importing on the lane that then runs the Draw tab's and the inspector's TensorFlow work means the import is
simply the first job there: later jobs queue behind it instead of racing it.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from .concurrency import JobClient, SerialWorker


def _import() -> float:
    from cnnviz.core.tf_runtime import import_tensorflow

    return import_tensorflow()


class TensorFlowLoader(QObject):
    """``ready(seconds)`` or ``failed(message)`` is emitted once, in the GUI thread. Without a ``worker`` it
    makes (and owns) a SerialWorker of its own."""

    ready = Signal(float)
    failed = Signal(str)

    def __init__(self, worker: SerialWorker | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._own = worker is None
        self.worker = SerialWorker("tensorflow-import", self) if worker is None else worker
        self._jobs = JobClient(self.worker, self)
        self._jobs.finished.connect(self._on_jobs_finished)
        self._jobs.failed.connect(self._on_jobs_failed)
        self.is_ready = False
        self._started = False

    def start(self) -> None:
        if self._started or self.is_ready:
            return
        self._started = True
        self._jobs.submit("import", _import)

    def busy(self) -> bool:
        return self._jobs.busy()

    @Slot(str, object)
    def _on_jobs_finished(self, _key: str, seconds: float) -> None:
        self.is_ready = True
        self.ready.emit(float(seconds))

    @Slot(str, str, str)
    def _on_jobs_failed(self, _key: str, message: str, details: str) -> None:
        self._started = False
        self.failed.emit(f"TensorFlow could not be loaded: {message}\n\n{details}")

    def shutdown(self, timeout_ms: int = 60000) -> bool:
        """Stop the worker if it is this loader's own (the app's lanes are stopped by their registry)."""
        return self.worker.shutdown(timeout_ms) if self._own else True
