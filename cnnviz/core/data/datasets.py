"""Datasets by name: one registry, local files first, Keras's download last, the bundled sample always.

:func:`load_dataset` returns a :class:`~cnnviz.core.data.dataset.Dataset` (uint8 NHWC images, int64 labels, a
``source`` naming the file(s) read). MNIST, Fashion-MNIST and CIFAR-10 are taken from local files first
(``data_dir``, else ``$CNNVIZ_DATA_DIR``, else ``~/.cnnviz/data`` and ``~/.keras/datasets``), read by
cnnviz.core.data.readers; only when none is found is Keras's downloader tried, and offline that fails with a
:class:`~cnnviz.core.data.dataset.DatasetError` that says what was tried and how to provide a file. The bundled
``mnist_sample`` always works offline. Pure: numpy (+ Pillow for image folders); Keras only for the download.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from cnnviz.resources import resource_path
from cnnviz.core.data.dataset import Dataset, DatasetError, reason
from cnnviz.core.data.readers import (
    CIFAR10_CLASSES, CIFAR_BATCHES, IDX_FILES, find_idx_files, load_cifar10_batches, load_idx_folder,
    load_image_folder, load_npz,
)

DATA_DIR_ENV = "CNNVIZ_DATA_DIR"
DEFAULT_DATASET = "mnist_sample"
MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclass(frozen=True)
class DatasetInfo:
    """What a GUI shows about one entry of :data:`DATASETS`; ``input_shape`` is (H, W, C), None if it varies."""

    name: str
    title: str
    description: str
    input_shape: tuple[int, int, int] | None
    num_classes: int | None
    needs_path: bool = False
    works_offline: bool = False
    accepted_files: str = ""


_IDX_NAMES = ", ".join(IDX_FILES)
DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo("mnist_sample", "MNIST sample (bundled)",
                "3,000 training and 1,000 test handwritten digits drawn evenly per class from MNIST. "
                "Ships with cnnviz and works offline.", (28, 28, 1), 10, works_offline=True),
    DatasetInfo("mnist", "MNIST", "The full MNIST database (LeCun, Cortes, Burges): 60,000 training and 10,000 test "
                "handwritten digits, 28x28 grayscale.", (28, 28, 1), 10,
                accepted_files=("mnist.npz (Keras layout: x_train, y_train, x_test, y_test) or the four IDX files "
                                f"{_IDX_NAMES} (plain or .gz; the train-images.idx3-ubyte spelling works too), "
                                "in the folder itself or in a mnist/ subfolder")),
    DatasetInfo("fashion_mnist", "Fashion-MNIST", "Zalando's Fashion-MNIST: 60,000 training and 10,000 test "
                "photos of clothing in 10 classes, 28x28 grayscale.", (28, 28, 1), 10,
                accepted_files=("fashion-mnist.npz (Keras layout) or a fashion-mnist/ subfolder with the four IDX "
                                f"files {_IDX_NAMES} (plain or .gz)")),
    DatasetInfo("cifar10", "CIFAR-10", "CIFAR-10 (Krizhevsky): 50,000 training and 10,000 test colour photos in 10 "
                "classes, 32x32 RGB.", (32, 32, 3), 10,
                accepted_files=("the extracted cifar-10-batches-py/ folder (the python version: data_batch_1..5, "
                                "test_batch) or cifar10.npz (Keras layout)")),
    DatasetInfo("folder", "Image folder", "Your own images: one subfolder per class (sorted names are the class "
                "names), any format Pillow reads, resized to a chosen size.", None, None,
                needs_path=True, works_offline=True),
)}
# Datasets read from disk while training (too big for memory): load_dataset() cannot return them as arrays;
# cnnviz.core.data.celeba.celeba_datasets / load_celeba give tf.data pipelines, and DataChoice("celeba") trains on them.
STREAMED_DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo("celeba", "CelebA faces (one attribute)", "CelebA (Liu et al., 2015): 202,599 aligned celebrity "
                "faces with 40 yes/no attributes; predict one of them (the lecture: Male). Streamed from disk; "
                "random 178x178 crops and flips for training, centre crops for evaluation, resized to 64x64 RGB.",
                (64, 64, 3), 2, needs_path=True, works_offline=True,
                accepted_files=("CelebA's own folder layout: img_align_celeba/ (the 178x218 JPEGs), "
                                "list_attr_celeba.txt and list_eval_partition.txt (Kaggle's .csv versions work too)")),
)}
_CLASSES = {"mnist": MNIST_CLASSES, "fashion_mnist": FASHION_CLASSES, "cifar10": CIFAR10_CLASSES}
_ALIASES = {"fashion": "fashion_mnist", "cifar_10": "cifar10", "sample": "mnist_sample", "image_folder": "folder"}


def load_dataset(name: str, *, data_dir: str | os.PathLike | None = None, path: str | os.PathLike | None = None,
                 download: bool = True, image_size: tuple[int, int] = (28, 28), color_mode: str = "grayscale",
                 test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load a dataset of :data:`DATASETS` by name; images uint8 NHWC, labels int64 (N,).

    ``mnist_sample``: the bundled sample. ``mnist``, ``fashion_mnist``, ``cifar10``: a given ``path`` (an .npz
    file, one of the IDX files or CIFAR-10 batches, or a folder holding them) and only it; else local files first
    (``data_dir``, ``$CNNVIZ_DATA_DIR``, ``~/.cnnviz/data``, ``~/.keras/datasets``), then Keras's download (if
    ``download``). ``folder``: :func:`load_image_folder` on
    ``path`` with ``image_size`` (H, W), ``color_mode``, ``test_fraction`` and ``seed``.
    Raises DatasetError; when nothing local was found and the download failed it has ``suggest_sample=True``.
    """
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key in STREAMED_DATASETS:
        raise DatasetError(f"{STREAMED_DATASETS[key].title} is streamed from disk, not loaded into memory: use "
                           "cnnviz.core.data.celeba.celeba_datasets() (or DataChoice('celeba') for a training run).")
    if key not in DATASETS:
        raise DatasetError(f"Unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}.")
    if key == "mnist_sample":
        return load_mnist_sample()
    if key == "folder":
        if path is None:
            raise DatasetError('The "folder" dataset needs a path: the folder that holds one subfolder per class.')
        return load_image_folder(path, image_size=image_size, color_mode=color_mode,
                                 test_fraction=test_fraction, seed=seed)
    if path is not None:
        return _load_chosen(key, Path(path).expanduser())
    return _load_standard(key, data_search_dirs(data_dir), download)


