"""Readers that turn files into a :class:`~cnnviz.core.data.dataset.Dataset`: .npz archives in the Keras layout,
MNIST-style IDX folders, CIFAR-10 python batches and image folders (one subfolder per class).

Each reader names the file(s) it read in ``Dataset.source`` and raises DatasetError with what is wrong (missing
file or key, corrupt or truncated data, wrong shape or dtype). The registry (cnnviz.core.data.datasets) decides
which reader to call for a dataset name. Pure: numpy (+ Pillow for image folders).
"""
from __future__ import annotations

import math
import os
import pickle
import zipfile
import zlib
from pathlib import Path

import numpy as np

from cnnviz.core.data.dataset import Dataset, DatasetError, reason
from cnnviz.core.data.idx import IdxError, read_idx
from cnnviz.core.data.image_folder import ImageFolderError, read_image_folder
from cnnviz.core.data.split import pick_indices

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
NPZ_MAX_BYTES = 4 * 1024 ** 3   # all arrays of one .npz together (MNIST: 55 MB, CIFAR-10: 184 MB)
_READ_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error, pickle.UnpicklingError)


def _default_names(arrays: dict, given) -> tuple[str, ...]:
    if given is not None:
        return tuple(given)
    top = max(int(np.max(arrays[k], initial=0)) for k in ("y_train", "y_test"))
    return tuple(str(i) for i in range(top + 1))


