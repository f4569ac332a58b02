"""Getting a digit model ready off the GUI thread: import TensorFlow, load the shipped model, compile a Predictor.

Each request runs on its own short-lived QThread; the newest request wins (an older one that finishes late is
dropped). Results arrive in the GUI thread through ``@Slot`` methods of :class:`ModelLoader`.
"""
from __future__ import annotations

import sys
import threading
import traceback
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from cnnviz.core.model.pretrained import DIGIT_CLASSES


@dataclass(frozen=True)
class ReadyModel:
    """A model with its compiled forward pass, ready for drawing."""

    model: object
    predictor: object
    class_names: tuple[str, ...]
    title: str
    shipped: bool


_shipped_lock = threading.Lock()
_shipped: list[ReadyModel] = []   # the shipped model is read-only here: loaded once per process, then shared


def _prepare(model, names, title: str, shipped: bool) -> ReadyModel:
    from cnnviz.core.model.inference import Predictor

    predictor = Predictor(model)
    predictor(np.zeros((1, 28, 28, 1), np.float32))  # trace the tf.function here, not on the first stroke
    return ReadyModel(model, predictor, tuple(names), title, shipped)


def shipped_ready_model() -> ReadyModel:
    """The shipped digit model with its compiled Predictor (blocking: imports TensorFlow the first time)."""
    with _shipped_lock:
        if not _shipped:
            from cnnviz.core.model.pretrained import load_shipped_model, shipped_model_info

            model = load_shipped_model()
            acc = shipped_model_info().get("test_accuracy")
            title = "shipped digit model (fast preset" + (f", {acc:.2%} on MNIST test)" if acc else ")")
            _shipped.append(_prepare(model, DIGIT_CLASSES, title, True))
        return _shipped[0]


class _PrepareWorker(QObject):
    ready = Signal(object)   # ReadyModel
    failed = Signal(str)

    def __init__(self, model=None, class_names=None, title: str = "") -> None:
        super().__init__()
        self._model = model
        self._class_names = class_names
        self._title = title

    @Slot()
    def run(self) -> None:
        try:
            if self._model is None:
                ready = shipped_ready_model()
            else:
                names = DIGIT_CLASSES if self._class_names is None else self._class_names
                ready = _prepare(self._model, names, self._title, False)
        except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
            print(traceback.format_exc(), file=sys.stderr)
            self.failed.emit(str(exc))
        else:
            self.ready.emit(ready)


class ModelLoader(QObject):
    """Prepares models in the background. ``ready(ReadyModel)`` or ``failed(message)`` for the newest request."""

    ready = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[QThread, _PrepareWorker] = {}  # kept referenced until their thread has finished
        self._latest: _PrepareWorker | None = None

    def busy(self) -> bool:
        return self._latest is not None

    def load_shipped(self) -> None:
        self._start(_PrepareWorker())

    def prepare(self, model, class_names, title: str) -> None:
        self._start(_PrepareWorker(model, class_names, title))

    def _start(self, worker: _PrepareWorker) -> None:
        thread = QThread(self)
        thread.setObjectName("draw-model-loader")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.ready.connect(self._on_worker_ready)
        worker.failed.connect(self._on_worker_failed)
        worker.ready.connect(thread.quit)
        worker.failed.connect(thread.quit)
        thread.finished.connect(self._on_thread_finished)
        self._jobs[thread] = worker
        self._latest = worker
        thread.start()

    @Slot(object)
    def _on_worker_ready(self, ready: ReadyModel) -> None:
        if self.sender() is self._latest:
            self._latest = None
            self.ready.emit(ready)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        if self.sender() is self._latest:
            self._latest = None
            self.failed.emit(message)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        if isinstance(thread, QThread) and thread in self._jobs:
            self._jobs.pop(thread)
            thread.deleteLater()

    def wait(self, msecs: int = 60000) -> bool:
        """Block until every loading thread has finished (for shutdown and tests)."""
        done = True
        for thread in list(self._jobs):
            thread.quit()
            done = thread.wait(msecs) and done
        return done
