"""The one way cnnviz does background work in the GUI.

* :class:`SerialWorker`: one QThread that runs jobs one after another. Its ``run()`` serves a queue for the
  thread's whole life, so the thread keeps ONE Python thread state (see "Why a serving loop" below).
* :class:`IOPool`: a QThreadPool of its own for plain file I/O (reading an index, a dataset file), same API.
* :class:`JobClient`: what a panel holds. ``client.submit(key, fn, *args)`` queues ``fn(*args)`` on a worker or a
  pool; the result comes back in the GUI thread as ``finished(key, result)``, an error as ``failed(key, message,
  details)`` (message + traceback; a job never dies silently). Connect them to ``@Slot`` methods, never lambdas:
  on PySide6 a lambda connected to a signal emitted from another thread can run in that thread.
* Keys: a newer job with the same key (of the same client) replaces a queued one (coalescing: scrolling through
  images never queues a backlog) and tells a running one to cancel; the older job's result is then dropped, so
  a client only ever sees the newest answer for a key. ``key=None`` jobs are never coalesced.
* Cancelling: a job reads its token with :func:`current_token` (``token.cancelled`` / ``token.check()``).
* :class:`ShutdownRegistry`: everything to stop at close, stopped (and waited on) by one ``shutdown()`` call.
* :class:`Background`: the app's lanes: ``tf`` (interactive TensorFlow work: the import, model preparation,
  inspection, augmentation previews, import/export), ``training`` (minutes-long fits, so they never freeze the
  interactive lane) and ``io`` (the pool), registered with one registry.

Why a serving loop and not one queued slot call per job (checked with PySide6 6.11.3 + TensorFlow 2.21, scripts
in the issue note): PySide6 gives a QThread a fresh Python thread state for every slot call, so ``threading.local``
data set in one slot call reads ``None`` in the next (same OS thread). TensorFlow keeps graph-building state in
thread-locals. When TensorFlow is first imported and used inside a slot call of a worker thread, tracing a new
``tf.function`` in a LATER slot call of that thread hangs in ``ops.graph_def_versions`` (the inspector's old comment
reported a segfault with 6.12: the same defect). When TensorFlow was imported on another thread first (the main
thread, or the app's separate import thread), five slot calls in a row, each with a fit and new tf.functions, ran
fine: that is why the other workers seemed to prove the comment wrong. It depends on where TensorFlow happened to
be imported first, so the one pattern avoids the question: ``QThread.run()`` loops over a queue, one Python call,
one thread state for the thread's life (tests/qt/test_concurrency.py traces new functions in later jobs).
"""
from __future__ import annotations

import itertools
import threading
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThread, QThreadPool, Signal, Slot


class Cancelled(Exception):
    """Raised by :meth:`CancelToken.check` inside a job that was told to stop; the job then reports nothing."""


class CancelToken:
    """A thread-safe flag a job checks now and then (a ``threading.Event`` underneath)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` when the job was told to stop."""
        if self._event.is_set():
            raise Cancelled()


_NEVER = CancelToken()
_local = threading.local()   # one per serving thread: the token of the job running there


def current_token() -> CancelToken:
    """The token of the job running in this thread (a never-cancelled one outside jobs)."""
    return getattr(_local, "token", None) or _NEVER


def error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(eq=False)
class Job:
    """One submitted call. ``key`` None: never coalesced. Only the GUI thread touches ``client``."""

    client: "JobClient"
    key: str | None
    fn: Callable[..., Any]
    args: tuple
    kwargs: dict
    token: CancelToken = field(default_factory=CancelToken)
    number: int = 0

    def run(self) -> tuple[str, Any, str]:
        """Run in the worker thread: ``("ok", result, "")``, ``("failed", message, traceback)`` or
        ``("cancelled", None, "")``."""
        _local.token = self.token
        try:
            if self.token.cancelled:
                return "cancelled", None, ""
            return "ok", self.fn(*self.args, **self.kwargs), ""
        except Cancelled:
            return "cancelled", None, ""
        except Exception as exc:  # noqa: BLE001 - reported to the GUI, never swallowed
            return "failed", error_text(exc), traceback.format_exc()
        finally:
            _local.token = None


