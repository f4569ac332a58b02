"""Numbered tasks on a SerialWorker, for panels that match results by number (the Training tab's data box).

    runner = TaskRunner("training-setup", parent)
    runner.task_done.connect(self._on_tasks_task_done)       # @Slot(int, object)
    runner.task_failed.connect(self._on_tasks_task_failed)   # @Slot(int, str, str): message, traceback
    token = runner.submit(load_dataset, "mnist")

Tasks run one after another, none is coalesced (every call reports, under its number). It is the same pattern
as every other piece of background work (cnnviz.qt.concurrency); new code uses a JobClient directly.
"""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from .concurrency import JobClient, SerialWorker


class TaskRunner(QObject):
    """One SerialWorker (its own, or the ``worker`` given) running submitted callables in order; results come
    back as ``task_done(token, result)`` / ``task_failed(token, message, details)`` in the GUI thread."""

    task_done = Signal(int, object)
    task_failed = Signal(int, str, str)

    def __init__(self, name: str = "tasks", parent: QObject | None = None, worker: SerialWorker | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._given = worker
        self._client: JobClient | None = None
        self._next = 0

    def _ensure_client(self) -> JobClient:
        if self._client is None or self._client.executor.closed:
            worker = self._given if self._given is not None else SerialWorker(self._name, self)
            self._client = JobClient(worker, self)
            self._client.finished.connect(self._on_client_finished)
            self._client.failed.connect(self._on_client_failed)
        return self._client

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Queue ``fn(*args, **kwargs)``; returns the token that its result signal carries."""
        self._next += 1
        token = self._next
        self._ensure_client().submit(f"task-{token}", fn, *args, **kwargs)
        return token

    def busy(self) -> bool:
        return self._client is not None and self._client.busy()

    @Slot(str, object)
    def _on_client_finished(self, key: str, result: object) -> None:
        self.task_done.emit(int(key.rsplit("-", 1)[1]), result)

    @Slot(str, str, str)
    def _on_client_failed(self, key: str, message: str, details: str) -> None:
        self.task_failed.emit(int(key.rsplit("-", 1)[1]), message, details)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Let the running task finish (it is told to cancel), drop queued ones, stop the thread if it is this
        runner's own. False if it did not stop in time. A later submit starts a fresh thread."""
        if self._client is None:
            return True
        if self._given is not None:
            self._client.cancel_all()
            return True
        return self._client.executor.shutdown(timeout_ms)

