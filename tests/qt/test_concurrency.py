"""cnnviz.qt.concurrency: serial order, coalescing by key, cancellation, errors as signals, the I/O pool, one
shutdown registry, and TensorFlow across many jobs on one worker thread."""
from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QObject, QThread, Slot

from cnnviz.qt.concurrency import (Background, IOPool, JobClient, SerialWorker, ShutdownRegistry, current_token)


class Recorder(QObject):
    """A GUI-thread receiver with @Slot methods, as panels have."""

    def __init__(self, client: JobClient) -> None:
        super().__init__()
        self.results: list[tuple[str, object]] = []
        self.failures: list[tuple[str, str, str]] = []
        self.cancelled: list[str] = []
        self.threads: list[bool] = []
        client.finished.connect(self.on_finished)
        client.failed.connect(self.on_failed)
        client.cancelled.connect(self.on_cancelled)

    @Slot(str, object)
    def on_finished(self, key: str, result: object) -> None:
        self.threads.append(QThread.currentThread() is self.thread())
        self.results.append((key, result))

    @Slot(str, str, str)
    def on_failed(self, key: str, message: str, details: str) -> None:
        self.failures.append((key, message, details))

    @Slot(str)
    def on_cancelled(self, key: str) -> None:
        self.cancelled.append(key)


@pytest.fixture
def worker(qapp):
    w = SerialWorker("test-worker")
    yield w
    assert w.shutdown(10_000)


def _gate():
    """A job that blocks until the returned event is set (to hold the worker while more jobs are queued)."""
    event = threading.Event()

    def hold():
        assert event.wait(10)
        return "held"

    return event, hold


def test_jobs_run_in_order_on_one_thread_and_report_in_the_gui_thread(qtbot, worker):
    client = JobClient(worker)
    rec = Recorder(client)
    idents = []
    for i in range(5):
        client.submit(None, lambda i=i: (idents.append(threading.get_ident()), i)[1])
    qtbot.waitUntil(lambda: len(rec.results) == 5, timeout=5000)
    assert [r for _, r in rec.results] == [0, 1, 2, 3, 4]
    assert len(set(idents)) == 1 and idents[0] != threading.get_ident()
    assert all(rec.threads)  # the slots ran in the GUI thread
    assert not client.busy() and not worker.busy()


def test_a_newer_job_with_the_same_key_replaces_a_queued_one(qtbot, worker):
    client = JobClient(worker)
    rec = Recorder(client)
    gate, hold = _gate()
    client.submit("hold", hold)
    qtbot.waitUntil(lambda: not worker._queue, timeout=5000)   # "hold" runs, the rest will wait
    calls = []
    client.submit("maps", lambda: calls.append(0) or 0)
    client.submit("other", lambda: "other")
    for i in range(1, 10):
        client.submit("maps", lambda i=i: calls.append(i) or i)
    assert len(worker._queue) == 2                        # the waiting "maps" request was replaced, in place
    gate.set()
    qtbot.waitUntil(lambda: not client.busy(), timeout=5000)
    assert calls == [9]                                   # nine queued requests were never run
    assert rec.results == [("hold", "held"), ("maps", 9), ("other", "other")]  # in the first one's place
    assert rec.cancelled == []                            # replaced while waiting: nothing to report


def test_a_running_job_is_told_to_cancel_and_its_result_is_dropped(qtbot, worker):
    client = JobClient(worker)
    rec = Recorder(client)
    started = threading.Event()
    seen = []

    def slow(tag):
        started.set()
        token = current_token()
        for _ in range(500):
            if token.cancelled:
                seen.append("cancelled")
                break
            time.sleep(0.01)
        return tag

    client.submit("k", slow, "old")
    assert started.wait(5)
    client.submit("k", lambda: "new")
    qtbot.waitUntil(lambda: not client.busy(), timeout=5000)
    assert seen == ["cancelled"]
    assert rec.results == [("k", "new")] and rec.cancelled == ["k"]


def test_keys_are_per_client(qtbot, worker):
    a, b = JobClient(worker), JobClient(worker)
    ra, rb = Recorder(a), Recorder(b)
    gate, hold = _gate()
    a.submit("hold", hold)
    a.submit("model", lambda: "a")
    b.submit("model", lambda: "b")
    gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert ra.results[-1] == ("model", "a") and rb.results == [("model", "b")]