def _load_chosen(key: str, chosen: Path) -> Dataset:
    """The file or folder the user chose, and only that (no other folder, no download): an .npz file, one of the
    four IDX files or a CIFAR-10 batch (standing for its folder), or a folder holding the files."""
    info = DATASETS[key]
    parts = {p.name for p in find_idx_files(chosen.parent).values()} | set(CIFAR_BATCHES)
    if chosen.is_file() and chosen.name not in parts:
        return load_npz(chosen, name=key, class_names=_CLASSES[key])
    if not chosen.is_file() and not chosen.is_dir():
        what = "does not exist" if not chosen.exists() else "is not a regular file or folder"
        raise DatasetError(f"{chosen} {what}: choose {info.accepted_files}.")
    folder = chosen if chosen.is_dir() else chosen.parent
    if key != "cifar10" and IDX_FILES[0] in find_idx_files(folder):   # the IDX files themselves, whatever its name
        return load_idx_folder(folder, name=key, class_names=_CLASSES[key])
    found = _load_from(key, folder, [])
    if found is None:
        raise DatasetError(f"No {info.title} files in {folder}: choose {info.accepted_files}.")
    return found


def _load_from(key: str, d: Path, tried: list[str]) -> Dataset | None:
    """The dataset from folder ``d`` (its candidate places), or None; what was looked for goes to ``tried``."""
    names = _CLASSES[key]
    for kind, p in _candidates(key, d):
        if kind == "npz" and p.is_file():
            return load_npz(p, name=key, class_names=names)
        if kind == "idx" and p.is_dir() and IDX_FILES[0] in find_idx_files(p):
            return load_idx_folder(p, name=key, class_names=names)
        if kind == "cifar" and (p / CIFAR_BATCHES[0]).is_file():
            return load_cifar10_batches(p)
        what = {"npz": "", "idx": f"{os.sep} (IDX files)", "cifar": f"{os.sep} (CIFAR-10 batches)"}[kind]
        tried.append(f"{p}{what}")
    return None