_numbers = itertools.count(1)


class _Executor(QObject):
    """What SerialWorker and IOPool share: clients, the jobs in flight, the report back to the GUI thread."""

    busy_changed = Signal(bool)
    _job_done = Signal(object, str, object, str)   # job, outcome, result or message, details (any thread)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._lock = threading.Lock()
        self._active: list[Job] = []    # submitted, not yet reported (GUI thread only)
        self._closed = False
        # Queued explicitly: the signal is emitted in a worker thread, the slot runs in this object's (GUI) thread.
        self._job_done.connect(self._on_job_done, Qt.ConnectionType.QueuedConnection)

    # --- GUI thread -----------------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def busy(self) -> bool:
        return bool(self._active)

    def client(self, parent: QObject | None = None) -> "JobClient":
        return JobClient(self, parent)

    def _submit(self, job: Job) -> Job | None:
        if self._closed:
            return None
        job.number = next(_numbers)
        if job.key is not None:
            for old in self._active:
                if old.client is job.client and old.key == job.key:
                    old.token.cancel()   # its result, if it still comes, is dropped
        was_busy = self.busy()
        self._active.append(job)
        job.client._count(+1)
        self._enqueue(job)
        if not was_busy:
            self.busy_changed.emit(True)
        return job

    def _enqueue(self, job: Job) -> None:
        raise NotImplementedError

    @Slot(object, str, object, str)
    def _on_job_done(self, job: Job, outcome: str, value: object, details: str) -> None:
        if job in self._active:
            self._active.remove(job)
        client = job.client
        if shiboken6.isValid(client):
            client._count(-1)
            if job.token.cancelled or outcome == "cancelled":
                client.cancelled.emit(job.key or "")
            elif outcome == "ok":
                client.finished.emit(job.key or "", value)
            else:
                client.failed.emit(job.key or "", str(value), details)
        if not self._active:
            self.busy_changed.emit(False)

    def cancel_client(self, client: "JobClient") -> None:
        for job in self._active:
            if job.client is client:
                job.token.cancel()


