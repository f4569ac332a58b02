"""What defines a training run besides the model and the data: :class:`TrainingConfig` (with augmentation), and
the pure helpers that turn it into Keras objects (loss, optimizer, augmentation layers) or check a model/data pair.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

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
    # Bit-identical reruns: the run calls tf.config.experimental.enable_op_determinism() (process-wide, slower).
    deterministic: bool = False

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