def test_an_error_becomes_a_failed_signal_with_its_traceback(qtbot, worker):
    client = JobClient(worker)
    rec = Recorder(client)

    def broken():
        raise KeyError("no such layer")

    client.submit("x", broken)
    client.submit("y", lambda: "still serving")
    qtbot.waitUntil(lambda: len(rec.results) == 1, timeout=5000)
    key, message, details = rec.failures[0]
    assert key == "x" and message == "KeyError: 'no such layer'" and "in broken" in details
    assert rec.results == [("y", "still serving")]


def test_busy_changed_follows_the_clients_jobs(qtbot, worker):
    client = JobClient(worker)
    states = []

    class Busy(QObject):
        @Slot(bool)
        def on_busy(self, busy):
            states.append(busy)

    receiver = Busy()
    client.busy_changed.connect(receiver.on_busy)
    client.submit("a", lambda: 1)
    client.submit("b", lambda: 2)
    qtbot.waitUntil(lambda: not client.busy(), timeout=5000)
    assert states == [True, False]


def test_shutdown_drops_queued_jobs_cancels_the_running_one_and_refuses_new_ones(qtbot, qapp):
    worker = SerialWorker("closing")
    client = JobClient(worker)
    ran = []
    started = threading.Event()

    def loop():
        started.set()
        while not current_token().cancelled:
            time.sleep(0.01)
        ran.append("loop")

    client.submit("loop", loop)
    client.submit("later", lambda: ran.append("later"))
    assert started.wait(5)
    assert worker.shutdown(5000)
    assert not worker.is_running() and ran == ["loop"]
    assert client.submit("after", lambda: 1) is None


def test_the_io_pool_reports_like_the_worker_and_coalesces_by_key(qtbot, qapp):
    pool = IOPool("test-io", max_threads=1)
    client = JobClient(pool)
    rec = Recorder(client)
    gate, hold = _gate()
    client.submit("hold", hold)
    for i in range(5):
        client.submit("read", lambda i=i: i)
    client.submit("bad", lambda: open("/nonexistent/file"))
    gate.set()
    qtbot.waitUntil(lambda: not client.busy(), timeout=5000)
    assert ("read", 4) in rec.results and not [r for r in rec.results if r[0] == "read" and r[1] != 4]
    assert rec.failures[0][0] == "bad" and "FileNotFoundError" in rec.failures[0][1]
    assert pool.shutdown(5000)


def test_one_registry_stops_everything_once(qapp):
    calls = []

    class Thing:
        def shutdown(self, timeout_ms):
            calls.append(("thing", timeout_ms))
            return True

    registry = ShutdownRegistry()
    registry.add("thing", Thing())
    registry.add("callable", lambda: calls.append("callable"))
    registry.add("stuck", lambda: False)
    assert registry.shutdown(1234) is False and registry.failures == ["stuck"]
    assert calls == [("thing", 1234), "callable"]
    registry.shutdown()
    assert len(calls) == 2  # idempotent


def test_the_background_lanes_are_separate_threads_with_one_registry(qtbot, qapp):
    bg = Background()
    train, tf = JobClient(bg.training), JobClient(bg.tf)
    rt, rf = Recorder(train), Recorder(tf)
    gate, hold = _gate()
    train.submit("fit", hold)               # a long training job holds its lane ...
    tf.submit("maps", lambda: "live")       # ... the interactive lane still answers
    qtbot.waitUntil(lambda: rf.results == [("maps", "live")], timeout=5000)
    assert train.busy()
    gate.set()
    qtbot.waitUntil(lambda: not train.busy(), timeout=5000)
    assert bg.registry.names == ["training lane", "tensorflow lane", "file I/O pool"]
    assert bg.shutdown(5000)


@pytest.mark.slow
def test_tensorflow_traces_new_functions_in_later_jobs_on_the_same_worker(qtbot, worker):
    """The serving loop keeps one Python thread state: a new tf.function and a fit in every job (with one slot
    call per job, PySide6 6.11 hangs in the second job's tracing)."""
    def job(n):
        import numpy as np
        import tensorflow as tf

        from cnnviz.core.tf_runtime import import_tensorflow

        import_tensorflow()

        @tf.function
        def f(x):
            return x * 2 + n

        return float(f(tf.constant(np.ones(3, np.float32)))[0])

    client = JobClient(worker)
    rec = Recorder(client)
    for n in range(3):
        client.submit(None, job, n)
    qtbot.waitUntil(lambda: len(rec.results) + len(rec.failures) == 3, timeout=120_000)
    assert not rec.failures, rec.failures
    assert [r for _, r in rec.results] == [2.0, 3.0, 4.0]
