"""Numbered tasks for panels that match results by number: :class:`TaskRunner` (a SerialWorker: the Training
tab's augmentation previews) and :class:`LoadRunner` (data loads: newest wins, progress, cancel; the data box).

    runner = TaskRunner("training-setup", parent)
    runner.task_done.connect(self._on_tasks_task_done)       # @Slot(int, object)
    runner.task_failed.connect(self._on_tasks_task_failed)   # @Slot(int, str, str): message, traceback
    token = runner.submit(load_dataset, "mnist")

Tasks run one after another, none is coalesced (every call reports, under its number). It is the same pattern
as every other piece of background work (cnnviz.qt.concurrency); new code uses a JobClient directly.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from .concurrency import IOPool, JobClient, SerialWorker, current_token


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



class _GrowingPool(IOPool):
    """An IOPool that never lets a stuck job hold up the next one: when every thread is busy (a cancelled load
    still inside a read that does not return), the next job gets a thread more instead of a place in the queue."""

    def _enqueue(self, job) -> None:
        pool = self._pool
        if pool.activeThreadCount() >= pool.maxThreadCount():
            pool.setMaxThreadCount(pool.activeThreadCount() + 1)
        super()._enqueue(job)


class _ProgressRelay(QObject):
    """Carries progress from a load's thread to the GUI thread (a signal emitted there, received by @Slots here).
    Parentless and held by each running load, so a load that outlives its runner still has something to emit on."""

    progress = Signal(int, str, int, int)   # token, what, done, total (-1: unknown)


def _run_load(relay: _ProgressRelay, token: int, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """In the load's thread: run ``fn`` with a cnnviz.core.data.walk progress callback that stops it when the job
    is cancelled (at the next file or row) and relays progress at most every PROGRESS_S seconds."""
    from cnnviz.core.data.walk import reporting

    job = current_token()
    last = [0.0]

    def callback(what: str, done: int, total: int | None) -> None:
        job.check()
        now = time.monotonic()
        if now - last[0] >= PROGRESS_S:
            last[0] = now
            relay.progress.emit(token, what, int(done), -1 if total is None else int(total))

    with reporting(callback):
        return fn(*args, **kwargs)


PROGRESS_S = 0.1


class LoadRunner(QObject):
    """Loads where only the newest counts (the Training tab's data box), each on a thread of this runner's pool.

        loads = LoadRunner("data-loads", parent)
        token = loads.submit(load_dataset, "mnist")   # cancels the load before it
        loads.cancel()                                # stops the current load; ``cancelled(token)`` follows

    ``done(token, result)``, ``failed(token, message, details)``, ``cancelled(token)`` and ``progress(token, what,
    done, total)`` (total -1: unknown) arrive in the GUI thread. A cancelled load stops at its next progress call
    (cnnviz.core.data.walk.report: every file of a folder walk, every few thousand index rows) and its result is
    dropped; should one be stuck inside a single read, the next load runs on another thread all the same.
    """

    done = Signal(int, object)
    failed = Signal(int, str, str)
    cancelled = Signal(int)
    progress = Signal(int, str, int, int)

    def __init__(self, name: str = "loads", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = _GrowingPool(name, max_threads=1, parent=self)
        self._client = JobClient(self.pool, self)
        self._client.finished.connect(self._on_client_finished)
        self._client.failed.connect(self._on_client_failed)
        self._client.cancelled.connect(self._on_client_cancelled)
        self._relay = _ProgressRelay()
        self._relay.progress.connect(self._on_relay_progress)
        self._next = 0
        self.current = 0   # the token of the load that counts (0: none running)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Cancel the running load (if any) and start ``fn(*args, **kwargs)``; returns its token."""
        self._client.cancel_all()
        self._next += 1
        self.current = self._next
        self._client.submit(f"load-{self._next}", _run_load, self._relay, self._next, fn, args, kwargs)
        return self._next

    def cancel(self) -> None:
        """Stop the current load; its result, if it still comes, is dropped."""
        self._client.cancel_all()

    def busy(self) -> bool:
        return self._client.busy()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        return self.pool.shutdown(timeout_ms)

    @staticmethod
    def _token(key: str) -> int:
        return int(key.rsplit("-", 1)[1])

    @Slot(str, object)
    def _on_client_finished(self, key: str, result: object) -> None:
        token = self._token(key)
        if token == self.current:
            self.current = 0
        self.done.emit(token, result)

    @Slot(str, str, str)
    def _on_client_failed(self, key: str, message: str, details: str) -> None:
        token = self._token(key)
        if token == self.current:
            self.current = 0
        self.failed.emit(token, message, details)

    @Slot(str)
    def _on_client_cancelled(self, key: str) -> None:
        token = self._token(key)
        if token == self.current:
            self.current = 0
        self.cancelled.emit(token)

    @Slot(int, str, int, int)
    def _on_relay_progress(self, token: int, what: str, done: int, total: int) -> None:
        if token == self.current:
            self.progress.emit(token, what, done, total)
