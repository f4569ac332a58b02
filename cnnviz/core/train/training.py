"""Training a model on a dataset: configuration, a blocking session with a stop flag, and plain events.

The session runs Keras's ``fit`` on whatever thread calls :meth:`TrainingSession.run` and reports progress
through a callable it is given (``emit``) as small frozen dataclasses of numbers. It never touches a GUI: the
Qt layer turns events into signals, the CLI prints them.

Images are uint8 NHWC in datasets; the session scales them to float32 0..1.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

OPTIMIZERS = ("adam", "sgd", "rmsprop")
LOSSES = ("auto", "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy")
LOSS_EXPLANATIONS = {
    "sparse_categorical_crossentropy": "cross-entropy with integer labels (0..9) against softmax probabilities",
    "categorical_crossentropy": "cross-entropy with one-hot labels ([0,0,1,0,...]) against softmax probabilities",
    "binary_crossentropy": "cross-entropy of one sigmoid probability against labels 0/1 (two classes)",
}


class TrainingError(ValueError):
    """A configuration or a model/dataset pairing that cannot be trained, with a message for the user."""


@dataclass
class AugmentConfig:
    """Random changes applied to training images only (never to validation or test images)."""

    flip_horizontal: bool = False
    rotation_degrees: float = 0.0   # up to +/- this many degrees
    shift_fraction: float = 0.0     # up to +/- this fraction of height and width
    brightness: float = 0.0         # up to +/- this much (images are 0..1)
    contrast: float = 0.0           # contrast factor in [1 - c, 1 + c]

    @property
    def active(self) -> bool:
        return bool(self.flip_horizontal or self.rotation_degrees or self.shift_fraction or self.brightness
                    or self.contrast)


@dataclass
class TrainingConfig:
    """Everything that defines a training run besides the model and the data."""

    batch_size: int = 64
    epochs: int = 20
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.9           # SGD only
    loss: str = "auto"
    seed: int = 1
    validation_count: int | None = None
    validation_fraction: float | None = 0.1
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def problems(self) -> list[str]:
        out = []
        if not (isinstance(self.batch_size, int) and 1 <= self.batch_size <= 65536):
            out.append(f"batch size must be a whole number from 1 to 65536, got {self.batch_size!r}")
        if not (isinstance(self.epochs, int) and 1 <= self.epochs <= 10000):
            out.append(f"epochs must be a whole number from 1 to 10000, got {self.epochs!r}")
        if self.optimizer not in OPTIMIZERS:
            out.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        lr = self.learning_rate
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= 10):
            out.append(f"learning rate must be a number in (0, 10], got {lr!r}")
        if self.loss not in LOSSES:
            out.append(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.validation_count is not None and self.validation_fraction is not None:
            out.append("give the validation split as a count or as a fraction, not both")
        if self.validation_fraction is not None and not 0 < self.validation_fraction < 1:
            out.append(f"validation fraction must be between 0 and 1, got {self.validation_fraction}")
        if self.validation_count is not None and self.validation_count < 1:
            out.append(f"validation count must be at least 1, got {self.validation_count}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingConfig":
        if not isinstance(data, dict):
            raise TrainingError("a training config is a JSON object")
        data = dict(data)
        augment = data.pop("augment", {}) or {}
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise TrainingError(f"unknown training setting(s): {', '.join(sorted(unknown))}")
        aug_unknown = set(augment) - set(AugmentConfig.__dataclass_fields__)
        if aug_unknown:
            raise TrainingError(f"unknown augmentation setting(s): {', '.join(sorted(aug_unknown))}")
        return cls(**data, augment=AugmentConfig(**augment))


# --- events ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainingStarted:
    epochs: int
    initial_epoch: int
    steps_per_epoch: int
    train_samples: int
    val_samples: int


@dataclass(frozen=True)
class BatchProgress:
    """Throttled: at most one every ``batch_interval_s`` seconds (and the last batch of each epoch)."""

    epoch: int            # 0-based, counting across "train more" runs
    batch: int            # 1-based within the epoch
    steps: int
    loss: float
    accuracy: float
    images_per_s: float
    elapsed_s: float
    eta_s: float


@dataclass(frozen=True)
class EpochResult:
    epoch: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float


@dataclass(frozen=True)
class TrainingFinished:
    """``reason``: "completed", "stopped" (user asked), or "diverged" (NaN/inf loss; last good weights kept)."""

    reason: str
    epochs_done: int
    message: str


HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")


@dataclass
class PreparedData:
    """Arrays ready for Keras: x float32 NHWC in 0..1, y int64 (sparse) labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    num_classes: int

    @property
    def train_count(self) -> int:
        return len(self.x_train)

    @property
    def val_count(self) -> int:
        return len(self.x_val)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


@dataclass
class StreamedData:
    """tf.data pipelines instead of arrays, for datasets too big for memory (CelebA).

    ``train`` / ``val``: unbatched elements (image float32 (H, W, C) in 0..1, integer label); ``val`` None for no
    validation. ``train`` must already reshuffle (and augment) itself every epoch: the session only batches it,
    adapts the labels to the loss and applies ``config.augment``. The config's validation split is not used.
    """

    train: Any
    val: Any
    train_count: int
    val_count: int
    input_shape: tuple[int, int, int]
    num_classes: int


def prepare_data(dataset, config: TrainingConfig) -> PreparedData:
    """Split the dataset's training images into train/validation as configured and scale to float32 0..1."""
    from cnnviz.core.data.datasets import split_validation

    if config.validation_count is None and config.validation_fraction is None:
        x_tr, y_tr = dataset.x_train, dataset.y_train
        x_va, y_va = dataset.x_train[:0], dataset.y_train[:0]
    else:
        x_tr, y_tr, x_va, y_va = split_validation(dataset.x_train, dataset.y_train, count=config.validation_count,
                                                  fraction=config.validation_fraction, seed=config.seed)
    return PreparedData(to_float(x_tr), np.asarray(y_tr, np.int64), to_float(x_va), np.asarray(y_va, np.int64),
                        dataset.num_classes)


