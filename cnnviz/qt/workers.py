"""Long work off the GUI thread: a bridge from core events to Qt signals, a task runner, the training worker.

* :class:`EventBridge` lives in the GUI thread and is the ``emit`` callable a core object is given. Calling it
  from any thread emits a Qt signal; receivers in the GUI thread get it queued (Qt picks a queued connection
  because the emitting thread is not theirs). Receivers are ``@Slot`` methods, never lambdas.
* :class:`TaskRunner` (cnnviz.qt.tasks, re-exported here) runs plain callables one after another on a
  SerialWorker (loading a dataset, an augmentation preview) and reports ``task_done(token, result)`` /
  ``task_failed(token, message, details)``.
* :class:`TrainingRunner` owns the training thread and a :class:`TrainingWorker` moved to it; the worker builds
  the Keras model (importing TensorFlow there), runs :class:`~cnnviz.core.train.training.TrainingSession`, records
  epoch-end snapshots and evaluates on the test set. Stop is a thread-safe flag, not a queued call.
"""
from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from cnnviz.core.data.datasets import Dataset, DatasetError
from cnnviz.core.model.spec import ModelSpec, SpecError
from cnnviz.core.train.training import (BatchProgress, EpochResult, TrainingConfig, TrainingError, TrainingFinished,
                                  TrainingStarted)


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------- bridges
class EventBridge(QObject):
    """Pass an instance as a core object's ``emit``; every event comes out as ``event_emitted(event)``."""

    event_emitted = Signal(object)

    def __call__(self, event: object) -> None:  # any thread
        self.event_emitted.emit(event)


class TrainingEventBridge(EventBridge):
    """Also re-emits each training event type on its own signal."""

    training_started = Signal(object)    # TrainingStarted
    batch_progressed = Signal(object)    # BatchProgress (throttled at the source)
    epoch_finished = Signal(object)      # EpochResult
    training_finished = Signal(object)   # TrainingFinished

    def __call__(self, event: object) -> None:
        super().__call__(event)
        signal = {TrainingStarted: self.training_started, BatchProgress: self.batch_progressed,
                  EpochResult: self.epoch_finished, TrainingFinished: self.training_finished}.get(type(event))
        if signal is not None:
            signal.emit(event)


# ---------------------------------------------------------------------------------------------- task runner
# TaskRunner moved to cnnviz.qt.tasks (on a cnnviz.qt.concurrency.SerialWorker); re-exported for the training tab.
from cnnviz.qt.tasks import TaskRunner  # noqa: E402,F401


# ---------------------------------------------------------------------------------------------- training
@dataclass
class TrainingJob:
    """What a new training run needs. ``limit``: use only this many training images (before the validation
    split; None: all). ``snapshot_index``: the test image whose feature maps are recorded each epoch."""

    spec: ModelSpec
    dataset: Dataset   # or a cnnviz.qt.training.data_box.CelebASource: streamed from disk, ``limit`` = train limit
    config: TrainingConfig
    limit: int | None = None
    snapshot_index: int = 0


@dataclass
class RunOutcome:
    """Sent once a run has ended. ``model`` is a copy of the trained model, so views can use it while "train more"
    trains the original. ``x_test`` float32 NHWC 0..1; ``evaluation`` is None without test images."""

    finished: TrainingFinished
    model: Any
    evaluation: Any
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    history: dict[str, list[float]] = field(default_factory=dict)


def select_training_images(dataset: Dataset, limit: int | None, seed: int) -> Dataset:
    """``dataset`` with only ``limit`` training images, chosen at random (``seed``) but kept in order."""
    n = len(dataset.x_train)
    if limit is None or limit >= n:
        return dataset
    if limit < 2:
        raise DatasetError(f"use at least 2 training images, not {limit}")
    keep = np.sort(np.random.default_rng(seed).permutation(n)[:limit])
    return replace(dataset, x_train=dataset.x_train[keep], y_train=dataset.y_train[keep])


