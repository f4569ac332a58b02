"""Run one blocking call (import a model, export, load a dataset) on a pool thread and get the result back in
the GUI thread as a signal. Errors come back as a message, never as a silent dead thread.

    task = Task(load_model_file, path)
    task.finished.connect(self._on_import_finished)   # a @Slot(object) of a GUI-thread QObject
    task.failed.connect(self._on_import_failed)       # a @Slot(str)
    task.start()
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

_RUNNING: set["Task"] = set()  # keeps tasks (and their signal objects) alive until they report


class _Runnable(QRunnable):
    def __init__(self, task: "Task") -> None:
        super().__init__()
        self.task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        task = self.task
        try:
            result = task.fn(*task.args, **task.kwargs)
        except Exception as exc:  # noqa: BLE001 - reported to the user
            message = str(exc) or type(exc).__name__
            if not isinstance(exc, (ValueError, OSError, RuntimeError)):
                message = f"{type(exc).__name__}: {message}\n\n{traceback.format_exc()}"
            task.failed.emit(message)
        else:
            task.finished.emit(result)


class Task(QObject):
    """A call to run on QThreadPool.globalInstance(); emits ``finished(result)`` or ``failed(message)`` once."""

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.finished.connect(self._on_done)
        self.failed.connect(self._on_done)

    def start(self) -> "Task":
        _RUNNING.add(self)
        QThreadPool.globalInstance().start(_Runnable(self))
        return self

    def _on_done(self, *_: Any) -> None:
        _RUNNING.discard(self)


def wait_for_tasks(msecs: int = 30000) -> bool:
    """Block until every pool task has finished (at shutdown and in tests)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
