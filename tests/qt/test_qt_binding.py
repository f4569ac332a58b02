"""Guards against Qt-binding bugs that would crash the app in the field."""
from __future__ import annotations

import gc
import sys

from PySide6 import QtCore


class _Emitter(QtCore.QObject):
    as_object = QtCore.Signal(object)
    as_int = QtCore.Signal(int)


def test_signal_emit_keeps_reference_counts(qapp):
    """PySide6 6.12.0 decrements True's reference count on every emit; on Python 3.11 the process then aborts
    ("bool_dealloc") after a few thousand training events. pyproject.toml excludes it; this catches a regression."""
    emitter = _Emitter()
    received = []
    emitter.as_object.connect(received.append)
    gc.collect()
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(500):
        emitter.as_object.emit(i)
        emitter.as_int.emit(i)
    gc.collect()
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(received) == 500
    assert after[0] >= before[0] - 5 and after[1] >= before[1] - 5, (before, after)
