"""Run Python's cyclic garbage collector in the GUI thread only.

Python collects cycles in whichever thread happens to allocate. When that is a worker (training, export,
inspection), unreachable Qt widgets and timers are destroyed from the wrong thread: "QBasicTimer::stop: Failed.
Possibly trying to stop from a different thread", then a segfault (seen here during a TFLite export). So the
automatic collector is switched off and a timer in the GUI thread collects instead, generation by generation,
with the thresholds Python would use (the approach of pyqtgraph's GarbageCollector).
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot


class MainThreadGarbageCollector(QObject):
    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._on_timer_timeout)
        gc.disable()
        self.timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.collect_if_due()

    def collect_if_due(self) -> None:
        count0, count1, count2 = gc.get_count()
        if count0 > self.threshold[0]:
            gc.collect(0)
            if count1 > self.threshold[1]:
                gc.collect(1)
                if count2 > self.threshold[2]:
                    gc.collect(2)

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()