def data_search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for local dataset files, in order: ``data_dir``, ``$CNNVIZ_DATA_DIR`` (os.pathsep-separated),
    ``~/.cnnviz/data``, then Keras's cache ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    dirs = [Path(data_dir)] if data_dir is not None else []
    dirs += [Path(p) for p in os.environ.get(DATA_DIR_ENV, "").split(os.pathsep) if p]
    home = Path.home()
    keras_home = os.environ.get("KERAS_HOME")
    dirs += [home / ".cnnviz" / "data", (Path(keras_home) if keras_home else home / ".keras") / "datasets"]
    unique: list[Path] = []
    for d in (d.expanduser() for d in dirs):
        if d not in unique:
            unique.append(d)
    return unique


def _candidates(key: str, d: Path) -> list[tuple[str, Path]]:
    """(kind, path) places a local copy of ``key`` may sit in folder ``d``; kind is npz, idx or cifar."""
    fashion_dir = "fashion" in d.name.lower()
    if key == "mnist":
        return [("npz", d / "mnist.npz"), *([] if fashion_dir else [("idx", d)]),
                ("idx", d / "mnist"), ("idx", d / "MNIST" / "raw")]
    if key == "fashion_mnist":
        return [("npz", d / "fashion-mnist.npz"), ("npz", d / "fashion_mnist.npz"),
                *([("idx", d)] if fashion_dir else []),
                ("idx", d / "fashion-mnist"), ("idx", d / "fashion_mnist"), ("idx", d / "FashionMNIST" / "raw")]
    return [("npz", d / "cifar10.npz"), ("npz", d / "cifar-10.npz"), ("cifar", d / "cifar-10-batches-py"),
            ("cifar", d / "cifar-10-batches-py-target" / "cifar-10-batches-py"), ("cifar", d)]


def _load_standard(key: str, dirs: list[Path], download: bool) -> Dataset:
    names = _CLASSES[key]
    tried: list[str] = []
    for d in dirs:
        found = _load_from(key, d, tried)
        if found is not None:
            return found
    failure = "not tried (download=False)"
    if download:
        try:
            (x_train, y_train), (x_test, y_test) = _download_with_keras(key)
        except Exception as exc:  # noqa: BLE001 - offline it is URLError, socket errors, hash mismatches...
            failure = f"keras.datasets.{key}.load_data() failed: {reason(exc)}"
        else:
            return Dataset(x_train, y_train, x_test, y_test, class_names=names, name=key,
                           source=f"downloaded by keras.datasets.{key}.load_data() into Keras's cache "
                                  "(~/.keras/datasets)")
    info = DATASETS[key]
    raise DatasetError(
        f"{info.title} could not be loaded: no local copy was found and the download did not work.\n"
        "Looked for:\n" + "".join(f"  - {t}\n" for t in tried) +
        f"Download: {failure}\n"
        f"To use a local copy, put it in a folder and set the environment variable {DATA_DIR_ENV} to that folder "
        f"(or choose the folder in cnnviz, or use ~/.cnnviz/data). Accepted: {info.accepted_files}.\n"
        'The bundled sample "mnist_sample" (3,000 training + 1,000 test MNIST digits) works offline.',
        suggest_sample=True,
    )


def _download_with_keras(key: str):
    """Keras's own loader, which downloads (needs internet). Kept separate so tests can replace it."""
    import keras  # lazy: importing Keras starts TensorFlow

    return getattr(keras.datasets, key).load_data()


def load_mnist_sample() -> Dataset:
    """The bundled stratified MNIST sample: uint8 (3000, 28, 28, 1) train, (1000, 28, 28, 1) test, int64 labels."""
    try:
        path = resource_path("data", "mnist_sample.npz")
    except FileNotFoundError as exc:
        raise DatasetError(str(exc)) from exc
    ds = load_npz(path, name="mnist_sample", class_names=MNIST_CLASSES)
    return replace(ds, source=(f"bundled MNIST sample {path}: {len(ds.x_train):,} training + {len(ds.x_test):,} "
                               "test digits drawn evenly per class from the MNIST database (LeCun, Cortes, Burges; "
                               "CC BY-SA 3.0)"))
