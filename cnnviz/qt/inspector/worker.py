"""The inspector's background thread: building the model, feature maps, saliency, ablation, dataset loading.

One :class:`InspectionWorker` lives in a QThread owned by an :class:`InspectionController` (a GUI-thread
QObject kept by the panel). Requests travel as ``(kind, payload)`` through a thread-safe queue; results come back
as ``finished(kind, result)`` or ``failed(kind, message)`` and are received by @Slot methods. Requests of one
kind are coalesced: while one runs only the newest waiting one is kept (scrolling through images quickly never
queues up a backlog).
"""
from __future__ import annotations

import queue
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal, Slot


@dataclass(frozen=True)
class ModelRequest:
    model: object | None       # a keras.Model, or None for the default
    class_names: tuple | None
    source: str                # "given", "default" (lecture preset, untrained) or "shipped"


@dataclass(frozen=True)
class ModelReady:
    inspector: object
    untrained: bool
    description: str


def _build_default(request: ModelRequest) -> ModelReady:
    from cnnviz.core.inspect.inspection import ModelInspector

    if request.source == "shipped":
        from cnnviz.core.model.pretrained import DIGIT_CLASSES, load_shipped_model, shipped_model_info

        model = load_shipped_model()
        acc = shipped_model_info().get("test_accuracy")
        extra = f", test accuracy {acc:.2%}" if isinstance(acc, float) else ""
        return ModelReady(ModelInspector(model, DIGIT_CLASSES, copy=False), False,
                          f"shipped digit model ({model.name}{extra})")
    if request.model is None:
        from cnnviz.core.model.build import build_model
        from cnnviz.core.model.presets import get_preset

        model = build_model(get_preset("lecture"), seed=0)
        return ModelReady(ModelInspector(model, [str(d) for d in range(10)], copy=False), True,
                          "the lecture's MNIST CNN")
    return ModelReady(ModelInspector(request.model, request.class_names), False, str(request.model.name))


def _run(kind: str, payload):
    """Do one job (worker thread). ``payload`` is a tuple whose first item is the inspector, except for
    "model" (a ModelRequest) and "dataset" (a dataset name)."""
    if kind == "model":
        ready = _build_default(payload)
        ready.inspector.warm_up()
        return ready
    if kind == "dataset":
        from cnnviz.core.data.datasets import load_dataset

        return load_dataset(payload)
    inspector, *args = payload
    if kind == "maps":
        return inspector, inspector.feature_maps(args[0])
    if kind == "explain":
        image, method, class_index, layer = args
        heat = (inspector.saliency(image, class_index) if method == "saliency"
                else inspector.grad_cam(image, class_index, layer))
        return inspector, method, class_index, layer, heat
    if kind == "ablate":
        image, layer, channels = args
        return inspector, layer, tuple(channels), inspector.ablate(image, layer, channels)
    raise ValueError(f"unknown job {kind!r}")


class InspectionWorker(QObject):
    """Runs jobs from a queue inside ONE long slot call (:meth:`serve`, started with the thread).

    Why not one slot call per job: PySide6 gives a QThread a fresh Python thread state for every slot call, so
    ``threading.local`` data vanishes between calls, and TensorFlow keeps its graph-building state there: tracing
    a ``tf.function`` in a later call than the one that imported or first used TensorFlow crashes the process
    (segmentation fault, reproduced with PySide6 6.12 + TensorFlow 2.21). Serving every job from one call keeps
    one Python thread state for the thread's whole life.
    """

    finished = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.jobs: queue.Queue = queue.Queue()

    @Slot()
    def serve(self) -> None:
        while True:
            kind, payload = self.jobs.get()
            if kind is None:
                break
            try:
                result = _run(kind, payload)
            except Exception as exc:  # noqa: BLE001 - every failure is shown to the user
                detail = traceback.format_exc(limit=4)
                self.failed.emit(kind, f"{exc}" if str(exc) else f"{type(exc).__name__}\n{detail}")
            else:
                self.finished.emit(kind, result)
        QThread.currentThread().quit()  # exec() then returns at once


class InspectionController(QObject):
    """Owns the worker thread; ``submit(kind, payload)`` from the GUI thread, results as Qt signals."""

    finished = Signal(str, object)
    failed = Signal(str, str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread(self)
        self._thread.setObjectName("inspector-worker")
        self._worker = InspectionWorker()
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.serve)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(self._on_worker_failed)
        self._running: set[str] = set()
        self._waiting: dict[str, object] = {}
        self._thread.start()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def submit(self, kind: str, payload) -> None:
        if kind in self._running:
            self._waiting[kind] = payload  # newest wins
            return
        self._running.add(kind)
        if len(self._running) == 1:
            self.busy_changed.emit(True)
        self._worker.jobs.put((kind, payload))

    def _done(self, kind: str) -> bool:
        """Start the waiting request of ``kind`` if any; True when the finished result is already stale."""
        self._running.discard(kind)
        if kind in self._waiting:
            self.submit(kind, self._waiting.pop(kind))
            return True
        if not self._running:
            self.busy_changed.emit(False)
        return False

    @Slot(str, object)
    def _on_worker_finished(self, kind: str, result) -> None:
        if not self._done(kind):
            self.finished.emit(kind, result)

    @Slot(str, str)
    def _on_worker_failed(self, kind: str, message: str) -> None:
        if not self._done(kind):
            self.failed.emit(kind, message)

    def shutdown(self, msecs: int = 30000) -> bool:
        """Stop the thread after the job in progress (called at close); True when it stopped."""
        self._waiting.clear()
        if not self._thread.isRunning():
            return True
        self._worker.jobs.put((None, None))
        return self._thread.wait(msecs)