def load_npz(path: str | os.PathLike, *, name: str | None = None, class_names=None) -> Dataset:
    """Load an .npz in the Keras layout: ``x_train`` (N, H, W[, C]) uint8, ``y_train`` (N,), ``x_test``, ``y_test``.

    An optional ``class_names`` array in the file is used unless ``class_names`` is given. Raises DatasetError
    for a missing, corrupt or truncated file, missing keys (naming the missing and the found ones), and arrays
    of the wrong shape or dtype.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"{path} does not exist." if not path.exists() else
                           f"{path} is a folder, not an .npz file." if path.is_dir() else f"{path} is not a file.")
    _check_npz_sizes(path)   # before np.load reads anything: a 1 MB npz can inflate to gigabytes
    try:
        archive = np.load(path, allow_pickle=False)
    except _READ_ERRORS as exc:
        raise DatasetError(f"{path} is not a readable .npz archive ({reason(exc)}); "
                           "the file is probably corrupt or truncated.") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DatasetError(f"{path} holds a single array (.npy), not an .npz archive with {', '.join(NPZ_KEYS)}.")
    with archive:
        found = list(archive.files)
        missing = [k for k in NPZ_KEYS if k not in found]
        if missing:
            raise DatasetError(f"{path} lacks the key(s) {', '.join(missing)}; found: {', '.join(found) or 'none'}. "
                               f"Expected the Keras layout {', '.join(NPZ_KEYS)}.")
        arrays = {}
        for key in NPZ_KEYS:
            try:
                arrays[key] = archive[key]
            except _READ_ERRORS as exc:
                raise DatasetError(f"{path}: array {key!r} cannot be read ({reason(exc)}); "
                                   "the file is probably corrupt or truncated.") from exc
        if class_names is None and "class_names" in found:
            try:
                class_names = [str(c) for c in archive["class_names"]]
            except _READ_ERRORS:
                class_names = None  # an unreadable optional extra: fall back to numbered classes
    return Dataset(**arrays, class_names=_default_names(arrays, class_names), name=name or path.stem,
                   source=f"{path} (npz: {', '.join(NPZ_KEYS)})")


def _check_npz_sizes(path: Path) -> None:
    """Refuse an .npz whose arrays would not fit: each member's .npy header (shape and dtype) is read, without
    reading the data, and the sizes it declares are checked against the member's size in the zip directory (what
    inflating it can give) and against NPZ_MAX_BYTES in all. DatasetError with the figures."""
    try:
        if not zipfile.is_zipfile(path):
            with open(path, "rb") as f:
                single = f.read(6) == b"\x93NUMPY"
            raise DatasetError(f"{path} holds a single array (.npy), not an .npz archive with {', '.join(NPZ_KEYS)}."
                               if single else f"{path} is not a readable .npz archive (not a zip file); the file is "
                               "probably corrupt or truncated.")
        total = 0
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with zf.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(member)
                    declared = math.prod(shape) * dtype.itemsize
                    if declared > info.file_size:
                        raise DatasetError(f"{path}: array {info.filename[:-4]!r} declares shape {shape} of "
                                           f"{dtype} ({declared:,} bytes) but holds only {info.file_size:,} bytes; "
                                           "the file is corrupt or truncated.")
                    total += declared
                if total > NPZ_MAX_BYTES:
                    raise DatasetError(f"{path}: its arrays declare {total:,} bytes or more (array "
                                       f"{info.filename[:-4]!r}: shape {shape} of {dtype}), more than cnnviz loads "
                                       f"into memory ({NPZ_MAX_BYTES:,} bytes).")
    except DatasetError:
        raise
    except (*_READ_ERRORS, RuntimeError, NotImplementedError) as exc:
        raise DatasetError(f"{path} is not a readable .npz archive ({reason(exc)}); "
                           "the file is probably corrupt or truncated.") from exc


def find_idx_files(folder: str | os.PathLike) -> dict[str, Path]:
    """The IDX files present in ``folder``, by canonical name (``train-images-idx3-ubyte`` ...).

    Accepts each name plain or ``.gz`` and the dot spelling (``train-images.idx3-ubyte``).
    """
    folder = Path(folder).expanduser()
    found = {}
    for stem in IDX_FILES:
        for spelling in (stem, stem.replace("-idx", ".idx")):
            for suffix in ("", ".gz"):
                if (folder / (spelling + suffix)).is_file():
                    found.setdefault(stem, folder / (spelling + suffix))
    return found


def load_idx_folder(path: str | os.PathLike, *, name: str | None = None, class_names=None) -> Dataset:
    """Load the four MNIST-style IDX files from a folder (plain or .gz; see :func:`find_idx_files`).

    Images: uint8 (N, H, W) in the file -> (N, H, W, 1); labels: (N,) -> int64. Raises DatasetError naming any
    missing file, and for a bad magic number, a truncated file, or images and labels that do not match.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder with IDX files." if folder.exists()
                           else f"{folder} does not exist.")
    files = find_idx_files(folder)
    missing = [stem for stem in IDX_FILES if stem not in files]
    if missing:
        raise DatasetError(f"{folder} lacks the IDX file(s) {', '.join(missing)} (plain or .gz). "
                           f"Needed: {', '.join(IDX_FILES)}.")
    try:
        x_train, y_train, x_test, y_test = (read_idx(files[stem]) for stem in IDX_FILES)
    except IdxError as exc:
        raise DatasetError(str(exc)) from exc
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return Dataset(**arrays, class_names=_default_names(arrays, class_names), name=name or folder.name,
                   source=f"IDX files in {folder}: {', '.join(files[s].name for s in IDX_FILES)}")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches (dicts of lists and numpy arrays) and nothing that could run code."""

    _ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name} (not part of a CIFAR batch)")
        if module.startswith("numpy.core.") and hasattr(np, "_core"):
            module = "numpy._core." + module[len("numpy.core."):]
        return super().find_class(module, name)


def _read_cifar_batch(file: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(file, "rb") as f:
            batch = _NumpyOnlyUnpickler(f, encoding="bytes").load()
        data = batch.get(b"data", batch.get("data"))
        labels = batch.get(b"labels", batch.get("labels"))
        x = np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        y = np.asarray(labels, dtype=np.int64).reshape(-1)
    except (*_READ_ERRORS, AttributeError, TypeError, KeyError) as exc:
        raise DatasetError(f"{file} is not a readable CIFAR-10 python batch ({reason(exc)}).") from exc
    return np.ascontiguousarray(x), y


def load_cifar10_batches(path: str | os.PathLike) -> Dataset:
    """Load ``cifar-10-batches-py/`` (data_batch_1..5, test_batch): x uint8 (N, 32, 32, 3), y int64 (N,)."""
    folder = Path(path).expanduser()
    missing = [b for b in CIFAR_BATCHES if not (folder / b).is_file()]
    if missing:
        raise DatasetError(f"{folder} lacks the CIFAR-10 batch file(s) {', '.join(missing)}.")
    parts = [_read_cifar_batch(folder / b) for b in CIFAR_BATCHES]
    x_train, y_train = (np.concatenate([p[i] for p in parts[:5]]) for i in (0, 1))
    return Dataset(x_train, y_train, *parts[5], class_names=CIFAR10_CLASSES, name="cifar10",
                   source=f"CIFAR-10 python batches in {folder} ({', '.join(CIFAR_BATCHES)})")


def load_image_folder(path: str | os.PathLike, *, image_size: tuple[int, int] = (28, 28),
                      color_mode: str = "grayscale", test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load ``path/<class>/<image>`` files (any Pillow format) as a Dataset of uint8 (N, H, W, C) images.

    ``image_size`` is (H, W); C is 1 for ``"grayscale"``, 3 for ``"rgb"``. Class names are the sorted subfolder
    names. The images are shuffled with ``seed`` and a stratified ``test_fraction`` (0 <= f < 1) is held out.
    Unreadable files are skipped and listed in ``notes``. Raises DatasetError for a missing path, a file, no
    class folders, a single class, a class without readable images, or no images at all.
    """
    if not 0 <= test_fraction < 1:
        raise DatasetError(f"test_fraction must be in [0, 1), got {test_fraction}.")
    try:
        found = read_image_folder(path, image_size=image_size, color_mode=color_mode)
    except ImageFolderError as exc:
        raise DatasetError(str(exc)) from exc
    n = len(found.y)
    order = np.random.default_rng(seed).permutation(n)  # folder order is class order; training wants mixed
    x, y = found.x[order], found.y[order]
    n_test = min(int(round(test_fraction * n)), n - 1)
    test = np.zeros(n, dtype=bool)
    if n_test:
        test[pick_indices(y, n_test, seed, stratify=True)] = True
    h, w, c = x.shape[1:]
    root = Path(path).expanduser()
    return Dataset(x[~test], y[~test], x[test], y[test], class_names=found.class_names, name=root.name or "folder",
                   notes=found.skipped_notes(),
                   source=(f"image folder {root}: {n} images in {len(found.class_names)} classes "
                           f"({', '.join(found.class_names)}), resized to {h}x{w} {color_mode}; {n_test} held out "
                           f"for testing (test_fraction={test_fraction}, seed={seed})"))
