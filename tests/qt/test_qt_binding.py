"""Guards against Qt-binding bugs that would crash the app in the field.

What each test checks, by Python version:
- emitted objects (every version): an object sent through a signal 500 times has the same reference count
  afterwards (the binding neither leaks nor drops references to what it carries).
- True and False, Python < 3.12: their reference counts do not fall while signals are emitted (PySide6 6.12.0
  drops one per emit; the process aborts with "bool_dealloc" after a few thousand training events).
- True and False, Python >= 3.12: they are immortal (PEP 683), so a dropped reference cannot free them and that
  crash cannot happen; the test checks exactly this premise (their counts do not move when 10,000 references are
  made and dropped) instead of comparing counts that are pinned.
"""
from __future__ import annotations

import gc
import sys

from PySide6 import QtCore


class _Emitter(QtCore.QObject):
    as_object = QtCore.Signal(object)
    as_int = QtCore.Signal(int)
    as_bool = QtCore.Signal(bool)


def _emit_many(emitter: _Emitter, payload, count: int = 500) -> None:
    for i in range(count):
        emitter.as_object.emit(payload)
        emitter.as_int.emit(i)
        emitter.as_bool.emit(i % 2 == 0)


def test_emitted_objects_keep_their_reference_counts(qapp):
    emitter = _Emitter()
    received = []
    emitter.as_object.connect(received.append)
    payload = ["a payload"]
    gc.collect()
    before = sys.getrefcount(payload)
    _emit_many(emitter, payload)
    assert len(received) == 500 and all(r is payload for r in received)
    received.clear()
    gc.collect()
    assert sys.getrefcount(payload) == before


def test_signal_emit_keeps_the_reference_counts_of_true_and_false(qapp):
    emitter = _Emitter()
    received = []
    emitter.as_object.connect(received.append)
    emitter.as_bool.connect(received.append)
    gc.collect()
    before = sys.getrefcount(True), sys.getrefcount(False)
    if sys.version_info >= (3, 12):
        refs = [True, False] * 5000
        assert (sys.getrefcount(True), sys.getrefcount(False)) == before, "True/False are not immortal here"
        del refs
    _emit_many(emitter, True)
    assert len(received) == 1000
    received.clear()
    gc.collect()
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert after[0] >= before[0] - 5 and after[1] >= before[1] - 5, (before, after)