class SerialWorker(_Executor):
    """One thread, jobs one after another (in submission order; a coalesced job takes its predecessor's place).

    The thread starts with the first job; :meth:`shutdown` drops queued jobs, cancels the running one, and
    waits for the thread to end. A closed worker refuses new jobs (``submit`` returns None).
    """

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(name, parent)
        self._queue: deque[Job] = deque()
        self._wake = threading.Condition(self._lock)
        self._thread: _ServingThread | None = None

    def _enqueue(self, job: Job) -> None:
        with self._wake:
            if job.key is not None:
                for i, old in enumerate(self._queue):
                    if old.client is job.client and old.key == job.key:
                        self._queue[i] = job     # coalesced: the newest takes the queued one's place
                        self._active.remove(old)
                        old.client._count(-1)
                        break
                else:
                    self._queue.append(job)
            else:
                self._queue.append(job)
            self._wake.notify()
        if self._thread is None:
            self._thread = _ServingThread(self)
            self._thread.setObjectName(self.name)
            self._thread.start()

    def _next(self) -> Job | None:
        """Worker thread: the next job, or None when the worker is closed."""
        with self._wake:
            while not self._queue and not self._closed:
                self._wake.wait()
            return None if self._closed else self._queue.popleft()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Drop queued jobs, cancel the running one, stop the thread. True when it has ended within the time."""
        with self._wake:
            self._closed = True
            self._queue.clear()
            self._wake.notify_all()
        for job in self._active:
            job.token.cancel()
        if self._thread is None:
            return True
        return self._thread.wait(timeout_ms)


class _ServingThread(QThread):
    def __init__(self, worker: SerialWorker) -> None:
        super().__init__()   # no parent: the worker keeps it; its wait() happens in shutdown()
        self._worker = worker

    def run(self) -> None:  # one Python call for the thread's whole life (see the module docstring)
        worker = self._worker
        while True:
            job = worker._next()
            if job is None:
                return
            outcome, value, details = job.run()
            worker._job_done.emit(job, outcome, value, details)


class _PoolRunnable(QRunnable):
    def __init__(self, pool: "IOPool", job: Job) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._pool, self._job = pool, job

    def run(self) -> None:
        outcome, value, details = self._job.run()
        self._pool._job_done.emit(self._job, outcome, value, details)


class IOPool(_Executor):
    """Plain file I/O jobs (no TensorFlow) on a thread pool of this object's own, so shutdown can wait for it."""

    def __init__(self, name: str = "io", max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(name, parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._pool.setObjectName(name)

    def _enqueue(self, job: Job) -> None:
        self._pool.start(_PoolRunnable(self, job))

    def active_threads(self) -> int:
        return self._pool.activeThreadCount()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        self._closed = True
        self._pool.clear()        # queued runnables never start (their jobs are not reported)
        for job in self._active:
            job.token.cancel()
        return self._pool.waitForDone(timeout_ms)


class JobClient(QObject):
    """A GUI-thread QObject through which one panel submits jobs to a :class:`SerialWorker` or :class:`IOPool`.

    Signals (GUI thread): ``finished(key, result)``, ``failed(key, message, details)``, ``cancelled(key)`` (a
    job that was replaced or cancelled; most receivers ignore it), ``busy_changed(bool)`` (this client's jobs).
    """

    finished = Signal(str, object)
    failed = Signal(str, str, str)
    cancelled = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, executor: _Executor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.executor = executor
        self._pending = 0

    def submit(self, key: str | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job | None:
        """Queue ``fn(*args, **kwargs)``; None when the executor is closed (the app is closing)."""
        return self.executor._submit(Job(self, key, fn, args, kwargs))

    def busy(self) -> bool:
        return self._pending > 0

    def wait(self, msecs: int = 60000) -> bool:
        """Run the GUI event loop until this client's jobs have been answered (tests and previews); False if not
        within ``msecs``."""
        import threading

        from PySide6.QtCore import QCoreApplication, QDeadlineTimer

        deadline = QDeadlineTimer(msecs)
        while self.busy() and not deadline.hasExpired():
            QCoreApplication.processEvents()
            threading.Event().wait(0.005)
        return not self.busy()

    def cancel_all(self) -> None:
        """Tell every job of this client to stop; their results are dropped."""
        self.executor.cancel_client(self)

    def _count(self, delta: int) -> None:
        before = self._pending
        self._pending += delta
        if (before == 0) != (self._pending == 0):
            self.busy_changed.emit(self._pending > 0)


class ShutdownRegistry:
    """Things to stop when the window closes, in the order they were added. Each is an object with
    ``shutdown(timeout_ms)`` or a callable taking no arguments; ``shutdown`` runs them once (later calls do
    nothing) and returns True when every one reported success (None counts as success)."""

    def __init__(self) -> None:
        self._items: list[tuple[str, Any]] = []
        self._done = False
        self.failures: list[str] = []

    def add(self, name: str, thing: Any) -> Any:
        self._items.append((name, thing))
        return thing

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._items]

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        if self._done:
            return not self.failures
        self._done = True
        for name, thing in self._items:
            try:
                ok = thing.shutdown(timeout_ms) if hasattr(thing, "shutdown") else thing()
            except Exception as exc:  # noqa: BLE001 - closing goes on; the failure is recorded
                ok = False
                traceback.print_exc()
                name = f"{name} ({error_text(exc)})"
            if ok is False:
                self.failures.append(name)
        return not self.failures


class Background(QObject):
    """The app's background lanes, one pattern: ``tf`` and ``training`` are SerialWorkers, ``io`` an IOPool.

    Two TensorFlow lanes, not one: a training run holds its lane for minutes, and inspection, the Draw tab's
    model preparation and previews must stay live meanwhile. Each lane is serial, so work on one lane never
    races itself; across lanes, interactive work uses copies of trained weights (the training worker hands
    out a copy at the end of a run), never the weights being fitted.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.registry = ShutdownRegistry()
        self.training = self.registry.add("training lane", SerialWorker("training", self))
        self.tf = self.registry.add("tensorflow lane", SerialWorker("tensorflow", self))
        self.io = self.registry.add("file I/O pool", IOPool("io", parent=self))

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        return self.registry.shutdown(timeout_ms)
