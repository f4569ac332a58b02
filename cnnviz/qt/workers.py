"""Long work off the GUI thread: a bridge from core events to Qt signals, a task runner, the training worker.

* :class:`EventBridge` lives in the GUI thread and is the ``emit`` callable a core object is given. Calling it
  from any thread emits a Qt signal; receivers in the GUI thread get it queued (Qt picks a queued connection
  because the emitting thread is not theirs). Receivers are ``@Slot`` methods, never lambdas.
* :class:`TaskRunner` (cnnviz.qt.tasks) runs plain callables one after another on a
  SerialWorker (loading a dataset, an augmentation preview) and reports ``task_done(token, result)`` /
  ``task_failed(token, message, details)``.
* :class:`TrainingRunner` runs a :class:`TrainingWorker`'s calls on the training lane (a SerialWorker); the worker builds
  the core Run (cnnviz.core.train.run: data, model, snapshots, session, evaluation, run folder; importing TensorFlow
  there), exactly what ``cnnviz-cli train`` runs. Stop is a thread-safe flag, not a queued call.
"""
from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from cnnviz.core.data.celeba import CelebAIndex
from cnnviz.core.data.choice import DataChoice
from cnnviz.core.data.dataset import Dataset, DatasetError
from cnnviz.core.model.spec import ModelSpec, SpecError
from cnnviz.core.train.config import TrainingConfig, TrainingError
from cnnviz.core.train.events import BatchProgress, EpochResult, TrainingFinished, TrainingStarted
from cnnviz.core.train.runs import RunError
from cnnviz.qt.concurrency import JobClient, SerialWorker


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


# ---------------------------------------------------------------------------------------------- training
@dataclass
class TrainingJob:
    """What a new training run needs. ``limit``: use only this many training images (None: all).
    ``snapshot_index``: the test image whose feature maps are recorded each epoch. ``data``: the choice the
    dataset was loaded from (the Training tab's ``data_choice()``; None: just the dataset's name and ``limit``).
    ``folder``: the run folder to write (None: a new one under the app's runs folder). ``loaded``: the Dataset or
    CelebAIndex the Run trains on, as the data box loaded it (None: ``dataset`` itself)."""

    spec: ModelSpec
    dataset: Dataset   # or a cnnviz.qt.training.data_box.CelebASource: streamed from disk, ``limit`` = train limit
    config: TrainingConfig
    limit: int | None = None
    snapshot_index: int = 0
    data: DataChoice | None = None
    folder: str | Path | None = None
    loaded: Dataset | CelebAIndex | None = None   # what the Run trains on as already loaded (None: ``dataset``)

    def data_choice(self) -> DataChoice:
        if self.data is not None:
            return self.data
        return DataChoice(self.dataset.name, limit=self.limit)


@dataclass
class RunOutcome:
    """Sent once a run has ended. ``model`` is a copy of the trained model, so views can use it while "train more"
    trains the original. ``x_test`` float32 NHWC 0..1; ``evaluation`` is None without test images.
    ``run_folder``: where the run is recorded (cnnviz.core.train.runs layout)."""

    finished: TrainingFinished
    model: Any
    evaluation: Any
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    history: dict[str, list[float]] = field(default_factory=dict)
    run_folder: Path | None = None


class TrainingWorker(QObject):
    """Its calls run on the training lane; it runs the core Run (cnnviz.core.train.run) the CLI runs too.

    :meth:`start_job` / :meth:`continue_job` run as lane jobs; stop with :meth:`request_stop` (any thread): the session honours a stop that
    comes before or during its run, so nothing here re-applies it."""

    session_ready = Signal(object, object)  # TrainingSession, SnapshotStore
    run_folder_ready = Signal(str)          # the run folder being written
    run_done = Signal(object)               # RunOutcome
    run_failed = Signal(str, str)           # message, traceback
    run_refused = Signal(str)               # why the data or settings cannot be trained

    def __init__(self, emit: Callable[[object], None]) -> None:
        super().__init__()
        self._emit = emit
        self._stop = threading.Event()      # a stop that comes while the run is being prepared
        self._closing = threading.Event()
        self.run = None

    @property
    def session(self):
        run = self.run
        return None if run is None else run.session

    # --- any thread -----------------------------------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()
        run = self.run
        if run is not None:
            run.request_stop()

    def arm(self) -> None:
        """Forget an earlier stop request: the controller is about to queue a new run or "train more"."""
        self._stop.clear()
        run = self.run
        if run is not None:
            run.reset_stop()

    def close(self) -> None:
        self._closing.set()
        self.request_stop()

    # --- the training lane's thread --------------------------------------------------------------------
    def start_job(self, job: TrainingJob) -> None:
        try:
            from cnnviz.core.train.run import Run
            from cnnviz.core.train.runs import new_run_folder

            loaded = job.loaded if job.loaded is not None else job.dataset
            folder = job.folder if job.folder is not None else new_run_folder(job.spec.name)
            run = Run.start(folder, data=job.data_choice(), config=job.config, spec=job.spec, loaded=loaded,
                            emit=self._emit, snapshot_index=job.snapshot_index, origin="app")
        except (TrainingError, DatasetError, SpecError, RunError) as exc:
            self.run_refused.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.run_failed.emit(_message(exc), traceback.format_exc())
            return
        self.run = run
        if self._stop.is_set():   # asked while the run was prepared: the session honours it before fit
            run.request_stop()
        self.run_folder_ready.emit(str(run.path))
        self.session_ready.emit(run.session, run.snapshots)
        self._train(None)

    def continue_job(self, epochs: int) -> None:
        if self.run is None:
            self.run_refused.emit("nothing to continue: train a model first")
            return
        self._train(epochs)

    def _train(self, epochs: int | None) -> None:
        run = self.run
        try:
            finished = run.train(epochs)
            closing = self._closing.is_set()
            if not closing:
                run.test.arrays()    # materialised once: the results views show them, the evaluation reuses them
            evaluation = run.finish(finished, evaluate=not closing)
            outcome = None if closing else self._outcome(finished, evaluation)
        except Exception as exc:  # noqa: BLE001
            self.run_failed.emit(_message(exc), traceback.format_exc())
            return
        if outcome is not None:
            self.run_done.emit(outcome)

    def _outcome(self, finished: TrainingFinished, evaluation) -> RunOutcome:
        import keras

        run = self.run
        copy = keras.models.clone_model(run.model)
        copy.set_weights(run.model.get_weights())
        x_test, y_test = run.test.arrays()
        history = {k: list(v) for k, v in run.session.history.items()}
        return RunOutcome(finished, copy, evaluation, x_test, y_test, run.class_names, history, run.path)


