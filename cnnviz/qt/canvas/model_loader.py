"""Getting a digit model ready off the GUI thread: import TensorFlow, load the shipped model, compile a Predictor.

Requests are jobs on the interactive TensorFlow lane (cnnviz.qt.concurrency) under one key, so the newest
request wins: an older one still queued is replaced, a running one is told to cancel and its result dropped.
Results arrive in the GUI thread through ``@Slot`` methods of :class:`ModelLoader`.

:func:`shipped_model` is THE loader of the shipped digit model for the whole app (the Draw tab and the
inspector's "Use the shipped trained digit model" share it): loaded once per process, read-only afterwards.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from cnnviz.core.model.pretrained import DIGIT_CLASSES

from ..concurrency import JobClient, SerialWorker


@dataclass(frozen=True)
class ReadyModel:
    """A model with its compiled forward pass, ready for drawing."""

    model: object
    predictor: object
    class_names: tuple[str, ...]
    title: str
    shipped: bool


@dataclass(frozen=True)
class ShippedModel:
    model: object
    title: str          # "shipped digit model (fast preset, 99.12% on MNIST test)"
    test_accuracy: float | None


_shipped_lock = threading.Lock()
_shipped: list[ShippedModel] = []
_shipped_ready: list[ReadyModel] = []


def shipped_model() -> ShippedModel:
    """The shipped digit model (blocking: imports TensorFlow the first time). Shared: never train or change it."""
    with _shipped_lock:
        if not _shipped:
            from cnnviz.core.model.pretrained import load_shipped_model, shipped_model_info

            model = load_shipped_model()
            acc = shipped_model_info().get("test_accuracy")
            acc = acc if isinstance(acc, float) else None
            title = "shipped digit model (fast preset" + (f", {acc:.2%} on MNIST test)" if acc else ")")
            _shipped.append(ShippedModel(model, title, acc))
        return _shipped[0]


def _prepare(model, names, title: str, shipped: bool) -> ReadyModel:
    from cnnviz.core.model.inference import Predictor

    predictor = Predictor(model)
    predictor(np.zeros((1, 28, 28, 1), np.float32))  # trace the tf.function here, not on the first stroke
    return ReadyModel(model, predictor, tuple(names), title, shipped)


def shipped_ready_model() -> ReadyModel:
    """The shipped digit model with its compiled Predictor (blocking)."""
    shipped = shipped_model()
    with _shipped_lock:
        if not _shipped_ready:
            _shipped_ready.append(_prepare(shipped.model, DIGIT_CLASSES, shipped.title, True))
        return _shipped_ready[0]


def _prepare_given(model, class_names, title: str) -> ReadyModel:
    return _prepare(model, DIGIT_CLASSES if class_names is None else class_names, title, False)


class ModelLoader(QObject):
    """Prepares models in the background. ``ready(ReadyModel)`` or ``failed(message)`` for the newest request.
    Without a ``worker`` it makes (and owns) one."""

    ready = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, worker: SerialWorker | None = None) -> None:
        super().__init__(parent)
        self._own = worker is None
        self.worker = SerialWorker("draw-model-loader", self) if worker is None else worker
        self._jobs = JobClient(self.worker, self)
        self._jobs.finished.connect(self._on_jobs_finished)
        self._jobs.failed.connect(self._on_jobs_failed)

    def busy(self) -> bool:
        return self._jobs.busy()

    def load_shipped(self) -> None:
        self._jobs.submit("model", shipped_ready_model)

    def prepare(self, model, class_names, title: str) -> None:
        self._jobs.submit("model", _prepare_given, model, class_names, title)

    @Slot(str, object)
    def _on_jobs_finished(self, _key: str, ready: ReadyModel) -> None:
        self.ready.emit(ready)

    @Slot(str, str, str)
    def _on_jobs_failed(self, _key: str, message: str, details: str) -> None:
        import sys

        print(details, file=sys.stderr)
        self.failed.emit(message)

    def shutdown(self, timeout_ms: int = 60000) -> bool:
        """Stop the worker if it is this loader's own; the app's lanes are stopped by their registry."""
        if self._own:
            return self.worker.shutdown(timeout_ms)
        self._jobs.cancel_all()
        return True

    def wait(self, msecs: int = 60000) -> bool:
        """Block until this loader's requests have been answered (tests); False if not within ``msecs``."""
        return self._jobs.wait(msecs)
