"""The one rule for "images to use": which N training images a run trains on, the same in the app and the CLI.

Rule (``SELECTION_RULE = "stratified-random"``): with a limit N smaller than the training set, pick N images at
random with ``numpy.random.default_rng(seed)`` (the run's seed), stratified by class - every class keeps its share
of the N (largest remainder, as :func:`cnnviz.core.data.split.split_validation` does) - and keep them in their
file order. Labels are single class indices for every dataset cnnviz reads (CelebA: the chosen 0/1 attribute), so
the stratification always applies. No limit (or N >= the training set) uses every image in file order.
The validation split is taken afterwards, from the chosen images.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from cnnviz.core.data.dataset import Dataset, DatasetError
from cnnviz.core.data.split import pick_indices

SELECTION_RULE = "stratified-random"


def choose_training_images(labels: np.ndarray, limit: int | None, seed: int) -> np.ndarray | None:
    """Sorted indices into ``labels`` (int, shape (N,)) of the images to use, or None for all of them."""
    labels = np.asarray(labels).reshape(-1)
    n = len(labels)
    if limit is None or limit >= n:
        return None
    if isinstance(limit, bool) or int(limit) != limit or limit < 2:
        raise DatasetError(f"use at least 2 training images, not {limit}")
    return np.sort(pick_indices(labels, int(limit), seed, stratify=True))


def select_training_images(dataset: Dataset, limit: int | None, seed: int) -> Dataset:
    """``dataset`` with only the ``limit`` training images :func:`choose_training_images` picks (test set kept)."""
    keep = choose_training_images(dataset.y_train, limit, seed)
    if keep is None:
        return dataset
    return replace(dataset, x_train=dataset.x_train[keep], y_train=dataset.y_train[keep],
                   source=dataset.source + f" ({len(keep):,} training images chosen: {SELECTION_RULE}, seed {seed})")
