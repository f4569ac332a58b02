"""What defines a training run besides the model and the data: :class:`TrainingConfig` (with augmentation), and
the pure helpers that turn it into Keras objects (loss, optimizer, augmentation layers) or check a model/data pair.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from cnnviz.core.train.precision import PRECISIONS

OPTIMIZERS = ("adam", "sgd", "rmsprop")
# constant: the learning rate as set; warmup_cosine: a linear warm-up from a tenth of it over the first
# warmup_fraction of the planned steps, then a cosine decay to zero by the last planned step (what fast MNIST recipes use)
SCHEDULES = ("constant", "warmup_cosine")
LOSSES = ("auto", "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy")
LOSS_EXPLANATIONS = {
    "sparse_categorical_crossentropy": "cross-entropy with integer labels (0..9) against softmax probabilities",
    "categorical_crossentropy": "cross-entropy with one-hot labels ([0,0,1,0,...]) against softmax probabilities",
    "binary_crossentropy": "cross-entropy of one sigmoid probability against labels 0/1 (two classes)",
}


MAX_SEED = 2**32 - 1   # NumPy's and Keras's seeds are unsigned 32-bit


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

    def problems(self) -> list[str]:
        out = []
        if not isinstance(self.flip_horizontal, bool):
            out.append(f"flip_horizontal must be true or false, got {self.flip_horizontal!r}")
        for name, top in (("rotation_degrees", 180), ("shift_fraction", 1), ("brightness", 1), ("contrast", 1)):
            value = getattr(self, name)
            if not (_is_number(value) and 0 <= value <= top):
                out.append(f"augmentation {name} must be a number from 0 to {top}, got {value!r}")
        return out

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
    # Bit-identical reruns: the run calls tf.config.experimental.enable_op_determinism() (process-wide, slower).
    deterministic: bool = False
    # float32, mixed_bfloat16, mixed_float16 or auto (cnnviz.core.train.precision): the dtype policy layers compute in
    precision: str = "float32"
    schedule: str = "constant"
    warmup_fraction: float = 0.2    # warmup_cosine: the share of the planned steps spent warming up
    beta_1: float = 0.9             # Adam's moment decay rates (Keras's defaults)
    beta_2: float = 0.999

    def problems(self) -> list[str]:
        """What is wrong with these settings, one message each ([] when they can be trained). Checks types too:
        a run config or a run folder's config.json is a file anyone can edit."""
        out = []
        if not (_is_int(self.batch_size) and 1 <= self.batch_size <= 65536):
            out.append(f"batch size must be a whole number from 1 to 65536, got {self.batch_size!r}")
        if not (_is_int(self.epochs) and 1 <= self.epochs <= 10000):
            out.append(f"epochs must be a whole number from 1 to 10000, got {self.epochs!r}")
        if not (isinstance(self.optimizer, str) and self.optimizer in OPTIMIZERS):
            out.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if not (_is_number(self.learning_rate) and 0 < self.learning_rate <= 10):
            out.append(f"learning rate must be a number in (0, 10], got {self.learning_rate!r}")
        if not (_is_number(self.momentum) and 0 <= self.momentum <= 1):
            out.append(f"momentum must be a number from 0 to 1, got {self.momentum!r}")
        if not (isinstance(self.loss, str) and self.loss in LOSSES):
            out.append(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if not (_is_int(self.seed) and 0 <= self.seed <= MAX_SEED):
            out.append(f"seed must be a whole number from 0 to {MAX_SEED}, got {self.seed!r}")
        if self.validation_count is not None and self.validation_fraction is not None:
            out.append("give the validation split as a count or as a fraction, not both")
        if self.validation_fraction is not None and not (_is_number(self.validation_fraction)
                                                         and 0 < self.validation_fraction < 1):
            out.append(f"validation fraction must be a number between 0 and 1, got {self.validation_fraction!r}")
        if self.validation_count is not None and not (_is_int(self.validation_count) and self.validation_count >= 1):
            out.append(f"validation count must be a whole number of at least 1, got {self.validation_count!r}")
        if not isinstance(self.deterministic, bool):
            out.append(f"deterministic must be true or false, got {self.deterministic!r}")
        if not (isinstance(self.schedule, str) and self.schedule in SCHEDULES):
            out.append(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}"[:200])
        if not (_is_number(self.warmup_fraction) and 0 <= self.warmup_fraction < 1):
            out.append(f"warm-up fraction must be a number from 0 to below 1, got {self.warmup_fraction!r}")
        for name in ("beta_1", "beta_2"):
            value = getattr(self, name)
            if not (_is_number(value) and 0 <= value < 1):
                out.append(f"Adam's {name} must be a number from 0 to below 1, got {value!r}")
        if not (isinstance(self.precision, str) and self.precision in PRECISIONS):
            out.append(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"[:200])
        out += self.augment.problems() if isinstance(self.augment, AugmentConfig) else ["augment must be an object"]
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingConfig":
        """The config a JSON object describes; TrainingError naming every unknown or wrong setting."""
        if not isinstance(data, dict):
            raise TrainingError("a training config is a JSON object")
        data = dict(data)
        augment = data.pop("augment", {}) or {}
        if not isinstance(augment, dict):
            raise TrainingError(f"the augmentation settings are a JSON object, got {augment!r}"[:200])
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise TrainingError(f"unknown training setting(s): {', '.join(sorted(map(str, unknown)))}"[:300])
        aug_unknown = set(augment) - set(AugmentConfig.__dataclass_fields__)
        if aug_unknown:
            raise TrainingError(f"unknown augmentation setting(s): {', '.join(sorted(map(str, aug_unknown)))}"[:300])
        config = cls(**data, augment=AugmentConfig(**augment))
        problems = config.problems()
        if problems:
            raise TrainingError("; ".join(problems)[:1000])
        return config


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """An int or float that is finite (not a bool, not NaN or infinite)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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


def learning_rate(config: TrainingConfig, steps_per_epoch: int):
    """The learning rate or schedule for ``config`` over its planned ``epochs * steps_per_epoch`` steps (steps past
    the plan, as in Train more, stay at the schedule's end value)."""
    if config.schedule == "constant":
        return config.learning_rate
    import keras

    total = max(1, int(config.epochs) * int(steps_per_epoch))
    warmup = int(round(total * config.warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate / 10 if warmup else config.learning_rate,
        decay_steps=max(1, total - warmup), alpha=0.0, warmup_target=config.learning_rate if warmup else None,
        warmup_steps=warmup)


def make_optimizer(config: TrainingConfig, steps_per_epoch: int = 1):
    import keras

    lr = learning_rate(config, steps_per_epoch)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(lr, beta_1=config.beta_1, beta_2=config.beta_2)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=config.momentum)
    return keras.optimizers.RMSprop(lr)


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


