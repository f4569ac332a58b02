"""Reproducible random splits: the validation hold-out and the one stratified index picker.

:func:`pick_indices` is the rule behind every "choose N of these" in cnnviz: the validation split, the test
part of an image folder (cnnviz.core.data.readers.load_image_folder) and the "images to use" of a run
(cnnviz.core.data.selection). Pure: numpy.
"""
from __future__ import annotations

import numpy as np

from cnnviz.core.data.dataset import DatasetError


def split_validation(x, y, *, count: int | None = None, fraction: float | None = None, seed: int = 0,
                     stratify: bool = True):
    """Hold out a validation set: returns ``(x_train, y_train, x_val, y_val)``.

    Give exactly one of ``count`` (1 <= count < N) or ``fraction`` (0 < f < 1). The choice is random but
    reproducible (``seed``); with ``stratify`` each class keeps its share (largest remainder). Both parts keep
    the original order and dtypes; ``x`` may be any array with N first (e.g. uint8 NHWC), ``y`` is (N,).
    The lecture holds out ``count=10_000`` of MNIST's 60,000 training images.
    """
    y = np.asarray(y)
    n = len(y)
    if len(x) != n:
        raise DatasetError(f"x has {len(x)} examples but y has {n} labels.")
    if (count is None) == (fraction is None):
        raise DatasetError("Give exactly one of count or fraction for the validation split.")
    if fraction is not None:
        if not 0 < fraction < 1:
            raise DatasetError(f"The validation fraction must be between 0 and 1 (exclusive), got {fraction}.")
        count = int(round(fraction * n))
        if not 1 <= count < n:
            raise DatasetError(f"A validation fraction of {fraction} of {n} examples gives {count}; "
                               f"need between 1 and {n - 1}.")
    elif isinstance(count, bool) or int(count) != count or not 1 <= count < n:
        raise DatasetError(f"The validation count must be an integer from 1 to {n - 1} "
                           f"(smaller than the {n} examples), got {count}.")
    val = np.zeros(n, dtype=bool)
    val[pick_indices(y, int(count), seed, stratify)] = True
    return x[~val], y[~val], x[val], y[val]


def pick_indices(y: np.ndarray, count: int, seed: int, stratify: bool) -> np.ndarray:
    """``count`` distinct indices into ``y``; stratified: each class in proportion (largest remainder)."""
    rng = np.random.default_rng(seed)
    if not stratify:
        return rng.choice(len(y), size=count, replace=False)
    classes, sizes = np.unique(y, return_counts=True)
    share = sizes * count / len(y)
    quota = np.floor(share).astype(np.int64)
    rest = count - int(quota.sum())
    quota[np.argsort(-(share - quota), kind="stable")[:rest]] += 1
    return np.concatenate([rng.choice(np.flatnonzero(y == c), size=q, replace=False)
                           for c, q in zip(classes, quota)])