def celeba_training_data(source, limit: int | None, seed: int):
    """For a CelebA choice (``source``: a data_box.CelebASource): ``(StreamedData, x_test, y_test)``.

    Trains on the first ``limit`` training images (None: all), validates on the first ``source.valid_limit``
    valid images; the first ``source.test_limit`` test images go through the evaluation pipeline into float32
    (N, 64, 64, 3) arrays 0..1 with their 0/1 labels, so the results views work as for in-memory datasets.
    """
    from cnnviz.core.data.celeba import load_celeba

    if limit is not None and limit < 2:
        raise DatasetError(f"use at least 2 training images, not {limit}")
    data = load_celeba(source.index, source.attribute, train_limit=limit, valid_limit=source.valid_limit,
                       test_limit=source.test_limit, seed=seed)
    xs, ys = [], []
    for x, y in data.test.batch(256):
        xs.append(np.asarray(x, np.float32))
        ys.append(np.asarray(y, np.int64).reshape(-1))
    h, w, c = data.input_shape
    x_test = np.concatenate(xs) if xs else np.zeros((0, h, w, c), np.float32)
    y_test = np.concatenate(ys) if ys else np.zeros(0, np.int64)
    return data.streamed(), x_test, y_test


class TrainingWorker(QObject):
    """Lives on the training thread. Start runs with the queued slots; stop with :meth:`request_stop`."""

    session_ready = Signal(object, object)  # TrainingSession, SnapshotStore
    run_done = Signal(object)               # RunOutcome
    run_failed = Signal(str, str)           # message, traceback
    run_refused = Signal(str)               # why the data or settings cannot be trained

    def __init__(self, emit: Callable[[object], None]) -> None:
        super().__init__()
        self._emit = emit
        self._stop = threading.Event()
        self._closing = threading.Event()
        self.session = None
        self._test: tuple[np.ndarray, np.ndarray, int, tuple[str, ...]] | None = None

    # --- any thread -----------------------------------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()
        session = self.session
        if session is not None:
            session.request_stop()

    def arm(self) -> None:
        """Forget an earlier stop request (called by the controller just before queueing a run)."""
        self._stop.clear()

    def close(self) -> None:
        self._closing.set()
        self.request_stop()

    # --- training thread ------------------------------------------------------------------------------
    def _on_event(self, event: object) -> None:
        # session.run() clears its stop flag when it starts; a stop that came earlier is re-applied here.
        if isinstance(event, TrainingStarted) and self._stop.is_set() and self.session is not None:
            self.session.request_stop()
        self._emit(event)

    @Slot(object)
    def start_job(self, job: TrainingJob) -> None:
        try:
            from cnnviz.core.model.build import build_model
            from cnnviz.core.train.snapshots import SnapshotStore
            from cnnviz.core.tf_runtime import import_tensorflow
            from cnnviz.core.train.training import TrainingSession, prepare_data, to_float

            import_tensorflow()
            ds = job.dataset
            if getattr(ds, "name", None) == "celeba" and hasattr(ds, "index"):   # streamed from disk
                data, x_test, y_test = celeba_training_data(ds, job.limit, job.config.seed)
                source = x_test if len(x_test) else ds.x_train
            else:
                subset = select_training_images(ds, job.limit, job.config.seed)
                data = prepare_data(subset, job.config)
                x_test, y_test = to_float(ds.x_test), np.asarray(ds.y_test)
                source = ds.x_test if len(ds.x_test) else ds.x_train
            model = build_model(job.spec, seed=job.config.seed)
            store = SnapshotStore(source[min(job.snapshot_index, len(source) - 1)])
            store.record_initial(model)
            session = TrainingSession(model, data, job.config, self._on_event, on_epoch_end=store.record)
            test = (x_test, y_test, ds.num_classes, tuple(ds.class_names))
        except (TrainingError, DatasetError, SpecError) as exc:
            self.run_refused.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.run_failed.emit(_message(exc), traceback.format_exc())
            return
        self.session, self._test = session, test
        self.session_ready.emit(session, store)
        self._run(job.config.epochs)

    @Slot(int)
    def continue_job(self, epochs: int) -> None:
        if self.session is None:
            self.run_refused.emit("nothing to continue: train a model first")
            return
        self._run(epochs)

    def _run(self, epochs: int) -> None:
        session = self.session
        try:
            if self._stop.is_set():
                finished = TrainingFinished("stopped", session.epochs_done, "stopped before the run began")
                self._emit(finished)
            else:
                finished = session.run(epochs)
            outcome = None if self._closing.is_set() else self._outcome(finished)
        except Exception as exc:  # noqa: BLE001
            self.run_failed.emit(_message(exc), traceback.format_exc())
            return
        if outcome is not None:
            self.run_done.emit(outcome)

    def _outcome(self, finished: TrainingFinished) -> RunOutcome:
        import keras

        from cnnviz.core.model.inference import Predictor, evaluate

        session = self.session
        x_test, y_test, num_classes, class_names = self._test
        copy = keras.models.clone_model(session.model)
        copy.set_weights(session.model.get_weights())
        evaluation = None
        if len(x_test):
            evaluation = evaluate(Predictor(copy), x_test, y_test, num_classes)
        history = {k: list(v) for k, v in session.history.items()}
        return RunOutcome(finished, copy, evaluation, x_test, y_test, class_names, history)