class TrainingRunner(QObject):
    """Controller in the GUI thread: runs the :class:`TrainingWorker`'s calls as jobs on the training lane (a
    cnnviz.qt.concurrency.SerialWorker: the app's ``Background.training``, or one of its own when none is given)
    and re-emits the worker's signals. One job at a time; a stop reaches the running session through its flag."""

    training_started = Signal(object)
    batch_progressed = Signal(object)
    epoch_finished = Signal(object)
    training_finished = Signal(object)
    session_ready = Signal(object, object)
    run_folder_ready = Signal(str)
    run_done = Signal(object)
    run_failed = Signal(str, str)
    run_refused = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, lane: SerialWorker | None = None) -> None:
        super().__init__(parent)
        self.bridge = TrainingEventBridge(self)
        for name in ("training_started", "batch_progressed", "epoch_finished", "training_finished"):
            getattr(self.bridge, name).connect(getattr(self, name))
        self._own_lane = lane is None
        self._lane = SerialWorker("training", self) if lane is None else lane
        self._client = JobClient(self._lane, self)
        self._client.failed.connect(self._on_client_failed)
        self._idle = threading.Event()       # set while no job of this runner is queued or running
        self._idle.set()
        # The worker is a plain QObject of the GUI thread whose methods run on the lane; its signals, emitted
        # from the lane's thread, reach this controller queued.
        self._worker = TrainingWorker(self.bridge)
        self._worker.session_ready.connect(self.session_ready)
        self._worker.run_folder_ready.connect(self.run_folder_ready)
        self._worker.run_done.connect(self._on_worker_run_done)
        self._worker.run_failed.connect(self._on_worker_run_failed)
        self._worker.run_refused.connect(self._on_worker_run_refused)
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def session(self):
        return self._worker.session

    def _submit(self, call: Callable[..., None], arg: object) -> None:
        if self._busy:
            raise RuntimeError("a training run is in progress")
        self._worker.arm()
        self._idle.clear()
        if self._client.submit(None, self._job, call, arg) is None:   # the lane is closed: the app is closing
            self._idle.set()
            self.run_refused.emit("the app is closing; training is no longer possible")
            return
        self._set_busy(True)

    def _job(self, call: Callable[..., None], arg: object) -> None:  # the lane's thread
        try:
            call(arg)
        finally:
            self._idle.set()

    def start(self, job: TrainingJob) -> None:
        """Build a new model and train it (replaces the previous session)."""
        self._submit(self._worker.start_job, job)

    def train_more(self, epochs: int) -> None:
        """Continue the current session for ``epochs`` more epochs, from its weights and history."""
        self._submit(self._worker.continue_job, int(epochs))

    def stop(self) -> None:
        """Ask the run to stop after the current batch; weights and history so far are kept."""
        self._worker.request_stop()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop any run; True when it has ended within ``timeout_ms`` (and this runner's own lane with it)."""
        self._worker.close()
        ended = self._idle.wait(timeout_ms / 1000)
        if self._own_lane:
            ended = self._lane.shutdown(timeout_ms) and ended
        if ended:
            self._set_busy(False)
        return ended

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    @Slot(str, str, str)
    def _on_client_failed(self, _key: str, message: str, details: str) -> None:
        # The worker reports its own errors; this is one that escaped it.
        self._set_busy(False)
        self.run_failed.emit(message, details)

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
