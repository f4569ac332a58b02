"""Make resources/data/mnist_sample.npz: a stratified sample of MNIST that ships with cnnviz.

Usage (from the project root):  python resources/data/make_mnist_sample.py [path/to/mnist.npz]
The default source is ../shared/datasets/mnist.npz (the full MNIST database in the Keras layout).

The sample holds 300 training and 100 test digits of each class (3,000 + 1,000), drawn without replacement
with a fixed seed, in their original MNIST order. Besides x_train, y_train, x_test, y_test (the Keras layout)
it stores class_names and the indices of the chosen digits in the full set (train_indices, test_indices), so
anyone can check that it is an unmodified subset of MNIST. Running it again gives the same arrays.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SEED = 20240601
TRAIN_PER_CLASS = 300
TEST_PER_CLASS = 100
HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[1].parent / "shared" / "datasets" / "mnist.npz"
TARGET = HERE / "mnist_sample.npz"


def stratified_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` indices of every class (all of a class that has fewer), sorted."""
    chosen = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        chosen.append(rng.choice(members, size=min(per_class, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


def main(source: Path = DEFAULT_SOURCE, target: Path = TARGET) -> None:
    with np.load(source, allow_pickle=False) as full:
        x_train, y_train, x_test, y_test = (full[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.default_rng(SEED)
    train_idx = stratified_indices(y_train, TRAIN_PER_CLASS, rng)
    test_idx = stratified_indices(y_test, TEST_PER_CLASS, rng)
    np.savez_compressed(
        target,
        x_train=x_train[train_idx], y_train=y_train[train_idx],
        x_test=x_test[test_idx], y_test=y_test[test_idx],
        class_names=np.array([str(d) for d in range(10)]),
        train_indices=train_idx.astype(np.int32), test_indices=test_idx.astype(np.int32),
    )
    print(f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB): "
          f"train per class {np.bincount(y_train[train_idx]).tolist()}, "
          f"test per class {np.bincount(y_test[test_idx]).tolist()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
