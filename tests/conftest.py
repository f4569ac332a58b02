"""Test set-up shared by every test: offscreen Qt, private settings and data folders, quiet TensorFlow."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Before anything imports Qt or TensorFlow.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CNNVIZ_TF_THREADS", "2")
_PRIVATE = Path(tempfile.mkdtemp(prefix="cnnviz-tests-"))
# QSettings (IniFormat/NativeFormat on Linux) and the app's own files go to a throw-away folder, never ~.
os.environ["XDG_CONFIG_HOME"] = str(_PRIVATE / "config")
os.environ["XDG_DATA_HOME"] = str(_PRIVATE / "data")
os.environ["XDG_CACHE_HOME"] = str(_PRIVATE / "cache")
os.environ["CNNVIZ_HOME"] = str(_PRIVATE / "cnnviz-home")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("CNNVIZ_SHARED_DIR", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def mnist_npz_path() -> Path:
    """The full MNIST of ../shared/datasets. CI always has it: its absence is a failure, not a skip."""
    path = shared_dir() / "datasets" / "mnist.npz"
    assert path.is_file(), f"full MNIST expected at {path} (set CNNVIZ_SHARED_DIR to the shared folder)"
    return path


@pytest.fixture(autouse=True)
def _modal_dialogs_answer_at_once(monkeypatch):
    """A modal dialog in a test waits for a click that never comes: the run hangs until CI's budget is gone. So
    every way to open one answers at once, as a user pressing Esc or Enter would: a message box with its default
    button (else its escape button, else Cancel / No / Ok), a dialog with Rejected, a file or input dialog with
    nothing chosen. What was asked is printed (captured with the test's output). A test that wants another answer
    patches the call itself (its own monkeypatch comes after this one)."""
    try:
        from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox
    except ImportError:
        return
    sb = QMessageBox.StandardButton

    def box_exec(box, *args, **kwargs):
        button = box.defaultButton() or box.escapeButton()
        answer = box.standardButton(button) if button is not None else sb.Cancel
        print(f"[modal message box answered {answer.name}] {box.windowTitle()}: {box.text()}")
        return answer.value

    def dialog_exec(dialog, *args, **kwargs):
        print(f"[modal dialog rejected] {dialog.windowTitle()}")
        return QDialog.DialogCode.Rejected.value

    def static(kind, fallback):
        def answer(parent, title, text, buttons=None, default=sb.NoButton, *args, **kwargs):
            default = kwargs.get("defaultButton", default)
            chosen = default if default != sb.NoButton else fallback
            print(f"[QMessageBox.{kind} answered {chosen.name}] {title}: {text}")
            return chosen
        return staticmethod(answer)

    monkeypatch.setattr(QMessageBox, "exec", box_exec)
    monkeypatch.setattr(QDialog, "exec", dialog_exec)
    for kind, fallback in (("question", sb.No), ("warning", sb.Ok), ("critical", sb.Ok), ("information", sb.Ok)):
        monkeypatch.setattr(QMessageBox, kind, static(kind, fallback))
    monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda *a, **k: None))
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([], "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    for name in ("getText", "getInt", "getDouble", "getItem"):
        monkeypatch.setattr(QInputDialog, name, staticmethod(lambda *a, **k: (None, False)))


@pytest.fixture(autouse=True)
def _collect_garbage_in_the_main_thread():
    """As the app does (cnnviz/qt/gc_guard.py): never let a worker thread's allocation collect Qt objects.

    Automatic collection is off while a test runs; cycles are collected here, in the main thread, after it."""
    import gc

    gc.disable()
    yield
    _shut_down_windows()
    gc.collect()
    gc.enable()


def _shut_down_windows() -> None:
    """Stop the worker threads of every main window a test left open (as closing it does): a QThread that is
    destroyed while running aborts the whole test process."""
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in app.topLevelWidgets():
        if type(widget).__name__ == "MainWindow":
            widget.shutdown()


# ----------------------------------------------------------------------------- a hung test ends the run, with stacks
# pytest-timeout (pyproject: 300 s, thread method) reports a test stuck in Python or in a call that lets the GIL go.
# A test stuck in C while holding the GIL (a deadlock inside a library) stops every Python thread, the timeout's
# own included; only faulthandler's C watchdog still runs. It writes every thread's stack to HANG_LOG and ends the
# process, so a hang costs minutes, not the CI's whole budget; `make test` prints the file when pytest fails.
HANG_S = float(os.environ.get("CNNVIZ_HANG_S", "480"))
# One file per pytest-xdist worker (gw0, gw1, ...): each worker's watchdog ends only that worker.
HANG_LOG = Path(os.environ.get("CNNVIZ_HANG_LOG", ROOT / ".pytest-hang.log"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    HANG_LOG = HANG_LOG.with_name(f"{HANG_LOG.stem}-{os.environ['PYTEST_XDIST_WORKER']}{HANG_LOG.suffix}")
_hang_file = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    import faulthandler

    global _hang_file
    if _hang_file is None:
        _hang_file = open(HANG_LOG, "w", encoding="utf-8")  # noqa: SIM115 - open for the whole session
    _hang_file.seek(0)
    _hang_file.truncate()
    _hang_file.write(f"{item.nodeid} ran for more than {HANG_S:.0f} s; the stack of every thread:\n")
    _hang_file.flush()
    faulthandler.dump_traceback_later(HANG_S, exit=True, file=_hang_file)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def pytest_sessionfinish(session, exitstatus):
    """A run that ends normally leaves no hang log behind."""
    global _hang_file
    if _hang_file is not None:
        _hang_file.close()
        _hang_file = None
        HANG_LOG.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------- dangling threads and timers
GRACE_S = float(os.environ.get("CNNVIZ_DANGLING_GRACE_S", "10"))  # a thread or a short timer may finish this long after the test (the event loop keeps running)


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_dangling: the test may leave a QThread or a QTimer running")


@pytest.fixture(autouse=True)
def _no_dangling_qthreads_or_qtimers(request):
    """Fail a test that leaves a QThread running, a QThreadPool busy, or a QTimer active (napari's
    ``_dangling_qthreads`` idea). Only what the test itself started counts: QThread.start, QThreadPool.start
    (cnnviz.qt.concurrency's pools and the global one), QTimer.start and QTimer.singleShot are watched from the
    moment the test's own set-up begins (module-scoped fixtures set up earlier are not this test's).
    ``@pytest.mark.allow_dangling`` opts a test out (none does today)."""
    import sys

    if "PySide6.QtCore" not in sys.modules or request.node.get_closest_marker("allow_dangling"):
        yield
        return
    import time
    import weakref

    from PySide6.QtCore import QCoreApplication, QThread, QThreadPool, QTimer

    threads: list = []
    timers: list = []
    shots: list[tuple[float, int]] = []
    pools: list = []
    real_thread_start, real_timer_start = QThread.start, QTimer.start
    real_single_shot, real_pool_start = QTimer.singleShot, QThreadPool.start

    def thread_start(self, *args):
        threads.append(weakref.ref(self))
        return real_thread_start(self, *args)

    def timer_start(self, *args):
        timers.append(weakref.ref(self))
        return real_timer_start(self, *args)

    def single_shot(msec, *args, **kwargs):
        shots.append((time.monotonic() + msec / 1000.0, msec))
        return real_single_shot(msec, *args, **kwargs)

    def pool_start(self, *args, **kwargs):
        pools.append(weakref.ref(self))
        return real_pool_start(self, *args, **kwargs)

    QThread.start, QTimer.start, QTimer.singleShot, QThreadPool.start = (thread_start, timer_start,
                                                                           staticmethod(single_shot), pool_start)
    try:
        yield
    finally:
        QThread.start, QTimer.start = real_thread_start, real_timer_start
        QTimer.singleShot, QThreadPool.start = staticmethod(real_single_shot), real_pool_start
    _shut_down_windows()   # as closing them does (and the garbage fixture would do after this one)
    problems = _dangling(threads, timers, shots, pools, QCoreApplication.instance())
    if problems:
        pytest.fail("left running after the test: " + "; ".join(problems), pytrace=False)


def _alive(ref):
    import shiboken6

    obj = ref()
    return obj if obj is not None and shiboken6.isValid(obj) else None


def _dangling(threads, timers, shots, pools, app) -> list[str]:
    """What is still running after ``GRACE_S`` of event processing (single shots longer than that at once)."""
    import time

    def running_threads():
        return [t for t in map(_alive, threads) if t is not None and t.isRunning()]

    def busy_pools():
        return [p for p in map(_alive, pools) if p is not None and p.activeThreadCount() > 0]

    def pending_shots(now):
        return [ms for deadline, ms in shots if deadline > now]

    problems = [f"QTimer.singleShot({ms} ms) still pending" for ms in pending_shots(time.monotonic() + GRACE_S)]
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline:
        if not (running_threads() or busy_pools() or pending_shots(time.monotonic())
                or any(t.isActive() for t in map(_alive, timers) if t is not None and t.isSingleShot())):
            break
        if app is not None:
            app.processEvents()
        time.sleep(0.01)
    problems += [f"QThread {t.objectName() or type(t).__name__!r} is running" for t in running_threads()]
    problems += [f"QThreadPool {p.objectName() or 'global'!r} has {p.activeThreadCount()} busy thread(s)"
                 for p in busy_pools()]
    problems += [f"QTimer {t.objectName() or '(unnamed)'} ({'single shot, ' if t.isSingleShot() else ''}"
                 f"{t.interval()} ms) is active" for t in map(_alive, timers) if t is not None and t.isActive()]
    return problems
