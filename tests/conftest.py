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
