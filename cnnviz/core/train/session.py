"""A blocking training session with a stop flag: Keras's ``fit`` on whatever thread calls :meth:`TrainingSession.run`.

Progress goes out through a callable it is given (``emit``) as the events of events.py. It never touches a GUI: the
Qt layer turns events into signals, the CLI prints them.

Stop semantics live here. :meth:`TrainingSession.request_stop` sets a ``threading.Event`` from any thread; it is
checked before ``fit`` starts (a stop requested before the run is honoured without training) and after every batch
(Keras resets ``model.stop_training`` when ``fit`` starts, so the flag cannot live there). The flag stays set until
the caller starts something new and says so with :meth:`TrainingSession.reset_stop`.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable

import numpy as np

from cnnviz.core.train.config import (TrainingConfig, TrainingError, augmentation_layers, compatibility_problems,
                                      make_optimizer, resolve_loss)
from cnnviz.core.train.events import (HISTORY_KEYS, BatchProgress, EpochResult, TrainingFinished,
                                      TrainingStarted)
from cnnviz.core.train.prepared import PreparedData, StreamedData


class TrainingSession:
    """Trains ``model`` on prepared data; call :meth:`run` on a worker thread, :meth:`request_stop` from any.

    History (per epoch) accumulates across runs, so "train more" continues the curves and the epoch count;
    ``history`` seeds it when a run is resumed.
    ``on_epoch_end`` (optional) is called on the training thread with (epoch, model) after each epoch, e.g. to
    record kernel and feature-map snapshots. ``on_batch_end`` (an attribute, None by default) is called the same
    way with (epoch, batches done in it, model) after every batch; it is read per batch, so it can be set mid-run.
    """

    def __init__(self, model, data: PreparedData, config: TrainingConfig,
                 emit: Callable[[object], None] | None = None, *, batch_interval_s: float = 0.1,
                 on_epoch_end: Callable[[int, Any], None] | None = None,
                 history: dict[str, list[float]] | None = None, already_compiled: bool = False,
                 drop_remainder: bool = False, extra_callbacks: list | None = None) -> None:
        problems = config.problems()
        if problems:
            raise TrainingError("; ".join(problems))
        self.model = model
        self.data = data
        self.config = config
        self.emit = emit or (lambda event: None)
        self.batch_interval_s = batch_interval_s
        # MirroredStrategy fails on a last batch that does not split evenly across replicas: drop it there.
        self.drop_remainder = drop_remainder
        self.extra_callbacks = list(extra_callbacks or [])  # e.g. keras.callbacks.TensorBoard
        self.on_epoch_end = on_epoch_end
        self.on_batch_end: Callable[[int, int, Any], None] | None = None   # e.g. a probe image's feature maps
        self.history: dict[str, list[float]] = {k: list((history or {}).get(k, [])) for k in HISTORY_KEYS}
        self.batch_losses: list[float] = []   # every batch's running loss, for the smoothed curve
        self.partial_epochs: dict[int, tuple[int, int]] = {}   # epoch -> (batches trained, batches per epoch)
        self._stop = threading.Event()
        # A model resumed from a checkpoint keeps its optimizer state (Adam's moments) instead of recompiling.
        self._compiled = already_compiled and getattr(model, "optimizer", None) is not None
        self.last_good_weights: list[np.ndarray] | None = None
        units = int(model.outputs[0].shape[-1])
        self.loss = resolve_loss(config, units)
        problems = compatibility_problems(tuple(model.inputs[0].shape[1:]), units, data.input_shape,
                                          data.num_classes, config.loss)
        if problems:
            raise TrainingError("; ".join(problems))

    @property
    def epochs_done(self) -> int:
        return len(self.history["loss"])

    def request_stop(self) -> None:
        """Ask the run to stop after the current batch (thread-safe). Weights and history so far are kept.

        Honoured whenever it comes: before :meth:`run` (the run then trains nothing) or during it. It stays
        requested until :meth:`reset_stop`."""
        self._stop.set()

    def reset_stop(self) -> None:
        """Forget an earlier stop request: call it when starting something new ("train more"), never implicitly."""
        self._stop.clear()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def _steps_per_epoch(self) -> int:
        n, b = self.data.train_count, self.config.batch_size
        return (n // b) if self.drop_remainder else math.ceil(n / b)

    def _compile(self) -> None:
        import keras

        keras.utils.set_random_seed(self.config.seed)
        optimizer = make_optimizer(self.config, max(1, self._steps_per_epoch()))
        self.model.compile(optimizer=optimizer, loss=self.loss, metrics=["accuracy"])
        self._compiled = True

    def _labels(self, y: np.ndarray) -> np.ndarray:
        if self.loss == "categorical_crossentropy":
            return np.eye(self.data.num_classes, dtype=np.float32)[y]
        if self.loss == "binary_crossentropy":
            return y.astype(np.float32).reshape(-1, 1)
        return y

    def _stream_labels(self, x, y):
        """:meth:`_labels` inside a tf.data pipeline (streamed data)."""
        import tensorflow as tf

        if self.loss == "categorical_crossentropy":
            return x, tf.one_hot(tf.cast(y, tf.int32), self.data.num_classes)
        if self.loss == "binary_crossentropy":
            return x, tf.reshape(tf.cast(y, tf.float32), (-1, 1))
        return x, y

    def _train_dataset(self):
        import tensorflow as tf

        cfg = self.config
        if isinstance(self.data, StreamedData):
            ds = self.data.train.batch(cfg.batch_size, drop_remainder=self.drop_remainder)
            ds = ds.map(self._stream_labels, num_parallel_calls=tf.data.AUTOTUNE)
        else:
            ds = tf.data.Dataset.from_tensor_slices((self.data.x_train, self._labels(self.data.y_train)))
            ds = ds.shuffle(len(self.data.x_train), seed=cfg.seed + self.epochs_done, reshuffle_each_iteration=True)
            ds = ds.batch(cfg.batch_size, drop_remainder=self.drop_remainder)
        layers = augmentation_layers(cfg.augment, cfg.seed)
        if layers:
            def augment(x, y):
                for layer in layers:
                    x = layer(x, training=True)
                return tf.clip_by_value(x, 0.0, 1.0), y

            ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE)

    def run(self, epochs: int | None = None) -> TrainingFinished:
        """Train ``epochs`` more epochs (default: the config's). Blocks; returns (and emits) how it ended."""
        epochs = epochs or self.config.epochs
        if self._stop.is_set():   # asked before the run began: train nothing, keep everything
            result = TrainingFinished("stopped", self.epochs_done, "stopped before the run began")
            self.emit(result)
            return result
        if not self._compiled:
            self._compile()
        n = self.data.train_count
        steps = (n // self.config.batch_size) if self.drop_remainder else math.ceil(n / self.config.batch_size)
        if steps == 0:
            raise TrainingError(f"{n} training images are fewer than one batch of {self.config.batch_size}")
        start_epoch = self.epochs_done
        from cnnviz.core.train.precision import model_policy

        self.emit(TrainingStarted(epochs, start_epoch, steps, n, self.data.val_count, model_policy(self.model)))
        monitor = _make_monitor(self, steps, start_epoch + epochs)
        val = None
        val_batch = max(256, self.config.batch_size)
        if isinstance(self.data, StreamedData):
            if self.data.val is not None and self.data.val_count:
                import tensorflow as tf

                batch = self.config.batch_size if self.drop_remainder else val_batch
                val = self.data.val.batch(batch, drop_remainder=self.drop_remainder).map(
                    self._stream_labels, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
        elif len(self.data.x_val):
            val = (self.data.x_val, self._labels(self.data.y_val))
            if self.drop_remainder:
                import tensorflow as tf

                # Whole batches only; fewer validation images than one batch means no validation (NaN).
                keep = len(self.data.x_val) // self.config.batch_size * self.config.batch_size
                val = None if keep == 0 else tf.data.Dataset.from_tensor_slices(
                    (val[0][:keep], val[1][:keep])).batch(self.config.batch_size, drop_remainder=True)
        if self.last_good_weights is None:
            self.last_good_weights = [w.copy() for w in self.model.get_weights()]
        self.model.fit(self._train_dataset(), epochs=start_epoch + epochs, initial_epoch=start_epoch,
                       validation_data=val,
                       validation_batch_size=None if self.drop_remainder or not isinstance(val, tuple) else val_batch,
                       callbacks=[monitor, *self.extra_callbacks], shuffle=False,
                       verbose=0)  # shuffled by tf.data
        done = self.epochs_done - start_epoch
        if monitor.diverged:
            self.model.set_weights(self.last_good_weights)
            result = TrainingFinished("diverged", self.epochs_done,
                                      f"the loss became {monitor.bad_loss} in epoch {monitor.bad_epoch + 1}, batch "
                                      f"{monitor.bad_batch}: training stopped and the weights from the end of epoch "
                                      f"{self.epochs_done} were restored. Try a smaller learning rate.")
        elif self._stop.is_set() and done < epochs:
            result = TrainingFinished("stopped", self.epochs_done,
                                      f"stopped after {self.epochs_done} epoch(s); weights and history are kept")
        else:
            result = TrainingFinished("completed", self.epochs_done, f"trained {done} epoch(s)")
        self.emit(result)
        return result


_MONITOR_CLASS = None


def _make_monitor(session: "TrainingSession", steps: int, total_epochs: int):
    """The session's Keras callback; the class is made on first use because keras is imported lazily."""
    global _MONITOR_CLASS
    if _MONITOR_CLASS is None:
        import keras

        _MONITOR_CLASS = type("TrainingMonitor", (_MonitorMixin, keras.callbacks.Callback), {})
    return _MONITOR_CLASS(session, steps, total_epochs)


class _MonitorMixin:
    """Throttles batch events, records epoch history, catches a NaN/inf loss and honours the stop flag."""

    def __init__(self, session: TrainingSession, steps: int, total_epochs: int) -> None:
        super().__init__()
        self.session = session
        self.steps = steps
        self.total_epochs = total_epochs
        self.diverged = False
        self.bad_loss = None
        self.bad_epoch = self.bad_batch = 0
        self._epoch = 0
        self._t_epoch = self._t_last = 0.0
        self._t_run = time.perf_counter()
        self._images = 0

    def _check_stop(self) -> None:
        if self.session.stop_requested:
            self.model.stop_training = True

    def on_train_begin(self, logs=None):
        self._check_stop()   # fit() resets stop_training when it starts

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._t_epoch = self._t_last = time.perf_counter()
        self._images = 0
        self._batches = 0
        self._check_stop()

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = float(logs.get("loss", float("nan")))
        self._images = min((batch + 1) * self.session.config.batch_size, self.session.data.train_count)
        self._batches = batch + 1
        if not math.isfinite(loss):
            self.diverged = True
            self.bad_loss, self.bad_epoch, self.bad_batch = loss, self._epoch, batch + 1
            self.model.stop_training = True   # not request_stop(): a divergence is not the user's stop
            return
        self.session.batch_losses.append(loss)
        if self.session.on_batch_end is not None:
            self.session.on_batch_end(self._epoch, batch + 1, self.model)
        now = time.perf_counter()
        last = batch + 1 == self.steps
        if now - self._t_last >= self.session.batch_interval_s or last:
            self._t_last = now
            elapsed = now - self._t_epoch
            rate = self._images / elapsed if elapsed > 0 else 0.0
            left_batches = self.steps - (batch + 1) + self.steps * (self.total_epochs - self._epoch - 1)
            eta = left_batches * (elapsed / (batch + 1))
            self.session.emit(BatchProgress(self._epoch, batch + 1, self.steps, loss,
                                            float(logs.get("accuracy", float("nan"))), rate,
                                            now - self._t_run, eta))
        self._check_stop()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.diverged:
            return
        loss = float(logs.get("loss", float("nan")))
        if not math.isfinite(loss):
            self.diverged = True
            self.bad_loss, self.bad_epoch, self.bad_batch = loss, epoch, self.steps
            self.model.stop_training = True
            return
        seconds = time.perf_counter() - self._t_epoch
        values = {"loss": loss, "accuracy": float(logs.get("accuracy", float("nan"))),
                  "val_loss": float(logs.get("val_loss", float("nan"))),
                  "val_accuracy": float(logs.get("val_accuracy", float("nan"))), "seconds": seconds}
        for key in HISTORY_KEYS:
            self.session.history[key].append(values[key])
        batches = getattr(self, "_batches", self.steps)
        if batches < self.steps:   # a Stop inside the epoch: Keras still ends it; say it saw only part of the data
            self.session.partial_epochs[epoch] = (batches, self.steps)
        self.session.last_good_weights = [w.copy() for w in self.model.get_weights()]
        if self.session.on_epoch_end is not None:
            self.session.on_epoch_end(epoch, self.model)
        self.session.emit(EpochResult(epoch, values["loss"], values["accuracy"], values["val_loss"],
                                      values["val_accuracy"], seconds, batches, self.steps))
        self._check_stop()