class TrainingRunner(QObject):
    """Controller in the GUI thread: owns the training thread and worker, re-emits their signals."""

    training_started = Signal(object)
    batch_progressed = Signal(object)
    epoch_finished = Signal(object)
    training_finished = Signal(object)
    session_ready = Signal(object, object)
    run_done = Signal(object)
    run_failed = Signal(str, str)
    run_refused = Signal(str)
    busy_changed = Signal(bool)
    _start_requested = Signal(object)
    _continue_requested = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = TrainingEventBridge(self)
        for name in ("training_started", "batch_progressed", "epoch_finished", "training_finished"):
            getattr(self.bridge, name).connect(getattr(self, name))
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def session(self):
        return None if self._worker is None else self._worker.session

    def _ensure_thread(self) -> TrainingWorker:
        if self._thread is None:
            self._thread = QThread(self)
            self._thread.setObjectName("training")
            self._worker = TrainingWorker(self.bridge)
            self._worker.moveToThread(self._thread)
            self._start_requested.connect(self._worker.start_job)
            self._continue_requested.connect(self._worker.continue_job)
            self._worker.session_ready.connect(self.session_ready)
            self._worker.run_done.connect(self._on_worker_run_done)
            self._worker.run_failed.connect(self._on_worker_run_failed)
            self._worker.run_refused.connect(self._on_worker_run_refused)
            self._thread.finished.connect(self._worker.deleteLater)
            self._thread.start()
        return self._worker

    def start(self, job: TrainingJob) -> None:
        """Build a new model and train it (replaces the previous session)."""
        if self._busy:
            raise RuntimeError("a training run is in progress")
        worker = self._ensure_thread()
        worker.arm()
        self._set_busy(True)
        self._start_requested.emit(job)

    def train_more(self, epochs: int) -> None:
        """Continue the current session for ``epochs`` more epochs, from its weights and history."""
        if self._busy:
            raise RuntimeError("a training run is in progress")
        worker = self._ensure_thread()
        worker.arm()
        self._set_busy(True)
        self._continue_requested.emit(int(epochs))

    def stop(self) -> None:
        """Ask the run to stop after the current batch; weights and history so far are kept."""
        if self._worker is not None:
            self._worker.request_stop()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop any run and the thread; True when the thread has ended within ``timeout_ms``."""
        if self._thread is None:
            return True
        self._worker.close()
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            return False
        self._thread = self._worker = None
        self._set_busy(False)
        return True

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    @Slot(object)
    def _on_worker_run_done(self, outcome: RunOutcome) -> None:
        self._set_busy(False)
        self.run_done.emit(outcome)

    @Slot(str, str)
    def _on_worker_run_failed(self, message: str, details: str) -> None:
        self._set_busy(False)
        self.run_failed.emit(message, details)

    @Slot(str)
    def _on_worker_run_refused(self, message: str) -> None:
        self._set_busy(False)
        self.run_refused.emit(message)