def to_float(x: np.ndarray) -> np.ndarray:
    """uint8 0..255 -> float32 0..1 (float input is passed through as float32)."""
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255.0)
    return x.astype(np.float32, copy=False)


def resolve_loss(config: TrainingConfig, output_units: int) -> str:
    if config.loss != "auto":
        return config.loss
    return "binary_crossentropy" if output_units == 1 else "sparse_categorical_crossentropy"


def compatibility_problems(model_input: tuple, output_units: int, input_shape: tuple, num_classes: int,
                           loss: str = "auto") -> list[str]:
    """Why a model with this input shape (H, W, C) and number of outputs cannot learn a dataset, or []."""
    out = []
    if tuple(model_input) != tuple(input_shape):
        h, w, c = input_shape
        mh, mw, mc = model_input
        out.append(f"the model expects {mh}x{mw}x{mc} images but the dataset's are {h}x{w}x{c}"
                   + (" (colour vs grayscale: change the model's input channels)" if (mh, mw) == (h, w) else ""))
    if output_units == 1:
        if num_classes != 2:
            out.append(f"the model has one output (a binary classifier) but the dataset has {num_classes} classes")
        elif loss not in ("auto", "binary_crossentropy"):
            out.append(f"a single sigmoid output needs binary cross-entropy, not {loss}")
    elif output_units != num_classes:
        out.append(f"the model's last layer has {output_units} outputs but the dataset has {num_classes} classes: "
                   f"set the last Dense layer's units to {num_classes}")
    elif loss == "binary_crossentropy":
        out.append(f"binary cross-entropy needs one sigmoid output; this model has {output_units}: "
                   "use sparse categorical cross-entropy")
    return out


def make_optimizer(config: TrainingConfig):
    import keras

    if config.optimizer == "adam":
        return keras.optimizers.Adam(config.learning_rate)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(config.learning_rate, momentum=config.momentum)
    return keras.optimizers.RMSprop(config.learning_rate)


def augmentation_layers(aug: AugmentConfig, seed: int):
    """Keras preprocessing layers for ``aug`` (images 0..1), or [] when nothing is switched on."""
    import keras

    layers = []
    if aug.flip_horizontal:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if aug.rotation_degrees:
        layers.append(keras.layers.RandomRotation(aug.rotation_degrees / 360.0, fill_mode="constant", seed=seed + 1))
    if aug.shift_fraction:
        layers.append(keras.layers.RandomTranslation(aug.shift_fraction, aug.shift_fraction, fill_mode="constant",
                                                     seed=seed + 2))
    if aug.brightness:
        layers.append(keras.layers.RandomBrightness(aug.brightness, value_range=(0.0, 1.0), seed=seed + 3))
    if aug.contrast:
        layers.append(keras.layers.RandomContrast(aug.contrast, value_range=(0.0, 1.0), seed=seed + 4))
    return layers


def augment_batch(x: np.ndarray, aug: AugmentConfig, seed: int) -> np.ndarray:
    """Apply the training augmentation to a float32 NHWC batch (for previews: what the model will see)."""
    out = x
    for layer in augmentation_layers(aug, seed):
        out = layer(out, training=True)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


class TrainingSession:
    """Trains ``model`` on prepared data; call :meth:`run` on a worker thread, :meth:`request_stop` from any.

    History (per epoch) accumulates across runs, so "train more" continues the curves and the epoch count;
    ``history`` seeds it when a run is resumed.
    ``on_epoch_end`` (optional) is called on the training thread with (epoch, model) after each epoch, e.g. to
    record kernel and feature-map snapshots.
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
        self.history: dict[str, list[float]] = {k: list((history or {}).get(k, [])) for k in HISTORY_KEYS}
        self.batch_losses: list[float] = []   # every batch's running loss, for the smoothed curve
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
        """Ask the run to stop after the current batch (thread-safe). Weights and history so far are kept."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def _compile(self) -> None:
        import keras

        keras.utils.set_random_seed(self.config.seed)
        self.model.compile(optimizer=make_optimizer(self.config), loss=self.loss, metrics=["accuracy"])
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
        self._stop.clear()
        if not self._compiled:
            self._compile()
        n = self.data.train_count
        steps = (n // self.config.batch_size) if self.drop_remainder else math.ceil(n / self.config.batch_size)
        if steps == 0:
            raise TrainingError(f"{n} training images are fewer than one batch of {self.config.batch_size}")
        start_epoch = self.epochs_done
        self.emit(TrainingStarted(epochs, start_epoch, steps, n, self.data.val_count))
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
        self._check_stop()

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = float(logs.get("loss", float("nan")))
        self._images = min((batch + 1) * self.session.config.batch_size, self.session.data.train_count)
        if not math.isfinite(loss):
            self.diverged = True
            self.bad_loss, self.bad_epoch, self.bad_batch = loss, self._epoch, batch + 1
            self.session.request_stop()
            self.model.stop_training = True
            return
        self.session.batch_losses.append(loss)
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
        self.session.last_good_weights = [w.copy() for w in self.model.get_weights()]
        if self.session.on_epoch_end is not None:
            self.session.on_epoch_end(epoch, self.model)
        self.session.emit(EpochResult(epoch, values["loss"], values["accuracy"], values["val_loss"],
                                      values["val_accuracy"], seconds))
        self._check_stop()
