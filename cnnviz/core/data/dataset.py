"""The Dataset type: train and test arrays with labels, checked once, read-only afterwards.

Every loader (cnnviz.core.data.readers, the registry in cnnviz.core.data.datasets) returns a :class:`Dataset`
whose images are uint8 NHWC arrays (MNIST: ``(N, 28, 28, 1)``) and whose labels are int64 ``(N,)``, with a
``source`` that says exactly which file(s) the data came from, or raises :class:`DatasetError`. Pure: numpy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DatasetError(ValueError):
    """A dataset cannot be loaded; the message says what was tried and what to do.

    ``suggest_sample`` is True when the bundled ``mnist_sample`` is a sensible offer (no local file, no download).
    """

    def __init__(self, message: str, *, suggest_sample: bool = False):
        super().__init__(message)
        self.suggest_sample = suggest_sample


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test images with labels.

    ``x_*``: uint8 ``(N, H, W, C)`` (NHWC, pixel values 0..255, read-only); ``y_*``: int64 ``(N,)`` indices into
    ``class_names``. ``source`` names the file(s) the data came from; ``notes`` holds warnings (skipped files).
    Arrays given as ``(N, H, W)`` get a channel axis; integer pixels in 0..255 become uint8; labels ``(N, 1)``
    are flattened. Anything else raises DatasetError.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    name: str
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = self.source or self.name
        fixed = {}
        for split in ("train", "test"):
            x = _as_images(getattr(self, f"x_{split}"), f"x_{split}", where)
            y = _as_labels(getattr(self, f"y_{split}"), f"y_{split}", where)
            if len(x) != len(y):
                raise DatasetError(f"{where}: x_{split} has {len(x)} images but y_{split} has {len(y)} labels.")
            fixed[f"x_{split}"], fixed[f"y_{split}"] = x, y
        if len(fixed["x_train"]) == 0:
            raise DatasetError(f"{where}: the training set is empty.")
        if fixed["x_test"].shape[1:] != fixed["x_train"].shape[1:]:
            raise DatasetError(f"{where}: test images {fixed['x_test'].shape[1:]} differ in shape from training "
                               f"images {fixed['x_train'].shape[1:]} (H, W, C).")
        names = tuple(str(c) for c in self.class_names)
        top = max(int(y.max(initial=-1)) for y in (fixed["y_train"], fixed["y_test"]))
        if top >= len(names):
            raise DatasetError(f"{where}: label {top} found but only {len(names)} class names are given.")
        for key, value in fixed.items():
            value.flags.writeable = False  # shared between panels: nobody edits them in place
            object.__setattr__(self, key, value)
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """Shape of one image, (H, W, C)."""
        return tuple(int(s) for s in self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self, split: str = "train") -> np.ndarray:
        """Images per class, int64 ``(num_classes,)``, for split "train" or "test"."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return np.bincount(getattr(self, f"y_{split}"), minlength=self.num_classes).astype(np.int64)

    def summary(self) -> str:
        """One line, e.g. ``mnist: 60,000 train + 10,000 test images, 28x28x1, 10 classes``."""
        h, w, c = self.input_shape
        return (f"{self.name}: {len(self.x_train):,} train + {len(self.x_test):,} test images, "
                f"{h}x{w}x{c}, {self.num_classes} classes")


def _as_images(x, key: str, where: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4 or x.shape[-1] < 1:
        raise DatasetError(f"{where}: {key} must hold images shaped (N, H, W) or (N, H, W, C); got {x.shape}.")
    if x.dtype != np.uint8:
        if x.dtype.kind not in "iu" or (x.size and (x.min() < 0 or x.max() > 255)):
            raise DatasetError(f"{where}: {key} has dtype {x.dtype}; expected uint8 pixel values 0..255.")
        x = x.astype(np.uint8)
    return x.view()  # a view of our own, so making it read-only leaves the caller's array alone


def _as_labels(y, key: str, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DatasetError(f"{where}: {key} must be a 1-D array of class indices; got shape {y.shape}.")
    if y.dtype.kind not in "iu":
        raise DatasetError(f"{where}: {key} has dtype {y.dtype}; expected integer class indices.")
    if y.size and y.min() < 0:
        raise DatasetError(f"{where}: {key} contains a negative label ({y.min()}).")
    return y.astype(np.int64)


def reason(exc: BaseException) -> str:
    """``"TypeName: first line of the message"`` (or just the type name), for error messages that say why."""
    text = str(exc).split("\n")[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
