"""Data ready for a training session: arrays (:class:`PreparedData`) or tf.data pipelines (:class:`StreamedData`).

Images are uint8 NHWC in datasets; :func:`prepare_data` splits off the validation images and scales to float32 0..1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

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
    from cnnviz.core.data.split import split_validation

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
