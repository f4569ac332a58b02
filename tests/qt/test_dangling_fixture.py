"""The autouse fixture of tests/conftest.py is real: tests that leave a thread, a timer or a long single shot
running go red, a clean one stays green (run in a separate pytest process with this project's conftest)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

LEAKS = '''
import time
from PySide6.QtCore import QThread, QTimer


class Sleeper(QThread):
    def run(self):
        time.sleep(3)


def test_leaks_a_thread(qapp):
    t = Sleeper()
    t.start()
    test_leaks_a_thread.keep = t


def test_leaks_a_timer(qapp):
    t = QTimer()
    t.setInterval(100)
    t.start()
    test_leaks_a_timer.keep = t


def test_leaks_a_long_single_shot(qapp):
    QTimer.singleShot(60_000, qapp.quit)


def test_clean(qapp, qtbot):
    t = QTimer()
    t.setSingleShot(True)
    t.start(50)          # fires within the grace time
    s = Sleeper()
    s.start()
    s.wait()
'''


def test_the_fixture_fails_tests_that_leave_threads_or_timers_running(tmp_path):
    root = Path(__file__).resolve().parents[1]
    shutil.copy(root / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_leaks.py").write_text(LEAKS)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_leaks.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240,
                          env={**__import__("os").environ, "CNNVIZ_DANGLING_GRACE_S": "1"})
    out = proc.stdout + proc.stderr
    assert "ERROR test_leaks.py::test_leaks_a_thread - Failed: left running" in out, out
    assert "ERROR test_leaks.py::test_leaks_a_timer - Failed: left running" in out, out
    assert "ERROR test_leaks.py::test_leaks_a_long_single_shot - Failed: left running" in out, out
    assert "QThread 'Sleeper' is running" in out and "QTimer (unnamed) (100 ms) is active" in out, out
    assert "4 passed, 3 errors" in out, out
